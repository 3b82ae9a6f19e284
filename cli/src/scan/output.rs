//! Alerts on stdout: JSONL for machines (keytrail's alert schema, or OCSF Detection Findings
//! made by [`keytrail_core::alert::ocsf`]), a table for people. All are safe on a terminal: the
//! table escapes every field ([`term::safe_cut`]), and both JSONL forms escape, as JSON `\u` escapes,
//! the characters JSON itself leaves raw but a terminal acts on (DEL, C1 controls such as CSI,
//! bidirectional overrides); JSON's own escaping covers the rest. Parsed back, a line is the
//! same alert.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use keytrail_core::alert::ocsf;
use keytrail_core::Alert;

use crate::term::{self, safe_cut};

/// Writes one alert as one JSON line.
pub fn write_jsonl(out: &mut Vec<u8>, alert: &Alert) -> io::Result<()> {
    write_json_line(out, |out| serde_json::to_writer(out, alert))
}

/// Writes one alert as one OCSF Detection Finding on one JSON line; `now_ms` is the finding's
/// time when the alert has no event time.
pub fn write_ocsf(out: &mut Vec<u8>, alert: &Alert, now_ms: i64) -> io::Result<()> {
    let finding = ocsf::finding(alert, now_ms);
    write_json_line(out, |out| serde_json::to_writer(out, &finding))
}

/// Writes what `json` writes as one line, raw controls escaped.
fn write_json_line(
    out: &mut Vec<u8>,
    json: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
) -> io::Result<()> {
    let start = out.len();
    json(out)?;
    escape_raw_controls(out, start);
    out.write_all(b"\n")
}

/// Milliseconds since the epoch, now (0 on a clock before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Rewrites, in the JSON text from `start` on, each character [`term::needs_escape`] names and
/// JSON leaves raw as a `\u` escape. Such characters can only be inside strings, where the
/// escape means the same character.
fn escape_raw_controls(out: &mut Vec<u8>, start: usize) {
    // DEL, and the first byte of C1 (c2 80-9f) and of the bidi controls (e2 80 aa-ae, e2 81 a6-a9).
    let tail = out.get(start..).unwrap_or_default();
    if !tail.iter().any(|&b| matches!(b, 0x7f | 0xc2 | 0xe2)) {
        return;
    }
    let Ok(text) = std::str::from_utf8(tail) else {
        return;
    };
    if !text.chars().any(term::needs_escape) {
        return;
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if term::needs_escape(c) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    out.truncate(start);
    out.extend_from_slice(escaped.as_bytes());
}

/// The table's header line.
pub fn write_table_header(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<8} {:<20} {:<36} {:<24} {:<44} SOURCE",
        "LEVEL", "TIME", "RULE", "ACCOUNT/REGION", "PRINCIPAL"
    )
}

/// Writes one alert as one table row.
pub fn write_table_row(out: &mut dyn Write, alert: &Alert) -> io::Result<()> {
    let dash = || "-".to_owned();
    let field =
        |v: &Option<String>, max: usize| v.as_deref().map_or_else(dash, |s| safe_cut(s, max));
    let where_ = format!(
        "{}/{}",
        alert.account.as_deref().unwrap_or("-"),
        alert.region.as_deref().unwrap_or("-")
    );
    let source = match alert.source.record {
        Some(r) => format!("{}#{r}", alert.source.object),
        None => alert.source.object.clone(),
    };
    writeln!(
        out,
        "{:<8} {:<20} {:<36} {:<24} {:<44} {}",
        alert.severity.as_str(),
        field(&alert.event_time, 20),
        safe_cut(&alert.rule_id, 36),
        safe_cut(&where_, 24),
        field(&alert.principal, 44),
        safe_cut(&source, 200),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_escapes_what_json_leaves_raw() {
        for (text, want) in [
            ("plain é … ’", r#""plain é … ’""#),
            ("\u{1b}[2J\u{7}", r#""\u001b[2J\u0007""#),
            ("del\u{7f}", r#""del\u007f""#),
            ("csi\u{9b}2J", r#""csi\u009b2J""#),
            ("rlo\u{202e}x\u{2066}", r#""rlo\u202ex\u2066""#),
        ] {
            let mut out = b"[".to_vec();
            serde_json::to_writer(&mut out, text).unwrap();
            escape_raw_controls(&mut out, 1);
            assert_eq!(String::from_utf8_lossy(&out[1..]), want, "{text:?}");
            let back: String = serde_json::from_slice(&out[1..]).unwrap();
            assert_eq!(back, text);
        }
    }
}
