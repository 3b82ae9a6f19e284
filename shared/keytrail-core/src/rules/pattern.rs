//! Sigma string values compiled to matchers.
//!
//! A value is split into literal characters and the wildcards `*` (any run) and `?` (one
//! character); `\*`, `\?` and `\\` are literals, and any other backslash is itself. A pattern
//! whose only wildcards are at its ends becomes a plain compare (equal, starts with, ends with,
//! contains): that is the hot path, so no regex runs for it. Anything else becomes one anchored
//! regex, compiled once. Matching is case-insensitive (Unicode lowercase of both sides) unless the
//! rule says `|cased`.

use std::borrow::Cow;

use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// Compiled-size cap for every regex a rule builds (wildcard or `|re`).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One element of a parsed Sigma string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A literal character.
    Lit(char),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Splits a Sigma string into literals and wildcards, honouring `\*`, `\?` and `\\`.
pub(crate) fn parse(value: &str) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    chars.next();
                    pieces.push(Piece::Lit(next));
                }
                _ => pieces.push(Piece::Lit('\\')),
            },
            '*' => pieces.push(Piece::Star),
            '?' => pieces.push(Piece::One),
            c => pieces.push(Piece::Lit(c)),
        }
    }
    pieces
}

/// The literal text of pieces that hold no wildcard, or `None`.
pub(crate) fn literal(pieces: &[Piece]) -> Option<String> {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(c) => Some(*c),
            Piece::Star | Piece::One => None,
        })
        .collect()
}

/// A compiled string pattern.
#[derive(Debug, Clone)]
pub(crate) struct StrMatcher {
    kind: Kind,
    cased: bool,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Only wildcards `*`: any value.
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    Regex(Regex),
}

impl StrMatcher {
    /// Compiles pieces; `cased` makes the match case-sensitive.
    pub(crate) fn new(pieces: &[Piece], cased: bool) -> Result<StrMatcher, String> {
        let lead = pieces.iter().take_while(|p| **p == Piece::Star).count();
        let trail = pieces[lead..]
            .iter()
            .rev()
            .take_while(|p| **p == Piece::Star)
            .count();
        let core = &pieces[lead..pieces.len() - trail];
        let fold = |s: String| if cased { s } else { s.to_lowercase() };
        let kind = match literal(core) {
            Some(text) if text.is_empty() && lead + trail > 0 => Kind::Any,
            Some(text) => match (lead > 0, trail > 0) {
                (false, false) => Kind::Exact(fold(text)),
                (false, true) => Kind::Prefix(fold(text)),
                (true, false) => Kind::Suffix(fold(text)),
                (true, true) => Kind::Contains(fold(text)),
            },
            None => {
                let mut re = String::from("^");
                for piece in pieces {
                    match piece {
                        Piece::Lit(c) => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                        Piece::Star => re.push_str(".*"),
                        Piece::One => re.push('.'),
                    }
                }
                re.push('$');
                Kind::Regex(build_regex(&re, !cased, false, true)?)
            }
        };
        Ok(StrMatcher { kind, cased })
    }

    /// An exact, case-insensitive match of `text` (no wildcard parsing).
    pub(crate) fn exact(text: &str) -> StrMatcher {
        StrMatcher {
            kind: Kind::Exact(text.to_lowercase()),
            cased: false,
        }
    }

    /// The lowercased value when this is an exact compare of ASCII text (for the prefilter index).
    pub(crate) fn exact_key(&self) -> Option<String> {
        match &self.kind {
            Kind::Exact(text) if text.is_ascii() => Some(text.to_ascii_lowercase()),
            _ => None,
        }
    }

