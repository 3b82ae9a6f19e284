//! Secrets never leave: every fixture record that carries a secret-bearing field goes through
//! every renderer, and no harvested secret shows up in any output.
//!
//! The harvest is independent of `keytrail_core::redact`: its own list of secret-bearing keys
//! (the one in DESIGN.md and the issue: privateKey, passphrase, hb, certificate bodies, innerJws,
//! csr, contact, and any key named like secret, password or token; ASCII case-insensitive), its own
//! walk, and every value under such a key counts, nested values included. Values too short or too
//! generic to prove anything are skipped: strings under [`MIN_SECRET_CHARS`] characters, and any
//! value that also occurs in the same record outside a secret-bearing key (a certificate ARN under
//! `certificate` that is also `certificateArn`, a documentation placeholder like `**********`
//! that also fills a public field), since such a value in an output proves no leak.
//!
//! Every record raises an alert: the built-in pack plus a catch-all rule run through the real scan
//! path, and a record the scan does not alert on (it is not a CloudTrail event) goes through
//! `Alert::new` with the catch-all rule directly. Each alert is rendered every way the core
//! renders it: the alert JSON (compact and pretty, the CLI's `--format jsonl` line is the compact
//! one), the SNS subject, the SNS `MessageStructure: json` document and each of its parts
//! decoded, the message attributes, the Slack Block Kit payload (raw and every string in it), and
//! the email text. Each secret is looked for raw, JSON-escaped once and twice (the SNS document
//! carries the alert JSON as an escaped string), and line by line for multi-line values (the
//! renderers fold lines). The CLI's table output lives in the cli crate, not here.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use keytrail_core::alert::TreeAlert;
use keytrail_core::read::{ReadOptions, RecordReader};
use keytrail_core::record::{Event, Tree};
use keytrail_core::redact::{redact, Redacted};
use keytrail_core::render::{email_text, message_attributes, slack_message, sns_message};
use keytrail_core::rules::{LoadOptions, Rule, RuleSet, Scratch, Verdict};
use keytrail_core::scan::{scan_object, scan_sized_keeping, AlertSink, ScanOptions};
use keytrail_core::Alert;
use serde_json::{json, Value};

/// Shorter strings are too generic to prove a leak (`true`, `0`, `PEM`, an empty list).
const MIN_SECRET_CHARS: usize = 8;

/// Matches every record, routed or not: `eventName` exists, or it does not.
const CATCH_ALL: &str = r"
title: every record (redaction test)
id: test-catch-all
status: test
description: Matches every record so that every record goes through every renderer.
logsource:
  product: aws
  service: cloudtrail
detection:
  present:
    eventName|exists: true
  absent:
    eventName|exists: false
  condition: present or absent
level: low
";

/// The kind of secret a key carries, when it carries one.
fn secret_kind(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_lowercase();
    let exact = [
        ("privatekey", "privateKey"),
        ("passphrase", "passphrase"),
        ("hb", "hb"),
        ("certificate", "certificate"),
        ("certificatebody", "certificate"),
        ("certificatechain", "certificate"),
        ("innerjws", "innerJws"),
        ("csr", "csr"),
        ("contact", "contact"),
    ];
    if let Some((_, kind)) = exact.iter().find(|(name, _)| *name == k) {
        return Some(kind);
    }
    ["secret", "password", "token"]
        .into_iter()
        .find(|f| k.contains(f))
}

/// Every kind [`secret_kind`] can name.
const KINDS: [&str; 10] = [
    "privateKey",
    "passphrase",
    "hb",
    "certificate",
    "innerJws",
    "csr",
    "contact",
    "secret",
    "password",
    "token",
];

#[derive(Default)]
struct Harvest {
    /// (kind, value) pairs found under secret-bearing keys.
    secrets: Vec<(&'static str, String)>,
    /// Every string not under a secret-bearing key.
    public: Vec<String>,
}

fn harvest(record: &Value) -> Harvest {
    let mut out = Harvest::default();
    // (value, kind of the nearest secret-bearing key above it)
    let mut stack: Vec<(&Value, Option<&'static str>)> = vec![(record, None)];
    while let Some((v, kind)) = stack.pop() {
        if let Some(kind) = kind {
            // The whole value, compact: an `hb` array of numbers is a secret as a whole.
            if !v.is_string() {
                let compact = v.to_string();
                if compact.chars().count() >= MIN_SECRET_CHARS && compact != "null" {
                    out.secrets.push((kind, compact));
                }
            }
        }
        match v {
            Value::Object(map) => {
                for (key, child) in map {
                    // Keys under a secret-bearing key are public names, values are not; a value
                    // counts as the kind of the nearest secret-bearing key above it.
                    let child_kind = secret_kind(key).or(kind);
                    if child_kind.is_none() {
                        out.public.push(key.clone());
                    }
                    stack.push((child, child_kind));
                }
            }
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, kind))),
            Value::String(s) => match kind {
                Some(kind) => {
                    if s.chars().count() >= MIN_SECRET_CHARS {
                        out.secrets.push((kind, s.clone()));
                    }
                    // Renderers fold lines: each long line of a PEM body is a secret on its own.
                    if s.contains('\n') {
                        for line in s.lines().map(str::trim) {
                            if line.chars().count() >= MIN_SECRET_CHARS
                                && !line.starts_with("-----")
                            {
                                out.secrets.push((kind, line.to_owned()));
                            }
                        }
                    }
                }
                None => out.public.push(s.clone()),
            },
            _ => {}
        }
    }
    out
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> PathBuf {
    root().join("../shared")
}

