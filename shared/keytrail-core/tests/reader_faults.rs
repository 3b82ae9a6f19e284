//! The reader against hostile and broken objects: every fault ends in a `ReadError` that names
//! the object and the offsets, records before the fault are delivered (and after it, when the
//! damage is inside the records), memory stays bounded, and nothing panics or overflows the
//! stack.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::io::{self, Read, Write};

use keytrail_core::read::{
    Compression, ReadError, ReadErrorKind, ReadOptions, RecordReader, Shape,
};
use keytrail_core::record::{self, Event};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// gzip of `prefix` followed by `mib` MiB of `fill`, built without holding the plain bytes.
fn gzip_padded(prefix: &[u8], fill: u8, mib: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(prefix).unwrap();
    let chunk = vec![fill; 1 << 20];
    for _ in 0..mib {
        e.write_all(&chunk).unwrap();
    }
    e.finish().unwrap()
}

/// Reads everything: the records (copied) and the error that ended the object, if any (errors
/// the reader recovered from are dropped: see [`read_recovering`]).
fn read_all<R: Read>(
    input: R,
    options: ReadOptions,
) -> (Vec<Vec<u8>>, Option<ReadError>, RecordReader<R>) {
    let (records, _, error, reader) = read_recovering(input, options);
    (records, error, reader)
}

/// Reads everything: the records (copied), the errors the reader recovered from, and the error
/// that ended the object, if any.
fn read_recovering<R: Read>(
    input: R,
    options: ReadOptions,
) -> (
    Vec<Vec<u8>>,
    Vec<ReadError>,
    Option<ReadError>,
    RecordReader<R>,
) {
    let mut reader = RecordReader::new("s3://trail-bucket/AWSLogs/o.json.gz", input, options);
    let mut records = Vec::new();
    let mut damaged = Vec::new();
    let error = loop {
        match reader.next_record() {
            Ok(Some(r)) => records.push(r.json.to_vec()),
            Ok(None) => break None,
            Err(e) if e.is_recovered() => damaged.push(e),
            Err(e) => break Some(e),
        }
    };
    assert!(
        matches!(reader.next_record(), Ok(None)),
        "nothing after the end or an error"
    );
    (records, damaged, error, reader)
}

/// A CloudTrail-like log file with `n` records.
fn log_file(n: usize) -> Vec<u8> {
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"eventVersion":"1.08","eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventID":"id-{i}","requestParameters":{{"encryptionContext":{{"aws:acm:arn":"arn:aws:acm:us-east-1:1:certificate/{i}"}}}}}}"#
            )
        })
        .collect();
    format!("{{\"Records\":[{}]}}", records.join(",")).into_bytes()
}

#[test]
fn truncated_gzip_delivers_the_records_before_the_cut() {
    let whole = gzip(&log_file(5000));
    let cut = &whole[..whole.len() / 2];
    let (records, error, reader) = read_all(cut, ReadOptions::default());
    let error = error.expect("a truncated object is an error");
    assert_eq!(error.kind, ReadErrorKind::TruncatedGzip, "{error}");
    assert!(
        records.len() > 100 && records.len() < 5000,
        "{} records",
        records.len()
    );
    for r in &records {
        assert_eq!(
            record::peek(r).unwrap().event_name.as_deref(),
            Some("Decrypt")
        );
    }
    let compressed = error.compressed_offset.unwrap();
    assert!(
        compressed > 0 && compressed <= cut.len() as u64,
        "{compressed} of {}",
        cut.len()
    );
    assert_eq!(error.decompressed_offset, Some(reader.decompressed_bytes()));
    let message = error.to_string();
    assert!(message.starts_with("object s3://trail-bucket/AWSLogs/o.json.gz: gzip stream ends inside a member at compressed byte "), "{message}");
    assert!(message.contains("the object is truncated"), "{message}");
}

