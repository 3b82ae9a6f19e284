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
use super::pipe::Pipe;
use super::Compression;

/// Where the reader's bytes come from.
pub(crate) enum Input<R> {
    /// Chunks from the decompress thread.
    Piped(Pipe),
    /// The serial reader's input, opened at the first read.
    Unopened(Option<R>),
    /// The serial reader's decoder, read on the reader's thread.
    Serial(Decoder<R>),
}

impl<R: Read> Input<R> {
    /// Opens a serial input (sniffs gzip); a no-op for any other input.
    pub fn open(&mut self, max_decompressed: u64, buffer: usize) -> Result<(), Fault> {
        if let Input::Unopened(input) = self {
            if let Some(input) = input.take() {
                *self = Input::Serial(Decoder::open(input, max_decompressed, buffer)?);
            }
        }
        Ok(())
    }

    /// What was detected, once the first bytes were read.
    pub fn compression(&self) -> Option<Compression> {
        match self {
            Input::Piped(pipe) => pipe.compression,
            Input::Unopened(_) => None,
            Input::Serial(decoder) => Some(decoder.compression()),
        }
    }

    /// Bytes read from the input so far (for gzip, possibly ahead of the decoder).
    pub fn read_bytes(&self) -> u64 {
        match self {
            Input::Piped(pipe) => pipe.read_bytes,
            Input::Unopened(_) => 0,
            Input::Serial(decoder) => decoder.read_bytes(),
        }
    }

    /// Compressed bytes the decoder has consumed: where a gzip fault is. `None` when plain.
    pub fn gzip_consumed(&self) -> Option<u64> {
        match self {
            Input::Piped(pipe) => pipe.gzip_consumed,
            Input::Unopened(_) => None,
            Input::Serial(decoder) => decoder.gzip_consumed(),
        }
    }

    /// Copies decompressed bytes into `buf`; `at` is the decompressed offset (for faults).
    /// `Ok(0)` is the end.
    pub fn read(&mut self, buf: &mut [u8], at: u64) -> Result<usize, Fault> {
        match self {
            Input::Piped(pipe) => pipe.read(buf, at),
            Input::Unopened(_) => Ok(0),
            Input::Serial(decoder) => decoder.read(buf, at),
        }
    }
}
