//! The reader's one error type: what went wrong, where, and what the object looks like instead.
//!
//! Faults are built inside the reader as a [`Fault`] (kind, decompressed offset, a short "what"
//! and a "what to do"), then turned into a [`ReadError`] by the reader, which alone knows the
//! object's name, whether it was gzip and how many compressed bytes were consumed.

use std::fmt::Write as _;

/// What kind of fault stopped the reading of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// Reading the input itself failed (network, file system): retrying may help.
    Io,
    /// The gzip stream ends inside a member: the object is truncated.
    TruncatedGzip,
    /// A gzip header, deflate block or checksum is wrong: the object is damaged.
    CorruptGzip,
    /// More than `max_decompressed_bytes` came out of the gzip stream.
    DecompressionBomb,
    /// The bytes are neither gzip nor JSON.
    NotJson,
    /// JSON syntax is wrong where the reader looks (between records, brackets, stray bytes).
    InvalidJson,
    /// The input ends inside a JSON value.
    TruncatedJson,
    /// JSON nests deeper than `max_depth`.
    TooDeep,
    /// One record (or a top-level object read whole) is larger than `max_record_bytes`.
    RecordTooLarge,
    /// The `Records` member is not an array.
    RecordsNotArray,
}

impl ReadErrorKind {
    /// True when reading the same object again may succeed (only input failures).
    pub fn is_retryable(self) -> bool {
        self == ReadErrorKind::Io
    }

    /// True for faults of the byte source (input and gzip), as opposed to the JSON in it.
    pub(crate) fn is_source(self) -> bool {
        use ReadErrorKind as K;
        matches!(
            self,
            K::Io | K::TruncatedGzip | K::CorruptGzip | K::DecompressionBomb
        )
    }
}

/// What went wrong reading an object; names the object and where.
///
/// `Display` is the complete user-facing message, e.g. `object s3://b/k: not gzip or JSON
/// (first bytes 50 4b 03 04 14 00 08 00): looks like a zip archive; is the bucket notification
/// filtered to CloudTrail keys?`.
#[derive(Debug, thiserror::Error)]
#[error("object {object}: {detail}")]
pub struct ReadError {
    /// What kind of fault.
    pub kind: ReadErrorKind,
    /// The object's name (URI or path).
    pub object: String,
    /// Offset in the object's bytes as stored: set for gzip faults, and equal to the
    /// decompressed offset for plain objects; `None` for JSON faults inside gzip, where no exact
    /// compressed position corresponds to a decompressed byte.
    pub compressed_offset: Option<u64>,
    /// Offset in the decompressed bytes (always set by the reader).
    pub decompressed_offset: Option<u64>,
    /// Everything after `object NAME: `: what happened, where, and what to do.
    pub detail: String,
}

impl ReadError {
    /// True when reading the same object again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

/// A fault as the reader's inner parts see it, before the object's name is known.
#[derive(Debug)]
pub(crate) struct Fault {
    pub kind: ReadErrorKind,
    /// Decompressed offset.
    pub at: u64,
    /// What happened, without the position (`JSON ends inside record 3`).
    pub what: String,
    /// What it means or what to do (`the object is truncated; fetch it again`).
    pub hint: String,
}

impl Fault {
    pub fn new(kind: ReadErrorKind, at: u64, what: String, hint: impl Into<String>) -> Fault {
        Fault {
            kind,
            at,
            what,
            hint: hint.into(),
        }
    }

