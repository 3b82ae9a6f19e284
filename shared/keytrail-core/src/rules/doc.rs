//! One YAML file: a Sigma rule or a Sigma filter, with its metadata.
//!
//! Keys keytrail models become [`Rule`] and [`RuleInfo`] fields; every other top-level key is
//! kept in [`RuleInfo::custom`] (Sigma custom attributes). Multi-document files (`action:
//! global`) and correlation rules are unsupported.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_norway::{Mapping, Value as Yaml};

use super::detection::Detection;
use super::error::{Problem, RuleError};
use super::{Logsource, Rule, RuleInfo};
use crate::Severity;

/// Top-level keys that map onto [`Rule`] and [`RuleInfo`] fields.
const MODELLED: &[&str] = &[
    "title",
    "id",
    "name",
    "status",
    "description",
    "references",
    "author",
    "date",
    "modified",
    "tags",
    "logsource",
    "detection",
    "falsepositives",
    "level",
    "filter",
];

/// A parsed file.
#[derive(Debug)]
pub(crate) enum Doc {
    /// A rule.
    Rule(Box<RuleDoc>),
    /// A Sigma meta filter.
    Filter(Box<FilterDoc>),
}

/// A parsed rule; `detection` is `Err` when it uses an unsupported feature.
#[derive(Debug)]
pub(crate) struct RuleDoc {
    pub(crate) rule: Rule,
    pub(crate) info: RuleInfo,
    pub(crate) detection: Result<Detection, String>,
}

/// A parsed filter.
#[derive(Debug)]
pub(crate) struct FilterDoc {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) file: String,
    pub(crate) targets: Vec<String>,
    pub(crate) detection: Result<Detection, String>,
}

/// Parses one file. Unsupported features are reported in `detection` when the rule could be
/// identified, and as [`RuleError::Unsupported`] otherwise.
pub(crate) fn parse(file: &str, text: &str) -> Result<Doc, RuleError> {
    let invalid = |detail: String| RuleError::Invalid {
        file: file.to_owned(),
        detail,
    };
    let mut docs = Vec::new();
    for de in serde_norway::Deserializer::from_str(text) {
        docs.push(Yaml::deserialize(de).map_err(|e| invalid(format!("not valid YAML: {e}")))?);
    }
    docs.retain(|d| !d.is_null());
    let unsupported = |rule: &Mapping, feature: &str| RuleError::Unsupported {
        file: file.to_owned(),
        rule: label(
            &get_str(rule, "id").ok().flatten().unwrap_or_default(),
            &get_str(rule, "title").ok().flatten().unwrap_or_default(),
        ),
        feature: feature.to_owned(),
    };
    let map = match docs.as_slice() {
        [] => {
            return Err(invalid(
                "holds no rule: remove the file or write a rule in it".to_owned(),
            ))
        }
        [Yaml::Mapping(map), rest @ ..] => {
            if map.contains_key("action") {
                return Err(unsupported(map, "a rule collection ('action:')"));
            }
            if !rest.is_empty() {
                return Err(unsupported(
                    map,
                    "several YAML documents in one file (a rule collection)",
                ));
            }
            map
        }
        _ => {
            return Err(invalid(
                "must be a YAML map of rule keys (title, id, detection...)".to_owned(),
            ))
        }
    };
    if map.contains_key("correlation") {
        return Err(unsupported(map, "a correlation rule ('correlation:')"));
    }
    let id = get_str(map, "id")
        .map_err(&invalid)?
        .filter(|s| !s.trim().is_empty());
    let title = get_str(map, "title")
        .map_err(&invalid)?
        .filter(|s| !s.trim().is_empty());
    let (Some(id), Some(title)) = (id, title) else {
        return Err(invalid("needs both an id (a UUID) and a title".to_owned()));
    };
    let rule_label = label(&id, &title);
    let context = |detail: String| invalid(format!("rule {rule_label}: {detail}"));
    let logsource = logsource(map).map_err(&context)?;
    let product_ok = logsource
        .product
        .as_deref()
        .is_none_or(|p| p.eq_ignore_ascii_case("aws"));
    let service_ok = logsource
        .service
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("cloudtrail"));
    if !product_ok || !service_ok {
        return Err(RuleError::Logsource {
            file: file.to_owned(),
            rule: rule_label,
            logsource: logsource.describe(),
        });
    }
    let detection_of = |map: &Mapping, skip: &[&str]| match Detection::compile(map, skip) {
        Ok(d) => Ok(Ok(d)),
        Err(Problem::Unsupported(feature)) => Ok(Err(feature)),
        Err(Problem::Invalid(detail)) => Err(context(detail)),
    };
    if let Some(filter) = map.get("filter") {
        let Yaml::Mapping(filter) = filter else {
            return Err(context("filter must be a map".to_owned()));
        };
        let targets = list(filter, "rules").map_err(&context)?;
        if targets.is_empty() {
            return Err(context(
                "filter.rules must list the ids or names of the rules it applies to".to_owned(),
            ));
        }
        let detection = detection_of(filter, &["rules"])?;
        return Ok(Doc::Filter(Box::new(FilterDoc {
            id,
            label: rule_label,
            file: file.to_owned(),
            targets,
            detection,
        })));
    }
    let Some(Yaml::Mapping(detection)) = map.get("detection") else {
        return Err(context(
            "needs a detection map (or a filter map, for a Sigma filter)".to_owned(),
        ));
    };
    let detection = detection_of(detection, &[])?;
    let level = match get_str(map, "level").map_err(&context)? {
        None => Severity::Medium,
        Some(level) => level.parse().map_err(|e| context(format!("{e}")))?,
    };
    let rule = Rule {
        id,
        title,
        description: get_str(map, "description")
            .map_err(&context)?
            .unwrap_or_default(),
        level,
        file: file.to_owned(),
        tags: list(map, "tags").map_err(&context)?,
        references: list(map, "references").map_err(&context)?,
        falsepositives: list(map, "falsepositives").map_err(&context)?,
    };
    let info = RuleInfo {
        name: get_str(map, "name").map_err(&context)?,
        status: get_str(map, "status").map_err(&context)?,
        author: get_str(map, "author").map_err(&context)?,
        date: get_str(map, "date").map_err(&context)?,
        modified: get_str(map, "modified").map_err(&context)?,
        logsource,
        custom: map
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
            .filter(|(k, _)| !MODELLED.contains(k))
            .map(|(k, v)| (k.to_owned(), to_json(v)))
            .collect(),
    };
    Ok(Doc::Rule(Box::new(RuleDoc {
        rule,
        info,
        detection,
    })))
}

