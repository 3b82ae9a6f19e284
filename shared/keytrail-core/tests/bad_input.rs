//! Every bad input in README.md's "Bad input" table, one row per case, through the one scan path
//! every caller takes ([`scan_object`] with the built-in rules): the fault kind, the exact text
//! the user sees (`keytrail scan` prints each problem after `keytrail: `; the Lambda logs it and
//! puts it in the integrity alert), whether an integrity alert is raised (the Lambda raises one
//! when the object has problems and the fault is not retryable, see
//! `functions/trail-processor/src/process.rs`; here rebuilt with [`Alert::integrity`]) and how many
//! alerts the good records before the fault raised.
//!
//! Each case's good records are ExportCertificate calls (one alert each from the built-in pack);
//! the README table is this table. `reader_faults.rs` tests the same faults at the reader level
//! (offsets, memory, short reads).
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)]

use std::io::Write;

use keytrail_core::read::{ReadErrorKind, ReadOptions};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object, ScanOptions};
use keytrail_core::Alert;

const OBJECT: &str = "s3://trail-bucket/AWSLogs/bad.json.gz";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An ExportCertificate call: one alert from the built-in pack.
fn export(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventSource":"acm.amazonaws.com","eventName":"ExportCertificate","eventID":"bad-input-{i}","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/Alice"}},"requestParameters":{{"certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/c{i}"}},"recipientAccountId":"123456789012"}}"#
    )
}

/// A record no rule matches.
fn filler(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"f-{i}","requestParameters":{{"key":"k{i}"}}}}"#
    )
}

/// `{"Records":[` + the records + `]}`.
fn trail(records: &[String]) -> Vec<u8> {
    format!("{{\"Records\":[{}]}}", records.join(",")).into_bytes()
}

/// Two exports then `n` fillers.
fn two_exports_then(n: usize) -> Vec<String> {
    let mut r = vec![export(0), export(1)];
    r.extend((0..n).map(filler));
    r
}

struct Case {
    /// The README row.
    name: &'static str,
    input: Vec<u8>,
    options: ScanOptions,
    /// The fault that stopped reading, if any.
    kind: Option<ReadErrorKind>,
    /// Every problem, joined with "; " (what the integrity alert carries), exactly: the case's
    /// [`PROBLEMS`] entry.
    problems: &'static str,
    /// Alerts raised by the good records.
    alerts: u64,
}

fn case(name: &'static str, input: Vec<u8>, kind: Option<ReadErrorKind>, alerts: u64) -> Case {
    Case {
        name,
        input,
        options: ScanOptions::default(),
        kind,
        problems: problems(name),
        alerts,
    }
}

