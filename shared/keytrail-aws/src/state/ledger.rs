//! Alert claims: an item per published alert, so that an alert is published once even when its
//! object is processed twice (S3 and SQS deliver at least once, and a failed object is retried
//! whole). Items `alert#<alert_id>` / `claim` of the state table (see [`super`]).
//!
//! # Protocol
//!
//! One item per alert id, in one of two states:
//!
//! - **claim** (`state = pending`): before publishing, an invocation claims the alert with a
//!   conditional put that succeeds only when no item exists, or when the item is a claim whose
//!   lease has run out (its invocation died). The claim carries a random token and
//!   `lease_until`.
//! - **mark** (`state = published`): after SNS accepted the alert, the claim becomes a mark that
//!   never expires before its TTL (`expires_at`, the table's TimeToLive attribute).
//!
//! A second invocation that meets a mark skips the alert (a duplicate suppressed); one that meets
//! a live claim fails its object retryably ([`Claim::Held`]), so it comes back after the lease and
//! finds either the mark or a dead claim. A publish that fails releases its claims at once, so
//! the retry need not wait for the lease.
//!
//! # One claim per sink
//!
//! Each sink has claims of its own under the alert's hash key: `claim` for SNS (the first sink,
//! and the only one before the others existed), `claim#<sink>` for the optional ones
//! ([`Ledger::for_sink`]). An object failed because Security Hub refused a finding is retried
//! whole, and the retry meets SNS's mark (skipped: no second email) and no Security Hub mark (sent
//! now): every sink gets every alert, none twice.
//!
//! At least once stays the floor. An invocation that dies between SNS accepting an alert and the
//! mark (killed, out of memory) leaves a claim; once its lease has run out the retry publishes the
//! alert again. That window is one DynamoDB round trip wide, and the repeat carries the same
//! `alert_id` for subscribers that want to drop it. Marking before publishing would close it at
//! the price of losing the alert whenever the publish never happens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;

use super::{get_n, get_s, key, n, now, s, StateError, StateTable, PK, SK, TTL_ATTRIBUTE};

/// The range key of an SNS claim item; other sinks' are `claim#<sink>`.
const CLAIM: &str = "claim";

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours: publish, then [`Ledger::mark`] (or [`Ledger::release`] if the publish fails).
    Claimed(Token),
    /// Already published: skip it.
    Published,
    /// Another invocation holds it until this time (epoch seconds): try again later.
    Held {
        /// When its lease runs out.
        until: u64,
    },
}

/// Proof of a claim, needed to release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(String);

/// The state table could not be read or written (the claims' error is the table's).
pub type LedgerError = StateError;

/// The alert claims of the state table.
#[derive(Debug, Clone)]
pub struct Ledger {
    table: StateTable,
    lease: Duration,
    ttl: Duration,
    /// The range key of this sink's claims.
    sk: String,
}

/// The hash key of alert `alert_id`'s claim.
fn pk(alert_id: &str) -> String {
    format!("alert#{alert_id}")
}

impl Ledger {
    /// Claims in `table`: they live for `lease` (at least the function's timeout), marks for
    /// `ttl` (longer than any retry: SQS keeps a message at most 14 days).
    pub fn new(table: StateTable, lease: Duration, ttl: Duration) -> Self {
        Ledger {
            table,
            lease,
            ttl,
            sk: CLAIM.to_owned(),
        }
    }

    /// The same claims, for the sink named `sink` (`securityhub`, `eventbridge`): items
    /// `alert#<alert_id>` / `claim#<sink>`, independent of SNS's.
    #[must_use]
    pub fn for_sink(&self, sink: &str) -> Ledger {
        Ledger {
            sk: format!("{CLAIM}#{sink}"),
            ..self.clone()
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        self.table.name()
    }

    /// The state table the claims are in (correlation windows live there too).
    pub fn state(&self) -> &StateTable {
        &self.table
    }

    /// Claims `alert_id` for publishing, on behalf of `object`.
    pub async fn claim(&self, alert_id: &str, object: &str) -> Result<Claim, LedgerError> {
        let pk = pk(alert_id);
        // A claim whose item vanished between the failed put and the read (a release, a TTL
        // sweep) is simply tried again; twice is plenty.
        for _ in 0..3 {
            let now = now();
            let token = Token(new_token());
            let put = self
                .table
                .client()
                .put_item()
                .table_name(self.table.name())
                .item(PK, s(&pk))
                .item(SK, s(&self.sk))
                .item("state", s("pending"))
                .item("token", s(&token.0))
                .item("object", s(object))
                .item("lease_until", n(now + self.lease.as_secs()))
                .item(TTL_ATTRIBUTE, n(now + self.ttl.as_secs()))
                .condition_expression(
                    "attribute_not_exists(#k) OR (#state = :pending AND lease_until < :now)",
                )
                .expression_attribute_names("#k", PK)
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":pending", s("pending"))
                .expression_attribute_values(":now", n(now))
                .send()
                .await;
            match put {
                Ok(_) => return Ok(Claim::Claimed(token)),
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {}
                Err(e) => return Err(self.table.error("claim", &pk, &e)),
            }
            let item = self
                .table
                .client()
                .get_item()
                .table_name(self.table.name())
                .set_key(Some(key(&pk, &self.sk)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| self.table.error("read", &pk, &e))?;
            let Some(item) = item.item() else { continue };
            match get_s(item, "state") {
                Some("published") => return Ok(Claim::Published),
                _ => {
                    let until = get_n(item, "lease_until")
                        .and_then(|v| u64::try_from(v).ok())
                        .unwrap_or(0);
                    // A lease that ran out between the put and the read: claim again.
                    if until >= now {
                        return Ok(Claim::Held { until });
                    }
                }
            }
        }
        Err(self.table.fail(
            "claim",
            &pk,
            "the item kept changing under the claim".to_owned(),
        ))
    }

    /// Marks `alert_id` published: later claims skip it.
    pub async fn mark(&self, alert_id: &str) -> Result<(), LedgerError> {
        let pk = pk(alert_id);
        let now = now();
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(key(&pk, &self.sk)))
            .update_expression(
                "SET #state = :published, #ttl = :ttl, published_at = :now REMOVE lease_until, #token",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":published", s("published"))
            .expression_attribute_values(":ttl", n(now + self.ttl.as_secs()))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(|e| self.table.error("mark", &pk, &e))?;
        Ok(())
    }

    /// Gives up our claim on `alert_id` (its publish failed), so a retry need not wait for the
    /// lease. A claim that is no longer ours is left alone.
    pub async fn release(&self, alert_id: &str, token: &Token) -> Result<(), LedgerError> {
        let pk = pk(alert_id);
        let deleted = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(key(&pk, &self.sk)))
            .condition_expression("#state = :pending AND #token = :token")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":token", s(&token.0))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(e) => Err(self.table.error("release", &pk, &e)),
        }
    }
}

/// A token unique to this claim: process, time and a counter (no randomness needed; it only has
/// to differ from every other claimer's).
fn new_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}-{nanos:x}-{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
