//! Grouping digests into chains, and the chain's own checks: links, missing digests (named and
//! inferred), restarts, silence.

use std::collections::{HashMap, HashSet};

use super::{Chains, Gap, Slot, Status, UncheckedLink, Walk};
use crate::integrity::check::CADENCE_TOLERANCE;
use crate::integrity::check::{check_silence, link_holds, missing_between, LinkTarget};
use crate::integrity::names::Scope;
use crate::integrity::problem::{ObjectRef, Problem};
use crate::integrity::time::Timestamp;

/// Chains of the digests that have a CloudTrail name and were not moved, oldest first.
pub(super) fn group(slots: &[Slot]) -> Chains {
    let mut chains = Chains::new();
    for (i, slot) in slots.iter().enumerate() {
        if let (Some(name), true) = (&slot.name, slot.status != Status::Moved) {
            let key = (
                name.scope.clone(),
                name.trail.clone(),
                name.home_region.clone(),
                name.backfill,
            );
            chains.entry(key).or_default().push(i);
        }
    }
    for members in chains.values_mut() {
        members.sort_by_key(|&i| (slots[i].end(), slots[i].object.clone()));
    }
    chains
}

impl Walk {
    /// Checks the link of every valid digest; records missing digests, restarts, unchecked links
    /// and the hours no valid digest vouches for.
    pub(super) fn check_links(&mut self) {
        let index: HashMap<&ObjectRef, usize> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status != Status::Moved)
            .map(|(i, s)| (&s.object, i))
            .collect();
        let named: HashSet<&ObjectRef> = self
            .slots
            .iter()
            .filter(|s| s.status != Status::Moved)
            .filter_map(|s| s.digest.as_ref()?.previous.as_ref().map(|p| &p.location))
            .collect();
        let mut found = Vec::new();
        for (key, members) in &self.chains {
            let Some(oldest) = members.first().and_then(|&i| self.slots[i].end()) else {
                continue;
            };
            let since = self.options.since.unwrap_or(oldest);
            for (pos, &i) in members.iter().enumerate() {
                let slot = &self.slots[i];
                if slot.status == Status::Invalid {
                    found.push((&key.0, Found::Unverifiable(slot.window())));
                }
                let Some(digest) = slot.valid_digest() else {
                    continue;
                };
                let Some(link) = &digest.previous else {
                    if let Some(&before) = pos.checked_sub(1).and_then(|p| members.get(p)) {
                        let before = &self.slots[before];
                        let gap = Gap {
                            before: before.object.clone(),
                            after: slot.object.clone(),
                            from: before.end().unwrap_or(digest.start),
                            to: digest.start,
                        };
                        found.push((&key.0, Found::Gap(gap)));
                    }
                    continue;
                };
                let target = index.get(&link.location).map(|&j| LinkTarget {
                    signature: self.slots[j].signature.as_deref(),
                    content_hash: Some(self.slots[j].content_hash),
                });
                if target.is_none() && digest.start < since {
                    let link = UncheckedLink {
                        digest: slot.object.clone(),
                        start: digest.start,
                        previous: link.clone(),
                    };
                    found.push((&key.0, Found::Unchecked(link)));
                    continue;
                }
                let Err(problem) = link_holds(&slot.object, digest.start, link, target) else {
                    continue;
                };
                if let Problem::DigestMissing { start, end, .. } = &problem {
                    found.push((&key.0, Found::Unverifiable(Some((*start, *end)))));
                    if !key.3 {
                        let mut older = members[..pos].iter().rev().map(|&j| &self.slots[j]);
                        let older = older
                            .find(|s| s.end().is_some_and(|e| e.plus(CADENCE_TOLERANCE) < *end));
                        found.extend(
                            infer_missing(older, &named, *end)
                                .into_iter()
                                .map(|f| (&key.0, f)),
                        );
                    }
                }
                found.push((&key.0, Found::Problem(problem)));
            }
        }
        let found: Vec<(Scope, Found)> = found
            .into_iter()
            .map(|(scope, f)| (scope.clone(), f))
            .collect();
        for (scope, item) in found {
            self.record(&scope, item);
        }
    }

    fn record(&mut self, scope: &Scope, found: Found) {
        match found {
            Found::Problem(problem) => self.problems.push(problem),
            Found::Gap(gap) => self.gaps.push(gap),
            Found::Unchecked(link) => self.unchecked.push(link),
            Found::Unverifiable(Some(window)) => {
                self.unverifiable
                    .entry(scope.clone())
                    .or_default()
                    .push(window);
            }
            Found::Unverifiable(None) => {}
        }
    }

    /// A regular chain is silent when its newest digest (valid or not) is too old at `as_of`.
    pub(super) fn check_silence(&mut self) {
        let Some(as_of) = self.options.as_of else {
            return;
        };
        for (key, members) in &self.chains {
            let newest = members.last().map(|&i| &self.slots[i]);
            if let (false, Some(slot)) = (key.3, newest) {
                let Some(end) = slot.end() else { continue };
                if let Err(problem) =
                    check_silence(&slot.object, end, as_of, self.options.silence_margin)
                {
                    self.problems.push(problem);
                }
            }
        }
    }
}

/// What the link checks found, recorded once the chain is done.
enum Found {
    Problem(Problem),
    Gap(Gap),
    Unchecked(UncheckedLink),
    Unverifiable(Option<(Timestamp, Timestamp)>),
}

/// The digests missing between `older` (the newest digest before a missing one that ends at
/// `missing_end`) and that missing one, when nothing names `older` (its successor is gone too).
fn infer_missing(
    older: Option<&Slot>,
    named: &HashSet<&ObjectRef>,
    missing_end: Timestamp,
) -> Vec<Found> {
    let Some((slot, name)) = older.and_then(|s| Some((s, s.name.as_ref()?))) else {
        return Vec::new();
    };
    if named.contains(&slot.object) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for problem in missing_between(name, missing_end) {
        if let Problem::DigestMissing { start, end, .. } = &problem {
            found.push(Found::Unverifiable(Some((*start, *end))));
        }
        found.push(Found::Problem(problem));
    }
    found
}
