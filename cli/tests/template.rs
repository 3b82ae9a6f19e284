//! template.yaml's real-time path follows the rules: its EventBridge "AWS API Call via
//! CloudTrail" rule (ApiCallRule) must let through every event a built-in rule can match.
//!
//! The template is read as YAML with its CloudFormation tags; the pattern is resolved the way
//! CloudFormation would for given parameters (`!If [HasExtraEventSources, a, b]`, `!Ref
//! ApiCallExtraEventSources`, `!Ref AWS::NoValue`; any other tag in the pattern fails the test,
//! so that it is taught rather than skipped), and evaluated with a small EventBridge matcher
//! (exact values, `exists`, nested fields, arrays, `$or`) against every built-in rule's hit
//! fixtures in the envelope EventBridge delivers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Value};
use serde_norway::Value as Yaml;

mod support;
use support::{keytrail, repo};

/// The extra sources parameter and the condition that switches its branch on.
const EXTRA: &str = "ApiCallExtraEventSources";
const HAS_EXTRA: &str = "HasExtraEventSources";

fn template() -> Yaml {
    let text = std::fs::read_to_string(repo().join("template.yaml")).unwrap();
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

/// ApiCallRule's EventPattern with ApiCallExtraEventSources set to `extra` (`None`: its
/// default, empty).
fn pattern(extra: Option<&[&str]>) -> Value {
    let t = template();
    let raw = &t["Resources"]["ApiCallRule"]["Properties"]["EventPattern"];
    assert!(
        !raw.is_null(),
        "template.yaml has no ApiCallRule EventPattern"
    );
    resolve(raw, extra).expect("the pattern resolves to a value")
}

/// A YAML value with CloudFormation's tags resolved; `None` for `!Ref AWS::NoValue`.
fn resolve(y: &Yaml, extra: Option<&[&str]>) -> Option<Value> {
    Some(match y {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => json!(b),
        Yaml::Number(n) => serde_json::to_value(n).unwrap(),
        Yaml::String(s) => json!(s),
        Yaml::Sequence(items) => {
            Value::Array(items.iter().filter_map(|i| resolve(i, extra)).collect())
        }
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str().unwrap().to_owned(), resolve(v, extra)?)))
                .collect(),
        ),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match (tag.as_str(), &tagged.value) {
                ("!Ref", Yaml::String(name)) if name == "AWS::NoValue" => return None,
                ("!Ref", Yaml::String(name)) if name == EXTRA => json!(extra.unwrap_or(&[""])),
                ("!If", Yaml::Sequence(args)) if args.len() == 3 => {
                    assert_eq!(
                        args[0].as_str(),
                        Some(HAS_EXTRA),
                        "teach the test this condition"
                    );
                    return resolve(&args[if extra.is_some() { 1 } else { 2 }], extra);
                }
                _ => panic!(
                    "teach the test the tag {tag} {:?} in the pattern",
                    tagged.value
                ),
            }
        }
    })
}

/// Whether EventBridge's `pattern` matches `event` (the subset of the pattern syntax used).
fn matches(pattern: &Value, event: &Value) -> bool {
    let Value::Object(fields) = pattern else {
        panic!("a pattern is an object: {pattern}");
    };
    fields.iter().all(|(key, want)| match (key.as_str(), want) {
        ("$or", Value::Array(alternatives)) => alternatives.iter().any(|p| matches(p, event)),
        (_, Value::Object(_)) => event.get(key).is_some_and(|inner| matches(want, inner)),
        (_, Value::Array(values)) => values.iter().any(|v| value_matches(v, event.get(key))),
        _ => panic!("teach the test the pattern {key}: {want}"),
    })
}

fn value_matches(want: &Value, got: Option<&Value>) -> bool {
    match want {
        Value::Object(op) => match op.get("exists") {
            Some(Value::Bool(exists)) if op.len() == 1 => got.is_some() == *exists,
            _ => panic!("teach the test the operator {want}"),
        },
        literal => match got {
            Some(Value::Array(items)) => items.contains(literal),
            Some(value) => value == literal,
            None => false,
        },
    }
}

/// An "AWS API Call via CloudTrail" event as the default bus delivers it.
fn envelope(record: Value) -> Value {
    if record.get("detail-type").is_some() {
        return record;
    }
    json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.x", "detail": record})
}

