//! `keytrail rules list`: one rule a line: id, level, title, file.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::rule_args::{self, RuleArgs};
use crate::term::safe_cut;

/// Lists the rules the flags select.
pub fn run(args: &RuleArgs) -> anyhow::Result<ExitCode> {
    let set = rule_args::load(args)?;
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
            safe_cut(&rule.id, 48),
            rule.level.as_str(),
            safe_cut(&rule.title, 60),
            safe_cut(&rule.file, 200),
        )
        .context("writing to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}
