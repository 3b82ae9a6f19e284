//! Sigma rules for CloudTrail, compiled once and evaluated behind a prefilter index.
//!
//! keytrail implements the part of Sigma that CloudTrail rules use, itself, over
//! `serde_json::Value` records (no copy into another event type):
//!
//! - Rule files: `title`, `id` (both required), `name`, `status`, `description`, `references`,
//!   `author`, `date`, `modified`, `tags`, `logsource` (when present it must be `product: aws`
//!   and `service: cloudtrail`), `detection`, `falsepositives`, `level` (a missing level means
//!   `medium`). Other top-level keys are custom attributes, kept in [`RuleInfo::custom`].
//! - Sigma filters (a top-level `filter:` with `rules:`, searches and a `condition`) load from
//!   the same directories; the rules they name match only when the filter condition also holds,
//!   which is how an allowlist is written without editing the pack.
//! - Searches: a map is an AND of field conditions, a list of maps an OR, a list of plain values
//!   a keyword search. Field names are dotted JSON paths; arrays on the way match when any
//!   element does (`path.rs`). Values: wildcards `*` `?` with `\` escapes, case-insensitive by
//!   default; `null`; numbers and booleans that also match their string form.
//! - Modifiers: `contains`, `startswith`, `endswith`, `all`, `re` (with `i`, `m`, `s`),
//!   `exists`, `cidr`, `cased`, `gt`, `gte`, `lt`, `lte`, `base64`, `base64offset`, `windash`,
//!   `fieldref` (`value.rs`, `modifiers.rs`).
//! - Conditions: `and`, `or`, `not`, parentheses, `1 of`/`any of`/`all of` a pattern or `them`
//!   (`condition.rs`).
//!
//! Unsupported, reported by rule and feature and never skipped silently: other modifiers
//! (`expand`, `utf16*`, `wide`...), aggregations (`| count() ...`), `near`, rule collections
//! (`action:`) and correlation rules. [`RuleSet::load`] fails on them when
//! [`LoadOptions::strict`], and otherwise skips them and returns them in [`Loaded::skipped`].
//!
//! The prefilter (`index.rs`) keys each rule by the `eventName` (else `eventSource`) values its
//! condition requires, so most records are dismissed by a hash lookup and never parsed.
//! The built-in pack is every `*.yml`/`*.yaml` file at the top of the workspace's `rules/`
//! directory, embedded at build time ([`builtin_sources`]).

mod cidr;
mod classify;
mod condition;
mod detection;
mod doc;
mod error;
mod index;
mod load;
mod modifiers;
mod needles;
mod path;
mod pattern;
#[cfg(test)]
mod tests;
mod transform;
mod value;

use std::collections::BTreeMap;

use serde_json::Value;

pub use self::classify::{Matches, Scratch, Verdict};
use self::detection::Detection;
pub use self::error::RuleError;
use self::index::Index;
pub use self::load::{LoadOptions, Loaded};
use crate::record::Projection;
use crate::Severity;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The embedded pack: `("rules/x.yml", text)` for every rule file in the workspace's `rules/`
/// directory at build time, sorted by name.
pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULES
}

/// One loaded rule: what alerts and listings show.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Sigma `id`.
    pub id: String,
    /// Sigma `title`.
    pub title: String,
    /// Sigma `description` (empty when absent).
    pub description: String,
    /// Sigma `level`; `medium` when the rule has none.
    pub level: Severity,
    /// Where the rule came from (`builtin:rules/x.yml` or a path).
    pub file: String,
    /// Sigma `tags`.
    pub tags: Vec<String>,
    /// Sigma `references`.
    pub references: Vec<String>,
    /// Sigma `falsepositives` (a single string becomes one item).
    pub falsepositives: Vec<String>,
}

/// The rest of a rule's metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleInfo {
    /// Sigma `name` (filters may name rules by it).
    pub name: Option<String>,
    /// Sigma `status`.
    pub status: Option<String>,
    /// Sigma `author`.
    pub author: Option<String>,
    /// Sigma `date`, as written.
    pub date: Option<String>,
    /// Sigma `modified`, as written.
    pub modified: Option<String>,
    /// Sigma `logsource`.
    pub logsource: Logsource,
    /// Every other top-level key (Sigma custom attributes, `fields`, `related`...), as JSON.
    pub custom: BTreeMap<String, Value>,
}

/// A Sigma `logsource`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logsource {
    /// `product` (`aws`).
    pub product: Option<String>,
    /// `service` (`cloudtrail`).
    pub service: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `definition`.
    pub definition: Option<String>,
}

impl Logsource {
    /// `product: x, service: y` for messages.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("product", &self.product),
            ("service", &self.service),
            ("category", &self.category),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
        if parts.is_empty() {
            "(none)".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// A rule's compiled detection and the filters attached to it.
#[derive(Debug)]
struct Compiled {
    detection: Detection,
    filters: Vec<Detection>,
}

impl Compiled {
    fn is_match(&self, event: &Value) -> bool {
        self.detection.is_match(event) && self.filters.iter().all(|f| f.is_match(event))
    }

    /// Adds the paths the rule and its filters read; false: it may read anything.
    fn project(&self, out: &mut Projection) -> bool {
        self.detection.project(out) && self.filters.iter().all(|f| f.project(out))
    }
}

/// At most this many top-level keys are screened (see [`RuleSet::screen_projection`]).
pub const MAX_SCREEN_KEYS: usize = 8;

/// What the rules the index cannot route read, when it is little: see [`RuleSet::screen`].
fn screen_projection(compiled: &[Compiled], always: &[usize]) -> Option<Projection> {
    let mut projection = Projection::default();
    for &i in always {
        if !compiled.get(i)?.project(&mut projection) {
            return None;
        }
    }
    (!projection.is_empty() && projection.len() <= MAX_SCREEN_KEYS).then_some(projection)
}

/// Compiled rules behind a prefilter index.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    info: Vec<RuleInfo>,
    compiled: Vec<Compiled>,
    index: Index,
    /// [`RuleSet::screen_projection`].
    screen: Option<Projection>,
    /// [`RuleSet::screen_rules_out`].
    needles: Option<needles::Needles>,
    /// [`RuleSet::routed_rules_out`]: per rule, texts one of which every match has somewhere in
    /// its record (`None`: no such texts).
    routed_needles: Vec<Option<Vec<Vec<u8>>>>,
}

impl RuleSet {
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
