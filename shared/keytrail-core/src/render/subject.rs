//! The SNS `Subject`: the subject of the alert email.
//!
//! SNS wants it printable ASCII, starting with a letter, digit or punctuation, with no line
//! breaks or control characters, and "less than 100 characters" (so at most 99). The shape is
//! `[SEVERITY] title: who in account/region`. The principal is shortened to the part of its ARN
//! after the account (`user/Alice`, `assumed-role/Deploy/session`) when the account is the
//! alert's own, since the account follows; a principal from another account keeps it. When it
//! does not fit, the principal is cut in the middle (its end names the role or user), and only
//! as a last resort is the whole line cut at the end.

use std::borrow::Cow;

use super::text::{self, ASCII_ELLIPSIS};
use super::{named, place, Named};
use crate::Alert;

/// The most characters a subject has: SNS requires fewer than 100.
pub const MAX_SUBJECT_CHARS: usize = 99;

/// The most characters of the title and of `account/region` in a subject.
const MAX_TITLE_CHARS: usize = 64;
const MAX_PLACE_CHARS: usize = 40;
/// Below this many characters a cut principal says too little to be worth showing.
const MIN_NAMED_CHARS: usize = 12;

/// The subject line for `alert`: `[HIGH] ACM certificate exported ...: user/Alice in
/// 123456789012/us-east-1`, at most [`MAX_SUBJECT_CHARS`] printable ASCII characters.
pub fn subject(alert: &Alert) -> String {
    let mut title = text::ascii(&alert.title, MAX_TITLE_CHARS);
    if title.is_empty() {
        title = text::ascii(&alert.rule_id, MAX_TITLE_CHARS);
    }
    if title.is_empty() {
        title = "keytrail alert".to_owned();
    }
    let mut out = format!("[{}] {title}", alert.severity.as_str().to_ascii_uppercase());
    let tail = place(alert)
        .map(|p| text::ascii(&p, MAX_PLACE_CHARS))
        .filter(|p| !p.is_empty())
        .map(|p| format!(" in {p}"))
        .unwrap_or_default();
    let who = match named(alert) {
        Some(Named::Principal(p)) => short_principal(p, alert.account.as_deref()),
        Some(Named::Object(o)) => Cow::Borrowed(o),
        None => Cow::Borrowed(""),
    };
    let room = MAX_SUBJECT_CHARS.saturating_sub(out.len() + ": ".len() + tail.len());
    let who = text::ascii_middle(&who, room);
    if !who.is_empty() && (who.len() >= MIN_NAMED_CHARS || !who.contains(ASCII_ELLIPSIS)) {
        out.push_str(": ");
        out.push_str(&who);
    }
    out.push_str(&tail);
    // Already clean; this only enforces the length should the pieces above ever disagree.
    text::ascii(&out, MAX_SUBJECT_CHARS)
}

