//! `aws cloudtrail lookup-events` output as an input. The objects are built in the shape of the
//! CloudTrail API reference (LookupEvents response: `Events` of `Event` objects with
//! `AccessKeyId`, `CloudTrailEvent`, `EventId`, `EventName`, `EventSource`, `EventTime`,
//! `ReadOnly`, `Resources` of `ResourceType`/`ResourceName`, `Username`; then `NextToken`),
//! around real records: the ACM user guide's samples in `../shared/corpus`. The reader yields
//! each embedded event as a record, byte for byte what the `CloudTrailEvent` string holds, and
//! the scan raises the same alerts as on the trail file those records came from.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::io::Write;
use std::path::Path;

use keytrail_core::read::{ReadErrorKind, ReadOptions, RecordReader, Shape};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::{scan_object, ScanOptions};
use serde_json::{json, Value};

/// The corpus files whose records the lookup output embeds.
const SAMPLES: &[&str] = &[
    "acm-2026__acm__ExportCertificate.json",
    "acm-2026__acm__RequestCertificate.json",
    "acm-2026__acm__RevokeCertificate.json",
    "acm-2026__acm__TagResource.json",
];

fn records() -> Vec<Value> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/acm-userguide-2026");
    SAMPLES
        .iter()
        .flat_map(|name| {
            let text = std::fs::read(dir.join(name)).unwrap();
            // A log file, or a single record.
            let file: Value = serde_json::from_slice(&text).unwrap();
            match file.get("Records") {
                Some(records) => records.as_array().unwrap().clone(),
                None => vec![file],
            }
        })
        .collect()
}

/// One `Event` of a LookupEvents response around `record`.
fn lookup_event(record: &Value) -> Value {
    json!({
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "false",
        "AccessKeyId": record["userIdentity"]["accessKeyId"],
        "EventTime": "2018-05-24T15:28:11+00:00",
        "EventSource": record["eventSource"],
        "Username": record["userIdentity"]["userName"],
        "Resources": [{"ResourceType": "AWS::ACM::Certificate", "ResourceName": "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"}],
        "CloudTrailEvent": serde_json::to_string(record).unwrap(),
    })
}

/// The `aws cloudtrail lookup-events` output for `records` (pretty-printed, as the CLI prints).
fn lookup_output(records: &[Value]) -> Vec<u8> {
    let events: Vec<Value> = records.iter().map(lookup_event).collect();
    serde_json::to_vec_pretty(&json!({"Events": events, "NextToken": "kbOt5LlZe++mErCebpy2TgaMgmDvF1kYGFcH64JSjIbZFjsuvrSqg66b5YGssKutDYIyII4lrP4IDbeQdiObkp9YAlju3oXd12juy3CIZW8="})).unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The records the serial reader yields from `bytes`, and the fault that ended it.
fn read(
    bytes: &[u8],
    options: ReadOptions,
) -> (Vec<Vec<u8>>, Option<ReadErrorKind>, Option<Shape>) {
    let mut reader = RecordReader::new("lookup.json", bytes, options);
    let mut out = Vec::new();
    let fault = loop {
        match reader.next_record() {
            Ok(Some(r)) => out.push(r.json.to_vec()),
            Ok(None) => break None,
            Err(e) => break Some(e.kind),
        }
    };
    (out, fault, reader.shape())
}

#[test]
fn each_embedded_event_is_a_record_byte_for_byte() {
    let records = records();
    assert!(records.len() >= SAMPLES.len());
    let want: Vec<Vec<u8>> = records
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .collect();
    let plain = lookup_output(&records);
    for (what, bytes) in [("plain", plain.clone()), ("gzip", gzip(&plain))] {
        for buffer_bytes in [7, 4096] {
            let options = ReadOptions {
                buffer_bytes,
                ..ReadOptions::default()
            };
            let (got, fault, shape) = read(&bytes, options);
            assert_eq!(fault, None, "{what}");
            assert_eq!(shape, Some(Shape::LookupEvents), "{what}");
            assert_eq!(got, want, "{what}, {buffer_bytes}-byte reads");
        }
    }
}

#[test]
fn lookup_output_raises_the_alerts_the_trail_file_does() {
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let records = records();
    let scan = |bytes: &[u8]| {
        let mut alerts = Vec::new();
        let report = scan_object("o", bytes, &rules, &ScanOptions::default(), &mut |a| {
            alerts.push((a.rule_id.clone(), a.event_id.clone()))
        });
        (report, alerts)
    };
    let trail = serde_json::to_vec(&json!({"Records": records})).unwrap();
    let (trail_report, trail_alerts) = scan(&trail);
    let (report, alerts) = scan(&lookup_output(&records));
    assert!(report.is_clean(), "{:?}", report.problems());
    assert_eq!(report.records, records.len() as u64);
    assert!(
        alerts.iter().any(|(rule, _)| rule.contains("export")),
        "{alerts:?}"
    );
    assert_eq!(alerts, trail_alerts);
    assert_eq!(report.records, trail_report.records);
}

#[test]
fn memory_stays_bounded_and_misfits_are_reported() {
    // Many merged pages: the buffer holds one element at a time, not the object.
    let records = records();
    let many: Vec<Value> = records.iter().cycle().take(20_000).cloned().collect();
    let bytes = lookup_output(&many);
    let mut reader = RecordReader::new("lookup.json", &bytes[..], ReadOptions::default());
    let mut n = 0;
    while reader.next_record().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 20_000);
    // Over twice the record limit: read whole, as an object with another first key is, it
    // would be refused.
    let limit = ReadOptions::default().max_record_bytes;
    assert!(bytes.len() > 2 * limit, "{} bytes", bytes.len());
    assert!(
        reader.buffer_capacity() < 4 << 20,
        "{} bytes held",
        reader.buffer_capacity()
    );

    // An element larger than the record limit is refused, as a record would be.
    let options = ReadOptions {
        max_record_bytes: 1000,
        ..ReadOptions::default()
    };
    let (got, fault, _) = read(&lookup_output(&records[..1]), options);
    assert!(got.is_empty());
    assert_eq!(fault, Some(ReadErrorKind::RecordTooLarge));

    // An element without an event is passed on: the scan names it as not an event.
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let mut odd = vec![
        lookup_event(&records[0]),
        json!({"EventId": "x", "EventName": "Decrypt"}),
    ];
    odd.push(lookup_event(&records[1]));
    let bytes = serde_json::to_vec(&json!({"Events": odd})).unwrap();
    let report = scan_object(
        "o",
        &bytes[..],
        &rules,
        &ScanOptions::default(),
        &mut |_| {},
    );
    assert_eq!((report.records, report.not_events.count), (3, 1));

    // `Events` that is not an array says so.
    let (_, fault, _) = read(br#"{"Events": "none"}"#, ReadOptions::default());
    assert_eq!(fault, Some(ReadErrorKind::RecordsNotArray));
}
