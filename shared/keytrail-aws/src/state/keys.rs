//! CloudTrail's public keys, cached by region and fingerprint (`pubkey#<region>` /
//! `<fingerprint>`), so a cold start does not ask `ListPublicKeys` for a key another invocation
//! fetched already. See [`super`] for the key design; [`crate::cloudtrail_keys`] uses them.

use aws_sdk_dynamodb::primitives::Blob;
use keytrail_core::integrity::{PublicKey, Timestamp};

use super::{get_n, key, n, now, s, StateError, StateTable, PK, SK, TTL_ATTRIBUTE};

/// How long a cached key lives: long enough to spare most calls, short enough that a key
/// CloudTrail stops returning (its validity ended early) is soon asked for again.
pub const KEY_TTL_SECONDS: u64 = 30 * 86_400;

fn pk(region: &str) -> String {
    format!("pubkey#{region}")
}

impl StateTable {
    /// The key with `fingerprint` cached for `region`, if there is one (and it still parses).
    pub async fn public_key(
        &self,
        region: &str,
        fingerprint: &str,
    ) -> Result<Option<PublicKey>, StateError> {
        let pk = pk(region);
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .set_key(Some(key(&pk, fingerprint)))
            .send()
            .await
            .map_err(|e| self.error("read public key", &pk, &e))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let Some(der) = item.get("der").and_then(|v| v.as_b().ok()) else {
            return Ok(None);
        };
        let time = |name| get_n(item, name).map(Timestamp::from_epoch);
        Ok(PublicKey::from_list_entry(
            der.as_ref(),
            time("valid_from"),
            time("valid_until"),
            fingerprint,
        )
        .ok())
    }

    /// Caches `key` for `region`.
    pub async fn put_public_key(&self, region: &str, key: &PublicKey) -> Result<(), StateError> {
        let pk = pk(region);
        let now = now();
        let mut put = self
            .client()
            .put_item()
            .table_name(self.name())
            .item(PK, s(&pk))
            .item(SK, s(key.fingerprint()))
            .item(
                "der",
                aws_sdk_dynamodb::types::AttributeValue::B(Blob::new(key.der())),
            )
            .item(TTL_ATTRIBUTE, n(now + KEY_TTL_SECONDS));
        if let Some(from) = key.valid_from {
            put = put.item("valid_from", n(from.epoch()));
        }
        if let Some(until) = key.valid_until {
            put = put.item("valid_until", n(until.epoch()));
        }
        put.send()
            .await
            .map_err(|e| self.error("cache public key", &pk, &e))?;
        Ok(())
    }
}
