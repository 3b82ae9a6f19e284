//! The Slack message: an alert as Block Kit JSON for an incoming webhook.
//!
//! Layout, top to bottom: a header (severity emoji, severity, title); a section whose fields say
//! who did what, when, from where (IP, user agent) and in which account and region; the
//! resources touched; what to check (the rule's description); the rule's notes (when the alert
//! is likely benign, its references, its tags: [`notes`]); a button to the event in the
//! CloudTrail console (only for an `https://` link); and a context line with the alert id, the
//! rule id and the object the record came from. The top-level `text` is the notification text.
//!
//! Untrusted text is never live: the header and the button label are `plain_text`; every event
//! value in mrkdwn goes through [`text::mrkdwn_code`] (cleaned to one line, `&`, `<`, `>` escaped,
//! set in an inline code span it cannot close) and every mrkdwn object has `verbatim: true`, so a
//! user agent of `<!channel> <https://evil|click>` shows as typed, pings no one and links nowhere.
//! Unfurling is off, so a URL in a field cannot pull in a preview either.
//!
//! Slack rejects, rather than truncates, a message over a Block Kit limit, so every piece is cut
//! (with a marker) to stay within [`MAX_HEADER_CHARS`], [`MAX_SECTION_CHARS`],
//! [`MAX_FIELD_CHARS`], [`MAX_FIELDS`] and [`MAX_BLOCKS`], whatever the alert.

use serde_json::{json, Value};

use super::{named, place, text, Named};
use crate::{Alert, Severity};

/// Slack's limit on a header block's text.
pub const MAX_HEADER_CHARS: usize = 150;
/// Slack's limit on a section's text (and on a context element's text).
pub const MAX_SECTION_CHARS: usize = 3000;
/// Slack's limit on one section field's text.
pub const MAX_FIELD_CHARS: usize = 2000;
/// Slack's limit on the fields of one section.
pub const MAX_FIELDS: usize = 10;
/// Slack's limit on the blocks of one message.
pub const MAX_BLOCKS: usize = 50;
/// Slack's limit on a button's URL.
pub const MAX_URL_CHARS: usize = 3000;
/// The most characters of the notification text (Slack allows far more; a notification shows
/// one line).
pub const MAX_FALLBACK_CHARS: usize = 1000;

/// The most characters of one untrusted value in a field or a list.
const MAX_VALUE_CHARS: usize = 512;
/// The most resources listed one by one.
const MAX_RESOURCES: usize = 20;

/// The emoji that shows an alert's severity at a glance.
pub fn severity_emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🚨",
        Severity::High => "🔴",
        Severity::Medium => "🟠",
        Severity::Low => "🟡",
        Severity::Informational => "🔵",
    }
}

/// The incoming-webhook payload for `alert`: `text` (the notification), `blocks`, and unfurling
/// off. Always within Block Kit's limits; see the module docs.
pub fn slack_message(alert: &Alert) -> Value {
    let mut blocks = vec![header(alert)];
    let fields = fields(alert);
    if !fields.is_empty() {
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(resources) = resources(alert) {
        blocks.push(section(&resources));
    }
    let check = text::mrkdwn(&alert.description, MAX_SECTION_CHARS - 20);
    if !check.is_empty() {
        blocks.push(section(&format!("*What to check*\n{check}")));
    }
    if let Some(notes) = notes::notes(alert) {
        blocks.push(notes);
    }
    if let Some(url) = console_link(alert) {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": {"type": "plain_text", "text": "Open in the CloudTrail console", "emoji": true},
                "url": url,
                "action_id": "open_cloudtrail_console",
            }],
        }));
    }
    blocks.push(json!({"type": "context", "elements": [mrkdwn(&context(alert))]}));
    blocks.truncate(MAX_BLOCKS);
    json!({
        "text": fallback(alert),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// A mrkdwn text object that Slack shows as written (no auto-linking, no mention parsing).
fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text, "verbatim": true})
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": mrkdwn(text)})
}

/// `🔴 HIGH · title`, plain text.
fn header(alert: &Alert) -> Value {
    let head = format!(
        "{} {} · ",
        severity_emoji(alert.severity),
        alert.severity.as_str().to_ascii_uppercase()
    );
    let title = if alert.title.trim().is_empty() {
        &alert.rule_id
    } else {
        &alert.title
    };
    let room = MAX_HEADER_CHARS - head.chars().count();
    let text = format!("{head}{}", fit_line(title, room));
    json!({"type": "header", "text": {"type": "plain_text", "text": text, "emoji": true}})
}

/// [`text::line`], with the marker counted within `max_chars`.
fn fit_line(s: &str, max_chars: usize) -> String {
    let full = text::line(s, max_chars);
    if full.chars().count() <= max_chars {
        return full;
    }
    // The marker is at most 30 characters; cut further until it fits.
    let out = text::line(s, max_chars.saturating_sub(30));
    out.chars().take(max_chars).collect()
}

