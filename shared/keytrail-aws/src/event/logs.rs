//! CloudTrail delivered to CloudWatch Logs and forwarded by a subscription filter:
//! `{"awslogs": {"data": "<base64 of gzip of the batch>"}}`, the batch being `{"messageType",
//! "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents": [{"id", "timestamp",
//! "message"}]}` and each `message` one CloudTrail event as JSON text (CloudWatch Logs User
//! Guide, "Using CloudWatch Logs subscription filters"; CloudTrail User Guide, "Sending events to
//! CloudWatch Logs"). Sample `events/cloudwatch-logs-cloudtrail.json`.
//!
//! The batch becomes an [`Invocation::LogEvents`]: the messages as a CloudTrail log document
//! (`{"Records": [...]}`, [`LogBatch::document`]), so that they go through the same reader,
//! rules and alerts as a trail object. A message that is not JSON is kept as a JSON string:
//! the reader then reports that record as "not an object", which becomes an integrity alert
//! naming the batch, and nothing is dropped silently. `CONTROL_MESSAGE` batches (CloudWatch Logs
//! checks that the destination is reachable when the filter is created) are ignored.
//!
//! `aws_lambda_events` models this payload (feature `cloudwatch_logs`), but its deserializer
//! gunzips with a raw decoder, without a bound (the workspace allows only the capped one in
//! `keytrail_core::read`), and its `flate2` dependency turns on a second deflate backend; this
//! module decodes the base64 itself and gunzips with `keytrail_core::read`'s
//! [`RecordReader`], capped at [`MAX_BATCH_BYTES`], which yields the batch object as one record.

use base64::Engine;
use keytrail_core::read::{ReadOptions, RecordReader};
use serde::Deserialize;
use serde_json::Value;

use super::error::ShapeError;
use super::invocation::Invocation;

const SHAPE: &str = "CloudWatch Logs subscription event";

/// The largest decompressed batch accepted. CloudWatch Logs sends at most 1 MiB of log events
/// a batch (Lambda's payload limit holds the compressed form); anything larger is not its.
pub const MAX_BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// The log events of one subscription delivery, as a CloudTrail log document.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBatch {
    /// The log group the events came from.
    pub log_group: String,
    /// The log stream (CloudTrail names it `<account>_CloudTrail_<region>`).
    pub log_stream: String,
    /// Each log event's message: JSON text when it parses, else the message as a JSON string.
    pub records: Vec<String>,
}

impl LogBatch {
    /// `{"Records": [...]}`: the messages as a CloudTrail log file, for the reader.
    pub fn document(&self) -> Vec<u8> {
        let size = self.records.iter().map(|r| r.len() + 1).sum::<usize>() + 16;
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(b"{\"Records\":[");
        for (i, record) in self.records.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(record.as_bytes());
        }
        out.extend_from_slice(b"]}");
        out
    }
}

#[derive(Deserialize)]
struct AwsLogs {
    data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogData {
    message_type: String,
    #[serde(default)]
    log_group: String,
    #[serde(default)]
    log_stream: String,
    #[serde(default)]
    log_events: Vec<LogEntry>,
}

#[derive(Deserialize)]
struct LogEntry {
    message: String,
}

/// A payload with a top-level `awslogs`.
pub(super) fn parse(awslogs: &Value) -> Result<Invocation, ShapeError> {
    let AwsLogs { data } =
        AwsLogs::deserialize(awslogs).map_err(|e| ShapeError::malformed(SHAPE, "awslogs", e))?;
    let gzip = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| ShapeError::malformed(SHAPE, "awslogs.data", format!("not base64: {e}")))?;
    let batch = decode(&gzip)?;
    if batch.message_type == "CONTROL_MESSAGE" {
        return Ok(Invocation::Ignored(
            "CloudWatch Logs control message (the subscription filter's reachability check)"
                .to_owned(),
        ));
    }
    if batch.message_type != "DATA_MESSAGE" {
        return Err(ShapeError::malformed(
            SHAPE,
            "awslogs.data: messageType",
            "expected DATA_MESSAGE or CONTROL_MESSAGE",
        ));
    }
    let records = batch
        .log_events
        .into_iter()
        .map(
            |entry| match serde_json::from_str::<serde::de::IgnoredAny>(&entry.message) {
                Ok(_) => entry.message,
                Err(_) => Value::String(entry.message).to_string(),
            },
        )
        .collect();
    Ok(Invocation::LogEvents(LogBatch {
        log_group: batch.log_group,
        log_stream: batch.log_stream,
        records,
    }))
}

