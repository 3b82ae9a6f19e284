//! The prefilter index: what it keys rules by, and that it never changes results.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{one, rule_text};
use crate::rules::index::Field;
use crate::rules::{LoadOptions, RuleSet};

#[test]
fn keys_rules_by_required_values() {
    for (detection, want) in [
        (
            "s:\n  eventName: ExportCertificate\ncondition: s",
            Some(Field::Name),
        ),
        (
            "s:\n  eventName:\n    - A\n    - B\ncondition: s",
            Some(Field::Name),
        ),
        (
            "s:\n  eventSource: acm.amazonaws.com\n  eventName|startswith: Export\ncondition: s",
            Some(Field::Source),
        ),
        ("s:\n  eventName|startswith: Export\ncondition: s", None),
        (
            "s:\n  eventName: A\nt:\n  eventSource: x\ncondition: s or t",
            None,
        ),
        (
            "s:\n  eventName: A\nt:\n  eventName: B\ncondition: s or t",
            Some(Field::Name),
        ),
        (
            "s:\n  eventName: A\nt:\n  eventName: B\ncondition: not s",
            None,
        ),
        (
            "s:\n  eventName: A\nf:\n  x: 1\ncondition: s and not f",
            Some(Field::Name),
        ),
        ("s:\n  eventName:\n    - A\n    - null\ncondition: s", None),
        ("s:\n  eventName|all:\n    - A\ncondition: s", None),
        ("s:\n  eventName|cased: A\ncondition: s", Some(Field::Name)),
        ("k:\n  - ExportCertificate\ncondition: k", None),
        (
            "s:\n  - eventName: A\n  - eventName: B\n    x: 1\ncondition: s",
            Some(Field::Name),
        ),
        ("s:\n  - eventName: A\n  - x: 1\ncondition: s", None),
    ] {
        assert_eq!(one(detection).index.route(0), want, "{detection}");
    }
}

#[test]
fn may_match_uses_the_index() {
    let set =
        one("s:\n  eventSource: acm.amazonaws.com\n  eventName: ExportCertificate\ncondition: s");
    for (source, name, want) in [
        (Some("acm.amazonaws.com"), Some("exportcertificate"), true),
        (
            Some("acm.amazonaws.com"),
            Some("DescribeCertificate"),
            false,
        ),
        (Some("kms.amazonaws.com"), None, true),
        (None, Some("Decrypt"), false),
        (None, Some("Ëxport"), true),
    ] {
        assert_eq!(set.may_match(source, name), want, "{source:?} {name:?}");
    }
    // Longer than the stack buffer the lookup lowercases into.
    let long = format!("Export{}", "C".repeat(70));
    let set = one(&format!("s:\n  eventName: {long}\ncondition: s"));
    assert!(set.may_match(None, Some(&long.to_ascii_lowercase())));
    assert!(set.may_match(None, Some(&long)));
    assert!(!set.may_match(None, Some(&long[..64])));
    let empty = RuleSet::load(&LoadOptions::from_sources(Vec::<(String, String)>::new()))
        .unwrap()
        .set;
    assert!(!empty.may_match(Some("acm.amazonaws.com"), Some("ExportCertificate")));
}

/// `sources` loaded leniently (SigmaHQ's unsupported rules skipped).
pub(super) fn lenient(sources: Vec<(String, String)>) -> RuleSet {
    let options = LoadOptions {
        strict: false,
        ..LoadOptions::from_sources(sources)
    };
    RuleSet::load(&options)
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .set
}

