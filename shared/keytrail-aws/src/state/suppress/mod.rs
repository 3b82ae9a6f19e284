//! Suppression windows in the state table (storm control, [`keytrail_core::storm`]): which
//! alert of a rule x group x window is sent, how many were not, and which ended windows still
//! owe a summary, whichever invocation, object or retry delivers the alerts.
//!
//! # Items
//!
//! One partition per rule x group, `pk = supp#<rule_id>#<group hash>`
//! ([`SuppressKey::group_hash`]), and in it, per window (`<start>`: epoch seconds, 12 digits):
//!
//! - `sk = win#<start>`: the window, `count` (ADD 1 per new alert), `first` (the alert id that
//!   was sent: `SET if_not_exists`), `summarised` (how many suppressed alerts summaries have
//!   reported), and what a summary needs (`rule`, `group`, `group_by`, `window`, `title`,
//!   `severity`, `first_event`, `last_event`);
//! - `sk = win#<start>#ev#<alert_id>`: one alert of the window (`event_time`), written with
//!   `attribute_not_exists(sk)`, so a retried object, or an event delivered twice, counts once.
//!
//! And one index partition, `pk = supp-open`, `sk = <end>#<rule_id>#<group hash>#<start>` (`end`:
//! the window's end, 12 digits): a window with alerts suppressed and not yet summarised, `count`
//! (never lowered), `wpk`/`wsk` (the window item). The scheduled pass finds ended windows with
//! one `Query` (`sk < <cutoff + 1>`), never a Scan.
//!
//! # Protocol
//!
//! Per alert of a suppressed rule ([`SuppressionState::note`]): put the alert's item; when new,
//! `UpdateItem` the window (ADD count, SET first if absent) answering the window. The alert is
//! sent when `first` is its own id (the first of its window), suppressed otherwise; the window's
//! second alert (count 2), and any alert arriving after a summary, opens the index entry. A
//! retried alert (its item exists) reads the window (`GetItem`, consistent): sent again if it is
//! the window's first (the alert ledger keeps it from going out twice), else suppressed (and the
//! index entry is opened again, in case the first try failed before it). An alert is never
//! suppressed before its window's `first` is someone's: the first alert's publish failing fails
//! its object, whose retry sends it.
//!
//! The scheduled pass ([`SuppressionState::ended`], [`SuppressionState::summary`],
//! [`SuppressionState::summarised`]): per index entry whose window ended, read the window, count
//! its alert items (`Query`, `Select=COUNT`: the items, not the counter, are the truth, so an
//! alert whose counter update failed is still counted), and answer the summary of what is not yet
//! reported; once it is published, SET `summarised`, and delete the index entry unless the window
//! counted more meanwhile (the `count` answered by that update, and the entry's `count`
//! condition): a late alert either is in the count just read or leaves the entry open for the
//! next pass, whose summary reports it (another alert id: the id covers the count).
//!
//! # Cost (on-demand units; items under 1 KB)
//!
//! Per alert of a suppressed rule: 2 writes (its item, the window), plus 1 write (the index) for
//! the second alert of each window; a retried alert 1 refused write + 1 read (+ 1 write). Per
//! summarised window: 1 read (window) + 1 read per 4 KB of its alert items (about 40 alerts) + 2
//! writes (summarised, index delete), the index `Query` shared by all windows, and the summary's
//! ledger claim and mark like any alert. So a storm of 1,000 alerts of one rule x group in an
//! hour costs about 2,000 writes and sends 2 alerts instead of 1,000.
//!
//! # TTL
//!
//! Every item expires one day after the later of its window's end and its write: windows whose
//! summary was not made within a day (no scheduled invocation) expire unreported.

mod pass;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use keytrail_core::storm::{GroupBy, SuppressKey};
use keytrail_core::{Alert, Severity};

use super::{get_n, get_s, key, n, now, s, StateError, StateTable, PK, SK, TTL_ATTRIBUTE};

