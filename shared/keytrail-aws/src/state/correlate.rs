//! Correlation windows in the state table: the Lambda's [`AsyncStore`], so that the events of
//! one correlation count together whichever object, invocation or retry delivers them.
//!
//! # Items
//!
//! One partition per correlation x group, `pk = corr#<rule_id>#<group hash>` (the hash of the
//! group-by values, [`WindowKey::group_hash`]), and in it, per window (`<start>`: the window's
//! start in epoch seconds, zero-padded to 12 digits so that one window's keys never prefix
//! another's):
//!
//! - `sk = win#<start>`: the window's counters, `count` (ADD 1 per new event), `values` (string
//!   set, ADD the counted value of a `value_count`), and `fired` once its alert is out;
//! - `sk = win#<start>#ev#<eventID>`: one contribution, `event_time`, `tag` (which of the
//!   correlation's rules matched), `value`. Written with `attribute_not_exists(sk)`: an eventID
//!   counts once per window, so a retried object, or a record CloudTrail delivered twice, never
//!   counts twice. (STATE-DESIGN.md sketched `ev#<eventID>`; the window in the key makes a
//!   window's read one key-range query of that window's items only.)
//!
//! # Protocol (per matched event and correlation it feeds; [`Correlations::replay_async`])
//!
//! 1. `add`: the conditional put of the contribution; when new, an `UpdateItem` of the window
//!    (ADD count and value, SET the TTL) answering `fired`. A window that fired costs nothing
//!    more.
//! 2. `read` (the window has not fired): one strongly consistent `Query` of `win#<start>`'s
//!    items, the counters and every contribution. Two invocations adding the last two events of
//!    a window at once: each put precedes its own read, so at least one of them reads both.
//! 3. The core decides whether the window's condition holds. `mark_fired` only notes the window
//!    in memory: the item's `fired` is set by [`CorrelationState::commit`] after the alert was
//!    published. A window marked first and then not published would never fire again (its
//!    events are all duplicates on the retry); as it is, the retry re-reads the window (the core
//!    checks a duplicate again while its window has not fired) and fires it once more, and the
//!    stable alert id (correlation x group x window) lets the alert ledger publish it once. Two
//!    invocations that both see a window's condition hold publish through the same ledger too.
//!
//! Only records that matched a rule feeding a correlation reach this module; every other record
//! costs nothing here.
//!
//! # Cost (on-demand units)
//!
//! Per matched event and correlation it feeds: 1 write (the contribution) + 1 write (the
//! counters) + 1 strongly consistent read of the window's items (1 read unit per 4 KB, a window
//! of about 40 contributions) while the window has not fired; 1 write (the contribution) and
//! nothing else once it has; a retried event 1 write attempt (refused) + 1 read. A window that
//! fires: 1 more write (`fired`). A chained correlation's step that fires adds one event to the
//! correlations naming it (the same costs again). The built-in pack: an `ExportCertificate`
//! feeds two correlations (`acm-bulk-export`, `key-material-taken`), so about 4 writes and 2
//! reads until they fire.
//!
//! # TTL and limits
//!
//! Every item expires `margin` (default [`LATE_MARGIN_SECONDS`], one day) after the later of its
//! window's end and the time it was written; each new event pushes its window's TTL on. So:
//! - an event delivered late (CloudTrail's usual 5-15 minutes, or a backfill of old logs) counts
//!   in the window of its `eventTime` with every contribution written less than `margin` before
//!   it. The worst case of out-of-order arrival: events of one window written more than `margin`
//!   apart in wall-clock time (a backfill of a window whose other events were processed live
//!   days earlier) may not count together, because the earlier items expired;
//! - a window whose items expired can fire again if its events are delivered again; its alert id
//!   is the same, so the ledger suppresses the repeat while it remembers the alert
//!   (`IDEMPOTENCY_TTL_DAYS`);
//! - DynamoDB deletes expired items lazily (typically within days): an expired contribution
//!   still read counts, which is right (it is a real event of the window);
//! - the read grows with the window: a group that keeps matching without ever meeting the
//!   condition (one principal decrypting all day from one address, for a `value_count`) reads
//!   its whole window at every event. The built-in correlations match rare events.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use keytrail_core::correlate::{
    Added, AsyncStore, Contribution, Correlations, StoreError, Window, WindowKey,
};

