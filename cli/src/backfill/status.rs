//! `keytrail backfill status JOB|--queue URL`: how a backfill is going.
//!
//! - A queue: messages waiting, in flight and delayed (`GetQueueAttributes`), and the same for
//!   its dead-letter queue, found through the queue's redrive policy (`deadLetterTargetArn`,
//!   turned into a URL with `GetQueueUrl`). Messages there failed `maxReceiveCount` times.
//! - A batch job: status, tasks done of the total, succeeded and failed (`DescribeJob`), the
//!   job's failure reasons and where its completion report goes.
//!
//! Everything AWS answers is escaped before it is printed (a job's failure reason, a queue
//! name). Exit status 1 when something failed: the dead-letter queue holds messages, tasks
//! failed, or the job failed.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use aws_sdk_s3control::operation::describe_job::DescribeJobError;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use super::args::StatusArgs;
use super::batch::FunctionArn;
use super::stack::{self, FUNCTION_OUTPUT, QUEUE_OUTPUT};
use crate::term;

/// A queue's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    /// Waiting to be received.
    pub waiting: u64,
    /// Received, not yet deleted.
    pub in_flight: u64,
    /// Sent with a delay, not yet visible.
    pub delayed: u64,
}

/// What a queue and its dead-letter queue hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStatus {
    /// The queue.
    pub url: String,
    /// Its counts.
    pub depth: Depth,
    /// The dead-letter queue's URL and counts, and after how many receives messages move there.
    pub dead_letters: Option<(String, Depth, u64)>,
}

/// Reads a queue's counts, and its redrive policy's target and receive count.
async fn read_depth(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> anyhow::Result<(Depth, Option<(String, u64)>)> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .map_err(|e| queue_error(url, &e))?
        .attributes
        .unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let depth = Depth {
        waiting: count(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    };
    let redrive = attributes
        .get(&QueueAttributeName::RedrivePolicy)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|policy| {
            let target = policy.get("deadLetterTargetArn")?.as_str()?.to_owned();
            let receives = match policy.get("maxReceiveCount")? {
                Value::Number(n) => n.as_u64()?,
                Value::String(s) => s.parse().ok()?,
                _ => return None,
            };
            Some((target, receives))
        });
    Ok((depth, redrive))
}

/// The error for a queue that cannot be read: a missing queue says so.
pub fn queue_error<E, R>(url: &str, e: &aws_sdk_sqs::error::SdkError<E, R>) -> anyhow::Error
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = e
        .as_service_error()
        .and_then(|s| s.code())
        .unwrap_or_default();
    if code.contains("NonExistentQueue") || code.contains("QueueDoesNotExist") {
        anyhow::anyhow!(
            "queue {url} does not exist: check the URL (and --region), or the stack's \
             BackfillQueueUrl output"
        )
    } else {
        anyhow::anyhow!(
            "cannot read queue {url}: {}",
            aws_sdk_sqs::error::DisplayErrorContext(e)
        )
    }
}

