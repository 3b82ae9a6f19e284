//! The alert's fields, ids, limits and redaction.

use super::resources::MAX_RESOURCE_BYTES;
use super::*;
use serde_json::json;

fn rule() -> Rule {
    Rule {
        id: "acm-export-certificate".to_owned(),
        title: "ACM certificate exported".to_owned(),
        description: "  A certificate and its private key left ACM.  ".to_owned(),
        level: Severity::High,
        file: "builtin:rules/acm-export-certificate.yml".to_owned(),
        tags: vec![],
        references: vec![],
        falsepositives: vec![],
    }
}

fn export_event() -> Event {
    Event::from_value(json!({
        "eventVersion": "1.05",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice",
                         "accountId": "123456789012"},
        "eventTime": "2019-06-28T18:51:22Z",
        "eventSource": "acm.amazonaws.com",
        "eventName": "ExportCertificate",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.1",
        "userAgent": "aws-cli/2 <!channel>",
        "requestParameters": {
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "passphrase": {"hb": [42, 42, 42]}
        },
        "responseElements": {"privateKey": "**********",
                             "certificate": "-----BEGIN CERTIFICATE-----"},
        "eventID": "01234567-0123-0123-0123-012345678901",
        "recipientAccountId": "123456789012"
    }))
    .unwrap()
}

#[test]
fn alert_carries_who_what_when_where_and_redacts() {
    let a = Alert::new(&rule(), &export_event(), "s3://b/k.json.gz", 3);
    assert_eq!(a.rule_id, "acm-export-certificate");
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.description, "A certificate and its private key left ACM.");
    assert_eq!(a.event_name.as_deref(), Some("ExportCertificate"));
    assert_eq!(a.account.as_deref(), Some("123456789012"));
    assert_eq!(
        a.principal.as_deref(),
        Some("arn:aws:iam::123456789012:user/Alice")
    );
    assert_eq!(a.principal_type.as_deref(), Some("IAMUser"));
    assert_eq!(
        a.resources,
        vec!["arn:aws:acm:us-east-1:123456789012:certificate/abc"]
    );
    assert_eq!(
        a.source,
        Source {
            object: "s3://b/k.json.gz".to_owned(),
            record: Some(3)
        }
    );
    assert_eq!(
        a.console_url.as_deref(),
        Some("https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/01234567-0123-0123-0123-012345678901")
    );
    assert_eq!(
        a.event.to_value()["requestParameters"]["passphrase"],
        redact::REDACTED
    );
    assert_eq!(
        a.event.to_value()["responseElements"]["privateKey"],
        redact::REDACTED
    );
    assert_eq!(
        a.event.to_value()["responseElements"]["certificate"],
        redact::REDACTED
    );
    let text = serde_json::to_string(&a).unwrap();
    assert!(!text.contains("BEGIN CERTIFICATE") && !text.contains("[42,42,42]"));
}

/// Found by tests/redaction.rs: a resource-named value nested under a secret-bearing key
/// (`requestParameters.secretConfig.name`) was redacted in the event but copied in clear to
/// `resources`, and from there to the email, Slack and SNS.
#[test]
fn resources_skip_values_under_secret_keys() {
    let e = Event::from_value(json!({
        "eventName": "PutSecretValue", "eventID": "id",
        "requestParameters": {
            "name": "visible-name",
            "secretConfig": {"name": "hidden-name", "keyId": "hidden-key"},
            "tokens": [{"certificateArn": "hidden-arn"}],
            "certificateId": "-----BEGIN PRIVATE KEY-----\nMII",
        },
    }))
    .unwrap();
    let a = Alert::new(&rule(), &e, "f", 0);
    assert_eq!(a.resources, vec!["visible-name"]);
    assert_eq!(a.event_name.as_deref(), Some("PutSecretValue"));
    let text = serde_json::to_string(&a).unwrap();
    assert!(
        !text.contains("hidden-") && !text.contains("PRIVATE KEY"),
        "{text}"
    );
}

