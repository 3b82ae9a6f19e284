//! Every sample payload in `events/` parses to the invocation `events/README.md` documents, and
//! every object it names is a sample trail object in `events/trail/` (or, for the encoded-key
//! sample, the copy of one uploaded under a name with a space and a `%`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use keytrail_aws::event::{
    parse_invocation, Invocation, KeyFilter, MessageContent, ObjectRef, ResultCode,
};
use serde_json::Value;

const BUCKET: &str = "keytrail-demo-trail";
const DAY: &str = "2026/06/10";
const F1: &str = "123456789012_CloudTrail_us-east-1_20260610T2030Z_keytraildemo0001.json.gz";
const F2: &str = "123456789012_CloudTrail_us-east-1_20260610T2035Z_keytraildemo0002.json.gz";
const F3: &str = "123456789012_CloudTrail_eu-west-1_20260610T2040Z_keytraildemo0003.json.gz";
const COPY: &str = "demo copy 100%.json.gz";

/// What one sample file must parse to; objects are named by file name.
enum Want {
    Objects(&'static [&'static str]),
    /// One entry per SQS message: its objects, or `Err(reason fragment)` when ignored.
    Sqs(&'static [Result<&'static [&'static str], &'static str>]),
    ApiCall(&'static str),
    Batch(&'static str, &'static [&'static str]),
    /// The log group and each message's eventName.
    LogEvents(&'static str, &'static [&'static str]),
}

const EXPECTED: [(&str, Want); 12] = [
    ("s3-put.json", Want::Objects(&[F1])),
    ("s3-put-encoded-key.json", Want::Objects(&[COPY])),
    ("sqs-s3.json", Want::Sqs(&[Ok(&[F1]), Ok(&[F2])])),
    ("sqs-s3-test-event.json", Want::Sqs(&[Err("s3:TestEvent")])),
    ("sqs-sns-cloudtrail.json", Want::Sqs(&[Ok(&[F2])])),
    ("sqs-cloudtrail-raw.json", Want::Sqs(&[Ok(&[F1, F2])])),
    ("sns-cloudtrail.json", Want::Objects(&[F3])),
    ("eventbridge-object-created.json", Want::Objects(&[F1])),
    (
        "eventbridge-api-call-export-certificate.json",
        Want::ApiCall("ExportCertificate"),
    ),
    (
        "cloudwatch-logs-cloudtrail.json",
        Want::LogEvents(
            "aws-cloudtrail-logs-123456789012-keytrail",
            &["ExportCertificate", "Decrypt", "ListCertificates"],
        ),
    ),
    ("s3-batch-1.0.json", Want::Batch("1.0", &[F2])),
    ("s3-batch-2.0.json", Want::Batch("2.0", &[F3])),
];

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// The key a sample object lives under: CloudTrail's layout, the region from the file name.
fn key_of(name: &str) -> String {
    let region = if name.contains("_eu-west-1_") {
        "eu-west-1"
    } else {
        "us-east-1"
    };
    format!("AWSLogs/123456789012/CloudTrail/{region}/{DAY}/{name}")
}

/// Checks `objects` against the expected file names: bucket, decoded key, sample file present,
/// accepted by the default key filter.
fn check_objects(file: &str, objects: &[ObjectRef], names: &[&str]) {
    let keys: Vec<String> = objects.iter().map(|o| o.key.clone()).collect();
    let want: Vec<String> = names.iter().map(|n| key_of(n)).collect();
    assert_eq!(keys, want, "{file}");
    for object in objects {
        assert_eq!(object.bucket, BUCKET, "{file}");
        assert_eq!(
            object.version_id, None,
            "{file}: the demo bucket is not versioned"
        );
        assert_eq!(
            KeyFilter::default().check(object),
            Ok(()),
            "{file}: {object}"
        );
        let name = object.key.rsplit('/').next().unwrap();
        let local = if name == COPY { F1 } else { name };
        assert!(
            events_dir().join("trail").join(local).is_file(),
            "{file}: no sample for {object}"
        );
        if let Some(size) = object.size {
            let actual = std::fs::metadata(events_dir().join("trail").join(local))
                .unwrap()
                .len();
            assert_eq!(size, actual, "{file}: size of {object}");
        }
    }
}

#[test]
fn every_sample_event_parses_to_its_documented_invocation() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    let expected: BTreeSet<String> = EXPECTED.iter().map(|(f, _)| (*f).to_owned()).collect();
    assert_eq!(
        on_disk, expected,
        "every events/*.json needs an entry in EXPECTED, and back"
    );

    let readme = std::fs::read_to_string(events_dir().join("README.md")).unwrap();
    for (file, want) in EXPECTED {
        assert!(
            readme.contains(&format!("`{file}`")),
            "events/README.md does not list {file}"
        );
        let text = std::fs::read_to_string(events_dir().join(file)).unwrap();
        let payload: Value = serde_json::from_str(&text).unwrap();
        let invocation = parse_invocation(&payload).unwrap_or_else(|e| panic!("{file}: {e}"));
        match (want, invocation) {
            (Want::Objects(names), Invocation::Objects(objects)) => {
                check_objects(file, &objects, names);
            }
            (Want::Sqs(messages), Invocation::Sqs(got)) => {
                assert_eq!(got.len(), messages.len(), "{file}");
                for (message, want) in got.iter().zip(messages) {
                    match (&message.content, want) {
                        (Ok(MessageContent::Objects(objects)), Ok(names)) => {
                            check_objects(file, objects, names);
                        }
                        (Ok(MessageContent::Ignored(reason)), Err(fragment)) => {
                            assert!(reason.contains(fragment), "{file}: {reason}");
                        }
                        (got, want) => panic!("{file}: got {got:?}, want {want:?}"),
                    }
                }
            }
            (Want::ApiCall(event_name), Invocation::ApiCall(envelope)) => {
                assert_eq!(envelope["detail"]["eventName"], event_name, "{file}");
                assert_eq!(
                    envelope["detail-type"], "AWS API Call via CloudTrail",
                    "{file}"
                );
            }
            (Want::LogEvents(group, names), Invocation::LogEvents(batch)) => {
                assert_eq!(batch.log_group, group, "{file}");
                let doc: Value = serde_json::from_slice(&batch.document()).unwrap();
                let got: Vec<&str> = doc["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["eventName"].as_str().unwrap())
                    .collect();
                assert_eq!(got, names, "{file}");
            }
            (Want::Batch(version, names), Invocation::Batch(job)) => {
                assert_eq!(job.invocation_schema_version, version, "{file}");
                let objects: Vec<ObjectRef> = job
                    .tasks
                    .iter()
                    .map(|t| t.object.clone().unwrap())
                    .collect();
                check_objects(file, &objects, names);
                let response = job.response(Vec::new());
                assert_eq!(
                    response.treat_missing_keys_as.as_deref(),
                    Some(ResultCode::PermanentFailure.as_str())
                );
            }
            (_, got) => panic!("{file}: unexpected invocation {got:?}"),
        }
    }
}

/// The API-call sample is the seed's ExportCertificate event, the same envelope that opens the
/// first sample trail object: the near-real-time path and the S3 path see the same event.
#[test]
fn api_call_sample_matches_the_trail_object() {
    let text =
        std::fs::read_to_string(events_dir().join("eventbridge-api-call-export-certificate.json"))
            .unwrap();
    let sample: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        sample["detail"]["eventID"],
        "5b66558e-27c5-43b0-9b3a-10f28c527453"
    );
    assert_eq!(sample["source"], "aws.acm");
    assert!(sample["detail"]["requestParameters"]["passphrase"].is_object());
}
