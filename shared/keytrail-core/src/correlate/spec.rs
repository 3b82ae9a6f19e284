//! What a correlation rule says, read from its `correlation:` map ([`parse_section`]) or from a
//! legacy aggregation (`selection | count(field) by field > N`, [`parse_aggregation`]).
//!
//! Problems are [`Problem`]s: `Invalid` for malformed rules (always an error) and `Unsupported`
//! for valid Sigma keytrail does not run (a lenient load skips the rule).

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value as Yaml};

use crate::rules::error::Problem;
use crate::rules::rule::Rule;

/// How a correlation joins the events of the rules it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `event_count`: how many events in the window.
    EventCount,
    /// `value_count`: how many distinct values of `field` in the window.
    ValueCount {
        /// The field whose distinct values are counted (an alias is allowed).
        field: String,
    },
    /// `temporal`: how many of the named rules matched in the window, in any order.
    Temporal,
    /// `temporal_ordered`: how many of the named rules matched in the window, in their order.
    TemporalOrdered,
}

impl Kind {
    /// The Sigma name of the type.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::EventCount => "event_count",
            Kind::ValueCount { .. } => "value_count",
            Kind::Temporal => "temporal",
            Kind::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A correlation's `condition`: every bound given must hold (`gt: 100` and `lte: 200` is a
/// range).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    /// `gt`.
    pub gt: Option<u64>,
    /// `gte`.
    pub gte: Option<u64>,
    /// `lt`.
    pub lt: Option<u64>,
    /// `lte`.
    pub lte: Option<u64>,
    /// `eq`.
    pub eq: Option<u64>,
}

impl Condition {
    /// Whether `count` satisfies every bound.
    pub fn holds(&self, count: u64) -> bool {
        self.gt.is_none_or(|n| count > n)
            && self.gte.is_none_or(|n| count >= n)
            && self.lt.is_none_or(|n| count < n)
            && self.lte.is_none_or(|n| count <= n)
            && self.eq.is_none_or(|n| count == n)
    }

    /// True when some bound needs the count to grow (`gt`, `gte`, `eq` with a positive value):
    /// such a condition can be decided as events arrive.
    fn has_lower_bound(&self) -> bool {
        self.gt.is_some() || self.gte.is_some_and(|n| n > 0) || self.eq.is_some_and(|n| n > 0)
    }
}

/// One loaded correlation rule.
#[derive(Debug, Clone)]
pub struct Correlation {
    /// What alerts and listings show: `id` (else `name`, else `title`), `title`, `level`...
    pub rule: Rule,
    /// Sigma `name` (other correlations may name it).
    pub name: Option<String>,
    /// `type`.
    pub kind: Kind,
    /// `rules`: the ids or names of the rules (or correlations) it joins, as written.
    pub rules: Vec<String>,
    /// `group-by`: field names or aliases; events are counted separately per distinct value.
    pub group_by: Vec<String>,
    /// `timespan`, in seconds.
    pub timespan: i64,
    /// `condition`; for `temporal` types without one, every named rule must match.
    pub condition: Condition,
    /// `aliases`: alias -> (rule id or name -> field in that rule's events).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// `generate`: whether the named rules still alert on their own (Sigma's default: no).
    pub generate: bool,
}

/// The `correlation:` map's content, before the rule's metadata is attached.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub(crate) kind: Kind,
    pub(crate) rules: Vec<String>,
    pub(crate) group_by: Vec<String>,
    pub(crate) timespan: i64,
    pub(crate) condition: Condition,
    pub(crate) aliases: BTreeMap<String, BTreeMap<String, String>>,
    pub(crate) generate: Option<bool>,
}

impl Section {
    /// The correlation for this section with `rule`'s metadata; `generate` when the section
    /// did not say (a top-level `generate:` key).
    pub(crate) fn into_correlation(
        self,
        rule: Rule,
        name: Option<String>,
        generate: bool,
    ) -> Correlation {
        Correlation {
            rule,
            name,
            kind: self.kind,
            rules: self.rules,
            group_by: self.group_by,
            timespan: self.timespan,
            condition: self.condition,
            aliases: self.aliases,
            generate: self.generate.unwrap_or(generate),
        }
    }
}

