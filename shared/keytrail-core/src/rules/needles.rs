//! The screen's needles: a check on a record's raw bytes that no rule the index cannot route can
//! match it, before any partial event is built.
//!
//! [`super::RuleSet::screen`] evaluates the unrouted rules on a partial event, which costs a
//! small parse per record. But most such rules insist on some text in one field
//! (`userAgent|contains: TruffleHog`, `userIdentity.type: Root`): every value they accept there
//! contains one of a few strings, ASCII case aside ([`super::detection::Detection::needles`]).
//! The field is found in the raw bytes (a screened top-level value, and for a nested path the
//! member below it, walked like the quick peek walks the top level). When, for every unrouted
//! rule, none of its strings is in its field, none of them can match and the record needs no
//! partial event at all.
//!
//! The answer must equal the partial event's, so the check only rules a record out when the raw
//! bytes say what the parsed text would: no escape (`\u0052oot` is `Root`) and nothing beyond
//! ASCII (Unicode lowercasing). For most texts that is enough: one that can only lie within a
//! string or a literal ([`token_bound`]: `root`, `:assumed-role/aws:`) is in the parsed field only
//! if it is in its bytes. Other texts (digits only, or a `:` that may join a key to a number or
//! `true`) also need the bytes [`plain`]: no number whose text form may differ from its bytes
//! (anything but a non-negative integer of at most 15 digits), and no whitespace between tokens
//! (the text of an object is its compact JSON). Otherwise, and when a top-level key begins with a
//! screened key and a dot (a path may read that key), the partial event decides as before.

use wide::u8x16;

use crate::record::{Peek, Projection};

use super::Compiled;

/// The longest non-string value checked; a longer one goes to the partial event.
const MAX_CHECKED: usize = 1024;
/// The most distinct fields the needles look in.
const MAX_FIELDS: usize = 16;

/// For every unrouted rule, the `(field, text)` pairs one of which every match has; a field is
/// a screened top-level value and the keys below it.
#[derive(Debug)]
pub(crate) struct Needles {
    fields: Vec<(usize, Vec<Vec<u8>>)>,
    /// The distinct pairs: the field, the text, and whether the text is [`token_bound`]. Rules
    /// share many (`userIdentity.type: Root` is in several of SigmaHQ's), and each is looked
    /// for once per record, however many rules name it.
    pairs: Vec<(usize, Vec<u8>, bool)>,
    /// Per rule: its pairs, as indexes into `pairs`.
    plan: Vec<Vec<usize>>,
}

/// The most distinct pairs whose answers a record's check keeps; the others are looked for each
/// time a rule names them.
const MAX_KEPT: usize = 64;

impl Needles {
    /// Needles for every rule in `always` (indexes into `compiled`), placed in the screened
    /// top-level values of `projection`; `None` when some rule has none (then every record gets
    /// its partial event).
    pub(crate) fn build(
        compiled: &[Compiled],
        always: &[usize],
        projection: &Projection,
    ) -> Option<Needles> {
        let members: Vec<&str> = projection.keys().collect();
        let mut fields: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
        let mut pairs: Vec<(usize, Vec<u8>, bool)> = Vec::new();
        let mut plan = Vec::with_capacity(always.len());
        for &i in always {
            let needles = compiled.get(i)?.detection.needles()?;
            let mut placed = Vec::with_capacity(needles.len());
            for (path, text) in needles {
                let mut keys = path.split('.');
                let top = keys.next().unwrap_or_default();
                let member = members.iter().position(|m| *m == top)?;
                let field = (member, keys.map(|k| k.as_bytes().to_vec()).collect());
                if member >= super::MAX_SCREEN_KEYS {
                    return None;
                }
                let at = index_of(&mut fields, field);
                let text = text.into_bytes();
                let bound = token_bound(&text);
                placed.push(index_of(&mut pairs, (at, text, bound)));
            }
            plan.push(placed);
        }
        (fields.len() <= MAX_FIELDS).then_some(Needles {
            fields,
            pairs,
            plan,
        })
    }

    /// True when no unrouted rule can match the record `json`, whose quick peek noted where the
    /// screened values are; false when the partial event must decide.
    pub(crate) fn rule_out(&self, json: &[u8], peek: &Peek<'_>) -> bool {
        if peek.screen_dotted() {
            return false;
        }
        // Two steps per field: a needle that is not even in the raw bytes of the top-level value
        // around the field is not in the field (when those bytes read as their text); only a
        // needle found there needs the field itself, walked down to.
        let mut found = Found {
            tops: [Seen::Unread; super::MAX_SCREEN_KEYS],
            fields: [Seen::Unread; MAX_FIELDS],
        };
        // Per distinct pair: 0 not looked for yet, 1 rules its rules out, 2 does not.
        let mut kept = [0u8; MAX_KEPT];
        self.plan.iter().all(|pairs| {
            pairs.iter().all(|&k| {
                let Some(pair) = self.pairs.get(k) else {
                    return false;
                };
                let answer = kept.get(k).copied().unwrap_or(0);
                if answer != 0 {
                    return answer == 1;
                }
                let out = self.pair_rules_out(json, peek, &mut found, pair);
                if let Some(slot) = kept.get_mut(k) {
                    *slot = if out { 1 } else { 2 };
                }
                out
            })
        })
    }

