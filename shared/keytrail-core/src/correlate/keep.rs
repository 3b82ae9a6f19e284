//! What a scan keeps of a record for later correlation ([`Kept`]): when the objects of one scan
//! arrive in any order, the CLI cannot count records as they come (a window's first events may
//! be in an object read last), so it keeps the records that feed a correlation, in this slim
//! form, and runs them through the engine in eventTime order once every object is read.
//!
//! A kept record holds only what the engine reads: `eventID`, `eventTime`, and for each
//! correlation its rules feed, the group-by values and the counted value (aliases applied), at
//! their paths. Memory is therefore a few hundred bytes per record that matched a rule feeding
//! a correlation; records that match no such rule are never kept, and no object is kept whole.

use serde_json::{Map, Value};

use super::engine::{event_time, first_text, insert_path, Correlations};
use super::store::{Store, StoreError};
use super::Correlated;

/// A matched record, cut down to what the correlations it feeds need.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// `eventTime` (else `@timestamp`), epoch seconds: the order records are run in.
    pub time: i64,
    /// The rules it matched (indexes into the rule set) that feed a correlation.
    pub rules: Vec<usize>,
    /// `eventID`, `eventTime` and the group-by and counted values, at their paths.
    pub event: Value,
}

impl Correlations {
    /// What to keep of `event`, which matched the rules `matched`, for running it later
    /// ([`Correlations::replay`]): `None` when none of those rules feeds a correlation, or the
    /// event has no `eventID` or no parseable `eventTime` (the engine would not count it).
    pub fn keep(&self, matched: &[usize], event: &Value) -> Option<Kept> {
        let rules: Vec<usize> = matched
            .iter()
            .copied()
            .filter(|i| self.by_rule.contains_key(i))
            .collect();
        if rules.is_empty() {
            return None;
        }
        let time = event_time(event)?;
        let event_id = event.get("eventID").and_then(Value::as_str)?;
        let mut slim = Map::new();
        slim.insert("eventID".into(), Value::from(event_id));
        for key in ["eventTime", "@timestamp"] {
            if let Some(v) = event.get(key).and_then(Value::as_str) {
                slim.insert(key.into(), Value::from(v));
            }
        }
        for &(j, tag) in rules.iter().filter_map(|i| self.by_rule.get(i)).flatten() {
            let Some(c) = self.list.get(j) else { continue };
            let group = c.group.get(tag).into_iter().flatten();
            let value = c.value.get(tag).and_then(Option::as_ref);
            for path in group.chain(value) {
                if let Some(text) = first_text(path, event) {
                    insert_path(&mut slim, path.raw(), &text);
                }
            }
        }
        Some(Kept {
            time,
            rules,
            event: Value::Object(slim),
        })
    }

    /// Runs `kept` through the engine in eventTime order (ties by eventID, so the result does
    /// not depend on the order the records were kept in), and returns every correlation that
    /// fired.
    pub fn replay<S: Store + ?Sized>(
        &self,
        mut kept: Vec<Kept>,
        store: &mut S,
    ) -> Result<Vec<Correlated>, StoreError> {
        let id = |k: &Kept| {
            k.event
                .get("eventID")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        kept.sort_by_cached_key(|k| (k.time, id(k)));
        let mut fired = Vec::new();
        for k in kept {
            fired.extend(self.observe(&k.rules, &k.event, store)?);
        }
        Ok(fired)
    }
}
