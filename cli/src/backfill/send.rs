//! Sending notifications to the processor's queue: `SendMessageBatch`, ten messages a call, and
//! what SQS refuses tried again.
//!
//! SQS answers a batch call per entry. An entry that failed through no fault of the sender
//! (`SenderFault: false`: throttling, an internal error) is sent again, with the other entries
//! still pending, after an exponential backoff; one that failed through the sender's fault
//! would fail again and is given up at once. A whole call that fails (after the SDK's own
//! retries) is tried again the same way when the failure may pass (a network error, throttling,
//! a 5xx), and given up at once when it will not (the queue does not exist, access denied, the
//! queue's KMS key refused). What is given up is named, key by key, in the backfill's error.
//!
//! [`Queue`] is the seam: the SQS client implements it, and the unit tests a queue that fails on
//! purpose.

use std::future::Future;
use std::time::Duration;

use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use keytrail_aws::event::ObjectRef;

/// SQS's most entries in one `SendMessageBatch`.
pub const BATCH: usize = 10;

/// The message attribute carrying `--rules-only` (the processor's `only::RULES_ONLY`).
pub const RULES_ONLY: &str = "rules_only";

/// One object's notification, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The object.
    pub object: ObjectRef,
    /// The message body.
    pub body: String,
}

/// An object whose notification was not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    /// `s3://bucket/key`.
    pub uri: String,
    /// What SQS (or the network) said last.
    pub why: String,
}

/// One entry SQS refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    /// Its place in the batch.
    pub index: usize,
    /// True when sending it again cannot help.
    pub sender_fault: bool,
    /// SQS's code and message.
    pub why: String,
}

/// A whole call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// True when trying again later may pass.
    pub retryable: bool,
    /// What went wrong.
    pub why: String,
}

/// Where notifications go.
pub trait Queue: Send + Sync {
    /// Sends `bodies` in one call; answers the entries that failed.
    fn send(
        &self,
        bodies: &[&str],
    ) -> impl Future<Output = Result<Vec<EntryFailure>, CallError>> + Send;
}

/// How often, and how patiently, a refused entry is tried again.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The wait before the first retry; it doubles for each next one.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 6,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        }
    }
}

impl Retry {
    /// The wait before try `attempt` (1 = the first retry).
    fn backoff(&self, attempt: u32) -> Duration {
        self.base
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.cap)
    }
}

/// Sends up to [`BATCH`] notifications, retrying what may pass; answers how many were sent and
/// the ones given up.
pub async fn send_batch<Q: Queue>(
    queue: &Q,
    batch: Vec<Outgoing>,
    retry: &Retry,
) -> (u64, Vec<NotSent>) {
    let mut pending = batch;
    let mut given_up = Vec::new();
    let mut sent = 0;
    for attempt in 0..retry.attempts.max(1) {
        if pending.is_empty() {
            break;
        }
        if attempt > 0 {
            tokio::time::sleep(retry.backoff(attempt)).await;
        }
        let last = attempt + 1 >= retry.attempts.max(1);
        let bodies: Vec<&str> = pending.iter().map(|o| o.body.as_str()).collect();
        let answer = queue.send(&bodies).await;
        let mut again = Vec::new();
        match answer {
            Ok(failures) => {
                sent += (pending.len() - failures.len().min(pending.len())) as u64;
                for failure in failures {
                    let Some(item) = pending.get(failure.index) else {
                        continue;
                    };
                    if failure.sender_fault || last {
                        given_up.push(not_sent(item, failure.why));
                    } else {
                        again.push(item.clone());
                    }
                }
            }
            Err(e) if e.retryable && !last => again = pending.clone(),
            Err(e) => given_up.extend(pending.iter().map(|item| not_sent(item, e.why.clone()))),
        }
        pending = again;
    }
    (sent, given_up)
}

fn not_sent(item: &Outgoing, why: String) -> NotSent {
    NotSent {
        uri: item.object.uri(),
        why,
    }
}

/// The processor's queue over the SDK's SQS client.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    rules_only: Option<MessageAttributeValue>,
}

