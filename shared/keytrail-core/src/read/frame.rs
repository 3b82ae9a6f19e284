//! The container state machine: which values of the stream are records.
//!
//! It walks the top level of the stream one token at a time and hands each record's byte range
//! to the caller. Every state can stop when the buffer runs dry and resume after a refill, so a
//! record, a key or a run of whitespace may straddle any number of reads. Inside a record only
//! [`ValueScan`] runs; the shapes are:
//!
//! - `{"Records": [r, r, ...]}` streamed element by element (other members are skipped), and
//!   `{"Events": [...]}` (lookup-events output) the same way;
//! - a top-level object whose first key is not `Records`: read whole, then either streamed as a
//!   log file (it has a `Records` array after all) or yielded as one event;
//! - `[r, r, ...]` streamed element by element;
//! - any number of the above, one after another (NDJSON, `cat a.json b.json`, multi-member gzip).
//!
//! Each state has a method of its own (`states.rs`); [`Frames::step`] only dispatches.

use std::io::Read;
use std::ops::Range;

use super::buffer::Buffer;
use super::error::Fault;
use super::input::{Input, SerialHash};
use super::pipe::Pipe;
use super::split::ValueScan;
use super::{Compression, ReadOptions, Shape};
use crate::integrity::ContentHasher;

/// How far past a JSON fault in gzip content the reader looks for a gzip fault.
pub(crate) const GZIP_FAULT_LOOKAHEAD: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Start,
    TopLevel,
    /// After a top-level `{` (kept at `start`): is the first key `Records`?
    FirstKey,
    FirstKeyString,
    /// Reading a whole top-level object from `start`.
    Probe,
    Key {
        first: bool,
    },
    KeyString,
    Colon {
        records: bool,
    },
    MemberValue {
        records: bool,
    },
    SkipValue,
    Elements {
        records: bool,
        first: bool,
    },
    Element {
        records: bool,
    },
    AfterElement {
        records: bool,
    },
    AfterMember,
    /// A record found after damage (`start..pos`), to be yielded; then `AfterElement` in the
    /// array it was found in (`Some(records)`), or `AfterRecovered` among top-level values.
    Resumed {
        records: Option<bool>,
    },
    /// After a record found among top-level values: `,` or `]` say it was in an array.
    AfterRecovered,
    Done,
}

/// Splits a byte stream into records.
pub(crate) struct Frames<R> {
    pub(super) source: Input<R>,
    pub(super) buf: Buffer,
    pub(super) state: State,
    pub(super) scan: ValueScan,
    pub(super) opts: ReadOptions,
    pub(super) shape: Option<Shape>,
    /// Top-level values begun.
    pub(super) values: u64,
    /// Records yielded.
    pub(super) records: u64,
    /// Where the first key's quote is, relative to `start`, in `FirstKeyString`.
    pub(super) key_at: usize,
    /// The top-level object is lookup-events output: each element holds its event as a string.
    pub(super) lookup: bool,
    /// The event decoded from the last element, when `lookup`.
    pub(super) embedded: Vec<u8>,
    /// True when the last record came straight from [`ValueScan`], so its
    /// [`ValueScan::closes`] describe it.
    pub(super) scanned: bool,
}

/// What a state's step gives: a record's range in `buf.bytes()`, or `None` to go on.
pub(super) type Yield = Result<Option<Range<usize>>, Fault>;

impl<R: Read> Frames<R> {
    /// Frames reading `input` on the caller's thread (the serial reader).
    pub fn serial(input: R, opts: ReadOptions) -> Self {
        Frames::over(Input::Unopened(Some(input), None), opts)
    }

    /// [`Frames::serial`], hashing everything it decompresses into `hasher` (see
    /// [`Input::finish_hash`]).
    pub fn serial_hashing(input: R, opts: ReadOptions, hasher: ContentHasher) -> Self {
        let hash = SerialHash::new(hasher, opts.max_decompressed_bytes);
        Frames::over(Input::Unopened(Some(input), Some(hash)), opts)
    }

    /// Frames whose bytes come from a decompress thread (see [`super::pipe`]).
    pub fn piped(pipe: Pipe, opts: ReadOptions) -> Self {
        Frames::over(Input::Piped(pipe), opts)
    }

