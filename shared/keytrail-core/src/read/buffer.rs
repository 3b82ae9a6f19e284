//! The reader's one buffer: a window over the decompressed stream that holds the current record.
//!
//! Bytes before `start` are no longer needed; `pos` is the scan cursor; `end` is how far the
//! buffer is filled. Refilling first slides `start..end` to the front (so a record that spans a
//! refill stays contiguous and can be lent out as one slice), and grows the buffer only when a
//! single value fills it, never beyond the record size limit. Memory is therefore bounded by the
//! largest record, not by the object.

use std::io::Read;

use super::blocks::Structure;
use super::error::Fault;
use super::input::Input;
use super::pipe::{headroom, Adopted};

/// What a refill achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    /// More bytes are in the buffer.
    Data,
    /// The input is exhausted.
    Eof,
    /// `start..end` already holds more than the limit: the value is too large.
    Full,
}

/// A sliding window over the decompressed stream.
#[derive(Debug)]
pub(crate) struct Buffer {
    data: Vec<u8>,
    /// First byte still needed.
    pub start: usize,
    /// Scan cursor.
    pub pos: usize,
    /// End of the filled part.
    pub end: usize,
    /// Decompressed offset of `data[0]`.
    base: u64,
    /// What the decompress thread noted of the adopted chunk's blocks (its block 0 starts at
    /// the chunk's headroom); `None` when the bytes are not such a chunk's (any copy forgets it)
    /// or nothing was noted.
    noted: Option<Structure>,
    /// First index holding bytes of the stream (those before it are an adopted chunk's
    /// headroom).
    valid: usize,
    /// How much to read at a time.
    chunk: usize,
    eof: bool,
    /// The first bytes of the stream, kept to describe content that is not JSON.
    pub head: Vec<u8>,
}

impl Buffer {
    /// An empty buffer reading `chunk` bytes at a time.
    pub fn new(chunk: usize) -> Buffer {
        let chunk = chunk.max(1);
        Buffer {
            data: Vec::new(),
            start: 0,
            pos: 0,
            end: 0,
            base: 0,
            valid: 0,
            noted: None,
            chunk,
            eof: false,
            head: Vec::new(),
        }
    }

    /// The filled bytes; indexes are those of `start`, `pos` and `end`.
    pub fn bytes(&self) -> &[u8] {
        self.data.get(..self.end).unwrap_or_default()
    }

    /// The filled bytes that are the stream's, from the first one still in the buffer (at
    /// least `start..end`), and the index in [`Buffer::bytes`] where they begin. The first is
    /// always one that was `start` at a refill (or the stream's first byte): where a value or a
    /// token began, outside any string.
    pub fn stream_bytes(&self) -> (&[u8], usize) {
        (
            self.bytes().get(self.valid..).unwrap_or_default(),
            self.valid,
        )
    }

    /// What the decompress thread noted of the blocks of [`Buffer::bytes`], and the index its
    /// block 0 starts at.
    pub fn noted(&self) -> Option<(&Structure, usize)> {
        self.noted.as_ref().map(|s| (s, headroom(self.chunk)))
    }

