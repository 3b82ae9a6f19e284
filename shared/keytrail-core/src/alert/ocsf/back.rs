//! The alert back from a finding [`super::finding`] wrote, for a reader that gets OCSF where it
//! expected keytrail's schema (the Slack notifier on a topic with `ALERT_FORMAT=ocsf`).
//!
//! The finding keeps every field of the alert somewhere (the table in the parent module), so
//! reading it back gives the same alert: `tests` checks the round trip over every built-in
//! rule's fixtures. A finding keytrail did not write (no `finding_info.uid`, no analytic, a
//! severity outside 1–5) gives `None`.

use serde_json::Value;

use super::CLASS_UID;
use crate::alert::{Alert, EventJson, Source};
use crate::Severity;

/// The alert `finding` was made from, or `None` when it is not a keytrail Detection Finding.
pub fn alert_from_finding(finding: &Value) -> Option<Alert> {
    if finding.get("class_uid").and_then(Value::as_u64) != Some(CLASS_UID) {
        return None;
    }
    let text = |pointer: &str| {
        finding
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let list = |pointer: &str| -> Vec<String> {
        finding
            .pointer(pointer)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let severity = match finding.get("severity_id").and_then(Value::as_u64)? {
        1 => Severity::Informational,
        2 => Severity::Low,
        3 => Severity::Medium,
        4 => Severity::High,
        5 => Severity::Critical,
        _ => return None,
    };
    let evidence = "/evidences/0";
    let related: Vec<String> = finding
        .pointer("/finding_info/related_events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("uid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let event_id = text("/metadata/original_event_uid")
        .or_else(|| (!related.is_empty()).then(|| related.join(",")));
    let resources = finding
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let event = match finding.pointer("/unmapped/event") {
        Some(event) => EventJson::from_value(event),
        None => EventJson::null(),
    };
    Some(Alert {
        alert_id: text("/finding_info/uid")?,
        rule_id: text("/finding_info/analytic/uid")?,
        severity,
        title: text("/finding_info/title").unwrap_or_default(),
        description: text("/finding_info/desc").unwrap_or_default(),
        tags: list("/unmapped/tags"),
        references: list("/unmapped/references"),
        falsepositives: list("/unmapped/falsepositives"),
        event_id,
        event_source: text(&format!("{evidence}/api/service/name")),
        event_name: text(&format!("{evidence}/api/operation")),
        event_time: text("/metadata/original_time"),
        account: text("/cloud/account/uid"),
        region: text("/cloud/region"),
        principal: text(&format!("{evidence}/actor/user/uid")),
        principal_type: text(&format!("{evidence}/actor/user/type")),
        source_ip: text(&format!("{evidence}/src_endpoint/ip"))
            .or_else(|| text(&format!("{evidence}/src_endpoint/domain"))),
        user_agent: text(&format!("{evidence}/http_request/user_agent")),
        error_code: text(&format!("{evidence}/api/response/error")),
        resources,
        source: Source {
            object: text("/unmapped/source/object").unwrap_or_default(),
            record: finding
                .pointer("/unmapped/source/record")
                .and_then(Value::as_u64),
        },
        console_url: text("/finding_info/src_url"),
        event,
    })
}
