//! Transport shapes: what travels over HTTP, converted into order-app and domain types at the
//! edge. Request bodies refuse unknown fields; nothing here is a domain type.

use chrono::{DateTime, Utc};
use order_app::{CreateOrderRequest, StatusChange};
use order_domain::{
    BillingAddress, BillingAddressInput, CampaignCode, CartId, Currency, Description, Email, InvalidValue, Money,
    Order, OrderLine, OrderStatus, PaymentMethod, Quantity, Reason, Sku,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::problem::Problem;
use axum::http::StatusCode;

/// An amount of money: a plain decimal string and an ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyDto {
    /// A plain decimal in major units, e.g. `"199.00"`: not negative, at most as many decimal
    /// places as the currency has minor units (2 for ZAR).
    #[schema(example = "199.00", pattern = r"^\s*[+-]?[0-9_]*(\.[0-9_]*)?\s*$")]
    pub amount: String,
    /// ISO 4217 code, e.g. `ZAR` (case-insensitive; the server knows the codes it prices in).
    #[schema(example = "ZAR", pattern = r"^\s*[A-Za-z]{3}\s*$")]
    pub currency: String,
}

impl MoneyDto {
    fn parse(&self, field: &str) -> Result<Money, Problem> {
        let currency = Currency::parse(&self.currency).map_err(|e| invalid_money(field, &e))?;
        Money::parse(&self.amount, currency).map_err(|e| invalid_money(field, &e))
    }
}

impl From<Money> for MoneyDto {
    fn from(money: Money) -> Self {
        Self { amount: money.amount().to_string(), currency: money.currency().code().to_owned() }
    }
}

fn invalid_money(field: &str, error: &dyn std::fmt::Display) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value", "Invalid value", format!("{field}: {error}"))
}

fn invalid(error: &InvalidValue) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value", "Invalid value", error.to_string())
}

/// Who is billed: the recipient block of the tax invoice. Every text field is trimmed of
/// surrounding white space; what remains must not be empty (required fields), must not be longer
/// than the field allows (in characters) and must not contain a control character (Unicode
/// `Cc`). Each field's pattern states exactly that: optional white space, then 1 to the maximum
/// characters, the first and last neither white space nor a control character, none a control
/// character.
///
/// Its text fields (`name`, `company`, `line1`, `line2`, `city`, `province`) are printed on the
/// invoice, so they may hold only what it prints: Latin, Greek, Cyrillic, Armenian, Hebrew and
/// Arabic letters, digits, punctuation, currency signs and letterlike symbols (`№`, `™`) — not
/// CJK or other scripts, not emoji. Anything else is refused with 422 `invalid-value`, whose
/// detail names the field and the character (the rule: `order_domain::is_printable`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingAddressBody {
    /// Person or company to bill; at most 120 characters.
    #[schema(
        pattern = r"^\s*[^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,118}[^\s\u0000-\u001F\u007F-\u009F])?\s*$"
    )]
    pub name: String,
    /// Company name; at most 120 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*([^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,118}[^\s\u0000-\u001F\u007F-\u009F])?)?\s*$"
    )]
    pub company: Option<String>,
    /// South African VAT number (10 digits starting with 4), for a full tax invoice.
    #[serde(default)]
    #[schema(pattern = r"^\s*(4[0-9]{9})?\s*$")]
    pub vat_number: Option<String>,
    /// Street line; at most 200 characters.
    #[schema(
        pattern = r"^\s*[^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,198}[^\s\u0000-\u001F\u007F-\u009F])?\s*$"
    )]
    pub line1: String,
    /// Second line; at most 200 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*([^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,198}[^\s\u0000-\u001F\u007F-\u009F])?)?\s*$"
    )]
    pub line2: Option<String>,
    /// City; at most 100 characters.
    #[schema(
        pattern = r"^\s*[^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,98}[^\s\u0000-\u001F\u007F-\u009F])?\s*$"
    )]
    pub city: String,
    /// Province; at most 100 characters.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*([^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,98}[^\s\u0000-\u001F\u007F-\u009F])?)?\s*$"
    )]
    pub province: Option<String>,
    /// Postal code: letters, digits, spaces and `-`, at most 16 characters.
    #[schema(pattern = r"^\s*[A-Za-z0-9-]([A-Za-z0-9 -]{0,14}[A-Za-z0-9-])?\s*$")]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2; `ZA` when absent or empty.
    #[serde(default)]
    #[schema(pattern = r"^\s*([A-Za-z]{2})?\s*$")]
    pub country: Option<String>,
}

