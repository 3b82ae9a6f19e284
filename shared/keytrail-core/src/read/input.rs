//! The reader's input: where [`Buffer`](super::buffer::Buffer) gets its decompressed bytes.
//!
//! Readers of large objects take them from the decompress thread ([`Pipe`]), which owns the
//! [`Decoder`]. The serial reader reads the decoder on its own thread: the reference the
//! pipelined reader must agree with (tests and the fuzz harness compare them), and the reader of
//! small objects, for which a thread of their own costs more than it saves.
//!
//! This module is what ties the two together, so that neither the decoder nor the pipe knows of
//! the other's reader side (`decompress` <- `pipe` <- `input`, no circle).

use std::io::Read;

use super::decompress::Decoder;
use super::error::Fault;
use super::hashing::{drain, unhashed};
use super::pipe::Pipe;
use super::Compression;
use crate::integrity::{ContentError, ContentHash, ContentHasher};

/// Where the reader's bytes come from.
pub(crate) enum Input<R> {
    /// Chunks from the decompress thread.
    Piped(Pipe),
    /// The serial reader's input, opened at the first read, and its hash when it takes one.
    Unopened(Option<R>, Option<SerialHash>),
    /// The serial reader's decoder, read on the reader's thread.
    Serial(Decoder<R>, Option<SerialHash>),
}

/// The hash a serial reader takes of everything it decompresses, as the decompress thread does
/// (see `hashing`): each piece as it is read, the rest read to the end for it once the scan is
/// done ([`Input::finish_hash`]); a fault of the decoder ends it.
pub(crate) struct SerialHash {
    /// The hasher, or why the content has no hash.
    state: Result<ContentHasher, ContentError>,
    /// Decompressed bytes read so far.
    read: u64,
    /// The decompression cap (a fault past it is a content too large).
    max: u64,
}

impl SerialHash {
    pub fn new(hasher: ContentHasher, max: u64) -> SerialHash {
        SerialHash {
            state: Ok(hasher),
            read: 0,
            max,
        }
    }

    /// What a read gave: its bytes hashed, or its fault ending the hash.
    fn take(&mut self, read: &Result<usize, Fault>, buf: &[u8]) {
        match read {
            Ok(n) => {
                if let Ok(hasher) = &mut self.state {
                    hasher.update(buf.get(..*n).unwrap_or_default());
                }
                self.read += *n as u64;
            }
            Err(fault) => self.fault(fault),
        }
    }

    /// A fault ended the content, and so the hash.
    fn fault(&mut self, fault: &Fault) {
        if self.state.is_ok() {
            self.state = Err(unhashed(fault, self.max));
        }
    }
}

impl<R: Read> Input<R> {
    /// Opens a serial input (sniffs gzip); a no-op for any other input.
    pub fn open(&mut self, max_decompressed: u64, buffer: usize) -> Result<(), Fault> {
        if let Input::Unopened(input, hash) = self {
            if let Some(input) = input.take() {
                match Decoder::open(input, max_decompressed, buffer) {
                    Ok(decoder) => *self = Input::Serial(decoder, hash.take()),
                    Err(fault) => {
                        if let Some(hash) = hash {
                            hash.fault(&fault);
                        }
                        return Err(fault);
                    }
                }
            }
        }
        Ok(())
    }

    /// The hash of the whole content, for a serial input that takes one: what it did not read
    /// yet is read to the end for it (into `buf`). `None` for any other input.
    pub fn finish_hash(&mut self, buf: &mut [u8]) -> Option<Result<ContentHash, ContentError>> {
        let max = match self {
            Input::Unopened(_, Some(hash)) | Input::Serial(_, Some(hash)) => hash.max,
            _ => return None,
        };
        // An input never read is opened now; a fault opening it is noted in the hash.
        let _ = self.open(max, buf.len().max(1));
        let (decoder, hash) = match self {
            Input::Serial(decoder, hash) => (Some(decoder), hash.take()?),
            Input::Unopened(_, hash) => (None, hash.take()?),
            Input::Piped(_) => return None,
        };
        Some(match (hash.state, decoder) {
            (Ok(hasher), Some(decoder)) => drain(decoder, buf, hash.read, hasher, hash.max),
            (Ok(hasher), None) => hasher.finish(),
            (Err(e), _) => Err(e),
        })
    }

    /// What was detected, once the first bytes were read.
    pub fn compression(&self) -> Option<Compression> {
        match self {
            Input::Piped(pipe) => pipe.compression,
            Input::Unopened(..) => None,
            Input::Serial(decoder, _) => Some(decoder.compression()),
        }
    }

    /// Bytes read from the input so far (for gzip, possibly ahead of the decoder).
    pub fn read_bytes(&self) -> u64 {
        match self {
            Input::Piped(pipe) => pipe.read_bytes,
            Input::Unopened(..) => 0,
            Input::Serial(decoder, _) => decoder.read_bytes(),
        }
    }

    /// Compressed bytes the decoder has consumed: where a gzip fault is. `None` when plain.
    pub fn gzip_consumed(&self) -> Option<u64> {
        match self {
            Input::Piped(pipe) => pipe.gzip_consumed,
            Input::Unopened(..) => None,
            Input::Serial(decoder, _) => decoder.gzip_consumed(),
        }
    }

    /// Copies decompressed bytes into `buf`; `at` is the decompressed offset (for faults).
    /// `Ok(0)` is the end.
    pub fn read(&mut self, buf: &mut [u8], at: u64) -> Result<usize, Fault> {
        match self {
            Input::Piped(pipe) => pipe.read(buf, at),
            Input::Unopened(..) => Ok(0),
            Input::Serial(decoder, None) => decoder.read(buf, at),
            Input::Serial(decoder, Some(hash)) => {
                let read = decoder.read(buf, at);
                hash.take(&read, buf);
                read
            }
        }
    }
}