/// The index partition of windows that owe a summary.
pub const OPEN: &str = "supp-open";
/// How long a suppression item outlives the later of its window's end and its write.
pub const MARGIN_SECONDS: i64 = 86_400;

/// What to do with one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it: the first of its window.
    Send,
    /// Counted, not sent.
    Suppressed,
}

/// A window that ended and owes a summary (an index entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    sk: String,
    wpk: String,
    wsk: String,
}

/// The suppression windows, over the state table; counts its requests.
#[derive(Debug)]
pub struct SuppressionState {
    table: StateTable,
    /// Writes made (a refused conditional write counts).
    pub writes: u64,
    /// Reads made (gets and query pages).
    pub reads: u64,
}

impl SuppressionState {
    /// The windows in `table`.
    pub fn new(table: StateTable) -> SuppressionState {
        SuppressionState {
            table,
            writes: 0,
            reads: 0,
        }
    }

    /// An `UpdateItem` of item `pk`/`sk` (counted).
    fn update(&mut self, pk: &str, sk: &str) -> UpdateItemFluentBuilder {
        self.writes += 1;
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(key(pk, sk)))
    }

    /// Counts `alert` in its window `key` (at `event_time`) and answers whether to send it.
    pub async fn note(
        &mut self,
        key: &SuppressKey,
        alert: &Alert,
        event_time: i64,
    ) -> Result<Verdict, StateError> {
        let pk = pk(key);
        let ttl = expires_at(key);
        self.writes += 1;
        let put = self
            .table
            .client()
            .put_item()
            .table_name(self.table.name())
            .item(PK, s(&pk))
            .item(SK, s(&alert_sk(key.start, &alert.alert_id)))
            .item("event_time", n(event_time))
            .item(TTL_ATTRIBUTE, n(ttl))
            .condition_expression("attribute_not_exists(#sk)")
            .expression_attribute_names("#sk", SK)
            .send()
            .await;
        let window = match written(&self.table, "add suppressed alert", &pk, put)? {
            Some(_) => Some(self.count(key, alert, event_time).await?),
            None => None,
        };
        let window = match window {
            Some(w) => w,
            // A retry: the window as it is, counted now if the first try never got to it.
            None => match self.window(&pk, &window_sk(key.start)).await? {
                Some(w) if w.first.is_some() => Window { reopen: true, ..w },
                _ => self.count(key, alert, event_time).await?,
            },
        };
        if window.first.as_deref() == Some(alert.alert_id.as_str()) {
            return Ok(Verdict::Send);
        }
        if window.reopen || window.count == 2 {
            self.open(key, window.count).await?;
        }
        Ok(Verdict::Suppressed)
    }

    /// ADDs `alert` to its window's count; answers the window.
    async fn count(
        &mut self,
        key: &SuppressKey,
        alert: &Alert,
        event_time: i64,
    ) -> Result<Window, StateError> {
        let pk = pk(key);
        let out = self
            .update(&pk, &window_sk(key.start))
            .update_expression(
                "SET #ttl = :ttl, #first = if_not_exists(#first, :id), #rule = :rule, \
                 #group = :group, group_by = :by, #window = :window, title = :title, \
                 severity = :severity, first_event = if_not_exists(first_event, :time), \
                 last_event = :time ADD #count :one",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_names("#first", "first")
            .expression_attribute_names("#rule", "rule")
            .expression_attribute_names("#group", "group")
            .expression_attribute_names("#window", "window")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":ttl", n(expires_at(key)))
            .expression_attribute_values(":id", s(&alert.alert_id))
            .expression_attribute_values(":rule", s(&key.rule))
            .expression_attribute_values(":group", s(&key.group))
            .expression_attribute_values(":by", s(key.group_by.as_str()))
            .expression_attribute_values(":window", n(key.window))
            .expression_attribute_values(":title", s(&alert.title))
            .expression_attribute_values(":severity", s(alert.severity.as_str()))
            .expression_attribute_values(":time", n(event_time))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| self.table.error("count suppressed alert", &pk, &e))?;
        let item = out.attributes().cloned().unwrap_or_default();
        Ok(Window::of(&item))
    }

    /// Opens (or keeps open) the index entry of `key`'s window at `count`.
    async fn open(&mut self, key: &SuppressKey, count: i64) -> Result<(), StateError> {
        let sk = format!(
            "{:012}#{}#{}#{:012}",
            key.end(),
            key.rule,
            key.group_hash(),
            key.start
        );
        let out = self
            .update(OPEN, &sk)
            .update_expression("SET #count = :c, wpk = :wpk, wsk = :wsk, #ttl = :ttl")
            .condition_expression("attribute_not_exists(#count) OR #count < :c")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":c", n(count))
            .expression_attribute_values(":wpk", s(&pk(key)))
            .expression_attribute_values(":wsk", s(&window_sk(key.start)))
            .expression_attribute_values(":ttl", n(expires_at(key)))
            .send()
            .await;
        written(&self.table, "open suppression summary", OPEN, out).map(|_| ())
    }

    /// The window item `pk`/`sk`, read consistently.
    async fn window(&mut self, pk: &str, sk: &str) -> Result<Option<Window>, StateError> {
        self.reads += 1;
        let out = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.table.error("read suppression window", pk, &e))?;
        Ok(out.item().map(Window::of))
    }
}

