//! The scheduled invocation (an EventBridge schedule, every 15 minutes in the template): what no
//! object's arrival can do, because it happens when nothing arrives. First the summaries of the
//! suppression windows that ended ([`summarise`], storm control: [`crate::storm`]), then the
//! integrity check ([`crate::integrity::sweep`]). Its time is the scheduled event's `time`, so a
//! delayed or retried invocation judges the moment it was meant for.

use std::sync::Arc;

use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use keytrail_aws::state::suppress::SuppressionState;
use keytrail_core::integrity::Timestamp;
use keytrail_core::Alert;
use serde_json::Value;

use crate::error::HandlerError;
use crate::metrics::Metrics;
use crate::publish::publish_all;
use crate::App;

/// How long after a window's end its summary waits for the window's late alerts (CloudTrail
/// delivers within about 5 to 15 minutes); later ones get a summary of their own.
pub const SETTLE_SECONDS: i64 = 15 * 60;

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
