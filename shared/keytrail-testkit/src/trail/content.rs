//! The objects' content as CloudTrail writes it: digest JSON (and its signing), log files, gzip.

use std::collections::BTreeMap;
use std::io::Write;

use keytrail_core::integrity::Timestamp;
use serde_json::{json, Value};

use super::chain::Chain;
use super::sign::{signing_string, TestKey};

const MINUTE: i64 = 60;

/// One entry of a digest's `logFiles`.
#[derive(Debug, Clone)]
pub(super) struct Listed {
    pub(super) key: String,
    pub(super) hash: String,
    pub(super) newest: Timestamp,
    pub(super) oldest: Timestamp,
}

/// What a digest's JSON says.
#[derive(Debug, Clone)]
pub(super) struct DigestFields {
    pub(super) account: String,
    pub(super) bucket: String,
    pub(super) key: String,
    pub(super) start: Timestamp,
    pub(super) end: Timestamp,
    pub(super) fingerprint: String,
    /// Previous digest: key, hex SHA-256 of its content, signature.
    pub(super) previous: Option<(String, String, String)>,
    pub(super) logs: Vec<Listed>,
}

impl DigestFields {
    /// The digest as CloudTrail writes it: compact JSON, its field order, `\/` in strings.
    pub(super) fn render(&self) -> Vec<u8> {
        let t = |t: Timestamp| json!(t.extended());
        let newest = self.logs.iter().map(|l| l.newest).max();
        let oldest = self.logs.iter().map(|l| l.oldest).min();
        let previous = self.previous.as_ref();
        let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
        let logs: Vec<String> = self
            .logs
            .iter()
            .map(|l| {
                ordered(&[
                    ("s3Bucket", json!(self.bucket)),
                    ("s3Object", json!(l.key)),
                    ("hashValue", json!(l.hash)),
                    ("hashAlgorithm", json!("SHA-256")),
                    ("newestEventTime", t(l.newest)),
                    ("oldestEventTime", t(l.oldest)),
                ])
            })
            .collect();
        let mut text = ordered(&[
            ("awsAccountId", json!(self.account)),
            ("digestStartTime", t(self.start)),
            ("digestEndTime", t(self.end)),
            ("digestS3Bucket", json!(self.bucket)),
            ("digestS3Object", json!(self.key)),
            ("digestPublicKeyFingerprint", json!(self.fingerprint)),
            ("digestSignatureAlgorithm", json!("SHA256withRSA")),
            ("newestEventTime", or_null(newest.map(t))),
            ("oldestEventTime", or_null(oldest.map(t))),
            (
                "previousDigestS3Bucket",
                or_null(previous.map(|_| json!(self.bucket))),
            ),
            (
                "previousDigestS3Object",
                or_null(previous.map(|p| json!(p.0))),
            ),
            (
                "previousDigestHashValue",
                or_null(previous.map(|p| json!(p.1))),
            ),
            (
                "previousDigestHashAlgorithm",
                or_null(previous.map(|_| json!("SHA-256"))),
            ),
            (
                "previousDigestSignature",
                or_null(previous.map(|p| json!(p.2))),
            ),
        ]);
        text.pop();
        text.push_str(&format!(",\"logFiles\":[{}]}}", logs.join(",")));
        text.replace('/', "\\/").into_bytes()
    }

    /// Signs the rendered digest with `key`: the content and its metadata.
    pub(super) fn sign(&self, key: TestKey) -> (Vec<u8>, BTreeMap<String, String>) {
        let content = self.render();
        let previous = self.previous.as_ref().map(|(_, _, sig)| sig.as_str());
        let signature = key.sign(&signing_string(
            &self.end.extended(),
            &self.bucket,
            &self.key,
            &content,
            previous,
        ));
        let metadata = BTreeMap::from([
            ("signature".to_owned(), signature),
            ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
        ]);
        (content, metadata)
    }
}

/// A JSON object with its keys in the given order, as compact text.
fn ordered(fields: &[(&str, Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json!(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A log file's content: two records, the newest at `at`.
pub(super) fn log_content(chain: &Chain, at: Timestamp, serial: usize) -> Vec<u8> {
    let record = |time: Timestamp, n: usize| {
        json!({
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLEOPS:ops",
                "arn": format!("arn:aws:sts::{}:assumed-role/ops/ops", chain.account),
                "accountId": chain.account
            },
            "eventTime": time.extended(),
            "eventSource": "acm.amazonaws.com",
            "eventName": "DescribeCertificate",
            "awsRegion": chain.region,
            "sourceIPAddress": "192.0.2.10",
            "userAgent": "aws-cli/2.15.0 Python/3.11.6",
            "requestParameters": {
                "certificateArn": format!("arn:aws:acm:{}:{}:certificate/0a1b2c3d-0000-4000-8000-00000000000{}", chain.region, chain.account, n)
            },
            "responseElements": null,
            "requestID": format!("00000000-0000-4000-a000-{:012x}", serial * 2 + n),
            "eventID": format!("00000000-0000-4000-8000-{:012x}", serial * 2 + n),
            "readOnly": true,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": chain.account,
            "eventCategory": "Management"
        })
    };
    let records = json!({"Records": [record(at.plus(-4 * MINUTE), 0), record(at, 1)]});
    serde_json::to_vec(&records).expect("JSON of generated records")
}

/// 16 letters and digits, different for every `serial`, as CloudTrail's unique part.
pub(super) fn unique(serial: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let hash = ring::digest::digest(&ring::digest::SHA256, &serial.to_le_bytes());
    hash.as_ref()[..16]
        .iter()
        .map(|&b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()]))
        .collect()
}

pub(super) fn gzip(content: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(content).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}
