//! The state table: one DynamoDB table (single-table design) for everything keytrail remembers
//! across invocations. This module owns its key design; each sub-module owns its item kinds.
//!
//! # Table
//!
//! Hash key `pk` (S), range key `sk` (S), TimeToLive on `expires_at` (N, epoch seconds): **every
//! item has a TTL**, so the table never grows without bound. On-demand billing, point-in-time
//! recovery, encrypted with the stack's key (`template.yaml`). The function finds it in
//! `STATE_TABLE` (`IDEMPOTENCY_TABLE`, its old name, is still read as a deprecated alias).
//!
//! # Items
//!
//! | kind | pk | sk | attributes | TTL | module |
//! |---|---|---|---|---|---|
//! | alert claim / mark | `alert#<alert_id>` | `claim` (SNS), `claim#<sink>` (`securityhub`, `eventbridge`) | `state`, `token`, `object`, `lease_until`, `published_at` | `IDEMPOTENCY_TTL_DAYS` (15) | [`ledger`] |
//! | log object seen | `log#<bucket>/<key>` | `hash` | `sha256` (hex, uncompressed), `bytes`, `seen_at`, `trail`; `listed_by` (digest `bucket/key`), `listed_hash` once a verified digest lists it | 400 days | [`logs`] |
//! | log not yet listed | `pending#<trail id>` | `<log key>` | `time` (the time in the log's name), `seen_at` | 400 days (deleted when a digest lists the log) | [`logs`] |
//! | digest verified | `digest#<bucket>/<key>` | `sig` | `signature` (hex), `content_hash`, `start`, `end`, `previous` (`bucket/key`), `fingerprint` | 400 days | [`chain`] |
//! | chain head | `trails` | `<trail id>#<trail name>#<home region>` | `trail`, `digest` (`bucket/key` of the newest verified digest), `start`, `end`, `seen_at` | 400 days | [`chain`] |
//! | unverifiable hour | `unverifiable#<trail id>` | `<end>#<start>` | `start`, `end` (the window of a missing or invalid digest), `seen_at` | 400 days | [`unverifiable`] |
//! | public key | `pubkey#<region>` | `<fingerprint>` | `der` (binary), `valid_from`, `valid_until` | 30 days | [`keys`] |
//! | correlation window | `corr#<rule_id>#<group hash>` | `win#<window start>` | `count` (ADD), `values` (string set ADD), `fired` | window end (or write, if later) + 1 day | [`correlate`] |
//! | correlation contribution | `corr#<rule_id>#<group hash>` | `win#<window start>#ev#<eventID>` | `event_time`, `tag`, `value` | as its window | [`correlate`] |
//! | suppression window | `supp#<rule_id>#<group hash>` | `win#<window start>` | `count` (ADD), `first` (the alert sent), `summarised`, `first_event`, `last_event`, what a summary says | window end (or write, if later) + 1 day | [`suppress`] |
//! | suppressed alert | `supp#<rule_id>#<group hash>` | `win#<window start>#ev#<alert_id>` | `event_time` | as its window | [`suppress`] |
//! | window owing a summary | `supp-open` | `<window end>#<rule_id>#<group hash>#<window start>` | `count`, `wpk`, `wsk` | as its window (deleted once summarised) | [`suppress`] |
//!
//! A **trail id** is where one account's objects of one region live: the bucket, then the key up
//! to the account, then the region, `<bucket>/<prefix/>AWSLogs/[o-ORG/]<account>/<region>` (the
//! part of a key before `CloudTrail/` or `CloudTrail-Digest/`, plus the region), so a log object
//! and the digest that lists it share it ([`trail_id`]). A **chain** is one trail's digests in
//! that place: several trails may deliver into one folder, each with its own chain, and a log
//! key does not say which trail wrote it; so heads are kept per chain and pending logs per trail
//! id. Backfill digests (`_backfill`) are verified but never become a head.
//!
//! Times (`seen_at`, `start`, `end`, `time`, `valid_*`) are epoch seconds (N). Keys hold object
//! keys verbatim: DynamoDB keys are UTF-8 up to 2048 bytes (pk) and 1024 bytes (sk), more than
//! CloudTrail's keys need; an object key too long for them fails its item with a [`StateError`]
//! naming it.
//!
//! # Cost
//!
//! Per log object (integrity on): one `UpdateItem` (the hash, answering the old item) and one
//! `PutItem` (pending), each 1 write unit. Per digest: one `PutItem` and one conditional
//! `UpdateItem` (head), one `UpdateItem` per listed log (marking it listed, answering its hash)
//! and `BatchWriteItem` deletes of the pending entries (1 write unit each), one `GetItem` for the
//! previous digest. Per alert and sink: a `PutItem` (claim) and an `UpdateItem` (mark). Public keys: a
//! `GetItem` per cold start and fingerprint. The scheduled sweep: one `Query` of `trails` and one
//! per trail id with pending logs. Correlations: only records that match a rule feeding one, 2
//! writes and 1 read per such record and correlation until its window fires ([`correlate`]).
//! Storm control: only alerts of suppressed rules, 2 writes each (3 for a window's second); per
//! summarised window 2 reads, 2 writes and a share of one `Query` ([`suppress`]).

