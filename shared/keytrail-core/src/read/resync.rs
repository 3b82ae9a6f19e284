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

use super::buffer::Fill;
use super::error::{Fault, ReadErrorKind as K};
use super::frame::{Frames, State, GZIP_FAULT_LOOKAHEAD};
use super::views::{cover_both, Checks, View};
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
pub(super) enum Found {
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