fn cases() -> Vec<Case> {
    use ReadErrorKind as K;
    let whole = gzip(&trail(&two_exports_then(3000)));
    let truncated = whole[..whole.len() / 2].to_vec();
    let mut corrupt = whole.clone();
    let mid = corrupt.len() / 2;
    for b in &mut corrupt[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let bomb = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(format!("{{\"Records\":[{},{},", export(0), export(1)).as_bytes())
            .unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..64 {
            e.write_all(&chunk).unwrap();
        }
        e.finish().unwrap()
    };
    let nesting = [
        format!("{{\"Records\":[{},{},", export(0), export(1)).into_bytes(),
        b"{\"a\":".repeat(100_000),
    ]
    .concat();
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let huge_field = trail(&[export(0).replace(
        r#""eventVersion":"1.08""#,
        &format!(
            r#""eventVersion":"1.08","userAgent":"{}""#,
            "A".repeat(1 << 20)
        ),
    )]);
    let huge_record = {
        let mut r = two_exports_then(0);
        r.push(format!(
            r#"{{"eventSource":"s3.amazonaws.com","eventName":"PutObject","x":"{}"}}"#,
            "x".repeat(17 << 20)
        ));
        r.push(export(2));
        trail(&r)
    };
    let bad_utf8 = {
        let mut t = trail(&[export(0), export(1), export(2)]);
        let marker = b"certificate/c2";
        let at = t.windows(marker.len()).position(|w| w == marker).unwrap();
        t.insert(at + marker.len(), 0xff);
        t
    };
    let duplicate_keys = trail(&[export(0).replace(
        r#""eventName":"ExportCertificate""#,
        r#""eventName":"ListCertificates","eventName":"ExportCertificate""#,
    )]);
    let plain = trail(&two_exports_then(3));
    let truncated_json = plain[..plain.len() - 40].to_vec();
    let mut garbage_tail = trail(&two_exports_then(0));
    garbage_tail.extend_from_slice(b"\n<html>oops</html>");
    let mut gzip_garbage_member = gzip(&trail(&two_exports_then(0)));
    gzip_garbage_member.extend_from_slice(b"\x1f\x8b\x08\x00garbage after the first member");
    let not_objects = trail(&[export(0), "42".to_owned(), "\"x\"".to_owned(), export(1)]);
    let stray = export(1).replacen(r#""eventVersion":"1.08","#, r#""eventVersion":"1.08"@,"#, 1);
    let damaged_record = trail(&[export(0), stray, export(2)]);
    let missing_comma = String::from_utf8(trail(&[export(0), export(1)]))
        .unwrap()
        .replacen("},{", "}\n{", 1)
        .into_bytes();
    let plain_cap = ScanOptions {
        read: ReadOptions {
            max_decompressed_bytes: 64 << 10,
            ..ReadOptions::default()
        },
        ..ScanOptions::default()
    };
    let bomb_options = ScanOptions {
        read: ReadOptions {
            max_decompressed_bytes: 8 << 20,
            ..ReadOptions::default()
        },
        ..ScanOptions::default()
    };
    let cases = vec![
        case("truncated gzip", truncated, Some(K::TruncatedGzip), 2),
        case("corrupt gzip", corrupt, Some(K::CorruptGzip), 2),
        Case {
            options: bomb_options,
            ..case("gzip bomb", bomb, Some(K::DecompressionBomb), 2)
        },
        case("nesting bomb", nesting, Some(K::TooDeep), 2),
        case(
            "non-JSON text",
            b"2026-06-10T20:30:00Z INFO started\n".to_vec(),
            Some(K::NotJson),
            0,
        ),
        case("binary", binary, Some(K::NotJson), 0),
        case(
            "zip archive",
            b"PK\x03\x04\x14\x00\x08\x00\x08\x00".to_vec(),
            Some(K::NotJson),
            0,
        ),
        case("0 bytes", Vec::new(), None, 0),
        case("huge field", huge_field, None, 1),
        case("huge record", huge_record, None, 3),
        case(
            "wrong envelope",
            format!("{{\"records\":[{}]}}", export(0)).into_bytes(),
            None,
            0,
        ),
        case(
            "EventBridge envelope, not CloudTrail",
            br#"{"version":"0","detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"}}}"#.to_vec(),
            None,
            0,
        ),
        case("invalid UTF-8", bad_utf8, None, 2),
        case("duplicate keys", duplicate_keys, None, 1),
        case(
            "Records not an array",
            format!("{{\"Records\":{}}}", export(0)).into_bytes(),
            Some(K::RecordsNotArray),
            0,
        ),
        case("truncated JSON", truncated_json, Some(K::TruncatedJson), 2),
        case("garbage after the JSON", garbage_tail, Some(K::InvalidJson), 2),
        case(
            "garbage gzip member",
            gzip_garbage_member,
            Some(K::CorruptGzip),
            2,
        ),
        case("records that are not objects", not_objects, None, 2),
        case("damaged record", damaged_record, None, 2),
        case("missing comma", missing_comma, None, 2),
        Case {
            options: plain_cap,
            ..case(
                "plain object over the size cap",
                trail(&two_exports_then(3000)),
                Some(K::DecompressionBomb),
                2,
            )
        },
        case("top-level scalar", b"42".to_vec(), Some(K::NotJson), 0),
    ];
    assert_eq!(cases.len(), PROBLEMS.len(), "one PROBLEMS entry per case");
    cases
}

fn problems(name: &str) -> &'static str {
    PROBLEMS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("(no PROBLEMS entry)", |(_, p)| *p)
}

