//! CloudTrail log file integrity validation: digests, their signatures and chain, and the log
//! files they list. Pure: bytes and metadata in, [`Problem`]s out; the Lambda and `keytrail
//! verify` fetch the objects and the public keys.
//!
//! # What AWS documents, and where
//!
//! - "CloudTrail digest file structure"
//!   (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html>):
//!   every hour CloudTrail delivers, per account and region, a gzipped JSON digest to
//!   `[prefix/]AWSLogs/ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ.json.gz`
//!   (organization trails: `AWSLogs/o-ORGID/ACCOUNT/...`; the date and time are the digest's
//!   end). Fields: `digestStartTime`/`digestEndTime` (the delivery times the digest covers),
//!   `digestS3Bucket`/`digestS3Object` (where it was delivered), `digestPublicKeyFingerprint`,
//!   `digestSignatureAlgorithm` (`SHA256withRSA`), `newestEventTime`/`oldestEventTime`, the
//!   previous digest's `previousDigestS3Bucket`/`previousDigestS3Object`/`previousDigestHashValue`
//!   (SHA-256 of its uncompressed content)/`previousDigestHashAlgorithm`/`previousDigestSignature`,
//!   and `logFiles[]` with `s3Bucket`, `s3Object`, `hashValue` (hex SHA-256 of the log file's
//!   *uncompressed* content), `hashAlgorithm` (`SHA-256`), `newestEventTime`, `oldestEventTime`.
//!   A digest's own signature is not inside it but in the object's metadata:
//!   `x-amz-meta-signature` (hex) and `x-amz-meta-signature-algorithm` (`SHA256withRSA`). The
//!   first digest after validation or logging (re)starts has every `previousDigest*` field
//!   null; an hour without activity still gets a digest (empty `logFiles`); stopping logging
//!   delivers a final digest. Backfill digests (`..._backfill.json.gz`, with an
//!   `x-amz-meta-backfill-generation-timestamp`) list log files an original digest missed
//!   through processing delays; `aws cloudtrail validate-logs` walks them as a chain of their
//!   own, and so does [`Walk`].
//! - "Custom implementations of CloudTrail log file integrity validation"
//!   (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html>):
//!   the data-signing string is `digestEndTime` (verbatim, UTC extended format
//!   `2015-05-08T07:19:37Z`) `\n` the digest's S3 path `bucket/key` `\n` hex SHA-256 of the
//!   digest file's uncompressed content `\n` `previousDigestSignature` (hex); RSA signature
//!   verification of its SHA-256 with the region's public key from `ListPublicKeys` (DER,
//!   PKCS#1 `RSAPublicKey`), chosen by fingerprint. Check first that the digest was read from
//!   the place it names. For a starting digest the last line is `null`: the page does not say
//!   so; `aws cloudtrail validate-logs` (awscli `customizations/cloudtrail/validation.py`)
//!   writes `null` "to match the Java implementation", which [`Digest::signing_string`] follows.
//! - "Validating CloudTrail log file integrity with the AWS CLI"
//!   (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html>):
//!   what `validate-logs` reports (moved, invalid format, not found, public key not found,
//!   signature verification failed, hash mismatch, log not found), and that it checks only log
//!   files that digests list. It does not notice the second of two consecutive deleted digests
//!   (after a missing one it jumps to the next digest it can list), nor a log object no digest
//!   lists; [`Walk`] reports both.
//!
//! Decided here, where the pages are silent: `SHA256withRSA` is RSASSA-PKCS1-v1_5 with SHA-256
//! (Java's name; checked by a raw RSA operation on the two `previousDigestSignature` values of
//! the structure page with the page's sample key `31e8b543…`: both unpad to a SHA-256
//! `DigestInfo`). The fingerprint is the hex MD5 of the key's DER exactly as `ListPublicKeys`
//! returns it (true of all three sample keys on the custom-validation page; one of them is a
//! `SubjectPublicKeyInfo`, not PKCS#1, so both forms are accepted). A key is chosen by
//! fingerprint alone, as `validate-logs` does; its validity range tells a cache when to ask
//! `ListPublicKeys` again ([`PublicKeys::covers`]), not whether the digest is valid.
//!
//! # Design
//!
//! - [`Digest::parse`] reads a digest strictly (typed errors, nothing lost); [`verify_digest`],
//!   [`check_location`], [`verify_signature`], [`check_link`], [`check_log`] and
//!   [`check_silence`] check one thing each and answer the exact [`Problem`]: the Lambda calls
//!   them one digest per invocation with the previous digest's signature from its state table;
//!   [`missing_between`] names the digests deleted before a missing one (from the chain head).
//! - [`Walk`] checks a whole range for `keytrail verify` (see its module docs), in two steps so
//!   the log files can be hashed in parallel in between.
//! - [`RULES`] makes each [`Problem`] kind a built-in rule (id, severity, title, what to check):
//!   the Lambda's integrity alerts and `keytrail rules list` read the one table.
//! - [`LogHasher`] hashes a log object's uncompressed bytes; [`ContentHasher`] caps it, and the
//!   scan's decompress thread feeds it as it decompresses ([`crate::scan::scan_object_hashing`],
//!   the Lambda's log objects); [`hash_content`] and [`read_content`] gunzip (capped) on their
//!   own for a log file read only for its hash, and for digests.
//! - Crypto is `ring`, already in every build through rustls: RSA PKCS#1 v1.5 verification
//!   (`RSA_PKCS1_2048_8192_SHA256`) and SHA-256, which picks SHA-NI on x86_64 and the ARMv8 SHA-256
//!   instructions on aarch64 (Graviton) at run time. The `sha2` 0.10 that keytrail-core linked when
//!   this was measured (the workspace now links 0.11, the SDK's) uses SHA-NI on x86_64 too, but its portable code on aarch64 unless built with its `asm`
//!   feature (a C build of `sha2-asm`). Measured on the team machine (Xeon with SHA-NI, 2 cores
//!   shared with other builds; release; 1 GiB in 64 KiB pieces, three rounds per run): at load
//!   ~2.5, ring 1,260-1,440 MB/s, sha2 0.10 1,260-1,390 MB/s, sha2 0.10 portable (`force-soft`,
//!   what aarch64 would run) 230-260 MB/s; at load 7-10, ring 580-1,000, sha2 0.10 550-1,040,
//!   portable 130-145. So on x86_64 the two are equal (both SHA-NI), and ring spares Graviton a
//!   5x slower hash. The RustCrypto `rsa` crate would add a dependency tree for what ring already
//!   does. MD5 (fingerprints only) is RustCrypto's `md-5`, already in the lock through the SDK.

