//! Table-driven tests of [`peek`] against what [`Event::parse`] sees.

use std::borrow::Cow;

use super::*;

#[test]
fn peeks_routing_fields() {
    /// (record, eventSource, eventName, wrapped, looks like an event)
    type Case = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        bool,
        bool,
    );
    let cases: &[Case] = &[
        (
            r#"{"eventSource":"acm.amazonaws.com","eventName":"ExportCertificate"}"#,
            Some("acm.amazonaws.com"),
            Some("ExportCertificate"),
            false,
            true,
        ),
        (
            r#"{"eventName":"Ex\u0070ort\"Q\\","x":{"eventName":"inner"}}"#,
            None,
            Some("Export\"Q\\"),
            false,
            true,
        ),
        (
            r#"{"eventName":"A","eventName":"B"}"#,
            None,
            Some("B"),
            false,
            true,
        ),
        (
            r#"{"eventName":5,"eventSource":null}"#,
            None,
            None,
            false,
            false,
        ),
        (
            r#"{"eventType":"AwsCloudTrailInsight","insightDetails":{"eventName":"X"}}"#,
            None,
            None,
            false,
            true,
        ),
        (
            r#"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.acm","detail":{"eventSource":"acm.amazonaws.com","eventName":"ExportCertificate"}}"#,
            Some("acm.amazonaws.com"),
            Some("ExportCertificate"),
            true,
            true,
        ),
        (
            r#"{"detail":{"eventName":"X"},"detail-type":"AWS Service Event via CloudTrail"}"#,
            None,
            Some("X"),
            true,
            true,
        ),
        (
            r#"{"detail-type":"Object Created","detail":{"eventName":"X"}}"#,
            None,
            None,
            false,
            false,
        ),
        (
            r#"{"detail-type":"AWS API Call via CloudTrail","detail":[1,{"eventName":"X"}]}"#,
            None,
            None,
            false,
            false,
        ),
        (
            r#"{"rule_id":"R","test_name":"t","expected_result":true,"log":{"eventName":"X"}}"#,
            None,
            None,
            false,
            false,
        ),
        ("{}", None, None, false, false),
    ];
    for (json, source, name, wrapped, event) in cases {
        let p = peek(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(p.event_source.as_deref(), *source, "{json}");
        assert_eq!(p.event_name.as_deref(), *name, "{json}");
        assert_eq!(
            (p.wrapped, p.looks_like_event()),
            (*wrapped, *event),
            "{json}"
        );
        if let Ok(parsed) = Event::parse(json.as_bytes()) {
            // The prefilter and the full parse agree.
            assert_eq!(parsed.event_name(), p.event_name.as_deref(), "{json}");
            assert_eq!(parsed.event_source(), p.event_source.as_deref(), "{json}");
        }
    }
}

#[test]
fn borrows_unescaped_strings() {
    let p = peek(br#"{"eventSource":"kms.amazonaws.com","eventName":"De\u0063rypt"}"#).unwrap();
    assert!(matches!(
        p.event_source,
        Some(Cow::Borrowed("kms.amazonaws.com"))
    ));
    assert!(matches!(p.event_name, Some(Cow::Owned(ref s)) if s == "Decrypt"));
}

#[test]
fn describes_records_that_are_not_events() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"file":"f","rule_id":"R","display_name":"d","severity":"High","test_index":0,"test_name":"t","log":{}}"#,
            r#""file", "rule_id", "display_name", "severity", "test_index" and 2 more (looks like a Panther rule test case: the event is under "log")"#,
        ),
        (
            r#"{"awsAccountId":"1","digestStartTime":"t"}"#,
            r#""awsAccountId", "digestStartTime" (looks like a CloudTrail digest file, not a log: skip CloudTrail-Digest keys)"#,
        ),
        (
            r#"{"detail-type":"Object Created","detail":{}}"#,
            r#""detail-type", "detail" (an EventBridge event that is not from CloudTrail)"#,
        ),
        (r#"{"a\"b":1}"#, r#""a\"b""#),
        ("{}", "none"),
    ];
    for (json, want) in cases {
        let p = peek(json.as_bytes()).unwrap();
        assert!(!p.looks_like_event());
        assert_eq!(p.describe_keys(), *want);
    }
}

#[test]
fn rejects_what_is_not_an_object() {
    let cases: &[(&[u8], &str)] = &[
        (b"[1,2]", "record is a JSON array, not an object"),
        (b"\"s\"", "record is a JSON string, not an object"),
        (b"7", "record is a JSON number, not an object"),
        (b"null", "record is a JSON null, not an object"),
        (
            b"{\"a\" 1}",
            "invalid JSON: expected `:` at line 1 column 6",
        ),
        (
            b"{\"a\":1} x",
            "invalid JSON: trailing characters at line 1 column 9",
        ),
        (
            b"[1,",
            "invalid JSON: EOF while parsing a value at line 1 column 3",
        ),
        (
            b"{\"eventName\":\"\xff\"}",
            "invalid JSON: invalid unicode code point at line 1 column 15",
        ),
    ];
    for (json, want) in cases {
        assert_eq!(
            peek(json).unwrap_err().to_string(),
            *want,
            "{}",
            json.escape_ascii()
        );
    }
}

