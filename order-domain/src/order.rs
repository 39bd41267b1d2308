//! The `Order` aggregate: every business rule of an order's life.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::address::BillingAddress;
use crate::documents::DocumentPolicy;
use crate::email::Email;
use crate::events::{OrderCreated, OrderEvent, OrderStatusChanged, UnappliedPaymentReceived, UnappliedPaymentRefunded};
use crate::ids::{CampaignCode, CartId, OrderId, PaymentId, TenantId};
use crate::money::{Currency, MoneyError};
use crate::payment::{Payment, PaymentMethod, PaymentRefund, UnappliedPayment, UnappliedReason};
use crate::pricing::{Campaign, CartSnapshot, OrderLine, PricingError, PricingRules, Totals, check_lines, subtotal_of};
use crate::status::{ActorKind, Command, CommandKind, OrderStatus, Step, step};
use crate::text::Reason;

/// Why a command was refused. A refused command changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The transition table has no such move from this status.
    #[error("cannot {command} an order that is {status}")]
    IllegalTransition {
        /// The order's status.
        status: OrderStatus,
        /// The refused command.
        command: CommandKind,
    },
    /// The move exists, but not for this kind of principal.
    #[error("{actor} may not {command} an order that is {status}")]
    NotPermitted {
        /// Who tried.
        actor: ActorKind,
        /// The refused command.
        command: CommandKind,
        /// The order's status.
        status: OrderStatus,
    },
    /// A refund was recorded for a payment the order does not hold as unapplied.
    #[error("the order holds no unapplied payment {0}")]
    UnknownPayment(PaymentId),
    /// The order could not be priced.
    #[error(transparent)]
    Pricing(#[from] PricingError),
    /// A campaign code was given but no campaign with that code exists.
    #[error("campaign {0} does not exist")]
    UnknownCampaign(CampaignCode),
    /// This kind of principal does not create orders.
    #[error("{actor} may not create orders")]
    CreateNotPermitted {
        /// Who tried.
        actor: ActorKind,
    },
    /// A guest order must not name a tenant; any other order must.
    #[error("{0}")]
    TenantRule(&'static str),
    /// A guest order's tenant was already resolved to another tenant.
    #[error("order already belongs to tenant {existing}")]
    TenantAlreadyResolved {
        /// The tenant on record.
        existing: TenantId,
    },
    /// Stored or received order data breaks an invariant.
    #[error("inconsistent order data: {0}")]
    Inconsistent(String),
}

/// One edge of an order's life, kept forever in its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusChange {
    /// Status before.
    pub from: OrderStatus,
    /// Status after.
    pub to: OrderStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: ActorKind,
    /// Why, when given.
    pub reason: Option<Reason>,
}

/// Everything needed to create an order. Prices come from the trusted cart snapshot, never
/// from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// A fresh id.
    pub id: OrderId,
    /// The tenant; `None` for guest checkout (resolved later by email).
    pub tenant_id: Option<TenantId>,
    /// The customer.
    pub customer_email: Email,
    /// The priced cart.
    pub cart: CartSnapshot,
    /// The campaign code the customer entered, if any.
    pub campaign_code: Option<CampaignCode>,
    /// The catalog's rule for that code (`None` when the catalog has none).
    pub campaign: Option<Campaign>,
    /// Who is billed.
    pub billing_address: BillingAddress,
    /// How the customer pays.
    pub payment_method: PaymentMethod,
    /// When the order's tax invoice is issued (the deployment's policy, recorded on the order).
    pub document_policy: DocumentPolicy,
}

/// When unpaid orders give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// A PENDING order this old (since creation) expires.
    pub pending_after: TimeDelta,
    /// A PAYMENT_PENDING order waiting this long (since payment was requested) is cancelled.
    pub payment_pending_after: TimeDelta,
}

impl Default for ExpiryPolicy {
    /// PENDING for 24 hours, PAYMENT_PENDING for 2 hours.
    fn default() -> Self {
        Self { pending_after: TimeDelta::hours(24), payment_pending_after: TimeDelta::hours(2) }
    }
}

