//! The digest file: its JSON, read strictly into a [`Digest`], and the data-signing string.

use serde::{Deserialize, Deserializer};

use super::hash::{unhex, Sha256};
use super::problem::ObjectRef;
use super::time::Timestamp;

/// The one signature algorithm CloudTrail uses (`digestSignatureAlgorithm`, and the object's
/// `x-amz-meta-signature-algorithm`).
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";
/// The one hash algorithm CloudTrail uses for log files and previous digests.
pub const HASH_ALGORITHM: &str = "SHA-256";

/// Why bytes are not a CloudTrail digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// Not JSON, or a required field missing or of the wrong type.
    #[error("not a CloudTrail digest: {0}")]
    Json(String),
    /// A time field that is not `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("field {field} is not a UTC time ({value:?})")]
    Time {
        /// The field.
        field: &'static str,
        /// Its value (at most 40 characters).
        value: String,
    },
    /// A hex field that is not hex, or not as long as it must be.
    #[error("field {field} is not {what} ({value:?})")]
    Hex {
        /// The field.
        field: String,
        /// What it must be.
        what: &'static str,
        /// Its value (at most 40 characters).
        value: String,
    },
    /// Some `previousDigest*` fields set, others null.
    #[error("the previousDigest fields are set only in part: bucket, object and signature must all be set, or all null")]
    PartialPrevious,
    /// A log file hashed with another algorithm than SHA-256.
    #[error("log file entry {index} is hashed with {algorithm:?}: CloudTrail uses SHA-256")]
    HashAlgorithm {
        /// Its position in `logFiles`.
        index: usize,
        /// The algorithm it names.
        algorithm: String,
    },
}

/// The previous digest a digest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousDigest {
    /// `previousDigestS3Bucket` / `previousDigestS3Object`.
    pub location: ObjectRef,
    /// `previousDigestSignature`, verbatim (hex): it is part of the signing string.
    pub signature: String,
    /// `previousDigestHashValue`: SHA-256 of the previous digest's uncompressed content.
    pub hash: Option<Sha256>,
}

/// One entry of `logFiles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// `s3Bucket` / `s3Object`.
    pub location: ObjectRef,
    /// `hashValue`: SHA-256 of the log file's uncompressed content.
    pub hash: Sha256,
    /// `newestEventTime` (also the time in the log file's name).
    pub newest_event: Option<Timestamp>,
    /// `oldestEventTime`.
    pub oldest_event: Option<Timestamp>,
}

