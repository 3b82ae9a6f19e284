//! Reading a record's raw JSON bytes as the text a parse would give, for the needles
//! (`needles.rs`): whether bytes read as their text at all ([`as_text`], [`plain`]), whether a
//! text can only lie within one token ([`token_bound`]), and a case-insensitive search for a
//! text ([`contains_ignoring_case`]).

use wide::u8x16;

/// Whether `hay` contains `needle` (lowercase ASCII), ASCII case aside.
///
/// Sixty-four positions at a time: a position can only start the needle when its byte is the
/// needle's first and the byte `len - 1` on is its last, both compared with ASCII letters folded
/// (`| 0x20` makes `R` and `r` alike and no other byte like them), so two loads and two
/// comparisons per 16 positions, gathered into one `u64` of candidate starts, rule out most of
/// them; the few left are compared in full. This runs on the screened values of most records,
/// where a `memchr` for the first byte stops at every `r` of `arn` and `role`.
pub(crate) fn contains_ignoring_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, &last)) = needle.first().zip(needle.last()) else {
        return true;
    };
    let len = needle.len();
    let at = |i: usize| {
        hay.get(i..i + len)
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    };
    let fold = |b: u8| u8x16::splat(if b.is_ascii_lowercase() { 0x20 } else { 0 });
    let (first_fold, last_fold) = (fold(first), fold(last));
    let (first_v, last_v) = (u8x16::splat(first), u8x16::splat(last));
    // The candidate starts among the 16 positions whose bytes are `a` and whose bytes `len - 1`
    // on are `b`.
    let starts = |a: &[u8; 16], b: &[u8; 16]| {
        let a = (u8x16::new(*a) | first_fold).cmp_eq(first_v);
        let b = (u8x16::new(*b) | last_fold).cmp_eq(last_v);
        u64::from((a & b).move_mask() as u16)
    };
    // Whether one of the candidate starts `found` (bit `k`: position `p + k`) starts the needle.
    let hit = |p: usize, mut found: u64| {
        while found != 0 {
            if at(p + found.trailing_zeros() as usize) {
                return true;
            }
            found &= found - 1;
        }
        false
    };
    // Candidate starts from `p` on, and the bytes `len - 1` after each.
    let ends = hay.get(len - 1..).unwrap_or_default();
    let mut p = 0;
    let (blocks, block_ends) = (hay.chunks_exact(64), ends.chunks_exact(64));
    for (a, b) in blocks.zip(block_ends) {
        let (Ok(a), Ok(b)) = (<&[u8; 64]>::try_from(a), <&[u8; 64]>::try_from(b)) else {
            break;
        };
        let mut found = 0u64;
        for (k, (a, b)) in a
            .as_chunks::<16>()
            .0
            .iter()
            .zip(b.as_chunks::<16>().0)
            .enumerate()
        {
            found |= starts(a, b) << (16 * k);
        }
        if hit(p, found) {
            return true;
        }
        p += 64;
    }
    let rest = (
        hay.get(p..).unwrap_or_default(),
        ends.get(p..).unwrap_or_default(),
    );
    for (a, b) in rest.0.chunks_exact(16).zip(rest.1.chunks_exact(16)) {
        let (Ok(a), Ok(b)) = (<&[u8; 16]>::try_from(a), <&[u8; 16]>::try_from(b)) else {
            break;
        };
        if hit(p, starts(a, b)) {
            return true;
        }
        p += 16;
    }
    // Fewer than 16 candidate starts are left: the last 16 of the haystack's, overlapping those
    // already checked (shifted out), when it has that many; one by one otherwise.
    let total = hay.len().saturating_sub(len - 1);
    let Some(q) = total.checked_sub(16).filter(|q| *q < p) else {
        return (p..total).any(at);
    };
    match (hay.get(q..q + 16), ends.get(q..q + 16)) {
        (Some(a), Some(b)) => match (<&[u8; 16]>::try_from(a), <&[u8; 16]>::try_from(b)) {
            (Ok(a), Ok(b)) => hit(p, starts(a, b) >> (p - q)),
            _ => (p..total).any(at),
        },
        _ => (p..total).any(at),
    }
}

