//! The ARNs and names an event touched, for the alert's `resources`.
//!
//! Read from the event's `resources` list and from the string values of a few well-known keys in
//! its request, response and service details; never from under a secret-bearing key, and never
//! a value that is itself a secret, since the event carries those redacted. Read through
//! [`View`], so that a parsed record and one read into a tree give the same list.

use crate::record::View;
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
pub(super) fn resources<'v>(event: impl View<'v>) -> Vec<&'v str> {
    let mut out: Vec<&'v str> = Vec::new();
    let mut bytes = 0;
    let mut push = |s: &'v str| {
        if !s.is_empty()
            && s.len() <= 2048
            && bytes + s.len() <= MAX_RESOURCE_BYTES
            && !out.contains(&s)
        {
            bytes += s.len();
            out.push(s);
        }
    };
    if let Some(items) = event.member("resources").and_then(View::items) {
        for item in items {
            if let Some(arn) = item
                .member("ARN")
                .or_else(|| item.member("arn"))
                .and_then(View::as_str)
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
        let mut stack: Vec<_> = event.member(section).into_iter().collect();
        let mut budget = 10_000; // bounded walk: a huge request cannot stall alert building
        while let Some(v) = stack.pop() {
            budget -= 1;
            if budget == 0 {
                break;
            }
            if let Some(members) = v.members() {
                for (key, child) in members.rev() {
                    // Nothing under a secret-bearing key is a resource name: the event
                    // carries it redacted, so the alert must not carry it in clear.
                    if redact::is_secret_key(key) {
                        continue;
                    }
                    match child.as_str() {
                        Some(s) if RESOURCE_KEYS.contains(&key) => {
                            if !redact::is_secret_text(s) {
                                push(s);
                            }
                        }
                        _ => stack.push(child),
                    }
                }
            } else if let Some(items) = v.items() {
                stack.extend(items.rev());
            }
        }
    }
    out.truncate(32);
    out
}