/// An order. State changes only through its commands, each of which takes the current time
/// and the kind of principal acting, and returns the events it produced (none for a repeat of
/// something already done) or an [`OrderError`] — in which case nothing changed.
///
/// `version` starts at 1 and increases by exactly one on every change.
///
/// ```
/// # use order_domain::*;
/// # let (mut order, now) = order_domain::testing::pending_order();
/// let events = order.request_payment(ActorKind::Customer, now).unwrap();
/// assert_eq!(order.status(), OrderStatus::PaymentPending);
/// assert_eq!(order.version(), 2);
/// assert_eq!(events.len(), 1);
/// assert!(order.expire(ActorKind::System, now).is_err());
/// assert_eq!(order.version(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OrderRecord", into = "OrderRecord")]
pub struct Order(OrderRecord);

impl Order {
    /// Creates an order: checks who may create it, prices the cart at `now`, and returns the
    /// order (PENDING, version 1) with its `ORDER_CREATED` event.
    ///
    /// Customers, staff and the cart service create orders for a tenant; guests and the cart
    /// service create guest orders (no tenant). Service principals for payment and provisioning,
    /// and the system, create nothing.
    ///
    /// # Errors
    /// [`OrderError::CreateNotPermitted`], [`OrderError::TenantRule`], [`OrderError::UnknownCampaign`],
    /// [`OrderError::Pricing`].
    pub fn create(
        new: NewOrder,
        rules: &PricingRules,
        actor: ActorKind,
        now: DateTime<Utc>,
    ) -> Result<(Order, OrderCreated), OrderError> {
        match (actor, new.tenant_id.is_some()) {
            (ActorKind::Customer | ActorKind::Staff | ActorKind::CartService, true)
            | (ActorKind::Guest | ActorKind::CartService, false) => {}
            (ActorKind::Guest, true) => return Err(OrderError::TenantRule("a guest order must not name a tenant")),
            (ActorKind::Customer | ActorKind::Staff, false) => {
                return Err(OrderError::TenantRule("an order for a customer or staff needs a tenant"));
            }
            (ActorKind::PaymentService | ActorKind::ProvisioningService | ActorKind::System, _) => {
                return Err(OrderError::CreateNotPermitted { actor });
            }
        }
        let campaign = match (&new.campaign_code, new.campaign) {
            (None, _) => None,
            (Some(code), None) => return Err(OrderError::UnknownCampaign(code.clone())),
            (Some(code), Some(campaign)) if campaign.code != *code => {
                return Err(
                    PricingError::CampaignCodeMismatch { requested: code.clone(), offered: campaign.code }.into()
                );
            }
            (Some(_), Some(campaign)) => Some(campaign),
        };
        let totals = rules.price(&new.cart, campaign.as_ref(), now)?;
        let currency = new.cart.currency();
        let (cart_id, items) = new.cart.into_parts();
        let order = Order(OrderRecord {
            id: new.id,
            tenant_id: new.tenant_id,
            customer_email: new.customer_email,
            cart_id,
            campaign_code: new.campaign_code,
            items,
            billing_address: new.billing_address,
            payment_method: new.payment_method,
            document_policy: new.document_policy,
            currency,
            totals,
            status: OrderStatus::Pending,
            version: 1,
            created_at: now,
            updated_at: now,
            history: Vec::new(),
            payment: None,
            unapplied_payments: Vec::new(),
        });
        let event = order.created_event();
        Ok((order, event))
    }

    /// The order as its `ORDER_CREATED` event describes it: PENDING, version 1.
    ///
    /// This is how the record writer turns the event back into the order it stores.
    pub fn from_created(event: &OrderCreated) -> Order {
        Order(OrderRecord {
            id: event.order_id,
            tenant_id: event.tenant_id.clone(),
            customer_email: event.customer_email.clone(),
            cart_id: event.cart_id.clone(),
            campaign_code: event.campaign_code.clone(),
            items: event.items.clone(),
            billing_address: event.billing_address.clone(),
            payment_method: event.payment_method,
            document_policy: event.document_policy,
            currency: event.currency,
            totals: event.totals,
            status: OrderStatus::Pending,
            version: 1,
            created_at: event.created_at,
            updated_at: event.created_at,
            history: Vec::new(),
            payment: None,
            unapplied_payments: Vec::new(),
        })
    }

