//! Configuration from the environment, validated once at cold start.
//!
//! Every variable is read and checked before anything else happens, and every problem is named
//! in one error ([`keytrail_aws::env`]), so a misconfigured deployment fails its first
//! invocation with a message that says what to fix, instead of failing record by record.

use std::path::PathBuf;
use std::time::Duration;

use keytrail_aws::client::Roots;
pub use keytrail_aws::env::ConfigError;
use keytrail_aws::env::{self, Env};
use keytrail_aws::event::{KeyFilter, KEY_FILTER_SYNTAX};
use keytrail_core::render::AlertFormat;
use keytrail_core::size::parse_size;
use keytrail_core::storm::StormControl;
use keytrail_core::Severity;

pub use crate::integrity::IntegrityConfig;
pub use crate::sinks::SinkConfig;

/// The function's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ALERT_TOPIC_ARN` (required): the SNS topic alerts are published to.
    pub alert_topic_arn: String,
    /// `RULES_DIRS`: extra rule directories bundled with the deployment, separated by `:` or `,`.
    pub rules_dirs: Vec<PathBuf>,
    /// `RULES_S3_URI`: extra rules under an S3 prefix, `s3://bucket/prefix/`, as (bucket, prefix).
    pub rules_s3: Option<(String, String)>,
    /// `MIN_SEVERITY` (default `informational`): alerts below it are not published.
    pub min_severity: Severity,
    /// `ALERT_FORMAT` (default `keytrail`): the SNS message's JSON, keytrail's alert schema or
    /// an OCSF Detection Finding (`ocsf`); subject, email and attributes are the same either way.
    pub alert_format: AlertFormat,
    /// `KEY_FILTER`: which keys are trail logs (default: `.json.gz` and `.json`, never digests).
    pub key_filter: KeyFilter,
    /// `MAX_DECOMPRESSED_BYTES` (default 4GiB): the decompression-bomb guard per object.
    pub max_decompressed_bytes: u64,
    /// `OBJECT_CONCURRENCY` (default 4): objects of one invocation processed at once.
    pub object_concurrency: usize,
    /// `DEADLINE_RESERVE_MS` (default 5000): how long before the invocation's deadline reading
    /// stops, leaving time to publish what was found and to fail the rest cleanly.
    pub deadline_reserve: Duration,
    /// `STATE_TABLE` (deprecated alias `IDEMPOTENCY_TABLE`): the DynamoDB state table, which
    /// keeps an alert from being published twice (and holds the integrity state); none when unset.
    pub idempotency: Option<Idempotency>,
    /// `CORRELATIONS` (`on`, the default, or `off`): whether correlation rules run, in the state
    /// table (they need `STATE_TABLE`); `off` saves their DynamoDB requests.
    pub correlations: bool,
    /// `SUPPRESS` (default none): storm control, suppression windows by rule id
    /// (`rule=1h[:by=account][:severe]`, [`keytrail_core::storm`]); they need `STATE_TABLE`. The
    /// cold start adds those the rules declare ([`crate::storm::control`]).
    pub suppress: StormControl,
    /// Log-file integrity validation: on when there is a state table, unless `INTEGRITY=off`.
    pub integrity: Option<IntegrityConfig>,
    /// `SECURITY_HUB`, `SECURITY_HUB_PRODUCT_ARN`, `EVENT_BUS`: the optional sinks.
    pub sinks: SinkConfig,
    /// `TLS_ROOTS` (default `aws`): the certificate authorities the AWS clients trust, Amazon's
    /// compiled-in roots (`aws`) or the platform's store (`system`).
    pub tls_roots: Roots,
    /// Whether large objects are decompressed on a thread of their own
    /// ([`ScanOptions::pipelined`](keytrail_core::scan::ScanOptions::pipelined)): not when
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, which Lambda sets, is under 1,769 MB, where a function
    /// has less than one vCPU and a second thread only adds hand-overs (log file hashing then
    /// runs on the reading thread too).
    pub pipelined: bool,
}

/// The memory size at which a Lambda function has the equivalent of one vCPU.
const ONE_VCPU_MB: u64 = 1769;