fn walk(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, ext, out);
        } else if ext
            .iter()
            .any(|e| path.to_string_lossy().ends_with(&format!(".{e}")))
        {
            out.push(path);
        }
    }
}

/// Panther's test cases wrap the record: `{rule_id, test_name, ..., log}`.
fn unwrap_panther(v: Value) -> Value {
    match v {
        Value::Object(mut map) if map.contains_key("log") && !map.contains_key("eventName") => {
            map.remove("log").unwrap()
        }
        other => other,
    }
}

/// Every record of a file the reader understands (gzip or not, any container shape).
fn read_records(path: &Path, out: &mut Vec<(String, Value)>) {
    for (name, json) in raw_records(path) {
        // Fixtures are valid JSON; a record that is not is another test's business.
        if let Ok(v) = serde_json::from_slice::<Value>(&json) {
            out.push((name, unwrap_panther(v)));
        }
    }
}

/// The bytes of every record of a file the reader understands, as they are in the file.
fn raw_records(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = fs::read(path).unwrap();
    let name = path.display().to_string();
    let mut reader = RecordReader::new(&name, bytes.as_slice(), ReadOptions::default());
    let mut out = Vec::new();
    while let Some(raw) = reader
        .next_record()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
    {
        out.push((format!("{name}#{}", raw.index), raw.json.to_vec()));
    }
    out
}

/// The record files of the corpus, the rule fixtures and the sample trail objects.
fn record_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(&shared().join("corpus"), &["json", "ndjson"], &mut files);
    walk(&root().join("rules"), &["json"], &mut files);
    walk(&root().join("events/trail"), &["json.gz"], &mut files);
    files.sort();
    files
}

/// The JSON examples in the seed documentation pages: every object that parses, starting at a
/// `{` (the docs print some invalid JSON: those examples are repaired in the corpus).
fn seed_records(path: &Path, out: &mut Vec<(String, Value)>) {
    let text = fs::read_to_string(path).unwrap();
    let mut at = 0;
    while let Some(off) = text[at..].find('{') {
        let start = at + off;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v @ Value::Object(_))) => {
                let end = start + stream.byte_offset();
                let name = format!("{}@{start}", path.display());
                match v.get("Records").and_then(Value::as_array) {
                    Some(records) => {
                        for (i, r) in records.iter().enumerate() {
                            out.push((format!("{name}#{i}"), r.clone()));
                        }
                    }
                    None => out.push((name, v)),
                }
                at = end;
            }
            _ => at = start + 1,
        }
    }
}

fn fixture_records() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in &record_files() {
        read_records(f, &mut out);
    }
    let mut events = Vec::new();
    for entry in fs::read_dir(root().join("events")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            events.push(path);
        }
    }
    events.sort();
    for path in events {
        // Lambda events: the whole document is walked as one record.
        let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        out.push((path.display().to_string(), v));
    }
    let mut seeds = Vec::new();
    walk(&shared().join("seeds"), &["txt"], &mut seeds);
    seeds.sort();
    for s in &seeds {
        seed_records(s, &mut out);
    }
    out
}