/// Every eventSource listed in the pattern's branches.
fn listed_sources(pattern: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let branches = pattern["$or"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![pattern.clone()]);
    for branch in branches {
        if let Some(values) = branch["detail"]["eventSource"].as_array() {
            out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
    }
    out
}

/// Fails when a built-in rule's eventSource is missing from the template: the pattern must list
/// every source `keytrail rules eventbridge-pattern` prints for the pack.
#[test]
fn template_pattern_lists_every_builtin_event_source() {
    let out = keytrail(&["rules", "eventbridge-pattern"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated: Value = serde_json::from_slice(&out.stdout).unwrap();
    let wanted = listed_sources(&generated);
    assert!(wanted.len() >= 12, "{wanted:?}");

    let pattern = pattern(None);
    assert_eq!(
        pattern["detail-type"],
        json!(["AWS API Call via CloudTrail"])
    );
    let listed = listed_sources(&pattern);
    let missing: Vec<&String> = wanted.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "template.yaml's ApiCallRule EventPattern misses the eventSource of built-in rules: \
         {missing:?}. Add each to its detail.eventSource list (`keytrail rules \
         eventbridge-pattern` prints the pack's sources)"
    );
}

/// Every hit fixture of every built-in rule, wrapped as EventBridge delivers it, passes the
/// template's pattern: a branch that narrows a source (KMS) must not drop what a rule matches.
#[test]
fn template_pattern_passes_every_builtin_hit_fixture() {
    let pattern = pattern(None);
    let mut fixtures: Vec<PathBuf> = Vec::new();
    for rule in std::fs::read_dir(repo().join("rules/tests")).unwrap() {
        let hit = rule.unwrap().path().join("hit");
        if hit.is_dir() {
            fixtures.extend(std::fs::read_dir(hit).unwrap().map(|f| f.unwrap().path()));
        }
    }
    assert!(fixtures.len() >= 71, "{} hit fixtures", fixtures.len());
    let dropped: Vec<String> = fixtures
        .iter()
        .filter(|f| {
            let doc: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            // A correlation's fixture is an object of several records: each must pass.
            let records = match doc.get("Records").and_then(Value::as_array) {
                Some(records) => records.clone(),
                None => vec![doc],
            };
            !records.into_iter().all(|r| matches(&pattern, &envelope(r)))
        })
        .map(|f| f.strip_prefix(repo()).unwrap().display().to_string())
        .collect();
    assert!(
        dropped.is_empty(),
        "template.yaml's ApiCallRule EventPattern drops these hit fixtures, so their rules get \
         no real-time path: {dropped:#?}"
    );
}

/// ApiCallExtraEventSources adds a branch for the listed sources, and only when it is set.
#[test]
fn extra_event_sources_parameter_extends_the_pattern() {
    let t = template();
    let param = &t["Parameters"][EXTRA];
    assert_eq!(param["Type"].as_str(), Some("CommaDelimitedList"));
    assert_eq!(param["Default"].as_str(), Some(""));
    assert!(
        !t["Conditions"][HAS_EXTRA].is_null(),
        "no {HAS_EXTRA} condition"
    );

    let sts = envelope(json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole"}));
    let acm =
        envelope(json!({"eventSource": "acm.amazonaws.com", "eventName": "ExportCertificate"}));
    let default = pattern(None);
    assert!(!matches(&default, &sts));
    assert!(matches(&default, &acm));
    let extended = pattern(Some(&["sts.amazonaws.com", "secretsmanager.amazonaws.com"]));
    assert!(matches(&extended, &sts));
    assert!(matches(&extended, &acm));
}

/// The matcher itself: what the tests above rely on.
#[test]
fn matcher_follows_eventbridge_semantics() {
    let p = json!({
        "detail-type": ["AWS API Call via CloudTrail"],
        "$or": [
            {"detail": {"eventSource": ["a"]}},
            {"detail": {"eventSource": ["k"], "readOnly": [false]}},
            {"detail": {"eventSource": ["k"], "eventName": ["D"], "x": {"y": [{"exists": true}]}}},
        ],
    });
    for (detail, want) in [
        (json!({"eventSource": "a"}), true),
        (json!({"eventSource": "b"}), false),
        (json!({"eventSource": "k", "readOnly": false}), true),
        (json!({"eventSource": "k", "readOnly": true}), false),
        (json!({"eventSource": "k"}), false),
        (
            json!({"eventSource": "k", "readOnly": true, "eventName": "D", "x": {"y": "1"}}),
            true,
        ),
        (
            json!({"eventSource": "k", "readOnly": true, "eventName": "D", "x": {}}),
            false,
        ),
        (json!({"eventSource": ["z", "a"]}), true),
    ] {
        assert_eq!(matches(&p, &envelope(detail.clone())), want, "{detail}");
    }
    let other = json!({"detail-type": "Object Created", "detail": {"eventSource": "a"}});
    assert!(!matches(&p, &other));
}

/// The statement with `sid` in the trail processor's policy, and the condition of the `!If` it
/// sits in (`None` when unconditional).
fn processor_statement(t: &Yaml, sid: &str) -> (Option<String>, Yaml) {
    let statements = &t["Resources"]["TrailProcessorRole"]["Properties"]["Policies"][0]
        ["PolicyDocument"]["Statement"];
    for s in statements.as_sequence().expect("a statement list") {
        match s {
            Yaml::Tagged(tagged) if tagged.tag == "!If" => {
                let args = tagged.value.as_sequence().unwrap();
                if args[1]["Sid"].as_str() == Some(sid) {
                    return (args[0].as_str().map(str::to_owned), args[1].clone());
                }
            }
            other if other["Sid"].as_str() == Some(sid) => return (None, other.clone()),
            _ => {}
        }
    }
    panic!("no statement {sid} in TrailProcessorRole")
}

/// The text of a `!Sub` or `!Ref` value, with its tag (`!Sub arn:...`).
fn tagged_text(y: &Yaml) -> String {
    match y {
        Yaml::Tagged(t) => format!(
            "{} {}",
            t.tag,
            serde_norway::to_string(&t.value).unwrap().trim()
        ),
        other => serde_norway::to_string(other).unwrap().trim().to_owned(),
    }
}

/// The optional sinks (issue 23): off by default, wired to the function's environment, and each
/// allowed exactly one action on exactly its own resource, only when it is on.
#[test]
fn optional_sinks_are_off_by_default_and_least_privilege() {
    let t = template();
    assert_eq!(
        t["Parameters"]["SecurityHub"]["Default"].as_str(),
        Some("false")
    );
    assert_eq!(t["Parameters"]["EventBus"]["Default"].as_str(), Some(""));
    let env = &t["Resources"]["TrailProcessor"]["Properties"]["Environment"]["Variables"];
    assert_eq!(tagged_text(&env["SECURITY_HUB"]), "!Ref SecurityHub");
    assert_eq!(tagged_text(&env["EVENT_BUS"]), "!Ref EventBus");
    assert!(
        tagged_text(&env["SECURITY_HUB_PRODUCT_ARN"])
            .contains(":product/${AWS::AccountId}/default"),
        "{:?}",
        env["SECURITY_HUB_PRODUCT_ARN"]
    );

    let (condition, import) = processor_statement(&t, "ImportFindings");
    assert_eq!(condition.as_deref(), Some("UseSecurityHub"));
    assert_eq!(
        import["Action"].as_str(),
        Some("securityhub:BatchImportFindings")
    );
    let resource = tagged_text(&import["Resource"]);
    assert_eq!(
        resource,
        "!Sub arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"
    );

    let (condition, put) = processor_statement(&t, "PutAlertEvents");
    assert_eq!(condition.as_deref(), Some("HasEventBus"));
    assert_eq!(put["Action"].as_str(), Some("events:PutEvents"));
    let resource = tagged_text(&put["Resource"]);
    assert!(
        resource.starts_with("!If")
            && resource.contains("EventBusIsArn")
            && resource.contains(":event-bus/${EventBus}")
            && !resource.contains('*'),
        "{resource}"
    );
    for name in ["UseSecurityHub", "HasEventBus", "EventBusIsArn"] {
        assert!(!t["Conditions"][name].is_null(), "no {name} condition");
    }
}
