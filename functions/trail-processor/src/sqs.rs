//! An SQS batch: the work of every message in one pool, one outcome per message.
//!
//! [`plan`] flattens the objects (and API-call events) of all messages into one list of
//! [`Work`], so the handler processes them together under the one `OBJECT_CONCURRENCY` bound:
//! the common S3 -> SQS path delivers up to 10 messages of one object each, which would get no
//! concurrency at all if messages were handled one after another. Each message remembers which
//! items are its own; [`failed_messages`] then names exactly the messages any of whose items
//! failed, plus those that could not be read, and no others.

use std::ops::Range;

use keytrail_aws::event::{MessageContent, SqsMessage};

use crate::only::Only;
use crate::process::Work;

/// One message of the batch, after planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The SQS message id: what `batchItemFailures` names.
    pub message_id: String,
    /// False when the body could not be read: it fails whatever its items do.
    pub readable: bool,
    /// Its items in the flattened work list.
    pub items: Range<usize>,
}

/// Flattens the messages' work into one list, remembering each message's share of it.
pub fn plan(messages: Vec<SqsMessage>) -> (Vec<Work>, Vec<Planned>) {
    let mut work = Vec::new();
    let mut planned = Vec::with_capacity(messages.len());
    for message in messages {
        let start = work.len();
        let readable = match message.content {
            Err(e) => {
                // A message keytrail cannot read never becomes readable: report it so it
                // reaches the dead-letter queue instead of vanishing.
                tracing::error!(
                    message_id = message.message_id.as_str(),
                    error = e.to_string(),
                    "unreadable SQS message"
                );
                false
            }
            Ok(MessageContent::Ignored(reason)) => {
                tracing::info!(
                    message_id = message.message_id.as_str(),
                    reason = reason.as_str(),
                    "ignored message"
                );
                true
            }
            Ok(MessageContent::ApiCall(envelope)) => {
                work.push(Work::Event(envelope));
                true
            }
            Ok(MessageContent::Objects(objects)) => {
                work.extend(objects.into_iter().map(|o| Work::Object(o, Only::All)));
                true
            }
        };
        planned.push(Planned {
            message_id: message.message_id,
            readable,
            items: start..work.len(),
        });
    }
    (work, planned)
}

/// The ids of the messages that failed, in batch order: unreadable ones, and those with any
/// item not `ok` (`ok` has one entry per work item, in [`plan`]'s order). A message whose items
/// are missing from `ok` counts as failed: nothing is acknowledged unless it was processed.
pub fn failed_messages(planned: &[Planned], ok: &[bool]) -> Vec<String> {
    planned
        .iter()
        .filter(|m| {
            !m.readable
                || m.items
                    .clone()
                    .any(|i| !ok.get(i).copied().unwrap_or(false))
        })
        .map(|m| m.message_id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use keytrail_aws::event::{ObjectRef, ShapeError};
    use serde_json::json;

    use super::*;

    fn object(key: &str) -> ObjectRef {
        ObjectRef {
            bucket: "b".to_owned(),
            key: key.to_owned(),
            version_id: None,
            size: None,
            sequencer: None,
        }
    }

    fn message(id: &str, content: Result<MessageContent, ShapeError>) -> SqsMessage {
        SqsMessage {
            message_id: id.to_owned(),
            content,
        }
    }

    fn batch() -> Vec<SqsMessage> {
        vec![
            message("one", Ok(MessageContent::Objects(vec![object("a")]))),
            message(
                "two",
                Ok(MessageContent::Objects(vec![object("b"), object("c")])),
            ),
            message(
                "test",
                Ok(MessageContent::Ignored("s3:TestEvent".to_owned())),
            ),
            message("api", Ok(MessageContent::ApiCall(json!({"id": "e1"})))),
            message(
                "bad",
                Err(ShapeError::NotJson {
                    what: "SQS message body",
                    detail: "expected value at line 1 column 1".to_owned(),
                }),
            ),
            message("empty", Ok(MessageContent::Objects(Vec::new()))),
        ]
    }

    #[test]
    fn plan_flattens_every_message_into_one_work_list() {
        let (work, planned) = plan(batch());
        let names: Vec<String> = work.iter().map(Work::name).collect();
        assert_eq!(
            names,
            ["s3://b/a", "s3://b/b", "s3://b/c", "eventbridge:e1"]
        );
        let shares: Vec<(&str, bool, Range<usize>)> = planned
            .iter()
            .map(|m| (m.message_id.as_str(), m.readable, m.items.clone()))
            .collect();
        assert_eq!(
            shares,
            [
                ("one", true, 0..1),
                ("two", true, 1..3),
                ("test", true, 3..3),
                ("api", true, 3..4),
                ("bad", false, 4..4),
                ("empty", true, 4..4),
            ]
        );
    }

    #[test]
    fn only_messages_with_a_failed_item_are_reported() {
        let (_, planned) = plan(batch());
        // (ok per work item: a, b, c, e1), failed messages expected
        let cases: &[(&[bool], &[&str])] = &[
            (&[true, true, true, true], &["bad"]),
            (&[false, true, true, true], &["one", "bad"]),
            (&[true, false, true, true], &["two", "bad"]),
            (&[true, true, false, true], &["two", "bad"]),
            (&[true, true, true, false], &["api", "bad"]),
            (&[false, false, false, false], &["one", "two", "api", "bad"]),
            // Fewer results than items: the messages left without theirs fail.
            (&[true, true], &["two", "api", "bad"]),
        ];
        for (ok, expected) in cases {
            assert_eq!(failed_messages(&planned, ok), *expected, "ok={ok:?}");
        }
    }
}
