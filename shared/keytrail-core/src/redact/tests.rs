//! The redaction rules and the shrinking ladder, table-driven.

use super::*;
use serde_json::json;

#[test]
fn secret_keys_are_recognised() {
    for (key, secret) in [
        ("privateKey", true),
        ("PrivateKey", true),
        ("passphrase", true),
        ("hb", true),
        ("certificate", true),
        ("certificateChain", true),
        ("innerJws", true),
        ("csr", true),
        ("contact", true),
        ("secretAccessKey", true),
        ("sessionToken", true),
        ("dbPassword", true),
        ("credentials", true),
        ("certificateArn", false),
        ("accessKeyId", false),
        ("eventName", false),
        ("keyId", false),
    ] {
        assert_eq!(is_secret_key(key), secret, "{key}");
    }
}

#[test]
fn redacts_nested_values_and_pem_anywhere() {
    let mut v = json!({
        "requestParameters": {
            "certificateArn": "arn:aws:acm:us-east-1:1:certificate/x",
            "passphrase": {"hb": [42, 42], "offset": 0},
            "list": [{"privateKey": "-----BEGIN"}, "ok",
                     "-----BEGIN RSA PRIVATE KEY-----\nMII..."],
        },
        "responseElements": {"certificateChain": null, "credentials": {"a": 1}},
    });
    assert_eq!(redact(&mut v), 4);
    assert_eq!(v["requestParameters"]["passphrase"], REDACTED);
    assert_eq!(v["requestParameters"]["list"][0]["privateKey"], REDACTED);
    assert_eq!(v["requestParameters"]["list"][1], "ok");
    assert_eq!(v["requestParameters"]["list"][2], REDACTED);
    assert_eq!(
        v["requestParameters"]["certificateArn"],
        "arn:aws:acm:us-east-1:1:certificate/x"
    );
    assert_eq!(v["responseElements"]["certificateChain"], Value::Null);
    assert_eq!(v["responseElements"]["credentials"], REDACTED);
}

#[test]
fn redacts_deep_nesting_without_recursion() {
    let mut v = json!({"privateKey": "x"});
    for _ in 0..10_000 {
        v = Value::Array(vec![v]); // json!([v]) would clone v recursively
    }
    assert_eq!(redact(&mut v), 1);
    // Drop iteratively too: serde_json's recursive Drop would overflow on 10k levels.
    let mut cur = v;
    while let Value::Array(mut items) = cur {
        cur = items.pop().unwrap_or(Value::Null);
    }
    assert_eq!(cur["privateKey"], REDACTED);
}