impl BillingAddressBody {
    fn parse(self) -> Result<BillingAddress, Problem> {
        let input = BillingAddressInput {
            name: self.name,
            company: self.company,
            vat_number: self.vat_number,
            line1: self.line1,
            line2: self.line2,
            city: self.city,
            province: self.province,
            postal_code: self.postal_code,
            country: self.country.unwrap_or_default(),
        };
        BillingAddress::parse(&input).map_err(|e| invalid(&e))
    }
}

/// A priced line, accepted only from the cart service (it owns prices).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineBody {
    /// Stock-keeping unit: letters, digits, `_`, `-` and `.`, at most 64.
    #[schema(pattern = r"^\s*[A-Za-z0-9_.-]{1,64}\s*$")]
    pub sku: String,
    /// What it is, as printed on the tax invoice: at most 200 characters the invoice can print
    /// (as for the billing address; anything else is refused with 422 `invalid-value`).
    #[schema(
        pattern = r"^\s*[^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,198}[^\s\u0000-\u001F\u007F-\u009F])?\s*$"
    )]
    pub description: String,
    /// How many: 1 to 10 000.
    #[schema(minimum = 1, maximum = 10_000)]
    pub quantity: u64,
    /// VAT-inclusive unit price.
    pub unit_price: MoneyDto,
}

impl OrderLineBody {
    fn parse(self) -> Result<OrderLine, Problem> {
        let quantity = u32::try_from(self.quantity)
            .map_err(|_| InvalidValue::Format { field: "quantity", expected: "must be from 1 to 10000" })
            .and_then(Quantity::new)
            .map_err(|e| invalid(&e))?;
        let sku = Sku::parse(&self.sku).map_err(|e| invalid(&e))?;
        let description = Description::parse(&self.description).map_err(|e| invalid(&e))?;
        let unit_price = self.unit_price.parse("unitPrice")?;
        OrderLine::new(sku, description, quantity, unit_price).map_err(|e| {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "pricing", "Cannot price the order", e.to_string())
        })
    }
}

/// A request to turn a cart into an order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateOrderBody {
    /// The cart: letters, digits, `_` and `-`, at most 64. Only a cart of the caller's own (the
    /// tenant's, or at guest checkout a guest's) becomes its order; any other is answered as an
    /// unknown cart.
    #[schema(example = "cart_demo_1", pattern = r"^\s*[A-Za-z0-9_-]{1,64}\s*$")]
    pub cart_id: String,
    /// The customer's email. Every spelling of one address is one customer: it is kept in its
    /// canonical form (lower case, Unicode NFC, the domain as IDNA U-labels: `ZOË@XN--BCHER-KVA.co.za`
    /// is `zoë@bücher.co.za`, whether the ë is one character or an e and a combining diaeresis).
    /// Invisible, full-width and unassigned characters before the `@`, and a domain IDNA refuses,
    /// are answered 422.
    #[schema(example = "thandi@acme.co.za", min_length = 3, pattern = "@")]
    pub customer_email: String,
    /// A campaign code: letters, digits, `_` and `-`, at most 32, case-insensitive.
    #[serde(default)]
    #[schema(pattern = r"^\s*([A-Za-z0-9_-]{1,32})?\s*$")]
    pub campaign_code: Option<String>,
    /// Who is billed.
    pub billing_address: BillingAddressBody,
    /// `payfast` (the default and only method).
    #[serde(default)]
    #[schema(pattern = r"^\s*(payfast|PAYFAST)\s*$")]
    pub payment_method: Option<String>,
    /// Priced lines; only the cart service may send them, anyone else's are ignored.
    #[serde(default)]
    pub items: Option<Vec<OrderLineBody>>,
}

