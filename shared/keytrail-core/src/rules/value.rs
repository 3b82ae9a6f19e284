//! One field condition (`field|modifier|modifier: value or list`), compiled and evaluated.
//!
//! Each value of the list becomes one [`Test`]; the list is an OR unless `|all` makes it an AND.
//! A value that a modifier expands (`windash`, `base64offset`) becomes one test with several
//! alternative matchers. Numbers and booleans in a rule also match their string form (`42`
//! matches `42` and `"42"`), and a string in a rule matches a number or boolean by its JSON text.

use std::collections::BTreeSet;

use regex::Regex;

use serde_json::Value;
use serde_norway::Value as Yaml;

use crate::record::Projection;

use super::cidr::Cidr;
use super::error::Problem;
use super::modifiers::{Cmp, Mods, Position, POLICY_OTHER_ACCOUNT};
use super::path::{any_leaf, FieldPath};
use super::pattern::{self, build_regex, Piece, StrMatcher};
use super::policy;
use super::transform;

/// A compiled field condition.
#[derive(Debug, Clone)]
pub(crate) struct FieldCond {
    /// The field; `None` searches every value in the event (keywords).
    path: Option<FieldPath>,
    tests: Vec<Test>,
    all: bool,
}

/// One value of a field condition.
#[derive(Debug, Clone)]
enum Test {
    /// `null`: the field is missing or null.
    Null,
    /// `|exists: true/false`.
    Exists(bool),
    /// A string pattern; any alternative may match.
    Str(Vec<StrMatcher>),
    /// A number: equal as a number, or as text.
    Num(f64, StrMatcher),
    /// `|gt` `|gte` `|lt` `|lte`.
    Cmp(Cmp, f64),
    Cidr(Cidr),
    Re(Regex),
    /// `|fieldref`: compared with the value of another field.
    FieldRef(FieldPath, Position, bool),
    /// `|kt_policy_other_account`: the policy grants an account other than this field's.
    PolicyOtherAccount(FieldPath),
}

impl FieldCond {
    /// Compiles `key: value` from a detection map (`key` is `field|mod|mod`, or `|mod` for a
    /// keyword search), or a keyword list entry (`keyword` true: implicitly `contains`).
    pub(crate) fn compile(key: &str, value: &Yaml, keyword: bool) -> Result<FieldCond, Problem> {
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let names: Vec<&str> = parts.collect();
        let at = |p: Problem| p.context(&format!("field {key:?}"));
        let mut mods = Mods::parse(&names).map_err(at)?;
        if keyword {
            mods.position = Position::Contains;
        }
        let values: Vec<&Yaml> = match value {
            Yaml::Sequence(items) if items.is_empty() => {
                return Err(at(Problem::Invalid("empty list of values".to_owned())))
            }
            Yaml::Sequence(items) => items.iter().collect(),
            other => vec![other],
        };
        let tests = values
            .into_iter()
            .map(|v| test(&mods, v))
            .collect::<Result<_, _>>()
            .map_err(at)?;
        let path = (!field.is_empty()).then(|| FieldPath::new(field));
        Ok(FieldCond {
            path,
            tests,
            all: mods.all,
        })
    }

    /// Whether the event satisfies this condition.
    pub(crate) fn is_match(&self, event: &Value) -> bool {
        let check = |t: &Test| self.check(t, event);
        if self.all {
            self.tests.iter().all(check)
        } else {
            self.tests.iter().any(check)
        }
    }

    fn check(&self, test: &Test, event: &Value) -> bool {
        let visit = |f: &mut dyn FnMut(&Value) -> bool| match &self.path {
            Some(path) => path.any(event, f),
            None => any_leaf(event, f),
        };
        match test {
            Test::Null => !visit(&mut |v| !v.is_null()),
            Test::Exists(want) => visit(&mut |v| !v.is_null()) == *want,
            Test::FieldRef(other, position, cased) => {
                let refs = texts(other, event, *cased);
                visit(&mut |v| {
                    let Some(t) = pattern::text(v) else {
                        return false;
                    };
                    let t = if *cased {
                        t.into_owned()
                    } else {
                        t.to_lowercase()
                    };
                    refs.iter().any(|r| match position {
                        Position::Whole => t == *r,
                        Position::Contains => t.contains(r.as_str()),
                        Position::Starts => t.starts_with(r.as_str()),
                        Position::Ends => t.ends_with(r.as_str()),
                    })
                })
            }
            Test::PolicyOtherAccount(own) => {
                let own = texts(own, event, false);
                !own.is_empty() && visit(&mut |v| policy::grants_other_account(v, &own))
            }
            _ => visit(&mut |v| !v.is_null() && value_matches(test, v)),
        }
    }

