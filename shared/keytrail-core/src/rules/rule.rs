//! What a loaded rule is, as alerts and listings show it: [`Rule`], and the rest of its Sigma
//! metadata, [`RuleInfo`].

use std::collections::BTreeMap;

use serde_json::Value;

use crate::severity::Severity;

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
