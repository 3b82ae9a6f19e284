//! Posting to a Slack webhook, with retries that respect Slack.
//!
//! One POST per alert. A 2xx is delivered. A 429 waits what `Retry-After` says (capped) and tries
//! again; a 5xx, a timeout or a connection error waits an exponential backoff and tries again,
//! up to [`RetryPolicy::max_attempts`] and within [`RetryPolicy::max_wait`] of waiting in all. Any
//! other status (400 `invalid_payload`, 403, 404 `no_service`, 410 `channel_is_archived`) will not
//! pass on retry and fails at once. A post that still fails is an error: the invocation fails, SNS
//! retries the delivery, and the subscription's dead-letter queue keeps what never got through.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use keytrail_core::render::text;

use crate::webhook::WebhookUrl;

/// How hard to try one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff after a 5xx or a connection error; it doubles each time.
    pub base_backoff: Duration,
    /// The most waiting, in all, between attempts of one post (`Retry-After` included).
    pub max_wait: Duration,
    /// How long one request may take, answer included.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// A post that failed.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// Slack refused the message in a way a retry will not change.
    #[error("slack refused the message with HTTP {status} ({body}): check the webhook secret (revoked webhook, archived channel) and the payload")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Slack's answer, cleaned and cut.
        body: String,
    },
    /// Slack did not take the message within the attempts and waiting allowed.
    #[error("slack did not take the message after {attempts} attempt(s), last {last}: sns will retry the delivery")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The request could not be built (a bug, or an unusable TLS setup).
    #[error("the slack request could not be built: {0}")]
    Request(String),
}

impl PostError {
    /// True when a later try (SNS's redelivery) may pass.
    pub fn is_retryable(&self) -> bool {
        matches!(self, PostError::GaveUp { .. })
    }
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    Retry { wait: Option<Duration>, why: String },
    Refused { status: u16, body: String },
}

/// An HTTPS client for Slack webhooks (rustls with ring, the system's root certificates).
#[derive(Debug, Clone)]
pub struct SlackClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    policy: RetryPolicy,
}

impl SlackClient {
    /// A client that tries each post as `policy` says.
    pub fn new(policy: RetryPolicy) -> Result<SlackClient, PostError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| PostError::Request(format!("no root certificates: {e}")))?
            // Only loopback webhooks may be plain http (see `webhook::parse_secret`).
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(SlackClient { client, policy })
    }

    /// Posts `payload` (the JSON message) to `url`; the number of attempts it took.
    pub async fn post(&self, url: &WebhookUrl, payload: &[u8]) -> Result<u32, PostError> {
        let body = Bytes::copy_from_slice(payload);
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (wait, why) = match self.attempt(url, body.clone()).await? {
                Attempt::Delivered => return Ok(attempt),
                Attempt::Refused { status, body } => {
                    return Err(PostError::Refused { status, body })
                }
                Attempt::Retry { wait, why } => (wait, why),
            };
            let backoff = self.policy.base_backoff * 2u32.saturating_pow(attempt - 1);
            let wait = wait.unwrap_or(backoff);
            if attempt >= self.policy.max_attempts || waited + wait > self.policy.max_wait {
                return Err(PostError::GaveUp {
                    attempts: attempt,
                    last: why,
                });
            }
            tracing::warn!(attempt, wait_ms = wait.as_millis(), reason = %why, "slack post will be retried");
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }

    async fn attempt(&self, url: &WebhookUrl, body: Bytes) -> Result<Attempt, PostError> {
        let request = http::Request::post(url.uri().clone())
            .header(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(Full::new(body))
            .map_err(|e| PostError::Request(e.to_string()))?;
        let exchange = async {
            let response = self.client.request(request).await?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // Slack's answers are a word or two; a stand-in that sends more is cut off.
            let body = Limited::new(response.into_body(), 4096)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, hyper_util::client::legacy::Error>((status, retry_after, body))
        };
        let (status, retry_after, body) =
            match tokio::time::timeout(self.policy.request_timeout, exchange).await {
                Err(_) => {
                    return Ok(Attempt::Retry {
                        wait: None,
                        why: format!("no answer within {:?}", self.policy.request_timeout),
                    })
                }
                // The error chain names the failure (connect, reset), never the URL.
                Ok(Err(e)) => {
                    return Ok(Attempt::Retry {
                        wait: None,
                        why: error_chain(&e),
                    })
                }
                Ok(Ok(answer)) => answer,
            };
        let body = text::line(&String::from_utf8_lossy(&body), 200);
        Ok(if status.is_success() {
            Attempt::Delivered
        } else if status == http::StatusCode::TOO_MANY_REQUESTS {
            Attempt::Retry {
                wait: Some(retry_after.unwrap_or(Duration::from_secs(1))),
                why: format!("HTTP 429 ({body})"),
            }
        } else if status.is_server_error() {
            Attempt::Retry {
                wait: None,
                why: format!("HTTP {} ({body})", status.as_u16()),
            }
        } else {
            Attempt::Refused {
                status: status.as_u16(),
                body,
            }
        })
    }
}

/// An error and its sources, `a: b: c`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
