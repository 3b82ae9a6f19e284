//! The signed trail of `make demo`: `demo_trail ENDPOINT` puts the generated day
//! ([`Trail::day`]: four digest chains, hourly digests signed with the committed TEST-ONLY key,
//! the log files they list) into the S3 at `ENDPOINT` (the demo's moto_server), serves the day's
//! public key as CloudTrail's `ListPublicKeys` from [`CloudTrailKeys`] (a stand-in on a loopback
//! port: moto has no such API; the same one the integration tests use), prints one JSON line
//! saying where everything is, and keeps serving until it is killed.
//!
//! The line: `{"bucket", "cloudtrail_endpoint", "fingerprints", "as_of", "logs", "digests"}`,
//! object keys in key order. The Lambda under test gets `AWS_ENDPOINT_URL_CLOUDTRAIL` set to
//! `cloudtrail_endpoint` while `AWS_ENDPOINT_URL` stays on moto.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;

use keytrail_testkit::trail::Trail;
use keytrail_testkit::{sdk_config_at, CloudTrailKeys};
use serde_json::json;

#[tokio::main]
async fn main() {
    let endpoint = std::env::args()
        .nth(1)
        .expect("usage: demo_trail ENDPOINT (the S3 endpoint URL, e.g. http://127.0.0.1:5000)");
    let trail = Trail::day();
    let config = aws_sdk_s3::config::Builder::from(&sdk_config_at(&endpoint).await)
        .force_path_style(true)
        .build();
    trail.upload(&aws_sdk_s3::Client::from_conf(config)).await;
    let keys = CloudTrailKeys::start(trail.key_entries()).await;
    let (digests, logs): (Vec<&String>, Vec<&String>) = trail
        .objects
        .keys()
        .partition(|k| k.contains("/CloudTrail-Digest/"));
    let fingerprints: Vec<String> = trail
        .key_entries()
        .into_iter()
        .map(|k| k.fingerprint)
        .collect();
    let line = json!({
        "bucket": trail.bucket,
        "cloudtrail_endpoint": keys.url(),
        "fingerprints": fingerprints,
        "as_of": trail.as_of.to_string(),
        "logs": logs,
        "digests": digests,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("writing to stdout");
    out.flush().expect("writing to stdout");
    drop(out);
    std::future::pending::<()>().await;
}