/// Whether a text can only be found in a field's text within one token of it: a string (key or
/// value) or a literal. Then, when the field's bytes read as their text ([`as_text`]), a text
/// that is not in the bytes is not in the parsed field either, however its numbers print and
/// whatever whitespace lies between its tokens, with no [`plain`] walk.
///
/// The text of an object is its compact JSON, whose bytes outside strings are `"{}[],:`,
/// numbers and literals; a text holding none of `"{}[],` spans no two tokens, except by a `:`
/// between a key and a value: at its start (what precedes a key's `:` is its quote), followed by
/// a value's first byte (a digit, `-`, or the `t` `f` `n` of a literal). And a text made only of
/// number characters may lie in a number, whose text may differ from its bytes (`1e3` is
/// `1000.0`).
pub(crate) fn token_bound(text: &[u8]) -> bool {
    let numeric = |b: &u8| b.is_ascii_digit() || b"+-.eE".contains(b);
    let separator = text.first() == Some(&b':')
        && text
            .get(1)
            .is_none_or(|b| numeric(b) || b"tfnTFN".contains(b));
    !text.is_empty()
        && !text.iter().all(numeric)
        && !separator
        && !text.iter().any(|b| b"\"{}[],".contains(b))
}

/// True when JSON bytes hold no escape and only ASCII (so no Unicode lowercasing): every string
/// in them reads as its bytes.
pub(crate) fn as_text(raw: &[u8]) -> bool {
    raw.is_ascii() && memchr::memchr(b'\\', raw).is_none()
}

/// True when every string and number in the JSON text `raw` reads as its bytes: no escape, only
/// ASCII, and no number that may print differently once parsed (see [`plain_between`]); and no
/// whitespace between tokens, so an object's bytes read as its compact text does, member by
/// member.
pub(crate) fn plain(raw: &[u8]) -> bool {
    if !as_text(raw) {
        return false;
    }
    // Jump from quote to quote: strings (the bulk) need no look once they hold no backslash;
    // what lies between them is punctuation, numbers and literals.
    let mut outside = true;
    let mut from = 0;
    loop {
        let next = memchr::memchr(b'"', raw.get(from..).unwrap_or_default()).map(|k| from + k);
        if outside {
            let between = raw.get(from..next.unwrap_or(raw.len())).unwrap_or_default();
            if !plain_between(between) {
                return false;
            }
        }
        match next {
            Some(at) => {
                from = at + 1;
                outside = !outside;
            }
            None => return true,
        }
    }
}

