//! Bytes in: sniff gzip by its magic bytes, decode every member, cap the decompressed size.
//!
//! This is the only module allowed to build a flate2 decoder (clippy's `disallowed-types` bans
//! them everywhere else): a raw decoder has no size cap, and `GzDecoder` silently stops after the
//! first member of a multi-member file (`cat a.gz b.gz`, which CloudTrail itself can produce).
//!
//! The input is wrapped in [`Counting`], so a fault can name the compressed offset: the bytes
//! handed to the decoder's `BufReader`, less those still sitting unread in it.

use std::io::{self, BufReader, Chain, Cursor, Read};

use super::error::{Fault, ReadErrorKind};
use super::pipe::Pipe;
use super::Compression;

/// The input with the sniffed prefix put back in front.
type Rewound<R> = Chain<Cursor<Vec<u8>>, R>;

/// The multi-member gzip decoder, the one sanctioned use of a flate2 decoder. The decoder is
/// never exposed: [`Source::read`] caps its output at `max_decompressed_bytes`.
#[allow(clippy::disallowed_types)]
type Gunzip<R> = flate2::bufread::MultiGzDecoder<BufReader<Counting<Rewound<R>>>>;

/// Counts the bytes read through it and remembers whether the inner reader failed, so that an
/// input failure (retryable) is told apart from a decoder's complaint about the data.
#[derive(Debug)]
pub(crate) struct Counting<R> {
    inner: R,
    count: u64,
    failed: bool,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.count += n as u64;
                Ok(n)
            }
            Err(e) => {
                self.failed |= e.kind() != io::ErrorKind::Interrupted;
                Err(e)
            }
        }
    }
}

/// A byte source: plain, or gzip decoded with a size cap.
pub(crate) enum Source<R> {
    /// Plain bytes.
    Plain(Counting<Rewound<R>>),
    /// gzip, one or more members.
    Gzip {
        /// The decoder over the counted input.
        decoder: Box<Gunzip<R>>,
        /// Decompressed bytes produced so far.
        produced: u64,
        /// Fail once more than this many bytes come out.
        max: u64,
    },
    /// Either of the above, run on a thread of its own (see [`super::pipe`]).
    Piped(Pipe),
}

impl<R: Read> Source<R> {
    /// Reads the first bytes of `input` to tell gzip from plain, and puts them back.
    pub fn open(mut input: R, max_decompressed: u64, buffer: usize) -> Result<Self, Fault> {
        let mut head = [0u8; 2];
        let mut got = 0;
        while got < head.len() {
            match input.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_fault(0, 0, &e)),
            }
        }
        let prefix = head.get(..got).unwrap_or_default().to_vec();
        let counting = Counting {
            inner: Cursor::new(prefix).chain(input),
            count: 0,
            failed: false,
        };
        if head == [0x1f, 0x8b] && got == 2 {
            let buffered = BufReader::with_capacity(buffer.clamp(1, 256 << 10), counting);
            #[allow(clippy::disallowed_types)] // the capped decoder, see `Gunzip`
            let decoder = Box::new(flate2::bufread::MultiGzDecoder::new(buffered));
            Ok(Source::Gzip {
                decoder,
                produced: 0,
                max: max_decompressed,
            })
        } else {
            Ok(Source::Plain(counting))
        }
    }

    /// What was detected (a piped source knows once its first bytes arrived).
    pub fn compression(&self) -> Option<Compression> {
        match self {
            Source::Plain(_) => Some(Compression::None),
            Source::Gzip { .. } => Some(Compression::Gzip),
            Source::Piped(pipe) => pipe.compression,
        }
    }

    /// Bytes read from the input so far (including any read ahead by the decoder's buffer).
    pub fn read_bytes(&self) -> u64 {
        match self {
            Source::Plain(c) => c.count,
            Source::Gzip { decoder, .. } => decoder.get_ref().get_ref().count,
            Source::Piped(pipe) => pipe.read_bytes,
        }
    }

    /// Compressed bytes the decoder has consumed: where a gzip fault is. `None` when plain.
    pub fn gzip_consumed(&self) -> Option<u64> {
        match self {
            Source::Plain(_) => None,
            Source::Piped(pipe) => pipe.gzip_consumed,
            Source::Gzip { decoder, .. } => {
                let buffered = decoder.get_ref();
                Some(
                    buffered
                        .get_ref()
                        .count
                        .saturating_sub(buffered.buffer().len() as u64),
                )
            }
        }
    }

    /// Reads decompressed bytes; `at` is the decompressed offset (for faults). `Ok(0)` is the end.
    pub fn read(&mut self, buf: &mut [u8], at: u64) -> Result<usize, Fault> {
        loop {
            let result = match self {
                Source::Piped(pipe) => return pipe.read(buf, at),
                Source::Plain(c) => c.read(buf),
                Source::Gzip {
                    decoder,
                    produced,
                    max,
                } => {
                    let room = max.saturating_sub(*produced);
                    if room == 0 {
                        // At the cap: one more byte means the stream is larger than allowed.
                        let mut probe = [0u8; 1];
                        match decoder.read(&mut probe) {
                            Ok(0) => Ok(0),
                            Ok(_) => return Err(bomb(*max, at)),
                            Err(e) => Err(e),
                        }
                    } else {
                        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
                        let result = decoder.read(buf.get_mut(..len).unwrap_or_default());
                        if let Ok(n) = result {
                            *produced += n as u64;
                        }
                        result
                    }
                }
            };
            match result {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.classify(&e, at)),
            }
        }
    }

    /// Turns a read error into a fault: input failure, truncated gzip or corrupt gzip.
    fn classify(&self, e: &io::Error, at: u64) -> Fault {
        let (failed, consumed) = match self {
            Source::Plain(c) => (true, c.count),
            Source::Piped(pipe) => (true, pipe.read_bytes),
            Source::Gzip { decoder, .. } => (
                decoder.get_ref().get_ref().failed,
                self.gzip_consumed().unwrap_or(0),
            ),
        };
        if failed {
            return io_fault(consumed, at, e);
        }
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Fault::new(
                ReadErrorKind::TruncatedGzip,
                at,
                "gzip stream ends inside a member".to_owned(),
                "the object is truncated (an interrupted upload or copy?); fetch or upload it again",
            )
        } else {
            Fault::new(
                ReadErrorKind::CorruptGzip,
                at,
                format!("corrupt gzip ({e})"),
                "the object is damaged or is not gzip past this point (data appended after the \
                 last member?); fetch or upload it again",
            )
        }
    }
}