    /// True when `text` is not in the record's `field`, so no match of a rule that needs it
    /// there; false when it is, or when that cannot be told from the bytes. `found` keeps what
    /// was read of the screened values and the fields, for the next pair.
    fn pair_rules_out<'a>(
        &self,
        json: &'a [u8],
        peek: &Peek<'_>,
        found: &mut Found<'a>,
        (field, text, bound): &(usize, Vec<u8>, bool),
    ) -> bool {
        let Some((member, keys)) = self.fields.get(*field) else {
            return false;
        };
        let Some(top) = found.tops.get_mut(*member) else {
            return false;
        };
        if *top == Seen::Unread {
            *top = match peek.screened(*member).and_then(|r| json.get(r)) {
                None => Seen::Missing,
                Some(raw) if as_text(raw) => Seen::Text(raw),
                Some(_) => Seen::Undecided,
            };
        }
        match *top {
            Seen::Missing => return true,
            // A text bound to a token is in the parsed field only if it is in these bytes;
            // another text only if the bytes are plain as well.
            Seen::Text(raw) if *bound || plain(raw) => {
                if !contains_ignoring_case(raw, text) {
                    return true;
                }
                // A top-level field: its bytes are its text (quotes aside, which no needle
                // holds).
                if keys.is_empty() {
                    return false;
                }
            }
            _ => {}
        }
        let Some(slot) = found.fields.get_mut(*field) else {
            return false;
        };
        if *slot == Seen::Unread {
            *slot = resolve(json, peek.screened(*member), keys);
        }
        match *slot {
            // A missing value: a rule that needs text there cannot match.
            Seen::Missing => true,
            Seen::Text(raw) => !contains_ignoring_case(raw, text),
            Seen::Unread | Seen::Undecided => false,
        }
    }
}

/// Where `item` is in `items`, added at the end when it is not there yet.
fn index_of<T: PartialEq>(items: &mut Vec<T>, item: T) -> usize {
    items.iter().position(|i| *i == item).unwrap_or_else(|| {
        items.push(item);
        items.len() - 1
    })
}

/// What one record's check has read so far: each screened top-level value, and each field.
struct Found<'a> {
    tops: [Seen<'a>; super::MAX_SCREEN_KEYS],
    fields: [Seen<'a>; MAX_FIELDS],
}

/// What a field of a record is, for [`Needles::rule_out`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen<'a> {
    Unread,
    Missing,
    /// Bytes that read as the field's text.
    Text(&'a [u8]),
    /// Escapes, non-ASCII, odd numbers, not an object where keys go down, too long: the
    /// partial event decides.
    Undecided,
}

/// The field under `keys` of the top-level value at `range` of `json`.
fn resolve<'a>(
    json: &'a [u8],
    range: Option<std::ops::Range<usize>>,
    keys: &[Vec<u8>],
) -> Seen<'a> {
    let Some(mut value) = range.and_then(|r| json.get(r)) else {
        return Seen::Missing;
    };
    for key in keys {
        value = match crate::record::object_member(value, key) {
            Ok(Some(inner)) => inner,
            Ok(None) => return Seen::Missing,
            Err(()) => return Seen::Undecided,
        };
    }
    match value {
        [b'"', content @ .., b'"'] => {
            if as_text(content) {
                Seen::Text(content)
            } else {
                Seen::Undecided
            }
        }
        _ if value.len() <= MAX_CHECKED && plain(value) => Seen::Text(value),
        _ => Seen::Undecided,
    }
}

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
fn token_bound(text: &[u8]) -> bool {
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
fn plain(raw: &[u8]) -> bool {
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

/// For each compiled rule, the texts one of which every match has somewhere in its record, for
/// [`super::RuleSet::routed_rules_out`]: its needles' texts, when there are some and none is made
/// of number characters only. `None` for a rule without.
pub(crate) fn routed(compiled: &[Compiled]) -> Vec<Option<Vec<Vec<u8>>>> {
    let numeric = |t: &str| {
        t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    };
    compiled
        .iter()
        .map(|c| {
            let needles = c.detection.needles_except(&["eventSource", "eventName"])?;
            let texts: Vec<Vec<u8>> = needles.into_iter().map(|(_, t)| t.into_bytes()).collect();
            let usable = !texts.is_empty()
                && texts
                    .iter()
                    .all(|t| std::str::from_utf8(t).is_ok_and(|t| !t.is_empty() && !numeric(t)));
            usable.then_some(texts)
        })
        .collect()
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
