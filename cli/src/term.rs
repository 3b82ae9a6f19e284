//! What the CLI says on a terminal, made safe: one escaping helper for every untrusted string
//! (object paths and keys, rule files, ids and titles, error text that quotes them), and the
//! stderr lines built with it.
//!
//! Untrusted text can carry control characters: a newline splits a one-line message (a forged
//! second line), ESC starts a terminal escape sequence (colours, cursor moves, an OSC window
//! title), BEL rings, and bidirectional overrides reorder what is shown. [`safe`] turns each of
//! them into a visible `\u{..}` escape, so what reaches the terminal is exactly what it shows.
//! Every line the CLI writes to stderr goes through [`say`] (or [`say_lines`]), which escapes
//! the whole message; stdout's table escapes field by field, and JSONL leaves escaping to JSON.

use std::io::{self, Write};

/// True for the characters [`safe`] escapes: control characters (C0, DEL, C1: ESC, BEL, CR,
/// newline, CSI …) and the bidirectional embeddings, overrides and isolates.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Makes untrusted text safe for a terminal: the characters [`needs_escape`] names become
/// `\u{..}` escapes, and the text is cut to `max` characters with a trailing `…`.
pub fn safe_cut(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`safe_cut`] without a length limit.
pub fn safe(text: &str) -> String {
    safe_cut(text, usize::MAX)
}

/// Writes `keytrail: MESSAGE` on stderr as one line, the whole message escaped (a newline in it
/// shows as `\u{a}`). A stderr that cannot be written to is ignored: there is nowhere left to
/// say so, and it must not stop a scan.
pub fn say(message: &str) {
    let _ = writeln!(io::stderr().lock(), "keytrail: {}", safe(message));
}

/// Writes a headline and one indented line per item on stderr, each escaped on its own.
pub fn say_lines(headline: &str, items: &[String]) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "keytrail: {}", safe(headline));
    for item in items {
        let _ = writeln!(err, "  {}", safe(item));
    }
}

/// True when `e` is a write to a closed pipe (`keytrail … | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

/// An error that is a list (every rule that failed to load): `main` prints the headline and
/// each item on a line of its own, each escaped, instead of one escaped line.
#[derive(Debug, thiserror::Error)]
#[error("{headline}")]
pub struct Listed {
    /// What went wrong, with the count.
    pub headline: String,
    /// One entry per item.
    pub items: Vec<String>,
}

/// Prints a command's error on stderr: a [`Listed`] error line by line, anything else as one
/// escaped line with its causes.
pub fn report_error(e: &anyhow::Error) {
    match e.downcast_ref::<Listed>() {
        Some(listed) => say_lines(&listed.headline, &listed.items),
        None => say(&format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_escapes_controls_and_cuts() {
        for (text, max, want) in [
            ("plain", 10, "plain"),
            ("\u{1b}[31mred", 20, "\\u{1b}[31mred"),
            ("a\nb", 10, "a\\u{a}b"),
            ("bell\u{7}", 10, "bell\\u{7}"),
            ("\u{1b}]0;pwned\u{7}", 20, "\\u{1b}]0;pwned\\u{7}"),
            ("csi\u{9b}2J", 10, "csi\\u{9b}2J"),
            ("del\u{7f}", 10, "del\\u{7f}"),
            ("cr\rx", 10, "cr\\u{d}x"),
            ("rlo\u{202e}txt", 10, "rlo\\u{202e}txt"),
            ("iso\u{2066}x", 10, "iso\\u{2066}x"),
            ("abcdef", 3, "abc…"),
            ("ééé", 2, "éé…"),
            ("tab\there", 20, "tab\\u{9}here"),
        ] {
            assert_eq!(safe_cut(text, max), want, "{text:?}");
        }
        assert_eq!(safe("x\u{1b}y"), "x\\u{1b}y");
    }

    #[test]
    fn escaping_is_idempotent() {
        let once = safe("a\u{1b}\n\u{202e}");
        assert_eq!(safe(&once), once);
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let e = anyhow::Error::from(io::Error::new(io::ErrorKind::BrokenPipe, "x"));
        assert!(is_broken_pipe(&e.context("writing")));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