/// Every JSON value in the corpus that looks like a record, plus variants that stress routing.
pub(super) fn corpus_events() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let mut files = Vec::new();
    collect(&dir, &mut files);
    let mut events = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let values: Vec<Value> = match serde_json::from_str(&text) {
            Ok(v) => vec![v],
            Err(_) => text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
        };
        for v in values {
            flatten(v, &mut events);
        }
    }
    let mut variants = Vec::new();
    for event in events.iter().take(400) {
        let Some(name) = event.get("eventName").and_then(Value::as_str) else {
            continue;
        };
        for new in [
            json!(name.to_uppercase()),
            json!(name.to_lowercase()),
            json!([name, "x"]),
            Value::Null,
            json!(42),
        ] {
            let mut v = event.clone();
            v["eventName"] = new;
            variants.push(v);
        }
        let mut v = event.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("eventName");
            map.remove("eventSource");
        }
        variants.push(v);
        variants.push(json!([event]));
    }
    events.extend(variants);
    events
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonl" || e == "ndjson")
        {
            out.push(path);
        }
    }
}

fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, out)),
        Value::Object(mut map) => {
            if let Some(records) = map.remove("Records") {
                return flatten(records, out);
            }
            if let Some(log @ Value::Object(_)) = map.get("log").cloned() {
                out.push(log);
            }
            if let Some(detail @ Value::Object(_)) = map.get("detail").cloned() {
                out.push(detail);
            }
            out.push(Value::Object(map));
        }
        _ => {}
    }
}

/// Rules that exercise every routing case, plus SigmaHQ's CloudTrail rules and the pack.
pub(super) fn rule_sources() -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = [
        "s:\n  eventName: ConsoleLogin\ncondition: s",
        "s:\n  eventName:\n    - ExportCertificate\n    - GetCertificate\n    - Decrypt\ncondition: s",
        "s:\n  eventSource: kms.amazonaws.com\n  eventName|startswith: Gen\ncondition: s",
        "s:\n  eventName: Decrypt\nf:\n  errorCode|exists: true\ncondition: s and not f",
        "s:\n  eventName: A\nt:\n  eventSource: s3.amazonaws.com\ncondition: s or t",
        "s:\n  eventName|cased: AssumeRole\ncondition: s",
        "s:\n  eventName: CreateUser\ncondition: not s",
        "k:\n  - amazonaws\ncondition: k",
        "s:\n  eventName:\n    - 42\n    - PutObject\ncondition: s",
    ]
    .iter()
    .enumerate()
    .map(|(i, d)| (format!("synthetic{i}.yml"), rule_text(&format!("synthetic-{i}"), d)))
    .collect();
    let sigmahq = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigmahq");
    let mut files: Vec<PathBuf> = fs::read_dir(sigmahq)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    for file in files {
        if let Ok(text) = fs::read_to_string(&file) {
            sources.push((file.display().to_string(), text));
        }
    }
    sources.extend(
        crate::rules::builtin_sources()
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned())),
    );
    sources
}

#[test]
fn index_never_changes_results() {
    let set = lenient(rule_sources());
    let events = corpus_events();
    assert!(
        events.len() > 500,
        "corpus at ../shared/corpus is missing: only {} events",
        events.len()
    );
    let mut matched_events = 0;
    for event in &events {
        let mut indexed = Vec::new();
        set.matches(event, &mut indexed);
        let brute: Vec<usize> = (0..set.rules().len())
            .filter(|i| set.is_match(*i, event))
            .collect();
        assert_eq!(indexed, brute, "index changed the result for {event}");
        let routing = |k: &str| event.get(k).and_then(Value::as_str);
        if !brute.is_empty() && event.is_object() {
            matched_events += 1;
            assert!(
                set.may_match(routing("eventSource"), routing("eventName")),
                "may_match hid a match: {event}"
            );
        }
    }
    assert!(
        matched_events > 100,
        "only {matched_events} events matched any rule"
    );
}

