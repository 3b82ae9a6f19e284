//! The one alert schema: what the CLI prints as JSONL, what SNS carries, what Slack renders.
//!
//! Flat top-level keys (see DESIGN.md, "One alert schema"); additive changes only. Missing event
//! fields are `null`, never absent, so consumers can rely on every key being there. The event
//! itself travels redacted ([`crate::redact`]) and cut so that one serialized alert stays under
//! [`MAX_ALERT_BYTES`], as JSON text written once when the alert is made ([`EventJson`]).
//!
//! An alert is made for every match, and a noisy rule matches most records of a busy account, so
//! making one is kept cheap: the record is read where it lies and written, redacted, straight to
//! the event's text; nothing copies the parsed record, and the alert is measured against its
//! limit without being serialized whole unless the event is large. When the rules decided
//! without parsing the record into a `Value`, the alert is made from the record's own bytes
//! ([`Alert::from_tree`] over a [`Tree`]) through the same code ([`View`]), to the same bytes.

use std::borrow::Cow;
use std::io;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::digest::hex16;
use crate::record::{Event, Tree, View};
use crate::redact;
use crate::rules::Rule;
use crate::severity::Severity;

pub mod asff;
mod correlation;
mod event;
mod fields;
mod line;
pub mod ocsf;
mod resources;
mod summary;

pub use event::EventJson;
use fields::Fields;
pub use line::{AlertHead, TreeAlert};

/// The most bytes one serialized alert may take (SNS allows 256 KB; rendering adds the email text).
pub const MAX_ALERT_BYTES: usize = 64 * 1024;

/// The most bytes any one text field copied from the event may take (user agents, ARNs and the
/// like are attacker-controlled and unbounded in CloudTrail).
pub const MAX_FIELD_BYTES: usize = 2048;

/// The most items of a rule's `tags`, `references` or `falsepositives` an alert carries.
pub const MAX_RULE_LIST_ITEMS: usize = 16;

/// The most bytes of one of those items (rules may come from anywhere; SigmaHQ's longest are
/// under 300, the built-in pack's under 600).
pub const MAX_RULE_ITEM_BYTES: usize = 1024;

/// Rule id of the alert raised for an object that could not be read.
pub const INTEGRITY_RULE_ID: &str = "keytrail-object-unreadable";

/// Title of the alert raised for an object that could not be read.
pub const INTEGRITY_RULE_TITLE: &str = "CloudTrail object could not be read";

/// Severity of the alert raised for an object that could not be read.
pub const INTEGRITY_RULE_SEVERITY: Severity = Severity::Medium;

