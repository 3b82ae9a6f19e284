//! Storm control in the Lambda: suppression windows by rule id (`SUPPRESS`), counted in the
//! state table across objects, invocations and retries, summarised by the scheduled invocation.
//!
//! - Every batch on its way to the sinks passes [`suppress`]: an alert of a suppressed rule
//!   ([`keytrail_core::storm::StormControl::key`]: configured, below high or opted in with
//!   `:severe`, with an event time) is noted in its window
//!   ([`keytrail_aws::state::suppress`]); the window's first alert goes on as usual (the alert
//!   ledger publishes it once), the later ones are counted and dropped. Alerts of other rules,
//!   and every alert when `SUPPRESS` is empty, cost nothing.
//! - The scheduled invocation (EventBridge, every 15 minutes: the integrity check's schedule)
//!   runs [`summarise`] first: each window that ended at least [`SETTLE_SECONDS`] before the
//!   schedule's time and holds suppressed alerts not yet reported publishes one summary alert
//!   ([`Alert::summary`]: "ACM certificate exported: 37 more in 1h", by principal), and is marked
//!   summarised only once the summary is out. A summary that fails to publish fails the
//!   invocation retryably (EventBridge retries it) and is made again by the next schedule.
//!
//! Nothing lost, no duplicates: a state-table failure fails the object retryably (its alerts
//! already counted are not counted twice: they are keyed by alert id, itself a hash of the rule
//! and the eventID); the first alert's retry sends it again, into the ledger; the summary's alert
//! id is stable per rule x group x window x count, so a summary published twice is one alert.
//!
//! Suppression needs the state table: without `STATE_TABLE` every alert is published, and the
//! cold start says so once ([`check`]). A `SUPPRESS` entry naming a rule that is not loaded, or
//! a critical or high rule without `:severe`, fails the cold start ([`check`]).

use std::sync::Arc;

use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use keytrail_aws::state::suppress::{SuppressionState, Verdict};
use keytrail_core::integrity::Timestamp;
use keytrail_core::rules::RuleSet;
use keytrail_core::Alert;

use crate::config::Config;
use serde_json::Value;

use crate::error::{HandlerError, ObjectError};
use crate::metrics::Metrics;
use crate::publish::publish_all;
use crate::App;

/// How long after a window's end its summary waits for the window's late alerts (CloudTrail
/// delivers within about 5 to 15 minutes); later ones get a summary of their own.
pub const SETTLE_SECONDS: i64 = 15 * 60;

/// `alerts` of object `name` without those a suppression window holds back (counted there).
pub async fn suppress<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: &str,
    alerts: Vec<Alert>,
    metrics: &mut Metrics,
) -> Result<Vec<Alert>, ObjectError> {
    let control = &app.config.suppress;
    let Some(ledger) = app.ledger.as_ref().filter(|_| !control.is_empty()) else {
        return Ok(alerts);
    };
    let mut state: Option<SuppressionState> = None;
    let mut out = Vec::with_capacity(alerts.len());
    for alert in alerts {
        let Some(key) = control.key(&alert) else {
            out.push(alert);
            continue;
        };
        let time = key.start;
        let event_time = alert
            .event_time
            .as_deref()
            .and_then(Timestamp::parse)
            .map_or(time, Timestamp::epoch);
        let state = state.get_or_insert_with(|| SuppressionState::new(ledger.state().clone()));
        match state.note(&key, &alert, event_time).await {
            Ok(Verdict::Send) => out.push(alert),
            Ok(Verdict::Suppressed) => metrics.suppressed += 1,
            Err(source) => {
                return Err(ObjectError::Ledger {
                    object: name.to_owned(),
                    source,
                })
            }
        }
    }
    if let Some(state) = state {
        tracing::debug!(
            object = name,
            writes = state.writes,
            reads = state.reads,
            "suppression windows noted"
        );
    }
    Ok(out)
}

/// The scheduled pass as of `as_of`: one summary alert per ended window that owes one; answers
/// how many were published (0 when storm control is off).
pub async fn summarise<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    as_of: Timestamp,
    metrics: &mut Metrics,
) -> Result<usize, String> {
    let Some(ledger) = app
        .ledger
        .as_ref()
        .filter(|_| !app.config.suppress.is_empty())
    else {
        return Ok(0);
    };
    let mut state = SuppressionState::new(ledger.state().clone());
    let name = format!("schedule:{as_of}");
    let ended = state
        .ended(as_of.epoch().saturating_sub(SETTLE_SECONDS))
        .await
        .map_err(|e| e.to_string())?;
    let mut published = 0;
    for window in &ended {
        let (summary, alerts) = state.summary(window).await.map_err(|e| e.to_string())?;
        if let Some(summary) = summary {
            let alert = Alert::summary(&summary);
            published += publish_all(app, &name, vec![alert], metrics)
                .await
                .map_err(|e| e.to_string())?;
        }
        state
            .summarised(window, alerts)
            .await
            .map_err(|e| e.to_string())?;
    }
    tracing::info!(
        as_of = as_of.to_string(),
        windows = ended.len(),
        published,
        writes = state.writes,
        reads = state.reads,
        "suppression windows summarised"
    );
    Ok(published)
}

/// The scheduled invocation (`as_of`: the schedule's time): the summaries, then the integrity
/// check ([`crate::integrity::sweep::handle`]); the answer of the latter with `summaries` added.
/// A failure of either is retryable.
pub async fn scheduled<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    as_of: Result<Timestamp, String>,
    metrics: &mut Metrics,
) -> Result<Value, HandlerError> {
    let summaries = match &as_of {
        Ok(time) => summarise(app, *time, metrics).await,
        Err(_) => Ok(0),
    };
    let checked = crate::integrity::sweep::handle(app, as_of, metrics).await;
    let summaries = summaries.map_err(|first| HandlerError::Objects {
        failed: 1,
        total: 1,
        first,
        retryable: true,
    })?;
    let mut answer = checked?;
    if let Some(fields) = answer.as_object_mut() {
        fields.insert("summaries".to_owned(), Value::from(summaries));
    }
    Ok(answer)
}

/// Checks `SUPPRESS` against the loaded rules at cold start: an unknown rule, or a critical or
/// high one without `:severe`, is an error naming it; suppression without a state table is said
/// once (every alert is then published).
pub fn check(config: &Config, set: &RuleSet) -> Result<(), String> {
    let control = &config.suppress;
    if control.is_empty() {
        return Ok(());
    }
    let level = |id: &str| {
        set.rules()
            .iter()
            .map(|r| (&r.id, r.level))
            .chain(
                set.correlations()
                    .list()
                    .map(|c| (&c.rule.id, c.rule.level)),
            )
            .find(|(rule, _)| *rule == id)
            .map(|(_, level)| level)
    };
    let problems = control.problems(level);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    if config.idempotency.is_none() {
        let rules: Vec<&str> = control.rule_ids().collect();
        tracing::warn!(
            rules = rules.join(", "),
            reason = "no state table (set STATE_TABLE to suppress)",
            "suppression configured but not applied: every alert is published"
        );
    }
    Ok(())
}
