//! An object's content as its bytes arrive, for [`super::fetch`]: gzip (as CloudTrail writes
//! it) is decompressed on the way in, every member, into a SHA-256 (log files, never held whole)
//! or into memory (digests), with the uncompressed size capped (a decompression bomb guard).
//!
//! flate2's `write` decoder is pushed the chunks the SDK's body stream yields, so no blocking
//! reader or extra thread is needed; the size cap is the sink's. (keytrail-core's capped reader
//! is crate-private and pull-based.)

use std::io::Write;

use keytrail_core::integrity::{LogHasher, Sha256};

/// The most bytes an object may decompress to (a decompression bomb guard): CloudTrail's log
/// files are at most a few hundred MB uncompressed.
pub const MAX_LOG_BYTES: u64 = 4 << 30;

/// Where decompressed bytes go: a hash (log files) or memory (digests).
pub enum Out {
    /// Into a SHA-256.
    Hash(Box<LogHasher>),
    /// Into memory.
    Bytes(Vec<u8>),
}

/// Takes what the gzip decoder lets out, up to `max` bytes.
pub struct Sink {
    out: Out,
    written: u64,
    max: u64,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len() as u64;
        if self.written > self.max {
            return Err(std::io::Error::other(format!(
                "more than {} bytes uncompressed",
                self.max
            )));
        }
        match &mut self.out {
            Out::Hash(hasher) => hasher.update(buf),
            Out::Bytes(bytes) => bytes.extend_from_slice(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An object's content as its bytes arrive: gzip (as CloudTrail writes it) is decompressed on
/// the way in (every member, the size capped); anything else is taken as it is (its content is
/// what is stored).
pub enum Decode {
    /// No byte yet.
    Start(Sink),
    /// gzip.
    Gzip(Box<flate2::write::MultiGzDecoder<Sink>>),
    /// Anything else.
    Plain(Sink),
}

impl Decode {
    /// Decodes into `out`, failing past `max` uncompressed bytes.
    pub fn new(out: Out, max: u64) -> Decode {
        Decode::Start(Sink {
            out,
            written: 0,
            max,
        })
    }

    /// Takes the next stored bytes.
    pub fn update(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if matches!(self, Decode::Start(_)) {
            let empty = Decode::Start(Sink {
                out: Out::Bytes(Vec::new()),
                written: 0,
                max: 0,
            });
            if let Decode::Start(sink) = std::mem::replace(self, empty) {
                // 0x1f (gzip's first byte) never starts JSON text.
                *self = if bytes[0] == 0x1f {
                    Decode::Gzip(Box::new(flate2::write::MultiGzDecoder::new(sink)))
                } else {
                    Decode::Plain(sink)
                };
            }
        }
        match self {
            Decode::Start(_) => Ok(()),
            Decode::Gzip(decoder) => decoder.write_all(bytes),
            Decode::Plain(sink) => sink.write_all(bytes),
        }
    }

    /// Ends the object: what came out, or why the gzip stream is not whole.
    pub fn finish(self) -> std::io::Result<Out> {
        match self {
            Decode::Start(sink) | Decode::Plain(sink) => Ok(sink.out),
            Decode::Gzip(decoder) => Ok(decoder.finish()?.out),
        }
    }
}

/// The hash of what came out.
pub fn hash_of(out: Out) -> Sha256 {
    match out {
        Out::Hash(hasher) => hasher.finish(),
        Out::Bytes(bytes) => Sha256::of(&bytes),
    }
}

/// The bytes that came out (none from a hash).
pub fn bytes_of(out: Out) -> Vec<u8> {
    match out {
        Out::Bytes(bytes) => bytes,
        Out::Hash(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn decode(stored: &[u8], piece: usize, out: Out, max: u64) -> std::io::Result<Out> {
        let mut decode = Decode::new(out, max);
        for chunk in stored.chunks(piece) {
            decode.update(chunk)?;
        }
        decode.finish()
    }

    #[test]
    fn hashes_the_uncompressed_content_in_any_pieces() {
        let content = br#"{"Records":[{"eventName":"ExportCertificate"}]}"#.repeat(500);
        let want = Sha256::of(&content);
        let mut twice = gzip(&content);
        twice.extend(gzip(b"")); // a second (empty) gzip member
                                 // (stored bytes, piece size)
        for (stored, piece) in [(twice.clone(), 1), (twice, 4096), (content.clone(), 7)] {
            let out = decode(
                &stored,
                piece,
                Out::Hash(Box::new(LogHasher::new())),
                MAX_LOG_BYTES,
            );
            assert_eq!(hash_of(out.unwrap()), want, "piece {piece}");
            let out = decode(&stored, piece, Out::Bytes(Vec::new()), MAX_LOG_BYTES);
            assert_eq!(bytes_of(out.unwrap()), content, "piece {piece}");
        }
        assert_eq!(
            hash_of(decode(b"", 1, Out::Hash(Box::new(LogHasher::new())), 1).unwrap()),
            Sha256::of(b"")
        );
    }

    #[test]
    fn broken_gzip_and_bombs_are_errors() {
        let content = vec![b' '; 100_000];
        let mut broken = gzip(&content);
        broken.truncate(broken.len() / 2);
        assert!(decode(
            &broken,
            512,
            Out::Hash(Box::new(LogHasher::new())),
            MAX_LOG_BYTES
        )
        .is_err());
        let err = decode(&gzip(&content), 512, Out::Bytes(Vec::new()), 99_999)
            .err()
            .unwrap();
        assert!(err.to_string().contains("more than 99999 bytes"), "{err}");
        assert!(decode(&gzip(&content), 512, Out::Bytes(Vec::new()), 100_000).is_ok());
    }
}
