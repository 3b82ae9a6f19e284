//! The correlation engine against the Sigma specification's own examples (`tests/sigma-spec/`,
//! see its README), loaded through `RuleSet::load` and run through the public API with an
//! in-memory store.
#![allow(clippy::panic, clippy::unwrap_used)] // test helpers: a failure fails the test

use std::fs;

use keytrail_core::correlate::{Correlated, MemoryStore};
use keytrail_core::integrity::Timestamp;
use keytrail_core::rules::{LoadOptions, RuleSet};
use serde_json::{json, Value};

/// Midnight UTC, a multiple of every timespan used here.
const T0: i64 = 1_699_920_000;

fn spec(name: &str) -> String {
    let path = format!("{}/tests/sigma-spec/{name}", env!("CARGO_MANIFEST_DIR"));
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A CloudTrail rule with this id and name matching `field: value`.
fn base(id: &str, name: &str, field: &str, value: &str) -> String {
    format!(
        "title: {name}\nid: {id}\nname: {name}\nlogsource:\n    product: aws\n    service: cloudtrail\n\
         detection:\n    selection:\n        {field}: '{value}'\n    condition: selection\n"
    )
}

fn load(sources: &[(&str, String)]) -> RuleSet {
    match RuleSet::load(&LoadOptions::from_sources(sources.iter().cloned())) {
        Ok(loaded) => loaded.set,
        Err(e) => panic!("{e:?}"),
    }
}

/// An event `id` at `T0 + secs` with these fields.
fn ev(id: &str, secs: i64, fields: Value) -> Value {
    let mut event = json!({
        "eventID": id,
        "eventTime": Timestamp::from_epoch(T0 + secs).to_string(),
        "eventSource": "test.amazonaws.com",
    });
    if let (Value::Object(e), Value::Object(f)) = (&mut event, fields) {
        e.extend(f);
    }
    event
}

/// Runs `events` in order through `set`'s rules and correlations, one store for all; returns
/// (correlation id, alert) for each that fired.
fn run(set: &RuleSet, store: &mut MemoryStore, events: &[Value]) -> Vec<(String, Correlated)> {
    let mut out = Vec::new();
    for event in events {
        let matched: Vec<usize> = (0..set.rules().len())
            .filter(|&i| set.is_match(i, event))
            .collect();
        let fired = set.correlations().observe(&matched, event, store).unwrap();
        for hit in fired {
            let id = set
                .correlations()
                .get(hit.correlation)
                .unwrap()
                .rule
                .id
                .clone();
            out.push((id, hit));
        }
    }
    out
}

/// Each case's events, run with a fresh store, fire this many correlations.
fn expect<const N: usize>(set: &RuleSet, cases: [(&str, Vec<Value>, usize); N]) {
    for (what, events, want) in cases {
        let hits = run(set, &mut MemoryStore::new(), &events);
        assert_eq!(hits.len(), want, "{what}: {hits:?}");
    }
}

fn failed(id: usize, host: &str, secs: i64) -> Value {
    ev(
        &format!("f{host}{id}"),
        secs,
        json!({"eventName": "FailedLogin", "ComputerName": host, "WorkstationName": "ws", "User": format!("u{id}")}),
    )
}

#[test]
fn event_count_fires_once_at_the_threshold_per_group_and_window() {
    let set = load(&[
        (
            "base.yml",
            base(
                "5638f7c0-ac70-491d-8465-2a65075e0d86",
                "failed",
                "eventName",
                "FailedLogin",
            ),
        ),
        ("event_count.yml", spec("event_count.yml")),
    ]);
    let mut store = MemoryStore::new();
    let first: Vec<Value> = (0..99).map(|i| failed(i, "A", i as i64 * 30)).collect();
    assert!(run(&set, &mut store, &first).is_empty(), "99 < 100");
    // A retried delivery of the same 99 events counts nothing.
    assert!(run(&set, &mut store, &first).is_empty());
    let hits = run(
        &set,
        &mut store,
        &[failed(99, "A", 3000), failed(100, "A", 3100)],
    );
    assert_eq!(hits.len(), 1, "{hits:?}");
    let (id, hit) = &hits[0];
    assert_eq!(id, "0e95725d-7320-415d-80f7-004da920fc11");
    assert_eq!((hit.count, hit.event_ids.len()), (100, 100));
    assert_eq!(hit.group, [("ComputerName".to_owned(), "A".to_owned())]);
    assert_eq!(hit.window, (T0, T0 + 3600));
    // Another host, and 100 events of one host split over two windows, do not fire.
    let split: Vec<Value> = (0..100)
        .map(|i| failed(i, "B", 1800 + i as i64 * 30))
        .collect();
    assert!(run(&set, &mut store, &split).is_empty());
}

#[test]
fn value_count_counts_distinct_values_of_its_field() {
    let set = load(&[
        (
            "base.yml",
            base(
                "5638f7c0-ac70-491d-8465-2a65075e0d86",
                "failed",
                "eventName",
                "FailedLogin",
            ),
        ),
        ("value_count.yml", spec("value_count.yml")),
    ]);
    let mut store = MemoryStore::new();
    // 300 events but only 99 users.
    let events: Vec<Value> = (0..300)
        .map(|i| {
            let mut e = failed(i, "A", i as i64);
            e["User"] = json!(format!("u{}", i % 99));
            e
        })
        .collect();
    assert!(run(&set, &mut store, &events).is_empty());
    let hits = run(&set, &mut store, &[failed(1000, "A", 400)]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].1.count, 100);
    assert_eq!(hits[0].1.group.len(), 2, "ComputerName and WorkstationName");
}

