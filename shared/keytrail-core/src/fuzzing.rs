//! The checks behind the fuzz targets in `fuzz/` and their short stable run in
//! `tests/fuzz_seeds.rs`: arbitrary bytes in, `Err` naming the broken promise out (a panic in the
//! engine is a failure too).
//!
//! They live here, rather than in a file that the fuzz crate and the test each `include!`, so that
//! they are compiled, linted (workspace lints, `missing_docs`) and clippy-checked with the engine
//! on stable in every `make lint`, and the nightly fuzz crate, a workspace of its own, holds only
//! three small targets that call them. They use only what the crate exports. Hidden from the
//! docs: a test aid, not part of the engine's API.
//!
//! - [`Harness::reader`]: bytes as an object. Serial and pipelined readers, and 4 KiB and 13-byte
//!   reads, yield the same records and fault (up to a gzip fault, see `agree`); `scan_object`
//!   counts what the reader delivered; every alert (and the integrity alert of a fault) renders
//!   within limits.
//! - [`Harness::rules`]: bytes as one YAML rule file, loaded leniently. When it loads, the
//!   prefilter never drops a match on fixed events, and the scan path alerts on exactly the rules
//!   that match.
//! - [`Harness::render`]: bytes as one JSON record, scanned with a rule that matches any record
//!   with an `eventName`; every output of every alert is within its documented limits.

use std::io::Read;

use serde_json::{json, Value};

use crate::alert::MAX_ALERT_BYTES;
use crate::read::{ReadErrorKind, ReadOptions, RecordReader};
use crate::record::Event;
use crate::render::{self, slack};
use crate::rules::RuleSet;
use crate::scan::{scan_object, ScanOptions};
use crate::Alert;

/// What every check returns: `Err` says which promise broke.
pub type Checked = Result<(), String>;

/// Fails with `message` unless `ok`.
fn ensure(ok: bool, message: impl FnOnce() -> String) -> Checked {
    if ok {
        Ok(())
    } else {
        Err(message())
    }
}

/// The rule of [`Harness::render`]: any record with an `eventName` alerts.
const ANY_EVENT_RULE: &str = "title: Any event\nid: fuzz-any-event\n\
    logsource: {product: aws, service: cloudtrail}\n\
    detection:\n  selection:\n    eventName|exists: true\n  condition: selection\nlevel: high\n";

/// The odd, small read size compared with 4 KiB reads: records and faults cross every boundary.
const TINY_READ: usize = 13;

/// Reader limits small enough that a decompression bomb costs a millisecond.
pub fn read_options(buffer_bytes: usize) -> ReadOptions {
    ReadOptions {
        max_decompressed_bytes: 256 << 10,
        max_record_bytes: 64 << 10,
        buffer_bytes,
        ..ReadOptions::default()
    }
}

fn scan_options() -> ScanOptions {
    ScanOptions {
        read: read_options(4096),
        ..ScanOptions::default()
    }
}

/// The rules and events the checks use, built once.
#[derive(Debug)]
pub struct Harness {
    builtin: RuleSet,
    any_event: RuleSet,
    events: Vec<Value>,
}

/// Everything one reader yielded: `(index, offset, json)` per record, then the fault.
#[derive(Debug, PartialEq)]
struct Readout {
    records: Vec<(u64, u64, Vec<u8>)>,
    fault: Option<(ReadErrorKind, Option<u64>, Option<u64>, String)>,
}

impl Readout {
    /// How many records (and their first bytes), then the fault: short enough for a report.
    fn summary(&self) -> String {
        let records: Vec<String> = self
            .records
            .iter()
            .map(|(i, offset, json)| {
                let head = String::from_utf8_lossy(json.get(..24).unwrap_or(json));
                format!("#{i}@{offset}+{} {head:?}", json.len())
            })
            .collect();
        format!(
            "{} records [{}], fault {:?}",
            records.len(),
            records.join(", "),
            self.fault
        )
    }
}

/// Whether two reads of the same bytes agree: the same records, offsets and fault. Except at a
/// gzip fault: the decoder drops what it decoded in the call that meets a damaged or truncated
/// stream, so how far each read got depends on how the calls were cut. Then the fault kind must
/// still be the same (the reader looks past garbage that a damaged stream decoded to, for the
/// gzip fault behind it), and the records that both delivered must be the same. With
/// `same_buffer` false the fault messages may differ (they quote the bytes around the fault that
/// are still in the buffer).
fn agree(a: &Readout, b: &Readout, same_buffer: bool) -> bool {
    let kind = |r: &Readout| r.fault.as_ref().map(|f| f.0);
    let gzip = |r: &Readout| {
        matches!(
            kind(r),
            Some(ReadErrorKind::CorruptGzip | ReadErrorKind::TruncatedGzip)
        )
    };
    if gzip(a) || gzip(b) {
        let n = a.records.len().min(b.records.len());
        kind(a) == kind(b) && a.records.get(..n) == b.records.get(..n)
    } else if same_buffer {
        a == b
    } else {
        let fault = |r: &Readout| r.fault.as_ref().map(|f| (f.0, f.1, f.2));
        a.records == b.records && fault(a) == fault(b)
    }
}

