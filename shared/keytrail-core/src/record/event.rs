//! The full parse of a record, for the few records a rule could match.

use serde_json::Value;

use super::peek::{is_cloudtrail_detail_type, RecordError};
use super::view::lookup;

/// A parsed CloudTrail record, unwrapped from an EventBridge envelope when it came in one.
#[derive(Debug, Clone)]
pub struct Event {
    value: Value,
    wrapped: bool,
}

impl Event {
    /// Parses a raw record (rejecting invalid UTF-8, duplicate keys resolve to the last one).
    pub fn parse(json: &[u8]) -> Result<Event, RecordError> {
        Event::from_value(serde_json::from_slice(json)?)
    }

    /// Parses a record that [`super::Tree::parse`] read, so that serde reads it too; were it
    /// not to, the event is an empty object (the alert made from the tree is the same either
    /// way, and it is only read by what needs a `Value`: correlations, an event to cut).
    pub(crate) fn parse_read(json: &[u8]) -> Event {
        Event::parse(json).unwrap_or_else(|_| Event {
            value: Value::Object(serde_json::Map::new()),
            wrapped: false,
        })
    }

    /// Wraps an already parsed record, unwrapping an EventBridge envelope (`"detail-type": "AWS
    /// API Call via CloudTrail"`, or any `... via CloudTrail`, with the event under `detail`).
    pub fn from_value(value: Value) -> Result<Event, RecordError> {
        let mut map = match value {
            Value::Object(map) => map,
            other => return Err(RecordError::NotAnObject(json_type(&other))),
        };
        let is_event = ["eventSource", "eventName", "eventType"]
            .iter()
            .any(|k| map.contains_key(*k));
        let envelope = !is_event
            && map
                .get("detail-type")
                .and_then(Value::as_str)
                .is_some_and(is_cloudtrail_detail_type)
            && map.get("detail").is_some_and(Value::is_object);
        if envelope {
            if let Some(detail) = map.remove("detail") {
                return Ok(Event {
                    value: detail,
                    wrapped: true,
                });
            }
        }
        Ok(Event {
            value: Value::Object(map),
            wrapped: false,
        })
    }

    /// The CloudTrail record.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The CloudTrail record, owned.
    pub fn into_value(self) -> Value {
        self.value
    }

    /// True when the record came in an EventBridge envelope.
    pub fn wrapped(&self) -> bool {
        self.wrapped
    }

    /// The value at a dotted path (`userIdentity.sessionContext.sessionIssuer.arn`). A segment
    /// may index an array (`resources.0.ARN`), and a key may itself contain dots
    /// (`requestParameters.encryptionContext.aws:acm:arn` and `{"a.b": 1}` both work).
    pub fn get(&self, path: &str) -> Option<&Value> {
        lookup(&self.value, path)
    }

    /// A string field at a dotted path (`userIdentity.arn`); `None` when absent or not a string.
    pub fn str_at(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// `eventSource`, e.g. `acm.amazonaws.com`.
    pub fn event_source(&self) -> Option<&str> {
        self.str_at("eventSource")
    }

    /// `eventName`, e.g. `ExportCertificate`.
    pub fn event_name(&self) -> Option<&str> {
        self.str_at("eventName")
    }

    /// `eventID`, CloudTrail's unique id of the event.
    pub fn event_id(&self) -> Option<&str> {
        self.str_at("eventID")
    }

    /// `eventTime`, or `@timestamp` for records shipped through Logstash (as in OTRF's datasets).
    pub fn event_time(&self) -> Option<&str> {
        self.str_at("eventTime")
            .or_else(|| self.str_at("@timestamp"))
    }
}

/// `"array"`, `"string"`...: the JSON type of a value, for messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths() {
        let e = Event::from_value(json!({
            "eventName": "Decrypt",
            "userIdentity": {"arn": "arn:aws:iam::1:user/a", "n": 1},
            "requestParameters": {"encryptionContext": {"aws:acm:arn": "arn:aws:acm:x"}},
            "resources": [{"ARN": "r0"}, {"ARN": "r1"}],
            "a.b": {"c": "dotted"},
            "@timestamp": "2020-09-14T01:13:20.000Z",
        }))
        .unwrap();
        let cases: &[(&str, Option<&str>)] = &[
            ("eventName", Some("Decrypt")),
            ("userIdentity.arn", Some("arn:aws:iam::1:user/a")),
            ("userIdentity.n", None),
            ("userIdentity.missing", None),
            (
                "requestParameters.encryptionContext.aws:acm:arn",
                Some("arn:aws:acm:x"),
            ),
            ("resources.1.ARN", Some("r1")),
            ("resources.2.ARN", None),
            ("a.b.c", Some("dotted")),
            ("", None),
            ("eventName.x", None),
        ];
        for (path, want) in cases {
            assert_eq!(e.str_at(path), *want, "{path}");
        }
        assert_eq!(e.event_time(), Some("2020-09-14T01:13:20.000Z"));
        assert!(!e.wrapped());
    }

    #[test]
    fn unwraps_eventbridge_envelopes() {
        let cases = [
            (
                json!({"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "X"}}),
                Some("X"),
                true,
            ),
            (
                json!({"detail-type": "AWS Console Sign In via CloudTrail", "detail": {"eventName": "ConsoleLogin"}}),
                Some("ConsoleLogin"),
                true,
            ),
            (
                json!({"detail-type": "Object Created", "detail": {"eventName": "X"}}),
                None,
                false,
            ),
            (
                json!({"detail-type": "AWS API Call via CloudTrail", "detail": "x"}),
                None,
                false,
            ),
            (
                json!({"eventName": "Y", "detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "X"}}),
                Some("Y"),
                false,
            ),
        ];
        for (value, name, wrapped) in cases {
            let e = Event::from_value(value.clone()).unwrap();
            assert_eq!((e.event_name(), e.wrapped()), (name, wrapped), "{value}");
        }
    }

    #[test]
    fn rejects_non_objects() {
        let cases: &[(&[u8], &str)] = &[
            (b"[1]", "record is a JSON array, not an object"),
            (b"\"s\"", "record is a JSON string, not an object"),
            (
                b"{\"a\":",
                "invalid JSON: EOF while parsing a value at line 1 column 5",
            ),
            (
                b"{\"a\":\"\xff\"}",
                "invalid JSON: invalid unicode code point at line 1 column 7",
            ),
        ];
        for (json, want) in cases {
            assert_eq!(Event::parse(json).unwrap_err().to_string(), *want);
        }
    }
}
