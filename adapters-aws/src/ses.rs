//! [`SesMailer`]: SES v2 `SendEmail` with simple content.

use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use order_ports::{Mailer, OutgoingEmail, PortError, PortResult};

use crate::error::classify;

/// Sends email through SES v2 from a verified sender: one `SendEmail` per email, `Simple`
/// content with an HTML and a text part (rendered by the caller; SES-stored templates are not
/// used), UTF-8 throughout. Returns SES's message id.
///
/// Recipients are given with their domains as A-labels ([`Email::to_ascii`]): SES takes a
/// non-ASCII domain only in Punycode, and does not support SMTPUTF8, so a non-ASCII local part
/// cannot be delivered through it.
///
/// [`Email::to_ascii`]: order_domain::Email::to_ascii
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    sender: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// A mailer sending as `sender` (an identity verified in SES).
    pub fn new(client: aws_sdk_sesv2::Client, sender: impl Into<String>) -> Self {
        Self { client, sender: sender.into(), configuration_set: None }
    }

    /// Sends through a configuration set (for bounce and complaint tracking).
    pub fn with_configuration_set(mut self, name: impl Into<String>) -> Self {
        self.configuration_set = Some(name.into());
        self
    }
}

fn utf8(text: &str) -> PortResult<Content> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| PortError::InvalidData(format!("email content could not be built: {e}")))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> PortResult<String> {
        if email.to.is_empty() {
            return Err(PortError::InvalidData("an email needs at least one recipient".into()));
        }
        let destination = Destination::builder()
            .set_to_addresses(Some(email.to.iter().map(order_domain::Email::to_ascii).collect()))
            .build();
        let message = Message::builder()
            .subject(utf8(email.subject.as_str())?)
            .body(Body::builder().html(utf8(&email.html)?).text(utf8(&email.text)?).build())
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.sender)
            .destination(destination)
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| classify("SendEmail", e))?;
        out.message_id.ok_or_else(|| PortError::transient("SES accepted the email but returned no message id"))
    }
}