/// Found by reading the alert's fields for tests/redaction.rs: a PEM private key pasted into
/// a top-level text field (the user agent, an ARN) was redacted in the event but copied in
/// clear to `user_agent` / `principal`.
#[test]
fn private_key_in_a_top_level_field_is_redacted() {
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIEsecretbody\n-----END PRIVATE KEY-----";
    let e = Event::from_value(json!({
        "eventName": "ExportCertificate", "eventID": "id", "userAgent": pem,
        "userIdentity": {"arn": pem, "type": "IAMUser"},
    }))
    .unwrap();
    let a = Alert::new(&rule(), &e, "f", 0);
    assert_eq!(a.user_agent.as_deref(), Some(redact::REDACTED));
    assert_eq!(a.principal.as_deref(), Some(redact::REDACTED));
    assert!(!serde_json::to_string(&a)
        .unwrap()
        .contains("MIIEsecretbody"));
}

#[test]
fn alert_id_is_stable_and_distinct() {
    let a = Alert::new(&rule(), &export_event(), "s3://b/one.json.gz", 0);
    let b = Alert::new(&rule(), &export_event(), "s3://b/other.json.gz", 7);
    assert_eq!(
        a.alert_id, b.alert_id,
        "same rule and eventID: same id whatever the object"
    );
    assert_eq!(a.alert_id.len(), 32);
    let mut other = rule();
    other.id = "acm-export-certificate-denied".to_owned();
    assert_ne!(
        Alert::new(&other, &export_event(), "x", 0).alert_id,
        a.alert_id
    );
    assert_ne!(alert_id("r", None, "x", 1), alert_id("r", None, "x", 2));
}

#[test]
fn every_schema_key_is_present_even_when_null() {
    let e = Event::from_value(json!({"eventName": "X"})).unwrap();
    let v = serde_json::to_value(Alert::new(&rule(), &e, "f", 0)).unwrap();
    for key in [
        "alert_id",
        "rule_id",
        "severity",
        "title",
        "description",
        "tags",
        "references",
        "falsepositives",
        "event_id",
        "event_source",
        "event_name",
        "event_time",
        "account",
        "region",
        "principal",
        "source_ip",
        "user_agent",
        "resources",
        "source",
        "console_url",
        "event",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["console_url"], Value::Null);
}

#[test]
fn oversized_event_is_cut_under_the_limit() {
    let e = Event::from_value(json!({
        "eventName": "ExportCertificate", "eventID": "id",
        "requestParameters": {"note": "x".repeat(1_000_000)}
    }))
    .unwrap();
    let a = Alert::new(&rule(), &e, "f", 0);
    assert!(serde_json::to_vec(&a).unwrap().len() <= MAX_ALERT_BYTES);
    assert_eq!(a.event.to_value()["eventName"], "ExportCertificate");
}

/// Written straight from the tree, an alert is the `Alert`'s text whenever the `Alert` keeps
/// its event whole, and is refused (left to the `Alert`, which cuts the event) whenever it cuts
/// it: byte by byte across the limit, with a record that only the event carries large.
#[test]
fn a_written_alert_is_refused_exactly_when_its_event_must_be_cut() {
    let (mut written, mut refused) = (0, 0);
    let rule = rule();
    // The event's budget is the limit less the rest of the alert (under 1 KiB here).
    for pad in (MAX_ALERT_BYTES - 1_600..MAX_ALERT_BYTES - 200).step_by(3) {
        let json = serde_json::to_vec(&json!({
            "eventName": "ExportCertificate", "eventID": "id", "awsRegion": "us-east-1",
            "requestParameters": {"note": "x".repeat(pad)}
        }))
        .unwrap();
        let tree = Tree::parse(&json).unwrap();
        let found = TreeAlert {
            rule: &rule,
            head: None,
            tree: &tree,
            json: &json,
            object: "s3://b/k",
            record: 1,
        };
        let alert = found.to_alert();
        let whole = EventJson::redacted_tree(&tree, json.len()).unwrap();
        let mut line = Vec::new();
        if found.write_json(&mut line) {
            assert_eq!(
                alert.event, whole,
                "{pad}: written, but the alert cut its event"
            );
            assert_eq!(line, serde_json::to_vec(&alert).unwrap(), "{pad}");
            written += 1;
        } else {
            assert_ne!(
                alert.event, whole,
                "{pad}: refused, but the alert kept its event"
            );
            assert!(line.is_empty(), "{pad}");
            refused += 1;
        }
    }
    assert!(
        written > 10 && refused > 10,
        "{written} written, {refused} refused"
    );
}

