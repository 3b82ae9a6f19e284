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
//! (`action:`) and correlation rules. [`RuleSet::load_lenient`] skips such rules and returns
//! them; [`RuleSet::load`] fails on them.
//!
//! The prefilter (`index.rs`) keys each rule by the `eventName` (else `eventSource`) values its
//! condition requires, so most records are dismissed by a hash lookup and never parsed.
//! The built-in pack is every `*.yml`/`*.yaml` file at the top of the workspace's `rules/`
//! directory, embedded at build time ([`builtin_sources`]).

mod cidr;
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
mod routing;
#[cfg(test)]
mod tests;
mod transform;
mod value;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use self::detection::Detection;
pub use self::error::RuleError;
use self::index::Index;
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
    /// The embedded pack only.
    pub fn builtin() -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::load(true, &[])
    }

    /// The pack (when `builtin`) plus every rule and filter file directly in each of `dirs` (a
    /// path to a file loads that file). Any error, including an unsupported feature, fails the
    /// load, and every error is returned.
    pub fn load(builtin: bool, dirs: &[PathBuf]) -> Result<RuleSet, Vec<RuleError>> {
        let (set, _) = load::assemble(load::read_sources(builtin, dirs)?, false)?;
        Ok(set)
    }

    /// Like [`RuleSet::load`], but rules and filters that use an unsupported Sigma feature are
    /// skipped and returned (each naming rule, file and feature) for the caller to report.
    /// Invalid files still fail the load.
    pub fn load_lenient(
        builtin: bool,
        dirs: &[PathBuf],
    ) -> Result<(RuleSet, Vec<RuleError>), Vec<RuleError>> {
        load::assemble(load::read_sources(builtin, dirs)?, true)
    }

    /// The pack (when `builtin`), the files in `dirs`, then `extra` `(name, YAML text)` pairs
    /// (rules fetched from elsewhere, e.g. an S3 prefix); strict like [`RuleSet::load`].
    pub fn load_with<N, T>(
        builtin: bool,
        dirs: &[PathBuf],
        extra: impl IntoIterator<Item = (N, T)>,
    ) -> Result<RuleSet, Vec<RuleError>>
    where
        N: Into<String>,
        T: Into<String>,
    {
        let mut sources = load::read_sources(builtin, dirs)?;
        sources.extend(owned(extra));
        let (set, _) = load::assemble(sources, false)?;
        Ok(set)
    }

    /// Rules from `(file name, YAML text)` pairs, in order; strict like [`RuleSet::load`].
    pub fn from_sources<N, T>(
        sources: impl IntoIterator<Item = (N, T)>,
    ) -> Result<RuleSet, Vec<RuleError>>
    where
        N: Into<String>,
        T: Into<String>,
    {
        let (set, _) = load::assemble(owned(sources), false)?;
        Ok(set)
    }

    /// [`RuleSet::from_sources`], lenient like [`RuleSet::load_lenient`].
    pub fn from_sources_lenient<N, T>(
        sources: impl IntoIterator<Item = (N, T)>,
    ) -> Result<(RuleSet, Vec<RuleError>), Vec<RuleError>>
    where
        N: Into<String>,
        T: Into<String>,
    {
        load::assemble(owned(sources), true)
    }

    /// Whether some rule is checked for every record: one the index cannot route.
    pub fn has_unrouted(&self) -> bool {
        !self.index.always().is_empty()
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rest of the metadata of rule `index` (an index into [`RuleSet::rules`]).
    pub fn info(&self, index: usize) -> Option<&RuleInfo> {
        self.info.get(index)
    }

    /// False when no rule can match a record with these routing fields. `None` means the field
    /// was not found cheaply and is treated as unknown, never as absent.
    pub fn may_match(&self, event_source: Option<&str>, event_name: Option<&str>) -> bool {
        self.index.may_match(event_source, event_name)
    }

    /// Like [`RuleSet::may_match`], leaving out the rules the index cannot route (those
    /// [`RuleSet::screen`] checks).
    pub fn routed_may_match(&self, event_source: Option<&str>, event_name: Option<&str>) -> bool {
        self.index.routed_may_match(event_source, event_name)
    }

    /// The parts of a record that the rules the index cannot route read (at most
    /// [`MAX_SCREEN_KEYS`] top-level keys), when there are such rules and none of them needs the
    /// whole record (a keyword search does). A record that [`RuleSet::routed_may_match`] rules
    /// out can be screened on just these parts ([`crate::record::partial_event`]) instead of
    /// being parsed whole.
    pub fn screen_projection(&self) -> Option<&Projection> {
        self.screen.as_ref()
    }

    /// Whether some rule the index cannot route matches `partial`: an event holding the parts
    /// of a record that [`RuleSet::screen_projection`] names (see
    /// [`crate::record::partial_event`]). The answer is the same as on the whole record, since
    /// those rules read nothing else.
    pub fn screen(&self, partial: &Value) -> bool {
        self.index
            .always()
            .iter()
            .any(|&i| self.compiled.get(i).is_some_and(|c| c.is_match(partial)))
    }

    /// True when no rule the index cannot route can match the record `json`, told from the raw
    /// bytes of the values [`crate::record::peek_quick`] found for [`RuleSet::screen_projection`]
    /// (see the `needles` module). False means [`RuleSet::screen`] must decide on the partial
    /// event.
    pub fn screen_rules_out(&self, json: &[u8], peek: &crate::record::Peek<'_>) -> bool {
        self.needles
            .as_ref()
            .is_some_and(|n| n.rule_out(json, peek))
    }

    /// True when no routed rule can match the record `json` with these routing fields, told
    /// from its raw bytes: every routed rule that may match needs one of a few texts somewhere in
    /// the record (`requestParameters.encryptionContext.aws:acm:arn|exists` needs the key's name,
    /// `userAgent|contains: x` needs `x`), and none of them is there. Only when the bytes read as
    /// their text: no escape, ASCII only (then every string's text, every key and every literal
    /// is in the bytes as it is; a text with only number characters is never used, as a
    /// number's text may differ from its bytes). The rules the index cannot route are left to
    /// [`RuleSet::screen`].
    pub fn routed_rules_out(
        &self,
        json: &[u8],
        event_source: Option<&str>,
        event_name: Option<&str>,
    ) -> bool {
        if !needles::as_text(json) {
            return false;
        }
        let mut out = true;
        self.index
            .routed_candidates(event_source, event_name, &mut |i| {
                out = out
                    && self
                        .routed_needles
                        .get(i)
                        .and_then(Option::as_ref)
                        .is_some_and(|texts| {
                            !texts
                                .iter()
                                .any(|t| needles::contains_ignoring_case(json, t))
                        });
            });
        out
    }

    /// Indexes (into [`RuleSet::rules`]) of the rules matching `event`, appended to `out` in
    /// ascending order.
    pub fn matches(&self, event: &Value, out: &mut Vec<usize>) {
        let start = out.len();
        self.index.candidates(event, &mut |i| {
            if self.compiled.get(i).is_some_and(|c| c.is_match(event)) {
                out.push(i);
            }
        });
        out[start..].sort_unstable();
    }

    /// Whether rule `index` matches `event` (without the index; false for an unknown index).
    pub fn is_match(&self, index: usize, event: &Value) -> bool {
        self.compiled.get(index).is_some_and(|c| c.is_match(event))
    }
}

fn owned<N: Into<String>, T: Into<String>>(
    sources: impl IntoIterator<Item = (N, T)>,
) -> Vec<load::Source> {
    sources
        .into_iter()
        .map(|(n, t)| (n.into(), Cow::Owned(t.into())))
        .collect()
}
