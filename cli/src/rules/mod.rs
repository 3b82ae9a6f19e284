//! `keytrail rules …`: list the rules a scan would run (one a line, or the coverage table), run
//! their fixtures, and print the EventBridge pattern that gives them a real-time path.

mod builtin;
mod coverage;
mod list;
mod pattern;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use self::list::ListFormat;
use crate::rule_args::RuleArgs;

/// `keytrail rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// One rule a line: id, level, title, file; or, with --format markdown, the coverage table.
    ///
    /// Both end with the built-in integrity checks (unless --no-builtin): alerts keytrail raises
    /// itself rather than through a Sigma rule, `keytrail-object-unreadable` (always on) and the
    /// `keytrail-integrity-*` digest checks (the Lambda runs them with its state table and
    /// CloudTrail log file validation; `keytrail verify` finds the same problems over a range).
    /// Their file column reads `builtin:integrity (...)`.
    ///
    /// The markdown table has one row per rule: the service and events its condition requires
    /// (the eventSource and eventName values the prefilter index routes it by; "(any)" when the
    /// condition does not name them), rule id, level, the MITRE ATT&CK techniques and tactics of
    /// its `attack.*` tags, and where its hit fixtures come from (its `fixture_source`
    /// attribute). docs/coverage.md holds this table for the built-in pack.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Output: text (one rule a line) or markdown (the coverage table).
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
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
    /// Print the EventBridge event pattern ("AWS API Call via CloudTrail") for the loaded rules.
    ///
    /// The pattern lists every eventSource a loaded rule requires (with --rules DIR, your rules'
    /// too), so that an EventBridge rule with it sends the Lambda every API call a rule could
    /// match, seconds after the call. Rules whose condition names no eventSource cannot be
    /// covered by such a pattern: they are listed on stderr (they still run on every trail
    /// object). Sources the deployed template does not list are named on stderr as the value of
    /// its ApiCallExtraEventSources parameter. Use it with `aws events put-rule --event-pattern`
    /// (see docs/deploy.md).
    EventbridgePattern {
        #[command(flatten)]
        rules: RuleArgs,
    },
}

/// Runs one `rules` subcommand.
pub fn run(command: &RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::List { rules, format } => list::run(rules, *format),
        RulesCommand::Test { dir } => test::run(dir.as_deref()),
        RulesCommand::EventbridgePattern { rules } => pattern::run(rules),
    }
}
