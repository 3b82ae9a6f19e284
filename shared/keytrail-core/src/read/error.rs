//! The reader's one error type: what went wrong, where, and what the object looks like instead.
//!
//! Faults are built inside the reader as a [`Fault`] (kind, decompressed offset, a short "what"
//! and a "what to do"), then turned into a [`ReadError`] by the reader, which alone knows the
//! object's name, whether it was gzip and how many compressed bytes were consumed.
//!
//! A fault message never quotes the bytes of a string value: the record around a fault may hold
//! a private key or a passphrase, and the message reaches logs, stderr and the integrity alert.
//! It shows the JSON structure around the fault instead ([`structure`]) and names bytes by class
//! ([`byte_name`]).

use std::fmt::Write as _;
use std::ops::Range;

/// What kind of fault stopped the reading of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// Reading the input itself failed (network, file system): retrying may help.
    Io,
    /// The gzip stream ends inside a member: the object is truncated.
    TruncatedGzip,
    /// A gzip header, deflate block or checksum is wrong: the object is damaged.
    CorruptGzip,
    /// More than `max_decompressed_bytes` came out of the gzip stream, or a plain object is
    /// larger than that.
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
    /// Set when the reader recovered from the fault: the decompressed bytes it skipped, from the
    /// first byte of the damaged record (or of what stood between two records) to the first
    /// byte of the record it resumed at (empty when only a separator is missing). The next call
    /// to [`RecordReader::next_record`](super::RecordReader::next_record) goes on after them;
    /// after any other error the object ends.
    pub skipped: Option<Range<u64>>,
}

impl ReadError {
    /// True when reading the same object again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// True when the reader skipped the damage and goes on ([`ReadError::skipped`]).
    pub fn is_recovered(&self) -> bool {
        self.skipped.is_some()
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
    /// The decompressed bytes skipped when the reader recovered from the fault.
    pub skipped: Option<Range<u64>>,
}

impl Fault {
    pub fn new(kind: ReadErrorKind, at: u64, what: String, hint: impl Into<String>) -> Fault {
        Fault {
            kind,
            at,
            what,
            hint: hint.into(),
            skipped: None,
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
            skipped: self.skipped,
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

/// How many bytes either side of a fault [`structure`] shows.
const AROUND: usize = 24;

/// The JSON structure of `data` around `pos`, escaped, with the byte at `pos` marked by `>>`:
/// `{"…":…} >>{"…":…}]`. Only structure is shown: brackets, `:` and `,`, quotes and whitespace.
/// The inside of every string (keys too) shows as `…`, and so does every run of other bytes
/// outside strings (numbers, literals, stray bytes): the bytes next to a fault can belong to a
/// private key or a passphrase, whatever their class, and the message reaches logs and alerts.
///
/// `data[from]` must be outside any string (the start of the value the fault is in, or of one
/// before it): the string state is walked from there. Nothing before `from` is shown.
pub(crate) fn structure(data: &[u8], from: usize, pos: usize) -> String {
    let pos = pos.min(data.len());
    let from = from.min(pos);
    let first = pos.saturating_sub(AROUND).max(from);
    let last = data.len().min(pos + AROUND);
    let mut out = String::from("`");
    let mut in_string = false;
    let mut escaped = false;
    // A run of hidden bytes shows as one `…`.
    let mut hidden = false;
    for (i, &b) in data.iter().enumerate().take(last).skip(from) {
        let (was_in_string, was_escaped) = (in_string, escaped);
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        }
        if i < first {
            continue;
        }
        if i == pos {
            out.push_str(">>");
            hidden = false;
        }
        // An unescaped quote opens or closes a string; outside strings, structure and
        // whitespace show.
        let shown = (b == b'"' && !was_escaped)
            || (!was_in_string
                && matches!(
                    b,
                    b'{' | b'}' | b'[' | b']' | b':' | b',' | b' ' | b'\n' | b'\r' | b'\t'
                ));
        if shown {
            let _ = write!(out, "{}", [b].escape_ascii());
            hidden = false;
        } else if !hidden {
            out.push('…');
            hidden = true;
        }
    }
    if pos == last {
        out.push_str(">>");
    }
    out.push('`');
    out
}

/// Where `pos` is in the JSON value that starts at `data[from]` (outside any string):
/// `Some(n)` when inside a string, after `n` bytes of it; `None` outside.
pub(crate) fn string_at(data: &[u8], from: usize, pos: usize) -> Option<usize> {
    let mut open = None;
    let mut escaped = false;
    for (i, &b) in data.iter().enumerate().take(pos.min(data.len())).skip(from) {
        match open {
            Some(_) if escaped => escaped = false,
            Some(_) if b == b'\\' => escaped = true,
            Some(_) if b == b'"' => open = None,
            Some(_) => {}
            None if b == b'"' => open = Some(i + 1),
            None => {}
        }
    }
    open.map(|start| pos.saturating_sub(start))
}

/// `'{'`, `a letter`, `a control byte (0x00)`: one byte as a fault message names it. JSON's
/// structural bytes are quoted; any other byte only by its class, since the byte at a fault may
/// be the first of a secret whose string lost its opening quote.
pub(crate) fn byte_name(b: u8) -> String {
    match b {
        b'{' | b'}' | b'[' | b']' | b':' | b',' | b'"' => format!("'{}'", b as char),
        b'\\' => "a backslash".to_owned(),
        _ if b.is_ascii_alphabetic() => "a letter".to_owned(),
        _ if b.is_ascii_digit() => "a digit".to_owned(),
        _ if b.is_ascii_graphic() => "a symbol".to_owned(),
        _ if b.is_ascii() => format!("a control byte (0x{b:02x})"),
        _ => "a byte that is not ASCII".to_owned(),
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
        let cases: &[(&[u8], usize, usize, &str)] = &[
            (b"[1 2]", 0, 3, "`[… >>…]`"),
            // Strings show as their quotes, whatever they hold; structure stays.
            (
                br#"{"k":"MIIEvQIBADANBgKeyTail0123"}} {"b":2}]"#,
                0,
                35,
                r#"`…\"}} >>{\"…\":…}]`"#,
            ),
            // Brackets, commas and escaped quotes inside a string are hidden too.
            (
                br##"{"p":"#$%,{[]}:\"!"} x"##,
                0,
                21,
                r#"`{\"…\":\"…\"} >>…`"#,
            ),
            // Nothing before `from` is shown: it may be inside a string.
            (br#""a,b" , {"#, 7, 8, "` >>{`"),
            (b"{", 0, 1, "`{>>`"),
        ];
        for (data, from, pos, want) in cases {
            assert_eq!(
                structure(data, *from, *pos),
                *want,
                "{}",
                data.escape_ascii()
            );
        }
        assert_eq!(string_at(br#"{"k":"abc"#, 0, 9), Some(3));
        assert_eq!(string_at(br#"{"k":"a\"c"}"#, 0, 10), Some(4));
        assert_eq!(string_at(br#"{"k":"a"}"#, 0, 9), None);
        let names: &[(u8, &str)] = &[
            (b'{', "'{'"),
            (b'x', "a letter"),
            (b'7', "a digit"),
            (b'#', "a symbol"),
            (b'\\', "a backslash"),
            (0, "a control byte (0x00)"),
            (0xff, "a byte that is not ASCII"),
        ];
        for (b, want) in names {
            assert_eq!(byte_name(*b), *want);
        }
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