#[test]
fn huge_untrusted_fields_are_capped_and_the_alert_fits() {
    let e = Event::from_value(json!({
        "eventName": "ExportCertificate", "eventID": "id", "awsRegion": "us-east-1",
        "userAgent": "é".repeat(500_000),
        "userIdentity": {"arn": "a".repeat(1_000_000), "type": "IAMUser"},
        "sourceIPAddress": "1".repeat(100_000),
    }))
    .unwrap();
    let a = Alert::new(&rule(), &e, "f", 0);
    for field in [&a.user_agent, &a.principal, &a.source_ip] {
        let text = field.as_deref().unwrap();
        assert!(
            text.len() <= MAX_FIELD_BYTES + 32 && text.contains("…[cut "),
            "{}",
            text.len()
        );
    }
    assert!(serde_json::to_vec(&a).unwrap().len() <= MAX_ALERT_BYTES);
}

/// Found by reading the fuzz harness's checks: 32 resources of 2 KiB each pushed an alert
/// past its limit, since only the event was cut to fit.
#[test]
fn many_long_resources_keep_the_alert_under_the_limit() {
    let names: serde_json::Map<String, Value> = (0..40)
        .map(|i| {
            (
                format!("k{i}"),
                json!({"name": format!("{i:04}{}", "n".repeat(2044))}),
            )
        })
        .collect();
    let e = Event::from_value(json!({
        "eventName": "ExportCertificate", "eventID": "id",
        "requestParameters": names,
    }))
    .unwrap();
    let a = Alert::new(&rule(), &e, "f", 0);
    assert!(!a.resources.is_empty());
    assert!(a.resources.iter().map(String::len).sum::<usize>() <= MAX_RESOURCE_BYTES);
    assert!(serde_json::to_vec(&a).unwrap().len() <= MAX_ALERT_BYTES);
}

#[test]
fn console_url_by_partition_and_refuses_odd_input() {
    for (region, id, want) in [
        (Some("eu-west-1"), Some("e-1"), Some("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/e-1")),
        (Some("us-gov-west-1"), Some("e"), Some("https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events/e")),
        (Some("cn-north-1"), Some("e"), Some("https://cn-north-1.console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/e")),
        (Some("evil.com/x"), Some("e"), None),
        (Some("us-east-1"), Some("e\"><script>"), None),
        (None, Some("e"), None),
        (Some("us-east-1"), None, None),
    ] {
        assert_eq!(console_url(region, id).as_deref(), want, "{region:?} {id:?}");
    }
}

#[test]
fn integrity_alert_names_object_and_fault() {
    let a = Alert::integrity("s3://b/k.json.gz", "truncated gzip at byte 1234");
    assert_eq!(a.rule_id, INTEGRITY_RULE_ID);
    assert!(a.description.contains("s3://b/k.json.gz") && a.description.contains("byte 1234"));
    assert_eq!(a.source.record, None);
    assert_eq!(
        a.alert_id,
        Alert::integrity("s3://b/k.json.gz", "truncated gzip at byte 1234").alert_id
    );
}

/// Making an alert skips measuring it when a bound says the event fits: the bound is never under
/// the alert's true length, whatever its fields hold (every text field, resource and the object
/// set to escape-heavy text, each of which serde_json writes 6 bytes a byte).
#[test]
fn length_bound_is_never_under_the_true_length() {
    let mut fields = serde_json::to_value(Alert::new(&rule(), &export_event(), "f", 0)).unwrap();
    let hostile = Value::String("\u{1}\"\\é\u{7f}".repeat(200));
    for (key, field) in fields.as_object_mut().unwrap() {
        match (key.as_str(), field) {
            ("severity" | "event", _) => {}
            (_, Value::Array(items)) => items.iter_mut().for_each(|i| *i = hostile.clone()),
            (_, Value::Object(source)) => {
                source.insert("object".to_owned(), hostile.clone());
            }
            (_, other) => *other = hostile.clone(),
        }
    }
    for event in [Value::Null, json!({"eventName": "x"})] {
        fields["event"] = event;
        let alert: Alert = serde_json::from_str(&fields.to_string()).unwrap();
        assert_eq!(alert.user_agent, hostile.as_str().map(str::to_owned));
        let mut bare = alert.clone();
        bare.event = EventJson::null();
        let actual = serde_json::to_string(&bare).unwrap().len();
        assert!(actual > 10_000, "{actual}");
        assert!(alert.max_len_without_event() >= actual, "{actual}");
    }
}