/// A window item, as read.
#[derive(Debug)]
struct Window {
    count: i64,
    first: Option<String>,
    summarised: i64,
    /// Summarised already (an alert now must reopen the index entry), or a retry.
    reopen: bool,
    rule: String,
    group: String,
    group_by: GroupBy,
    window: i64,
    title: String,
    severity: Severity,
}

impl Window {
    fn of(item: &std::collections::HashMap<String, AttributeValue>) -> Window {
        let text = |name| get_s(item, name).unwrap_or_default().to_owned();
        Window {
            count: get_n(item, "count").unwrap_or(0),
            first: get_s(item, "first").map(str::to_owned),
            summarised: get_n(item, "summarised").unwrap_or(0),
            reopen: item.contains_key("summarised"),
            rule: text("rule"),
            group: text("group"),
            group_by: GroupBy::parse(&text("group_by")).unwrap_or_default(),
            window: get_n(item, "window").unwrap_or(0),
            title: text("title"),
            severity: text("severity").parse().unwrap_or(Severity::High),
        }
    }
}

/// The answer of a conditional write `out`: `Some` when written, `None` when its condition
/// refused it.
fn written<T, E, R>(
    table: &StateTable,
    operation: &'static str,
    key: &str,
    out: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, StateError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match out {
        Ok(out) => Ok(Some(out)),
        Err(e)
            if e.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(None)
        }
        Err(e) => Err(table.error(operation, key, &e)),
    }
}

/// The partition of `key`'s rule x group.
fn pk(key: &SuppressKey) -> String {
    format!("supp#{}#{}", key.rule, key.group_hash())
}

/// The window item's range key.
fn window_sk(start: i64) -> String {
    format!("win#{start:012}")
}

/// An alert item's range key.
fn alert_sk(start: i64, alert_id: &str) -> String {
    format!("{}#ev#{alert_id}", window_sk(start))
}

/// The TTL of an item of window `key` written now.
fn expires_at(key: &SuppressKey) -> i64 {
    let now = i64::try_from(now()).unwrap_or(i64::MAX);
    key.end().max(now).saturating_add(MARGIN_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_windows_never_prefix_each_other() {
        for (start, window, alert) in [
            (3600, "win#000000003600", "win#000000003600#ev#a1"),
            (36000, "win#000000036000", "win#000000036000#ev#a1"),
        ] {
            assert_eq!(window_sk(start), window);
            assert_eq!(alert_sk(start, "a1"), alert);
        }
        assert!(!window_sk(36000).starts_with(&window_sk(3600)));
    }
}