/// The alert claims' settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// `STATE_TABLE`: the state table's name.
    pub table: String,
    /// `IDEMPOTENCY_LEASE_SECONDS` (default 960): how long a claim keeps other invocations from
    /// publishing an alert; at least the function's timeout.
    pub lease: Duration,
    /// `IDEMPOTENCY_TTL_DAYS` (default 15): how long the table remembers a published alert;
    /// longer than any retry (SQS keeps a message at most 14 days).
    pub ttl: Duration,
}

impl Config {
    /// Reads the configuration through `var` (the process environment in production).
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut env = Env::new(var);
        let alert_topic_arn = env
            .required(
                "ALERT_TOPIC_ARN",
                "give the ARN of the SNS topic for alerts",
                |arn| {
                    if arn.starts_with("arn:") && arn.split(':').count() >= 6 {
                        Ok(arn.to_owned())
                    } else {
                        Err("is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)".to_owned())
                    }
                },
            )
            .unwrap_or_default();
        let rules_dirs: Vec<PathBuf> = env
            .get("RULES_DIRS")
            .map(|v| {
                v.split([':', ','])
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| PathBuf::from(s.trim()))
                    .collect()
            })
            .unwrap_or_default();
        for dir in &rules_dirs {
            if !dir.exists() {
                env.invalid(
                    "RULES_DIRS",
                    &dir.display().to_string(),
                    "does not exist in the deployment package",
                );
            }
        }
        let rules_s3 = env.optional("RULES_S3_URI", |uri| {
            parse_s3_uri(uri).ok_or_else(|| "is not an S3 URI (s3://bucket/prefix/)".to_owned())
        });
        let min_severity = env
            .optional("MIN_SEVERITY", env::severity)
            .unwrap_or(Severity::Informational);
        let alert_format = env
            .optional("ALERT_FORMAT", |v| {
                v.parse::<AlertFormat>().map_err(|_| {
                    format!(
                        "is not an alert format: use one of {} (keytrail is the default)",
                        AlertFormat::NAMES.join(", ")
                    )
                })
            })
            .unwrap_or_default();
        let key_filter = env
            .optional("KEY_FILTER", |v| {
                KeyFilter::parse(v)
                    .map_err(|e| format!("is invalid: {}; {KEY_FILTER_SYNTAX}", e.problem))
            })
            .unwrap_or_default();
        let max_decompressed_bytes = env
            .optional("MAX_DECOMPRESSED_BYTES", |v| match parse_size(v) {
                Ok(n) if n > 0 => Ok(n),
                Ok(_) => Err("must be more than 0".to_owned()),
                Err(_) => Err(
                    "is not a size: write a whole number of bytes with an optional \
                               unit, e.g. 4GiB or 512MiB"
                        .to_owned(),
                ),
            })
            .unwrap_or(4 << 30);
        let object_concurrency =
            usize::try_from(env.number("OBJECT_CONCURRENCY", 4, 1..=64)).unwrap_or(4);
        let deadline_reserve =
            Duration::from_millis(env.number("DEADLINE_RESERVE_MS", 5000, 0..=600_000));
        let lease = Duration::from_secs(env.number("IDEMPOTENCY_LEASE_SECONDS", 960, 1..=86_400));
        let ttl = Duration::from_secs(86_400 * env.number("IDEMPOTENCY_TTL_DAYS", 15, 1..=365));
        let correlations = env
            .optional("CORRELATIONS", |v| match v {
                "on" => Ok(true),
                "off" => Ok(false),
                _ => Err("is neither `on` (the default) nor `off`".to_owned()),
            })
            .unwrap_or(true);
        let suppress = env
            .optional("SUPPRESS", StormControl::parse)
            .unwrap_or_default();
        let table = state_table(&mut env);
        let integrity = IntegrityConfig::from_env(&mut env, table.is_some());
        let idempotency = table.map(|table| Idempotency { table, lease, ttl });
        let tls_roots = env
            .optional("TLS_ROOTS", |v| {
                Roots::parse(v).ok_or_else(|| {
                    "is neither `aws` (Amazon's roots, the default) nor `system` (the \
                     platform's certificate store)"
                        .to_owned()
                })
            })
            .unwrap_or(Roots::Aws);
        let sinks = SinkConfig::from_env(&mut env, &alert_topic_arn);
        let pipelined = env
            .get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
            .and_then(|mb| mb.trim().parse::<u64>().ok())
            .is_none_or(|mb| mb >= ONE_VCPU_MB);
        env.finish(Config {
            sinks,
            alert_topic_arn,
            rules_dirs,
            rules_s3,
            min_severity,
            alert_format,
            key_filter,
            max_decompressed_bytes,
            object_concurrency,
            deadline_reserve,
            idempotency,
            correlations,
            suppress,
            integrity,
            tls_roots,
            pipelined,
        })
    }
}

