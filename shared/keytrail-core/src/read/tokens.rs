//! Reading tokens across refills: whitespace, and whole values handed to the splitter.
//!
//! Each helper either completes its step or fails; when the buffer runs dry it refills and goes
//! on, keeping the bytes from `start` (the current record or key) in the buffer.

use std::io::Read;

use super::buffer::Fill;
use super::error::Fault;
use super::frame::Frames;
use super::split::{Bad, Step};

impl<R: Read> Frames<R> {
    /// Reads more input into the buffer, keeping the bytes from `start`.
    pub(super) fn fill(&mut self) -> Result<Fill, Fault> {
        self.buf.fill(&mut self.source, self.opts.max_record_bytes)
    }

    /// Drops what is behind `pos` and returns the next byte that is not whitespace; the end of
    /// the input here means the JSON is truncated.
    pub(super) fn token(&mut self) -> Result<u8, Fault> {
        self.buf.start = self.buf.pos;
        match self.skip_ws(false)? {
            Some(b) => Ok(b),
            None => Err(self.truncated()),
        }
    }

    /// Skips whitespace to the next byte; `hold` keeps the bytes from `start` in the buffer.
    pub(super) fn skip_ws(&mut self, hold: bool) -> Result<Option<u8>, Fault> {
        loop {
            let data = self.buf.bytes();
            let skip = data.get(self.buf.pos..).unwrap_or_default();
            self.buf.pos += skip
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            if !hold {
                self.buf.start = self.buf.pos;
            }
            if let Some(b) = self.buf.peek() {
                return Ok(Some(b));
            }
            match self.fill()? {
                Fill::Data => {}
                Fill::Eof => return Ok(None),
                Fill::Full => return Err(self.too_large()),
            }
        }
    }

    /// Scans the value that starts at `start` (resuming at `pos`) to its end.
    pub(super) fn value(&mut self) -> Result<usize, Fault> {
        loop {
            let step = self.scan.scan_noted(
                self.buf.bytes(),
                self.buf.pos,
                self.opts.max_depth,
                self.buf.noted(),
            );
            match step {
                Step::Done(end) => {
                    self.buf.pos = end;
                    if end - self.buf.start > self.opts.max_record_bytes {
                        return Err(self.too_large());
                    }
                    return Ok(end);
                }
                Step::More(next) => {
                    self.buf.pos = next;
                    match self.fill()? {
                        Fill::Data => {}
                        Fill::Eof if self.scan.is_scalar() => return Ok(self.buf.pos),
                        Fill::Eof => return Err(self.truncated()),
                        Fill::Full => return Err(self.too_large()),
                    }
                }
                Step::Bad(at, Bad::TooDeep) => return Err(self.too_deep(at)),
                Step::Bad(at, Bad::NotAValue) => return Err(self.invalid(at, "a JSON value")),
                Step::Bad(at, Bad::Mismatch | Bad::Stray) => {
                    return Err(self.invalid(at, "valid JSON"))
                }
            }
        }
    }
}