/// The exact problems text of each case (what `keytrail scan` prints, one problem a line after
/// `keytrail: `, and what the integrity alert carries, joined with "; ").
const PROBLEMS: &[(&str, &str)] = &[
    (
        "truncated gzip",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: gzip stream ends inside a member at compressed byte 12271 (decompressed byte 199757): the object is truncated (an interrupted upload or copy?); fetch or upload it again; 1481 record(s) before it were read"##,
    ),
    (
        "corrupt gzip",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: corrupt gzip (corrupt deflate stream) at compressed byte 12297 (decompressed byte 131072): the object is damaged or is not gzip past this point (data appended after the last member?); fetch or upload it again; 976 record(s) before it were read"##,
    ),
    (
        "gzip bomb",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: gzip stream decompresses to more than the 8388608-byte limit at compressed byte 8429 (decompressed byte 8388608): possible decompression bomb (CloudTrail objects are far smaller); if the object is legitimate, raise the limit with --max-decompressed-bytes or MAX_DECOMPRESSED_BYTES; 2 record(s) before it were read"##,
    ),
    (
        "nesting bomb",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: JSON nests deeper than 128 levels in record 2 (from byte 700) at byte 1330: refusing what looks like a nesting bomb; CloudTrail records nest far less"##,
    ),
    (
        "non-JSON text",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: not gzip or JSON (first bytes 32 30 32 36 2d 30 36 2d) at byte 0: looks like text (an access log or other text log?); is the bucket notification filtered to CloudTrail keys?"##,
    ),
    (
        "binary",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: not gzip or JSON (first bytes 00 01 02 03 04 05 06 07) at byte 0: looks like binary data; is the bucket notification filtered to CloudTrail keys?"##,
    ),
    (
        "zip archive",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: not gzip or JSON (first bytes 50 4b 03 04 14 00 08 00) at byte 0: looks like a zip archive; is the bucket notification filtered to CloudTrail keys?"##,
    ),
    ("0 bytes", r##""##),
    ("huge field", r##""##),
    (
        "huge record",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: a value larger than the 16777216-byte record limit in record 2 (from byte 700) at byte 700: CloudTrail records are far smaller: if this one is legitimate, raise the limit with --max-record-bytes or MAX_RECORD_BYTES; bytes 700..17826558 were skipped and reading resumed at the next record; records in skipped bytes are not classified (check the object with CloudTrail log file validation, and fetch it again)"##,
    ),
    (
        "wrong envelope",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: 1 of 1 record(s) are not CloudTrail events (no eventSource or eventName), the first is record 0 with keys "records": this is not a CloudTrail log; is the right file or bucket prefix given?"##,
    ),
    (
        "EventBridge envelope, not CloudTrail",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: 1 of 1 record(s) are not CloudTrail events (no eventSource or eventName), the first is record 0 with keys "version", "detail-type", "source", "detail" (an EventBridge event that is not from CloudTrail): this is not a CloudTrail log; is the right file or bucket prefix given?"##,
    ),
    (
        "invalid UTF-8",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: 1 record(s) are not valid JSON objects, the first is record 2: invalid JSON: invalid unicode code point at line 1 column 305; the other records were classified"##,
    ),
    ("duplicate keys", r##""##),
    (
        "Records not an array",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: "Records" is an object, not an array at byte 11: a CloudTrail log file holds its events in a "Records" array; 0 record(s) before it were read"##,
    ),
    (
        "truncated JSON",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: JSON ends early in record 4 (from byte 960) inside a string value, after 0 bytes of the value, at byte 1051: the object is truncated (an interrupted upload or write?); 4 record(s) before it were read; fetch or upload it again"##,
    ),
    (
        "garbage after the JSON",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: invalid JSON: expected '{' or '[' to start the next top-level value, found a symbol near `…\":\"…\"}]}\n>>…` at byte 702: the object is not well-formed JSON; 2 record(s) before it were read"##,
    ),
    (
        "garbage gzip member",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: corrupt gzip (corrupt deflate stream) at compressed byte 316 (decompressed byte 701): the object is damaged or is not gzip past this point (data appended after the last member?); fetch or upload it again; 2 record(s) before it were read"##,
    ),
    (
        "records that are not objects",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: 2 record(s) are not valid JSON objects, the first is record 1: record is a JSON number, not an object; the other records were classified"##,
    ),
    (
        "damaged record",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: invalid JSON in record 1 (from byte 356): expected valid JSON, found a symbol near `},{\"…\":\"…\">>…,\"…\":\"…` at byte 378: damaged JSON; bytes 356..701 were skipped and reading resumed at the next record; records in skipped bytes are not classified (check the object with CloudTrail log file validation, and fetch it again)"##,
    ),
    (
        "missing comma",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: invalid JSON in the Records array: expected ',' or ']' after record 0, found '{' near `…\":\"…\"}\n>>{\"…\":\"…\",\"` at byte 356: damaged JSON; nothing was skipped (a separator is missing) and reading resumed at the next record; records in skipped bytes are not classified (check the object with CloudTrail log file validation, and fetch it again)"##,
    ),
    (
        "plain object over the size cap",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: object is larger than the 65536-byte limit at byte 65536: CloudTrail objects are far smaller; if the object is legitimate, raise the limit with --max-decompressed-bytes or MAX_DECOMPRESSED_BYTES; 487 record(s) before it were read"##,
    ),
    (
        "top-level scalar",
        r##"object s3://trail-bucket/AWSLogs/bad.json.gz: not gzip or JSON (first bytes 34 32) at byte 0: looks like text (an access log or other text log?); is the bucket notification filtered to CloudTrail keys?"##,
    ),
];

#[test]
fn every_bad_input_row() {
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let mut failures = Vec::new();
    for c in cases() {
        let mut alerts = Vec::new();
        let report = scan_object(OBJECT, c.input.as_slice(), &rules, &c.options, &mut |a| {
            alerts.push(a)
        });
        let kind = report.fault.as_ref().map(|f| f.kind);
        let problems = report.problems().join("; ");
        // The Lambda's rule: problems and no retryable fault make an integrity alert.
        let retryable = report.fault.as_ref().is_some_and(|f| f.is_retryable());
        let integrity =
            (!problems.is_empty() && !retryable).then(|| Alert::integrity(OBJECT, &problems));
        println!(
            "| {} | {:?} | {} | {} | {} records read, {} alerts |",
            c.name,
            kind,
            problems,
            integrity.is_some(),
            report.records,
            report.alerts
        );
        let mut wrong = Vec::new();
        if kind != c.kind {
            wrong.push(format!("kind {kind:?}, want {:?}", c.kind));
        }
        if problems != c.problems {
            wrong.push(format!("problems {problems:?}, want {:?}", c.problems));
        }
        if report.alerts != c.alerts || alerts.len() as u64 != c.alerts {
            wrong.push(format!("{} alerts, want {}", report.alerts, c.alerts));
        }
        if alerts
            .iter()
            .any(|a| a.event_name.as_deref() != Some("ExportCertificate"))
        {
            wrong.push("an alert not from a good record".to_owned());
        }
        if c.name == "huge field"
            && alerts.iter().any(|a| {
                a.user_agent.as_ref().is_none_or(|ua| {
                    ua.len() > keytrail_core::alert::MAX_FIELD_BYTES + 32 || !ua.contains("…[cut ")
                })
            })
        {
            wrong.push("the 1 MiB user agent is not cut to 2 KiB".to_owned());
        }
        if let Some(alert) = &integrity {
            if !alert.description.contains(&problems) || alert.resources != [OBJECT] {
                wrong.push(format!("integrity alert {alert:?}"));
            }
        }
        if c.problems.is_empty() != integrity.is_none() {
            wrong.push(format!("integrity alert {}", integrity.is_some()));
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", c.name, wrong.join(", ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A fault's message shows the JSON around the fault, and that message goes to the log line and
/// into the integrity alert (SNS, email, Slack): when the fault sits next to a secret, the secret
/// must not go with it. A key's tail right before the fault; a symbol-heavy passphrase before a
/// stray byte between records, before one inside its record, and in a stream whose last value is
/// damaged. The reader used to mask only runs of four or more word-like bytes, which let the
/// passphrase through whole.
#[test]
fn fault_message_never_quotes_a_string_value() {
    let key = "MIIEvQIBADANBgSecretKeyTailXyZ0123456789";
    let passphrase = "p@$$:#!{w0rd}?;%^&*";
    let record = |secret: &str| {
        format!(
            r#"{{"eventSource":"acm.amazonaws.com","eventName":"ExportCertificate","requestParameters":{{"passphrase":"{secret}"}}}}"#
        )
    };
    let exported = record(passphrase);
    let cases = [
        (
            format!(
                r#"{{"Records":[{{"eventSource":"acm.amazonaws.com","eventName":"ExportCertificate","responseElements":{{"privateKey":"{key}"}}}} {{"b":2}}]}}"#
            ),
            key,
        ),
        (format!(r#"{{"Records":[{exported} x]}}"#), passphrase),
        (
            format!(
                r#"{{"Records":[{}]}}"#,
                exported.replace(&format!("{passphrase}\""), &format!("{passphrase}\"@"))
            ),
            passphrase,
        ),
        (format!("{exported}\n{exported}#"), passphrase),
    ];
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    for (input, secret) in cases {
        let report = scan_object(
            OBJECT,
            input.as_bytes(),
            &rules,
            &ScanOptions::default(),
            &mut |_| {},
        );
        assert_eq!(
            report.fault.as_ref().map(|f| f.kind),
            Some(ReadErrorKind::InvalidJson),
            "{input}"
        );
        let problems = report.problems().join("; ");
        let integrity = Alert::integrity(OBJECT, &problems);
        for text in [&problems, &integrity.description] {
            for window in secret.as_bytes().windows(4) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(!text.contains(window), "{window:?} quoted: {text}");
            }
        }
    }
}
