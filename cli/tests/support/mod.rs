//! What the CLI's integration tests share: where the repository is, running the binary, and
//! reading its JSONL alerts.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use keytrail_testkit::Moto;
use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The public CloudTrail data beside the repository.
pub fn corpus() -> PathBuf {
    repo().join("../shared/corpus")
}

/// Runs the keytrail binary with the standard AWS environment variables pointing it at `moto`
/// (no profile), and `env` besides.
pub fn keytrail_on(moto: &Moto, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keytrail"));
    cmd.args(args).env_remove("AWS_PROFILE");
    for (k, v) in moto.env_vars() {
        cmd.env(k, v);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run keytrail")
}

/// Runs the keytrail binary in the repository root.
pub fn keytrail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keytrail"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run keytrail")
}

/// The JSONL alerts on stdout.
pub fn alerts(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// How many alerts are for `event_name`.
pub fn count(alerts: &[Value], event_name: &str) -> usize {
    alerts
        .iter()
        .filter(|a| a["event_name"] == event_name)
        .count()
}

/// One ACM ExportCertificate call (a high alert of the built-in pack) with event id `i`.
pub fn export_record(i: usize) -> Vec<u8> {
    let hit = repo().join("rules/tests/acm-export-certificate/hit/acm-2026-export.json");
    let mut event: Value = serde_json::from_slice(&std::fs::read(hit).unwrap()).unwrap();
    event["eventID"] = Value::String(format!("00000000-0000-0000-0000-{i:012}"));
    serde_json::to_vec(&event).unwrap()
}

/// The ExportCertificate fixture of the built-in pack, as export `i` by `principal` at `time`
/// (correlation tests plant bursts of these).
pub fn export_by(i: usize, principal: &str, time: &str) -> Value {
    let hit = repo().join("rules/tests/acm-export-certificate/hit/acm-2026-export.json");
    let mut event: Value = serde_json::from_slice(&std::fs::read(hit).unwrap()).unwrap();
    event["eventID"] = Value::String(format!("00000000-0000-0000-0000-{i:012}"));
    event["eventTime"] = Value::String(time.to_owned());
    event["userIdentity"]["arn"] = Value::String(principal.to_owned());
    event
}

/// Checks an `acm-bulk-export` alert of a planted burst: exports 0, 1 and 2 by `principal`
/// between 10:00 and 11:00 on 2026-03-02, counted 3, their eventIDs in eventTime order.
pub fn assert_bulk_export_of_three(alert: &Value, principal: &str) {
    assert_eq!(alert["rule_id"], "acm-bulk-export", "{alert:#}");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["principal"], principal);
    let corr = &alert["event"]["correlation"];
    assert_eq!(corr["count"], 3, "{alert:#}");
    assert_eq!(corr["group"]["userIdentity.arn"], principal);
    assert_eq!(corr["window"]["start"], "2026-03-02T10:00:00Z");
    assert_eq!(corr["window"]["end"], "2026-03-02T11:00:00Z");
    let ids: Vec<&str> = corr["event_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        (0..3)
            .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
            .collect::<Vec<_>>(),
        "eventIDs in eventTime order"
    );
    let description = alert["description"].as_str().unwrap();
    assert!(description.contains("count 3"), "{description}");
}

/// A trail object of `records` ACM ExportCertificate calls (each one alert), with distinct
/// event ids.
pub fn exports(records: usize) -> Vec<u8> {
    let mut out = b"{\"Records\":[".to_vec();
    for i in 0..records {
        if i > 0 {
            out.push(b',');
        }
        out.extend(export_record(i));
    }
    out.extend(b"]}");
    out
}

/// Waits for `child`, whose stdout's reader is gone, to exit; kills it and fails the test if it
/// runs on for two minutes (not a timing assertion: a bound only a hung process misses).
pub fn exit_after_stdout_closed(child: &mut Child, what: &str) -> ExitStatus {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > until {
            child.kill().unwrap();
            panic!("{what} went on for 120 s after its stdout was closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