/// A value for a field or a list: a code span, cut to [`MAX_VALUE_CHARS`].
fn code(value: &str) -> String {
    text::mrkdwn_code(value, MAX_VALUE_CHARS)
}

fn code_opt(value: &Option<String>) -> String {
    value.as_deref().map(code).unwrap_or_default()
}

/// Who, what, when, where: labelled section fields, only those the alert has.
fn fields(alert: &Alert) -> Vec<Value> {
    let mut who = code_opt(&alert.principal);
    let kind = code_opt(&alert.principal_type);
    if !kind.is_empty() && kind != who {
        who = if who.is_empty() {
            kind
        } else {
            format!("{who} ({kind})")
        };
    }
    let mut what: Vec<String> = [&alert.event_name, &alert.event_source]
        .into_iter()
        .map(code_opt)
        .filter(|s| !s.is_empty())
        .collect();
    if what.len() == 2 {
        what.insert(1, "on".to_owned());
    }
    let mut what = what.join(" ");
    let error = code_opt(&alert.error_code);
    if !error.is_empty() {
        what = format!("{what} failed with {error}")
            .trim_start()
            .to_owned();
    }
    let place = [("account", &alert.account), ("region", &alert.region)]
        .into_iter()
        .filter_map(|(label, v)| {
            Some(format!(
                "{label} {}",
                Some(code_opt(v)).filter(|c| !c.is_empty())?
            ))
        })
        .collect::<Vec<_>>()
        .join(", ");
    [
        ("Who", who),
        ("What", what),
        ("When", code_opt(&alert.event_time)),
        ("Where", place),
        ("Source IP", code_opt(&alert.source_ip)),
        ("User agent", code_opt(&alert.user_agent)),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .take(MAX_FIELDS)
    .map(|(label, value)| mrkdwn(&format!("*{label}*\n{value}")))
    .collect()
}

/// `*Resources*` and one line per resource, within [`MAX_SECTION_CHARS`].
fn resources(alert: &Alert) -> Option<String> {
    let items = alert.resources.iter().map(|r| code(r)).collect();
    bulleted("Resources", items, MAX_RESOURCES)
}

/// `*title*` and one `• item` line per item (empty ones left out), at most `max_items` of them
/// and within [`MAX_SECTION_CHARS`], then a line saying how many more; `None` without items.
fn bulleted(title: &str, items: Vec<String>, max_items: usize) -> Option<String> {
    let items: Vec<String> = items.into_iter().filter(|i| !i.is_empty()).collect();
    if items.is_empty() {
        return None;
    }
    let mut out = format!("*{title}*");
    let mut used = out.chars().count();
    // Room kept for the "and N more" line.
    let room = MAX_SECTION_CHARS - 60;
    let mut listed = 0;
    for item in items.iter().take(max_items) {
        let n = item.chars().count() + 3;
        if used + n > room {
            break;
        }
        out.push_str("\n• ");
        out.push_str(item);
        used += n;
        listed += 1;
    }
    if listed < items.len() {
        out.push_str(&format!(
            "\n• …and {} more (see the JSON alert)",
            items.len() - listed
        ));
    }
    Some(out)
}

/// The console link, only when it is an `https://` URL short enough for a button.
fn console_link(alert: &Alert) -> Option<&str> {
    alert.console_url.as_deref().filter(|u| {
        u.starts_with("https://")
            && u.len() <= MAX_URL_CHARS
            && u.bytes().all(|b| b.is_ascii_graphic())
    })
}

/// `Alert `id` · rule `id` · `object`, record N`.
fn context(alert: &Alert) -> String {
    let object = text::mrkdwn_code(&alert.source.object, 1024);
    let record = alert
        .source
        .record
        .map(|r| format!(", record {r}"))
        .unwrap_or_default();
    format!(
        "Alert {} · rule {} · {object}{record}",
        text::mrkdwn_code(&alert.alert_id, 256),
        text::mrkdwn_code(&alert.rule_id, 256)
    )
}

/// The notification text: `🔴 HIGH: title by who in account/region`, escaped mrkdwn.
fn fallback(alert: &Alert) -> String {
    let mut raw = format!(
        "{}: {}",
        alert.severity.as_str().to_ascii_uppercase(),
        alert.title
    );
    match named(alert) {
        Some(Named::Principal(p)) => raw.push_str(&format!(" by {}", text::line(p, 256))),
        Some(Named::Object(o)) => raw.push_str(&format!(": {}", text::line(o, 256))),
        None => {}
    }
    if let Some(place) = place(alert) {
        raw.push_str(&format!(" in {}", text::line(&place, 128)));
    }
    format!(
        "{} {}",
        severity_emoji(alert.severity),
        text::mrkdwn(&raw, MAX_FALLBACK_CHARS - 2)
    )
}

mod notes;
#[cfg(test)]
mod tests;
