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
    end_json_line(out, start);
    Ok(())
}

/// Ends the JSON text written to `out` from `start` as one line, raw controls escaped: the line
/// [`write_jsonl`] writes when the text is an alert's.
pub fn end_json_line(out: &mut Vec<u8>, start: usize) {
    escape_raw_controls(out, start);
    out.push(b'\n');
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
    let tail = out.get(start..).unwrap_or_default();
    if !has_raw_control(tail) {
        return;
    }
    let Ok(text) = std::str::from_utf8(tail) else {
        return;
    };
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

/// True when the UTF-8 text `bytes` holds a character [`term::needs_escape`] names that JSON
/// leaves raw: DEL (7f), a C1 control (c2 80-9f) or a bidi control (e2 80 aa-ae, e2 81 a6-a9).
/// Told from the bytes, without decoding: most lines hold none, though many hold other
/// characters that start with c2 or e2 (`…`, `é`).
fn has_raw_control(bytes: &[u8]) -> bool {
    // memchr's SIMD search: a byte-by-byte loop over a 3 KiB line cost more than the rest of
    // writing it.
    memchr::memchr3_iter(0x7f, 0xc2, 0xe2, bytes).any(|i| {
        match bytes.get(i).copied().unwrap_or(0) {
            0x7f => true,
            0xc2 => bytes.get(i + 1).is_some_and(|c| (0x80..=0x9f).contains(c)),
            0xe2 => match bytes.get(i + 1..i + 3) {
                Some(&[0x80, c]) => (0xaa..=0xae).contains(&c),
                Some(&[0x81, c]) => (0xa6..=0xa9).contains(&c),
                _ => false,
            },
            _ => false,
        }
    })
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

    /// The byte test finds exactly the characters `needs_escape` names above U+001F (JSON
    /// escapes the C0 controls itself), over every character up to U+FFFF and beyond.
    #[test]
    fn raw_control_bytes_agree_with_needs_escape() {
        for c in '\u{20}'..='\u{10ffff}' {
            let text = format!("a{c}b");
            assert_eq!(
                has_raw_control(text.as_bytes()),
                term::needs_escape(c),
                "{:x}",
                u32::from(c)
            );
        }
    }

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
