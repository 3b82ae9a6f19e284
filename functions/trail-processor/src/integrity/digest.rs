//! One digest object, verified as it arrives (see [`super`] for the steps).
//!
//! State table calls per digest: a `GetItem` of the previous digest's record, one `UpdateItem`
//! per listed log (recording the listing and answering the log's hash), the `BatchWriteItem`
//! deletes of its logs' pending entries (25 a request), a `PutItem` (the record) and a
//! conditional `PutItem` (the head); a `GetItem` of the head only when the previous digest is
//! missing (then an S3 `GetObject` of each digest the head predicts missing, to tell a deleted
//! one from a late one; and when the head is already past the gap, because notifications
//! arrived out of order, a `ListObjectsV2` of the chain's date folders to find the digest before
//! it); a `GetItem` of the public key on a cold start.

use aws_sdk_s3::error::DisplayErrorContext;
use keytrail_aws::state::chain::{chain_id, DigestRecord, Head};
use keytrail_aws::state::trail_id;
use keytrail_aws::state::unverifiable::Window;
use keytrail_core::integrity::{
    check_link, check_log, missing_between, verify_digest, Digest, DigestName, DigestObject,
    LinkTarget, LogState, ObjectRef, Problem, Sha256, Timestamp, HOUR,
};

use super::{Integrity, IntegrityError, MAX_DIGEST_BYTES};

/// What is known of the previous digest a link names.
struct Previous {
    signature: Option<String>,
    content_hash: Option<Sha256>,
}

impl Integrity {
    /// Verifies digest `name` (just delivered, or re-delivered); answers the problems found.
    /// Nothing when the object no longer exists (deleted since the notification: the next
    /// digest names it missing).
    pub async fn check_digest(&self, name: &DigestName) -> Result<Vec<Problem>, IntegrityError> {
        let at = name.object();
        let Some((content, metadata)) = self.fetch_content(&at, MAX_DIGEST_BYTES).await? else {
            tracing::warn!(
                bucket = at.bucket.as_str(),
                key = at.key.as_str(),
                "digest does not exist (deleted since it was announced?): skipped"
            );
            return Ok(Vec::new());
        };
        let content = match content {
            Ok(content) => content,
            Err(reason) => {
                return Ok(vec![Problem::DigestUnreadable { digest: at, reason }]);
            }
        };
        let object = DigestObject {
            location: at.clone(),
            content,
            signature: metadata.get("signature").cloned(),
            signature_algorithm: metadata.get("signature-algorithm").cloned(),
        };
        let parsed = Digest::parse(&object.content).ok();
        if let Some(d) = &parsed {
            let region = &name.scope.region;
            self.keys
                .ensure(&self.state, region, &d.fingerprint, d.start, d.end)
                .await?;
        }
        let digest = match verify_digest(&object, &self.keys.known()) {
            Ok(digest) => digest,
            Err(problem) => {
                // Its hour is reported through this problem; its logs are not also "unlisted"
                // (those read already leave the pending list, later ones are not reported).
                if let Some(d) = &parsed {
                    self.unpend(name, d).await?;
                }
                if !matches!(problem, Problem::DigestMoved { .. }) {
                    let (start, end) = parsed
                        .as_ref()
                        .map_or((name.end.plus(-HOUR), name.end), |d| (d.start, d.end));
                    self.unverifiable(name, start, end).await?;
                }
                return Ok(vec![problem]);
            }
        };
        let mut problems = self.check_chain(name, &digest).await?;
        for problem in &problems {
            if let Problem::DigestMissing { start, end, .. } = problem {
                self.unverifiable(name, *start, *end).await?;
            }
        }
        for log in &digest.log_files {
            let recorded = self.state.list_log(&log.location, &at, log.hash).await?;
            let found = match recorded {
                Some(hash) => LogState::Hashed(hash),
                None => match self.hash_log(&log.location).await? {
                    Some(hashed) => LogState::Hashed(hashed.sha256),
                    None => LogState::Missing,
                },
            };
            problems.extend(check_log(&at, log, found).err());
        }
        self.unpend(name, &digest).await?;
        let record = DigestRecord {
            signature: object.signature.unwrap_or_default(),
            content_hash: digest.content_hash,
            start: digest.start,
            end: digest.end,
            previous: digest.previous.as_ref().map(|p| p.location.clone()),
            fingerprint: digest.fingerprint.clone(),
        };
        self.state.record_digest(&at, &record).await?;
        if !name.backfill {
            self.state
                .advance_head(&Head::of(name, digest.start))
                .await?;
        }
        Ok(problems)
    }

