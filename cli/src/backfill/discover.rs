//! Finding the region folders under a backfill's starting point: one delimiter listing per
//! folder of the layout (`AWSLogs/` → organizations and accounts → `CloudTrail/` → regions),
//! the folders of each level listed at once. What is not part of the event layout is counted,
//! never listed further: `CloudTrail-Digest/` folders, other folders (`CloudTrail-Insight/`, a
//! stray `tmp/`), and keys lying between the folders.
//!
//! The day folders under each region come from the date range, not from a listing: a year of
//! 17 regions in 100 accounts is 620,500 day folders, listed once each by the backfill itself.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_s3::error::DisplayErrorContext;
use tokio::sync::Semaphore;

use super::layout::{is_account, is_org, is_region, Layout, Level};

/// One region folder (`…/ACCOUNT/CloudTrail/REGION/`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Region {
    /// Its key prefix, ending in `/`.
    pub prefix: String,
}

/// What discovery found and passed over.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Found {
    /// The region folders, in key order.
    pub regions: Vec<Region>,
    /// Accounts seen (with at least one region folder).
    pub accounts: BTreeSet<String>,
    /// `CloudTrail-Digest/` folders passed over.
    pub digest_folders: u64,
    /// Other folders passed over, by name.
    pub other_folders: BTreeSet<String>,
    /// Keys lying beside the folders (not trail objects).
    pub stray_keys: u64,
}

/// A folder that could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("listing s3://{bucket}/{prefix}: {detail}: does your identity have s3:ListBucket on the trail bucket?")]
pub struct ListError {
    bucket: String,
    prefix: String,
    detail: String,
}

/// What one delimiter listing returned.
struct Folder {
    kind: Level,
    prefix: String,
    children: Vec<String>,
    keys: u64,
}

/// Lists `prefix` with delimiter `/`: the child folder names and how many keys lie beside them.
async fn list_folder(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    kind: Level,
    prefix: String,
) -> Result<Folder, ListError> {
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&prefix)
        .delimiter("/")
        .into_paginator()
        .send();
    let mut folder = Folder {
        kind,
        children: Vec::new(),
        keys: 0,
        prefix,
    };
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ListError {
            bucket: bucket.to_owned(),
            prefix: folder.prefix.clone(),
            detail: DisplayErrorContext(&e).to_string(),
        })?;
        folder.keys += page.contents().len() as u64;
        for common in page.common_prefixes() {
            let Some(child) = common.prefix() else {
                continue;
            };
            let name = child[folder.prefix.len().min(child.len())..].trim_end_matches('/');
            folder.children.push(name.to_owned());
        }
    }
    Ok(folder)
}

/// Lists every folder of one level at once (at most `concurrency` at a time).
async fn list_level(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    folders: Vec<(Level, String)>,
    concurrency: usize,
) -> Result<Vec<Folder>, ListError> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (kind, prefix) in folders {
        let (s3, bucket, permits) = (s3.clone(), bucket.to_owned(), Arc::clone(&permits));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            list_folder(&s3, &bucket, kind, prefix).await
        });
    }
    let mut folders = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(folder) => folders.push(folder?),
            Err(e) => {
                return Err(ListError {
                    bucket: bucket.to_owned(),
                    prefix: String::new(),
                    detail: format!("a listing task died: {e}"),
                })
            }
        }
    }
    folders.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    Ok(folders)
}

/// Walks the layout from `layout` down to the region folders.
pub async fn discover(
    s3: &aws_sdk_s3::Client,
    layout: &Layout,
    concurrency: usize,
) -> Result<Found, ListError> {
    let mut found = Found::default();
    let start = layout.prefix();
    if layout.level() == Level::Region {
        found.regions.push(Region { prefix: start });
        found.accounts.extend(layout.account.clone());
        return Ok(found);
    }
    let mut level = vec![(layout.level(), start)];
    while !level.is_empty() {
        let folders = list_level(s3, &layout.bucket, level, concurrency).await?;
        let mut next = Vec::new();
        for folder in folders {
            found.stray_keys += folder.keys;
            for name in folder.children {
                let child = format!("{}{name}/", folder.prefix);
                match step(folder.kind, &name) {
                    Step::Into(level) => next.push((level, child)),
                    Step::Region => {
                        found.accounts.extend(account_of(&child));
                        found.regions.push(Region { prefix: child });
                    }
                    Step::Digest => found.digest_folders += 1,
                    Step::Other => {
                        found.other_folders.insert(child);
                    }
                }
            }
        }
        level = next;
    }
    found.regions.sort();
    Ok(found)
}

/// Where a child folder named `name` of a `kind` folder leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A folder of the layout to list in turn.
    Into(Level),
    /// A region folder: done.
    Region,
    /// `CloudTrail-Digest/`.
    Digest,
    /// Not part of the event layout.
    Other,
}

fn step(kind: Level, name: &str) -> Step {
    match kind {
        Level::Root if is_org(name) => Step::Into(Level::Org),
        Level::Root | Level::Org if is_account(name) => Step::Into(Level::Account),
        Level::Account if name == "CloudTrail" => Step::Into(Level::Trail),
        Level::Account if name == "CloudTrail-Digest" => Step::Digest,
        Level::Trail if is_region(name) => Step::Region,
        _ => Step::Other,
    }
}

/// The account folder of a region folder's prefix (`…/ACCOUNT/CloudTrail/REGION/`).
fn account_of(prefix: &str) -> Option<String> {
    let parts: Vec<&str> = prefix.trim_end_matches('/').rsplit('/').collect();
    parts.get(2).map(|a| (*a).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_down_the_layout() {
        for (kind, name, want) in [
            (Level::Root, "o-abcde12345", Step::Into(Level::Org)),
            (Level::Root, "111122223333", Step::Into(Level::Account)),
            (Level::Org, "111122223333", Step::Into(Level::Account)),
            (Level::Org, "o-abcde12345", Step::Other),
            (Level::Root, "tmp", Step::Other),
            (Level::Account, "CloudTrail", Step::Into(Level::Trail)),
            (Level::Account, "CloudTrail-Digest", Step::Digest),
            (Level::Account, "CloudTrail-Insight", Step::Other),
            (Level::Trail, "eu-west-1", Step::Region),
            (Level::Trail, "2026", Step::Other),
        ] {
            assert_eq!(step(kind, name), want, "{kind:?} {name}");
        }
        assert_eq!(
            account_of("AWSLogs/o-x/111122223333/CloudTrail/us-east-1/").as_deref(),
            Some("111122223333")
        );
    }
}
