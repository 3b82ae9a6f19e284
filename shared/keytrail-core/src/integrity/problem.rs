//! What a check found wrong: one [`Problem`] per finding, naming the object, what was expected and
//! what was found, and what to check. The same value is a CLI line (`Display`), a JSONL record
//! (`Serialize`, with a stable `kind`) and, in the Lambda, an integrity alert.

use std::fmt;

use serde::{Serialize, Serializer};

use super::time::Timestamp;
use crate::Severity;

/// An S3 object, as `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// The bucket.
    pub bucket: String,
    /// The key (decoded, not URL-encoded).
    pub key: String,
}

impl ObjectRef {
    /// The object `key` in `bucket`.
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> ObjectRef {
        ObjectRef {
            bucket: bucket.into(),
            key: key.into(),
        }
    }
}

/// `s3://bucket/key`, with control characters escaped: keys and bucket names come from digests,
/// which an attacker may have written, and this text reaches terminals and alerts.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("s3://")?;
        for c in self.bucket.chars().chain(['/']).chain(self.key.chars()) {
            if c.is_control() {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why a link from a digest to the previous digest it names does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMismatch {
    /// The previous digest's signature (its `x-amz-meta-signature`) is not the one recorded.
    Signature,
    /// The previous digest's content does not hash to the recorded `previousDigestHashValue`.
    ContentHash,
}

/// One integrity finding. `Display` is the one-line report: what, which object, why, what to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The object is not a readable CloudTrail digest (not JSON, a field missing or malformed).
    #[error(
        "digest {digest} is unreadable: {reason}; the log files of its hour cannot be verified"
    )]
    DigestUnreadable {
        /// Where the digest was read.
        digest: ObjectRef,
        /// What is wrong with it.
        reason: String,
    },
    /// The digest object has no `x-amz-meta-signature` (or no `-algorithm`) metadata.
    #[error(
        "digest {digest} has no signature metadata (x-amz-meta-signature): was it copied or \
         re-uploaded? a local copy (aws s3 sync) drops metadata: verify in the bucket"
    )]
    SignatureMissing {
        /// The digest.
        digest: ObjectRef,
    },
    /// The digest is signed with an algorithm other than `SHA256withRSA`.
    #[error("digest {digest} uses signature algorithm {algorithm:?}; CloudTrail signs with SHA256withRSA: treat it as forged")]
    SignatureAlgorithmUnsupported {
        /// The digest.
        digest: ObjectRef,
        /// The algorithm it names.
        algorithm: String,
    },
    /// No known public key has the digest's `digestPublicKeyFingerprint`.
    #[error(
        "digest {digest} is signed by a key with fingerprint {fingerprint} that CloudTrail's \
         ListPublicKeys does not return for its region and time: it cannot be verified; \
         a forged digest names a key of its own"
    )]
    PublicKeyUnknown {
        /// The digest.
        digest: ObjectRef,
        /// The fingerprint it names.
        fingerprint: String,
    },
    /// The signature does not verify: the digest was altered or forged.
    #[error(
        "digest {digest}: signature does not verify with public key {fingerprint}: the digest \
         was altered or forged after delivery; its log files cannot be trusted"
    )]
    SignatureInvalid {
        /// The digest.
        digest: ObjectRef,
        /// The key it was checked with.
        fingerprint: String,
    },
    /// The digest names another location than the one it was read from.
    #[error(
        "digest {digest} was moved or copied: it names itself {named}; check who wrote it there"
    )]
    DigestMoved {
        /// Where it was read.
        digest: ObjectRef,
        /// Where it says it belongs.
        named: ObjectRef,
    },
    /// The previous digest exists but is not the one this digest recorded.
    #[error(
        "chain broken at {digest}: the previous digest {previous} has {mismatch} {}, this \
         digest recorded {}: the previous digest was replaced or re-signed",
        short(.found),
        short(.expected)
    )]
    ChainBroken {
        /// The digest whose link does not hold.
        digest: ObjectRef,
        /// The previous digest it names.
        previous: ObjectRef,
        /// What differs.
        mismatch: LinkMismatch,
        /// What `digest` recorded (hex).
        expected: String,
        /// What `previous` has (hex; `none` without signature metadata).
        found: String,
    },
    /// A digest that must exist does not: named as previous by `named_by`, or (when `named_by`
    /// is empty) inferred from an hour with no digest between two digests of one chain, which
    /// `aws cloudtrail validate-logs` does not report.
    #[error("{}", missing_text(.missing, .named_by.as_ref(), *.start, *.end))]
    DigestMissing {
        /// The digest's key (predicted from its neighbours when inferred).
        missing: ObjectRef,
        /// The digest that names it as previous.
        named_by: Option<ObjectRef>,
        /// Start of the hour it covered.
        start: Timestamp,
        /// End of the hour it covered.
        end: Timestamp,
    },
    /// A listed log file's uncompressed content does not hash to what the digest recorded.
    #[error(
        "log file {log} was modified after delivery: SHA-256 of its uncompressed content is \
         {found}, digest {digest} recorded {expected}"
    )]
    LogFileModified {
        /// The log file.
        log: ObjectRef,
        /// The digest that lists it.
        digest: ObjectRef,
        /// The recorded hash (hex).
        expected: String,
        /// The hash of what is there now (hex).
        found: String,
    },
    /// A listed log file does not exist.
    #[error("log file {log} is missing: digest {digest} lists it; it was deleted (check versions and the bucket's lifecycle rules)")]
    LogFileMissing {
        /// The log file.
        log: ObjectRef,
        /// The digest that lists it.
        digest: ObjectRef,
    },
    /// A log object that no digest lists although the digest of its hour was delivered.
    #[error(
        "log file {log} is not listed in any digest although its hour's digest was delivered: \
         it was not delivered by CloudTrail (injected), unless log file validation was off then"
    )]
    LogFileUnlisted {
        /// The log object.
        log: ObjectRef,
    },
    /// No digest for more than an hour plus the margin after the last one.
    #[error(
        "trail silent: no digest after {last_digest} (ended {last_end}) as of {as_of}: \
         logging was stopped, delivery fails, or digests are being deleted"
    )]
    TrailSilent {
        /// The newest digest of the chain.
        last_digest: ObjectRef,
        /// Its `digestEndTime`.
        last_end: Timestamp,
        /// The time of the check.
        as_of: Timestamp,
    },
}

