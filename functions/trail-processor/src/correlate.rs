//! Correlations in the Lambda: across objects, invocations and retries, in the state table.
//!
//! While an object is read, the scan keeps what the correlations need of each record that
//! matched a rule feeding one ([`keytrail_aws::stream::ScanEnd::kept`]: eventID, eventTime,
//! group-by and counted values). Once the object is read (cleanly, or up to a fault that will
//! not pass), [`correlate`] runs those records through the core's engine in eventTime order over
//! the state table ([`CorrelationState`]: contributions keyed by eventID, atomic window
//! counters, TTLs), so the events of one correlation count together whichever object,
//! invocation or retry delivers them, and a late event counts in the window of its eventTime.
//! Each window that fires is one alert ([`Alert::correlation`], `alert_id` stable per
//! correlation x group x window) published through [`publish`]: the alert ledger publishes it
//! once even when two invocations fire the same window. Its source is the object whose events
//! completed the window (the alert lists every joined eventID).
//!
//! Nothing lost: a state-table failure fails the object retryably (its contributions already
//! written are duplicates on the retry, never counted twice), and a window is marked fired in
//! the table only after its alert is out ([`CorrelationState::commit`]), so the retry fires it
//! again and the ledger keeps the alert from going out twice.
//!
//! Correlations need the state table: without `STATE_TABLE`, or with `CORRELATIONS=off`,
//! nothing is kept or written, and the cold start says so once ([`warn_unevaluated`]). Work
//! narrowed by `rules_only` publishes a correlation's alert only if it names the correlation,
//! and marks no window fired (a later full pass must still be able to fire it).

use std::sync::Arc;

use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use keytrail_aws::state::correlate::{CorrelationState, Requests};
use keytrail_core::correlate::Kept;
use keytrail_core::rules::RuleSet;
use keytrail_core::Alert;

use crate::error::ObjectError;
use crate::metrics::Metrics;
use crate::publish::publish;
use crate::work::Only;
use crate::App;

/// Whether objects should keep records for correlations: a state table is configured, correlations
/// are on, and the rules hold some.
pub fn enabled<S, K>(app: &App<S, K>) -> bool {
    app.config.correlations && app.ledger.is_some() && !app.rules.correlations().is_empty()
}

/// Runs the `kept` records of object `name` through the correlations and publishes the alerts of
/// the windows that fire (those `only` lets through); answers how many were published.
pub async fn correlate<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: &str,
    kept: Vec<Kept>,
    only: &Only,
    metrics: &mut Metrics,
) -> Result<usize, ObjectError> {
    let Some(ledger) = app.ledger.as_ref().filter(|_| enabled(app)) else {
        return Ok(0);
    };
    if kept.is_empty() {
        return Ok(0);
    }
    let records = kept.len();
    let correlations = app.rules.correlations();
    let mut state = CorrelationState::new(ledger.state().clone(), correlations);
    let fired = correlations
        .replay_async(kept, &mut state)
        .await
        .map_err(|source| ObjectError::Correlation {
            object: name.to_owned(),
            source,
        })?;
    let objects = [name.to_owned()];
    let alerts: Vec<Alert> = fired
        .iter()
        .filter_map(|hit| {
            let c = correlations.get(hit.correlation)?;
            (c.rule.level >= app.config.min_severity).then(|| Alert::correlation(c, hit, &objects))
        })
        .collect();
    let alerts = only.filter(alerts);
    let published = if alerts.is_empty() {
        0
    } else {
        publish(app, name, alerts, metrics).await?
    };
    if *only == Only::All {
        if let Err(e) = state.commit().await {
            // The alerts are out and in the ledger; an unmarked window only costs later events
            // a read each, and fires into the ledger's suppression again.
            tracing::warn!(
                object = name,
                error = e.to_string(),
                "correlation window published, not marked fired"
            );
        }
    }
    let Requests { writes, reads } = state.requests();
    tracing::info!(
        object = name,
        records,
        fired = fired.len(),
        published,
        writes,
        reads,
        "correlations evaluated"
    );
    Ok(published)
}

/// Says once, at cold start, when correlation rules are loaded but cannot run here: no state
/// table (`STATE_TABLE`), or `CORRELATIONS=off`. A rule that alerts only through a correlation
/// (`generate: false`) then raises nothing either.
pub fn warn_unevaluated(set: &RuleSet, state_table: bool, on: bool) {
    let ids: Vec<&str> = set
        .correlations()
        .list()
        .map(|c| c.rule.id.as_str())
        .collect();
    if ids.is_empty() || (state_table && on) {
        return;
    }
    let why = if on {
        "no state table (set STATE_TABLE to run them)"
    } else {
        "CORRELATIONS=off"
    };
    tracing::warn!(
        correlations = ids.join(", "),
        count = ids.len(),
        reason = why,
        "correlation rules loaded but not evaluated"
    );
}
