//! Cutting a record to a byte budget, with markers saying what was cut.

use serde_json::{Map, Value};

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
