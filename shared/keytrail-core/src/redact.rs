//! Secrets never leave: redaction and size-capping of the event carried in an alert.
//!
//! Two passes over a parsed record, both in place:
//! - [`redact`] replaces every value under a secret-bearing key (private keys, passphrases, Java
//!   `ByteBuffer` dumps under `hb`, certificate and chain bodies, JWS payloads, CSRs, ACME contacts,
//!   anything named like a secret, password, token or credential) and every string that carries a
//!   PEM private key, wherever it sits.
//! - [`shrink`] cuts long strings and arrays, with a marker saying how much was cut, until the
//!   serialized value fits a byte budget; it always terminates, in the worst case replacing the
//!   value with a stub that keeps the routing fields.

use serde_json::{Map, Value};

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED by keytrail]";

/// Exact key names (ASCII case-insensitive) whose values are secret or key material.
const SECRET_KEYS: &[&str] = &[
    "privatekey",
    "passphrase",
    "hb",
    "certificate",
    "certificatechain",
    "certificatebody",
    "innerjws",
    "jwsprotected",
    "payload",
    "signature",
    "csr",
    "contact",
    "hmackey",
    "plaintext",
];

/// Key name fragments (ASCII case-insensitive) that mark a value as secret.
const SECRET_FRAGMENTS: &[&str] = &["secret", "password", "passwd", "token", "credential"];

/// True when a value under `key` must not leave keytrail.
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&lower.as_str()) || SECRET_FRAGMENTS.iter().any(|f| lower.contains(f))
}

/// True when `text` carries a PEM private key, whatever key it sits under.
pub fn is_secret_text(text: &str) -> bool {
    text.contains("PRIVATE KEY-----")
}

/// Replaces every secret in `value`, in place. Returns how many values were redacted.
pub fn redact(value: &mut Value) -> usize {
    // An explicit stack: a record nested deep enough to overflow recursion is still handled.
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if is_secret_key(key) && !child.is_null() {
                        *child = Value::String(REDACTED.to_owned());
                        count += 1;
                    } else {
                        stack.push(child);
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::String(s) if is_secret_text(s) => {
                *s = REDACTED.to_owned();
                count += 1;
            }
            _ => {}
        }
    }
    count
}

/// Cuts `value` until its compact JSON form is at most `max_bytes` long. Returns true when
/// anything was cut.
pub fn shrink(value: &mut Value, max_bytes: usize) -> bool {
    if serialized_len(value) <= max_bytes {
        return false;
    }
    for (max_string, max_items) in [(4096, 256), (1024, 64), (256, 16), (64, 4)] {
        cut(value, max_string, max_items);
        if serialized_len(value) <= max_bytes {
            return true;
        }
    }
    *value = stub(value);
    true
}

fn serialized_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |v| v.len())
}

fn cut(value: &mut Value, max_string: usize, max_items: usize) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if s.len() > max_string => {
                let keep = floor_char_boundary(s, max_string);
                let dropped = s.len() - keep;
                s.truncate(keep);
                s.push_str(&format!("…[cut {dropped} bytes]"));
            }
            Value::Array(items) => {
                if items.len() > max_items {
                    let dropped = items.len() - max_items;
                    items.truncate(max_items);
                    items.push(Value::String(format!("…[cut {dropped} items]")));
                }
                stack.extend(items.iter_mut());
            }
            Value::Object(map) => {
                if map.len() > max_items * 4 {
                    let dropped = map.len() - max_items * 4;
                    let kept: Map<String, Value> = std::mem::take(map)
                        .into_iter()
                        .take(max_items * 4)
                        .collect();
                    *map = kept;
                    map.insert(
                        "…".to_owned(),
                        Value::String(format!("[cut {dropped} keys]")),
                    );
                }
                stack.extend(map.values_mut());
            }
            _ => {}
        }
    }
}

/// The last resort: keep only short top-level routing fields.
fn stub(value: &Value) -> Value {
    let mut out = Map::new();
    for key in [
        "eventVersion",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "eventID",
    ] {
        if let Some(Value::String(s)) = value.get(key) {
            let keep = floor_char_boundary(s, 128);
            out.insert(key.to_owned(), Value::String(s[..keep].to_owned()));
        }
    }
    out.insert(
        "keytrail_note".to_owned(),
        Value::String("event too large to carry in an alert: see the source object".to_owned()),
    );
    Value::Object(out)
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    let mut i = max.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn shrink_fits_budget_and_marks_cuts() {
        let mut v = json!({
            "eventName": "PutObject",
            "eventID": "e1",
            "big": "é".repeat(200_000),
            "items": (0..5_000).collect::<Vec<_>>(),
        });
        assert!(shrink(&mut v, 16 * 1024));
        assert!(serialized_len(&v) <= 16 * 1024);
        assert!(v["big"].as_str().unwrap().contains("…[cut "));
        assert_eq!(v["eventName"], "PutObject");

        let mut small = json!({"eventName": "x"});
        assert!(!shrink(&mut small, 1024));
        assert_eq!(small, json!({"eventName": "x"}));
    }

    #[test]
    fn shrink_falls_back_to_stub() {
        let wide: Map<String, Value> = (0..2_000)
            .map(|i| (format!("key{i:05}"), json!(i)))
            .collect();
        let mut v = json!({"eventName": "X", "eventID": "id", "wide": wide});
        assert!(shrink(&mut v, 200));
        assert!(serialized_len(&v) <= 200, "{v}");
        assert_eq!(v["eventName"], "X");
    }
}
