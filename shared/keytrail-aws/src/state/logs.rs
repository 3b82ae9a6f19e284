//! Log objects as the integrity check sees them: the hash of each one read
//! (`log#<bucket>/<key>` / `hash`) and, per trail id, the logs no digest has listed yet
//! (`pending#<trail id>` / `<key>`). See [`super`] for the key design.
//!
//! The hash item is written by whoever gets there first, the log's own notification or the digest
//! that lists it, and each write answers the old item (`ReturnValues: ALL_OLD`), so one request
//! both records and reads: the log's side learns what a digest recorded for it, the digest's side
//! what was hashed when the log was read.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, ReturnValue, WriteRequest};
use keytrail_core::integrity::{ObjectRef, Sha256, Timestamp};

use super::{get_n, get_s, key, n, now, s, StateError, StateTable, INTEGRITY_TTL_SECONDS, PK, SK};

const HASH: &str = "hash";
/// BatchWriteItem takes at most 25 requests.
const BATCH: usize = 25;

/// What a verified digest recorded of a log object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The digest that lists it.
    pub digest: ObjectRef,
    /// The SHA-256 it lists.
    pub hash: Sha256,
}

/// A log object waiting for a digest to list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The log object.
    pub log: ObjectRef,
    /// The time in its name.
    pub time: Timestamp,
}

/// `bucket/key`, as items hold object references.
pub(crate) fn path(object: &ObjectRef) -> String {
    format!("{}/{}", object.bucket, object.key)
}

/// The object of a `bucket/key` value.
pub(crate) fn object(path: &str) -> Option<ObjectRef> {
    let (bucket, key) = path.split_once('/')?;
    Some(ObjectRef::new(bucket, key))
}

fn log_pk(log: &ObjectRef) -> String {
    format!("log#{}", path(log))
}

fn pending_pk(trail: &str) -> String {
    format!("pending#{trail}")
}

fn listed(item: &HashMap<String, AttributeValue>) -> Option<Listed> {
    Some(Listed {
        digest: object(get_s(item, "listed_by")?)?,
        hash: get_s(item, "listed_hash")?.parse().ok()?,
    })
}

fn sha256(item: &HashMap<String, AttributeValue>) -> Option<Sha256> {
    get_s(item, "sha256")?.parse().ok()
}

