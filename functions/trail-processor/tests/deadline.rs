//! The invocation deadline: reading stops before it, what was found is published, and the object
//! fails retryably in whatever shape the caller expects, rather than Lambda killing the
//! function half way and the work vanishing.
//!
//! The stalled body is real HTTP: a loopback server answers GetObject with the head of a trail
//! object and then sends nothing more, so only the deadline can end the read. No timing is
//! asserted; the deadline is the only way out of the stall.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use keytrail_aws::client;
use keytrail_aws::s3::S3Source;
use keytrail_aws::sns::{AlertSink, PublishError};
use keytrail_aws::stream::{ScanStream, Stop};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::ScanOptions;
use keytrail_core::Alert;
use keytrail_testkit::Moto;
use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;
use trail_processor::handler::{handle_until, stop_at, HandlerError};
use trail_processor::App;

const KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10/123456789012_CloudTrail_us-east-1_20260610T2100Z_stall.json";

/// Keeps what it is given.
#[derive(Default)]
struct MemorySink(Mutex<Vec<Alert>>);

impl AlertSink for MemorySink {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        self.0.lock().unwrap().extend_from_slice(alerts);
        Ok(())
    }
}

/// The start of a plain-JSON trail object: `n` complete ExportCertificate records, then
/// quiet records up to `filler` bytes, and the beginning of another.
fn head_of_object(n: usize, filler: usize) -> Vec<u8> {
    let detail = event("eventbridge-api-call-export-certificate.json")["detail"].clone();
    let mut text = String::from("{\"Records\":[");
    for i in 0..n {
        let mut r = detail.clone();
        r["eventID"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
        text.push_str(&r.to_string());
        text.push(',');
    }
    let quiet = r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1"},"#;
    while text.len() < filler {
        text.push_str(quiet);
    }
    text.push_str("{\"eventVersion\":\"1.08\",");
    text.into_bytes()
}

/// A loopback "S3" that answers every request with a 200, a Content-Length of 100 MB, `head`,
/// and then silence (the connection stays open).
async fn stalling_s3(head: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut open = Vec::new();
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 ETag: \"stall\"\r\n\r\n",
                100 << 20
            );
            socket.write_all(response.as_bytes()).await.unwrap();
            socket.write_all(&head).await.unwrap();
            open.push(socket);
        }
    });
    url
}

/// An app reading from a server that stalls after `head`, publishing into memory.
async fn stalled_app(moto: &Moto, head: Vec<u8>) -> Arc<App<S3Source, MemorySink>> {
    let url = stalling_s3(head).await;
    let sdk = moto.sdk_config().into_builder().endpoint_url(url).build();
    let plain = app(moto, "arn:aws:sns:us-east-1:123456789012:unused", &[]);
    Arc::new(App {
        config: plain.config.clone(),
        rules: Arc::clone(&plain.rules),
        source: S3Source::new(client::s3_client(&sdk)),
        sink: MemorySink::default(),
        extra_sinks: Vec::new(),
        ledger: None,
        function_name: "trail-processor-test".to_owned(),
        integrity: None,
    })
}

fn soon() -> Option<Instant> {
    Some(Instant::now() + Duration::from_millis(1500))
}

fn event_names(app: &App<S3Source, MemorySink>) -> Vec<String> {
    let published = app.sink.0.lock().unwrap();
    published
        .iter()
        .map(|a| a.event_name.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_stalled_object_stops_at_the_deadline_publishes_what_it_found_and_fails_retryably() {
    let moto = Moto::start().await;
    let app = stalled_app(&moto, head_of_object(3, 0)).await;
    let err = handle_until(&app, s3_put(KEY), soon()).await.unwrap_err();
    let HandlerError::Objects { first, failed, .. } = &err else {
        panic!("{err}")
    };
    assert!(err.is_retryable(), "{err}");
    assert_eq!(*failed, 1);
    assert!(
        first.contains("before the invocation's deadline after 3 record(s)"),
        "{first}"
    );
    assert_eq!(event_names(&app), ["ExportCertificate"; 3]);
}

#[tokio::test]
async fn a_stalled_object_in_an_sqs_batch_is_its_messages_failure() {
    let moto = Moto::start().await;
    let app = stalled_app(&moto, head_of_object(3, 0)).await;
    let mut message = event("sqs-s3.json")["Records"][0].clone();
    message["messageId"] = json!("stalled-message");
    message["body"] = json!(s3_put(KEY).to_string());
    let answer = handle_until(&app, json!({ "Records": [message] }), soon())
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "stalled-message"}]})
    );
    assert_eq!(event_names(&app).len(), 3);
}

