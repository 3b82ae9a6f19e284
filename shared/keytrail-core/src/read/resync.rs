//! Recovery after damage: a JSON fault inside the records no longer ends the object.
//!
//! When a record, or what stands between two records, is broken (a missing comma, a stray
//! byte, a lost quote or bracket, a record cut short and followed by others), the reader looks
//! for the next record that parses, yields the fault with the byte range it skipped
//! ([`ReadError::skipped`](super::ReadError::skipped)), and goes on from that record. This
//! applies inside the `Records` array, a top-level array and the stream of top-level values
//! (NDJSON, concatenated files); anywhere else (the top-level object's own members, content that
//! is not JSON), and for every fault of the byte source (truncated or corrupt gzip, the input
//! failing, the size cap), a fault still ends the object.
//!
//! **Where the search starts.** Inside the damaged record, one byte after its start: damage can
//! make the splitter run on through the records after it (a lost quote turns strings inside
//! out; a lost bracket never closes) and fail only much later, and those records are still
//! there to be found. Between records, at the byte that broke the separator.
//!
//! **What counts as a record.** The string state after damage is unknown, so two hypotheses are
//! carried along at once, one inside a string and one outside ([`View`]); whenever a byte breaks
//! one (a stray byte, a mismatched bracket) it drops the containers it had open and goes on, and
//! whenever both agree, the one that started over last flips, so that both string states are
//! always covered. In each, every `{` that is not the value of a key (`:` before it) starts a
//! candidate. When a candidate closes it is a record if it is no larger than a record may be,
//! has a top-level key of a CloudTrail event (`eventSource`, `eventName`, `eventType`, or an
//! EventBridge envelope's `detail-type`: an object nested in a record has none) and is valid
//! JSON (`serde_json`); the first such record to close wins. A `{"Records":[` that is not the
//! value of a key is a new log file (`cat a.json b.json` after a truncated `a.json`), read from
//! there as a top-level value.
//!
//! **Cost.** Nothing on the fast path: this runs only after a fault. The search is one pass over
//! the bytes (both views in step, jumping to the next byte either must look at); the candidates
//! it checks in full (key walk and `serde_json`) are those that name an event key somewhere, and
//! a candidate holding an invalid one is refused without a second parse. Memory: the buffer
//! holds the bytes from the oldest open candidate, which is dropped once larger than a record
//! may be, so at most the record limit (plus, for gzip, the look-ahead below).
//!
//! **Limits.** An object nested in an array inside a damaged record that itself has an event's
//! top-level key (a record embedded in a record) would be taken for a record; CloudTrail writes
//! none. Records in the skipped bytes are lost (the range says which bytes). A damaged object
//! whose remaining records are not CloudTrail events ends at the fault, as before. After a fault
//! in gzip content, a gzip fault within [`GZIP_FAULT_LOOKAHEAD`] decompressed bytes wins, as it
//! always has: a damaged deflate stream can decode to garbage that copies earlier records.

use std::io::Read;
use std::ops::Range;

use serde::de::IgnoredAny;

use super::buffer::Fill;
use super::error::{Fault, ReadErrorKind as K};
use super::frame::{Frames, State, GZIP_FAULT_LOOKAHEAD};
use super::probe::has_event_key;
use super::split::{is_plain, quote_or_backslash, ValueScan};
use super::Compression;

/// The container a damaged part of the stream is in, where reading resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// The elements of the `Records` array (`records`) or of a top-level array.
    Array { records: bool },
    /// The stream of top-level values.
    TopLevel,
}

/// Where a fault found damage (offsets: the buffer's indexes move as it refills).
#[derive(Debug, Clone, Copy)]
pub(super) struct Damage {
    origin: Origin,
    /// Offset of the damaged span's first byte.
    start: u64,
    /// Offset where the search for the next record starts.
    from: u64,
}

/// What the search found.
#[derive(Debug)]
enum Found {
    /// A record: its offsets.
    Record(Range<u64>),
    /// A new log file, `{"Records":[`, at this offset.
    LogFile(u64),
}

impl<R: Read> Frames<R> {
    /// The damage `fault` found, when reading can resume after it: a JSON fault in a record,
    /// between records, or between top-level values.
    pub(super) fn damage(&self, fault: &Fault) -> Option<Damage> {
        if !matches!(
            fault.kind,
            K::InvalidJson | K::TooDeep | K::RecordTooLarge | K::TruncatedJson
        ) {
            return None;
        }
        let start = self.buf.start;
        let (origin, from) = match self.state {
            State::Element { records } => (Origin::Array { records }, start + 1),
            State::Elements { records, .. } | State::AfterElement { records } => {
                (Origin::Array { records }, start)
            }
            State::TopLevel if self.values > 0 => (Origin::TopLevel, start),
            State::FirstKey | State::FirstKeyString | State::Probe => (Origin::TopLevel, start + 1),
            _ => return None,
        };
        Some(Damage {
            origin,
            start: self.buf.offset(start),
            from: self.buf.offset(from.min(self.buf.end)),
        })
    }

