//! The SNS message: `MessageStructure: json`, always under SNS's size limit, and its attributes.
//!
//! The message is a JSON object whose values are strings: `default` (the alert as JSON, for SQS,
//! Lambda and HTTPS subscribers), `email` (the text of [`super::email_text`]) and `email-json`
//! (the alert as JSON again). The alert JSON appears twice and is escaped once more inside the
//! document, so a large alert can exceed SNS's limit even though the alert itself is capped. The
//! fitting is a ladder of steps, each tried only when the one before did not fit: top-level
//! fields cut to a few KiB, the event shrunk ([`crate::redact::shrink`]) to smaller and smaller
//! budgets, the event replaced by a note, top-level fields cut harder, and finally the email text
//! cut. The last step always fits, so the guarantee holds whatever the alert.

use serde_json::{json, Value};

use super::{email_text, subject, text};
use crate::{redact, Alert};

/// SNS's limit on a published message, in bytes of UTF-8.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// Bytes of the limit left to the subject and the attributes, which count against the same
/// 256 KiB in a PublishBatch (subject ≤ 99, five attributes ≤ 256 characters each).
const HEADROOM: usize = 8 * 1024;
/// What the message is fitted into.
const MESSAGE_BUDGET: usize = MAX_MESSAGE_BYTES - HEADROOM;

/// The value of an attribute the alert has no value for (SNS refuses empty values, and filter
/// policies can match this one).
pub const UNKNOWN: &str = "unknown";
/// The most characters of one attribute value.
const MAX_ATTRIBUTE_CHARS: usize = 256;

/// One alert, ready for SNS `Publish` / `PublishBatch` with `MessageStructure: json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsMessage {
    /// The `Subject` (the email subject), see [`subject`].
    pub subject: String,
    /// The `MessageStructure: json` document, at most [`MAX_MESSAGE_BYTES`] bytes.
    pub message: String,
}

/// The SNS message for `alert`; see the module docs for how it is kept under the limit.
pub fn sns_message(alert: &Alert) -> SnsMessage {
    SnsMessage {
        subject: subject(alert),
        message: fit(alert, email_text(alert), MESSAGE_BUDGET),
    }
}

/// The message attributes for SNS filter policies: `severity`, `rule_id`, `account`, `region`,
/// `event_source`, all String attributes, never empty ([`UNKNOWN`] when the alert has no value).
pub fn message_attributes(alert: &Alert) -> Vec<(&'static str, String)> {
    let value = |v: Option<&str>| {
        let v = text::line(v.unwrap_or_default(), MAX_ATTRIBUTE_CHARS);
        if v.is_empty() {
            UNKNOWN.to_owned()
        } else {
            v
        }
    };
    vec![
        ("severity", alert.severity.as_str().to_owned()),
        ("rule_id", value(Some(&alert.rule_id))),
        ("account", value(alert.account.as_deref())),
        ("region", value(alert.region.as_deref())),
        ("event_source", value(alert.event_source.as_deref())),
    ]
}

/// The document for `alert` and `email`, in at most `budget` bytes.
fn fit(alert: &Alert, email: String, budget: usize) -> String {
    let doc = document(&alert_json(alert), &email);
    if doc.len() <= budget {
        return doc;
    }
    let mut bare = alert.clone();
    let event = std::mem::take(&mut bare.event);

    let mut fitted = capped(&bare, 4096, 256);
    let mut event_budget = budget / 4;
    while event_budget >= 1024 {
        fitted.event = event.clone();
        redact::shrink(&mut fitted.event, event_budget);
        let doc = document(&alert_json(&fitted), &email);
        if doc.len() <= budget {
            return doc;
        }
        event_budget /= 2;
    }

    bare.event = json!({
        "keytrail_note": "event left out: the alert would not fit in one SNS message; \
                          see the source object or the CloudTrail console"
    });
    for (max_chars, max_items) in [(4096, 256), (512, 32), (128, 8)] {
        fitted = capped(&bare, max_chars, max_items);
        let doc = document(&alert_json(&fitted), &email);
        if doc.len() <= budget {
            return doc;
        }
    }

    // Cutting k bytes of email takes at least k bytes off the document, so this ends in one or
    // two rounds; an empty email always fits next to an alert cut this hard.
    let json = alert_json(&fitted);
    let mut keep = email.len();
    loop {
        let email = cut_email(&email, keep);
        let doc = document(&json, &email);
        if doc.len() <= budget || keep == 0 {
            return doc;
        }
        keep = keep.saturating_sub(doc.len() - budget);
    }
}