fn invalid<T>(detail: impl Into<String>) -> Result<T, Problem> {
    Err(Problem::Invalid(detail.into()))
}

/// Reads a `correlation:` map.
pub(crate) fn parse_section(value: &Yaml) -> Result<Section, Problem> {
    let Yaml::Mapping(map) = value else {
        return invalid(
            "correlation must be a map with type, rules, group-by, timespan, condition",
        );
    };
    let get = |key: &str| map.get(key).filter(|v| !v.is_null());
    let kind_name = match get("type") {
        Some(Yaml::String(s)) => s.as_str(),
        _ => return invalid(
            "correlation.type must be one of event_count, value_count, temporal, temporal_ordered",
        ),
    };
    let (condition, field) = match get("condition") {
        None => (Condition::default(), None),
        Some(c) => parse_condition(c)?,
    };
    let kind = match kind_name {
        "event_count" => Kind::EventCount,
        "value_count" => match field {
            Some(field) => Kind::ValueCount { field },
            None => return invalid("a value_count correlation needs condition.field: the field whose distinct values are counted"),
        },
        "temporal" => Kind::Temporal,
        "temporal_ordered" => Kind::TemporalOrdered,
        other => return Err(Problem::Unsupported(format!("correlation type '{other}'"))),
    };
    let rules = strings(get("rules"), "correlation.rules")?;
    if rules.is_empty() {
        return invalid("correlation.rules must list the ids or names of the rules it joins");
    }
    let group_by = strings(get("group-by"), "correlation.group-by")?;
    let timespan = match get("timespan") {
        Some(Yaml::String(s)) => timespan(s)?,
        _ => return invalid("correlation.timespan is required: a number and s, m, h or d (10m)"),
    };
    let temporal = matches!(kind, Kind::Temporal | Kind::TemporalOrdered);
    if !temporal && condition == Condition::default() {
        return invalid("correlation.condition is required: gt, gte, lt, lte or eq and a number");
    }
    if condition != Condition::default() && !condition.has_lower_bound() {
        return Err(Problem::Unsupported(
            "a correlation condition with only an upper bound (lt, lte), which needs the window's end"
                .to_owned(),
        ));
    }
    let generate = match get("generate") {
        None => None,
        Some(Yaml::Bool(b)) => Some(*b),
        Some(_) => return invalid("correlation.generate must be true or false"),
    };
    Ok(Section {
        kind,
        rules,
        group_by,
        timespan,
        condition,
        aliases: aliases(get("aliases"))?,
        generate,
    })
}

/// A list of strings, or one string.
fn strings(value: Option<&Yaml>, key: &str) -> Result<Vec<String>, Problem> {
    match value {
        None => Ok(Vec::new()),
        Some(Yaml::String(s)) => Ok(vec![s.clone()]),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|i| match i {
                Yaml::String(s) => Ok(s.clone()),
                _ => invalid(format!("{key} must be a list of strings")),
            })
            .collect(),
        Some(_) => invalid(format!("{key} must be a list of strings")),
    }
}

fn parse_condition(value: &Yaml) -> Result<(Condition, Option<String>), Problem> {
    let Yaml::Mapping(map) = value else {
        return invalid("correlation.condition must be a map such as 'gte: 10'");
    };
    let (mut condition, mut field) = (Condition::default(), None);
    for (key, value) in map {
        let key = key.as_str().unwrap_or_default();
        if key == "field" {
            match value {
                Yaml::String(s) => field = Some(s.clone()),
                _ => return invalid("correlation.condition.field must be a field name"),
            }
            continue;
        }
        let Some(n) = value.as_u64() else {
            return invalid(format!(
                "correlation.condition.{key} must be a whole number"
            ));
        };
        let slot = match key {
            "gt" => &mut condition.gt,
            "gte" => &mut condition.gte,
            "lt" => &mut condition.lt,
            "lte" => &mut condition.lte,
            "eq" => &mut condition.eq,
            other => {
                return invalid(format!(
                    "correlation.condition.{other} is not a condition: use gt, gte, lt, lte or eq"
                ))
            }
        };
        *slot = Some(n);
    }
    Ok((condition, field))
}