fn read_all<R: Read>(mut reader: RecordReader<R>) -> Result<Readout, String> {
    let mut out = Readout {
        records: Vec::new(),
        fault: None,
    };
    loop {
        match reader.next_record() {
            Ok(Some(raw)) => out.records.push((raw.index, raw.offset, raw.json.to_vec())),
            Ok(None) => break,
            Err(e) => {
                let detail = e.to_string();
                out.fault = Some((e.kind, e.compressed_offset, e.decompressed_offset, detail));
                break;
            }
        }
    }
    ensure(matches!(reader.next_record(), Ok(None)), || {
        "a record or fault after the end".to_owned()
    })?;
    ensure(reader.records() == out.records.len() as u64, || {
        format!(
            "records() {} but {} yielded",
            reader.records(),
            out.records.len()
        )
    })?;
    for (i, (index, offset, json)) in out.records.iter().enumerate() {
        ensure(*index == i as u64 && !json.is_empty(), || {
            format!("record {i} has index {index} and {} bytes", json.len())
        })?;
        ensure(*offset < reader.decompressed_bytes(), || {
            format!("record {i} at offset {offset} past the end")
        })?;
    }
    Ok(out)
}

impl Harness {
    /// The built-in rules, the any-event rule and the fixed events.
    pub fn new() -> Result<Harness, String> {
        let fail = |e: Vec<crate::rules::RuleError>| format!("{e:?}");
        Ok(Harness {
            builtin: RuleSet::builtin().map_err(fail)?,
            any_event: RuleSet::from_sources([("fuzz-any-event.yml", ANY_EVENT_RULE)])
                .map_err(fail)?,
            events: fixed_events(),
        })
    }

    /// `data` as an object; see the module docs.
    pub fn reader(&self, data: &[u8]) -> Checked {
        let serial = read_all(RecordReader::new("fuzz", data, read_options(4096)))?;
        let piped = std::thread::scope(|scope| {
            read_all(RecordReader::pipelined(
                scope,
                "fuzz",
                data,
                read_options(4096),
            ))
        })?;
        ensure(agree(&piped, &serial, true), || {
            format!(
                "pipelined reader: {}; serial: {}",
                piped.summary(),
                serial.summary()
            )
        })?;
        let tiny = read_all(RecordReader::new("fuzz", data, read_options(TINY_READ)))?;
        ensure(agree(&tiny, &serial, false), || {
            format!(
                "{TINY_READ}-byte reads: {}; 4 KiB reads: {}",
                tiny.summary(),
                serial.summary()
            )
        })?;
        // scan_object reads through the pipelined reader.
        let kind = |r: &Readout| r.fault.as_ref().map(|f| f.0);
        let mut alerts = Vec::new();
        let report = scan_object("fuzz", data, &self.builtin, &scan_options(), &mut |a| {
            alerts.push(a)
        });
        ensure(report.records == piped.records.len() as u64, || {
            format!(
                "scan counted {} records, the pipelined reader yielded {}",
                report.records,
                piped.records.len()
            )
        })?;
        ensure(
            report.fault.as_ref().map(|f| f.kind) == kind(&piped),
            || {
                format!(
                    "scan fault {:?}, reader fault {:?}",
                    report.fault, piped.fault
                )
            },
        )?;
        ensure(report.alerts == alerts.len() as u64, || {
            format!(
                "{} alerts counted, {} delivered",
                report.alerts,
                alerts.len()
            )
        })?;
        ensure(report.parsed <= report.records, || format!("{report:?}"))?;
        ensure(
            report.bad_records.count + report.not_events.count <= report.records,
            || format!("{report:?}"),
        )?;
        let problems = report.problems();
        ensure(report.is_clean() == problems.is_empty(), || {
            format!("{problems:?}")
        })?;
        let _ = report.to_string();
        if let Some(fault) = &report.fault {
            alerts.push(Alert::integrity("fuzz", &fault.to_string()));
        }
        alerts.iter().try_for_each(check_alert)
    }

