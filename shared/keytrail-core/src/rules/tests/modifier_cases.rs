//! Each supported modifier, matching and not matching.

use serde_json::{json, Value};

use super::semantics::check;

#[test]
fn modifiers() {
    check(&[
        (
            "sel:\n  userAgent|contains: s3 browser\ncondition: sel",
            json!({"userAgent": "S3 Browser 9"}),
            true,
        ),
        (
            "sel:\n  eventName|startswith: Get\ncondition: sel",
            json!({"eventName": "GetObject"}),
            true,
        ),
        (
            "sel:\n  eventName|startswith: Get\ncondition: sel",
            json!({"eventName": "BatchGet"}),
            false,
        ),
        (
            "sel:\n  eventName|endswith: Policy\ncondition: sel",
            json!({"eventName": "PutRolePolicy"}),
            true,
        ),
        (
            "sel:\n  doc|contains|all:\n    - Allow\n    - '\\*'\ncondition: sel",
            json!({"doc": "Allow *"}),
            true,
        ),
        (
            "sel:\n  doc|contains|all:\n    - Allow\n    - Deny\ncondition: sel",
            json!({"doc": "Allow *"}),
            false,
        ),
        (
            "sel:\n  arn|re: '.+:assumed-role/aws:.+'\ncondition: sel",
            json!({"arn": "arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"}),
            true,
        ),
        (
            "sel:\n  arn|re: '^ARN'\ncondition: sel",
            json!({"arn": "arn:x"}),
            false,
        ),
        (
            "sel:\n  arn|re|i: '^ARN'\ncondition: sel",
            json!({"arn": "arn:x"}),
            true,
        ),
        (
            "sel:\n  ip|cidr: 10.0.0.0/8\ncondition: sel",
            json!({"ip": "10.9.8.7"}),
            true,
        ),
        (
            "sel:\n  ip|cidr:\n    - 192.168.0.0/16\n    - 2001:db8::/32\ncondition: sel",
            json!({"ip": "2001:db8::1"}),
            true,
        ),
        (
            "sel:\n  ip|cidr: 10.0.0.0/8\ncondition: sel",
            json!({"ip": "AWS Internal"}),
            false,
        ),
        (
            "sel:\n  eventName|cased: Decrypt\ncondition: sel",
            json!({"eventName": "decrypt"}),
            false,
        ),
        (
            "sel:\n  eventName|cased: Decrypt\ncondition: sel",
            json!({"eventName": "Decrypt"}),
            true,
        ),
        ("sel:\n  n|gt: 5\ncondition: sel", json!({"n": 6}), true),
        ("sel:\n  n|gt: 5\ncondition: sel", json!({"n": "5"}), false),
        ("sel:\n  n|gte: 5\ncondition: sel", json!({"n": "5"}), true),
        ("sel:\n  n|lt: 5\ncondition: sel", json!({"n": 4.5}), true),
        ("sel:\n  n|lte: 5\ncondition: sel", json!({"n": "x"}), false),
        (
            "sel:\n  cmd|base64: 'cmd'\ncondition: sel",
            json!({"cmd": "Y21k"}),
            true,
        ),
        (
            "sel:\n  cmd|base64|contains: 'cmd'\ncondition: sel",
            json!({"cmd": "xY21kx"}),
            true,
        ),
        (
            "sel:\n  cmd|base64|contains: 'cmd'\ncondition: sel",
            json!({"cmd": "xy21kx"}),
            false,
        ),
        (
            "sel:\n  cmd|base64offset|contains: '/bin/bash'\ncondition: sel",
            json!({"cmd": "ZWNobyAvYmluL2Jhc2g="}),
            true,
        ),
        (
            "sel:\n  cmd|windash|contains: ' -enc '\ncondition: sel",
            json!({"cmd": "powershell /enc AAA"}),
            true,
        ),
        (
            "sel:\n  cmd|windash|contains: ' -enc '\ncondition: sel",
            json!({"cmd": "powershell \u{2013}enc AAA"}),
            true,
        ),
        (
            "sel:\n  cmd|windash|contains: ' -enc '\ncondition: sel",
            json!({"cmd": "powershell enc AAA"}),
            false,
        ),
        (
            "sel:\n  a|fieldref: b\ncondition: sel",
            json!({"a": "Alice", "b": "alice"}),
            true,
        ),
        (
            "sel:\n  a|fieldref: b\ncondition: sel",
            json!({"a": "Alice", "b": "bob"}),
            false,
        ),
        (
            "sel:\n  a|fieldref|contains: b\ncondition: sel",
            json!({"a": "arn:user/alice", "b": "alice"}),
            true,
        ),
        (
            "sel:\n  a|fieldref|endswith: b\ncondition: sel",
            json!({"a": "arn:user/alice"}),
            false,
        ),
        (
            "sel:\n  a|fieldref: b\ncondition: sel",
            json!({"a": "x"}),
            false,
        ),
    ]);
}

/// The keytrail extension `kt_policy_other_account`: a policy (as CloudTrail logs it, a JSON
/// string) matches when an Allow statement names an account that the other field does not hold.
#[test]
fn policy_other_account() {
    const SEL: &str = "sel:\n  p|kt_policy_other_account: k\ncondition: sel";
    let policy = |aws: Value, effect: &str| {
        json!({"Statement": [{"Effect": effect, "Principal": {"AWS": aws}}]}).to_string()
    };
    check(&[
        (
            SEL,
            json!({"p": policy(json!("arn:aws:iam::444455556666:root"), "Allow"), "k": "111122223333"}),
            true,
        ),
        (
            SEL,
            json!({"p": policy(json!(["arn:aws:iam::111122223333:root", "444455556666"]), "Allow"),
                   "k": [{"accountId": "111122223333"}]}),
            true,
        ),
        // Every resource's account is an own account.
        (
            "sel:\n  p|kt_policy_other_account: r.accountId\ncondition: sel",
            json!({"p": policy(json!(["111122223333", "444455556666"]), "Allow"),
                   "r": [{"accountId": "111122223333"}, {"accountId": "444455556666"}]}),
            false,
        ),
        (
            SEL,
            json!({"p": policy(json!("arn:aws:iam::111122223333:role/R"), "Allow"), "k": "111122223333"}),
            false,
        ),
        (
            SEL,
            json!({"p": policy(json!("arn:aws:iam::444455556666:root"), "Deny"), "k": "111122223333"}),
            false,
        ),
        // No own account to compare with: no match (the rule says what to use instead).
        (
            SEL,
            json!({"p": policy(json!("arn:aws:iam::444455556666:root"), "Allow")}),
            false,
        ),
        (SEL, json!({"p": "{not json", "k": "111122223333"}), false),
        (SEL, json!({"k": "111122223333"}), false),
    ]);
}