pub mod chain;
pub mod correlate;
pub mod keys;
pub mod ledger;
pub mod logs;
pub mod suppress;
pub mod unverifiable;

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use keytrail_core::integrity::Scope;

/// The hash key.
pub const PK: &str = "pk";
/// The range key.
pub const SK: &str = "sk";
/// The TimeToLive attribute (epoch seconds), on every item.
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// How long integrity items (log hashes, digests, heads, pending logs) live: over a year, so a
/// log object overwritten months after its digest listed it is still recognised.
pub const INTEGRITY_TTL_SECONDS: u64 = 400 * 86_400;

/// The table, on a DynamoDB client.
#[derive(Debug, Clone)]
pub struct StateTable {
    client: aws_sdk_dynamodb::Client,
    name: String,
}

/// The table could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("state table {table}: {operation} {key}: {detail}")]
pub struct StateError {
    /// The table.
    pub table: String,
    /// What was being done.
    pub operation: &'static str,
    /// The item (`pk`, or `pk/sk`).
    pub key: String,
    /// What DynamoDB said.
    pub detail: String,
}

impl StateTable {
    /// The table `name` on `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, name: String) -> StateTable {
        StateTable { client, name }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// A [`StateError`] for an SDK failure of `operation` on item `key`.
    pub(crate) fn error<E, R>(
        &self,
        operation: &'static str,
        key: &str,
        e: &SdkError<E, R>,
    ) -> StateError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        self.fail(operation, key, DisplayErrorContext(e).to_string())
    }

    /// Every item of partition `pk` (consistent reads, every page), each turned into a `T` by
    /// `item` (those it answers `None` for are left out); `operation` names a failure.
    pub(crate) async fn partition<T>(
        &self,
        operation: &'static str,
        pk: &str,
        item: impl Fn(&HashMap<String, AttributeValue>) -> Option<T>,
    ) -> Result<Vec<T>, StateError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error(operation, pk, &e))?;
            out.extend(page.items().iter().filter_map(&item));
        }
        Ok(out)
    }

    /// A [`StateError`] saying `detail`.
    pub(crate) fn fail(&self, operation: &'static str, key: &str, detail: String) -> StateError {
        StateError {
            table: self.name.clone(),
            operation,
            key: key.to_owned(),
            detail,
        }
    }
}

/// The trail id of `scope` (see the module docs): `<bucket>/<prefix/>AWSLogs/[o-ORG/]<account>/<region>`.
pub fn trail_id(scope: &Scope) -> String {
    let prefix = if scope.prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", scope.prefix)
    };
    let org = scope
        .organization
        .as_ref()
        .map(|o| format!("{o}/"))
        .unwrap_or_default();
    format!(
        "{}/{prefix}AWSLogs/{org}{}/{}",
        scope.bucket, scope.account, scope.region
    )
}

/// Creates the table as the template does (`pk`/`sk`, on demand, TTL on `expires_at`): for local
/// stacks and tests.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), String> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let fail = |e: String| format!("creating state table {table}: {e}");
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| fail(e.to_string()))
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(|e| fail(e.to_string()))
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PK)?)
        .attribute_definitions(attribute(SK)?)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .send()
        .await
        .map_err(|e| fail(DisplayErrorContext(&e).to_string()))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(|e| fail(e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| fail(DisplayErrorContext(&e).to_string()))?;
    Ok(())
}

/// The key of item `pk`/`sk`.
pub(crate) fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

pub(crate) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

pub(crate) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// String attribute `name` of `item`.
pub(crate) fn get_s<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// Number attribute `name` of `item`.
pub(crate) fn get_n(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// The time now, in epoch seconds.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_ids_of_scopes() {
        let scope = |prefix: &str, org: Option<&str>| Scope {
            bucket: "b".to_owned(),
            prefix: prefix.to_owned(),
            organization: org.map(str::to_owned),
            account: "111122223333".to_owned(),
            region: "eu-west-1".to_owned(),
        };
        for (scope, want) in [
            (scope("", None), "b/AWSLogs/111122223333/eu-west-1"),
            (
                scope("org/x", Some("o-abc")),
                "b/org/x/AWSLogs/o-abc/111122223333/eu-west-1",
            ),
        ] {
            assert_eq!(trail_id(&scope), want);
        }
    }
}
