//! `keytrail backfill --via batch`: the manifest it writes to moto S3, and the S3 Batch
//! Operations `CreateJob` request it sends, checked field by field.
//!
//! moto has no S3 Batch Operations (S3 Control `CreateJob`). The request goes, through the real
//! SDK (`AWS_ENDPOINT_URL_S3_CONTROL`), to a stand-in on a loopback port: the testkit's
//! [`FaultProxy`] with one rule that answers every request with S3 Control's REST-XML
//! `CreateJobResult`. The proxy logs the request as the SDK serialised it (method, path, XML
//! body), which is what this test reads. Everything else (the listing, the manifest upload, the
//! bucket checks) talks to moto.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Output;

use keytrail_testkit::{Fault, FaultProxy, Match, Moto, Rule};

const TRAIL: &str = "keytrail-batch-trail";
const WORK: &str = "keytrail-backfill-work";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:keytrail-trail-processor";
const ROLE: &str = "arn:aws:iam::123456789012:role/keytrail-backfill-batch";
const JOB_ID: &str = "0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8";
const REGION: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06";

fn keytrail(moto: &Moto, control: &str, args: &[&str]) -> Output {
    support::keytrail_on(moto, args, &[("AWS_ENDPOINT_URL_S3_CONTROL", control)])
}

/// The text of the one `<name>…</name>` element of `xml` (panics, showing the XML, otherwise).
fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut found = xml.match_indices(&open);
    let (at, _) = found
        .next()
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"));
    assert!(found.next().is_none(), "more than one <{name}> in {xml}");
    let rest = &xml[at + open.len()..];
    &rest[..rest
        .find(&close)
        .unwrap_or_else(|| panic!("no {close} in {xml}"))]
}

// Multi-threaded: the proxy's tasks must answer while a worker waits for the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_backfill_writes_the_manifest_and_creates_the_job() {
    let moto = Moto::start().await;
    let s3 = moto.s3();
    for bucket in [TRAIL, WORK] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    let keys = [
        format!("{REGION}/10/123456789012_CloudTrail_us-east-1_20260610T0005Z_a.json.gz"),
        format!("{REGION}/10/123456789012_CloudTrail_us-east-1_20260610T0035Z_b c,d+e.json.gz"),
        format!("{REGION}/11/123456789012_CloudTrail_us-east-1_20260611T0005Z_f.json.gz"),
        format!("{REGION}/12/123456789012_CloudTrail_us-east-1_20260612T0005Z_out.json.gz"),
    ];
    for key in &keys {
        s3.put_object()
            .bucket(TRAIL)
            .key(key)
            .body(b"{}".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let proxy = FaultProxy::start(&moto).await;
    let answer = proxy.add(Rule::new(
        Match::Any,
        Fault::Respond {
            status: 200,
            content_type: "application/xml".to_owned(),
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateJobResult \
                 xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><JobId>{JOB_ID}\
                 </JobId></CreateJobResult>"
            ),
        },
    ));

    let out = keytrail(
        &moto,
        &proxy.url(),
        &[
            "backfill",
            &format!("s3://{TRAIL}/AWSLogs/"),
            "--since",
            "2026-06-10",
            "--until",
            "2026-06-11",
            "--via",
            "batch",
            "--function-arn",
            FUNCTION,
            "--role-arn",
            ROLE,
            "--report-bucket",
            WORK,
            "--rules-only",
            "acm-export-certificate",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{JOB_ID}\n"));
    assert!(
        stderr.contains("3 object(s)") && stderr.contains(JOB_ID),
        "{stderr}"
    );
    assert!(stderr.contains("keytrail backfill status"), "{stderr}");

    // The manifest: one Bucket,Key line per object in range, keys URL-encoded.
    let listed = s3
        .list_objects_v2()
        .bucket(WORK)
        .prefix("manifests/")
        .send()
        .await
        .unwrap();
    let manifests: Vec<String> = listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert_eq!(manifests.len(), 1, "{manifests:?}");
    let manifest_key = &manifests[0];
    assert!(
        manifest_key.ends_with("-2026-06-10-2026-06-11.csv"),
        "{manifest_key}"
    );
    let got = s3
        .get_object()
        .bucket(WORK)
        .key(manifest_key)
        .send()
        .await
        .unwrap();
    let etag = got.e_tag().unwrap().trim_matches('"').to_owned();
    let body = got.body.collect().await.unwrap().into_bytes();
    let mut lines: Vec<&str> = std::str::from_utf8(&body).unwrap().lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            format!("{TRAIL},{REGION}/10/123456789012_CloudTrail_us-east-1_20260610T0005Z_a.json.gz"),
            format!(
                "{TRAIL},{REGION}/10/123456789012_CloudTrail_us-east-1_20260610T0035Z_b%20c%2Cd%2Be.json.gz"
            ),
            format!("{TRAIL},{REGION}/11/123456789012_CloudTrail_us-east-1_20260611T0005Z_f.json.gz"),
        ]
    );

    // The CreateJob request, as the SDK put it on the wire.
    assert_eq!(proxy.injected(answer), 1, "exactly one S3 Control call");
    let exchanges = proxy.exchanges();
    let call = &exchanges[0];
    assert_eq!(call.method, "POST");
    assert_eq!(call.target, "/v20180820/jobs");
    let xml = String::from_utf8(call.body.clone()).unwrap();
    assert!(
        xml.contains(
            "<CreateJobRequest xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\">"
        ),
        "{xml}"
    );
    assert_eq!(element(&xml, "ConfirmationRequired"), "false");
    assert_eq!(element(&xml, "Priority"), "10");
    assert_eq!(element(&xml, "RoleArn"), ROLE);
    assert!(!element(&xml, "ClientRequestToken").is_empty());
    assert!(element(&xml, "Description").starts_with(
        "keytrail backfill s3://keytrail-batch-trail/AWSLogs/ 2026-06-10..2026-06-11"
    ));
    // Operation: LambdaInvoke, schema 2.0, the rule ids as the rules_only user argument.
    let invoke = element(&xml, "LambdaInvoke");
    assert_eq!(element(invoke, "FunctionArn"), FUNCTION);
    assert_eq!(element(invoke, "InvocationSchemaVersion"), "2.0");
    assert_eq!(
        element(invoke, "UserArguments"),
        "<entry><key>rules_only</key><value>acm-export-certificate</value></entry>"
    );
    // Manifest: the CSV just written, by ARN and ETag, columns Bucket and Key.
    let manifest = element(&xml, "Manifest");
    assert_eq!(
        element(manifest, "Format"),
        "S3BatchOperations_CSV_20180820"
    );
    assert_eq!(
        element(manifest, "Fields"),
        "<member>Bucket</member><member>Key</member>"
    );
    assert_eq!(
        element(manifest, "ObjectArn"),
        format!("arn:aws:s3:::{WORK}/{manifest_key}")
    );
    assert_eq!(element(manifest, "ETag"), etag);
    // Report: enabled, to the work bucket under reports/, failed tasks only.
    let report = element(&xml, "Report");
    assert_eq!(element(report, "Bucket"), format!("arn:aws:s3:::{WORK}"));
    assert_eq!(element(report, "Enabled"), "true");
    assert_eq!(element(report, "Format"), "Report_CSV_20180820");
    assert_eq!(element(report, "ReportScope"), "FailedTasksOnly");
    let stem = manifest_key
        .trim_start_matches("manifests/")
        .trim_end_matches(".csv");
    assert_eq!(element(report, "Prefix"), format!("reports/{stem}"));
}