impl CreateOrderBody {
    /// Converts into the application's request.
    ///
    /// # Errors
    /// A 422 problem naming the first invalid field.
    pub fn try_into_request(self) -> Result<CreateOrderRequest, Problem> {
        let cart_id = CartId::parse(&self.cart_id).map_err(|e| invalid(&e))?;
        let customer_email = Email::parse(&self.customer_email).map_err(|e| invalid(&e))?;
        let campaign_code = self
            .campaign_code
            .filter(|code| !code.trim().is_empty())
            .map(|code| CampaignCode::parse(code).map_err(|e| invalid(&e)))
            .transpose()?;
        let billing_address = self.billing_address.parse()?;
        let payment_method = match self.payment_method.as_deref().map(str::trim) {
            None | Some("payfast" | "PAYFAST") => PaymentMethod::Payfast,
            Some(_) => {
                return Err(invalid(&InvalidValue::Format { field: "paymentMethod", expected: "must be \"payfast\"" }));
            }
        };
        let items = self.items.map(|items| items.into_iter().map(OrderLineBody::parse).collect()).transpose()?;
        Ok(CreateOrderRequest { cart_id, customer_email, campaign_code, billing_address, payment_method, items })
    }
}

/// What a create answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderAccepted {
    /// The order the cart became.
    pub order_id: String,
    /// Where to read it.
    pub location: String,
}

/// The target status of an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetStatus {
    /// Hand the order to payment (owner or payment service).
    PaymentPending,
    /// Cancel it (owner or staff).
    Cancelled,
    /// Start provisioning (provisioning service or staff).
    Processing,
    /// Provisioning finished (provisioning service or staff).
    Completed,
    /// Refund it (payment service or staff).
    Refunded,
}

/// A requested change of an order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateOrderBody {
    /// Where the order should move.
    pub status: TargetStatus,
    /// Why (cancellations and refunds); at most 500 characters, no control characters.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*([^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,498}[^\s\u0000-\u001F\u007F-\u009F])?)?\s*$"
    )]
    pub reason: Option<String>,
}

impl UpdateOrderBody {
    /// Converts into the application's status change.
    ///
    /// # Errors
    /// A 422 problem when the reason is invalid.
    pub fn try_into_change(self) -> Result<StatusChange, Problem> {
        let reason = self
            .reason
            .filter(|reason| !reason.trim().is_empty())
            .map(|reason| Reason::parse(reason).map_err(|e| invalid(&e)))
            .transpose()?;
        Ok(match self.status {
            TargetStatus::PaymentPending => StatusChange::RequestPayment,
            TargetStatus::Cancelled => StatusChange::Cancel(reason),
            TargetStatus::Processing => StatusChange::StartProcessing,
            TargetStatus::Completed => StatusChange::Complete,
            TargetStatus::Refunded => StatusChange::Refund(reason),
        })
    }
}

/// The payment service's confirmation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentConfirmationBody {
    /// The provider's payment id: letters, digits, `_`, `-`, `.` and `:`, at most 100;
    /// repeating it is recognised as the same payment.
    #[schema(pattern = r"^\s*[A-Za-z0-9_.:-]{1,100}\s*$")]
    pub payment_id: String,
    /// The amount paid; must equal the order total to the cent.
    pub amount: MoneyDto,
    /// When it was paid (RFC 3339); now when absent. At most five minutes after now (clock skew).
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
}

impl PaymentConfirmationBody {
    /// How far a payment service's clock may run ahead of ours: `paidAt` up to five minutes
    /// after now is accepted as skew, anything later is refused.
    pub const MAX_CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

    /// Converts into a domain payment.
    ///
    /// # Errors
    /// A 422 problem when the id or amount is invalid, or `paidAt` lies more than
    /// [`MAX_CLOCK_SKEW`](Self::MAX_CLOCK_SKEW) after `now` (a receipt would print a payment
    /// date that has not happened).
    pub fn try_into_payment(self, now: DateTime<Utc>) -> Result<order_domain::Payment, Problem> {
        if let Some(paid_at) = self.paid_at
            && paid_at > now + Self::MAX_CLOCK_SKEW
        {
            return Err(invalid_money("paidAt", &format_args!("{paid_at} is in the future")));
        }
        let amount = self.amount.parse("amount")?;
        if amount.is_zero() {
            return Err(invalid_money("amount", &"a payment of nothing is no payment: it must be above zero"));
        }
        Ok(order_domain::Payment {
            payment_id: order_domain::PaymentId::parse(&self.payment_id).map_err(|e| invalid(&e))?,
            amount,
            method: PaymentMethod::Payfast,
            paid_at: self.paid_at.unwrap_or(now),
        })
    }
}

