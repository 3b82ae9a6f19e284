//! Bytes in: sniff gzip by its magic bytes, decode every member, cap the decompressed size.
//!
//! This is the only module allowed to build a flate2 decoder (clippy's `disallowed-types` bans
//! them everywhere else): a raw decoder has no size cap, and `GzDecoder` silently stops after the
//! first member of a multi-member file (`cat a.gz b.gz`, which CloudTrail itself can produce).
//!
//! The input is wrapped in [`Counting`], so a fault can name the compressed offset: the bytes
//! handed to the decoder's `BufReader`, less those still sitting unread in it.
//!
//! The [`Decoder`] knows nothing of where its bytes go: the decompress thread
//! ([`super::pipe`]) owns one, and the serial reader (small objects, tests, fuzzing) reads one directly
//! ([`super::input`]).

use std::io::{self, BufReader, Chain, Cursor, Read};

use super::error::{Fault, ReadErrorKind};
use super::Compression;

/// The input with the sniffed prefix put back in front.
type Rewound<R> = Chain<Cursor<Vec<u8>>, R>;

/// The multi-member gzip decoder, the one sanctioned use of a flate2 decoder. The decoder is
/// never exposed: [`Decoder::read`] caps its output at `max_decompressed_bytes`.
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

/// A byte source, plain or gzip, whose output is capped at `max_decompressed_bytes` either way
/// (a plain object has no decompression bomb, but the cap bounds the time spent on it).
pub(crate) struct Decoder<R> {
    stream: Stream<R>,
    /// Bytes produced so far.
    produced: u64,
    /// Fail once more than this many bytes come out.
    max: u64,
}

/// What the decoder reads.
enum Stream<R> {
    /// Plain bytes.
    Plain(Counting<Rewound<R>>),
    /// gzip, one or more members.
    Gzip(Box<Gunzip<R>>),
}

impl<R: Read> Decoder<R> {
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
        let stream = if head == [0x1f, 0x8b] && got == 2 {
            let buffered = BufReader::with_capacity(buffer.clamp(1, 256 << 10), counting);
            #[allow(clippy::disallowed_types)] // the capped decoder, see `Gunzip`
            let decoder = Box::new(flate2::bufread::MultiGzDecoder::new(buffered));
            Stream::Gzip(decoder)
        } else {
            Stream::Plain(counting)
        };
        Ok(Decoder {
            stream,
            produced: 0,
            max: max_decompressed,
        })
    }

    /// What was detected.
    pub fn compression(&self) -> Compression {
        match self.stream {
            Stream::Plain(_) => Compression::None,
            Stream::Gzip(_) => Compression::Gzip,
        }
    }

    /// Bytes read from the input so far (including any read ahead by the decoder's buffer).
    pub fn read_bytes(&self) -> u64 {
        match &self.stream {
            Stream::Plain(c) => c.count,
            Stream::Gzip(decoder) => decoder.get_ref().get_ref().count,
        }
    }

    /// Compressed bytes the decoder has consumed: where a gzip fault is. `None` when plain.
    pub fn gzip_consumed(&self) -> Option<u64> {
        match &self.stream {
            Stream::Plain(_) => None,
            Stream::Gzip(decoder) => {
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
            let room = self.max.saturating_sub(self.produced);
            let result = if room == 0 {
                // At the cap: one more byte means the object is larger than allowed.
                let mut probe = [0u8; 1];
                match self.stream.read(&mut probe) {
                    Ok(0) => Ok(0),
                    Ok(_) => return Err(self.too_large(at)),
                    Err(e) => Err(e),
                }
            } else {
                let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
                let result = self.stream.read(buf.get_mut(..len).unwrap_or_default());
                if let Ok(n) = result {
                    self.produced += n as u64;
                }
                result
            };
            match result {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.classify(&e, at)),
            }
        }
    }

    /// More than `max` bytes: a decompression bomb, or a plain object over the cap.
    fn too_large(&self, at: u64) -> Fault {
        let max = self.max;
        let (what, why) = match self.stream {
            Stream::Gzip(_) => (
                format!("gzip stream decompresses to more than the {max}-byte limit"),
                "possible decompression bomb (CloudTrail objects are far smaller)",
            ),
            Stream::Plain(_) => (
                format!("object is larger than the {max}-byte limit"),
                "CloudTrail objects are far smaller",
            ),
        };
        Fault::new(
            ReadErrorKind::DecompressionBomb,
            at,
            what,
            format!(
                "{why}; if the object is legitimate, raise the limit with \
                 --max-decompressed-bytes or MAX_DECOMPRESSED_BYTES"
            ),
        )
    }

    /// Turns a read error into a fault: input failure, truncated gzip or corrupt gzip.
    fn classify(&self, e: &io::Error, at: u64) -> Fault {
        let (failed, consumed) = match &self.stream {
            Stream::Plain(c) => (true, c.count),
            Stream::Gzip(decoder) => (
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

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(c) => c.read(buf),
            Stream::Gzip(decoder) => decoder.read(buf),
        }
    }
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
        let mut src = Decoder::open(input, max, 7).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 5];
        loop {
            match src.read(&mut buf, out.len() as u64) {
                Ok(0) => return (src.compression(), Ok(out)),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(f) => return (src.compression(), Err(f)),
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

    /// The cap holds for gzip and plain objects alike (a plain one had none: a regression test).
    #[test]
    fn caps_the_size_gzip_or_plain() {
        let plain = [b' '; 10_000];
        for (input, what) in [
            (
                gzip(&plain),
                "gzip stream decompresses to more than the 9999-byte limit",
            ),
            (plain.to_vec(), "object is larger than the 9999-byte limit"),
        ] {
            assert_eq!(read_all(&input, 10_000).1.unwrap().len(), 10_000);
            let fault = read_all(&input, 9_999).1.unwrap_err();
            assert_eq!(fault.kind, ReadErrorKind::DecompressionBomb);
            assert_eq!(fault.at, 9_999);
            assert_eq!(fault.what, what);
            assert!(
                fault.hint.contains("--max-decompressed-bytes"),
                "{}",
                fault.hint
            );
        }
    }
}
