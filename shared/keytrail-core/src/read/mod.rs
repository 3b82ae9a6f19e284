//! Streaming reader: one object's bytes in, one raw JSON record at a time out.
//!
//! ```text
//! input ─▶ decompress (sniff 1f 8b; multi-member gzip; size cap; byte counts; on its own
//!                      thread, see `pipe`)
//!       ─▶ buffer     (sliding window, grows only to the largest record)
//!       ─▶ frame      (container state machine: Records object / array / NDJSON / one event)
//!       ─▶ split      (where a value ends: strings, escapes, brackets, depth; no parsing;
//!                      64-byte blocks as bit masks, noted on the decompress thread)
//!       ─▶ RawRecord  (a slice of the buffer, valid until the next call)
//! ```
//!
//! The shape is detected from the content, never from the name: a leading UTF-8 BOM and
//! whitespace are skipped; `{"Records": [...]}` is streamed (the CloudTrail case, with
//! `Records` as the first key, needs no buffering; an object whose first key is something else
//! is read whole, up to the record limit, and then streamed if it has a `Records` array or
//! yielded as one event, e.g. an EventBridge envelope); `{"Events": [...]}`, the output of
//! `aws cloudtrail lookup-events`, is streamed and each element's embedded event yielded (see
//! the `lookup` module); `[...]` is streamed; a stream of values
//! (NDJSON, `cat a.json b.json`, or multi-member gzip of several log files) yields each value's
//! records in turn. An empty or whitespace-only object is [`Shape::Empty`] and yields nothing.
//!
//! The reader checks only what decides where records are: brackets, strings, separators between
//! records, and depth. The inside of a record (numbers, literals, UTF-8) is checked when the
//! caller peeks or parses it. In particular **invalid UTF-8 inside a string is passed through as
//! bytes**: the reader never rewrites a record, and `serde_json` rejects it when the record is
//! parsed (so one bad record is reported on its own and the others are still read).
//!
//! A fault is a [`ReadError`] naming the object and the offsets; records already yielded stay
//! yielded. Damage inside the records (a broken record or separator in the `Records` array, a
//! top-level array or a stream of values) is skipped: the error says which bytes were
//! ([`ReadError::skipped`]) and the next call goes on with the first record after them (see
//! the `resync` module). Any other fault (truncated or corrupt gzip, the input failing, the size
//! cap, content that is not JSON) ends the object: later calls return `Ok(None)`.

mod blocks;
mod buffer;
mod damage;
mod decompress;
mod error;
mod explain;
mod frame;
mod hashing;
mod input;
mod lookup;
mod pipe;
mod probe;
mod resync;
mod split;
mod states;
mod views;
pub(crate) use split::{quote_or_backslash, string_stops};
#[cfg(test)]
mod tests;
mod tokens;

use std::fmt;
use std::io::Read;

pub use damage::Damaged;
pub use error::{ReadError, ReadErrorKind};
pub use hashing::ContentTap;

use crate::integrity::{ContentError, ContentHash, ContentHasher};

/// Limits applied while reading one object.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Stop with an error once this many decompressed bytes were produced (default 4 GiB).
    pub max_decompressed_bytes: u64,
    /// Largest single record accepted (default 16 MiB).
    pub max_record_bytes: usize,
    /// Deepest JSON nesting accepted, counting the containers around records (default 128).
    pub max_depth: usize,
    /// How many bytes to read at a time (default 128 KiB; tests use tiny values).
    pub buffer_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_decompressed_bytes: 4 << 30,
            max_record_bytes: 16 << 20,
            max_depth: 128,
            buffer_bytes: 128 << 10,
        }
    }
}

/// How the object's bytes were encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip, one or more members.
    Gzip,
    /// Plain bytes.
    None,
}

