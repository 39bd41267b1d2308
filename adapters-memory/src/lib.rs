//! # adapters-memory
//!
//! In-memory implementations of every port in `order-ports`, with the semantics the AWS
//! adapters have: conditional inserts, version-checked updates, per-subscriber queues with
//! receive counts, retry budgets and dead-letter queues, an inspectable mailbox and blob store.
//! They are the zero set-up default for the quickstart, for tests and for embedding services,
//! and they pass the same contract suites (`order_ports::testkit`) as the AWS adapters.
//!
//! ## Layout
//! - [`MemoryStore`] — [`OrderRepository`](order_ports::OrderRepository) with its outbox and
//!   payment records, and [`CartClaims`](order_ports::CartClaims), over one state; billing
//!   addresses sealed through a [`FieldCipher`](order_ports::FieldCipher).
//! - [`MemoryTenantDirectory`] — tenants unique by email.
//! - [`MemoryEventBus`] and [`MemoryQueue`] — the topic and its subscriber queues with DLQs.
//! - [`MemoryDocumentStore`], [`MemoryDocumentNumbers`] — documents and their serial numbers.
//! - [`MemoryMailbox`], [`MemoryTemplateSource`] — email out, template overrides in.
//!
//! The document store and the mailbox keep everything by default; `keeping(window)` bounds
//! each to its most recent documents or emails, so that a long-running process (the
//! development server) stays within a fixed memory. The oldest are evicted first and counted;
//! an evicted document is answered as [`Evicted`](order_ports::PortError::Evicted), never as
//! "not found".
//! - [`MemoryCartGateway`], [`MemoryCampaignCatalog`] — the upstream services.
//! - [`MemoryEffectLog`] — side effects done once.
//! - [`ManualClock`], [`SequentialIds`] — time and identity for tests and reproducible runs
//!   (the production clock, ids and field cipher are in `adapters-system`).
//!
//! ## Concurrency
//! Every adapter is `Send + Sync` and shared through `Arc`. State sits behind a
//! `std::sync::Mutex` whose guard is never held across an `.await` (see the `sync` module), so
//! each port call is one atomic step, as a conditional write or a transaction is on AWS.

mod documents;
mod effects;
mod email;
mod messaging;
mod store;
mod sync;
mod system;
mod tenants;
mod upstream;
mod window;

pub use documents::{MemoryDocumentNumbers, MemoryDocumentStore};
pub use effects::MemoryEffectLog;
pub use email::{MemoryMailbox, MemoryTemplateSource, SentEmail};
pub use messaging::{MemoryEventBus, MemoryQueue, QueueConfig};
pub use store::MemoryStore;
pub use system::{ManualClock, SequentialIds};
pub use tenants::MemoryTenantDirectory;
pub use upstream::{MemoryCampaignCatalog, MemoryCartGateway};
