//! trail-processor: the keytrail Lambda.
//!
//! `main.rs` builds an [`App`] once at cold start (configuration validated, rules compiled,
//! clients built) and hands every invocation to [`handler::handle`]. The same `App` runs
//! in-process in the integration tests, against a local S3/SNS endpoint.
//!
//! Logs: untrusted text (object keys, message ids, error messages that quote them) goes into
//! string fields (`key = object.key.as_str()`, `error = e.to_string()`), never into `%` Display
//! fields or the message, which is a constant sentence. The Lambda's text format writes string
//! fields escaped (`{:?}`: a newline or ESC cannot start a forged line or reach a terminal raw)
//! and its JSON format as JSON strings; `tests/log_injection.rs` holds both to that.
#![warn(missing_docs)]

pub mod config;
pub mod correlate;
pub mod error;
pub mod handler;
pub mod integrity;
pub mod metrics;
pub mod only;
pub mod process;
pub mod publish;
pub mod schedule;
pub mod scheduled;
pub mod sinks;
pub mod sqs;
pub mod storm;
pub mod work;

use std::sync::Arc;

use integrity::Integrity;
use keytrail_aws::s3::S3Source;
use keytrail_aws::sns::SnsSink;
use keytrail_aws::state::ledger::Ledger;
use keytrail_aws::state::StateTable;
use keytrail_core::read::ReadOptions;
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::scan::ScanOptions;

use crate::config::Config;

/// Everything an invocation needs, built once.
#[derive(Debug)]
pub struct App<S, K> {
    /// The validated configuration.
    pub config: Config,
    /// The compiled rules.
    pub rules: Arc<RuleSet>,
    /// Where objects are read from.
    pub source: S,
    /// Where alerts go: SNS.
    pub sink: K,
    /// The optional sinks after SNS (`SECURITY_HUB`, `EVENT_BUS`; [`sinks::build`]).
    pub extra_sinks: Vec<keytrail_aws::sinks::ExtraSink>,
    /// The alert claims in the state table, when `STATE_TABLE` names one.
    pub ledger: Option<Ledger>,
    /// The function's name, for metrics.
    pub function_name: String,
    /// Log file validation, when on (`STATE_TABLE` set and `INTEGRITY` not `off`).
    pub integrity: Option<Arc<Integrity>>,
}

/// The SNS sink on the alert topic, its messages in the configured `ALERT_FORMAT` (keytrail's
/// alert or an OCSF Detection Finding), with clients from `sdk`.
pub fn sns_sink(config: &Config, sdk: &aws_config::SdkConfig) -> SnsSink {
    SnsSink::new(
        keytrail_aws::client::sns_client(sdk),
        config.alert_topic_arn.clone(),
    )
    .with_format(config.alert_format)
}

/// The alert claims of the state table the configuration names, on `client`.
pub fn ledger(config: &Config, client: aws_sdk_dynamodb::Client) -> Option<Ledger> {
    config
        .idempotency
        .as_ref()
        .map(|i| Ledger::new(StateTable::new(client, i.table.clone()), i.lease, i.ttl))
}

/// The integrity check the configuration asks for, with these clients.
pub fn integrity(
    config: &Config,
    dynamodb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
    cloudtrail: aws_sdk_cloudtrail::Client,
) -> Option<Arc<Integrity>> {
    let settings = config.integrity?;
    let table = config.idempotency.as_ref()?.table.clone();
    Some(Arc::new(Integrity::new(
        settings,
        StateTable::new(dynamodb, table),
        s3,
        cloudtrail,
        config.max_decompressed_bytes,
    )))
}

impl<S, K> App<S, K> {
    /// The scan options the configuration implies.
    pub fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            read: ReadOptions {
                max_decompressed_bytes: self.config.max_decompressed_bytes,
                ..ReadOptions::default()
            },
            min_severity: self.config.min_severity,
            pipelined: self.config.pipelined,
        }
    }
}

/// Loads the rules the configuration asks for: the built-in pack, `RULES_DIRS`, and every
/// `*.yml`/`*.yaml` under `RULES_S3_URI`. Any rule that does not load fails the cold start, with
/// every problem named (the suppressions are checked against the rules next: [`storm::control`]).
/// Correlation rules that cannot run (no state table, `CORRELATIONS=off`) are named once.
pub async fn load_rules(config: &Config, s3: &S3Source) -> anyhow::Result<RuleSet> {
    let mut extra = Vec::new();
    if let Some((bucket, prefix)) = &config.rules_s3 {
        let keep = |key: &str| key.ends_with(".yml") || key.ends_with(".yaml");
        for object in s3.list(bucket, prefix, None, &keep).await? {
            let text = s3.get_text(bucket, &object.key).await?;
            extra.push((object.uri(), text));
        }
    }
    let options = LoadOptions {
        dirs: config.rules_dirs.clone(),
        sources: extra,
        ..LoadOptions::default()
    };
    let loaded = RuleSet::load(&options).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "{} rule(s) could not be loaded: {}",
            errors.len(),
            lines.join("; ")
        )
    })?;
    correlate::warn_unevaluated(
        &loaded.set,
        config.idempotency.is_some(),
        config.correlations,
    );
    Ok(loaded.set)
}