    /// A lowercase ASCII string every text this matches contains, ASCII case aside (for the
    /// screen's needles, [`super::needles`]); `None` when there is none (a wildcard-only
    /// pattern, non-ASCII text).
    pub(crate) fn needle(&self) -> Option<String> {
        match &self.kind {
            Kind::Exact(text) | Kind::Prefix(text) | Kind::Suffix(text) | Kind::Contains(text) => {
                usable_needle(text)
            }
            Kind::Regex(re) => regex_needle(re),
            Kind::Any => None,
        }
    }

    /// Whether `hay` matches.
    pub(crate) fn is_match(&self, hay: &str) -> bool {
        if !self.cased && hay.is_ascii() {
            // Fast path without allocation: for ASCII text, Unicode and ASCII lowercase agree.
            let ci = |a: &[u8], b: &str| a.eq_ignore_ascii_case(b.as_bytes());
            let bytes = hay.as_bytes();
            match &self.kind {
                Kind::Exact(n) if n.is_ascii() => return ci(bytes, n),
                Kind::Prefix(n) if n.is_ascii() => {
                    return bytes.get(..n.len()).is_some_and(|head| ci(head, n))
                }
                Kind::Suffix(n) if n.is_ascii() => {
                    let start = bytes.len().wrapping_sub(n.len());
                    return bytes.get(start..).is_some_and(|tail| ci(tail, n));
                }
                _ => {}
            }
        }
        let hay: Cow<'_, str> = match &self.kind {
            Kind::Any => return true,
            Kind::Regex(re) => return re.is_match(hay),
            _ if self.cased => Cow::Borrowed(hay),
            _ if !hay.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) => {
                Cow::Borrowed(hay)
            }
            _ => Cow::Owned(hay.to_lowercase()),
        };
        match &self.kind {
            Kind::Exact(n) => hay == n.as_str(),
            Kind::Prefix(n) => hay.starts_with(n.as_str()),
            Kind::Suffix(n) => hay.ends_with(n.as_str()),
            Kind::Contains(n) => memchr::memmem::find(hay.as_bytes(), n.as_bytes()).is_some(),
            Kind::Any | Kind::Regex(_) => true,
        }
    }
}

/// Builds a regex with keytrail's size limits.
pub(crate) fn build_regex(
    pattern: &str,
    insensitive: bool,
    multi_line: bool,
    dot_all: bool,
) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(insensitive)
        .multi_line(multi_line)
        .dot_matches_new_line(dot_all)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("regex {pattern:?} does not compile: {e}"))
}

/// `text`, lowercased, when it can serve as a needle: ASCII, not empty, and without JSON's
/// structural characters. The text of an object value is its compact JSON with the keys sorted,
/// so a needle spanning two members or quotes could be in that text and not in the raw bytes;
/// one without `"{}[],` lies within one token, which reads the same in both.
pub(crate) fn usable_needle(text: &str) -> Option<String> {
    let structural = |c: char| matches!(c, '"' | '{' | '}' | '[' | ']' | ',');
    (!text.is_empty() && text.is_ascii() && !text.contains(structural))
        .then(|| text.to_ascii_lowercase())
}

/// The longest literal that every match of `re` contains (a run of literal characters in the
/// pattern's top-level sequence, at least 3 long, usable as a needle); `None` when there is
/// none.
pub(crate) fn regex_needle(re: &Regex) -> Option<String> {
    use regex_syntax::hir::{Hir, HirKind};
    fn top(hir: &Hir) -> &Hir {
        match hir.kind() {
            HirKind::Capture(c) => top(&c.sub),
            _ => hir,
        }
    }
    let hir = regex_syntax::Parser::new().parse(re.as_str()).ok()?;
    let items: Vec<&Hir> = match top(&hir).kind() {
        HirKind::Concat(items) => items.iter().collect(),
        _ => vec![top(&hir)],
    };
    let mut best: Option<String> = None;
    let mut run = String::new();
    for item in items.iter().chain(std::iter::once(&&Hir::empty())) {
        match item.kind() {
            HirKind::Literal(lit) => run.push_str(std::str::from_utf8(&lit.0).ok()?),
            _ => {
                let usable = usable_needle(&std::mem::take(&mut run)).filter(|n| n.len() >= 3);
                if usable.as_ref().map_or(0, String::len) > best.as_ref().map_or(0, String::len) {
                    best = usable;
                }
            }
        }
    }
    best
}

