//! The reader's one buffer: a window over the decompressed stream that holds the current record.
//!
//! Bytes before `start` are no longer needed; `pos` is the scan cursor; `end` is how far the
//! buffer is filled. Refilling first slides `start..end` to the front (so a record that spans a
//! refill stays contiguous and can be lent out as one slice), and grows the buffer only when a
//! single value fills it, never beyond the record size limit. Memory is therefore bounded by the
//! largest record, not by the object.

use std::io::Read;

use super::decompress::Source;
use super::error::Fault;

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
            chunk,
            eof: false,
            head: Vec::new(),
        }
    }

    /// The filled bytes; indexes are those of `start`, `pos` and `end`.
    pub fn bytes(&self) -> &[u8] {
        self.data.get(..self.end).unwrap_or_default()
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
        self.base + i as u64
    }

    /// Decompressed bytes read into the buffer so far.
    pub fn total(&self) -> u64 {
        self.base + self.end as u64
    }

    /// Memory held.
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Reads more bytes, keeping `start..end`; `limit` bounds `end - start`.
    pub fn fill<R: Read>(&mut self, source: &mut Source<R>, limit: usize) -> Result<Fill, Fault> {
        if self.eof {
            return Ok(Fill::Eof);
        }
        if self.end - self.start > limit {
            return Ok(Fill::Full);
        }
        if self.end == self.data.len() {
            self.make_room(limit);
        }
        let at = self.total();
        let n = match self.data.get_mut(self.end..) {
            Some(free) => source.read(free, at)?,
            None => 0,
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

    /// Slides the kept bytes to the front, or grows when they fill the buffer.
    fn make_room(&mut self, limit: usize) {
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.pos -= self.start;
            self.end -= self.start;
            self.start = 0;
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

    #[test]
    fn keeps_the_current_value_contiguous_and_bounded() {
        let input: Vec<u8> = (0..100u8).collect();
        let mut source = Source::open(&input[..], u64::MAX, 4).unwrap();
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
        let mut source = Source::open(&input[..], u64::MAX, 4).unwrap();
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
