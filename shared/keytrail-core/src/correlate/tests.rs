//! Unit tests: timespans, conditions, legacy aggregations, the memory store, and the loader's
//! messages for malformed correlations.

use super::spec::{parse_aggregation, timespan};
use super::*;
use crate::rules::error::Problem;
use crate::rules::{LoadOptions, RuleSet};

#[test]
fn timespans() {
    let cases = [
        ("30s", Some(30)),
        ("10m", Some(600)),
        ("1h", Some(3600)),
        ("2d", Some(172_800)),
        ("0m", None),
        ("1w", None),
        ("h", None),
        ("", None),
        ("-1h", None),
    ];
    for (text, want) in cases {
        assert_eq!(timespan(text).ok(), want, "{text:?}");
    }
}

#[test]
fn conditions_are_conjunctions_of_bounds() {
    let range = Condition {
        gt: Some(100),
        lte: Some(200),
        ..Condition::default()
    };
    let cases = [(100, false), (101, true), (200, true), (201, false)];
    for (n, want) in cases {
        assert_eq!(range.holds(n), want, "{n}");
    }
    let eq = Condition {
        eq: Some(3),
        ..Condition::default()
    };
    assert_eq!([2, 3, 4].map(|n| eq.holds(n)), [false, true, false]);
}

#[test]
fn legacy_aggregations() {
    type Want = Option<(Kind, Vec<&'static str>, Condition)>;
    let cases: [(&str, Want); 7] = [
        (
            "count() by userIdentity.arn > 20",
            Some((
                Kind::EventCount,
                vec!["userIdentity.arn"],
                Condition {
                    gt: Some(20),
                    ..Condition::default()
                },
            )),
        ),
        (
            " count(eventName) by userIdentity.arn > 6",
            Some((
                Kind::ValueCount {
                    field: "eventName".into(),
                },
                vec!["userIdentity.arn"],
                Condition {
                    gt: Some(6),
                    ..Condition::default()
                },
            )),
        ),
        (
            "count() >= 5",
            Some((
                Kind::EventCount,
                vec![],
                Condition {
                    gte: Some(5),
                    ..Condition::default()
                },
            )),
        ),
        (
            "count() by a == 2",
            Some((
                Kind::EventCount,
                vec!["a"],
                Condition {
                    eq: Some(2),
                    ..Condition::default()
                },
            )),
        ),
        ("count() by a < 2", None),
        ("max(x) by a > 2", None),
        ("count() by a > many", None),
    ];
    for (text, want) in cases {
        match (parse_aggregation(text, "base", Some("5m")), want) {
            (Ok(s), Some((kind, group, condition))) => {
                assert_eq!(
                    (s.kind, s.group_by, s.condition, s.timespan),
                    (
                        kind,
                        group.iter().map(|g| g.to_string()).collect(),
                        condition,
                        300
                    ),
                    "{text}"
                );
                assert_eq!(
                    (s.rules, s.generate),
                    (vec!["base".to_owned()], Some(false))
                );
            }
            (Err(Problem::Unsupported(f)), None) => assert!(f.contains("an aggregation"), "{f}"),
            (got, want) => panic!("{text}: {got:?} vs {want:?}"),
        }
    }
    assert_eq!(
        parse_aggregation("count() > 1", "b", None)
            .unwrap()
            .timespan,
        3600,
        "the default timespan"
    );
}

#[test]
fn memory_store_counts_an_event_id_once_and_fires_once() {
    let key = WindowKey {
        rule: "r".into(),
        group: vec!["p".into()],
        start: 0,
    };
    let other = WindowKey {
        start: 3600,
        ..key.clone()
    };
    let c = |id: &str| Contribution {
        event_id: id.into(),
        event_time: 1,
        value: None,
        tag: 0,
    };
    let mut store = MemoryStore::new();
    assert_eq!(
        store.add(&key, c("a")).unwrap(),
        Added::New { fired: false }
    );
    assert_eq!(store.add(&key, c("a")).unwrap(), Added::Duplicate);
    assert_eq!(
        store.add(&other, c("a")).unwrap(),
        Added::New { fired: false }
    );
    assert_eq!(store.read(&key).unwrap().contributions.len(), 1);
    assert!(store.mark_fired(&key).unwrap());
    assert!(!store.mark_fired(&key).unwrap());
    assert_eq!(store.add(&key, c("b")).unwrap(), Added::New { fired: true });
    assert!(store.read(&other).is_ok_and(|w| !w.fired));
    assert_eq!(store.len(), 2);
}

const BASE: &str = "title: b\nid: b\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    s:\n        eventName: X\n    condition: s\n";

fn load_errors(correlation: &str) -> Vec<String> {
    let text = format!("title: c\nid: c\ncorrelation:\n{correlation}");
    match RuleSet::load(&LoadOptions::from_sources([
        ("b.yml", BASE.to_owned()),
        ("c.yml", text),
    ])) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn malformed_correlations_are_named_errors() {
    let ok = "    type: event_count\n    rules: [b]\n    group-by: [userIdentity.arn]\n    timespan: 1h\n    condition:\n        gte: 3\n";
    assert_eq!(load_errors(ok), Vec::<String>::new());
    let cases = [
        (
            ok.replace("event_count", "bogus"),
            "correlation type 'bogus', which keytrail does not support",
        ),
        (
            ok.replace("rules: [b]", "rules: [nope]"),
            "correlation.rules names \"nope\", which is not a loaded rule",
        ),
        (
            ok.replace("1h", "1 hour"),
            "timespan \"1 hour\" must be a number and s, m, h or d",
        ),
        (
            ok.replace("gte: 3", "most: 3"),
            "correlation.condition.most is not a condition",
        ),
        (ok.replace("gte: 3", "lt: 3"), "only an upper bound"),
        (
            ok.replace("event_count", "value_count"),
            "a value_count correlation needs condition.field",
        ),
        (
            ok.replace("    condition:\n        gte: 3\n", ""),
            "correlation.condition is required",
        ),
        (
            ok.replace("rules: [b]", "rules: [c]"),
            "lead back to itself",
        ),
    ];
    for (text, want) in cases {
        let errors = load_errors(&text);
        assert!(
            errors.len() == 1 && errors[0].starts_with("c.yml: ") && errors[0].contains(want),
            "{want}: {errors:?}"
        );
    }
}

#[test]
fn a_correlation_naming_a_skipped_rule_is_skipped_with_it_when_lenient() {
    let skipped_rule = BASE
        .replace("id: b\n", "id: s\n")
        .replace("eventName: X", "ip|expand: '%x%'");
    let corr = "title: c\nid: c\ncorrelation:\n    type: event_count\n    rules: [s]\n    timespan: 1h\n    condition:\n        gte: 2\n";
    let chained =
        "title: d\nid: d\ncorrelation:\n    type: temporal\n    rules: [c, b]\n    timespan: 1h\n";
    let options = LoadOptions {
        strict: false,
        ..LoadOptions::from_sources([
            ("b.yml", BASE),
            ("s.yml", &skipped_rule),
            ("c.yml", corr),
            ("d.yml", chained),
        ])
    };
    let loaded = RuleSet::load(&options).unwrap();
    let skipped: Vec<String> = loaded.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(
        skipped[1].starts_with("c.yml: rule c (c) uses rule s, which was skipped"),
        "{skipped:?}"
    );
    assert!(
        skipped[2].starts_with("d.yml: rule d (d) uses rule c, which was skipped"),
        "{skipped:?}"
    );
    assert!(loaded.set.correlations().is_empty());
}

/// A store that remembers a window fired only for one run (as the Lambda's, which marks it in
/// the table only once its alert is out): `run` is cleared between deliveries.
#[derive(Default)]
struct Forgetful {
    store: MemoryStore,
    run: std::collections::HashSet<WindowKey>,
}

impl Store for Forgetful {
    fn add(&mut self, key: &WindowKey, c: Contribution) -> Result<Added, StoreError> {
        Ok(match self.store.add(key, c)? {
            Added::New { .. } => Added::New {
                fired: self.run.contains(key),
            },
            Added::Duplicate => Added::Duplicate,
        })
    }
    fn read(&mut self, key: &WindowKey) -> Result<Window, StoreError> {
        let mut window = self.store.read(key)?;
        window.fired = self.run.contains(key);
        Ok(window)
    }
    fn mark_fired(&mut self, key: &WindowKey) -> Result<bool, StoreError> {
        Ok(self.run.insert(key.clone()))
    }
}

#[test]
fn a_delivery_again_fires_a_window_only_while_it_is_not_marked_fired() {
    const SET: &str = "title: e\nid: e\nlogsource:\n  product: aws\n  service: cloudtrail\n\
        detection:\n  s:\n    eventName: X\n  condition: s\nlevel: low\n---\n\
        title: two\nid: two\ncorrelation:\n  type: event_count\n  rules: [e]\n  \
        group-by: [userIdentity.arn]\n  timespan: 1h\n  condition:\n    gte: 2\nlevel: high\n";
    let set = RuleSet::load(&LoadOptions::from_sources([("c.yml", SET.to_owned())]))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set;
    let c = set.correlations();
    let kept = || {
        ["a", "b"]
            .iter()
            .filter_map(|id| {
                let event = serde_json::json!({"eventID": id, "eventName": "X",
                    "eventTime": "2026-01-01T00:10:00Z", "userIdentity": {"arn": "p"}});
                c.keep(&[0], &event)
            })
            .collect::<Vec<_>>()
    };
    let fired = |r: Result<Vec<Correlated>, StoreError>| r.map(|f| f.len());
    let mut memory = MemoryStore::new();
    assert_eq!(fired(c.replay(kept(), &mut memory)), Ok(1));
    assert_eq!(
        fired(c.replay(kept(), &mut memory)),
        Ok(0),
        "marked: no repeat"
    );
    let mut lambda = Forgetful::default();
    assert_eq!(fired(c.replay(kept(), &mut lambda)), Ok(1));
    lambda.run.clear();
    assert_eq!(
        fired(c.replay(kept(), &mut lambda)),
        Ok(1),
        "not marked (its alert never went out): the retry fires it again, once"
    );
}

#[test]
fn group_hashes_tell_groups_apart() {
    let key = |group: &[&str]| WindowKey {
        rule: "r".into(),
        group: group.iter().map(|s| (*s).to_owned()).collect(),
        start: 0,
    };
    let hashes = [
        key(&["ab", "c"]).group_hash(),
        key(&["a", "bc"]).group_hash(),
        key(&["abc"]).group_hash(),
        key(&[]).group_hash(),
    ];
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(h.len(), 32, "{h}");
        assert!(hashes[i + 1..].iter().all(|o| o != h), "{hashes:?}");
    }
    assert_eq!(key(&["ab", "c"]).group_hash(), hashes[0], "stable");
}
