//! Configuration from the environment, validated once at cold start.
//!
//! The environment names the secrets that hold the webhook URLs, never the URLs themselves: a
//! webhook URL is a credential (anyone holding it can post to the channel).

pub use keytrail_aws::env::ConfigError;
use keytrail_aws::env::{self, Env};
use keytrail_core::Severity;

/// The notifier's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `SLACK_WEBHOOK_SECRET_ARN` (required): the Secrets Manager secret (ARN or name) holding the
    /// webhook URL, as the bare URL or as JSON `{"url": "..."}`.
    pub webhook_secret: String,
    /// `SLACK_CRITICAL_WEBHOOK_SECRET_ARN`: a second webhook for high and critical alerts, which
    /// then go there instead of to the first.
    pub critical_webhook_secret: Option<String>,
    /// `MIN_SEVERITY` (default `low`): alerts below it are not posted.
    pub min_severity: Severity,
}

impl Config {
    /// Reads the configuration through `var` (the process environment in production).
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut env = Env::new(var);
        let secret_id = |id: &str| {
            if id.contains(char::is_whitespace) {
                Err("has whitespace in it: give the ARN of a Secrets Manager secret".to_owned())
            } else {
                Ok(id.to_owned())
            }
        };
        let webhook_secret = env
            .required(
                "SLACK_WEBHOOK_SECRET_ARN",
                "give the ARN of the Secrets Manager secret that holds the Slack webhook URL",
                secret_id,
            )
            .unwrap_or_default();
        let critical_webhook_secret = env.optional("SLACK_CRITICAL_WEBHOOK_SECRET_ARN", secret_id);
        let min_severity = env
            .optional("MIN_SEVERITY", env::severity)
            .unwrap_or(Severity::Low);
        env.finish(Config {
            webhook_secret,
            critical_webhook_secret,
            min_severity,
        })
    }
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

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf";

    #[test]
    fn defaults_and_values() {
        let c = env(&[("SLACK_WEBHOOK_SECRET_ARN", ARN)]).unwrap();
        assert_eq!(c.webhook_secret, ARN);
        assert_eq!(c.critical_webhook_secret, None);
        assert_eq!(c.min_severity, Severity::Low);
        let c = env(&[
            ("SLACK_WEBHOOK_SECRET_ARN", ARN),
            ("SLACK_CRITICAL_WEBHOOK_SECRET_ARN", " other "),
            ("MIN_SEVERITY", "HIGH"),
        ])
        .unwrap();
        assert_eq!(c.critical_webhook_secret.as_deref(), Some("other"));
        assert_eq!(c.min_severity, Severity::High);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let err = env(&[
            ("SLACK_CRITICAL_WEBHOOK_SECRET_ARN", "two words"),
            ("MIN_SEVERITY", "severe"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for needle in [
            "SLACK_WEBHOOK_SECRET_ARN is not set: give the ARN of the Secrets Manager secret",
            "SLACK_CRITICAL_WEBHOOK_SECRET_ARN=\"two words\" has whitespace",
            "MIN_SEVERITY=\"severe\" is not a severity",
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        assert_eq!(err.0.len(), 3);
    }
}
