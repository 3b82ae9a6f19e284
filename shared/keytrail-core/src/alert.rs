//! The one alert schema: what the CLI prints as JSONL, what SNS carries, what Slack renders.
//!
//! Flat top-level keys (see DESIGN.md, "One alert schema"); additive changes only. Missing event
//! fields are `null`, never absent, so consumers can rely on every key being there. The event
//! itself travels redacted ([`crate::redact`]) and cut so that one serialized alert stays under
//! [`MAX_ALERT_BYTES`].

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::record::Event;
use crate::redact;
use crate::rules::Rule;
use crate::severity::Severity;

/// The most bytes one serialized alert may take (SNS allows 256 KB; rendering adds the email text).
pub const MAX_ALERT_BYTES: usize = 64 * 1024;

/// The most bytes any one text field copied from the event may take (user agents, ARNs and the
/// like are attacker-controlled and unbounded in CloudTrail).
pub const MAX_FIELD_BYTES: usize = 2048;

/// Rule id of the alert raised for an object that could not be read.
pub const INTEGRITY_RULE_ID: &str = "keytrail-object-unreadable";

/// Where an alert's record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The object's URI (`s3://bucket/key`) or local path.
    pub object: String,
    /// 0-based index of the record in the object, when the alert is about one record.
    pub record: Option<u64>,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id: a hash of the rule id and the event's `eventID`; the same event matched by the
    /// same rule always gives the same id, so retries can be de-duplicated.
    pub alert_id: String,
    /// The rule's `id`.
    pub rule_id: String,
    /// The rule's level.
    pub severity: Severity,
    /// The rule's title.
    pub title: String,
    /// The rule's description: what happened and what to check.
    pub description: String,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventSource`, e.g. `acm.amazonaws.com`.
    pub event_source: Option<String>,
    /// `eventName`, e.g. `ExportCertificate`.
    pub event_name: Option<String>,
    /// `eventTime` (or `@timestamp` for records shipped through Logstash).
    pub event_time: Option<String>,
    /// The account the event happened in (`recipientAccountId`, else the caller's account).
    pub account: Option<String>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// Who did it: the caller's ARN, else a service that acted, else the identity type.
    pub principal: Option<String>,
    /// `userIdentity.type` (`IAMUser`, `AssumedRole`, `AWSService`, `Unknown` …).
    pub principal_type: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `errorCode`, present when the call was denied or failed.
    pub error_code: Option<String>,
    /// ARNs and names the event touched (certificates, keys, load balancers, trails …).
    pub resources: Vec<String>,
    /// The object and record the alert came from.
    pub source: Source,
    /// A link to the event in the CloudTrail console.
    pub console_url: Option<String>,
    /// The record, secrets redacted and oversized values cut.
    pub event: Value,
}

impl Alert {
    /// The alert for `rule` matching `event`, record `record` of `object`.
    pub fn new(rule: &Rule, event: &Event, object: &str, record: u64) -> Alert {
        // A top-level field holding a PEM private key is redacted like the same text in the event.
        let text = |path: &str| {
            event.str_at(path).map(|s| {
                if redact::is_secret_text(s) {
                    redact::REDACTED.to_owned()
                } else {
                    capped(s)
                }
            })
        };
        let event_id = text("eventID");
        let region = text("awsRegion");
        let principal_type = text("userIdentity.type");
        let principal = text("userIdentity.arn")
            .or_else(|| text("userIdentity.invokedBy"))
            .or_else(|| text("userIdentity.principalId"))
            .or_else(|| principal_type.clone());
        let mut redacted = event.value().clone();
        redact::redact(&mut redacted);
        let mut alert = Alert {
            alert_id: alert_id(&rule.id, event_id.as_deref(), object, record),
            rule_id: rule.id.clone(),
            severity: rule.level,
            title: rule.title.clone(),
            description: rule.description.trim().to_owned(),
            event_source: text("eventSource"),
            event_name: text("eventName"),
            event_time: text("eventTime").or_else(|| text("@timestamp")),
            account: text("recipientAccountId").or_else(|| text("userIdentity.accountId")),
            principal,
            principal_type,
            source_ip: text("sourceIPAddress"),
            user_agent: text("userAgent"),
            error_code: text("errorCode"),
            resources: resources(event.value()),
            source: Source {
                object: object.to_owned(),
                record: Some(record),
            },
            console_url: console_url(region.as_deref(), event_id.as_deref()),
            event_id,
            region,
            event: Value::Null,
        };
        alert.fit_event(redacted);
        alert
    }

    /// The integrity alert for an object that could not be read completely: `fault` is the full
    /// error message, which names the object and the byte offset.
    pub fn integrity(object: &str, fault: &str) -> Alert {
        let mut hasher = Sha256::new();
        hasher.update(INTEGRITY_RULE_ID.as_bytes());
        hasher.update([0]);
        hasher.update(object.as_bytes());
        hasher.update([0]);
        hasher.update(fault.as_bytes());
        Alert {
            alert_id: hex16(&hasher.finalize()),
            rule_id: INTEGRITY_RULE_ID.to_owned(),
            severity: Severity::Medium,
            title: "CloudTrail object could not be read".to_owned(),
            description: format!(
                "keytrail could not read all of {object}: {fault}. Records before a fault were \
                 classified, and so were those after damage that reading resumed from; records in \
                 skipped bytes, or after a fault that ended the reading, were not. Check whether the object was truncated or \
                 replaced (CloudTrail log file validation shows tampering), and re-scan it with \
                 `keytrail scan` once repaired."
            ),
            event_id: None,
            event_source: None,
            event_name: None,
            event_time: None,
            account: None,
            region: None,
            principal: None,
            principal_type: None,
            source_ip: None,
            user_agent: None,
            error_code: None,
            resources: vec![object.to_owned()],
            source: Source {
                object: object.to_owned(),
                record: None,
            },
            console_url: None,
            event: Value::Null,
        }
    }

    /// Puts `event` in the alert, cut so that the whole alert stays under [`MAX_ALERT_BYTES`].
    fn fit_event(&mut self, mut event: Value) {
        let rest = serde_json::to_vec(&*self).map_or(MAX_ALERT_BYTES, |v| v.len());
        let budget = MAX_ALERT_BYTES.saturating_sub(rest + 64).max(512);
        redact::shrink(&mut event, budget);
        self.event = event;
    }
}

/// `s`, cut to [`MAX_FIELD_BYTES`] on a character boundary with a marker saying how much went.
fn capped(s: &str) -> String {
    if s.len() <= MAX_FIELD_BYTES {
        return s.to_owned();
    }
    let mut end = MAX_FIELD_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[cut {} bytes]", &s[..end], s.len() - end)
}

/// The stable alert id: hex of the first 16 bytes of SHA-256 over the rule id and the eventID
/// (over the object and record index when the event has no eventID).
pub fn alert_id(rule_id: &str, event_id: Option<&str>, object: &str, record: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0]);
    match event_id {
        Some(id) => hasher.update(id.as_bytes()),
        None => hasher.update(format!("{object}#{record}").as_bytes()),
    }
    hex16(&hasher.finalize())
}

fn hex16(digest: &[u8]) -> String {
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Request/response keys whose string values name the resource an event touched.
const RESOURCE_KEYS: &[&str] = &[
    "certificateArn",
    "certificateAuthorityArn",
    "aws:acm:arn",
    "keyId",
    "loadBalancerName",
    "loadBalancerArn",
    "listenerArn",
    "sSLCertificateId",
    "certificateId",
    "name",
    "trailName",
    "trailARN",
    "clusterId",
    "hsmId",
    "backupId",
    "acmeEndpointArn",
    "externalAccountBindingArn",
];

/// At most this many bytes of resource names in one alert (with at most 32 names), so that the
/// alert's other fields and the event still fit in [`MAX_ALERT_BYTES`].
const MAX_RESOURCE_BYTES: usize = 8 * 1024;

/// The ARNs and names an event touched, in order of first appearance, de-duplicated, within
/// [`MAX_RESOURCE_BYTES`].
fn resources(event: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut bytes = 0;
    let mut push = |s: &str| {
        if !s.is_empty()
            && s.len() <= 2048
            && bytes + s.len() <= MAX_RESOURCE_BYTES
            && !out.iter().any(|o| o == s)
        {
            bytes += s.len();
            out.push(s.to_owned());
        }
    };
    if let Some(Value::Array(items)) = event.get("resources") {
        for item in items {
            if let Some(arn) = item
                .get("ARN")
                .or_else(|| item.get("arn"))
                .and_then(Value::as_str)
            {
                push(arn);
            }
        }
    }
    for section in [
        "requestParameters",
        "responseElements",
        "serviceEventDetails",
    ] {
        let mut stack: Vec<&Value> = event.get(section).into_iter().collect();
        let mut budget = 10_000; // bounded walk: a huge request cannot stall alert building
        while let Some(v) = stack.pop() {
            budget -= 1;
            if budget == 0 {
                break;
            }
            match v {
                Value::Object(map) => {
                    for (key, child) in map.iter().rev() {
                        // Nothing under a secret-bearing key is a resource name: the event
                        // carries it redacted, so the alert must not carry it in clear.
                        if redact::is_secret_key(key) {
                            continue;
                        }
                        match child {
                            Value::String(s) if RESOURCE_KEYS.contains(&key.as_str()) => {
                                if !redact::is_secret_text(s) {
                                    push(s);
                                }
                            }
                            _ => stack.push(child),
                        }
                    }
                }
                Value::Array(items) => stack.extend(items.iter().rev()),
                _ => {}
            }
        }
    }
    out.truncate(32);
    out
}

/// A link to the event in the CloudTrail console, for the event's partition.
pub fn console_url(region: Option<&str>, event_id: Option<&str>) -> Option<String> {
    let region = region.filter(|r| {
        !r.is_empty()
            && r.len() <= 32
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })?;
    let event_id = event_id.filter(|id| {
        !id.is_empty()
            && id.len() <= 128
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })?;
    let host = if region.starts_with("us-gov-") {
        format!("{region}.console.amazonaws-us-gov.com")
    } else if region.starts_with("cn-") {
        format!("{region}.console.amazonaws.cn")
    } else {
        format!("{region}.console.aws.amazon.com")
    };
    Some(format!(
        "https://{host}/cloudtrailv2/home?region={region}#/events/{event_id}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule() -> Rule {
        Rule {
            id: "acm-export-certificate".to_owned(),
            title: "ACM certificate exported".to_owned(),
            description: "  A certificate and its private key left ACM.  ".to_owned(),
            level: Severity::High,
            file: "builtin:rules/acm-export-certificate.yml".to_owned(),
            tags: vec![],
            references: vec![],
            falsepositives: vec![],
        }
    }

    fn export_event() -> Event {
        Event::from_value(json!({
            "eventVersion": "1.05",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice",
                             "accountId": "123456789012"},
            "eventTime": "2019-06-28T18:51:22Z",
            "eventSource": "acm.amazonaws.com",
            "eventName": "ExportCertificate",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "192.0.2.1",
            "userAgent": "aws-cli/2 <!channel>",
            "requestParameters": {
                "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
                "passphrase": {"hb": [42, 42, 42]}
            },
            "responseElements": {"privateKey": "**********",
                                 "certificate": "-----BEGIN CERTIFICATE-----"},
            "eventID": "01234567-0123-0123-0123-012345678901",
            "recipientAccountId": "123456789012"
        }))
        .unwrap()
    }

    #[test]
    fn alert_carries_who_what_when_where_and_redacts() {
        let a = Alert::new(&rule(), &export_event(), "s3://b/k.json.gz", 3);
        assert_eq!(a.rule_id, "acm-export-certificate");
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.description, "A certificate and its private key left ACM.");
        assert_eq!(a.event_name.as_deref(), Some("ExportCertificate"));
        assert_eq!(a.account.as_deref(), Some("123456789012"));
        assert_eq!(
            a.principal.as_deref(),
            Some("arn:aws:iam::123456789012:user/Alice")
        );
        assert_eq!(a.principal_type.as_deref(), Some("IAMUser"));
        assert_eq!(
            a.resources,
            vec!["arn:aws:acm:us-east-1:123456789012:certificate/abc"]
        );
        assert_eq!(
            a.source,
            Source {
                object: "s3://b/k.json.gz".to_owned(),
                record: Some(3)
            }
        );
        assert_eq!(
            a.console_url.as_deref(),
            Some("https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/01234567-0123-0123-0123-012345678901")
        );
        assert_eq!(a.event["requestParameters"]["passphrase"], redact::REDACTED);
        assert_eq!(a.event["responseElements"]["privateKey"], redact::REDACTED);
        assert_eq!(a.event["responseElements"]["certificate"], redact::REDACTED);
        let text = serde_json::to_string(&a).unwrap();
        assert!(!text.contains("BEGIN CERTIFICATE") && !text.contains("[42,42,42]"));
    }

    /// Found by tests/redaction.rs: a resource-named value nested under a secret-bearing key
    /// (`requestParameters.secretConfig.name`) was redacted in the event but copied in clear to
    /// `resources`, and from there to the email, Slack and SNS.
    #[test]
    fn resources_skip_values_under_secret_keys() {
        let e = Event::from_value(json!({
            "eventName": "PutSecretValue", "eventID": "id",
            "requestParameters": {
                "name": "visible-name",
                "secretConfig": {"name": "hidden-name", "keyId": "hidden-key"},
                "tokens": [{"certificateArn": "hidden-arn"}],
                "certificateId": "-----BEGIN PRIVATE KEY-----\nMII",
            },
        }))
        .unwrap();
        let a = Alert::new(&rule(), &e, "f", 0);
        assert_eq!(a.resources, vec!["visible-name"]);
        assert_eq!(a.event_name.as_deref(), Some("PutSecretValue"));
        let text = serde_json::to_string(&a).unwrap();
        assert!(
            !text.contains("hidden-") && !text.contains("PRIVATE KEY"),
            "{text}"
        );
    }

    /// Found by reading the alert's fields for tests/redaction.rs: a PEM private key pasted into
    /// a top-level text field (the user agent, an ARN) was redacted in the event but copied in
    /// clear to `user_agent` / `principal`.
    #[test]
    fn private_key_in_a_top_level_field_is_redacted() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEsecretbody\n-----END PRIVATE KEY-----";
        let e = Event::from_value(json!({
            "eventName": "ExportCertificate", "eventID": "id", "userAgent": pem,
            "userIdentity": {"arn": pem, "type": "IAMUser"},
        }))
        .unwrap();
        let a = Alert::new(&rule(), &e, "f", 0);
        assert_eq!(a.user_agent.as_deref(), Some(redact::REDACTED));
        assert_eq!(a.principal.as_deref(), Some(redact::REDACTED));
        assert!(!serde_json::to_string(&a)
            .unwrap()
            .contains("MIIEsecretbody"));
    }

    #[test]
    fn alert_id_is_stable_and_distinct() {
        let a = Alert::new(&rule(), &export_event(), "s3://b/one.json.gz", 0);
        let b = Alert::new(&rule(), &export_event(), "s3://b/other.json.gz", 7);
        assert_eq!(
            a.alert_id, b.alert_id,
            "same rule and eventID: same id whatever the object"
        );
        assert_eq!(a.alert_id.len(), 32);
        let mut other = rule();
        other.id = "acm-export-certificate-denied".to_owned();
        assert_ne!(
            Alert::new(&other, &export_event(), "x", 0).alert_id,
            a.alert_id
        );
        assert_ne!(alert_id("r", None, "x", 1), alert_id("r", None, "x", 2));
    }

    #[test]
    fn every_schema_key_is_present_even_when_null() {
        let e = Event::from_value(json!({"eventName": "X"})).unwrap();
        let v = serde_json::to_value(Alert::new(&rule(), &e, "f", 0)).unwrap();
        for key in [
            "alert_id",
            "rule_id",
            "severity",
            "title",
            "description",
            "event_id",
            "event_source",
            "event_name",
            "event_time",
            "account",
            "region",
            "principal",
            "source_ip",
            "user_agent",
            "resources",
            "source",
            "console_url",
            "event",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["console_url"], Value::Null);
    }

    #[test]
    fn oversized_event_is_cut_under_the_limit() {
        let e = Event::from_value(json!({
            "eventName": "ExportCertificate", "eventID": "id",
            "requestParameters": {"note": "x".repeat(1_000_000)}
        }))
        .unwrap();
        let a = Alert::new(&rule(), &e, "f", 0);
        assert!(serde_json::to_vec(&a).unwrap().len() <= MAX_ALERT_BYTES);
        assert_eq!(a.event["eventName"], "ExportCertificate");
    }

    #[test]
    fn huge_untrusted_fields_are_capped_and_the_alert_fits() {
        let e = Event::from_value(json!({
            "eventName": "ExportCertificate", "eventID": "id", "awsRegion": "us-east-1",
            "userAgent": "é".repeat(500_000),
            "userIdentity": {"arn": "a".repeat(1_000_000), "type": "IAMUser"},
            "sourceIPAddress": "1".repeat(100_000),
        }))
        .unwrap();
        let a = Alert::new(&rule(), &e, "f", 0);
        for field in [&a.user_agent, &a.principal, &a.source_ip] {
            let text = field.as_deref().unwrap();
            assert!(
                text.len() <= MAX_FIELD_BYTES + 32 && text.contains("…[cut "),
                "{}",
                text.len()
            );
        }
        assert!(serde_json::to_vec(&a).unwrap().len() <= MAX_ALERT_BYTES);
    }

    /// Found by reading the fuzz harness's checks: 32 resources of 2 KiB each pushed an alert
    /// past its limit, since only the event was cut to fit.
    #[test]
    fn many_long_resources_keep_the_alert_under_the_limit() {
        let names: serde_json::Map<String, Value> = (0..40)
            .map(|i| {
                (
                    format!("k{i}"),
                    json!({"name": format!("{i:04}{}", "n".repeat(2044))}),
                )
            })
            .collect();
        let e = Event::from_value(json!({
            "eventName": "ExportCertificate", "eventID": "id",
            "requestParameters": names,
        }))
        .unwrap();
        let a = Alert::new(&rule(), &e, "f", 0);
        assert!(!a.resources.is_empty());
        assert!(a.resources.iter().map(String::len).sum::<usize>() <= MAX_RESOURCE_BYTES);
        assert!(serde_json::to_vec(&a).unwrap().len() <= MAX_ALERT_BYTES);
    }

    #[test]
    fn console_url_by_partition_and_refuses_odd_input() {
        for (region, id, want) in [
            (Some("eu-west-1"), Some("e-1"), Some("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/e-1")),
            (Some("us-gov-west-1"), Some("e"), Some("https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events/e")),
            (Some("cn-north-1"), Some("e"), Some("https://cn-north-1.console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/e")),
            (Some("evil.com/x"), Some("e"), None),
            (Some("us-east-1"), Some("e\"><script>"), None),
            (None, Some("e"), None),
            (Some("us-east-1"), None, None),
        ] {
            assert_eq!(console_url(region, id).as_deref(), want, "{region:?} {id:?}");
        }
    }

    #[test]
    fn integrity_alert_names_object_and_fault() {
        let a = Alert::integrity("s3://b/k.json.gz", "truncated gzip at byte 1234");
        assert_eq!(a.rule_id, INTEGRITY_RULE_ID);
        assert!(a.description.contains("s3://b/k.json.gz") && a.description.contains("byte 1234"));
        assert_eq!(a.source.record, None);
        assert_eq!(
            a.alert_id,
            Alert::integrity("s3://b/k.json.gz", "truncated gzip at byte 1234").alert_id
        );
    }
}
