//! # order-domain
//!
//! The pure core of BBWS Order Management: every business rule of an order, and nothing else.
//! No async, no I/O, no clock reads, no randomness, no AWS — time and ids come in as arguments,
//! so every rule is a plain function that tests can drive exhaustively.
//!
//! ## Layout
//! - [`text`], [`ids`], [`email`], [`address`]: validated value types ("parse, don't
//!   validate"). Each has a private field, a fallible constructor returning a typed error, and
//!   serde support that goes through that constructor. An [`Email`] is in one canonical form
//!   (NFC local part, IDNA domain), so every spelling of an address is one key.
//! - [`money`], [`vat`], [`pricing`]: exact money (`rust_decimal`, never `f64`), South African
//!   VAT from a dated rate table, and pricing a trusted cart snapshot with an optional campaign.
//! - [`status`], [`order`]: the [`Order`] aggregate and the transition table of DESIGN §2.1 as
//!   one exhaustive `match`.
//! - [`tenant`]: the guest-checkout tenant decision.
//! - [`invoice`]: which form of tax invoice an order needs.
//! - [`documents`]: the document policy (when the tax invoice is issued), which documents each
//!   step of an order's life issues (pro forma, tax invoice, receipt, credit note), and line
//!   amounts that add up to the totals.
//! - [`payment`]: verified payments, and the ones an order did not take (late, double or
//!   mismatched: money to return, until recorded as refunded).
//! - [`events`]: the published event contracts (`ORDER_CREATED`, `ORDER_STATUS_CHANGED`,
//!   `UNAPPLIED_PAYMENT_RECEIVED`, `UNAPPLIED_PAYMENT_REFUNDED`) in the HLD's envelope.
//! - `testing` (feature `testing`, and in this crate's own tests): fixtures for tests and
//!   documentation. They panic on bad input, so no production build can reach them.
//!
//! ## Example
//! ```
//! use order_domain::*;
//! use order_domain::testing::{new_order, now, zar};
//!
//! let (mut order, created) = Order::create(new_order(), &PricingRules::south_africa(), ActorKind::Customer, now()).unwrap();
//! assert_eq!(created.totals.total, zar("1349.00"));
//! assert_eq!(created.totals.vat, zar("175.96"));
//!
//! let payment = Payment { payment_id: PaymentId::parse("pf_1").unwrap(), amount: zar("1349.00"), method: PaymentMethod::Payfast, paid_at: now() };
//! order.confirm_payment(payment.clone(), ActorKind::PaymentService, now()).unwrap();
//! assert_eq!(order.status(), OrderStatus::Paid);
//! assert_eq!(order.history().len(), 2); // PENDING → PAYMENT_PENDING → PAID
//! assert!(order.confirm_payment(payment, ActorKind::PaymentService, now()).unwrap().is_empty()); // no-op
//! ```

pub mod address;
pub mod documents;
pub mod email;
pub mod events;
pub mod ids;
pub mod invoice;
pub mod money;
pub mod order;
pub mod payment;
pub mod pricing;
pub mod status;
pub mod tenant;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;
pub mod trace;
pub mod vat;

pub use address::{BillingAddress, BillingAddressInput, VatNumber};
pub use documents::{DocumentKind, DocumentPolicy, DueDocument, LineAmounts, line_amounts};
pub use email::Email;
pub use events::{
    EventEnvelope, OrderCreated, OrderEvent, OrderStatusChanged, SchemaVersion, UnappliedPaymentReceived,
    UnappliedPaymentRefunded,
};
pub use ids::{CampaignCode, CartId, CorrelationId, OrderId, PaymentId, Sku, TenantId};
pub use invoice::TaxInvoiceForm;
pub use money::{Currency, CurrencyPolicy, Money, MoneyError};
pub use order::{ExpiryPolicy, NewOrder, Order, OrderError, OrderRecord, StatusChange};
pub use payment::{Payment, PaymentMethod, PaymentRefund, UnappliedPayment, UnappliedReason};
pub use pricing::{
    Campaign, CartOwner, CartSnapshot, Discount, OrderLine, Percentage, PricingError, PricingRules, Quantity, Totals,
};
pub use status::{ActorKind, Command, CommandKind, OrderStatus};
pub use tenant::{GuestTenantDecision, Tenant, TenantStatus, decide_guest_tenant};
pub use text::{Description, InvalidValue, PRINTABLE, Reason, is_printable};
pub use trace::TraceParent;
pub use vat::{VatError, VatRate, VatTable};
