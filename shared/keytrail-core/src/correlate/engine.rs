//! The engine: what one matched event does to the correlations it feeds
//! ([`Correlations::observe`]); their references are resolved by `resolve.rs`.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::spec::{Correlation, Kind};
use super::store::{
    now, Added, AsyncStore, Contribution, Ready, Store, StoreError, Window, WindowKey,
};
use crate::digest::hex16;
use crate::integrity::Timestamp;
use crate::rules::path::FieldPath;

/// A correlation ready to run: for each of its rules (a tag), the paths of its group-by fields
/// and of its counted field, aliases applied.
#[derive(Debug)]
pub(super) struct Compiled {
    pub(super) def: Correlation,
    pub(super) group: Vec<Vec<FieldPath>>,
    pub(super) value: Vec<Option<FieldPath>>,
}

/// The loaded correlations, indexed by the rules that feed them.
#[derive(Debug, Default)]
pub struct Correlations {
    pub(super) list: Vec<Compiled>,
    /// Rule index -> (correlation, tag) pairs it feeds.
    pub(super) by_rule: HashMap<usize, Vec<(usize, usize)>>,
    /// Correlation index -> (correlation, tag) pairs its alerts feed (chained correlations).
    pub(super) by_correlation: HashMap<usize, Vec<(usize, usize)>>,
    /// Rules that alert only through a correlation (`generate: false`).
    pub(super) silent: HashSet<usize>,
    /// Correlations that only feed other correlations (`generate: false`): not returned.
    pub(super) silent_correlations: HashSet<usize>,
}

/// A correlation that fired: one alert, stable per correlation x group x window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correlated {
    /// Stable id: a hash of the correlation id, the group-by values and the window start.
    pub alert_id: String,
    /// The correlation (an index into [`Correlations::list`]).
    pub correlation: usize,
    /// The group-by fields (as the correlation names them) and their values.
    pub group: Vec<(String, String)>,
    /// The window, epoch seconds: `[start, end)`.
    pub window: (i64, i64),
    /// The count the condition was checked against (events, distinct values or rules).
    pub count: u64,
    /// The eventIDs joined, ordered by eventTime.
    pub event_ids: Vec<String>,
    /// The eventTime of the latest event joined, epoch seconds.
    pub last_time: i64,
}

impl Correlations {
    /// The correlations, in load order.
    pub fn list(&self) -> impl ExactSizeIterator<Item = &Correlation> {
        self.list.iter().map(|c| &c.def)
    }

    /// Correlation `index` (an index into [`Correlations::list`]).
    pub fn get(&self, index: usize) -> Option<&Correlation> {
        self.list.get(index).map(|c| &c.def)
    }

    /// True when there is no correlation.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether rule `index` feeds some correlation.
    pub fn feeds(&self, rule: usize) -> bool {
        self.by_rule.contains_key(&rule)
    }

    /// Whether rule `index` alerts only through correlations (every correlation naming it has
    /// `generate: false`).
    pub fn is_silent(&self, rule: usize) -> bool {
        self.silent.contains(&rule)
    }

    /// Whether correlation `index` only feeds other correlations (every correlation naming it
    /// has `generate: false`): it fires into them, never as an alert of its own.
    pub fn is_silent_correlation(&self, index: usize) -> bool {
        self.silent_correlations.contains(&index)
    }

    /// Counts `event`, which matched the rules `matched` (indexes into the rule set), in every
    /// correlation those rules feed, and returns the correlations that fired. Rules that feed
    /// none cost a hash lookup each and never reach `store`.
    pub fn observe<S: Store + ?Sized>(
        &self,
        matched: &[usize],
        event: &Value,
        store: &mut S,
    ) -> Result<Vec<Correlated>, StoreError> {
        now(self.observe_async(matched, event, &mut Ready(store)))
    }

    /// [`Correlations::observe`] over an [`AsyncStore`] (the Lambda's state table).
    pub async fn observe_async<S: AsyncStore + ?Sized>(
        &self,
        matched: &[usize],
        event: &Value,
        store: &mut S,
    ) -> Result<Vec<Correlated>, StoreError> {
        let mut fired = Vec::new();
        let mut pending: Vec<(&[(usize, usize)], Value)> = matched
            .iter()
            .filter_map(|i| self.by_rule.get(i))
            .map(|feeds| (feeds.as_slice(), Value::Null))
            .collect();
        // Chained correlations: a fired correlation is an event of those that name it (no loop:
        // `build` refuses cycles). `Null` stands for `event` itself.
        while let Some((feeds, synthetic)) = pending.pop() {
            let this = if synthetic.is_null() {
                event
            } else {
                &synthetic
            };
            for &(j, tag) in feeds {
                let Some(hit) = self.count(j, tag, this, store).await? else {
                    continue;
                };
                if let Some(next) = self.by_correlation.get(&j) {
                    pending.push((next.as_slice(), self.as_event(&hit)));
                }
                if !self.silent_correlations.contains(&j) {
                    fired.push(hit);
                }
            }
        }
        Ok(fired)
    }

