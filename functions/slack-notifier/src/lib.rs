//! slack-notifier: keytrail's alerts, from SNS to a Slack channel.
//!
//! `main.rs` builds an [`App`] once at cold start: the configuration validated ([`config`]),
//! the webhook URLs read from Secrets Manager and kept in memory ([`webhook`]), an HTTPS client
//! ([`post`]). Every invocation goes to [`handler::handle`], which renders each alert with
//! [`keytrail_core::render::slack_message`] and posts it. The same `App` runs in-process in the
//! integration tests, against moto's Secrets Manager and a local stand-in for Slack.
//!
//! Logs: untrusted text (SNS message ids, alert ids, error messages) goes into string fields,
//! never into `%` Display fields or the message, so the text log format escapes it and the JSON
//! format quotes it, as in the trail-processor.
#![warn(missing_docs)]

pub mod config;
pub mod handler;
pub mod post;
pub mod webhook;

use keytrail_core::Severity;

use crate::config::Config;
use crate::post::{RetryPolicy, SlackClient};
use crate::webhook::{WebhookError, WebhookUrl};

/// The webhooks alerts go to.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// Where every alert goes, unless it has a critical webhook.
    pub default: WebhookUrl,
    /// Where high and critical alerts go, when set.
    pub critical: Option<WebhookUrl>,
}

impl Webhooks {
    /// Reads the webhook secrets the configuration names.
    pub async fn load(
        config: &Config,
        client: &aws_sdk_secretsmanager::Client,
    ) -> Result<Webhooks, WebhookError> {
        let default = webhook::load(client, &config.webhook_secret).await?;
        let critical = match &config.critical_webhook_secret {
            Some(secret) => Some(webhook::load(client, secret).await?),
            None => None,
        };
        Ok(Webhooks { default, critical })
    }

    /// The webhook for an alert of `severity`, and whether it is the critical one.
    pub fn for_severity(&self, severity: Severity) -> (&WebhookUrl, bool) {
        match &self.critical {
            Some(critical) if severity >= Severity::High => (critical, true),
            _ => (&self.default, false),
        }
    }
}

/// Everything an invocation needs, built once.
#[derive(Debug)]
pub struct App {
    /// Alerts below this are not posted.
    pub min_severity: Severity,
    /// Where alerts go.
    pub webhooks: Webhooks,
    /// The HTTPS client.
    pub slack: SlackClient,
}

impl App {
    /// Builds the app: reads the webhook secrets and makes the client.
    pub async fn build(
        config: &Config,
        secrets: &aws_sdk_secretsmanager::Client,
        policy: RetryPolicy,
    ) -> anyhow::Result<App> {
        Ok(App {
            min_severity: config.min_severity,
            webhooks: Webhooks::load(config, secrets).await?,
            slack: SlackClient::new(policy)?,
        })
    }
}
