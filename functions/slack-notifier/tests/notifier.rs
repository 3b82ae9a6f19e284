//! The notifier end to end, in-process: webhook secrets in moto's Secrets Manager, a local
//! stand-in for Slack that records what it receives and answers from a script (200, 429 with
//! Retry-After, 500s, 400), and SNS events built from real alerts the way the trail-processor
//! publishes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use keytrail_core::render::{sns_message_as, AlertFormat};
use keytrail_core::{Alert, Severity};
use keytrail_testkit::Moto;
use lambda_runtime::Diagnostic;
use serde_json::json;
use slack_notifier::config::Config;
use slack_notifier::handler::{handle, HandlerError};
use slack_notifier::post::{RetryPolicy, SlackClient};
use slack_notifier::webhook::parse_secret;
use slack_notifier::{App, Webhooks};
use support::{create_secret, scan_record, sns_event, FakeSlack, Reply};

const HOOK_PATH: &str = "/services/T000/B000/XXXXSECRETXXXX";

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_millis(50),
        max_wait: Duration::from_secs(30),
        request_timeout: Duration::from_secs(5),
    }
}

/// An export alert raised by the built-in rules from a record with a hostile user agent and ARN.
fn alert(severity: Severity) -> Alert {
    let record = json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "accountId": "123456789012",
            "arn": "arn:aws:sts::123456789012:assumed-role/Deploy/<@U024BE7LH>"},
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": "acm.amazonaws.com",
        "eventName": "ExportCertificate",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "<!channel> <https://evil.example|click> \u{7}",
        "requestParameters": {"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"},
        "eventID": "5f3c1d2e-0000-4000-8000-000000000001",
        "recipientAccountId": "123456789012"
    });
    let mut alert = scan_record(&record)
        .into_iter()
        .find(|a| a.rule_id == "acm-export-certificate")
        .unwrap();
    alert.severity = severity;
    alert
}

/// An app posting to `slack` (no Secrets Manager: the webhook tests below cover that).
fn app(slack: &FakeSlack, policy: RetryPolicy) -> App {
    App {
        min_severity: Severity::Low,
        webhooks: Webhooks {
            default: parse_secret("test", &slack.url(HOOK_PATH)).unwrap(),
            critical: None,
        },
        slack: SlackClient::new(policy).unwrap(),
    }
}

#[tokio::test]
async fn posts_block_kit_routed_by_severity_with_webhooks_from_secrets_manager() {
    let moto = Moto::start().await;
    let slack = FakeSlack::start(vec![]).await;
    let default = create_secret(&moto, "slack", &slack.url(HOOK_PATH)).await;
    let critical_url = slack.url("/services/CRITICAL");
    let critical = create_secret(
        &moto,
        "slack-critical",
        &json!({ "url": critical_url }).to_string(),
    )
    .await;
    let config = Config::from_env(&|name| match name {
        "SLACK_WEBHOOK_SECRET_ARN" => Some(default.clone()),
        "SLACK_CRITICAL_WEBHOOK_SECRET_ARN" => Some(critical.clone()),
        "MIN_SEVERITY" => Some("medium".to_owned()),
        _ => None,
    })
    .unwrap();
    let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config());
    let app = App::build(&config, &secrets, policy()).await.unwrap();
    let debug = format!("{app:?}");
    assert!(
        !debug.contains("XXXXSECRETXXXX") && !debug.contains("CRITICAL"),
        "{debug}"
    );

    let alerts = [
        alert(Severity::Critical),
        alert(Severity::Medium),
        alert(Severity::Low),
    ];
    let out = handle(&app, sns_event(&alerts)).await.unwrap();
    assert_eq!(out, json!({"records": 3, "posted": 2, "skipped": 1}));

    let received = slack.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/services/CRITICAL", HOOK_PATH]);
    for r in &received {
        assert_eq!(r.method, "POST");
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
    }
    let critical_body = &received[0].body;
    assert_eq!(
        critical_body,
        &keytrail_core::render::slack_message(&alerts[0])
    );
    assert_eq!(
        critical_body["blocks"][0]["text"]["text"],
        "🚨 CRITICAL · ACM certificate exported with its private key"
    );
    let wire = critical_body.to_string();
    assert!(
        !wire.contains("<!channel>") && !wire.contains("<@U") && !wire.contains("<https://evil")
    );
    assert!(wire.contains("&lt;!channel&gt;"));
}

#[tokio::test]
async fn missing_or_bad_secrets_fail_the_cold_start_naming_the_secret() {
    let moto = Moto::start().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config());
    let bad = create_secret(&moto, "not-a-url", "hunter2-XXXXSECRETXXXX").await;
    for (secret, want) in [
        (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf",
            "could not read the slack webhook secret",
        ),
        (bad.as_str(), "does not hold an https:// URL"),
    ] {
        let config = Config::from_env(&|name| {
            (name == "SLACK_WEBHOOK_SECRET_ARN").then(|| secret.to_owned())
        })
        .unwrap();
        let err = App::build(&config, &secrets, policy())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(secret) && err.contains(want), "{err}");
        assert!(!err.contains("XXXXSECRETXXXX"), "{err}");
    }
}

