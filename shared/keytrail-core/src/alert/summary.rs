//! The summary alert of a suppression window ([`Alert::summary`], storm control: see
//! [`crate::storm`]): the rule's id, level and title, how many of its alerts for one group were
//! not sent in the window, and the window, both in the text, for a reader, and in `event` as JSON,
//! for a machine. The group (a principal ARN...) is untrusted text: it travels in the alert's own
//! fields (`principal`, `account`, `source_ip`), which the renderers escape like any alert's.

use serde_json::json;

use super::{capped, Alert, EventJson, Source};
use crate::integrity::Timestamp;
use crate::storm::{GroupBy, Span, Summary};

impl Alert {
    /// The alert saying that `summary.more` alerts of its rule x group were suppressed in its
    /// window.
    pub fn summary(summary: &Summary) -> Alert {
        let key = &summary.key;
        let group = capped(&key.group);
        let (start, end) = (
            Timestamp::from_epoch(key.start).to_string(),
            Timestamp::from_epoch(key.end()).to_string(),
        );
        let by = match key.group_by {
            GroupBy::Rule => String::new(),
            _ if group.is_empty() => format!(" with no {}", key.group_by.as_str()),
            g => format!(" by {} {group}", g.as_str()),
        };
        let again = if summary.suppressed > summary.more {
            format!(
                " ({} in all: the window had been summarised, later events arrived)",
                summary.suppressed
            )
        } else {
            String::new()
        };
        let description = format!(
            "{rule}{by}: {more} more alert(s) in the {span} window {start} to {end}{again}, not \
             sent one by one (storm control, SUPPRESS). The first alert of the window was sent; \
             search the trail for the rest (rule {rule}, this {group_by}, this window).",
            rule = key.rule,
            more = summary.more,
            span = Span(key.window),
            group_by = key.group_by.as_str(),
        );
        let field = |g: GroupBy| (key.group_by == g && !group.is_empty()).then(|| group.clone());
        let event = json!({
            "suppression": {
                "rule_id": key.rule,
                "group_by": key.group_by.as_str(),
                "group": group,
                "window": { "start": start, "end": end },
                "more": summary.more,
                "suppressed": summary.suppressed,
            }
        });
        Alert {
            alert_id: summary.alert_id(),
            rule_id: key.rule.clone(),
            severity: summary.severity,
            title: format!(
                "{}: {} more in {}",
                capped(&summary.title),
                summary.more,
                Span(key.window)
            ),
            description,
            tags: Vec::new(),
            references: Vec::new(),
            falsepositives: Vec::new(),
            event_id: None,
            event_source: None,
            event_name: None,
            event_time: Some(end),
            account: field(GroupBy::Account),
            region: None,
            principal: field(GroupBy::Principal),
            principal_type: None,
            source_ip: field(GroupBy::SourceIp),
            user_agent: None,
            error_code: None,
            resources: Vec::new(),
            source: Source {
                object: format!("suppression:{}", key.rule),
                record: None,
            },
            console_url: None,
            event: EventJson::from_value(&event),
        }
    }
}
