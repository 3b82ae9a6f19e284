//! The rule set's correlation rules: linked to the rules they join when the set is loaded
//! ([`link`]), and run on a record's matches by [`RuleSet::correlate`], the second call a
//! caller makes per matched record (after [`RuleSet::classify`]). The engine and its state are
//! [`crate::correlate`]'s.

use std::io::Read;

use super::classify::{Matches, Scratch, Verdict};
use super::doc::label;
use super::error::RuleError;
use super::rule::{Rule, RuleInfo};
use super::set::RuleSet;
use crate::correlate::{Correlated, Correlation, Correlations, MemoryStore, Store, StoreError};
use crate::integrity::Timestamp;
use crate::read::{ReadOptions, RecordReader};

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

/// Every matched record of `input` (one object), then the correlations they fire when run in
/// eventTime order through a fresh [`MemoryStore`]: what `keytrail rules test` checks a
/// correlation's fixture with. An unreadable object is an error naming it.
pub(super) fn correlate_object<R: Read + Send>(
    object: &str,
    input: R,
    set: &RuleSet,
) -> Result<(u64, Vec<Correlated>), String> {
    let (records, mut matched) = std::thread::scope(|scope| {
        let mut reader = RecordReader::pipelined(scope, object, input, ReadOptions::default());
        let (mut records, mut matched) = (0u64, Vec::new());
        let mut scratch = Scratch::default();
        while let Some(raw) = reader.next_record().map_err(|e| e.to_string())? {
            records += 1;
            if let Verdict::Matched(m) = set.classify(&raw, &mut scratch) {
                let time = m.event().event_time().and_then(Timestamp::parse);
                matched.push((time, m.indexes().to_vec(), m.event().value().clone()));
            }
        }
        Ok::<_, String>((records, matched))
    })?;
    matched.sort_by_key(|(time, _, _)| *time);
    let mut store = MemoryStore::new();
    let mut fired = Vec::new();
    for (_, indexes, event) in matched {
        fired.extend(
            set.correlations
                .observe(&indexes, &event, &mut store)
                .map_err(|e| e.to_string())?,
        );
    }
    Ok((records, fired))
}
