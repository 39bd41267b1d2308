//! The HTTP suite's backend: the application on in-memory adapters, on a manual clock.

use std::sync::Arc;

use adapters_memory::MemoryCartGateway;
use adapters_system::SystemClock;
use order_app::{OrderApp, Processor};
use order_ports::{Clock, PerProcessor};
use order_service::memory::{InMemoryStack, StackOptions};

/// The application under test and what the tests reach behind it.
pub(crate) struct Stack(InMemoryStack);

impl Stack {
    /// A fresh stack whose clock starts now.
    #[allow(clippy::unused_async, reason = "the AWS backend's twin provisions on start")]
    pub async fn start() -> Self {
        Self(InMemoryStack::new(StackOptions::demo(SystemClock.now())).unwrap())
    }

    /// A fresh stack that keeps only the last `documents` documents (in-memory only: the
    /// development server's bounded window).
    pub fn keeping_documents(documents: usize) -> Self {
        Self(InMemoryStack::new(StackOptions::demo(SystemClock.now()).keeping(documents, 0)).unwrap())
    }

    /// How many documents the bounded window evicted.
    pub fn document_evictions(&self) -> u64 {
        self.0.documents.evictions()
    }

    pub fn app(&self) -> Arc<OrderApp> {
        self.0.app.clone()
    }

    /// The cart service, to seed carts.
    pub fn carts(&self) -> Arc<MemoryCartGateway> {
        self.0.carts.clone()
    }

    /// The four processors, in queue order.
    pub fn processors(&self) -> PerProcessor<Arc<dyn Processor>> {
        self.0.processors()
    }

    /// Runs the four processors until every queue is empty.
    pub async fn drain(&self) {
        self.drain_with(self.processors()).await;
    }

    /// Runs the given processors (one per queue, in queue order) until every queue is empty.
    pub async fn drain_with(&self, processors: PerProcessor<Arc<dyn Processor>>) {
        self.0.consumer(processors).drain().await.unwrap();
    }

    /// How many orders are recorded.
    #[allow(clippy::unused_async, reason = "the AWS backend's twin reads DynamoDB")]
    pub async fn order_count(&self) -> usize {
        self.0.store.order_count()
    }

    /// Moves the application's clock.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.0.clock.advance(by);
    }
}