/// The principal without its ARN prefix and account when the account is the alert's own.
fn short_principal<'a>(principal: &'a str, account: Option<&str>) -> Cow<'a, str> {
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, _, _, arn_account, resource] if !resource.is_empty() => {
            if arn_account.is_empty() || Some(*arn_account) == account {
                Cow::Borrowed(*resource)
            } else {
                Cow::Owned(format!("{arn_account}:{resource}"))
            }
        }
        _ => Cow::Borrowed(principal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::export_alert;
    use crate::Severity;

    fn alert(
        title: &str,
        principal: Option<&str>,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Alert {
        let mut a = export_alert();
        a.title = title.to_owned();
        a.principal = principal.map(str::to_owned);
        a.account = account.map(str::to_owned);
        a.region = region.map(str::to_owned);
        a
    }

    const ALICE: &str = "arn:aws:iam::123456789012:user/Alice";

    #[test]
    fn subject_reads_severity_title_who_where() {
        let long_role = format!(
            "arn:aws:sts::123456789012:assumed-role/{}/session-42",
            "R".repeat(80)
        );
        for (a, want) in [
            (
                alert("ACM certificate exported", Some(ALICE), Some("123456789012"), Some("us-east-1")),
                "[HIGH] ACM certificate exported: user/Alice in 123456789012/us-east-1".to_owned(),
            ),
            (
                alert("ACM certificate exported", Some(ALICE), Some("999999999999"), Some("us-east-1")),
                "[HIGH] ACM certificate exported: 123456789012:user/Alice in 999999999999/us-east-1".to_owned(),
            ),
            (
                alert("ACME account registered", Some("anonymous"), Some("123456789012"), None),
                "[HIGH] ACME account registered: anonymous in 123456789012".to_owned(),
            ),
            (
                alert("CloudTrail object could not be read", None, None, None),
                "[HIGH] CloudTrail object could not be read: s3://b/k.json.gz".to_owned(),
            ),
            (
                alert("Trail deleted", None, Some("123456789012"), Some("eu-west-1")),
                "[HIGH] Trail deleted in 123456789012/eu-west-1".to_owned(),
            ),
            (
                alert("ACM certificate exported with its private key", Some(&long_role), Some("123456789012"), Some("us-east-1")),
                "[HIGH] ACM certificate exported with its private key: assumed-...ssion-42 in 123456789012/us-east-1".to_owned(),
            ),
            (
                alert("", Some(ALICE), Some("123456789012"), Some("us-east-1")),
                "[HIGH] acm-export-certificate: user/Alice in 123456789012/us-east-1".to_owned(),
            ),
            (
                alert("X\r\nBcc: evil@example.com", Some("ünï\ncode"), Some("1\t2"), Some("")),
                "[HIGH] X Bcc: evil@example.com: ?n? code in 1 2".to_owned(),
            ),
        ] {
            let got = subject(&a);
            assert_eq!(got, want);
            assert!(got.len() <= MAX_SUBJECT_CHARS, "{} chars: {got}", got.len());
        }
    }

    #[test]
    fn short_principal_drops_own_account_only() {
        for (principal, account, want) in [
            (ALICE, Some("123456789012"), "user/Alice"),
            (ALICE, None, "123456789012:user/Alice"),
            (
                "arn:aws:iam::123456789012:root",
                Some("123456789012"),
                "root",
            ),
            (
                "arn:aws:sts::1:assumed-role/R/s:x",
                Some("1"),
                "assumed-role/R/s:x",
            ),
            ("acm.amazonaws.com", Some("1"), "acm.amazonaws.com"),
            ("arn:aws:iam::1:", Some("1"), "arn:aws:iam::1:"),
            ("", None, ""),
        ] {
            assert_eq!(short_principal(principal, account), want, "{principal}");
        }
    }

    /// The SNS rules, as properties over many hostile inputs.
    #[test]
    fn every_subject_obeys_the_sns_rules() {
        let hostile = [
            String::new(),
            " ".to_owned(),
            "\r\n".to_owned(),
            "line\nbreak\r\nand\rcarriage".to_owned(),
            "\x1b[2J\x1b[31mred\x07\0".to_owned(),
            "ünïcödé 🔑 日本語 \u{202e}txt.exe \u{200b}".to_owned(),
            "<!channel> <@U123> <https://evil|click>".to_owned(),
            "x".repeat(1_000_000),
            "é".repeat(500_000),
            "\n".repeat(100_000),
            format!("arn:aws:iam::123456789012:user/{}", "A".repeat(300)),
        ];
        let obeys = |s: &str| {
            !s.is_empty()
                && s.len() <= MAX_SUBJECT_CHARS
                && s.bytes().all(|b| (0x20..0x7f).contains(&b))
                && s.starts_with(|c: char| c.is_ascii_graphic())
        };
        for (i, title) in hostile.iter().enumerate() {
            for (j, other) in hostile.iter().enumerate() {
                let mut a = alert(title, Some(other), Some(other), Some(other));
                a.source.object.clone_from(other);
                a.severity = Severity::ALL[(i + j) % Severity::ALL.len()];
                let s = subject(&a);
                assert!(obeys(&s), "{s:?}");
                let tag = format!("[{}] ", a.severity.as_str().to_ascii_uppercase());
                assert!(s.starts_with(&tag), "{s:?}");
                a.principal = None;
                a.account = None;
                a.region = None;
                let s = subject(&a);
                assert!(obeys(&s), "{s:?}");
            }
        }
    }
}
