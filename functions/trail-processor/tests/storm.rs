//! Storm control in the Lambda, against moto's DynamoDB and SNS through the real SDK: with
//! `SUPPRESS=acm-export-certificate=1h:severe`, a burst of exports by one principal sends one
//! alert, then the scheduled invocation after the window's end sends one summary of the rest,
//! once; the same holds when the burst is split across objects read by concurrent invocations
//! and one object is retried; each principal has its own window; a late export after the
//! summary gets a summary of its own; a first alert or a summary that failed to publish is sent
//! by the retry, once; and a suppression on a high rule without the `:severe` opt-in is refused
//! at cold start and never applied.
//!
//! Correlations are off (`CORRELATIONS=off`): three exports by one principal would also fire
//! `acm-bulk-export`, which these counts leave out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use keytrail_aws::s3::S3Source;
use keytrail_aws::sns::{AlertSink, SnsSink};
use keytrail_core::rules::{LoadOptions, RuleSet};
use keytrail_core::Alert;
use keytrail_testkit::{Moto, ReceivedMessage, Stack};
use serde_json::{json, Value};
use support::*;
use trail_processor::config::Config;
use trail_processor::handler::handle;
use trail_processor::App;

const TABLE: &str = "keytrail-state";
const RULE: &str = "acm-export-certificate";
const ALICE: &str = "arn:aws:sts::123456789012:assumed-role/r/alice";
/// The environment of every app here: the state table, a 1 hour suppression of the export rule
/// (high, so opted in), integrity and correlations off (not under test).
const ENV: [(&str, &str); 4] = [
    ("STATE_TABLE", TABLE),
    ("INTEGRITY", "off"),
    ("CORRELATIONS", "off"),
    ("SUPPRESS", "acm-export-certificate=1h:severe"),
];

/// `n` exports by `who` between 10:05 and 10:5x (one hour window, 10:00-11:00).
fn burst(who: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            export(
                &format!("00000000-0000-4000-8000-{who:0>6}{i:06}"),
                &format!("10:{:02}", 5 + i),
                who,
            )
        })
        .collect()
}

async fn stack() -> (Moto, Stack) {
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, TABLE).await;
    (moto, stack)
}

/// Delivers `key` to `app`, which must succeed.
async fn deliver<K: AlertSink + 'static>(app: &Arc<App<S3Source, K>>, key: &str) {
    handle(app, s3_put(key)).await.unwrap();
}

/// The EventBridge schedule's event at `time` (`HH:MM` on 2026-12-07).
fn scheduled(time: &str) -> Value {
    json!({
        "version": "0", "id": "5e1c0b8a-0000-4000-8000-000000000001",
        "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
        "time": format!("2026-12-07T{time}:00Z"), "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/keytrail-integrity-check"],
        "detail": {}
    })
}

/// Runs the schedule at `time`; answers the summaries it says it published.
async fn schedule<K: AlertSink + 'static>(app: &Arc<App<S3Source, K>>, time: &str) -> u64 {
    let answer = handle(app, scheduled(time)).await.unwrap();
    answer["summaries"].as_u64().unwrap()
}

/// The alerts of the export rule on the queue: (one by one, summaries).
async fn received(stack: &Stack, expected: usize) -> (Vec<Value>, Vec<Value>) {
    let all: Vec<(ReceivedMessage, Value)> = alerts(stack, expected).await;
    let counts = alert_id_counts(&all);
    assert!(
        counts.values().all(|&n| n == 1),
        "each alert once: {counts:?}"
    );
    let of_rule: Vec<Value> = all.into_iter().map(|(_, a)| a).collect();
    assert!(of_rule.iter().all(|a| a["rule_id"] == RULE), "{of_rule:?}");
    of_rule
        .into_iter()
        .partition(|a| a["event"]["suppression"].is_null())
}

/// Asserts that `summary` reports `more` suppressed exports by `who`.
fn says(summary: &Value, who: &str, more: u64) {
    assert_eq!(summary["event"]["suppression"]["more"], more, "{summary}");
    assert_eq!(summary["principal"], who, "{summary}");
    assert_eq!(summary["severity"], "high", "{summary}");
    assert_eq!(
        summary["title"],
        format!("ACM certificate exported with its private key: {more} more in 1h"),
        "{summary}"
    );
    assert_eq!(
        summary["event"]["suppression"]["window"],
        json!({"start": "2026-12-07T10:00:00Z", "end": "2026-12-07T11:00:00Z"})
    );
}

