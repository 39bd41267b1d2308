//! # order-ports
//!
//! The ports of BBWS Order Management: the traits through which the application layer
//! (`order-app`) reaches storage, messaging, documents, email, the cart service and the clock.
//!
//! This crate will own the port traits (`#[async_trait]`, `Send + Sync`, dyn-compatible,
//! speaking `order-domain` types only), their single semantic error type, `mockall` mocks behind
//! a feature, and — behind a `testkit` feature — the contract test suites that every adapter
//! family runs against itself.
//!
//! It must never know about any concrete technology: no AWS SDK, no HTTP, no files.