    /// The `ORDER_CREATED` payload for this order.
    pub fn created_event(&self) -> OrderCreated {
        OrderCreated {
            order_id: self.0.id,
            tenant_id: self.0.tenant_id.clone(),
            customer_email: self.0.customer_email.clone(),
            cart_id: self.0.cart_id.clone(),
            campaign_code: self.0.campaign_code.clone(),
            billing_address: self.0.billing_address.clone(),
            payment_method: self.0.payment_method,
            document_policy: self.0.document_policy,
            currency: self.0.currency,
            items: self.0.items.clone(),
            totals: self.0.totals,
            created_at: self.0.created_at,
        }
    }

    /// Sets the tenant of a guest order once it has been resolved by email. Resolving to the
    /// same tenant again is a no-op; this is part of recording the order, not a change of it,
    /// so the version stays.
    ///
    /// # Errors
    /// [`OrderError::TenantAlreadyResolved`] when the order belongs to another tenant.
    pub fn assign_guest_tenant(&mut self, tenant: TenantId) -> Result<(), OrderError> {
        match &self.0.tenant_id {
            None => {
                self.0.tenant_id = Some(tenant);
                Ok(())
            }
            Some(existing) if *existing == tenant => Ok(()),
            Some(existing) => Err(OrderError::TenantAlreadyResolved { existing: existing.clone() }),
        }
    }

