//! [`OutboxJanitor`]: deletes published outbox entries in batches, off the request path.
//!
//! A request that changes an order makes one transaction (the order and its outbox entries)
//! and one `Publish`; deleting the published entries is not the caller's business. They are
//! handed to a background task that deletes them with `BatchWriteItem` (at most 25 requests
//! per call, DynamoDB's limit), gathering for at most [`GATHER`] after the first arrives.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use aws_smithy_types::error::display::DisplayErrorContext;
use tokio::sync::{mpsc, oneshot};

use super::Item;

/// `BatchWriteItem` takes at most 25 requests.
const BATCH: usize = 25;
/// How long a batch gathers after its first entry.
const GATHER: Duration = Duration::from_millis(50);
/// Rounds for the requests a `BatchWriteItem` leaves unprocessed before they are given up
/// (left for the relay).
const ROUNDS: u32 = 5;

enum Job {
    /// Delete the item with this key.
    Delete(Item),
    /// Answer once everything sent before has been dealt with.
    Flush(oneshot::Sender<()>),
}

/// The background deleter of one repository (and its clones). Started on first use, on the
/// runtime of that use; a sender whose task has gone (its runtime ended) is replaced on the
/// next use.
#[derive(Debug)]
pub(crate) struct OutboxJanitor {
    client: Client,
    table: String,
    sender: Mutex<Option<mpsc::UnboundedSender<Job>>>,
}

impl OutboxJanitor {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table, sender: Mutex::new(None) }
    }

    /// Hands the deletion of `key` to the background task; `false` when no task can run (not
    /// inside a Tokio runtime), and the caller deletes it itself.
    pub(crate) fn hand_over(&self, key: Item) -> bool {
        self.send(Job::Delete(key)).is_ok()
    }

    /// Waits until every deletion handed over before has been done or given up.
    pub(crate) async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.send(Job::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    fn send(&self, job: Job) -> Result<(), ()> {
        let mut sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        let job = match sender.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => return Ok(()),
                // Its task has gone with its runtime: start another.
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ())?;
        let (tx, rx) = mpsc::unbounded_channel();
        runtime.spawn(run(self.client.clone(), Arc::from(self.table.as_str()), rx));
        tx.send(job).map_err(|_| ())?;
        *sender = Some(tx);
        Ok(())
    }
}

async fn run(client: Client, table: Arc<str>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut keys = Vec::with_capacity(BATCH);
        let mut flushes = Vec::new();
        match first {
            Job::Delete(key) => keys.push(key),
            Job::Flush(done) => flushes.push(done),
        }
        if flushes.is_empty() {
            let deadline = tokio::time::Instant::now() + GATHER;
            while keys.len() < BATCH {
                match tokio::time::timeout_at(deadline, jobs.recv()).await {
                    Ok(Some(Job::Delete(key))) => keys.push(key),
                    Ok(Some(Job::Flush(done))) => {
                        flushes.push(done);
                        break;
                    }
                    Ok(None) | Err(_) => break,
                }
            }
        }
        if !keys.is_empty() {
            delete(&client, &table, keys).await;
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Deletes `keys` (at most 25), retrying what the service leaves unprocessed; failures are
/// logged and left for the relay, which publishes those entries again.
async fn delete(client: &Client, table: &str, keys: Vec<Item>) {
    let mut requests: Vec<WriteRequest> = Vec::with_capacity(keys.len());
    for key in keys {
        match DeleteRequest::builder().set_key(Some(key)).build() {
            Ok(delete) => requests.push(WriteRequest::builder().delete_request(delete).build()),
            Err(error) => tracing::error!(%error, "could not build an outbox deletion"),
        }
    }
    for round in 0..ROUNDS {
        if requests.is_empty() {
            return;
        }
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(20 << round)).await;
        }
        match client.batch_write_item().request_items(table, requests.clone()).send().await {
            Ok(out) => {
                requests = out.unprocessed_items.and_then(|mut items| items.remove(table)).unwrap_or_default();
            }
            Err(error) => {
                tracing::warn!(
                    entries = requests.len(),
                    error = %DisplayErrorContext(&error),
                    "could not delete published outbox entries; the relay will publish them again"
                );
                return;
            }
        }
    }
    if !requests.is_empty() {
        tracing::warn!(
            entries = requests.len(),
            "published outbox entries still unprocessed after {ROUNDS} rounds; the relay will publish them again"
        );
    }
}
