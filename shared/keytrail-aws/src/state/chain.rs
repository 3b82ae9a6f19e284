//! Digest chains: each verified digest (`digest#<bucket>/<key>` / `sig`) and each chain's head,
//! its newest verified digest (`trails` / `<chain id>`). See [`super`] for the key design.
//!
//! A head only moves forward: the write is conditional on the stored head ending earlier, so
//! digests processed out of order (a retry, a slow invocation) never move it back.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use keytrail_core::integrity::{DigestName, ObjectRef, Sha256, Timestamp};

use super::logs::{object, path};
use super::{
    get_n, get_s, key, n, now, s, trail_id, StateError, StateTable, INTEGRITY_TTL_SECONDS, PK, SK,
    TTL_ATTRIBUTE,
};

const SIG: &str = "sig";
const TRAILS: &str = "trails";

/// What is recorded of a verified digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecord {
    /// Its `x-amz-meta-signature` (hex).
    pub signature: String,
    /// SHA-256 of its uncompressed content.
    pub content_hash: Sha256,
    /// `digestStartTime`.
    pub start: Timestamp,
    /// `digestEndTime`.
    pub end: Timestamp,
    /// The previous digest it names.
    pub previous: Option<ObjectRef>,
    /// `digestPublicKeyFingerprint`.
    pub fingerprint: String,
}

/// The newest verified digest of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The chain ([`chain_id`]).
    pub chain: String,
    /// Its trail id ([`super::trail_id`]).
    pub trail: String,
    /// The digest.
    pub digest: ObjectRef,
    /// Its `digestStartTime`.
    pub start: Timestamp,
    /// Its `digestEndTime`.
    pub end: Timestamp,
}

impl Head {
    /// The head of `name`'s chain, at the digest `name` (which started at `start`).
    pub fn of(name: &DigestName, start: Timestamp) -> Head {
        Head {
            chain: chain_id(name),
            trail: trail_id(&name.scope),
            digest: name.object(),
            start,
            end: name.end,
        }
    }
}

/// The chain a digest belongs to: `<trail id>#<trail name>#<home region>`.
pub fn chain_id(name: &DigestName) -> String {
    format!(
        "{}#{}#{}",
        trail_id(&name.scope),
        name.trail,
        name.home_region
    )
}

fn digest_pk(digest: &ObjectRef) -> String {
    format!("digest#{}", path(digest))
}

fn time(item: &HashMap<String, AttributeValue>, name: &str) -> Option<Timestamp> {
    get_n(item, name).map(Timestamp::from_epoch)
}

fn head(item: &HashMap<String, AttributeValue>) -> Option<Head> {
    Some(Head {
        chain: get_s(item, SK)?.to_owned(),
        trail: get_s(item, "trail")?.to_owned(),
        digest: object(get_s(item, "digest")?)?,
        start: time(item, "start")?,
        end: time(item, "end")?,
    })
}

impl StateTable {
    /// Records verified digest `digest`.
    pub async fn record_digest(
        &self,
        digest: &ObjectRef,
        record: &DigestRecord,
    ) -> Result<(), StateError> {
        let pk = digest_pk(digest);
        let now = now();
        let mut put = self
            .client()
            .put_item()
            .table_name(self.name())
            .item(PK, s(&pk))
            .item(SK, s(SIG))
            .item("signature", s(&record.signature))
            .item("content_hash", s(&record.content_hash.to_hex()))
            .item("start", n(record.start.epoch()))
            .item("end", n(record.end.epoch()))
            .item("fingerprint", s(&record.fingerprint))
            .item("seen_at", n(now))
            .item(TTL_ATTRIBUTE, n(now + INTEGRITY_TTL_SECONDS));
        if let Some(previous) = &record.previous {
            put = put.item("previous", s(&path(previous)));
        }
        put.send()
            .await
            .map_err(|e| self.error("record digest", &pk, &e))?;
        Ok(())
    }

    /// What was recorded of digest `digest` when it was verified, if it was.
    pub async fn digest_record(
        &self,
        digest: &ObjectRef,
    ) -> Result<Option<DigestRecord>, StateError> {
        let pk = digest_pk(digest);
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .set_key(Some(key(&pk, SIG)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error("read digest", &pk, &e))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let record = || {
            Some(DigestRecord {
                signature: get_s(item, "signature")?.to_owned(),
                content_hash: get_s(item, "content_hash")?.parse().ok()?,
                start: time(item, "start")?,
                end: time(item, "end")?,
                previous: get_s(item, "previous").and_then(object),
                fingerprint: get_s(item, "fingerprint")?.to_owned(),
            })
        };
        Ok(record())
    }

    /// Moves the head of `head.chain` to `head`, unless the stored head ends at or after it;
    /// answers whether it moved.
    pub async fn advance_head(&self, head: &Head) -> Result<bool, StateError> {
        let now = now();
        let put = self
            .client()
            .put_item()
            .table_name(self.name())
            .item(PK, s(TRAILS))
            .item(SK, s(&head.chain))
            .item("trail", s(&head.trail))
            .item("digest", s(&path(&head.digest)))
            .item("start", n(head.start.epoch()))
            .item("end", n(head.end.epoch()))
            .item("seen_at", n(now))
            .item(TTL_ATTRIBUTE, n(now + INTEGRITY_TTL_SECONDS))
            .condition_expression("attribute_not_exists(#end) OR #end < :end")
            .expression_attribute_names("#end", "end")
            .expression_attribute_values(":end", n(head.end.epoch()))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(self.error(
                "advance chain head",
                &format!("{TRAILS}/{}", head.chain),
                &e,
            )),
        }
    }

    /// The head of chain `chain`, if one was recorded.
    pub async fn head(&self, chain: &str) -> Result<Option<Head>, StateError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .set_key(Some(key(TRAILS, chain)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error("read chain head", &format!("{TRAILS}/{chain}"), &e))?;
        Ok(out.item().and_then(head))
    }

    /// Every chain head, in chain order.
    pub async fn heads(&self) -> Result<Vec<Head>, StateError> {
        self.partition("read chain heads", TRAILS, head).await
    }
}
