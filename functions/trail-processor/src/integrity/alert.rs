//! Integrity problems as alerts: each [`Problem`] kind is a built-in rule with an id, a severity, a
//! title and what to check (the table is keytrail-core's [`RULES`], which `keytrail rules list`
//! lists too), and its alert goes out in the one alert schema through the same SNS
//! path (and the same claims) as every other alert.
//!
//! The alert id is a hash of the rule id and the objects the problem names, not of the time it was
//! found: the same problem found again (a retried digest, a log and its digest racing, the next
//! scheduled check of a trail still silent) is the same alert, published once.

use keytrail_core::alert::{EventJson, Source};
pub use keytrail_core::integrity::{rule_of, IntegrityRule, RULES};
use keytrail_core::integrity::{DigestName, LogName, Problem, Sha256};
use keytrail_core::Alert;

/// AWS's page on CloudTrail log file integrity validation, every integrity alert's reference.
const VALIDATION_GUIDE: &str =
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html";

/// The alert for `problem`.
pub fn alert(problem: &Problem) -> Alert {
    let rule = rule_of(problem);
    let object = problem.object();
    let scope = match DigestName::parse(object) {
        Some(name) => Some(name.scope),
        None => LogName::parse(object).map(|n| n.scope),
    };
    let mut id = format!("{}\0{}", rule.id, object);
    if let Problem::LogFileModified { digest, .. } | Problem::LogFileMissing { digest, .. } =
        problem
    {
        id.push('\0');
        id.push_str(&digest.to_string());
    }
    let uri = object.to_string();
    Alert {
        alert_id: Sha256::of(id.as_bytes()).to_hex()[..16].to_owned(),
        rule_id: rule.id.to_owned(),
        severity: rule.severity,
        title: rule.title.to_owned(),
        description: format!("{problem}. What to check: {}", rule.what_to_check),
        tags: Vec::new(),
        references: vec![VALIDATION_GUIDE.to_owned()],
        falsepositives: Vec::new(),
        event_id: None,
        event_source: None,
        event_name: None,
        event_time: None,
        account: scope.as_ref().map(|s| s.account.clone()),
        region: scope.as_ref().map(|s| s.region.clone()),
        principal: None,
        principal_type: None,
        source_ip: None,
        user_agent: None,
        error_code: None,
        resources: vec![uri.clone()],
        source: Source {
            object: uri,
            record: None,
        },
        console_url: None,
        event: EventJson::from_value(&serde_json::to_value(problem).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use keytrail_core::integrity::{ObjectRef, Timestamp};
    use keytrail_core::Severity;

    use super::*;

    const LOG: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/06/10/111122223333_CloudTrail_us-east-1_20260610T0905Z_abc.json.gz";
    const DIGEST: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/06/10/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260610T091728Z.json.gz";

    fn at(key: &str) -> ObjectRef {
        ObjectRef::new("b", key)
    }

    #[test]
    fn every_kind_has_its_rule_and_severity() {
        let t = Timestamp::from_epoch(0);
        let problems = [
            (
                Problem::LogFileModified {
                    log: at(LOG),
                    digest: at(DIGEST),
                    expected: "a".into(),
                    found: "b".into(),
                },
                "keytrail-integrity-log-file-modified",
                Severity::Critical,
            ),
            (
                Problem::LogFileMissing {
                    log: at(LOG),
                    digest: at(DIGEST),
                },
                "keytrail-integrity-log-file-missing",
                Severity::Critical,
            ),
            (
                Problem::SignatureInvalid {
                    digest: at(DIGEST),
                    fingerprint: "f".into(),
                },
                "keytrail-integrity-signature-invalid",
                Severity::Critical,
            ),
            (
                Problem::DigestMoved {
                    digest: at(DIGEST),
                    named: at("x"),
                },
                "keytrail-integrity-digest-moved",
                Severity::High,
            ),
            (
                Problem::DigestMissing {
                    missing: at(DIGEST),
                    named_by: None,
                    start: t,
                    end: t,
                },
                "keytrail-integrity-digest-missing",
                Severity::High,
            ),
            (
                Problem::LogFileUnlisted { log: at(LOG) },
                "keytrail-integrity-log-file-injected",
                Severity::High,
            ),
            (
                Problem::TrailSilent {
                    last_digest: at(DIGEST),
                    last_end: t,
                    as_of: t,
                },
                "keytrail-integrity-trail-silent",
                Severity::High,
            ),
            (
                Problem::PublicKeyUnknown {
                    digest: at(DIGEST),
                    fingerprint: "f".into(),
                },
                "keytrail-integrity-public-key-unknown",
                Severity::Medium,
            ),
        ];
        for (problem, id, severity) in problems {
            let alert = alert(&problem);
            assert_eq!(
                (alert.rule_id.as_str(), alert.severity),
                (id, severity),
                "{problem:?}"
            );
            assert_eq!(alert.account.as_deref(), Some("111122223333"));
            assert_eq!(alert.region.as_deref(), Some("us-east-1"));
            assert_eq!(alert.event.to_value()["kind"], problem.kind());
            assert!(
                alert.description.contains("What to check: "),
                "{}",
                alert.description
            );
        }
        let kinds: std::collections::BTreeSet<_> = RULES.iter().map(|r| r.kind).collect();
        assert_eq!(kinds.len(), RULES.len(), "one rule per kind");
    }

    #[test]
    fn the_same_problem_found_later_is_the_same_alert() {
        let silent = |as_of| Problem::TrailSilent {
            last_digest: at(DIGEST),
            last_end: Timestamp::from_epoch(0),
            as_of: Timestamp::from_epoch(as_of),
        };
        assert_eq!(alert(&silent(100)).alert_id, alert(&silent(1000)).alert_id);
        let unlisted = alert(&Problem::LogFileUnlisted { log: at(LOG) });
        assert_ne!(unlisted.alert_id, alert(&silent(100)).alert_id);
        assert_eq!(unlisted.alert_id.len(), 16);
    }
}
