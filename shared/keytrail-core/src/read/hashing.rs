//! The hash of an object's whole uncompressed content, taken on the decompress thread.
//!
//! A log object's integrity record needs the SHA-256 of its uncompressed content (CloudTrail log
//! file validation). The decompress thread ([`super::pipe`]) already produces those bytes for the
//! scan, so it hashes each chunk as it fills it, before sending it on: the object is gunzipped
//! once for the scan and the hash, and the hash costs the SHA-256 alone.
//!
//! - **Whole content**: the hash must cover the whole object even when the scan stops reading
//!   before its end (content that is not JSON, damage the reader cannot skip, a record over the
//!   size limit). When the reader is gone, the thread goes on reading and hashing to the end of
//!   the input ([`drain`]) instead of stopping; without a hasher it stops as before.
//! - **Faults**: a fault of the decompressor or the input (corrupt or truncated gzip, a failed
//!   or stopped input, the decompression cap) ends the content, and so the hash: the result then
//!   says why ([`unhashed`]). The hash covers at most the hasher's cap and never more than the
//!   decompression cap (`max_decompressed_bytes`), past which the scan faults.
//! - **Result**: the thread returns the hash; [`ContentTap::join`] waits for it once the reader
//!   is dropped (the reader's scope would join the thread anyway).
//! - **One thread**: a serial reader can hash too ([`super::RecordReader::serial_hashing`], for
//!   a process with one CPU): the same hash, the same rules, taken as the reader reads
//!   (`input.rs`), the rest read to the end for it by [`drain`] once the records are read.

use std::io::{self, Read};
use std::thread::ScopedJoinHandle;

use super::decompress::Decoder;
use super::error::{Fault, ReadErrorKind};
use crate::integrity::{ContentError, ContentHash, ContentHasher};

/// What the decompress thread returns: the hash when it was given a hasher.
pub(crate) type Hashed = Option<Result<ContentHash, ContentError>>;

/// The hash the decompress thread of a [`super::RecordReader::pipelined_hashing`] takes of
/// everything it decompresses.
#[derive(Debug)]
pub struct ContentTap<'scope> {
    pub(crate) thread: Option<ScopedJoinHandle<'scope, Hashed>>,
}

impl ContentTap<'_> {
    /// Waits for the decompress thread and gives its hash of the whole uncompressed content.
    /// Drop the reader first: while it lives, the thread may be waiting for it to take a chunk.
    pub fn join(self) -> Result<ContentHash, ContentError> {
        let failed = |why: &str| Err(ContentError::Read(io::Error::other(why.to_owned())));
        match self.thread.map(ScopedJoinHandle::join) {
            Some(Ok(Some(hashed))) => hashed,
            Some(Ok(None)) => failed("the decompress thread was given no hasher"),
            Some(Err(_)) => failed("the decompress thread failed"),
            None => failed("the decompress thread could not start"),
        }
    }
}

/// Why the content has no hash after `fault` ended it (`max` is the decompression cap).
pub(crate) fn unhashed(fault: &Fault, max: u64) -> ContentError {
    match fault.kind {
        ReadErrorKind::DecompressionBomb => ContentError::TooLarge { max },
        _ => ContentError::Read(io::Error::other(format!(
            "{} at decompressed byte {}: {}",
            fault.what, fault.at, fault.hint
        ))),
    }
}

/// Reads the rest of `source` from decompressed offset `at` into `buf`, only to hash it: the
/// reader is gone, the hash still needs the whole content (`max` is the decompression cap).
pub(crate) fn drain<R: Read>(
    source: &mut Decoder<R>,
    buf: &mut [u8],
    mut at: u64,
    mut hasher: ContentHasher,
    max: u64,
) -> Result<ContentHash, ContentError> {
    while !hasher.is_over() {
        match source.read(buf, at) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(buf.get(..n).unwrap_or_default());
                at += n as u64;
            }
            Err(fault) => return Err(unhashed(&fault, max)),
        }
    }
    hasher.finish()
}