/// Records made up to cover every kind of key even if no fixture has it, and the shapes a leak
/// would take: nested values, a resource-named value under a secret key, PEM bodies.
fn synthetic_records() -> Vec<(String, Value)> {
    let base = |name: &str, request: Value, response: Value| {
        json!({
            "eventVersion": "1.09",
            "eventTime": "2026-11-30T10:00:00Z",
            "eventSource": "acm.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "eventID": format!("synthetic-{name}"),
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice"},
            "sourceIPAddress": "192.0.2.7",
            "userAgent": "aws-cli/2",
            "requestParameters": request,
            "responseElements": response,
            "recipientAccountId": "123456789012",
        })
    };
    let pem_cert = "-----BEGIN CERTIFICATE-----\nMIIDsyntheticCERTbodyLINEoneAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nMIIDsyntheticCERTbodyLINEtwoBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\n-----END CERTIFICATE-----\n";
    let pem_key = "-----BEGIN PRIVATE KEY-----\nMIIEsyntheticKEYbodyLINEoneCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\n-----END PRIVATE KEY-----\n";
    vec![
        (
            "synthetic:password".to_owned(),
            base(
                "CreateDBInstance",
                json!({"password": "synthetic-Passw0rd-hunter2", "masterUserPassword": "synthetic-master-pw-42"}),
                json!(null),
            ),
        ),
        (
            "synthetic:sessionToken".to_owned(),
            base(
                "GetSessionToken",
                json!({"durationSeconds": 3600}),
                json!({"credentials": {"accessKeyId": "ASIASYNTHETIC0000001",
                                       "secretAccessKey": "synthetic/SecretAccessKey/wJalrXUtnFEMI",
                                       "sessionToken": "IQoJb3JpZ2luX2VjEJr//////////synthetic-session-token"}}),
            ),
        ),
        (
            "synthetic:certificate".to_owned(),
            base(
                "GetCertificate",
                json!({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/synthetic"}),
                json!({"certificate": pem_cert, "certificateChain": pem_cert.replace("CERT", "CHAIN")}),
            ),
        ),
        (
            "synthetic:export".to_owned(),
            base(
                "ExportCertificate",
                json!({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/synthetic",
                       "passphrase": {"hb": [115, 121, 110, 116, 104, 101, 116, 105, 99], "offset": 0}}),
                json!({"privateKey": pem_key, "certificateBody": pem_cert}),
            ),
        ),
        (
            "synthetic:acme".to_owned(),
            json!({
                "eventVersion": "1.11",
                "eventSource": "acm-acme.amazonaws.com",
                "eventName": "NewAccount",
                "awsRegion": "us-east-1",
                "eventID": "synthetic-acme",
                "userIdentity": {"type": "Unknown"},
                "requestParameters": {
                    "innerJws": "eyJhbGciOiJFUzI1NiJ9.synthetic-inner-jws-payload.c2lnbmF0dXJl",
                    "csr": "MIICsyntheticCSRbase64url-AAAABBBBCCCC",
                    "contact": ["mailto:synthetic-contact@example.com"]
                }
            }),
        ),
        (
            // A resource-named value nested under a secret-bearing key.
            "synthetic:nested-name".to_owned(),
            base(
                "PutSecretValue",
                json!({"secretConfig": {"name": "synthetic-nested-secret-name",
                                        "keyId": "synthetic-nested-secret-keyid"}}),
                json!({"tokenInfo": {"certificateArn": "synthetic-nested-token-certarn"}}),
            ),
        ),
    ]
}

/// Everything the core renders for `alert`, each output named.
fn outputs(alert: &Alert) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("alert json", serde_json::to_string(alert).unwrap()),
        (
            "alert json pretty",
            serde_json::to_string_pretty(alert).unwrap(),
        ),
    ];
    let sns = sns_message(alert);
    out.push(("sns subject", sns.subject.clone()));
    let doc: Value = serde_json::from_str(&sns.message).unwrap();
    for (part, text) in doc.as_object().unwrap() {
        let name = match part.as_str() {
            "default" => "sns default",
            "email" => "sns email",
            "email-json" => "sns email-json",
            _ => "sns other part",
        };
        out.push((name, text.as_str().unwrap().to_owned()));
    }
    out.push(("sns message", sns.message));
    for (name, value) in message_attributes(alert) {
        out.push(("sns attribute", format!("{name}={value}")));
    }
    let slack = slack_message(alert);
    let mut strings = Vec::new();
    let mut stack = vec![&slack];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => strings.push(s.clone()),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    out.push(("slack payload", slack.to_string()));
    out.push(("slack strings", strings.join("\n")));
    out.push(("email text", email_text(alert)));
    out
}

/// The forms a secret can take in an output.
fn forms(secret: &str) -> Vec<String> {
    let once = serde_json::to_string(secret).unwrap();
    let once = once[1..once.len() - 1].to_owned();
    let twice = serde_json::to_string(&once).unwrap();
    let twice = twice[1..twice.len() - 1].to_owned();
    let mut forms = vec![secret.to_owned(), once, twice];
    forms.dedup();
    forms
}

struct Checked {
    harvested: BTreeMap<&'static str, usize>,
    skipped_public: usize,
    records_with_secrets: usize,
    alerted: usize,
    direct: usize,
    alerts: usize,
    outputs: usize,
    leaks: Vec<String>,
}

