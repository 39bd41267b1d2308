//! Stored documents and their serial numbers, in memory.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_trait::async_trait;
use order_domain::{OrderId, TenantId};
use order_ports::{
    DocumentKey, DocumentKind, DocumentMeta, DocumentNumber, DocumentNumbers, DocumentStore, NumberSeries, PortError,
    PortResult, StoredDocument,
};

use crate::sync::lock;
use crate::window::log_eviction;

#[derive(Debug, Clone)]
struct Stored {
    bytes: Vec<u8>,
    meta: DocumentMeta,
}

#[derive(Debug, Default)]
struct Objects {
    stored: BTreeMap<String, Stored>,
    /// The bounded window's paths, oldest first (empty when unbounded).
    arrival: VecDeque<String>,
    /// A 64-bit hash of each evicted path: 8 bytes (plus the set's slack) per evicted document,
    /// enough to tell "evicted" from "never stored". Two paths sharing a hash would make a
    /// never-stored document read as evicted, at odds of about one in 2^64 per pair.
    evicted: HashSet<u64>,
    evictions: u64,
}

/// A blob store keyed by the documents' paths (`{tenantId}/{orderId}/invoice_{orderId}.pdf`),
/// inspectable by tests.
///
/// [`MemoryDocumentStore::new`] keeps every document for the life of the process (tests, the
/// quickstart). [`MemoryDocumentStore::keeping`] keeps a bounded window of the most recently
/// stored documents, so that a long-running process (the development server) stays within a
/// fixed memory: the oldest is evicted first, evictions are counted
/// ([`MemoryDocumentStore::evictions`]) and logged sparingly, and asking for an evicted
/// document answers [`PortError::Evicted`] rather than [`PortError::NotFound`].
#[derive(Debug, Default)]
pub struct MemoryDocumentStore {
    objects: Mutex<Objects>,
    window: Option<NonZeroUsize>,
}

impl MemoryDocumentStore {
    /// An empty store that keeps every document.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that keeps at most `window` documents, evicting the oldest first; `None`
    /// keeps every document, as [`MemoryDocumentStore::new`].
    pub fn keeping(window: Option<NonZeroUsize>) -> Self {
        Self { objects: Mutex::default(), window }
    }

    /// How many documents it keeps at most (`None`: every one).
    pub fn window(&self) -> Option<NonZeroUsize> {
        self.window
    }

    /// How many documents were evicted to keep within the window, since the start.
    pub fn evictions(&self) -> u64 {
        lock(&self.objects).evictions
    }

    /// Every stored path, sorted.
    pub fn keys(&self) -> Vec<String> {
        lock(&self.objects).stored.keys().cloned().collect()
    }

    /// The content type a document was stored with.
    pub fn content_type(&self, key: &DocumentKey) -> Option<String> {
        lock(&self.objects).stored.get(&key.path()).map(|stored| stored.meta.content_type.clone())
    }

    /// How many documents are stored.
    pub fn len(&self) -> usize {
        lock(&self.objects).stored.len()
    }

    /// `true` when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn missing(&self, objects: &Objects, path: &str) -> PortError {
        match self.window {
            Some(window) if objects.evicted.contains(&path_hash(path)) => {
                PortError::Evicted { retention: retention(window) }
            }
            _ => PortError::NotFound,
        }
    }
}

/// What a bounded store keeps, in the words of [`PortError::Evicted`].
fn retention(window: NonZeroUsize) -> String {
    format!("the in-memory document store keeps only the last {window} documents, evicting the oldest first")
}

fn path_hash(path: &str) -> u64 {
    // `DefaultHasher::new()` has fixed keys: the same path hashes the same for the process's life.
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}

#[async_trait]
impl DocumentStore for MemoryDocumentStore {
    async fn put(&self, key: &DocumentKey, bytes: Vec<u8>, meta: &DocumentMeta) -> PortResult<()> {
        let path = key.path();
        let mut objects = lock(&self.objects);
        let Some(window) = self.window else {
            objects.stored.insert(path, Stored { bytes, meta: meta.clone() });
            return Ok(());
        };
        // A document written again (a retried job) takes its old place in the window; one
        // written after its eviction is back, and no longer reads as evicted.
        if objects.stored.insert(path.clone(), Stored { bytes, meta: meta.clone() }).is_none() {
            if !objects.evicted.is_empty() {
                objects.evicted.remove(&path_hash(&path));
            }
            objects.arrival.push_back(path);
        }
        while objects.arrival.len() > window.get() {
            let Some(oldest) = objects.arrival.pop_front() else { break };
            objects.stored.remove(&oldest);
            objects.evicted.insert(path_hash(&oldest));
            objects.evictions += 1;
            log_eviction("documents", window, objects.evictions);
        }
        Ok(())
    }

    async fn get(&self, key: &DocumentKey) -> PortResult<Vec<u8>> {
        let path = key.path();
        let objects = lock(&self.objects);
        match objects.stored.get(&path) {
            Some(stored) => Ok(stored.bytes.clone()),
            None => Err(self.missing(&objects, &path)),
        }
    }

    async fn fetch(&self, key: &DocumentKey) -> PortResult<(StoredDocument, Vec<u8>)> {
        let path = key.path();
        let objects = lock(&self.objects);
        let stored = objects.stored.get(&path).ok_or_else(|| self.missing(&objects, &path))?;
        let size = u64::try_from(stored.bytes.len()).unwrap_or(u64::MAX);
        Ok((StoredDocument { kind: key.kind, size, meta: stored.meta.clone() }, stored.bytes.clone()))
    }

    async fn list(&self, tenant_id: &TenantId, order_id: OrderId) -> PortResult<Vec<StoredDocument>> {
        let objects = lock(&self.objects);
        let paths =
            DocumentKind::ALL.map(|kind| (kind, DocumentKey { tenant_id: tenant_id.clone(), order_id, kind }.path()));
        let listed: Vec<StoredDocument> = paths
            .iter()
            .filter_map(|(kind, path)| {
                let stored = objects.stored.get(path)?;
                Some(StoredDocument {
                    kind: *kind,
                    size: u64::try_from(stored.bytes.len()).unwrap_or(u64::MAX),
                    meta: stored.meta.clone(),
                })
            })
            .collect();
        if listed.is_empty()
            && let Some(window) = self.window
            && paths.iter().any(|(_, path)| objects.evicted.contains(&path_hash(path)))
        {
            return Err(PortError::Evicted { retention: retention(window) });
        }
        Ok(listed)
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
