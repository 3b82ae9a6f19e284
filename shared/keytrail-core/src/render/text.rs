//! Untrusted text made safe for one line: the one place subjects, emails and attributes clean it.
//!
//! [`clean`] is a lazy pass over the characters of a string: every run of whitespace (including
//! `\r`, `\n`, tabs, `U+2028`) becomes one space, leading and trailing whitespace goes, and every
//! other control character or invisible formatting character (bidi overrides, zero-width
//! characters, tag characters) becomes [`REPLACEMENT`], so hidden text shows that it was there.
//! In [`Charset::Ascii`] every non-ASCII character becomes [`REPLACEMENT`] too. Being lazy, a
//! 1 MB user agent costs only the characters actually kept plus a count of the rest.
//!
//! [`line()`] and [`ascii`] cut the cleaned text to a length with a marker; [`cut`] cuts raw text
//! (for JSON, where serde does the escaping) with the same marker.
//!
//! For Slack, [`mrkdwn`] and [`mrkdwn_code`] clean text to one line, then escape `&`, `<` and `>`
//! as Slack asks (so `<!channel>`, `<@U123>` and `<https://evil|label>` show as typed and can
//! neither ping nor link), and cut so that the escaped result, marker included, never exceeds the
//! limit: Slack rejects a message over a limit instead of truncating it.

use std::fmt::Write as _;
use std::str::Chars;

/// What replaces a character that may not pass.
pub const REPLACEMENT: char = '?';

/// What ends ASCII text that was cut.
pub const ASCII_ELLIPSIS: &str = "...";

/// Which characters may pass [`clean`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Printable ASCII only (email subjects).
    Ascii,
    /// Any printable Unicode (email bodies, message attributes).
    Unicode,
}

/// Invisible characters that can reorder, hide or disguise text (Trojan Source, homograph tricks).
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

/// The characters of a string made safe for one line; see the module docs.
#[derive(Debug, Clone)]
pub struct Clean<'a> {
    chars: Chars<'a>,
    charset: Charset,
    started: bool,
    space: bool,
    pending: Option<char>,
}

impl Iterator for Clean<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.pending.take() {
            return Some(c);
        }
        for c in self.chars.by_ref() {
            if c.is_whitespace() {
                self.space = self.started;
                continue;
            }
            let c = if c.is_control()
                || is_hidden(c)
                || (self.charset == Charset::Ascii && !c.is_ascii())
            {
                REPLACEMENT
            } else {
                c
            };
            self.started = true;
            if std::mem::take(&mut self.space) {
                self.pending = Some(c);
                return Some(' ');
            }
            return Some(c);
        }
        None
    }
}

/// `s` made safe for one line, lazily.
pub fn clean(s: &str, charset: Charset) -> Clean<'_> {
    Clean {
        chars: s.chars(),
        charset,
        started: false,
        space: false,
        pending: None,
    }
}

/// The marker that ends text cut by [`line()`] and [`cut`].
fn push_marker(out: &mut String, dropped: usize) {
    // Writing to a String cannot fail.
    let _ = write!(out, "…[cut {dropped} chars]");
}

/// `s` cleaned for one line of Unicode text: at most `max_chars` characters of it, then, when
/// more were cut, a marker saying how many.
pub fn line(s: &str, max_chars: usize) -> String {
    let mut chars = clean(s, Charset::Unicode);
    let mut out: String = chars.by_ref().take(max_chars).collect();
    if chars.next().is_some() {
        // Counted on the raw rest: std's counting is fast where cleaning 1 MB is not.
        let dropped =
            1 + usize::from(chars.pending.is_some()) + chars.chars.as_str().chars().count();
        out.truncate(out.trim_end().len());
        push_marker(&mut out, dropped);
    }
    out
}

/// `s` cleaned to printable ASCII, at most `max_chars` characters in all, ending in
/// [`ASCII_ELLIPSIS`] when cut.
pub fn ascii(s: &str, max_chars: usize) -> String {
    let mut out: String = clean(s, Charset::Ascii).take(max_chars + 1).collect();
    if out.len() > max_chars {
        out.truncate(max_chars.saturating_sub(ASCII_ELLIPSIS.len()));
        out.truncate(out.trim_end().len());
        out.push_str(ASCII_ELLIPSIS);
        out.truncate(max_chars);
    }
    out
}

