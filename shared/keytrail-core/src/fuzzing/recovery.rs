//! The second half of [`Harness::reader`]: bytes as the recipe of a damaged object. Known
//! CloudTrail records are laid out in a container (the `Records` array, a top-level array, or
//! NDJSON; plain or gzip), then damaged (bytes overwritten, inserted, deleted, copied elsewhere,
//! the end cut off), with every byte the damage touched marked. The object must pass the
//! reader's agreement checks; every record the serial reader resumed at after damage must be an
//! event; and every event it yields (a record the scan classifies: an object with an
//! `eventSource`, `eventName`, `eventType` or `detail-type` key) must be one of the known records
//! byte for byte (or the event nested in the envelope), or hold a byte the damage touched:
//! recovery never makes an event up from a piece of a record, and never shifts one. (A damaged
//! structure can also yield other values, a key or an object nested in a record: the scan reports
//! those as bad records or as not events, and classifies none.)

use std::io::Write;

use serde_json::{json, Map, Value};

use super::reader::read_all;
use super::{ensure, read_options, Checked, Harness};
use crate::read::RecordReader;

/// Damage steps per object, at most.
const MAX_STEPS: usize = 4;

/// The known records, and the objects nested in them that are themselves events (an
/// EventBridge envelope's `detail`): both may come out.
pub(super) fn known_records() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let decrypt = json!({"eventVersion": "1.08", "userIdentity": {"type": "AWSService",
        "invokedBy": "acm.amazonaws.com"}, "eventTime": "2026-06-10T20:30:00Z",
        "eventSource": "kms.amazonaws.com", "eventName": "Decrypt", "eventID": "k-1",
        "requestParameters": {"encryptionContext": {"aws:acm:arn":
            "arn:aws:acm:us-east-1:123456789012:certificate/abc"}},
        "resources": [{"ARN": "arn:aws:kms:us-east-1:123456789012:key/k", "accountId":
            "123456789012"}, {"ARN": "arn:aws:kms:us-east-1:123456789012:key/j"}]});
    let records: Vec<Value> = vec![
        decrypt.clone(),
        json!({"eventVersion": "1.08", "eventSource": "acm.amazonaws.com",
            "eventName": "ExportCertificate", "eventID": "k-2", "requestParameters":
            {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
             "passphrase": "p@{[\"]}\\:,\u{e9}"}, "responseElements": null}),
        json!({"eventVersion": "1.09", "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject", "eventID": "k-3", "additionalEventData":
            {"x": [1, 2.5e3, {"y": "}"}, [[]], true]}, "tags": [{"k": "a"}, {"k": "]"}]}),
        json!({"version": "0", "id": "e-4", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.kms", "detail": decrypt}),
        json!({"eventName": "CreateKey", "eventSource": "kms.amazonaws.com",
            "userAgent": "aws-cli/2 \u{e9}\u{1f600} \"quoted\" \\ back"}),
        json!({"eventType": "AwsServiceEvent", "eventID": "k-6"}),
    ];
    let bytes = |v: &Value| serde_json::to_vec(v).unwrap_or_default();
    let nested = vec![bytes(&decrypt)];
    (records.iter().map(bytes).collect(), nested)
}

/// An object under construction: its bytes and, for each, whether damage touched it.
struct Damaged {
    bytes: Vec<u8>,
    touched: Vec<bool>,
}

impl Damaged {
    fn touch(&mut self, at: usize) {
        if let Some(t) = self.touched.get_mut(at) {
            *t = true;
        }
    }

    /// One step of damage, read from `step` (three bytes).
    fn damage(&mut self, step: &[u8]) {
        let [kind, hi, lo] = step else {
            return;
        };
        let len = self.bytes.len();
        if len == 0 {
            return;
        }
        let at = (usize::from(*hi) << 8 | usize::from(*lo)) % len;
        const PALETTE: &[u8] = b"\"{}[],:\\@x \n0";
        let byte = PALETTE[usize::from(*kind >> 3) % PALETTE.len()];
        match kind % 5 {
            0 => {
                self.bytes[at] = byte;
                self.touch(at);
            }
            1 => {
                self.bytes.insert(at, byte);
                self.touched.insert(at, true);
            }
            2 => {
                let end = (at + 1 + usize::from(*kind >> 3) % 16).min(len);
                self.bytes.drain(at..end);
                self.touched.drain(at..end);
                self.touch(at.saturating_sub(1));
                self.touch(at);
            }
            3 => {
                let from = (at * 7 + usize::from(*lo)) % len;
                let end = (from + 1 + usize::from(*kind >> 3) % 64).min(len);
                let copy = self.bytes[from..end].to_vec();
                let n = copy.len();
                self.bytes.splice(at..at, copy);
                self.touched.splice(at..at, vec![false; n]);
                self.touch(at.saturating_sub(1));
                self.touch(at);
                self.touch(at + n - 1);
                self.touch(at + n);
            }
            _ => {
                self.bytes.truncate(at);
                self.touched.truncate(at);
                self.touch(at.saturating_sub(1));
            }
        }
    }
}

/// True for a JSON object with a top-level key of a CloudTrail event (or an EventBridge
/// envelope): what the reader resumes at and the scan tries to classify. Invalid UTF-8 in a
/// string does not change that: the reader passes it through, and the scan reports the record
/// as a bad one.
fn is_event(json: &[u8]) -> bool {
    let text = String::from_utf8_lossy(json);
    serde_json::from_str::<Map<String, Value>>(&text).is_ok_and(|map| {
        ["eventSource", "eventName", "eventType", "detail-type"]
            .iter()
            .any(|key| map.contains_key(*key))
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

impl Harness {
    /// `data` as the recipe of a damaged object; see the module docs.
    pub(super) fn recovery(&self, data: &[u8]) -> Checked {
        let [how, count, rest @ ..] = data else {
            return Ok(());
        };
        let (known, nested) = &self.known;
        let n = 1 + usize::from(*count) % 8;
        let (picks, steps) = rest.split_at(n.min(rest.len()));
        let mut object = Damaged {
            bytes: Vec::new(),
            touched: Vec::new(),
        };
        let (open, between, close): (&[u8], &[u8], &[u8]) = match how % 3 {
            0 => (b"{\"Records\":[", b",", b"]}"),
            1 => (b"[", b",\n", b"]"),
            _ => (b"", b"\n", b"\n"),
        };
        object.bytes.extend_from_slice(open);
        for (k, pick) in picks.iter().enumerate() {
            if k > 0 {
                object.bytes.extend_from_slice(between);
            }
            let record = &known[usize::from(*pick) % known.len()];
            object.bytes.extend_from_slice(record);
        }
        object.bytes.extend_from_slice(close);
        object.touched = vec![false; object.bytes.len()];
        for step in steps.chunks_exact(3).take(MAX_STEPS) {
            object.damage(step);
        }
        let input = if how & 0x80 != 0 {
            gzip(&object.bytes)
        } else {
            object.bytes.clone()
        };
        self.read_ways(&input)?;
        let serial = read_all(RecordReader::new("fuzz", &input[..], read_options(4096)))?;
        // Where reading resumed at a record (not at a new log file): that record.
        let resumed: Vec<u64> = serial
            .damaged
            .iter()
            .filter_map(|d| d.4.clone())
            .map(|s| s.end)
            .collect();
        for (index, offset, json) in &serial.records {
            let at = usize::try_from(*offset).unwrap_or(usize::MAX);
            let touched = object
                .touched
                .get(at..at.saturating_add(json.len()))
                .is_some_and(|t| t.contains(&true));
            let contained = known.contains(json) || nested.contains(json);
            // Only events are classified: any other value a damaged structure yields is
            // reported as a bad record. Recovery resumes only at an event.
            let event = is_event(json);
            ensure(event || !resumed.contains(offset), || {
                format!("recovery resumed at record {index}, not an event: {json:?}")
            })?;
            ensure(!event || contained || touched, || {
                format!(
                    "record {index} at {offset} is no known record and no damage touched it: \
                     {:?} (object {:?})",
                    String::from_utf8_lossy(json),
                    String::from_utf8_lossy(&object.bytes)
                )
            })?;
        }
        Ok(())
    }
}