use super::{get_n, get_s, n, now, s, StateError, StateTable, PK, SK, TTL_ATTRIBUTE};

/// How long after its window's end (or after it was written, if later) a correlation item
/// lives: how late an event may come and still count with the others of its window.
pub const LATE_MARGIN_SECONDS: u64 = 86_400;

/// Requests of every [`CorrelationState`] of the process: writes, reads.
static PROCESS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// The correlation windows of one object's run, over the state table.
#[derive(Debug)]
pub struct CorrelationState {
    table: StateTable,
    /// Timespan (seconds) of each correlation, by id: a window's end, for its TTL.
    spans: HashMap<String, i64>,
    margin: u64,
    /// Windows fired in this run, not yet marked in the table.
    fired: HashSet<WindowKey>,
    requests: Requests,
}

/// DynamoDB requests a run made (for its log line and the load figures).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Requests {
    /// Puts and updates (a refused conditional put counts).
    pub writes: u64,
    /// Queries (pages).
    pub reads: u64,
}

impl Requests {
    /// The requests every [`CorrelationState`] of this process has made (for load figures).
    pub fn in_process() -> Requests {
        Requests {
            writes: PROCESS[0].load(Ordering::Relaxed),
            reads: PROCESS[1].load(Ordering::Relaxed),
        }
    }

    fn write(&mut self) {
        self.writes += 1;
        PROCESS[0].fetch_add(1, Ordering::Relaxed);
    }

    fn read(&mut self) {
        self.reads += 1;
        PROCESS[1].fetch_add(1, Ordering::Relaxed);
    }
}

impl CorrelationState {
    /// The windows of `correlations` in `table`.
    pub fn new(table: StateTable, correlations: &Correlations) -> CorrelationState {
        let spans = correlations
            .list()
            .map(|c| (c.rule.id.clone(), c.timespan))
            .collect();
        CorrelationState {
            table,
            spans,
            margin: LATE_MARGIN_SECONDS,
            fired: HashSet::new(),
            requests: Requests::default(),
        }
    }

    /// The requests made so far.
    pub fn requests(&self) -> Requests {
        self.requests
    }

    /// Marks `fired` in the table for the windows this run fired (call once their alerts are
    /// published): later events of those windows then cost one write each.
    pub async fn commit(&mut self) -> Result<(), StateError> {
        for key in std::mem::take(&mut self.fired) {
            let pk = pk(&key);
            self.requests.write();
            self.table
                .client()
                .update_item()
                .table_name(self.table.name())
                .set_key(Some(super::key(&pk, &window_sk(key.start))))
                .update_expression("SET fired = :t, #ttl = if_not_exists(#ttl, :ttl)")
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .expression_attribute_values(":ttl", n(self.expires_at(&key)))
                .send()
                .await
                .map_err(|e| self.table.error("mark correlation window fired", &pk, &e))?;
        }
        Ok(())
    }

    /// The TTL of an item of window `key` written now.
    fn expires_at(&self, key: &WindowKey) -> i64 {
        let span = self.spans.get(&key.rule).copied().unwrap_or(0);
        let now = i64::try_from(now()).unwrap_or(i64::MAX);
        (key.start.saturating_add(span))
            .max(now)
            .saturating_add(i64::try_from(self.margin).unwrap_or(i64::MAX))
    }

    fn failed(&self, key: &WindowKey, e: StateError) -> StoreError {
        StoreError {
            rule: key.rule.clone(),
            detail: format!("{e}; the object fails and is retried (nothing is counted twice)"),
        }
    }

