//! The alert email: plain text a person reads on a phone.
//!
//! The first line says what happened in plain words (the rule's title, who, where); then one
//! line per detail (when, who, what, where from, the rule's tags), the resources touched, what
//! to check (the rule's description), when the alert is likely benign (the rule's false
//! positives), the rule's references, the console link, and where the alert came from. Lines are not wrapped:
//! mail clients on phones reflow plain text better than any fixed width. Every field is cleaned
//! to one line by [`super::text`] and cut to [`MAX_FIELD_CHARS`]; fields the alert does not have
//! are left out rather than shown empty. The event itself is not here: it travels in the JSON
//! message.

use std::fmt::Write as _;

use super::text;
use super::{named, place, Named};
use crate::alert::MAX_RULE_LIST_ITEMS;
use crate::Alert;

/// The most characters of one untrusted field in the email.
const MAX_FIELD_CHARS: usize = 512;
/// The most characters of the rule's description ("what to check").
const MAX_DESCRIPTION_CHARS: usize = 4096;
/// The most resources listed one by one.
const MAX_RESOURCES: usize = 20;
/// The most characters of one of the rule's false positives or references.
const MAX_NOTE_CHARS: usize = 2 * MAX_FIELD_CHARS;
/// The most characters of the rule's tags, on one line.
const MAX_TAGS_CHARS: usize = 1024;

/// The plain-text email for `alert`.
pub fn email_text(alert: &Alert) -> String {
    let field = |v: &str| text::line(v, MAX_FIELD_CHARS);
    let mut out = headline(alert);
    out.push_str("\n\n");

    let mut detail = |label: &str, value: String| {
        if !value.is_empty() {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{label}: {value}");
        }
    };
    detail("Severity", alert.severity.as_str().to_ascii_uppercase());
    detail("When", opt(&alert.event_time, field));
    detail("Who", who(alert));
    detail("What", what(alert));
    detail("Where", whereabouts(alert));
    detail("Source IP", opt(&alert.source_ip, field));
    detail("User agent", opt(&alert.user_agent, field));
    detail("Tags", text::line(&alert.tags.join(", "), MAX_TAGS_CHARS));

    list(
        &mut out,
        "Resources",
        &alert.resources,
        (MAX_RESOURCES, MAX_FIELD_CHARS),
    );
    let check = text::line(&alert.description, MAX_DESCRIPTION_CHARS);
    if !check.is_empty() {
        let _ = write!(out, "\nWhat to check:\n{check}\n");
    }
    let notes = (MAX_RULE_LIST_ITEMS, MAX_NOTE_CHARS);
    list(&mut out, "Likely benign when", &alert.falsepositives, notes);
    list(&mut out, "References", &alert.references, notes);
    let url = opt(&alert.console_url, |u| text::line(u, 2 * MAX_FIELD_CHARS));
    if !url.is_empty() {
        let _ = write!(out, "\nOpen the event in the CloudTrail console:\n{url}\n");
    }

    out.push('\n');
    let object = field(&alert.source.object);
    match alert.source.record {
        Some(record) => {
            let _ = writeln!(out, "Found in: {object}, record {record}");
        }
        None => {
            let _ = writeln!(out, "Found in: {object}");
        }
    }
    let _ = writeln!(
        out,
        "Alert: {} (rule {})",
        field(&alert.alert_id),
        field(&alert.rule_id)
    );
    out
}

/// `label:` and one `- item` line per item (cleaned, cut to `max_chars`, empty ones left out),
/// at most `max` of them and a line saying how many more; nothing when there is no item.
fn list(out: &mut String, label: &str, items: &[String], (max, max_chars): (usize, usize)) {
    let lines: Vec<String> = items
        .iter()
        .map(|item| text::line(item, max_chars))
        .filter(|item| !item.is_empty())
        .take(max + 1)
        .collect();
    if lines.is_empty() {
        return;
    }
    let _ = write!(out, "\n{label}:\n");
    for line in lines.iter().take(max) {
        let _ = writeln!(out, "- {line}");
    }
    if lines.len() > max {
        let more = items.len().saturating_sub(max);
        let _ = writeln!(out, "- ... and {more} more (see the JSON alert)");
    }
}

/// The first line: "ACM certificate exported by arn:...:user/Alice in 123456789012/us-east-1".
fn headline(alert: &Alert) -> String {
    let mut out = text::line(&alert.title, MAX_FIELD_CHARS);
    if out.is_empty() {
        out = text::line(&alert.rule_id, MAX_FIELD_CHARS);
    }
    match named(alert) {
        Some(Named::Principal(p)) => {
            let _ = write!(out, " by {}", text::line(p, MAX_FIELD_CHARS));
        }
        Some(Named::Object(o)) => {
            let _ = write!(out, ": {}", text::line(o, MAX_FIELD_CHARS));
        }
        None => {}
    }
    if let Some(place) = place(alert) {
        let _ = write!(out, " in {}", text::line(&place, MAX_FIELD_CHARS));
    }
    out
}

/// The cleaned field, or empty when absent.
fn opt(value: &Option<String>, clean: impl Fn(&str) -> String) -> String {
    value.as_deref().map(clean).unwrap_or_default()
}

fn who(alert: &Alert) -> String {
    let principal = opt(&alert.principal, |p| text::line(p, MAX_FIELD_CHARS));
    let kind = opt(&alert.principal_type, |t| text::line(t, MAX_FIELD_CHARS));
    match (principal.is_empty(), kind.is_empty()) {
        (false, false) if principal != kind => format!("{principal} ({kind})"),
        (false, _) => principal,
        (true, _) => kind,
    }
}