/// Where an alert's record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The object's URI (`s3://bucket/key`) or local path.
    pub object: String,
    /// 0-based index of the record in the object, when the alert is about one record.
    pub record: Option<u64>,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id: a hash of the rule id and the event's `eventID`; the same event matched by the
    /// same rule always gives the same id, so retries can be de-duplicated.
    pub alert_id: String,
    /// The rule's `id`.
    pub rule_id: String,
    /// The rule's level.
    pub severity: Severity,
    /// The rule's title.
    pub title: String,
    /// The rule's description: what happened and what to check.
    pub description: String,
    /// The rule's Sigma `tags`: ATT&CK tactics and techniques (`attack.credential-access`,
    /// `attack.t1552.004`) and the like.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The rule's Sigma `references`: where to read about what it detects.
    #[serde(default)]
    pub references: Vec<String>,
    /// The rule's Sigma `falsepositives`: when an alert from it is likely benign.
    #[serde(default)]
    pub falsepositives: Vec<String>,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventSource`, e.g. `acm.amazonaws.com`.
    pub event_source: Option<String>,
    /// `eventName`, e.g. `ExportCertificate`.
    pub event_name: Option<String>,
    /// `eventTime` (or `@timestamp` for records shipped through Logstash).
    pub event_time: Option<String>,
    /// The account the event happened in (`recipientAccountId`, else the caller's account).
    pub account: Option<String>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// Who did it: the caller's ARN, else a service that acted, else the identity type.
    pub principal: Option<String>,
    /// `userIdentity.type` (`IAMUser`, `AssumedRole`, `AWSService`, `Unknown` …).
    pub principal_type: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `errorCode`, present when the call was denied or failed.
    pub error_code: Option<String>,
    /// ARNs and names the event touched (certificates, keys, load balancers, trails …).
    pub resources: Vec<String>,
    /// The object and record the alert came from.
    pub source: Source,
    /// A link to the event in the CloudTrail console.
    pub console_url: Option<String>,
    /// The record, secrets redacted and oversized values cut.
    pub event: EventJson,
}

impl Alert {
    /// The alert for `rule` matching `event`, record `record` of `object`.
    pub fn new(rule: &Rule, event: &Event, object: &str, record: u64) -> Alert {
        let mut alert = Alert::with_fields(rule, event.value(), object, record);
        alert.fit_event(event.value());
        alert
    }

    /// The alert for `rule` matching the record `json`, read into `tree` ([`Tree::parse`]):
    /// the same alert as [`Alert::new`] on the record parsed, made without parsing it unless
    /// its event must be cut to fit.
    pub fn from_tree(
        rule: &Rule,
        tree: &Tree<'_>,
        json: &[u8],
        object: &str,
        record: u64,
    ) -> Alert {
        let mut alert = Alert::with_fields(rule, tree.root(), object, record);
        match EventJson::redacted_tree(tree, json.len() + 64) {
            Some(event) if !alert.may_overflow(&event) => alert.event = event,
            // An event that may not fit is cut on the record parsed, as `Alert::new` does.
            _ => alert.fit_event(Event::parse_read(json).value()),
        }
        alert
    }

    /// The alert's fields but its event (`null`), read from the record `event`.
    fn with_fields<'v>(rule: &Rule, event: impl View<'v>, object: &str, record: u64) -> Alert {
        let Fields {
            event_id,
            event_source,
            event_name,
            event_time,
            account,
            region,
            principal,
            principal_type,
            source_ip,
            user_agent,
            error_code,
            resources,
        } = Fields::read(event);
        let own = |text: Option<Cow<'_, str>>| text.map(Cow::into_owned);
        Alert {
            alert_id: alert_id(&rule.id, event_id.as_deref(), object, record),
            rule_id: rule.id.clone(),
            severity: rule.level,
            title: rule.title.clone(),
            description: rule.description.trim().to_owned(),
            tags: rule_list(&rule.tags),
            references: rule_list(&rule.references),
            falsepositives: rule_list(&rule.falsepositives),
            console_url: console_url(region.as_deref(), event_id.as_deref()),
            event_id: own(event_id),
            event_source: own(event_source),
            event_name: own(event_name),
            event_time: own(event_time),
            account: own(account),
            region: own(region),
            principal: own(principal),
            principal_type: own(principal_type),
            source_ip: own(source_ip),
            user_agent: own(user_agent),
            error_code: own(error_code),
            resources: resources.into_iter().map(str::to_owned).collect(),
            source: Source {
                object: object.to_owned(),
                record: Some(record),
            },
            event: EventJson::null(),
        }
    }

    /// The integrity alert for an object that could not be read completely: `fault` is the full
    /// error message, which names the object and the byte offset.
    pub fn integrity(object: &str, fault: &str) -> Alert {
        let mut hasher = Sha256::new();
        hasher.update(INTEGRITY_RULE_ID.as_bytes());
        hasher.update([0]);
        hasher.update(object.as_bytes());
        hasher.update([0]);
        hasher.update(fault.as_bytes());
        Alert {
            alert_id: hex16(&hasher.finalize()),
            rule_id: INTEGRITY_RULE_ID.to_owned(),
            severity: INTEGRITY_RULE_SEVERITY,
            title: INTEGRITY_RULE_TITLE.to_owned(),
            description: format!(
                "keytrail could not read all of {object}: {fault}. Records before a fault were \
                 classified, and so were those after damage that reading resumed from; records in \
                 skipped bytes, or after a fault that ended the reading, were not. Check whether the object was truncated or \
                 replaced (CloudTrail log file validation shows tampering), and re-scan it with \
                 `keytrail scan` once repaired."
            ),
            tags: Vec::new(),
            references: Vec::new(),
            falsepositives: Vec::new(),
            event_id: None,
            event_source: None,
            event_name: None,
            event_time: None,
            account: None,
            region: None,
            principal: None,
            principal_type: None,
            source_ip: None,
            user_agent: None,
            error_code: None,
            resources: vec![object.to_owned()],
            source: Source {
                object: object.to_owned(),
                record: None,
            },
            console_url: None,
            event: EventJson::null(),
        }
    }

    /// Puts `record`, redacted, in the alert (whose event is still `null`), cut so that the
    /// whole alert stays under [`MAX_ALERT_BYTES`].
    fn fit_event(&mut self, record: &Value) {
        let event = EventJson::redacted(record);
        if self.may_overflow(&event) {
            let rest = serialized_len(&*self).unwrap_or(MAX_ALERT_BYTES);
            let budget = MAX_ALERT_BYTES.saturating_sub(rest + 64).max(512);
            if event.get().len() > budget {
                // Rare: a record of tens of KiB. Cut a redacted copy.
                let mut cut = record.clone();
                redact::redact(&mut cut);
                redact::shrink(&mut cut, budget);
                self.event = EventJson::from_value(&cut);
                return;
            }
        }
        self.event = event;
    }

    /// False when `event` surely fits in this alert (whose event is still `null`) under
    /// [`MAX_ALERT_BYTES`]. The budget is never under 512 bytes: a smaller event fits whatever
    /// the rest; nor is the rest over its bound, so an event that fits beside the bound fits.
    fn may_overflow(&self, event: &EventJson) -> bool {
        let len = event.get().len();
        len > 512 && len + self.max_len_without_event() + 64 > MAX_ALERT_BYTES
    }

    /// At least the length of this alert as JSON with a `null` event, found without serializing
    /// it: a string takes at most 6 bytes a byte (`\u001f`) and 2 quotes, and the keys, numbers
    /// and punctuation take less than 1 KiB.
    fn max_len_without_event(&self) -> usize {
        // Every field named, so that a field added to the alert must be counted here too.
        let Alert {
            alert_id,
            rule_id,
            severity: _,
            title,
            description,
            tags,
            references,
            falsepositives,
            event_id,
            event_source,
            event_name,
            event_time,
            account,
            region,
            principal,
            principal_type,
            source_ip,
            user_agent,
            error_code,
            resources,
            source: Source { object, record: _ },
            console_url,
            event: _,
        } = self;
        let text = |s: &String| 6 * s.len() + 3;
        let opt = |s: &Option<String>| s.as_ref().map_or(5, text);
        1024 + [alert_id, rule_id, title, description, object]
            .into_iter()
            .map(text)
            .sum::<usize>()
            + [
                event_id,
                event_source,
                event_name,
                event_time,
                account,
                region,
                principal,
                principal_type,
                source_ip,
                user_agent,
                error_code,
                console_url,
            ]
            .into_iter()
            .map(opt)
            .sum::<usize>()
            + [tags, references, falsepositives, resources]
                .into_iter()
                .flatten()
                .map(text)
                .sum::<usize>()
    }
}

/// The length of `value` as compact JSON, counted without keeping the text.
fn serialized_len<T: Serialize + ?Sized>(value: &T) -> Option<usize> {
    struct Count(usize);
    impl io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).ok()?;
    Some(count.0)
}

/// `s`, cut to [`MAX_FIELD_BYTES`] on a character boundary with a marker saying how much went.
fn capped(s: &str) -> String {
    cut_to(s, MAX_FIELD_BYTES).into_owned()
}

/// `s`, cut to `max` bytes on a character boundary with a marker saying how much went; borrowed
/// when it fits.
fn cut_to(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…[cut {} bytes]", &s[..end], s.len() - end))
}

/// A rule's `tags`, `references` or `falsepositives` for an alert: items trimmed, empty ones
/// left out, at most [`MAX_RULE_LIST_ITEMS`] of at most [`MAX_RULE_ITEM_BYTES`] each.
fn rule_list(items: &[String]) -> Vec<String> {
    rule_items(items).map(Cow::into_owned).collect()
}

/// The items of [`rule_list`], borrowed where they are not cut.
fn rule_items(items: &[String]) -> impl Iterator<Item = Cow<'_, str>> {
    items
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .take(MAX_RULE_LIST_ITEMS)
        .map(|item| cut_to(item, MAX_RULE_ITEM_BYTES))
}

/// The stable alert id: hex of the first 16 bytes of SHA-256 over the rule id and the eventID
/// (over the object and record index when the event has no eventID).
pub fn alert_id(rule_id: &str, event_id: Option<&str>, object: &str, record: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0]);
    match event_id {
        Some(id) => hasher.update(id.as_bytes()),
        None => hasher.update(format!("{object}#{record}").as_bytes()),
    }
    hex16(&hasher.finalize())
}

/// A link to the event in the CloudTrail console, for the event's partition.
pub fn console_url(region: Option<&str>, event_id: Option<&str>) -> Option<String> {
    let mut url = Vec::new();
    push_console_url(region, event_id, &mut url)
        .then(|| String::from_utf8(url).ok())
        .flatten()
}

/// Appends [`console_url`] to `out` and says whether there is one; appends nothing when not.
/// Its text is ASCII letters, digits and `-./:?=#` only: nothing JSON escapes.
pub(crate) fn push_console_url(
    region: Option<&str>,
    event_id: Option<&str>,
    out: &mut Vec<u8>,
) -> bool {
    let Some(region) = region.filter(|r| {
        !r.is_empty()
            && r.len() <= 32
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }) else {
        return false;
    };
    let Some(event_id) = event_id.filter(|id| {
        !id.is_empty()
            && id.len() <= 128
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }) else {
        return false;
    };
    let domain: &[u8] = if region.starts_with("us-gov-") {
        b".console.amazonaws-us-gov.com"
    } else if region.starts_with("cn-") {
        b".console.amazonaws.cn"
    } else {
        b".console.aws.amazon.com"
    };
    for part in [
        b"https://".as_slice(),
        region.as_bytes(),
        domain,
        b"/cloudtrailv2/home?region=",
        region.as_bytes(),
        b"#/events/",
        event_id.as_bytes(),
    ] {
        out.extend_from_slice(part);
    }
    true
}

#[cfg(test)]
mod tests;
