//! Walking a JSON text's bytes without parsing it: jumping over values, reading plain keys and
//! strings, listing an object's members.
//!
//! The quick peek ([`super::peek_quick`]), the partial events of screening
//! ([`super::partial_event`]) and the rules' needles read records through these. None of them
//! checks what it jumps over: strings with [`quote_or_backslash`], containers by counting
//! brackets outside strings. Anything they cannot read cheaply (an escape in a key, anything
//! malformed) is `None`, and the caller takes a slower path that checks everything.

use crate::read::quote_or_backslash;

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