// A `Problem` is about 150 bytes (two object names and two hex values); the checks return it on
// the cold path only, and a plain `Result<_, Problem>` keeps `?` simple for the Lambda and CLI.
#![allow(clippy::result_large_err)]

mod check;
mod content;
mod digest;
mod hash;
mod keyfile;
mod keys;
mod names;
mod problem;
mod rules;
mod time;
mod walk;

pub use check::{
    check_link, check_location, check_log, check_silence, missing_between, verify_digest,
    verify_signature, DigestObject, LinkTarget, LogState,
};
pub use content::{hash_content, read_content, ContentError, ContentHash, ContentHasher};
pub use digest::{
    Digest, DigestError, LogFile, PreviousDigest, HASH_ALGORITHM, SIGNATURE_ALGORITHM,
};
pub use hash::{LogHasher, NotSha256, Sha256};
pub use keys::{KeyError, PublicKey, PublicKeys};
pub use names::{DigestName, LogName, Scope};
pub use problem::{LinkMismatch, ObjectRef, Problem};
pub use rules::{rule_of, IntegrityRule, RULES};
pub use time::{Timestamp, HOUR};
pub use walk::{Gap, LogInventory, Report, UncheckedLink, Walk, WalkOptions};

#[cfg(test)]
mod tests;
