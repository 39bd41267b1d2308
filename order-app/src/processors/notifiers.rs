use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use order_domain::{Email, EventEnvelope, Order, OrderEvent, OrderStatus};
use order_ports::{EffectStart, EmailContext, EmailTemplate, Notice, OutgoingEmail, ProcessorKind};
use tracing::info;

use super::Processor;
use crate::app::OrderApp;
use crate::error::{AppError, Context};

/// Emails the customer: confirmation of a new order, status updates, cancellation.
pub struct CustomerNotifier {
    app: Arc<OrderApp>,
}

/// Emails staff: every new order, and every unapplied payment (late, double or of the wrong
/// amount) that needs a refund.
pub struct InternalNotifier {
    app: Arc<OrderApp>,
}

impl CustomerNotifier {
    /// A customer notifier on `app`.
    pub fn new(app: Arc<OrderApp>) -> Self {
        Self { app }
    }
}

impl InternalNotifier {
    /// An internal notifier on `app`.
    pub fn new(app: Arc<OrderApp>) -> Self {
        Self { app }
    }
}

/// One email to send, identified by what it is about so it goes out at most once.
struct Mail<'a> {
    /// The effect key: `email/{order}/{template}/{occasion}`.
    key: String,
    template: EmailTemplate,
    order: &'a Order,
    notice: Notice,
    to: Vec<Email>,
    url: String,
}

impl OrderApp {
    /// Sends `mail` unless an effect record says it was sent. A failure abandons the record so
    /// the retry sends it; a lease held by another worker (sending it now, or crashed while
    /// sending it) makes this [`AppError::LeaseHeld`] with the time left on that lease.
    async fn send_once(&self, mail: Mail<'_>) -> Result<(), AppError> {
        let (storage, documents, system) = (&self.storage, &self.documents, &self.system);
        let now = system.clock.now();
        let start =
            storage.effects.begin(&mail.key, now, self.config.effect_lease).await.context("claiming the email")?;
        match start {
            EffectStart::AlreadyDone => {
                info!(key = %mail.key, "email already sent; skipping");
                return Ok(());
            }
            EffectStart::InProgress { until } => {
                return Err(AppError::LeaseHeld {
                    what: "the email is being sent by another worker",
                    lease_remaining: (until - now).to_std().unwrap_or(Duration::ZERO),
                });
            }
            EffectStart::Proceed => {}
        }
        let sent = async {
            let context = EmailContext { order: mail.order, notice: &mail.notice, order_url: &mail.url };
            let rendered = documents.emails.render(mail.template, &context).await.context("rendering the email")?;
            let email =
                OutgoingEmail { to: mail.to, subject: rendered.subject, html: rendered.html, text: rendered.text };
            let message_id = documents.mailer.send(&email).await.context("sending the email")?;
            info!(key = %mail.key, %message_id, subject = %email.subject, "email sent");
            Ok::<_, AppError>(())
        }
        .await;
        match sent {
            Ok(()) => {
                storage.effects.complete(&mail.key, system.clock.now()).await.context("recording the email as sent")
            }
            Err(error) => {
                // Best effort: if this fails too, the lease runs out and a retry proceeds then.
                let _ = storage.effects.abandon(&mail.key).await;
                Err(error)
            }
        }
    }

    fn customer_url(&self, order: &Order) -> String {
        format!("{}/orders/{}", self.config.portal_url.trim_end_matches('/'), order.id())
    }

    fn staff_url(&self, order: &Order) -> String {
        format!("{}/orders/{}", self.config.staff_console_url.trim_end_matches('/'), order.id())
    }
}

/// Which customer email a status change calls for. Moving to PAYMENT_PENDING is the
/// customer's own step on the way to PayFast: no email.
fn customer_template(to: OrderStatus) -> Option<EmailTemplate> {
    match to {
        OrderStatus::Cancelled => Some(EmailTemplate::OrderCancelled),
        OrderStatus::Paid
        | OrderStatus::Processing
        | OrderStatus::Completed
        | OrderStatus::Expired
        | OrderStatus::Refunded => Some(EmailTemplate::OrderStatusUpdate),
        OrderStatus::Pending | OrderStatus::PaymentPending => None,
    }
}

#[async_trait]
impl Processor for CustomerNotifier {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::CustomerNotifier
    }

    fn system(&self) -> Option<&crate::builder::System> {
        Some(&self.app.system)
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        match &event.event {
            OrderEvent::OrderCreated(created) => {
                let order = Order::from_created(created);
                let template = EmailTemplate::OrderConfirmation;
                self.app
                    .send_once(Mail {
                        key: format!("email/{}/{}", order.id(), template.name()),
                        template,
                        order: &order,
                        notice: Notice::Created,
                        to: vec![order.customer_email().clone()],
                        url: self.app.customer_url(&order),
                    })
                    .await
            }
            OrderEvent::OrderStatusChanged(changed) => {
                let Some(template) = customer_template(changed.to) else { return Ok(()) };
                let order = &changed.order;
                self.app
                    .send_once(Mail {
                        key: format!("email/{}/{}/v{}", order.id(), template.name(), changed.version),
                        template,
                        order,
                        notice: Notice::StatusChanged {
                            from: changed.from,
                            to: changed.to,
                            reason: changed.reason.clone(),
                        },
                        to: vec![order.customer_email().clone()],
                        url: self.app.customer_url(order),
                    })
                    .await
            }
            OrderEvent::UnappliedPaymentReceived(_) | OrderEvent::UnappliedPaymentRefunded(_) => Ok(()),
        }
    }
}

#[async_trait]
impl Processor for InternalNotifier {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::InternalNotifier
    }

    fn system(&self) -> Option<&crate::builder::System> {
        Some(&self.app.system)
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        let staff = self.app.config.staff_emails.clone();
        if staff.is_empty() {
            return Ok(());
        }
        let template = EmailTemplate::OrderNotification;
        match &event.event {
            OrderEvent::OrderCreated(created) => {
                let order = Order::from_created(created);
                self.app
                    .send_once(Mail {
                        key: format!("email/{}/{}/created", order.id(), template.name()),
                        template,
                        order: &order,
                        notice: Notice::Created,
                        to: staff,
                        url: self.app.staff_url(&order),
                    })
                    .await
            }
            OrderEvent::UnappliedPaymentReceived(unapplied) => {
                self.app
                    .send_once(Mail {
                        key: format!(
                            "email/{}/{}/unapplied/{}",
                            unapplied.order_id,
                            template.name(),
                            unapplied.payment.payment_id
                        ),
                        template,
                        order: &unapplied.order,
                        notice: Notice::UnappliedPayment {
                            payment: unapplied.payment.clone(),
                            reason: unapplied.reason,
                        },
                        to: staff,
                        url: self.app.staff_url(&unapplied.order),
                    })
                    .await
            }
            OrderEvent::OrderStatusChanged(_) | OrderEvent::UnappliedPaymentRefunded(_) => Ok(()),
        }
    }
}
