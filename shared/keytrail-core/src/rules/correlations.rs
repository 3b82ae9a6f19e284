//! The rule set's correlation rules: linked to the rules they join when the set is loaded
//! ([`link`]), and run on a record's matches by [`RuleSet::correlate`], the second call a
//! caller makes per matched record (after [`RuleSet::classify`]). The engine and its state are
//! [`crate::correlate`]'s.

use super::classify::Matches;
use super::doc::label;
use super::error::RuleError;
use super::rule::{Rule, RuleInfo};
use super::set::RuleSet;
use crate::correlate::{Correlated, Correlation, Correlations, Store, StoreError};

impl RuleSet {
    /// The correlation rules.
    pub fn correlations(&self) -> &Correlations {
        &self.correlations
    }

    /// Counts a matched record in the correlations its rules feed, through `store`, and
    /// returns those that fired. A record whose rules feed no correlation returns at once and
    /// never reaches `store`.
    pub fn correlate<S: Store + ?Sized>(
        &self,
        matches: &Matches<'_>,
        store: &mut S,
    ) -> Result<Vec<Correlated>, StoreError> {
        if !matches
            .indexes()
            .iter()
            .any(|&i| self.correlations.feeds(i))
        {
            return Ok(Vec::new());
        }
        self.correlations
            .observe(matches.indexes(), matches.event().value(), store)
    }
}

/// Resolves `correlations` against the loaded rules. A correlation that names a rule a lenient
/// load skipped (in `skipped_names`) is skipped too, and so are the correlations naming it;
/// any other name that resolves to nothing is an error.
pub(super) fn link(
    mut correlations: Vec<Correlation>,
    rules: &[Rule],
    info: &[RuleInfo],
    skipped_names: &[String],
    errors: &mut Vec<RuleError>,
    skipped: &mut Vec<RuleError>,
) -> Correlations {
    let mut gone: Vec<String> = skipped_names.to_vec();
    loop {
        let before = correlations.len();
        correlations.retain(|c| {
            let Some(missing) = c.rules.iter().find(|r| gone.contains(r)) else {
                return true;
            };
            skipped.push(RuleError::Unsupported {
                file: c.rule.file.clone(),
                rule: label(&c.rule.id, &c.rule.title),
                feature: format!("rule {missing}, which was skipped"),
            });
            gone.push(c.rule.id.clone());
            gone.extend(c.name.clone());
            false
        });
        if correlations.len() == before {
            break;
        }
    }
    let files: Vec<(String, String)> = correlations
        .iter()
        .map(|c| (c.rule.file.clone(), label(&c.rule.id, &c.rule.title)))
        .collect();
    match Correlations::build(correlations, rules, info) {
        Ok(built) => built,
        Err(problems) => {
            for p in problems {
                if let Some((file, rule)) = files.get(p.correlation) {
                    errors.push(RuleError::Invalid {
                        file: file.clone(),
                        detail: format!("rule {rule}: {}", p.detail),
                    });
                }
            }
            Correlations::default()
        }
    }
}