/// `{"default": json, "email": email, "email-json": json}`, compact.
fn document(alert_json: &str, email: &str) -> String {
    json!({"default": alert_json, "email": email, "email-json": alert_json}).to_string()
}

fn alert_json(alert: &Alert) -> String {
    serde_json::to_string(alert).unwrap_or_else(|e| {
        // Unreachable for this type (string keys only), but never publish nothing.
        json!({
            "alert_id": alert.alert_id, "rule_id": alert.rule_id, "severity": alert.severity,
            "keytrail_note": format!("alert could not be serialized: {e}"),
        })
        .to_string()
    })
}

/// A copy of `alert` whose text fields are at most `max_chars` characters (plus a marker) and
/// whose resources are at most `max_items` (plus a marker entry).
fn capped(alert: &Alert, max_chars: usize, max_items: usize) -> Alert {
    let cut = |s: &String| text::cut(s, max_chars);
    let cut_opt = |s: &Option<String>| s.as_ref().map(cut);
    let mut resources: Vec<String> = alert.resources.iter().take(max_items).map(cut).collect();
    if alert.resources.len() > max_items {
        let dropped = alert.resources.len() - max_items;
        resources.push(format!("…[cut {dropped} items]"));
    }
    Alert {
        alert_id: cut(&alert.alert_id),
        rule_id: cut(&alert.rule_id),
        severity: alert.severity,
        title: cut(&alert.title),
        description: cut(&alert.description),
        event_id: cut_opt(&alert.event_id),
        event_source: cut_opt(&alert.event_source),
        event_name: cut_opt(&alert.event_name),
        event_time: cut_opt(&alert.event_time),
        account: cut_opt(&alert.account),
        region: cut_opt(&alert.region),
        principal: cut_opt(&alert.principal),
        principal_type: cut_opt(&alert.principal_type),
        source_ip: cut_opt(&alert.source_ip),
        user_agent: cut_opt(&alert.user_agent),
        error_code: cut_opt(&alert.error_code),
        resources,
        source: crate::alert::Source {
            object: cut(&alert.source.object),
            record: alert.source.record,
        },
        console_url: cut_opt(&alert.console_url),
        event: alert.event.clone(),
    }
}

