//! The idempotency table: a DynamoDB record per published alert, so that an alert is published
//! once even when its object is processed twice (S3 and SQS deliver at least once, and a failed
//! object is retried whole).
//!
//! # Protocol
//!
//! One item per alert id (`alert_id`, the hash key), in one of two states:
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
//! At least once stays the floor. An invocation that dies between SNS accepting an alert and the
//! mark (killed, out of memory) leaves a claim; once its lease has run out the retry publishes the
//! alert again. That window is one DynamoDB round trip wide, and the repeat carries the same
//! `alert_id` for subscribers that want to drop it. Marking before publishing would close it at
//! the price of losing the alert whenever the publish never happens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

/// The table's hash key.
pub const KEY: &str = "alert_id";
/// The table's TimeToLive attribute (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";

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

/// The table could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("idempotency table {table}: {operation} {alert_id}: {detail}")]
pub struct LedgerError {
    /// The table.
    pub table: String,
    /// What was being done.
    pub operation: &'static str,
    /// The alert.
    pub alert_id: String,
    /// What DynamoDB said.
    pub detail: String,
}

/// The idempotency table.
#[derive(Debug, Clone)]
pub struct Ledger {
    client: aws_sdk_dynamodb::Client,
    table: String,
    lease: Duration,
    ttl: Duration,
}

impl Ledger {
    /// A ledger on `table`: claims live for `lease` (at least the function's timeout), marks for
    /// `ttl` (longer than any retry: SQS keeps a message at most 14 days).
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: String,
        lease: Duration,
        ttl: Duration,
    ) -> Self {
        Ledger {
            client,
            table,
            lease,
            ttl,
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Claims `alert_id` for publishing, on behalf of `object`.
    pub async fn claim(&self, alert_id: &str, object: &str) -> Result<Claim, LedgerError> {
        // A claim whose item vanished between the failed put and the read (a release, a TTL
        // sweep) is simply tried again; twice is plenty.
        for _ in 0..3 {
            let now = now();
            let token = Token(new_token());
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(KEY, s(alert_id))
                .item("state", s("pending"))
                .item("token", s(&token.0))
                .item("object", s(object))
                .item("lease_until", n(now + self.lease.as_secs()))
                .item(TTL_ATTRIBUTE, n(now + self.ttl.as_secs()))
                .condition_expression(
                    "attribute_not_exists(#k) OR (#state = :pending AND lease_until < :now)",
                )
                .expression_attribute_names("#k", KEY)
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":pending", s("pending"))
                .expression_attribute_values(":now", n(now))
                .send()
                .await;
            match put {
                Ok(_) => return Ok(Claim::Claimed(token)),
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {}
                Err(e) => return Err(self.error("claim", alert_id, &e)),
            }
            let item = self
                .client
                .get_item()
                .table_name(&self.table)
                .key(KEY, s(alert_id))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| self.error("read", alert_id, &e))?;
            let Some(item) = item.item() else { continue };
            match item
                .get("state")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some("published") => return Ok(Claim::Published),
                _ => {
                    let until = item
                        .get("lease_until")
                        .and_then(|v| v.as_n().ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    // A lease that ran out between the put and the read: claim again.
                    if until >= now {
                        return Ok(Claim::Held { until });
                    }
                }
            }
        }
        Err(LedgerError {
            table: self.table.clone(),
            operation: "claim",
            alert_id: alert_id.to_owned(),
            detail: "the item kept changing under the claim".to_owned(),
        })
    }

    /// Marks `alert_id` published: later claims skip it.
    pub async fn mark(&self, alert_id: &str) -> Result<(), LedgerError> {
        let now = now();
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY, s(alert_id))
            .update_expression("SET #state = :published, #ttl = :ttl, published_at = :now REMOVE lease_until, #token")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":published", s("published"))
            .expression_attribute_values(":ttl", n(now + self.ttl.as_secs()))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(|e| self.error("mark", alert_id, &e))?;
        Ok(())
    }

    /// Gives up our claim on `alert_id` (its publish failed), so a retry need not wait for the
    /// lease. A claim that is no longer ours is left alone.
    pub async fn release(&self, alert_id: &str, token: &Token) -> Result<(), LedgerError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, s(alert_id))
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
            Err(e) => Err(self.error("release", alert_id, &e)),
        }
    }

    fn error<E, R>(
        &self,
        operation: &'static str,
        alert_id: &str,
        e: &SdkError<E, R>,
    ) -> LedgerError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        LedgerError {
            table: self.table.clone(),
            operation,
            alert_id: alert_id.to_owned(),
            detail: DisplayErrorContext(e).to_string(),
        }
    }
}

/// Creates the table as the template does (hash key `alert_id`, on demand, TTL on
/// `expires_at`): for local stacks and tests.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), String> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let fail = |e: String| format!("creating idempotency table {table}: {e}");
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| fail(e.to_string()))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(KEY)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| fail(e.to_string()))?,
        )
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

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