/// Screening (the rules the index cannot route, checked on only the top-level values they read)
/// answers as matching the whole event does: over the corpus, with SigmaHQ's rules and the pack,
/// plus records made to hit those rules, one with a duplicate key.
#[test]
fn screening_never_changes_results() {
    // A keyword search reads every value: with one among the unrouted rules, nothing screens.
    let set = lenient(rule_sources());
    assert_eq!(set.screen_projection(), None);
    let mut sources = rule_sources();
    sources.retain(|(_, text)| !text.contains("  - amazonaws"));
    let set = lenient(sources);
    let projection = set
        .screen_projection()
        .expect("SigmaHQ's unrouted rules read a few top-level keys");
    let unrouted = (0..set.rules().len())
        .filter(|&i| set.index.route(i).is_none())
        .count();
    assert!(unrouted >= 3, "{unrouted} unrouted rules");
    assert!(projection.keys().any(|k| k == "userIdentity"));
    let mut records: Vec<Vec<u8>> = corpus_events()
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap())
        .collect();
    let made = [
        r#"{"eventType":"AwsApiCall","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"},"eventName":"ListBuckets"}"#,
        r#"{"eventType":"AwsServiceEvent","userIdentity":{"type":"Root"},"eventName":"ListBuckets"}"#,
        r#"{"eventName":"GetCallerIdentity","userAgent":"TruffleHog","eventType":"AwsApiCall"}"#,
        r#"{"eventName":"GetCallerIdentity","userAgent":"TruffleHog","userAgent":"aws-cli","eventType":"AwsApiCall"}"#,
        r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","sourceIPAddress":"198.51.100.1","userIdentity":{"arn":"arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"}}"#,
        r#"{"eventType":"AwsApiCall","userIdentity":{"type":"Root","type":"IAMUser"},"eventName":"ListBuckets"}"#,
        r#"{"eventType":"AwsApiCall","userIdentity":{"type":"IAMUser","type":"Root"},"eventName":"ListBuckets"}"#,
        r#"{"eventType":"AwsApiCall","userIdentity":{"type":"Root"},"userIdentity":{"type":"IAMUser"},"eventName":"ListBuckets"}"#,
        r#"{"eventName":"GetCallerIdentity","userAgent":"Truffle\u0048og","eventType":"AwsApiCall"}"#,
        r#"{"eventType":"AwsApiCall","userIdentity":{"type":"\u0052oot"},"eventName":"ListBuckets"}"#,
        r#"{"eventType":"AwsApiCall","userIdentity":{"type":"ROOT","n":1e3},"eventName":"ListBuckets"}"#,
    ];
    records.extend(made.iter().map(|r| r.as_bytes().to_vec()));
    let (screened, hits, ruled_out) = screen_all(&set, &records);
    assert!(screened > 500, "only {screened} records screened");
    assert!(hits >= 3, "only {hits} records hit an unrouted rule");
    // Some synthetic rules (`not s`, an OR across fields) give the needles nothing to go on;
    // SigmaHQ's and the pack's alone do.
    assert_eq!(ruled_out, 0);
    sources = rule_sources();
    sources.retain(|(name, _)| !name.starts_with("synthetic"));
    let set = lenient(sources);
    assert!(
        set.needles.is_some(),
        "every unrouted SigmaHQ rule has needles"
    );
    let (screened, hits, ruled_out) = screen_all(&set, &records);
    assert!(hits >= 3, "only {hits} records hit an unrouted rule");
    // Over half: the rest are mostly AssumedRole identities, which SigmaHQ's assumerole rule
    // needs a partial event for.
    assert!(
        ruled_out * 2 > screened,
        "the needles ruled out only {ruled_out} of {screened}"
    );
}

/// Screens every record that peeks quickly: the partial event must answer as the whole
/// record, and the needles may rule out only records that no unrouted rule matches. Answers
/// (screened, matched an unrouted rule, ruled out by the needles).
fn screen_all(set: &RuleSet, records: &[Vec<u8>]) -> (usize, usize, usize) {
    let projection = set.screen_projection().unwrap();
    let unrouted: Vec<usize> = (0..set.rules().len())
        .filter(|&i| set.index.route(i).is_none())
        .collect();
    let (mut screened, mut hits, mut ruled_out) = (0, 0, 0);
    for json in records {
        let closes = crate::read::closes_of(json);
        let Some(peek) = crate::record::peek_quick(json, closes.as_deref(), Some(projection))
        else {
            continue;
        };
        let event: Value = serde_json::from_slice(json).unwrap();
        let partial = crate::record::partial_event(json, &peek, projection).unwrap();
        let whole = unrouted.iter().any(|&i| set.is_match(i, &event));
        assert_eq!(set.screen(&partial), whole, "{partial} of {event}");
        if set.screen_rules_out(json, &peek) {
            assert!(!whole, "the needles ruled out a match: {event}");
            ruled_out += 1;
        }
        screened += 1;
        hits += usize::from(whole);
    }
    (screened, hits, ruled_out)
}

