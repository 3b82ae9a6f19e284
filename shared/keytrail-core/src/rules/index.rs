//! The prefilter index: which rules can match a record, from its `eventName` and `eventSource`.
//!
//! Each rule's condition is analysed for the `eventName` values that every match requires (see
//! [`Detection::required`]); a rule with such a set is keyed by it, else by its required
//! `eventSource` values, else it is checked for every record. Keys are ASCII-lowercased. The
//! index never changes results: a record whose `eventName` or `eventSource` is not a plain ASCII
//! string, or that is not an object, is checked against every rule the index cannot rule out.

use std::collections::HashMap;

use serde_json::Value;

use super::detection::Detection;

/// Which field a rule is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// `eventName`.
    Name,
    /// `eventSource`.
    Source,
}

/// One routing table: rules keyed by the values of one field.
#[derive(Debug, Default)]
struct Table {
    /// By the value's bytes (lowercase ASCII), so a lookup needs no UTF-8 check. Hashed with
    /// foldhash, a fraction of SipHash's cost: the keys come from the rules, and a record's value
    /// is only looked up.
    by_value: HashMap<Vec<u8>, Vec<usize>, foldhash::fast::RandomState>,
    /// Every rule in the table, for records whose value cannot be looked up.
    keyed: Vec<usize>,
}

impl Table {
    fn add(&mut self, rule: usize, values: impl IntoIterator<Item = String>) {
        self.keyed.push(rule);
        for value in values {
            self.by_value
                .entry(value.into_bytes())
                .or_default()
                .push(rule);
        }
    }

    /// Rules that may match a record holding `value` (`None`: field missing).
    fn candidates(&self, value: Option<&Value>, f: &mut dyn FnMut(usize)) {
        match value {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => self.candidates_of(Some(s), f),
            Some(_) => self.keyed.iter().for_each(|i| f(*i)),
        }
    }

    /// Calls `f` for the rules [`Table::may_match`] counts for `value`.
    fn candidates_of(&self, value: Option<&str>, f: &mut dyn FnMut(usize)) {
        match value {
            Some(v) if v.is_ascii() => self.lookup(v).into_iter().flatten().for_each(|i| f(*i)),
            _ => self.keyed.iter().for_each(|i| f(*i)),
        }
    }

    /// Whether some rule may match `value`; `None` means unknown.
    fn may_match(&self, value: Option<&str>) -> bool {
        match value {
            Some(v) if v.is_ascii() => self.lookup(v).is_some(),
            _ => !self.keyed.is_empty(),
        }
    }

    /// The rules keyed by the ASCII value `v`, ASCII case aside. Runs for every record, so a
    /// short value is lowercased on the stack rather than in a new `String`.
    fn lookup(&self, v: &str) -> Option<&Vec<usize>> {
        let mut buf = [0u8; 64];
        match buf.get_mut(..v.len()) {
            Some(lower) => {
                lower.copy_from_slice(v.as_bytes());
                lower.make_ascii_lowercase();
                self.by_value.get(&*lower)
            }
            None => self.by_value.get(v.to_ascii_lowercase().as_bytes()),
        }
    }
}

/// Rules routed by `eventName`, by `eventSource`, or checked always.
#[derive(Debug, Default)]
pub(crate) struct Index {
    names: Table,
    sources: Table,
    always: Vec<usize>,
    all: Vec<usize>,
}

impl Index {
    /// Builds the index over compiled rules (in rule order).
    pub(crate) fn build<'a>(rules: impl IntoIterator<Item = &'a Detection>) -> Index {
        let mut index = Index::default();
        for (i, detection) in rules.into_iter().enumerate() {
            index.all.push(i);
            match key(detection) {
                Some((Field::Name, values)) => index.names.add(i, values),
                Some((Field::Source, values)) => index.sources.add(i, values),
                None => index.always.push(i),
            }
        }
        index
    }

    /// Calls `f` for every rule that may match `event`, each at most once, in no set order.
    pub(crate) fn candidates(&self, event: &Value, f: &mut dyn FnMut(usize)) {
        let Value::Object(map) = event else {
            self.all.iter().for_each(|i| f(*i));
            return;
        };
        self.names.candidates(map.get("eventName"), f);
        self.sources.candidates(map.get("eventSource"), f);
        self.always.iter().for_each(|i| f(*i));
    }

    /// False when no rule can match a record with these routing fields (`None`: unknown).
    #[cfg(test)]
    pub(crate) fn may_match(&self, event_source: Option<&str>, event_name: Option<&str>) -> bool {
        !self.always.is_empty() || self.routed_may_match(event_source, event_name)
    }

    /// Like [`Index::may_match`], leaving out the rules checked for every record.
    pub(crate) fn routed_may_match(
        &self,
        event_source: Option<&str>,
        event_name: Option<&str>,
    ) -> bool {
        self.names.may_match(event_name) || self.sources.may_match(event_source)
    }

    /// Calls `f` for every routed rule that [`Index::routed_may_match`] counts for these
    /// routing fields (a rule may come twice).
    pub(crate) fn routed_candidates(
        &self,
        event_source: Option<&str>,
        event_name: Option<&str>,
        f: &mut dyn FnMut(usize),
    ) {
        self.names.candidates_of(event_name, f);
        self.sources.candidates_of(event_source, f);
    }

    /// The rules the index cannot route: checked for every record.
    pub(crate) fn always(&self) -> &[usize] {
        &self.always
    }

    /// How rule `i` is routed, for tests and diagnostics.
    #[cfg(test)]
    pub(crate) fn route(&self, i: usize) -> Option<Field> {
        if self.names.keyed.contains(&i) {
            Some(Field::Name)
        } else if self.sources.keyed.contains(&i) {
            Some(Field::Source)
        } else {
            None
        }
    }
}

/// The field and values a rule is keyed by, or `None` for a rule checked always.
pub(crate) fn key(detection: &Detection) -> Option<(Field, Vec<String>)> {
    if let Some(names) = detection.required("eventName") {
        return Some((Field::Name, names.into_iter().collect()));
    }
    detection
        .required("eventSource")
        .map(|sources| (Field::Source, sources.into_iter().collect()))
}
