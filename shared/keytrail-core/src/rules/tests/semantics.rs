//! What matches what: modifiers, null, arrays, numbers, keywords, conditions.

use serde_json::{json, Value};

use super::one;

pub(super) fn check(cases: &[(&str, Value, bool)]) {
    for (detection, event, want) in cases {
        let set = one(detection);
        assert_eq!(set.is_match(0, event), *want, "\n{detection}\n{event}");
        let mut out = Vec::new();
        set.matches(event, &mut out);
        assert_eq!(
            !out.is_empty(),
            *want,
            "index disagrees:\n{detection}\n{event}"
        );
    }
}

#[test]
fn strings_and_wildcards() {
    check(&[
        (
            "sel:\n  eventName: ExportCertificate\ncondition: sel",
            json!({"eventName": "exportcertificate"}),
            true,
        ),
        (
            "sel:\n  eventName: ExportCertificate\ncondition: sel",
            json!({"eventName": "ExportCertificates"}),
            false,
        ),
        (
            "sel:\n  eventName: Export*\ncondition: sel",
            json!({"eventName": "ExportCertificate"}),
            true,
        ),
        (
            "sel:\n  userAgent: '*terraform*'\ncondition: sel",
            json!({"userAgent": "Terraform/1.5"}),
            true,
        ),
        (
            "sel:\n  userAgent: 'a\\*b'\ncondition: sel",
            json!({"userAgent": "a*b"}),
            true,
        ),
        (
            "sel:\n  userAgent: 'a\\*b'\ncondition: sel",
            json!({"userAgent": "aXb"}),
            false,
        ),
        (
            "sel:\n  errorCode: ''\ncondition: sel",
            json!({"errorCode": ""}),
            true,
        ),
        ("sel:\n  errorCode: ''\ncondition: sel", json!({}), false),
        (
            "sel:\n  eventName:\n    - A\n    - B\ncondition: sel",
            json!({"eventName": "b"}),
            true,
        ),
        (
            "sel:\n  eventName:\n    - A\n    - B\ncondition: sel",
            json!({"eventName": "c"}),
            false,
        ),
    ]);
}

#[test]
fn null_exists_numbers_bools_and_objects() {
    check(&[
        ("sel:\n  errorCode: null\ncondition: sel", json!({}), true),
        (
            "sel:\n  errorCode: null\ncondition: sel",
            json!({"errorCode": null}),
            true,
        ),
        (
            "sel:\n  errorCode: null\ncondition: sel",
            json!({"errorCode": "AccessDenied"}),
            false,
        ),
        (
            "sel:\n  errorCode:\n    - Success\n    - null\ncondition: sel",
            json!({}),
            true,
        ),
        (
            "sel:\n  errorCode|exists: true\ncondition: sel",
            json!({"errorCode": "X"}),
            true,
        ),
        (
            "sel:\n  errorCode|exists: true\ncondition: sel",
            json!({"errorCode": null}),
            false,
        ),
        (
            "sel:\n  errorCode|exists: false\ncondition: sel",
            json!({}),
            true,
        ),
        (
            "sel:\n  port: 42\ncondition: sel",
            json!({"port": 42}),
            true,
        ),
        (
            "sel:\n  port: 42\ncondition: sel",
            json!({"port": "42"}),
            true,
        ),
        (
            "sel:\n  port: 42\ncondition: sel",
            json!({"port": 42.0}),
            true,
        ),
        (
            "sel:\n  port: 42\ncondition: sel",
            json!({"port": 43}),
            false,
        ),
        (
            "sel:\n  setAsDefault: true\ncondition: sel",
            json!({"setAsDefault": true}),
            true,
        ),
        (
            "sel:\n  setAsDefault: true\ncondition: sel",
            json!({"setAsDefault": "True"}),
            true,
        ),
        (
            "sel:\n  setAsDefault: true\ncondition: sel",
            json!({"setAsDefault": false}),
            false,
        ),
        (
            "sel:\n  enable: 'false'\ncondition: sel",
            json!({"enable": false}),
            true,
        ),
        (
            "sel:\n  requestParameters|contains: Suspended\ncondition: sel",
            json!({"requestParameters": {"VersioningConfiguration": {"Status": "Suspended"}}}),
            true,
        ),
        (
            "sel:\n  requestParameters: Suspended\ncondition: sel",
            json!({"requestParameters": {"Status": "Suspended"}}),
            false,
        ),
    ]);
}

#[test]
fn paths_and_arrays() {
    let sg = json!({"requestParameters": {"ipPermissions": {"items": [
        {"ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}},
        {"ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}
    ]}}});
    check(&[
        ("sel:\n  requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0\ncondition: sel", sg.clone(), true),
        ("sel:\n  requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 1.1.1.1/32\ncondition: sel", sg, false),
        ("sel:\n  requestParameters.encryptionContext.aws:acm:arn|startswith: 'arn:aws:acm:'\ncondition: sel",
            json!({"requestParameters": {"encryptionContext": {"aws:acm:arn": "arn:aws:acm:us-east-1:1:certificate/x"}}}), true),
        ("sel:\n  detail.a.b: x\ncondition: sel", json!({"detail": {"a.b": "x"}}), true),
        ("sel:\n  cmd|contains: curl\ncondition: sel", json!({"cmd": ["sh", "-c", "curl x"]}), true),
        ("sel:\n  tags: prod\ncondition: sel", json!({"tags": []}), false),
    ]);
}

#[test]
fn keywords_conditions_and_lists_of_maps() {
    check(&[
        (
            "keywords:\n  - TruffleHog\n  - pacu\ncondition: keywords",
            json!({"userAgent": "trufflehog/3.0", "n": 1}),
            true,
        ),
        (
            "keywords:\n  - TruffleHog\ncondition: keywords",
            json!({"userAgent": "aws-cli"}),
            false,
        ),
        (
            "keywords:\n  - 42\ncondition: keywords",
            json!({"x": {"y": [1420]}}),
            true,
        ),
        (
            "sel:\n  - eventName: A\n  - eventSource: s.amazonaws.com\ncondition: sel",
            json!({"eventSource": "s.amazonaws.com"}),
            true,
        ),
        (
            "sel:\n  - eventName: A\n    x: 1\n  - eventName: B\ncondition: sel",
            json!({"eventName": "A"}),
            false,
        ),
        (
            "sel:\n  eventName: A\nf1:\n  x: 1\nf2:\n  y: 2\ncondition: sel and not 1 of f*",
            json!({"eventName": "A", "y": 2}),
            false,
        ),
        (
            "sel:\n  eventName: A\nf1:\n  x: 1\nf2:\n  y: 2\ncondition: sel and not 1 of f*",
            json!({"eventName": "A"}),
            true,
        ),
        (
            "s1:\n  a: 1\ns2:\n  b: 2\ncondition: all of them",
            json!({"a": 1, "b": 2}),
            true,
        ),
        (
            "s1:\n  a: 1\ns2:\n  b: 2\ncondition: all of them",
            json!({"a": 1}),
            false,
        ),
        (
            "s1:\n  a: 1\ns2:\n  b: 2\ncondition:\n  - s1\n  - s2",
            json!({"b": 2}),
            true,
        ),
        (
            "sel:\n  eventName: A\nnot_a:\n  eventName: A\ncondition: not not_a",
            json!({"eventName": "B"}),
            true,
        ),
    ]);
}