#[tokio::test]
async fn a_429_waits_what_retry_after_says() {
    let slack = FakeSlack::start(vec![
        Reply::status(429, "rate_limited").header("Retry-After", "1")
    ])
    .await;
    let app = app(&slack, policy());
    handle(&app, sns_event(&[alert(Severity::High)]))
        .await
        .unwrap();
    let received = slack.received();
    assert_eq!(received.len(), 2);
    let gap = received[1].at - received[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    assert_eq!(received[0].body, received[1].body);
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_fails_retryably_at_once() {
    let slack = FakeSlack::start(vec![
        Reply::status(429, "rate_limited").header("Retry-After", "120")
    ])
    .await;
    let app = app(&slack, policy());
    let err = handle(&app, sns_event(&[alert(Severity::High)]))
        .await
        .unwrap_err();
    assert_eq!(slack.received().len(), 1);
    assert_eq!(Diagnostic::from(err).error_type, "Retryable");
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let slack = FakeSlack::start(vec![
        Reply::status(500, "internal_error"),
        Reply::status(500, "internal_error"),
    ])
    .await;
    let app = app(&slack, policy());
    handle(&app, sns_event(&[alert(Severity::High)]))
        .await
        .unwrap();
    let received = slack.received();
    assert_eq!(received.len(), 3);
    let first = received[1].at - received[0].at;
    let second = received[2].at - received[1].at;
    assert!(first >= Duration::from_millis(50), "{first:?}");
    assert!(
        second >= Duration::from_millis(100),
        "backoff doubles: {second:?}"
    );
}

#[tokio::test]
async fn persistent_server_errors_fail_the_invocation_for_sns_to_retry() {
    let slack = FakeSlack::start(vec![Reply::status(503, "service_unavailable"); 10]).await;
    let app = app(&slack, policy());
    let err = handle(&app, sns_event(&[alert(Severity::High)]))
        .await
        .unwrap_err();
    assert_eq!(slack.received().len(), 4, "max_attempts");
    let text = err.to_string();
    assert!(
        text.contains("after 4 attempt(s), last HTTP 503 (service_unavailable)"),
        "{text}"
    );
    assert!(!text.contains("XXXXSECRETXXXX"), "{text}");
    assert_eq!(Diagnostic::from(err).error_type, "Retryable");
}

#[tokio::test]
async fn a_400_is_not_retried_and_fails_the_invocation() {
    let slack = FakeSlack::start(vec![Reply::status(400, "invalid_payload")]).await;
    let app = app(&slack, policy());
    let err = handle(&app, sns_event(&[alert(Severity::High)]))
        .await
        .unwrap_err();
    assert_eq!(slack.received().len(), 1);
    let diagnostic = Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "NonRetryable");
    assert!(
        diagnostic
            .error_message
            .contains("HTTP 400 (invalid_payload)"),
        "{}",
        diagnostic.error_message
    );
}

#[tokio::test]
async fn connection_errors_are_retried_then_fail_retryably() {
    // A port that was free a moment ago: nothing listens there now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let slack = FakeSlack::start(vec![]).await;
    let mut app = app(
        &slack,
        RetryPolicy {
            max_attempts: 2,
            ..policy()
        },
    );
    app.webhooks.default = parse_secret("test", &format!("http://127.0.0.1:{port}/hook")).unwrap();
    let err = handle(&app, sns_event(&[alert(Severity::High)]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("after 2 attempt(s)"), "{err}");
    assert_eq!(Diagnostic::from(err).error_type, "Retryable");
}

#[tokio::test]
async fn one_failed_record_fails_the_invocation_after_the_others_are_posted() {
    let slack = FakeSlack::start(vec![]).await;
    let app = app(&slack, policy());
    let mut event = sns_event(&[alert(Severity::High), alert(Severity::High)]);
    event["Records"][0]["Sns"]["Message"] = json!("not an alert");
    let err = handle(&app, event).await.unwrap_err();
    assert!(
        matches!(
            err,
            HandlerError::Alerts {
                failed: 1,
                total: 2,
                retryable: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("m-0 is not a keytrail alert"),
        "{err}"
    );
    assert_eq!(slack.received().len(), 1);

    let err = handle(&app, json!({"Records": "nope"})).await.unwrap_err();
    assert!(matches!(err, HandlerError::Shape(_)), "{err}");
    assert_eq!(Diagnostic::from(err).error_type, "NonRetryable");
}

/// With `ALERT_FORMAT=ocsf` the topic carries OCSF findings: the notifier reads each back as
/// its alert and posts exactly what it posts for keytrail's own schema.
#[tokio::test]
async fn an_ocsf_finding_posts_the_same_slack_message() {
    let slack = FakeSlack::start(vec![]).await;
    let app = app(&slack, policy());
    let alerts = [alert(Severity::High)];
    let mut event = sns_event(&alerts);
    let message = sns_message_as(&alerts[0], AlertFormat::Ocsf, 0).message;
    let doc: serde_json::Value = serde_json::from_str(&message).unwrap();
    assert!(doc["default"]
        .as_str()
        .unwrap()
        .contains("\"class_uid\":2004"));
    event["Records"][0]["Sns"]["Message"] = doc["default"].clone();
    let out = handle(&app, event).await.unwrap();
    assert_eq!(out, json!({"records": 1, "posted": 1, "skipped": 0}));
    assert_eq!(
        slack.received()[0].body,
        keytrail_core::render::slack_message(&alerts[0])
    );
}