fn what(alert: &Alert) -> String {
    let parts: Vec<String> = [&alert.event_source, &alert.event_name]
        .into_iter()
        .map(|v| opt(v, |s| text::line(s, MAX_FIELD_CHARS)))
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = parts.join(" ");
    let error = opt(&alert.error_code, |e| text::line(e, MAX_FIELD_CHARS));
    if !error.is_empty() {
        if out.is_empty() {
            out = format!("failed with {error}");
        } else {
            let _ = write!(out, ", failed with {error}");
        }
    }
    out
}

fn whereabouts(alert: &Alert) -> String {
    let account = opt(&alert.account, |a| text::line(a, MAX_FIELD_CHARS));
    let region = opt(&alert.region, |r| text::line(r, MAX_FIELD_CHARS));
    match (account.is_empty(), region.is_empty()) {
        (false, false) => format!("account {account}, region {region}"),
        (false, true) => format!("account {account}"),
        (true, false) => format!("region {region}"),
        (true, true) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::export_alert;

    #[test]
    fn email_says_what_happened_first_then_details() {
        let text = email_text(&export_alert());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "ACM certificate exported by arn:aws:iam::123456789012:user/Alice in 123456789012/us-east-1"
        );
        for want in [
            "Severity: HIGH",
            "When: 2019-06-28T18:51:22Z",
            "Who: arn:aws:iam::123456789012:user/Alice (IAMUser)",
            "What: acm.amazonaws.com ExportCertificate",
            "Where: account 123456789012, region us-east-1",
            "Source IP: 192.0.2.1",
            "User agent: aws-cli/2",
            "Tags: attack.credential-access, attack.t1552.004",
            "- arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "A certificate and its private key left ACM.",
            "Likely benign when:",
            "- A planned export by a deployment pipeline.",
            "References:",
            "- https://docs.aws.amazon.com/acm/latest/APIReference/API_ExportCertificate.html",
            "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/e-1",
            "Found in: s3://b/k.json.gz, record 3",
            "Alert: 0123456789abcdef0123456789abcdef (rule acm-export-certificate)",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{text}");
        }
        assert!(
            !text.contains("\"event\""),
            "the event JSON stays out of the email"
        );
    }

    #[test]
    fn missing_and_odd_fields() {
        type Edit = fn(&mut Alert);
        let cases: [(Edit, &str, &str); 7] = [
            (
                |a| a.error_code = Some("AccessDenied".into()),
                "What: acm.amazonaws.com ExportCertificate, failed with AccessDenied",
                "",
            ),
            (
                |a| {
                    a.event_source = None;
                    a.event_name = None;
                    a.error_code = Some("X".into())
                },
                "What: failed with X",
                "",
            ),
            (
                |a| a.principal_type = a.principal.clone(),
                "Who: arn:aws:iam::123456789012:user/Alice\n",
                "",
            ),
            (
                |a| a.region = None,
                "Where: account 123456789012\n",
                " in 123456789012/",
            ),
            (
                |a| {
                    a.user_agent = Some(" \r\n ".into());
                    a.console_url = None
                },
                "",
                "User agent:",
            ),
            (
                |a| a.resources = (0..25).map(|i| format!("r{i}")).collect(),
                "- r19\n- ... and 5 more (see the JSON alert)\n",
                "- r20",
            ),
            (
                |a| {
                    a.principal = None;
                    a.account = None;
                    a.region = None;
                    a.source.record = None
                },
                "ACM certificate exported: s3://b/k.json.gz\n",
                "record",
            ),
        ];
        for (edit, want, unwanted) in cases {
            let mut a = export_alert();
            edit(&mut a);
            let text = email_text(&a);
            assert!(text.contains(want), "missing {want:?} in\n{text}");
            assert!(
                unwanted.is_empty() || !text.contains(unwanted),
                "{unwanted:?} in\n{text}"
            );
        }
    }

    #[test]
    fn hostile_fields_stay_on_their_line_and_short() {
        let mut a = export_alert();
        let huge = format!("{}\r\nBcc: x\x1b[2J\u{202e}", "é".repeat(1_000_000));
        for f in [
            &mut a.principal,
            &mut a.user_agent,
            &mut a.source_ip,
            &mut a.event_name,
            &mut a.account,
            &mut a.error_code,
            &mut a.console_url,
        ] {
            *f = Some(huge.clone());
        }
        a.title = "Title\nInjected: yes".to_owned();
        a.resources = vec![huge.clone(); 30];
        a.resources.extend((0..10_000).map(|i| format!("r{i}\n")));
        a.tags = vec![huge.clone(); 100];
        a.references = vec![huge.clone(); 100];
        a.falsepositives = vec![huge.clone(); 100];
        a.source.object = huge;
        let text = email_text(&a);
        assert!(text.len() < 128 * 1024, "{} bytes", text.len());
        assert!(text.starts_with("Title Injected: yes by éé"));
        assert!(text.contains("…[cut 999"));
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
        assert!(!text.contains("\nBcc:") && !text.contains('\u{202e}'));
        assert!(
            text.lines()
                .all(|l| l.chars().count() < 4 * MAX_FIELD_CHARS),
            "a line too long"
        );
    }
}