/// Like [`ascii`], but a cut keeps the start and the end and drops the middle: the end of an ARN
/// (`role/Name/session`) says as much as its start.
pub fn ascii_middle(s: &str, max_chars: usize) -> String {
    let full: String = clean(s, Charset::Ascii).collect();
    if full.len() <= max_chars {
        return full;
    }
    let Some(keep) = max_chars.checked_sub(ASCII_ELLIPSIS.len()) else {
        return ascii(&full, max_chars);
    };
    let tail = keep / 2;
    let head = keep - tail;
    // ASCII only, so byte offsets are character boundaries.
    format!(
        "{}{ASCII_ELLIPSIS}{}",
        full[..head].trim_end(),
        full[full.len() - tail..].trim_start()
    )
}

/// Raw text (no cleaning) cut to at most `max_chars` characters plus a marker saying how many
/// were cut; unchanged when short enough.
pub fn cut(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        None => s.to_owned(),
        Some((at, _)) => {
            let mut out = s[..at].to_owned();
            push_marker(&mut out, s[at..].chars().count());
            out
        }
    }
}

/// `s` cleaned for one line and escaped for Slack mrkdwn: at most `max_chars` characters of
/// escaped text, marker included.
pub fn mrkdwn(s: &str, max_chars: usize) -> String {
    escape_slack(s, max_chars, false)
}

/// `s` as a Slack inline code span (`` `s` ``): cleaned, escaped as by [`mrkdwn`], backticks
/// replaced by `ˋ` so the value cannot close the span and format what follows; at most
/// `max_chars` characters with the backticks. Empty when `s` has nothing to show.
pub fn mrkdwn_code(s: &str, max_chars: usize) -> String {
    let inner = escape_slack(s, max_chars.saturating_sub(2), true);
    if inner.is_empty() {
        inner
    } else {
        format!("`{inner}`")
    }
}

fn escape_slack(s: &str, max_chars: usize, code: bool) -> String {
    let mut chars = clean(s, Charset::Unicode);
    let mut out = String::new();
    // (bytes, characters) of `out` after each source character, for cutting back whole escapes.
    let mut marks: Vec<(usize, usize)> = vec![(0, 0)];
    let mut count = 0;
    let rest = loop {
        let Some(c) = chars.next() else {
            return out;
        };
        let mut buf = [0; 4];
        let piece: &str = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '`' if code => "ˋ",
            _ => c.encode_utf8(&mut buf),
        };
        let n = piece.chars().count();
        if count + n > max_chars {
            break 1 + usize::from(chars.pending.is_some()) + chars.chars.as_str().chars().count();
        }
        out.push_str(piece);
        count += n;
        marks.push((out.len(), count));
    };
    // Room for the marker, sized for the most characters it could report.
    let reserve = marker_chars(rest + marks.len());
    let keep = max_chars.saturating_sub(reserve);
    let at = marks.iter().rposition(|&(_, c)| c <= keep).unwrap_or(0);
    out.truncate(marks[at].0);
    out.truncate(out.trim_end().len());
    push_marker(&mut out, rest + (marks.len() - 1 - at));
    if out.chars().count() > max_chars {
        // Only when the limit is smaller than any marker: the limit wins.
        out = out.chars().take(max_chars).collect();
    }
    out
}

