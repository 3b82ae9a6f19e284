//! Alerts rendered for people and for SNS: the email subject, the email text, the SNS message.
//!
//! Everything here is a pure function of an [`Alert`], infallible and deterministic (snapshot
//! tests pin the output for every built-in rule). Every text field of an alert except the rule's
//! own metadata comes from the event and is attacker-controlled (user agents, ARNs, request
//! parameters), so every such field goes through [`text`] before it reaches a person:
//!
//! - [`subject`]: the SNS `Subject`, which becomes the email subject: printable ASCII, one line,
//!   under 100 characters, severity first.
//! - [`email_text`]: the plain text of the email, one line per field, each field cut to a sane
//!   length; what happened first, then who / what / where, what to check, the console link.
//! - [`sns_message`]: the `MessageStructure: json` document (the alert as JSON for machines, the
//!   email text for email), guaranteed under SNS's 256 KiB whatever the alert (`fit.rs`); and
//!   [`message_attributes`] for subscription filter policies.
//!
//! - [`slack_message`]: the Slack incoming-webhook payload (Block Kit), untrusted text escaped
//!   for mrkdwn and every Block Kit limit respected ([`slack`]).

mod email;
mod fit;
pub mod slack;
mod sns;
mod subject;
pub mod text;

pub use email::email_text;
pub use slack::slack_message;
pub use sns::{
    message_attributes, sns_message, sns_message_as, AlertFormat, ParseAlertFormatError,
    SnsMessage, MAX_MESSAGE_BYTES, UNKNOWN,
};
pub use subject::{subject, MAX_SUBJECT_CHARS};

use crate::Alert;

/// Where it happened, raw (untrusted): `account/region`, or whichever of the two is known.
fn place(alert: &Alert) -> Option<String> {
    fn known(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.trim().is_empty())
    }
    match (known(&alert.account), known(&alert.region)) {
        (Some(account), Some(region)) => Some(format!("{account}/{region}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// What the headline names after the title, raw (untrusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named<'a> {
    /// Who did it.
    Principal(&'a str),
    /// The object, for an alert about no one in particular (an unreadable object).
    Object(&'a str),
}

/// Who did it, else (when the alert names neither who nor where) the object it came from.
fn named(alert: &Alert) -> Option<Named<'_>> {
    let known = |v: &'_ str| !v.trim().is_empty();
    match alert.principal.as_deref().filter(|p| known(p)) {
        Some(principal) => Some(Named::Principal(principal)),
        None if place(alert).is_none() && known(&alert.source.object) => {
            Some(Named::Object(&alert.source.object))
        }
        None => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::alert::Source;
    use crate::{Alert, Severity};
    use serde_json::json;

    /// A typical alert, for tests to edit.
    pub(crate) fn export_alert() -> Alert {
        Alert {
            alert_id: "0123456789abcdef0123456789abcdef".to_owned(),
            rule_id: "acm-export-certificate".to_owned(),
            severity: Severity::High,
            title: "ACM certificate exported".to_owned(),
            description: "A certificate and its private key left ACM.".to_owned(),
            tags: vec![
                "attack.credential-access".to_owned(),
                "attack.t1552.004".to_owned(),
            ],
            references: vec![
                "https://docs.aws.amazon.com/acm/latest/APIReference/API_ExportCertificate.html"
                    .to_owned(),
            ],
            falsepositives: vec!["A planned export by a deployment pipeline.".to_owned()],
            event_id: Some("e-1".to_owned()),
            event_source: Some("acm.amazonaws.com".to_owned()),
            event_name: Some("ExportCertificate".to_owned()),
            event_time: Some("2019-06-28T18:51:22Z".to_owned()),
            account: Some("123456789012".to_owned()),
            region: Some("us-east-1".to_owned()),
            principal: Some("arn:aws:iam::123456789012:user/Alice".to_owned()),
            principal_type: Some("IAMUser".to_owned()),
            source_ip: Some("192.0.2.1".to_owned()),
            user_agent: Some("aws-cli/2".to_owned()),
            error_code: None,
            resources: vec!["arn:aws:acm:us-east-1:123456789012:certificate/abc".to_owned()],
            source: Source {
                object: "s3://b/k.json.gz".to_owned(),
                record: Some(3),
            },
            console_url: crate::alert::console_url(Some("us-east-1"), Some("e-1")),
            event: crate::alert::EventJson::from_value(
                &json!({"eventName": "ExportCertificate", "eventID": "e-1"}),
            ),
        }
    }
}