    /// Adds every path this condition reads to `out`; false when it may read anything (a
    /// keyword search).
    pub(crate) fn project(&self, out: &mut Projection) -> bool {
        let Some(path) = &self.path else {
            return false;
        };
        out.add_path(path.raw());
        for test in &self.tests {
            if let Test::FieldRef(other, ..) | Test::PolicyOtherAccount(other) = test {
                out.add_path(other.raw());
            }
        }
        true
    }

    /// Lowercased exact values of `field` that any match of this condition requires, when the
    /// condition is a plain equality on that field.
    pub(crate) fn exact_keys(&self, field: &str) -> Option<Vec<String>> {
        if self.all || self.path.as_ref()?.raw() != field {
            return None;
        }
        self.tests
            .iter()
            .map(|t| match t {
                Test::Str(alts) if alts.len() == 1 => alts[0].exact_key(),
                Test::Num(_, text) => text.exact_key(),
                _ => None,
            })
            .collect()
    }
}

impl FieldCond {
    /// Needles: every value this condition accepts contains one of these `(field, text)`
    /// texts, ASCII case aside (see [`super::needles`]); `None` when that cannot be said (a
    /// keyword search, a regex without a literal it requires, or a test that is not a string
    /// pattern: `null`, numbers, comparisons, CIDRs, field references).
    pub(crate) fn needles(&self) -> Option<BTreeSet<(String, String)>> {
        let field = self.path.as_ref()?.raw();
        let of = |t: &Test| -> Option<BTreeSet<(String, String)>> {
            match t {
                Test::Str(alts) => alts
                    .iter()
                    .map(|m| Some((field.to_owned(), m.needle()?)))
                    .collect(),
                Test::Re(re) => Some(BTreeSet::from([(
                    field.to_owned(),
                    pattern::regex_needle(re)?,
                )])),
                // `a.b.key|exists: true`: the object at `a.b` has the key, so its text (compact
                // JSON) holds the key's name. A key that is a whole path's last part only.
                Test::Exists(true) => {
                    let (parent, key) = field.rsplit_once('.')?;
                    let usable = !key.is_empty()
                        && key.is_ascii()
                        && !key.bytes().any(|b| b"\"{}[],\\".contains(&b));
                    usable.then(|| BTreeSet::from([(parent.to_owned(), key.to_ascii_lowercase())]))
                }
                _ => None,
            }
        };
        if self.all {
            // Every test holds: the needles of any one of them are necessary.
            self.tests.iter().find_map(of)
        } else {
            self.tests
                .iter()
                .map(of)
                .try_fold(BTreeSet::new(), |mut all, set| {
                    all.extend(set?);
                    Some(all)
                })
        }
    }
}

fn value_matches(test: &Test, v: &Value) -> bool {
    match test {
        Test::Str(alts) => pattern::text(v).is_some_and(|t| alts.iter().any(|m| m.is_match(&t))),
        Test::Num(n, text) => {
            v.as_f64() == Some(*n) || pattern::text(v).is_some_and(|t| text.is_match(&t))
        }
        Test::Cmp(op, n) => {
            let x = v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            x.is_some_and(|x| match op {
                Cmp::Gt => x > *n,
                Cmp::Gte => x >= *n,
                Cmp::Lt => x < *n,
                Cmp::Lte => x <= *n,
            })
        }
        Test::Cidr(net) => v.as_str().is_some_and(|s| net.contains(s)),
        Test::Re(re) => pattern::text(v).is_some_and(|t| re.is_match(&t)),
        Test::Null | Test::Exists(_) | Test::FieldRef(..) | Test::PolicyOtherAccount(_) => false,
    }
}

