//! A generated CloudTrail bucket with log file validation on: a day of hourly signed digests and
//! the gzipped log files they list, and tampering that plants exactly one kind of problem.
//!
//! # The layout ([`Trail::day`])
//!
//! Bucket `keytrail-integrity-trail`, 2026-06-10, checked as of 00:30 the next day:
//!
//! - Trail `main-trail` (home `us-east-1`) of account `111122223333`, no prefix, three regions
//!   with digests at their own minute past each hour: `us-east-1` (`:17:28`, 24 digests, one
//!   backfill digest `..._20260610T061728Z_backfill.json.gz` listing the 06:05 log file its
//!   original digest left out, and one log file delivered after the last digest, not yet due),
//!   `eu-west-1` (`:21:03`; logging stops at 11:00, its last digest ends 11:21:03; logging
//!   restarts at 14:05:10 and the next digest, ending 15:05:10, has no previous), and
//!   `ap-northeast-1` (`:09:55`).
//! - Organization trail `org-trail` (home `us-east-1`) under prefix `org`:
//!   `org/AWSLogs/o-exampleorg1/444455556666/...`, `us-east-1`, at `:42:10`.
//! - Log files at :05 and :35 of each hour of logging, delivered 4 minutes later, two records
//!   each; each digest lists the log files delivered in its hour.
//!
//! Digests are signed like CloudTrail's (the custom-validation page's signing string,
//! RSASSA-PKCS1-v1_5 SHA-256, hex in `x-amz-meta-signature`) with the committed TEST-ONLY key
//! `A` for every region (CloudTrail has one key pair per region; one key is enough here), or `B`
//! after [`TrailSpec::rotate_key_at`]. Signing, key names and JSON are written here, not taken
//! from keytrail-core, so that a mistake in the verifier cannot cancel out.
//!
//! Each tamper method ([`Trail::modify_log_byte`], ...) changes the bucket as an attacker would
//! and returns the [`Problem`]s a verifier must report for it, no more and no fewer.
//!
//! [`Trail::upload`] puts it into an S3 bucket (moto) with the signature metadata;
//! [`Trail::write_dir`] writes it as `aws s3 sync` would (bodies only, no metadata);
//! [`Trail::digest_objects`] and [`Trail::log_inventory`] hand it to keytrail-core directly;
//! [`Trail::key_entries`] is what `ListPublicKeys` returns ([`crate::CloudTrailKeys`] serves it).

mod build;
mod chain;
mod content;
mod sign;
mod tamper;

use std::collections::BTreeMap;
use std::path::Path;

use keytrail_core::integrity::{
    DigestObject, LogInventory, ObjectRef, Problem, PublicKey, PublicKeys, Sha256, Timestamp,
    WalkOptions,
};

pub use sign::TestKey;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailSpec {
    /// The bucket.
    pub bucket: String,
    /// Midnight UTC of the day.
    pub day: Timestamp,
    /// Digests ending at or after this are signed with key `B` instead of `A`.
    pub rotate_key_at: Option<Timestamp>,
}

impl Default for TrailSpec {
    fn default() -> Self {
        TrailSpec {
            bucket: "keytrail-integrity-trail".to_owned(),
            day: Timestamp::parse("2026-06-10T00:00:00Z").expect("a valid time"),
            rotate_key_at: None,
        }
    }
}

/// One object of the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailObject {
    /// The uncompressed content.
    pub content: Vec<u8>,
    /// The stored body: `content` gzipped.
    pub body: Vec<u8>,
    /// User metadata, without the `x-amz-meta-` prefix (`signature`, `signature-algorithm`,
    /// `backfill-generation-timestamp`).
    pub metadata: BTreeMap<String, String>,
}

/// A `ListPublicKeys` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// `Value`: DER, PKCS#1 `RSAPublicKey`.
    pub der: Vec<u8>,
    /// `ValidityStartTime`.
    pub valid_from: Timestamp,
    /// `ValidityEndTime`.
    pub valid_until: Timestamp,
    /// `Fingerprint`: hex MD5 of the DER.
    pub fingerprint: String,
}

/// A digest as generated.
#[derive(Debug, Clone)]
struct GenDigest {
    fields: content::DigestFields,
    chain: usize,
    signed_by: TestKey,
    backfill: bool,
}

/// The generated bucket; see the module docs.
#[derive(Debug, Clone)]
pub struct Trail {
    /// The bucket name.
    pub bucket: String,
    /// The objects, by key.
    pub objects: BTreeMap<String, TrailObject>,
    /// The start of the day the digests cover.
    pub since: Timestamp,
    /// The time of the check: 00:30 after the day.
    pub as_of: Timestamp,
    keys: Vec<ListedKey>,
    digests: Vec<GenDigest>,
}