fn check(records: &[(String, Value)], rules: &RuleSet) -> Checked {
    let catch_all = rules
        .rules()
        .iter()
        .find(|r| r.id == "test-catch-all")
        .unwrap()
        .clone();
    let mut c = Checked {
        harvested: KINDS.iter().map(|k| (*k, 0)).collect(),
        skipped_public: 0,
        records_with_secrets: 0,
        alerted: 0,
        direct: 0,
        alerts: 0,
        outputs: 0,
        leaks: Vec::new(),
    };
    for (name, record) in records {
        let h = harvest(record);
        let mut secrets: BTreeSet<(&'static str, String)> = BTreeSet::new();
        for (kind, s) in h.secrets {
            if h.public.iter().any(|p| p.contains(s.as_str())) {
                c.skipped_public += 1;
            } else {
                secrets.insert((kind, s));
            }
        }
        if secrets.is_empty() {
            continue;
        }
        c.records_with_secrets += 1;
        for (kind, _) in &secrets {
            *c.harvested.get_mut(kind).unwrap() += 1;
        }
        let mut alerts = scanned(name, record, rules);
        if alerts.is_empty() {
            // Not a CloudTrail event to the scan (no eventSource/eventName): alert on it anyway.
            let event = Event::from_value(record.clone()).unwrap();
            alerts.push(Alert::new(&catch_all, &event, name, 0));
            c.direct += 1;
        } else {
            c.alerted += 1;
        }
        assert_caught(name, &alerts);
        for alert in &alerts {
            c.alerts += 1;
            for (output, text) in outputs(alert) {
                c.outputs += 1;
                for (kind, secret) in &secrets {
                    if forms(secret).iter().any(|f| text.contains(f.as_str())) {
                        c.leaks.push(format!(
                            "{name}: {kind} secret {secret:?} in the {output} of rule {}",
                            alert.rule_id
                        ));
                    }
                }
            }
        }
    }
    c
}

/// The catch-all rule of [`rules`].
fn catch_all(rules: &RuleSet) -> &Rule {
    rules
        .rules()
        .iter()
        .find(|r| r.id == "test-catch-all")
        .unwrap()
}

fn rules() -> RuleSet {
    let options = LoadOptions {
        sources: vec![("test-catch-all.yml".to_owned(), CATCH_ALL.to_owned())],
        ..LoadOptions::default()
    };
    RuleSet::load(&options)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set
}

fn report(what: &str, records: usize, c: &Checked) {
    println!(
        "{what}: {records} records, {} with secrets ({} alerted by the scan, {} alerted directly), \
         {} alerts, {} outputs checked, {} values skipped as also public",
        c.records_with_secrets, c.alerted, c.direct, c.alerts, c.outputs, c.skipped_public
    );
    for (kind, n) in &c.harvested {
        println!("  {kind:<12} {n} secret values");
    }
}

#[test]
fn no_fixture_secret_reaches_any_output() {
    let records = fixture_records();
    assert!(
        records.len() > 900,
        "only {} fixture records",
        records.len()
    );
    let rules = rules();
    let c = check(&records, &rules);
    report("fixtures", records.len(), &c);
    assert!(
        c.leaks.is_empty(),
        "{} leaks:\n{}",
        c.leaks.len(),
        c.leaks.join("\n")
    );
    // Not vacuous: the kinds the fixtures carry were found, in numbers.
    assert!(c.records_with_secrets >= 50, "{}", c.records_with_secrets);
    assert!(c.alerts >= c.records_with_secrets);
    for kind in FIXTURE_KINDS {
        assert!(c.harvested[kind] > 0, "no {kind} secret in the fixtures");
    }
}

/// The kinds the fixtures carry (printed by the test above). Their `innerJws` and `csr` are the
/// placeholder `EXAMPLE` (under [`MIN_SECRET_CHARS`]) and no password value is a string of 8 or
/// more characters: the synthetic records cover those kinds.
const FIXTURE_KINDS: &[&str] = &[
    "privateKey",
    "passphrase",
    "hb",
    "certificate",
    "contact",
    "secret",
    "token",
];

#[test]
fn no_synthetic_secret_reaches_any_output() {
    let records = synthetic_records();
    let c = check(&records, &rules());
    report("synthetic", records.len(), &c);
    assert!(
        c.leaks.is_empty(),
        "{} leaks:\n{}",
        c.leaks.len(),
        c.leaks.join("\n")
    );
    assert_eq!(c.records_with_secrets, records.len());
    for kind in KINDS {
        assert!(c.harvested[kind] > 0, "no synthetic {kind} secret");
    }
}

/// A PEM private key is a secret under any key: pasted into the user agent and the caller's
/// ARN (top-level fields of the alert), its body reaches no output.
#[test]
fn a_private_key_in_any_field_reaches_no_output() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCsyntheticUA";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    let record = json!({
        "eventSource": "acm.amazonaws.com", "eventName": "ExportCertificate",
        "eventID": "synthetic-pem-ua", "awsRegion": "us-east-1", "userAgent": pem,
        "userIdentity": {"type": "IAMUser", "arn": pem},
        "requestParameters": {"certificateArn": "arn:aws:acm:us-east-1:1:certificate/x", "name": pem},
    });
    let alerts = scanned("synthetic", &record, &rules());
    assert!(alerts.len() >= 2, "{}", alerts.len());
    for alert in &alerts {
        for (output, text) in outputs(alert) {
            assert!(
                !text.contains(body),
                "{output} of {}: {text}",
                alert.rule_id
            );
        }
    }
}

