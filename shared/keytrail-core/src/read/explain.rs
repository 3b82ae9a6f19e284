//! What each fault of the container state machine says: where the reader was, what it
//! expected, and what to do about it.

use std::io::Read;

use super::error::{byte_name, guess, hex, string_at, structure, Fault, ReadErrorKind as K};
use super::frame::{Frames, State};
use super::Compression;

impl<R: Read> Frames<R> {
    /// The nesting limit was hit at index `at`.
    pub(super) fn too_deep(&self, at: usize) -> Fault {
        let what = format!(
            "JSON nests deeper than {} levels{}",
            self.opts.max_depth,
            self.inside()
        );
        let hint = "refusing what looks like a nesting bomb; CloudTrail records nest far less";
        Fault::new(K::TooDeep, self.buf.offset(at), what, hint)
    }

    /// `" in record 3 (from byte 120)"`: where in the object the reader is, for messages.
    pub(super) fn inside(&self) -> String {
        let from = self.buf.offset(self.buf.start);
        match self.state {
            State::Element { .. } => format!(" in record {} (from byte {from})", self.records),
            State::FirstKey | State::FirstKeyString | State::Probe => {
                format!(" in the top-level object from byte {from}")
            }
            State::Elements { records: true, .. } | State::AfterElement { records: true } => {
                " in the Records array".to_owned()
            }
            State::Elements { .. } | State::AfterElement { .. } => {
                " in the top-level array".to_owned()
            }
            State::TopLevel
            | State::Start
            | State::Done
            | State::Resumed { .. }
            | State::AfterRecovered => String::new(),
            _ => " in the top-level object".to_owned(),
        }
    }

    pub(super) fn records_read(&self) -> String {
        format!("{} record(s) before it were read", self.records)
    }

    pub(super) fn truncated(&self) -> Fault {
        // The first byte still buffered is where a value or token began: outside any string.
        let (stream, _) = self.buf.stream_bytes();
        let in_string = match string_at(stream, 0, stream.len()) {
            Some(n) => format!(" inside a string value, after {n} bytes of the value,"),
            None => String::new(),
        };
        let what = format!("JSON ends early{}{in_string}", self.inside());
        let hint = format!(
            "the object is truncated (an interrupted upload or write?); {}; fetch or upload it again",
            self.records_read()
        );
        Fault::new(K::TruncatedJson, self.buf.total(), what, hint)
    }

    pub(super) fn invalid(&self, at: usize, expected: &str) -> Fault {
        let data = self.buf.bytes();
        let found = data
            .get(at)
            .map_or_else(|| "the end".to_owned(), |&b| byte_name(b));
        // The first byte still buffered is where a value or token began: outside any string.
        let (stream, from) = self.buf.stream_bytes();
        let what = format!(
            "invalid JSON{}: expected {expected}, found {found} near {}",
            self.inside(),
            structure(stream, 0, at.saturating_sub(from))
        );
        let hint = format!(
            "the object is not well-formed JSON; {}",
            self.records_read()
        );
        Fault::new(K::InvalidJson, self.buf.offset(at), what, hint)
    }

    pub(super) fn too_large(&self) -> Fault {
        let max = self.opts.max_record_bytes;
        let what = format!(
            "a value larger than the {max}-byte record limit{}",
            self.inside()
        );
        let whole = if matches!(self.state, State::Probe) {
            "a top-level object whose first key is not \"Records\" is read whole; "
        } else {
            ""
        };
        let hint = format!(
            "{whole}CloudTrail records are far smaller: if this one is legitimate, raise the limit \
             with --max-record-bytes or MAX_RECORD_BYTES"
        );
        Fault::new(
            K::RecordTooLarge,
            self.buf.offset(self.buf.start),
            what,
            hint,
        )
    }

    pub(super) fn records_not_array(&self, at: usize, kind: &str) -> Fault {
        let (key, file) = if self.lookup {
            ("Events", "lookup-events output")
        } else {
            ("Records", "a CloudTrail log file")
        };
        let what = format!("\"{key}\" is {kind}, not an array");
        let hint = format!(
            "{file} holds its events in a \"{key}\" array; {}",
            self.records_read()
        );
        Fault::new(K::RecordsNotArray, self.buf.offset(at), what, hint)
    }

    pub(super) fn not_json(&self) -> Fault {
        let head = &self.buf.head;
        let what = match self.compression() {
            Some(Compression::Gzip) => {
                format!("gzip content is not JSON (first bytes {})", hex(head, 8))
            }
            _ => format!("not gzip or JSON (first bytes {})", hex(head, 8)),
        };
        let hint = format!(
            "looks like {}; is the bucket notification filtered to CloudTrail keys?",
            guess(head)
        );
        Fault::new(K::NotJson, self.buf.offset(self.buf.pos), what, hint)
    }
}