/// The fast path either declines or sees exactly what the full peek sees.
#[test]
fn quick_peek_agrees_with_peek() {
    let cases: &[&str] = &[
        r#"{"eventSource":"acm.amazonaws.com","eventName":"ExportCertificate"}"#,
        r#" { "eventVersion" : "1.08" , "userIdentity" : {"type":"AWSService","x":[1,{"a":"}]\""}]} , "eventName" : "Decrypt", "n": -1.5e3, "t": true, "z": null } "#,
        r#"{"eventName":"A","eventName":"B"}"#,
        r#"{"eventName":"Ex\u0070ort"}"#,
        r#"{"eventName":5,"eventSource":null}"#,
        r#"{"eventType":"AwsCloudTrailInsight","insightDetails":{"eventName":"X"}}"#,
        r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X"}}"#,
        r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"eventName":"X"}"#,
        r#"{"rule_id":"x","eventName":"X"}"#,
        r#"{"a\"b":1,"eventName":"X"}"#,
        r#"{"eventName":"X"} x"#,
        r#"{"eventName":"X",}"#,
        r#"{"eventName" "X"}"#,
        r#"{"eventName":"X","a":{"b":[1,2}"#,
        r#"{}"#,
        r#"[{"eventName":"X"}]"#,
        "",
    ];
    for json in cases {
        let full = peek(json.as_bytes());
        let scanned = crate::read::closes_of(json.as_bytes());
        // The splitter's closes, none, and wrong ones (one too few, each one off by one): a
        // quick peek either declines or agrees with the full one.
        let mut closes = vec![None, scanned.clone()];
        if let Some(good) = scanned.filter(|c| !c.is_empty()) {
            closes.push(Some(good[1..].to_vec()));
            for k in 0..good.len() {
                for delta in [-1i64, 1] {
                    let mut bad = good.clone();
                    bad[k] = u32::try_from(i64::from(bad[k]) + delta).unwrap_or(0);
                    closes.push(Some(bad));
                }
            }
        }
        for closes in closes {
            check_quick_agrees(json, closes.as_deref(), &full);
        }
    }
    let declined = |json: &str| peek_quick(json.as_bytes(), None, None).is_none();
    assert!(declined(r#"{"eventName":"Ex\u0070ort"}"#));
    assert!(declined(
        r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X"}}"#
    ));
    assert!(!declined(
        r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#
    ));
    // With the splitter's closes, nested values are jumped over, not scanned.
    let json =
        br#"{"userIdentity":{"a":[1,{"b":"}"}]},"eventName":"X","r":[{}],"eventSource":"s"}"#;
    let closes = crate::read::closes_of(json).unwrap();
    assert_eq!(closes.len(), 2);
    let quick = peek_quick(json, Some(&closes), None).unwrap();
    assert_eq!(quick.event_source.as_deref(), Some("s"));
    assert_eq!(quick.key_count(), 4);
}

fn check_quick_agrees(json: &str, closes: Option<&[u32]>, full: &Result<Peek<'_>, RecordError>) {
    {
        let Some(quick) = peek_quick(json.as_bytes(), closes, None) else {
            return;
        };
        let full = full
            .as_ref()
            .unwrap_or_else(|e| panic!("{json}: quick peeked, full failed: {e}"));
        // Key names and the hint describe records that are not events; a quick peek is only
        // ever of an event, and leaves them out.
        assert!(quick.looks_like_event(), "{json}");
        let view = |p: &Peek<'_>| {
            (
                p.event_source.as_deref().map(str::to_owned),
                p.event_name.as_deref().map(str::to_owned),
                p.event_type.as_deref().map(str::to_owned),
                p.wrapped,
                p.key_count(),
            )
        };
        assert_eq!(view(&quick), view(full), "{json} with closes {closes:?}");
    }
}

/// The quick peek notes the value of each screened key, and any key that starts with one and a
/// dot, as a plain comparison with every screened key would: keys of every length around the
/// screened ones (up to past 63 bytes, where lengths share one bit), dots anywhere.
#[test]
fn quick_peek_notes_screened_keys() {
    let long = "k".repeat(70);
    let screened = ["errorCode", "userAgent", "userIdentity", &long];
    let mut projection = Projection::default();
    for key in screened {
        projection.add_path(key);
    }
    let names: Vec<String> = projection.keys().map(str::to_owned).collect();
    let mut keys: Vec<String> = Vec::new();
    for base in [
        "errorCode",
        "userAgent",
        "userIdentity",
        "user",
        &long,
        &"k".repeat(64),
    ] {
        keys.push(base.to_owned());
        for cut in [base.len().saturating_sub(1), base.len()] {
            for tail in ["", ".", ".type", "x", "x.type"] {
                keys.push(format!("{}{tail}", &base[..cut]));
            }
        }
    }
    keys.push(format!("{long}.type"));
    keys.push(format!("{}.x", "k".repeat(80)));
    for key in &keys {
        let json = format!(r#"{{"eventName":"X","{key}":{{"v":1}},"eventSource":"s"}}"#);
        let peek = peek_quick(json.as_bytes(), None, Some(&projection)).unwrap();
        let value = json.find(r#"{"v""#).unwrap();
        for (member, name) in names.iter().enumerate() {
            let want = (name == key).then_some(value..value + 7);
            assert_eq!(peek.screened(member), want, "{key} as {name}");
        }
        let dotted = names.iter().any(|n| {
            key.len() > n.len() && key.starts_with(n.as_str()) && key.as_bytes()[n.len()] == b'.'
        });
        assert_eq!(peek.screen_dotted(), dotted, "{key}");
    }
}

/// Keys compared a word at a time agree with a plain comparison, at every length and position.
#[test]
fn key_words_agree_with_plain_comparisons() {
    for len in 0..40 {
        let key: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        for at in 0..len {
            assert!(super::walk::same(&key, &key));
            let mut other = key.clone();
            other[at] ^= 0x20;
            assert!(!super::walk::same(&key, &other), "{len} {at}");
        }
        assert!(!super::walk::same(&key, &key[..len.saturating_sub(1)]) || len == 0);
    }
}
