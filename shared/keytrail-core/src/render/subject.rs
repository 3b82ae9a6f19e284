//! The SNS `Subject`: the subject of the alert email.
//!
//! SNS wants it printable ASCII, starting with a letter, digit or punctuation, with no line
//! breaks or control characters, and "less than 100 characters" (so at most 99). The shape is
//! `[SEVERITY] title: who in account/region`. Who is the principal in the most detailed form
//! that fits: the part of its ARN after the account (`user/Alice`,
//! `assumed-role/Deploy/session`; the account kept when it is not the alert's own), then the
//! role without its session, then the bare user or role name; when even that does not fit the
//! region is dropped, and only then is the name cut in the middle. The email carries the full
//! ARN.

use std::borrow::Cow;

use super::text;
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
    let head = format!("[{}] {title}", alert.severity.as_str().to_ascii_uppercase());
    // Where: account/region, else the account alone when room is short.
    let mut tails: Vec<String> = Vec::new();
    for place in [place(alert), alert.account.clone()].into_iter().flatten() {
        let place = text::ascii(&place, MAX_PLACE_CHARS);
        let tail = if place.is_empty() {
            String::new()
        } else {
            format!(" in {place}")
        };
        if !tails.contains(&tail) {
            tails.push(tail);
        }
    }
    if tails.is_empty() {
        tails.push(String::new());
    }
    let forms = match named(alert) {
        Some(Named::Principal(p)) => principal_forms(p, alert.account.as_deref()),
        Some(Named::Object(o)) => vec![Cow::Borrowed(o)],
        None => Vec::new(),
    };
    let room = |tail: &str| MAX_SUBJECT_CHARS.saturating_sub(head.len() + ": ".len() + tail.len());

    // The most detailed form of who that fits whole, with the most detailed place.
    for tail in &tails {
        for form in &forms {
            let who = text::ascii(form, room(tail) + 1);
            if !who.is_empty() && who.len() <= room(tail) {
                return format!("{head}: {who}{tail}");
            }
        }
    }
    // Nothing fits whole: the shortest form, cut in the middle, when enough of it is left.
    let tail = &tails[0];
    let who = forms
        .last()
        .map(|form| text::ascii_middle(form, room(tail)))
        .filter(|who| who.len() >= MIN_NAMED_CHARS);
    let out = match who {
        Some(who) => format!("{head}: {who}{tail}"),
        None => format!("{head}{tail}"),
    };
    // Already clean; this only enforces the length when the title and place alone are too long.
    text::ascii(&out, MAX_SUBJECT_CHARS)
}

/// The principal in shorter and shorter forms, raw: the part of its ARN after the account (the
/// account kept when it is not the alert's own), the role without its session, the bare name.
fn principal_forms<'a>(principal: &'a str, account: Option<&str>) -> Vec<Cow<'a, str>> {
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    let ["arn", _, _, _, arn_account, resource] = parts.as_slice() else {
        return vec![Cow::Borrowed(principal)];
    };
    if resource.is_empty() {
        return vec![Cow::Borrowed(principal)];
    }
    let mut forms = vec![];
    if arn_account.is_empty() || Some(*arn_account) == account {
        forms.push(Cow::Borrowed(*resource));
    } else {
        forms.push(Cow::Owned(format!("{arn_account}:{resource}")));
    }
    let segments: Vec<&str> = resource.split('/').collect();
    match segments.as_slice() {
        ["assumed-role", role, _, ..] => {
            if arn_account.is_empty() || Some(*arn_account) == account {
                forms.push(Cow::Owned(format!("assumed-role/{role}")));
            } else {
                forms.push(Cow::Owned(format!("{arn_account}:assumed-role/{role}")));
            }
            forms.push(Cow::Borrowed(*role));
        }
        [_, .., name] if !name.is_empty() => forms.push(Cow::Borrowed(*name)),
        _ => {}
    }
    forms
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
                "[HIGH] ACM certificate exported with its private key: RRRRRRRR...RRRRRRRR in 123456789012/us-east-1".to_owned(),
            ),
            (
                alert("ACM private key decrypted outside an AWS service", Some("arn:aws:sts::111122223333:assumed-role/DecryptACMCertificate/1aba0dc8b3a728d6998c234a99178eff"), Some("123456789012"), Some("us-east-1")),
                "[HIGH] ACM private key decrypted outside an AWS service: DecryptACMCertificate in 123456789012".to_owned(),
            ),
            (
                alert("CloudHSM backup copied to another region", Some("arn:aws:sts::111122223333:assumed-role/AdminRole/ExampleSession"), Some("111122223333"), Some("us-west-2")),
                "[HIGH] CloudHSM backup copied to another region: assumed-role/AdminRole in 111122223333/us-west-2".to_owned(),
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
    fn principal_forms_go_from_detailed_to_short() {
        for (principal, account, want) in [
            (ALICE, Some("123456789012"), vec!["user/Alice", "Alice"]),
            (ALICE, None, vec!["123456789012:user/Alice", "Alice"]),
            (
                "arn:aws:iam::123456789012:root",
                Some("123456789012"),
                vec!["root"],
            ),
            (
                "arn:aws:sts::1:assumed-role/R/s:x",
                Some("1"),
                vec!["assumed-role/R/s:x", "assumed-role/R", "R"],
            ),
            (
                "arn:aws:sts::2:assumed-role/R/s",
                Some("1"),
                vec!["2:assumed-role/R/s", "2:assumed-role/R", "R"],
            ),
            (
                "arn:aws:iam::1:user/path/to/Bob",
                Some("1"),
                vec!["user/path/to/Bob", "Bob"],
            ),
            ("acm.amazonaws.com", Some("1"), vec!["acm.amazonaws.com"]),
            ("arn:aws:iam::1:", Some("1"), vec!["arn:aws:iam::1:"]),
            ("", None, vec![""]),
        ] {
            assert_eq!(principal_forms(principal, account), want, "{principal}");
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
