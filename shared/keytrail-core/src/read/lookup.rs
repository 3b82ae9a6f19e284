//! `aws cloudtrail lookup-events` output as an input: `{"Events": [{"CloudTrailEvent": "<the
//! event as a JSON string>", "EventId": …, …}], "NextToken": …}`, the first thing a responder
//! without a trail bucket has (the LookupEvents API's response; the CLI merges its pages into one
//! `Events` array).
//!
//! When a top-level object's first key is `Events`, the reader streams that array as it streams
//! `Records`: element by element, each bounded by the record limit, so memory stays flat however
//! many pages were merged. For each element it yields the event that the element's
//! `CloudTrailEvent` string holds, decoded into a buffer of its own (never larger than the
//! element), at the element's offset. An element without a `CloudTrailEvent` string is yielded
//! as it is: the scan reports it as a record that is not an event, naming its keys. The other
//! members of an element (`EventId`, `Username`, `Resources`...) repeat what the event says and
//! are not read.

use std::borrow::Cow;

use serde::Deserialize;

/// One element of `Events`: only the embedded event matters.
#[derive(Deserialize)]
struct Element<'a> {
    #[serde(rename = "CloudTrailEvent", borrow, default)]
    event: Option<Cow<'a, str>>,
}

/// Decodes the event that `element` embeds into `out` and returns true; false (and `out` as it
/// was) when the element holds no `CloudTrailEvent` string.
pub(super) fn unwrap_into(element: &[u8], out: &mut Vec<u8>) -> bool {
    match serde_json::from_slice::<Element<'_>>(element) {
        Ok(Element { event: Some(event) }) => {
            out.clear();
            out.extend_from_slice(event.as_bytes());
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_embedded_event_or_leaves_the_element() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"EventId":"1","CloudTrailEvent":"{\"eventName\":\"A\",\"x\":\"q\\\"\\u00e9\"}"}"#,
                Some(r#"{"eventName":"A","x":"q\"\u00e9"}"#),
            ),
            (
                r#"{"CloudTrailEvent":"{\"a\":\"\u00e9\"}"}"#,
                Some(r#"{"a":"é"}"#),
            ),
            (r#"{"CloudTrailEvent":"{}","EventId":"2"}"#, Some("{}")),
            (r#"{"EventId":"3"}"#, None),
            (r#"{"CloudTrailEvent":{"eventName":"A"}}"#, None),
            (r#"{"CloudTrailEvent":null}"#, None),
            (r#"[1]"#, None),
        ];
        for (element, want) in cases {
            let mut out = b"before".to_vec();
            let got = unwrap_into(element.as_bytes(), &mut out);
            match want {
                Some(want) => assert!(got && out == want.as_bytes(), "{element}"),
                None => assert!(!got && out == b"before", "{element}"),
            }
        }
    }
}