/// A top-level key spelled with the path's dots (`userIdentity.type`) is read by the path too,
/// so a record with one is never screened on `userIdentity` alone.
#[test]
fn dotted_top_level_keys_are_not_screened() {
    let set = one("s:\n  userIdentity.type: Root\ncondition: s");
    let projection = set.screen_projection().unwrap();
    assert_eq!(projection.keys().collect::<Vec<_>>(), ["userIdentity"]);
    for (json, screened) in [
        (
            r#"{"eventName":"X","userIdentity":{"type":"Root"}}"#,
            Some(true),
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"IAMUser"}}"#,
            Some(false),
        ),
        (r#"{"eventName":"X","userIdentity.type":"Root"}"#, None),
        (r#"{"eventName":"X","userIdentityX":1}"#, Some(false)),
    ] {
        let peek = crate::record::peek_quick(json.as_bytes(), None, Some(projection)).unwrap();
        let partial = crate::record::partial_event(json.as_bytes(), &peek, projection);
        assert_eq!(partial.map(|p| set.screen(&p)), screened, "{json}");
        let whole: Value = serde_json::from_slice(json.as_bytes()).unwrap();
        assert_eq!(set.is_match(0, &whole), screened != Some(false), "{json}");
    }
}

/// The needles rule a record out only when the raw bytes say what the parsed text would.
#[test]
fn needles_rule_out_only_what_cannot_match() {
    let set = one("s:\n  userIdentity.type: Root\n  userAgent|contains: hog\ncondition: s");
    for (json, out) in [
        (
            r#"{"eventName":"X","userIdentity":{"type":"IAMUser"},"userAgent":"hog"}"#,
            true,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"Root"},"userAgent":"x"}"#,
            false,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"rOOt"},"userAgent":"hog"}"#,
            false,
        ),
        (r#"{"eventName":"X","userAgent":"hog"}"#, true),
        (
            r#"{"eventName":"X","userIdentity":{"type":"\u0052oot"}}"#,
            false,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"Ro\u006ft"}}"#,
            false,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"IAMUser","n":1e9}}"#,
            true,
        ),
        // No number prints as a text with letters: "root" is not in 1e9 however it prints.
        (r#"{"eventName":"X","userIdentity":{"type":1e9}}"#, true),
        (
            r#"{"eventName":"X","userIdentity":[{"type":"Root"}]}"#,
            false,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"Root","type":"IAMUser"}}"#,
            true,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"IAMUser","type":"Root"}}"#,
            false,
        ),
        // No "root" anywhere under userIdentity: whatever a dotted key there means.
        (
            r#"{"eventName":"X","userIdentity":{"type.x":1,"type":"IAMUser"}}"#,
            true,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type.x":"root","type":"IAMUser"}}"#,
            false,
        ),
        (r#"{"eventName":"X","userIdentity.type":"Root"}"#, false),
    ] {
        assert_eq!(needles_rule_out(&set, json), out, "{json}");
    }
    // Texts a number or a `:` between tokens may make: found only in the parsed text, so the
    // bytes alone never rule them out.
    for (detection, json, matches) in [
        (
            "s:\n  userIdentity.n|contains: '1000'\ncondition: s",
            r#"{"eventName":"X","userIdentity":{"n":1e3}}"#,
            true,
        ),
        (
            "s:\n  userIdentity.n|contains: '1000'\ncondition: s",
            r#"{"eventName":"X","userIdentity":{"n":1e2}}"#,
            false,
        ),
        (
            "s:\n  userIdentity|contains: ':1'\ncondition: s",
            r#"{"eventName":"X","userIdentity":{"n": 1}}"#,
            true,
        ),
        (
            "s:\n  userIdentity|contains: ':true'\ncondition: s",
            r#"{"eventName":"X","userIdentity":{"n": true}}"#,
            true,
        ),
    ] {
        let set = one(detection);
        let whole: Value = serde_json::from_slice(json.as_bytes()).unwrap();
        assert_eq!(set.is_match(0, &whole), matches, "{detection} on {json}");
        assert!(!needles_rule_out(&set, json), "{detection} on {json}");
    }
}

