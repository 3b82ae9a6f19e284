//! CloudWatch Embedded Metric Format: one JSON line per invocation on stdout, which CloudWatch
//! Logs turns into metrics in the `keytrail` namespace without any API call.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use keytrail_core::Severity;
use serde_json::{json, Map, Value};

/// Counters for one invocation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metrics {
    /// Objects read (whole or in part).
    pub objects: u64,
    /// Objects skipped (filtered keys, digests, missing objects).
    pub skipped: u64,
    /// Records read.
    pub records: u64,
    /// Bytes read from S3.
    pub bytes: u64,
    /// Objects that could not be read completely.
    pub read_errors: u64,
    /// Alerts (or whole objects) that could not be published.
    pub publish_failures: u64,
    /// Alerts not published again because the idempotency table says they were.
    pub duplicates: u64,
    /// Alerts counted in a suppression window and not sent (storm control, `SUPPRESS`).
    pub suppressed: u64,
    /// Objects stopped before the invocation's deadline (they fail, retryably).
    pub deadline_stops: u64,
    /// Invocations whose payload is none of the accepted shapes.
    pub invalid_payloads: u64,
    /// Alerts published, by severity.
    pub alerts: BTreeMap<Severity, u64>,
}

impl Metrics {
    /// Adds another set of counters.
    pub fn merge(&mut self, other: &Metrics) {
        self.objects += other.objects;
        self.skipped += other.skipped;
        self.records += other.records;
        self.bytes += other.bytes;
        self.read_errors += other.read_errors;
        self.publish_failures += other.publish_failures;
        self.duplicates += other.duplicates;
        self.suppressed += other.suppressed;
        self.deadline_stops += other.deadline_stops;
        self.invalid_payloads += other.invalid_payloads;
        for (sev, n) in &other.alerts {
            *self.alerts.entry(*sev).or_default() += n;
        }
    }

    /// The EMF document.
    pub fn to_emf(&self, function: &str) -> Value {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut values: Vec<(String, u64, &str)> = vec![
            ("Objects".to_owned(), self.objects, "Count"),
            ("ObjectsSkipped".to_owned(), self.skipped, "Count"),
            ("Records".to_owned(), self.records, "Count"),
            ("Bytes".to_owned(), self.bytes, "Bytes"),
            ("ReadErrors".to_owned(), self.read_errors, "Count"),
            ("PublishFailures".to_owned(), self.publish_failures, "Count"),
            ("DuplicatesSuppressed".to_owned(), self.duplicates, "Count"),
            ("AlertsSuppressed".to_owned(), self.suppressed, "Count"),
            ("DeadlineStops".to_owned(), self.deadline_stops, "Count"),
            ("InvalidPayloads".to_owned(), self.invalid_payloads, "Count"),
        ];
        for sev in Severity::ALL {
            let name = format!("Alerts{}", capitalise(sev.as_str()));
            values.push((name, self.alerts.get(&sev).copied().unwrap_or(0), "Count"));
        }
        let definitions: Vec<Value> = values
            .iter()
            .map(|(name, _, unit)| json!({"Name": name, "Unit": unit}))
            .collect();
        let mut doc = Map::new();
        doc.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": "keytrail",
                    "Dimensions": [["FunctionName"]],
                    "Metrics": definitions,
                }],
            }),
        );
        doc.insert("FunctionName".to_owned(), json!(function));
        for (name, value, _) in values {
            doc.insert(name, json!(value));
        }
        Value::Object(doc)
    }

    /// Writes the EMF line to stdout, where CloudWatch Logs picks it up.
    #[allow(
        clippy::print_stdout,
        reason = "EMF is read from the function's stdout"
    )]
    pub fn emit(&self, function: &str) {
        println!("{}", self.to_emf(function));
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_ascii_uppercase().to_string() + c.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_declares_every_value() {
        let mut m = Metrics {
            objects: 2,
            records: 10,
            bytes: 100,
            suppressed: 5,
            ..Metrics::default()
        };
        m.alerts.insert(Severity::High, 3);
        let mut total = Metrics::default();
        total.merge(&m);
        total.merge(&m);
        let doc = total.to_emf("fn");
        let defs = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap();
        assert_eq!(defs.len(), 15);
        for d in defs {
            let name = d["Name"].as_str().unwrap();
            assert!(doc[name].is_u64(), "{name} has no value");
        }
        assert_eq!(doc["Objects"], 4);
        assert_eq!(doc["AlertsHigh"], 6);
        assert_eq!(doc["AlertsSuppressed"], 10);
        assert_eq!(doc["AlertsCritical"], 0);
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "keytrail");
    }
}
