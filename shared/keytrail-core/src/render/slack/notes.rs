//! The rule's notes in the Slack message: when an alert is likely benign (Sigma
//! `falsepositives`), where to read more (`references`) and its tags (ATT&CK and the like), as
//! one context block under "What to check", one element each, only those the rule has.
//!
//! Rules are data from anywhere (a rules directory, an S3 prefix), so their text is as untrusted
//! as the event's: false positives are escaped mrkdwn, tags are code spans. A reference becomes
//! a link only when it is an `http://` or `https://` URL of printable ASCII with none of
//! `< > | " \` ` and at most [`MAX_LINK_CHARS`] long, so that it can neither end Slack's
//! `<url|label>` early nor carry a second link or a mention; its `&` is escaped as Slack asks,
//! and its label is the URL itself, cleaned, escaped and cut. Any other reference
//! (`javascript:`, a bare word, a URL with a space) is shown as a code span, not a link.

use serde_json::{json, Value};

use super::{bulleted, code, mrkdwn, text};
use crate::alert::MAX_RULE_LIST_ITEMS;
use crate::Alert;

/// The longest reference made a link (longer ones are shown as text).
pub const MAX_LINK_CHARS: usize = 1000;
/// The most characters of one false positive.
const MAX_NOTE_CHARS: usize = 1024;
/// The most characters of a link's label.
const MAX_LABEL_CHARS: usize = 120;

/// The context block of the rule's notes, or `None` when it has none.
pub(super) fn notes(alert: &Alert) -> Option<Value> {
    let benign = alert
        .falsepositives
        .iter()
        .map(|f| text::mrkdwn(f, MAX_NOTE_CHARS))
        .collect();
    let references = alert.references.iter().map(|r| reference(r)).collect();
    let elements: Vec<Value> = [
        bulleted("Likely benign when", benign, MAX_RULE_LIST_ITEMS),
        bulleted("References", references, MAX_RULE_LIST_ITEMS),
        tags(alert),
    ]
    .into_iter()
    .flatten()
    .map(|text| mrkdwn(&text))
    .collect();
    (!elements.is_empty()).then(|| json!({"type": "context", "elements": elements}))
}

/// `*Tags* `a` `b``, within Slack's limit for one element.
fn tags(alert: &Alert) -> Option<String> {
    let mut out = "*Tags*".to_owned();
    let mut used = out.chars().count();
    for tag in alert.tags.iter().take(MAX_RULE_LIST_ITEMS) {
        let tag = code(tag);
        let n = tag.chars().count() + 1;
        if tag.is_empty() || used + n > super::MAX_SECTION_CHARS {
            continue;
        }
        out.push(' ');
        out.push_str(&tag);
        used += n;
    }
    (out.len() > "*Tags*".len()).then_some(out)
}

/// A reference as mrkdwn: a link when it is a URL that can safely be one, else a code span.
fn reference(reference: &str) -> String {
    match link_url(reference.trim()) {
        Some(url) => format!(
            "<{}|{}>",
            url.replace('&', "&amp;"),
            text::mrkdwn(url, MAX_LABEL_CHARS)
        ),
        None => code(reference),
    }
}

/// `s` when it is an http(s) URL that may go in `<url|label>` as it is; see the module docs.
fn link_url(s: &str) -> Option<&str> {
    let rest = s
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .and_then(|_| s.get(8..))
        .or_else(|| {
            s.get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
                .and_then(|_| s.get(7..))
        })?;
    let plain = |b: u8| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'|' | b'"' | b'`');
    (!rest.is_empty() && s.len() <= MAX_LINK_CHARS && s.bytes().all(plain)).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::export_alert;

    #[test]
    fn references_are_links_only_when_safe() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_LINK_CHARS));
        for (input, want) in [
            (
                "https://docs.aws.amazon.com/acm/x.html",
                "<https://docs.aws.amazon.com/acm/x.html|https://docs.aws.amazon.com/acm/x.html>",
            ),
            (
                " HTTP://example.com/a?b=1&c=<2> ",
                "`HTTP://example.com/a?b=1&amp;c=&lt;2&gt;`",
            ),
            (
                "http://example.com/?a=1&b=2",
                "<http://example.com/?a=1&amp;b=2|http://example.com/?a=1&amp;b=2>",
            ),
            (
                "https://evil.example|click>",
                "`https://evil.example|click&gt;`",
            ),
            ("https://x <!channel>", "`https://x &lt;!channel&gt;`"),
            ("javascript:alert(1)", "`javascript:alert(1)`"),
            ("https://", "`https://`"),
            ("see the vendor's advisory", "`see the vendor's advisory`"),
            ("https://ex.com/`x`", "`https://ex.com/ˋxˋ`"),
            ("https://例え.jp/", "`https://例え.jp/`"),
        ] {
            assert_eq!(reference(input), want, "{input:?}");
        }
        assert!(reference(&long).starts_with('`'));
    }

    #[test]
    fn notes_block_only_with_notes() {
        let mut a = export_alert();
        let block = notes(&a).unwrap();
        let texts: Vec<&str> = block["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "*Likely benign when*\n• A planned export by a deployment pipeline.",
                "*References*\n• <https://docs.aws.amazon.com/acm/latest/APIReference/API_ExportCertificate.html|https://docs.aws.amazon.com/acm/latest/APIReference/API_ExportCertificate.html>",
                "*Tags* `attack.credential-access` `attack.t1552.004`",
            ]
        );
        a.falsepositives.clear();
        a.references = vec![" ".to_owned()];
        assert_eq!(notes(&a).unwrap()["elements"].as_array().unwrap().len(), 1);
        a.tags.clear();
        assert_eq!(notes(&a), None);
    }
}
