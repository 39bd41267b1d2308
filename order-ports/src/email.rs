//! Emails: composing them from templates, and sending them.

use std::fmt;

use async_trait::async_trait;
use order_domain::{Email, Order, OrderStatus, Payment, Reason, UnappliedReason};

use crate::error::{PortError, PortResult};

/// An email subject: plain text on one line. CR and LF are refused (they would let a value
/// inject headers), as are other control characters; at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject(String);

impl Subject {
    /// The longest subject, in characters.
    pub const MAX_LEN: usize = 200;

    /// Checks a subject.
    ///
    /// # Errors
    /// [`PortError::InvalidData`] for an empty subject, one with a control character, or one
    /// longer than [`Subject::MAX_LEN`].
    pub fn new(text: impl Into<String>) -> PortResult<Self> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(PortError::InvalidData("email subject is empty".into()));
        }
        if text.chars().any(char::is_control) {
            return Err(PortError::InvalidData("email subject contains a line break or control character".into()));
        }
        if text.chars().count() > Self::MAX_LEN {
            return Err(PortError::InvalidData(format!("email subject is longer than {} characters", Self::MAX_LEN)));
        }
        Ok(Self(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A composed email, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Recipients.
    pub to: Vec<Email>,
    /// Subject line.
    pub subject: Subject,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

/// Sends email (on AWS: SES v2 from a verified sender).
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one email and returns the provider's message id.
    ///
    /// # Errors
    /// [`Unavailable`](crate::PortError::Unavailable) when the email may not have been sent.
    async fn send(&self, email: &OutgoingEmail) -> PortResult<String>;
}

/// The email templates of the HLD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailTemplate {
    /// To the customer: the order was received.
    OrderConfirmation,
    /// To the customer: the order's status changed.
    OrderStatusUpdate,
    /// To the customer: the order was cancelled.
    OrderCancelled,
    /// To staff: a new order, or something that needs them (a late payment).
    OrderNotification,
}

impl EmailTemplate {
    /// All templates.
    pub const ALL: [EmailTemplate; 4] =
        [Self::OrderConfirmation, Self::OrderStatusUpdate, Self::OrderCancelled, Self::OrderNotification];

    /// The template's name (`order_confirmation`).
    pub fn name(self) -> &'static str {
        match self {
            Self::OrderConfirmation => "order_confirmation",
            Self::OrderStatusUpdate => "order_status_update",
            Self::OrderCancelled => "order_cancelled",
            Self::OrderNotification => "order_notification",
        }
    }

    /// Where an override of its HTML part lives in the template store
    /// (`customer/order_confirmation.html`, `internal/order_notification.html`).
    pub fn store_path(self) -> String {
        let audience = match self {
            Self::OrderNotification => "internal",
            Self::OrderConfirmation | Self::OrderStatusUpdate | Self::OrderCancelled => "customer",
        };
        format!("{audience}/{}.html", self.name())
    }
}

/// What happened, for the email to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The order was created.
    Created,
    /// The order moved.
    StatusChanged {
        /// Status before.
        from: OrderStatus,
        /// Status after.
        to: OrderStatus,
        /// Why, when given.
        reason: Option<Reason>,
    },
    /// A verified payment the order did not take (late, double or of the wrong amount); it
    /// must be refunded.
    UnappliedPayment {
        /// The payment.
        payment: Payment,
        /// Why the order did not take it.
        reason: UnappliedReason,
    },
}

/// The data a template is rendered with.
#[derive(Debug, Clone, Copy)]
pub struct EmailContext<'a> {
    /// The order snapshot.
    pub order: &'a Order,
    /// What happened.
    pub notice: &'a Notice,
    /// Link to the order in the customer portal (or the staff console for internal emails).
    pub order_url: &'a str,
}

/// A rendered email's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// Subject line.
    pub subject: Subject,
    /// HTML body, with every value HTML-escaped.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

/// Renders email templates: built-in defaults, overridden from a [`TemplateSource`].
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait EmailRenderer: Send + Sync {
    /// Renders `template` for `context`.
    ///
    /// # Errors
    /// [`InvalidData`](crate::PortError::InvalidData) when even the built-in template cannot
    /// render the context. A broken override is reported and the default used instead.
    async fn render<'a>(&self, template: EmailTemplate, context: &EmailContext<'a>) -> PortResult<RenderedEmail>;
}

/// Where template overrides are stored (on AWS: an S3 bucket).
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait TemplateSource: Send + Sync {
    /// The template text stored at `path` (such as `customer/order_confirmation.html`), or
    /// `None` when there is no override.
    ///
    /// # Errors
    /// Only [`Unavailable`](crate::PortError::Unavailable).
    async fn get(&self, path: &str) -> PortResult<Option<String>>;
}
