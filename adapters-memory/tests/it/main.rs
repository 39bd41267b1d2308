//! The in-memory adapters against every port's contract suite, and the behaviour only the
//! in-memory family has (inspection, fault injection, visibility timeouts on a paused clock).

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod contracts;
mod faults;
mod queues;
mod store;
mod window;
