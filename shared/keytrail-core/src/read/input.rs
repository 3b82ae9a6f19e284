//! The reader's input: where [`Buffer`](super::buffer::Buffer) gets its decompressed bytes.
//!
//! Readers take them from the decompress thread ([`Pipe`]), which owns the [`Decoder`]. Tests
//! and the fuzz harness also run a serial reader, which reads the decoder on its own thread: the
//! reference the pipelined reader must agree with. That path exists only in test builds and with
//! the `fuzzing` feature; a production build has no input but the pipe.
//!
//! This module is what ties the two together, so that neither the decoder nor the pipe knows of
//! the other's reader side (`decompress` <- `pipe` <- `input`, no circle).

#[cfg(not(any(test, feature = "fuzzing")))]
use std::convert::Infallible;
use std::io::Read;
#[cfg(not(any(test, feature = "fuzzing")))]
use std::marker::PhantomData;

#[cfg(any(test, feature = "fuzzing"))]
use super::decompress::Decoder;
use super::error::Fault;
use super::pipe::Pipe;
use super::Compression;

/// Where the reader's bytes come from.
pub(crate) enum Input<R> {
    /// Chunks from the decompress thread.
    Piped(Pipe),
    /// The serial reader's input, opened at the first read (tests and fuzzing).
    #[cfg(any(test, feature = "fuzzing"))]
    Unopened(Option<R>),
    /// The serial reader's decoder, read on the reader's thread (tests and fuzzing).
    #[cfg(any(test, feature = "fuzzing"))]
    Serial(Decoder<R>),
    /// A production build reads only through the pipe: this cannot be built.
    #[cfg(not(any(test, feature = "fuzzing")))]
    #[allow(dead_code)] // uninhabited: it only carries `R`
    Never(Infallible, PhantomData<fn() -> R>),
}

impl<R: Read> Input<R> {
    /// Opens a serial input (sniffs gzip); a no-op for any other input.
    pub fn open(&mut self, max_decompressed: u64, buffer: usize) -> Result<(), Fault> {
        #[cfg(any(test, feature = "fuzzing"))]
        if let Input::Unopened(input) = self {
            if let Some(input) = input.take() {
                *self = Input::Serial(Decoder::open(input, max_decompressed, buffer)?);
            }
        }
        let _ = (max_decompressed, buffer);
        Ok(())
    }

    /// What was detected, once the first bytes were read.
    pub fn compression(&self) -> Option<Compression> {
        match self {
            Input::Piped(pipe) => pipe.compression,
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Unopened(_) => None,
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Serial(decoder) => Some(decoder.compression()),
            #[cfg(not(any(test, feature = "fuzzing")))]
            Input::Never(never, _) => match *never {},
        }
    }

    /// Bytes read from the input so far (for gzip, possibly ahead of the decoder).
    pub fn read_bytes(&self) -> u64 {
        match self {
            Input::Piped(pipe) => pipe.read_bytes,
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Unopened(_) => 0,
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Serial(decoder) => decoder.read_bytes(),
            #[cfg(not(any(test, feature = "fuzzing")))]
            Input::Never(never, _) => match *never {},
        }
    }

    /// Compressed bytes the decoder has consumed: where a gzip fault is. `None` when plain.
    pub fn gzip_consumed(&self) -> Option<u64> {
        match self {
            Input::Piped(pipe) => pipe.gzip_consumed,
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Unopened(_) => None,
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Serial(decoder) => decoder.gzip_consumed(),
            #[cfg(not(any(test, feature = "fuzzing")))]
            Input::Never(never, _) => match *never {},
        }
    }

    /// Copies decompressed bytes into `buf`; `at` is the decompressed offset (for faults).
    /// `Ok(0)` is the end.
    pub fn read(&mut self, buf: &mut [u8], at: u64) -> Result<usize, Fault> {
        match self {
            Input::Piped(pipe) => pipe.read(buf, at),
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Unopened(_) => Ok(0),
            #[cfg(any(test, feature = "fuzzing"))]
            Input::Serial(decoder) => decoder.read(buf, at),
            #[cfg(not(any(test, feature = "fuzzing")))]
            Input::Never(never, _) => match *never {},
        }
    }
}