    /// Looks for the record after `damage`. `Ok`: `fault` with the bytes it skipped, and the
    /// reader set to go on from there. `Err`: the fault that ends the object, `fault` itself
    /// when nothing after it can be read, or a fault of the byte source met on the way.
    pub(super) fn recover(&mut self, damage: Damage, mut fault: Fault) -> Result<Fault, Fault> {
        let first = damage.start;
        let gzip = self.compression() == Some(Compression::Gzip);
        if gzip {
            self.read_ahead(fault.at.saturating_add(GZIP_FAULT_LOOKAHEAD))?;
        }
        let Some(found) = self.search(damage.from)? else {
            return Err(fault);
        };
        let (resumed, what) = match found {
            Found::Record(range) => {
                self.buf.start = self.buf.index(range.start);
                self.buf.pos = self.buf.index(range.end);
                let records = match damage.origin {
                    Origin::Array { records } => Some(records),
                    Origin::TopLevel => None,
                };
                self.state = State::Resumed { records };
                (range.start, "the next record")
            }
            Found::LogFile(at) => {
                self.buf.start = self.buf.index(at);
                self.buf.pos = self.buf.start;
                self.state = State::TopLevel;
                (at, "a new log file")
            }
        };
        let bytes = if gzip { "decompressed bytes" } else { "bytes" };
        let skipped = if resumed > first {
            format!("{bytes} {first}..{resumed} were skipped")
        } else {
            "nothing was skipped (a separator is missing)".to_owned()
        };
        // A record too large or too deep may be legitimate: say how to read it next time.
        let why = match fault.kind {
            K::RecordTooLarge | K::TooDeep => fault.hint.clone(),
            _ => "damaged JSON".to_owned(),
        };
        fault.hint = format!(
            "{why}; {skipped} and reading resumed at {what}; records in skipped bytes are not \
             classified (check the object with CloudTrail log file validation, and fetch it \
             again)"
        );
        fault.skipped = Some(first..resumed);
        Ok(fault)
    }

    /// After a fault in gzip content: reads on to `until` (a decompressed offset), keeping
    /// every byte from `start`, so that a gzip fault there is found before anything after the
    /// damage is yielded.
    fn read_ahead(&mut self, until: u64) -> Result<(), Fault> {
        let limit = (self.buf.end - self.buf.start)
            .saturating_add(usize::try_from(GZIP_FAULT_LOOKAHEAD).unwrap_or(usize::MAX))
            .saturating_add(self.opts.buffer_bytes);
        while self.buf.total() < until {
            if self.buf.fill(&mut self.source, limit)? != Fill::Data {
                break;
            }
        }
        Ok(())
    }

    /// The first record (or log file) after offset `at`, reading on as needed; `None` at the
    /// end of the input.
    fn search(&mut self, mut at: u64) -> Result<Option<Found>, Fault> {
        let mut views = [View::new(false, at), View::new(true, at)];
        // The last byte before `at` that is not whitespace: never a ':' where a search starts.
        let mut prev = b'{';
        let max_record = self.opts.max_record_bytes;
        let mut checks = Checks::default();
        loop {
            let base = self.buf.offset(0);
            let data = self.buf.bytes();
            let mut i = self.buf.index(at);
            while i < data.len() {
                let next = views
                    .iter_mut()
                    .map(|v| v.next(data, i, base))
                    .min()
                    .unwrap_or(data.len());
                if let Some(last) = data.get(i..next).and_then(last_non_ws) {
                    prev = last;
                }
                let Some(&b) = data.get(next) else {
                    i = next;
                    break;
                };
                let offset = base.wrapping_add(next as u64);
                for view in &mut views {
                    if view.next(data, next, base) != next {
                        continue;
                    }
                    let event = view.step(b, offset, prev, self.opts.max_depth);
                    if let Some(found) = checks.event(view, event, data, base, max_record) {
                        return Ok(Some(found));
                    }
                }
                cover_both(&mut views, offset);
                if !b.is_ascii_whitespace() {
                    prev = b;
                }
                i = next + 1;
            }
            at = base.wrapping_add(i as u64);
            // Keep the bytes of every candidate that may still be a record.
            let end = self.buf.total();
            let oldest = views
                .iter_mut()
                .filter_map(|v| v.oldest_live(end, max_record))
                .min()
                .unwrap_or(at)
                .min(at);
            self.buf.start = self.buf.index(oldest);
            self.buf.pos = self.buf.index(at);
            match self.buf.fill(&mut self.source, max_record)? {
                Fill::Data => {}
                Fill::Eof | Fill::Full => return Ok(None),
            }
        }
    }
}

/// The last byte of `bytes` that is not whitespace.
fn last_non_ws(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .rev()
        .copied()
        .find(|b| !b.is_ascii_whitespace())
}

/// Keeps the two views on opposite string states: when both are inside or both outside a
/// string (a backslash outside one, an escaped quote inside the other), the one that started
/// over last flips and starts over.
fn cover_both(views: &mut [View; 2], offset: u64) {
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
struct Open {
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
enum Seen {
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
struct View {
    in_string: bool,
    escaped: bool,
    open: Vec<Open>,
    /// Offset where it last started over.
    since: u64,
    ahead: Ahead,
}

impl View {
    fn new(in_string: bool, at: u64) -> View {
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
    fn next(&mut self, data: &[u8], i: usize, base: u64) -> usize {
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
    fn step(&mut self, b: u8, offset: u64, prev: u8, max_depth: usize) -> Seen {
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
    fn oldest_live(&mut self, end: u64, max_record: usize) -> Option<u64> {
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
struct Checks {
    scan: ValueScan,
}

impl Checks {
    /// What `seen` in `view` means: `Some` when it found a record or a log file.
    fn event(
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
