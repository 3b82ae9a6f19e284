//! The SNS message: `MessageStructure: json`, always under SNS's size limit, and its attributes.
//!
//! The message is a JSON object whose values are strings: `default` (the alert as JSON, for SQS,
//! Lambda and HTTPS subscribers), `email` (the text of [`super::email_text`]) and `email-json`
//! (the alert as JSON again), fitted under the limit by `fit.rs`. The attributes carry the
//! fields subscription filter policies need, cleaned and never empty.

use std::fmt;
use std::str::FromStr;

use super::fit::{alert_json, fit};
use super::{email_text, subject, text};
use crate::alert::ocsf;
use crate::Alert;

/// SNS's limit on a published message, in bytes of UTF-8.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// Bytes of the limit left to the subject and the attributes, which count against the same
/// 256 KiB in a PublishBatch (subject ≤ 99, five attributes ≤ 256 characters each).
const HEADROOM: usize = 8 * 1024;
/// What the message is fitted into.
pub(super) const MESSAGE_BUDGET: usize = MAX_MESSAGE_BYTES - HEADROOM;

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

/// The SNS message for `alert`. The message is at most [`MAX_MESSAGE_BYTES`] minus room for the
/// subject and attributes, whatever the alert: an oversized alert has its event shrunk (as a
/// last resort replaced by a note) and its fields and email text cut, each with a marker.
pub fn sns_message(alert: &Alert) -> SnsMessage {
    sns_message_as(alert, AlertFormat::Keytrail, 0)
}

/// [`sns_message`] with the JSON for machines (`default` and `email-json`) in `format`; the
/// subject, the email text and the attributes are the same whatever the format. `now_ms` is an
/// OCSF finding's time when the alert has none ([`ocsf::finding`]).
pub fn sns_message_as(alert: &Alert, format: AlertFormat, now_ms: i64) -> SnsMessage {
    let email = email_text(alert);
    let message = match format {
        AlertFormat::Keytrail => fit(alert, email, MESSAGE_BUDGET, &alert_json),
        AlertFormat::Ocsf => fit(alert, email, MESSAGE_BUDGET, &|a: &Alert| {
            ocsf::finding(a, now_ms).to_string()
        }),
    };
    SnsMessage {
        subject: subject(alert),
        message,
    }
}

/// What the JSON of an SNS message is (`ALERT_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AlertFormat {
    /// keytrail's own alert schema (DESIGN.md, "One alert schema"); what the Slack notifier reads.
    #[default]
    Keytrail,
    /// An OCSF Detection Finding ([`ocsf`]).
    Ocsf,
}

impl AlertFormat {
    /// Every format's name, for messages: `keytrail`, `ocsf`.
    pub const NAMES: [&'static str; 2] = ["keytrail", "ocsf"];

    /// The format's name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertFormat::Keytrail => "keytrail",
            AlertFormat::Ocsf => "ocsf",
        }
    }
}

impl fmt::Display for AlertFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an [`AlertFormat`].
#[derive(Debug, thiserror::Error)]
#[error("unknown alert format {0:?}: use keytrail (the default) or ocsf")]
pub struct ParseAlertFormatError(pub String);

impl FromStr for AlertFormat {
    type Err = ParseAlertFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keytrail" => Ok(AlertFormat::Keytrail),
            "ocsf" => Ok(AlertFormat::Ocsf),
            _ => Err(ParseAlertFormatError(s.to_owned())),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::export_alert;
    use crate::Severity;

    #[test]
    fn small_alert_is_carried_whole() {
        let alert = export_alert();
        let msg = sns_message(&alert);
        let doc: serde_json::Value = serde_json::from_str(&msg.message).unwrap();
        let default: Alert = serde_json::from_str(doc["default"].as_str().unwrap()).unwrap();
        assert_eq!(default, alert);
        assert_eq!(doc["email-json"], doc["default"]);
        assert_eq!(doc["email"], email_text(&alert).as_str());
        assert_eq!(sns_message(&alert).subject, subject(&alert));
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