/// What a payment confirmation answers: the payment is recorded either way.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAcknowledged {
    /// The order.
    pub order_id: String,
    /// Its status now.
    pub status: String,
    /// Its version now.
    pub version: u64,
    /// `true` when this payment paid the order; `false` when the order did not take it (it was
    /// cancelled or expired, already paid, or the amount differs from the total) and it was
    /// recorded as money to return (see the order's `unappliedPayments`).
    pub applied: bool,
}

/// The body of recording the refund of an unapplied payment (optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentRefundBody {
    /// The refund's reference (the provider's refund id, a bank reference): at most 500
    /// characters, no control characters.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*[^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u001F\u007F-\u009F]{0,498}[^\s\u0000-\u001F\u007F-\u009F])?\s*$"
    )]
    pub reference: Option<String>,
}

impl PaymentRefundBody {
    /// The reference, validated.
    ///
    /// # Errors
    /// A 422 problem when it is empty or too long.
    pub fn reference(&self) -> Result<Option<Reason>, Problem> {
        self.reference.as_deref().map(Reason::parse).transpose().map_err(|e| invalid(&e.in_field("reference")))
    }
}

/// A verified payment the order did not take: money to return until its refund is recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnappliedPaymentView {
    /// The provider's payment id.
    pub payment_id: String,
    /// The amount.
    pub amount: MoneyDto,
    /// When it was paid, as the provider says.
    pub paid_at: DateTime<Utc>,
    /// Why the order did not take it: `ORDER_CLOSED`, `ALREADY_PAID` or `AMOUNT_MISMATCH`.
    pub reason: String,
    /// When the order recorded it.
    pub received_at: DateTime<Utc>,
    /// When its refund was recorded; absent while the refund is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
    /// The refund's reference, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_reference: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineView {
    /// Stock-keeping unit.
    pub sku: String,
    /// What it is.
    pub description: String,
    /// How many.
    pub quantity: u32,
    /// VAT-inclusive unit price.
    pub unit_price: MoneyDto,
    /// Quantity × unit price.
    pub line_total: MoneyDto,
}

/// An order's totals, VAT-inclusive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotalsView {
    /// Sum of the lines.
    pub subtotal: MoneyDto,
    /// What the campaign took off.
    pub discount: MoneyDto,
    /// VAT contained in the total.
    pub vat: MoneyDto,
    /// What the customer pays.
    pub total: MoneyDto,
    /// VAT rate as a fraction, e.g. `"0.15"`.
    pub vat_rate: String,
}

/// One step of an order's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChangeView {
    /// Status before.
    pub from: String,
    /// Status after.
    pub to: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The payment on record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    /// The provider's payment id.
    pub payment_id: String,
    /// The amount.
    pub amount: MoneyDto,
    /// When.
    pub paid_at: DateTime<Utc>,
}

