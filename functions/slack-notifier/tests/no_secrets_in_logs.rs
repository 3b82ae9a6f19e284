//! The webhook URL is a secret (whoever has its path can post to the channel): it never reaches
//! a log line, nor an error the Lambda runtime would log. The notifier logs through its own
//! subscriber (`lambda_runtime::tracing::init_default_subscriber_with_writer`, what `main`
//! installs, here at DEBUG) into a buffer while it reads its webhooks from moto's Secrets Manager
//! (a bare URL and a JSON `{"url"}` secret) and posts through every outcome: 200, 429 with
//! Retry-After, 500s then success, a persistent 503, a 400, a refused connection, and a secret
//! that is not a URL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[allow(dead_code)] // notifier.rs uses the rest of the stand-in
mod support;

use std::time::Duration;

use keytrail_core::{Alert, Severity};
use keytrail_testkit::{LogBuffer, Moto};
use lambda_runtime::Diagnostic;
use serde_json::json;
use slack_notifier::config::Config;
use slack_notifier::handler::handle;
use slack_notifier::post::{RetryPolicy, SlackClient};
use slack_notifier::webhook::parse_secret;
use slack_notifier::{App, Webhooks};
use support::{create_secret, scan_record, sns_event, FakeSlack, Reply};

/// The secret parts of the two webhook paths.
const DEFAULT_SECRET: &str = "LogTestDefaultHookSecret0001";
const CRITICAL_SECRET: &str = "LogTestCriticalHookSecret0002";
/// A secret string that is no URL: the cold-start error must not quote it.
const NOT_A_URL: &str = "hunter2-LogTestNotAUrlSecret0003";

fn default_path() -> String {
    format!("/services/TKEYTRAIL/BKEYTRAIL/{DEFAULT_SECRET}")
}

fn critical_path() -> String {
    format!("/services/TKEYTRAIL/BCRITICAL/{CRITICAL_SECRET}")
}

fn alert(severity: Severity) -> Alert {
    let record = json!({
        "eventVersion": "1.08", "eventTime": "2026-01-02T03:04:05Z",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice"},
        "eventSource": "acm.amazonaws.com", "eventName": "ExportCertificate",
        "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2",
        "requestParameters": {"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"},
        "eventID": "5f3c1d2e-0000-4000-8000-000000000002", "recipientAccountId": "123456789012"
    });
    let mut alert = scan_record(&record).into_iter().next().unwrap();
    alert.severity = severity;
    alert
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(30),
        request_timeout: Duration::from_secs(5),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_webhook_secret_in_logs_or_errors() {
    let logs = LogBuffer::default();
    // Edition 2021: set_var is safe; nextest runs this one test in this process.
    std::env::set_var("AWS_LAMBDA_LOG_LEVEL", "debug");
    std::env::remove_var("RUST_LOG");
    lambda_runtime::tracing::init_default_subscriber_with_writer(logs.make_writer());
    // What the runtime would log: every error the handler or the cold start returns.
    let mut errors: Vec<String> = Vec::new();

    let moto = Moto::start().await;
    let slack = FakeSlack::start(vec![
        Reply::status(200, "ok"),
        Reply::status(200, "ok"),
        Reply::status(429, "rate_limited").header("Retry-After", "1"),
        Reply::status(200, "ok"),
        Reply::status(500, "internal_error"),
        Reply::status(500, "internal_error"),
        Reply::status(200, "ok"),
        Reply::status(503, "service_unavailable"),
        Reply::status(503, "service_unavailable"),
        Reply::status(503, "service_unavailable"),
        Reply::status(400, "invalid_payload"),
    ])
    .await;
    let default = create_secret(&moto, "slack", &slack.url(&default_path())).await;
    let critical = create_secret(
        &moto,
        "slack-critical",
        &json!({ "url": slack.url(&critical_path()) }).to_string(),
    )
    .await;
    let bad = create_secret(&moto, "not-a-url", NOT_A_URL).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config());

    let env = |default: String, critical: Option<String>| {
        Config::from_env(&move |name| match name {
            "SLACK_WEBHOOK_SECRET_ARN" => Some(default.clone()),
            "SLACK_CRITICAL_WEBHOOK_SECRET_ARN" => critical.clone(),
            "MIN_SEVERITY" => Some("low".to_owned()),
            _ => None,
        })
        .unwrap()
    };
    match App::build(&env(bad, None), &secrets, policy(3)).await {
        Ok(_) => panic!("a secret that is no URL was accepted"),
        Err(e) => errors.push(e.to_string()),
    }
    let app = App::build(&env(default, Some(critical)), &secrets, policy(3))
        .await
        .unwrap();
    errors.push(format!("{app:?}"));

    // 200 on each webhook; 429 then 200; 500, 500, 200; 503 x3; 400.
    let high = || sns_event(&[alert(Severity::Medium)]);
    let outcomes = [
        handle(
            &app,
            sns_event(&[alert(Severity::Critical), alert(Severity::Medium)]),
        )
        .await,
        handle(&app, high()).await,
        handle(&app, high()).await,
        handle(&app, high()).await,
        handle(&app, high()).await,
    ];
    for outcome in outcomes {
        if let Err(e) = outcome {
            errors.push(e.to_string());
            errors.push(format!("{:?}", Diagnostic::from(e)));
        }
    }
    // A refused connection to a webhook of the same secret shape.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = App {
        min_severity: Severity::Low,
        webhooks: Webhooks {
            default: parse_secret(
                "test",
                &format!("http://127.0.0.1:{port}{}", default_path()),
            )
            .unwrap(),
            critical: None,
        },
        slack: SlackClient::new(policy(2)).unwrap(),
    };
    let e = handle(&refused, high()).await.unwrap_err();
    errors.push(e.to_string());
    errors.push(format!("{:?}", Diagnostic::from(e)));

    // Every outcome happened: both webhooks were posted to, and four invocations failed.
    let paths: Vec<String> = slack.received().into_iter().map(|r| r.path).collect();
    assert!(
        paths.contains(&critical_path()) && paths.contains(&default_path()),
        "{paths:?} {errors:?}"
    );
    assert_eq!(paths.len(), 11, "{paths:?}");
    let text = logs.text();
    println!(
        "{} lines of logs, {} errors",
        text.lines().count(),
        errors.len()
    );
    for said in [
        "posted alert to slack",
        "slack post will be retried",
        "HTTP 503",
    ] {
        assert!(text.contains(said), "no log line says {said:?}:\n{text}");
    }
    assert!(errors
        .iter()
        .any(|e| e.contains("does not hold an https:// URL")));
    assert!(errors.iter().any(|e| e.contains("HTTP 400")));
    assert!(errors.iter().any(|e| e.contains("after 2 attempt(s)")));

    let mut leaks = Vec::new();
    for secret in [DEFAULT_SECRET, CRITICAL_SECRET, NOT_A_URL] {
        for line in text.lines().chain(errors.iter().map(String::as_str)) {
            if line.contains(secret) {
                leaks.push(format!("{secret} in: {line}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "webhook secrets leaked:\n{}",
        leaks.join("\n")
    );
}
