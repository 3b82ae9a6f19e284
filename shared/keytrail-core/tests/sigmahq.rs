//! SigmaHQ's CloudTrail rules (tests/sigmahq/, see its README) load unchanged through the public
//! API and run: every rule loads except the exact list below, and a handful of rules are checked
//! against a matching and a non-matching event.

use std::path::PathBuf;

use keytrail_core::correlate::MemoryStore;
use keytrail_core::read::RawRecord;
use keytrail_core::rules::{LoadOptions, RuleError, RuleSet, Scratch, Verdict};
use serde_json::{json, Value};

#[allow(clippy::panic)] // a test helper: failing to load fails the test
fn load() -> (RuleSet, Vec<RuleError>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sigmahq");
    let options = LoadOptions {
        builtin: false,
        dirs: vec![dir],
        strict: false,
        ..LoadOptions::default()
    };
    let loaded =
        RuleSet::load(&options).unwrap_or_else(|e| panic!("SigmaHQ rules failed to load: {e:#?}"));
    (loaded.set, loaded.skipped)
}

#[test]
fn every_rule_loads_but_the_known_unsupported_ones() {
    let (set, skipped) = load();
    let mut got: Vec<(String, String)> = skipped
        .iter()
        .map(|e| match e {
            RuleError::Unsupported { file, feature, .. } => {
                let name = file.rsplit(['/', '\\']).next().unwrap_or(file).to_owned();
                (name, feature.clone())
            }
            other => panic!("unexpected error: {other}"),
        })
        .collect();
    got.sort();
    let want = [(
        "aws_cloudtrail_console_susp_login.yml",
        "modifier 'expand' at line 20",
    )]
    .map(|(f, m)| (f.to_owned(), m.to_owned()));
    assert_eq!(got, want);
    let files = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sigmahq"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yml")
        })
        .count();
    assert_eq!(set.rules().len() + want.len(), files);
    // The two aggregation rules load as a rule of their events and a correlation each.
    assert_eq!(set.rules().len(), 88);
    assert_eq!(set.correlations().list().len(), 2);
}

#[allow(clippy::panic)] // a test helper: a missing rule fails the test
fn index(set: &RuleSet, id: &str) -> usize {
    set.rules()
        .iter()
        .position(|r| r.id == id)
        .unwrap_or_else(|| panic!("rule {id} not loaded"))
}

/// `json` as record 0 of an object.
fn raw(json: &[u8]) -> RawRecord<'_> {
    RawRecord {
        index: 0,
        offset: 0,
        json,
        closes: None,
    }
}

/// The rules that match `event`, through the rule set's one entry point.
#[allow(clippy::unwrap_used)] // a test helper: a JSON value always serialises
fn matching(set: &RuleSet, event: &Value) -> Vec<usize> {
    let json = serde_json::to_vec(event).unwrap();
    match set.classify(&raw(&json), &mut Scratch::default()) {
        Verdict::Matched(m) => m.indexes().to_vec(),
        _ => Vec::new(),
    }
}

fn hit_and_miss(id: &str, hit: Value, miss: Value) {
    let (set, _) = load();
    let i = index(&set, id);
    for (event, want) in [(hit, true), (miss, false)] {
        let out = matching(&set, &event);
        assert_eq!(
            out.contains(&i),
            want,
            "rule {id} ({}) on {event}",
            set.rules()[i].title
        );
    }
}

#[test]
fn block_public_access_weakened_matches_json_booleans() {
    let event = |v: bool| {
        json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock",
               "requestParameters": {"PublicAccessBlockConfiguration": {
                   "RestrictPublicBuckets": v, "BlockPublicPolicy": true,
                   "BlockPublicAcls": true, "IgnorePublicAcls": true}}})
    };
    hit_and_miss(
        "ab18a523-e093-4ac6-8303-8c47431f4fca",
        event(false),
        event(true),
    );
}

