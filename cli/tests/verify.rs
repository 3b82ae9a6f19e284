//! `keytrail verify s3://…` against a local S3 (moto_server, through the real SDK) holding the
//! testkit's generated trail: a day of signed digests and the log files they list, in several
//! regions, an organization trail, a backfill digest, a stop and restart.
//!
//! CloudTrail's `ListPublicKeys` is not in moto: it is served by the testkit's
//! [`CloudTrailKeys`], a stand-in on a loopback port speaking CloudTrail's JSON 1.1 protocol; the
//! binary reaches it through the SDK's standard `AWS_ENDPOINT_URL_CLOUDTRAIL` while
//! `AWS_ENDPOINT_URL` points at moto. Offline checks (`--public-key FILE`) point
//! `AWS_ENDPOINT_URL_CLOUDTRAIL` at a closed port, so any CloudTrail call would fail the run.
//!
//! Each tamper method of the generator answers the problems it planted; the binary must print
//! exactly those (as text and as JSONL) and exit 1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use base64::Engine as _;
use keytrail_core::integrity::{Problem, Timestamp};
use keytrail_testkit::trail::{sorted, TestKey, Trail, TrailSpec};
use keytrail_testkit::{CloudTrailKeys, Moto};
use serde_json::Value;

/// A loopback address where nothing answers: a CloudTrail call there fails.
const NO_CLOUDTRAIL: &str = "http://127.0.0.1:9";

/// The day the generated trail covers.
const RANGE: [&str; 4] = ["--since", "2026-06-10", "--until", "2026-06-10"];

