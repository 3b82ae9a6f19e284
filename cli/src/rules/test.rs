//! `keytrail rules test [DIR]`: every rule's hit and miss fixtures, one line each.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use keytrail_core::rules::fixtures;
use keytrail_core::storm::StormControl;

use crate::rule_args::{self, RuleArgs};
use crate::term::safe;

/// Runs the fixtures of the built-in pack (from ./rules/tests) or of the rules in `dir`.
pub fn run(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (set, fixture_dir, user_rules) = match dir {
        None => {
            let fixture_dir = PathBuf::from("rules/tests");
            if !fixture_dir.is_dir() {
                bail!(
                    "no rules/tests directory here: run `keytrail rules test` from a keytrail \
                     checkout, or pass a rule directory that has a tests/ folder"
                );
            }
            (rule_args::builtin()?, fixture_dir, None)
        }
        Some(dir) => {
            let args = RuleArgs {
                dirs: vec![dir.to_path_buf()],
                no_builtin: false,
                strict: true,
            };
            let set = rule_args::load(&args)?;
            let user: Vec<String> = set
                .rules()
                .iter()
                .filter(|r| !r.file.starts_with("builtin:"))
                .map(|r| r.id.clone())
                .collect();
            (set, dir.join("tests"), Some(user))
        }
    };
    let select = |id: &str| {
        user_rules
            .as_ref()
            .is_none_or(|u| u.iter().any(|x| x == id))
    };
    let report = fixtures::run(&fixture_dir, &set, &select);
    // A rule's `keytrail-suppress` field, checked as the Lambda's cold start checks it.
    let storm = StormControl::default()
        .checked(&set)
        .err()
        .unwrap_or_default();
    let mut out = io::stdout().lock();
    for r in &report.results {
        let kind = if r.expect_hit { "hit " } else { "miss" };
        let (id, file) = (safe(&r.rule_id), safe(&r.file.display().to_string()));
        match &r.failure {
            None => writeln!(out, "ok   {kind} {id} {file}"),
            Some(why) => writeln!(out, "FAIL {kind} {id} {file}: {}", safe(why)),
        }
        .context("writing to stdout")?;
    }
    for p in &report.problems {
        writeln!(out, "FAIL {}", safe(&p.to_string())).context("writing to stdout")?;
    }
    for p in &storm {
        writeln!(out, "FAIL {}", safe(p)).context("writing to stdout")?;
    }
    let problems = report.problems.len() + storm.len();
    let tested = set.rules().iter().filter(|r| select(&r.id)).count();
    writeln!(
        out,
        "{} passed, {} failed ({} rules, {} fixtures, {} rule problems)",
        report.results.len() - report.failures(),
        report.failures() + problems,
        tested,
        report.results.len(),
        problems
    )
    .context("writing to stdout")?;
    Ok(if report.passed() && storm.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
