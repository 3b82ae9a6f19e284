//! Secrets never reach a log line: the handler, in-process against moto, logging through the
//! function's own subscriber (`lambda_runtime::tracing::init_default_subscriber_with_writer`,
//! what `main` installs) into a buffer, reads objects whose records carry private keys,
//! passphrases, certificate bodies, session tokens and secret strings (a clean object, one with a
//! record that is not JSON, one cut off mid-stream, one that is not JSON at all), and not one of
//! those secrets, nor the AWS credentials the app's clients sign with, is in the logs.
//!
//! One test per log format (the Lambda's text format and its JSON format under advanced logging
//! controls), each at DEBUG, the most a deployment is documented to ask for: the global
//! subscriber can be set once per process, and nextest runs each test in a process of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use serde_json::{json, Value};
use support::*;
use trail_processor::handler::handle;

/// The secret access key and session token the app signs with in this test.
const SECRET_ACCESS_KEY: &str = "keytrailTestSecretAccessKey/DoNotLog/0123456789";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEKeytrailTestSessionTokenDoNotLog";

const PEM_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCkeytrailtestkey\n-----END PRIVATE KEY-----\n";
const PEM_KEY_LINE: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCkeytrailtestkey";
const PEM_CERT_LINE: &str = "MIIDkeytrailTestCertificateBodyLineAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const PASSPHRASE_HB: [u8; 12] = *b"hunter2-pass";
const SESSION_TOKEN_IN_EVENT: &str = "FwoGZXIvYXdzEKeytrailSessionTokenInTheEvent0001";
const SECRET_STRING: &str = "keytrail-secret-string-in-the-event-0002";
const PASSWORD_IN_BAD_RECORD: &str = "keytrail-password-in-a-broken-record-0003";
const PRIVATE_TEXT_OBJECT: &str = "privateKey=MIIEkeytrailSecretInAnObjectThatIsNotJson0004";

/// Every secret the logs must not carry.
fn secrets() -> Vec<String> {
    let hb = serde_json::to_string(&PASSPHRASE_HB.to_vec()).unwrap();
    vec![
        SECRET_ACCESS_KEY.to_owned(),
        SESSION_TOKEN.to_owned(),
        PEM_KEY_LINE.to_owned(),
        PEM_CERT_LINE.to_owned(),
        hb[1..hb.len() - 1].to_owned(), // "104,117,...", however the array is printed
        String::from_utf8(PASSPHRASE_HB.to_vec()).unwrap(),
        SESSION_TOKEN_IN_EVENT.to_owned(),
        SECRET_STRING.to_owned(),
        PASSWORD_IN_BAD_RECORD.to_owned(),
        PRIVATE_TEXT_OBJECT["privateKey=".len()..].to_owned(),
    ]
}

fn records() -> Vec<Value> {
    let base = |name: &str, source: &str, id: &str, request: Value, response: Value| {
        json!({
            "eventVersion": "1.09", "eventTime": "2026-06-10T20:30:00Z",
            "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
            "eventID": id, "recipientAccountId": "123456789012",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice",
                             "accessKeyId": "AKIAKEYTRAILTEST0001"},
            "sourceIPAddress": "192.0.2.9", "userAgent": "aws-cli/2",
            "requestParameters": request, "responseElements": response,
        })
    };
    vec![
        base(
            "ExportCertificate",
            "acm.amazonaws.com",
            "log-test-export",
            json!({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/log-test",
                   "passphrase": {"hb": PASSPHRASE_HB.to_vec(), "offset": 0, "isReadOnly": false}}),
            json!({"privateKey": PEM_KEY,
                   "certificate": format!("-----BEGIN CERTIFICATE-----\n{PEM_CERT_LINE}\n-----END CERTIFICATE-----\n")}),
        ),
        base(
            "GetSessionToken",
            "sts.amazonaws.com",
            "log-test-sts",
            json!({"durationSeconds": 900}),
            json!({"credentials": {"accessKeyId": "ASIAKEYTRAILTEST0002",
                                   "sessionToken": SESSION_TOKEN_IN_EVENT}}),
        ),
        base(
            "PutSecretValue",
            "secretsmanager.amazonaws.com",
            "log-test-secret",
            json!({"secretId": "prod/db", "secretString": SECRET_STRING}),
            json!(null),
        ),
    ]
}

