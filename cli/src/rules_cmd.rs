//! `keytrail rules list` and `keytrail rules test`, and rule loading shared with `scan`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use keytrail_core::rules::{fixtures, LoadOptions, Loaded, RuleError, RuleSet};

use crate::args::RuleArgs;
use crate::output::terminal_safe;

/// Loads the rules the flags ask for. Parse errors are fatal; a rule that uses a Sigma feature
/// keytrail lacks is skipped with a warning naming it (fatal with --strict).
pub fn load(args: &RuleArgs) -> anyhow::Result<RuleSet> {
    if args.no_builtin && args.dirs.is_empty() {
        bail!("--no-builtin leaves no rules: add --rules DIR");
    }
    let options = LoadOptions {
        builtin: !args.no_builtin,
        dirs: args.dirs.clone(),
        strict: false,
        ..LoadOptions::default()
    };
    let Loaded {
        set,
        skipped: unsupported,
    } = RuleSet::load(&options)
        .map_err(|errors| rule_errors("rules could not be loaded", &errors))?;
    if !unsupported.is_empty() {
        if args.strict {
            return Err(rule_errors(
                "rules use unsupported Sigma features (--strict)",
                &unsupported,
            ));
        }
        for e in &unsupported {
            eprintln!("keytrail: warning: skipped rule: {e}");
        }
    }
    Ok(set)
}

fn rule_errors(what: &str, errors: &[RuleError]) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    anyhow::anyhow!("{} {what}:\n{}", errors.len(), lines.join("\n"))
}

/// `keytrail rules list`: one rule a line: id, level, title, file.
pub fn list(args: &RuleArgs) -> anyhow::Result<ExitCode> {
    let set = load(args)?;
    let mut out = io::stdout().lock();
    let width = set
        .rules()
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .min(48);
    for rule in set.rules() {
        writeln!(
            out,
            "{:<width$}  {:<13}  {:<60}  {}",
            terminal_safe(&rule.id, 48),
            rule.level.as_str(),
            terminal_safe(&rule.title, 60),
            terminal_safe(&rule.file, 200),
        )
        .context("writing to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `keytrail rules test [DIR]`.
pub fn test(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (set, fixture_dir, user_rules) = match dir {
        None => {
            let fixture_dir = PathBuf::from("rules/tests");
            if !fixture_dir.is_dir() {
                bail!(
                    "no rules/tests directory here: run `keytrail rules test` from a keytrail \
                     checkout, or pass a rule directory that has a tests/ folder"
                );
            }
            (
                RuleSet::load(&LoadOptions::default())
                    .map_err(|e| rule_errors("built-in rules failed", &e))?
                    .set,
                fixture_dir,
                None,
            )
        }
        Some(dir) => {
            let args = RuleArgs {
                dirs: vec![dir.to_path_buf()],
                no_builtin: false,
                strict: true,
            };
            let set = load(&args)?;
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
    let mut out = io::stdout().lock();
    for r in &report.results {
        let kind = if r.expect_hit { "hit " } else { "miss" };
        match &r.failure {
            None => writeln!(out, "ok   {kind} {} {}", r.rule_id, r.file.display()),
            Some(why) => writeln!(out, "FAIL {kind} {} {}: {why}", r.rule_id, r.file.display()),
        }
        .context("writing to stdout")?;
    }
    for p in &report.problems {
        writeln!(out, "FAIL {p}").context("writing to stdout")?;
    }
    let tested = set.rules().iter().filter(|r| select(&r.id)).count();
    writeln!(
        out,
        "{} passed, {} failed ({} rules, {} fixtures, {} rule problems)",
        report.results.len() - report.failures(),
        report.failures() + report.problems.len(),
        tested,
        report.results.len(),
        report.problems.len()
    )
    .context("writing to stdout")?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
