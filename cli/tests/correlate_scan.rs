//! `keytrail scan` runs correlation rules across every object of a scan (issue 21): a burst of
//! ExportCertificate calls split over three files, given in an order that is not their
//! eventTime order, raises the built-in `acm-bulk-export` alert exactly once; the same calls by
//! three principals raise none. Pure local files: no server needed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::Value;

mod support;
use support::{alerts, assert_bulk_export_of_three, export_by as export, keytrail};

/// Three exports within one hour of eventTime (window 10:00-11:00), one per file, written so
/// that the files' name order is the reverse of their events' time order. Returns the files in
/// a shuffled order (neither name nor time order).
fn planted(dir: &Path, principals: [&str; 3]) -> Vec<PathBuf> {
    let times = [
        "2026-03-02T10:05:00Z",
        "2026-03-02T10:20:00Z",
        "2026-03-02T10:40:00Z",
    ];
    let names = ["c-first.json", "b-second.json", "a-third.json"];
    let mut files = Vec::new();
    for (i, (time, name)) in times.iter().zip(names).enumerate() {
        let body = serde_json::json!({ "Records": [export(i, principals[i], time)] });
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(&body).unwrap()).unwrap();
        files.push(path);
    }
    vec![files[1].clone(), files[2].clone(), files[0].clone()]
}

fn bulk(alerts: &[Value]) -> Vec<&Value> {
    alerts
        .iter()
        .filter(|a| a["rule_id"] == "acm-bulk-export")
        .collect()
}

fn scan(args: &[&str]) -> (Vec<Value>, std::process::Output) {
    let mut all = vec!["scan", "--format", "jsonl"];
    all.extend_from_slice(args);
    let out = keytrail(&all);
    (alerts(&out), out)
}

#[test]
fn export_burst_split_across_files_raises_bulk_export_once() {
    let dir = tempfile::tempdir().unwrap();
    let arn = "arn:aws:iam::123456789012:role/stolen";
    let files = planted(dir.path(), [arn; 3]);
    let shuffled: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let dir_arg = dir.path().to_str().unwrap();
    let runs: [Vec<&str>; 3] = [
        vec![dir_arg],
        [vec!["--jobs", "3"], shuffled.clone()].concat(),
        [vec!["--jobs", "1"], shuffled.clone()].concat(),
    ];
    for args in runs {
        let (alerts, out) = scan(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let fired = bulk(&alerts);
        assert_eq!(fired.len(), 1, "{args:?}: {alerts:#?}\n{stderr}");
        let alert = fired[0];
        assert_bulk_export_of_three(alert, arn);
        // The single exports still alert (generate: true), and the summary counts all four.
        let singles = alerts
            .iter()
            .filter(|a| a["rule_id"] == "acm-export-certificate")
            .count();
        assert_eq!(singles, 3, "{alerts:#?}");
        assert!(stderr.contains("4 alerts"), "{stderr}");
        // The correlation's alert id is the same whatever the order of the objects.
        assert_eq!(alert["alert_id"].as_str().unwrap().len(), 32);
    }
}

#[test]
fn same_exports_by_three_principals_raise_no_bulk_export() {
    let dir = tempfile::tempdir().unwrap();
    let files = planted(
        dir.path(),
        [
            "arn:aws:iam::123456789012:role/one",
            "arn:aws:iam::123456789012:role/two",
            "arn:aws:iam::123456789012:role/three",
        ],
    );
    let shuffled: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    for args in [vec![dir.path().to_str().unwrap()], shuffled] {
        let (alerts, out) = scan(&args);
        assert!(out.status.success(), "{out:?}");
        assert!(bulk(&alerts).is_empty(), "{alerts:#?}");
        assert_eq!(alerts.len(), 3, "the single exports still alert");
    }
}

#[test]
fn fail_on_and_min_severity_apply_to_correlation_alerts() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path(), ["arn:aws:iam::123456789012:role/stolen"; 3]);
    let d = dir.path().to_str().unwrap();
    // The single exports are below critical: only the correlation reaches the gate.
    let (alerts, out) = scan(&["--min-severity", "critical", "--fail-on", "critical", d]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(alerts.len(), bulk(&alerts).len(), "{alerts:#?}");
    assert_eq!(bulk(&alerts).len(), 1);
}
