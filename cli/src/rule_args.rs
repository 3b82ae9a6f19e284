//! Where rules come from (`--rules DIR`, `--no-builtin`, `--strict`): the flags every command
//! that runs rules takes, and the one place they are turned into a [`RuleSet`].

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use keytrail_core::rules::{LoadOptions, Loaded, RuleError, RuleSet};

use crate::term::{self, Listed};

/// Where rules come from.
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// A directory of extra Sigma rules and filters (*.yml, *.yaml); repeat for more.
    #[arg(long = "rules", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// Do not load the built-in rule pack (only --rules directories).
    #[arg(long)]
    pub no_builtin: bool,

    /// Fail when a rule uses a Sigma feature keytrail lacks, instead of skipping it with a
    /// warning.
    #[arg(long)]
    pub strict: bool,
}

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
            term::say(&format!("warning: skipped rule: {e}"));
        }
    }
    Ok(set)
}

/// The built-in pack alone, strict.
pub fn builtin() -> anyhow::Result<RuleSet> {
    RuleSet::load(&LoadOptions::default())
        .map(|loaded| loaded.set)
        .map_err(|e| rule_errors("built-in rules failed", &e))
}

/// Every rule error, one a line (each escaped when printed).
fn rule_errors(what: &str, errors: &[RuleError]) -> anyhow::Error {
    Listed {
        headline: format!("{} {what}:", errors.len()),
        items: errors.iter().map(ToString::to_string).collect(),
    }
    .into()
}
