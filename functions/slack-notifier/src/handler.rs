//! One invocation: the SNS records in, one Slack post per alert out.
//!
//! The payload is read with `aws_lambda_events`' [`SnsEvent`], which requires every field SNS
//! sends a Lambda (a payload missing one is not from SNS and fails as a whole). Each record's
//! `Message` is the alert JSON (the `default` of keytrail's SNS message), or the OCSF finding
//! the trail-processor publishes with `ALERT_FORMAT=ocsf`, read back as the same alert. Its
//! severity comes from the `severity` message attribute (what filter policies see), else from
//! the alert. Alerts below the minimum are skipped; high and critical ones go to the critical
//! webhook when there is one. Every record is tried; if any failed, the invocation fails with the
//! first failure, so SNS redelivers (a record already posted may then be posted twice: at least
//! once, never lost).

use aws_lambda_events::sns::{SnsEvent, SnsMessage};
use keytrail_core::alert::ocsf;
use keytrail_core::render::slack_message;
use keytrail_core::{Alert, Severity};
use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

use crate::App;

/// An invocation that failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is not an SNS event.
    #[error("the payload is not an SNS event ({0}): subscribe the function to the alerts topic")]
    Shape(String),
    /// Some alerts were not posted.
    #[error("{failed} of {total} alert(s) were not posted to slack: {first}")]
    Alerts {
        /// How many failed.
        failed: usize,
        /// How many records there were.
        total: usize,
        /// The first failure's message.
        first: String,
        /// True when every failure may pass on retry.
        retryable: bool,
    },
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let retryable = matches!(
            e,
            HandlerError::Alerts {
                retryable: true,
                ..
            }
        );
        Diagnostic {
            error_type: if retryable {
                "Retryable"
            } else {
                "NonRetryable"
            }
            .to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Posted { critical: bool, attempts: u32 },
    Skipped,
}

/// Handles one invocation payload.
pub async fn handle(app: &App, payload: Value) -> Result<Value, HandlerError> {
    let event: SnsEvent =
        serde_json::from_value(payload).map_err(|e| HandlerError::Shape(e.to_string()))?;
    let total = event.records.len();
    let (mut posted, mut skipped) = (0, 0);
    let mut failures: Vec<(String, bool)> = Vec::new();
    for record in &event.records {
        let id = &record.sns.message_id;
        match post_one(app, &record.sns).await {
            Ok(Outcome::Posted { critical, attempts }) => {
                tracing::info!(
                    message_id = id.as_str(),
                    critical,
                    attempts,
                    "posted alert to slack"
                );
                posted += 1;
            }
            Ok(Outcome::Skipped) => skipped += 1,
            Err((message, retryable)) => {
                tracing::error!(
                    message_id = id.as_str(),
                    retryable,
                    error = message.as_str(),
                    "alert not posted to slack"
                );
                failures.push((message, retryable));
            }
        }
    }
    match failures.first() {
        None => Ok(json!({"records": total, "posted": posted, "skipped": skipped})),
        Some((first, _)) => Err(HandlerError::Alerts {
            failed: failures.len(),
            total,
            first: first.clone(),
            retryable: failures.iter().all(|(_, r)| *r),
        }),
    }
}

/// Posts one record's alert; on failure, the message and whether a retry may pass.
async fn post_one(app: &App, sns: &SnsMessage) -> Result<Outcome, (String, bool)> {
    let alert = parse_alert(&sns.message).map_err(|e| {
        (
            format!(
                "SNS message {} is not a keytrail alert ({e}): is the function subscribed to the right topic?",
                sns.message_id
            ),
            false,
        )
    })?;
    let severity = sns
        .message_attributes
        .get("severity")
        .and_then(|a| a.value.parse::<Severity>().ok())
        .unwrap_or(alert.severity);
    if severity < app.min_severity {
        tracing::info!(
            alert_id = alert.alert_id.as_str(),
            severity = severity.as_str(),
            "alert below MIN_SEVERITY, not posted"
        );
        return Ok(Outcome::Skipped);
    }
    let (url, critical) = app.webhooks.for_severity(severity);
    let payload = slack_message(&alert).to_string();
    let attempts = app
        .slack
        .post(url, payload.as_bytes())
        .await
        .map_err(|e| (format!("alert {}: {e}", alert.alert_id), e.is_retryable()))?;
    Ok(Outcome::Posted { critical, attempts })
}

/// The alert of an SNS message: keytrail's schema, or the OCSF finding the trail-processor
/// publishes with `ALERT_FORMAT=ocsf` (read back as the same alert, so Slack sees no difference).
fn parse_alert(message: &str) -> Result<Alert, String> {
    let error = match serde_json::from_str::<Alert>(message) {
        Ok(alert) => return Ok(alert),
        Err(e) => e.to_string(),
    };
    serde_json::from_str::<Value>(message)
        .ok()
        .and_then(|finding| ocsf::alert_from_finding(&finding))
        .ok_or(error)
}