    /// PENDING → PAYMENT_PENDING. By the payment service or the owner.
    ///
    /// # Errors
    /// As [`Order::execute`].
    pub fn request_payment(&mut self, actor: ActorKind, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::RequestPayment, actor, now)
    }

    /// PAYMENT_PENDING → PAID (or PENDING → PAYMENT_PENDING → PAID) for a verified payment
    /// that equals the total to the cent. A verified payment is a fact, not a request: one the
    /// order does not take — for a cancelled or expired order, a second payment for a paid
    /// one, or an amount that differs from the total — is recorded as an
    /// [`UnappliedPayment`] (money to return) with an `UNAPPLIED_PAYMENT_RECEIVED` event, and
    /// the status stays as it is. The same payment again is a no-op either way.
    ///
    /// # Errors
    /// As [`Order::execute`].
    pub fn confirm_payment(
        &mut self,
        payment: Payment,
        actor: ActorKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::ConfirmPayment(payment), actor, now)
    }

    /// PENDING or PAYMENT_PENDING → CANCELLED.
    ///
    /// # Errors
    /// As [`Order::execute`].
    pub fn cancel(
        &mut self,
        reason: Option<Reason>,
        actor: ActorKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::Cancel(reason), actor, now)
    }

    /// PENDING → EXPIRED, by the system sweep.
    ///
    /// # Errors
    /// As [`Order::execute`].
    pub fn expire(&mut self, actor: ActorKind, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::Expire, actor, now)
    }

    /// PAID → PROCESSING.
    ///
    /// # Errors
    /// As [`Order::execute`].
    pub fn start_processing(&mut self, actor: ActorKind, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::StartProcessing, actor, now)
    }

    /// PROCESSING → COMPLETED.
    ///
    /// # Errors
    /// As [`Order::execute`].
    pub fn complete(&mut self, actor: ActorKind, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::Complete, actor, now)
    }

    /// Records that the unapplied payment `payment_id` was returned to the payer; the status
    /// stays. Recording it again is a no-op.
    ///
    /// # Errors
    /// As [`Order::execute`]; [`OrderError::UnknownPayment`] when the order holds no such
    /// unapplied payment.
    pub fn refund_payment(
        &mut self,
        payment_id: PaymentId,
        reference: Option<Reason>,
        actor: ActorKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::RefundPayment { payment_id, reference }, actor, now)
    }

    /// PAID or PROCESSING → REFUNDED.
    ///
    /// # Errors
    /// As [`Order::execute`].
    pub fn refund(
        &mut self,
        reason: Option<Reason>,
        actor: ActorKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.execute(Command::Refund(reason), actor, now)
    }

    /// Applies any command: looks up the transition table (DESIGN §2.1), checks the actor and
    /// the command's data, then changes the order and returns the events.
    ///
    /// # Errors
    /// [`OrderError::IllegalTransition`], [`OrderError::NotPermitted`],
    /// [`OrderError::UnknownPayment`]. On error the order is unchanged.
    pub fn execute(
        &mut self,
        command: Command,
        actor: ActorKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let kind = command.kind();
        let (step, allowed) = step(self.0.status, kind);
        if step == Step::Illegal {
            return Err(OrderError::IllegalTransition { status: self.0.status, command: kind });
        }
        if !allowed.contains(&actor) {
            return Err(OrderError::NotPermitted { actor, command: kind, status: self.0.status });
        }
        let reason = match &command {
            Command::Cancel(reason) | Command::Refund(reason) => reason.clone(),
            Command::RequestPayment
            | Command::ConfirmPayment(_)
            | Command::RefundPayment { .. }
            | Command::Expire
            | Command::StartProcessing
            | Command::Complete => None,
        };
        match (step, command) {
            (Step::AlreadyDone | Step::Illegal, _) => Ok(Vec::new()),
            (Step::Move(OrderStatus::Paid), Command::ConfirmPayment(payment)) => {
                Ok(self.pay(&[OrderStatus::Paid], payment, actor, now))
            }
            (Step::PayFromPending, Command::ConfirmPayment(payment)) => {
                Ok(self.pay(&[OrderStatus::PaymentPending, OrderStatus::Paid], payment, actor, now))
            }
            (Step::Move(to), _) => Ok(vec![self.move_to(&[to], actor, reason, now)]),
            (Step::PaymentForPaidOrder, Command::ConfirmPayment(payment)) => match &self.0.payment {
                Some(existing) if existing.payment_id == payment.payment_id => Ok(Vec::new()),
                Some(_) => Ok(self.unapplied(payment, UnappliedReason::AlreadyPaid, now)),
                None => Err(OrderError::Inconsistent(format!("{} order without a payment", self.0.status))),
            },
            (Step::LatePayment, Command::ConfirmPayment(payment)) => {
                Ok(self.unapplied(payment, UnappliedReason::OrderClosed, now))
            }
            (Step::RefundPayment, Command::RefundPayment { payment_id, reference }) => {
                let Some(unapplied) = self.0.unapplied_payments.iter_mut().find(|u| u.payment.payment_id == payment_id)
                else {
                    return Err(OrderError::UnknownPayment(payment_id));
                };
                if unapplied.refund.is_some() {
                    return Ok(Vec::new());
                }
                unapplied.refund = Some(PaymentRefund { at: now, actor, reference });
                self.touch(now);
                Ok(vec![OrderEvent::UnappliedPaymentRefunded(UnappliedPaymentRefunded {
                    order_id: self.0.id,
                    tenant_id: self.0.tenant_id.clone(),
                    payment_id,
                    version: self.0.version,
                    order: self.clone(),
                })])
            }
            (Step::PayFromPending | Step::PaymentForPaidOrder | Step::LatePayment | Step::RefundPayment, _) => {
                // The table yields payment steps only for ConfirmPayment and the refund step only
                // for RefundPayment.
                Err(OrderError::IllegalTransition { status: self.0.status, command: kind })
            }
        }
    }

    /// Takes `payment` as the consideration and walks `path` when it is the total to the cent;
    /// records it as unapplied otherwise (the status stays).
    /// A payment id already held as unapplied is that payment again: a no-op.
    fn pay(&mut self, path: &[OrderStatus], payment: Payment, actor: ActorKind, now: DateTime<Utc>) -> Vec<OrderEvent> {
        if self.holds_unapplied(&payment.payment_id) {
            return Vec::new();
        }
        if payment.amount != self.0.totals.total {
            return self.unapplied(payment, UnappliedReason::AmountMismatch, now);
        }
        self.0.payment = Some(payment);
        vec![self.move_to(path, actor, None, now)]
    }

    /// Records money the order does not take, once per payment id.
    fn unapplied(&mut self, payment: Payment, reason: UnappliedReason, now: DateTime<Utc>) -> Vec<OrderEvent> {
        if self.holds_unapplied(&payment.payment_id) {
            return Vec::new();
        }
        self.0.unapplied_payments.push(UnappliedPayment {
            payment: payment.clone(),
            reason,
            received_at: now,
            refund: None,
        });
        self.touch(now);
        vec![OrderEvent::UnappliedPaymentReceived(UnappliedPaymentReceived {
            order_id: self.0.id,
            tenant_id: self.0.tenant_id.clone(),
            status: self.0.status,
            payment,
            reason,
            version: self.0.version,
            order: self.clone(),
        })]
    }

    fn holds_unapplied(&self, id: &PaymentId) -> bool {
        self.0.unapplied_payments.iter().any(|u| u.payment.payment_id == *id)
    }

    /// Walks `path` (one or two edges), records each edge, bumps the version once.
    fn move_to(
        &mut self,
        path: &[OrderStatus],
        actor: ActorKind,
        reason: Option<Reason>,
        now: DateTime<Utc>,
    ) -> OrderEvent {
        let from = self.0.status;
        for &to in path {
            self.0.history.push(StatusChange { from: self.0.status, to, at: now, actor, reason: reason.clone() });
            self.0.status = to;
        }
        self.touch(now);
        OrderEvent::OrderStatusChanged(OrderStatusChanged {
            order_id: self.0.id,
            tenant_id: self.0.tenant_id.clone(),
            from,
            to: self.0.status,
            version: self.0.version,
            at: now,
            actor,
            reason,
            order: self.clone(),
        })
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.0.version += 1;
        self.0.updated_at = now;
    }

    /// The command the expiry sweep should apply at `now`, if any: `Expire` for a PENDING
    /// order at least `pending_after` old, `Cancel` (with a reason) for an order that has
    /// waited at least `payment_pending_after` in PAYMENT_PENDING.
    pub fn expiry_due(&self, now: DateTime<Utc>, policy: &ExpiryPolicy) -> Option<Command> {
        match self.0.status {
            OrderStatus::Pending if now - self.0.created_at >= policy.pending_after => Some(Command::Expire),
            OrderStatus::PaymentPending if now - self.status_since() >= policy.payment_pending_after => {
                Some(Command::Cancel(Some(Reason::system("payment not received in time"))))
            }
            _ => None,
        }
    }

    /// When the order entered its current status.
    pub fn status_since(&self) -> DateTime<Utc> {
        self.0.history.last().map_or(self.0.created_at, |change| change.at)
    }

    /// The id.
    pub fn id(&self) -> OrderId {
        self.0.id
    }
    /// The tenant (`None` for a guest order not yet recorded).
    pub fn tenant_id(&self) -> Option<&TenantId> {
        self.0.tenant_id.as_ref()
    }
    /// The customer.
    pub fn customer_email(&self) -> &Email {
        &self.0.customer_email
    }
    /// The cart it came from.
    pub fn cart_id(&self) -> &CartId {
        &self.0.cart_id
    }
    /// The campaign code applied.
    pub fn campaign_code(&self) -> Option<&CampaignCode> {
        self.0.campaign_code.as_ref()
    }
    /// The priced lines.
    pub fn items(&self) -> &[OrderLine] {
        &self.0.items
    }
    /// Who is billed.
    pub fn billing_address(&self) -> &BillingAddress {
        &self.0.billing_address
    }
    /// How the customer pays.
    pub fn payment_method(&self) -> PaymentMethod {
        self.0.payment_method
    }
    /// When its tax invoice is issued: the policy recorded when it was created.
    pub fn document_policy(&self) -> DocumentPolicy {
        self.0.document_policy
    }
    /// The currency.
    pub fn currency(&self) -> Currency {
        self.0.currency
    }
    /// Subtotal, discount, VAT, total.
    pub fn totals(&self) -> &Totals {
        &self.0.totals
    }
    /// Where the order is in its life.
    pub fn status(&self) -> OrderStatus {
        self.0.status
    }
    /// Starts at 1, +1 on every change.
    pub fn version(&self) -> u64 {
        self.0.version
    }
    /// When it was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Every status change, oldest first.
    pub fn history(&self) -> &[StatusChange] {
        &self.0.history
    }
    /// The payment that paid it.
    pub fn payment(&self) -> Option<&Payment> {
        self.0.payment.as_ref()
    }
    /// Verified payments it did not take (late, double or mismatched), each owed back until
    /// its refund is recorded; oldest first.
    pub fn unapplied_payments(&self) -> &[UnappliedPayment] {
        &self.0.unapplied_payments
    }

    /// The unapplied payments whose refund is not yet recorded.
    pub fn refunds_due(&self) -> impl Iterator<Item = &UnappliedPayment> {
        self.0.unapplied_payments.iter().filter(|u| u.refund_due())
    }
}