#[test]
fn imds_credentials_outside_aws() {
    let event = |ip: &str| {
        json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "sourceIPAddress": ip,
               "userIdentity": {"arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"}})
    };
    hit_and_miss(
        "352a918a-34d8-4882-8470-44830c507aa3",
        event("198.51.100.7"),
        event("AWS Internal"),
    );
}

#[test]
fn guardduty_detector_deleted_needs_success() {
    let hit = json!({"eventSource": "guardduty.amazonaws.com", "eventName": "DeleteDetector"});
    let mut miss = hit.clone();
    miss["errorCode"] = json!("AccessDenied");
    hit_and_miss("d2656e78-c069-4571-8220-9e0ab5913f19", hit, miss);
}

#[test]
fn managed_policy_version_with_wildcards_in_values() {
    let event = |arn: &str| {
        json!({"eventSource": "iam.amazonaws.com", "eventName": "CreatePolicyVersion",
               "userIdentity": {"type": "IAMUser", "arn": arn}, "sourceIPAddress": "203.0.113.5",
               "requestParameters": {"setAsDefault": true, "policyArn": "arn:aws:iam::1:policy/p",
                   "policyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}"}})
    };
    hit_and_miss(
        "8b4e6d1c-2f3a-49c5-a1b2-3d4e5f6a7b8c",
        event("arn:aws:iam::1:user/mallory"),
        event("arn:aws:sts::1:assumed-role/terraform-ci/run"),
    );
}

#[test]
fn login_profile_update_uses_fieldref() {
    let event = |arn: &str| {
        json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile",
               "userIdentity": {"arn": arn}, "requestParameters": {"userName": "bob"}})
    };
    hit_and_miss(
        "055fb148-60f8-462d-ad16-26926ce050f1",
        event("arn:aws:iam::1:user/alice"),
        event("bob"),
    );
}

#[test]
fn ecs_task_definition_searches_nested_arrays() {
    let event = |cmd: &str| {
        json!({"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition",
               "requestParameters": {"containerDefinitions": [
                   {"name": "web", "command": ["nginx"]},
                   {"name": "x", "command": ["/bin/sh", "-c", cmd]}]}})
    };
    hit_and_miss(
        "b94bf91e-c2bf-4047-9c43-c6810f43baad",
        event("curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
        event("sleep 60"),
    );
}

#[test]
fn bucket_versioning_contains_searches_the_object() {
    let event = |status: &str| {
        json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning",
               "requestParameters": {"bucketName": "b", "VersioningConfiguration": {"Status": status}}})
    };
    hit_and_miss(
        "a136ac98-b2bc-4189-a14d-f0d0388e57a7",
        event("Suspended"),
        event("Enabled"),
    );
}

#[test]
fn direct_connect_write_but_not_read() {
    let event =
        |name: &str| json!({"eventSource": "directconnect.amazonaws.com", "eventName": name});
    hit_and_miss(
        "7f2c0eca-3a97-42be-a62c-ec0e50de2984",
        event("DeleteConnection"),
        event("DescribeConnections"),
    );
}

#[test]
fn vm_export_without_error() {
    let hit = json!({"eventSource": "ec2.amazonaws.com", "eventName": "CreateInstanceExportTask",
                     "responseElements": {"exportTask": {"state": "active"}}});
    let mut miss = hit.clone();
    miss["errorCode"] = json!("Client.UnauthorizedOperation");
    hit_and_miss("54b9a76a-3c71-4673-b4b3-2edb4566ea7b", hit, miss);
}

#[test]
fn kms_import_key_material_and_metadata() {
    let event = |name: &str| json!({"eventSource": "kms.amazonaws.com", "eventName": name});
    hit_and_miss(
        "1279262f-1464-422f-ac0d-5b545320c526",
        event("ImportKeyMaterial"),
        event("Decrypt"),
    );
    let (set, _) = load();
    let i = index(&set, "1279262f-1464-422f-ac0d-5b545320c526");
    assert_eq!(
        set.rules()[i].falsepositives.len(),
        1,
        "a block-string falsepositives is one item"
    );
    assert_eq!(
        set.info(i).and_then(|info| info.author.as_deref()),
        Some("toopricey")
    );
}