/// The container shape detected from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 0 bytes, or only whitespace.
    Empty,
    /// `{"Records": [...]}`, what CloudTrail writes to S3.
    RecordsObject,
    /// A top-level JSON array of records.
    Array,
    /// One JSON value per line (or concatenated values); each value is a record.
    Ndjson,
    /// One event object (possibly an EventBridge envelope).
    SingleEvent,
    /// `aws cloudtrail lookup-events` output, `{"Events": [{"CloudTrailEvent": "<event>", ...}]}`:
    /// each element's embedded event is a record (see the `lookup` module).
    LookupEvents,
}

/// One record's bytes, borrowed from the reader's buffer until the next call.
#[derive(Debug)]
pub struct RawRecord<'a> {
    /// 0-based position of the record among those yielded from the object (records lost in
    /// skipped damage are not counted).
    pub index: u64,
    /// Decompressed byte offset of the record's first byte.
    pub offset: u64,
    /// The record's JSON text.
    pub json: &'a [u8],
    /// Where each object or array directly inside the record ends (offsets into `json` of
    /// their closing brackets, in order), when the splitter noted them; `None` when unknown.
    /// [`crate::record::peek_quick`] uses them to skip over nested values.
    pub closes: Option<&'a [u32]>,
}

/// Where the containers directly inside the complete JSON value `json` close, as the reader
/// notes them for [`RawRecord::closes`]; `None` when `json` is not one well-formed value.
#[cfg(test)]
pub(crate) fn closes_of(json: &[u8]) -> Option<Vec<u32>> {
    let start = json.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let mut scan = split::ValueScan::default();
    split::value_end(&mut scan, json, start, usize::MAX)?;
    let start = u32::try_from(start).ok()?;
    Some(scan.closes().iter().map(|c| c + start).collect())
}

/// Streams records out of one object.
pub struct RecordReader<R> {
    object: String,
    frames: frame::Frames<R>,
}

impl<R> fmt::Debug for RecordReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordReader")
            .field("object", &self.object)
            .field("shape", &self.frames.shape)
            .field("records", &self.frames.records)
            .finish_non_exhaustive()
    }
}

impl<R: Read> RecordReader<R> {
    /// A serial reader over `input`, named `object` in errors: decompression runs on the
    /// caller's thread. Nothing is read until the first call to [`RecordReader::next_record`].
    ///
    /// The reference the pipelined reader is tested against, and the reader of small objects:
    /// a thread of its own costs a small object more than it saves (see
    /// [`crate::scan::SERIAL_BELOW`]). Large objects read faster [`RecordReader::pipelined`].
    pub fn new(object: &str, input: R, options: ReadOptions) -> Self {
        RecordReader {
            object: object.to_owned(),
            frames: frame::Frames::serial(input, options),
        }
    }

    /// [`RecordReader::new`], also hashing every byte it decompresses into `hasher`, as the
    /// decompress thread of [`RecordReader::pipelined_hashing`] does (on one CPU, where that
    /// thread only adds hand-overs): [`RecordReader::content_hash`] gives the hash of the whole
    /// uncompressed content once the records are read.
    pub fn serial_hashing(
        object: &str,
        input: R,
        options: ReadOptions,
        hasher: ContentHasher,
    ) -> Self {
        RecordReader {
            object: object.to_owned(),
            frames: frame::Frames::serial_hashing(input, options, hasher),
        }
    }

    /// The hash of the whole uncompressed content, for a reader made by
    /// [`RecordReader::serial_hashing`]: what the scan did not read is read to the end for it
    /// (the hash covers the whole content however the scan ended; a fault of the decoder or the
    /// input, or the caps, leave none, as on the decompress thread). An error for any other
    /// reader.
    pub fn content_hash(&mut self) -> Result<ContentHash, ContentError> {
        let mut buf = vec![0u8; self.frames.opts.buffer_bytes.max(1)];
        self.frames.source.finish_hash(&mut buf).unwrap_or_else(|| {
            Err(ContentError::Read(std::io::Error::other(
                "the reader was made without a hasher",
            )))
        })
    }

