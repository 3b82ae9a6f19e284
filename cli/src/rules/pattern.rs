//! `keytrail rules eventbridge-pattern`: the EventBridge event pattern that sends the Lambda
//! every "AWS API Call via CloudTrail" event a loaded rule could match.
//!
//! The pattern is `{"detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventSource":
//! [...]}}` with every eventSource a rule's condition requires (as the prefilter index computes
//! them, lowercased: CloudTrail writes them so and EventBridge compares case-sensitively). It
//! leaves out `source` (`aws.<service>`): `detail.eventSource` already selects the events, and
//! EventBridge's own reference gives two different sources for Elastic Load Balancing
//! (`aws.elasticloadbalancing` and `aws.elb`) and none for ACME, so a `source` could only lose
//! events. It does not list eventNames either: the pack's names alone would pass EventBridge's
//! 2048-character limit on a pattern.
//!
//! A rule whose condition names no eventSource cannot be covered by such a pattern; it is
//! reported, not guessed at.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use keytrail_core::rules::RuleSet;
use serde_json::{json, Value};

use crate::rule_args::{self, RuleArgs};
use crate::term;

/// The detail-type of CloudTrail's events on the default bus.
pub const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// The event sources of a rule set, and the rules that name none.
#[derive(Debug, Default, PartialEq)]
pub struct Sources {
    /// Every eventSource some rule requires (lowercase), with the ids of those rules.
    pub sources: BTreeMap<String, Vec<String>>,
    /// `id (file)` of each rule whose condition names no eventSource.
    pub uncovered: Vec<String>,
}

impl Sources {
    /// The sources of every rule in `set`.
    pub fn of(set: &RuleSet) -> Sources {
        let mut out = Sources::default();
        for (i, rule) in set.rules().iter().enumerate() {
            match set.required_event_sources(i) {
                Some(sources) => {
                    for source in sources {
                        out.sources
                            .entry(source.to_ascii_lowercase())
                            .or_default()
                            .push(rule.id.clone());
                    }
                }
                None => out.uncovered.push(format!("{} ({})", rule.id, rule.file)),
            }
        }
        out
    }

    /// The event pattern covering [`Sources::sources`].
    pub fn pattern(&self) -> Value {
        json!({
            "detail-type": [DETAIL_TYPE],
            "detail": {"eventSource": self.sources.keys().collect::<Vec<_>>()},
        })
    }
}

/// Prints the pattern for the rules the flags select.
pub fn run(args: &RuleArgs) -> anyhow::Result<ExitCode> {
    let set = rule_args::load(args)?;
    let found = Sources::of(&set);
    if found.sources.is_empty() {
        bail!(
            "no loaded rule names an eventSource, so no EventBridge pattern can cover them: \
             add an eventSource to the rules' selections"
        );
    }
    let text = serde_json::to_string_pretty(&found.pattern()).context("rendering the pattern")?;
    writeln!(io::stdout().lock(), "{text}").context("writing to stdout")?;
    if !found.uncovered.is_empty() {
        term::say_lines(
            &format!(
                "{} rules name no eventSource and are not covered by the pattern (they still \
                 run on every trail object):",
                found.uncovered.len()
            ),
            &found.uncovered,
        );
    }
    let builtin: BTreeSet<String> = Sources::of(&rule_args::builtin()?)
        .sources
        .into_keys()
        .collect();
    let extra: Vec<&str> = found
        .sources
        .keys()
        .filter(|s| !builtin.contains(*s))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        term::say(&format!(
            "sources beyond the built-in pack's: deploy template.yaml with \
             ApiCallExtraEventSources={}",
            extra.join(",")
        ));
    }
    Ok(ExitCode::SUCCESS)
}