#[tokio::test]
async fn a_burst_sends_one_alert_then_one_summary_after_its_window() {
    const N: usize = 6;
    let (moto, stack) = stack().await;
    let app = app(&moto, &stack.topic_arn, &ENV);
    deliver(&app, &object(&moto, "burst", burst("alice", N)).await).await;
    let (sent, summaries) = received(&stack, 1).await;
    assert_eq!(sent.len(), 1, "the first export only: {sent:?}");
    assert!(summaries.is_empty());
    assert_eq!(sent[0]["event_id"], "00000000-0000-4000-8000-0alice000000");

    // Before the window's end and its settling time: nothing yet.
    assert_eq!(schedule(&app, "11:10").await, 0);
    assert!(received(&stack, 0).await.0.is_empty());

    assert_eq!(schedule(&app, "11:15").await, 1);
    let (sent, summaries) = received(&stack, 1).await;
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    says(&summaries[0], ALICE, (N - 1) as u64);

    // The next schedule: the window is summarised.
    assert_eq!(schedule(&app, "11:30").await, 0);
    let (sent, summaries) = received(&stack, 0).await;
    assert!(
        sent.is_empty() && summaries.is_empty(),
        "{sent:?} {summaries:?}"
    );
}

/// The burst's first object is delivered alone, the other three concurrently, then one of them
/// again. (The first alone because moto applies an `UpdateItem` that creates an item without a
/// lock, so two first writes of one window at once would both create it; DynamoDB applies
/// writes to one item one after the other, which the protocol relies on. Later writes update the
/// item in place, and the summary counts the window's alert items, not the counter.)
#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn a_burst_split_across_concurrent_invocations_and_a_retry_counts_once() {
    let (moto, stack) = stack().await;
    let apps: Vec<_> = (0..3).map(|_| app(&moto, &stack.topic_arn, &ENV)).collect();
    let records = burst("alice", 10);
    let mut keys = Vec::new();
    keys.push(object(&moto, "part0", records[..1].to_vec()).await);
    for (i, part) in records[1..].chunks(3).enumerate() {
        keys.push(object(&moto, &format!("part{}", i + 1), part.to_vec()).await);
    }
    deliver(&apps[0], &keys[0]).await;
    tokio::join!(
        deliver(&apps[0], &keys[3]),
        deliver(&apps[1], &keys[1]),
        deliver(&apps[2], &keys[2]),
    );
    // Retried objects (an SQS redelivery): their exports are counted already, and the first
    // one's alert is out already (the ledger).
    deliver(&apps[1], &keys[2]).await;
    deliver(&apps[2], &keys[0]).await;
    let (sent, _) = received(&stack, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["event_id"], "00000000-0000-4000-8000-0alice000000");

    assert_eq!(schedule(&apps[1], "11:20").await, 1);
    let (_, summaries) = received(&stack, 1).await;
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    says(&summaries[0], ALICE, 9);
    assert_eq!(schedule(&apps[2], "11:35").await, 0);
}

#[tokio::test]
async fn each_principal_has_a_window_of_its_own() {
    let (moto, stack) = stack().await;
    let app = app(&moto, &stack.topic_arn, &ENV);
    let mut records = burst("alice", 3);
    records.extend(burst("bob", 2));
    deliver(&app, &object(&moto, "two", records).await).await;
    let (sent, _) = received(&stack, 2).await;
    let mut who: Vec<&str> = sent
        .iter()
        .map(|a| a["principal"].as_str().unwrap())
        .collect();
    who.sort_unstable();
    assert_eq!(who, [ALICE, "arn:aws:sts::123456789012:assumed-role/r/bob"]);

    assert_eq!(schedule(&app, "11:15").await, 2);
    let (_, summaries) = received(&stack, 2).await;
    let mut more: Vec<(String, u64)> = summaries
        .iter()
        .map(|s| {
            let who = s["principal"].as_str().unwrap().rsplit('/').next().unwrap();
            (
                who.to_owned(),
                s["event"]["suppression"]["more"].as_u64().unwrap(),
            )
        })
        .collect();
    more.sort();
    assert_eq!(more, [("alice".to_owned(), 2), ("bob".to_owned(), 1)]);
}

