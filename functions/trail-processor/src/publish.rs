//! Publishing a batch of alerts to every sink, once each when the idempotency table is on, but
//! for those a suppression window holds back ([`crate::storm`], `SUPPRESS`).
//!
//! SNS first, then each optional sink (`SECURITY_HUB`, `EVENT_BUS`: [`crate::sinks`]), every one
//! with the same batch and claims of its own in the table (`claim`, `claim#<sink>`): a sink that
//! fails does not hold the others back, and the retry of its object sends each sink only what it
//! has not marked, so an alert that reached SNS before Security Hub failed is emailed once and
//! imported on the retry. The first failure is the object's.
//!
//! Without a table the batch goes straight to each sink ([`send`], which counts what went out and
//! turns a refusal into [`ObjectError::Publish`]). With the state table (`STATE_TABLE`), every
//! alert is claimed first ([`keytrail_aws::state::ledger`] describes the protocol): alerts already
//! published are skipped, the claimed ones are published and then marked, and a failed publish
//! releases its claims so the retry can take them at once. An alert claimed by another live
//! invocation fails the object retryably, after the rest of the batch went out.

use std::sync::Arc;

use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use keytrail_aws::state::ledger::{Claim, Ledger, Token};
use keytrail_core::Alert;

use crate::error::ObjectError;
use crate::metrics::Metrics;
use crate::App;

/// Publishes `alerts` of object `name` to every sink, but those storm control suppresses
/// ([`crate::storm::suppress`]); answers how many were published to SNS by this call (alerts
/// the table says are out already are not counted, but in `metrics.duplicates`).
pub async fn publish<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: &str,
    alerts: Vec<Alert>,
    metrics: &mut Metrics,
) -> Result<usize, ObjectError> {
    let alerts = crate::storm::suppress(app, name, alerts, metrics).await?;
    publish_all(app, name, alerts, metrics).await
}

/// [`publish`] without storm control: every alert goes out (once each, with the table).
pub async fn publish_all<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    name: &str,
    alerts: Vec<Alert>,
    metrics: &mut Metrics,
) -> Result<usize, ObjectError> {
    if alerts.is_empty() {
        return Ok(0);
    }
    let copy = if app.extra_sinks.is_empty() {
        Vec::new()
    } else {
        alerts.clone()
    };
    let mut outcome = publish_to(&app.sink, app.ledger.as_ref(), name, alerts, metrics).await;
    for sink in &app.extra_sinks {
        let ledger = app.ledger.as_ref().map(|l| l.for_sink(sink.name()));
        // Only failures count: `metrics.alerts` and `duplicates` stay SNS's.
        let mut own = Metrics::default();
        let sent = publish_to(sink, ledger.as_ref(), name, copy.clone(), &mut own).await;
        metrics.publish_failures += own.publish_failures;
        if let Err(e) = sent {
            if outcome.is_ok() {
                outcome = Err(e);
            }
        }
    }
    outcome
}

/// Publishes `alerts` to `sink`, claimed in `ledger` when there is one; see [`publish`].
async fn publish_to<K: AlertSink>(
    sink: &K,
    ledger: Option<&Ledger>,
    name: &str,
    alerts: Vec<Alert>,
    metrics: &mut Metrics,
) -> Result<usize, ObjectError> {
    let Some(ledger) = ledger else {
        send(sink, name, &alerts, metrics).await?;
        return Ok(alerts.len());
    };
    let mut claimed: Vec<Alert> = Vec::with_capacity(alerts.len());
    let mut tokens: Vec<Token> = Vec::with_capacity(alerts.len());
    let mut held = None;
    for alert in alerts {
        // The same event twice in one batch (CloudTrail repeats an eventID now and then): one
        // alert, the repeat is a duplicate rather than a claim held by ourselves.
        if claimed.iter().any(|c| c.alert_id == alert.alert_id) {
            metrics.duplicates += 1;
            continue;
        }
        match ledger.claim(&alert.alert_id, name).await {
            Ok(Claim::Claimed(token)) => {
                tokens.push(token);
                claimed.push(alert);
            }
            Ok(Claim::Published) => metrics.duplicates += 1,
            Ok(Claim::Held { until }) => {
                held.get_or_insert((alert.alert_id, until));
            }
            Err(source) => {
                release(ledger, name, &claimed, &tokens).await;
                return Err(ObjectError::Ledger {
                    object: name.to_owned(),
                    source,
                });
            }
        }
    }
    let sent = send(sink, name, &claimed, metrics).await;
    // What SNS accepted is marked, even when the rest failed, so the retry does not repeat it; a
    // mark that fails leaves its claim to expire, and the object still succeeds (failing it
    // would publish the alert again on the retry).
    let every: Vec<usize>;
    let unpublished: &[usize] = match &sent {
        Ok(()) => &[],
        Err(ObjectError::Publish { source, .. }) => &source.unpublished,
        Err(_) => {
            every = (0..claimed.len()).collect();
            &every
        }
    };
    let (mut out, mut back) = (Vec::new(), Vec::new());
    for (i, (alert, token)) in claimed.iter().zip(&tokens).enumerate() {
        if unpublished.contains(&i) {
            back.push((alert, token));
        } else {
            out.push(alert);
        }
    }
    for alert in &out {
        if let Err(e) = ledger.mark(&alert.alert_id).await {
            tracing::warn!(
                object = name,
                error = e.to_string(),
                "alert published, not marked in the idempotency table"
            );
        }
    }
    for (alert, token) in back {
        release_one(ledger, name, alert, token).await;
    }
    sent?;
    match held {
        Some((alert_id, until)) => Err(ObjectError::Held {
            object: name.to_owned(),
            alert_id,
            until,
        }),
        None => Ok(claimed.len()),
    }
}

/// Gives up the claims on alerts that were not published; a failure only delays their retry
/// until the lease runs out, so it is logged, not raised.
async fn release(ledger: &Ledger, object: &str, alerts: &[Alert], tokens: &[Token]) {
    for (alert, token) in alerts.iter().zip(tokens) {
        release_one(ledger, object, alert, token).await;
    }
}

async fn release_one(ledger: &Ledger, object: &str, alert: &Alert, token: &Token) {
    if let Err(e) = ledger.release(&alert.alert_id, token).await {
        tracing::warn!(
            object,
            error = e.to_string(),
            "claim not released: the retry waits for the lease"
        );
    }
}

/// Publishes `alerts` to `sink` (no idempotency), counting them.
async fn send<K: AlertSink>(
    sink: &K,
    name: &str,
    alerts: &[Alert],
    metrics: &mut Metrics,
) -> Result<(), ObjectError> {
    if alerts.is_empty() {
        return Ok(());
    }
    match sink.publish(alerts).await {
        Ok(()) => {
            for a in alerts {
                *metrics.alerts.entry(a.severity).or_default() += 1;
            }
            Ok(())
        }
        Err(e) => {
            metrics.publish_failures += 1;
            tracing::error!(
                object = name,
                failed = e.failed,
                total = e.total,
                error = e.to_string(),
                "alerts could not be published"
            );
            Err(ObjectError::Publish {
                object: name.to_owned(),
                source: e,
            })
        }
    }
}