/// Rules that name the same needle share its answer, looked for once per record: whether the
/// needle is found or not, the record is ruled out exactly when no rule's needles are there.
#[test]
fn rules_sharing_a_needle_share_its_answer() {
    let rules = [
        ("root", "s:\n  userIdentity.type: Root\ncondition: s"),
        ("root-copy", "s:\n  userIdentity.type: Root\ncondition: s"),
        (
            "root-hog",
            "s:\n  userIdentity.type: Root\n  userAgent|contains: hog\ncondition: s",
        ),
        ("hog", "s:\n  userAgent|contains: hog\ncondition: s"),
    ];
    let set =
        RuleSet::load(&LoadOptions::from_sources(rules.iter().map(
            |(id, detection)| (format!("{id}.yml"), rule_text(id, detection)),
        )))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set;
    assert!(set.needles.is_some());
    for (json, out) in [
        (
            r#"{"eventName":"X","userIdentity":{"type":"IAMUser"},"userAgent":"x"}"#,
            true,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"Root"},"userAgent":"x"}"#,
            false,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"IAMUser"},"userAgent":"hog"}"#,
            false,
        ),
        (
            r#"{"eventName":"X","userIdentity":{"type":"Root"},"userAgent":"hog"}"#,
            false,
        ),
        (r#"{"eventName":"X","userAgent":"x"}"#, true),
    ] {
        assert_eq!(needles_rule_out(&set, json), out, "{json}");
        let whole: Value = serde_json::from_slice(json.as_bytes()).unwrap();
        let matched = (0..rules.len()).any(|i| set.is_match(i, &whole));
        assert_eq!(matched, !out, "{json}");
    }
}

/// Whether the needles rule out the record `json` (quick-peeked for `set`'s screen); when they
/// do, no rule of `set` may match it.
fn needles_rule_out(set: &RuleSet, json: &str) -> bool {
    let projection = set.screen_projection().unwrap();
    let peek = crate::record::peek_quick(json.as_bytes(), None, Some(projection)).unwrap();
    let out = set.screen_rules_out(json.as_bytes(), &peek);
    if out {
        let whole: Value = serde_json::from_slice(json.as_bytes()).unwrap();
        let matched = (0..set.rules().len()).any(|i| set.is_match(i, &whole));
        assert!(!matched, "the needles ruled out a match: {json}");
    }
    out
}

/// The scan screens records that only unrouted rules could match, and parses only those that
/// pass: the same alerts, fewer full parses.
#[test]
fn scan_screens_before_parsing() {
    let set = one("s:\n  userIdentity.type: Root\ncondition: s");
    let ndjson = concat!(
        r#"{"eventName":"ListBuckets","eventID":"1","userIdentity":{"type":"Root"}}"#,
        "\n",
        r#"{"eventName":"ListBuckets","eventID":"2","userIdentity":{"type":"IAMUser"}}"#,
        "\n",
        r#"{"eventName":"ListBuckets","eventID":"3","userIdentity.type":"Root"}"#,
        "\n",
    );
    let mut alerts = Vec::new();
    let report = crate::scan::scan_object(
        "made.jsonl",
        ndjson.as_bytes(),
        &set,
        &crate::scan::ScanOptions::default(),
        &mut |a| alerts.push(a.event_id),
    );
    // NDJSON lines are single events, which the reader does not split with closes: the peek
    // still finds the projected values by scanning.
    assert_eq!(report.records, 3);
    assert_eq!(report.screened, 3, "{report}");
    assert_eq!(
        report.parsed, 2,
        "the IAMUser record is screened out: {report}"
    );
    assert_eq!(alerts, [Some("1".to_owned()), Some("3".to_owned())]);
}

