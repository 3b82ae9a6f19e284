//! `keytrail backfill`: re-scan a date range of a trail on the deployed function fleet, through
//! AWS's own engines: the processor's backfill queue (the fleet's concurrency does the work,
//! the dead-letter queue catches failures) or an S3 Batch Operations job. The CLI plans and
//! launches; it never schedules.
//!
//! ```text
//! check the input ─▶ the stack's outputs ─▶ the queue / buckets exist ─▶ walk the layout
//!   (URI, dates,       (--stack; each flag     (before anything is       (discover: account and
//!    --rules-only)      overrides one)          sent)                     region folders)
//!     ─▶ pipeline: day folders listed ─▶ messages sent | manifest written ─▶ CreateJob (batch)
//!     ─▶ closing line: what was handed on, the rates, what was skipped, how to follow it
//! ```
//! Every mistake the CLI can see is an error before the first message or manifest line: a URI
//! outside the CloudTrail layout, `--since` after `--until`, an unknown `--rules-only` id, a
//! stack without the outputs, a queue or bucket that does not exist, a layout with no region
//! folder. The idempotency table (`Idempotency=true`) is what makes a re-run, or an overlap
//! with live delivery, publish nothing twice.
//!
//! Modules: [`args`] (flags), [`layout`] (the URI), [`stack`] (outputs and overrides),
//! [`discover`] (the region folders), [`pipeline`] (listing and handing on), [`send`] (SQS),
//! [`batch`] (manifest and job), [`control`] (the S3 Control client), [`status`], [`message`]
//! (what each object becomes), [`progress`], [`summary`].

mod args;
mod batch;
mod control;
mod discover;
mod layout;
mod message;
mod pipeline;
mod progress;
mod send;
mod stack;
mod status;
mod summary;

use std::process::ExitCode;

use anyhow::{bail, Context};
use aws_config::SdkConfig;
use keytrail_aws::client;
use keytrail_aws::s3::S3Source;

pub use args::BackfillArgs;
use args::{StatusCommand, Via};
use batch::{FunctionArn, Manifest};
use layout::Layout;
use pipeline::Engine;
use progress::Progress;
use send::SqsQueue;
use stack::Targets;
use summary::Handed;

use crate::dates::Day;
use crate::listing::{self, MAX_DAYS};
use crate::{rule_args, term};

