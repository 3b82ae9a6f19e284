//! One method per state of the container state machine ([`Frames`]): each reads what its
//! state expects, moves to the next state, and yields a record's range when one ends.
//!
//! The hot path of a CloudTrail object is `Elements` -> `Element` -> `AfterElement`, once per
//! record; everything else runs a few times per object.

use std::io::Read;
use std::ops::Range;

use super::buffer::Fill;
use super::frame::{Frames, State, Yield};
use super::probe::{kind_of, records_member, Records};
use super::Shape;

impl<R: Read> Frames<R> {
    /// Opens the source and skips a UTF-8 byte order mark.
    pub(super) fn start(&mut self) -> Yield {
        let opts = &self.opts;
        self.source
            .open(opts.max_decompressed_bytes, opts.buffer_bytes)?;
        while self.buf.end - self.buf.pos < 3 && self.fill()? == Fill::Data {}
        let first = self.buf.bytes().get(self.buf.pos..).unwrap_or_default();
        if first.starts_with(b"\xef\xbb\xbf") {
            self.buf.pos += 3;
        }
        self.state = State::TopLevel;
        Ok(None)
    }

    /// Between top-level values: the next one's `{` or `[`, or the end.
    pub(super) fn top_level(&mut self) -> Yield {
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
                // Read enough to show and recognise the first bytes. A gzip stream that breaks
                // within them is that fault, not "not JSON" (which a reader meeting the break a
                // call earlier reports).
                while self.buf.head.len() < 16 && self.fill()? == Fill::Data {}
                return Err(self.not_json());
            }
            Some(_) => {
                let expected = "'{' or '[' to start the next top-level value";
                return Err(self.invalid(self.buf.pos, expected));
            }
        }
        Ok(None)
    }

    /// After a top-level `{` (kept at `start`): its first key, or `}`.
    pub(super) fn first_key(&mut self) -> Yield {
        match self.skip_ws(true)? {
            None => Err(self.truncated()),
            Some(b'}') => {
                self.buf.pos += 1;
                Ok(Some(self.event()))
            }
            Some(b'"') => {
                self.key_at = self.buf.pos - self.buf.start;
                self.scan.reset(1);
                self.state = State::FirstKeyString;
                Ok(None)
            }
            Some(_) => Err(self.invalid(self.buf.pos, "a key or '}'")),
        }
    }

    /// The first key: `Records` (or `Events`, lookup-events output) streams the object, anything
    /// else reads it whole.
    pub(super) fn first_key_string(&mut self) -> Yield {
        let end = self.value()?;
        let key = self
            .buf
            .bytes()
            .get(self.buf.start + self.key_at + 1..end - 1);
        self.lookup = key == Some(b"Events".as_slice());
        if self.lookup {
            self.set_shape(Shape::LookupEvents);
            self.state = State::Colon { records: true };
        } else if key == Some(b"Records".as_slice()) {
            self.set_shape(Shape::RecordsObject);
            self.state = State::Colon { records: true };
        } else {
            self.buf.pos = self.buf.start;
            self.scan.reset(0);
            self.state = State::Probe;
        }
        Ok(None)
    }

    /// A top-level object read whole: a log file after all, or one event.
    pub(super) fn probe(&mut self) -> Yield {
        let end = self.value()?;
        let obj = self
            .buf
            .bytes()
            .get(self.buf.start..end)
            .unwrap_or_default();
        match records_member(obj, &mut self.scan) {
            None => Ok(Some(self.event())),
            Some(Records::Array) => {
                self.set_shape(Shape::RecordsObject);
                self.buf.pos = self.buf.start + 1;
                self.state = State::Key { first: true };
                Ok(None)
            }
            Some(Records::NotArray(at, kind)) => {
                Err(self.records_not_array(self.buf.start + at, kind))
            }
        }
    }

    /// A key of the top-level object (or `}` when it has none).
    pub(super) fn key(&mut self, first: bool) -> Yield {
        match self.token()? {
            b'}' if first => {
                self.buf.pos += 1;
                self.state = State::TopLevel;
            }
            b'"' => {
                self.scan.reset(1);
                self.state = State::KeyString;
            }
            _ => return Err(self.invalid(self.buf.pos, "a key")),
        }
        Ok(None)
    }

    pub(super) fn key_string(&mut self) -> Yield {
        let end = self.value()?;
        let key = self.buf.bytes().get(self.buf.start + 1..end - 1);
        self.state = State::Colon {
            records: key == Some(b"Records".as_slice()),
        };
        Ok(None)
    }

    pub(super) fn colon(&mut self, records: bool) -> Yield {
        match self.token()? {
            b':' => {
                self.buf.pos += 1;
                self.state = State::MemberValue { records };
                Ok(None)
            }
            _ => Err(self.invalid(self.buf.pos, "':' after a key")),
        }
    }

    /// A member's value: the `Records` array is streamed, anything else skipped.
    pub(super) fn member_value(&mut self, records: bool) -> Yield {
        match self.token()? {
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
        }
        Ok(None)
    }

    pub(super) fn skip_value(&mut self) -> Yield {
        self.value()?;
        self.state = State::AfterMember;
        Ok(None)
    }

    pub(super) fn after_member(&mut self) -> Yield {
        self.state = match self.token()? {
            b',' => State::Key { first: false },
            b'}' => State::TopLevel,
            _ => {
                let expected = "',' or '}' after a member of the top-level object";
                return Err(self.invalid(self.buf.pos, expected));
            }
        };
        self.buf.pos += 1;
        Ok(None)
    }

    /// Where an element may start: the next record, or `]` of an empty array.
    #[inline]
    pub(super) fn elements(&mut self, records: bool, first: bool) -> Yield {
        match self.token()? {
            b']' if first => {
                self.buf.pos += 1;
                self.state = Self::after_array(records);
            }
            _ => {
                self.scan.reset(if records { 2 } else { 1 });
                self.state = State::Element { records };
            }
        }
        Ok(None)
    }

    /// A record: scanned to its end and yielded.
    #[inline]
    pub(super) fn element(&mut self, records: bool) -> Yield {
        let end = self.value()?;
        self.records += 1;
        self.scanned = true;
        self.state = State::AfterElement { records };
        Ok(Some(self.buf.start..end))
    }

    /// After a record: `,` and the next one, or `]`.
    #[inline]
    pub(super) fn after_element(&mut self, records: bool) -> Yield {
        self.state = match self.token()? {
            b',' => State::Elements {
                records,
                first: false,
            },
            b']' => Self::after_array(records),
            _ => {
                let after = format!("',' or ']' after record {}", self.records.saturating_sub(1));
                return Err(self.invalid(self.buf.pos, &after));
            }
        };
        self.buf.pos += 1;
        Ok(None)
    }

    /// The record recovery found after damage (see `resync`).
    pub(super) fn resumed(&mut self, records: Option<bool>) -> Range<usize> {
        self.records += 1;
        self.scanned = false;
        self.state = match records {
            Some(records) => State::AfterElement { records },
            None => {
                self.values += 1;
                if self.shape == Some(Shape::SingleEvent) {
                    self.shape = Some(Shape::Ndjson);
                }
                State::AfterRecovered
            }
        };
        self.buf.start..self.buf.pos
    }

    /// After a record recovered among top-level values: a `,` or `]` after it says it was an
    /// element of an array whose start was lost.
    pub(super) fn after_recovered(&mut self) -> Yield {
        self.buf.start = self.buf.pos;
        self.state = match self.skip_ws(false)? {
            Some(b',') => State::Elements {
                records: false,
                first: false,
            },
            Some(b']') => State::TopLevel,
            _ => {
                self.state = State::TopLevel;
                return Ok(None);
            }
        };
        self.buf.pos += 1;
        Ok(None)
    }

    fn after_array(records: bool) -> State {
        if records {
            State::AfterMember
        } else {
            State::TopLevel
        }
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