/// SigmaHQ's two aggregation rules run as correlations through `classify` then `correlate`:
/// the secrets one (`count() by userIdentity.arn > 20`, no timeframe: one hour) fires once on
/// the 21st retrieval by one principal; the discovery one (`count(eventName) ... > 6`,
/// `timeframe: 5m`) on the 7th distinct call. Their events alone alert on nothing.
#[test]
#[allow(clippy::unwrap_used)]
fn aggregation_rules_run_as_correlations() {
    let (set, _) = load();
    let secrets = "45251c1d-3fda-47d4-a990-b7ce4d635fc0";
    let discovery = "52a27427-d366-4152-b728-f0157aa2ba64";
    let call = |i: usize, source: &str, name: &str, arn: &str, secs: u32| {
        json!({"eventVersion": "1.08", "eventID": format!("e{i}"), "eventSource": source,
               "eventName": name, "eventTime": format!("2024-05-01T10:{:02}:{:02}Z", secs / 60, secs % 60),
               "userIdentity": {"type": "AssumedRole", "arn": arn}})
    };
    let run = |events: &[Value]| {
        let mut store = MemoryStore::new();
        let (mut fired, mut alone) = (Vec::new(), 0);
        for event in events {
            let json = serde_json::to_vec(event).unwrap();
            let mut scratch = Scratch::default();
            if let Verdict::Matched(m) = set.classify(&raw(&json), &mut scratch) {
                alone += m
                    .rules()
                    .filter(|r| {
                        r.id == secrets || r.id.starts_with(secrets) || r.id.starts_with(discovery)
                    })
                    .count();
                for hit in set.correlate(&m, &mut store).unwrap() {
                    fired.push(
                        set.correlations()
                            .get(hit.correlation)
                            .unwrap()
                            .rule
                            .id
                            .clone(),
                    );
                }
            }
        }
        (fired, alone)
    };
    let sm = "secretsmanager.amazonaws.com";
    let gets = |n: usize, arns: &[&str]| {
        (0..n)
            .map(|i| call(i, sm, "GetSecretValue", arns[i % arns.len()], i as u32 * 10))
            .collect::<Vec<_>>()
    };
    let names = [
        "ListRoles",
        "ListIdentities",
        "ListAccountAliases",
        "GetUser",
        "GetAccount",
        "DescribeHosts",
        "DescribeInstanceTypes",
    ];
    let recon = |n: usize| {
        (0..n)
            .map(|i| {
                call(
                    i,
                    "iam.amazonaws.com",
                    names[i.min(names.len() - 1)],
                    "arn:x",
                    i as u32 * 20,
                )
            })
            .collect::<Vec<_>>()
    };
    let recon7_six_names = {
        let mut r = recon(6);
        r.push(call(6, "iam.amazonaws.com", "ListRoles", "arn:x", 130));
        r
    };
    let cases: [(&str, Vec<Value>, Vec<&str>); 5] = [
        (
            "21 retrievals by one principal",
            gets(21, &["arn:a"]),
            vec![secrets],
        ),
        ("20 retrievals", gets(20, &["arn:a"]), vec![]),
        (
            "21 retrievals by two principals",
            gets(21, &["arn:a", "arn:b"]),
            vec![],
        ),
        ("7 distinct discovery calls", recon(7), vec![discovery]),
        ("7 discovery calls, 6 distinct", recon7_six_names, vec![]),
    ];
    for (what, events, want) in cases {
        let (fired, alone) = run(&events);
        assert_eq!(fired, want, "{what}");
        assert_eq!(
            alone, 0,
            "{what}: the aggregation's events alerted on their own"
        );
    }
}
