//! The contracts of [`Mailer`] and [`TemplateSource`].

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use order_domain::Email;

use super::must;
use crate::email::{Mailer, OutgoingEmail, Subject, TemplateSource};

/// Supplies fresh mailers and seeded template sources.
#[async_trait]
pub trait EmailFixture: Send + Sync {
    /// A fresh mailer that accepts email (for AWS: a verified sender on a local server).
    async fn mailer(&self) -> Arc<dyn Mailer>;
    /// A template source holding exactly these `(path, text)` overrides.
    async fn templates(&self, templates: &[(&str, &str)]) -> Arc<dyn TemplateSource>;
}

/// Runs every contract of this suite as its own test against `$fixture` (an [`EmailFixture`]).
#[macro_export]
macro_rules! email_contract_tests {
    ($fixture:expr) => {
        $crate::__contract_tests!(
            $fixture,
            email,
            [sent_emails_get_distinct_message_ids, templates_are_found_by_path_and_missing_ones_are_none,]
        );
    };
}

fn email(i: usize) -> OutgoingEmail {
    OutgoingEmail {
        to: vec![Email::parse(format!("customer{i}@example.co.za")).unwrap_or_else(|e| panic!("test email: {e}"))],
        subject: Subject::new(format!("Your order {i}")).unwrap_or_else(|e| panic!("test subject: {e}")),
        html: format!("<p>Order {i}</p>"),
        text: format!("Order {i}"),
    }
}

/// Every accepted email gets a non-empty message id of its own.
///
/// # Panics
/// When the contract is broken.
pub async fn sent_emails_get_distinct_message_ids(fixture: &dyn EmailFixture) {
    let mailer = fixture.mailer().await;
    let mut ids = HashSet::new();
    for i in 0..3 {
        let id = must(mailer.send(&email(i)).await, "send");
        assert!(!id.trim().is_empty(), "a message id");
        assert!(ids.insert(id), "message ids are distinct");
    }
    let again = must(mailer.send(&email(0)).await, "send the same email again");
    assert!(ids.insert(again), "each send is its own message");
}

/// An override is returned by its path; a path without one is `None`.
///
/// # Panics
/// When the contract is broken.
pub async fn templates_are_found_by_path_and_missing_ones_are_none(fixture: &dyn EmailFixture) {
    let source = fixture
        .templates(&[
            ("customer/order_confirmation.html", "<p>Thanks, {{ name }}</p>"),
            ("internal/order_notification.html", "<p>New order</p>"),
        ])
        .await;
    assert_eq!(
        must(source.get("customer/order_confirmation.html").await, "get").as_deref(),
        Some("<p>Thanks, {{ name }}</p>")
    );
    assert_eq!(must(source.get("internal/order_notification.html").await, "get").as_deref(), Some("<p>New order</p>"));
    assert_eq!(must(source.get("customer/order_cancelled.html").await, "get"), None);
}
