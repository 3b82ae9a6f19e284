//! `keytrail scan s3://bucket/prefix/`: listing a prefix (narrowed by `--since`/`--until` on
//! CloudTrail's `YYYY/MM/DD/` key layout) and streaming each object through the same scan the
//! Lambda uses.

use std::io;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use keytrail_aws::event::ObjectRef;
use keytrail_aws::s3::{ObjectSource, S3Source};
use keytrail_aws::{client, stream};
use keytrail_core::rules::RuleSet;
use keytrail_core::scan::{scan_object, ObjectReport, ScanOptions};
use keytrail_core::Alert;
use tokio::runtime::Runtime;

use crate::dates::Day;
use crate::walk::looks_like_trail_file;

/// A connection to S3 (credentials and region the standard AWS way) and a runtime to drive it.
pub struct S3 {
    rt: Runtime,
    source: S3Source,
}

/// The most days a date range may list day by day before falling back to one listing.
const MAX_DAY_PREFIXES: i64 = 3_700;

impl S3 {
    /// Builds the client from the environment (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL` …).
    pub fn connect() -> anyhow::Result<S3> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        // The platform's store: a laptop may sit behind a TLS-inspecting proxy.
        let config = rt
            .block_on(client::sdk_config(client::Roots::System))
            .context("configuring the AWS client")?;
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
        let passed = std::sync::atomic::AtomicU64::new(0);
        let keep = |key: &str| {
            let name = key.rsplit('/').next().unwrap_or(key);
            let ok = looks_like_trail_file(name) && in_range(Day::in_key(key));
            if !ok {
                passed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

    /// Streams and scans one object, handing each alert to `sink` as it comes.
    pub fn scan(
        &self,
        object: &ObjectRef,
        rules: &Arc<RuleSet>,
        options: &ScanOptions,
        sink: &mut dyn FnMut(Alert),
    ) -> ObjectReport {
        let name = object.uri();
        let result = self.rt.block_on(async {
            let body = self.source.open(object).await.map_err(|e| e.to_string())?;
            stream::scan_body(
                name.clone(),
                body.stream,
                Arc::clone(rules),
                options.clone(),
                sink,
            )
            .await
            .map_err(|e| e.to_string())
        });
        // Report an object that cannot be opened like any other read fault, named.
        result.unwrap_or_else(|e| {
            let failing = crate::scan_cmd::FailingRead(Some(io::Error::other(e)));
            scan_object(&name, failing, rules, options, &mut |_| {})
        })
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
