//! Reading the bucket: listing, digest objects with their signature metadata, log objects
//! hashed as they stream (each read once, gunzipped on the fly into SHA-256, never held whole),
//! and the signature of a previous digest before the range (`HeadObject`).
//!
//! Every call answers either what it found or a [`Unchecked`] that names the object and says
//! why it could not be read: such an object is neither valid nor a problem, and the exit status
//! says the check is incomplete.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use keytrail_aws::event::ObjectRef as S3Object;
use keytrail_aws::s3::S3Source;
use keytrail_core::integrity::{DigestObject, LogHasher, ObjectRef, Sha256};

use super::decode::{bytes_of, hash_of, Decode, Out, MAX_LOG_BYTES};

/// The largest digest read (uncompressed): CloudTrail's are a few KB to a few MB.
const MAX_DIGEST_BYTES: u64 = 256 << 20;

/// An object that could not be read: it was not checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}: could not be read ({why}); it was not checked")]
pub struct Unchecked {
    /// The object.
    pub object: ObjectRef,
    /// What S3 (or the gzip reader) said.
    pub why: String,
}

/// The bucket, through the SDK.
#[derive(Debug, Clone)]
pub struct Bucket {
    client: Client,
}

impl Bucket {
    /// Reads through `client`.
    pub fn new(client: Client) -> Bucket {
        Bucket { client }
    }

    /// The keys under `prefix` that `keep` accepts.
    pub async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> anyhow::Result<Vec<String>> {
        let objects = S3Source::new(self.client.clone())
            .list(bucket, prefix, None, keep)
            .await?;
        Ok(objects.into_iter().map(|o: S3Object| o.key).collect())
    }

    /// A digest object: its content (gunzipped; as stored when it is not gzip, so that the check
    /// calls it unreadable) and its signature metadata. `Ok(None)` when it does not exist.
    pub async fn digest(&self, at: &ObjectRef) -> Result<Option<DigestObject>, Unchecked> {
        let fail = |why: String| Unchecked {
            object: at.clone(),
            why,
        };
        let got = self
            .client
            .get_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .send()
            .await;
        let out = match got {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(fail(DisplayErrorContext(e).to_string())),
        };
        let meta = |name: &str| out.metadata().and_then(|m| m.get(name)).cloned();
        let (signature, signature_algorithm) = (meta("signature"), meta("signature-algorithm"));
        let content = read(out.body, Out::Bytes(Vec::new()), MAX_DIGEST_BYTES)
            .await
            .map_err(fail)?;
        Ok(Some(DigestObject {
            location: at.clone(),
            content: bytes_of(content),
            signature,
            signature_algorithm,
        }))
    }

    /// SHA-256 of a log object's uncompressed content, streamed; `Ok(None)` when it does not
    /// exist.
    pub async fn hash_log(&self, at: &ObjectRef) -> Result<Option<Sha256>, Unchecked> {
        let fail = |why: String| Unchecked {
            object: at.clone(),
            why,
        };
        let got = self
            .client
            .get_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .send()
            .await;
        let body = match got {
            Ok(out) => out.body,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(fail(DisplayErrorContext(e).to_string())),
        };
        let out = read(body, Out::Hash(Box::new(LogHasher::new())), MAX_LOG_BYTES)
            .await
            .map_err(fail)?;
        Ok(Some(hash_of(out)))
    }

    /// The `x-amz-meta-signature` of a digest: `Ok(None)` when the object does not exist,
    /// `Ok(Some(None))` when it has no signature.
    pub async fn signature(&self, at: &ObjectRef) -> Result<Option<Option<String>>, Unchecked> {
        let got = self
            .client
            .head_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .send()
            .await;
        match got {
            Ok(out) => Ok(Some(
                out.metadata().and_then(|m| m.get("signature")).cloned(),
            )),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(Unchecked {
                object: at.clone(),
                why: DisplayErrorContext(e).to_string(),
            }),
        }
    }
}

/// Streams `body` through the decoder into `out`.
async fn read(mut body: ByteStream, out: Out, max: u64) -> Result<Out, String> {
    let mut decode = Decode::new(out, max);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        decode.update(&chunk).map_err(|e| e.to_string())?;
    }
    decode.finish().map_err(|e| e.to_string())
}