    /// Adds `event` to its window of correlation `j` as rule `tag`, and fires the window when
    /// the condition holds and it has not fired yet. Events without eventID, eventTime or a
    /// group-by field are not counted. An event the window holds already (a retried object) is
    /// checked again while the window has not fired: its first delivery may have fired the
    /// window and then failed to publish, and a store that marks a window fired only once its
    /// alert is out (the Lambda's) relies on the retry firing it again.
    async fn count<S: AsyncStore + ?Sized>(
        &self,
        j: usize,
        tag: usize,
        event: &Value,
        store: &mut S,
    ) -> Result<Option<Correlated>, StoreError> {
        let Some(c) = self.list.get(j) else {
            return Ok(None);
        };
        let (Some(event_id), Some(time)) = (text(event, "eventID"), event_time(event)) else {
            return Ok(None);
        };
        let Some(group) = c.group.get(tag).and_then(|paths| {
            paths
                .iter()
                .map(|p| first_text(p, event))
                .collect::<Option<Vec<String>>>()
        }) else {
            return Ok(None);
        };
        let span = c.def.timespan;
        let key = WindowKey {
            rule: c.def.rule.id.clone(),
            group,
            start: time.div_euclid(span) * span,
        };
        let contribution = Contribution {
            event_id,
            event_time: time,
            value: c
                .value
                .get(tag)
                .and_then(|p| p.as_ref())
                .and_then(|p| first_text(p, event)),
            tag,
        };
        if store.add(&key, contribution).await? == (Added::New { fired: true }) {
            return Ok(None);
        }
        let window = store.read(&key).await?;
        if window.fired {
            return Ok(None);
        }
        let (count, joined) = measure(&c.def.kind, &window);
        let holds = if c.def.condition == Default::default() {
            count >= c.def.rules.len() as u64
        } else {
            c.def.condition.holds(count)
        };
        if !holds || !store.mark_fired(&key).await? {
            return Ok(None);
        }
        let last_time = joined.iter().map(|c| c.event_time).max().unwrap_or(time);
        Ok(Some(Correlated {
            alert_id: alert_id(&key),
            correlation: j,
            group: c.def.group_by.iter().cloned().zip(key.group).collect(),
            window: (key.start, key.start + span),
            count,
            event_ids: joined.into_iter().map(|c| c.event_id.clone()).collect(),
            last_time,
        }))
    }

    /// A fired correlation as an event of the correlations that name it: its group-by values
    /// at their field names, `eventID` its alert id, `eventTime` its latest event's.
    fn as_event(&self, hit: &Correlated) -> Value {
        let mut root = Map::new();
        for (field, value) in &hit.group {
            insert_path(&mut root, field, value);
        }
        root.insert("eventID".into(), Value::from(hit.alert_id.clone()));
        let time = Timestamp::from_epoch(hit.last_time).to_string();
        root.insert("eventTime".into(), Value::from(time));
        Value::Object(root)
    }
}

/// The count a window's condition is checked against, and the contributions it joins
/// (ordered by eventTime).
fn measure<'w>(kind: &Kind, window: &'w Window) -> (u64, Vec<&'w Contribution>) {
    let mut joined: Vec<&Contribution> = window.contributions.iter().collect();
    joined.sort_by_key(|c| c.event_time);
    let count = match kind {
        Kind::EventCount => joined.len(),
        Kind::ValueCount { .. } => {
            let values: HashSet<&str> = joined.iter().filter_map(|c| c.value.as_deref()).collect();
            values.len()
        }
        Kind::Temporal => joined.iter().map(|c| c.tag).collect::<HashSet<_>>().len(),
        // The longest prefix of the rules seen in order: earliest-first is optimal.
        Kind::TemporalOrdered => joined
            .iter()
            .fold(0, |next, c| next + usize::from(c.tag == next)),
    };
    (count as u64, joined)
}

fn alert_id(key: &WindowKey) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"correlation\0");
    hasher.update(key.rule.as_bytes());
    for value in &key.group {
        hasher.update([0]);
        hasher.update(value.as_bytes());
    }
    hasher.update([0]);
    hasher.update(key.start.to_string().as_bytes());
    hex16(&hasher.finalize())
}

fn text(event: &Value, key: &str) -> Option<String> {
    event.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// `eventTime` (else `@timestamp`) in epoch seconds.
pub(super) fn event_time(event: &Value) -> Option<i64> {
    ["eventTime", "@timestamp"]
        .iter()
        .find_map(|k| event.get(*k).and_then(Value::as_str))
        .and_then(Timestamp::parse)
        .map(Timestamp::epoch)
}

/// The first scalar at `path`, as text.
pub(super) fn first_text(path: &FieldPath, event: &Value) -> Option<String> {
    let mut found = None;
    path.any(event, &mut |v| {
        found = match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        found.is_some()
    });
    found
}

/// Sets `a.b.c` in `root` to `value`, making the objects on the way.
pub(super) fn insert_path(root: &mut Map<String, Value>, path: &str, value: &str) {
    match path.split_once('.') {
        None => {
            root.insert(path.to_owned(), Value::from(value));
        }
        Some((head, rest)) => {
            let child = root
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = child {
                insert_path(map, rest, value);
            }
        }
    }
}
