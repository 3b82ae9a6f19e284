//! `keytrail rules …`: list the rules a scan would run, and run their fixtures.

mod list;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::rule_args::RuleArgs;

/// `keytrail rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// One rule a line: id, level, title, file.
    List {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run every rule's hit and miss fixtures; fail on a failing fixture or a rule lacking either.
    ///
    /// Without DIR: the built-in pack, with fixtures from ./rules/tests (run it from a keytrail
    /// checkout). With DIR: the rules in DIR (on top of the built-in pack, so filters in DIR
    /// apply), with fixtures from DIR/tests/<rule-id>/{hit,miss}/*.json. Strict: a rule that
    /// uses an unsupported Sigma feature is an error here. Exit status 0 when every fixture
    /// passed, 1 when one failed or a rule lacks a hit or a miss fixture, 2 when the rules could
    /// not be loaded.
    Test {
        /// A rule directory with a tests/ folder.
        dir: Option<PathBuf>,
    },
}

/// Runs one `rules` subcommand.
pub fn run(command: &RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::List { rules } => list::run(rules),
        RulesCommand::Test { dir } => test::run(dir.as_deref()),
    }
}