#[test]
fn gzip_bomb_stops_at_the_cap_with_little_memory() {
    // 200 MB of whitespace inside a Records array: valid JSON all the way, so only the cap stops it.
    let bomb = gzip_padded(b"{\"Records\":[", b' ', 200);
    assert!(bomb.len() < 1 << 20, "compressed {} bytes", bomb.len());
    let options = ReadOptions {
        max_decompressed_bytes: 8 << 20,
        ..ReadOptions::default()
    };
    let (records, error, reader) = read_all(&bomb[..], options);
    let error = error.unwrap();
    assert!(records.is_empty());
    assert_eq!(error.kind, ReadErrorKind::DecompressionBomb, "{error}");
    assert_eq!(error.decompressed_offset, Some(8 << 20));
    assert!(
        reader.buffer_capacity() <= 512 << 10,
        "buffer grew to {}",
        reader.buffer_capacity()
    );
    let message = error.to_string();
    assert!(
        message.contains("decompresses to more than the 8388608-byte limit"),
        "{message}"
    );
    assert!(
        message.contains("raise the limit with --max-decompressed-bytes or MAX_DECOMPRESSED_BYTES"),
        "{message}"
    );

    // 200 MB of zeros: not JSON, recognised from the first bytes without inflating the rest.
    let zeros = gzip_padded(b"", 0, 200);
    let (_, error, reader) = read_all(&zeros[..], ReadOptions::default());
    assert_eq!(error.unwrap().kind, ReadErrorKind::NotJson);
    assert!(
        reader.decompressed_bytes() <= 1 << 20,
        "{}",
        reader.decompressed_bytes()
    );
}

#[test]
fn nesting_bomb_is_an_error_not_a_stack_overflow() {
    let cases = [
        vec![b'['; 1_000_000],
        b"{\"a\":".repeat(200_000),
        [b"{\"Records\":[".as_slice(), &vec![b'['; 1_000_000]].concat(),
    ];
    for bomb in cases {
        for input in [bomb.clone(), gzip(&bomb)] {
            let (_, error, _) = read_all(&input[..], ReadOptions::default());
            let error = error.unwrap();
            assert_eq!(error.kind, ReadErrorKind::TooDeep, "{error}");
            assert!(
                error.to_string().contains("nests deeper than 128 levels"),
                "{error}"
            );
        }
    }
}

#[test]
fn bytes_that_are_not_json_are_described() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let cases: &[(&[u8], &str)] = &[
        (b"PK\x03\x04\x14\x00\x08\x00\x08\x00", "not gzip or JSON (first bytes 50 4b 03 04 14 00 08 00) at byte 0: looks like a zip archive; is the bucket notification filtered to CloudTrail keys?"),
        (&binary, "not gzip or JSON (first bytes 00 01 02 03 04 05 06 07) at byte 0: looks like binary data"),
        (b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>", "looks like XML or HTML"),
        (b"\xef\xbb\xbfeventTime,eventName\n", "looks like text/CSV"),
    ];
    for (input, want) in cases {
        let (records, error, reader) = read_all(*input, ReadOptions::default());
        let error = error.unwrap();
        assert!(records.is_empty());
        assert_eq!(error.kind, ReadErrorKind::NotJson);
        assert!(!error.is_retryable());
        assert!(error.to_string().contains(want), "{error}\nwant {want}");
        assert_eq!(reader.compression(), Some(Compression::None));
    }
}

#[test]
fn empty_objects_are_empty_not_errors() {
    for input in [
        Vec::new(),
        b" \n\r\n\t".to_vec(),
        b"\xef\xbb\xbf\n".to_vec(),
        gzip(b""),
        gzip(b"\n"),
    ] {
        let (records, error, reader) = read_all(&input[..], ReadOptions::default());
        assert!(
            records.is_empty() && error.is_none(),
            "{input:?}: {error:?}"
        );
        assert_eq!(reader.shape(), Some(Shape::Empty));
        assert_eq!(reader.compressed_bytes(), input.len() as u64);
    }
}

