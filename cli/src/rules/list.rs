//! `keytrail rules list`: one rule a line (id, level, title, file), or the coverage table
//! (`--format markdown`, see [`super::coverage`]).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;

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
    let mut out = io::stdout().lock();
    if format == ListFormat::Markdown {
        let table = coverage::table(&set);
        for problem in &table.problems {
            term::say(&format!("warning: {problem}"));
        }
        out.write_all(table.markdown.as_bytes())
            .context("writing to stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
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
            safe_cut(&rule.id, 48),
            rule.level.as_str(),
            safe_cut(&rule.title, 60),
            safe_cut(&rule.file, 200),
        )
        .context("writing to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}
