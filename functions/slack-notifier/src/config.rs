//! Configuration from the environment, validated once at cold start.
//!
//! The environment names the secrets that hold the webhook URLs, never the URLs themselves: a
//! webhook URL is a credential (anyone holding it can post to the channel).

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

/// Everything wrong with the environment.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", .0.join("; "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads the configuration through `var` (the process environment in production).
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut secret = |name: &str, required: bool| match get(name) {
            Some(id) if id.contains(char::is_whitespace) => {
                problems.push(format!(
                    "{name} has whitespace in it: give the ARN of a Secrets Manager secret"
                ));
                None
            }
            Some(id) => Some(id),
            None if required => {
                problems.push(format!(
                    "{name} is not set: give the ARN of the Secrets Manager secret that holds \
                     the Slack webhook URL"
                ));
                None
            }
            None => None,
        };
        let webhook_secret = secret("SLACK_WEBHOOK_SECRET_ARN", true);
        let critical_webhook_secret = secret("SLACK_CRITICAL_WEBHOOK_SECRET_ARN", false);
        let min_severity = match get("MIN_SEVERITY").map(|v| v.parse::<Severity>()) {
            None => Severity::Low,
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                problems.push(format!("MIN_SEVERITY: {e}"));
                Severity::Low
            }
        };
        match webhook_secret {
            Some(webhook_secret) if problems.is_empty() => Ok(Config {
                webhook_secret,
                critical_webhook_secret,
                min_severity,
            }),
            _ => Err(ConfigError(problems)),
        }
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
            "SLACK_WEBHOOK_SECRET_ARN is not set",
            "SLACK_CRITICAL_WEBHOOK_SECRET_ARN has whitespace",
            "MIN_SEVERITY",
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        assert_eq!(err.0.len(), 3);
    }
}