    async fn put_contribution(
        &mut self,
        key: &WindowKey,
        c: &Contribution,
    ) -> Result<bool, StateError> {
        let pk = pk(key);
        self.requests.write();
        let mut put = self
            .table
            .client()
            .put_item()
            .table_name(self.table.name())
            .item(PK, s(&pk))
            .item(SK, s(&event_sk(key.start, &c.event_id)))
            .item("event_time", n(c.event_time))
            .item("tag", n(c.tag))
            .item(TTL_ATTRIBUTE, n(self.expires_at(key)))
            .condition_expression("attribute_not_exists(#sk)")
            .expression_attribute_names("#sk", SK);
        if let Some(value) = &c.value {
            put = put.item("value", s(value));
        }
        match put.send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.table.error("add correlation event", &pk, &e)),
        }
    }

    async fn count(&mut self, key: &WindowKey, value: Option<&str>) -> Result<bool, StateError> {
        let pk = pk(key);
        self.requests.write();
        let mut update = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(super::key(&pk, &window_sk(key.start))))
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(self.expires_at(key)))
            .return_values(ReturnValue::AllNew);
        update = match value.filter(|v| !v.is_empty()) {
            Some(v) => update
                .update_expression("SET #ttl = :ttl ADD #count :one, #values :v")
                .expression_attribute_names("#values", "values")
                .expression_attribute_values(":v", AttributeValue::Ss(vec![v.to_owned()])),
            None => update.update_expression("SET #ttl = :ttl ADD #count :one"),
        };
        let out = update
            .send()
            .await
            .map_err(|e| self.table.error("count correlation window", &pk, &e))?;
        Ok(out.attributes().is_some_and(is_fired))
    }

    async fn query(&mut self, key: &WindowKey) -> Result<Window, StateError> {
        let pk = pk(key);
        let window = window_sk(key.start);
        let prefix = format!("{window}#ev#");
        let mut out = Window::default();
        let mut pages = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND begins_with(sk, :w)")
            .expression_attribute_values(":pk", s(&pk))
            .expression_attribute_values(":w", s(&window))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            self.requests.read();
            let page = page.map_err(|e| self.table.error("read correlation window", &pk, &e))?;
            for item in page.items() {
                let sk = get_s(item, SK).unwrap_or_default();
                if sk == window {
                    out.fired |= is_fired(item);
                    continue;
                }
                let (Some(event_id), Some(event_time)) =
                    (sk.strip_prefix(&prefix), get_n(item, "event_time"))
                else {
                    continue;
                };
                out.contributions.push(Contribution {
                    event_id: event_id.to_owned(),
                    event_time,
                    value: get_s(item, "value").map(str::to_owned),
                    tag: get_n(item, "tag")
                        .and_then(|t| usize::try_from(t).ok())
                        .unwrap_or(0),
                });
            }
        }
        Ok(out)
    }
}

impl AsyncStore for CorrelationState {
    async fn add(&mut self, key: &WindowKey, c: Contribution) -> Result<Added, StoreError> {
        let new = self
            .put_contribution(key, &c)
            .await
            .map_err(|e| self.failed(key, e))?;
        if !new {
            return Ok(Added::Duplicate);
        }
        let fired = self
            .count(key, c.value.as_deref())
            .await
            .map_err(|e| self.failed(key, e))?;
        Ok(Added::New {
            fired: fired || self.fired.contains(key),
        })
    }

    async fn read(&mut self, key: &WindowKey) -> Result<Window, StoreError> {
        let mut window = self.query(key).await.map_err(|e| self.failed(key, e))?;
        window.fired |= self.fired.contains(key);
        Ok(window)
    }

    async fn mark_fired(&mut self, key: &WindowKey) -> Result<bool, StoreError> {
        Ok(self.fired.insert(key.clone()))
    }
}

/// The partition of `key`'s correlation x group.
fn pk(key: &WindowKey) -> String {
    format!("corr#{}#{}", key.rule, key.group_hash())
}

/// The window item's range key.
fn window_sk(start: i64) -> String {
    format!("win#{start:012}")
}

/// A contribution's range key.
fn event_sk(start: i64, event_id: &str) -> String {
    format!("{}#ev#{event_id}", window_sk(start))
}

fn is_fired(item: &HashMap<String, AttributeValue>) -> bool {
    matches!(item.get("fired"), Some(AttributeValue::Bool(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_windows_never_prefix_each_other() {
        let key = |start| WindowKey {
            rule: "r".to_owned(),
            group: vec!["arn:aws:iam::1:role/x".to_owned()],
            start,
        };
        for (start, window, event) in [
            (3600, "win#000000003600", "win#000000003600#ev#e1"),
            (36000, "win#000000036000", "win#000000036000#ev#e1"),
        ] {
            assert_eq!(window_sk(start), window);
            assert_eq!(event_sk(start, "e1"), event);
            assert_eq!(pk(&key(start)), pk(&key(0)), "one partition per group");
        }
        assert!(!window_sk(36000).starts_with(&window_sk(3600)));
    }
}
