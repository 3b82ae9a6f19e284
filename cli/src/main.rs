//! `keytrail`: the CLI shell around keytrail-core. This file only wires.

mod args;
mod bench_cmd;
mod bench_gen;
mod dates;
mod output;
mod rules_cmd;
mod s3_source;
mod scan_cmd;
mod walk;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command, RulesCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan_cmd::run(&args),
        Command::Rules(RulesCommand::List { rules }) => rules_cmd::list(&rules),
        Command::Rules(RulesCommand::Test { dir }) => rules_cmd::test(dir.as_deref()),
        Command::Bench(command) => bench_cmd::run(&command).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keytrail: {e:#}");
            ExitCode::from(2)
        }
    }
}
