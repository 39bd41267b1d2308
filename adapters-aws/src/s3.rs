//! [`S3DocumentStore`] and [`S3TemplateSource`].

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

/// Email template overrides in a bucket (`customer/order_confirmation.html`, …), under an
/// optional key prefix. One `GetObject` per lookup; a missing key is "no override".
#[derive(Debug, Clone)]
pub struct S3TemplateSource {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

impl S3TemplateSource {
    /// Templates at the root of `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into(), prefix: String::new() }
    }

    /// Templates under `prefix` (such as `templates/`) in the bucket.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }
}

#[async_trait]
impl TemplateSource for S3TemplateSource {
    async fn get(&self, path: &str) -> PortResult<Option<String>> {
        let key = format!("{}{path}", self.prefix);
        match fetch(&self.client, &self.bucket, &key).await? {
            None => Ok(None),
            Some(bytes) => {
                String::from_utf8(bytes).map(Some).map_err(|_| invalid(format!("template {key} is not UTF-8")))
            }
        }
    }
}
