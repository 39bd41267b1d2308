//! [`S3DocumentStore`] and [`S3TemplateSource`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use chrono::{DateTime, Utc};
use order_domain::{DocumentKind, OrderId, TenantId};
use order_ports::{
    DocumentKey, DocumentMeta, DocumentNumber, DocumentStore, PortError, PortResult, StoredDocument, TemplateSource,
};

use crate::error::{classify, invalid};

/// The bytes at `bucket/key`, or `None` when nothing is stored there.
async fn fetch(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> PortResult<Option<Vec<u8>>> {
    let out = match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(GetObjectError::is_no_such_key) => return Ok(None),
        Err(e) => return Err(classify("GetObject", e)),
    };
    let bytes = out.body.collect().await.map_err(|e| PortError::transient_from("reading an S3 object failed", e))?;
    Ok(Some(bytes.into_bytes().to_vec()))
}

/// Tax documents in one bucket, at the deterministic keys of [`DocumentKey::path`]
/// (`{tenantId}/{orderId}/invoice_{orderId}.pdf`), so a retried job overwrites the same
/// object. `put` is one `PutObject` with SSE-S3 (AES-256), the content type and the
/// document's number and date of issue as user metadata (`x-amz-meta-number`,
/// `x-amz-meta-issued-at`); `get` and `fetch` are one `GetObject` each (a missing key is
/// `NotFound`); `list` is
/// one `ListObjectsV2` under the order's prefix and one `HeadObject` per document (at most
/// four) for its metadata.
#[derive(Debug, Clone)]
pub struct S3DocumentStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3DocumentStore {
    /// A store in `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }
}

#[async_trait]
impl DocumentStore for S3DocumentStore {
    async fn put(&self, key: &DocumentKey, bytes: Vec<u8>, meta: &DocumentMeta) -> PortResult<()> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.path())
            .body(ByteStream::from(bytes))
            .content_type(&meta.content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .metadata(ISSUED_AT, meta.issued_at.to_rfc3339());
        if let Some(number) = meta.number {
            request = request.metadata(NUMBER, number.to_string());
        }
        request.send().await.map_err(|e| classify("PutObject", e))?;
        Ok(())
    }

    async fn get(&self, key: &DocumentKey) -> PortResult<Vec<u8>> {
        fetch(&self.client, &self.bucket, &key.path()).await?.ok_or(PortError::NotFound)
    }

    async fn fetch(&self, key: &DocumentKey) -> PortResult<(StoredDocument, Vec<u8>)> {
        let path = key.path();
        let out = match self.client.get_object().bucket(&self.bucket).key(&path).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(GetObjectError::is_no_such_key) => {
                return Err(PortError::NotFound);
            }
            Err(e) => return Err(classify("GetObject", e)),
        };
        let document = described(key.kind, &path, out.content_length(), out.content_type(), out.metadata())?;
        let bytes =
            out.body.collect().await.map_err(|e| PortError::transient_from("reading an S3 object failed", e))?;
        Ok((document, bytes.into_bytes().to_vec()))
    }

    async fn list(&self, tenant_id: &TenantId, order_id: OrderId) -> PortResult<Vec<StoredDocument>> {
        let prefix = DocumentKey::order_prefix(tenant_id, order_id);
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&prefix)
            .send()
            .await
            .map_err(|e| classify("ListObjectsV2", e))?;
        let mut documents = Vec::new();
        for object in listed.contents() {
            let Some(path) = object.key() else { continue };
            let Some(kind) = DocumentKind::ALL
                .into_iter()
                .find(|&kind| DocumentKey { tenant_id: tenant_id.clone(), order_id, kind }.path() == path)
            else {
                continue;
            };
            let head = match self.client.head_object().bucket(&self.bucket).key(path).send().await {
                Ok(head) => head,
                // Deleted since it was listed.
                Err(e) if e.as_service_error().is_some_and(HeadObjectError::is_not_found) => continue,
                Err(e) => return Err(classify("HeadObject", e)),
            };
            documents.push(described(kind, path, head.content_length(), head.content_type(), head.metadata())?);
        }
        documents.sort_by_key(|document| document.kind);
        Ok(documents)
    }
}

/// A stored document from what S3 keeps with the object at `path`.
fn described(
    kind: DocumentKind,
    path: &str,
    size: Option<i64>,
    content_type: Option<&str>,
    metadata: Option<&HashMap<String, String>>,
) -> PortResult<StoredDocument> {
    let value = |name: &str| metadata.and_then(|m| m.get(name)).map(String::as_str);
    let issued_at = value(ISSUED_AT)
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| invalid(format!("document {path} has no {ISSUED_AT} metadata")))?;
    Ok(StoredDocument {
        kind,
        size: size.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
        meta: DocumentMeta {
            content_type: content_type.unwrap_or("application/octet-stream").to_owned(),
            number: value(NUMBER).and_then(DocumentNumber::parse),
            issued_at,
        },
    })
}

/// The user-metadata names (`x-amz-meta-…`) of a document's number and date of issue.
const NUMBER: &str = "number";
const ISSUED_AT: &str = "issued-at";

/// A template source's answer and when it was read.
#[derive(Debug, Clone)]
struct Kept {
    at: Instant,
    text: Option<String>,
}

/// Email template overrides in a bucket (`customer/order_confirmation.html`, …), under an
/// optional key prefix. One `GetObject` per lookup; a missing key is "no override".
///
/// With [`with_cache_ttl`](Self::with_cache_ttl), answers (an override or its absence) are kept
/// for that long, so a busy notifier does not read S3 for every email: an edited template then
/// takes effect within the time to live. Failed reads are never kept.
#[derive(Debug, Clone)]
pub struct S3TemplateSource {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    ttl: Duration,
    cache: Arc<Mutex<HashMap<String, Kept>>>,
}

impl S3TemplateSource {
    /// Templates at the root of `bucket`, read on every lookup.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into(), prefix: String::new(), ttl: Duration::ZERO, cache: Arc::default() }
    }

    /// Templates under `prefix` (such as `templates/`) in the bucket.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Keeps each answer for `ttl` ([`Duration::ZERO`], the default, keeps nothing).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    fn cached(&self, key: &str) -> Option<Kept> {
        let cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.get(key).filter(|kept| kept.at.elapsed() < self.ttl).cloned()
    }
}

#[async_trait]
impl TemplateSource for S3TemplateSource {
    async fn get(&self, path: &str) -> PortResult<Option<String>> {
        let key = format!("{}{path}", self.prefix);
        if let Some(kept) = self.cached(&key) {
            return Ok(kept.text);
        }
        let text = match fetch(&self.client, &self.bucket, &key).await? {
            None => None,
            Some(bytes) => Some(String::from_utf8(bytes).map_err(|_| invalid(format!("template {key} is not UTF-8")))?),
        };
        if !self.ttl.is_zero() {
            let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            cache.insert(key, Kept { at: Instant::now(), text: text.clone() });
        }
        Ok(text)
    }
}