/// The bytes between strings: no whitespace, and only numbers that print as their bytes once
/// parsed: integers of at most 15 digits, not negative (`-0` prints `-0.0`). A fraction can
/// print otherwise (`0.000001` is `1e-6`, 17 digits round), and so can an exponent.
fn plain_between(bytes: &[u8]) -> bool {
    let mut digits = 0usize;
    for &b in bytes {
        if b.is_ascii_whitespace() || matches!(b, b'.' | b'-' | b'+') {
            return false;
        }
        if b.is_ascii_digit() {
            digits += 1;
            if digits >= 16 {
                return false;
            }
        } else {
            // An exponent follows a digit; `true` and `false` hold an `e` after a letter.
            if matches!(b, b'e' | b'E') && digits > 0 {
                return false;
            }
            digits = 0;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{contains_ignoring_case, plain, token_bound};

    #[test]
    fn texts_bound_to_a_token() {
        for (text, want) in [
            ("root", true),
            ("trufflehog", true),
            (":assumed-role/aws:", true),
            ("arn:aws:iam::", true),
            ("aws internal", true),
            ("", false),
            ("123456789012", false),
            ("1e5", false),
            (":1", false),
            (":true", false),
            (":", false),
            ("a\"", false),
            ("a,b", false),
            ("{x", false),
            ("x]", false),
        ] {
            assert_eq!(token_bound(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn regexes_give_the_longest_literal_they_require() {
        use crate::rules::pattern::{build_regex, regex_needle};
        for (re, want) in [
            (".+:assumed-role/aws:.+", Some(":assumed-role/aws:")),
            (r"^arn:aws:iam::\d+:root$", Some("arn:aws:iam::")),
            ("(Get|Put)Object", Some("object")),
            ("Get|PutObject", None),
            ("ab.", None),
            (r#"x"y.*zzz"#, Some("zzz")),
            (r#"\{"a":1\}"#, None),
        ] {
            let re = build_regex(re, true, false, true).unwrap();
            assert_eq!(regex_needle(&re).as_deref(), want, "{re}");
        }
    }

    #[test]
    fn contains_ignoring_ascii_case() {
        assert!(contains_ignoring_case(
            b"aws-cli TruffleHog/3",
            b"trufflehog"
        ));
        assert!(contains_ignoring_case(b"ROOT", b"root"));
        assert!(!contains_ignoring_case(b"Roo", b"root"));
        assert!(!contains_ignoring_case(b"rroo", b"root"));
        assert!(contains_ignoring_case(b"rroot", b"root"));
        assert!(contains_ignoring_case(b"x", b""));
        assert!(!contains_ignoring_case(b"", b"x"));
        // Every position of haystacks long and short, in both cases, against a plain search;
        // bytes that fold onto a needle's letter (`R` | 0x20) but are not it included.
        let plain = |hay: &[u8], needle: &[u8]| {
            hay.windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
        };
        for needle in [
            &b"root"[..],
            b":assumed-role/aws:",
            b"r",
            b"trufflehog",
            b"@x",
        ] {
            for len in 0..150 {
                for at in 0..len {
                    let mut hay: Vec<u8> =
                        (0..len).map(|i| b"arn:aws:iam::1:role/"[i % 20]).collect();
                    for (k, &b) in needle.iter().enumerate() {
                        if let Some(h) = hay.get_mut(at + k) {
                            *h = if k % 2 == 0 {
                                b.to_ascii_uppercase()
                            } else {
                                b
                            };
                        }
                    }
                    assert_eq!(
                        contains_ignoring_case(&hay, needle),
                        plain(&hay, needle),
                        "{} in {}",
                        needle.escape_ascii(),
                        hay.escape_ascii()
                    );
                    // `@` and `` ` ``, `R` and `r`: the fold makes some other bytes alike too.
                    let folded: Vec<u8> = hay.iter().map(|b| b ^ 0x20).collect();
                    assert_eq!(
                        contains_ignoring_case(&folded, needle),
                        plain(&folded, needle)
                    );
                }
            }
        }
    }

    #[test]
    fn plain_text_reads_as_its_bytes() {
        for (raw, want) in [
            (&br#""aws-cli/2.15.0 Python/3.11.6""#[..], true),
            (
                br#"{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/a"}"#,
                true,
            ),
            (br#""i-0a1b2c3d4e5f""#, true),
            (br#""\u0052oot""#, false),
            ("\"café\"".as_bytes(), false),
            (br#"{"n":1e5}"#, false),
            (br#"{"n":1.5E-3}"#, false),
            (br#"{"n":12345678901234567}"#, false),
            (br#"{"n":123456789012}"#, true),
            (br#"{"a": 1}"#, false),
            (br#"{"n":0.000001}"#, false),
            (br#"{"n":-0}"#, false),
            (br#"{"n":12345678.123456789}"#, false),
            (br#"{"n":12,"t":true,"f":false,"z":null}"#, true),
            (br#"{"a":"x y"}"#, true),
        ] {
            assert_eq!(plain(raw), want, "{}", raw.escape_ascii());
        }
    }
}
