//! CloudTrail log file validation in the Lambda, continuously: each object checked as it arrives,
//! with the state table ([`keytrail_aws::state`]) as the memory between invocations.
//!
//! - **A log object** is hashed while it streams through the scan (by the scan's decompress
//!   thread, see [`keytrail_aws::stream`]); once read to its end (cleanly, or with records that
//!   are not JSON: the hash covers the content all the same) its SHA-256 is recorded
//!   (`log#bucket/key`) and it joins its trail's pending list. When a verified digest listed it
//!   already, the hashes are compared on the spot (a log overwritten after its digest):
//!   [`Integrity::log_read`].
//! - **A digest object** (skipped before) is verified ([`Integrity::check_digest`]): its location
//!   and signature (public keys from `ListPublicKeys`, cached, [`keys`]), its link to the previous
//!   digest (recorded when that one was verified; else read from S3; absent = missing, and the
//!   chain head names any digests deleted before it), and every log file it lists (the hash
//!   recorded when the log was read; a log not read yet is fetched and hashed; absent =
//!   missing). Then it is recorded, its chain's head moves forward, and its logs leave the
//!   pending list.
//! - **The scheduled check** (EventBridge, every 15 minutes; [`sweep`]) reports chains with no
//!   digest for an hour plus `SILENCE_MARGIN_MINUTES`, and pending logs no digest listed although
//!   a digest started `UNLISTED_LOG_GRACE_MINUTES` after them (injected).
//!
//! The checks are keytrail-core's ([`keytrail_core::integrity`]); every problem becomes an alert
//! of a built-in rule ([`alert`]) through the usual publish path. The order notifications arrive
//! in does not matter: whichever of a log and its digest comes second compares the hashes.

pub mod alert;
mod config;
mod digest;
pub mod keys;
mod object;
pub mod sweep;

use std::collections::HashMap;

use aws_sdk_s3::error::DisplayErrorContext;
use keytrail_aws::state::StateTable;
use keytrail_core::integrity::{
    hash_content, read_content, ContentHash, LogName, ObjectRef, Problem, Sha256,
};

pub use config::IntegrityConfig;
pub use object::{digest_object, log_object};
pub use sweep::scheduled_time;

/// The largest digest accepted, uncompressed (an hour of a busy account lists some thousands of
/// log files, ~300 bytes each).
pub const MAX_DIGEST_BYTES: u64 = 64 << 20;

/// What the integrity check needs: the state table, S3 (digests and their metadata, logs not read
/// yet), CloudTrail's public keys.
#[derive(Debug)]
pub struct Integrity {
    /// The settings.
    pub config: IntegrityConfig,
    state: StateTable,
    s3: aws_sdk_s3::Client,
    keys: keys::KeyCache,
    max_log_bytes: u64,
}

/// The check could not be done (the state table, S3 or CloudTrail failed): the object is retried.
#[derive(Debug, thiserror::Error)]
#[error("integrity check: {detail}")]
pub struct IntegrityError {
    /// What failed.
    pub detail: String,
}

impl IntegrityError {
    pub(crate) fn retry(detail: String) -> IntegrityError {
        IntegrityError { detail }
    }
}

impl From<keytrail_aws::state::StateError> for IntegrityError {
    fn from(e: keytrail_aws::state::StateError) -> IntegrityError {
        IntegrityError::retry(e.to_string())
    }
}

/// An object read whole: its body and user metadata (without `x-amz-meta-`).
struct Fetched {
    body: Vec<u8>,
    metadata: HashMap<String, String>,
}

impl Integrity {
    /// The check on `state`, reading with `s3`, keys from `cloudtrail`; log objects are read up to
    /// `max_log_bytes` uncompressed (`MAX_DECOMPRESSED_BYTES`).
    pub fn new(
        config: IntegrityConfig,
        state: StateTable,
        s3: aws_sdk_s3::Client,
        cloudtrail: aws_sdk_cloudtrail::Client,
        max_log_bytes: u64,
    ) -> Integrity {
        Integrity {
            config,
            state,
            s3,
            keys: keys::KeyCache::new(cloudtrail),
            max_log_bytes,
        }
    }

    /// How much of a log object to hash (uncompressed bytes).
    pub fn max_log_bytes(&self) -> u64 {
        self.max_log_bytes
    }

    /// A log object `log` was read to its end and its content hashed to `hash`: records it, and
    /// answers a problem when a verified digest listed it with another hash.
    pub async fn log_read(
        &self,
        log: &LogName,
        hash: ContentHash,
    ) -> Result<Option<Problem>, IntegrityError> {
        let at = log.object();
        let trail = keytrail_aws::state::trail_id(&log.scope);
        let listed = self
            .state
            .record_log(&at, &trail, log.time, hash.sha256, hash.bytes)
            .await?;
        Ok(listed
            .filter(|l| l.hash != hash.sha256)
            .map(|l| Problem::LogFileModified {
                log: at,
                digest: l.digest,
                expected: l.hash.to_hex(),
                found: hash.sha256.to_hex(),
            }))
    }

    /// Reads `at` whole; `None` when it does not exist.
    async fn fetch(&self, at: &ObjectRef) -> Result<Option<Fetched>, IntegrityError> {
        let out = self
            .s3
            .get_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(e) => {
                return Err(IntegrityError::retry(format!(
                    "reading {at}: {}; does the function's role allow s3:GetObject there?",
                    DisplayErrorContext(&e)
                )))
            }
        };
        let metadata = out.metadata().cloned().unwrap_or_default();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| IntegrityError::retry(format!("reading {at}: {e}")))?
            .to_vec();
        Ok(Some(Fetched { body, metadata }))
    }

    /// The uncompressed content of `at` (at most `max` bytes) and its metadata; `None` when it
    /// does not exist. Content that cannot be decompressed is `Err` in the inner result.
    async fn fetch_content(
        &self,
        at: &ObjectRef,
        max: u64,
    ) -> Result<Option<(Result<Vec<u8>, String>, HashMap<String, String>)>, IntegrityError> {
        let Some(fetched) = self.fetch(at).await? else {
            return Ok(None);
        };
        let content = tokio::task::spawn_blocking(move || {
            read_content(&fetched.body[..], max).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| IntegrityError::retry(format!("reading {at}: {e}")))?;
        Ok(Some((content, fetched.metadata)))
    }

    /// The hash of log `at`'s uncompressed content, read now; `None` when it does not exist.
    async fn hash_log(&self, at: &ObjectRef) -> Result<Option<ContentHash>, IntegrityError> {
        let Some(fetched) = self.fetch(at).await? else {
            return Ok(None);
        };
        let max = self.max_log_bytes;
        // A body that does not decompress is not what the digest listed: its raw bytes' hash
        // goes into the comparison, which then fails, naming it modified.
        let hashed = tokio::task::spawn_blocking(move || {
            let body = &fetched.body[..];
            hash_content(body, max).unwrap_or_else(|_| ContentHash {
                sha256: Sha256::of(body),
                bytes: body.len() as u64,
            })
        })
        .await
        .map_err(|e| IntegrityError::retry(format!("hashing {at}: {e}")))?;
        Ok(Some(hashed))
    }
}
