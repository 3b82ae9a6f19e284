//! CloudTrail's public keys for the digests' signatures, looked up by fingerprint: in memory (the
//! warm function), then in the state table (`pubkey#<region>`, what another invocation fetched),
//! then with `ListPublicKeys` in the digest's region for its time range, every key it returns
//! cached in both. A fingerprint nobody knows costs one `ListPublicKeys` call per digest (then
//! the digest is reported as signed by an unknown key).

use std::sync::Mutex;

use aws_sdk_cloudtrail::config::Region;
use aws_sdk_cloudtrail::error::DisplayErrorContext;
use aws_sdk_cloudtrail::primitives::DateTime;
use keytrail_aws::state::StateTable;
use keytrail_core::integrity::{PublicKey, PublicKeys, Timestamp, HOUR};

use super::IntegrityError;

/// The key cache.
#[derive(Debug)]
pub struct KeyCache {
    memory: Mutex<PublicKeys>,
    cloudtrail: aws_sdk_cloudtrail::Client,
}

impl KeyCache {
    /// An empty cache asking `cloudtrail` for keys.
    pub fn new(cloudtrail: aws_sdk_cloudtrail::Client) -> KeyCache {
        KeyCache {
            memory: Mutex::new(PublicKeys::new()),
            cloudtrail,
        }
    }

    /// The keys known in memory.
    pub fn known(&self) -> PublicKeys {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn remember(&self, key: PublicKey) {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key);
    }

    /// Makes sure the key with `fingerprint` is known if CloudTrail has it for `region` between
    /// `start` and `end` (a digest's range).
    pub async fn ensure(
        &self,
        state: &StateTable,
        region: &str,
        fingerprint: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<(), IntegrityError> {
        if self.known().get(fingerprint).is_some() {
            return Ok(());
        }
        let table = |e: keytrail_aws::state::StateError| IntegrityError::retry(e.to_string());
        if let Some(key) = state.public_key(region, fingerprint).await.map_err(table)? {
            self.remember(key);
            return Ok(());
        }
        for key in self.list(region, start.plus(-HOUR), end).await? {
            state.put_public_key(region, &key).await.map_err(table)?;
            self.remember(key);
        }
        Ok(())
    }

    /// `ListPublicKeys` in `region` for `start`..`end`: the usable keys (an entry whose DER or
    /// fingerprint is wrong is left out with a warning).
    async fn list(
        &self,
        region: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<PublicKey>, IntegrityError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .cloudtrail
                .list_public_keys()
                .start_time(DateTime::from_secs(start.epoch()))
                .end_time(DateTime::from_secs(end.epoch()))
                .set_next_token(token)
                .customize()
                .config_override(
                    aws_sdk_cloudtrail::Config::builder().region(Region::new(region.to_owned())),
                )
                .send()
                .await
                .map_err(|e| {
                    IntegrityError::retry(format!(
                        "cloudtrail:ListPublicKeys in {region}: {}; does the function's role allow \
                         cloudtrail:ListPublicKeys?",
                        DisplayErrorContext(&e)
                    ))
                })?;
            for item in out.public_key_list() {
                let time = |t: Option<&DateTime>| t.map(|t| Timestamp::from_epoch(t.secs()));
                let entry = PublicKey::from_list_entry(
                    item.value().map(|b| b.as_ref()).unwrap_or_default(),
                    time(item.validity_start_time()),
                    time(item.validity_end_time()),
                    item.fingerprint().unwrap_or_default(),
                );
                match entry {
                    Ok(key) => keys.push(key),
                    Err(e) => tracing::warn!(
                        region,
                        error = e.to_string(),
                        "ListPublicKeys returned an unusable key, left out"
                    ),
                }
            }
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(keys);
            }
        }
    }
}
