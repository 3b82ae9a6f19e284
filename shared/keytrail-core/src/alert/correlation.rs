//! The alert of a correlation that fired ([`Alert::correlation`]): the correlation rule's
//! metadata, and what it joined (the eventIDs, the group-by values, the window, the count) both
//! in the description, for a reader, and in `event` as JSON, for a machine. Its `alert_id` is
//! the engine's, stable per correlation x group x window, so a repeat is de-duplicated.

use serde_json::{json, Map, Value};

use super::{capped, rule_list, Alert, EventJson, Source};
use crate::correlate::{Correlated, Correlation};
use crate::integrity::Timestamp;

/// The most eventIDs a correlation alert names in its description (all are in its event).
const DESCRIBED_IDS: usize = 10;

impl Alert {
    /// The alert for `correlation` firing as `hit`; `objects` are where its events were read
    /// (the alert's source, joined with `, `).
    pub fn correlation(correlation: &Correlation, hit: &Correlated, objects: &[String]) -> Alert {
        let rule = &correlation.rule;
        let group: Vec<(String, String)> = hit
            .group
            .iter()
            .map(|(field, value)| (capped(field), capped(value)))
            .collect();
        let event_ids: Vec<String> = hit.event_ids.iter().map(|id| capped(id)).collect();
        let (start, end) = (
            Timestamp::from_epoch(hit.window.0).to_string(),
            Timestamp::from_epoch(hit.window.1).to_string(),
        );
        let group_text = group
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut ids = event_ids
            .iter()
            .take(DESCRIBED_IDS)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if event_ids.len() > DESCRIBED_IDS {
            ids.push_str(&format!(" and {} more", event_ids.len() - DESCRIBED_IDS));
        }
        let by = if group_text.is_empty() {
            String::new()
        } else {
            format!(" for {group_text}")
        };
        let description = format!(
            "{}\n\nCorrelation {} ({}): count {}{by} in the window {start} to {end}; events {ids}.",
            rule.description.trim(),
            rule.id,
            correlation.kind.as_str(),
            hit.count,
        );
        let group_json: Map<String, Value> = group
            .iter()
            .map(|(f, v)| (f.clone(), Value::from(v.as_str())))
            .collect();
        let event = json!({
            "correlation": {
                "rule_id": rule.id,
                "type": correlation.kind.as_str(),
                "group": group_json,
                "window": { "start": start, "end": end },
                "count": hit.count,
                "event_ids": event_ids,
            }
        });
        let principal = group
            .iter()
            .find(|(f, _)| f == "userIdentity.arn" || f == "userIdentity.principalId")
            .map(|(_, v)| v.clone());
        let account = group
            .iter()
            .find(|(f, _)| f == "recipientAccountId" || f == "userIdentity.accountId")
            .map(|(_, v)| v.clone());
        let source_ip = group
            .iter()
            .find(|(f, _)| f == "sourceIPAddress")
            .map(|(_, v)| v.clone());
        Alert {
            alert_id: hit.alert_id.clone(),
            rule_id: rule.id.clone(),
            severity: rule.level,
            title: rule.title.clone(),
            description,
            tags: rule_list(&rule.tags),
            references: rule_list(&rule.references),
            falsepositives: rule_list(&rule.falsepositives),
            event_id: Some(event_ids.join(",")),
            event_source: None,
            event_name: None,
            event_time: Some(Timestamp::from_epoch(hit.last_time).to_string()),
            account,
            region: None,
            principal,
            principal_type: None,
            source_ip,
            user_agent: None,
            error_code: None,
            resources: Vec::new(),
            source: Source {
                object: capped(&objects.join(", ")),
                record: None,
            },
            console_url: None,
            event: EventJson::from_value(&event),
        }
    }
}