    /// A reader whose decompression runs on a thread of its own in `scope`, in parallel with the
    /// splitting (see the `pipe` module); records, offsets and faults are the same as with the
    /// serial reader of tests. The thread starts at once; it stops at the end of the input, at a
    /// fault, or when this reader is dropped, and `scope` joins it.
    pub fn pipelined<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        object: &str,
        input: R,
        options: ReadOptions,
    ) -> Self
    where
        R: Send + 'scope,
    {
        Self::pipelined_noting(scope, object, input, options, pipe::Notes::Balanced, None).0
    }

    /// [`RecordReader::pipelined`], with the decompress thread also hashing every byte it
    /// decompresses into `hasher` (see the `hashing` module): after the reader is dropped, the
    /// [`ContentTap`] gives the hash of the whole uncompressed content, read to its end even when
    /// the reader stopped before it.
    pub fn pipelined_hashing<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        object: &str,
        input: R,
        options: ReadOptions,
        hasher: ContentHasher,
    ) -> (Self, ContentTap<'scope>)
    where
        R: Send + 'scope,
    {
        let notes = pipe::Notes::Balanced;
        let (reader, thread) =
            Self::pipelined_noting(scope, object, input, options, notes, Some(hasher));
        (reader, ContentTap { thread })
    }

    /// [`RecordReader::pipelined`], with the thread noting the blocks of the chunks `notes` says
    /// (tests: every chunk, none, or as readers have it) and hashing into `hasher` when given.
    fn pipelined_noting<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        object: &str,
        input: R,
        options: ReadOptions,
        notes: pipe::Notes,
        hasher: Option<ContentHasher>,
    ) -> (
        Self,
        Option<std::thread::ScopedJoinHandle<'scope, hashing::Hashed>>,
    )
    where
        R: Send + 'scope,
    {
        let (pipe, thread) = pipe::Pipe::spawn(
            scope,
            input,
            options.max_decompressed_bytes,
            options.buffer_bytes,
            notes,
            hasher,
        );
        let reader = RecordReader {
            object: object.to_owned(),
            frames: frame::Frames::piped(pipe, options),
        };
        (reader, thread)
    }

    /// The next record, `Ok(None)` at the end. After an error the object ends (`Ok(None)`)
    /// unless the reader recovered from it ([`ReadError::is_recovered`]): then the next call
    /// yields the first record after the damage.
    pub fn next_record(&mut self) -> Result<Option<RawRecord<'_>>, ReadError> {
        match self.frames.next() {
            Ok(Some(range)) => {
                let frames = &mut self.frames;
                let offset = frames.buf.offset(range.start);
                let json = frames.buf.bytes().get(range).unwrap_or_default();
                let embedded = frames.lookup && lookup::unwrap_into(json, &mut frames.embedded);
                Ok(Some(RawRecord {
                    index: frames.records - 1,
                    offset,
                    json: if embedded { &frames.embedded } else { json },
                    closes: if embedded { None } else { frames.closes() },
                }))
            }
            Ok(None) => Ok(None),
            Err(fault) => Err(fault.into_error(&self.object, self.frames.gzip_consumed())),
        }
    }

    /// The object's name, as given.
    pub fn object(&self) -> &str {
        &self.object
    }

    /// The compression detected, once the first bytes were read.
    pub fn compression(&self) -> Option<Compression> {
        self.frames.compression()
    }

    /// The shape detected, once the first value started. A single event becomes
    /// [`Shape::Ndjson`] when a second top-level value follows it.
    pub fn shape(&self) -> Option<Shape> {
        self.frames.shape
    }

    /// Bytes read from the input so far (for gzip, possibly a little ahead of the decoder).
    pub fn compressed_bytes(&self) -> u64 {
        self.frames.read_bytes()
    }

    /// Decompressed bytes produced so far.
    pub fn decompressed_bytes(&self) -> u64 {
        self.frames.buf.total()
    }

    /// Records yielded so far.
    pub fn records(&self) -> u64 {
        self.frames.records
    }

    /// Bytes of memory the record buffer holds: bounded by the largest record plus a read
    /// chunk, whatever the object's size.
    pub fn buffer_capacity(&self) -> usize {
        self.frames.buf.capacity()
    }
}