    /// The link to the previous digest; when that one is missing, also the digests deleted
    /// before it that nothing names any more (from the chain's head).
    async fn check_chain(
        &self,
        name: &DigestName,
        digest: &Digest,
    ) -> Result<Vec<Problem>, IntegrityError> {
        let Some(link) = &digest.previous else {
            return Ok(Vec::new());
        };
        let previous = self.previous(&link.location).await?;
        let target = previous.as_ref().map(|p| LinkTarget {
            signature: p.signature.as_deref(),
            content_hash: p.content_hash,
        });
        let Err(problem) = check_link(digest, target) else {
            return Ok(Vec::new());
        };
        let mut problems = Vec::new();
        if matches!(problem, Problem::DigestMissing { .. }) && !name.backfill {
            // The newest digest before the gap: the chain's head, unless notifications arrived
            // out of order and the head is already past the gap (or there is none yet); then
            // the newest digest S3 holds before it.
            let head = self.state.head(&chain_id(name)).await?;
            let last = match head.and_then(|h| DigestName::parse(&h.digest)) {
                Some(last) if last.end < digest.start => Some(last),
                _ => self.newest_before(name, digest.start).await,
            };
            if let Some(last) = last {
                // The head may lag behind when notifications arrive out of order: a digest
                // predicted missing that exists is only late.
                for missing in missing_between(&last, digest.start) {
                    if self.fetch(missing.object()).await?.is_none() {
                        problems.push(missing);
                    }
                }
            }
        }
        problems.push(problem);
        Ok(problems)
    }

    /// The newest regular digest of `name`'s chain that S3 holds and that ended before `before`,
    /// from a listing of the date folders of `before` and the day before it. `None` when there
    /// is none, or when the listing fails (no `s3:ListBucket`): the gap is then reported only
    /// as far as the next digest names it.
    async fn newest_before(&self, name: &DigestName, before: Timestamp) -> Option<DigestName> {
        let chain = chain_id(name);
        let mut newest: Option<DigestName> = None;
        for day in [before.plus(-24 * HOUR), before.plus(-1)] {
            let at = name.at(day).object();
            let folder = at.key.rsplit_once('/').map_or("", |(folder, _)| folder);
            let mut pages = self
                .s3
                .list_objects_v2()
                .bucket(&at.bucket)
                .prefix(format!("{folder}/"))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::warn!(
                            bucket = at.bucket.as_str(),
                            prefix = folder,
                            error = %DisplayErrorContext(&e),
                            "listing digests to find the start of a gap failed; only the digest \
                             the next one names is reported missing (allow s3:ListBucket)"
                        );
                        return newest;
                    }
                };
                let found = page
                    .contents()
                    .iter()
                    .filter_map(|o| DigestName::parse(&ObjectRef::new(&at.bucket, o.key()?)))
                    .filter(|d| !d.backfill && d.end < before && chain_id(d) == chain);
                for digest in found {
                    if newest.as_ref().is_none_or(|n| n.end < digest.end) {
                        newest = Some(digest);
                    }
                }
            }
        }
        newest
    }

    /// The previous digest at `at`: as recorded when it was verified, else as S3 has it now;
    /// `None` when it does not exist.
    async fn previous(&self, at: &ObjectRef) -> Result<Option<Previous>, IntegrityError> {
        if let Some(record) = self.state.digest_record(at).await? {
            return Ok(Some(Previous {
                signature: Some(record.signature),
                content_hash: Some(record.content_hash),
            }));
        }
        let Some((content, metadata)) = self.fetch_content(at, MAX_DIGEST_BYTES).await? else {
            return Ok(None);
        };
        Ok(Some(Previous {
            signature: metadata.get("signature").cloned(),
            content_hash: content.ok().map(|c| Sha256::of(&c)),
        }))
    }

    /// Records the hour `start`..`end` of `name`'s trail id as unverifiable (a missing or invalid
    /// digest's): the scheduled check calls none of its logs injected.
    async fn unverifiable(
        &self,
        name: &DigestName,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<(), IntegrityError> {
        let window = Window { start, end };
        self.state
            .record_unverifiable(&trail_id(&name.scope), window)
            .await?;
        Ok(())
    }

    /// Takes the logs `digest` lists off the pending list of `name`'s trail.
    async fn unpend(&self, name: &DigestName, digest: &Digest) -> Result<(), IntegrityError> {
        let keys: Vec<String> = digest
            .log_files
            .iter()
            .map(|l| l.location.key.clone())
            .collect();
        self.state.unpend(&trail_id(&name.scope), &keys).await?;
        Ok(())
    }
}