#[tokio::test]
async fn alerts_go_out_while_the_object_is_still_being_read() {
    // 25 alerting records and 1 MB of quiet ones, then the stall: the first two batches of ten
    // must be published while the read is stuck; the last five wait for the end. (The reader
    // hands on 128 KiB chunks, hence the quiet megabyte: records in a chunk that is still
    // filling wait for it.) The SDK ends a body that stalls for 5 s; the deadline is further.
    let moto = Moto::start().await;
    let app = stalled_app(&moto, head_of_object(25, 1 << 20)).await;
    let far = Some(Instant::now() + Duration::from_secs(60));
    let running = tokio::spawn({
        let app = Arc::clone(&app);
        async move { handle_until(&app, s3_put(KEY), far).await }
    });
    let waited = Instant::now();
    while event_names(&app).len() < 20
        && !running.is_finished()
        && waited.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reading = !running.is_finished();
    let published = event_names(&app).len();
    assert!(
        reading && published == 20,
        "reading: {reading}, published: {published}"
    );
    running.abort();
}

#[tokio::test]
async fn a_body_already_in_memory_stops_at_the_deadline_too() {
    // The whole body arrives at once, so only the reader can see the deadline: one already past
    // stops the scan at its first read.
    let body: Value =
        json!({ "Records": [event("eventbridge-api-call-export-certificate.json")["detail"]] });
    let scan = ScanStream::start(
        "memory".to_owned(),
        ByteStream::from(serde_json::to_vec(&body).unwrap()),
        Arc::new(RuleSet::load(&LoadOptions::default()).unwrap().set),
        ScanOptions::default(),
        Some(Instant::now()),
    );
    let end = scan.finish().await.unwrap();
    assert_eq!(end.stopped, Some(Stop::Deadline));
    assert_eq!(end.report.records, 0);
    let fault = end.report.fault.unwrap();
    assert!(fault.is_retryable(), "{fault}");
}

#[test]
fn the_stop_is_the_reserve_before_the_deadline() {
    assert_eq!(stop_at(0, Duration::from_secs(5)), None);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let deadline = u64::try_from(now_ms).unwrap() + 60_000;
    let at = stop_at(deadline, Duration::from_secs(10)).unwrap();
    let left = at.saturating_duration_since(Instant::now());
    assert!(
        left > Duration::from_secs(45) && left <= Duration::from_secs(50),
        "{left:?}"
    );
    // A reserve longer than a fifth of the time left is cut to a fifth: a 60 s invocation with
    // a 120 s reserve still reads for 48 s.
    let at = stop_at(deadline, Duration::from_secs(120)).unwrap();
    let left = at.saturating_duration_since(Instant::now());
    assert!(
        left > Duration::from_secs(45) && left <= Duration::from_secs(48),
        "{left:?}"
    );
    // cargo lambda's emulator sends the timeout itself: 600000 is ten minutes from now.
    let at = stop_at(600_000, Duration::from_secs(5)).unwrap();
    let left = at.saturating_duration_since(Instant::now());
    assert!(
        left > Duration::from_secs(590) && left <= Duration::from_secs(595),
        "{left:?}"
    );
    // A deadline already past does not stop reading at once.
    assert_eq!(stop_at(deadline - 120_000, Duration::from_secs(5)), None);
}
