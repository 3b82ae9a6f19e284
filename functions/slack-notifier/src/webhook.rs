//! The webhook URL: read from Secrets Manager once, validated, and never shown.
//!
//! [`WebhookUrl`] has no `Display`, and its `Debug` prints only the host, so neither a log line
//! nor an error message can carry the secret path. Errors name the secret, never its value.

use std::fmt;

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use http::Uri;

/// A Slack incoming-webhook URL. `Debug` shows the host only.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Uri);

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({}/…redacted)", self.0.host().unwrap_or("?"))
    }
}

impl WebhookUrl {
    /// The URL, for the request only.
    pub(crate) fn uri(&self) -> &Uri {
        &self.0
    }
}

/// A webhook secret that could not be read or does not hold a webhook URL.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Secrets Manager did not return the secret.
    #[error("could not read the slack webhook secret {secret}: {reason}: check the ARN and that the function's role may call secretsmanager:GetSecretValue on it")]
    Read {
        /// The secret's ARN or name.
        secret: String,
        /// What went wrong.
        reason: String,
    },
    /// The secret holds something else.
    #[error("the slack webhook secret {secret} {problem}: store the webhook URL (https://hooks.slack.com/services/...) as the secret string, bare or as {{\"url\": \"...\"}}")]
    Invalid {
        /// The secret's ARN or name.
        secret: String,
        /// What is wrong with it (never its value).
        problem: &'static str,
    },
}

/// The webhook URL in a secret string: the bare URL, or JSON `{"url": "..."}`. Only `https://`
/// URLs, or `http://` to a loopback host (local stand-ins in tests).
pub fn parse_secret(secret: &str, value: &str) -> Result<WebhookUrl, WebhookError> {
    let invalid = |problem| WebhookError::Invalid {
        secret: secret.to_owned(),
        problem,
    };
    let value = value.trim();
    let url = if value.starts_with('{') {
        let json: serde_json::Value =
            serde_json::from_str(value).map_err(|_| invalid("is not valid JSON"))?;
        json.get("url")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| invalid("is JSON without a string \"url\" key"))?
            .trim()
            .to_owned()
    } else {
        value.to_owned()
    };
    let uri: Uri = url.parse().map_err(|_| invalid("does not hold a URL"))?;
    let loopback = matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if loopback => {}
        _ => return Err(invalid("does not hold an https:// URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("holds a URL without a host"));
    }
    Ok(WebhookUrl(uri))
}

/// Reads and parses the webhook secret `secret` (ARN or name).
pub async fn load(
    client: &aws_sdk_secretsmanager::Client,
    secret: &str,
) -> Result<WebhookUrl, WebhookError> {
    let out = client
        .get_secret_value()
        .secret_id(secret)
        .send()
        .await
        .map_err(|e| WebhookError::Read {
            secret: secret.to_owned(),
            reason: DisplayErrorContext(&e).to_string(),
        })?;
    let value = out.secret_string().ok_or_else(|| WebhookError::Invalid {
        secret: secret.to_owned(),
        problem: "has no secret string (binary secrets are not read)",
    })?;
    parse_secret(secret, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOOK: &str = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX";

    #[test]
    fn bare_and_json_secrets() {
        for value in [
            HOOK.to_owned(),
            format!(" {HOOK}\n"),
            format!("{{\"url\": \"{HOOK}\"}}"),
        ] {
            assert_eq!(parse_secret("s", &value).unwrap().uri(), HOOK, "{value}");
        }
        assert!(parse_secret("s", "http://127.0.0.1:9/hook").is_ok());
    }

    #[test]
    fn bad_secrets_are_named_without_their_value() {
        for value in [
            "",
            "http://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX",
            "{\"webhook\": \"https://hooks.slack.com/services/XXXXSECRETXXXX\"}",
            "{not json XXXXSECRETXXXX",
            "XXXXSECRETXXXX",
            "ftp://XXXXSECRETXXXX/",
        ] {
            let err = parse_secret("arn:secret", value).unwrap_err().to_string();
            assert!(err.contains("arn:secret"), "{err}");
            assert!(!err.contains("XXXXSECRETXXXX"), "{err}");
        }
    }

    #[test]
    fn debug_hides_the_path() {
        let url = parse_secret("s", HOOK).unwrap();
        let shown = format!("{url:?}");
        assert_eq!(shown, "WebhookUrl(hooks.slack.com/…redacted)");
    }
}