/// The first `max_bytes` bytes of `email` (at a character boundary) and a note that it was cut.
fn cut_email(email: &str, max_bytes: usize) -> String {
    const NOTE: &str = "\n\n[cut to fit in one SNS message: the full alert is in the JSON message]";
    if email.len() <= max_bytes {
        return email.to_owned();
    }
    let mut end = max_bytes.saturating_sub(NOTE.len());
    while !email.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{NOTE}", &email[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::export_alert;
    use crate::Severity;

    /// Checks every promise about a message and returns the parsed default alert and email.
    fn check(alert: &Alert) -> (Alert, String) {
        let msg = sns_message(alert);
        assert!(
            msg.message.len() <= MESSAGE_BUDGET,
            "{} bytes",
            msg.message.len()
        );
        let attrs: usize = message_attributes(alert)
            .iter()
            .map(|(k, v)| k.len() + v.len() + "String".len())
            .sum();
        assert!(msg.message.len() + msg.subject.len() + attrs <= MAX_MESSAGE_BYTES);
        let doc: Value = serde_json::from_str(&msg.message).unwrap();
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["default", "email", "email-json"]);
        assert_eq!(doc["default"], doc["email-json"]);
        let default: Alert = serde_json::from_str(doc["default"].as_str().unwrap()).unwrap();
        assert_eq!(default.alert_id, alert.alert_id);
        assert_eq!(default.severity, alert.severity);
        (default, doc["email"].as_str().unwrap().to_owned())
    }

    #[test]
    fn small_alert_is_carried_whole() {
        let alert = export_alert();
        let (default, email) = check(&alert);
        assert_eq!(default, alert);
        assert_eq!(email, email_text(&alert));
        assert_eq!(sns_message(&alert).subject, subject(&alert));
    }

    #[test]
    fn any_alert_fits_in_one_message() {
        type Edit = fn(&mut Alert);
        let cases: [(&str, Edit); 7] = [
            (
                "1 MB strings in the event",
                |a| a.event = json!({"eventName": "X", "requestParameters": {"a": "x".repeat(1_000_000), "b": ["x".repeat(1_000_000), "x".repeat(1_000_000)]}}),
            ),
            ("10 000 resources", |a| {
                a.resources = (0..10_000)
                    .map(|i| format!("arn:aws:acm:us-east-1:1:certificate/{i:064}"))
                    .collect()
            }),
            ("1 MB user agent and principal", |a| {
                a.user_agent = Some("x".repeat(1_000_000));
                a.principal = Some("x".repeat(1_000_000));
            }),
            ("escape-heavy text everywhere", |a| {
                let nasty = "\"\\\u{1}".repeat(100_000);
                a.description.clone_from(&nasty);
                a.resources = vec![nasty.clone(); 30];
                a.event = json!({"q": nasty.clone(), "list": vec![nasty.clone(); 50]});
                a.user_agent = Some(nasty);
            }),
            ("4-byte characters everywhere", |a| {
                let keys = "🔑".repeat(300_000);
                a.title.clone_from(&keys);
                a.source.object.clone_from(&keys);
                a.resources = vec![keys.clone(); 20];
                a.event = json!({"k": keys});
            }),
            ("a very wide event", |a| {
                a.event =
                    Value::Object((0..100_000).map(|i| (format!("k{i}"), json!(i))).collect());
            }),
            ("empty strings", |a| {
                a.title.clear();
                a.description.clear();
                a.resources = vec![String::new()];
                a.principal = Some(String::new());
            }),
        ];
        for (name, edit) in cases {
            let mut alert = export_alert();
            edit(&mut alert);
            let (default, email) = check(&alert);
            assert_eq!(default.rule_id, alert.rule_id, "{name}");
            assert!(!email.is_empty(), "{name}");
        }
    }

    #[test]
    fn large_event_is_shrunk_not_dropped() {
        let mut alert = export_alert();
        alert.event = json!({"eventName": "ExportCertificate", "requestParameters": {"note": "y".repeat(400_000)}});
        let (default, email) = check(&alert);
        assert_eq!(default.event["eventName"], "ExportCertificate");
        assert!(default.event["requestParameters"]["note"]
            .as_str()
            .unwrap()
            .contains("…[cut "));
        assert_eq!(
            email,
            email_text(&alert),
            "the email is not cut while the event can shrink"
        );
    }

    #[test]
    fn attributes_are_never_empty() {
        let mut bare = export_alert();
        bare.account = None;
        bare.region = Some(" \n ".to_owned());
        bare.event_source = Some(String::new());
        bare.severity = Severity::Critical;
        let mut hostile = export_alert();
        hostile.event_source = Some(format!("acm\r\n{}", "a".repeat(10_000)));
        for (alert, want) in [
            (
                export_alert(),
                [
                    "high",
                    "acm-export-certificate",
                    "123456789012",
                    "us-east-1",
                    "acm.amazonaws.com",
                ],
            ),
            (
                bare,
                [
                    "critical",
                    "acm-export-certificate",
                    UNKNOWN,
                    UNKNOWN,
                    UNKNOWN,
                ],
            ),
        ] {
            let attrs = message_attributes(&alert);
            let names: Vec<&str> = attrs.iter().map(|(k, _)| *k).collect();
            assert_eq!(
                names,
                ["severity", "rule_id", "account", "region", "event_source"]
            );
            let values: Vec<&str> = attrs.iter().map(|(_, v)| v.as_str()).collect();
            assert_eq!(values, want);
        }
        let source = &message_attributes(&hostile)[4].1;
        assert!(
            source.starts_with("acm aaa") && source.chars().count() < 300,
            "{source}"
        );
    }
}