/// How many characters the marker for `dropped` takes.
fn marker_chars(dropped: usize) -> usize {
    let mut out = String::new();
    push_marker(&mut out, dropped);
    out.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrkdwn_escapes_and_cuts_within_the_limit() {
        for (input, max, want) in [
            ("a & b", 100, "a &amp; b".to_owned()),
            (
                "<!channel> <@U1> <https://evil|x>",
                100,
                "&lt;!channel&gt; &lt;@U1&gt; &lt;https://evil|x&gt;".to_owned(),
            ),
            ("line\nbreak\u{7}", 100, "line break?".to_owned()),
            (
                "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&",
                30,
                "&amp;&amp;&amp;…[cut 27 chars]".to_owned(),
            ),
            ("", 10, String::new()),
            ("abc", 0, String::new()),
            ("abcdef", 3, "…[c".to_owned()),
        ] {
            let got = mrkdwn(input, max);
            assert_eq!(got, want, "{input:?} {max}");
            assert!(got.chars().count() <= max);
        }
        let huge = "<".repeat(400_000);
        let got = mrkdwn(&huge, 3000);
        assert!(got.chars().count() <= 3000 && got.ends_with(" chars]"));
        assert!(!got.contains('<'));
    }

    #[test]
    fn mrkdwn_code_cannot_close_its_span() {
        assert_eq!(mrkdwn_code("a`*b*`<@U1>", 100), "`aˋ*b*ˋ&lt;@U1&gt;`");
        assert_eq!(mrkdwn_code(" \n ", 100), "");
        let got = mrkdwn_code(&"`".repeat(5000), 50);
        assert!(got.chars().count() <= 50 && got.starts_with('`') && got.ends_with('`'));
        assert_eq!(got.matches('`').count(), 2);
    }

    #[test]
    fn clean_makes_one_safe_line() {
        for (input, unicode, ascii_want) in [
            ("", "", ""),
            ("   \r\n\t ", "", ""),
            ("plain", "plain", "plain"),
            ("  a  b  ", "a b", "a b"),
            ("a\r\nSubject: x\nb", "a Subject: x b", "a Subject: x b"),
            (
                "tab\there\u{2028}sep\u{85}nel",
                "tab here sep nel",
                "tab here sep nel",
            ),
            ("\x1b[31mred\x1b[0m", "?[31mred?[0m", "?[31mred?[0m"),
            ("nul\0del\x7fc1\u{9b}", "nul?del?c1?", "nul?del?c1?"),
            ("ünï 🔑", "ünï 🔑", "?n? ?"),
            ("evil\u{202e}gpj.exe", "evil?gpj.exe", "evil?gpj.exe"),
            ("adm\u{200d}in\u{feff}", "adm?in?", "adm?in?"),
            ("nbsp\u{a0}\u{3000}gap", "nbsp gap", "nbsp gap"),
            (
                "<!channel> <@U123>",
                "<!channel> <@U123>",
                "<!channel> <@U123>",
            ),
        ] {
            assert_eq!(
                clean(input, Charset::Unicode).collect::<String>(),
                unicode,
                "{input:?}"
            );
            assert_eq!(
                clean(input, Charset::Ascii).collect::<String>(),
                ascii_want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn line_cuts_with_a_count() {
        for (input, max, want) in [
            ("abcdef", 6, "abcdef".to_owned()),
            ("abcdef", 3, "abc…[cut 3 chars]".to_owned()),
            ("ab   cdef", 3, "ab…[cut 4 chars]".to_owned()),
            ("ééééé", 2, "éé…[cut 3 chars]".to_owned()),
            ("", 0, String::new()),
            (
                &"x".repeat(1_000_000),
                4,
                "xxxx…[cut 999996 chars]".to_owned(),
            ),
        ] {
            assert_eq!(line(input, max), want, "{max}");
        }
    }

    #[test]
    fn ascii_cuts_within_the_limit() {
        for (input, max, want) in [
            ("abcdef", 6, "abcdef"),
            ("abcdefg", 6, "abc..."),
            ("ab  cdefg", 6, "ab..."),
            ("ünïcode", 20, "?n?code"),
            ("abcdef", 2, ".."),
            ("abcdef", 0, ""),
        ] {
            let got = ascii(input, max);
            assert_eq!(got, want, "{input:?} {max}");
            assert!(got.len() <= max);
        }
    }

    #[test]
    fn ascii_middle_keeps_both_ends() {
        for (input, max, want) in [
            (
                "assumed-role/Deploy/session",
                40,
                "assumed-role/Deploy/session",
            ),
            ("assumed-role/Deploy/session", 15, "assume...ession"),
            ("a\nb", 10, "a b"),
            ("abcdef", 2, ".."),
        ] {
            let got = ascii_middle(input, max);
            assert_eq!(got, want, "{input:?} {max}");
            assert!(got.len() <= max);
        }
    }

    #[test]
    fn cut_keeps_raw_text_and_counts() {
        for (input, max, want) in [
            ("a\nb", 3, "a\nb".to_owned()),
            ("a\nbc", 2, "a\n…[cut 2 chars]".to_owned()),
            ("🔑🔑🔑", 1, "🔑…[cut 2 chars]".to_owned()),
        ] {
            assert_eq!(cut(input, max), want, "{input:?}");
        }
    }
}
