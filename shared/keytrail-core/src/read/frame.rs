//! The container state machine: which values of the stream are records.
//!
//! It walks the top level of the stream one token at a time and hands each record's byte range
//! to the caller. Every state can stop when the buffer runs dry and resume after a refill, so a
//! record, a key or a run of whitespace may straddle any number of reads. Inside a record only
//! [`ValueScan`] runs; the shapes are:
//!
//! - `{"Records": [r, r, ...]}` streamed element by element (other members are skipped);
//! - a top-level object whose first key is not `Records`: read whole, then either streamed as a
//!   log file (it has a `Records` array after all) or yielded as one event;
//! - `[r, r, ...]` streamed element by element;
//! - any number of the above, one after another (NDJSON, `cat a.json b.json`, multi-member gzip).

use std::io::Read;
use std::ops::Range;

use super::buffer::{Buffer, Fill};
use super::decompress::Source;
use super::error::Fault;
use super::probe::{kind_of, records_member, Records};
use super::split::ValueScan;
use super::{Compression, ReadOptions, Shape};

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
    Done,
}

/// Splits a byte stream into records.
pub(crate) struct Frames<R> {
    pub(super) input: Option<R>,
    pub(super) source: Option<Source<R>>,
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
    /// True when the last record came straight from [`ValueScan`], so its
    /// [`ValueScan::closes`] describe it.
    pub(super) scanned: bool,
}

impl<R: Read> Frames<R> {
    pub fn new(input: R, opts: ReadOptions) -> Self {
        let mut frames = Frames::new_empty(opts);
        frames.input = Some(input);
        frames
    }

    fn new_empty(opts: ReadOptions) -> Self {
        let buf = Buffer::new(opts.buffer_bytes);
        Frames {
            input: None,
            source: None,
            buf,
            state: State::Start,
            scan: ValueScan::default(),
            opts,
            shape: None,
            values: 0,
            records: 0,
            key_at: 0,
            scanned: false,
        }
    }

    /// Frames whose bytes come from a decompress thread (see [`super::pipe`]).
    pub fn piped(source: Source<R>, opts: ReadOptions) -> Self {
        let mut frames = Frames::new_empty(opts);
        frames.source = Some(source);
        frames
    }

    /// [`ValueScan::closes`] of the record just returned, when they describe it.
    pub fn closes(&self) -> Option<&[u32]> {
        self.scanned.then(|| self.scan.closes())
    }

    pub fn compression(&self) -> Option<Compression> {
        self.source.as_ref().and_then(Source::compression)
    }

    pub fn read_bytes(&self) -> u64 {
        self.source.as_ref().map_or(0, Source::read_bytes)
    }

    pub fn gzip_consumed(&self) -> Option<u64> {
        self.source.as_ref().and_then(Source::gzip_consumed)
    }