/// Runs `keytrail verify` (after `args`) against moto, with CloudTrail at `cloudtrail`.
async fn verify(moto: &Moto, cloudtrail: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keytrail"));
    cmd.arg("verify").args(args).env_remove("AWS_PROFILE");
    for (k, v) in moto.env_vars() {
        cmd.env(k, v);
    }
    cmd.env("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail);
    // The stand-in runs on this test's runtime: wait for the binary off its threads.
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// The generated day in bucket `bucket`, with the key rotated at `rotate` when given.
fn trail(bucket: &str, rotate: Option<&str>) -> Trail {
    Trail::generate(&TrailSpec {
        bucket: bucket.to_owned(),
        rotate_key_at: rotate.map(|t| Timestamp::parse(t).unwrap()),
        ..TrailSpec::default()
    })
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The text line the CLI prints for `problem`.
fn text_line(problem: &Problem) -> String {
    format!("{} {}: {problem}", problem.severity(), problem.kind())
}

/// The JSONL record the CLI prints for `problem`.
fn json_record(problem: &Problem) -> Value {
    let mut value = serde_json::to_value(problem).unwrap();
    value["severity"] = problem.severity().as_str().into();
    value
}

/// Runs verify on `uri` as text and as JSONL; both must list exactly `expected`, with `status`.
async fn assert_reports(
    moto: &Moto,
    cloudtrail: &str,
    uri: &str,
    extra: &[&str],
    expected: &[Problem],
    status: i32,
    case: &str,
) {
    let mut args = vec![uri];
    args.extend(RANGE);
    args.extend(extra);
    let text = verify(moto, cloudtrail, &args).await;
    let want: Vec<String> = expected.iter().map(text_line).collect();
    assert_eq!(stdout_lines(&text), want, "{case}: {}", stderr(&text));
    assert_eq!(
        text.status.code(),
        Some(status),
        "{case}: {}",
        stderr(&text)
    );
    let summary = format!("valid; {} problem", expected.len());
    assert!(
        stderr(&text).contains(&summary),
        "{case}: {}",
        stderr(&text)
    );

    args.extend(["--format", "jsonl"]);
    let jsonl = verify(moto, cloudtrail, &args).await;
    let found: Vec<Value> = stdout_lines(&jsonl)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<Value> = expected.iter().map(json_record).collect();
    assert_eq!(found, want, "{case}: {}", stderr(&jsonl));
    assert_eq!(jsonl.status.code(), Some(status), "{case}");
}

/// A tamper method of the generated trail: what it plants.
type Tamper = fn(&mut Trail) -> Vec<Problem>;

/// A clean day reports nothing and exits 0; each tamper case prints exactly the problems it
/// planted, and exits 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_day_passes_and_each_tamper_case_prints_exactly_its_problems() {
    let moto = Moto::start().await;
    let keys = CloudTrailKeys::start(Trail::day().key_entries()).await;
    let cases: [(&str, Tamper); 9] = [
        ("clean day", |_| Vec::new()),
        ("modified log file", Trail::modify_log_byte),
        ("deleted log file", Trail::delete_log),
        ("deleted digest", Trail::delete_digest),
        ("two consecutive deleted digests", Trail::delete_two_digests),
        ("forged digest", Trail::forge_digest),
        ("digest copied to another key", Trail::copy_digest),
        ("injected log file", Trail::inject_log),
        ("silence for 3 hours", |t| t.silence(3)),
    ];
    for (i, (case, tamper)) in cases.into_iter().enumerate() {
        let bucket = format!("verify-case-{i}");
        let mut day = trail(&bucket, None);
        let expected = sorted(tamper(&mut day));
        day.upload(&moto.s3()).await;
        let status = if expected.is_empty() { 0 } else { 1 };
        let uri = format!("s3://{bucket}/");
        assert_reports(&moto, &keys.url(), &uri, &[], &expected, status, case).await;
    }
    // ListPublicKeys was asked once per delivery region per run, for the day's digests.
    let requests = keys.requests();
    assert_eq!(requests.len(), 9 * 2 * 3, "{requests:?}");
}

/// Every tamper at once: the union, in the report's order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_tamper_cases_at_once_print_the_union() {
    let moto = Moto::start().await;
    let keys = CloudTrailKeys::start(Trail::day().key_entries()).await;
    let mut day = trail("verify-all", None);
    let mut expected = day.modify_log_byte();
    expected.extend(day.delete_log());
    expected.extend(day.delete_digest());
    expected.extend(day.delete_two_digests());
    expected.extend(day.forge_digest());
    expected.extend(day.copy_digest());
    expected.extend(day.inject_log());
    expected.extend(day.silence(3));
    day.upload(&moto.s3()).await;
    let expected = sorted(expected);
    assert_eq!(expected.len(), 10);
    assert_reports(
        &moto,
        &keys.url(),
        "s3://verify-all/",
        &[],
        &expected,
        1,
        "all",
    )
    .await;
}

/// A key rotated mid-day: with both keys from ListPublicKeys the day is valid; with the old key
/// alone every digest signed by the new one is unverifiable (its fingerprint unknown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_mid_range_verifies_with_both_keys() {
    let moto = Moto::start().await;
    let day = trail("verify-rotated", Some("2026-06-10T12:00:00Z"));
    day.upload(&moto.s3()).await;
    let keys = CloudTrailKeys::start(day.key_entries()).await;
    assert_eq!(day.key_entries().len(), 2);
    let uri = "s3://verify-rotated/";
    assert_reports(&moto, &keys.url(), uri, &[], &[], 0, "both keys").await;

    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("a.der");
    std::fs::write(&old, TestKey::A.public_der()).unwrap();
    let expected: Vec<Problem> = day
        .digests_signed_by(TestKey::B)
        .into_iter()
        .map(|digest| Problem::PublicKeyUnknown {
            digest,
            fingerprint: TestKey::B.fingerprint(),
        })
        .collect();
    let old = old.to_str().unwrap();
    let args = ["--public-key", old];
    let expected = sorted(expected);
    assert_reports(
        &moto,
        NO_CLOUDTRAIL,
        uri,
        &args,
        &expected,
        1,
        "old key only",
    )
    .await;
}

/// `--public-key` works offline, with the key as raw DER, base64 DER or PEM (repeatable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_key_files_work_offline_in_every_form() {
    let moto = Moto::start().await;
    let day = trail("verify-offline", Some("2026-06-10T12:00:00Z"));
    day.upload(&moto.s3()).await;
    let dir = tempfile::tempdir().unwrap();
    let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
    let (a, b) = (TestKey::A.public_der(), TestKey::B.public_der());
    let pem = format!(
        "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
        b64(&b)
    );
    // (file name, content)
    let files = [
        ("a.der", a.clone()),
        ("a.b64", b64(&a).into_bytes()),
        ("b.pem", pem.into_bytes()),
    ];
    for (name, content) in &files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    for a_file in ["a.der", "a.b64"] {
        let (a_path, b_path) = (path(a_file), path("b.pem"));
        let args = ["--public-key", &a_path, "--public-key", &b_path];
        let uri = "s3://verify-offline/";
        assert_reports(&moto, NO_CLOUDTRAIL, uri, &args, &[], 0, a_file).await;
    }
    // Without --public-key it asks CloudTrail, which is not there: it could not check.
    let mut args = vec!["s3://verify-offline/"];
    args.extend(RANGE);
    let out = verify(&moto, NO_CLOUDTRAIL, &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("ListPublicKeys"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--public-key"), "{}", stderr(&out));
}

/// Prefixes from the bucket root down to one region folder, of either kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_prefix_down_to_a_region_folder() {
    let moto = Moto::start().await;
    let keys = CloudTrailKeys::start(Trail::day().key_entries()).await;
    let mut day = trail("verify-prefixes", None);
    let modified = day.modify_log_byte(); // us-east-1
    let moved = day.copy_digest(); // a copy filed in eu-west-1's digest folder
    day.upload(&moto.s3()).await;
    let both = sorted([modified.clone(), moved.clone()].concat());
    let root = "s3://verify-prefixes";
    // (prefix, expected)
    let cases = [
        ("", both.clone()),
        ("/AWSLogs/111122223333/", both),
        (
            "/AWSLogs/111122223333/CloudTrail/us-east-1/",
            modified.clone(),
        ),
        (
            "/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/",
            modified,
        ),
        ("/AWSLogs/111122223333/CloudTrail/eu-west-1", moved),
        ("/org/", Vec::new()),
        (
            "/org/AWSLogs/o-exampleorg1/444455556666/CloudTrail/us-east-1/",
            Vec::new(),
        ),
    ];
    for (prefix, expected) in cases {
        let uri = format!("{root}{prefix}");
        let status = if expected.is_empty() { 0 } else { 1 };
        assert_reports(&moto, &keys.url(), &uri, &[], &expected, status, &uri).await;
    }
}

