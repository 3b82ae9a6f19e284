//! The compiled rule set: the rules, their compiled detections, and what the cascade needs to
//! dismiss records cheaply (the prefilter index, the screen's projection and needles, the routed
//! rules' needles), all built once when the set is loaded ([`RuleSet::build`]).

use serde_json::Value;

use super::detection::Compiled;
use super::index::Index;
use super::needles::{Needles, RoutedNeedles};
use super::rule::{Rule, RuleInfo};
use crate::correlate::Correlations;
use crate::record::{Projection, MAX_SCREEN_KEYS};

/// Compiled rules behind a prefilter index.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub(super) rules: Vec<Rule>,
    pub(super) info: Vec<RuleInfo>,
    pub(super) compiled: Vec<Compiled>,
    pub(super) index: Index,
    /// What the rules the index cannot route read, when it is little (see `classify.rs`).
    pub(super) screen: Option<Projection>,
    /// The screen's needles: a check on the raw bytes of the screened values.
    pub(super) needles: Option<Needles>,
    /// The routed rules' needles: texts one of which every match has somewhere in its record.
    pub(super) routed_needles: RoutedNeedles,
    /// What each rule reads (by index into `compiled`), when it is a routed rule that reads no
    /// more than a few top-level keys: the routed screen's partial events (see `classify.rs`).
    pub(super) routed_projections: Vec<Option<Projection>>,
    /// The correlation rules, over these rules (set by the loader after `build`).
    pub(super) correlations: Correlations,
}

impl RuleSet {
    /// The set of these rules (in load order, with their metadata and compiled detections, the
    /// filters attached): the index and the needles are built here, once.
    pub(super) fn build(rules: Vec<Rule>, info: Vec<RuleInfo>, compiled: Vec<Compiled>) -> RuleSet {
        let index = Index::build(compiled.iter().map(|c| &c.detection));
        let screen = screen_projection(&compiled, index.always());
        let needles = screen
            .as_ref()
            .and_then(|p| Needles::build(&compiled, index.always(), p));
        let routed_needles = RoutedNeedles::build(&compiled);
        let routed_projections = compiled
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let routed = !index.always().contains(&i);
                routed.then(|| rule_projection(c)).flatten()
            })
            .collect();
        RuleSet {
            rules,
            info,
            compiled,
            index,
            screen,
            needles,
            routed_needles,
            routed_projections,
            correlations: Correlations::default(),
        }
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rest of the metadata of rule `index` (an index into [`RuleSet::rules`]).
    pub fn info(&self, index: usize) -> Option<&RuleInfo> {
        self.info.get(index)
    }

    /// Whether rule `index` matches `event` (without the index; false for an unknown index).
    pub fn is_match(&self, index: usize, event: &Value) -> bool {
        self.compiled.get(index).is_some_and(|c| c.is_match(event))
    }
}

/// What one rule reads, when it is little: at most [`MAX_SCREEN_KEYS`] top-level keys, and no
/// keyword search.
fn rule_projection(compiled: &Compiled) -> Option<Projection> {
    let mut projection = Projection::default();
    let little = compiled.project(&mut projection) && projection.len() <= MAX_SCREEN_KEYS;
    (little && !projection.is_empty()).then_some(projection)
}

/// What the rules the index cannot route read, when it is little: at most [`MAX_SCREEN_KEYS`]
/// top-level keys, and no keyword search (which reads everything).
fn screen_projection(compiled: &[Compiled], always: &[usize]) -> Option<Projection> {
    let mut projection = Projection::default();
    for &i in always {
        if !compiled.get(i)?.project(&mut projection) {
            return None;
        }
    }
    (!projection.is_empty() && projection.len() <= MAX_SCREEN_KEYS).then_some(projection)
}