    fn over(source: Input<R>, opts: ReadOptions) -> Self {
        let buf = Buffer::new(opts.buffer_bytes);
        Frames {
            source,
            buf,
            state: State::Start,
            scan: ValueScan::default(),
            opts,
            shape: None,
            values: 0,
            records: 0,
            key_at: 0,
            lookup: false,
            embedded: Vec::new(),
            scanned: false,
        }
    }

    /// [`ValueScan::closes`] of the record just returned, when they describe it.
    pub fn closes(&self) -> Option<&[u32]> {
        self.scanned.then(|| self.scan.closes())
    }

    pub fn compression(&self) -> Option<Compression> {
        self.source.compression()
    }

    pub fn read_bytes(&self) -> u64 {
        self.source.read_bytes()
    }

    pub fn gzip_consumed(&self) -> Option<u64> {
        self.source.gzip_consumed()
    }

    /// The next record's range in `buf.bytes()`; `None` at the end and after a fault that
    /// ended the object. After a fault the reader recovered from ([`Fault::skipped`]), the next
    /// call goes on after the damage.
    pub fn next(&mut self) -> Result<Option<Range<usize>>, Fault> {
        self.step().map_err(|fault| self.settle(fault))
    }

    /// After a fault: recovers from damage inside the records (see `resync`), or ends the
    /// object.
    #[cold]
    fn settle(&mut self, fault: Fault) -> Fault {
        let mut fault = match self.damage(&fault) {
            Some(damage) => match self.recover(damage, fault) {
                Ok(recovered) => return recovered,
                Err(fault) => fault,
            },
            None => match self.gzip_fault_after(&fault) {
                Some(gzip) => gzip,
                None => fault,
            },
        };
        self.state = State::Done;
        if fault.kind.is_source() {
            // Faults of the byte source do not know how far the records got.
            fault.hint = format!("{}; {}", fault.hint, self.records_read());
        }
        fault
    }

    /// After a JSON fault in gzip content, the gzip fault that follows it within
    /// [`GZIP_FAULT_LOOKAHEAD`] decompressed bytes, if one does. A damaged deflate stream can
    /// decode to garbage before the decoder notices; the garbage then looks like bad JSON, but
    /// the real fault (and the hint the user needs: fetch the object again) is the gzip one.
    /// The look-ahead is bounded in bytes past the fault, so every reader reaches the same
    /// verdict whatever its read sizes.
    fn gzip_fault_after(&mut self, fault: &Fault) -> Option<Fault> {
        use super::error::ReadErrorKind as K;
        if fault.kind.is_source() || self.compression() != Some(Compression::Gzip) {
            return None;
        }
        let source = &mut self.source;
        let until = fault.at.saturating_add(GZIP_FAULT_LOOKAHEAD);
        let mut at = self.buf.total();
        let mut scratch = vec![0u8; 64 << 10];
        while at < until {
            match source.read(&mut scratch, at) {
                Ok(0) => return None,
                Ok(n) => at += n as u64,
                Err(gzip) if matches!(gzip.kind, K::CorruptGzip | K::TruncatedGzip) => {
                    return Some(gzip);
                }
                Err(_) => return None,
            }
        }
        None
    }
}

impl<R: Read> Frames<R> {
    /// Runs the state machine to the next record, the end, or a fault.
    fn step(&mut self) -> Yield {
        loop {
            let record = match self.state {
                State::Done => return Ok(None),
                State::Start => self.start(),
                State::TopLevel => self.top_level(),
                State::FirstKey => self.first_key(),
                State::FirstKeyString => self.first_key_string(),
                State::Probe => self.probe(),
                State::Key { first } => self.key(first),
                State::KeyString => self.key_string(),
                State::Colon { records } => self.colon(records),
                State::MemberValue { records } => self.member_value(records),
                State::SkipValue => self.skip_value(),
                State::AfterMember => self.after_member(),
                State::Elements { records, first } => self.elements(records, first),
                State::Element { records } => self.element(records),
                State::AfterElement { records } => self.after_element(records),
                State::Resumed { records } => Ok(Some(self.resumed(records))),
                State::AfterRecovered => self.after_recovered(),
            }?;
            if record.is_some() {
                return Ok(record);
            }
        }
    }
}