/// The text a string pattern is matched against: strings as they are, numbers and booleans in
/// their JSON form, objects as compact JSON (so `requestParameters|contains: x` searches the
/// whole object). Null has no text.
pub(crate) fn text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Object(_) | Value::Array(_) => serde_json::to_string(value).ok().map(Cow::Owned),
        Value::Null => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, cased: bool) -> StrMatcher {
        StrMatcher::new(&parse(pattern), cased).unwrap()
    }

    #[test]
    fn parses_escapes() {
        use Piece::*;
        for (input, want) in [
            ("a*", vec![Lit('a'), Star]),
            (r"a\*", vec![Lit('a'), Lit('*')]),
            (r"\?x?", vec![Lit('?'), Lit('x'), One]),
            (r"a\\*", vec![Lit('a'), Lit('\\'), Star]),
            (r"C:\Windows", vec![Lit('C'), Lit(':'), Lit('\\'), Lit('W')]),
            (r"end\", vec![Lit('e'), Lit('n'), Lit('d'), Lit('\\')]),
        ] {
            let got = parse(input);
            assert_eq!(&got[..want.len()], &want[..], "{input}");
        }
    }

    #[test]
    fn matches_table() {
        for (pattern, cased, hay, want) in [
            ("CreateCertificate", false, "createcertificate", true),
            ("CreateCertificate", false, "CreateCertificateX", false),
            ("CreateCertificate", true, "createcertificate", false),
            ("Export*", false, "exportCertificate", true),
            ("*Certificate", false, "GetCERTIFICATE", true),
            ("*cert*", false, "AcmCertificate", true),
            ("*", false, "", true),
            ("", false, "", true),
            ("", false, "x", false),
            ("a?c", false, "ABC", true),
            ("a?c", false, "ac", false),
            (
                "arn:*/*terraform*",
                false,
                "arn:aws:iam::1:role/Terraform-ci",
                true,
            ),
            (
                "arn:*/*terraform*",
                false,
                "arn:aws:iam::1:user/alice",
                false,
            ),
            (r"a\*b", false, "a*b", true),
            (r"a\*b", false, "axb", false),
            (r"100\%", false, r"100\%", true),
            ("*\"Action\": \"*\"*", false, r#"{"Action": "*"}"#, true),
            ("ÉTÉ", false, "été", true),
            ("line*", false, "line1\nline2", true),
            ("*Policy", false, "y", false),
            ("Put*", false, "Pu", false),
            ("*é", false, "CAFÉ", true),
        ] {
            assert_eq!(
                m(pattern, cased).is_match(hay),
                want,
                "{pattern:?} vs {hay:?}"
            );
        }
    }

    #[test]
    fn plain_patterns_avoid_regex_and_expose_index_keys() {
        assert_eq!(
            m("ExportCertificate", false).exact_key().as_deref(),
            Some("exportcertificate")
        );
        assert_eq!(m("Export*", false).exact_key(), None);
        assert!(matches!(m("*mid*dle*", false).kind, Kind::Regex(_)));
        assert!(matches!(m("*middle*", false).kind, Kind::Contains(_)));
    }

    #[test]
    fn text_forms() {
        let v = serde_json::json!({"a": 1});
        for (value, want) in [
            (serde_json::json!("x"), Some("x".to_owned())),
            (serde_json::json!(42), Some("42".to_owned())),
            (serde_json::json!(false), Some("false".to_owned())),
            (serde_json::Value::Null, None),
            (v, Some(r#"{"a":1}"#.to_owned())),
        ] {
            assert_eq!(text(&value).map(Cow::into_owned), want);
        }
    }
}
