//! `keytrail scan s3://bucket/prefix/`: listing a prefix (narrowed by `--since`/`--until` on
//! CloudTrail's `YYYY/MM/DD/` key layout) and streaming each object through the same scan the
//! Lambda uses. What correlations need of its records ([`ScanEnd::kept`]) goes to the scan's
//! [`Keeper`], as a local file's does.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use keytrail_aws::client;
use keytrail_aws::event::ObjectRef;
use keytrail_aws::s3::{ObjectSource, S3Source};
use keytrail_aws::stream::{ScanEnd, ScanStream};
use keytrail_core::rules::RuleSet;
use keytrail_core::scan::{AlertSink, ScanOptions};
use tokio::runtime::Runtime;

use super::correlate::Keeper;
use super::target::{name_skip, unopened, Finished};
use crate::aws::AwsArgs;
use crate::dates::Day;
use crate::listing;

/// A connection to S3 and a runtime to drive it.
pub struct S3 {
    rt: Runtime,
    source: S3Source,
}

/// Day folders listed at once.
const LIST_CONCURRENCY: usize = 8;

/// How often a scan in progress looks whether it should stop.
const STOP_POLL: Duration = Duration::from_millis(50);

impl S3 {
    /// Builds the client: the standard AWS configuration, with `aws`'s flags on top.
    pub fn connect(aws: &AwsArgs) -> anyhow::Result<S3> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let config = rt.block_on(aws.sdk_config());
        let source = S3Source::new(client::s3_client(&config));
        Ok(S3 { rt, source })
    }

    /// The trail objects under `uri` (`s3://bucket/prefix`) dated within `since..=until`, in key
    /// order, and how many keys were passed over. Day folders are listed several at a time.
    pub fn list(
        &self,
        uri: &str,
        since: Option<Day>,
        until: Option<Day>,
    ) -> anyhow::Result<(Vec<ObjectRef>, u64)> {
        let (bucket, prefix) = listing::parse_s3_uri(uri).map_err(anyhow::Error::msg)?;
        let ranged = since.is_some() || until.is_some();
        let in_range = move |day: Option<Day>| match day {
            Some(d) => since.is_none_or(|s| d >= s) && until.is_none_or(|u| d <= u),
            None => !ranged,
        };
        let passed = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&passed);
        let keep: listing::Keep = Arc::new(move |key: &str| {
            let name = key.rsplit('/').next().unwrap_or(key);
            let ok = name_skip(name).is_none() && in_range(Day::in_key(key));
            if !ok {
                counted.fetch_add(1, Ordering::Relaxed);
            }
            ok
        });
        let prefixes = listing::day_prefixes(prefix, since, until);
        let objects = self
            .rt
            .block_on(listing::list_in_order(
                &self.source,
                bucket,
                prefixes,
                keep,
                LIST_CONCURRENCY,
            ))
            .map_err(|(p, e)| {
                anyhow::Error::new(e).context(format!("listing s3://{bucket}/{p}"))
            })?;
        Ok((objects, passed.load(Ordering::Relaxed)))
    }

    /// Streams and scans one object, handing each alert to `sink` as it comes and what
    /// correlations need of its records to `keeper`. Once `stop` is set the scan ends soon; its
    /// report then says it was stopped.
    pub fn scan(
        &self,
        object: &ObjectRef,
        rules: &Arc<RuleSet>,
        options: &ScanOptions,
        (stop, keeper): (&AtomicBool, &Keeper),
        sink: &mut dyn AlertSink,
    ) -> Finished {
        let name = object.uri();
        let result = self.rt.block_on(async {
            let body = self.source.open(object).await?;
            let mut scan = ScanStream::start(
                name.clone(),
                body.stream,
                Arc::clone(rules),
                options.clone(),
                None,
            );
            let mut poll = tokio::time::interval(STOP_POLL);
            loop {
                tokio::select! {
                    alert = scan.next_alert() => match alert {
                        Some(alert) => sink.alert(alert),
                        None => break,
                    },
                    _ = poll.tick() => if stop.load(Ordering::Relaxed) {
                        scan.stop("the scan was stopped");
                    },
                }
            }
            anyhow::Ok(scan.finish().await?)
        });
        match result {
            Ok(ScanEnd {
                report,
                stopped,
                kept,
                ..
            }) => {
                // Records read before a fault or a stop still count, as in a local file.
                keeper.add(&name, kept);
                Finished {
                    stopped: stopped.is_some(),
                    report,
                }
            }
            // An object that cannot be opened is reported like any other read fault, named.
            Err(e) => Finished {
                report: unopened(&name, &format!("{e:#}")),
                stopped: false,
            },
        }
    }
}
