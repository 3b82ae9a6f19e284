//! A `detection` block: named searches and the condition over them.
//!
//! A search that is a map is the AND of its field conditions; a list of maps is the OR of those
//! maps; a list of plain values is a keyword search (some value anywhere in the event contains
//! one of them, case-insensitively).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use serde_norway::{Mapping, Value as Yaml};

use super::condition::{self, Cond};
use super::error::Problem;
use super::value::FieldCond;
use crate::record::Projection;

/// One named search.
#[derive(Debug, Clone)]
pub(crate) enum Search {
    /// Every condition holds.
    All(Vec<FieldCond>),
    /// Some alternative holds.
    Any(Vec<Search>),
}

impl Search {
    fn is_match(&self, event: &Value) -> bool {
        match self {
            Search::All(conds) => conds.iter().all(|c| c.is_match(event)),
            Search::Any(alts) => alts.iter().any(|s| s.is_match(event)),
        }
    }

    fn project(&self, out: &mut Projection) -> bool {
        match self {
            Search::All(conds) => conds.iter().all(|c| c.project(out)),
            Search::Any(alts) => alts.iter().all(|s| s.project(out)),
        }
    }

    /// Values of `field` that every match requires (lowercased), or `None` when unconstrained.
    fn required(&self, field: &str) -> Option<BTreeSet<String>> {
        match self {
            Search::All(conds) => conds
                .iter()
                .filter_map(|c| c.exact_keys(field).map(BTreeSet::from_iter))
                .reduce(|a, b| a.intersection(&b).cloned().collect()),
            Search::Any(alts) => union(alts.iter().map(|s| s.required(field))),
        }
    }
}

/// `(field, text)` needles: see [`Detection::needles`].
type NeedleSet = BTreeSet<(String, String)>;

impl Search {
    fn needles(&self, skip: &[&str]) -> Option<NeedleSet> {
        match self {
            Search::All(conds) => fewest(
                conds
                    .iter()
                    .filter_map(FieldCond::needles)
                    .filter(|set| !set.iter().all(|(field, _)| skip.contains(&field.as_str()))),
            ),
            Search::Any(alts) => union(alts.iter().map(|s| s.needles(skip))),
        }
    }
}

/// Of several necessary needle sets, the one with the fewest needles.
fn fewest(sets: impl Iterator<Item = NeedleSet>) -> Option<NeedleSet> {
    sets.min_by_key(BTreeSet::len)
}

fn union<T: Ord>(sets: impl Iterator<Item = Option<BTreeSet<T>>>) -> Option<BTreeSet<T>> {
    let mut all = BTreeSet::new();
    for set in sets {
        all.extend(set?);
    }
    Some(all)
}

/// A compiled detection.
#[derive(Debug, Clone)]
pub(crate) struct Detection {
    searches: Vec<Search>,
    cond: Cond,
    /// How the rule writes the values of the routing fields, by their lowercase form (first
    /// spelling kept): for display only ([`Detection::required_spelled`]), never for matching.
    spellings: BTreeMap<String, String>,
}

/// The fields whose values [`Detection::required_spelled`] can give as written.
const SPELLED_FIELDS: [&str; 2] = ["eventSource", "eventName"];

/// Notes how a search writes the values of [`SPELLED_FIELDS`] (`field` or `field|modifiers`
/// keys, in a map or a list of maps).
fn note_spellings(search: &Yaml, out: &mut BTreeMap<String, String>) {
    match search {
        Yaml::Sequence(items) => items.iter().for_each(|i| note_spellings(i, out)),
        Yaml::Mapping(map) => {
            for (key, value) in map {
                let field = key.as_str().and_then(|k| k.split('|').next());
                if !field.is_some_and(|f| SPELLED_FIELDS.contains(&f)) {
                    continue;
                }
                let one = |v: &Yaml, out: &mut BTreeMap<String, String>| {
                    if let Some(text) = v.as_str() {
                        out.entry(text.to_lowercase())
                            .or_insert_with(|| text.to_owned());
                    }
                };
                match value {
                    Yaml::Sequence(values) => values.iter().for_each(|v| one(v, out)),
                    v => one(v, out),
                }
            }
        }
        _ => {}
    }
}