impl StateTable {
    /// Records the hash of log object `log` of trail id `trail` (its name's time `time`), read
    /// whole: `bytes` uncompressed bytes hashing to `hash`. Answers what a verified digest
    /// recorded of it, if one listed it already; if none did, the log joins its trail's pending
    /// list.
    pub async fn record_log(
        &self,
        log: &ObjectRef,
        trail: &str,
        time: Timestamp,
        hash: Sha256,
        bytes: u64,
    ) -> Result<Option<Listed>, StateError> {
        let pk = log_pk(log);
        let now = now();
        let old = self
            .client()
            .update_item()
            .table_name(self.name())
            .set_key(Some(key(&pk, HASH)))
            .update_expression(
                "SET sha256 = :h, #bytes = :b, seen_at = :now, trail = :t, expires_at = :ttl",
            )
            .expression_attribute_names("#bytes", "bytes")
            .expression_attribute_values(":h", s(&hash.to_hex()))
            .expression_attribute_values(":b", n(bytes))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":t", s(trail))
            .expression_attribute_values(":ttl", n(now + INTEGRITY_TTL_SECONDS))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| self.error("record log hash", &pk, &e))?;
        if let Some(listed) = old.attributes().and_then(listed) {
            return Ok(Some(listed));
        }
        let pending = pending_pk(trail);
        self.client()
            .put_item()
            .table_name(self.name())
            .item(PK, s(&pending))
            .item(SK, s(&log.key))
            .item("time", n(time.epoch()))
            .item("seen_at", n(now))
            .item(super::TTL_ATTRIBUTE, n(now + INTEGRITY_TTL_SECONDS))
            .send()
            .await
            .map_err(|e| self.error("add pending log", &pending, &e))?;
        Ok(None)
    }

    /// Records that verified digest `digest` lists log object `log` with `hash`; answers the hash
    /// recorded when the log was read, if it was.
    pub async fn list_log(
        &self,
        log: &ObjectRef,
        digest: &ObjectRef,
        hash: Sha256,
    ) -> Result<Option<Sha256>, StateError> {
        let pk = log_pk(log);
        let now = now();
        let old = self
            .client()
            .update_item()
            .table_name(self.name())
            .set_key(Some(key(&pk, HASH)))
            .update_expression("SET listed_by = :d, listed_hash = :h, expires_at = :ttl")
            .expression_attribute_values(":d", s(&path(digest)))
            .expression_attribute_values(":h", s(&hash.to_hex()))
            .expression_attribute_values(":ttl", n(now + INTEGRITY_TTL_SECONDS))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| self.error("mark log listed", &pk, &e))?;
        Ok(old.attributes().and_then(sha256))
    }

    /// Records the hash of a listed log object read for its digest (never read before).
    pub async fn set_log_hash(
        &self,
        log: &ObjectRef,
        hash: Sha256,
        bytes: u64,
    ) -> Result<(), StateError> {
        let pk = log_pk(log);
        self.client()
            .update_item()
            .table_name(self.name())
            .set_key(Some(key(&pk, HASH)))
            .update_expression("SET sha256 = :h, #bytes = :b, seen_at = :now")
            .expression_attribute_names("#bytes", "bytes")
            .expression_attribute_values(":h", s(&hash.to_hex()))
            .expression_attribute_values(":b", n(bytes))
            .expression_attribute_values(":now", n(now()))
            .send()
            .await
            .map_err(|e| self.error("record log hash", &pk, &e))?;
        Ok(())
    }

    /// What a verified digest recorded of `log`, if one listed it.
    pub async fn log_listing(&self, log: &ObjectRef) -> Result<Option<Listed>, StateError> {
        let pk = log_pk(log);
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .set_key(Some(key(&pk, HASH)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error("read log hash", &pk, &e))?;
        Ok(out.item().and_then(listed))
    }

    /// Takes the log objects `keys` off trail id `trail`'s pending list.
    pub async fn unpend(&self, trail: &str, keys: &[String]) -> Result<(), StateError> {
        let pk = pending_pk(trail);
        for chunk in keys.chunks(BATCH) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|k| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key(&pk, k)))
                        .build()
                        .map_err(|e| self.fail("remove pending logs", &pk, e.to_string()))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<_, StateError>>()?;
            // Unprocessed items (throttling) are sent again; a few rounds are plenty.
            for _ in 0..5 {
                if requests.is_empty() {
                    break;
                }
                let out = self
                    .client()
                    .batch_write_item()
                    .request_items(self.name(), requests)
                    .send()
                    .await
                    .map_err(|e| self.error("remove pending logs", &pk, &e))?;
                requests = out
                    .unprocessed_items()
                    .and_then(|u| u.get(self.name()))
                    .cloned()
                    .unwrap_or_default();
            }
            if !requests.is_empty() {
                return Err(self.fail(
                    "remove pending logs",
                    &pk,
                    format!("{} deletes stayed unprocessed", requests.len()),
                ));
            }
        }
        Ok(())
    }

    /// Every log object on trail id `trail`'s pending list, in key order.
    pub async fn pending(&self, trail: &str) -> Result<Vec<Pending>, StateError> {
        let bucket = trail.split_once('/').map_or(trail, |(b, _)| b);
        self.partition("read pending logs", &pending_pk(trail), |item| {
            Some(Pending {
                log: ObjectRef::new(bucket, get_s(item, SK)?),
                time: Timestamp::from_epoch(get_n(item, "time")?),
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_round_trip() {
        let log = ObjectRef::new("b", "AWSLogs/1/CloudTrail/r/2026/06/10/x y.json.gz");
        assert_eq!(object(&path(&log)), Some(log));
        assert_eq!(object("no-slash"), None);
    }
}
