//! The checks on one object at a time, in the order AWS's custom-validation steps give them:
//! location, then signature, then the link to the previous digest, then each listed log file.
//! The Lambda calls them one digest per invocation with state from its table; the chain walker
//! ([`super::walk`]) calls them over a date range.

use super::digest::{Digest, LogFile, PreviousDigest, SIGNATURE_ALGORITHM};
use super::hash::{unhex, Sha256};
use super::keys::PublicKeys;
use super::names::DigestName;
use super::problem::{LinkMismatch, ObjectRef, Problem};
use super::time::{Timestamp, HOUR};

/// A digest object as read from S3: where it was, its uncompressed bytes, and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestObject {
    /// Where it was read.
    pub location: ObjectRef,
    /// The uncompressed content (the caller gunzips, with a size cap).
    pub content: Vec<u8>,
    /// `x-amz-meta-signature` (hex), when the object has it.
    pub signature: Option<String>,
    /// `x-amz-meta-signature-algorithm`, when the object has it.
    pub signature_algorithm: Option<String>,
}

/// Parses a digest object and checks its location and signature: the digest, or the first
/// problem (its log files and link are not worth checking then).
pub fn verify_digest(object: &DigestObject, keys: &PublicKeys) -> Result<Digest, Problem> {
    let digest = Digest::parse(&object.content).map_err(|e| Problem::DigestUnreadable {
        digest: object.location.clone(),
        reason: e.to_string(),
    })?;
    check_location(&digest, &object.location)?;
    verify_signature(
        &digest,
        object.signature.as_deref(),
        object.signature_algorithm.as_deref(),
        keys,
    )?;
    Ok(digest)
}

/// The digest names the bucket and key it was read from (`digestS3Bucket`/`digestS3Object`).
pub fn check_location(digest: &Digest, actual: &ObjectRef) -> Result<(), Problem> {
    if &digest.location == actual {
        return Ok(());
    }
    Err(Problem::DigestMoved {
        digest: actual.clone(),
        named: digest.location.clone(),
    })
}

/// The signature from the object's metadata (hex) verifies the digest's signing string with the
/// public key its fingerprint names.
pub fn verify_signature(
    digest: &Digest,
    signature: Option<&str>,
    algorithm: Option<&str>,
    keys: &PublicKeys,
) -> Result<(), Problem> {
    let at = || digest.location.clone();
    let (Some(signature), Some(algorithm)) = (signature, algorithm) else {
        return Err(Problem::SignatureMissing { digest: at() });
    };
    for named in [algorithm, digest.algorithm.as_str()] {
        if named != SIGNATURE_ALGORITHM {
            return Err(Problem::SignatureAlgorithmUnsupported {
                digest: at(),
                algorithm: named.chars().take(40).collect(),
            });
        }
    }
    let Some(key) = keys.get(&digest.fingerprint) else {
        return Err(Problem::PublicKeyUnknown {
            digest: at(),
            fingerprint: digest.fingerprint.clone(),
        });
    };
    let valid =
        unhex(signature).is_some_and(|sig| key.verifies(digest.signing_string().as_bytes(), &sig));
    if valid {
        Ok(())
    } else {
        Err(Problem::SignatureInvalid {
            digest: at(),
            fingerprint: digest.fingerprint.clone(),
        })
    }
}

/// What is known of the previous digest a link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTarget<'a> {
    /// Its `x-amz-meta-signature` (hex), `None` when it has none.
    pub signature: Option<&'a str>,
    /// SHA-256 of its uncompressed content, when it was read.
    pub content_hash: Option<Sha256>,
}

/// The previous digest `digest` names exists and is the one it recorded: same signature and, when
/// both are known, same content hash. `previous` is `None` when it does not exist. A digest with
/// no previous (the first after logging starts) passes.
pub fn check_link(digest: &Digest, previous: Option<LinkTarget<'_>>) -> Result<(), Problem> {
    match &digest.previous {
        Some(link) => link_holds(&digest.location, digest.start, link, previous),
        None => Ok(()),
    }
}

