//! Stored documents and their serial numbers, in memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use order_domain::{OrderId, TenantId};
use order_ports::{
    DocumentKey, DocumentKind, DocumentMeta, DocumentNumber, DocumentNumbers, DocumentStore, NumberSeries, PortError,
    PortResult, StoredDocument,
};

use crate::sync::lock;

#[derive(Debug, Clone)]
struct Stored {
    bytes: Vec<u8>,
    meta: DocumentMeta,
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
        lock(&self.objects).get(&key.path()).map(|stored| stored.meta.content_type.clone())
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
    async fn put(&self, key: &DocumentKey, bytes: Vec<u8>, meta: &DocumentMeta) -> PortResult<()> {
        lock(&self.objects).insert(key.path(), Stored { bytes, meta: meta.clone() });
        Ok(())
    }

    async fn get(&self, key: &DocumentKey) -> PortResult<Vec<u8>> {
        lock(&self.objects).get(&key.path()).map(|stored| stored.bytes.clone()).ok_or(PortError::NotFound)
    }

    async fn fetch(&self, key: &DocumentKey) -> PortResult<(StoredDocument, Vec<u8>)> {
        let objects = lock(&self.objects);
        let stored = objects.get(&key.path()).ok_or(PortError::NotFound)?;
        let size = u64::try_from(stored.bytes.len()).unwrap_or(u64::MAX);
        Ok((StoredDocument { kind: key.kind, size, meta: stored.meta.clone() }, stored.bytes.clone()))
    }

    async fn list(&self, tenant_id: &TenantId, order_id: OrderId) -> PortResult<Vec<StoredDocument>> {
        let objects = lock(&self.objects);
        Ok(DocumentKind::ALL
            .into_iter()
            .filter_map(|kind| {
                let stored = objects.get(&DocumentKey { tenant_id: tenant_id.clone(), order_id, kind }.path())?;
                Some(StoredDocument {
                    kind,
                    size: u64::try_from(stored.bytes.len()).unwrap_or(u64::MAX),
                    meta: stored.meta.clone(),
                })
            })
            .collect())
    }
}

#[derive(Debug, Default)]
struct Sequence {
    last: u64,
    issued: HashMap<OrderId, u64>,
}

/// Serial numbers of tax documents: one sequence per supplier and series from 1, one number
/// per order in each, allocated under a lock so concurrent jobs never share or skip a number.
#[derive(Debug, Default)]
pub struct MemoryDocumentNumbers {
    sequences: Mutex<HashMap<(String, NumberSeries), Sequence>>,
}

impl MemoryDocumentNumbers {
    /// No numbers issued yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl DocumentNumbers for MemoryDocumentNumbers {
    async fn number_for(&self, supplier: &str, series: NumberSeries, order: OrderId) -> PortResult<DocumentNumber> {
        let mut sequences = lock(&self.sequences);
        let sequence = sequences.entry((supplier.to_owned(), series)).or_default();
        let next = sequence.last + 1;
        let serial = *sequence.issued.entry(order).or_insert(next);
        sequence.last = sequence.last.max(serial);
        Ok(DocumentNumber { series, sequence: 0, serial })
    }
}