    /// `data` as one rule file; see the module docs.
    pub fn rules(&self, data: &[u8]) -> Checked {
        let text = String::from_utf8_lossy(data).into_owned();
        let set = match RuleSet::from_sources_lenient([("fuzz.yml", text)]) {
            Ok((set, skipped)) => {
                ensure(skipped.iter().all(|e| !e.to_string().is_empty()), || {
                    "an empty message for a skipped rule".to_owned()
                })?;
                set
            }
            Err(errors) => {
                return ensure(
                    !errors.is_empty() && errors.iter().all(|e| !e.to_string().is_empty()),
                    || format!("a failed load says nothing: {errors:?}"),
                );
            }
        };
        let n = set.rules().len();
        for event in &self.events {
            let mut matched = Vec::new();
            set.matches(event, &mut matched);
            let direct: Vec<usize> = (0..n).filter(|&i| set.is_match(i, event)).collect();
            ensure(matched == direct, || {
                format!("the index gives rules {matched:?}, the rules themselves {direct:?}")
            })?;
            let field = |k: &str| event.get(k).and_then(Value::as_str);
            ensure(
                matched.is_empty() || set.may_match(field("eventSource"), field("eventName")),
                || format!("may_match is false but rules {matched:?} match"),
            )?;
            let want: Vec<&str> = matched
                .iter()
                .map(|&i| set.rules()[i].id.as_str())
                .collect();
            let bytes = serde_json::to_vec(event).map_err(|e| e.to_string())?;
            let alerts = scan(&set, &bytes);
            let got: Vec<&str> = alerts.iter().map(|a| a.rule_id.as_str()).collect();
            ensure(got == want, || {
                format!("the scan path alerts on {got:?}, the rules match {want:?}")
            })?;
            alerts.iter().try_for_each(check_alert)?;
        }
        Ok(())
    }

    /// `data` as one JSON record; see the module docs.
    pub fn render(&self, data: &[u8]) -> Checked {
        let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(data) else {
            return Ok(());
        };
        scan(&self.any_event, data)
            .iter()
            .try_for_each(check_alert)?;
        // The same record, sure to have an eventName, re-serialized (no duplicate keys).
        map.entry("eventName").or_insert_with(|| json!("FuzzEvent"));
        let value = Value::Object(map);
        let bytes = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
        let (alerts, clean) = scan_report(&self.any_event, &bytes);
        let event = Event::from_value(value).map_err(|e| e.to_string())?;
        let expected = clean && !event.wrapped() && event.event_name().is_some();
        ensure(!expected || alerts.len() == 1, || {
            format!("{} alerts for a record with an eventName", alerts.len())
        })?;
        alerts.iter().try_for_each(check_alert)
    }
}

fn scan(rules: &RuleSet, bytes: &[u8]) -> Vec<Alert> {
    scan_report(rules, bytes).0
}

/// The alerts, and whether the object was read without a fault.
fn scan_report(rules: &RuleSet, bytes: &[u8]) -> (Vec<Alert>, bool) {
    let mut alerts = Vec::new();
    let report = scan_object("fuzz", bytes, rules, &scan_options(), &mut |a| {
        alerts.push(a)
    });
    (alerts, report.fault.is_none())
}

