//! The ARNs and names an event touched, for the alert's `resources`.
//!
//! Read from the event's `resources` list and from the string values of a few well-known keys in
//! its request, response and service details; never from under a secret-bearing key, and never
//! a value that is itself a secret, since the event carries those redacted.

use serde_json::Value;

use crate::redact;

/// Request/response keys whose string values name the resource an event touched.
const RESOURCE_KEYS: &[&str] = &[
    "certificateArn",
    "certificateAuthorityArn",
    "aws:acm:arn",
    "keyId",
    "loadBalancerName",
    "loadBalancerArn",
    "listenerArn",
    "sSLCertificateId",
    "certificateId",
    "name",
    "trailName",
    "trailARN",
    "clusterId",
    "hsmId",
    "backupId",
    "acmeEndpointArn",
    "externalAccountBindingArn",
];

/// At most this many bytes of resource names in one alert (with at most 32 names), so that the
/// alert's other fields and the event still fit in [`super::MAX_ALERT_BYTES`].
pub(super) const MAX_RESOURCE_BYTES: usize = 8 * 1024;

/// The ARNs and names an event touched, in order of first appearance, de-duplicated, within
/// [`MAX_RESOURCE_BYTES`].
pub(super) fn resources(event: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut bytes = 0;
    let mut push = |s: &str| {
        if !s.is_empty()
            && s.len() <= 2048
            && bytes + s.len() <= MAX_RESOURCE_BYTES
            && !out.iter().any(|o| o == s)
        {
            bytes += s.len();
            out.push(s.to_owned());
        }
    };
    if let Some(Value::Array(items)) = event.get("resources") {
        for item in items {
            if let Some(arn) = item
                .get("ARN")
                .or_else(|| item.get("arn"))
                .and_then(Value::as_str)
            {
                push(arn);
            }
        }
    }
    for section in [
        "requestParameters",
        "responseElements",
        "serviceEventDetails",
    ] {
        let mut stack: Vec<&Value> = event.get(section).into_iter().collect();
        let mut budget = 10_000; // bounded walk: a huge request cannot stall alert building
        while let Some(v) = stack.pop() {
            budget -= 1;
            if budget == 0 {
                break;
            }
            match v {
                Value::Object(map) => {
                    for (key, child) in map.iter().rev() {
                        // Nothing under a secret-bearing key is a resource name: the event
                        // carries it redacted, so the alert must not carry it in clear.
                        if redact::is_secret_key(key) {
                            continue;
                        }
                        match child {
                            Value::String(s) if RESOURCE_KEYS.contains(&key.as_str()) => {
                                if !redact::is_secret_text(s) {
                                    push(s);
                                }
                            }
                            _ => stack.push(child),
                        }
                    }
                }
                Value::Array(items) => stack.extend(items.iter().rev()),
                _ => {}
            }
        }
    }
    out.truncate(32);
    out
}
