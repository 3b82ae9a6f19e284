//! The search's two views of the string state, and the checks of what they see (see the
//! `resync` module for the design): each view tracks the containers open since the search
//! began, offers every object that is not the value of a key as a candidate, and starts over
//! where its structure breaks; [`Checks`] decides which closed candidate is a record and which
//! `{"Records":[` is a new log file.

use serde::de::IgnoredAny;

use super::probe::has_event_key;
use super::resync::Found;
use super::split::{is_plain, quote_or_backslash, ValueScan};

/// Keeps the two views on opposite string states: when both are inside or both outside a
/// string (a backslash outside one, an escaped quote inside the other), the one that started
/// over last flips and starts over.
pub(super) fn cover_both(views: &mut [View; 2], offset: u64) {
    let [a, b] = views;
    if a.in_string == b.in_string && !a.escaped && !b.escaped {
        let younger = if a.since > b.since { a } else { b };
        younger.restart(offset);
        younger.in_string = !younger.in_string;
        younger.ahead = Ahead::Unknown;
    }
}

/// A container open in a [`View`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Open {
    /// Offset of its opening bracket.
    at: u64,
    /// The bracket that closes it.
    close: u8,
    /// An object that may be a record: not the value of a key, not too large yet.
    candidate: bool,
    /// It holds a value that is not valid JSON: it cannot be one.
    spoiled: bool,
}

/// What a [`View`] saw at a byte.
#[derive(Debug)]
pub(super) enum Seen {
    Nothing,
    /// A candidate closed at this offset (exclusive).
    Closed(Open, u64),
    /// An array opened: the container under it may be `{"Records":[`.
    ArrayOpened,
}

/// The next byte a [`View`] must look at: known, or none before an offset.
#[derive(Debug, Clone, Copy)]
enum Ahead {
    Unknown,
    At(u64),
    NoneBefore(u64),
}

/// One hypothesis about the string state since the search began (see the module docs).
#[derive(Debug)]
pub(super) struct View {
    in_string: bool,
    escaped: bool,
    open: Vec<Open>,
    /// Offset where it last started over.
    since: u64,
    ahead: Ahead,
}

impl View {
    pub(super) fn new(in_string: bool, at: u64) -> View {
        View {
            in_string,
            escaped: false,
            open: Vec::new(),
            since: at,
            ahead: Ahead::Unknown,
        }
    }

    fn restart(&mut self, offset: u64) {
        self.open.clear();
        self.since = offset;
    }

    /// Index of the next byte from `i` this view must look at (`data.len()` when none).
    pub(super) fn next(&mut self, data: &[u8], i: usize, base: u64) -> usize {
        let index = |offset: u64| usize::try_from(offset.wrapping_sub(base)).unwrap_or(usize::MAX);
        let offset = base.wrapping_add(i as u64);
        let from = match self.ahead {
            Ahead::At(at) if at >= offset => return index(at),
            Ahead::NoneBefore(before) if before > offset => index(before),
            _ => i,
        };
        let rest = data.get(from..).unwrap_or_default();
        let found = if self.in_string && self.escaped {
            (!rest.is_empty()).then_some(0)
        } else if self.in_string {
            quote_or_backslash(rest)
        } else {
            rest.iter().position(|&b| !is_plain(b))
        };
        match found {
            Some(k) => {
                self.ahead = Ahead::At(base.wrapping_add((from + k) as u64));
                from + k
            }
            None => {
                self.ahead = Ahead::NoneBefore(base.wrapping_add(data.len() as u64));
                data.len()
            }
        }
    }