async fn run_and_check(format: &str) {
    let logs = capture(format);
    let (moto, stack, _app) = setup().await;
    // The app signs with credentials of its own, so that they can be looked for in the logs.
    let sdk = moto
        .sdk_config()
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIAKEYTRAILTEST0001",
            SECRET_ACCESS_KEY,
            Some(SESSION_TOKEN.to_owned()),
            None,
            "redaction-logs-test",
        )))
        .build();
    let app = app_with(&sdk, &stack.topic_arn, &[]);

    let dir = format!("{PREFIX}/us-east-1/2026/06/10");
    let trail = serde_json::to_vec(&json!({"Records": records()})).unwrap();
    let clean = format!("{dir}/123456789012_CloudTrail_us-east-1_20260610T2030Z_logtest01.json.gz");
    put(&moto, &clean, gzip(&trail)).await;

    // A good record, then a broken one carrying a password (the reader reports the object as
    // cut off there), then more.
    let mut ndjson = Vec::new();
    for r in records() {
        ndjson.extend(serde_json::to_vec(&r).unwrap());
        ndjson.push(b'\n');
        ndjson.extend(
            format!(
                "{{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateLoginProfile\",\
                 \"requestParameters\":{{\"password\":\"{PASSWORD_IN_BAD_RECORD}\",}}\n"
            )
            .as_bytes(),
        );
    }
    let broken = format!("{dir}/123456789012_CloudTrail_us-east-1_20260610T2030Z_logtest02.json");
    put(&moto, &broken, ndjson).await;

    // Cut off mid-stream: the records before the cut carry the secrets.
    let mut long = records();
    long.extend((0..2000).map(|i| {
        json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject",
               "eventID": format!("f-{i}"), "requestParameters": {"key": format!("k{i}")}})
    }));
    let gz = gzip(&serde_json::to_vec(&json!({"Records": long})).unwrap());
    let truncated =
        format!("{dir}/123456789012_CloudTrail_us-east-1_20260610T2030Z_logtest03.json.gz");
    put(&moto, &truncated, gz[..gz.len() * 2 / 3].to_vec()).await;

    let not_json = format!("{dir}/123456789012_CloudTrail_us-east-1_20260610T2030Z_logtest04.json");
    put(&moto, &not_json, PRIVATE_TEXT_OBJECT.as_bytes().to_vec()).await;

    for key in [&clean, &broken, &truncated, &not_json] {
        let r = handle(&app, s3_put(key)).await;
        println!("{key}: {r:?}");
    }
    // The alerts went out (so the secrets were read, matched and rendered).
    let got = alerts(&stack, 4).await;
    assert!(
        got.iter()
            .any(|(_, a)| a["event_name"] == "ExportCertificate"),
        "{:?}",
        event_names(&got)
    );

    let text = logs.text();
    println!(
        "{} bytes, {} lines of logs",
        text.len(),
        text.lines().count()
    );
    // The capture works: the logs name every object and say what went wrong with each.
    for key in [&clean, &broken, &truncated, &not_json] {
        let name = key.rsplit('/').next().unwrap();
        assert!(text.contains(name), "no log line names {name}:\n{text}");
    }
    for said in [
        "processed object",
        "object not read completely",
        "is truncated",
    ] {
        assert!(text.contains(said), "no log line says {said:?}:\n{text}");
    }
    let mut leaks = Vec::new();
    for secret in secrets() {
        let escaped = serde_json::to_string(&secret).unwrap();
        for form in [secret.as_str(), &escaped[1..escaped.len() - 1]] {
            for line in text.lines().filter(|l| l.contains(form)) {
                leaks.push(format!("{secret:?} in: {line}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "secrets in the logs:\n{}",
        leaks.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_text_logs() {
    run_and_check("text").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_json_logs() {
    run_and_check("json").await;
}
