//! # order-app
//!
//! The application layer of BBWS Order Management: use cases and event processors. It loads,
//! asks the domain, saves and publishes; every business rule stays in `order-domain`, every
//! technology behind an `order-ports` trait. Hosts build an [`OrderApp`] with
//! [`OrderApp::builder`] from five groups of ports and an [`AppConfig`] (see [`builder`]), call
//! its use cases with an authenticated [`Principal`], and drive the processors with the
//! [`Consumer`] — or all background work at once with [`OrderApp::background`] — or, in a
//! queue-triggered host such as a Lambda, with [`handle_event`] per event.
//!
//! ## The flow
//! 1. [`OrderApp::create_for_tenant`] / [`OrderApp::create_guest`]: price the trusted cart,
//!    claim it (one conditional write), publish `ORDER_CREATED`. Retries return the same id.
//! 2. Four processors, each on its own queue: [`RecordWriter`] stores the order (resolving a
//!    guest's tenant), [`InvoiceWriter`] stores the invoice (and later the receipt),
//!    [`InternalNotifier`] and [`CustomerNotifier`] send email once per occasion.
//! 3. [`OrderApp::update`] and [`OrderApp::confirm_payment`]: version-conditioned writes that
//!    commit the order and its `ORDER_STATUS_CHANGED` event together; the event is then
//!    published (or by [`OrderApp::relay`] after a crash).
//! 4. [`OrderApp::sweep`]: the scheduled work — the relay, then [`OrderApp::expire_stale`] page
//!    by page — run by the sweep Lambda and by the [`background`] service alike.
//!
//! ## Request context
//! A host names the request it serves with [`context::with_correlation_id`]; every event built
//! inside carries it as `correlationId`, and the processors log it as `request_id`.
//!
//! ## Authorization
//! A customer sees only their own tenant's orders; another tenant's order is
//! [`AppError::NotFound`], never "forbidden". Staff, services and the system read by id. What
//! each kind of principal may do to an order is decided by the domain's transition table.

mod app;
pub mod background;
pub mod builder;
pub mod consumer;
pub mod context;
mod error;
pub mod metrics;
mod principal;
pub mod processors;
pub mod usecases;

pub use app::{AppConfig, OrderApp};
pub use background::{Background, BackgroundOptions, BackgroundReport};
pub use builder::{BuildError, Documents, Messaging, OrderAppBuilder, Storage, System, Upstream};
pub use consumer::{Consumer, ConsumerOptions, ConsumerReport, ProcessorCounts, Subscription, deferral};
pub use error::AppError;
pub use principal::{Principal, Service};
pub use processors::{CustomerNotifier, InternalNotifier, InvoiceWriter, Processor, RecordWriter, handle_event};
pub use usecases::create::{CreateOrderRequest, CreateOutcome};
pub use usecases::sweep::{RelayReport, SweepError, SweepOptions, SweepReport, SweepStage, SweepSummary};
pub use usecases::update::StatusChange;

#[cfg(test)]
mod tests;