/// The texts of every value at `path` (lowercased unless `cased`): what a field reference
/// compares with.
fn texts(path: &FieldPath, event: &Value, cased: bool) -> Vec<String> {
    let mut out = Vec::new();
    path.any(event, &mut |v| {
        out.extend(pattern::text(v).map(|t| {
            if cased {
                t.into_owned()
            } else {
                t.to_lowercase()
            }
        }));
        false
    });
    out
}

/// The text of a scalar YAML value, or `None` for null and collections.
fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn test(m: &Mods, v: &Yaml) -> Result<Test, Problem> {
    let invalid = |msg: String| Err(Problem::Invalid(msg));
    if let Yaml::Sequence(_) | Yaml::Mapping(_) | Yaml::Tagged(_) = v {
        return invalid(
            "a value must be a string, number, boolean or null, not a list or map".to_owned(),
        );
    }
    if v.is_null() {
        return if m.kind == Some("exists") {
            invalid("'|exists' needs true or false".to_owned())
        } else {
            Ok(Test::Null)
        };
    }
    let text = scalar_text(v).unwrap_or_default();
    match m.kind {
        Some("exists") => match v {
            Yaml::Bool(b) => Ok(Test::Exists(*b)),
            _ => invalid(format!("'|exists' needs true or false, not {text:?}")),
        },
        Some("re") => {
            let (i, multi, dot) = m.re_flags;
            build_regex(&text, i, multi, dot)
                .map(Test::Re)
                .map_err(Problem::Invalid)
        }
        Some("cidr") => Cidr::parse(&text).map(Test::Cidr).map_err(Problem::Invalid),
        Some("fieldref") => Ok(Test::FieldRef(FieldPath::new(&text), m.position, m.cased)),
        Some(POLICY_OTHER_ACCOUNT) => Ok(Test::PolicyOtherAccount(FieldPath::new(&text))),
        Some(_) => match text.trim().parse::<f64>() {
            Ok(n) => Ok(Test::Cmp(m.cmp.unwrap_or(Cmp::Gt), n)),
            Err(_) => invalid(format!(
                "'|gt', '|gte', '|lt' and '|lte' need a number, not {text:?}"
            )),
        },
        None => match v {
            Yaml::Number(n)
                if m.position == Position::Whole && !m.windash && m.base64.is_none() =>
            {
                Ok(Test::Num(
                    n.as_f64().unwrap_or(f64::NAN),
                    StrMatcher::exact(&text),
                ))
            }
            _ => strings(m, &text).map(Test::Str),
        },
    }
}

/// The matchers of one string value under the string modifiers.
fn strings(m: &Mods, text: &str) -> Result<Vec<StrMatcher>, Problem> {
    let variants = if m.windash {
        transform::windash(text)
    } else {
        vec![text.to_owned()]
    };
    let mut out = Vec::new();
    for variant in variants {
        let pieces = pattern::parse(&variant);
        let forms: Vec<Vec<Piece>> = match m.base64 {
            None => vec![pieces],
            Some(offsets) => {
                let Some(plain) = pattern::literal(&pieces) else {
                    return Err(Problem::Invalid(format!(
                        "base64 value {text:?} cannot hold wildcards"
                    )));
                };
                let encoded = if offsets {
                    transform::base64_offsets(&plain)
                } else {
                    vec![transform::base64(plain.as_bytes())]
                };
                encoded
                    .iter()
                    .map(|e| e.chars().map(Piece::Lit).collect())
                    .collect()
            }
        };
        for mut form in forms {
            if matches!(m.position, Position::Contains | Position::Ends) {
                form.insert(0, Piece::Star);
            }
            if matches!(m.position, Position::Contains | Position::Starts) {
                form.push(Piece::Star);
            }
            out.push(
                StrMatcher::new(&form, m.cased || m.base64.is_some()).map_err(Problem::Invalid)?,
            );
        }
    }
    Ok(out)
}
