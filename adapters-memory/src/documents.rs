//! Stored documents and invoice serial numbers, in memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use order_domain::OrderId;
use order_ports::{DocumentKey, DocumentStore, InvoiceNumber, InvoiceNumbers, PortError, PortResult};

use crate::sync::lock;

#[derive(Debug, Clone)]
struct Stored {
    bytes: Vec<u8>,
    content_type: String,
}

/// A blob store keyed by the documents' paths (`{tenantId}/{orderId}/invoice_{orderId}.pdf`),
/// inspectable by tests.
#[derive(Debug, Default)]
pub struct MemoryDocumentStore {
    objects: Mutex<BTreeMap<String, Stored>>,
}

impl MemoryDocumentStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored path, sorted.
    pub fn keys(&self) -> Vec<String> {
        lock(&self.objects).keys().cloned().collect()
    }

    /// The content type a document was stored with.
    pub fn content_type(&self, key: &DocumentKey) -> Option<String> {
        lock(&self.objects).get(&key.path()).map(|stored| stored.content_type.clone())
    }

    /// How many documents are stored.
    pub fn len(&self) -> usize {
        lock(&self.objects).len()
    }

    /// `true` when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl DocumentStore for MemoryDocumentStore {
    async fn put(&self, key: &DocumentKey, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        lock(&self.objects).insert(key.path(), Stored { bytes, content_type: content_type.to_owned() });
        Ok(())
    }

    async fn get(&self, key: &DocumentKey) -> PortResult<Vec<u8>> {
        lock(&self.objects).get(&key.path()).map(|stored| stored.bytes.clone()).ok_or(PortError::NotFound)
    }
}

#[derive(Debug, Default)]
struct Sequence {
    last: u64,
    issued: HashMap<OrderId, u64>,
}

/// Invoice serial numbers: one sequence per supplier from 1, one number per order, allocated
/// under a lock so concurrent jobs never share or skip a number.
#[derive(Debug, Default)]
pub struct MemoryInvoiceNumbers {
    suppliers: Mutex<HashMap<String, Sequence>>,
}

impl MemoryInvoiceNumbers {
    /// No numbers issued yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl InvoiceNumbers for MemoryInvoiceNumbers {
    async fn number_for(&self, supplier: &str, order: OrderId) -> PortResult<InvoiceNumber> {
        let mut suppliers = lock(&self.suppliers);
        let sequence = suppliers.entry(supplier.to_owned()).or_default();
        if let Some(number) = sequence.issued.get(&order) {
            return Ok(InvoiceNumber(*number));
        }
        sequence.last += 1;
        let number = sequence.last;
        sequence.issued.insert(order, number);
        Ok(InvoiceNumber(number))
    }
}