    /// The byte at `pos`, if filled.
    pub fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            self.data.get(self.pos).copied()
        } else {
            None
        }
    }

    /// Decompressed offset of index `i`.
    pub fn offset(&self, i: usize) -> u64 {
        self.base.wrapping_add(i as u64)
    }

    /// Index of decompressed offset `offset` (which must be in the buffer).
    pub fn index(&self, offset: u64) -> usize {
        usize::try_from(offset.wrapping_sub(self.base)).unwrap_or(usize::MAX)
    }

    /// Decompressed bytes read into the buffer so far.
    pub fn total(&self) -> u64 {
        self.base.wrapping_add(self.end as u64)
    }

    /// Memory held.
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Reads more bytes, keeping `start..end`; `limit` bounds `end - start`.
    pub fn fill<R: Read>(&mut self, source: &mut Input<R>, limit: usize) -> Result<Fill, Fault> {
        if self.eof {
            return Ok(Fill::Eof);
        }
        if self.end - self.start > limit {
            return Ok(Fill::Full);
        }
        let at = self.total();
        let n = match self.adopt(source, at)? {
            Some(n) => n,
            None => {
                // Bytes are copied in: what was noted no longer describes them.
                self.noted = None;
                if self.end == self.data.len() {
                    self.make_room(limit);
                }
                match self.data.get_mut(self.end..) {
                    Some(free) => source.read(free, at)?,
                    None => 0,
                }
            }
        };
        if n == 0 {
            self.eof = true;
            return Ok(Fill::Eof);
        }
        if self.head.len() < 16 {
            let take = (16 - self.head.len()).min(n);
            self.head
                .extend_from_slice(self.data.get(self.end..self.end + take).unwrap_or_default());
        }
        self.end += n;
        Ok(Fill::Data)
    }

    /// From a decompress thread, takes its next chunk over as the buffer, the kept bytes copied
    /// in front (see [`Pipe::adopt`](super::pipe::Pipe::adopt)): how many new bytes it holds.
    /// `None` when the bytes must be copied instead (another source, or too much kept).
    fn adopt<R: Read>(&mut self, source: &mut Input<R>, at: u64) -> Result<Option<usize>, Fault> {
        let Input::Piped(pipe) = source else {
            return Ok(None);
        };
        let kept = self.data.get(self.start..self.end).unwrap_or_default();
        match pipe.adopt(kept, at)? {
            Adopted::NoRoom => Ok(None),
            Adopted::End => Ok(Some(0)),
            Adopted::Chunk {
                data,
                structure,
                start,
                end,
            } => {
                let kept = self.end - self.start;
                // The kept bytes keep their offsets: `base` may wrap below zero, as `data[0]`
                // may lie before the stream's start; only sums with indexes are read.
                self.base = self
                    .base
                    .wrapping_add(self.start as u64)
                    .wrapping_sub(start as u64);
                self.pos = self.pos - self.start + start;
                self.start = start;
                self.valid = start;
                self.end = start + kept;
                let old = std::mem::replace(&mut self.data, data);
                let noted = std::mem::replace(
                    &mut self.noted,
                    (!structure.is_empty()).then_some(structure),
                );
                pipe.recycle(old, noted.unwrap_or_default());
                Ok(Some(end - self.end))
            }
        }
    }

    /// Slides the kept bytes to the front, or grows when they fill the buffer.
    fn make_room(&mut self, limit: usize) {
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.base = self.base.wrapping_add(self.start as u64);
            self.pos -= self.start;
            self.end -= self.start;
            self.start = 0;
            self.valid = 0;
        }
        let kept = self.end;
        if self.data.len() - kept < (self.chunk / 2).max(1) {
            // Room for at least half a chunk; double when a value keeps outgrowing the buffer.
            let want = (kept + self.chunk)
                .max(self.data.len() * 2)
                .min(limit.saturating_add(self.chunk))
                .max(kept + 1);
            self.data.resize(want, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serial(input: &[u8]) -> Input<&[u8]> {
        let mut source = Input::Unopened(Some(input), None);
        source.open(u64::MAX, 4).unwrap();
        source
    }

    #[test]
    fn keeps_the_current_value_contiguous_and_bounded() {
        let input: Vec<u8> = (0..100u8).collect();
        let mut source = serial(&input);
        let mut buf = Buffer::new(8);
        let mut seen = Vec::new();
        // Consume everything in 5-byte steps, keeping only the last 3 bytes.
        loop {
            match buf.fill(&mut source, 64).unwrap() {
                Fill::Eof => break,
                Fill::Full => panic!("never holds more than a few bytes"),
                Fill::Data => {}
            }
            seen.extend_from_slice(&buf.bytes()[buf.pos..buf.end]);
            buf.pos = buf.end;
            buf.start = buf.end.saturating_sub(3);
            assert_eq!(
                buf.offset(buf.start) as usize,
                buf.total() as usize - (buf.end - buf.start)
            );
        }
        assert_eq!(seen, input);
        assert!(buf.capacity() <= 32, "capacity {}", buf.capacity());
        assert_eq!(buf.head, (0..16u8).collect::<Vec<_>>());
    }

    #[test]
    fn refuses_to_grow_past_the_limit() {
        let input = vec![b'x'; 1000];
        let mut source = serial(&input);
        let mut buf = Buffer::new(8);
        let mut last = Fill::Data;
        while last == Fill::Data {
            last = buf.fill(&mut source, 100).unwrap();
        }
        assert_eq!(last, Fill::Full);
        assert!(
            buf.end - buf.start > 100 && buf.capacity() <= 256,
            "{}",
            buf.capacity()
        );
    }
}
