//! One YAML file: a Sigma rule or a Sigma filter, with its metadata.
//!
//! A file is read in three steps. A linear pre-scan (`prescan.rs`) refuses a file too large or
//! nested too deep before the YAML parser, whose time grows with the square of the depth, sees
//! it. Its YAML documents become values (a file holds one map: several
//! documents are a rule collection, which keytrail does not support), and that map is
//! deserialised into [`RuleYaml`] (`yaml.rs`), a struct with a field for each key keytrail models;
//! every other top-level key is kept as a custom attribute ([`RuleInfo::custom`]). A misshapen
//! value gets keytrail's message, which names the file, the rule and the key, rather than
//! serde's. Correlation rules are unsupported too.

use serde::Deserialize;
use serde_norway::{Mapping, Value as Yaml};

use super::detection::Detection;
use super::error::{Problem, RuleError};
use super::modifiers;
use super::prescan;
use super::rule::{Rule, RuleInfo};
use super::yaml::{logsource, scalar, texts, to_json, RuleYaml, Shaped, Text};
use crate::severity::Severity;

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
    prescan::check(text).map_err(&invalid)?;
    let mut docs = Vec::new();
    for de in serde_norway::Deserializer::from_str(text) {
        docs.push(Yaml::deserialize(de).map_err(|e| invalid(format!("not valid YAML: {e}")))?);
    }
    docs.retain(|d| !d.is_null());
    let several = docs.len() > 1;
    let mut map = match docs.into_iter().next() {
        None => {
            return Err(invalid(
                "holds no rule: remove the file or write a rule in it".to_owned(),
            ))
        }
        Some(Yaml::Mapping(map)) => map,
        Some(_) => {
            return Err(invalid(
                "must be a YAML map of rule keys (title, id, detection...)".to_owned(),
            ))
        }
    };
    // Keys that are not strings name no Sigma attribute: they are left out, custom ones too.
    map.retain(|key, _| key.is_string());
    let custom = map
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
        .filter(|(k, _)| !RuleYaml::FIELDS.contains(k))
        .map(|(k, v)| (k.to_owned(), to_json(v)))
        .collect();
    let doc = RuleYaml::deserialize(Yaml::Mapping(map))
        .map_err(|e| invalid(format!("cannot be read as a Sigma rule: {e}")))?;
    let unsupported = |feature: &str| RuleError::Unsupported {
        file: file.to_owned(),
        rule: label(
            doc.id.as_ref().and_then(Text::scalar).unwrap_or_default(),
            doc.title
                .as_ref()
                .and_then(Text::scalar)
                .unwrap_or_default(),
        ),
        feature: feature.to_owned(),
    };
    if doc.action.0 {
        return Err(unsupported("a rule collection ('action:')"));
    }
    if several {
        return Err(unsupported(
            "several YAML documents in one file (a rule collection)",
        ));
    }
    if doc.correlation.0 {
        return Err(unsupported("a correlation rule ('correlation:')"));
    }
    let id = scalar(doc.id.as_ref(), "id")
        .map_err(&invalid)?
        .filter(|s| !s.trim().is_empty());
    let title = scalar(doc.title.as_ref(), "title")
        .map_err(&invalid)?
        .filter(|s| !s.trim().is_empty());
    let (Some(id), Some(title)) = (id, title) else {
        return Err(invalid("needs both an id (a UUID) and a title".to_owned()));
    };
    let rule_label = label(&id, &title);
    let context = |detail: String| invalid(format!("rule {rule_label}: {detail}"));
    let logsource = logsource(&doc.logsource).map_err(&context)?;
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
    let detection_of = |map: &Mapping| match Detection::compile(map) {
        Ok(d) => Ok(Ok(d)),
        Err(Problem::Unsupported(feature)) => Ok(Err(at_line(text, feature))),
        Err(Problem::Invalid(detail)) => Err(context(detail)),
    };
    match &doc.filter {
        Shaped::Absent => {}
        Shaped::Map(filter) => {
            let targets = texts(filter.rules.as_ref(), "rules").map_err(&context)?;
            if targets.is_empty() {
                return Err(context(
                    "filter.rules must list the ids or names of the rules it applies to".to_owned(),
                ));
            }
            let detection = detection_of(&filter.detection)?;
            return Ok(Doc::Filter(Box::new(FilterDoc {
                id,
                label: rule_label,
                file: file.to_owned(),
                targets,
                detection,
            })));
        }
        Shaped::Null | Shaped::Other => return Err(context("filter must be a map".to_owned())),
    }
    let Shaped::Map(detection) = &doc.detection else {
        return Err(context(
            "needs a detection map (or a filter map, for a Sigma filter)".to_owned(),
        ));
    };
    let detection = detection_of(detection)?;
    let level = match scalar(doc.level.as_ref(), "level").map_err(&context)? {
        None => Severity::Medium,
        Some(level) => level.parse().map_err(|e| context(format!("{e}")))?,
    };
    let rule = Rule {
        id,
        title,
        description: scalar(doc.description.as_ref(), "description")
            .map_err(&context)?
            .unwrap_or_default(),
        level,
        file: file.to_owned(),
        tags: texts(doc.tags.as_ref(), "tags").map_err(&context)?,
        references: texts(doc.references.as_ref(), "references").map_err(&context)?,
        falsepositives: texts(doc.falsepositives.as_ref(), "falsepositives").map_err(&context)?,
    };
    let info = RuleInfo {
        name: scalar(doc.name.as_ref(), "name").map_err(&context)?,
        status: scalar(doc.status.as_ref(), "status").map_err(&context)?,
        author: scalar(doc.author.as_ref(), "author").map_err(&context)?,
        date: scalar(doc.date.as_ref(), "date").map_err(&context)?,
        modified: scalar(doc.modified.as_ref(), "modified").map_err(&context)?,
        logsource,
        custom,
    };
    Ok(Doc::Rule(Box::new(RuleDoc {
        rule,
        info,
        detection,
    })))
}

/// An unsupported feature's description, with the line it is on when it is a modifier (so a
/// warning names the file and the line).
fn at_line(text: &str, feature: String) -> String {
    match modifiers::unsupported_name(&feature).and_then(|m| modifiers::line_of(text, m)) {
        Some(line) => format!("{feature} at line {line}"),
        None => feature,
    }
}

/// How rules are named in messages: `id (title)`.
pub(crate) fn label(id: &str, title: &str) -> String {
    format!("{id} ({title})")
}