/// A parsed digest file, with the SHA-256 of the bytes it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// `awsAccountId`.
    pub account: String,
    /// `digestStartTime`: log files delivered from here...
    pub start: Timestamp,
    /// `digestEndTime`: ...to here are listed.
    pub end: Timestamp,
    /// `digestEndTime` verbatim, as the signing string takes it.
    pub end_text: String,
    /// `digestS3Bucket` / `digestS3Object`: where the digest says it was delivered.
    pub location: ObjectRef,
    /// `digestPublicKeyFingerprint` (lowercase hex MD5 of the public key's DER).
    pub fingerprint: String,
    /// `digestSignatureAlgorithm`.
    pub algorithm: String,
    /// The previous digest; `None` in the first digest after logging or validation (re)starts.
    pub previous: Option<PreviousDigest>,
    /// `logFiles`.
    pub log_files: Vec<LogFile>,
    /// SHA-256 of the uncompressed digest file.
    pub content_hash: Sha256,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDigest {
    aws_account_id: String,
    digest_start_time: String,
    digest_end_time: String,
    digest_s3_bucket: String,
    digest_s3_object: String,
    digest_public_key_fingerprint: String,
    digest_signature_algorithm: String,
    #[serde(default)]
    previous_digest_s3_bucket: Option<String>,
    #[serde(default)]
    previous_digest_s3_object: Option<String>,
    #[serde(default)]
    previous_digest_hash_value: Option<String>,
    // Present in every digest, null in a starting one (`aws cloudtrail validate-logs` requires it).
    #[serde(deserialize_with = "nullable")]
    previous_digest_signature: Option<String>,
    log_files: Vec<RawLogFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogFile {
    s3_bucket: String,
    s3_object: String,
    hash_value: String,
    hash_algorithm: String,
    #[serde(default)]
    newest_event_time: Option<String>,
    #[serde(default)]
    oldest_event_time: Option<String>,
}

fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

fn time(field: &'static str, value: &str) -> Result<Timestamp, DigestError> {
    Timestamp::parse(value).ok_or_else(|| DigestError::Time {
        field,
        value: clip(value),
    })
}

fn sha256(field: String, value: &str) -> Result<Sha256, DigestError> {
    value.parse().map_err(|_| DigestError::Hex {
        field,
        what: "a SHA-256 value (64 hex digits)",
        value: clip(value),
    })
}

fn optional_time(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<Timestamp>, DigestError> {
    value.map(|v| time(field, v)).transpose()
}

impl Digest {
    /// Parses a digest file's uncompressed bytes.
    pub fn parse(content: &[u8]) -> Result<Digest, DigestError> {
        let raw: RawDigest =
            serde_json::from_slice(content).map_err(|e| DigestError::Json(e.to_string()))?;
        let fingerprint = raw.digest_public_key_fingerprint.to_ascii_lowercase();
        if fingerprint.len() != 32 || unhex(&fingerprint).is_none() {
            return Err(DigestError::Hex {
                field: "digestPublicKeyFingerprint".to_owned(),
                what: "an MD5 fingerprint (32 hex digits)",
                value: clip(&fingerprint),
            });
        }
        let previous = match (
            raw.previous_digest_s3_bucket,
            raw.previous_digest_s3_object,
            raw.previous_digest_signature,
        ) {
            (None, None, None) => None,
            (Some(bucket), Some(key), Some(signature)) => {
                if unhex(&signature).is_none_or(|s| s.is_empty()) {
                    return Err(DigestError::Hex {
                        field: "previousDigestSignature".to_owned(),
                        what: "a hex signature",
                        value: clip(&signature),
                    });
                }
                let hash = raw.previous_digest_hash_value.as_deref();
                let hash = hash
                    .map(|h| sha256("previousDigestHashValue".to_owned(), h))
                    .transpose()?;
                Some(PreviousDigest {
                    location: ObjectRef::new(bucket, key),
                    signature,
                    hash,
                })
            }
            _ => return Err(DigestError::PartialPrevious),
        };
        let log_files = raw
            .log_files
            .into_iter()
            .enumerate()
            .map(|(index, log)| {
                if log.hash_algorithm != HASH_ALGORITHM {
                    return Err(DigestError::HashAlgorithm {
                        index,
                        algorithm: clip(&log.hash_algorithm),
                    });
                }
                Ok(LogFile {
                    hash: sha256(format!("logFiles[{index}].hashValue"), &log.hash_value)?,
                    location: ObjectRef::new(log.s3_bucket, log.s3_object),
                    newest_event: optional_time(
                        "logFiles.newestEventTime",
                        log.newest_event_time.as_deref(),
                    )?,
                    oldest_event: optional_time(
                        "logFiles.oldestEventTime",
                        log.oldest_event_time.as_deref(),
                    )?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Digest {
            account: raw.aws_account_id,
            start: time("digestStartTime", &raw.digest_start_time)?,
            end: time("digestEndTime", &raw.digest_end_time)?,
            end_text: raw.digest_end_time,
            location: ObjectRef::new(raw.digest_s3_bucket, raw.digest_s3_object),
            fingerprint,
            algorithm: raw.digest_signature_algorithm,
            previous,
            log_files,
            content_hash: Sha256::of(content),
        })
    }

    /// The data-signing string CloudTrail signs (the custom-validation page's
    /// `Data_To_Sign_String`): `digestEndTime`, `digestS3Bucket/digestS3Object`, the hex SHA-256
    /// of this digest's uncompressed content, and `previousDigestSignature`, joined by `\n`;
    /// `null` when there is no previous digest (as `aws cloudtrail validate-logs`, matching
    /// AWS's Java implementation). The fields are this digest's own, verbatim: whether the
    /// previous signature is the previous digest's real one is the chain check's question.
    pub fn signing_string(&self) -> String {
        let previous = self
            .previous
            .as_ref()
            .map_or("null", |p| p.signature.as_str());
        format!(
            "{}\n{}/{}\n{}\n{}",
            self.end_text,
            self.location.bucket,
            self.location.key,
            self.content_hash.to_hex(),
            previous
        )
    }
}
