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

use super::peek::Peek;
use super::project::Projection;
use super::walk::{member, plain_string, skip_value, skip_ws};

/// The routing fields of a plain record, or `None` when the full peek must decide.
///
/// `closes` are the offsets of the closing brackets of the record's nested containers, in
/// order, as [`crate::read::RawRecord::closes`] gives them; `None` scans nested values instead.
/// Where each top-level key of `screen` has its value is noted for [`super::partial_event`]
/// (keys beyond [`super::MAX_SCREEN_KEYS`] are not).
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
            note_screened(&mut peek, screen, key, value_at..i)?;
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
/// a dot. `None` when the offsets do not fit the note (the full peek then decides).
#[inline]
fn note_screened(
    peek: &mut Peek<'_>,
    screen: &Projection,
    key: &[u8],
    value: std::ops::Range<usize>,
) -> Option<()> {
    if let Some(slot) = screen.member_of(key).and_then(|m| peek.screened.get_mut(m)) {
        *slot = Some(u32::try_from(value.start).ok()?..u32::try_from(value.end).ok()?);
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
    Some(())
}
