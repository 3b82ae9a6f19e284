//! `keytrail`: the CLI shell around keytrail-core. This file only wires: one module per command
//! (`scan/`, `verify/`, `rules/`, `backfill/`, `bench/`), shared flag groups (`rule_args`, `aws`),
//! and `term` for everything said on a terminal.

mod aws;
mod backfill;
mod bench;
mod cli;
mod dates;
mod listing;
mod rule_args;
mod rules;
mod scan;
mod term;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Rules(command) => rules::run(command),
        Command::Verify(args) => verify::run(args),
        Command::Backfill(args) => backfill::run(args),
        Command::Bench(command) => bench::run(command).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) if term::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            term::report_error(&e);
            ExitCode::from(2)
        }
    }
}
