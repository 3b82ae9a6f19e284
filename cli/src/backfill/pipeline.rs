//! The backfill's pipeline: day folders listed several at a time, each object handed as it is
//! found to the engine (messages sent ten at a time, or manifest lines written), the progress
//! bar kept, the totals counted.
//!
//! ```text
//! day folders ─▶ listing tasks (at most --jobs) ─▶ channel ─▶ this loop ─┬▶ SendMessageBatch tasks (at most --jobs)
//!                                                                          ├▶ the manifest (parts uploaded as they fill)
//!                                                                          └▶ counted only (--dry-run)
//! ```
//! Memory stays bounded whatever the range: the loop waits for a sending slot before it takes
//! more, a full channel holds the listing tasks back, and only the current manifest part is
//! buffered. Sending stops at the first notification given up (the queue is gone, access
//! denied): the listing is closed, the calls in flight finish, and the error names every key
//! not sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use keytrail_aws::event::{KeyFilter, ObjectRef, SkipReason};
use keytrail_aws::s3::S3Source;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use super::batch::{BatchError, Manifest, Written};
use super::message;
use super::progress::Progress;
use super::send::{send_batch, NotSent, Outgoing, Retry, SqsQueue, BATCH};
use crate::listing::{self, Keep, Listed};

/// Where the objects go.
pub enum Engine {
    /// Counted only.
    DryRun,
    /// Notifications to the queue, from `region` (the notifications' `awsRegion`).
    Sqs {
        /// The queue.
        queue: SqsQueue,
        /// The region named in the notifications.
        region: String,
    },
    /// Lines of the manifest.
    Batch(Manifest),
}

/// What the pipeline did.
#[derive(Debug, Default)]
pub struct Totals {
    /// Day folders listed.
    pub days_listed: u64,
    /// Trail objects found in range.
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Keys in the day folders that are digests.
    pub digest_keys: u64,
    /// Keys in the day folders not named like trail objects.
    pub other_keys: u64,
    /// Notifications sent (sqs) or manifest lines written (batch).
    pub handed: u64,
    /// Notifications given up.
    pub not_sent: Vec<NotSent>,
    /// How long listing took (until the last day folder was listed).
    pub listing: Duration,
    /// How long the whole pipeline took.
    pub elapsed: Duration,
    /// The manifest, with `--via batch`.
    pub manifest: Option<Written>,
}

/// Why the pipeline stopped short.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A day folder could not be listed.
    #[error("listing s3://{bucket}/{prefix}: {source}")]
    List {
        /// The bucket.
        bucket: String,
        /// The day folder.
        prefix: String,
        /// What S3 said.
        source: keytrail_aws::s3::SourceError,
    },
    /// The manifest could not be written.
    #[error(transparent)]
    Manifest(#[from] BatchError),
}

/// Counts what the key filter passes over, by reason.
#[derive(Default)]
struct Passed {
    digests: AtomicU64,
    others: AtomicU64,
}

/// Runs the pipeline over `prefixes` of `bucket`.
pub async fn run(
    source: S3Source,
    bucket: String,
    prefixes: Vec<String>,
    mut engine: Engine,
    jobs: usize,
    progress: &Progress,
) -> (Totals, Result<(), PipelineError>) {
    let started = Instant::now();
    let mut totals = Totals::default();
    let passed = Arc::new(Passed::default());
    let counted = Arc::clone(&passed);
    let filter = KeyFilter::default();
    let keep: Keep = Arc::new(move |key: &str| match filter.check_key(key) {
        Ok(()) => true,
        Err(SkipReason::Digest) => {
            counted.digests.fetch_add(1, Ordering::Relaxed);
            false
        }
        Err(_) => {
            counted.others.fetch_add(1, Ordering::Relaxed);
            false
        }
    });
    progress.listing(prefixes.len() as u64);
    let (tx, mut rx) = mpsc::channel::<Listed>(jobs.max(1));
    let lister = tokio::spawn(listing::list_prefixes(
        source,
        bucket.clone(),
        prefixes,
        keep,
        jobs,
        tx,
    ));
    let mut sending = Sending::new(jobs);
    let event_time = message::now_rfc3339();
    let mut result = Ok(());
    while let Some(listed) = rx.recv().await {
        totals.days_listed += 1;
        progress.day_listed();
        let objects = match listed.objects {
            Ok(objects) => objects,
            Err(source) => {
                result = Err(PipelineError::List {
                    bucket: bucket.clone(),
                    prefix: listed.prefix,
                    source,
                });
                break;
            }
        };
        for object in objects {
            totals.objects += 1;
            totals.bytes += object.size.unwrap_or(0);
            progress.found(object.size.unwrap_or(0));
            let handed = hand(&mut engine, &mut sending, object, &event_time, &mut totals);
            if let Err(e) = handed.await {
                result = Err(e);
                break;
            }
        }
        sending.reap(&mut totals, progress);
        progress.set_handed(totals.handed);
        if result.is_err() || !totals.not_sent.is_empty() {
            break;
        }
    }
    // Closing the channel stops the listing from starting more folders.
    drop(rx);
    let _ = lister.await;
    totals.listing = started.elapsed();
    if let Engine::Sqs { queue, .. } = &engine {
        sending.flush(queue);
    }
    sending.finish(&mut totals, progress).await;
    totals.digest_keys = passed.digests.load(Ordering::Relaxed);
    totals.other_keys = passed.others.load(Ordering::Relaxed);
    if let Engine::Batch(manifest) = engine {
        if result.is_ok() {
            match manifest.finish().await {
                Ok(written) => totals.manifest = Some(written),
                Err(e) => result = Err(e.into()),
            }
        } else {
            manifest.abort().await;
        }
    }
    totals.elapsed = started.elapsed();
    (totals, result)
}

