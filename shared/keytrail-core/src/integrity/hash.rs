//! SHA-256 as the integrity checks use it: a hash value that prints as lowercase hex (how digests
//! write `hashValue`), a streaming [`LogHasher`] for log objects, and the hex helpers.
//!
//! The hash is ring's (`ring::digest::SHA256`): ring picks its assembly at run time, the SHA
//! extensions on x86_64 (SHA-NI) and on aarch64 (ARMv8 SHA-256 instructions, every Graviton),
//! where `sha2` 0.10 (measured; the workspace now links 0.11, the SDK's) ran its portable code
//! unless built with its `asm` feature. The module docs of [`crate::integrity`] give the figures.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A SHA-256 value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// The SHA-256 of `data`, in one call.
    pub fn of(data: &[u8]) -> Sha256 {
        let mut hasher = LogHasher::new();
        hasher.update(data);
        hasher.finish()
    }

    /// The 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, as digests write `hashValue` and `previousDigestHashValue`.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl From<[u8; 32]> for Sha256 {
    fn from(bytes: [u8; 32]) -> Sha256 {
        Sha256(bytes)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Text that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a SHA-256 value (64 hex digits)")]
pub struct NotSha256(pub String);

impl FromStr for Sha256 {
    type Err = NotSha256;

    /// Parses 64 hex digits, either case.
    fn from_str(text: &str) -> Result<Sha256, NotSha256> {
        unhex(text)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .map(Sha256)
            .ok_or_else(|| NotSha256(text.chars().take(80).collect()))
    }
}

/// SHA-256 over bytes fed in pieces: the reader hands it a log object's uncompressed bytes as it
/// streams them, so the hash costs no second read.
///
/// ```
/// use keytrail_core::integrity::{LogHasher, Sha256};
/// let mut hasher = LogHasher::new();
/// hasher.update(b"{\"Records\":");
/// hasher.update(b"[]}");
/// assert_eq!(hasher.finish(), Sha256::of(b"{\"Records\":[]}"));
/// ```
#[derive(Clone)]
pub struct LogHasher {
    context: ring::digest::Context,
    bytes: u64,
}

impl fmt::Debug for LogHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogHasher")
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl Default for LogHasher {
    fn default() -> Self {
        LogHasher::new()
    }
}

impl LogHasher {
    /// A hasher that has seen nothing.
    pub fn new() -> LogHasher {
        LogHasher {
            context: ring::digest::Context::new(&ring::digest::SHA256),
            bytes: 0,
        }
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.context.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    /// How many bytes were fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The SHA-256 of everything fed ([`Sha256::to_hex`] for the form digests use).
    pub fn finish(self) -> Sha256 {
        let digest = self.context.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Sha256(out)
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The bytes of hex text (either case); `None` when it is not an even run of hex digits.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.chunks(2)
        .map(|pair| Some((digit(pair[0])? << 4) | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_in_pieces_as_in_one_call() {
        // FIPS 180-2 test vector.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(Sha256::of(b"abc").to_hex(), abc);
        let mut hasher = LogHasher::new();
        for piece in [&b"a"[..], b"", b"bc"] {
            hasher.update(piece);
        }
        assert_eq!(hasher.bytes(), 3);
        assert_eq!(hasher.finish(), abc.parse().unwrap());
        assert_eq!(abc.to_uppercase().parse::<Sha256>().unwrap().to_hex(), abc);
    }

    #[test]
    fn hex_round_trips_and_rejects_non_hex() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(unhex("00ABff"), Some(vec![0, 0xab, 0xff]));
        for bad in ["0", "0g", "zz", " 00"] {
            assert_eq!(unhex(bad), None, "{bad:?}");
        }
        assert!("ab".parse::<Sha256>().is_err());
    }
}