/// The batch object in `gzip` (gzip of one JSON object), read by the capped core reader.
fn decode(gzip: &[u8]) -> Result<LogData, ShapeError> {
    let options = ReadOptions {
        max_decompressed_bytes: MAX_BATCH_BYTES,
        max_record_bytes: usize::try_from(MAX_BATCH_BYTES).unwrap_or(usize::MAX),
        ..ReadOptions::default()
    };
    std::thread::scope(|scope| {
        let mut reader = RecordReader::pipelined(scope, "awslogs.data", gzip, options);
        let malformed = |detail: String| ShapeError::malformed(SHAPE, "awslogs.data", detail);
        let batch = match reader.next_record() {
            Ok(Some(record)) => serde_json::from_slice::<LogData>(record.json)
                .map_err(|e| malformed(format!("not a log-events batch: {e}")))?,
            Ok(None) => return Err(malformed("empty".to_owned())),
            Err(e) => return Err(malformed(e.detail)),
        };
        match reader.next_record() {
            Ok(None) => Ok(batch),
            Ok(Some(_)) => Err(malformed("holds more than one batch".to_owned())),
            Err(e) => Err(malformed(e.detail)),
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::io::Write;

    use serde_json::json;

    use super::*;

    fn payload(batch: &[u8]) -> Value {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(batch).unwrap();
        let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        json!({"awslogs": {"data": data}})
    }

    fn batch(kind: &str, messages: &[&str]) -> Vec<u8> {
        let events: Vec<Value> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| json!({"id": i.to_string(), "timestamp": 1, "message": m}))
            .collect();
        serde_json::to_vec(&json!({
            "messageType": kind, "owner": "123456789012", "logGroup": "trail-group",
            "logStream": "123456789012_CloudTrail_us-east-1", "subscriptionFilters": ["f"],
            "logEvents": events,
        }))
        .unwrap()
    }

    #[test]
    fn batches_become_documents_or_errors() {
        let cases: Vec<(Value, Result<&str, &str>)> = vec![
            (
                payload(&batch(
                    "DATA_MESSAGE",
                    &[r#"{"eventName":"A"}"#, "{\"eventName\":\"B\"}"],
                )),
                Ok(r#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#),
            ),
            (
                payload(&batch("DATA_MESSAGE", &["not json", "{}"])),
                Ok(r#"{"Records":["not json",{}]}"#),
            ),
            (
                payload(&batch("DATA_MESSAGE", &[])),
                Ok(r#"{"Records":[]}"#),
            ),
            (
                payload(&batch("CONTROL_MESSAGE", &["CWL CONTROL MESSAGE"])),
                Err("ignored"),
            ),
            (
                payload(&batch("OTHER", &[])),
                Err("expected DATA_MESSAGE or CONTROL_MESSAGE"),
            ),
            (json!({"awslogs": {"data": "%%%"}}), Err("not base64")),
            (
                json!({"awslogs": {"data": "aGVsbG8="}}),
                Err("awslogs.data is malformed"),
            ),
            (json!({"awslogs": {}}), Err("missing field `data`")),
            (
                payload(b"{\"messageType\": 7}"),
                Err("not a log-events batch"),
            ),
            (
                payload(&[batch("DATA_MESSAGE", &[]), batch("DATA_MESSAGE", &[])].concat()),
                Err("more than one batch"),
            ),
        ];
        for (input, want) in cases {
            let got = parse(&input["awslogs"]);
            match (got, want) {
                (Ok(Invocation::LogEvents(b)), Ok(doc)) => {
                    assert_eq!(String::from_utf8(b.document()).unwrap(), doc);
                    assert_eq!(b.log_group, "trail-group");
                    assert_eq!(b.log_stream, "123456789012_CloudTrail_us-east-1");
                }
                (Ok(Invocation::Ignored(reason)), Err("ignored")) => {
                    assert!(reason.contains("control message"), "{reason}");
                }
                (Err(e), Err(fragment)) => {
                    let text = e.to_string();
                    assert!(text.contains(fragment), "{text}");
                    assert!(text.contains(SHAPE), "{text}");
                }
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn a_batch_past_the_bound_is_refused() {
        // Zeros compress ~1000:1, so the payload stays small.
        let mut big = b"{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[],\"pad\":\"".to_vec();
        big.resize(usize::try_from(MAX_BATCH_BYTES).unwrap() + 10, b'0');
        big.extend_from_slice(b"\"}");
        let err = parse(&payload(&big)["awslogs"]).unwrap_err().to_string();
        assert!(err.contains(&MAX_BATCH_BYTES.to_string()), "{err}");
    }
}