/// An order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    /// The order id.
    pub order_id: String,
    /// Its tenant (absent only while a guest order's tenant is being resolved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Its status, e.g. `PENDING`.
    pub status: String,
    /// Its version (also the `ETag`).
    pub version: u64,
    /// The customer's email, in its canonical form.
    pub customer_email: String,
    /// The cart it came from.
    pub cart_id: String,
    /// The campaign applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_code: Option<String>,
    /// The lines.
    pub items: Vec<OrderLineView>,
    /// The totals.
    pub totals: TotalsView,
    /// How it is paid.
    pub payment_method: String,
    /// The payment, once paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentView>,
    /// Verified payments the order did not take, each owed back until its refund is recorded;
    /// oldest first, empty for most orders.
    pub unapplied_payments: Vec<UnappliedPaymentView>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// How it got here.
    pub history: Vec<StatusChangeView>,
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        let totals = order.totals();
        Self {
            order_id: order.id().to_string(),
            tenant_id: order.tenant_id().map(ToString::to_string),
            status: order.status().as_str().to_owned(),
            version: order.version(),
            customer_email: order.customer_email().to_string(),
            cart_id: order.cart_id().to_string(),
            campaign_code: order.campaign_code().map(ToString::to_string),
            items: order
                .items()
                .iter()
                .map(|line| OrderLineView {
                    sku: line.sku().to_string(),
                    description: line.description().to_string(),
                    quantity: line.quantity().get(),
                    unit_price: line.unit_price().into(),
                    line_total: line.line_total().into(),
                })
                .collect(),
            totals: TotalsView {
                subtotal: totals.subtotal.into(),
                discount: totals.discount.into(),
                vat: totals.vat.into(),
                total: totals.total.into(),
                vat_rate: totals.vat_rate.fraction().to_string(),
            },
            payment_method: "payfast".to_owned(),
            payment: order.payment().map(|payment| PaymentView {
                payment_id: payment.payment_id.to_string(),
                amount: payment.amount.into(),
                paid_at: payment.paid_at,
            }),
            unapplied_payments: order
                .unapplied_payments()
                .iter()
                .map(|unapplied| UnappliedPaymentView {
                    payment_id: unapplied.payment.payment_id.to_string(),
                    amount: unapplied.payment.amount.into(),
                    paid_at: unapplied.payment.paid_at,
                    reason: unapplied.reason.as_str().to_owned(),
                    received_at: unapplied.received_at,
                    refunded_at: unapplied.refund.as_ref().map(|refund| refund.at),
                    refund_reference: unapplied
                        .refund
                        .as_ref()
                        .and_then(|refund| refund.reference.as_ref().map(ToString::to_string)),
                })
                .collect(),
            created_at: order.created_at(),
            updated_at: order.updated_at(),
            history: order
                .history()
                .iter()
                .map(|change| StatusChangeView {
                    from: change.from.as_str().to_owned(),
                    to: change.to.as_str().to_owned(),
                    at: change.at,
                    actor: change.actor.to_string(),
                    reason: change.reason.as_ref().map(ToString::to_string),
                })
                .collect(),
        }
    }
}

/// One of an order's documents.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    /// The file name, also the last segment of its URL: `{kind}_{orderId}.pdf`.
    pub name: String,
    /// `PRO_FORMA`, `TAX_INVOICE`, `RECEIPT` or `CREDIT_NOTE`.
    pub kind: String,
    /// Its serial number (`INV-000042`, `CN-000007`); absent on a pro forma invoice and a
    /// receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Its date of issue.
    pub issued_at: DateTime<Utc>,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type (`application/pdf`).
    pub content_type: String,
    /// Where to fetch it (relative to the API's base).
    pub href: String,
}

impl DocumentView {
    /// The view of `document` of order `order_id`, fetched under `prefix` (where the routes
    /// are mounted, empty at the root).
    pub fn new(document: &order_ports::StoredDocument, order_id: order_domain::OrderId, prefix: &str) -> Self {
        let name = order_ports::DocumentKey::file_name_of(document.kind, order_id);
        Self {
            href: format!("{prefix}/v1.0/orders/{order_id}/documents/{name}"),
            name,
            kind: document.kind.code().to_owned(),
            number: document.meta.number.map(|n| n.to_string()),
            issued_at: document.meta.issued_at,
            size: document.size,
            content_type: document.meta.content_type.clone(),
        }
    }
}

/// An order's documents, in the order of its life.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentListView {
    /// The documents written so far.
    pub documents: Vec<DocumentView>,
}

/// One page of a tenant's orders.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPageView {
    /// Newest first.
    pub orders: Vec<OrderView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The statuses a listing may be filtered by (case-insensitive).
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(as = StatusFilter)]
#[allow(dead_code, reason = "documents the `status` parameter's values; the handler parses the text")]
pub(crate) enum StatusFilter {
    /// Created, not yet handed to payment.
    #[schema(rename = "PENDING")]
    Pending,
    /// Handed to payment.
    #[schema(rename = "PAYMENT_PENDING")]
    PaymentPending,
    /// Paid.
    #[schema(rename = "PAID")]
    Paid,
    /// Being provisioned.
    #[schema(rename = "PROCESSING")]
    Processing,
    /// Provisioned.
    #[schema(rename = "COMPLETED")]
    Completed,
    /// Cancelled.
    #[schema(rename = "CANCELLED")]
    Cancelled,
    /// Expired unpaid.
    #[schema(rename = "EXPIRED")]
    Expired,
    /// Refunded.
    #[schema(rename = "REFUNDED")]
    Refunded,
}