/// [`check_link`] for the link `link` of the digest at `at` starting at `start`.
pub(crate) fn link_holds(
    at: &ObjectRef,
    start: Timestamp,
    link: &PreviousDigest,
    previous: Option<LinkTarget<'_>>,
) -> Result<(), Problem> {
    let Some(target) = previous else {
        return Err(Problem::DigestMissing {
            missing: link.location.clone(),
            named_by: Some(at.clone()),
            start: start.plus(-HOUR),
            end: start,
        });
    };
    let broken = |mismatch, expected: String, found: String| Problem::ChainBroken {
        digest: at.clone(),
        previous: link.location.clone(),
        mismatch,
        expected,
        found,
    };
    let same = target
        .signature
        .and_then(unhex)
        .is_some_and(|found| unhex(&link.signature).is_some_and(|want| want == found));
    if !same {
        let found = target
            .signature
            .map_or_else(|| "none".to_owned(), |s| s.chars().take(1024).collect());
        return Err(broken(
            LinkMismatch::Signature,
            link.signature.clone(),
            found,
        ));
    }
    match (link.hash, target.content_hash) {
        (Some(want), Some(found)) if want != found => Err(broken(
            LinkMismatch::ContentHash,
            want.to_hex(),
            found.to_hex(),
        )),
        _ => Ok(()),
    }
}

/// What was found where a digest lists a log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogState {
    /// It exists; SHA-256 of its uncompressed content.
    Hashed(Sha256),
    /// It does not exist.
    Missing,
}

/// A log file the digest at `digest` lists is there and unchanged.
pub fn check_log(digest: &ObjectRef, entry: &LogFile, found: LogState) -> Result<(), Problem> {
    match found {
        LogState::Hashed(hash) if hash == entry.hash => Ok(()),
        LogState::Hashed(hash) => Err(Problem::LogFileModified {
            log: entry.location.clone(),
            digest: digest.clone(),
            expected: entry.hash.to_hex(),
            found: hash.to_hex(),
        }),
        LogState::Missing => Err(Problem::LogFileMissing {
            log: entry.location.clone(),
            digest: digest.clone(),
        }),
    }
}

/// A chain whose newest digest ended at `last_end` is silent at `as_of` when no digest came within
/// the hour after it plus `margin` seconds.
pub fn check_silence(
    last_digest: &ObjectRef,
    last_end: Timestamp,
    as_of: Timestamp,
    margin: i64,
) -> Result<(), Problem> {
    if as_of.since(last_end) <= HOUR + margin {
        return Ok(());
    }
    Err(Problem::TrailSilent {
        last_digest: last_digest.clone(),
        last_end,
        as_of,
    })
}

/// How far a digest's end may drift from its chain's hourly cadence (seconds).
pub(crate) const CADENCE_TOLERANCE: i64 = 120;

/// The digests missing between `last`, the newest digest of a chain known before a missing one,
/// and that missing one, which ended at `missing_end` (the `digestStartTime` of the digest that
/// names it): one per hour of the chain's cadence, at the key CloudTrail would have given it. This
/// is the second (third, ...) of consecutive deleted digests, which nothing names any more.
/// Nothing when the gap is not a whole number of hours on the chain's minute: a restart of
/// logging lies between, and its first digest has no previous.
///
/// The walker calls it for a missing previous digest; the Lambda can call it with its chain
/// head when a digest names a previous digest that does not exist.
pub fn missing_between(last: &DigestName, missing_end: Timestamp) -> Vec<Problem> {
    let gap = missing_end.since(last.end);
    let hours = (gap + HOUR / 2) / HOUR;
    if hours < 2 || (gap - hours * HOUR).abs() > CADENCE_TOLERANCE {
        return Vec::new();
    }
    (1..hours)
        .map(|hour| {
            let end = last.end.plus(hour * HOUR);
            Problem::DigestMissing {
                missing: last.at(end).object(),
                named_by: None,
                start: end.plus(-HOUR),
                end,
            }
        })
        .collect()
}
