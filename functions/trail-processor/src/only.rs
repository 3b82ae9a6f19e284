//! `rules_only`: work that asks for some rules' alerts only, as `keytrail backfill --rules-only`
//! sends it.
//!
//! The rule ids travel with the work, comma-separated, under the name [`RULES_ONLY`]: as an SQS
//! message attribute (type `String`) on each backfill message, or as an S3 Batch Operations
//! user argument (invocation schema 2.0, `job.userArguments`). For the objects that work names,
//! the function then publishes only those rules' alerts, so that re-scanning history for one new
//! rule does not raise the old alerts of the others again.
//!
//! - The filter sits between the scan and the publisher: the engine still evaluates every rule
//!   (a rule set per message would mean compiling the pack again per message). An integrity
//!   alert (an object that cannot be read) passes whatever was asked for: it is news about the
//!   object, not about a rule.
//! - Every id must name a rule the function has loaded. Work naming an unknown one is refused
//!   before its objects are read: the SQS message fails (and after the queue's retries waits in
//!   its dead-letter queue), the batch job's tasks fail permanently, each saying which ids are
//!   unknown. A backfill never quietly publishes nothing because the function was deployed
//!   without the rule it was asked for.
//! - Work without the attribute (every live S3 notification) publishes every rule's alerts. A
//!   sender that adds it can only narrow what its own message publishes: the idempotency table
//!   claims an alert only when it is published, so a narrowed message never keeps an alert from
//!   the object's own notification.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use keytrail_aws::event::BatchJob;
use keytrail_core::alert::INTEGRITY_RULE_ID;
use keytrail_core::rules::RuleSet;
use keytrail_core::Alert;
use serde_json::Value;

use crate::process::Work;
use crate::sqs::Planned;

/// The SQS message attribute and the S3 Batch user argument that carry the rule ids.
pub const RULES_ONLY: &str = "rules_only";

/// Whose alerts a piece of work publishes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Only {
    /// Every rule's (no `rules_only` given).
    #[default]
    All,
    /// These rules' only (and integrity alerts). Empty: the work was refused, nothing is read.
    Rules(Arc<BTreeSet<String>>),
}

/// A `rules_only` value the function cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnlyError {
    /// No id in it.
    #[error("{RULES_ONLY} names no rule id: give comma-separated rule ids, or leave it out for every rule")]
    Empty,
    /// Ids the function has not loaded.
    #[error(
        "{RULES_ONLY} names rule(s) this function has not loaded: {}; deploy the rules first \
         (built-in pack, RULES_DIRS or RULES_S3_URI), then redrive the work",
        .0.join(", ")
    )]
    Unknown(Vec<String>),
}

impl Only {
    /// Reads a `rules_only` value: comma-separated rule ids, each one `rules` has.
    pub fn parse(text: &str, rules: &RuleSet) -> Result<Only, OnlyError> {
        let ids: BTreeSet<String> = text
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect();
        if ids.is_empty() {
            return Err(OnlyError::Empty);
        }
        let unknown: Vec<String> = ids
            .iter()
            .filter(|id| !rules.rules().iter().any(|r| &&r.id == id))
            .map(|id| escape(id))
            .collect();
        if !unknown.is_empty() {
            return Err(OnlyError::Unknown(unknown));
        }
        Ok(Only::Rules(Arc::new(ids)))
    }

    /// True when the work was refused: nothing of it is read.
    pub fn is_refused(&self) -> bool {
        matches!(self, Only::Rules(ids) if ids.is_empty())
    }

    /// True when `alert` may be published.
    pub fn keeps(&self, alert: &Alert) -> bool {
        match self {
            Only::All => true,
            Only::Rules(ids) => alert.rule_id == INTEGRITY_RULE_ID || ids.contains(&alert.rule_id),
        }
    }

    /// The alerts of `batch` that may be published.
    pub fn filter(&self, mut batch: Vec<Alert>) -> Vec<Alert> {
        if *self != Only::All {
            batch.retain(|a| self.keeps(a));
        }
        batch
    }
}

