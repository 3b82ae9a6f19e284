//! The peek's fast path: the top level of a plain CloudTrail record, read byte by byte.
//!
//! Profiling put [`super::peek`] (serde_json over every byte of every record, `IgnoredAny` for
//! what it skips) at half the cost of a scan. Most records are the easy case: an object whose
//! keys have no escapes, with `eventSource`/`eventName`/`eventType` as plain strings. For those,
//! [`peek_quick`] walks the top-level keys and jumps over each value (strings with
//! [`quote_or_backslash`], containers by counting brackets outside strings) without building or
//! checking what is inside.
//! Anything else (escapes in a key or a routing value, a routing field that is not a string, no
//! routing field at all, an EventBridge envelope, anything malformed at the top level) returns
//! `None`, and the caller takes the full [`super::peek`]. What is left unchecked is the inside of
//! values the prefilter then drops (numbers, literals, separators inside nested containers): the
//! reader has already checked their brackets and strings, and a record the prefilter admits is
//! fully parsed, so a malformed one is still reported.
//!
//! When the splitter noted where the record's nested containers close (`closes`, from
//! [`crate::read::RawRecord::closes`]), a nested value is not scanned again at all: the walk
//! jumps to its closing bracket, after checking that the byte there closes what opened.

use std::borrow::Cow;

use crate::read::quote_or_backslash;

use super::{Peek, Projection};

/// The routing fields of a plain record, or `None` when the full peek must decide.
///
/// `closes` are the offsets of the closing brackets of the record's nested containers, in
/// order, as [`crate::read::RawRecord::closes`] gives them; `None` scans nested values instead.
/// Where each top-level key of `screen` has its value is noted for [`super::partial_event`]
/// (keys beyond [`crate::rules::MAX_SCREEN_KEYS`] are not).
pub fn peek_quick<'a>(
    json: &'a [u8],
    closes: Option<&[u32]>,
    screen: Option<&Projection>,
) -> Option<Peek<'a>> {
    let lengths = screen.map_or(0, Projection::lengths);
    let mut closes = closes.map(<[u32]>::iter);
    let mut peek = Peek {
        object: true,
        ..Peek::default()
    };
    let mut i = skip_ws(json, 0);
    if json.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(json, i + 1);
    loop {
        let (key, value_at) = member(json, i)?;
        i = value_at;
        let slot = match key {
            b"eventSource" => Some(&mut peek.event_source),
            b"eventName" => Some(&mut peek.event_name),
            b"eventType" => Some(&mut peek.event_type),
            _ => None,
        };
        i = match slot {
            Some(slot) => {
                let (value, after) = plain_string(json, i)?;
                *slot = Some(Cow::Borrowed(std::str::from_utf8(value).ok()?));
                after
            }
            None => match (json.get(i), closes.as_mut()) {
                (Some(&open @ (b'{' | b'[')), Some(closes)) => {
                    let close = usize::try_from(*closes.next()?).ok()?;
                    let want = if open == b'{' { b'}' } else { b']' };
                    (close > i && json.get(close) == Some(&want)).then_some(close + 1)?
                }
                _ => skip_value(json, i)?,
            },
        };
        if let Some(screen) = screen.filter(|_| lengths != 0) {
            note_screened(&mut peek, screen, key, value_at..i);
        }
        // No key names or hint: they describe records that are not events, and for those this
        // returns `None` and the full peek notes them.
        peek.key_count += 1;
        i = skip_ws(json, i);
        match json.get(i) {
            Some(b',') => i = skip_ws(json, i + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    let whole = skip_ws(json, i + 1) == json.len();
    (whole && peek.looks_like_event()).then_some(peek)
}

/// Notes where the value of `key` is when it is a screened key, and when it begins with one and
/// a dot.
#[inline]
fn note_screened(
    peek: &mut Peek<'_>,
    screen: &Projection,
    key: &[u8],
    value: std::ops::Range<usize>,
) {
    if let Some(slot) = screen.member_of(key).and_then(|m| peek.screened.get_mut(m)) {
        *slot = Some(value);
    }
    let (lengths, screen) = (screen.lengths(), screen.members());
    // A dot where a shorter screened key would end: `userIdentity.type` as one key.
    let mut shorter = match key.len() {
        0..63 => lengths & ((1u64 << key.len()) - 1),
        _ => lengths,
    };
    while shorter != 0 {
        let n = shorter.trailing_zeros() as usize;
        if n == 63 || key.get(n) == Some(&b'.') {
            peek.screen_dotted |= screen
                .iter()
                .any(|(s, _)| key.get(s.len()) == Some(&b'.') && key.starts_with(s.as_bytes()));
        }
        shorter &= shorter - 1;
    }
}

/// A key's length (up to 32 767) and first and last bytes, to tell most keys apart with one
/// comparison.
#[inline(always)]
pub(super) fn fingerprint(key: &[u8]) -> u32 {
    let (first, last) = (key.first().copied(), key.last().copied());
    (key.len().min(0x7FFF) as u32) << 16
        | u32::from(first.unwrap_or(0)) << 8
        | u32::from(last.unwrap_or(0))
}

/// The value of member `key` of the JSON object `json` (the last one, as in a parse): `Ok(None)`
/// when it has no such member, `Err(())` when that cannot be told cheaply (not an object, an
/// escape in a key, a key with a dot, which a path may read too, anything malformed).
pub(crate) fn object_member<'a>(json: &'a [u8], key: &[u8]) -> Result<Option<&'a [u8]>, ()> {
    let mut found = None;
    for item in members(json).ok_or(())? {
        let (name, value) = item.ok_or(())?;
        if name.contains(&b'.') {
            return Err(());
        }
        if same(name, key) {
            found = json.get(value);
        }
    }
    Ok(found)
}

