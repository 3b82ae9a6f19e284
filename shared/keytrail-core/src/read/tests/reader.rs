//! Table-driven tests of the whole reader: shapes and faults, plain and gzip, single- and
//! multi-member, at buffer sizes small enough that every record straddles reads.

use super::{encodings, gzip, read_all, small};
use crate::read::*;

/// Many chunks of whole blocks (4 KiB reads), strings that hold quotes, backslashes and brackets
/// across chunk and block boundaries: the same records and the same fault whether the thread
/// notes every chunk's blocks, none, or as readers have it. The fault is a byte JSON does not
/// allow outside a string, deep in the object, which only the block check or the byte walk sees;
/// the reader skips that record and reads the rest.
#[test]
fn noted_and_skipped_chunks_yield_the_same_records_and_faults() {
    let object = |broken: Option<usize>| {
        let mut json = String::from(r#"{"Records":["#);
        for i in 0..3000 {
            if i > 0 {
                json.push(',');
            }
            let pad = "x".repeat(i % 97);
            let end = if broken == Some(i) { "/" } else { "" };
            json.push_str(&format!(
                r#"{{"eventName":"E{i}","s":"{pad}\"{{[\\","n":[{i},{{"k":"}}]"}}],"t":true{end}}}"#
            ));
        }
        json.push_str("]}");
        json
    };
    for (input, broken) in [(object(None), false), (object(Some(2899)), true)] {
        for bytes in [input.as_bytes().to_vec(), gzip(input.as_bytes())] {
            let out = read_all(&bytes, small(4096));
            assert!(out.error.is_none(), "{:?}", out.error);
            // The broken record is skipped, and the 100 after it read.
            assert_eq!(out.damaged.len(), usize::from(broken), "{:?}", out.damaged);
            assert_eq!(out.records.len(), if broken { 2999 } else { 3000 });
        }
    }
}

#[test]
fn shapes() {
    let cases: &[(&str, Shape, &[&str])] = &[
        ("", Shape::Empty, &[]),
        (" \n\t\r\n ", Shape::Empty, &[]),
        (
            "\u{feff}{\"Records\":[{\"a\":1},{\"b\":2}]}",
            Shape::RecordsObject,
            &[r#"{"a":1}"#, r#"{"b":2}"#],
        ),
        (r#"{"Records":[]}"#, Shape::RecordsObject, &[]),
        (
            r#" { "Records" : [ {"a":"]}\"\\"} , [1] , "s" , 7 ] , "x": {"y":[1]} } "#,
            Shape::RecordsObject,
            &[r#"{"a":"]}\"\\"}"#, "[1]", r#""s""#, "7"],
        ),
        (
            r#"{"eventVersion":"1.08","Records":[{"a":1}]}"#,
            Shape::RecordsObject,
            &[r#"{"a":1}"#],
        ),
        (
            r#"{"Records":[{"a":1}],"Records":[{"b":2}]}"#,
            Shape::RecordsObject,
            &[r#"{"a":1}"#, r#"{"b":2}"#],
        ),
        (
            "{\"Records\":[{\"a\":1}]}\n{\"Records\":[{\"b\":2}]}",
            Shape::RecordsObject,
            &[r#"{"a":1}"#, r#"{"b":2}"#],
        ),
        (
            r#"[{"a":1},{"b":{"c":[]}}]"#,
            Shape::Array,
            &[r#"{"a":1}"#, r#"{"b":{"c":[]}}"#],
        ),
        ("[]", Shape::Array, &[]),
        (
            "[{\"a\":1}]\n[{\"b\":2}]",
            Shape::Array,
            &[r#"{"a":1}"#, r#"{"b":2}"#],
        ),
        (
            r#"[{"k":"\u00e9\ud83d\ude00\"","caf\u{e9}":"\\"}]"#,
            Shape::Array,
            &[r#"{"k":"\u00e9\ud83d\ude00\"","caf\u{e9}":"\\"}"#],
        ),
        (
            "{\"a\":1}\n{\"b\":2}\n",
            Shape::Ndjson,
            &[r#"{"a":1}"#, r#"{"b":2}"#],
        ),
        (
            r#"{"a":1}{"b":"}{"}"#,
            Shape::Ndjson,
            &[r#"{"a":1}"#, r#"{"b":"}{"}"#],
        ),
        (
            "\r\n{\"eventName\":\"X\"}\r\n",
            Shape::SingleEvent,
            &[r#"{"eventName":"X"}"#],
        ),
        ("{}", Shape::SingleEvent, &["{}"]),
        (
            r#"{"x":"Records","y":{"Records":[1]}}"#,
            Shape::SingleEvent,
            &[r#"{"x":"Records","y":{"Records":[1]}}"#],
        ),
        (
            r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X"}}"#,
            Shape::SingleEvent,
            &[r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X"}}"#],
        ),
    ];
    for (input, shape, records) in cases {
        for (how, bytes, compression) in encodings(input.as_bytes()) {
            for size in [1, 2, 3, 7, 64, 128 << 10] {
                let out = read_all(&bytes, small(size));
                let label = format!("{input:?} ({how}, buffer {size})");
                assert!(out.error.is_none(), "{label}: {}", out.error.unwrap());
                assert_eq!(out.shape, Some(*shape), "{label}");
                assert_eq!(out.records, *records, "{label}");
                let want = if input.is_empty() {
                    Compression::None
                } else {
                    compression
                };
                assert_eq!(out.compression, Some(want), "{label}");
            }
        }
    }
}

#[test]
fn offsets_point_at_each_record() {
    let input = "\u{feff} {\"Records\": [ {\"a\":1},\n  {\"b\":2} ]}";
    let out = read_all(input.as_bytes(), small(2));
    for (record, offset) in out.records.iter().zip(&out.offsets) {
        let at = usize::try_from(*offset).unwrap();
        assert_eq!(&input.as_bytes()[at..at + record.len()], record.as_bytes());
    }
    assert_eq!(out.offsets, [18, 29]);
}

#[test]
fn faults() {
    let truncated_gzip = gzip(br#"[{"a":1},{"b":2}]"#);
    let truncated_gzip = &truncated_gzip[..truncated_gzip.len() - 5];
    let deep = "[".repeat(200);
    let big = format!(r#"[{{"a":1}},{{"a":"{}"}}]"#, "x".repeat(200));
    let cases: &[(&[u8], ReadErrorKind, usize, &str)] = &[
        (b"PK\x03\x04\x14\x00\x08\x00", ReadErrorKind::NotJson, 0, "not gzip or JSON (first bytes 50 4b 03 04 14 00 08 00) at byte 0: looks like a zip archive; is the bucket"),
        (b"\"just a string\"", ReadErrorKind::NotJson, 0, "a bare JSON string"),
        (br#"{"Records":null}"#, ReadErrorKind::RecordsNotArray, 0, "\"Records\" is null, not an array at byte 11"),
        (br#"{"a":1,"Records":5}"#, ReadErrorKind::RecordsNotArray, 0, "\"Records\" is a number, not an array at byte 17"),
        (br#"{"Records":[{"a":1},{"b":"#, ReadErrorKind::TruncatedJson, 1, "JSON ends early in record 1 (from byte 20) at byte 25: the object is truncated"),
        (br#"{"Records":[{"a":1}"#, ReadErrorKind::TruncatedJson, 1, "JSON ends early in the Records array"),
        (br#"{"a":1"#, ReadErrorKind::TruncatedJson, 0, "in the top-level object from byte 0"),
        (br#"[{"a":1} {"b":2}]"#, ReadErrorKind::InvalidJson, 1, "expected ',' or ']' after record 0, found '{' near"),
        (br#"[{"a":1},]"#, ReadErrorKind::InvalidJson, 1, "expected a JSON value, found ']'"),
        (br#"{"a":1} x"#, ReadErrorKind::InvalidJson, 1, "expected '{' or '[' to start the next top-level value, found a letter"),
        (br#"[{"a":[1}]"#, ReadErrorKind::InvalidJson, 0, "invalid JSON in record 0 (from byte 1): expected valid JSON, found '}'"),
        (b"[{\"a\":\x00}]", ReadErrorKind::InvalidJson, 0, "found a control byte (0x00)"),
        (deep.as_bytes(), ReadErrorKind::TooDeep, 0, "JSON nests deeper than 128 levels in record 0 (from byte 1) at byte 128"),
        (big.as_bytes(), ReadErrorKind::RecordTooLarge, 1, "a value larger than the 150-byte record limit in record 1 (from byte 9) at byte 9"),
        (truncated_gzip, ReadErrorKind::TruncatedGzip, 2, "gzip stream ends inside a member at compressed byte"),
    ];
    for (input, kind, records, message) in cases {
        for size in [1, 5, 128 << 10] {
            let options = ReadOptions {
                max_record_bytes: 150,
                ..small(size)
            };
            let out = read_all(input, options);
            let label = format!("{:?} (buffer {size})", input.escape_ascii().to_string());
            let error = out.error.unwrap_or_else(|| panic!("{label}: no error"));
            assert_eq!(error.kind, *kind, "{label}: {error}");
            assert_eq!(out.records.len(), *records, "{label}: {error}");
            assert!(
                error.to_string().contains(message),
                "{label}:\n{error}\nwant {message}"
            );
            assert!(
                error.to_string().starts_with("object test-object: "),
                "{error}"
            );
            assert!(error.decompressed_offset.is_some());
        }
    }
}

#[test]
fn invalid_json_shows_where() {
    let out = read_all(br#"[{"a":1} {"b":2}]"#, ReadOptions::default());
    let error = out.error.unwrap().to_string();
    assert!(
        error.contains(r#"near `[{\"…\":…} >>{\"…\":…}]` at byte 9"#),
        "{error}"
    );
}

#[test]
fn json_faults_in_gzip_name_the_decompressed_offset() {
    let out = read_all(&gzip(br#"[{"a":1} x]"#), small(3));
    let error = out.error.unwrap();
    assert_eq!(
        (error.compressed_offset, error.decompressed_offset),
        (None, Some(9))
    );
    assert!(
        error.to_string().contains("at decompressed byte 9:"),
        "{error}"
    );
    let out = read_all(&gzip(b"eventTime,eventName\n2024,Decrypt\n"), small(3));
    let error = out.error.unwrap();
    assert_eq!(error.kind, ReadErrorKind::NotJson);
    assert!(
        error.to_string().contains("gzip content is not JSON"),
        "{error}"
    );
    assert!(error.to_string().contains("looks like text/CSV"), "{error}");
}

#[test]
fn a_failing_source_is_retryable() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("connection reset"))
        }
    }
    let mut reader = RecordReader::new("s3://b/k", Failing, ReadOptions::default());
    let error = reader.next_record().unwrap_err();
    assert!(error.is_retryable());
    assert_eq!(error.to_string(), "object s3://b/k: reading failed after 0 bytes (connection reset) at byte 0: the source failed, not the data; retry; 0 record(s) before it were read");
}

#[test]
fn dropping_a_pipelined_reader_early_stops_its_thread() {
    let records = vec![r#"{"a":1}"#; 100_000].join(",");
    let input = gzip(format!("[{records}]").as_bytes());
    let first = std::thread::scope(|scope| {
        let mut reader = RecordReader::pipelined(scope, "o", &input[..], small(64));
        reader.next_record().unwrap().map(|r| r.json.to_vec())
    });
    assert_eq!(first.as_deref(), Some(&br#"{"a":1}"#[..]));
}
