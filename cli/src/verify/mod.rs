//! `keytrail verify s3://bucket/[prefix/]`: CloudTrail log file integrity validation over a date
//! range, in the bucket itself (a copy has no signatures).
//!
//! ```text
//! location + range ─▶ list digests and log objects (date folders of the range)
//!   ─▶ public keys (ListPublicKeys per delivery region, or --public-key files)
//!   ─▶ read digests (parallel) ─▶ Walk::new: signatures, locations, chains
//!   ─▶ hash listed log files (parallel, streamed once) ─▶ Walk::finish: hashes, unlisted, silence
//!   ─▶ links to digests before the range (HeadObject) ─▶ problems, summary, exit status
//! ```
//!
//! The checks are keytrail-core's ([`keytrail_core::integrity`]); this module reads the bucket
//! ([`fetch`], [`decode`]), finds the keys ([`keys`]), decides what to list ([`location`]) and prints
//! ([`output`]). Reads run `--jobs` at a time on a two-thread runtime: they wait on S3, and the
//! hashing (SHA-256 with the CPU's SHA instructions, gunzip) keeps up with the network.

mod args;
mod decode;
mod fetch;
mod keys;
mod location;
mod output;

use std::collections::BTreeSet;
use std::future::Future;
use std::io;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keytrail_aws::client;
use keytrail_core::integrity::{
    DigestName, LinkTarget, LogInventory, ObjectRef, Problem, PublicKeys, Report, Walk,
    WalkOptions, HOUR,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use args::VerifyArgs;
use args::{now, Range};
use fetch::{Bucket, Unchecked};
use location::Location;

use crate::dates::Day;
use crate::term;

/// Runs `keytrail verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let range = args.range().map_err(anyhow::Error::msg)?;
    let location = Location::parse(&args.location).map_err(anyhow::Error::msg)?;
    let offline = match args.public_keys.as_slice() {
        [] => None,
        files => Some(keys::from_files(files)?),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let bar = progress_bar(args.show_progress());
    let (report, unchecked) = rt.block_on(check(args, &range, &location, offline, &bar))?;
    bar.finish_and_clear();

    output::print(&mut io::stdout().lock(), &report.problems, args.format)
        .context("writing to stdout")?;
    output::say_unchecked(&unchecked);
    if !args.quiet {
        term::say(&output::summary(
            &report,
            unchecked.len(),
            started.elapsed(),
        ));
    }
    Ok(output::exit_code(&report, unchecked.len()))
}

/// The objects found by listing.
#[derive(Debug, Default)]
struct Found {
    digests: Vec<ObjectRef>,
    logs: Vec<ObjectRef>,
}

/// Lists, reads and checks; answers the report and the objects that could not be read.
async fn check(
    args: &VerifyArgs,
    range: &Range,
    location: &Location,
    offline: Option<PublicKeys>,
    bar: &ProgressBar,
) -> anyhow::Result<(Report, Vec<Unchecked>)> {
    let config = args.aws.sdk_config().await;
    let bucket = Bucket::new(client::s3_client(&config));
    let found = list(&bucket, location, range).await?;
    if found.digests.is_empty() {
        bail!(
            "no CloudTrail digests under {}{}: is log file validation on for the trail \
             (aws cloudtrail update-trail --name TRAIL --enable-log-file-validation)? CloudTrail \
             delivers them under [PREFIX/]AWSLogs/ACCOUNT/CloudTrail-Digest/REGION/; give the \
             trail's bucket and prefix",
            location.uri(),
            describe(range)
        );
    }
    let keys = match offline {
        Some(keys) => keys,
        None => cloudtrail_keys(&config, &found.digests).await?,
    };
    let jobs = usize::from(args.jobs);
    bar.set_length(found.digests.len() as u64);
    let reads = parallel(found.digests, jobs, bar, |at| {
        let bucket = bucket.clone();
        async move { bucket.digest(&at).await }
    })
    .await?;
    let mut unchecked = Vec::new();
    let mut digests = Vec::new();
    for read in reads {
        match read {
            Ok(Some(digest)) => digests.push(digest),
            Ok(None) => {} // deleted since it was listed: the next digest names it missing
            Err(e) => unchecked.push(e),
        }
    }
    let options = WalkOptions {
        as_of: Some(range.as_of),
        since: range.start(),
        ..WalkOptions::default()
    };
    let walk = Walk::new(digests, &keys, options);

    let mut inventory = LogInventory::new();
    for log in found.logs {
        inventory.insert(log, None);
    }
    let listed: BTreeSet<ObjectRef> = walk
        .listed_logs()
        .map(|(_, l)| l.location.clone())
        .collect();
    bar.inc_length(listed.len() as u64);
    let hashes = parallel(listed.into_iter().collect(), jobs, bar, |at| {
        let bucket = bucket.clone();
        async move { (bucket.hash_log(&at).await, at) }
    })
    .await?;
    for (hash, at) in hashes {
        match hash {
            Ok(Some(hash)) => inventory.insert(at, Some(hash)),
            Ok(None) => {}
            Err(e) => {
                inventory.insert(at, None);
                unchecked.push(e);
            }
        }
    }
    let mut report = walk.finish(&inventory);
    check_links_before(&bucket, &mut report, &mut unchecked).await;
    unchecked.sort_by(|a, b| a.object.cmp(&b.object));
    Ok((report, unchecked))
}

/// Lists the digests and log objects of the range.
async fn list(bucket: &Bucket, location: &Location, range: &Range) -> anyhow::Result<Found> {
    let mut found = Found::default();
    for listing in location.listings(range) {
        let keep_digest = |key: &str| {
            let at = ObjectRef::new(location.bucket.clone(), key);
            match DigestName::parse(&at) {
                Some(name) => range.covers_digest(name.end),
                None => in_range(key, range, |d| range.digest_day(d)),
            }
        };
        let keep = |key: &str| {
            (listing.digests && key.contains("/CloudTrail-Digest/") && keep_digest(key))
                || (listing.logs
                    && key.contains("/CloudTrail/")
                    && in_range(key, range, |d| range.log_day(d)))
        };
        let keys = bucket
            .list(&location.bucket, &listing.prefix, &keep)
            .await
            .with_context(|| format!("listing s3://{}/{}", location.bucket, listing.prefix))?;
        for key in keys {
            let digest = key.contains("/CloudTrail-Digest/");
            let at = ObjectRef::new(location.bucket.clone(), key);
            if digest {
                found.digests.push(at);
            } else {
                found.logs.push(at);
            }
        }
    }
    Ok(found)
}

/// Whether a key's date folder is in the range (a key without one only when there is no range).
fn in_range(key: &str, range: &Range, day_ok: impl Fn(Day) -> bool) -> bool {
    match Day::in_key(key) {
        Some(day) => day_ok(day),
        None => range.since.is_none() && range.until.is_none(),
    }
}

/// ` between SINCE and UNTIL`, or nothing.
fn describe(range: &Range) -> String {
    match (range.since, range.until) {
        (None, None) => String::new(),
        (since, until) => format!(
            " covering {} to {}",
            since.map_or("the start".to_owned(), |d| d.to_string()),
            until.map_or("now".to_owned(), |d| d.to_string())
        ),
    }
}

/// The keys of every region the digests were delivered from, for the time they cover.
async fn cloudtrail_keys(
    config: &aws_config::SdkConfig,
    digests: &[ObjectRef],
) -> anyhow::Result<PublicKeys> {
    let names: Vec<DigestName> = digests.iter().filter_map(DigestName::parse).collect();
    let mut regions: BTreeSet<String> = names.iter().map(|n| n.scope.region.clone()).collect();
    if regions.is_empty() {
        regions.extend(config.region().map(|r| r.to_string()));
    }
    let end = names
        .iter()
        .map(|n| n.end)
        .max()
        .unwrap_or_else(now)
        .min(now());
    let start = names.iter().map(|n| n.end).min().unwrap_or(end).plus(-HOUR);
    keys::from_cloudtrail(config, &regions, start, end).await
}

/// Links from the range's first digests to digests before it: the previous digest must exist
/// with the signature recorded (a `HeadObject` each; its content is not read).
async fn check_links_before(bucket: &Bucket, report: &mut Report, unchecked: &mut Vec<Unchecked>) {
    let mut problems = Vec::new();
    for link in &report.unchecked_links {
        let result = match bucket.signature(&link.previous.location).await {
            Ok(None) => link.check(None),
            Ok(Some(signature)) => link.check(Some(LinkTarget {
                signature: signature.as_deref(),
                content_hash: None,
            })),
            Err(e) => {
                unchecked.push(e);
                continue;
            }
        };
        problems.extend(result.err());
    }
    if !problems.is_empty() {
        report.problems.extend(problems);
        Problem::sort(&mut report.problems);
    }
}

/// Runs `f` on every item, at most `jobs` at a time, counting each on the bar; answers in the
/// order they finish.
async fn parallel<T, Fut>(
    items: Vec<ObjectRef>,
    jobs: usize,
    bar: &ProgressBar,
    f: impl Fn(ObjectRef) -> Fut,
) -> anyhow::Result<Vec<T>>
where
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let mut tasks = JoinSet::new();
    for item in items {
        let (permits, bar, work) = (Arc::clone(&permits), bar.clone(), f(item));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let out = work.await;
            bar.inc(1);
            out
        });
    }
    let mut out = Vec::with_capacity(tasks.len());
    while let Some(done) = tasks.join_next().await {
        out.push(done.context("a read task failed")?);
    }
    Ok(out)
}

/// The progress bar on stderr (objects read of those found so far), or a hidden one.
fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} objects")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