/// Checks that lines and totals describe one consistent, priced order in `currency`.
pub(crate) fn check_snapshot(items: &[OrderLine], totals: &Totals, currency: Currency) -> Result<(), OrderError> {
    let inconsistent = |what: &str| Err(OrderError::Inconsistent(what.to_owned()));
    check_lines(items)?;
    let amounts = [totals.subtotal, totals.discount, totals.vat, totals.total];
    if crate::pricing::currency_of(items) != currency || amounts.iter().any(|m| m.currency() != currency) {
        return inconsistent("amounts are not all in the order currency");
    }
    if subtotal_of(items).map_err(PricingError::from)? != totals.subtotal {
        return inconsistent("subtotal is not the sum of the lines");
    }
    match totals.subtotal.checked_sub(totals.discount) {
        Ok(total) if total == totals.total => {}
        Ok(_) | Err(MoneyError::Negative) => return inconsistent("total is not subtotal minus discount"),
        Err(e) => return Err(PricingError::from(e).into()),
    }
    if totals.vat_rate.included_in(totals.total) != totals.vat {
        return inconsistent("VAT does not match the total at the stated rate");
    }
    Ok(())
}

/// The stored and serialized form of an [`Order`]: every field public. Turning a record back
/// into an order ([`Order::try_from`]) checks its invariants, so storage cannot smuggle in an
/// order the domain would never have produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OrderRecord {
    pub id: OrderId,
    pub tenant_id: Option<TenantId>,
    pub customer_email: Email,
    pub cart_id: CartId,
    pub campaign_code: Option<CampaignCode>,
    pub items: Vec<OrderLine>,
    pub billing_address: BillingAddress,
    pub payment_method: PaymentMethod,
    /// Orders stored before the policy existed were invoiced at creation.
    #[serde(default = "DocumentPolicy::of_earlier_records")]
    pub document_policy: DocumentPolicy,
    pub currency: Currency,
    pub totals: Totals,
    pub status: OrderStatus,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<StatusChange>,
    pub payment: Option<Payment>,
    /// Orders stored before unapplied payments had a reason held only late payments, under
    /// `latePayments`; they read as unapplied payments for a closed order.
    #[serde(default, alias = "latePayments")]
    pub unapplied_payments: Vec<UnappliedPayment>,
}

