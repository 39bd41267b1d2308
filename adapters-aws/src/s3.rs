//! [`S3DocumentStore`] and [`S3TemplateSource`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use order_ports::{DocumentKey, DocumentStore, PortError, PortResult, TemplateSource};

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

/// Invoices and receipts in one bucket, at the deterministic keys of [`DocumentKey::path`]
/// (`{tenantId}/{orderId}/invoice_{orderId}.pdf`), so a retried job overwrites the same
/// object. `put` is one `PutObject` with SSE-S3 (AES-256) and the content type; `get` is one
/// `GetObject` (a missing key is `NotFound`).
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
    async fn put(&self, key: &DocumentKey, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.path())
            .body(ByteStream::from(bytes))
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await
            .map_err(|e| classify("PutObject", e))?;
        Ok(())
    }

    async fn get(&self, key: &DocumentKey) -> PortResult<Vec<u8>> {
        fetch(&self.client, &self.bucket, &key.path()).await?.ok_or(PortError::NotFound)
    }
}

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