/// The first 16 characters of a long hex value, for one-line reports (JSON keeps it whole).
fn short(hex: &str) -> String {
    match hex.char_indices().nth(16) {
        Some((at, _)) => format!("{}…", &hex[..at]),
        None => hex.to_owned(),
    }
}

fn missing_text(
    missing: &ObjectRef,
    named_by: Option<&ObjectRef>,
    start: Timestamp,
    end: Timestamp,
) -> String {
    let why = match named_by {
        Some(by) => format!("{by} names it as the previous digest"),
        None => format!("no digest covers {start} to {end} between two digests of its chain"),
    };
    format!("digest {missing} is missing: {why}; it was deleted, and the log files of that hour cannot be verified")
}

impl fmt::Display for LinkMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkMismatch::Signature => "signature",
            LinkMismatch::ContentHash => "content SHA-256",
        })
    }
}

impl Problem {
    /// The stable snake_case name (`kind` in JSON): `digest_missing`, `log_file_modified`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::DigestUnreadable { .. } => "digest_unreadable",
            Problem::SignatureMissing { .. } => "signature_missing",
            Problem::SignatureAlgorithmUnsupported { .. } => "signature_algorithm_unsupported",
            Problem::PublicKeyUnknown { .. } => "public_key_unknown",
            Problem::SignatureInvalid { .. } => "signature_invalid",
            Problem::DigestMoved { .. } => "digest_moved",
            Problem::ChainBroken { .. } => "chain_broken",
            Problem::DigestMissing { .. } => "digest_missing",
            Problem::LogFileModified { .. } => "log_file_modified",
            Problem::LogFileMissing { .. } => "log_file_missing",
            Problem::LogFileUnlisted { .. } => "log_file_unlisted",
            Problem::TrailSilent { .. } => "trail_silent",
        }
    }

    /// The object the problem is about (the digest, the log file, the missing key).
    pub fn object(&self) -> &ObjectRef {
        match self {
            Problem::DigestUnreadable { digest, .. }
            | Problem::SignatureMissing { digest }
            | Problem::SignatureAlgorithmUnsupported { digest, .. }
            | Problem::PublicKeyUnknown { digest, .. }
            | Problem::SignatureInvalid { digest, .. }
            | Problem::DigestMoved { digest, .. }
            | Problem::ChainBroken { digest, .. } => digest,
            Problem::DigestMissing { missing, .. } => missing,
            Problem::LogFileModified { log, .. }
            | Problem::LogFileMissing { log, .. }
            | Problem::LogFileUnlisted { log } => log,
            Problem::TrailSilent { last_digest, .. } => last_digest,
        }
    }

    /// How urgent it is: tampered or missing evidence is critical; a broken, silent or rewritten
    /// chain high (CloudTrail always writes readable, signed digests); a key keytrail cannot
    /// look up medium.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::LogFileModified { .. }
            | Problem::LogFileMissing { .. }
            | Problem::SignatureInvalid { .. }
            | Problem::SignatureAlgorithmUnsupported { .. } => Severity::Critical,
            Problem::DigestMoved { .. }
            | Problem::ChainBroken { .. }
            | Problem::DigestMissing { .. }
            | Problem::LogFileUnlisted { .. }
            | Problem::TrailSilent { .. }
            | Problem::SignatureMissing { .. }
            | Problem::DigestUnreadable { .. } => Severity::High,
            Problem::PublicKeyUnknown { .. } => Severity::Medium,
        }
    }

    /// Orders problems by object, then kind: reports and tests list them in this order.
    pub fn sort(problems: &mut [Problem]) {
        problems.sort_by(|a, b| (a.object(), a.kind()).cmp(&(b.object(), b.kind())));
    }
}
