//! The hash the scan takes of a log object's uncompressed content for log file validation
//! ([`scan_object_hashing`]: the decompress thread hashes what it decompresses, or the reader
//! itself when it reads on one thread): it must be the
//! SHA-256 of the whole uncompressed content, `sha256(gunzip(object))`, however the scan ends,
//! and hashing must change nothing of the scan itself (records, alerts, problems).
//!
//! Each case builds its content in plain text first, so the expected hash is that of the bytes
//! gzip was given, independent of any decoder. The cases where the scan stops reading before the
//! end (not JSON, too deep) also check that it did stop early, so that they test the decompress
//! thread reading on for the hash rather than a scan that read everything anyway.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;

use keytrail_core::integrity::{ContentError, ContentHash, Sha256};
use keytrail_core::read::{ReadErrorKind, ReadOptions};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object_hashing, scan_object_keeping, ObjectReport, ScanOptions};
use keytrail_core::Alert;

const OBJECT: &str = "s3://trail-bucket/AWSLogs/hash.json.gz";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Record `i`: an ExportCertificate call (one alert from the built-in pack) when `alerts`, else
/// a GetObject call no rule matches.
fn record(i: usize, alerts: bool) -> String {
    let (source, name, parameters) = if alerts {
        (
            "acm",
            "ExportCertificate",
            format!(r#""certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/c{i}""#),
        )
    } else {
        ("s3", "GetObject", format!(r#""key":"k{i}""#))
    };
    format!(
        r#"{{"eventVersion":"1.08","eventSource":"{source}.amazonaws.com","eventName":"{name}","eventID":"hash-{i}","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/Alice"}},"requestParameters":{{{parameters}}},"recipientAccountId":"123456789012"}}"#
    )
}

/// `{"Records":[` two exports, `n` fillers, two exports `]}`: several of the reader's chunks.
fn trail(n: usize) -> Vec<u8> {
    let mut records = vec![record(0, true), record(1, true)];
    records.extend((10..n + 10).map(|i| record(i, false)));
    records.extend([record(2, true), record(3, true)]);
    format!("{{\"Records\":[{}]}}", records.join(",")).into_bytes()
}

struct Case {
    name: &'static str,
    /// The uncompressed content.
    content: Vec<u8>,
    /// The object as stored.
    object: Vec<u8>,
    /// The fault that ends the scan, if any.
    fault: Option<ReadErrorKind>,
    /// True when the scan stops reading before the end of the content.
    stops_early: bool,
    /// Alerts from the records read.
    alerts: usize,
}

fn case(name: &'static str, content: Vec<u8>, object: Vec<u8>, alerts: usize) -> Case {
    Case {
        name,
        content,
        object,
        fault: None,
        stops_early: false,
        alerts,
    }
}

fn cases() -> Vec<Case> {
    let whole = trail(3000);
    let cut = whole.len() / 2 + 7;
    let members = [gzip(&whole[..cut]), gzip(&whole[cut..])].concat();
    // A stray byte inside the second record: the reader skips that record and reads on.
    let damaged = String::from_utf8(trail(3000))
        .unwrap()
        .replacen(r#""eventID":"hash-1","#, r#""eventID":"hash-1"@,"#, 1)
        .into_bytes();
    // 4.7 MB: after a JSON fault in gzip content the reader reads on 1 MiB for a gzip fault
    // (`GZIP_FAULT_LOOKAHEAD`), and the decompress thread runs a few chunks ahead of it.
    let not_json = b"2026-06-10T20:30:00Z INFO started a long application log\n".repeat(80_000);
    // Nesting past the depth limit after two records, then much more content.
    let deep = [
        format!("{{\"Records\":[{},{},", record(0, true), record(1, true)).into_bytes(),
        b"{\"a\":".repeat(200_000),
    ]
    .concat();
    // A stray byte after the Records array, then much more: the top-level object's own
    // members are not records, so the scan cannot skip the damage and ends there.
    let garbage = {
        let records = trail(3000);
        let open = &records[..records.len() - 1];
        [open, b",@\"text\":\"", &not_json, b"\"}"].concat()
    };
    vec![
        case("one gzip member", whole.clone(), gzip(&whole), 4),
        case("two gzip members", whole.clone(), members, 4),
        case("plain JSON", whole.clone(), whole.clone(), 4),
        case("damaged record", damaged.clone(), gzip(&damaged), 3),
        Case {
            fault: Some(ReadErrorKind::NotJson),
            stops_early: true,
            ..case("not JSON", not_json.clone(), gzip(&not_json), 0)
        },
        Case {
            fault: Some(ReadErrorKind::NotJson),
            stops_early: true,
            ..case("not JSON, plain", not_json.clone(), not_json.clone(), 0)
        },
        Case {
            fault: Some(ReadErrorKind::TooDeep),
            ..case("nesting past the limit", deep.clone(), gzip(&deep), 2)
        },
        Case {
            fault: Some(ReadErrorKind::InvalidJson),
            stops_early: true,
            ..case(
                "garbage after the records",
                garbage.clone(),
                gzip(&garbage),
                4,
            )
        },
        case("0 bytes", Vec::new(), Vec::new(), 0),
        case("gzip of nothing", Vec::new(), gzip(b""), 0),
    ]
}

fn rules() -> RuleSet {
    RuleSet::load(&LoadOptions::default()).unwrap().set
}

/// One scan's outcome: its report, its alerts' ids, and its hash when it hashed.
struct Scanned {
    report: ObjectReport,
    alerts: Vec<String>,
    hash: Option<Result<ContentHash, ContentError>>,
}

/// The scan of `object` with hashing (at most `hash_max` bytes), checked against the same scan
/// without: hashing changes nothing of what the scan reports or alerts.
fn scan(
    name: &str,
    rules: &RuleSet,
    object: &[u8],
    options: &ScanOptions,
    hash_max: u64,
) -> Scanned {
    let run = |hashing: bool, pipelined: bool| {
        let options = &ScanOptions {
            pipelined,
            ..options.clone()
        };
        let mut alerts = Vec::new();
        let mut sink = |a: Alert| alerts.push(a.alert_id);
        let keep = &mut |_| {};
        let (report, hash) = if hashing {
            let (report, hash) =
                scan_object_hashing(OBJECT, object, rules, options, &mut sink, keep, hash_max);
            (report, Some(hash))
        } else {
            let report = scan_object_keeping(OBJECT, object, rules, options, &mut sink, keep);
            (report, None)
        };
        Scanned {
            report,
            alerts,
            hash,
        }
    };
    let hashed = run(true, true);
    same_scan(name, &hashed, &run(false, true));
    // Read on one thread (one CPU), the hash and what the scan found are the same; only how
    // far it decompressed may differ when it stops early (the thread reads whole chunks ahead).
    let serial = run(true, false);
    same_findings(name, &serial, &hashed);
    let text = |s: &Scanned| {
        let hash = s
            .hash
            .as_ref()
            .map(|h| h.as_ref().map_err(ToString::to_string));
        format!("{hash:?}")
    };
    assert_eq!(text(&serial), text(&hashed), "{name}: serial hash");
    hashed
}

/// [`same_scan`], but for the count of decompressed bytes read.
fn same_findings(name: &str, a: &Scanned, b: &Scanned) {
    let (x, y) = (&a.report, &b.report);
    let without_count = |r: &ObjectReport| {
        let text = r.to_string();
        match (text.rfind(" ("), text.rfind(" decompressed)")) {
            (Some(open), Some(close)) if open < close => {
                format!(
                    "{}{}",
                    &text[..open],
                    &text[close + " decompressed)".len()..]
                )
            }
            _ => text,
        }
    };
    assert_eq!(without_count(x), without_count(y), "{name}");
    assert_eq!(x.records, y.records, "{name}");
    assert_eq!(x.problems(), y.problems(), "{name}");
    assert_eq!(x.compression, y.compression, "{name}");
    assert_eq!(x.shape, y.shape, "{name}");
    assert_eq!(a.alerts, b.alerts, "{name}");
}

/// Hashing changed nothing of what the scan reports or alerts.
fn same_scan(name: &str, hashed: &Scanned, plain: &Scanned) {
    let (h, p) = (&hashed.report, &plain.report);
    assert_eq!(h.to_string(), p.to_string(), "{name}");
    assert_eq!(h.problems(), p.problems(), "{name}");
    assert_eq!(h.compression, p.compression, "{name}");
    assert_eq!(h.shape, p.shape, "{name}");
    assert_eq!(hashed.alerts, plain.alerts, "{name}");
}

#[test]
fn the_scan_hashes_the_whole_uncompressed_content_however_it_ends() {
    let rules = rules();
    let options = ScanOptions::default();
    for c in cases() {
        let Scanned {
            report,
            alerts,
            hash,
        } = scan(c.name, &rules, &c.object, &options, u64::MAX);
        assert_eq!(alerts.len(), c.alerts, "{}", c.name);
        assert_eq!(report.fault.as_ref().map(|f| f.kind), c.fault, "{}", c.name);
        assert_eq!(
            report.decompressed_bytes < c.content.len() as u64,
            c.stops_early,
            "{}: the scan read {} of {} bytes",
            c.name,
            report.decompressed_bytes,
            c.content.len()
        );
        let hash = hash.unwrap().unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(hash.sha256, Sha256::of(&c.content), "{}", c.name);
        assert_eq!(hash.bytes, c.content.len() as u64, "{}", c.name);
    }
}

/// A case of a hash that is refused (`error`, the start of its message) or not (`error` empty).
struct Row {
    name: &'static str,
    object: Vec<u8>,
    options: ScanOptions,
    hash_max: u64,
    error: String,
    fault: Option<ReadErrorKind>,
}

#[test]
fn hashes_past_a_cap_or_a_gzip_fault_are_refused_and_the_scan_is_unchanged() {
    let rules = rules();
    let content = trail(3000);
    let object = gzip(&content);
    let len = content.len() as u64;
    let truncated = object[..object.len() / 2].to_vec();
    let mut corrupt = object.clone();
    let mid = corrupt.len() / 2;
    for b in &mut corrupt[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let capped = |max| ScanOptions {
        read: ReadOptions {
            max_decompressed_bytes: max,
            ..ReadOptions::default()
        },
        ..ScanOptions::default()
    };
    let default = ScanOptions::default();
    let row = |name, object: &Vec<u8>, options: &ScanOptions, hash_max, error: &str, fault| Row {
        name,
        object: object.clone(),
        options: options.clone(),
        hash_max,
        error: error.to_owned(),
        fault,
    };
    let over = format!("its uncompressed content is larger than {} bytes", len - 1);
    let unread = "it could not be read or decompressed: ";
    let table = [
        row(
            "content of exactly hash_max bytes",
            &object,
            &default,
            len,
            "",
            None,
        ),
        row(
            "content over hash_max",
            &object,
            &default,
            len - 1,
            &over,
            None,
        ),
        row(
            "content over max_decompressed_bytes",
            &object,
            &capped(len - 1),
            u64::MAX,
            &over,
            Some(ReadErrorKind::DecompressionBomb),
        ),
        row(
            "truncated gzip",
            &truncated,
            &default,
            u64::MAX,
            &format!("{unread}gzip stream ends inside a member at decompressed byte "),
            Some(ReadErrorKind::TruncatedGzip),
        ),
        row(
            "corrupt gzip",
            &corrupt,
            &default,
            u64::MAX,
            &format!("{unread}corrupt gzip ("),
            Some(ReadErrorKind::CorruptGzip),
        ),
    ];
    for Row {
        name,
        object,
        options,
        hash_max,
        error,
        fault,
    } in table
    {
        let Scanned { report, hash, .. } = scan(name, &rules, &object, &options, hash_max);
        assert_eq!(report.fault.as_ref().map(|f| f.kind), fault, "{name}");
        match hash.unwrap() {
            Ok(hash) => {
                assert_eq!(error, "", "{name}: hashed");
                assert_eq!(hash.sha256, Sha256::of(&content), "{name}");
            }
            Err(e) => assert!(
                !error.is_empty() && e.to_string().starts_with(&error),
                "{name}: {e}"
            ),
        }
    }
}
