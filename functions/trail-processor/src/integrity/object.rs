//! The integrity side of one object's processing ([`crate::process`]): a digest verified and its
//! problems published, a log object's hash recorded.

use std::sync::Arc;

use keytrail_aws::s3::ObjectSource;
use keytrail_aws::sns::AlertSink;
use keytrail_core::integrity::{ContentHash, DigestName, LogName};
use keytrail_core::Alert;

use super::alert::alert;
use super::Integrity;
use crate::error::ObjectError;
use crate::metrics::Metrics;
use crate::process::Outcome;
use crate::publish::publish;
use crate::App;

/// Verifies digest `name` (object `uri`) and publishes an alert per problem.
pub async fn digest_object<S: ObjectSource, K: AlertSink>(
    app: &Arc<App<S, K>>,
    check: &Integrity,
    name: &DigestName,
    uri: &str,
    metrics: &mut Metrics,
) -> Result<Outcome, ObjectError> {
    let problems = check
        .check_digest(name)
        .await
        .map_err(|source| ObjectError::Integrity {
            object: uri.to_owned(),
            source,
        })?;
    let alerts: Vec<Alert> = problems.iter().map(alert).collect();
    tracing::info!(object = uri, problems = problems.len(), "verified digest");
    let published = if alerts.is_empty() {
        0
    } else {
        publish(app, uri, alerts, metrics).await?
    };
    metrics.objects += 1;
    Ok(Outcome::Done {
        alerts: published,
        problems: problems.iter().map(ToString::to_string).collect(),
    })
}

/// Records log object `log` (object `name`) read to its end with content hash `hash`; the alert
/// when a verified digest listed it with another hash.
pub async fn log_object(
    check: &Integrity,
    log: &LogName,
    hash: ContentHash,
    name: &str,
) -> Result<Vec<Alert>, ObjectError> {
    let modified = check
        .log_read(log, hash)
        .await
        .map_err(|source| ObjectError::Integrity {
            object: name.to_owned(),
            source,
        })?;
    Ok(modified.iter().map(alert).collect())
}