fn recon_set(file: &str) -> RuleSet {
    load(&[
        ("a.yml", base("ra", "recon_cmd_a", "eventName", "A")),
        ("b.yml", base("rb", "recon_cmd_b", "eventName", "B")),
        ("c.yml", base("rc", "recon_cmd_c", "eventName", "C")),
        (file, spec(file)),
    ])
}

fn recon(name: &str, user: &str, secs: i64) -> Value {
    ev(
        &format!("{name}{user}{secs}"),
        secs,
        json!({"eventName": name, "ComputerName": "h", "User": user}),
    )
}

#[test]
fn temporal_needs_every_rule_in_the_window_in_any_order() {
    let set = recon_set("temporal.yml");
    // Without id or name, the title identifies the correlation.
    assert_eq!(set.correlations().get(0).unwrap().rule.id, "Recon");
    let cases: [(&str, Vec<Value>, usize); 4] = [
        (
            "any order",
            vec![recon("C", "u", 0), recon("A", "u", 10), recon("B", "u", 20)],
            1,
        ),
        (
            "one rule missing",
            vec![recon("C", "u", 0), recon("A", "u", 10), recon("A", "u", 20)],
            0,
        ),
        (
            "different user",
            vec![recon("C", "u", 0), recon("A", "u", 10), recon("B", "v", 20)],
            0,
        ),
        (
            "outside the window",
            vec![
                recon("C", "u", 0),
                recon("A", "u", 10),
                recon("B", "u", 400),
            ],
            0,
        ),
    ];
    expect(&set, cases);
}

#[test]
fn temporal_ordered_needs_the_rules_in_their_order() {
    let set = recon_set("temporal_ordered.yml");
    let cases: [(&str, Vec<Value>, usize); 3] = [
        (
            "in order",
            vec![recon("A", "u", 0), recon("B", "u", 10), recon("C", "u", 20)],
            1,
        ),
        (
            "reversed",
            vec![recon("C", "u", 0), recon("B", "u", 10), recon("A", "u", 20)],
            0,
        ),
        // Delivered out of order, but their eventTimes are in order: the window sorts them.
        (
            "late delivery",
            vec![recon("C", "u", 20), recon("A", "u", 0), recon("B", "u", 10)],
            1,
        ),
    ];
    expect(&set, cases);
}

#[test]
fn aliases_group_events_on_fields_named_differently() {
    let set = load(&[
        (
            "e.yml",
            base("ie", "internal_error", "http.response.status_code", "500"),
        ),
        (
            "n.yml",
            base("nc", "new_network_connection", "event.category", "network"),
        ),
        ("aliases.yml", spec("aliases.yml")),
    ]);
    let error = |id: &str, src: &str, dst: &str| {
        ev(
            id,
            0,
            json!({"eventName": "x", "http": {"response": {"status_code": 500}}, "source": {"ip": src}, "destination": {"ip": dst}}),
        )
    };
    let conn = |id: &str, src: &str, dst: &str| {
        ev(
            id,
            5,
            json!({"eventName": "y", "event": {"category": "network"}, "source": {"ip": src}, "destination": {"ip": dst}}),
        )
    };
    let hits = run(
        &set,
        &mut MemoryStore::new(),
        &[
            error("e1", "1.2.3.4", "10.0.0.1"),
            conn("c1", "10.0.0.1", "1.2.3.4"),
        ],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].1.group,
        [
            ("internal_ip".to_owned(), "10.0.0.1".to_owned()),
            ("remote_ip".to_owned(), "1.2.3.4".to_owned())
        ]
    );
    // The same addresses in the same fields of both events: no match through the aliases.
    let hits = run(
        &set,
        &mut MemoryStore::new(),
        &[
            error("e1", "1.2.3.4", "10.0.0.1"),
            conn("c1", "1.2.3.4", "10.0.0.1"),
        ],
    );
    assert!(hits.is_empty(), "{hits:?}");
}

#[test]
fn chained_correlations_in_one_file_fire_only_the_outermost() {
    // keytrail loads only CloudTrail rules: the example's Windows logsource is swapped.
    let text = spec("failed_logins_then_success.yml").replace(
        "product: windows\n    service: security",
        "product: aws\n    service: cloudtrail",
    );
    let set = load(&[("mr.yml", text)]);
    assert_eq!(set.rules().len(), 2);
    assert_eq!(set.correlations().list().len(), 2);
    let login = |id: usize, code: u32, secs: i64| {
        ev(
            &format!("l{id}"),
            secs,
            json!({"eventName": "Logon", "EventID": code, "User": "bob"}),
        )
    };
    let failures = |n: usize| {
        (0..n)
            .map(|i| login(i, 4625, i as i64 * 10))
            .collect::<Vec<_>>()
    };
    let cases: [(&str, Vec<Value>, usize); 3] = [
        (
            "ten failures then a success",
            [failures(10), vec![login(99, 4624, 200)]].concat(),
            1,
        ),
        (
            "nine failures then a success",
            [failures(9), vec![login(99, 4624, 200)]].concat(),
            0,
        ),
        (
            "a success before the failures",
            [vec![login(99, 4624, 0)], failures(10)].concat(),
            0,
        ),
    ];
    for (what, events, want) in cases {
        let hits = run(&set, &mut MemoryStore::new(), &events);
        assert_eq!(hits.len(), want, "{what}: {hits:?}");
        for (id, hit) in &hits {
            assert_eq!(id, "b180ead8-d58f-40b2-ae54-c8940995b9b6", "{what}");
            assert_eq!(hit.group, [("User".to_owned(), "bob".to_owned())]);
        }
    }
    // The two base rules alert only through the correlation (generate defaults to false).
    assert!((0..2).all(|i| set.correlations().is_silent(i)));
}