/// Three CloudTrail records the rules are evaluated on.
fn fixed_events() -> Vec<Value> {
    let who = json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice",
        "accountId": "123456789012", "principalId": "AIDAEXAMPLE"});
    vec![
        json!({"eventVersion": "1.08", "eventSource": "acm.amazonaws.com",
            "eventName": "ExportCertificate", "eventID": "e-1", "awsRegion": "us-east-1",
            "eventTime": "2026-06-10T20:30:00Z", "sourceIPAddress": "192.0.2.1",
            "userAgent": "aws-cli/2", "userIdentity": who, "recipientAccountId": "123456789012",
            "requestParameters": {"certificateArn":
                "arn:aws:acm:us-east-1:123456789012:certificate/abc", "passphrase": "HIDDEN"}}),
        json!({"eventSource": "kms.amazonaws.com", "eventName": "Decrypt", "eventID": "e-2",
            "userIdentity": {"type": "AWSService", "invokedBy": "acm.amazonaws.com"},
            "requestParameters": {"encryptionContext":
                {"aws:acm:arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}},
            "resources": [{"ARN": "arn:aws:kms:us-east-1:123456789012:key/k"}]}),
        json!({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
            "errorCode": "AccessDenied", "userIdentity": {"type": "Root"}, "count": 3,
            "readOnly": false, "tags": ["a", null, 1.5]}),
    ]
}

/// Every documented limit of every output of `alert`.
pub fn check_alert(alert: &Alert) -> Checked {
    let chars = |s: &str| s.chars().count();
    let subject = render::subject(alert);
    ensure(
        !subject.is_empty()
            && subject.len() <= render::MAX_SUBJECT_CHARS
            && subject.bytes().all(|b| (0x20..0x7f).contains(&b))
            && subject.starts_with(|c: char| c.is_ascii_graphic()),
        || format!("subject {subject:?}"),
    )?;
    let email = render::email_text(alert);
    ensure(!email.chars().any(|c| c.is_control() && c != '\n'), || {
        format!("control character in the email {email:?}")
    })?;
    let sns = render::sns_message(alert);
    ensure(sns.subject == subject, || "SNS subject differs".to_owned())?;
    ensure(sns.message.len() <= render::MAX_MESSAGE_BYTES, || {
        format!("SNS message of {} bytes", sns.message.len())
    })?;
    let doc: Value = serde_json::from_str(&sns.message).map_err(|e| format!("SNS message: {e}"))?;
    for key in ["default", "email", "email-json"] {
        ensure(doc[key].is_string(), || {
            format!("SNS message without {key}")
        })?;
    }
    let default: Value = serde_json::from_str(doc["default"].as_str().unwrap_or_default())
        .map_err(|e| format!("SNS default: {e}"))?;
    ensure(default["alert_id"] == alert.alert_id.as_str(), || {
        "SNS default has another alert_id".to_owned()
    })?;
    for (name, value) in render::message_attributes(alert) {
        ensure(
            !value.is_empty() && !value.chars().any(char::is_control),
            || format!("attribute {name} = {value:?}"),
        )?;
    }
    let json = serde_json::to_string(alert).map_err(|e| e.to_string())?;
    // Out of reach under `read_options` (an alert over the limit needs a record over its 64 KiB),
    // checked for runs with larger limits.
    ensure(json.len() <= MAX_ALERT_BYTES, || {
        format!("serialized alert of {} bytes", json.len())
    })?;
    let mut back: Alert = serde_json::from_str(&json).map_err(|e| format!("alert JSON: {e}"))?;
    // Floats in the event may move by one ulp through serde_json's parser: compare the rest.
    back.event = alert.event.clone();
    ensure(back == *alert, || {
        "the alert does not survive its JSON".to_owned()
    })?;
    let message = render::slack_message(alert);
    check_slack(&message, chars)
}

/// Slack's Block Kit limits and the escaping promises of [`render::slack`].
fn check_slack(message: &Value, chars: impl Fn(&str) -> usize) -> Checked {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or(format!("not text: {v}"))
    };
    let fallback = text(&message["text"])?;
    ensure(chars(&fallback) <= slack::MAX_FALLBACK_CHARS, || {
        format!("{fallback:?}")
    })?;
    ensure(!fallback.contains(['<', '>']), || {
        format!("live text {fallback:?}")
    })?;
    ensure(
        message["unfurl_links"] == false && message["unfurl_media"] == false,
        || "unfurling on".to_owned(),
    )?;
    let blocks = message["blocks"].as_array().cloned().unwrap_or_default();
    ensure(
        !blocks.is_empty() && blocks.len() <= slack::MAX_BLOCKS,
        || format!("{} blocks", blocks.len()),
    )?;
    let mrkdwn = |object: &Value, max: usize| -> Checked {
        let t = text(&object["text"])?;
        ensure(
            object["type"] == "mrkdwn" && object["verbatim"] == true,
            || format!("not verbatim mrkdwn: {object}"),
        )?;
        ensure(chars(&t) <= max, || format!("{} chars > {max}", chars(&t)))?;
        ensure(!t.contains(['<', '>']), || format!("live text {t:?}"))?;
        ensure(!t.chars().any(|c| c.is_control() && c != '\n'), || {
            format!("{t:?}")
        })
    };
    for block in &blocks {
        match block["type"].as_str().unwrap_or_default() {
            "header" => {
                let t = text(&block["text"]["text"])?;
                ensure(block["text"]["type"] == "plain_text", || format!("{block}"))?;
                ensure(chars(&t) <= slack::MAX_HEADER_CHARS, || {
                    format!("header {t:?}")
                })?;
                ensure(!t.chars().any(char::is_control), || format!("header {t:?}"))?;
            }
            "section" => {
                if let Some(fields) = block["fields"].as_array() {
                    ensure(
                        !fields.is_empty() && fields.len() <= slack::MAX_FIELDS,
                        || format!("{} fields", fields.len()),
                    )?;
                    for f in fields {
                        mrkdwn(f, slack::MAX_FIELD_CHARS)?;
                    }
                }
                if block.get("text").is_some() {
                    mrkdwn(&block["text"], slack::MAX_SECTION_CHARS)?;
                }
            }
            "context" => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                ensure(!elements.is_empty() && elements.len() <= 10, || {
                    format!("{block}")
                })?;
                for e in &elements {
                    mrkdwn(e, slack::MAX_SECTION_CHARS)?;
                }
            }
            "actions" => {
                let url = text(&block["elements"][0]["url"])?;
                ensure(
                    url.starts_with("https://") && url.len() <= slack::MAX_URL_CHARS,
                    || format!("button url {url:?}"),
                )?;
            }
            other => return Err(format!("unexpected block type {other:?}")),
        }
    }
    Ok(())
}
