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
//!   `fieldref` (`value.rs`, `modifiers.rs`); and one keytrail extension,
//!   `kt_policy_other_account`: a policy document (a JSON string) that grants an account other
//!   than another field's (`policy.rs`).
//! - Conditions: `and`, `or`, `not`, parentheses, `1 of`/`any of`/`all of` a pattern or `them`
//!   (`condition.rs`).
//!
//! - Correlation rules (`correlation:`, Sigma v2) and legacy `| count(...) by f > N`
//!   aggregations, run by [`RuleSet::correlate`] over the caller's state ([`crate::correlate`]).
//!
//! Unsupported, reported by rule and feature and never skipped silently: other modifiers
//! (`expand`, `utf16*`, `wide`...), other aggregations (`| max() ...`), `near`, rule
//! collections (`action:`). [`RuleSet::load`] fails on them when
//! [`LoadOptions::strict`], and otherwise skips them and returns them in [`Loaded::skipped`].
//!
//! The prefilter (`index.rs`) keys each rule by the `eventName` (else `eventSource`) values its
//! condition requires, so most records are dismissed by a hash lookup and never parsed.
//! The built-in pack is every `*.yml`/`*.yaml` file at the top of the workspace's `rules/`
//! directory, embedded at build time ([`builtin_sources`]).
//!
//! The files, each importing only those below it (this one only declares and re-exports):
//! [`RuleSet::classify`] (`classify.rs`), the one entry point per record, owns the cascade;
//! [`RuleSet`] (`set.rs`) holds the compiled rules and builds, once, what the cascade needs
//! (the index, the screen's projection and `needles.rs`); [`RuleSet::load`] (`load.rs`) reads
//! files and parses each (`doc.rs`) into a [`Rule`] (`rule.rs`) and a compiled detection
//! (`detection.rs`, over `condition.rs`, `value.rs`, `modifiers.rs`, `pattern.rs`...).
//! [`fixtures`] is `keytrail rules test`: every rule's hit and miss fixtures through the scan.
//! `routing.rs` is a read-only view of what the index knows about each rule
//! ([`RuleSet::required_event_sources`]), for coverage tables and the EventBridge pattern.

mod builtin;
mod bytes;
mod cidr;
mod classify;
mod condition;
mod correlations;
mod detection;
mod doc;
pub(crate) mod error;
pub mod fixtures;
mod index;
mod load;
mod modifiers;
mod needles;
pub(crate) mod path;
mod pattern;
mod policy;
mod prescan;
mod routing;
pub(crate) mod rule;
mod set;
#[cfg(test)]
mod tests;
mod transform;
mod value;
mod yaml;

pub use self::builtin::builtin_sources;
pub use self::classify::{Matches, Scratch, Verdict};
pub use self::error::RuleError;
pub use self::load::{LoadOptions, Loaded};
pub use self::rule::{Logsource, Rule, RuleInfo};
pub use self::set::RuleSet;