/// Invalid UTF-8 passes through the reader untouched; `Event::parse` rejects the record, and so
/// does `peek` when the bad bytes are in a field it reads. The other records are unaffected.
#[test]
fn invalid_utf8_in_a_string_is_passed_through_and_rejected_at_parse() {
    let input = b"{\"Records\":[{\"eventName\":\"A\xff\"},{\"eventName\":\"B\",\"x\":\"\xc3\x28\"},{\"eventName\":\"C\"}]}";
    let (records, error, _) = read_all(&input[..], ReadOptions::default());
    assert!(error.is_none());
    assert_eq!(records.len(), 3);
    assert_eq!(
        records[0], b"{\"eventName\":\"A\xff\"}",
        "bytes are passed through, not replaced"
    );
    assert!(record::peek(&records[0]).is_err());
    assert_eq!(
        record::peek(&records[1]).unwrap().event_name.as_deref(),
        Some("B")
    );
    let e = Event::parse(&records[1]).unwrap_err().to_string();
    assert_eq!(
        e,
        "invalid JSON: invalid unicode code point at line 1 column 23"
    );
    assert_eq!(Event::parse(&records[2]).unwrap().event_name(), Some("C"));
}

#[test]
fn records_that_is_not_an_array_is_an_error() {
    let cases: &[(&str, &str)] = &[
        (r#"{"Records":null}"#, "object s3://trail-bucket/AWSLogs/o.json.gz: \"Records\" is null, not an array at decompressed byte 11: a CloudTrail log file holds its events in a \"Records\" array; 0 record(s) before it were read"),
        (r#"{"Records":{"eventName":"X"}}"#, "\"Records\" is an object, not an array"),
        (r#"{"eventVersion":"1.08","Records":"x"}"#, "\"Records\" is a string, not an array at decompressed byte 33"),
    ];
    for (input, want) in cases {
        let (_, error, _) = read_all(&gzip(input.as_bytes())[..], ReadOptions::default());
        let error = error.unwrap();
        assert_eq!(error.kind, ReadErrorKind::RecordsNotArray);
        assert!(error.to_string().contains(want), "{error}\nwant {want}");
    }
}

#[test]
fn duplicate_keys_resolve_like_the_full_parse() {
    let input = br#"{"Records":[{"eventName":"A","eventName":"B"}],"Records":[{"eventName":"C"}]}"#;
    let (records, error, _) = read_all(&input[..], ReadOptions::default());
    assert!(error.is_none());
    // Both Records arrays are read: nothing is silently dropped.
    assert_eq!(records.len(), 2);
    assert_eq!(
        record::peek(&records[0]).unwrap().event_name.as_deref(),
        Some("B")
    );
    assert_eq!(Event::parse(&records[0]).unwrap().event_name(), Some("B"));
}

#[test]
fn memory_is_bounded_by_the_largest_record_not_the_object() {
    let big = gzip(&log_file(100_000));
    let (records, error, reader) = read_all(&big[..], ReadOptions::default());
    assert!(error.is_none());
    assert_eq!(records.len(), 100_000);
    assert!(reader.decompressed_bytes() > 15 << 20);
    assert!(
        reader.buffer_capacity() <= 512 << 10,
        "buffer grew to {}",
        reader.buffer_capacity()
    );

    let huge_record = format!(
        r#"[{{"eventName":"X"}},{{"blob":"{}"}}]"#,
        "x".repeat(3 << 20)
    );
    let options = ReadOptions {
        max_record_bytes: 1 << 20,
        ..ReadOptions::default()
    };
    let (records, error, reader) = read_all(huge_record.as_bytes(), options);
    let error = error.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(error.kind, ReadErrorKind::RecordTooLarge);
    assert_eq!(error.to_string(), "object s3://trail-bucket/AWSLogs/o.json.gz: a value larger than the 1048576-byte record limit in record 1 (from byte 19) at byte 19: CloudTrail records are far smaller: if this one is legitimate, raise the limit with --max-record-bytes or MAX_RECORD_BYTES");
    assert!(
        reader.buffer_capacity() <= 2 << 20,
        "buffer grew to {}",
        reader.buffer_capacity()
    );
}

/// A source that returns one byte at a time and is interrupted between bytes.
struct Stuttering<'a> {
    data: &'a [u8],
    interrupt: bool,
}

impl Read for Stuttering<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = self.data.len().min(buf.len()).min(1);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn short_and_interrupted_reads_change_nothing() {
    let plain = log_file(20);
    for input in [plain.clone(), gzip(&plain)] {
        let (records, error, _) = read_all(
            Stuttering {
                data: &input,
                interrupt: false,
            },
            ReadOptions::default(),
        );
        assert!(error.is_none(), "{error:?}");
        assert_eq!(records.len(), 20);
    }
}

/// Every prefix and every single-byte corruption of a small object: never a panic, and every
/// record delivered is a whole value.
#[test]
fn no_input_panics() {
    let plain =
        br#"{"Records":[{"eventName":"A","x":["]","\"",{"y":"\\"}]},[1,2],{"eventName":"B"}]}"#;
    for source in [plain.to_vec(), gzip(plain)] {
        for cut in 0..source.len() {
            let (records, error, _) = read_all(
                &source[..cut],
                ReadOptions {
                    buffer_bytes: 3,
                    ..ReadOptions::default()
                },
            );
            assert!(
                cut == 0 || error.is_some(),
                "prefix of {cut} bytes read cleanly"
            );
            assert!(records.len() <= 3);
        }
        for at in 0..source.len() {
            for flip in [0x01, 0x20, 0x80, 0xff] {
                let mut bad = source.clone();
                bad[at] ^= flip;
                let _ = read_all(
                    &bad[..],
                    ReadOptions {
                        buffer_bytes: 5,
                        max_depth: 4,
                        ..ReadOptions::default()
                    },
                );
            }
        }
    }
}

/// A real public sample (AWS's KMS documentation: a RunInstances call and the three KMS calls it
/// made, four records) with the commas between its first three records lost: every record still
/// comes out, byte for byte, and each missing comma is one damaged span, empty, where the next
/// record starts. The reader used to stop at the first and deliver 1 record.
#[test]
fn a_real_sample_with_two_missing_commas_yields_every_record() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/awsdocs/kms/ct-ec2two__00__ec2__RunInstances.json"
    );
    let intact = std::fs::read(path).unwrap();
    let mut reader = RecordReader::new("intact", &intact[..], ReadOptions::default());
    let mut spans = Vec::new();
    while let Some(r) = reader.next_record().unwrap() {
        spans.push((r.offset as usize, r.json.len()));
    }
    assert_eq!(spans.len(), 4);
    // Drop the comma after records 0 and 1 (back to front, so the offsets before stay right).
    let mut damaged = intact.clone();
    for &(at, len) in spans[..2].iter().rev() {
        let comma = at + len + damaged[at + len..].iter().position(|&b| b == b',').unwrap();
        damaged.remove(comma);
    }
    let want: Vec<Vec<u8>> = spans
        .iter()
        .map(|&(at, len)| intact[at..at + len].to_vec())
        .collect();
    // Records 1 and 2 now start one and two bytes earlier; nothing is skipped before them.
    let skipped = vec![
        Some(spans[1].0 as u64 - 1..spans[1].0 as u64 - 1),
        Some(spans[2].0 as u64 - 2..spans[2].0 as u64 - 2),
    ];
    for input in [damaged.clone(), gzip(&damaged)] {
        let (records, recovered, error, _) = read_recovering(&input[..], ReadOptions::default());
        assert!(error.is_none(), "{error:?}");
        assert_eq!(records, want);
        let got: Vec<_> = recovered.iter().map(|e| e.skipped.clone()).collect();
        assert_eq!(got, skipped);
        for e in &recovered {
            assert_eq!(e.kind, ReadErrorKind::InvalidJson);
            let text = e.to_string();
            assert!(
                text.contains("expected ',' or ']' after record")
                    && text.contains("nothing was skipped (a separator is missing)"),
                "{text}"
            );
        }
    }
}
