//! The optional sinks through the handler, against moto's Security Hub (`BatchImportFindings`,
//! `GetFindings`) and EventBridge (`PutEvents`, a rule with an SQS target), with the real SDK:
//!
//! - Security Hub: an object delivered twice leaves each alert's finding there once (the finding
//!   id is the alert id: the second import updates it), mapped as ASFF says.
//! - EventBridge: a rule on the bus routes each alert to an SQS queue, once, after a re-delivery
//!   (the idempotency table's `claim#eventbridge` claims).
//! - A sink that fails (the fault proxy answers its calls with a 500) fails the object
//!   retryably; SNS and the other sink still get every alert; the retry, once the sink is back,
//!   brings the failed sink every alert and sends SNS and the other sink nothing again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_securityhub::types::AwsSecurityFinding;
use keytrail_testkit::{Fault, FaultProxy, Match, Moto, Rule};
use serde_json::Value;
use support::*;
use trail_processor::handler::{handle, HandlerError};

const KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10/123456789012_CloudTrail_us-east-1_20260610T2100Z_sinks.json.gz";
const TABLE: &str = "keytrail-sinks-state";
const BUS: &str = "keytrail-security";
/// Correlations off: the planted exports by one principal would also fire `acm-bulk-export`;
/// these tests count one alert per record (`correlate.rs` tests correlations with the table).
const NO_CORRELATIONS: (&str, &str) = ("CORRELATIONS", "off");
/// moto's account and region: the default product the app derives from the topic's ARN.
const PRODUCT: &str = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";

/// Every finding in moto's Security Hub.
async fn findings(moto: &Moto) -> Vec<AwsSecurityFinding> {
    let client = aws_sdk_securityhub::Client::new(&moto.sdk_config());
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .get_findings()
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        out.extend(page.findings().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return out;
        }
    }
}

/// How many findings each id has.
fn finding_counts(findings: &[AwsSecurityFinding]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in findings {
        *out.entry(f.id().unwrap().to_owned()).or_default() += 1;
    }
    out
}

/// A bus `BUS` with a rule sending keytrail alerts to a new SQS queue; answers the queue URL.
async fn bus_to_queue(moto: &Moto) -> String {
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk_config());
    events.create_event_bus().name(BUS).send().await.unwrap();
    let sqs = moto.sqs();
    let url = sqs
        .create_queue()
        .queue_name("keytrail-bus-alerts")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let arn = "arn:aws:sqs:us-east-1:123456789012:keytrail-bus-alerts";
    events
        .put_rule()
        .name("keytrail-alerts-to-queue")
        .event_bus_name(BUS)
        .event_pattern(r#"{"source": ["keytrail"], "detail-type": ["keytrail Alert"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("keytrail-alerts-to-queue")
        .event_bus_name(BUS)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    url
}