/// The members of the JSON object `json` (one whole value), in order: each key (without escapes)
/// and the range of its value. `None` when `json` is not an object; an item is `None` where the
/// object cannot be walked cheaply (an escape in a key, anything malformed, bytes after it), and
/// the walk ends there.
pub(super) fn members(json: &[u8]) -> Option<Members<'_>> {
    let i = skip_ws(json, 0);
    (json.get(i) == Some(&b'{')).then(|| Members {
        json,
        i: skip_ws(json, i + 1),
        first: true,
        done: false,
    })
}

/// See [`members`].
pub(super) struct Members<'a> {
    json: &'a [u8],
    i: usize,
    first: bool,
    done: bool,
}

impl<'a> Iterator for Members<'a> {
    type Item = Option<(&'a [u8], std::ops::Range<usize>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let json = self.json;
        if self.first {
            self.first = false;
            if json.get(self.i) == Some(&b'}') {
                self.done = true;
                return (skip_ws(json, self.i + 1) != json.len()).then_some(None);
            }
        }
        let step = || {
            let (key, value_at) = member(json, self.i)?;
            let end = skip_value(json, value_at)?;
            Some((key, value_at..end))
        };
        let Some((key, value)) = step() else {
            self.done = true;
            return Some(None);
        };
        let after = skip_ws(json, value.end);
        match json.get(after) {
            Some(b',') => self.i = skip_ws(json, after + 1),
            Some(b'}') if skip_ws(json, after + 1) == json.len() => self.done = true,
            _ => {
                self.done = true;
                return Some(None);
            }
        }
        Some(Some((key, value)))
    }
}

/// The key (without escapes) of the object member at `i`, and where its value starts.
pub(super) fn member(json: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let (key, after) = plain_string(json, i)?;
    let colon = skip_ws(json, after);
    if json.get(colon) != Some(&b':') {
        return None;
    }
    Some((key, skip_ws(json, colon + 1)))
}

/// `a == b` for short keys: two 8-byte words for keys of 8 to 16 bytes (most CloudTrail keys),
/// an inlined loop below that (it beats a `memcmp` call for keys such as `eventTime`).
#[inline]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        8..=16 => word(a, 0) == word(b, 0) && word(a, a.len() - 8) == word(b, b.len() - 8),
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// The 8 bytes of `bytes` from `at` as a word (0 when there are fewer).
#[inline(always)]
fn word(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_le_bytes)
}

pub(super) fn skip_ws(json: &[u8], mut i: usize) -> usize {
    while matches!(json.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// The string at `i` when it has no escapes: its bytes and the index after its closing quote.
pub(super) fn plain_string(json: &[u8], i: usize) -> Option<(&[u8], usize)> {
    if json.get(i) != Some(&b'"') {
        return None;
    }
    let rest = json.get(i + 1..)?;
    let k = quote_or_backslash(rest)?;
    if rest.get(k) != Some(&b'"') {
        return None;
    }
    Some((rest.get(..k)?, i + 2 + k))
}

/// Index just after the string whose opening quote is at `i` (escapes allowed).
fn skip_string(json: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        i += quote_or_backslash(json.get(i..)?)?;
        if json.get(i) == Some(&b'"') {
            return Some(i + 1);
        }
        i += 2;
    }
}

/// Index just after the value at `i`.
pub(super) fn skip_value(json: &[u8], mut i: usize) -> Option<usize> {
    match json.get(i)? {
        b'"' => skip_string(json, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            loop {
                match json.get(i)? {
                    b'"' => {
                        i = skip_string(json, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let start = i;
            while json
                .get(i)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
            {
                i += 1;
            }
            (i > start).then_some(i)
        }
    }
}