/// The routed rules' needles rule a record out only when no rule matches it: over the corpus
/// (compact and pretty-printed), with the pack (which the index routes whole), and on KMS
/// decrypts made to sit on each side of the ACM-key rule.
#[test]
fn routed_needles_rule_out_only_what_cannot_match() {
    let set = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let routing = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut ruled_out = 0;
    let mut admitted = 0;
    for event in corpus_events() {
        let (source, name) = (routing(&event, "eventSource"), routing(&event, "eventName"));
        if !set.may_match(source.as_deref(), name.as_deref()) {
            continue;
        }
        admitted += 1;
        let matches = (0..set.rules().len()).any(|i| set.is_match(i, &event));
        for json in [
            serde_json::to_vec(&event).unwrap(),
            serde_json::to_vec_pretty(&event).unwrap(),
        ] {
            let out = set.routed_rules_out(&json, source.as_deref(), name.as_deref());
            assert!(!(out && matches), "ruled out a match: {event}");
            ruled_out += usize::from(out);
        }
    }
    assert!(
        admitted > 50 && ruled_out > 0,
        "{admitted} admitted, {ruled_out} ruled out"
    );

    let decrypt = |context: &str| {
        format!(
            r#"{{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","userIdentity":{{"type":"IAMUser"}},"requestParameters":{{"encryptionContext":{{{context}}}}}}}"#
        )
    };
    let acm = decrypt(r#""aws:acm:arn":"arn:aws:acm:us-east-1:111122223333:certificate/x""#);
    let ebs = decrypt(r#""aws:ebs:id":"vol-0123""#);
    let escaped =
        decrypt(r#""\u0061ws:acm:arn":"arn:aws:acm:us-east-1:111122223333:certificate/x""#);
    let source = Some("kms.amazonaws.com");
    for (json, out) in [(&acm, false), (&ebs, true), (&escaped, false)] {
        let event: Value = serde_json::from_str(json).unwrap();
        let matches = (0..set.rules().len()).any(|i| set.is_match(i, &event));
        assert_eq!(matches, json != &ebs, "{json}");
        assert_eq!(
            set.routed_rules_out(json.as_bytes(), source, Some("Decrypt")),
            out,
            "{json}"
        );
    }
    // A rule the index cannot route is left to the screen: the routed rules are still ruled out
    // on the EBS decrypt, and a scan screens it and alerts on the unrouted rule alone.
    let sources: Vec<(String, String)> = vec![(
        "anything.yml".to_owned(),
        rule_text("unrouted", "s:\n  userAgent|contains: zzz\ncondition: s"),
    )];
    let options = LoadOptions {
        sources,
        ..LoadOptions::default()
    };
    let with_unrouted = RuleSet::load(&options).unwrap().set;
    assert!(with_unrouted.routed_rules_out(ebs.as_bytes(), source, Some("Decrypt")));
    let ndjson = [
        &ebs,
        &ebs.replace("\"userIdentity\"", "\"userAgent\":\"zzz\",\"userIdentity\""),
    ]
    .map(|r| format!("{r}\n"))
    .concat();
    let mut alerts = Vec::new();
    let report = crate::scan::scan_object(
        "decrypts.jsonl",
        ndjson.as_bytes(),
        &with_unrouted,
        &crate::scan::ScanOptions::default(),
        &mut |a| alerts.push(a.rule_id),
    );
    assert_eq!((report.screened, report.parsed), (2, 1), "{report}");
    assert_eq!(alerts, ["unrouted"], "{report}");
}
