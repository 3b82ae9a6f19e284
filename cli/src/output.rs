//! Printing alerts: JSONL for machines, a table for people.

use std::io::{self, Write};

use keytrail_core::Alert;

/// True when `e` is a write to a closed pipe (`keytrail scan … | head`): not worth an error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

/// Makes untrusted text safe for a terminal: control characters (ANSI escapes included) become
/// `\u{..}` escapes, and the text is cut to `max` characters with a trailing `…`.
pub fn terminal_safe(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes one alert as one JSON line.
pub fn write_jsonl(out: &mut dyn Write, alert: &Alert) -> io::Result<()> {
    serde_json::to_writer(&mut *out, alert)?;
    out.write_all(b"\n")
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
        |v: &Option<String>, max: usize| v.as_deref().map_or_else(dash, |s| terminal_safe(s, max));
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
        terminal_safe(&alert.rule_id, 36),
        terminal_safe(&where_, 24),
        field(&alert.principal, 44),
        terminal_safe(&source, 200),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_controls_and_cuts() {
        for (text, max, want) in [
            ("plain", 10, "plain"),
            ("\u{1b}[31mred", 20, "\\u{1b}[31mred"),
            ("a\nb", 10, "a\\u{a}b"),
            ("abcdef", 3, "abc…"),
            ("ééé", 2, "éé…"),
        ] {
            assert_eq!(terminal_safe(text, max), want, "{text:?}");
        }
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let e = anyhow::Error::from(io::Error::new(io::ErrorKind::BrokenPipe, "x"));
        assert!(is_broken_pipe(&e.context("writing")));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
