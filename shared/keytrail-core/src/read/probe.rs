//! Looks for a `Records` member in a complete top-level object held in memory.
//!
//! CloudTrail always writes `Records` as the first (and only) key, and the reader streams that
//! case without buffering. Anything else is buffered whole and handed here: if some top-level
//! key is `Records`, the object is a log file after all; otherwise it is one event.
//!
//! The same walk over top-level members tells recovery after damage whether an object it found
//! is a CloudTrail event ([`has_event_key`]).

use memchr::memmem;

use super::split::{value_end, ValueScan};

/// The `Records` member of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Records {
    /// `Records` is an array.
    Array,
    /// `Records` is something else: its index in the object and what it is.
    NotArray(usize, &'static str),
}

/// What the JSON value starting with `b` is, for messages.
pub(crate) fn kind_of(b: u8) -> &'static str {
    match b {
        b'n' => "null",
        b'{' => "an object",
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'-' | b'0'..=b'9' => "a number",
        _ => "not JSON",
    }
}

fn skip_ws(obj: &[u8], mut i: usize) -> usize {
    while obj
        .get(i)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

/// The first top-level `Records` member of `obj` (a complete, bracket-checked object), if any.
pub(crate) fn records_member(obj: &[u8], scan: &mut ValueScan) -> Option<Records> {
    // Cheap rejection first: almost every single event has no "Records" text at all.
    memmem::find(obj, b"\"Records\"")?;
    find_member(obj, scan, |key, value| {
        (key == b"Records").then(|| match obj.get(value) {
            Some(b'[') => Records::Array,
            first => Records::NotArray(value, kind_of(first.copied().unwrap_or_default())),
        })
    })
}

/// The top-level keys that make an object a CloudTrail event (or an EventBridge envelope of
/// one), as the scan tells events from other records.
const EVENT_KEYS: [&[u8]; 4] = [b"eventSource", b"eventName", b"eventType", b"detail-type"];

/// True when the complete, bracket-checked object `obj` has a top-level key of an event.
pub(crate) fn has_event_key(obj: &[u8], scan: &mut ValueScan) -> bool {
    // Cheap rejection first: most objects nested in a record name none of them anywhere.
    let named = |key: &[u8]| {
        let quoted = [b"\"", key, b"\""].concat();
        memmem::find(obj, &quoted).is_some()
    };
    EVENT_KEYS.into_iter().any(named)
        && find_member(obj, scan, |key, _| EVENT_KEYS.contains(&key).then_some(())).is_some()
}

/// Walks the top-level members of the complete object `obj`, in order, until `visit(key, index
/// of the value)` answers; `None` when none does or the object is malformed.
fn find_member<T>(
    obj: &[u8],
    scan: &mut ValueScan,
    mut visit: impl FnMut(&[u8], usize) -> Option<T>,
) -> Option<T> {
    let mut i = skip_ws(obj, 1);
    if obj.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        if obj.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = value_end(scan, obj, i, usize::MAX)?;
        let key = obj
            .get(i + 1..key_end.saturating_sub(1))
            .unwrap_or_default();
        i = skip_ws(obj, key_end);
        if obj.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(obj, i + 1);
        obj.get(i)?;
        if let Some(found) = visit(key, i) {
            return Some(found);
        }
        i = skip_ws(obj, value_end(scan, obj, i, usize::MAX)?);
        if obj.get(i) != Some(&b',') {
            return None;
        }
        i = skip_ws(obj, i + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_records_anywhere_at_the_top_level() {
        let cases: &[(&str, Option<Records>)] = &[
            (r#"{"eventName":"Records"}"#, None),
            (r#"{"a":{"Records":[]}}"#, None),
            (r#"{"a":"\"Records\":["}"#, None),
            (r#"{}"#, None),
            (r#"{"a":1,"Records":[1]}"#, Some(Records::Array)),
            (
                r#"{ "a" : [1,{"b":"}"}] , "Records" : [ ] }"#,
                Some(Records::Array),
            ),
            (
                r#"{"a":1,"Records":null}"#,
                Some(Records::NotArray(17, "null")),
            ),
            (
                r#"{"a":1,"Records":{"x":1}}"#,
                Some(Records::NotArray(17, "an object")),
            ),
        ];
        let mut scan = ValueScan::default();
        for (obj, want) in cases {
            assert_eq!(records_member(obj.as_bytes(), &mut scan), *want, "{obj}");
        }
    }

    #[test]
    fn tells_events_by_their_top_level_keys() {
        let cases: &[(&str, bool)] = &[
            (r#"{"eventVersion":"1.08","eventName":"Decrypt"}"#, true),
            (r#"{"eventSource":"kms.amazonaws.com"}"#, true),
            (r#"{"eventType":"AwsApiCall"}"#, true),
            (
                r#"{"version":"0","detail-type":"AWS API Call via CloudTrail"}"#,
                true,
            ),
            (
                r#"{"ARN":"arn:aws:kms:us-east-1:1:key/k","accountId":"1"}"#,
                false,
            ),
            (r#"{"a":{"eventName":"Decrypt"}}"#, false),
            (r#"{"a":"\"eventName\":1"}"#, false),
            (r#"{}"#, false),
        ];
        let mut scan = ValueScan::default();
        for (obj, want) in cases {
            assert_eq!(has_event_key(obj.as_bytes(), &mut scan), *want, "{obj}");
        }
    }
}
