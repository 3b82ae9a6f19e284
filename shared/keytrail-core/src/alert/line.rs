//! An alert written as JSON straight from its record, without making an [`Alert`].
//!
//! A noisy rule alerts on most records of a busy account, and a CLI printing JSONL only wants
//! each alert's text. Making an `Alert` first (about 35 strings and vectors copied out of the
//! rule and the record, the event written to a string and checked again by serde_json, all of it
//! serialized once more and freed) cost more than reading the record. [`TreeAlert::write_json`]
//! writes the same text in one pass: the rule's fields from the rule, the record's from
//! [`Fields`] (what `Alert` reads too), the event redacted by [`redact::write_redacted`] into
//! the output itself. The text is byte for byte `serde_json::to_writer(&alert)` of the alert the
//! same match makes ([`TreeAlert::to_alert`]): the keys in the order `Alert` declares them,
//! every string and the severity written by serde_json. A test compares both over every corpus
//! and fixture record, and the `render` fuzz target over every input.
//!
//! An event too large for its alert ([`super::MAX_ALERT_BYTES`]) is cut on a parsed copy; the
//! writer then gives up and the caller makes the `Alert`, which cuts it.

use std::io;

use super::{alert_id, push_console_url, rule_items, Alert, Fields, MAX_ALERT_BYTES};
use crate::record::Tree;
use crate::redact;
use crate::rules::Rule;

/// One alert of a record that the rules decided on without parsing it into a `Value`, the
/// record read into a [`Tree`] over its bytes: made into an [`Alert`] only if the one who takes
/// it asks.
#[derive(Clone, Copy)]
pub struct TreeAlert<'a> {
    /// The rule that matched.
    pub rule: &'a Rule,
    /// The rule's part of the JSON, written once ([`AlertHead::of`]); written afresh when
    /// `None`, or when it is not this rule's.
    pub head: Option<&'a AlertHead>,
    /// The record, read.
    pub tree: &'a Tree<'a>,
    /// The record's bytes.
    pub json: &'a [u8],
    /// The object's URI or path.
    pub object: &'a str,
    /// 0-based index of the record in the object.
    pub record: u64,
}

impl TreeAlert<'_> {
    /// The alert.
    pub fn to_alert(&self) -> Alert {
        Alert::from_tree(self.rule, self.tree, self.json, self.object, self.record)
    }

    /// Appends the alert as JSON to `out`: the text `serde_json::to_writer` writes of
    /// [`TreeAlert::to_alert`]. False, with nothing appended, when its event must be cut to fit
    /// (the caller then makes the `Alert`, which cuts it).
    pub fn write_json(&self, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let written = self.write(out, start).unwrap_or(false);
        if !written {
            out.truncate(start);
        }
        written
    }

    /// [`TreeAlert::write_json`] from `start`, the length of `out` before it.
    fn write(&self, out: &mut Vec<u8>, start: usize) -> io::Result<bool> {
        let rule = self.rule;
        // Every field named, in the order `Alert` declares them.
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
        } = Fields::read(self.tree.root());
        let id = alert_id(&rule.id, event_id.as_deref(), self.object, self.record);
        out.extend_from_slice(b"{\"alert_id\":");
        serde_json::to_writer(&mut *out, &id)?;
        match self.head.and_then(|head| head.of_rule(rule)) {
            Some(head) => out.extend_from_slice(head),
            None => write_head(rule, out)?,
        }
        for (name, value) in [
            ("event_id", &event_id),
            ("event_source", &event_source),
            ("event_name", &event_name),
            ("event_time", &event_time),
            ("account", &account),
            ("region", &region),
            ("principal", &principal),
            ("principal_type", &principal_type),
            ("source_ip", &source_ip),
            ("user_agent", &user_agent),
            ("error_code", &error_code),
        ] {
            optional(out, name, value.as_deref())?;
        }
        list(out, "resources", resources.into_iter())?;
        key(out, "source");
        out.extend_from_slice(b"{\"object\":");
        serde_json::to_writer(&mut *out, self.object)?;
        out.extend_from_slice(b",\"record\":");
        serde_json::to_writer(&mut *out, &self.record)?;
        out.push(b'}');
        key(out, "console_url");
        out.push(b'"');
        if push_console_url(region.as_deref(), event_id.as_deref(), out) {
            out.push(b'"');
        } else {
            out.pop(); // the opening quote: there is no URL
            out.extend_from_slice(b"null");
        }
        key(out, "event");
        let event_start = out.len();
        redact::write_redacted(self.tree, out)?;
        let event = out.len() - event_start;
        out.push(b'}');
        // As `Alert::fit_event` decides: the event is cut when it is over the budget the rest
        // of the alert (its text with a `null` event) leaves.
        let rest = out.len() - start - event + "null".len();
        let budget = MAX_ALERT_BYTES.saturating_sub(rest + 64).max(512);
        Ok(event <= budget)
    }
}

/// A rule's part of its alerts' JSON, from `"rule_id"` to `"falsepositives"`: the same for
/// every alert of the rule, and most of the text that needs escaping (a SigmaHQ rule's
/// description, references and false positives run to 900 bytes). The scan writes it once
/// per object for each rule that alerts.
#[derive(Debug, Clone)]
pub struct AlertHead {
    /// The rule's id, which the head is used for only with.
    rule_id: String,
    /// The text, after the alert id (`None` were it not written, which cannot happen).
    json: Option<Box<[u8]>>,
}

impl AlertHead {
    /// The head of `rule`'s alerts.
    pub fn of(rule: &Rule) -> AlertHead {
        let mut json = Vec::new();
        AlertHead {
            rule_id: rule.id.clone(),
            json: write_head(rule, &mut json)
                .ok()
                .map(|()| json.into_boxed_slice()),
        }
    }

    /// The text, when this is the head of `rule`.
    fn of_rule(&self, rule: &Rule) -> Option<&[u8]> {
        self.json.as_deref().filter(|_| self.rule_id == rule.id)
    }
}

/// The members of an alert that come from `rule`, each after a comma.
fn write_head(rule: &Rule, out: &mut Vec<u8>) -> io::Result<()> {
    member(out, "rule_id", &rule.id)?;
    key(out, "severity");
    serde_json::to_writer(&mut *out, &rule.level)?;
    member(out, "title", &rule.title)?;
    member(out, "description", rule.description.trim())?;
    for (name, items) in [
        ("tags", &rule.tags),
        ("references", &rule.references),
        ("falsepositives", &rule.falsepositives),
    ] {
        list(out, name, rule_items(items))?;
    }
    Ok(())
}

/// `,"name":`, after the first key.
fn key(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn member(out: &mut Vec<u8>, name: &str, value: &str) -> io::Result<()> {
    key(out, name);
    Ok(serde_json::to_writer(&mut *out, value)?)
}

fn optional(out: &mut Vec<u8>, name: &str, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(value) => member(out, name, value),
        None => {
            key(out, name);
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

fn list<S: AsRef<str>>(
    out: &mut Vec<u8>,
    name: &str,
    items: impl Iterator<Item = S>,
) -> io::Result<()> {
    key(out, name);
    out.push(b'[');
    for (n, item) in items.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, item.as_ref())?;
    }
    out.push(b']');
    Ok(())
}
