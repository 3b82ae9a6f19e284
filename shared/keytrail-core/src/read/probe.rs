//! Looks for a `Records` member in a complete top-level object held in memory.
//!
//! CloudTrail always writes `Records` as the first (and only) key, and the reader streams that
//! case without buffering. Anything else is buffered whole and handed here: if some top-level
//! key is `Records`, the object is a log file after all; otherwise it is one event.

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
    let mut i = skip_ws(obj, 1);
    if obj.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        if obj.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = value_end(scan, obj, i, usize::MAX)?;
        let is_records = obj.get(i + 1..key_end.saturating_sub(1)) == Some(b"Records".as_slice());
        i = skip_ws(obj, key_end);
        if obj.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(obj, i + 1);
        let first = *obj.get(i)?;
        if is_records {
            return Some(if first == b'[' {
                Records::Array
            } else {
                Records::NotArray(i, kind_of(first))
            });
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
}