/// Bad input: a clear error, exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_reason() {
    let moto = Moto::start().await;
    let keys = CloudTrailKeys::start(Trail::day().key_entries()).await;
    let day = trail("verify-no-digests", None);
    let dir = tempfile::tempdir().unwrap();
    day.write_dir(dir.path());
    // The same bucket without its digests (validation off).
    let mut logs_only = day.clone();
    logs_only
        .objects
        .retain(|key, _| !key.contains("/CloudTrail-Digest/"));
    logs_only.upload(&moto.s3()).await;

    let local = dir.path().to_str().unwrap();
    // (arguments, what stderr must say)
    let cases: [(Vec<&str>, &[&str]); 5] = [
        (
            vec![local],
            &[
                "is a local directory",
                "x-amz-meta-signature",
                "s3://BUCKET",
            ],
        ),
        (
            vec!["s3://verify-no-digests/", "--since", "2026-06-10"],
            &[
                "no CloudTrail digests under s3://verify-no-digests/",
                "--enable-log-file-validation",
            ],
        ),
        (
            vec![
                "s3://verify-no-digests/",
                "--since",
                "2026-06-11",
                "--until",
                "2026-06-10",
            ],
            &["--since 2026-06-11 is after --until 2026-06-10"],
        ),
        (
            vec!["s3://verify-no-such-bucket/"],
            &["listing s3://verify-no-such-bucket/", "NoSuchBucket"],
        ),
        (vec!["verify-no-digests/AWSLogs"], &["is not an s3:// URI"]),
    ];
    for (args, says) in cases {
        let out = verify(&moto, &keys.url(), &args).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        for said in says {
            assert!(err.contains(said), "{args:?}: {said:?} not in {err}");
        }
    }
    assert!(keys.requests().is_empty(), "{:?}", keys.requests());
}

/// Keys come from the bucket: a bidirectional override in one reaches the terminal escaped (and
/// JSON as the character it is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_keys_are_escaped_on_the_terminal() {
    let moto = Moto::start().await;
    let keys = CloudTrailKeys::start(Trail::day().key_entries()).await;
    let day = trail("verify-escaping", None);
    day.upload(&moto.s3()).await;
    let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/06/10/evil\u{202e}zg.nosj.json.gz";
    moto.s3()
        .put_object()
        .bucket("verify-escaping")
        .key(key)
        .body(b"{\"Records\":[]}".to_vec().into())
        .send()
        .await
        .unwrap();
    let planted = Problem::LogFileUnlisted {
        log: keytrail_core::integrity::ObjectRef::new("verify-escaping", key),
    };
    let mut args = vec!["s3://verify-escaping/"];
    args.extend(RANGE);
    let out = verify(&moto, &keys.url(), &args).await;
    let lines = stdout_lines(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(!lines[0].contains('\u{202e}'), "{}", lines[0]);
    assert_eq!(
        lines[0],
        text_line(&planted).replace('\u{202e}', "\\u{202e}")
    );
    args.extend(["--format", "jsonl"]);
    let out = verify(&moto, &keys.url(), &args).await;
    let found: Value = serde_json::from_str(&stdout_lines(&out)[0]).unwrap();
    assert_eq!(found, json_record(&planted));
}