/// The alert's event is written by `Redacted` straight to JSON, never copied: over every fixture
/// and synthetic record it gives, byte for byte, what redacting a copy in place and serializing
/// that gives.
#[test]
fn redacting_while_serializing_equals_redacting_a_copy() {
    let records: Vec<(String, Value)> = fixture_records()
        .into_iter()
        .chain(synthetic_records())
        .collect();
    let mut redacted = 0;
    for (name, record) in &records {
        let mut copy = record.clone();
        redacted += redact(&mut copy);
        assert_eq!(
            serde_json::to_string(&Redacted(record)).unwrap(),
            serde_json::to_string(&copy).unwrap(),
            "{name}"
        );
    }
    assert!(redacted >= 100, "only {redacted} values redacted");
}

/// An alert made from a record's own bytes read into a tree (as the scan makes those of records
/// that rules matched on a partial event) is, byte for byte, the alert made from the record
/// parsed into a `Value`: over the bytes of every corpus, rule-fixture and sample-trail record
/// as they are in their files (keys in their own order, escapes as written, duplicates), and
/// every fixture and synthetic record written again by serde_json. Every record serde_json
/// reads as an object, the tree reads too.
#[test]
fn alerts_from_the_record_bytes_equal_alerts_from_its_value() {
    let rules = rules();
    let catch_all = catch_all(&rules);
    let mut texts: Vec<(String, Vec<u8>)> =
        record_files().iter().flat_map(|f| raw_records(f)).collect();
    texts.extend(
        fixture_records()
            .into_iter()
            .chain(synthetic_records())
            .map(|(name, v)| (name, serde_json::to_vec(&v).unwrap())),
    );
    let (mut compared, mut redacted, mut written) = (0, 0, 0);
    for (name, json) in &texts {
        let tree = Tree::parse(json);
        let Ok(event) = Event::parse(json) else {
            assert!(
                tree.is_none(),
                "{name}: the tree read what serde_json refused"
            );
            continue;
        };
        let tree = tree.unwrap_or_else(|| panic!("{name}: the tree refused a record"));
        let want = serde_json::to_string(&Alert::new(catch_all, &event, name, 7)).unwrap();
        let got =
            serde_json::to_string(&Alert::from_tree(catch_all, &tree, json, name, 7)).unwrap();
        assert_eq!(got, want, "{name}");
        // The same alert written straight from the tree, without an `Alert`.
        let found = TreeAlert {
            rule: catch_all,
            head: None,
            tree: &tree,
            json,
            object: name,
            record: 7,
        };
        let mut line = b"[".to_vec();
        if found.write_json(&mut line) {
            assert_eq!(String::from_utf8_lossy(&line[1..]), want, "{name}: written");
            written += 1;
        } else {
            assert_eq!(line, b"[", "{name}: a refused alert left text behind");
        }
        compared += 1;
        redacted += usize::from(want.contains(keytrail_core::redact::REDACTED));
    }
    assert!(compared >= 1000, "only {compared} records compared");
    assert!(redacted >= 50, "only {redacted} alerts with a redaction");
    // Only an event too large for its alert is left to the `Alert`, which cuts it.
    assert!(
        written + 5 >= compared,
        "only {written} of {compared} alerts written"
    );
    println!("{compared} records compared, {redacted} with a redaction, {written} written");
}

/// The scan makes the alerts of a record that only the catch-all rule (which the index cannot
/// route) matches from the record's bytes, without a `Value`: the test above covers the path
/// the scan takes.
#[test]
fn a_screened_match_is_read_into_a_tree() {
    let rules = rules();
    let json = br#"{"eventSource": "example.amazonaws.com", "eventName": "Nothing", "b": 1}"#;
    let mut reader = RecordReader::new("x", &json[..], ReadOptions::default());
    let raw = reader.next_record().unwrap().unwrap();
    let mut scratch = Scratch::default();
    let Verdict::Matched(m) = rules.classify(&raw, &mut scratch) else {
        panic!("the catch-all rule did not match");
    };
    assert!(m.tree().is_some());
    assert_eq!(m.event().str_at("eventName"), Some("Nothing"));
}

