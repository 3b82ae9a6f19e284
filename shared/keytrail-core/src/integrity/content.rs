//! An object's uncompressed content, for the integrity checks: digests read whole
//! ([`read_content`]) and log objects hashed ([`hash_content`]), gzip (any number of members) or
//! plain, sniffed by the magic bytes, with a cap on what comes out.
//!
//! [`ContentHasher`] is the capped hash both paths share: [`hash_content`] feeds it from a gunzip
//! of its own (a log object a digest lists that was not read yet), and the record reader's
//! decompress thread feeds it the bytes it decompresses for the scan
//! ([`crate::scan::scan_object_hashing`]), so that a log object the Lambda scans is gunzipped
//! once for both.

use std::io::{self, Chain, Cursor, Read};

use super::hash::{LogHasher, Sha256};

/// What an object's uncompressed content hashed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentHash {
    /// SHA-256 of the uncompressed content.
    pub sha256: Sha256,
    /// How many uncompressed bytes.
    pub bytes: u64,
}

/// Why an object's content could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// More than the cap came out.
    #[error("its uncompressed content is larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: u64,
    },
    /// Reading or decompressing failed.
    #[error("it could not be read or decompressed: {0}")]
    Read(#[from] io::Error),
}

/// SHA-256 of content fed in pieces, at most `max` bytes of it: once more comes, it stops
/// hashing and [`ContentHasher::finish`] says the content is too large.
///
/// ```
/// use keytrail_core::integrity::{ContentHasher, Sha256};
/// let mut hasher = ContentHasher::new(14);
/// hasher.update(b"{\"Records\":");
/// hasher.update(b"[]}");
/// assert_eq!(hasher.finish().unwrap().sha256, Sha256::of(b"{\"Records\":[]}"));
/// let mut small = ContentHasher::new(3);
/// small.update(b"four");
/// assert!(small.is_over() && small.finish().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ContentHasher {
    hasher: LogHasher,
    max: u64,
    over: bool,
}

impl ContentHasher {
    /// A hasher of at most `max` bytes that has seen nothing.
    pub fn new(max: u64) -> ContentHasher {
        ContentHasher {
            hasher: LogHasher::new(),
            max,
            over: false,
        }
    }

    /// Feeds the next bytes; past the cap, nothing more is hashed.
    pub fn update(&mut self, piece: &[u8]) {
        if self.over {
            return;
        }
        if self.hasher.bytes().saturating_add(piece.len() as u64) > self.max {
            self.over = true;
            return;
        }
        self.hasher.update(piece);
    }

    /// True once more than the cap was fed: the content has no hash, nothing more is needed.
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// The hash and length of everything fed, or [`ContentError::TooLarge`] past the cap.
    pub fn finish(self) -> Result<ContentHash, ContentError> {
        if self.over {
            return Err(ContentError::TooLarge { max: self.max });
        }
        let bytes = self.hasher.bytes();
        Ok(ContentHash {
            sha256: self.hasher.finish(),
            bytes,
        })
    }
}

/// The SHA-256 and length of the uncompressed content of `input`, at most `max` bytes.
pub fn hash_content<R: Read>(input: R, max: u64) -> Result<ContentHash, ContentError> {
    let mut hasher = ContentHasher::new(max);
    let mut buf = vec![0u8; 64 << 10];
    each_piece(input, max, &mut buf, &mut |piece| hasher.update(piece))?;
    hasher.finish()
}

/// The uncompressed content of `input`, at most `max` bytes.
pub fn read_content<R: Read>(input: R, max: u64) -> Result<Vec<u8>, ContentError> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    each_piece(input, max, &mut buf, &mut |piece| {
        out.extend_from_slice(piece)
    })?;
    Ok(out)
}

/// Hands each piece of the uncompressed content of `input` to `piece`, failing past `max` bytes.
fn each_piece<R: Read>(
    input: R,
    max: u64,
    buf: &mut [u8],
    piece: &mut dyn FnMut(&[u8]),
) -> Result<(), ContentError> {
    let mut reader = uncompressed(input)?;
    let mut total = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        total += n as u64;
        if total > max {
            return Err(ContentError::TooLarge { max });
        }
        piece(buf.get(..n).unwrap_or_default());
    }
}

/// `input` gunzipped when it starts with gzip's magic bytes, else as it is.
fn uncompressed<'a, R: Read + 'a>(mut input: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let rewound: Chain<Cursor<Vec<u8>>, R> =
        Cursor::new(head.get(..got).unwrap_or_default().to_vec()).chain(input);
    if got == 2 && head == [0x1f, 0x8b] {
        // Capped by `each_piece`, which stops reading past `max` bytes of output.
        #[allow(clippy::disallowed_types)]
        let decoder = flate2::read::MultiGzDecoder::new(rewound);
        Ok(Box::new(decoder))
    } else {
        Ok(Box::new(rewound))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn hashes_the_uncompressed_content_of_gzip_and_plain() {
        let content = br#"{"Records":[]}"#;
        let mut two_members = gzip(&content[..5]);
        two_members.extend(gzip(&content[5..]));
        for (what, input) in [
            ("plain", content.to_vec()),
            ("gzip", gzip(content)),
            ("two gzip members", two_members),
        ] {
            let got = hash_content(&input[..], 1 << 20).unwrap();
            assert_eq!(got.sha256, Sha256::of(content), "{what}");
            assert_eq!(got.bytes, content.len() as u64, "{what}");
            assert_eq!(
                read_content(&input[..], 1 << 20).unwrap(),
                content,
                "{what}"
            );
        }
        assert_eq!(hash_content(&b""[..], 0).unwrap().sha256, Sha256::of(b""));
    }

    #[test]
    fn refuses_too_much_and_corrupt_gzip() {
        let big = gzip(&[b'a'; 10_000]);
        let err = hash_content(&big[..], 9_999).unwrap_err();
        assert!(
            matches!(err, ContentError::TooLarge { max: 9_999 }),
            "{err}"
        );
        assert!(hash_content(&big[..], 10_000).is_ok());
        let mut corrupt = gzip(b"some content that compresses");
        let at = corrupt.len() - 12;
        corrupt[at] ^= 0xff;
        let err = read_content(&corrupt[..], 1 << 20).unwrap_err();
        assert!(matches!(err, ContentError::Read(_)), "{err}");
    }
}