/// How rules are named in messages: `id (title)`.
pub(crate) fn label(id: &str, title: &str) -> String {
    format!("{id} ({title})")
}

fn logsource(map: &Mapping) -> Result<Logsource, String> {
    match map.get("logsource") {
        None | Some(Yaml::Null) => Ok(Logsource::default()),
        Some(Yaml::Mapping(ls)) => Ok(Logsource {
            product: get_str(ls, "product")?,
            service: get_str(ls, "service")?,
            category: get_str(ls, "category")?,
            definition: get_str(ls, "definition")?,
        }),
        Some(_) => Err("logsource must be a map (product: aws, service: cloudtrail)".to_owned()),
    }
}

/// A scalar as text (dates and numbers included); `None` when absent or null.
fn get_str(map: &Mapping, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::String(s)) => Ok(Some(s.clone())),
        Some(Yaml::Number(n)) => Ok(Some(n.to_string())),
        Some(Yaml::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(format!("{key} must be a single value, not a list or map")),
    }
}

/// A list of scalars; a single scalar (even a multi-line one) is a one-item list.
fn list(map: &Mapping, key: &str) -> Result<Vec<String>, String> {
    match map.get(key) {
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|i| match i {
                Yaml::String(s) => Ok(s.clone()),
                Yaml::Number(n) => Ok(n.to_string()),
                Yaml::Bool(b) => Ok(b.to_string()),
                _ => Err(format!("{key} must be a list of strings")),
            })
            .collect(),
        _ => Ok(get_str(map, key)?.into_iter().collect()),
    }
}

/// YAML to JSON for custom attributes; non-string keys become their text.
fn to_json(v: &Yaml) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Yaml::Null => J::Null,
        Yaml::Bool(b) => J::Bool(*b),
        Yaml::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => J::from(i),
            (_, Some(u), _) => J::from(u),
            (_, _, Some(f)) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            _ => J::Null,
        },
        Yaml::String(s) => J::String(s.clone()),
        Yaml::Sequence(items) => J::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => J::Object(
            map.iter()
                .map(|(k, v)| (get_key(k), to_json(v)))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        ),
        Yaml::Tagged(tagged) => to_json(&tagged.value),
    }
}

fn get_key(k: &Yaml) -> String {
    match k {
        Yaml::String(s) => s.clone(),
        other => serde_norway::to_string(other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
    }
}
