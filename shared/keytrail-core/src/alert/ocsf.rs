//! An alert as an OCSF Detection Finding (class 2004, category Findings), OCSF schema
//! [`OCSF_VERSION`] (1.8.0).
//!
//! A pure function of the [`Alert`] ([`finding`]): no clock, except the `now` a caller passes
//! for the one required time an alert may lack (an unreadable object has no event time). Every
//! value comes from the alert, whose text is already capped and whose event is already redacted;
//! nothing here reads a record again, so nothing unredacted can leave through this mapping.
//!
//! ```text
//! finding          class_uid 2004, category_uid 2, activity_id 1 (Create), type_uid 200401,
//!                  severity_id from the rule's level, time = the event's, status New, is_alert
//! metadata         version, product {name keytrail, vendor_name, version}, profiles [cloud],
//!                  uid = alert id, original_event_uid = eventID, original_time = eventTime
//! finding_info     uid = alert id, title, desc, types (ATT&CK tactics), analytic {uid = rule
//!                  id, name, type Rule}, attacks (ATT&CK tags), first/last_seen_time, src_url,
//!                  related_events (a correlation's eventIDs)
//! evidences[0]     the CloudTrail call as OCSF API Activity fields: api {operation, service,
//!                  request.uid, response.error}, actor.user {uid, type, account}, src_endpoint,
//!                  http_request.user_agent
//! cloud            provider AWS, region, account (the cloud profile makes it required)
//! resources        the ARNs and names the event touched, as resource_details uids
//! unmapped         event (the redacted record, or a correlation's details), source, the rule's
//!                  tags, references and false positives
//! ```
//!
//! Attributes the alert has no value for are left out, never `null`. Nothing of the alert is
//! lost: [`alert_from_finding`] reads the same alert back (for the Slack notifier, which reads
//! keytrail's schema, on a topic with `ALERT_FORMAT=ocsf`). The mapping is checked
//! against the vendored OCSF 1.8.0 definitions by `tests/ocsf/` (required attributes, names the
//! class and objects know, types, enums and their captions).

use std::net::IpAddr;

use serde_json::{json, Map, Value};

use super::Alert;
use crate::integrity::Timestamp;
use crate::Severity;

mod attack;
mod back;

pub use back::alert_from_finding;

/// The OCSF schema version findings are written in (`metadata.version`).
pub const OCSF_VERSION: &str = "1.8.0";
/// Detection Finding.
pub const CLASS_UID: u64 = 2004;
/// Findings.
pub const CATEGORY_UID: u64 = 2;
/// Create: every alert is a new finding (a re-delivery repeats it under the same `uid`).
const ACTIVITY_CREATE: u64 = 1;
/// `account.type_id` of an AWS account.
const AWS_ACCOUNT: u64 = 10;
/// `analytic.type_id` of a rule.
const ANALYTIC_RULE: u64 = 1;
/// `status_id` of a finding nobody has looked at yet.
const STATUS_NEW: u64 = 1;
/// The `types` of an integrity finding (an object keytrail could not read).
const INTEGRITY_TYPE: &str = "CloudTrail Log Integrity";

/// `alert` as an OCSF Detection Finding. `now_ms` (milliseconds since the epoch) is its `time`
/// only when the alert has no event time.
pub fn finding(alert: &Alert, now_ms: i64) -> Value {
    let event = alert.event.to_value();
    let time = alert.event_time.as_deref().and_then(epoch_ms);
    let correlation = event
        .get("correlation")
        .filter(|_| alert.source.record.is_none());
    let window_start = correlation
        .and_then(|c| c.pointer("/window/start"))
        .and_then(Value::as_str)
        .and_then(epoch_ms);
    let mut info = Map::new();
    info.insert("uid".into(), json!(alert.alert_id));
    info.insert("title".into(), json!(alert.title));
    info.insert("desc".into(), json!(alert.description));
    let attacks = attack::attacks(&alert.tags);
    let mut types = attack::tactic_names(&alert.tags);
    if alert.rule_id == super::INTEGRITY_RULE_ID {
        types.push(INTEGRITY_TYPE.to_owned());
    }
    if !types.is_empty() {
        info.insert("types".into(), json!(types));
    }
    info.insert(
        "analytic".into(),
        json!({"uid": alert.rule_id, "name": alert.title, "type_id": ANALYTIC_RULE, "type": "Rule"}),
    );
    if !attacks.is_empty() {
        info.insert("attacks".into(), Value::Array(attacks));
    }
    if let Some(time) = time {
        info.insert(
            "first_seen_time".into(),
            json!(window_start.unwrap_or(time)),
        );
        info.insert("last_seen_time".into(), json!(time));
    }
    put(&mut info, "src_url", alert.console_url.as_deref());
    if let (None, Some(ids)) = (alert.source.record, alert.event_id.as_deref()) {
        // A correlation's events (the alert's event_id joins their eventIDs with commas).
        let related: Vec<Value> = ids.split(',').map(|uid| json!({ "uid": uid })).collect();
        info.insert("related_events".into(), Value::Array(related));
    }

    let mut finding = Map::new();
    for (key, value) in [
        ("class_uid", json!(CLASS_UID)),
        ("class_name", json!("Detection Finding")),
        ("category_uid", json!(CATEGORY_UID)),
        ("category_name", json!("Findings")),
        ("activity_id", json!(ACTIVITY_CREATE)),
        ("activity_name", json!("Create")),
        ("type_uid", json!(CLASS_UID * 100 + ACTIVITY_CREATE)),
        ("type_name", json!("Detection Finding: Create")),
        ("severity_id", json!(severity_id(alert.severity))),
        ("severity", json!(severity_caption(alert.severity))),
        ("time", json!(time.unwrap_or(now_ms))),
        ("status_id", json!(STATUS_NEW)),
        ("status", json!("New")),
        ("is_alert", json!(true)),
        ("message", json!(alert.title)),
        ("metadata", metadata(alert)),
        ("finding_info", Value::Object(info)),
        ("cloud", cloud(alert)),
    ] {
        finding.insert(key.into(), value);
    }
    if let Some(evidence) = evidence(alert, &event) {
        finding.insert("evidences".into(), json!([evidence]));
    }
    if !alert.resources.is_empty() {
        let resources: Vec<Value> = alert.resources.iter().map(|r| json!({"uid": r})).collect();
        finding.insert("resources".into(), Value::Array(resources));
    }
    finding.insert("unmapped".into(), unmapped(alert, event));
    Value::Object(finding)
}

