//! What the CLI's integration tests share: where the repository is, running the binary, and
//! reading its JSONL alerts.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
