//! `keytrail rules list`: one rule a line (id, level, title, file), or the coverage table
//! (`--format markdown`, see [`super::coverage`]). With the built-in pack, both end with the
//! built-in integrity checks ([`super::builtin`]), marked as such.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;

use super::builtin::{self, Check};
use super::coverage;
use crate::rule_args::{self, RuleArgs};
use crate::term::{self, safe_cut};

/// What `rules list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One rule a line: id, level, title, file.
    Text,
    /// The coverage table (docs/coverage.md).
    Markdown,
}

/// Lists the rules the flags select.
pub fn run(args: &RuleArgs, format: ListFormat) -> anyhow::Result<ExitCode> {
    let set = rule_args::load(args)?;
    // The integrity checks are built in like the pack: --no-builtin (your rules only) drops both.
    let checks: Vec<Check> = if args.no_builtin {
        Vec::new()
    } else {
        builtin::checks()
    };
    let mut out = io::stdout().lock();
    if format == ListFormat::Markdown {
        let table = coverage::table(&set);
        for problem in &table.problems {
            term::say(&format!("warning: {problem}"));
        }
        out.write_all(table.markdown.as_bytes())
            .context("writing to stdout")?;
        if !checks.is_empty() {
            out.write_all(builtin::markdown().as_bytes())
                .context("writing to stdout")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let width = set
        .rules()
        .iter()
        .map(|r| r.id.len())
        .chain(checks.iter().map(|c| c.id.len()))
        .max()
        .unwrap_or(2)
        .min(48);
    for rule in set.rules() {
        writeln!(
            out,
            "{:<width$}  {:<13}  {:<60}  {}",
            safe_cut(&rule.id, 48),
            rule.level.as_str(),
            safe_cut(&rule.title, 60),
            safe_cut(&rule.file, 200),
        )
        .context("writing to stdout")?;
    }
    for check in &checks {
        writeln!(
            out,
            "{:<width$}  {:<13}  {:<60}  {}",
            check.id,
            check.level.as_str(),
            check.title,
            builtin::origin(check),
        )
        .context("writing to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}
