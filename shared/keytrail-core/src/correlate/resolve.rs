//! Linking correlations to what they name ([`Correlations::build`]): each `rules` entry to a
//! loaded rule (by id, then `name`) or another correlation, aliases to the field each joined
//! rule's events carry, and which rules and correlations alert only through others.

use std::collections::HashMap;

use super::engine::{Compiled, Correlations};
use super::spec::{Correlation, Kind};
use crate::rules::path::FieldPath;
use crate::rules::rule::{Rule, RuleInfo};

/// What a correlation's `rules` entry resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Rule(usize),
    Correlation(usize),
}

/// A reference that names no loaded rule or correlation, or a correlation chain that loops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The correlation (an index into the list given to [`Correlations::build`]).
    pub correlation: usize,
    /// What is wrong.
    pub detail: String,
}

impl Correlations {
    /// Resolves each correlation's `rules` against the loaded rules (by id, then `name`) and
    /// the other correlations; every problem is returned.
    pub fn build(
        defs: Vec<Correlation>,
        rules: &[Rule],
        info: &[RuleInfo],
    ) -> Result<Correlations, Vec<Unresolved>> {
        let mut names: HashMap<&str, Target> = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            let c = Target::Correlation(i);
            names.insert(d.rule.id.as_str(), c);
            d.name.as_deref().map(|n| names.insert(n, c));
        }
        for (i, r) in rules.iter().enumerate() {
            names.insert(r.id.as_str(), Target::Rule(i));
            if let Some(n) = info.get(i).and_then(|x| x.name.as_deref()) {
                names.insert(n, Target::Rule(i));
            }
        }
        let mut out = Correlations::default();
        let mut problems = Vec::new();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); defs.len()];
        for (j, def) in defs.iter().enumerate() {
            for (tag, reference) in def.rules.iter().enumerate() {
                match names.get(reference.as_str()) {
                    Some(Target::Rule(i)) => {
                        out.by_rule.entry(*i).or_default().push((j, tag));
                        if !def.generate {
                            out.silent.insert(*i);
                        }
                    }
                    Some(Target::Correlation(k)) => {
                        out.by_correlation.entry(*k).or_default().push((j, tag));
                        edges[j].push(*k);
                        if !def.generate {
                            out.silent_correlations.insert(*k);
                        }
                    }
                    None => problems.push(Unresolved {
                        correlation: j,
                        detail: format!(
                            "correlation.rules names {reference:?}, which is not a loaded rule or \
                             correlation: fix the id or name, or load the file that holds it"
                        ),
                    }),
                }
            }
        }
        for j in 0..defs.len() {
            if reaches(&edges, j, j) {
                problems.push(Unresolved {
                    correlation: j,
                    detail: "its correlation.rules lead back to itself: break the loop".to_owned(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // A rule that some generating correlation also names keeps alerting on its own.
        for def in &defs {
            if def.generate {
                for r in &def.rules {
                    match names.get(r.as_str()) {
                        Some(Target::Rule(i)) => out.silent.remove(i),
                        Some(Target::Correlation(k)) => out.silent_correlations.remove(k),
                        None => false,
                    };
                }
            }
        }
        let label = |t: Target| match t {
            Target::Rule(i) => (
                rules[i].id.as_str(),
                info.get(i).and_then(|x| x.name.as_deref()),
            ),
            Target::Correlation(k) => (defs[k].rule.id.as_str(), defs[k].name.as_deref()),
        };
        let compiled: Vec<Compiled> = defs
            .iter()
            .map(|def| {
                let labels: Vec<(&str, &str, Option<&str>)> = def
                    .rules
                    .iter()
                    .map(|r| {
                        let (id, name) = names
                            .get(r.as_str())
                            .map_or((r.as_str(), None), |t| label(*t));
                        (r.as_str(), id, name)
                    })
                    .collect();
                let field = |alias: &str, (written, id, name): (&str, &str, Option<&str>)| {
                    let by_rule = def.aliases.get(alias);
                    let found = by_rule.and_then(|m| {
                        m.get(written)
                            .or_else(|| m.get(id))
                            .or_else(|| name.and_then(|n| m.get(n)))
                    });
                    FieldPath::new(found.map_or(alias, String::as_str))
                };
                Compiled {
                    group: labels
                        .iter()
                        .map(|l| def.group_by.iter().map(|g| field(g, *l)).collect())
                        .collect(),
                    value: labels
                        .iter()
                        .map(|l| match &def.kind {
                            Kind::ValueCount { field: f } => Some(field(f, *l)),
                            _ => None,
                        })
                        .collect(),
                    def: def.clone(),
                }
            })
            .collect();
        out.list = compiled;
        Ok(out)
    }
}

/// Whether `to` is reachable from `from`'s references.
fn reaches(edges: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut stack: Vec<usize> = edges.get(from).cloned().unwrap_or_default();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if let Some(s) = seen.get_mut(n).filter(|s| !**s) {
            *s = true;
            stack.extend(edges.get(n).into_iter().flatten());
        }
    }
    false
}