/// A rule id as it may appear in an error (untrusted text: at most 128 characters, control
/// characters escaped).
fn escape(id: &str) -> String {
    id.chars()
        .take(128)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_unicode().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The `rules_only` of an S3 Batch Operations job (schema 2.0's user arguments).
pub fn for_batch(job: &BatchJob, rules: &RuleSet) -> Result<Only, OnlyError> {
    match job.user_arguments.get(RULES_ONLY) {
        Some(text) => Only::parse(text, rules),
        None => Ok(Only::All),
    }
}

/// The `rules_only` attribute of each SQS message in `payload` that has one, by message id.
fn sqs_attributes(payload: &Value) -> BTreeMap<&str, &str> {
    let records = payload.get("Records").and_then(Value::as_array);
    records
        .into_iter()
        .flatten()
        .filter_map(|record| {
            let id = record.get("messageId")?.as_str()?;
            let value = record
                .get("messageAttributes")?
                .get(RULES_ONLY)?
                .get("stringValue")?
                .as_str()?;
            Some((id, value))
        })
        .collect()
}

/// Narrows the planned work of an SQS batch to what each message's `rules_only` asks for. A
/// message whose `rules_only` cannot be honoured is refused: its items are not read and the
/// message fails.
pub fn narrow_sqs(payload: &Value, rules: &RuleSet, work: &mut [Work], planned: &mut [Planned]) {
    let attributes = sqs_attributes(payload);
    if attributes.is_empty() {
        return;
    }
    for message in planned.iter_mut() {
        let Some(text) = attributes.get(message.message_id.as_str()) else {
            continue;
        };
        let only = Only::parse(text, rules).unwrap_or_else(|e| {
            tracing::error!(
                message_id = message.message_id.as_str(),
                error = e.to_string(),
                "SQS message refused"
            );
            message.readable = false;
            Only::Rules(Arc::default())
        });
        for item in work.get_mut(message.items.clone()).into_iter().flatten() {
            item.narrow(&only);
        }
    }
}

#[cfg(test)]
mod tests {
    use keytrail_aws::event::ObjectRef;
    use serde_json::json;

    use super::*;

    fn rules() -> RuleSet {
        RuleSet::load(&keytrail_core::rules::LoadOptions::default())
            .unwrap()
            .set
    }

    fn ids(only: &Only) -> Vec<String> {
        match only {
            Only::All => vec!["*".to_owned()],
            Only::Rules(ids) => ids.iter().cloned().collect(),
        }
    }

    #[test]
    fn parses_comma_separated_known_ids() {
        let rules = rules();
        let cases: &[(&str, Result<&[&str], OnlyError>)] = &[
            ("acm-export-certificate", Ok(&["acm-export-certificate"])),
            (
                " acm-export-certificate , acm-delete-certificate,",
                Ok(&["acm-delete-certificate", "acm-export-certificate"]),
            ),
            (
                "acm-export-certificate,acm-export-certificate",
                Ok(&["acm-export-certificate"]),
            ),
            ("", Err(OnlyError::Empty)),
            (" , ", Err(OnlyError::Empty)),
            (
                "acm-export-certificate,no-such-rule,x\u{1b}y",
                Err(OnlyError::Unknown(vec![
                    "no-such-rule".to_owned(),
                    "x\\u{1b}y".to_owned(),
                ])),
            ),
        ];
        for (text, want) in cases {
            let got = Only::parse(text, &rules).map(|o| ids(&o));
            let want = want
                .clone()
                .map(|w| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn keeps_the_named_rules_and_integrity_alerts() {
        let only = Only::parse("acm-export-certificate", &rules()).unwrap();
        let alert = |rule: &str| Alert {
            rule_id: rule.to_owned(),
            ..Alert::integrity("s3://b/k", "x")
        };
        for (rule, kept) in [
            ("acm-export-certificate", true),
            ("acm-delete-certificate", false),
            (INTEGRITY_RULE_ID, true),
        ] {
            assert_eq!(only.keeps(&alert(rule)), kept, "{rule}");
            assert!(Only::All.keeps(&alert(rule)));
        }
        let kept = only.filter(vec![
            alert("acm-delete-certificate"),
            alert("acm-export-certificate"),
        ]);
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn sqs_messages_are_narrowed_or_refused_one_by_one() {
        let object = |key: &str| ObjectRef {
            bucket: "b".to_owned(),
            key: key.to_owned(),
            version_id: None,
            size: None,
            sequencer: None,
        };
        let attribute = |v: &str| json!({RULES_ONLY: {"stringValue": v, "dataType": "String"}});
        let payload = json!({"Records": [
            {"messageId": "plain", "messageAttributes": {}},
            {"messageId": "narrow", "messageAttributes": attribute("acm-export-certificate")},
            {"messageId": "bad", "messageAttributes": attribute("no-such-rule")},
        ]});
        let mut work: Vec<Work> = ["a", "b", "c"]
            .iter()
            .map(|k| Work::Object(object(k), Only::All))
            .collect();
        let mut planned: Vec<Planned> = ["plain", "narrow", "bad"]
            .iter()
            .enumerate()
            .map(|(i, id)| Planned {
                message_id: (*id).to_owned(),
                readable: true,
                items: i..i + 1,
            })
            .collect();
        narrow_sqs(&payload, &rules(), &mut work, &mut planned);
        let onlys: Vec<Vec<String>> = work
            .iter()
            .map(|w| match w {
                Work::Object(_, only) => ids(only),
                Work::Event(_) => unreachable!(),
            })
            .collect();
        assert_eq!(
            onlys,
            [vec!["*"], vec!["acm-export-certificate"], vec![]]
                .map(|v| v.into_iter().map(str::to_owned).collect::<Vec<_>>())
        );
        let readable: Vec<bool> = planned.iter().map(|m| m.readable).collect();
        assert_eq!(readable, [true, true, false]);
    }
}
