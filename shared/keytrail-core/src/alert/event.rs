//! The record as an alert carries it: compact JSON text, secrets redacted, cut to fit.
//!
//! The event is written once, when the alert is made ([`EventJson::redacted`] serializes the
//! parsed record through [`redact::Redacted`], redacting as it writes; [`EventJson::redacted_tree`]
//! writes the same text from the record's own bytes), and from then on it is
//! text: the CLI's JSONL line, the SNS message and the Slack notifier copy it as it is instead of
//! serializing a tree again. In JSON it is an ordinary nested object; reading one back keeps its
//! text as it was. [`EventJson::to_value`] parses it for the rare reader that wants to look
//! inside (the SNS fitting ladder, tests).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::record::Tree;
use crate::redact;

/// An alert's event: JSON text (an object, or `null` in an alert about no one record).
#[derive(Clone, Default)]
pub struct EventJson(Option<Box<RawValue>>);

impl EventJson {
    /// `record` with its secrets redacted, as JSON.
    pub fn redacted(record: &Value) -> EventJson {
        EventJson::serialized(&redact::Redacted(record))
    }

    /// The record `tree` holds with its secrets redacted, as JSON: the same text as
    /// [`EventJson::redacted`] of the record's `Value` ([`redact::write_redacted`]). `None`
    /// only were the text not JSON, which the writer never makes.
    pub fn redacted_tree(tree: &Tree<'_>, capacity: usize) -> Option<EventJson> {
        let mut out = Vec::with_capacity(capacity);
        redact::write_redacted(tree, &mut out).ok()?;
        let text = String::from_utf8(out).ok()?;
        RawValue::from_string(text)
            .ok()
            .map(|raw| EventJson(Some(raw)))
    }

    /// `value` as it is, as JSON (for a value that is redacted already, or holds no record).
    pub fn from_value(value: &Value) -> EventJson {
        EventJson::serialized(value)
    }

    /// `null`: no record.
    pub fn null() -> EventJson {
        EventJson(None)
    }

    fn serialized<T: Serialize + ?Sized>(value: &T) -> EventJson {
        // Serializing a JSON value (string keys only) cannot fail; were it to, the alert would
        // still go out, saying so instead of carrying the event.
        serde_json::value::to_raw_value(value)
            .or_else(|e| {
                serde_json::value::to_raw_value(&serde_json::json!({
                    "keytrail_note": format!("event could not be serialized: {e}")
                }))
            })
            .map_or(EventJson(None), |raw| EventJson(Some(raw)))
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.as_deref().map_or("null", RawValue::get)
    }

    /// True for `null`, an alert about no one record.
    pub fn is_null(&self) -> bool {
        self.get() == "null"
    }

    /// The event parsed (`null` for text that does not parse, which only a hand-made alert
    /// could hold).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.get()).unwrap_or(Value::Null)
    }
}

impl PartialEq for EventJson {
    fn eq(&self, other: &EventJson) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for EventJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for EventJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EventJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EventJson, D::Error> {
        Option::<Box<RawValue>>::deserialize(deserializer).map(EventJson)
    }
}