fn aliases(value: Option<&Yaml>) -> Result<BTreeMap<String, BTreeMap<String, String>>, Problem> {
    let bad = || invalid("correlation.aliases must map each alias to a map of rule name: field");
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let Yaml::Mapping(map) = value else {
        return bad();
    };
    let mut out = BTreeMap::new();
    for (alias, fields) in map {
        let (Some(alias), Yaml::Mapping(fields)) = (alias.as_str(), fields) else {
            return bad();
        };
        let mut by_rule = BTreeMap::new();
        for (rule, field) in fields {
            let (Some(rule), Some(field)) = (rule.as_str(), field.as_str()) else {
                return bad();
            };
            by_rule.insert(rule.to_owned(), field.to_owned());
        }
        out.insert(alias.to_owned(), by_rule);
    }
    Ok(out)
}

/// `30s`, `5m`, `1h`, `2d` in seconds.
pub(crate) fn timespan(text: &str) -> Result<i64, Problem> {
    let bad = || {
        invalid(format!(
            "timespan {text:?} must be a number and s, m, h or d (10m)"
        ))
    };
    let text = text.trim();
    let Some(unit) = text.chars().last() else {
        return bad();
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return bad(),
    };
    match text[..text.len() - 1].parse::<i64>() {
        Ok(n) if n > 0 => n.checked_mul(scale).map_or_else(bad, Ok),
        _ => bad(),
    }
}

/// How long a legacy aggregation counts when its rule gives no `timeframe`.
pub const LEGACY_TIMESPAN: &str = "1h";

/// Reads a legacy aggregation (the text after `|` in a condition: `count() by f > 5`,
/// `count(field) by f >= 2`) as a correlation of the rule `base` with itself. `count()` counts
/// events, `count(field)` distinct values of `field` (as Sigma 1's converters did).
pub(crate) fn parse_aggregation(
    text: &str,
    base: &str,
    timeframe: Option<&str>,
) -> Result<Section, Problem> {
    let unsupported = || {
        Err(Problem::Unsupported(format!(
            "an aggregation ('| {}')",
            text.trim()
        )))
    };
    let t = text.trim();
    let Some(rest) = t.strip_prefix("count(") else {
        return unsupported();
    };
    let Some((field, rest)) = rest.split_once(')') else {
        return unsupported();
    };
    let rest = rest.trim();
    let (group, rest) = match rest.strip_prefix("by ") {
        Some(after) => {
            let after = after.trim_start();
            let end = after
                .find(|c: char| c.is_whitespace() || "<>=".contains(c))
                .unwrap_or(after.len());
            (Some(after[..end].to_owned()), after[end..].trim())
        }
        None => (None, rest),
    };
    let (op, number) = [">=", "<=", "==", ">", "<", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|n| (*op, n.trim())))
        .map_or((None, ""), |(op, n)| (Some(op), n));
    let (Some(op), Ok(n)) = (op, number.parse::<u64>()) else {
        return unsupported();
    };
    let mut condition = Condition::default();
    match op {
        ">" => condition.gt = Some(n),
        ">=" => condition.gte = Some(n),
        "<" => condition.lt = Some(n),
        "<=" => condition.lte = Some(n),
        _ => condition.eq = Some(n),
    }
    if !condition.has_lower_bound() {
        return unsupported();
    }
    let field = field.trim();
    Ok(Section {
        kind: if field.is_empty() {
            Kind::EventCount
        } else {
            Kind::ValueCount {
                field: field.to_owned(),
            }
        },
        rules: vec![base.to_owned()],
        group_by: group.into_iter().collect(),
        timespan: timespan(timeframe.unwrap_or(LEGACY_TIMESPAN))?,
        condition,
        aliases: BTreeMap::new(),
        generate: Some(false),
    })
}

/// The `condition` text and `timeframe` of a detection map, when the condition aggregates.
pub(crate) fn aggregation_of(detection: &Mapping) -> Option<(&str, &str)> {
    let condition = detection.get("condition")?.as_str()?;
    condition.split_once('|')
}
