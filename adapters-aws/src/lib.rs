//! # adapters-aws
//!
//! AWS implementations of the ports in `order-ports`: a DynamoDB single-table order repository,
//! an SNS topic fanned out to four SQS queues with dead-letter queues, S3 document and template
//! stores and an SES v2 mailer, plus [`provision`]ing of those resources.
//!
//! This is the only crate that names `aws_sdk_*`; no SDK type or SDK error crosses a port.
//! It reads no environment variable: configuration is typed ([`AwsSettings`],
//! [`AwsResources`]) and passed in by the host.
//!
//! ## Wiring
//! ```no_run
//! # async fn wire(cipher: std::sync::Arc<dyn order_ports::FieldCipher>) -> Result<(), adapters_aws::ProvisionError> {
//! use adapters_aws::{AwsAdapters, AwsClients, AwsSettings, ProvisionSpec, provision};
//! let clients = AwsClients::connect(&AwsSettings::new("af-south-1")).await; // built once, shared
//! let resources = provision(&clients, &ProvisionSpec::for_environment("dev", "orders@bbws.co.za")).await?;
//! let adapters = AwsAdapters::new(&clients, &resources, cipher);
//! let repository: std::sync::Arc<dyn order_ports::OrderRepository> = adapters.orders.clone();
//! # Ok(()) }
//! ```
//!
//! ## Layout
//! - [`config`] — [`AwsSettings`] (region, endpoint, credentials, retries, timeouts),
//!   [`AwsClients`] (the five SDK clients, built once), [`AwsResources`] (table, topic, queue,
//!   bucket names and the sender), one queue per `order_ports::ProcessorKind`.
//! - [`provision`](provision()) — creates every resource and returns [`AwsResources`].
//! - [`layout`] — [`TableLayout`]: feed shards and number sequences, and how to change them.
//! - [`DynamoOrderRepository`] (`OrderRepository` + `CartClaims`), [`DynamoEffectLog`],
//!   [`DynamoDocumentNumbers`] — the orders table; [`DynamoTenantDirectory`] — the tenants table.
//! - [`SnsEventPublisher`], [`SqsEventQueue`] — the topic and the processor queues.
//! - [`S3DocumentStore`], [`S3TemplateSource`], [`SesMailer`].
//! - [`AwsAdapters`] — all of the above wired from one set of clients.
//! - [`CallCounter`] — an SDK interceptor counting calls per operation
//!   ([`AwsClients::counted_by`]), for the AWS call-count benchmark.
//!
//! ## The orders table
//! One table, `PK`/`SK` strings, on-demand, three GSIs: GSI1 and GSI2 project `ALL`, FEEDS
//! `KEYS_ONLY`. Timestamps in keys are fixed-width RFC 3339 with nanoseconds
//! (`2026-11-25T10:00:00.000000000Z`), so string order is time order. `{shard}` is the order's
//! feed shard and `{sequence}` its number sequence, both chosen from the order id by the
//! [`TableLayout`] (see [`layout`]).
//!
//! | item | PK | SK | GSI1PK / GSI1SK | GSI2PK | FEEDPK / FEEDSK | other attributes |
//! |---|---|---|---|---|---|---|
//! | order | `TENANT#{tenantId}` | `ORDER#{orderId}` | `TENANT#{tenantId}` / `{createdAt}#{orderId}` | `ORDER#{orderId}` | while the status is not terminal: `OPEN#{status}#{shard}` / `{statusSince}#{orderId}` | `status`, `version` (N), `createdAt`, `updatedAt`, `body` (the order's JSON without the address), `billingAddress` (B, sealed by the `FieldCipher` with the order id as context) |
//! | outbox entry | `OUTBOX#{orderId}` | `OUTBOX#{orderId}#{messageId}` | – | – | `OUTBOX#{shard}` / `{eventTimestamp}#{messageId}` | `tenantId`, `orderId`, `event` (B: the event's JSON sealed by the `FieldCipher`, the SK as context) |
//! | payment record | `PAYMENT#{paymentId}` | `ITEM` | – | – | – | `orderId`, `tenantId`, `payment` (JSON) |
//! | cart claim | `CART#{cartId}` | `ITEM` | – | – | while unrecorded: `CLAIMS#UNRECORDED#{shard}` / `{claimedAt}#{cartId}` | `orderId`, `idempotencyKey`, `requestHash`, `event` (B: the event's JSON sealed by the `FieldCipher`, the PK as context), `claimedAt`, `recorded` (BOOL) |
//! | idempotency key | `IDEMPOTENCY#{scope}/{key}` (the caller's scope, e.g. `customer:tenant_acme`, `guest:{cartId}`) | `ITEM` | – | – | – | `cartId`, `orderId`, `claimedAt` |
//! | campaign | `CAMPAIGN#{code}` | `ITEM` | – | – | – | `campaign` (JSON: code, discount, validity window) |
//! | effect record | `EFFECT#{key}` | `ITEM` | – | – | – | `state` (`RUNNING`/`DONE`), `leaseUntil` (N, epoch ms) |
//! | number counter | `SUPPLIER#{supplier}#{sequence}` | `INVOICE_COUNTER` or `CREDIT_NOTE_COUNTER` | – | – | – | `last` (N) |
//! | document number | `NUMBER#{supplier}#{orderId}` | `INVOICE` or `CREDIT_NOTE` | – | – | – | `sequence` (N), `number` (N), `orderId` |
//!
//! Events carry the order's snapshot, billing address included, so wherever one is stored (an
//! outbox entry, a cart claim) it is sealed whole, like the order's address: no item holds the
//! address in plain text.
//!
//! **No key every order writes.** DynamoDB limits each partition of a table and of each GSI to
//! 1,000 write and 3,000 read units per second. GSI1 holds a tenant's orders (its partition is
//! that tenant's), GSI2 one order per partition. The three work feeds every order passes
//! through — open orders by status (the expiry sweep), the outbox and unrecorded claims (the
//! relay) — live in FEEDS, each spread over [`TableLayout::feed_shards`] partitions by the
//! order id, and they are sparse: an order leaves `OPEN#…` when its status becomes terminal, an
//! outbox entry leaves when it is deleted, a claim when it is marked recorded (its FEEDS
//! attributes are removed). FEEDS projects keys only, so entering or leaving a feed costs one
//! write unit; its readers query every shard (16 at a time), merge the keys oldest first and
//! fetch the items with strongly consistent `BatchGetItem`s. Serial numbers are spread the
//! same way over [`TableLayout::number_sequences`] counters, and an order's number lives
//! under the order, so it is found again whatever the count. The capacity model in
//! `BENCHMARKS.md` measures what each key carries per order.
//!
//! **Outbox choice.** Outbox entries are separate items written in the same
//! `TransactWriteItems` as the version-conditioned order put (not a list on the order item):
//! clearing entries is a `BatchWriteItem` of deletes, done in the background after the request
//! has been answered (`clear_outbox_soon`), and `pending_outbox` reads the sparse `OUTBOX`
//! feed rather than scanning orders.
//!
//! **Changing the layout of an existing table.** The FEEDS index replaces the earlier GSI3 (open
//! orders, projection `ALL`) and the feeds GSI1 used to carry; numbers moved from
//! `SUPPLIER#{supplier}` / `INVOICE#{orderId}` to `NUMBER#{supplier}#{orderId}`, counters to
//! `SUPPLIER#{supplier}#{sequence}`, outbox entries from the tenant's partition to their order's. A table written
//! by an earlier version must be provisioned afresh (no deployment had gone to production).
//!
//! ## The tenants table
//! `PK`/`SK`: the tenant (`TENANT#{tenantId}` / `TENANT`) and its email-uniqueness item
//! (`EMAIL#{email}` / `EMAIL`, with `tenantId` and `status`), written in one transaction.
//!
//! ## AWS calls per operation
//! | operation | calls |
//! |---|---|
//! | `OrderRepository::insert` | 1 `TransactWriteItems` (order put if absent + claim marked recorded); +1 `PutItem` when the cart has no claim for the order |
//! | `get` | 1 `GetItem` (consistent) |
//! | `get_by_id` | 1 `Query` (GSI2) |
//! | `list` | 1 `Query` (GSI1, `Limit = limit + 1`); more only when a status filter leaves the page short |
//! | `update` | 1 `TransactWriteItems` (order + payment record + outbox entries); on a failed version check +1 consistent `GetItem` only if the old item is not returned |
//! | `stale` | 1 `Query` (FEEDS, keys only) per shard + 1 strongly consistent `BatchGetItem` per 100 orders |
//! | `pending_outbox` | 1 `Query` (FEEDS) per shard + 1 `BatchGetItem` per 100 entries |
//! | `clear_outbox` / `clear_outbox_soon` | 1 `DeleteItem` / none on the caller's path: 1 `BatchWriteItem` in the background per 25 entries |
//! | `CartClaims::claim` | 1 `PutItem` (no key) or 1 `TransactWriteItems` (with key); an existing claim comes back with the failed condition, else 1–2 `GetItem` |
//! | `find` / `unrecorded` | 1 `GetItem` / 1 `Query` (FEEDS) per shard + 1 `BatchGetItem` per 100 claims |
//! | `EffectLog::begin` / `complete` / `abandon` | 1 `UpdateItem` / 1 `UpdateItem` / 1 `DeleteItem` |
//! | `DocumentNumbers::number_for` | 1 `TransactGetItems` when numbered, else + 1 `TransactWriteItems` (repeated on contention) |
//! | `TenantDirectory::find_by_email` / `create_unvalidated` | 1 `GetItem` (consistent) / 1 `TransactWriteItems` |
//! | `EventPublisher::publish` | 1 `Publish` |
//! | `EventQueue::receive` / `ack` / `release` | 1 `ReceiveMessage` / 1 `DeleteMessage` / 1 `ChangeMessageVisibility` |
//! | `EventQueue::defer` | 1 `SendMessage` (with `DelaySeconds`) + 1 `DeleteMessage` |
//! | `dead_letters(n)` | ⌈n/10⌉+1 `ReceiveMessage` + ⌈n/10⌉ `ChangeMessageVisibilityBatch` |
//! | `redrive(n)` | per 10 messages: `ReceiveMessage` + `SendMessageBatch` + `DeleteMessageBatch` |
//! | `retry_budget` / `depth` | 1 `GetQueueAttributes` (`RedrivePolicy`) once, then none / 2 `GetQueueAttributes` (the queue's and its dead-letter queue's counts) |
//! | `DocumentStore::put` / `get`, `TemplateSource::get` | 1 `PutObject` / 1 `GetObject`, 1 `GetObject` |
//! | `Mailer::send` | 1 `SendEmail` |
//!
//! A create therefore costs the API one conditional `PutItem` (the claim) and one `Publish`; a
//! cancel or a payment confirmation one read, one `TransactWriteItems` and one `Publish`.
//!
//! ## Errors
//! Every SDK error is classified here: a failed condition becomes what the port contract names
//! (`Conflict`, `AlreadyExists`, or an outcome such as `ClaimOutcome::AlreadyClaimed`), a
//! missing item or object `NotFound`; throttling, 5xx answers, timeouts and connection failures
//! a retryable `Unavailable`; anything else a non-retryable `Unavailable`. The SDK's own retries
//! ([`AwsSettings::max_attempts`]) run first. Causes are logged with `DisplayErrorContext`.

mod adapters;
mod calls;
pub mod config;
mod dynamo;
mod error;
pub mod layout;
mod messaging;
mod provision;
mod s3;
mod ses;

pub use adapters::AwsAdapters;
pub use calls::{CallCount, CallCounter};
pub use config::{AwsClients, AwsResources, AwsSettings, CredentialsSource, QueueConfig};
pub use dynamo::campaigns::DynamoCampaignCatalog;
pub use dynamo::effects::DynamoEffectLog;
pub use dynamo::invoices::DynamoDocumentNumbers;
pub use dynamo::orders::DynamoOrderRepository;
pub use dynamo::tenants::DynamoTenantDirectory;
pub use error::ProvisionError;
pub use layout::{LayoutError, TableLayout, order_hash, shard_of, shard_of_hash};
pub use messaging::{SnsEventPublisher, SqsEventQueue};
pub use provision::{ProvisionSpec, provision};
pub use s3::{S3DocumentStore, S3TemplateSource};
pub use ses::SesMailer;
