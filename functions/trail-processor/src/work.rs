//! The unit of work of an invocation, [`Work`], and whose alerts it publishes, [`Only`].
//!
//! A leaf module of plain types: `sqs` plans an SQS batch into [`Work`], `only` narrows work to
//! what a `rules_only` value asks for, `process` runs it (`Work::run` is implemented there,
//! next to the functions it calls), and `handler` builds the work of the other shapes. Keeping
//! the types here lets those modules depend on them without depending on each other.

use std::collections::BTreeSet;
use std::sync::Arc;

use keytrail_aws::event::ObjectRef;
use keytrail_core::alert::INTEGRITY_RULE_ID;
use keytrail_core::Alert;

/// One unit of work of an invocation: an object to read, or an event to classify.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Read and classify this object, and publish the alerts [`Only`] lets through.
    Object(ObjectRef, Only),
    /// Classify this EventBridge "AWS API Call via CloudTrail" envelope.
    Event(serde_json::Value),
}

impl Work {
    /// A name for log lines and errors: the object's URI, or `eventbridge:<id>`.
    pub fn name(&self) -> String {
        match self {
            Work::Object(object, _) => object.uri(),
            Work::Event(envelope) => event_name(envelope),
        }
    }

    /// Publishes only what `only` lets through (an object's work; events carry no `rules_only`).
    pub fn narrow(&mut self, only: &Only) {
        if let Work::Object(_, mine) = self {
            mine.clone_from(only);
        }
    }
}

/// Whose alerts a piece of work publishes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Only {
    /// Every rule's (no `rules_only` given).
    #[default]
    All,
    /// These rules' only (and integrity alerts). Empty: the work was refused, nothing is read.
    Rules(Arc<BTreeSet<String>>),
}

impl Only {
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

/// A name for an EventBridge event in log lines and errors: `eventbridge:<id>`.
pub(crate) fn event_name(envelope: &serde_json::Value) -> String {
    let id = envelope
        .get("id")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown");
    format!("eventbridge:{id}")
}