/// The events on the bus's queue so far (each EventBridge's envelope), drained.
async fn bus_events(moto: &Moto, url: &str) -> Vec<Value> {
    let sqs = moto.sqs();
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap();
        if got.messages().is_empty() {
            return out;
        }
        for m in got.messages() {
            out.push(serde_json::from_str(m.body().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// How many events each alert id has.
fn event_counts(events: &[Value]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in events {
        assert_eq!(e["source"], "keytrail", "{e}");
        assert_eq!(e["detail-type"], "keytrail Alert", "{e}");
        *out.entry(e["detail"]["alert_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    out
}

/// `ids` once each.
fn once(ids: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    ids.keys().map(|k| (k.clone(), 1)).collect()
}

#[tokio::test]
async fn security_hub_holds_each_alert_once_after_a_redelivery() {
    let (moto, stack, _) = setup().await;
    // 120 alerts: two BatchImportFindings calls (100 + 20).
    put(&moto, KEY, exports(120)).await;
    let app = app(&moto, &stack.topic_arn, &[("SECURITY_HUB", "true")]);
    for _ in 0..2 {
        let out = handle(&app, s3_put(KEY)).await.unwrap();
        assert_eq!(out["results"][0]["outcome"], "120 alert(s)", "{out}");
    }
    // No table: SNS got each alert twice; Security Hub holds each once, updated.
    let sns = alert_id_counts(&alerts(&stack, 240).await);
    assert_eq!(sns.len(), 120);
    let got = findings(&moto).await;
    assert_eq!(finding_counts(&got), once(&sns));

    let f = &got[0];
    assert_eq!(f.product_arn(), Some(PRODUCT));
    assert_eq!(f.aws_account_id(), Some("123456789012"));
    assert_eq!(f.generator_id(), Some("acm-export-certificate"));
    assert_eq!(f.schema_version(), Some("2018-10-08"));
    assert!(
        f.types().iter().all(|t| t.starts_with("TTPs/")) && !f.types().is_empty(),
        "{:?}",
        f.types()
    );
    assert_eq!(f.severity().unwrap().label().unwrap().as_str(), "HIGH");
    let resource = &f.resources()[0];
    assert_eq!(resource.r#type(), Some("AwsCertificateManagerCertificate"));
    assert!(resource.id().unwrap().starts_with("arn:aws:acm:"));
    let fields = f.product_fields().unwrap();
    assert_eq!(
        fields["keytrail/source_object"],
        format!("s3://{DEMO_BUCKET}/{KEY}")
    );
    assert_eq!(fields["keytrail/event_name"], "ExportCertificate");
    let event: Value = serde_json::from_str(&fields["keytrail/event"]).unwrap();
    assert_eq!(event["eventName"], "ExportCertificate");
    assert!(f.created_at().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn an_eventbridge_rule_routes_each_alert_once_to_a_queue() {
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, TABLE).await;
    put(&moto, KEY, exports(23)).await;
    let queue = bus_to_queue(&moto).await;
    let app = app(
        &moto,
        &stack.topic_arn,
        &[("EVENT_BUS", BUS), ("STATE_TABLE", TABLE), NO_CORRELATIONS],
    );
    handle(&app, s3_put(KEY)).await.unwrap();
    let again = handle(&app, s3_put(KEY)).await.unwrap();
    assert_eq!(again["results"][0]["outcome"], "0 alert(s)", "{again}");
    let sns = alert_id_counts(&alerts(&stack, 23).await);
    assert_eq!(sns, once(&sns));
    assert_eq!(sns.len(), 23);
    let events = bus_events(&moto, &queue).await;
    assert_eq!(event_counts(&events), sns);
    // The detail is the alert as SNS carries it.
    let detail = &events[0]["detail"];
    assert_eq!(detail["rule_id"], "acm-export-certificate");
    assert_eq!(detail["severity"], "high");
    assert_eq!(detail["event"]["eventName"], "ExportCertificate");
}

/// One sink failing: `matches` picks its calls. See the module docs.
async fn a_failing_sink_loses_nothing_and_repeats_nothing(matches: Match, code: &str) {
    let (moto, stack, _) = setup().await;
    create_idempotency_table(&moto, TABLE).await;
    put(&moto, KEY, exports(13)).await;
    let queue = bus_to_queue(&moto).await;
    let proxy = FaultProxy::start(&moto).await;
    let down = proxy.add(Rule::new(matches, Fault::json_internal_error(code)));
    let app = app_with(
        &proxy.sdk_config(&moto),
        &stack.topic_arn,
        &[
            ("SECURITY_HUB", "true"),
            ("EVENT_BUS", BUS),
            ("STATE_TABLE", TABLE),
            NO_CORRELATIONS,
        ],
    );
    let err = handle(&app, s3_put(KEY)).await.unwrap_err();
    let HandlerError::Objects {
        retryable, first, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(*retryable, "{err:?}");
    assert!(first.contains("could not be published"), "{first}");
    assert!(proxy.injected(down) >= 2, "the fault never fired");

    // The sink back: the retry completes it, and nothing reaches anyone twice.
    proxy.lift(down);
    handle(&app, s3_put(KEY)).await.unwrap();
    let sns = alert_id_counts(&alerts(&stack, 13).await);
    assert_eq!(sns.len(), 13);
    assert_eq!(sns, once(&sns), "SNS got an alert twice");
    assert_eq!(finding_counts(&findings(&moto).await), sns);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(event_counts(&bus_events(&moto, &queue).await), sns);
}

#[tokio::test]
async fn a_failing_security_hub_fails_the_object_retryably_and_loses_nothing() {
    a_failing_sink_loses_nothing_and_repeats_nothing(
        Match::securityhub_batch_import_findings(),
        "InternalException",
    )
    .await;
}

#[tokio::test]
async fn a_failing_event_bus_fails_the_object_retryably_and_loses_nothing() {
    a_failing_sink_loses_nothing_and_repeats_nothing(
        Match::eventbridge_put_events(),
        "InternalException",
    )
    .await;
}
