//! The built-in integrity checks that `rules list` shows after the Sigma rules. They are not
//! Sigma rules (no file, no condition): keytrail raises them itself, with rule ids, severities
//! and titles like any rule's, through the same sinks (DESIGN.md: integrity is a rule family).
//!
//! Two kinds, each shown with what it needs to run:
//! - `keytrail-object-unreadable` ([`INTEGRITY_RULE_ID`]): an object that could not be read
//!   completely. Always on, wherever keytrail reads trail objects (`keytrail scan`, the Lambda).
//! - `keytrail-integrity-*` (keytrail-core's integrity [`RULES`], one per problem kind): digest
//!   validation. The Lambda raises them with its state table (`STATE_TABLE`, `INTEGRITY` on) and
//!   CloudTrail log file validation on the trail; `keytrail verify` finds the same problems over
//!   a time range (docs/integrity.md, docs/verify.md).
//!
//! The lists come from the tables the alerts are made from, so they cannot drift from them.

use keytrail_core::alert::{INTEGRITY_RULE_ID, INTEGRITY_RULE_SEVERITY, INTEGRITY_RULE_TITLE};
use keytrail_core::integrity::RULES;
use keytrail_core::Severity;

/// Where the unreadable-object check runs.
pub const ALWAYS_ON: &str = "always on: scan, Lambda";

/// What a digest check needs.
pub const NEEDS_DIGESTS: &str = "Lambda with state table + log file validation; keytrail verify";

/// The text list's "file" column of a built-in check: `builtin:integrity (NEEDS)`, beside the
/// Sigma rules' `builtin:rules/<file>`.
pub fn origin(check: &Check) -> String {
    format!("builtin:integrity ({})", check.needs)
}

/// The built-in checks as a markdown section: a sentence, then one row per check (rule, level,
/// title, where it runs). `rules list --format markdown` prints it after the coverage table.
pub fn markdown() -> String {
    let mut out = String::from(
        "\nBuilt-in integrity checks: not Sigma rules, keytrail raises them itself \
         (docs/integrity.md).\n\n\
         | rule | level | title | runs |\n|---|---|---|---|\n",
    );
    for check in checks() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            check.id,
            check.level.as_str(),
            check.title,
            check.needs
        ));
    }
    out
}

/// One built-in check as `rules list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// The rule id its alerts carry.
    pub id: &'static str,
    /// Their severity.
    pub level: Severity,
    /// Their title: what happened, in one line.
    pub title: &'static str,
    /// Where it runs and what it needs ([`ALWAYS_ON`] or [`NEEDS_DIGESTS`]).
    pub needs: &'static str,
}

/// Every built-in check: the unreadable object first, then the digest checks by severity
/// (highest first), then id.
pub fn checks() -> Vec<Check> {
    let mut digests: Vec<Check> = RULES
        .iter()
        .map(|r| Check {
            id: r.id,
            level: r.severity,
            title: r.title,
            needs: NEEDS_DIGESTS,
        })
        .collect();
    digests.sort_by_key(|c| (std::cmp::Reverse(c.level), c.id));
    let unreadable = Check {
        id: INTEGRITY_RULE_ID,
        level: INTEGRITY_RULE_SEVERITY,
        title: INTEGRITY_RULE_TITLE,
        needs: ALWAYS_ON,
    };
    std::iter::once(unreadable).chain(digests).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_integrity_rule_is_listed_once_with_its_severity() {
        let checks = checks();
        assert_eq!(checks.len(), RULES.len() + 1);
        for (id, level, needs) in [
            ("keytrail-object-unreadable", Severity::Medium, ALWAYS_ON),
            (
                "keytrail-integrity-log-file-modified",
                Severity::Critical,
                NEEDS_DIGESTS,
            ),
            (
                "keytrail-integrity-trail-silent",
                Severity::High,
                NEEDS_DIGESTS,
            ),
            (
                "keytrail-integrity-public-key-unknown",
                Severity::Medium,
                NEEDS_DIGESTS,
            ),
        ] {
            let found: Vec<_> = checks.iter().filter(|c| c.id == id).collect();
            assert_eq!(found.len(), 1, "{id}");
            assert_eq!((found[0].level, found[0].needs), (level, needs), "{id}");
        }
    }
}