/// A sink that writes each alert as a JSON line, as the CLI's JSONL output does: those of
/// records read into a tree straight from the tree, with their rule set's heads.
#[derive(Default)]
struct Lines {
    text: Vec<u8>,
    written: usize,
}

impl AlertSink for Lines {
    fn alert(&mut self, alert: Alert) {
        serde_json::to_writer(&mut self.text, &alert).unwrap();
        self.text.push(b'\n');
    }

    fn tree_alert(&mut self, alert: TreeAlert<'_>) {
        assert!(alert.head.is_some(), "the scan gave no head");
        if alert.write_json(&mut self.text) {
            self.text.push(b'\n');
            self.written += 1;
        } else {
            self.alert(alert.to_alert());
        }
    }
}

/// Scanning every corpus and seed object, the lines a JSON-writing sink writes are the
/// serialized alerts of the same scan, byte for byte, and most were written from a tree.
#[test]
fn alerts_written_by_the_scan_equal_the_alerts_serialized() {
    let rules = rules();
    let (mut objects, mut written) = (0, 0);
    for path in record_files() {
        let Ok(bytes) = fs::read(&path) else { continue };
        let name = path.display().to_string();
        let mut want = Vec::new();
        scan_object(
            &name,
            bytes.as_slice(),
            &rules,
            &ScanOptions::default(),
            &mut |a| {
                serde_json::to_writer(&mut want, &a).unwrap();
                want.push(b'\n');
            },
        );
        let mut lines = Lines::default();
        let size = Some(bytes.len() as u64);
        scan_sized_keeping(
            &name,
            bytes.as_slice(),
            size,
            &rules,
            &ScanOptions::default(),
            &mut lines,
            &mut |_| {},
        );
        assert_eq!(
            String::from_utf8_lossy(&lines.text),
            String::from_utf8_lossy(&want),
            "{name}"
        );
        objects += 1;
        written += lines.written;
    }
    assert!(
        objects >= 500 && written >= 500,
        "{objects} objects, {written} written"
    );
    println!("{objects} objects, {written} alerts written from trees");
}

/// The check itself finds a secret when one is there: an alert carrying a harvested value
/// unredacted is caught.
#[test]
fn the_check_catches_a_planted_leak() {
    let record = json!({"eventName": "X", "eventSource": "acm.amazonaws.com",
                        "requestParameters": {"passphrase": "planted-secret-value"}});
    let h = harvest(&record);
    assert_eq!(
        h.secrets,
        [("passphrase", "planted-secret-value".to_owned())]
    );
    let rules = rules();
    let catch_all = catch_all(&rules);
    let mut alert = Alert::new(catch_all, &Event::from_value(record).unwrap(), "x", 0);
    alert.user_agent = Some("planted-secret-value".to_owned());
    let hits: Vec<&str> = outputs(&alert)
        .into_iter()
        .filter(|(_, text)| {
            forms("planted-secret-value")
                .iter()
                .any(|f| text.contains(f.as_str()))
        })
        .map(|(name, _)| name)
        .collect();
    for want in [
        "alert json",
        "sns message",
        "sns email",
        "slack payload",
        "email text",
    ] {
        assert!(hits.contains(&want), "{want} not caught: {hits:?}");
    }
}

/// The alerts the scan raises for `record`.
fn scanned(name: &str, record: &Value, rules: &RuleSet) -> Vec<Alert> {
    let bytes = serde_json::to_vec(record).unwrap();
    let mut alerts = Vec::new();
    scan_object(
        name,
        bytes.as_slice(),
        rules,
        &ScanOptions::default(),
        &mut |a| alerts.push(a),
    );
    alerts
}

/// The catch-all rule is among `alerts`: every record reaches every renderer.
fn assert_caught(name: &str, alerts: &[Alert]) {
    assert!(
        alerts.iter().any(|a| a.rule_id == "test-catch-all"),
        "{name}: the catch-all rule did not match"
    );
}

/// The alerts the scan raises for `record`, the catch-all rule's among them.
fn alerts_on(name: &str, record: &Value, rules: &RuleSet) -> Vec<Alert> {
    let alerts = scanned(name, record, rules);
    assert_caught(name, &alerts);
    alerts
}

/// A CloudTrail record whose `requestParameters` are `request`.
fn record_with(name: &str, request: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "eventTime": "2026-11-30T10:00:00Z",
        "eventSource": "ecs.amazonaws.com",
        "eventName": "RegisterTaskDefinition",
        "awsRegion": "us-east-1",
        "eventID": format!("gap-{name}"),
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice"},
        "sourceIPAddress": "192.0.2.7",
        "userAgent": "aws-cli/2",
        "requestParameters": request,
        "recipientAccountId": "123456789012",
    })
}

