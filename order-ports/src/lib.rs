//! # order-ports
//!
//! The ports of BBWS Order Management: the capabilities the application layer (`order-app`)
//! needs from the outside world, as traits speaking `order-domain` types only. Adapters
//! (`adapters-memory`, `adapters-aws`, `adapters-documents`) implement them; hosts hold them
//! as `Arc<dyn Port>`.
//!
//! Every async trait is `#[async_trait]`, `Send + Sync` and dyn-compatible. Every method
//! documents its contract ("MUST return `Conflict` when …"); the `testkit` feature holds
//! suites that check those contracts against any implementation, and the `mocks` feature
//! provides `mockall` mocks (`MockOrderRepository`, …) for injecting failures.
//!
//! ## Layout
//! - [`error`] — [`PortError`], the one error type, with semantic variants.
//! - [`orders`] — [`OrderRepository`] (with the outbox) and [`CartClaims`].
//! - [`tenants`] — [`TenantDirectory`].
//! - [`messaging`] — [`EventPublisher`] and the per-processor [`EventQueue`].
//! - [`documents`] — [`DocumentStore`], [`DocumentRenderer`], [`DocumentNumbers`].
//! - [`email`] — [`Mailer`], [`EmailRenderer`], [`TemplateSource`].
//! - [`upstream`] — [`CartGateway`], [`CampaignCatalog`].
//! - [`effects`] — [`EffectLog`], for side effects done once.
//! - [`cipher`] — [`FieldCipher`], field-level encryption of personal data.
//! - [`system`] — [`Clock`], [`IdGenerator`].
//! - [`processors`] — [`ProcessorKind`], the four processors' identity, and [`PerProcessor`],
//!   one value per processor.

// mockall's generated structs name their fields after the methods (`order_id`, `message_id`, …).
#![cfg_attr(feature = "mocks", allow(clippy::struct_field_names))]

pub mod cipher;
pub mod documents;
pub mod effects;
pub mod email;
pub mod error;
pub mod messaging;
pub mod orders;
pub mod processors;
pub mod system;
pub mod tenants;
pub mod upstream;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use cipher::FieldCipher;
pub use documents::{
    DocumentKey, DocumentKind, DocumentMeta, DocumentNumber, DocumentNumbers, DocumentRenderer, DocumentRequest,
    DocumentStore, InvoiceReference, NumberSeries, RenderedDocument, StoredDocument, Supplier,
};
pub use effects::{EffectLog, EffectStart};
pub use email::{
    EmailContext, EmailRenderer, EmailTemplate, Mailer, Notice, OutgoingEmail, RenderedEmail, Subject, TemplateSource,
};
pub use error::{PortError, PortResult};
pub use messaging::{DeadLetter, Delivery, EventPublisher, EventQueue, QueueDepth};
pub use orders::{
    CartClaim, CartClaims, ClaimOutcome, ListQuery, OrderPage, OrderRepository, OrderUpdate, OutboxEntry, PageCursor,
};
pub use processors::{PerProcessor, ProcessorKind, UnknownProcessor};
pub use system::{Clock, IdGenerator};
pub use tenants::TenantDirectory;
pub use upstream::{CampaignCatalog, CartGateway};

#[cfg(feature = "mocks")]
pub use cipher::MockFieldCipher;
#[cfg(feature = "mocks")]
pub use documents::{MockDocumentNumbers, MockDocumentRenderer, MockDocumentStore};
#[cfg(feature = "mocks")]
pub use effects::MockEffectLog;
#[cfg(feature = "mocks")]
pub use email::{MockEmailRenderer, MockMailer, MockTemplateSource};
#[cfg(feature = "mocks")]
pub use messaging::{MockEventPublisher, MockEventQueue};
#[cfg(feature = "mocks")]
pub use orders::{MockCartClaims, MockOrderRepository};
#[cfg(feature = "mocks")]
pub use system::{MockClock, MockIdGenerator};
#[cfg(feature = "mocks")]
pub use tenants::MockTenantDirectory;
#[cfg(feature = "mocks")]
pub use upstream::{MockCampaignCatalog, MockCartGateway};