    /// Takes byte `b` at `offset` (`prev`: the last byte before it that is not whitespace).
    pub(super) fn step(&mut self, b: u8, offset: u64, prev: u8, max_depth: usize) -> Seen {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            self.ahead = Ahead::Unknown;
            return Seen::Nothing;
        }
        match b {
            b'"' => {
                self.in_string = true;
                self.ahead = Ahead::Unknown;
            }
            b'{' | b'[' if self.open.len() >= max_depth => self.restart(offset),
            b'{' | b'[' => {
                self.open.push(Open {
                    at: offset,
                    close: if b == b'{' { b'}' } else { b']' },
                    candidate: b == b'{' && prev != b':',
                    spoiled: false,
                });
                if b == b'[' {
                    return Seen::ArrayOpened;
                }
            }
            b'}' | b']' => match self.open.pop() {
                // Closing a container opened before the search began.
                None => {}
                Some(open) if open.close != b => self.restart(offset),
                Some(open) => {
                    if open.spoiled {
                        self.spoil();
                    } else if open.candidate {
                        return Seen::Closed(open, offset + 1);
                    }
                }
            },
            // A byte JSON does not allow outside a string: this view is wrong here, or the
            // byte is damage. Either way nothing open can be a record.
            _ => self.restart(offset),
        }
        Seen::Nothing
    }

    /// Marks the innermost open container as holding invalid JSON.
    fn spoil(&mut self) {
        if let Some(last) = self.open.last_mut() {
            last.spoiled = true;
        }
    }

    /// The offset of the oldest candidate that may still be a record, after dropping those that
    /// already span more than `max_record` bytes up to `end`.
    pub(super) fn oldest_live(&mut self, end: u64, max_record: usize) -> Option<u64> {
        let mut oldest = None;
        for open in &mut self.open {
            if open.candidate && end.saturating_sub(open.at) > max_record as u64 {
                open.candidate = false;
            }
            if open.candidate && !open.spoiled {
                oldest = Some(oldest.map_or(open.at, |o: u64| o.min(open.at)));
            }
        }
        oldest
    }
}

/// Checks what the views see, with a scanner reused across checks.
#[derive(Debug, Default)]
pub(super) struct Checks {
    scan: ValueScan,
}

impl Checks {
    /// What `seen` in `view` means: `Some` when it found a record or a log file.
    pub(super) fn event(
        &mut self,
        view: &mut View,
        seen: Seen,
        data: &[u8],
        base: u64,
        max_record: usize,
    ) -> Option<Found> {
        let index = |offset: u64| usize::try_from(offset.wrapping_sub(base)).unwrap_or(usize::MAX);
        match seen {
            Seen::Nothing => None,
            Seen::Closed(open, end) => {
                if end - open.at > max_record as u64 {
                    return None;
                }
                let obj = data.get(index(open.at)..index(end))?;
                if !has_event_key(obj, &mut self.scan) {
                    return None;
                }
                if serde_json::from_slice::<IgnoredAny>(obj).is_ok() {
                    return Some(Found::Record(open.at..end));
                }
                view.spoil();
                None
            }
            Seen::ArrayOpened => {
                let [.., outer, array] = view.open.as_slice() else {
                    return None;
                };
                if !outer.candidate || outer.spoiled || outer.close != b'}' {
                    return None;
                }
                let head = data.get(index(outer.at)..index(array.at))?;
                is_records_key(head).then_some(Found::LogFile(outer.at))
            }
        }
    }
}

/// True when `head` is `{"Records":` with any whitespace: the start of a log file.
fn is_records_key(head: &[u8]) -> bool {
    let mut rest = head.strip_prefix(b"{").unwrap_or_default();
    for part in [&b"\"Records\""[..], b":"] {
        rest = rest.trim_ascii_start();
        match rest.strip_prefix(part) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    head.starts_with(b"{") && rest.trim_ascii().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_start_of_a_log_file() {
        let cases: &[(&[u8], bool)] = &[
            (b"{\"Records\":", true),
            (b"{ \n\"Records\" \t: ", true),
            (b"{\"Records\"", false),
            (b"{\"records\":", false),
            (b"{\"a\":1,\"Records\":", false),
            (b"\"Records\":", false),
        ];
        for (head, want) in cases {
            assert_eq!(is_records_key(head), *want, "{}", head.escape_ascii());
        }
    }
}