/// `metadata`: the schema version, keytrail as the product, and the ids that join the finding
/// to its CloudTrail event.
fn metadata(alert: &Alert) -> Value {
    let mut metadata = Map::new();
    metadata.insert("version".into(), json!(OCSF_VERSION));
    metadata.insert(
        "product".into(),
        json!({"name": "keytrail", "vendor_name": "keytrail", "version": env!("CARGO_PKG_VERSION")}),
    );
    metadata.insert("profiles".into(), json!(["cloud"]));
    metadata.insert("uid".into(), json!(alert.alert_id));
    if alert.source.record.is_some() {
        put(
            &mut metadata,
            "original_event_uid",
            alert.event_id.as_deref(),
        );
    }
    put(&mut metadata, "original_time", alert.event_time.as_deref());
    Value::Object(metadata)
}

/// `cloud`: AWS, and the region and account when the alert names them.
fn cloud(alert: &Alert) -> Value {
    let mut cloud = Map::new();
    cloud.insert("provider".into(), json!("AWS"));
    put(&mut cloud, "region", alert.region.as_deref());
    if let Some(account) = aws_account(alert) {
        cloud.insert("account".into(), account);
    }
    Value::Object(cloud)
}

fn aws_account(alert: &Alert) -> Option<Value> {
    let uid = alert.account.as_deref()?;
    Some(json!({"uid": uid, "type_id": AWS_ACCOUNT, "type": "AWS Account"}))
}

/// The CloudTrail call as OCSF API Activity fields, or `None` when the alert names no call,
/// caller or source (an unreadable object).
fn evidence(alert: &Alert, event: &Value) -> Option<Value> {
    let mut evidence = Map::new();
    if let Some(operation) = alert.event_name.as_deref() {
        let mut api = Map::new();
        api.insert("operation".into(), json!(operation));
        if let Some(service) = alert.event_source.as_deref() {
            api.insert("service".into(), json!({"name": service}));
        }
        if let Some(request) = event.get("requestID").and_then(Value::as_str) {
            api.insert("request".into(), json!({"uid": request}));
        }
        if let Some(error) = alert.error_code.as_deref() {
            api.insert("response".into(), json!({"error": error}));
        }
        evidence.insert("api".into(), Value::Object(api));
    }
    if let Some(principal) = alert.principal.as_deref() {
        let mut user = Map::new();
        user.insert("uid".into(), json!(principal));
        if let Some(kind) = alert.principal_type.as_deref() {
            // CloudTrail's identity types (IAMUser, AssumedRole, AWSService …) are kept as they
            // are: OCSF's User/Admin/System/Service would lose the distinction.
            user.insert("type_id".into(), json!(99));
            user.insert("type".into(), json!(kind));
        }
        if let Some(account) = aws_account(alert) {
            user.insert("account".into(), account);
        }
        evidence.insert("actor".into(), json!({"user": user}));
    }
    if let Some(source) = alert.source_ip.as_deref() {
        // sourceIPAddress holds a service's host name when a service made the call.
        let key = if source.parse::<IpAddr>().is_ok() {
            "ip"
        } else {
            "domain"
        };
        evidence.insert("src_endpoint".into(), json!({ key: source }));
    }
    if let Some(agent) = alert.user_agent.as_deref() {
        evidence.insert("http_request".into(), json!({"user_agent": agent}));
    }
    (!evidence.is_empty()).then_some(Value::Object(evidence))
}

/// What OCSF has no attribute for: the (redacted) event, where it was read, and the rule's
/// metadata.
fn unmapped(alert: &Alert, event: Value) -> Value {
    let mut unmapped = Map::new();
    if !event.is_null() {
        unmapped.insert("event".into(), event);
    }
    let mut source = Map::new();
    source.insert("object".into(), json!(alert.source.object));
    if let Some(record) = alert.source.record {
        source.insert("record".into(), json!(record));
    }
    unmapped.insert("source".into(), Value::Object(source));
    for (key, list) in [
        ("tags", &alert.tags),
        ("references", &alert.references),
        ("falsepositives", &alert.falsepositives),
    ] {
        if !list.is_empty() {
            unmapped.insert(key.into(), json!(list));
        }
    }
    Value::Object(unmapped)
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), json!(value));
    }
}

/// OCSF's `severity_id`: Informational 1 … Critical 5, one for one with Sigma's levels.
pub fn severity_id(severity: Severity) -> u64 {
    match severity {
        Severity::Informational => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn severity_caption(severity: Severity) -> &'static str {
    match severity {
        Severity::Informational => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff…]Z` as milliseconds since the epoch (OCSF's `timestamp_t`).
fn epoch_ms(text: &str) -> Option<i64> {
    let secs = Timestamp::parse(text)?.epoch();
    let fraction = text.get(20..text.len() - 1).unwrap_or_default();
    let millis = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0_i64, |n, b| n * 10 + i64::from(b - b'0'));
    secs.checked_mul(1000)?.checked_add(millis)
}

#[cfg(test)]
mod tests;