impl SqsQueue {
    /// Messages to `url`, each carrying `rules_only` (comma-separated rule ids) when given.
    pub fn new(client: aws_sdk_sqs::Client, url: String, rules_only: Option<String>) -> Self {
        let rules_only = rules_only.and_then(|ids| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(ids)
                .build()
                .ok()
        });
        SqsQueue {
            client,
            url,
            rules_only,
        }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Queue for SqsQueue {
    async fn send(&self, bodies: &[&str]) -> Result<Vec<EntryFailure>, CallError> {
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(*body);
                if let Some(ids) = &self.rules_only {
                    entry = entry.message_attributes(RULES_ONLY, ids.clone());
                }
                entry.build().map_err(|e| CallError {
                    retryable: false,
                    why: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| call_error(&e))?;
        Ok(out
            .failed
            .into_iter()
            .map(|f| EntryFailure {
                index: f.id.parse().unwrap_or(usize::MAX),
                sender_fault: f.sender_fault,
                why: format!("{}: {}", f.code, f.message.unwrap_or_default()),
            })
            .collect())
    }
}

/// A failed call, sorted into what may pass and what will not.
pub fn call_error<E>(e: &SdkError<E, HttpResponse>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let why = aws_sdk_sqs::error::DisplayErrorContext(e).to_string();
    let retryable = match e.as_service_error() {
        None => true,
        Some(service) => {
            let code = service.code().unwrap_or_default();
            let status = e.raw_response().map(|r| r.status().as_u16());
            code.contains("Throttl")
                || code == "RequestThrottled"
                || code.contains("InternalError")
                || status.is_some_and(|s| s >= 500)
        }
    };
    CallError { retryable, why }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A queue answering from a script, one answer per call (then accepting everything), and
    /// recording the bodies of every call.
    #[derive(Default)]
    struct Scripted {
        answers: Mutex<Vec<Result<Vec<EntryFailure>, CallError>>>,
        calls: Mutex<Vec<Vec<String>>>,
    }

    impl Queue for Scripted {
        async fn send(&self, bodies: &[&str]) -> Result<Vec<EntryFailure>, CallError> {
            self.calls
                .lock()
                .unwrap()
                .push(bodies.iter().map(|b| (*b).to_owned()).collect());
            let mut answers = self.answers.lock().unwrap();
            if answers.is_empty() {
                Ok(Vec::new())
            } else {
                answers.remove(0)
            }
        }
    }

    fn batch(n: usize) -> Vec<Outgoing> {
        (0..n)
            .map(|i| Outgoing {
                object: ObjectRef {
                    bucket: "b".to_owned(),
                    key: format!("k{i}"),
                    version_id: None,
                    size: None,
                    sequencer: None,
                },
                body: format!("body{i}"),
            })
            .collect()
    }

    fn failed(index: usize, sender_fault: bool) -> EntryFailure {
        EntryFailure {
            index,
            sender_fault,
            why: format!("code{index}: refused"),
        }
    }

    const FAST: Retry = Retry {
        attempts: 3,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(2),
    };

    #[tokio::test]
    async fn refused_entries_are_retried_until_they_pass_or_run_out() {
        let retryable = |why: &str| CallError {
            retryable: true,
            why: why.to_owned(),
        };
        let fatal = CallError {
            retryable: false,
            why: "QueueDoesNotExist".to_owned(),
        };
        // (script, bodies of each call, sent, given up (key, why))
        type Case = (
            Vec<Result<Vec<EntryFailure>, CallError>>,
            Vec<Vec<&'static str>>,
            u64,
            Vec<(&'static str, &'static str)>,
        );
        let cases: Vec<Case> = vec![
            (vec![], vec![vec!["body0", "body1", "body2"]], 3, vec![]),
            (
                vec![Ok(vec![failed(1, false)])],
                vec![vec!["body0", "body1", "body2"], vec!["body1"]],
                3,
                vec![],
            ),
            (
                vec![Ok(vec![failed(0, true), failed(2, false)])],
                vec![vec!["body0", "body1", "body2"], vec!["body2"]],
                2,
                vec![("s3://b/k0", "code0: refused")],
            ),
            (
                vec![
                    Ok(vec![failed(2, false)]),
                    Ok(vec![failed(0, false)]),
                    Ok(vec![failed(0, false)]),
                ],
                vec![
                    vec!["body0", "body1", "body2"],
                    vec!["body2"],
                    vec!["body2"],
                ],
                2,
                vec![("s3://b/k2", "code0: refused")],
            ),
            (
                vec![Err(retryable("timeout")), Ok(vec![])],
                vec![
                    vec!["body0", "body1", "body2"],
                    vec!["body0", "body1", "body2"],
                ],
                3,
                vec![],
            ),
            (
                vec![Err(fatal.clone())],
                vec![vec!["body0", "body1", "body2"]],
                0,
                vec![
                    ("s3://b/k0", "QueueDoesNotExist"),
                    ("s3://b/k1", "QueueDoesNotExist"),
                    ("s3://b/k2", "QueueDoesNotExist"),
                ],
            ),
            (
                vec![
                    Err(retryable("a")),
                    Err(retryable("b")),
                    Err(retryable("c")),
                ],
                vec![vec!["body0", "body1", "body2"]; 3],
                0,
                vec![("s3://b/k0", "c"), ("s3://b/k1", "c"), ("s3://b/k2", "c")],
            ),
        ];
        for (i, (script, calls, sent, given_up)) in cases.into_iter().enumerate() {
            let queue = Scripted {
                answers: Mutex::new(script),
                ..Scripted::default()
            };
            let (n, not_sent) = send_batch(&queue, batch(3), &FAST).await;
            let got: Vec<(&str, &str)> = not_sent
                .iter()
                .map(|n| (n.uri.as_str(), n.why.as_str()))
                .collect();
            assert_eq!((n, got), (sent, given_up), "case {i}");
            assert_eq!(*queue.calls.lock().unwrap(), calls, "case {i}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let retry = Retry::default();
        let waits: Vec<u128> = (1..=8).map(|a| retry.backoff(a).as_millis()).collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    }
}