impl Trail {
    /// The day described in the module docs.
    pub fn day() -> Trail {
        Trail::generate(&TrailSpec::default())
    }

    /// A day as `spec` says.
    pub fn generate(spec: &TrailSpec) -> Trail {
        build::generate(spec)
    }

    /// What `ListPublicKeys` returns for the day.
    pub fn key_entries(&self) -> Vec<ListedKey> {
        self.keys.clone()
    }

    /// The public keys, as keytrail-core takes them.
    pub fn public_keys(&self) -> PublicKeys {
        self.keys
            .iter()
            .map(|k| {
                PublicKey::from_list_entry(
                    &k.der,
                    Some(k.valid_from),
                    Some(k.valid_until),
                    &k.fingerprint,
                )
                .expect("a generated key is a valid ListPublicKeys entry")
            })
            .collect()
    }

    /// Every digest object as a verifier reads it: location, uncompressed content, signature
    /// metadata.
    pub fn digest_objects(&self) -> Vec<DigestObject> {
        self.objects
            .iter()
            .filter(|(key, _)| key.contains("/CloudTrail-Digest/"))
            .map(|(key, object)| DigestObject {
                location: ObjectRef::new(self.bucket.clone(), key.clone()),
                content: object.content.clone(),
                signature: object.metadata.get("signature").cloned(),
                signature_algorithm: object.metadata.get("signature-algorithm").cloned(),
            })
            .collect()
    }

    /// Every log object, read and hashed, as a verifier finds them.
    pub fn log_inventory(&self) -> LogInventory {
        let mut logs = LogInventory::new();
        for (key, object) in self
            .objects
            .iter()
            .filter(|(key, _)| key.contains("/CloudTrail/"))
        {
            let hash: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, &object.content)
                .as_ref()
                .try_into()
                .expect("SHA-256 is 32 bytes");
            logs.insert(
                ObjectRef::new(self.bucket.clone(), key.clone()),
                Some(Sha256::from(hash)),
            );
        }
        logs
    }

    /// The walk options of the day: since midnight, as of [`Trail::as_of`].
    pub fn walk_options(&self) -> WalkOptions {
        WalkOptions {
            as_of: Some(self.as_of),
            since: Some(self.since),
            ..WalkOptions::default()
        }
    }

    /// Keys of the digests signed with `key`.
    pub fn digests_signed_by(&self, key: TestKey) -> Vec<ObjectRef> {
        self.digests
            .iter()
            .filter(|d| d.signed_by == key)
            .map(|d| ObjectRef::new(self.bucket.clone(), d.fields.key.clone()))
            .collect()
    }

    /// Writes the bodies under `dir` at their keys, as `aws s3 sync` would (no metadata).
    pub fn write_dir(&self, dir: &Path) {
        for (key, object) in &self.objects {
            let path = dir.join(key);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
            }
            std::fs::write(&path, &object.body)
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        }
    }

    /// Creates the bucket (if needed) and puts every object with its metadata.
    pub async fn upload(&self, s3: &aws_sdk_s3::Client) {
        if s3.head_bucket().bucket(&self.bucket).send().await.is_err() {
            s3.create_bucket()
                .bucket(&self.bucket)
                .send()
                .await
                .unwrap_or_else(|e| panic!("creating bucket {}: {e:?}", self.bucket));
        }
        for (key, object) in &self.objects {
            let mut put = s3
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type("application/json")
                .content_encoding("gzip")
                .body(object.body.clone().into());
            for (name, value) in &object.metadata {
                put = put.metadata(name, value);
            }
            put.send()
                .await
                .unwrap_or_else(|e| panic!("putting s3://{}/{key}: {e:?}", self.bucket));
        }
    }

    fn object(&self, key: &str) -> ObjectRef {
        ObjectRef::new(self.bucket.clone(), key.to_owned())
    }

    /// Stores `content` gzipped at `key` with `metadata`.
    fn put(&mut self, key: &str, content: Vec<u8>, metadata: BTreeMap<String, String>) {
        let body = content::gzip(&content);
        self.objects.insert(
            key.to_owned(),
            TrailObject {
                content,
                body,
                metadata,
            },
        );
    }

    fn remove(&mut self, key: &str) -> TrailObject {
        self.objects
            .remove(key)
            .unwrap_or_else(|| panic!("no object {key} in the generated trail"))
    }
}

/// Sorts problems as reports do, so that tests compare lists.
pub fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    Problem::sort(&mut problems);
    problems
}
