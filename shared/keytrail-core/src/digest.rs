//! Short stable identifiers: the first 16 bytes of a SHA-256 as 32 hex digits. Alert ids,
//! correlation and suppression group keys all use them, so that one algorithm names them all.

use sha2::{Digest, Sha256};

/// The first 16 bytes of `digest` as 32 lowercase hex digits.
pub(crate) fn hex16(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// [`hex16`] of the SHA-256 of `parts`, each prefixed by its length (so that no two lists of
/// parts hash alike, whatever characters the parts hold).
pub(crate) fn hash_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.len().to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex16(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_length_prefixed_parts() {
        assert_eq!(hex16(&[0x00, 0xab, 0x0f]), "00ab0f");
        assert_eq!(hex16(&[0xff; 20]).len(), 32);
        // The length prefix keeps ["ab", "c"] and ["a", "bc"] apart.
        assert_ne!(hash_parts(["ab", "c"]), hash_parts(["a", "bc"]));
        assert_eq!(hash_parts(["ab", "c"]), hash_parts(["ab", "c"]));
        assert_eq!(hash_parts(["x"]).len(), 32);
    }
}
