//! The typed shape of a rule file, as serde deserialises it: [`RuleYaml`] has a field for each
//! top-level key keytrail models, and every other key is a Sigma custom attribute.
//!
//! The fields take any YAML shape ([`Text`], [`Texts`], [`Shaped`]) and the functions here turn a
//! misshapen one into keytrail's message naming the key ([`scalar`], [`texts`], [`logsource`]),
//! which `doc.rs` prefixes with the file and the rule, rather than serde's.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_norway::{Mapping, Value as Yaml};

use super::rule::Logsource;

/// A rule file's top level, as keytrail reads it.
#[derive(Deserialize)]
pub(super) struct RuleYaml {
    #[serde(default)]
    pub(super) title: Option<Text>,
    #[serde(default)]
    pub(super) id: Option<Text>,
    #[serde(default)]
    pub(super) name: Option<Text>,
    #[serde(default)]
    pub(super) status: Option<Text>,
    #[serde(default)]
    pub(super) description: Option<Text>,
    #[serde(default)]
    pub(super) references: Option<Texts>,
    #[serde(default)]
    pub(super) author: Option<Text>,
    #[serde(default)]
    pub(super) date: Option<Text>,
    #[serde(default)]
    pub(super) modified: Option<Text>,
    #[serde(default)]
    pub(super) tags: Option<Texts>,
    #[serde(default)]
    pub(super) logsource: Shaped<LogsourceYaml>,
    #[serde(default)]
    pub(super) detection: Shaped<Mapping>,
    #[serde(default)]
    pub(super) falsepositives: Option<Texts>,
    #[serde(default)]
    pub(super) level: Option<Text>,
    #[serde(default)]
    pub(super) filter: Shaped<FilterYaml>,
    /// A rule collection (`action: global`, `repeat`, `reset`).
    #[serde(default)]
    pub(super) action: Present,
    /// A correlation rule.
    #[serde(default)]
    pub(super) correlation: Present,
}

impl RuleYaml {
    /// The keys above (keep the two in step): every other top-level key is a custom attribute.
    /// (Not a `#[serde(flatten)]` map: that buffers values in a form that cannot hold a tagged
    /// YAML value, which a custom attribute may be.)
    pub(super) const FIELDS: &'static [&'static str] = &[
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
        "action",
        "correlation",
    ];
}

/// A Sigma `logsource` map.
#[derive(Deserialize)]
pub(super) struct LogsourceYaml {
    #[serde(default)]
    pub(super) product: Option<Text>,
    #[serde(default)]
    pub(super) service: Option<Text>,
    #[serde(default)]
    pub(super) category: Option<Text>,
    #[serde(default)]
    pub(super) definition: Option<Text>,
}

/// A Sigma filter's map: the rules it applies to, and its searches and condition (the other
/// keys, in order).
pub(super) struct FilterYaml {
    pub(super) rules: Option<Texts>,
    pub(super) detection: Mapping,
}

/// A scalar as text (a number or a boolean as YAML prints it), or a value of another shape.
pub(super) enum Text {
    Scalar(String),
    Other,
}

/// A list of scalars, or a single scalar (a one-item list), or a value of another shape.
pub(super) enum Texts {
    List(Vec<Text>),
    One(Text),
}

/// A map read as `T`, or what else the key holds.
#[derive(Default)]
pub(super) enum Shaped<T> {
    /// No such key.
    #[default]
    Absent,
    /// The key with no value.
    Null,
    Map(T),
    /// A value of another shape.
    Other,
}

/// Whether a key is there at all (even with a null value).
#[derive(Default)]
pub(super) struct Present(pub(super) bool);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text::from(Yaml::deserialize(d)?))
    }
}

impl From<Yaml> for Text {
    fn from(value: Yaml) -> Self {
        match value {
            Yaml::String(s) => Text::Scalar(s),
            Yaml::Number(n) => Text::Scalar(n.to_string()),
            Yaml::Bool(b) => Text::Scalar(b.to_string()),
            _ => Text::Other,
        }
    }
}

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Texts::from(Yaml::deserialize(d)?))
    }
}

impl From<Yaml> for Texts {
    fn from(value: Yaml) -> Self {
        match value {
            Yaml::Sequence(items) => Texts::List(items.into_iter().map(Text::from).collect()),
            other => Texts::One(Text::from(other)),
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Shaped<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Yaml::deserialize(d)? {
            Yaml::Null => Ok(Shaped::Null),
            map @ Yaml::Mapping(_) => serde_norway::from_value(map)
                .map(Shaped::Map)
                .map_err(serde::de::Error::custom),
            _ => Ok(Shaped::Other),
        }
    }
}

impl<'de> Deserialize<'de> for FilterYaml {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (mut rules, mut detection) = (None, Mapping::new());
        for (key, value) in Mapping::deserialize(d)? {
            match key.as_str() {
                Some("rules") => rules = Some(value).filter(|v| !v.is_null()).map(Texts::from),
                _ => {
                    detection.insert(key, value);
                }
            }
        }
        Ok(FilterYaml { rules, detection })
    }
}

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

impl Text {
    pub(super) fn scalar(&self) -> Option<&str> {
        match self {
            Text::Scalar(s) => Some(s),
            Text::Other => None,
        }
    }
}

/// A scalar key's text; `None` when absent or null, an error naming `key` for a list or map.
pub(super) fn scalar(value: Option<&Text>, key: &str) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(Text::Scalar(s)) => Ok(Some(s.clone())),
        Some(Text::Other) => Err(format!("{key} must be a single value, not a list or map")),
    }
}

/// A list key's items; a single scalar (even a multi-line one) is a one-item list.
pub(super) fn texts(value: Option<&Texts>, key: &str) -> Result<Vec<String>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(Texts::List(items)) => items
            .iter()
            .map(|i| {
                i.scalar()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{key} must be a list of strings"))
            })
            .collect(),
        Some(Texts::One(one)) => Ok(scalar(Some(one), key)?.into_iter().collect()),
    }
}

pub(super) fn logsource(value: &Shaped<LogsourceYaml>) -> Result<Logsource, String> {
    match value {
        Shaped::Absent | Shaped::Null => Ok(Logsource::default()),
        Shaped::Map(ls) => Ok(Logsource {
            product: scalar(ls.product.as_ref(), "product")?,
            service: scalar(ls.service.as_ref(), "service")?,
            category: scalar(ls.category.as_ref(), "category")?,
            definition: scalar(ls.definition.as_ref(), "definition")?,
        }),
        Shaped::Other => {
            Err("logsource must be a map (product: aws, service: cloudtrail)".to_owned())
        }
    }
}

/// YAML to JSON for custom attributes; non-string keys become their text.
pub(super) fn to_json(v: &Yaml) -> serde_json::Value {
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
