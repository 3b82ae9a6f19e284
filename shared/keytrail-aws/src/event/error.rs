//! [`ShapeError`]: a payload, or part of one, that is not a shape keytrail accepts.
//!
//! Messages never quote a payload's content (it may be large, and it is untrusted): they name
//! the shape, the path inside it and what was wrong, or list the payload's top-level keys.

use serde_json::Value;

/// Every shape the trail-processor accepts, for error messages.
pub const ACCEPTED_SHAPES: &str = "an S3 event notification (Records[].eventSource \"aws:s3\"), \
an SQS batch (\"aws:sqs\") or SNS notification (\"aws:sns\") carrying one, \
CloudTrail's notification {s3Bucket, s3ObjectKey}, an SNS envelope {Type: Notification, Message}, \
an EventBridge \"Object Created\" event from aws.s3, an EventBridge \"AWS API Call via CloudTrail\" \
event, a CloudWatch Logs subscription event {awslogs: {data}} of CloudTrail events, \
an S3 Batch Operations invocation (invocationSchemaVersion 1.0 or 2.0), or s3:TestEvent";

/// At most this many top-level keys are listed in an error.
const MAX_KEYS_SHOWN: usize = 12;
/// Each listed key is cut to this many characters.
const MAX_KEY_CHARS: usize = 40;

/// A payload (or an SQS message body, an SNS message, a Batch task) that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// No accepted shape matches.
    #[error(
        "{what} is not a shape keytrail accepts ({keys}); accepted: {ACCEPTED_SHAPES}: \
         check what the function's trigger sends"
    )]
    Unknown {
        /// What was being read: "payload", "SQS message body", ...
        what: &'static str,
        /// A description of the top-level keys (or the JSON type when not an object).
        keys: String,
    },
    /// The shape was recognised but a field is missing or has the wrong type.
    #[error("{shape} at {path} is malformed: {detail}")]
    Malformed {
        /// The recognised shape.
        shape: &'static str,
        /// Where in the payload, e.g. `Records[0]`.
        path: String,
        /// What is wrong (a serde message, which names the field but not its value).
        detail: String,
    },
    /// A string that must hold JSON (an SQS body, an SNS message) does not.
    #[error("{what} is not JSON ({detail}): expected {ACCEPTED_SHAPES}")]
    NotJson {
        /// What was being read.
        what: &'static str,
        /// The parser's message (position, not content).
        detail: String,
    },
    /// A URL-encoded object key decodes to bytes that are not UTF-8.
    #[error(
        "object key in {shape} is not valid UTF-8 once URL-decoded (after {prefix:?}): \
         was the key encoded twice?"
    )]
    BadKey {
        /// The shape the key came from.
        shape: &'static str,
        /// The decoded key up to the first invalid byte.
        prefix: String,
    },
    /// Envelopes nested deeper than keytrail follows (SNS inside SNS inside ...).
    #[error("{what} nests envelopes more than {max} deep: check the subscriptions for a loop")]
    TooDeep {
        /// What was being read.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// A recognised shape that keytrail does not handle in this combination.
    #[error("{shape}: {detail}")]
    Unsupported {
        /// The recognised shape.
        shape: &'static str,
        /// What is not supported and what to do.
        detail: String,
    },
}

impl ShapeError {
    /// An [`ShapeError::Unknown`] for `value`, listing its top-level keys.
    pub(crate) fn unknown(what: &'static str, value: &Value) -> Self {
        ShapeError::Unknown {
            what,
            keys: describe_keys(value),
        }
    }

    /// A [`ShapeError::Malformed`] from a serde error.
    pub(crate) fn malformed(
        shape: &'static str,
        path: impl Into<String>,
        detail: impl ToString,
    ) -> Self {
        ShapeError::Malformed {
            shape,
            path: path.into(),
            detail: detail.to_string(),
        }
    }
}

/// `text` cut to a length fit for an error message, marked with `...` when cut.
pub(crate) fn short(text: &str) -> String {
    let cut: String = text.chars().take(MAX_KEY_CHARS).collect();
    if cut.len() < text.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

/// "top-level keys: a, b, c" for an object, "a JSON array" for anything else.
fn describe_keys(value: &Value) -> String {
    let Value::Object(map) = value else {
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        return format!("it is {kind}, not a JSON object");
    };
    if map.is_empty() {
        return "it is an empty object".to_owned();
    }
    let mut keys: Vec<String> = map
        .keys()
        .take(MAX_KEYS_SHOWN)
        .map(|k| format!("{:?}", short(k)))
        .collect();
    if map.len() > MAX_KEYS_SHOWN {
        keys.push(format!("and {} more", map.len() - MAX_KEYS_SHOWN));
    }
    format!("top-level keys: {}", keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn describe_keys_cases() {
        let many: serde_json::Map<String, Value> =
            (0..15).map(|i| (format!("k{i:02}"), Value::Null)).collect();
        let long = "x".repeat(60);
        let cases = [
            (
                json!({"b": 1, "a": 2}),
                r#"top-level keys: "a", "b""#.to_owned(),
            ),
            (
                json!([1, 2]),
                "it is an array, not a JSON object".to_owned(),
            ),
            (
                json!("text"),
                "it is a string, not a JSON object".to_owned(),
            ),
            (json!({}), "it is an empty object".to_owned()),
            (Value::Object(many), {
                let shown: Vec<String> = (0..12).map(|i| format!("\"k{i:02}\"")).collect();
                format!("top-level keys: {}, and 3 more", shown.join(", "))
            }),
            (
                json!({ long.clone(): 1 }),
                format!("top-level keys: \"{}...\"", "x".repeat(40)),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(describe_keys(&value), want, "{value}");
        }
    }

    #[test]
    fn unknown_lists_keys_and_shapes_but_not_values() {
        let err = ShapeError::unknown("payload", &json!({"hello": "secret-value"}));
        let text = err.to_string();
        assert!(
            text.starts_with("payload is not a shape keytrail accepts"),
            "{text}"
        );
        assert!(text.contains(r#"top-level keys: "hello""#), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
        for shape in [
            "aws:s3",
            "aws:sqs",
            "aws:sns",
            "s3ObjectKey",
            "Object Created",
        ] {
            assert!(text.contains(shape), "{shape} missing from {text}");
        }
        assert!(
            text.contains("via CloudTrail") && text.contains("2.0"),
            "{text}"
        );
        assert!(text.contains("s3:TestEvent"), "{text}");
    }
}