/// The rule's Sigma tags, references and false positives reach the alert: trimmed, empty items
/// left out, each list and item within its limit (rules may come from anywhere).
#[test]
fn alert_carries_the_rules_notes_within_limits() {
    let mut r = rule();
    r.tags = vec![
        "attack.credential-access".to_owned(),
        " attack.t1552.004\n".to_owned(),
        "  ".to_owned(),
    ];
    r.references = (0..40)
        .map(|i| format!("https://example.com/{i}"))
        .collect();
    r.falsepositives = vec!["é".repeat(5000), "A planned export.".to_owned()];
    let a = Alert::new(&r, &export_event(), "f", 0);
    assert_eq!(a.tags, ["attack.credential-access", "attack.t1552.004"]);
    assert_eq!(a.references.len(), MAX_RULE_LIST_ITEMS);
    assert_eq!(a.references[15], "https://example.com/15");
    assert!(a.falsepositives[0].len() <= MAX_RULE_ITEM_BYTES + 32);
    assert!(
        a.falsepositives[0].ends_with("…[cut 8976 bytes]"),
        "{}",
        a.falsepositives[0]
    );
    assert_eq!(a.falsepositives[1], "A planned export.");
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(
        json["tags"],
        json!(["attack.credential-access", "attack.t1552.004"])
    );
}

/// An alert published before the rule's notes were carried (a message in flight during an
/// upgrade) still reads, with empty notes.
#[test]
fn alert_without_the_rules_notes_still_reads() {
    let mut v = serde_json::to_value(Alert::new(&rule(), &export_event(), "f", 0)).unwrap();
    for key in ["tags", "references", "falsepositives"] {
        v.as_object_mut().unwrap().remove(key);
    }
    let a: Alert = serde_json::from_str(&v.to_string()).unwrap();
    assert!(a.tags.is_empty() && a.references.is_empty() && a.falsepositives.is_empty());
    assert_eq!(a.rule_id, "acm-export-certificate");
}