    /// The public error: `gzip_consumed` is the compressed bytes consumed when the object is gzip.
    pub fn into_error(self, object: &str, gzip_consumed: Option<u64>) -> ReadError {
        let gzip_fault = self.kind.is_source();
        let (compressed, place) = match gzip_consumed {
            None => (Some(self.at), format!("byte {}", self.at)),
            Some(c) if gzip_fault => (
                Some(c),
                format!("compressed byte {c} (decompressed byte {})", self.at),
            ),
            Some(_) => (None, format!("decompressed byte {}", self.at)),
        };
        ReadError {
            kind: self.kind,
            object: object.to_owned(),
            compressed_offset: compressed,
            decompressed_offset: Some(self.at),
            detail: format!("{} at {place}: {}", self.what, self.hint),
        }
    }
}

/// `50 4b 03 04`: the first `max` bytes in hex.
pub(crate) fn hex(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for (i, b) in bytes.iter().take(max).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A short escaped view of the structure of `data` around `pos`: `"Records": [1 2]` with the
/// byte at `pos` marked by `>>`. Runs of four or more word-like bytes (letters, digits, base64's
/// `+/=`, `-_.`, anything not ASCII) show as `…`: the bytes next to a fault can be the end of a
/// private key or token in the record before it, and the message reaches logs and alerts. What
/// is left (punctuation, short tokens) is what tells where the JSON went wrong.
pub(crate) fn snippet(data: &[u8], pos: usize) -> String {
    let pos = pos.min(data.len());
    let before = data.get(pos.saturating_sub(24)..pos).unwrap_or_default();
    let after = data.get(pos..data.len().min(pos + 24)).unwrap_or_default();
    format!("`{}>>{}`", masked(before), masked(after))
}

fn masked(bytes: &[u8]) -> String {
    let wordy = |b: &u8| b.is_ascii_alphanumeric() || b"+/=-_.".contains(b) || !b.is_ascii();
    let mut out = String::new();
    let mut rest = bytes;
    while let Some(first) = rest.first() {
        let wordy_run = wordy(first);
        let len = rest
            .iter()
            .position(|b| wordy(b) != wordy_run)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(len);
        if wordy_run && run.len() >= 4 {
            out.push('…');
        } else {
            let _ = write!(out, "{}", run.escape_ascii());
        }
        rest = tail;
    }
    out
}

/// `'x'` or `byte 0xff`: one byte as a reader would name it.
pub(crate) fn byte_name(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// A guess at what non-JSON content is, from its first bytes.
pub(crate) fn guess(head: &[u8]) -> &'static str {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "a zip archive"),
        (b"PK\x05\x06", "an empty zip archive"),
        (b"BZh", "a bzip2 stream"),
        (b"\xfd7zXZ\x00", "an xz stream"),
        (b"\x28\xb5\x2f\xfd", "a zstd stream"),
        (b"PAR1", "a Parquet file"),
        (b"Obj\x01", "an Avro file"),
        (b"ORC", "an ORC file"),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return what;
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => "XML or HTML (an S3 error document or a web page?)",
        Some(b'"') if looks_like_text(text) => "a bare JSON string, not a JSON object or array",
        _ if looks_like_text(text) && text.contains(&b',') => "text/CSV",
        _ if looks_like_text(text) => "text (an access log or other text log?)",
        _ => "binary data",
    }
}

/// Mostly printable ASCII or UTF-8 (multi-byte sequences may be cut at the end of `head`).
fn looks_like_text(head: &[u8]) -> bool {
    !head.is_empty()
        && head
            .iter()
            .all(|&b| b >= 0x20 || b == b'\t' || b == b'\n' || b == b'\r')
        && std::str::from_utf8(head).map_or_else(|e| e.error_len().is_none(), |_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_from_first_bytes() {
        let cases: &[(&[u8], &str)] = &[
            (b"PK\x03\x04\x14\x00", "a zip archive"),
            (b"BZh91AY", "a bzip2 stream"),
            (b"\x28\xb5\x2f\xfd\x00", "a zstd stream"),
            (
                b"<?xml version",
                "XML or HTML (an S3 error document or a web page?)",
            ),
            (b"eventTime,eventName\n", "text/CSV"),
            (
                b"79a59df9 bucket [06/Feb",
                "text (an access log or other text log?)",
            ),
            (b"\x00\x01\x02\xff", "binary data"),
            (
                b"\"just a string\"",
                "a bare JSON string, not a JSON object or array",
            ),
        ];
        for (head, want) in cases {
            assert_eq!(guess(head), *want, "{:?}", head.escape_ascii().to_string());
        }
    }

    #[test]
    fn formats_bytes() {
        assert_eq!(hex(b"PK\x03\x04\x14", 4), "50 4b 03 04");
        assert_eq!(snippet(b"[1 2]", 3), "`[1 >>2]`");
        // Long word-like runs (a key's tail, a token) are masked; punctuation and short tokens
        // stay.
        assert_eq!(
            snippet(br#"{"k":"MIIEvQIBADANBgKeyTail0123"}} {"b":2}]"#, 35),
            r#"`…\"}} >>{\"b\":2}]`"#
        );
        assert_eq!(byte_name(b'x'), "'x'");
        assert_eq!(byte_name(0), "byte 0x00");
    }

    #[test]
    fn message_names_both_offsets_for_gzip_faults() {
        let f = Fault::new(
            ReadErrorKind::TruncatedGzip,
            10,
            "gzip ends".into(),
            "refetch",
        );
        let e = f.into_error("o.gz", Some(7));
        assert_eq!(
            e.to_string(),
            "object o.gz: gzip ends at compressed byte 7 (decompressed byte 10): refetch"
        );
        assert_eq!(
            (e.compressed_offset, e.decompressed_offset),
            (Some(7), Some(10))
        );
        let f = Fault::new(ReadErrorKind::InvalidJson, 10, "bad".into(), "fix");
        assert_eq!(
            f.into_error("o", None).to_string(),
            "object o: bad at byte 10: fix"
        );
    }
}
