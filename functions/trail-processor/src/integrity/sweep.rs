//! The scheduled check (an EventBridge schedule, every 15 minutes in the template): what no
//! object's arrival can show, because nothing arrives.
//!
//! - **Silence**: a chain whose newest digest ended more than an hour plus
//!   `SILENCE_MARGIN_MINUTES` before the check ([`check_silence`]).
//! - **Injected logs**: a log object on its trail's pending list (read, never listed by a verified
//!   digest) although a digest of that trail id started `UNLISTED_LOG_GRACE_MINUTES` after the
//!   time in its name: CloudTrail lists each log in the digest of the hour it delivered it (or in
//!   a backfill digest hours later), so such a log was not delivered by CloudTrail.
//!
//!   A log of an unverifiable hour (a missing or invalid digest's, recorded when found; the
//!   digest's own alert says so) is not reported, as `keytrail verify` does not.
//!
//!   A pending log is first looked up (`GetItem`): a log read while its digest was being verified
//!   can join the pending list just after the digest took it off (the log's hash write, the
//!   digest's listing and unpending, then the log's pending write); such a log is listed, and
//!   leaves the list instead.
//!
//! The check's time is the scheduled event's `time` (when EventBridge fired it), so a delayed
//! invocation judges the moment it was meant for. State table calls: one `Query` of the chain
//! heads, one `Query` per trail id of pending logs, and for a trail id with pending logs past the
//! grace a `Query` of its unverifiable hours and a `GetItem` per such log.

use std::collections::BTreeMap;
use std::sync::Arc;

use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use keytrail_core::integrity::{check_silence, Problem, Timestamp};
use serde_json::{json, Value};

use super::{Integrity, IntegrityError};
use crate::error::HandlerError;
use crate::metrics::Metrics;
use crate::publish::publish;
use crate::App;

/// How long after the time in its name a log file may reach the bucket (CloudTrail delivers
/// within about 5 minutes on average): a log this close before an unverifiable hour may belong
/// to it. The same margin as `keytrail verify`'s.
const DELIVERY_LAG: i64 = 15 * 60;

/// The time of an EventBridge scheduled event (`"detail-type": "Scheduled Event"`,
/// `"source": "aws.events"`), `None` for any other payload.
pub fn scheduled_time(payload: &Value) -> Option<Result<Timestamp, String>> {
    let scheduled = payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
        && payload.get("source").and_then(Value::as_str) == Some("aws.events");
    if !scheduled {
        return None;
    }
    let time = payload.get("time").and_then(Value::as_str).unwrap_or("");
    Some(Timestamp::parse(time).ok_or_else(|| {
        format!(
            "scheduled event: `time` {:?} is not a UTC time like 2026-06-10T00:15:00Z",
            time.chars().take(40).collect::<String>()
        )
    }))
}

impl Integrity {
    /// The problems of every chain and trail id as of `as_of`.
    pub async fn sweep(&self, as_of: Timestamp) -> Result<Vec<Problem>, IntegrityError> {
        let heads = self.state.heads().await?;
        let mut problems = Vec::new();
        let mut newest: BTreeMap<&str, Timestamp> = BTreeMap::new();
        for head in &heads {
            problems.extend(
                check_silence(&head.digest, head.end, as_of, self.config.silence_margin).err(),
            );
            let start = newest.entry(head.trail.as_str()).or_insert(head.start);
            *start = (*start).max(head.start);
        }
        for (trail, newest_start) in newest {
            let mut stale = Vec::new();
            let mut unverifiable = None;
            for pending in self.state.pending(trail).await? {
                if pending.time.plus(self.config.unlisted_grace) >= newest_start {
                    continue;
                }
                if unverifiable.is_none() {
                    unverifiable = Some(self.state.unverifiable(trail).await?);
                }
                let t = pending.time;
                let hours = unverifiable.as_deref().unwrap_or_default();
                if hours
                    .iter()
                    .any(|h| h.start <= t.plus(DELIVERY_LAG) && t <= h.end)
                {
                    continue;
                }
                // A log read while its digest was being verified can join the pending list
                // after the digest took it off: a listed log is not injected.
                if self.state.log_listing(&pending.log).await?.is_some() {
                    stale.push(pending.log.key);
                } else {
                    problems.push(Problem::LogFileUnlisted { log: pending.log });
                }
            }
            self.state.unpend(trail, &stale).await?;
        }
        Problem::sort(&mut problems);
        Ok(problems)
    }
}

/// The scheduled invocation: the check as of the event's time `as_of`, its alerts published;
/// nothing to do when log file validation is off. A failure is retryable (EventBridge retries).
pub async fn handle<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    as_of: Result<Timestamp, String>,
    metrics: &mut Metrics,
) -> Result<Value, HandlerError> {
    let Some(integrity) = &app.integrity else {
        let reason =
            "scheduled event, but log file validation is off (no STATE_TABLE, or INTEGRITY=off)";
        tracing::info!(reason, "ignored invocation");
        return Ok(json!({ "ignored": reason }));
    };
    let as_of = as_of.map_err(HandlerError::Shape)?;
    run(app, integrity, as_of, metrics)
        .await
        .map_err(|first| HandlerError::Objects {
            failed: 1,
            total: 1,
            first,
            retryable: true,
        })
}

/// Runs the check as of `as_of` and publishes its alerts.
async fn run<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    integrity: &Integrity,
    as_of: Timestamp,
    metrics: &mut Metrics,
) -> Result<Value, String> {
    let problems = integrity.sweep(as_of).await.map_err(|e| e.to_string())?;
    let name = format!("schedule:{as_of}");
    let alerts: Vec<_> = problems.iter().map(super::alert::alert).collect();
    let published = if alerts.is_empty() {
        0
    } else {
        publish(app, &name, alerts, metrics)
            .await
            .map_err(|e| e.to_string())?
    };
    tracing::info!(
        as_of = as_of.to_string(),
        problems = problems.len(),
        published,
        "scheduled integrity check"
    );
    Ok(json!({ "as_of": as_of.to_string(), "problems": problems.len(), "alerts": published }))
}
