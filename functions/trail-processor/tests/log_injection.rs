//! Untrusted text cannot forge or split the function's log lines: object keys (and the SQS
//! message ids of a payload) holding a newline, ESC sequences, BEL, CR, a C1 control and a
//! right-to-left override reach every kind of log line the handler writes (skipped, missing,
//! processed, not read completely, publish failed, unreadable SQS message), through the
//! function's own subscriber (`lambda_runtime::tracing::init_default_subscriber_with_writer`,
//! what `main` installs), against moto.
//!
//! Text format (the Lambda's default, and `cargo lambda watch`'s): no control character but the
//! line ends, and every line that shows part of a key shows all of it. JSON format (the
//! template's): every line is one JSON object, and the key is a plain string field, the same
//! bytes as the object's key. One test per format: the global subscriber can be set once per
//! process, and nextest runs each test in a process of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use serde_json::{json, Value};
use support::*;
use trail_processor::handler::handle;

/// What follows `evil-<case>` in a hostile key: a forged log line, colours, a terminal title,
/// BEL, CR, a C1 CSI and a right-to-left override.
const TAIL: &str = "\n\u{1b}[31mERROR FORGED line\u{1b}]0;title\u{7}\r\u{9b}2J\u{202e}";

/// A hostile key for case `name`. moto (its web server) answers 404 to a path holding a
/// newline, so the keys of objects that must exist there (`stored`) drop the newline and keep
/// the rest, CR included.
fn key(name: &str, suffix: &str, stored: bool) -> String {
    let tail = if stored {
        TAIL.replace('\n', " ")
    } else {
        TAIL.to_owned()
    };
    format!("{PREFIX}/us-east-1/2026/06/10/evil-{name}{tail}{suffix}")
}

/// Runs every case through the handler and answers the logs and the hostile keys used.
async fn run(format: &str) -> (String, Vec<String>) {
    let logs = capture(format);
    let (moto, stack, app) = setup().await;
    let sample = std::fs::read(repo().join(
        "events/trail/123456789012_CloudTrail_us-east-1_20260610T2030Z_keytraildemo0001.json.gz",
    ))
    .unwrap();
    let processed = key("processed", ".json.gz", true);
    let skipped = key("skipped", ".txt", false);
    let missing = key("missing", ".json.gz", false);
    let not_json = key("not-json", ".json", true);
    let unpublished = key("unpublished", ".json.gz", true);
    put(&moto, &processed, sample.clone()).await;
    put(&moto, &not_json, b"this is not json".to_vec()).await;
    put(&moto, &unpublished, sample).await;

    for key in [&processed, &skipped, &not_json] {
        let answer = handle(&app, s3_put(key)).await;
        assert!(answer.is_ok(), "{key:?}: {answer:?}");
    }
    // Skipped as deleted, or failed (moto's 404 to a newline is no S3 error): logged either way.
    let _ = handle(&app, s3_put(&missing)).await;
    let no_topic = app_with(
        &moto.sdk_config(),
        "arn:aws:sns:us-east-1:123456789012:no-such-topic",
        &[],
    );
    assert!(handle(&no_topic, s3_put(&unpublished)).await.is_err());
    let mut message = event("sqs-s3.json")["Records"][0].clone();
    message["messageId"] = json!(format!("evil-message{TAIL}"));
    message["body"] = json!("{not json");
    let answer = handle(&app, json!({ "Records": [message] })).await.unwrap();
    assert_eq!(answer["batchItemFailures"].as_array().unwrap().len(), 1);
    // The alerts went out: the objects were read.
    assert!(!alerts(&stack, 1).await.is_empty());

    let text = logs.text();
    println!("{text}");
    (
        text,
        vec![processed, skipped, missing, not_json, unpublished],
    )
}

/// Regression: keys and message ids went into text logs raw (`key = %object.key`, `"{e}"`), so
/// a key could end a log line and start a forged one, and move a terminal's cursor and colours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_keys_stay_on_their_line_in_text_logs() {
    let (text, _) = run("text").await;
    let controls: Vec<String> = text
        .lines()
        .filter(|line| {
            line.chars()
                .any(|c| c.is_control() || c == '\u{202e}' || c == '\u{9b}')
        })
        .map(|line| format!("{line:?}"))
        .collect();
    assert!(
        controls.is_empty(),
        "raw control characters in log lines:\n{}",
        controls.join("\n")
    );
    let forged: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("FORGED") && !line.contains("evil-"))
        .collect();
    assert!(forged.is_empty(), "split log lines:\n{}", forged.join("\n"));
    for said in [
        "skipped object",
        "processed object",
        "object not read completely",
        "object failed",
        "alerts could not be published",
        "unreadable SQS message",
        "evil-missing",
        "evil-message",
    ] {
        assert!(text.contains(said), "no log line says {said:?}:\n{text}");
    }
}

/// The JSON logs keep untrusted text as plain string fields: the key field holds the object's
/// key byte for byte, not a quoted or escaped rendering of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_keys_are_plain_fields_in_json_logs() {
    let (text, keys) = run("json").await;
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let [processed, skipped, _, not_json, _] = keys.as_slice() else {
        panic!("{keys:?}");
    };
    for key in [processed, skipped] {
        assert!(
            lines.iter().any(|l| l["fields"]["key"] == key.as_str()),
            "no log line has key = {key:?}"
        );
    }
    let uri = format!("s3://{DEMO_BUCKET}/{not_json}");
    assert!(
        lines.iter().any(|l| l["fields"]["object"] == uri.as_str()),
        "no log line has object = {uri:?}"
    );
}
