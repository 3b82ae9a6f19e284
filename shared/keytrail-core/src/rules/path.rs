//! Field names as dotted JSON paths.
//!
//! `requestParameters.encryptionContext.aws:acm:arn` walks object keys one dot at a time. Where a
//! step meets an array, every element is tried (`ipPermissions.items.ipRanges.items.cidrIp`
//! reaches every CIDR), and a value that is itself an array yields each element. When a step
//! finds no key, longer keys that contain dots literally are tried next (`a.b` as one key), so
//! both nesting styles resolve.

use serde_json::Value;

/// A compiled field path.
#[derive(Debug, Clone)]
pub(crate) struct FieldPath {
    raw: String,
    /// `keys[i][k]` is segments `i..=i+k` joined with dots.
    keys: Vec<Vec<String>>,
}

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// The visitor asked to stop.
    Stop,
    /// At least one value was visited.
    Reached,
    /// Nothing at this path.
    Missing,
}

impl FieldPath {
    /// Compiles `raw`.
    pub(crate) fn new(raw: &str) -> FieldPath {
        let segs: Vec<&str> = raw.split('.').collect();
        let keys = (0..segs.len())
            .map(|i| (i..segs.len()).map(|j| segs[i..=j].join(".")).collect())
            .collect();
        FieldPath {
            raw: raw.to_owned(),
            keys,
        }
    }

    /// The field name as the rule wrote it.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// Calls `f` on every value at this path until it returns true; returns whether it did.
    pub(crate) fn any<'v>(&self, root: &'v Value, f: &mut dyn FnMut(&'v Value) -> bool) -> bool {
        self.walk(root, 0, f) == Walk::Stop
    }

    fn walk<'v>(&self, v: &'v Value, i: usize, f: &mut dyn FnMut(&'v Value) -> bool) -> Walk {
        if let Value::Array(items) = v {
            let mut reached = Walk::Missing;
            for item in items {
                match self.walk(item, i, f) {
                    Walk::Stop => return Walk::Stop,
                    Walk::Reached => reached = Walk::Reached,
                    Walk::Missing => {}
                }
            }
            return reached;
        }
        let Some(candidates) = self.keys.get(i) else {
            return if f(v) { Walk::Stop } else { Walk::Reached };
        };
        let Value::Object(map) = v else {
            return Walk::Missing;
        };
        for (k, key) in candidates.iter().enumerate() {
            if let Some(child) = map.get(key) {
                match self.walk(child, i + k + 1, f) {
                    Walk::Missing => {}
                    done => return done,
                }
            }
        }
        Walk::Missing
    }
}

/// Calls `f` on every scalar anywhere in `v` until it returns true; returns whether it did.
pub(crate) fn any_leaf<'v>(v: &'v Value, f: &mut dyn FnMut(&'v Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|item| any_leaf(item, f)),
        Value::Object(map) => map.values().any(|item| any_leaf(item, f)),
        scalar => f(scalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(path: &str, event: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        FieldPath::new(path).any(event, &mut |v| {
            out.push(v.clone());
            false
        });
        out
    }

    #[test]
    fn resolves_table() {
        let event = json!({
            "eventName": "Decrypt",
            "requestParameters": {
                "encryptionContext": {"aws:acm:arn": "arn:aws:acm:1"},
                "ipPermissions": {"items": [
                    {"ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.0.0.0/8"}]}},
                    {"ipRanges": {"items": [{"cidrIp": "1.2.3.4/32"}]}}
                ]},
                "command": ["sh", "-c", "curl"]
            },
            "detail-type": "AWS API Call via CloudTrail",
            "a.b": {"c": 1},
            "x": {"y": null},
            "errorCode": null
        });
        for (path, want) in [
            ("eventName", vec![json!("Decrypt")]),
            (
                "requestParameters.encryptionContext.aws:acm:arn",
                vec![json!("arn:aws:acm:1")],
            ),
            (
                "requestParameters.ipPermissions.items.ipRanges.items.cidrIp",
                vec![json!("0.0.0.0/0"), json!("10.0.0.0/8"), json!("1.2.3.4/32")],
            ),
            (
                "requestParameters.command",
                vec![json!("sh"), json!("-c"), json!("curl")],
            ),
            ("detail-type", vec![json!("AWS API Call via CloudTrail")]),
            ("a.b.c", vec![json!(1)]),
            ("x.y", vec![Value::Null]),
            ("errorCode", vec![Value::Null]),
            ("missing", vec![]),
            ("eventName.deeper", vec![]),
        ] {
            assert_eq!(values(path, &event), want, "{path}");
        }
    }

    #[test]
    fn visits_leaves() {
        let event = json!({"a": ["x", {"b": 2}], "c": null});
        let mut seen = Vec::new();
        any_leaf(&event, &mut |v| {
            seen.push(v.clone());
            false
        });
        assert_eq!(seen, vec![json!("x"), json!(2), Value::Null]);
    }
}
