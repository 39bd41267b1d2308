//! What templates see: a plain, serializable view of the order and the notice, with every
//! amount and date already formatted (templates do no arithmetic and no formatting, so the
//! email shows exactly what the invoice shows).

use order_domain::{Order, OrderLine, OrderStatus, Payment};
use order_ports::{EmailContext, EmailTemplate, Notice};
use serde::Serialize;

use crate::format;

/// The root of a template's context: `order`, `notice`, `order_url`, `template`, and
/// `documents` — the documents the step the email tells of issued (`kind` `PRO_FORMA`,
/// `TAX_INVOICE`, `RECEIPT` or `CREDIT_NOTE`, and `title`, e.g. "tax invoice"; empty when it
/// issued none), to fetch at `documents_url` (`{order_url}/documents` in the portal).
#[derive(Debug, Serialize)]
pub(crate) struct View<'a> {
    pub(crate) order: OrderView,
    pub(crate) notice: NoticeView,
    pub(crate) order_url: &'a str,
    pub(crate) template: &'static str,
    pub(crate) documents: Vec<DocumentView>,
    pub(crate) documents_url: String,
}

impl<'a> View<'a> {
    pub(crate) fn new(template: EmailTemplate, context: &EmailContext<'a>) -> Self {
        let step = match context.notice {
            Notice::Created => Some(OrderStatus::Pending),
            Notice::StatusChanged { to, .. } => Some(*to),
            Notice::UnappliedPayment { .. } => None,
        };
        let documents = step
            .map(|step| context.order.documents_issued_on(step))
            .unwrap_or_default()
            .into_iter()
            .map(|document| DocumentView { kind: document.kind.code(), title: format::document_title(document.kind) })
            .collect();
        Self {
            order: OrderView::new(context.order),
            notice: NoticeView::new(context.notice),
            order_url: context.order_url,
            template: template.name(),
            documents,
            documents_url: format!("{}/documents", context.order_url.trim_end_matches('/')),
        }
    }
}

/// One of `documents`.
#[derive(Debug, Serialize)]
pub(crate) struct DocumentView {
    kind: &'static str,
    title: &'static str,
}

/// `order.*` in templates.
#[derive(Debug, Serialize)]
pub(crate) struct OrderView {
    id: String,
    /// `None` for a guest order whose tenant is not resolved yet.
    tenant_id: Option<String>,
    customer_email: String,
    customer_name: String,
    status: &'static str,
    status_label: &'static str,
    created_at: String,
    items: Vec<ItemView>,
    subtotal: String,
    discount: String,
    has_discount: bool,
    campaign_code: Option<String>,
    vat: String,
    vat_percent: String,
    total: String,
    currency: String,
    payment_method: &'static str,
    payment: Option<PaymentView>,
}

impl OrderView {
    fn new(order: &Order) -> Self {
        let totals = order.totals();
        Self {
            id: order.id().to_string(),
            tenant_id: order.tenant_id().map(ToString::to_string),
            customer_email: order.customer_email().to_string(),
            customer_name: order.billing_address().name().to_owned(),
            status: order.status().as_str(),
            status_label: format::status(order.status()),
            created_at: format::date_time(order.created_at()),
            items: order.items().iter().map(ItemView::new).collect(),
            subtotal: format::money(totals.subtotal),
            discount: format::discount(totals.discount),
            has_discount: !totals.discount.is_zero(),
            campaign_code: order.campaign_code().map(ToString::to_string),
            vat: format::money(totals.vat),
            vat_percent: totals.vat_rate.percent().normalize().to_string(),
            total: format::money(totals.total),
            currency: totals.total.currency().to_string(),
            payment_method: format::payment_method(order.payment_method()),
            payment: order.payment().map(PaymentView::new),
        }
    }
}

/// One of `order.items`.
#[derive(Debug, Serialize)]
struct ItemView {
    sku: String,
    description: String,
    quantity: u32,
    unit_price: String,
    line_total: String,
}

impl ItemView {
    fn new(line: &OrderLine) -> Self {
        Self {
            sku: line.sku().to_string(),
            description: line.description().to_string(),
            quantity: line.quantity().get(),
            unit_price: format::money(line.unit_price()),
            line_total: format::money(line.line_total()),
        }
    }
}

/// A payment, in `order.payment` and `notice.payment`.
#[derive(Debug, Serialize)]
struct PaymentView {
    id: String,
    amount: String,
    method: &'static str,
    paid_at: String,
}

impl PaymentView {
    fn new(payment: &Payment) -> Self {
        Self {
            id: payment.payment_id.to_string(),
            amount: format::money(payment.amount),
            method: format::payment_method(payment.method),
            paid_at: format::date_time(payment.paid_at),
        }
    }
}

/// `notice.*` in templates. `kind` is `created`, `status_changed` or `unapplied_payment`
/// (with `unapplied_reason` `ORDER_CLOSED`, `ALREADY_PAID` or `AMOUNT_MISMATCH`); the other
/// fields are `none` when they do not apply.
#[derive(Debug, Serialize)]
pub(crate) struct NoticeView {
    kind: &'static str,
    from: Option<&'static str>,
    from_label: Option<&'static str>,
    to: Option<&'static str>,
    to_label: Option<&'static str>,
    reason: Option<String>,
    payment: Option<PaymentView>,
    unapplied_reason: Option<&'static str>,
}

impl NoticeView {
    fn new(notice: &Notice) -> Self {
        let empty = Self {
            kind: "",
            from: None,
            from_label: None,
            to: None,
            to_label: None,
            reason: None,
            payment: None,
            unapplied_reason: None,
        };
        match notice {
            Notice::Created => Self { kind: "created", ..empty },
            Notice::StatusChanged { from, to, reason } => Self {
                kind: "status_changed",
                from: Some(from.as_str()),
                from_label: Some(format::status(*from)),
                to: Some(to.as_str()),
                to_label: Some(format::status(*to)),
                reason: reason.as_ref().map(ToString::to_string),
                ..empty
            },
            Notice::UnappliedPayment { payment, reason } => Self {
                kind: "unapplied_payment",
                payment: Some(PaymentView::new(payment)),
                unapplied_reason: Some(reason.as_str()),
                ..empty
            },
        }
    }
}
