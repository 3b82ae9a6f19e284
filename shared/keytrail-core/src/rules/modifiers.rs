//! The modifiers of a field name (`field|contains|all`), parsed and checked for conflicts.
//!
//! Supported: `contains`, `startswith`, `endswith`, `all`, `cased`, `windash`, `base64`,
//! `base64offset`, `re` (then `i`, `m`, `s`), `exists`, `cidr`, `fieldref`, `gt`, `gte`, `lt`,
//! `lte`, and one keytrail extension, `kt_policy_other_account` (`policy.rs`). Any other name is
//! an unsupported feature, reported with the name as written.

use super::error::Problem;

/// How an unsupported modifier is named in messages; [`unsupported_name`] reads it back.
fn unsupported(name: &str) -> String {
    format!("modifier '{name}'")
}

/// The modifier an unsupported feature names, if it is one ([`unsupported`]'s text).
pub(crate) fn unsupported_name(feature: &str) -> Option<&str> {
    feature.strip_prefix("modifier '")?.strip_suffix('\'')
}

/// The 1-based line of `text` where a key first uses `modifier` (`field|modifier:`, in any
/// position after the field name); `None` when no line does (a key in flow style).
pub(crate) fn line_of(text: &str, modifier: &str) -> Option<usize> {
    let uses = |line: &str| {
        let line = line.trim_start();
        let line = line.strip_prefix("- ").unwrap_or(line).trim_start();
        let Some((key, _)) = line.split_once(':') else {
            return false;
        };
        key.trim_matches(['\'', '"'])
            .split('|')
            .skip(1)
            .any(|m| m == modifier)
    };
    text.lines().position(uses).map(|n| n + 1)
}

/// The keytrail modifier that reads a policy document's granted accounts (`policy.rs`).
pub(crate) const POLICY_OTHER_ACCOUNT: &str = "kt_policy_other_account";

/// A numeric comparison (`gt`, `gte`, `lt`, `lte`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// Where a string value must occur in the field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Position {
    #[default]
    Whole,
    Contains,
    Starts,
    Ends,
}

/// The modifiers of one field condition.
#[derive(Debug, Default)]
pub(crate) struct Mods {
    pub(crate) position: Position,
    pub(crate) all: bool,
    pub(crate) cased: bool,
    pub(crate) windash: bool,
    pub(crate) base64: Option<bool>,
    pub(crate) kind: Option<&'static str>,
    pub(crate) re_flags: (bool, bool, bool),
    pub(crate) cmp: Option<Cmp>,
}

impl Mods {
    pub(crate) fn parse(names: &[&str]) -> Result<Mods, Problem> {
        let mut m = Mods::default();
        let invalid = |msg: String| Err(Problem::Invalid(msg));
        for name in names {
            match *name {
                "contains" | "startswith" | "endswith" => {
                    if m.position != Position::Whole {
                        return invalid(format!(
                            "modifier '{name}' conflicts with another position modifier"
                        ));
                    }
                    m.position = match *name {
                        "contains" => Position::Contains,
                        "startswith" => Position::Starts,
                        _ => Position::Ends,
                    };
                }
                "all" => m.all = true,
                "cased" => m.cased = true,
                "windash" => m.windash = true,
                "base64" => m.base64 = Some(false),
                "base64offset" => m.base64 = Some(true),
                "re" => set_kind(&mut m, "re")?,
                "exists" => set_kind(&mut m, "exists")?,
                "cidr" => set_kind(&mut m, "cidr")?,
                "fieldref" => set_kind(&mut m, "fieldref")?,
                POLICY_OTHER_ACCOUNT => set_kind(&mut m, POLICY_OTHER_ACCOUNT)?,
                "gt" | "gte" | "lt" | "lte" => {
                    set_kind(&mut m, "gt/gte/lt/lte")?;
                    m.cmp = Some(match *name {
                        "gt" => Cmp::Gt,
                        "gte" => Cmp::Gte,
                        "lt" => Cmp::Lt,
                        _ => Cmp::Lte,
                    });
                }
                "i" | "m" | "s" if m.kind == Some("re") => match *name {
                    "i" => m.re_flags.0 = true,
                    "m" => m.re_flags.1 = true,
                    _ => m.re_flags.2 = true,
                },
                "i" | "m" | "s" => {
                    return invalid(format!("modifier '{name}' needs '|re' before it"))
                }
                "" => return invalid("empty modifier (a doubled '|')".to_owned()),
                other => return Err(Problem::Unsupported(unsupported(other))),
            }
        }
        let plain_only = m.position != Position::Whole || m.windash || m.base64.is_some();
        if let Some(kind) = m.kind.filter(|k| *k != "fieldref" && plain_only) {
            return invalid(format!(
                "modifier '{kind}' cannot be combined with string modifiers"
            ));
        }
        Ok(m)
    }
}

fn set_kind(m: &mut Mods, kind: &'static str) -> Result<(), Problem> {
    match m.kind.replace(kind) {
        Some(prev) => Err(Problem::Invalid(format!(
            "modifiers '{prev}' and '{kind}' cannot be combined"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok = |names: &[&str]| Mods::parse(names).unwrap();
        assert_eq!(ok(&["contains", "all"]).position, Position::Contains);
        assert!(ok(&["contains", "all"]).all);
        assert_eq!(ok(&["re", "i", "s"]).re_flags, (true, false, true));
        assert_eq!(ok(&["lte"]).cmp, Some(Cmp::Lte));
        assert_eq!(ok(&["base64offset", "contains"]).base64, Some(true));
        assert_eq!(ok(&["fieldref", "endswith"]).kind, Some("fieldref"));
        assert_eq!(
            ok(&["kt_policy_other_account"]).kind,
            Some(POLICY_OTHER_ACCOUNT)
        );
        for (names, want) in [
            (
                &["expand"][..],
                Problem::Unsupported("modifier 'expand'".to_owned()),
            ),
            (
                &["utf16le", "base64"][..],
                Problem::Unsupported("modifier 'utf16le'".to_owned()),
            ),
            (
                &["wide"][..],
                Problem::Unsupported("modifier 'wide'".to_owned()),
            ),
            (
                &["i"][..],
                Problem::Invalid("modifier 'i' needs '|re' before it".to_owned()),
            ),
            (
                &["re", "cidr"][..],
                Problem::Invalid("modifiers 're' and 'cidr' cannot be combined".to_owned()),
            ),
            (
                &["re", "contains"][..],
                Problem::Invalid(
                    "modifier 're' cannot be combined with string modifiers".to_owned(),
                ),
            ),
            (
                &["startswith", "endswith"][..],
                Problem::Invalid(
                    "modifier 'endswith' conflicts with another position modifier".to_owned(),
                ),
            ),
            (
                &["kt_policy_other_account", "contains"][..],
                Problem::Invalid(
                    "modifier 'kt_policy_other_account' cannot be combined with string modifiers"
                        .to_owned(),
                ),
            ),
            (
                &["kt_policy_other_account", "fieldref"][..],
                Problem::Invalid(
                    "modifiers 'kt_policy_other_account' and 'fieldref' cannot be combined"
                        .to_owned(),
                ),
            ),
            (
                &[""][..],
                Problem::Invalid("empty modifier (a doubled '|')".to_owned()),
            ),
        ] {
            assert_eq!(Mods::parse(names).unwrap_err(), want, "{names:?}");
        }
    }
}
