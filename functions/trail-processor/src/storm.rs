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
//!   runs [`crate::scheduled::summarise`] first: each window that ended at least
//!   [`crate::scheduled::SETTLE_SECONDS`] before the schedule's time and holds suppressed alerts
//!   not yet reported publishes one summary alert ([`Alert::summary`]: "ACM certificate
//!   exported: 37 more in 1h", by principal), and is marked summarised only once it is out. A summary that fails to publish fails the
//!   invocation retryably (EventBridge retries it) and is made again by the next schedule.
//!
//! Nothing lost, no duplicates: a state-table failure fails the object retryably (its alerts
//! already counted are not counted twice: they are keyed by alert id, itself a hash of the rule
//! and the eventID); the first alert's retry sends it again, into the ledger; the summary's alert
//! id is stable per rule x group x window x count, so a summary published twice is one alert.
//!
//! The suppressions are `SUPPRESS`'s and those rules declare (`keytrail-suppress: 1h`), merged at
//! cold start ([`control`]). They need the state table: without `STATE_TABLE` every alert is
//! published, and the cold start says so once. A suppression of a rule that is not loaded, or of
//! a critical or high rule without `:severe`, fails the cold start.

use std::sync::Arc;

use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use keytrail_aws::state::suppress::{SuppressionState, Verdict};
use keytrail_core::integrity::Timestamp;
use keytrail_core::rules::RuleSet;
use keytrail_core::storm::StormControl;
use keytrail_core::Alert;

use crate::config::Config;
use crate::error::ObjectError;
use crate::metrics::Metrics;
use crate::App;

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

/// The storm control of the cold start: `SUPPRESS`, over what the loaded rules declare
/// ([`StormControl::with_rules`]), checked against them. An invalid rule field, an unknown rule,
/// or a critical or high one without `:severe`, is an error naming it; suppression without a
/// state table is said once (every alert is then published).
pub fn control(config: &Config, set: &RuleSet) -> Result<StormControl, String> {
    let control = config
        .suppress
        .clone()
        .checked(set)
        .map_err(|problems| problems.join("; "))?;
    if control.is_empty() {
        return Ok(control);
    }
    if config.idempotency.is_none() {
        let rules: Vec<&str> = control.rule_ids().collect();
        tracing::warn!(
            rules = rules.join(", "),
            reason = "no state table (set STATE_TABLE to suppress)",
            "suppression configured but not applied: every alert is published"
        );
    }
    Ok(control)
}
