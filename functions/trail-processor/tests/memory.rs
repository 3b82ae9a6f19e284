//! A large object streams through the handler in bounded memory: the peak resident set while
//! processing a ~300 MB (decompressed) trail object from S3 must stay a small fraction of it.
//! Alone in its own test binary, so no other test shares the process being measured.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;

use serde_json::json;
use support::*;
use trail_processor::handler::handle;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_object_streams_in_bounded_memory() {
    let (moto, stack, app) = setup().await;
    // ~300 MB of realistic-sized records (~1 KB each), one ExportCertificate planted at the end.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b"{\"Records\":[").unwrap();
    let filler = "x".repeat(700);
    let mut raw = 0usize;
    for i in 0..310_000u32 {
        let rec = json!({"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "eventID": format!("00000000-0000-0000-0000-{i:012}"), "awsRegion": "us-east-1",
            "sourceIPAddress": "192.0.2.1", "userAgent": "aws-sdk-java/2",
            "requestParameters": {"bucketName": "data", "key": format!("objects/{i}/{filler}")}});
        let bytes = serde_json::to_vec(&rec).unwrap();
        raw += bytes.len() + 1;
        enc.write_all(&bytes).unwrap();
        enc.write_all(b",").unwrap();
    }
    let export = event("eventbridge-api-call-export-certificate.json");
    enc.write_all(&serde_json::to_vec(&export).unwrap())
        .unwrap();
    enc.write_all(b"]}").unwrap();
    let gz = enc.finish().unwrap();
    assert!(raw > 300_000_000, "{raw}");
    let key = format!("{PREFIX}/us-east-1/2026/06/10/large.json.gz");
    put(&moto, &key, gz).await;

    // Reset the peak to the current resident set, then process.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kib("VmRSS:");
    let response = handle(&app, s3_put(&key)).await.unwrap();
    let peak = status_kib("VmHWM:");
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "object: {} MB decompressed; resident before {} MiB, peak {} MiB, growth {growth_mib} MiB",
        raw / 1_000_000,
        before / 1024,
        peak / 1024
    );
    assert_eq!(
        response["results"][0]["outcome"], "1 alert(s)",
        "{response}"
    );
    assert_eq!(event_names(&alerts(&stack, 1).await), ["ExportCertificate"]);
    assert!(
        growth_mib < 64,
        "peak grew by {growth_mib} MiB while streaming a {} MB object",
        raw / 1_000_000
    );
}
