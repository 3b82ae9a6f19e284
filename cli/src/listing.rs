//! Listing S3 prefixes of a trail bucket, shared by `keytrail scan s3://…` and `keytrail
//! backfill`: the `s3://BUCKET/PREFIX` argument, the day folders of CloudTrail's
//! `…/CloudTrail/REGION/YYYY/MM/DD/` layout that a date range covers, and the listing itself,
//! several prefixes at once.
//!
//! [`list_prefixes`] lists each prefix on a task of its own, at most `concurrency` at a time,
//! and hands each prefix's objects to a channel as that prefix is done. A full channel holds the
//! tasks (and their permits) back, so a slow consumer (the backfill's sender) slows the listing
//! instead of letting it fill memory; [`list_in_order`] collects everything, in prefix order, for
//! a caller that wants it all (the scan).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use keytrail_aws::event::ObjectRef;
use keytrail_aws::s3::{S3Source, SourceError};
use tokio::sync::{mpsc, Semaphore};

use crate::dates::Day;

/// The most days a date range may list day by day.
pub const MAX_DAYS: i64 = 3_700;

/// Which keys of a listing to keep (it may count the others).
pub type Keep = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// `s3://BUCKET/PREFIX` split into bucket and prefix (possibly empty).
pub fn parse_s3_uri(uri: &str) -> Result<(&str, &str), String> {
    let Some(rest) = uri.strip_prefix("s3://") else {
        return Err(format!("{uri}: not an s3:// URI"));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{uri}: no bucket name: write s3://BUCKET/PREFIX"));
    }
    Ok((bucket, prefix))
}

/// The prefixes to list: one per day when the prefix ends at a CloudTrail region folder
/// (`…/CloudTrail/REGION/`) and a start date is given, else the prefix itself.
pub fn day_prefixes(prefix: &str, since: Option<Day>, until: Option<Day>) -> Vec<String> {
    let at_region = {
        let parts: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
        prefix.ends_with('/') && parts.len() >= 2 && parts[parts.len() - 2] == "CloudTrail"
    };
    let (Some(since), true) = (since, at_region) else {
        return vec![prefix.to_owned()];
    };
    let until = until.unwrap_or_else(today);
    if until < since || until.days() - since.days() > MAX_DAYS {
        return vec![prefix.to_owned()];
    }
    days(since, until)
        .map(|day| format!("{prefix}{}", day.key_segment()))
        .collect()
}

/// Every day from `since` to `until`, both included.
pub fn days(since: Day, until: Day) -> impl Iterator<Item = Day> {
    (since.days()..=until.days()).map(Day::from_days)
}

/// Today, in UTC.
pub fn today() -> Day {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Day::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// One prefix's listing.
#[derive(Debug)]
pub struct Listed {
    /// The prefix's place in the list given to [`list_prefixes`].
    pub index: usize,
    /// The prefix.
    pub prefix: String,
    /// Its objects (those `keep` kept), in key order, or why it could not be listed.
    pub objects: Result<Vec<ObjectRef>, SourceError>,
}

/// Lists every prefix of `bucket`, at most `concurrency` at a time, sending each one's objects to
/// `out` when it is done (in the order they finish). Stops starting new listings once `out` is
/// closed.
pub async fn list_prefixes(
    source: S3Source,
    bucket: String,
    prefixes: Vec<String>,
    keep: Keep,
    concurrency: usize,
    out: mpsc::Sender<Listed>,
) {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, prefix) in prefixes.into_iter().enumerate() {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        if out.is_closed() {
            break;
        }
        let (source, bucket, keep, out) =
            (source.clone(), bucket.clone(), keep.clone(), out.clone());
        tasks.spawn(async move {
            let objects = source.list(&bucket, &prefix, None, &*keep).await;
            // A closed channel: the consumer stopped; nothing left to do with the result.
            let _ = out
                .send(Listed {
                    index,
                    prefix,
                    objects,
                })
                .await;
            drop(permit);
        });
        // Reap finished tasks as we go, so that the set does not grow with the prefixes.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Lists every prefix (several at once) and answers all their objects, in prefix order and key
/// order within each, or the first prefix (in that order) that could not be listed and why.
pub async fn list_in_order(
    source: &S3Source,
    bucket: &str,
    prefixes: Vec<String>,
    keep: Keep,
    concurrency: usize,
) -> Result<Vec<ObjectRef>, (String, SourceError)> {
    let count = prefixes.len();
    let (tx, mut rx) = mpsc::channel(concurrency.max(1));
    let lister = tokio::spawn(list_prefixes(
        source.clone(),
        bucket.to_owned(),
        prefixes,
        keep,
        concurrency,
        tx,
    ));
    let mut found: Vec<Option<Vec<ObjectRef>>> = (0..count).map(|_| None).collect();
    let mut failed: Option<(usize, String, SourceError)> = None;
    while let Some(listed) = rx.recv().await {
        match listed.objects {
            Ok(objects) => found[listed.index] = Some(objects),
            // The first prefix in order that failed, whatever order they finished in.
            Err(e) if failed.as_ref().is_none_or(|(i, ..)| listed.index < *i) => {
                failed = Some((listed.index, listed.prefix, e));
            }
            Err(_) => {}
        }
    }
    let _ = lister.await;
    if let Some((_, prefix, e)) = failed {
        return Err((prefix, e));
    }
    Ok(found.into_iter().flatten().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris() {
        for (uri, want) in [
            ("s3://b/AWSLogs/", Ok(("b", "AWSLogs/"))),
            ("s3://b", Ok(("b", ""))),
            ("s3://b/", Ok(("b", ""))),
            (
                "s3:///x",
                Err("s3:///x: no bucket name: write s3://BUCKET/PREFIX"),
            ),
            ("b/x", Err("b/x: not an s3:// URI")),
        ] {
            assert_eq!(parse_s3_uri(uri), want.map_err(str::to_owned), "{uri}");
        }
    }

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