/// The tree reads a record as serde_json reads it into a `Value`, so that an alert made from
/// either is the same byte for byte; and it refuses what serde_json refuses. Each text: the
/// alert from the tree equals the alert from the `Value`, or both refuse it (`Tree::parse` may
/// also leave to serde_json what it is not sure of: nesting deeper than it reads).
#[test]
fn alerts_from_a_tree_equal_alerts_from_a_value() {
    let deep = |n: usize| {
        format!(
            "{{\"eventName\":\"X\",\"d\":{}1{}}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let cases: Vec<(&str, String, bool)> = vec![
        ("plain", r#"{"eventName":"X","eventID":"e-1","awsRegion":"us-east-1"}"#.into(), true),
        ("whitespace", " \t\r\n{ \"eventName\" : \"X\" , \"a\" : [ 1 , { } , [ ] ] }\n ".into(), true),
        ("unsorted", r#"{"z":1,"eventName":"X","a":{"y":2,"b":3,"B":4,"é":5,"_":6}}"#.into(), true),
        ("duplicates", r#"{"eventName":"X","a":1,"a":{"k":"v"},"eventName":"Y","p":{"password":"s1","password":null}}"#.into(), true),
        ("escapes", r#"{"eventName":"X\/\u00e9\n\t\"\\","u\u0041":"\ud83d\ude00 \u001f \u007f","q":"a\"b"}"#.into(), true),
        ("escaped key sorts by text", r#"{"eventName":"X","\u0062":1,"a":2,"c":3}"#.into(), true),
        ("escaped secret key", r#"{"eventName":"X","requestParameters":{"pass\u0077ord":"hunter2-hunter2"}}"#.into(), true),
        ("raw unicode", "{\"eventName\":\"X\",\"userAgent\":\"caf\u{e9} \u{2026} \u{202e} \u{9b}\"}".into(), true),
        ("numbers", r#"{"eventName":"X","n":[0,-0,1.0,1e5,1E-7,-12,2.50,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809,0.1e1,123456789012345678901234567890]}"#.into(), true),
        ("literals", r#"{"eventName":"X","t":true,"f":false,"n":null,"errorCode":null}"#.into(), true),
        ("name/value pair", r#"{"eventName":"X","requestParameters":{"environment":[{"name":"DB_PASSWORD","value":"s3cr3t-value"},{"name":"HOME","value":"/root"}]}}"#.into(), true),
        ("shapes", r#"{"eventName":"X","userAgent":"Bearer abcdefghijklmnop1234","tags":{"k":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}"#.into(), true),
        ("paths and resources", r#"{"eventName":"X","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s"},"resources":[{"ARN":"arn:r0"},{"arn":"arn:r1"},"x"],"requestParameters":{"certificateArn":"arn:c","name":["n"],"keyId":3,"a.b":{"trailName":"t"}},"a.b":{"c":"d"}}"#.into(), true),
        ("envelope", r#"{"detail-type":"AWS API Call via CloudTrail","source":"aws.acm","detail":{"eventName":"X","eventID":"e"}}"#.into(), true),
        ("envelope not unwrapped", r#"{"eventName":"Y","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X"}}"#.into(), true),
        ("envelope without an object", r#"{"detail-type":"AWS API Call via CloudTrail","detail":"x"}"#.into(), true),
        ("nested 90", deep(90), true),
        ("nested 120", deep(120), true),
        ("nested 200", deep(200), false),
        ("empty", "{}".into(), true),
        ("array", "[1]".into(), false),
        ("string", r#""s""#.into(), false),
        ("trailing comma", r#"{"eventName":"X",}"#.into(), false),
        ("trailing bytes", r#"{"eventName":"X"} x"#.into(), false),
        ("two values", r#"{"eventName":"X"}{}"#.into(), false),
        ("missing colon", r#"{"eventName" "X"}"#.into(), false),
        ("unquoted key", r#"{eventName:"X"}"#.into(), false),
        ("leading zero", r#"{"eventName":"X","n":01}"#.into(), false),
        ("bare dot", r#"{"eventName":"X","n":1.}"#.into(), false),
        ("plus", r#"{"eventName":"X","n":+1}"#.into(), false),
        ("minus alone", r#"{"eventName":"X","n":-}"#.into(), false),
        ("huge exponent", r#"{"eventName":"X","n":1e400}"#.into(), false),
        ("raw tab", "{\"eventName\":\"X\ty\"}".into(), false),
        ("raw newline in key", "{\"event\nName\":\"X\"}".into(), false),
        ("bad escape", r#"{"eventName":"\x"}"#.into(), false),
        ("lone surrogate", r#"{"eventName":"\ud83d"}"#.into(), false),
        ("truncated", r#"{"eventName":"X""#.into(), false),
        ("truncated string", r#"{"eventName":"X\"#.into(), false),
        ("bad literal", r#"{"eventName":nul}"#.into(), false),
        ("capital literal", r#"{"eventName":True}"#.into(), false),
    ];
    for (name, text, valid) in &cases {
        let json = text.as_bytes();
        let tree = Tree::parse(json);
        match Event::parse(json) {
            Err(_) => {
                assert!(!valid, "{name}: serde_json refused it");
                assert!(
                    tree.is_none(),
                    "{name}: the tree read what serde_json refused"
                );
            }
            Ok(event) => {
                assert!(valid, "{name}: serde_json read it");
                let want = serde_json::to_string(&Alert::new(&rule(), &event, "f", 1)).unwrap();
                match tree {
                    Some(tree) => {
                        let got = Alert::from_tree(&rule(), &tree, json, "f", 1);
                        assert_eq!(serde_json::to_string(&got).unwrap(), want, "{name}");
                    }
                    None => assert!(name.starts_with("nested 1"), "{name}: the tree refused it"),
                }
            }
        }
    }
    // Invalid UTF-8 inside a string: refused by both.
    let bad = b"{\"eventName\":\"\xff\"}";
    assert!(Event::parse(bad).is_err() && Tree::parse(bad).is_none());
}

/// An event that may not fit beside the rest of the alert is cut exactly as `Alert::new` cuts
/// it, from the tree too.
#[test]
fn a_large_event_from_a_tree_is_cut_as_from_a_value() {
    let big = json!({"eventName": "X", "eventID": "e",
        "requestParameters": {"items": (0..10_000).map(|i| format!("item-{i}")).collect::<Vec<_>>()}});
    let json = serde_json::to_vec(&big).unwrap();
    let tree = Tree::parse(&json).unwrap();
    let got = Alert::from_tree(&rule(), &tree, &json, "f", 0);
    let want = Alert::new(&rule(), &Event::parse(&json).unwrap(), "f", 0);
    assert!(got.event.get().len() < json.len(), "not cut");
    assert_eq!(
        serde_json::to_string(&got).unwrap(),
        serde_json::to_string(&want).unwrap()
    );
}