    /// The next record's range in `buf.bytes()`; `None` at the end and after a fault.
    pub fn next(&mut self) -> Result<Option<Range<usize>>, Fault> {
        let mut result = self.step();
        if let Err(fault) = &result {
            self.state = State::Done;
            if let Some(gzip) = self.gzip_fault_after(fault) {
                result = Err(gzip);
            }
            if result.as_ref().is_err_and(|f| f.kind.is_source()) {
                // Faults of the byte source do not know how far the records got.
                return result.map_err(|mut f| {
                    f.hint = format!("{}; {}", f.hint, self.records_read());
                    f
                });
            }
        }
        result
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
        let source = self.source.as_mut()?;
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

    fn step(&mut self) -> Result<Option<Range<usize>>, Fault> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => self.start()?,
                State::TopLevel => {
                    self.buf.start = self.buf.pos;
                    match self.skip_ws(false)? {
                        None if self.values == 0 => {
                            self.shape = Some(Shape::Empty);
                            self.state = State::Done;
                        }
                        None => self.state = State::Done,
                        Some(b @ (b'{' | b'[')) => {
                            self.values += 1;
                            if self.values == 2 && self.shape == Some(Shape::SingleEvent) {
                                self.shape = Some(Shape::Ndjson);
                            }
                            self.buf.pos += 1;
                            self.state = if b == b'{' {
                                State::FirstKey
                            } else {
                                self.set_shape(Shape::Array);
                                State::Elements {
                                    records: false,
                                    first: true,
                                }
                            };
                        }
                        Some(_) if self.values == 0 => {
                            // Read enough to show and recognise the first bytes. A gzip
                            // stream that breaks within them is that fault, not "not JSON"
                            // (which a reader meeting the break a call earlier reports).
                            while self.buf.head.len() < 16 && self.fill()? == Fill::Data {}
                            return Err(self.not_json());
                        }
                        Some(_) => {
                            return Err(self.invalid(
                                self.buf.pos,
                                "'{' or '[' to start the next top-level value",
                            ))
                        }
                    }
                }
                State::FirstKey => match self.skip_ws(true)? {
                    None => return Err(self.truncated()),
                    Some(b'}') => {
                        self.buf.pos += 1;
                        return Ok(Some(self.event()));
                    }
                    Some(b'"') => {
                        self.key_at = self.buf.pos - self.buf.start;
                        self.scan.reset(1);
                        self.state = State::FirstKeyString;
                    }
                    Some(_) => return Err(self.invalid(self.buf.pos, "a key or '}'")),
                },
                State::FirstKeyString => {
                    let end = self.value()?;
                    let key = self
                        .buf
                        .bytes()
                        .get(self.buf.start + self.key_at + 1..end - 1);
                    if key == Some(b"Records".as_slice()) {
                        self.set_shape(Shape::RecordsObject);
                        self.state = State::Colon { records: true };
                    } else {
                        self.buf.pos = self.buf.start;
                        self.scan.reset(0);
                        self.state = State::Probe;
                    }
                }
                State::Probe => {
                    let end = self.value()?;
                    let obj = self
                        .buf
                        .bytes()
                        .get(self.buf.start..end)
                        .unwrap_or_default();
                    match records_member(obj, &mut self.scan) {
                        None => return Ok(Some(self.event())),
                        Some(Records::Array) => {
                            self.set_shape(Shape::RecordsObject);
                            self.buf.pos = self.buf.start + 1;
                            self.state = State::Key { first: true };
                        }
                        Some(Records::NotArray(at, kind)) => {
                            return Err(self.records_not_array(self.buf.start + at, kind))
                        }
                    }
                }
                State::Key { first } => match self.token()? {
                    b'}' if first => {
                        self.buf.pos += 1;
                        self.state = State::TopLevel;
                    }
                    b'"' => {
                        self.scan.reset(1);
                        self.state = State::KeyString;
                    }
                    _ => return Err(self.invalid(self.buf.pos, "a key")),
                },
                State::KeyString => {
                    let end = self.value()?;
                    let key = self.buf.bytes().get(self.buf.start + 1..end - 1);
                    self.state = State::Colon {
                        records: key == Some(b"Records".as_slice()),
                    };
                }
                State::Colon { records } => match self.token()? {
                    b':' => {
                        self.buf.pos += 1;
                        self.state = State::MemberValue { records };
                    }
                    _ => return Err(self.invalid(self.buf.pos, "':' after a key")),
                },
                State::MemberValue { records } => match self.token()? {
                    b'[' if records => {
                        self.buf.pos += 1;
                        self.state = State::Elements {
                            records,
                            first: true,
                        };
                    }
                    b if records => return Err(self.records_not_array(self.buf.pos, kind_of(b))),
                    _ => {
                        self.scan.reset(1);
                        self.state = State::SkipValue;
                    }
                },
                State::SkipValue => {
                    self.value()?;
                    self.state = State::AfterMember;
                }
                State::AfterMember => {
                    self.state = match self.token()? {
                        b',' => State::Key { first: false },
                        b'}' => State::TopLevel,
                        _ => {
                            let expected = "',' or '}' after a member of the top-level object";
                            return Err(self.invalid(self.buf.pos, expected));
                        }
                    };
                    self.buf.pos += 1;
                }
                State::Elements { records, first } => match self.token()? {
                    b']' if first => {
                        self.buf.pos += 1;
                        self.state = Self::after_array(records);
                    }
                    _ => {
                        self.scan.reset(if records { 2 } else { 1 });
                        self.state = State::Element { records };
                    }
                },
                State::Element { records } => {
                    let end = self.value()?;
                    self.records += 1;
                    self.scanned = true;
                    self.state = State::AfterElement { records };
                    return Ok(Some(self.buf.start..end));
                }
                State::AfterElement { records } => {
                    self.state = match self.token()? {
                        b',' => State::Elements {
                            records,
                            first: false,
                        },
                        b']' => Self::after_array(records),
                        _ => {
                            let after = format!(
                                "',' or ']' after record {}",
                                self.records.saturating_sub(1)
                            );
                            return Err(self.invalid(self.buf.pos, &after));
                        }
                    };
                    self.buf.pos += 1;
                }
            }
        }
    }

    fn after_array(records: bool) -> State {
        if records {
            State::AfterMember
        } else {
            State::TopLevel
        }
    }

    /// Opens the source and skips a UTF-8 byte order mark.
    fn start(&mut self) -> Result<(), Fault> {
        if let Some(input) = self.input.take() {
            let opts = &self.opts;
            self.source = Some(Source::open(
                input,
                opts.max_decompressed_bytes,
                opts.buffer_bytes,
            )?);
        }
        while self.buf.end - self.buf.pos < 3 && self.fill()? == Fill::Data {}
        let first = self.buf.bytes().get(self.buf.pos..).unwrap_or_default();
        if first.starts_with(b"\xef\xbb\xbf") {
            self.buf.pos += 3;
        }
        self.state = State::TopLevel;
        Ok(())
    }

    fn set_shape(&mut self, shape: Shape) {
        if self.values == 1 {
            self.shape = Some(shape);
        }
    }

    /// The top-level object `start..pos` as one record.
    fn event(&mut self) -> Range<usize> {
        // The probe may have reused the scanner since.
        self.scanned = false;
        self.set_shape(Shape::SingleEvent);
        self.records += 1;
        self.state = State::TopLevel;
        self.buf.start..self.buf.pos
    }
}