/// Filters and paging of a listing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Only orders in this status.
    #[param(value_type = Option<StatusFilter>)]
    pub status: Option<String>,
    /// Only orders created at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only orders created before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    /// The status filter, parsed.
    ///
    /// # Errors
    /// A 400 problem for an unknown status.
    pub fn status(&self) -> Result<Option<OrderStatus>, Problem> {
        self.status
            .as_deref()
            .map(|text| {
                OrderStatus::parse(text).ok_or_else(|| {
                    Problem::bad_request("invalid-query", format!("status {text:?} is not an order status"))
                })
            })
            .transpose()
    }
}

/// Health of the server.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// A PayFast Instant Transaction Notification (form fields; only those read are listed, all
/// are signed). Documented for the OpenAPI document; the handler reads the fields in order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PayfastItnForm {
    /// Our order id.
    pub m_payment_id: String,
    /// PayFast's payment id.
    pub pf_payment_id: String,
    /// `COMPLETE` for a completed payment.
    pub payment_status: String,
    /// The amount paid, e.g. `1349.00`.
    pub amount_gross: String,
    /// Our merchant id.
    pub merchant_id: String,
    /// MD5 signature over the other fields in order, with the passphrase.
    pub signature: String,
}

/// Who a development token is for: the body of `POST /dev/token`, which only a server built
/// with the feature `dev-issuer` and started in development mode serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevTokenRequest {
    /// `customer`, `staff`, `payment`, `provisioning` or `cart`.
    pub role: String,
    /// The customer's tenant (customers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Lifetime in seconds, 1 to 86 400 (default 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

/// A minted development token: the answer of `POST /dev/token` (shaped like an OAuth 2.0 token
/// response, RFC 6749 §5.1, in camelCase).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevToken {
    /// The bearer token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// A string schema for a path or header parameter: its pattern (ECMA-262), length bounds in
/// characters, an example and a description.
fn text_parameter(
    pattern: &str,
    length: Option<(usize, usize)>,
    example: &str,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let (min, max) = length.map_or((None, None), |(min, max)| (Some(min), Some(max)));
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(min)
        .max_length(max)
        .examples([example])
        .description(Some(description))
        .into()
}

/// A tenant id in a path, as the OpenAPI document states it: letters, digits, `_` and `-`, 1 to
/// 64 (a path that is not one is answered 400). Documentation only.
#[derive(Debug, Clone, Copy)]
pub struct TenantIdParam;

impl utoipa::PartialSchema for TenantIdParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_parameter("^[A-Za-z0-9_-]+$", Some((1, 64)), "tenant_acme", "Letters, digits, `_` and `-`, 1 to 64.")
    }
}

impl ToSchema for TenantIdParam {
    fn name() -> std::borrow::Cow<'static, str> {
        "TenantId".into()
    }
}

/// An order id in a path, as the OpenAPI document states it: `order_` and a 26-character ULID
/// (Crockford base 32). A path that is not one names no order: 404. Documentation only.
#[derive(Debug, Clone, Copy)]
pub struct OrderIdParam;

impl utoipa::PartialSchema for OrderIdParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_parameter(
            "^order_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$",
            None,
            "order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A",
            "`order_` and a ULID (Crockford base 32, 26 characters).",
        )
    }
}

impl ToSchema for OrderIdParam {
    fn name() -> std::borrow::Cow<'static, str> {
        "OrderId".into()
    }
}

/// An `Idempotency-Key` value, as the OpenAPI document states it: 1 to 255 visible ASCII
/// characters, spaces allowed inside (surrounding ones are ignored); anything else is answered
/// 400. Documentation only: [`crate::extract::IdempotencyKey`] parses it.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyKeyParam;

impl utoipa::PartialSchema for IdempotencyKeyParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_parameter(
            "^[!-~]([ -~]*[!-~])?$",
            Some((1, crate::extract::IdempotencyKey::MAX_LEN)),
            "checkout-1",
            "1 to 255 visible ASCII characters; the caller's own (scoped by who sends it).",
        )
    }
}

impl ToSchema for IdempotencyKeyParam {
    fn name() -> std::borrow::Cow<'static, str> {
        "IdempotencyKey".into()
    }
}