impl TryFrom<OrderRecord> for Order {
    type Error = OrderError;
    fn try_from(r: OrderRecord) -> Result<Self, Self::Error> {
        check_snapshot(&r.items, &r.totals, r.currency)?;
        let inconsistent = |what: &str| Err(OrderError::Inconsistent(what.to_owned()));
        if r.version == 0 {
            return inconsistent("version starts at 1");
        }
        let mut status = OrderStatus::Pending;
        for change in &r.history {
            if change.from != status {
                return inconsistent("history is not a chain of status changes");
            }
            status = change.to;
        }
        if status != r.status {
            return inconsistent("status does not match the last history entry");
        }
        let paid = r.history.iter().any(|change| change.to == OrderStatus::Paid);
        if paid != r.payment.is_some() {
            return inconsistent("a paid order has exactly one payment, an unpaid one none");
        }
        let mut seen = std::collections::HashSet::new();
        let applied = r.payment.as_ref().map(|p| &p.payment_id);
        if r.unapplied_payments
            .iter()
            .any(|u| !seen.insert(&u.payment.payment_id) || Some(&u.payment.payment_id) == applied)
        {
            return inconsistent("a payment is held once, either applied or unapplied");
        }
        Ok(Order(r))
    }
}

impl From<Order> for OrderRecord {
    fn from(order: Order) -> Self {
        order.0
    }
}

#[cfg(test)]
mod tests;
