//! `keytrail backfill status JOB` through the binary (issue 24): a batch job's status, progress
//! counts, failed tasks, failure reasons and completion report, the exit status `status`
//! documents (0; 1 when tasks failed or the job failed; 2 when the status cannot be read), and
//! a clear error for a job id the account does not have.
//!
//! Stand-in: moto has no S3 Batch Operations, so S3 Control's `DescribeJob` goes, through the
//! real SDK (`AWS_ENDPOINT_URL_S3_CONTROL`), to the testkit's [`FaultProxy`] on a loopback port,
//! whose rules answer `GET /v20180820/jobs/<id>` with S3 Control's REST-XML `DescribeJobResult`
//! or its wrapped `404 NotFoundException` error ([`Fault::s3control_describe_job`],
//! [`Fault::s3control_error`]). The queue half (`--queue URL`: the queue's depth and its
//! dead-letter queue's, through the redrive policy) talks to moto's SQS; its failing case (a
//! message in the dead-letter queue, exit 1) is `backfill_input.rs`'s.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Output;

use aws_sdk_sqs::types::QueueAttributeName;
use keytrail_testkit::{BatchJob, Fault, FaultProxy, Match, Moto, Rule};

const ACCOUNT: &str = "123456789012";
const DONE: &str = "11111111-2222-4333-8444-555555555555";
const FAILING: &str = "22222222-3333-4444-8555-666666666666";
const FAILED: &str = "33333333-4444-4555-8666-777777777777";
const UNKNOWN: &str = "99999999-0000-4000-8000-000000000000";

fn job(id: &str, status: &str, (total, succeeded, failed): (i64, i64, i64)) -> BatchJob {
    BatchJob {
        id: id.to_owned(),
        status: status.to_owned(),
        total,
        succeeded,
        failed,
        active_seconds: 42,
        failure_reasons: Vec::new(),
        report: Some((
            "arn:aws:s3:::keytrail-backfill-work".to_owned(),
            "reports/trail-2026-06-10-2026-06-11".to_owned(),
            "FailedTasksOnly".to_owned(),
        )),
    }
}

fn status(moto: &Moto, proxy: &FaultProxy, args: &[&str]) -> (Output, String, String) {
    let mut all = vec!["backfill", "status"];
    all.extend_from_slice(args);
    let out = support::keytrail_on(moto, &all, &[("AWS_ENDPOINT_URL_S3_CONTROL", &proxy.url())]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// A queue with a redrive policy to an empty dead-letter queue; answers the queue's URL.
async fn clean_queue(moto: &Moto) -> String {
    let sqs = moto.sqs();
    sqs.create_queue()
        .queue_name("keytrail-status-dlq")
        .send()
        .await
        .unwrap();
    let redrive = format!(
        r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{ACCOUNT}:keytrail-status-dlq","maxReceiveCount":"5"}}"#
    );
    sqs.create_queue()
        .queue_name("keytrail-status-q")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

// Multi-threaded: the proxy's tasks must answer while a worker waits for the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_status_job_reports_progress_failures_and_exit_status_issue_24() {
    let moto = Moto::start().await;
    let proxy = FaultProxy::start(&moto).await;
    let mut failed = job(FAILED, "Failed", (0, 0, 0));
    failed.failure_reasons = vec![(
        "ManifestNotFound".to_owned(),
        "the manifest s3://keytrail-backfill-work/manifests/x.csv\n<does not exist>".to_owned(),
    )];
    failed.report = None;
    let rules = [
        (
            DONE,
            Fault::s3control_describe_job(&job(DONE, "Complete", (3, 3, 0))),
        ),
        (
            FAILING,
            Fault::s3control_describe_job(&job(FAILING, "Active", (5, 2, 1))),
        ),
        (FAILED, Fault::s3control_describe_job(&failed)),
        (
            UNKNOWN,
            Fault::s3control_error(404, "NotFoundException", "The specified job does not exist"),
        ),
    ]
    .map(|(id, fault)| {
        (
            id,
            proxy.add(Rule::new(Match::s3control_describe_job(id), fault)),
        )
    });
    let queue = clean_queue(&moto).await;

    // Complete, every task succeeded, the queue clean: exit 0.
    let (out, stdout, stderr) = status(
        &moto,
        &proxy,
        &[DONE, "--account", ACCOUNT, "--queue", &queue],
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!("queue {queue}: 0 waiting, 0 in flight, 0 delayed"),
            format!(
                "dead-letter queue {}: 0 message(s) that failed 5 times",
                queue.replace("keytrail-status-q", "keytrail-status-dlq")
            ),
            format!("job {DONE}: Complete, 3 of 3 task(s) done (3 succeeded, 0 failed), 42 s active"),
            format!(
                "completion report: s3://keytrail-backfill-work/reports/trail-2026-06-10-2026-06-11/job-{DONE}/ (FailedTasksOnly)"
            ),
        ]
    );

    // Still running, one task failed: exit 1.
    let (out, stdout, stderr) = status(&moto, &proxy, &[FAILING, "--account", ACCOUNT]);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().next().unwrap(),
        format!("job {FAILING}: Active, 3 of 5 task(s) done (2 succeeded, 1 failed), 42 s active")
    );

    // The job failed: exit 1, its failure reason on one line, escaped; it has no report
    // (`<Report><Enabled>false</Enabled>`), so no report line.
    let (out, stdout, stderr) = status(&moto, &proxy, &[FAILED, "--account", ACCOUNT]);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!("job {FAILED}: Failed, 0 of 0 task(s) done (0 succeeded, 0 failed), 42 s active"),
            "failure: ManifestNotFound the manifest s3://keytrail-backfill-work/manifests/x.csv\\u{a}<does not exist>".to_owned(),
        ]
    );

    // A job the account does not have: exit 2, and what to check.
    let (out, stdout, stderr) = status(&moto, &proxy, &[UNKNOWN, "--account", ACCOUNT]);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!("job {UNKNOWN} not found in account {ACCOUNT}"))
            && stderr.contains("--account")
            && stderr.contains("--region"),
        "{stderr}"
    );

    // Each answer came from the stand-in, once, for a GET of that job.
    for (id, rule) in rules {
        assert_eq!(proxy.injected(rule), 1, "{id}");
    }
    let exchanges = proxy.exchanges();
    assert_eq!(exchanges.len(), 4, "{exchanges:?}");
    assert!(exchanges.iter().all(|e| e.method == "GET"));

    // No account and no stack: said before any call.
    let (out, _, stderr) = status(&moto, &proxy, &[DONE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("which account? pass --account ID or --stack NAME"),
        "{stderr}"
    );
    assert_eq!(proxy.exchanges().len(), 4);
}
