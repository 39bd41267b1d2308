//! # adapters-memory
//!
//! In-memory implementations of every port in `order-ports`, with the semantics the AWS
//! adapters have: conditional inserts, version-checked updates, per-subscriber queues with
//! receive counts, retry budgets and dead-letter queues, an inspectable mailbox and blob store.
//! They are the zero set-up default for the quickstart, for tests and for embedding services.
