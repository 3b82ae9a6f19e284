//! Shared set-up for the trail-processor integration tests: a moto stack with the sample trail
//! objects uploaded where events/*.json point, and an App wired to it with the real SDK.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use keytrail_aws::client;
use keytrail_aws::s3::S3Source;
use keytrail_aws::sns::SnsSink;
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_testkit::{LogBuffer, Moto, ReceivedMessage, Stack};
use serde_json::{json, Value};
use trail_processor::config::Config;
use trail_processor::App;

/// The optional sinks' retries in tests: as the SNS sink's, short.
pub const FAST_RETRY: keytrail_aws::sinks::Retry = keytrail_aws::sinks::Retry {
    attempts: 2,
    first_backoff: Duration::from_millis(5),
};

/// The bucket every sample event names.
pub const DEMO_BUCKET: &str = "keytrail-demo-trail";
/// Where the samples live in it.
pub const PREFIX: &str = "AWSLogs/123456789012/CloudTrail";

pub type TestApp = Arc<App<S3Source, SnsSink>>;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn event(name: &str) -> Value {
    let text = std::fs::read_to_string(repo().join("events").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// moto, the alert stack, the demo bucket with every sample object, and the app.
pub async fn setup() -> (Moto, Stack, TestApp) {
    let moto = Moto::start().await;
    let stack = Stack::create(&moto).await;
    let s3 = moto.s3();
    s3.create_bucket().bucket(DEMO_BUCKET).send().await.unwrap();
    let mut samples: Vec<PathBuf> = std::fs::read_dir(repo().join("events/trail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    samples.sort();
    for path in &samples {
        let name = path.file_name().unwrap().to_str().unwrap();
        let region = name.split('_').nth(2).unwrap();
        put(
            &moto,
            &format!("{PREFIX}/{region}/2026/06/10/{name}"),
            std::fs::read(path).unwrap(),
        )
        .await;
    }
    let first = samples
        .iter()
        .find(|p| p.to_string_lossy().contains("keytraildemo0001"))
        .unwrap();
    let copy = std::fs::read(first).unwrap();
    put(
        &moto,
        &format!("{PREFIX}/us-east-1/2026/06/10/demo copy 100%.json.gz"),
        copy,
    )
    .await;
    let app = app(&moto, &stack.topic_arn, &[]);
    (moto, stack, app)
}

pub async fn put(moto: &Moto, key: &str, body: Vec<u8>) {
    moto.s3()
        .put_object()
        .bucket(DEMO_BUCKET)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

/// An app publishing to `topic`, with extra environment variables.
pub fn app(moto: &Moto, topic: &str, env: &[(&str, &str)]) -> TestApp {
    app_with(&moto.sdk_config(), topic, env)
}

/// An app whose clients are built from `sdk` (a [`Moto::sdk_config`], or one pointing at a proxy
/// in front of moto), publishing to `topic`, with extra environment variables.
pub fn app_with(sdk: &SdkConfig, topic: &str, env: &[(&str, &str)]) -> TestApp {
    app_with_keys(sdk, sdk, topic, env)
}

/// [`app_with`], asking CloudTrail's `ListPublicKeys` at the endpoint of `keys` (a
/// [`keytrail_testkit::CloudTrailKeys`] stand-in; moto has no such API).
pub fn app_with_keys(
    sdk: &SdkConfig,
    keys: &SdkConfig,
    topic: &str,
    env: &[(&str, &str)],
) -> TestApp {
    let topic_owned = topic.to_owned();
    let pairs: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let config = Config::from_env(&|k| {
        if k == "ALERT_TOPIC_ARN" {
            return Some(topic_owned.clone());
        }
        pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .unwrap();
    let ledger = trail_processor::ledger(&config, client::dynamodb_client(sdk));
    let extra_sinks = trail_processor::sinks::build(&config.sinks, sdk, FAST_RETRY);
    let integrity = trail_processor::integrity(
        &config,
        client::dynamodb_client(sdk),
        client::s3_client(sdk),
        aws_sdk_cloudtrail::Client::new(keys),
    );
    // As main builds it (ALERT_FORMAT included), with short retries.
    let sink = trail_processor::sns_sink(&config, sdk).with_retries(2, Duration::from_millis(5));
    Arc::new(App {
        config,
        rules: Arc::new(RuleSet::load(&LoadOptions::default()).unwrap().set),
        source: S3Source::new(client::s3_client(sdk)),
        sink,
        extra_sinks,
        ledger,
        function_name: "trail-processor-test".to_owned(),
        integrity,
    })
}

/// Creates the state table `name` in moto, as the template does; an app gets it with
/// `("STATE_TABLE", name)` (or its deprecated alias `IDEMPOTENCY_TABLE`) in its environment.
pub async fn create_idempotency_table(moto: &Moto, name: &str) {
    keytrail_aws::state::create_table(&moto.dynamodb(), name)
        .await
        .unwrap();
}

/// The alerts (default JSON messages) waiting on the queue, sorted by event name.
pub async fn alerts(stack: &Stack, expected: usize) -> Vec<(ReceivedMessage, Value)> {
    let mut got = if expected > 0 {
        stack
            .receive_alerts(expected, Duration::from_secs(10))
            .await
    } else {
        Vec::new()
    };
    got.extend(stack.receive_all_now().await);
    let mut out: Vec<(ReceivedMessage, Value)> = got
        .into_iter()
        .map(|m| {
            let v = m.json();
            (m, v)
        })
        .collect();
    out.sort_by(|a, b| a.1["event_name"].as_str().cmp(&b.1["event_name"].as_str()));
    out
}

/// How many times each alert id is among `alerts`.
pub fn alert_id_counts(
    alerts: &[(ReceivedMessage, Value)],
) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for (_, alert) in alerts {
        *out.entry(alert["alert_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    out
}

pub fn event_names(alerts: &[(ReceivedMessage, Value)]) -> Vec<String> {
    alerts
        .iter()
        .map(|(_, a)| a["event_name"].as_str().unwrap_or("-").to_owned())
        .collect()
}

/// A trail object of `n` ExportCertificate records with distinct event ids: `n` alerts.
pub fn exports(n: usize) -> Vec<u8> {
    let detail = event("eventbridge-api-call-export-certificate.json")["detail"].clone();
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let mut r = detail.clone();
            r["eventID"] = serde_json::json!(format!("00000000-0000-4000-8000-{i:012}"));
            r
        })
        .collect();
    gzip(&serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap())
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// An S3 put notification for `key` in the demo bucket (key given decoded; encoded here), with
/// every field S3 writes.
pub fn s3_put(key: &str) -> Value {
    let encoded: String = form_encode(key);
    serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-06-10T20:35:07.512Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLEDELIVERY:regionalDeliverySession"},
        "requestParameters": {"sourceIPAddress": "192.0.2.10"},
        "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE="},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "keytrail",
               "bucket": {"name": DEMO_BUCKET, "arn": format!("arn:aws:s3:::{DEMO_BUCKET}")},
               "object": {"key": encoded, "size": 1, "sequencer": "0A1B2C3D4E5F678901"}}
    }]})
}

fn form_encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Installs the function's subscriber (`lambda_runtime`'s, as `main` does; in `format`, at
/// DEBUG) writing into the returned buffer. Once per process: nextest runs each test in its own.
pub fn capture(format: &str) -> LogBuffer {
    let buffer = LogBuffer::default();
    // Edition 2021: set_var is safe; this process runs this one test (nextest).
    std::env::set_var("AWS_LAMBDA_LOG_FORMAT", format);
    std::env::set_var("AWS_LAMBDA_LOG_LEVEL", "debug");
    std::env::remove_var("RUST_LOG");
    lambda_runtime::tracing::init_default_subscriber_with_writer(buffer.make_writer());
    buffer
}

/// An `ExportCertificate` record by `who` at `time` (`HH:MM` on 2026-12-07), eventID `id`.
pub fn export(id: &str, time: &str, who: &str) -> Value {
    let text = std::fs::read_to_string(
        repo().join("rules/tests/acm-bulk-export/hit/three-exports-in-an-hour.json"),
    )
    .unwrap();
    let mut record = serde_json::from_str::<Value>(&text).unwrap()["Records"][0].clone();
    record["eventID"] = json!(id);
    record["eventTime"] = json!(format!("2026-12-07T{time}:00Z"));
    record["userIdentity"]["arn"] =
        json!(format!("arn:aws:sts::123456789012:assumed-role/r/{who}"));
    record
}

/// Uploads a trail object named `name` holding `records`; answers its key.
pub async fn object(moto: &Moto, name: &str, records: Vec<Value>) -> String {
    let key = format!(
        "{PREFIX}/us-east-1/2026/12/07/123456789012_CloudTrail_us-east-1_20261207T1000Z_{name}.json.gz"
    );
    let body = gzip(&serde_json::to_vec(&json!({ "Records": records })).unwrap());
    put(moto, &key, body).await;
    key
}

/// The SNS sink, failing (retryably, nothing accepted) the first batch with an alert `fails`
/// picks.
pub struct FailOnce {
    /// Where the batches go once one has failed.
    pub inner: SnsSink,
    /// Which alerts make a batch fail.
    pub fails: fn(&keytrail_core::Alert) -> bool,
    /// Whether one has failed.
    pub failed: std::sync::atomic::AtomicBool,
}

impl keytrail_aws::sns::AlertSink for FailOnce {
    async fn publish(
        &self,
        alerts: &[keytrail_core::Alert],
    ) -> Result<(), keytrail_aws::sns::PublishError> {
        if alerts.iter().any(self.fails)
            && !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(keytrail_aws::sns::PublishError {
                topic: "test".to_owned(),
                failed: alerts.len(),
                total: alerts.len(),
                detail: "InternalError (injected)".to_owned(),
                retryable: true,
                unpublished: (0..alerts.len()).collect(),
            });
        }
        self.inner.publish(alerts).await
    }
}
