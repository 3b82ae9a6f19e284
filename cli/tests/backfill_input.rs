//! `keytrail backfill`'s input and its targets against moto (S3, SQS, CloudFormation), through
//! the real SDK: each mistake is a clear error, naming the thing, before any message is sent
//! (the queue is checked empty afterwards), and `--stack NAME` finds the queue in the stack's
//! outputs (moto's CloudFormation resolves `!Ref` of a queue to its URL).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Output;

use aws_sdk_sqs::types::QueueAttributeName;
use keytrail_testkit::Moto;

const BUCKET: &str = "keytrail-input-trail";
const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/06/10/\
                   111122223333_CloudTrail_us-east-1_20260610T0005Z_input.json.gz";

fn keytrail(moto: &Moto, args: &[&str]) -> Output {
    support::keytrail_on(moto, args, &[])
}

/// moto with the trail bucket (one trail object, one Config object) and an empty queue.
async fn setup() -> (Moto, String) {
    let moto = Moto::start().await;
    let s3 = moto.s3();
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    for key in [
        KEY,
        "Config/AWSLogs/111122223333/Config/us-east-1/2026/6/10/config.json.gz",
    ] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(b"{}".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let url = moto
        .sqs()
        .create_queue()
        .queue_name("keytrail-backfill")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (moto, url)
}

/// How many messages wait on the queue.
async fn depth(moto: &Moto, url: &str) -> String {
    let got = moto
        .sqs()
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    got.attributes().unwrap()[&QueueAttributeName::ApproximateNumberOfMessages].clone()
}

/// Creates a stack from `template` (JSON); answers its name.
async fn stack(moto: &Moto, name: &str, template: &str) {
    aws_sdk_cloudformation::Client::new(&moto.sdk_config())
        .create_stack()
        .stack_name(name)
        .template_body(template)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let (moto, url) = setup().await;
    let trail = format!("s3://{BUCKET}/AWSLogs/");
    let missing = url.replace("keytrail-backfill", "no-such-queue");
    stack(
        &moto,
        "keytrail-old",
        r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "other"}}}}"#,
    )
    .await;
    let no_layout = format!("s3://{BUCKET}/Config/");
    let no_folders = format!("s3://{BUCKET}/Config/AWSLogs/");
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &[&no_layout, "--since", "2026-06-10", "--queue-url", &url],
            &["no CloudTrail layout here (no AWSLogs/ folder in the prefix)"],
        ),
        (
            &[&no_folders, "--since", "2026-06-10", "--queue-url", &url],
            &["no CloudTrail log folders", "Config/AWSLogs/"],
        ),
        (
            &[
                &trail,
                "--since",
                "2026-06-11",
                "--until",
                "2026-06-10",
                "--queue-url",
                &url,
            ],
            &[
                "--since 2026-06-11 is after --until 2026-06-10",
                "swap them",
            ],
        ),
        (
            &[&trail, "--since", "2026-06-10", "--queue-url", &missing],
            &["no-such-queue"],
        ),
        (
            &[&trail, "--since", "2026-06-10", "--stack", "keytrail-old"],
            &[
                "stack keytrail-old has none of the outputs",
                "BackfillQueueUrl",
            ],
        ),
        (
            &[&trail, "--since", "2026-06-10", "--stack", "no-such-stack"],
            &["cannot read stack no-such-stack"],
        ),
    ];
    for (args, wants) in cases {
        let mut all = vec!["backfill", "--until", "2026-06-12"];
        if args.contains(&"--until") {
            all.truncate(1);
        }
        all.extend_from_slice(args);
        let out = keytrail(&moto, &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{all:?} succeeded: {stderr}");
        for want in wants {
            assert!(stderr.contains(want), "{all:?}: want {want:?} in: {stderr}");
        }
        assert_eq!(depth(&moto, &url).await, "0", "{all:?} sent something");
    }
}

#[tokio::test]
async fn a_stack_s_outputs_name_the_queue() {
    let (moto, url) = setup().await;
    stack(
        &moto,
        "keytrail",
        r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "from-stack"}}},
            "Outputs": {"BackfillQueueUrl": {"Value": {"Ref": "Q"}}}}"#,
    )
    .await;
    let trail = format!("s3://{BUCKET}/AWSLogs/");
    let out = keytrail(
        &moto,
        &[
            "backfill",
            &trail,
            "--since",
            "2026-06-10",
            "--until",
            "2026-06-10",
            "--stack",
            "keytrail",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // moto's CloudFormation answers the queue's AWS URL; the SDK sends it to the endpoint.
    assert!(
        stderr.contains("sent 1 of 1 object(s)") && stderr.contains("/123456789012/from-stack"),
        "{stderr}"
    );
    let from_stack = url.replace("keytrail-backfill", "from-stack");
    assert_eq!(depth(&moto, &from_stack).await, "1");
    assert_eq!(depth(&moto, &url).await, "0");
}

#[tokio::test]
async fn status_reads_the_queue_and_its_dead_letter_queue() {
    let (moto, _) = setup().await;
    let sqs = moto.sqs();
    let dlq = sqs
        .create_queue()
        .queue_name("keytrail-backfill-dlq")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let redrive = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:keytrail-backfill-dlq","maxReceiveCount":"3"}"#;
    let queue = sqs
        .create_queue()
        .queue_name("keytrail-backfill-q")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for (url, n) in [(&queue, 2), (&dlq, 1)] {
        for i in 0..n {
            sqs.send_message()
                .queue_url(url)
                .message_body(format!("m{i}"))
                .send()
                .await
                .unwrap();
        }
    }
    let out = keytrail(&moto, &["backfill", "status", "--queue", &queue]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a dead letter is a failure: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("queue {queue}: 2 waiting, 0 in flight")),
        "{stdout}"
    );
    assert!(
        stdout.contains("keytrail-backfill-dlq: 1 message(s) that failed 3 times"),
        "{stdout}"
    );
}
