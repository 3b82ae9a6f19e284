//! One YAML file: a Sigma rule or a Sigma filter, with its metadata.
//!
//! A file is read in three steps. A linear pre-scan (`prescan.rs`) refuses a file too large or
//! nested too deep before the YAML parser, whose time grows with the square of the depth, sees
//! it. Its YAML documents become values (a file holds one map: several
//! documents are a rule collection, which keytrail does not support), and that map is
//! deserialised into [`RuleYaml`] (`yaml.rs`), a struct with a field for each key keytrail models;
//! every other top-level key is kept as a custom attribute ([`RuleInfo::custom`]). A misshapen
//! value gets keytrail's message, which names the file, the rule and the key, rather than
//! serde's. A `correlation:` map makes a correlation rule ([`crate::correlate`]); a legacy
//! aggregation (`selection | count() by f > N`) makes a rule of its events and a correlation.

use serde::Deserialize;
use serde_norway::{Mapping, Value as Yaml};

use super::detection::Detection;
use super::error::{Problem, RuleError};
use super::modifiers;
use super::prescan;
use super::rule::{Rule, RuleInfo};
use super::yaml::{logsource, scalar, texts, to_json, RuleYaml, Shaped, Text};
use crate::correlate::{self, Correlation};
use crate::severity::Severity;

/// A parsed file.
#[derive(Debug)]
pub(crate) enum Doc {
    /// A rule.
    Rule(Box<RuleDoc>),
    /// A Sigma meta filter.
    Filter(Box<FilterDoc>),
    /// A correlation rule.
    Correlation(Box<Correlation>),
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

/// Parses one file: each of its YAML documents (a correlation and the rules it joins may share
/// a file, as in the Sigma specification's examples), a legacy aggregation rule becoming two
/// docs (its rule and its correlation, see [`legacy`]). Unsupported features are reported in
/// `detection` when the rule could be identified, and as [`RuleError::Unsupported`] otherwise.
pub(crate) fn parse_all(file: &str, text: &str) -> Vec<Result<Doc, RuleError>> {
    let invalid = |detail: String| RuleError::Invalid {
        file: file.to_owned(),
        detail,
    };
    if let Err(detail) = prescan::check(text) {
        return vec![Err(invalid(detail))];
    }
    let mut docs = Vec::new();
    for de in serde_norway::Deserializer::from_str(text) {
        match Yaml::deserialize(de) {
            Ok(doc) => docs.push(doc),
            Err(e) => return vec![Err(invalid(format!("not valid YAML: {e}")))],
        }
    }
    docs.retain(|d| !d.is_null());
    // A rule collection (`action:` in a document) is refused as a whole, by its first document.
    let collection = docs
        .iter()
        .any(|d| d.as_mapping().is_some_and(|m| m.contains_key("action")));
    let docs: Vec<(Option<Yaml>, bool)> = if docs.is_empty() {
        vec![(None, false)]
    } else if collection && docs.len() > 1 {
        vec![(docs.into_iter().next(), true)]
    } else {
        docs.into_iter().map(|d| (Some(d), false)).collect()
    };
    let mut out = Vec::new();
    for (doc, several) in docs {
        match parse(file, text, doc, several) {
            Ok(parsed) => out.extend(parsed.into_iter().map(Ok)),
            Err(e) => out.push(Err(e)),
        }
    }
    out
}

/// Parses one YAML document (`several`: one of several forming a rule collection): one doc,
/// or two for a legacy aggregation rule (its events, and its correlation).
fn parse(file: &str, text: &str, doc: Option<Yaml>, several: bool) -> Result<Vec<Doc>, RuleError> {
    let invalid = |detail: String| RuleError::Invalid {
        file: file.to_owned(),
        detail,
    };
    let mut map = match doc {
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
    let correlation = map.get("correlation").cloned();
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
    let id = scalar(doc.id.as_ref(), "id")
        .map_err(&invalid)?
        .filter(|s| !s.trim().is_empty());
    let title = scalar(doc.title.as_ref(), "title")
        .map_err(&invalid)?
        .filter(|s| !s.trim().is_empty());
    let name = scalar(doc.name.as_ref(), "name").map_err(&invalid)?;
    // A correlation's id is optional in Sigma: its name, else its title, stands in.
    let id = match &correlation {
        Some(_) => id.or_else(|| name.clone()).or_else(|| title.clone()),
        None => id,
    };
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
            return Ok(vec![Doc::Filter(Box::new(FilterDoc {
                id,
                label: rule_label,
                file: file.to_owned(),
                targets,
                detection,
            }))]);
        }
        Shaped::Null | Shaped::Other => return Err(context("filter must be a map".to_owned())),
    }
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
        name,
        status: scalar(doc.status.as_ref(), "status").map_err(&context)?,
        author: scalar(doc.author.as_ref(), "author").map_err(&context)?,
        date: scalar(doc.date.as_ref(), "date").map_err(&context)?,
        modified: scalar(doc.modified.as_ref(), "modified").map_err(&context)?,
        logsource,
        custom,
    };
    if let Some(section) = correlation.as_ref().filter(|_| doc.correlation.0) {
        let section = correlate::parse_section(section).map_err(|p| match p {
            Problem::Invalid(detail) => context(detail),
            Problem::Unsupported(feature) => unsupported(&feature),
        })?;
        let generate = info
            .custom
            .get("generate")
            .and_then(serde_json::Value::as_bool);
        let correlation = section.into_correlation(rule, info.name, generate.unwrap_or(false));
        return Ok(vec![Doc::Correlation(Box::new(correlation))]);
    }
    let Shaped::Map(detection) = &doc.detection else {
        return Err(context(
            "needs a detection map (or a filter map, for a Sigma filter)".to_owned(),
        ));
    };
    if let Some((events, aggregation)) = correlate::aggregation_of(detection) {
        let timeframe = detection
            .get("timeframe")
            .and_then(Yaml::as_str)
            .or_else(|| {
                info.custom
                    .get("timeframe")
                    .and_then(serde_json::Value::as_str)
            });
        let base = format!("{}{LEGACY_SUFFIX}", rule.id);
        match correlate::parse_aggregation(aggregation, &base, timeframe) {
            Ok(section) => {
                let mut events_only = detection.clone();
                events_only.insert("condition".into(), Yaml::from(events.trim()));
                events_only.remove("timeframe");
                let detection = detection_of(&events_only)?;
                let base_rule = Rule {
                    id: base,
                    ..rule.clone()
                };
                let base_info = RuleInfo {
                    name: None,
                    ..info.clone()
                };
                let correlation = section.into_correlation(rule, info.name, false);
                return Ok(vec![
                    Doc::Rule(Box::new(RuleDoc {
                        rule: base_rule,
                        info: base_info,
                        detection,
                    })),
                    Doc::Correlation(Box::new(correlation)),
                ]);
            }
            Err(Problem::Invalid(detail)) => return Err(context(detail)),
            // Another aggregation than count(): the rule is skipped as before.
            Err(Problem::Unsupported(_)) => {}
        }
    }
    let detection = detection_of(detection)?;
    Ok(vec![Doc::Rule(Box::new(RuleDoc {
        rule,
        info,
        detection,
    }))])
}

/// What a legacy aggregation rule's id gets for the rule of its events (which alerts only
/// through the correlation carrying the rule's own id).
pub(crate) const LEGACY_SUFFIX: &str = "/events";

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
