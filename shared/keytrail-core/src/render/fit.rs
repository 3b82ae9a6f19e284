//! Fitting the SNS message under the limit, whatever the alert.
//!
//! The alert JSON appears twice in the document (`default` and `email-json`), each time escaped
//! once more, so a large alert can exceed SNS's limit even though [`crate::alert`] caps the
//! alert itself. [`fit`] is a ladder of steps, each tried only when the one before did not fit:
//! top-level fields cut to a few KiB and the event shrunk ([`crate::redact::shrink`]) into the
//! room left; the event replaced by a note; top-level fields cut harder; and finally the email
//! text cut. The last step always fits, so the guarantee holds whatever the alert. Real alerts
//! (under [`crate::alert::MAX_ALERT_BYTES`]) fit at the first try and are carried unchanged.

use serde_json::json;

use super::text;
use crate::alert::EventJson;
use crate::{redact, Alert};

/// The document for `alert` and `email`, in at most `budget` bytes; `write` writes the alert
/// (or a copy the ladder cut) as the machine-readable JSON (keytrail's schema or OCSF).
pub(super) fn fit(
    alert: &Alert,
    email: String,
    budget: usize,
    write: &dyn Fn(&Alert) -> String,
) -> String {
    let doc = document(&write(alert), &email);
    if doc.len() <= budget {
        return doc;
    }
    let note = EventJson::from_value(&json!({
        "keytrail_note": "event left out: the alert would not fit in one SNS message; \
                          see the source object or the CloudTrail console"
    }));
    let event = alert.event.to_value();
    const LEVELS: [(usize, usize); 3] = [(4096, 256), (512, 32), (128, 8)];
    for (max_chars, max_items) in LEVELS {
        let mut fitted = capped(alert, max_chars, max_items);
        let rest = document(&write(&fitted), &email).len();
        // The event appears twice, each time escaped once more (at most doubling it): a third
        // of the room usually fits, a quarter nearly always does.
        for divisor in [3, 4] {
            let event_budget = budget.saturating_sub(rest) / divisor;
            if event_budget < 1024 {
                break;
            }
            let mut shrunk = event.clone();
            redact::shrink(&mut shrunk, event_budget);
            fitted.event = EventJson::from_value(&shrunk);
            let doc = document(&write(&fitted), &email);
            if doc.len() <= budget {
                return doc;
            }
        }
        fitted.event = note.clone();
        let doc = document(&write(&fitted), &email);
        if doc.len() <= budget {
            return doc;
        }
    }

    // Cutting k bytes of email takes at least k bytes off the document, so this ends in one or
    // two rounds; an empty email always fits next to an alert cut this hard.
    let (max_chars, max_items) = LEVELS[LEVELS.len() - 1];
    let mut fitted = capped(alert, max_chars, max_items);
    fitted.event = note;
    let json = write(&fitted);
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

/// `alert` in keytrail's own schema.
pub(super) fn alert_json(alert: &Alert) -> String {
    serde_json::to_string(alert).unwrap_or_else(|e| {
        // Unreachable for this type (string keys only), but never publish nothing.
        json!({
            "alert_id": alert.alert_id, "rule_id": alert.rule_id, "severity": alert.severity,
            "keytrail_note": format!("alert could not be serialized: {e}"),
        })
        .to_string()
    })
}

/// A copy of `alert` without its event, whose text fields are at most `max_chars` characters
/// (plus a marker) and whose lists (resources, the rule's tags, references and false positives)
/// are at most `max_items` (plus a marker entry).
fn capped(alert: &Alert, max_chars: usize, max_items: usize) -> Alert {
    let cut = |s: &String| text::cut(s, max_chars);
    let cut_opt = |s: &Option<String>| s.as_ref().map(cut);
    let cut_list = |items: &[String]| {
        let mut out: Vec<String> = items.iter().take(max_items).map(cut).collect();
        if items.len() > max_items {
            let dropped = items.len() - max_items;
            out.push(format!("…[cut {dropped} items]"));
        }
        out
    };
    Alert {
        alert_id: cut(&alert.alert_id),
        rule_id: cut(&alert.rule_id),
        severity: alert.severity,
        title: cut(&alert.title),
        description: cut(&alert.description),
        tags: cut_list(&alert.tags),
        references: cut_list(&alert.references),
        falsepositives: cut_list(&alert.falsepositives),
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
        resources: cut_list(&alert.resources),
        source: crate::alert::Source {
            object: cut(&alert.source.object),
            record: alert.source.record,
        },
        console_url: cut_opt(&alert.console_url),
        event: EventJson::null(),
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
    use crate::render::sns::{
        message_attributes, sns_message, sns_message_as, AlertFormat, MAX_MESSAGE_BYTES,
        MESSAGE_BUDGET,
    };
    use crate::render::{email_text, tests::export_alert};
    use serde_json::Value;

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
    fn any_alert_fits_in_one_message() {
        type Edit = fn(&mut Alert);
        let cases: [(&str, Edit); 7] = [
            ("1 MB strings in the event", |a| {
                a.event = EventJson::from_value(
                    &json!({"eventName": "X", "requestParameters": {"a": "x".repeat(1_000_000), "b": ["x".repeat(1_000_000), "x".repeat(1_000_000)]}}),
                )
            }),
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
                let nasty = "\"\\\u{1}".repeat(40_000);
                a.description.clone_from(&nasty);
                a.resources = vec![nasty.clone(); 30];
                a.event = EventJson::from_value(
                    &json!({"q": nasty.clone(), "list": vec![nasty.clone(); 20]}),
                );
                a.user_agent = Some(nasty);
            }),
            ("4-byte characters everywhere", |a| {
                let keys = "🔑".repeat(300_000);
                a.title.clone_from(&keys);
                a.source.object.clone_from(&keys);
                a.resources = vec![keys.clone(); 20];
                a.event = EventJson::from_value(&json!({"k": keys}));
            }),
            ("a very wide event", |a| {
                a.event = EventJson::from_value(&Value::Object(
                    (0..100_000).map(|i| (format!("k{i}"), json!(i))).collect(),
                ));
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
            // The same ladder fits the OCSF finding; the email is the same as beside an alert.
            let ocsf = sns_message_as(&alert, AlertFormat::Ocsf, 0);
            assert!(
                ocsf.message.len() <= MESSAGE_BUDGET,
                "{name}: {} bytes",
                ocsf.message.len()
            );
            let doc: Value = serde_json::from_str(&ocsf.message).unwrap();
            assert_eq!(doc["default"], doc["email-json"], "{name}");
            assert_eq!(doc["email"], email.as_str(), "{name}");
            let finding: Value = serde_json::from_str(doc["default"].as_str().unwrap()).unwrap();
            assert_eq!(finding["class_uid"], 2004, "{name}");
            assert_eq!(
                finding["finding_info"]["uid"],
                alert.alert_id.as_str(),
                "{name}"
            );
        }
    }

    #[test]
    fn large_event_is_shrunk_not_dropped() {
        let mut alert = export_alert();
        alert.event = EventJson::from_value(
            &json!({"eventName": "ExportCertificate", "requestParameters": {"note": "y".repeat(400_000)}}),
        );
        let (default, email) = check(&alert);
        let event = default.event.to_value();
        assert_eq!(event["eventName"], "ExportCertificate");
        assert!(event["requestParameters"]["note"]
            .as_str()
            .unwrap()
            .contains("…[cut "));
        assert_eq!(
            email,
            email_text(&alert),
            "the email is not cut while the event can shrink"
        );
    }
}