/// `STATE_TABLE`, else `IDEMPOTENCY_TABLE` (its name before the table held more than alert
/// claims, still read; deprecated). Both set to different tables is a problem.
fn state_table(env: &mut Env<'_>) -> Option<String> {
    match (env.get("STATE_TABLE"), env.get("IDEMPOTENCY_TABLE")) {
        (Some(table), Some(alias)) if table != alias => {
            env.invalid(
                "IDEMPOTENCY_TABLE",
                &alias,
                format!(
                    "names another table than STATE_TABLE ({table:?}): IDEMPOTENCY_TABLE is the \
                     deprecated name of STATE_TABLE; unset it"
                ),
            );
            Some(table)
        }
        (Some(table), _) | (None, Some(table)) => Some(table),
        (None, None) => None,
    }
}

/// `s3://bucket/prefix` into (bucket, prefix); `None` when it is not one.
pub fn parse_s3_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    valid.then(|| (bucket.to_owned(), prefix.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_env(&|k| map.get(k).cloned())
    }

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:keytrail-alerts";

    #[test]
    fn defaults_with_only_the_topic() {
        let c = env(&[("ALERT_TOPIC_ARN", TOPIC)]).unwrap();
        assert_eq!(c.alert_topic_arn, TOPIC);
        assert_eq!(c.min_severity, Severity::Informational);
        assert_eq!(c.max_decompressed_bytes, 4 << 30);
        assert_eq!(c.object_concurrency, 4);
        assert!(c.rules_dirs.is_empty() && c.rules_s3.is_none());
        assert_eq!(c.deadline_reserve, Duration::from_secs(5));
        assert_eq!(c.idempotency, None);
        assert_eq!(c.integrity, None);
        assert_eq!(c.tls_roots, Roots::Aws);
    }

    #[test]
    fn alert_format_is_keytrail_unless_ocsf_is_asked_for() {
        for (value, want) in [
            (None, Ok(AlertFormat::Keytrail)),
            (Some("keytrail"), Ok(AlertFormat::Keytrail)),
            (Some("OCSF"), Ok(AlertFormat::Ocsf)),
            (
                Some("asff"),
                Err("ALERT_FORMAT=\"asff\" is not an alert format: use one of keytrail, ocsf"),
            ),
        ] {
            let mut vars = vec![("ALERT_TOPIC_ARN", TOPIC)];
            vars.extend(value.map(|v| ("ALERT_FORMAT", v)));
            match (env(&vars), want) {
                (Ok(c), Ok(format)) => assert_eq!(c.alert_format, format, "{value:?}"),
                (Err(e), Err(needle)) => {
                    assert!(e.to_string().contains(needle), "{e}");
                }
                (got, want) => panic!("{value:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let err = env(&[
            ("MIN_SEVERITY", "severe"),
            ("MAX_DECOMPRESSED_BYTES", "lots"),
            ("RULES_S3_URI", "https://bucket/rules"),
            ("RULES_DIRS", "/nonexistent/keytrail-rules"),
            ("OBJECT_CONCURRENCY", "0"),
            ("DEADLINE_RESERVE_MS", "soon"),
            ("IDEMPOTENCY_LEASE_SECONDS", "0"),
            ("TLS_ROOTS", "mozilla"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for needle in [
            "ALERT_TOPIC_ARN is not set: give the ARN of the SNS topic for alerts",
            "MIN_SEVERITY=\"severe\" is not a severity: use one of informational, low,",
            "MAX_DECOMPRESSED_BYTES=\"lots\" is not a size",
            "RULES_S3_URI=\"https://bucket/rules\" is not an S3 URI",
            "RULES_DIRS=\"/nonexistent/keytrail-rules\" does not exist",
            "OBJECT_CONCURRENCY=\"0\" must be a whole number from 1 to 64",
            "DEADLINE_RESERVE_MS=\"soon\" must be a whole number from 0 to 600000",
            "IDEMPOTENCY_LEASE_SECONDS=\"0\" must be a whole number from 1 to 86400",
            "TLS_ROOTS=\"mozilla\" is neither `aws`",
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        assert_eq!(err.0.len(), 9);
    }

    #[test]
    fn a_function_with_less_than_one_vcpu_reads_objects_on_one_thread() {
        for (mb, want) in [
            (None, true),
            (Some("128"), false),
            (Some("1768"), false),
            (Some("1769"), true),
            (Some("10240"), true),
            (Some("lots"), true),
        ] {
            let mut vars = vec![("ALERT_TOPIC_ARN", TOPIC)];
            vars.extend(mb.map(|mb| ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", mb)));
            assert_eq!(env(&vars).unwrap().pipelined, want, "{mb:?}");
        }
    }

    #[test]
    fn parses_values() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let c = env(&[
            ("ALERT_TOPIC_ARN", TOPIC),
            ("MIN_SEVERITY", "HIGH"),
            ("MAX_DECOMPRESSED_BYTES", "512MiB"),
            ("RULES_S3_URI", "s3://my-rules/keytrail/"),
            ("RULES_DIRS", &format!("{d}:{d}")),
            ("DEADLINE_RESERVE_MS", "250"),
            ("IDEMPOTENCY_TABLE", "keytrail-published"),
            ("IDEMPOTENCY_LEASE_SECONDS", "120"),
            ("IDEMPOTENCY_TTL_DAYS", "2"),
            ("TLS_ROOTS", "System"),
        ])
        .unwrap();
        assert_eq!(c.tls_roots, Roots::System);
        assert_eq!(c.deadline_reserve, Duration::from_millis(250));
        assert_eq!(
            c.idempotency,
            Some(Idempotency {
                table: "keytrail-published".to_owned(),
                lease: Duration::from_secs(120),
                ttl: Duration::from_secs(2 * 86_400),
            })
        );
        assert_eq!(c.min_severity, Severity::High);
        assert_eq!(c.max_decompressed_bytes, 512 << 20);
        assert_eq!(
            c.rules_s3,
            Some(("my-rules".to_owned(), "keytrail/".to_owned()))
        );
        assert_eq!(c.rules_dirs.len(), 2);
        let err = env(&[("ALERT_TOPIC_ARN", "keytrail-alerts")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: ALERT_TOPIC_ARN=\"keytrail-alerts\" is not an SNS topic ARN \
             (arn:aws:sns:REGION:ACCOUNT:NAME)"
        );
        let err = env(&[("ALERT_TOPIC_ARN", TOPIC), ("KEY_FILTER", "glob=*.gz")]).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "invalid configuration: KEY_FILTER=\"glob=*.gz\" is invalid: \"glob\" is \
                 neither prefix nor suffix; write comma-separated prefix=<text>"
            ),
            "{err}"
        );
    }

    #[test]
    fn state_table_or_its_deprecated_alias() {
        let table = |pairs: &[(&str, &str)]| {
            let mut all = vec![("ALERT_TOPIC_ARN", TOPIC)];
            all.extend_from_slice(pairs);
            env(&all).map(|c| (c.idempotency.map(|i| i.table), c.integrity.is_some()))
        };
        let named = |t: &str| Ok((Some(t.to_owned()), true));
        assert_eq!(table(&[("STATE_TABLE", "state")]), named("state"));
        assert_eq!(table(&[("IDEMPOTENCY_TABLE", "old")]), named("old"));
        let both = [("STATE_TABLE", "state"), ("IDEMPOTENCY_TABLE", "state")];
        assert_eq!(table(&both), named("state"));
        let err = table(&[("STATE_TABLE", "state"), ("IDEMPOTENCY_TABLE", "old")]).unwrap_err();
        assert!(
            err.to_string().contains(
                "IDEMPOTENCY_TABLE=\"old\" names another table than STATE_TABLE (\"state\")"
            ),
            "{err}"
        );
    }

    #[test]
    fn s3_uris() {
        for (uri, want) in [
            ("s3://b-1.x/p/", Some(("b-1.x", "p/"))),
            ("s3://bucket", Some(("bucket", ""))),
            ("s3://Bucket/x", None),
            ("s3://ab/x", None),
            ("http://bucket/x", None),
        ] {
            let got = parse_s3_uri(uri);
            assert_eq!(
                got.as_ref().map(|(b, p)| (b.as_str(), p.as_str())),
                want,
                "{uri}"
            );
        }
    }
}