/// Hands one object to the engine.
async fn hand(
    engine: &mut Engine,
    sending: &mut Sending,
    object: ObjectRef,
    event_time: &str,
    totals: &mut Totals,
) -> Result<(), PipelineError> {
    match engine {
        Engine::DryRun => {}
        Engine::Batch(manifest) => {
            manifest.push(&message::manifest_line(&object)).await?;
            totals.handed += 1;
        }
        Engine::Sqs { queue, region } => {
            let body = message::notification(&object, region, event_time);
            if body.len() > message::MAX_BODY {
                totals.not_sent.push(NotSent {
                    uri: object.uri(),
                    why: format!(
                        "its notification is {} bytes, over SQS's 256 KiB",
                        body.len()
                    ),
                });
                return Ok(());
            }
            sending.chunk.push(Outgoing { object, body });
            if sending.chunk.len() == BATCH {
                sending.slot().await;
                sending.flush(queue);
            }
        }
    }
    Ok(())
}

/// The SendMessageBatch calls in flight.
struct Sending {
    chunk: Vec<Outgoing>,
    permits: Arc<Semaphore>,
    tasks: JoinSet<(u64, Vec<NotSent>)>,
    retry: Retry,
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Sending {
    fn new(jobs: usize) -> Sending {
        Sending {
            chunk: Vec::with_capacity(BATCH),
            permits: Arc::new(Semaphore::new(jobs.max(1))),
            tasks: JoinSet::new(),
            retry: Retry::default(),
            slot: None,
        }
    }

    /// Waits for a free sending slot.
    async fn slot(&mut self) {
        if let Ok(permit) = Arc::clone(&self.permits).acquire_owned().await {
            self.slot = Some(permit);
        }
    }

    /// Sends the chunk on a task of its own (holding the slot taken for it, if any).
    fn flush(&mut self, queue: &SqsQueue) {
        if self.chunk.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.chunk, Vec::with_capacity(BATCH));
        let (queue, retry, slot) = (queue.clone(), self.retry, self.slot.take());
        self.tasks.spawn(async move {
            let answer = send_batch(&queue, batch, &retry).await;
            drop(slot);
            answer
        });
    }

    /// Counts the calls that are done.
    fn reap(&mut self, totals: &mut Totals, progress: &Progress) {
        while let Some(done) = self.tasks.try_join_next() {
            count(done, totals, progress);
        }
    }

    /// Waits for every call.
    async fn finish(mut self, totals: &mut Totals, progress: &Progress) {
        while let Some(done) = self.tasks.join_next().await {
            count(done, totals, progress);
        }
    }
}

fn count(
    done: Result<(u64, Vec<NotSent>), tokio::task::JoinError>,
    totals: &mut Totals,
    progress: &Progress,
) {
    match done {
        Ok((sent, not_sent)) => {
            totals.handed += sent;
            progress.set_handed(totals.handed);
            totals.not_sent.extend(not_sent);
        }
        Err(e) => totals.not_sent.push(NotSent {
            uri: "(a batch of up to 10 objects)".to_owned(),
            why: format!("the sending task died: {e}"),
        }),
    }
}