#[tokio::test]
async fn a_high_rule_is_never_suppressed_without_the_opt_in() {
    let env = [
        ("STATE_TABLE", TABLE),
        ("INTEGRITY", "off"),
        ("CORRELATIONS", "off"),
        ("SUPPRESS", "acm-export-certificate=1h"),
    ];
    // The cold start refuses it, naming the rule and the opt-in.
    let config = Config::from_env(&|k| {
        env.iter()
            .chain(&[("ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:t")])
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap();
    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let refused = trail_processor::storm::control(&config, &rules).unwrap_err();
    assert!(
        refused.contains("\"acm-export-certificate\", which is high")
            && refused.contains("`acm-export-certificate=...:severe`"),
        "{refused}"
    );

    // And an app built with it anyway publishes every alert.
    let (moto, stack) = stack().await;
    let app = app(&moto, &stack.topic_arn, &env);
    deliver(&app, &object(&moto, "burst", burst("alice", 4)).await).await;
    let (sent, _) = received(&stack, 4).await;
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_eq!(schedule(&app, "11:15").await, 0);
}

#[tokio::test]
async fn a_late_export_after_the_summary_gets_a_summary_of_its_own() {
    let (moto, stack) = stack().await;
    let app = app(&moto, &stack.topic_arn, &ENV);
    deliver(&app, &object(&moto, "burst", burst("alice", 3)).await).await;
    assert_eq!(received(&stack, 1).await.0.len(), 1);
    assert_eq!(schedule(&app, "11:15").await, 1);
    says(&received(&stack, 1).await.1[0], ALICE, 2);

    // An export of 10:50 delivered late (a backfill): counted in its window, not sent.
    let late = vec![export(
        "00000000-0000-4000-8000-00000000late",
        "10:50",
        "alice",
    )];
    deliver(&app, &object(&moto, "late", late).await).await;
    assert_eq!(schedule(&app, "11:30").await, 1);
    let (sent, summaries) = received(&stack, 1).await;
    assert!(sent.is_empty(), "{sent:?}");
    says(&summaries[0], ALICE, 1);
    assert_eq!(summaries[0]["event"]["suppression"]["suppressed"], 3);
    let text = summaries[0]["description"].as_str().unwrap();
    assert!(
        text.contains("(3 in all: the window had been summarised"),
        "{text}"
    );
    assert_eq!(schedule(&app, "11:45").await, 0);
}

/// The app of [`ENV`] with a sink failing once as `fails` says.
fn failing_app(
    moto: &Moto,
    stack: &Stack,
    fails: fn(&Alert) -> bool,
) -> Arc<App<S3Source, FailOnce>> {
    let plain = app(moto, &stack.topic_arn, &ENV);
    Arc::new(App {
        config: plain.config.clone(),
        rules: Arc::clone(&plain.rules),
        source: S3Source::new(moto.s3()),
        sink: FailOnce {
            inner: SnsSink::new(moto.sns(), stack.topic_arn.clone()),
            fails,
            failed: AtomicBool::new(false),
        },
        ledger: trail_processor::ledger(&plain.config, moto.dynamodb()),
        function_name: plain.function_name.clone(),
        integrity: None,
        extra_sinks: Vec::new(),
    })
}

#[tokio::test]
async fn a_first_alert_that_failed_to_publish_is_sent_by_the_retry() {
    let (moto, stack) = stack().await;
    let app = failing_app(&moto, &stack, |a| a.source.record.is_some());
    let key = object(&moto, "burst", burst("alice", 4)).await;
    let err = handle(&app, s3_put(&key)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(received(&stack, 0).await.0.is_empty());
    // The retry: every export is counted already; the window's first is sent, the rest not.
    deliver(&app, &key).await;
    let (sent, _) = received(&stack, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["event_id"], "00000000-0000-4000-8000-0alice000000");
    assert_eq!(schedule(&app, "11:15").await, 1);
    says(&received(&stack, 1).await.1[0], ALICE, 3);
}

#[tokio::test]
async fn a_summary_that_failed_to_publish_is_sent_by_the_retry_once() {
    let (moto, stack) = stack().await;
    let app = failing_app(&moto, &stack, |a| a.source.record.is_none());
    deliver(&app, &object(&moto, "burst", burst("alice", 4)).await).await;
    assert_eq!(received(&stack, 1).await.0.len(), 1);
    let err = handle(&app, scheduled("11:15")).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(received(&stack, 0).await.1.is_empty());
    // EventBridge's retry of the same event: the window was not marked, so it is summarised now.
    assert_eq!(schedule(&app, "11:15").await, 1);
    says(&received(&stack, 1).await.1[0], ALICE, 3);
    assert_eq!(schedule(&app, "11:30").await, 0);
}

/// A rule of the user's (in `RULES_DIRS`) declaring `keytrail-suppress: 1h`: loaded through the
/// cold start's path (`load_rules`, `storm::control`), its exports are suppressed and summarised
/// while the built-in high rule (no suppression) alerts on each.
#[tokio::test]
async fn a_rule_declares_its_own_suppression() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("my-export.yml"),
        "title: Certificate exported (mine)\nid: my-export\nkeytrail-suppress: 1h\n\
         logsource: {product: aws, service: cloudtrail}\n\
         detection: {sel: {eventName: ExportCertificate}, condition: sel}\nlevel: low\n",
    )
    .unwrap();
    let dirs = dir.path().display().to_string();
    let env = [
        ("STATE_TABLE", TABLE),
        ("INTEGRITY", "off"),
        ("CORRELATIONS", "off"),
        ("RULES_DIRS", dirs.as_str()),
    ];
    let (moto, stack) = stack().await;
    let plain = app(&moto, &stack.topic_arn, &env);
    let mut config = plain.config.clone();
    let rules = trail_processor::load_rules(&config, &S3Source::new(moto.s3()))
        .await
        .unwrap();
    config.suppress = trail_processor::storm::control(&config, &rules).unwrap();
    let app = Arc::new(App {
        config,
        rules: Arc::new(rules),
        source: S3Source::new(moto.s3()),
        sink: SnsSink::new(moto.sns(), stack.topic_arn.clone()),
        ledger: trail_processor::ledger(&plain.config, moto.dynamodb()),
        function_name: plain.function_name.clone(),
        integrity: None,
        extra_sinks: Vec::new(),
    });
    deliver(&app, &object(&moto, "burst", burst("alice", 3)).await).await;
    let all = alerts(&stack, 4).await;
    let rules: Vec<&str> = all
        .iter()
        .map(|(_, a)| a["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules.iter().filter(|r| **r == RULE).count(), 3, "{rules:?}");
    assert_eq!(
        rules.iter().filter(|r| **r == "my-export").count(),
        1,
        "{rules:?}"
    );

    assert_eq!(schedule(&app, "11:15").await, 1);
    let all = alerts(&stack, 1).await;
    assert_eq!(all.len(), 1);
    let summary = &all[0].1;
    assert_eq!(summary["rule_id"], "my-export");
    assert_eq!(summary["severity"], "low");
    assert_eq!(
        summary["title"],
        "Certificate exported (mine): 2 more in 1h"
    );
}

/// The DynamoDB requests of the module doc's cost figures, counted: per alert of a suppressed
/// rule 2 writes (3 for a window's second), a retried alert 1 refused write and 1 read (and the
/// index entry again); per summarised window 1 index query page, 1 read, 1 count query page and
/// 2 writes.
#[tokio::test]
async fn requests_per_suppressed_alert_are_as_documented() {
    use keytrail_aws::state::suppress::SuppressionState;
    use keytrail_aws::state::StateTable;
    use keytrail_core::storm::StormControl;

    let (moto, _stack) = stack().await;
    let control = StormControl::parse("acm-export-certificate=1h:severe").unwrap();
    let table = StateTable::new(moto.dynamodb(), TABLE.to_owned());
    let mut state = SuppressionState::new(table);
    let alert = |i: usize| {
        let mut a = Alert::integrity("s3://b/k", &format!("fault {i}"));
        a.rule_id = RULE.to_owned();
        a.event_time = Some(format!("2026-12-07T10:{:02}:00Z", 5 + i));
        a.principal = Some(ALICE.to_owned());
        a
    };
    // (alert, retried, writes and reads it costs)
    for (i, retried, writes, reads) in [
        (0, false, 2, 0),
        (1, false, 3, 0),
        (2, false, 2, 0),
        (3, false, 2, 0),
        (2, true, 2, 1),
    ] {
        let a = alert(i);
        let key = control.key(&a).unwrap();
        let before = (state.writes, state.reads);
        state.note(&key, &a, key.start).await.unwrap();
        assert_eq!(
            (state.writes - before.0, state.reads - before.1),
            (writes, reads),
            "alert {i}, retried {retried}"
        );
    }
    let before = (state.writes, state.reads);
    let ended = state.ended(i64::MAX / 2).await.unwrap();
    assert_eq!(ended.len(), 1);
    let (summary, alerts) = state.summary(&ended[0]).await.unwrap();
    assert_eq!((summary.unwrap().more, alerts), (3, 4));
    state.summarised(&ended[0], alerts).await.unwrap();
    assert_eq!((state.writes - before.0, state.reads - before.1), (2, 3));
    assert!(state.ended(i64::MAX / 2).await.unwrap().is_empty());
}
