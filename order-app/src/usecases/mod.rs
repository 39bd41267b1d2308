//! The use cases, as methods of [`OrderApp`](crate::OrderApp).

pub mod create;
pub mod query;
pub mod sweep;
pub mod update;