/// A queue's counts and its dead-letter queue's.
pub async fn queue_status(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<QueueStatus> {
    let (depth, redrive) = read_depth(sqs, url).await?;
    let mut dead_letters = None;
    if let Some((arn, receives)) = redrive {
        // arn:PARTITION:sqs:REGION:ACCOUNT:NAME
        let parts: Vec<&str> = arn.split(':').collect();
        if let [.., account, name] = parts.as_slice() {
            let dlq = sqs
                .get_queue_url()
                .queue_name(*name)
                .queue_owner_aws_account_id(*account)
                .send()
                .await
                .map_err(|e| queue_error(&arn, &e))?
                .queue_url
                .unwrap_or_default();
            let (dlq_depth, _) = read_depth(sqs, &dlq).await?;
            dead_letters = Some((dlq, dlq_depth, receives));
        }
    }
    Ok(QueueStatus {
        url: url.to_owned(),
        depth,
        dead_letters,
    })
}

impl QueueStatus {
    /// The lines `status` prints.
    pub fn lines(&self) -> Vec<String> {
        let d = self.depth;
        let mut lines = vec![format!(
            "queue {}: {} waiting, {} in flight, {} delayed",
            self.url, d.waiting, d.in_flight, d.delayed
        )];
        match &self.dead_letters {
            Some((url, dlq, receives)) => lines.push(format!(
                "dead-letter queue {url}: {} message(s) that failed {receives} times{}",
                dlq.waiting + dlq.in_flight,
                if dlq.waiting + dlq.in_flight > 0 {
                    " (read them for the cause; after fixing it, redrive with `aws sqs \
                     start-message-move-task --source-arn DLQ_ARN`)"
                } else {
                    ""
                }
            )),
            None => lines.push("no dead-letter queue (the queue has no redrive policy)".to_owned()),
        }
        lines
    }

    /// True when messages wait in the dead-letter queue.
    pub fn failed(&self) -> bool {
        self.dead_letters
            .as_ref()
            .is_some_and(|(_, d, _)| d.waiting + d.in_flight > 0)
    }
}

/// The error for a job that cannot be read: an unknown job says what to check.
fn job_error<R: std::fmt::Debug>(
    job: &str,
    account: &str,
    e: &aws_sdk_s3control::error::SdkError<DescribeJobError, R>,
) -> anyhow::Error {
    if e.as_service_error()
        .is_some_and(DescribeJobError::is_not_found_exception)
    {
        anyhow::anyhow!(
            "job {job} not found in account {account}: check the job id (what `keytrail \
             backfill --via batch` printed), --account, and --region (a job lives in the region \
             it was created in)"
        )
    } else {
        anyhow::anyhow!(
            "cannot read job {job} of account {account}: {}",
            aws_sdk_s3control::error::DisplayErrorContext(e)
        )
    }
}

/// A batch job's status lines, and whether something failed.
async fn job_status(
    control: &aws_sdk_s3control::Client,
    account: &str,
    job: &str,
) -> anyhow::Result<(Vec<String>, bool)> {
    let described = control
        .describe_job()
        .account_id(account)
        .job_id(job)
        .send()
        .await
        .map_err(|e| job_error(job, account, &e))?;
    let Some(job) = described.job else {
        bail!("job {job}: DescribeJob answered no job");
    };
    let status = job.status().map_or("unknown", |s| s.as_str());
    let progress = job.progress_summary();
    let count = |f: fn(&aws_sdk_s3control::types::JobProgressSummary) -> Option<i64>| {
        progress.and_then(f).unwrap_or(0)
    };
    let (total, ok, failed) = (
        count(|p| p.total_number_of_tasks()),
        count(|p| p.number_of_tasks_succeeded()),
        count(|p| p.number_of_tasks_failed()),
    );
    let active = progress
        .and_then(|p| p.timers())
        .and_then(|t| t.elapsed_time_in_active_seconds())
        .unwrap_or(0);
    let mut lines = vec![format!(
        "job {}: {status}, {} of {total} task(s) done ({ok} succeeded, {failed} failed), {active} s active",
        job.job_id().unwrap_or_default(),
        ok + failed,
    )];
    for reason in job.failure_reasons() {
        lines.push(format!(
            "failure: {} {}",
            reason.failure_code().unwrap_or_default(),
            reason.failure_reason().unwrap_or_default()
        ));
    }
    // A job created without a report still describes one: `<Report><Enabled>false</Enabled>`.
    if let Some(report) = job.report().filter(|r| r.enabled()) {
        let bucket = report.bucket().unwrap_or_default();
        let bucket = bucket.rsplit(':').next().unwrap_or(bucket);
        lines.push(format!(
            "completion report: s3://{bucket}/{}/job-{}/ ({})",
            report.prefix().unwrap_or_default(),
            job.job_id().unwrap_or_default(),
            report.report_scope().map_or("tasks", |s| s.as_str())
        ));
    }
    let bad = failed > 0 || matches!(status, "Failed" | "Cancelled");
    Ok((lines, bad))
}

/// Runs `keytrail backfill status`.
pub fn run(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (lines, failed) = rt.block_on(async {
        let config = args.aws.sdk_config().await;
        let outputs = match &args.stack {
            Some(name) => {
                Some(stack::outputs(&aws_sdk_cloudformation::Client::new(&config), name).await?)
            }
            None => None,
        };
        let output = |key: &str| outputs.as_ref().and_then(|o| o.get(key)).cloned();
        let queue = args.queue_url.clone().or_else(|| output(QUEUE_OUTPUT));
        if args.job.is_none() && queue.is_none() {
            bail!("nothing to look at: give a JOB id, --queue URL, or --stack NAME");
        }
        let mut lines = Vec::new();
        let mut failed = false;
        if let Some(url) = &queue {
            let status = queue_status(&aws_sdk_sqs::Client::new(&config), url).await?;
            lines.extend(status.lines());
            failed |= status.failed();
        }
        if let Some(job) = &args.job {
            let account = match (&args.account, output(FUNCTION_OUTPUT)) {
                (Some(account), _) => account.clone(),
                (None, Some(arn)) => {
                    FunctionArn::parse(&arn)
                        .map_err(anyhow::Error::msg)?
                        .account
                }
                (None, None) => {
                    bail!("job {job}: which account? pass --account ID or --stack NAME")
                }
            };
            let control = super::control::client(&config);
            let (job_lines, job_failed) = job_status(&control, &account, job).await?;
            lines.extend(job_lines);
            failed |= job_failed;
        }
        anyhow::Ok((lines, failed))
    })?;
    let mut out = io::stdout().lock();
    for line in &lines {
        writeln!(out, "{}", term::safe(line)).context("writing to stdout")?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