/// A PGP private key block: not caught by the `PRIVATE KEY-----` mark (`KEY BLOCK-----`).
const PGP_KEY: &str = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGSyntheticPGPbodyLINEoneDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD\n-----END PGP PRIVATE KEY BLOCK-----\n";
/// An EC private key in PKCS #8, base64 DER without PEM lines (a throwaway test key).
const DER_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwnB0N1S5L3LoBVelbYCxJK9I8lBN99tG3TXnifYzXlyhRANCAATFU0XUOnsMU3MrLup+Jszb4ZydwRjH7NNuS0oPaKHmxDfn6GhgM2CWcjQAtYESSqSwQ8PfVkWTZB0HmUYSHrkW";
/// jwt.io's example token.
const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const SIGV4_SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

/// Issue 19's redaction gaps, one case a kind: (kind, requestParameters, the secret in them).
/// The first half is caught by the key, the second by the value's shape under innocent keys.
fn gap_corpus() -> Vec<(&'static str, Value, String)> {
    let case = |kind, request, secret: &str| (kind, request, secret.to_owned());
    vec![
        case(
            "Authorization: Bearer",
            json!({"headers": {"Authorization": "Bearer synthBearerTok3n0123"}}),
            "synthBearerTok3n0123",
        ),
        case(
            "Authorization: SigV4",
            json!({"headers": {"authorization": format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature={SIGV4_SIGNATURE}")}}),
            SIGV4_SIGNATURE,
        ),
        case(
            "private_key without PEM lines",
            json!({"private_key": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCsynthNoHeader"}),
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCsynthNoHeader",
        ),
        case(
            "privateKeyPem",
            json!({"privateKeyPem": "synthPrivateKeyPemBody0001"}),
            "synthPrivateKeyPemBody0001",
        ),
        case(
            "keyMaterial",
            json!({"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                   "keyMaterial": "c3ludGhLZXlNYXRlcmlhbDAwMDE="}),
            "c3ludGhLZXlNYXRlcmlhbDAwMDE=",
        ),
        case(
            "Cookie",
            json!({"headers": {"Cookie": "session=synthCookieValue0001"}}),
            "synthCookieValue0001",
        ),
        case(
            "apiKey",
            json!({"apiKey": "synthApiKeyValue0001"}),
            "synthApiKeyValue0001",
        ),
        case(
            "X-Api-Key",
            json!({"headers": {"X-Api-Key": "synthXApiKeyValue0001"}}),
            "synthXApiKeyValue0001",
        ),
        case(
            "pwd",
            json!({"pwd": "synthPwdValue0001"}),
            "synthPwdValue0001",
        ),
        case(
            "pass",
            json!({"DB_PASS": "synthPassValue0001"}),
            "synthPassValue0001",
        ),
        case("otp", json!({"otp": "84921377"}), "84921377"),
        case(
            "name/value pair (ECS environment)",
            json!({"containerDefinitions": [{"environment": [
                {"name": "LOG_LEVEL", "value": "debug"},
                {"name": "DB_PASSWORD", "value": "synthEnvValue0001"}]}]}),
            "synthEnvValue0001",
        ),
        case(
            "name/value pair (SSM parameter path)",
            json!({"name": "/prod/db/password", "value": "synthSsmValue0001", "type": "String"}),
            "synthSsmValue0001",
        ),
        case(
            "name/value pair (CloudFormation parameter)",
            json!({"parameters": [{"parameterKey": "MasterPwd",
                                   "parameterValue": "synthCfnValue0001"}]}),
            "synthCfnValue0001",
        ),
        case(
            "AWS secret access key, innocent key",
            json!({"description": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        case(
            "AWS secret access key inside text",
            json!({"userData": "export AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}),
            "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        ),
        case(
            "PEM private key block (PGP), innocent key",
            json!({"comment": PGP_KEY}),
            "lQOYBGSyntheticPGPbodyLINEoneDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
        ),
        case(
            "DER private key in base64, innocent key",
            json!({"blob": DER_KEY}),
            DER_KEY,
        ),
        case("JWT, innocent key", json!({"state": JWT}), JWT),
        case(
            "JWT in a URL",
            json!({"callbackUrl": format!("https://app.example/cb?id_token={JWT}&s=1")}),
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ),
        case(
            "presigned URL signature",
            json!({"url": format!("https://b.s3.amazonaws.com/k?X-Amz-Signature={SIGV4_SIGNATURE}")}),
            SIGV4_SIGNATURE,
        ),
        case(
            "Slack token",
            json!({"note": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"}),
            "AbCdEfGhIjKlMnOpQrStUvWx",
        ),
        case(
            "GitHub token in a URL",
            json!({"repositoryUrl": "https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r.git"}),
            "16C7e42F292c6912E7710c838347Ae178B4a",
        ),
    ]
}

/// Every kind of issue 19's gap corpus reaches no output of any alert on its record: not the
/// alert JSON, SNS, the email text nor the Slack message.
#[test]
fn no_gap_secret_reaches_any_output() {
    let rules = rules();
    let mut leaks = Vec::new();
    let corpus = gap_corpus();
    for (kind, request, secret) in &corpus {
        let record = record_with(kind, request.clone());
        for alert in alerts_on(kind, &record, &rules) {
            for (output, text) in outputs(&alert) {
                if forms(secret).iter().any(|f| text.contains(f.as_str())) {
                    leaks.push(format!(
                        "{kind} | in the {output} of rule {}",
                        alert.rule_id
                    ));
                }
            }
        }
    }
    let kinds: BTreeSet<&str> = leaks.iter().filter_map(|l| l.split(" | ").next()).collect();
    assert!(
        leaks.is_empty(),
        "{} of {} kinds leak: {kinds:?}\n{}",
        kinds.len(),
        corpus.len(),
        leaks.join("\n")
    );
}

/// Ordinary values under ordinary keys stay as they are in the alert's event: ARNs, ids,
/// request ids, an access key id, hashes, a user agent, and a public certificate (Roles
/// Anywhere logs a trust anchor's, in PEM and as base64 DER), and keys that merely start like
/// secret ones (`authorizationType`, `cookieBehavior`, `apiKeySource`, `bypass...`).
#[test]
fn ordinary_values_are_not_redacted() {
    let cert = "MIIBQjCB9aADAgECAhQcrZrqpNq3qX14ADB7aplK8XFSPTAFBgMrZXAwFzEVMBMGA1UEAwwMdGVzdC5leGFtcGxlMB4XDTI2MTIwNzA1MjE0N1oXDTI2MTIwODA1MjE0N1owFzEVMBMGA1UEAwwMdGVzdC5leGFtcGxlMCowBQYDK2VwAyEAFSEmLKS6H67ve/7GGkXVXw3Bm1ztot57GtPmAXRIypWjUzBRMB0GA1UdDgQWBBSQReW0jNECn/BnDbnPCFYhuPJmkzAfBgNVHSMEGDAWgBSQReW0jNECn/BnDbnPCFYhuPJmkzAPBgNVHRMBAf8EBTADAQH/MAUGAytlcANBAH0/fmyWn0G4nrPwnvqo+EyEKpcCFMCLR3Xl+5sthDu9bZOM5TV7RApUEED7NSFGMJ0+KTmoMLPLW7yQEIlTDA4=";
    let pem = format!("-----BEGIN CERTIFICATE-----\n{cert}\n-----END CERTIFICATE-----\n");
    let request = json!({
        "roleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSSMRoleForInstancesQuickSetup",
        "keyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "requestId": "5f3c1e2a-6b7d-4c8e-9f01-23456789abcd",
        "xAmzId2": "IHdGt+4dOBQ9yhY2nvEiRtO1Jq6jTW2Za8s8Jq7HE3+x1QyTz5c+s2pD8s6pO4H1CqcA9wD7XBI=",
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "etag": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "agent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2 prompt/off",
        "source": {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem}},
        "derCert": cert,
        "authorizationType": "AWS_IAM",
        "cookieBehavior": "whitelist",
        "apiKeySource": "HEADER",
        "bypassMode": "governance",
        "tags": [{"key": "Name", "value": "web-1"}, {"key": "passport", "value": "kept-value"}],
    });
    let record = record_with("ordinary", request.clone());
    let mut redacted = Vec::new();
    for alert in alerts_on("ordinary", &record, &rules()) {
        let event: Value = serde_json::from_str(alert.event.get()).unwrap();
        let mut stack = vec![("".to_owned(), &request)];
        while let Some((path, want)) = stack.pop() {
            match want {
                Value::Object(map) => {
                    stack.extend(map.iter().map(|(k, v)| (format!("{path}/{k}"), v)));
                }
                Value::Array(items) => stack.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{path}/{i}"), v)),
                ),
                _ => {
                    let got = event.pointer(&format!("/requestParameters{path}"));
                    if got != Some(want) {
                        redacted.push(format!("{} {path}: {got:?}", alert.rule_id));
                    }
                }
            }
        }
    }
    assert!(redacted.is_empty(), "{}", redacted.join("\n"));
}
