//! `keytrail scan s3://…` against a local S3 (moto) through the real SDK, with the standard
//! AWS environment variables pointing the binary at it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

use keytrail_testkit::Moto;
use serde_json::Value;

const BUCKET: &str = "keytrail-cli-trail";

async fn upload_samples(moto: &Moto) {
    let s3 = moto.s3();
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/trail");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let region = name.split('_').nth(2).unwrap();
        // 0002 is filed a day later, to give the date range something to leave out.
        let day = if name.contains("keytraildemo0002") {
            "11"
        } else {
            "10"
        };
        let key = format!("AWSLogs/123456789012/CloudTrail/{region}/2026/06/{day}/{name}");
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(std::fs::read(&path).unwrap().into())
            .send()
            .await
            .unwrap();
    }
    let digest = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/06/10/123_CloudTrail-Digest_x.json.gz";
    s3.put_object()
        .bucket(BUCKET)
        .key(digest)
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
}

fn keytrail(moto: &Moto, args: &[&str]) -> Output {
    support::keytrail_on(moto, args, &[])
}

fn alerts(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn scans_an_s3_prefix_with_a_date_range() {
    let moto = Moto::start().await;
    upload_samples(&moto).await;

    // The whole account prefix: 0001 (3 alerts), 0002 (none), 0003 (2 low); the digest is skipped.
    let out = keytrail(
        &moto,
        &[
            "scan",
            "--format",
            "jsonl",
            &format!("s3://{BUCKET}/AWSLogs/"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(alerts(&out).len(), 5, "{stderr}");
    assert!(stderr.contains("scanned 3 objects"), "{stderr}");
    assert!(alerts(&out).iter().all(|a| a["source"]["object"]
        .as_str()
        .unwrap()
        .starts_with(&format!("s3://{BUCKET}/"))));

    // One region, one day: only 0001, listed day by day.
    let region = format!("s3://{BUCKET}/AWSLogs/123456789012/CloudTrail/us-east-1/");
    let out = keytrail(
        &moto,
        &[
            "scan",
            "--format",
            "jsonl",
            "--since",
            "2026-06-10",
            "--until",
            "2026-06-10",
            &region,
        ],
    );
    let got = alerts(&out);
    let mut names: Vec<&str> = got
        .iter()
        .map(|a| a["event_name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Decrypt", "ExportCertificate", "NewAccount"]);

    // A range with nothing in it says so.
    let out = keytrail(&moto, &["scan", "--since", "2027-01-01", &region]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no trail objects found"));
    assert_eq!(out.status.code(), Some(0));

    // A bucket that does not exist is an error naming it.
    let out = keytrail(&moto, &["scan", "s3://no-such-bucket-here/AWSLogs/"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-bucket-here"));
}

/// An incident responder's setup: no AWS_* credentials in the environment, a named profile in
/// the config file whose credentials come from `credential_process` (as aws-vault, 1Password
/// or `aws configure export-credentials` provide them), and the region and endpoint given as
/// flags. The process must run, and its credentials must be the ones used: when it fails, the
/// scan fails naming the problem.
#[tokio::test]
async fn scans_with_a_credential_process_profile_and_flags() {
    let moto = Moto::start().await;
    upload_samples(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("process-ran");
    let script = dir.path().join("credentials.sh");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile incident]\ncredential_process = {}\nregion = eu-west-3\n",
            script.display()
        ),
    )
    .unwrap();
    let write_script = |body: &str| {
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho ran >> '{}'\n{body}\n", ran.display()),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    let endpoint = moto.endpoint();
    let uri = format!("s3://{BUCKET}/AWSLogs/");
    let scan = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keytrail"));
        cmd.args(["scan", "--format", "jsonl", "--profile", "incident"])
            .args(["--region", "us-east-1", "--endpoint-url", &endpoint, &uri]);
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("AWS_CONFIG_FILE", &config)
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("no-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };

    write_script(
        r#"echo '{"Version": 1, "AccessKeyId": "AKIDFROMPROCESS", "SecretAccessKey": "process-secret"}'"#,
    );
    let out = scan();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(alerts(&out).len(), 5, "{stderr}");
    assert!(stderr.contains("scanned 3 objects"), "{stderr}");
    assert!(ran.exists(), "credential_process never ran: {stderr}");

    // Without the process's credentials there is nothing to sign with.
    write_script("echo 'no session: run aws sso login' >&2; exit 1");
    let out = scan();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("listing s3://{BUCKET}/AWSLogs/")),
        "{stderr}"
    );
    assert!(alerts(&out).is_empty());
}

/// One planted export: (index, principal, eventTime).
type Export<'a> = (usize, &'a str, &'a str);

/// Correlations run over an S3 prefix as over local files (issue 21): a burst of three
/// ExportCertificate calls by one principal within an hour, split over three gzipped trail
/// objects in moto S3 (the object holding the first export sorts last by key), plus a fourth
/// export by another principal in the same hour, raises `acm-bulk-export` exactly once, for
/// that principal, counting three, with the single exports still alerting one by one.
#[tokio::test]
async fn export_burst_split_across_s3_objects_raises_bulk_export_once_issue_21() {
    use std::io::Write;

    let moto = Moto::start().await;
    let s3 = moto.s3();
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let stolen = "arn:aws:iam::123456789012:role/stolen";
    let other = "arn:aws:iam::123456789012:role/migration";
    let day = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/02";
    // (object's time and suffix, its exports)
    let objects: [(&str, &[Export<'_>]); 3] = [
        ("1040Z_c", &[(2, stolen, "2026-03-02T10:40:00Z")]),
        (
            "1020Z_b",
            &[
                (1, stolen, "2026-03-02T10:20:00Z"),
                (3, other, "2026-03-02T10:25:00Z"),
            ],
        ),
        ("1050Z_a", &[(0, stolen, "2026-03-02T10:05:00Z")]),
    ];
    for (name, exports) in objects {
        let records: Vec<Value> = exports
            .iter()
            .map(|(i, who, time)| support::export_by(*i, who, time))
            .collect();
        let json = serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&json).unwrap();
        s3.put_object()
            .bucket(BUCKET)
            .key(format!(
                "{day}/123456789012_CloudTrail_us-east-1_20260302T{name}.json.gz"
            ))
            .body(gz.finish().unwrap().into())
            .send()
            .await
            .unwrap();
    }

    for jobs in ["1", "3"] {
        let out = keytrail(
            &moto,
            &[
                "scan",
                "--format",
                "jsonl",
                "--jobs",
                jobs,
                &format!("s3://{BUCKET}/AWSLogs/"),
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("not evaluated"), "{stderr}");
        let got = alerts(&out);
        let bulk: Vec<&Value> = got
            .iter()
            .filter(|a| a["rule_id"] == "acm-bulk-export")
            .collect();
        assert_eq!(bulk.len(), 1, "--jobs {jobs}: {got:#?}\n{stderr}");
        support::assert_bulk_export_of_three(bulk[0], stolen);
        assert!(
            bulk[0]["source"]["object"]
                .as_str()
                .unwrap()
                .starts_with(&format!("s3://{BUCKET}/{day}/")),
            "{:#}",
            bulk[0]
        );
        let source = bulk[0]["source"]["object"].as_str().unwrap();
        assert_eq!(
            source.matches("s3://").count(),
            3,
            "its three objects: {source}"
        );
        let singles = got
            .iter()
            .filter(|a| a["rule_id"] == "acm-export-certificate")
            .count();
        assert_eq!(singles, 4, "the single exports still alert");
        assert!(stderr.contains("scanned 3 objects"), "{stderr}");
    }
}
