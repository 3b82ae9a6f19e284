//! `keytrail scan s3://bucket/prefix/`: listing a prefix (narrowed by `--since`/`--until` on
//! CloudTrail's `YYYY/MM/DD/` key layout) and streaming each object through the same scan the
//! Lambda uses.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use keytrail_aws::client;
use keytrail_aws::event::ObjectRef;
use keytrail_aws::s3::{ObjectSource, S3Source};
use keytrail_aws::stream::ScanStream;
use keytrail_core::rules::RuleSet;
use keytrail_core::scan::ScanOptions;
use keytrail_core::Alert;
use tokio::runtime::Runtime;

use super::target::{name_skip, unopened, Finished};
use crate::aws::AwsArgs;
use crate::dates::Day;

/// A connection to S3 and a runtime to drive it.
pub struct S3 {
    rt: Runtime,
    source: S3Source,
}

/// The most days a date range may list day by day before falling back to one listing.
const MAX_DAY_PREFIXES: i64 = 3_700;

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
    /// order, and how many keys were passed over.
    pub fn list(
        &self,
        uri: &str,
        since: Option<Day>,
        until: Option<Day>,
    ) -> anyhow::Result<(Vec<ObjectRef>, u64)> {
        let Some(rest) = uri.strip_prefix("s3://") else {
            bail!("{uri}: not an s3:// URI")
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            bail!("{uri}: no bucket name: write s3://BUCKET/PREFIX");
        }
        let ranged = since.is_some() || until.is_some();
        let in_range = |day: Option<Day>| match day {
            Some(d) => since.is_none_or(|s| d >= s) && until.is_none_or(|u| d <= u),
            None => !ranged,
        };
        let passed = AtomicU64::new(0);
        let keep = |key: &str| {
            let name = key.rsplit('/').next().unwrap_or(key);
            let ok = name_skip(name).is_none() && in_range(Day::in_key(key));
            if !ok {
                passed.fetch_add(1, Ordering::Relaxed);
            }
            ok
        };
        let prefixes = day_prefixes(prefix, since, until);
        let mut objects = Vec::new();
        for p in &prefixes {
            let found = self
                .rt
                .block_on(self.source.list(bucket, p, None, &keep))
                .with_context(|| format!("listing s3://{bucket}/{p}"))?;
            objects.extend(found);
        }
        Ok((objects, passed.into_inner()))
    }

    /// Streams and scans one object, handing each alert to `sink` as it comes. Once `stop` is
    /// set the scan ends soon; its report then says it was stopped.
    pub fn scan(
        &self,
        object: &ObjectRef,
        rules: &Arc<RuleSet>,
        options: &ScanOptions,
        stop: &AtomicBool,
        sink: &mut dyn FnMut(Alert),
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
                        Some(alert) => sink(alert),
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
            Ok(end) => Finished {
                stopped: end.stopped.is_some(),
                report: end.report,
            },
            // An object that cannot be opened is reported like any other read fault, named.
            Err(e) => Finished {
                report: unopened(&name, &format!("{e:#}")),
                stopped: false,
            },
        }
    }
}

/// The prefixes to list: one per day when the prefix ends at a CloudTrail region folder
/// (`…/CloudTrail/REGION/`) and a start date is given, else the prefix itself.
fn day_prefixes(prefix: &str, since: Option<Day>, until: Option<Day>) -> Vec<String> {
    let at_region = {
        let parts: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
        prefix.ends_with('/') && parts.len() >= 2 && parts[parts.len() - 2] == "CloudTrail"
    };
    let (Some(since), true) = (since, at_region) else {
        return vec![prefix.to_owned()];
    };
    let until = until.unwrap_or_else(today);
    let (first, last) = (since.days(), until.days());
    if last < first || last - first > MAX_DAY_PREFIXES {
        return vec![prefix.to_owned()];
    }
    (first..=last)
        .map(|d| format!("{prefix}{}", Day::from_days(d).key_segment()))
        .collect()
}

fn today() -> Day {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Day::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_prefixes_only_at_a_region_folder() {
        let day = |s: &str| Some(s.parse::<Day>().unwrap());
        let region = "AWSLogs/123456789012/CloudTrail/us-east-1/";
        assert_eq!(
            day_prefixes(region, day("2026-02-27"), day("2026-03-01")),
            [
                format!("{region}2026/02/27/"),
                format!("{region}2026/02/28/"),
                format!("{region}2026/03/01/")
            ]
        );
        assert_eq!(day_prefixes(region, None, day("2026-03-01")), [region]);
        assert_eq!(
            day_prefixes("AWSLogs/123/", day("2026-01-01"), None),
            ["AWSLogs/123/"]
        );
        assert_eq!(
            day_prefixes(region, day("2026-03-01"), day("2026-02-01")),
            [region]
        );
    }
}