impl Detection {
    /// Compiles a detection map: its searches and its condition.
    pub(crate) fn compile(map: &Mapping) -> Result<Detection, Problem> {
        let mut names = Vec::new();
        let mut searches = Vec::new();
        let mut spellings = BTreeMap::new();
        let mut conditions = None;
        for (key, value) in map {
            let Some(name) = key.as_str() else {
                return Err(Problem::Invalid(format!(
                    "detection key {key:?} is not a string"
                )));
            };
            match name {
                "condition" => conditions = Some(value),
                "timeframe" => {}
                _ => {
                    let search =
                        search(value).map_err(|p| p.context(&format!("search '{name}'")))?;
                    note_spellings(value, &mut spellings);
                    names.push(name.to_owned());
                    searches.push(search);
                }
            }
        }
        if searches.is_empty() {
            return Err(Problem::Invalid(
                "detection defines no search: add one, such as selection".to_owned(),
            ));
        }
        let texts: Vec<&str> = match conditions {
            None => {
                return Err(Problem::Invalid(
                    "detection has no condition: add `condition: selection`".to_owned(),
                ))
            }
            Some(Yaml::String(text)) => vec![text],
            Some(Yaml::Sequence(items)) if !items.is_empty() => items
                .iter()
                .map(|i| {
                    i.as_str().ok_or_else(|| {
                        Problem::Invalid("every condition must be a string".to_owned())
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(Problem::Invalid(
                    "condition must be a string or a list of strings".to_owned(),
                ))
            }
        };
        let mut conds = texts
            .into_iter()
            .map(|t| condition::parse(t, &names))
            .collect::<Result<Vec<_>, _>>()?;
        let cond = if conds.len() == 1 {
            conds.remove(0)
        } else {
            Cond::Or(conds)
        };
        Ok(Detection {
            searches,
            cond,
            spellings,
        })
    }

    /// Adds every path this detection reads to `out`; false when it may read anything (a
    /// keyword search). On an event holding those parts of a record (see
    /// [`crate::record::partial_event`]), [`Detection::is_match`] answers as on the record.
    pub(crate) fn project(&self, out: &mut Projection) -> bool {
        self.searches.iter().all(|s| s.project(out))
    }

    /// Whether the event matches.
    pub(crate) fn is_match(&self, event: &Value) -> bool {
        self.cond
            .eval(&mut |i| self.searches.get(i).is_some_and(|s| s.is_match(event)))
    }

    /// Values of `field` (lowercased) that every match requires, or `None` when the analysis
    /// cannot bound them: equalities in AND positions intersect, OR branches unite, and anything
    /// under NOT is unconstrained.
    pub(crate) fn required(&self, field: &str) -> Option<BTreeSet<String>> {
        self.cond_required(&self.cond, field)
    }

    /// [`Detection::required`], each value as the rule first writes it (for `eventSource` and
    /// `eventName`; lowercase for other fields), in the order of their lowercase forms.
    pub(crate) fn required_spelled(&self, field: &str) -> Option<Vec<String>> {
        let values = self.required(field)?;
        Some(
            values
                .into_iter()
                .map(|v| self.spellings.get(&v).cloned().unwrap_or(v))
                .collect(),
        )
    }

    /// Needles: every match has, at one of these `(field, text)` pairs, a value containing the
    /// lowercase ASCII text, ASCII case aside; `None` when the analysis cannot say (see
    /// [`super::needles`]). AND positions keep the smallest set, OR branches unite, and nothing
    /// under NOT counts.
    pub(crate) fn needles(&self) -> Option<NeedleSet> {
        self.cond_needles(&self.cond, &[])
    }

    /// [`Detection::needles`] without those on the fields `skip` (which are then no help: the
    /// routing fields of a rule the index routes).
    pub(crate) fn needles_except(&self, skip: &[&str]) -> Option<NeedleSet> {
        self.cond_needles(&self.cond, skip)
    }

    fn cond_needles(&self, cond: &Cond, skip: &[&str]) -> Option<NeedleSet> {
        match cond {
            Cond::Search(i) => self.searches.get(*i)?.needles(skip),
            Cond::Not(_) => None,
            Cond::And(items) => fewest(items.iter().filter_map(|c| self.cond_needles(c, skip))),
            Cond::Or(items) => union(items.iter().map(|c| self.cond_needles(c, skip))),
        }
    }

    fn cond_required(&self, cond: &Cond, field: &str) -> Option<BTreeSet<String>> {
        match cond {
            Cond::Search(i) => self.searches.get(*i)?.required(field),
            Cond::Not(_) => None,
            Cond::And(items) => items
                .iter()
                .filter_map(|c| self.cond_required(c, field))
                .reduce(|a, b| a.intersection(&b).cloned().collect()),
            Cond::Or(items) => union(items.iter().map(|c| self.cond_required(c, field))),
        }
    }
}

fn search(value: &Yaml) -> Result<Search, Problem> {
    match value {
        Yaml::Mapping(map) => {
            if map.is_empty() {
                return Err(Problem::Invalid("is an empty map".to_owned()));
            }
            let conds = map
                .iter()
                .map(|(k, v)| match k.as_str() {
                    Some(key) => FieldCond::compile(key, v, false),
                    None => Err(Problem::Invalid(format!(
                        "field name {k:?} is not a string"
                    ))),
                })
                .collect::<Result<_, _>>()?;
            Ok(Search::All(conds))
        }
        Yaml::Sequence(items) if items.is_empty() => {
            Err(Problem::Invalid("is an empty list".to_owned()))
        }
        Yaml::Sequence(items) if items.iter().all(|i| i.is_mapping()) => Ok(Search::Any(
            items.iter().map(search).collect::<Result<_, _>>()?,
        )),
        Yaml::Sequence(items) if items.iter().all(|i| !i.is_mapping() && !i.is_sequence()) => {
            Ok(Search::All(vec![FieldCond::compile("", value, true)?]))
        }
        Yaml::Sequence(_) => Err(Problem::Invalid(
            "mixes maps and plain values: use one or the other".to_owned(),
        )),
        _ => Err(Problem::Invalid(
            "must be a map of fields or a list".to_owned(),
        )),
    }
}

/// A rule's compiled detection and the filters attached to it.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) detection: Detection,
    pub(crate) filters: Vec<Detection>,
}

impl Compiled {
    /// Whether the event matches the rule and every filter attached to it.
    pub(crate) fn is_match(&self, event: &Value) -> bool {
        self.detection.is_match(event) && self.filters.iter().all(|f| f.is_match(event))
    }

    /// Adds the paths the rule and its filters read; false: it may read anything.
    pub(crate) fn project(&self, out: &mut Projection) -> bool {
        self.detection.project(out) && self.filters.iter().all(|f| f.project(out))
    }
}