fn bomb(max: u64, at: u64) -> Fault {
    Fault::new(
        ReadErrorKind::DecompressionBomb,
        at,
        format!("gzip stream decompresses to more than the {max}-byte limit"),
        "possible decompression bomb (CloudTrail objects are far smaller); if the object is \
         legitimate, raise the limit with --max-decompressed-bytes or MAX_DECOMPRESSED_BYTES",
    )
}

fn io_fault(read: u64, at: u64, e: &io::Error) -> Fault {
    Fault::new(
        ReadErrorKind::Io,
        at,
        format!("reading failed after {read} bytes ({e})"),
        "the source failed, not the data; retry",
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(input: &[u8], max: u64) -> (Compression, Result<Vec<u8>, Fault>) {
        let mut src = Source::open(input, max, 7).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 5];
        loop {
            match src.read(&mut buf, out.len() as u64) {
                Ok(0) => return (src.compression().unwrap(), Ok(out)),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(f) => return (src.compression().unwrap(), Err(f)),
            }
        }
    }

    #[test]
    fn sniffs_and_decodes() {
        let two = [gzip(b"hello "), gzip(b"world")].concat();
        let mut bad_crc = gzip(b"hello");
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        type Case<'a> = (&'a [u8], Compression, Result<&'a [u8], ReadErrorKind>);
        let cases: &[Case<'_>] = &[
            (b"", Compression::None, Ok(b"")),
            (b"{", Compression::None, Ok(b"{")),
            (b"\x1f", Compression::None, Ok(b"\x1f")),
            (b"plain text", Compression::None, Ok(b"plain text")),
            (&two, Compression::Gzip, Ok(b"hello world")),
            (
                &two[..two.len() - 3],
                Compression::Gzip,
                Err(ReadErrorKind::TruncatedGzip),
            ),
            (&bad_crc, Compression::Gzip, Err(ReadErrorKind::CorruptGzip)),
            (
                b"\x1f\x8b\x09\x00garbage",
                Compression::Gzip,
                Err(ReadErrorKind::CorruptGzip),
            ),
        ];
        for (input, compression, want) in cases {
            let (got_compression, got) = read_all(input, u64::MAX);
            assert_eq!(got_compression, *compression, "{input:?}");
            match (got, want) {
                (Ok(bytes), Ok(want)) => assert_eq!(bytes, *want),
                (Err(f), Err(kind)) => assert_eq!(f.kind, *kind, "{input:?}: {f:?}"),
                (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn caps_decompressed_size() {
        let input = gzip(&[b' '; 10_000]);
        assert_eq!(read_all(&input, 10_000).1.unwrap().len(), 10_000);
        let fault = read_all(&input, 9_999).1.unwrap_err();
        assert_eq!(fault.kind, ReadErrorKind::DecompressionBomb);
        assert_eq!(fault.at, 9_999);
    }
}
