//! The public keys signatures are checked with: from CloudTrail's `ListPublicKeys`, or from
//! `--public-key` files for an offline check.
//!
//! CloudTrail signs each region's digests with that region's key, so `ListPublicKeys` is asked in
//! every region the digests were delivered from, for the time they cover. The client is built
//! from the CLI's SDK configuration with the region replaced: `--endpoint-url` (or
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_CLOUDTRAIL`) and the credentials apply as for S3.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Context;
use aws_config::{Region, SdkConfig};
use aws_sdk_cloudtrail::error::DisplayErrorContext;
use aws_sdk_cloudtrail::primitives::DateTime;
use keytrail_core::integrity::{PublicKey, PublicKeys, Timestamp};

/// The keys in the `--public-key` files.
pub fn from_files(paths: &[PathBuf]) -> anyhow::Result<PublicKeys> {
    let mut keys = PublicKeys::new();
    for path in paths {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading public key file {}", path.display()))?;
        let found = PublicKey::from_file(&bytes)
            .with_context(|| format!("public key file {}", path.display()))?;
        keys.extend(found);
    }
    Ok(keys)
}

/// Every key `ListPublicKeys` returns in `regions` for `start..=end`.
pub async fn from_cloudtrail(
    config: &SdkConfig,
    regions: &BTreeSet<String>,
    start: Timestamp,
    end: Timestamp,
) -> anyhow::Result<PublicKeys> {
    let mut keys = PublicKeys::new();
    for region in regions {
        let conf = aws_sdk_cloudtrail::config::Builder::from(config)
            .region(Region::new(region.clone()))
            .build();
        let client = aws_sdk_cloudtrail::Client::from_conf(conf);
        let mut token: Option<String> = None;
        loop {
            let answer = client
                .list_public_keys()
                .start_time(DateTime::from_secs(start.epoch()))
                .end_time(DateTime::from_secs(end.epoch()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "CloudTrail ListPublicKeys in {region} failed: {}: the identity needs \
                         cloudtrail:ListPublicKeys; or give the keys with --public-key FILE",
                        DisplayErrorContext(e)
                    )
                })?;
            for entry in answer.public_key_list() {
                let time = |t: Option<&DateTime>| t.map(|t| Timestamp::from_epoch(t.secs()));
                let (Some(der), Some(fingerprint)) = (entry.value(), entry.fingerprint()) else {
                    anyhow::bail!("CloudTrail ListPublicKeys in {region} returned a key without Value or Fingerprint");
                };
                let key = PublicKey::from_list_entry(
                    der.as_ref(),
                    time(entry.validity_start_time()),
                    time(entry.validity_end_time()),
                    fingerprint,
                )
                .with_context(|| format!("a key ListPublicKeys returned in {region}"))?;
                keys.insert(key);
            }
            token = answer.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(keys)
}
