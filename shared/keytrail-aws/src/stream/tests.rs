//! The Lambda's hashing path end to end in this crate: a body streamed through
//! [`ScanStream::start_hashing`] gives the SHA-256 of its whole uncompressed content, also when
//! the scan stops reading early; a stopped scan gives none; a plain scan is not hashed.

use std::io::Write;

use keytrail_core::integrity::Sha256;
use keytrail_core::read::ReadErrorKind;
use keytrail_core::rules::LoadOptions;

use super::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A trail object of `n` records no rule matches: a few of the reader's chunks.
fn trail(n: usize) -> Vec<u8> {
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"{i}"}}"#
            )
        })
        .collect();
    format!("{{\"Records\":[{}]}}", records.join(",")).into_bytes()
}

async fn scan(object: &[u8], hash_max: Option<u64>) -> ScanEnd {
    let rules = Arc::new(RuleSet::load(&LoadOptions::default()).unwrap().set);
    let stream = ScanStream::start_hashing(
        "s3://b/k".to_owned(),
        ByteStream::from(object.to_vec()),
        rules,
        ScanOptions::default(),
        None,
        hash_max,
    );
    stream.finish().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashes_the_whole_content_of_what_it_scans() {
    let records = trail(5000);
    let text = b"not a trail object, an application log line\n".repeat(100_000);
    for (name, content, object, fault) in [
        ("gzip", records.clone(), gzip(&records), None),
        ("plain", records.clone(), records.clone(), None),
        ("empty", Vec::new(), Vec::new(), None),
        (
            "not JSON",
            text.clone(),
            gzip(&text),
            Some(ReadErrorKind::NotJson),
        ),
    ] {
        let end = scan(&object, Some(u64::MAX)).await;
        assert_eq!(end.report.fault.map(|f| f.kind), fault, "{name}");
        let hash = end.content.unwrap().unwrap();
        assert_eq!(hash.sha256, Sha256::of(&content), "{name}");
        assert_eq!(hash.bytes, content.len() as u64, "{name}");
    }
    let end = scan(&gzip(&records), None).await;
    assert!(end.content.is_none());
    assert!(end.report.fault.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_scan_has_no_hash() {
    let records = trail(5000);
    let rules = Arc::new(RuleSet::load(&LoadOptions::default()).unwrap().set);
    let stream = ScanStream::start_hashing(
        "s3://b/k".to_owned(),
        ByteStream::from(gzip(&records)),
        rules,
        ScanOptions::default(),
        Some(Instant::now()),
        Some(u64::MAX),
    );
    let end = stream.finish().await.unwrap();
    assert_eq!(end.stopped, Some(Stop::Deadline));
    let error = end.content.unwrap().unwrap_err();
    assert!(error.contains("stopped at its deadline"), "{error}");
}
