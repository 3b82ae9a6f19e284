//! The object source: S3 objects opened as streams, and prefix listings for backfills.

use std::future::Future;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use crate::event::ObjectRef;

/// An object opened for reading.
#[derive(Debug)]
pub struct Body {
    /// Content length, when S3 said.
    pub size: Option<u64>,
    /// The bytes, streamed.
    pub stream: ByteStream,
}

/// Why an object could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The object (or version) does not exist: deleted since the notification, or a stale event.
    #[error("object {uri} does not exist (deleted since it was announced?): skipped")]
    NotFound {
        /// The object.
        uri: String,
    },
    /// The function may not read the object.
    #[error("object {uri}: access denied ({detail}): does the function's role allow s3:GetObject on this prefix (and kms:Decrypt for an SSE-KMS bucket)?")]
    Denied {
        /// The object.
        uri: String,
        /// What S3 said.
        detail: String,
    },
    /// Anything else: network, throttling, a 5xx. Worth retrying.
    #[error("object {uri}: {detail}")]
    Other {
        /// The object.
        uri: String,
        /// What went wrong.
        detail: String,
    },
}

impl SourceError {
    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SourceError::Other { .. } | SourceError::Denied { .. })
    }
}

/// Where objects come from.
pub trait ObjectSource: Send + Sync {
    /// Opens `object` for streaming.
    fn open(&self, object: &ObjectRef) -> impl Future<Output = Result<Body, SourceError>> + Send;
}

/// [`ObjectSource`] over the SDK's S3 client.
#[derive(Debug, Clone)]
pub struct S3Source {
    client: aws_sdk_s3::Client,
}

impl S3Source {
    /// A source reading through `client`.
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        S3Source { client }
    }

    /// Every object under `prefix` in `bucket` whose key satisfies `keep`, in key order, with
    /// its size. `start_after` skips keys up to it (CloudTrail keys sort by date).
    pub async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<ObjectRef>, SourceError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_start_after(start_after.map(str::to_owned))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(format!("s3://{bucket}/{prefix}"), &e))?;
            for obj in page.contents() {
                let Some(key) = obj.key() else { continue };
                if keep(key) {
                    out.push(ObjectRef {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                        version_id: None,
                        size: obj.size().and_then(|s| u64::try_from(s).ok()),
                        sequencer: None,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The whole text of a small object (rule files).
    pub async fn get_text(&self, bucket: &str, key: &str) -> Result<String, SourceError> {
        let uri = format!("s3://{bucket}/{key}");
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(uri.clone(), &e))?;
        let bytes = out.body.collect().await.map_err(|e| SourceError::Other {
            uri: uri.clone(),
            detail: e.to_string(),
        })?;
        String::from_utf8(bytes.to_vec()).map_err(|_| SourceError::Other {
            uri,
            detail: "not UTF-8 text".to_owned(),
        })
    }
}

impl ObjectSource for S3Source {
    async fn open(&self, object: &ObjectRef) -> Result<Body, SourceError> {
        let out = self
            .client
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| classify(object.uri(), &e))?;
        Ok(Body {
            size: out.content_length().and_then(|s| u64::try_from(s).ok()),
            stream: out.body,
        })
    }
}

/// Sorts an SDK error into not found / denied / other, by S3's error code.
fn classify<E, R>(uri: String, err: &SdkError<E, R>) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = err
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .unwrap_or("");
    let detail = match err.as_service_error() {
        Some(service) => format!(
            "{}: {}",
            if code.is_empty() { "error" } else { code },
            service.message().unwrap_or("no message")
        ),
        None => format!("{}", aws_sdk_s3::error::DisplayErrorContext(err)),
    };
    match code {
        "NoSuchKey" | "NoSuchVersion" | "NotFound" => SourceError::NotFound { uri },
        "AccessDenied" | "AllAccessDisabled" | "InvalidObjectState" => {
            SourceError::Denied { uri, detail }
        }
        _ => SourceError::Other { uri, detail },
    }
}
