//! # order-app
//!
//! The application layer of BBWS Order Management. It will own the use cases (create an order
//! for a tenant or a guest, get, list, update, confirm payment, expire stale orders) and the four
//! event processors (record writer, invoice writer, internal notifier, customer notifier), plus
//! authorization by principal.
//!
//! Use cases load, ask the domain, save and publish; business rules stay in `order-domain`.
//! This crate depends only on `order-domain` and `order-ports`, never on an adapter.
