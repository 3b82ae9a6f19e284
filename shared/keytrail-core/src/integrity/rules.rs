//! The built-in integrity rules: each [`Problem`] kind is a rule with an id, a severity, a title
//! and what to check. The Lambda turns a problem into an alert with them; `keytrail rules list`
//! lists them beside the Sigma pack. Pure data, so both read the one table.

use super::Problem;
use crate::Severity;

/// One built-in integrity rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrityRule {
    /// The problem kind it reports ([`Problem::kind`]).
    pub kind: &'static str,
    /// The rule id, `keytrail-integrity-...`.
    pub id: &'static str,
    /// How urgent ([`Problem::severity`]).
    pub severity: Severity,
    /// The alert's title.
    pub title: &'static str,
    /// What to check.
    pub what_to_check: &'static str,
}

const fn rule(
    kind: &'static str,
    id: &'static str,
    severity: Severity,
    title: &'static str,
    what_to_check: &'static str,
) -> IntegrityRule {
    IntegrityRule {
        kind,
        id,
        severity,
        title,
        what_to_check,
    }
}

/// Every integrity rule, one per [`Problem`] kind.
pub const RULES: &[IntegrityRule] = &[
    rule("log_file_modified", "keytrail-integrity-log-file-modified", Severity::Critical,
        "CloudTrail log file modified after delivery",
        "Treat the events in it as untrusted. Look in the bucket's server access logs or CloudTrail data events for who wrote the object after delivery, restore it from a previous version if versioning is on, and re-scan it with `keytrail scan`."),
    rule("log_file_missing", "keytrail-integrity-log-file-missing", Severity::Critical,
        "CloudTrail log file deleted",
        "Its events were not classified. Look for DeleteObject calls on the bucket (server access logs, data events), check lifecycle rules that expire objects early, restore a previous version if versioning is on."),
    rule("signature_invalid", "keytrail-integrity-signature-invalid", Severity::Critical,
        "CloudTrail digest signature does not verify",
        "The digest was altered or forged after delivery, so the log files it lists cannot be trusted. Find who wrote the digest object; compare its log files with previous versions."),
    rule("signature_algorithm_unsupported", "keytrail-integrity-signature-algorithm", Severity::Critical,
        "CloudTrail digest names an unknown signature algorithm",
        "CloudTrail signs with SHA256withRSA only: treat the digest as forged and find who wrote it."),
    rule("digest_moved", "keytrail-integrity-digest-moved", Severity::High,
        "CloudTrail digest found at another place than it names",
        "A digest was copied or moved (someone hiding a replaced digest, or a misconfigured copy job). Find who wrote the object; the original place should still hold the digest."),
    rule("chain_broken", "keytrail-integrity-chain-broken", Severity::High,
        "CloudTrail digest chain broken",
        "The previous digest was replaced or re-signed after the next one was delivered. Check who wrote the previous digest and the log files it lists."),
    rule("digest_missing", "keytrail-integrity-digest-missing", Severity::High,
        "CloudTrail digest deleted",
        "The log files of that hour cannot be verified. Look for DeleteObject calls on the digest prefix, and check lifecycle rules."),
    rule("log_file_unlisted", "keytrail-integrity-log-file-injected", Severity::High,
        "CloudTrail log file not listed in any digest",
        "The object was not delivered by CloudTrail (its hour's digest does not list it): treat its events as fabricated, unless log file validation was off when it was written. Find who wrote it."),
    rule("trail_silent", "keytrail-integrity-trail-silent", Severity::High,
        "CloudTrail trail silent",
        "No digest arrived in time: logging was stopped (StopLogging, DeleteTrail), log file validation was turned off, delivery to the bucket fails (bucket policy, KMS key), or digests are being deleted. Check the trail's status with `aws cloudtrail get-trail-status`."),
    rule("signature_missing", "keytrail-integrity-signature-missing", Severity::High,
        "CloudTrail digest has no signature",
        "The digest object has no x-amz-meta-signature metadata: it was re-uploaded or copied without metadata. Find who wrote it."),
    rule("digest_unreadable", "keytrail-integrity-digest-unreadable", Severity::High,
        "CloudTrail digest unreadable",
        "The object at a digest key is not a CloudTrail digest: it was replaced. Find who wrote it."),
    rule("public_key_unknown", "keytrail-integrity-public-key-unknown", Severity::Medium,
        "CloudTrail digest signed with an unknown key",
        "CloudTrail's ListPublicKeys does not return the key the digest names for its region and time: a forged digest names a key of its own. Check that the function may call cloudtrail:ListPublicKeys, then who wrote the digest."),
];

/// The rule of `problem` (a generic `keytrail-integrity` rule for a kind the table lacks).
pub fn rule_of(problem: &Problem) -> IntegrityRule {
    let kind = problem.kind();
    RULES
        .iter()
        .copied()
        .find(|r| r.kind == kind)
        .unwrap_or(IntegrityRule {
            kind,
            id: "keytrail-integrity",
            severity: problem.severity(),
            title: "CloudTrail integrity problem",
            what_to_check: "See the description.",
        })
}