/// Runs `keytrail backfill` (or `keytrail backfill status`).
pub fn run(args: &BackfillArgs) -> anyhow::Result<ExitCode> {
    if let Some(StatusCommand::Status(status)) = &args.status {
        return status::run(status);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(backfill(args))
}

/// The checked input: where, when, and which rules.
struct Plan {
    layout: Layout,
    since: Day,
    until: Day,
    rules_only: Option<String>,
}

fn check(args: &BackfillArgs) -> anyhow::Result<Plan> {
    let (Some(uri), Some(since)) = (&args.uri, args.since) else {
        bail!("give the trail folder and --since: keytrail backfill s3://BUCKET/AWSLogs/… --since DATE");
    };
    let layout = Layout::parse(uri)?;
    let until = args.until.unwrap_or_else(listing::today);
    if since > until {
        bail!("--since {since} is after --until {until}: the range would be empty; swap them");
    }
    if until.days() - since.days() > MAX_DAYS {
        bail!("{since}..{until} is more than {MAX_DAYS} days: backfill a decade at most per run");
    }
    let rules_only = if args.rules_only.is_empty() {
        None
    } else {
        let rules = rule_args::load(&args.rules)?;
        let unknown: Vec<&String> = args
            .rules_only
            .iter()
            .filter(|id| !rules.rules().iter().any(|r| &r.id == *id))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "--rules-only names rule(s) keytrail does not know: {}; see `keytrail rules \
                 list` (add --rules DIR for the function's own rules)",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let ids = args.rules_only.join(",");
        if ids.len() > batch::MAX_USER_ARGUMENT {
            bail!(
                "--rules-only is {} characters long; S3 Batch Operations and this backfill take \
                 at most {}: name fewer rules per run",
                ids.len(),
                batch::MAX_USER_ARGUMENT
            );
        }
        Some(ids)
    };
    Ok(Plan {
        layout,
        since,
        until,
        rules_only,
    })
}

/// The engine, checked against AWS before anything is sent.
async fn engine(
    args: &BackfillArgs,
    plan: &Plan,
    config: &SdkConfig,
) -> anyhow::Result<(Engine, Option<(Targets, FunctionArn)>)> {
    if args.dry_run {
        return Ok((Engine::DryRun, None));
    }
    let outputs = match &args.targets.stack {
        Some(name) => {
            Some(stack::outputs(&aws_sdk_cloudformation::Client::new(config), name).await?)
        }
        None => None,
    };
    let targets = Targets::resolve(outputs.as_ref(), &args.targets);
    let region = config
        .region()
        .map_or("us-east-1", |r| r.as_ref())
        .to_owned();
    match targets.engine(args.via, args.targets.stack.as_deref())? {
        Via::Sqs => {
            let url = targets.queue_url.clone().unwrap_or_default();
            let sqs = aws_sdk_sqs::Client::new(config);
            status::queue_status(&sqs, &url).await?;
            let queue = SqsQueue::new(sqs, url, plan.rules_only.clone());
            Ok((Engine::Sqs { queue, region }, None))
        }
        Via::Batch => {
            let function = FunctionArn::parse(targets.function_arn.as_deref().unwrap_or_default())
                .map_err(anyhow::Error::msg)?;
            if function.region != region {
                bail!(
                    "the function is in {} and the job would be created in {region}: S3 Batch \
                     Operations invokes functions of its own region; pass --region {}",
                    function.region,
                    function.region
                );
            }
            let s3 = client::s3_client(config);
            for bucket in [&targets.manifest_bucket, &targets.report_bucket]
                .into_iter()
                .flatten()
            {
                s3.head_bucket().bucket(bucket).send().await.map_err(|e| {
                    anyhow::anyhow!(
                        "bucket {bucket} cannot be used for the manifest or the report: {}",
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    )
                })?;
            }
            let key = format!(
                "{}{}-{}-{}.csv",
                batch::MANIFESTS,
                message::now_rfc3339().replace([':', '.'], ""),
                plan.since,
                plan.until
            );
            let bucket = targets.manifest_bucket.clone().unwrap_or_default();
            Ok((
                Engine::Batch(Manifest::new(s3, bucket, key)),
                Some((targets, function)),
            ))
        }
    }
}

async fn backfill(args: &BackfillArgs) -> anyhow::Result<ExitCode> {
    let plan = check(args)?;
    let config = args.aws.sdk_config().await;
    let (engine, job) = engine(args, &plan, &config).await?;
    let via_queue = match &engine {
        Engine::Sqs { queue, .. } => Some(queue.url().to_owned()),
        _ => None,
    };
    let progress = Progress::new(args.progress.on_stderr());
    progress.discovering(&plan.layout.to_string());
    let s3 = client::s3_client(&config);
    let found = discover::discover(&s3, &plan.layout, args.jobs).await?;
    if found.regions.is_empty() {
        progress.finish();
        let skipped = summary::skipped(&found, &pipeline::Totals::default());
        bail!(
            "no CloudTrail log folders (…/ACCOUNT/CloudTrail/REGION/) under {}{}: is this the \
             trail's bucket and prefix?",
            plan.layout,
            skipped.map_or_else(String::new, |s| format!(" ({s})"))
        );
    }
    let prefixes: Vec<String> = listing::days(plan.since, plan.until)
        .flat_map(|day| {
            let segment = day.key_segment();
            found
                .regions
                .iter()
                .map(move |r| format!("{}{segment}", r.prefix))
        })
        .collect();
    let source = S3Source::new(s3);
    let bucket = plan.layout.bucket.clone();
    let (totals, result) =
        pipeline::run(source, bucket, prefixes, engine, args.jobs, &progress).await;
    progress.finish();
    if let Err(e) = result {
        return Err(anyhow::Error::new(e).context(format!(
            "the backfill stopped after handing on {} object(s)",
            totals.handed
        )));
    }
    if !totals.not_sent.is_empty() {
        return Err(term::Listed {
            headline: format!(
                "{} object(s) could not be sent ({} sent); sending stopped: fix the cause and run \
                 the backfill again (with the idempotency table on, objects already processed \
                 publish nothing twice). Not sent:",
                totals.not_sent.len(),
                totals.handed
            ),
            items: totals
                .not_sent
                .iter()
                .map(|n| format!("{}: {}", n.uri, n.why))
                .collect(),
        }
        .into());
    }
    if totals.objects == 0 {
        term::say(&format!(
            "no trail objects dated {}..{} under {}: nothing to backfill",
            plan.since, plan.until, plan.layout
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let line = match (&via_queue, job) {
        (Some(url), _) => summary::line(&found, &totals, &Handed::Queue(url)),
        (None, Some((targets, function))) => {
            let id = create_job(args, &plan, &config, &targets, &function, &totals).await?;
            println_out(&id)?;
            summary::line(
                &found,
                &totals,
                &Handed::Job {
                    id: &id,
                    account: &function.account,
                    region: &function.region,
                },
            )
        }
        (None, None) => summary::line(&found, &totals, &Handed::DryRun),
    };
    term::say(&line);
    Ok(ExitCode::SUCCESS)
}

/// Writes the job id on stdout (for `JOB=$(keytrail backfill --via batch …)`).
fn println_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{}", term::safe(text)).context("writing to stdout")
}

/// Creates the S3 Batch Operations job over the written manifest; answers its id.
async fn create_job(
    args: &BackfillArgs,
    plan: &Plan,
    config: &SdkConfig,
    targets: &Targets,
    function: &FunctionArn,
    totals: &pipeline::Totals,
) -> anyhow::Result<String> {
    let Some(written) = &totals.manifest else {
        bail!("the manifest was not written");
    };
    let report_bucket = targets.report_bucket.as_deref().unwrap_or_default();
    let report_prefix = format!(
        "{}{}",
        batch::REPORTS,
        written
            .key
            .trim_start_matches(batch::MANIFESTS)
            .trim_end_matches(".csv")
    );
    let description: String = format!(
        "keytrail backfill {} {}..{}",
        plan.layout, plan.since, plan.until
    )
    .chars()
    .take(256)
    .collect();
    let created = control::client(config)
        .create_job()
        .account_id(&function.account)
        .confirmation_required(false)
        .operation(batch::operation(function, plan.rules_only.as_deref()))
        .manifest(batch::manifest(written, &function.partition)?)
        .report(batch::report(
            report_bucket,
            &report_prefix,
            &function.partition,
            args.report,
        ))
        .priority(10)
        .role_arn(targets.role_arn.as_deref().unwrap_or_default())
        .description(description)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "creating the S3 Batch Operations job over s3://{}/{} failed: {}; the manifest \
                 stays there",
                written.bucket,
                written.key,
                aws_sdk_s3control::error::DisplayErrorContext(&e)
            )
        })?;
    created
        .job_id
        .ok_or_else(|| anyhow::anyhow!("CreateJob answered no job id"))
}
