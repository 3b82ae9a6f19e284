//! The checks behind the fuzz targets in `fuzz/` and their short stable run in
//! `tests/fuzz_seeds.rs`: arbitrary bytes in, `Err` naming the broken promise out (a panic in the
//! engine is a failure too).
//!
//! They live here, rather than in a file that the fuzz crate and the test each `include!`, so that
//! they are compiled, linted (workspace lints, `missing_docs`) and clippy-checked with the engine
//! on stable in every `make lint`, and the nightly fuzz crate, a workspace of its own, holds only
//! three small targets that call them. They use only what the crate exports. Behind the
//! `fuzzing` feature (the fuzz crate enables it, and the crate's own tests through their
//! dev-dependency on it) and hidden from the docs: a test aid, not part of the engine's API.
//!
//! - [`Harness::reader`]: bytes as an object. Serial and pipelined readers, and 4 KiB and 13-byte
//!   reads, yield the same records, damaged spans and fault (up to a gzip fault, see `agree`);
//!   `scan_object` counts what the reader delivered; every alert (and the integrity alert of the
//!   object's problems) renders within limits. Then the same bytes as the recipe of a damaged
//!   object (`recovery`): known records, laid out and damaged; every record the serial reader
//!   yields is a known one or holds a damaged byte.
//! - [`Harness::rules`]: bytes as one YAML rule file, loaded leniently. When it loads, the
//!   prefilter never drops a match on fixed events, and the scan path alerts on exactly the rules
//!   that match.
//! - [`Harness::render`]: bytes as one JSON record, scanned with a rule that matches any record
//!   with an `eventName`; every output of every alert is within its documented limits.

mod reader;
mod recovery;
mod render;
mod rules;

#[cfg(test)]
pub(crate) use render::without_links;

use serde_json::{json, Value};

use crate::read::ReadOptions;
use crate::rules::{LoadOptions, RuleSet};
use crate::scan::{scan_object, ScanOptions};
use crate::Alert;

pub use render::check_alert;

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
    /// The records damaged objects are built from, and the events nested in them.
    known: (Vec<Vec<u8>>, Vec<Vec<u8>>),
}

impl Harness {
    /// The built-in rules, the any-event rule and the fixed events.
    pub fn new() -> Result<Harness, String> {
        let fail = |e: Vec<crate::rules::RuleError>| format!("{e:?}");
        Ok(Harness {
            builtin: RuleSet::load(&LoadOptions::default()).map_err(fail)?.set,
            any_event: RuleSet::load(&LoadOptions::from_sources([(
                "fuzz-any-event.yml",
                ANY_EVENT_RULE,
            )]))
            .map_err(fail)?
            .set,
            events: fixed_events(),
            known: recovery::known_records(),
        })
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
