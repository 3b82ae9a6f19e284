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

use super::engine::{event_time, first_text, insert_path, Correlated, Correlations};
use super::store::{now, AsyncStore, Ready, Store, StoreError};

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
        kept: Vec<Kept>,
        store: &mut S,
    ) -> Result<Vec<Correlated>, StoreError> {
        now(self.replay_async(kept, &mut Ready(store)))
    }

    /// [`Correlations::replay`] over an [`AsyncStore`] (the Lambda's state table, for the records
    /// of one object).
    pub async fn replay_async<S: AsyncStore + ?Sized>(
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
            fired.extend(self.observe_async(&k.rules, &k.event, store).await?);
        }
        Ok(fired)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use serde_json::json;

    use crate::correlate::MemoryStore;
    use crate::rules::{LoadOptions, RuleSet};

    const RULES: &str =
        "title: decrypt\nid: dec\nlogsource:\n  product: aws\n  service: cloudtrail\n\
        detection:\n  sel:\n    eventName: Decrypt\n  condition: sel\nlevel: low\n---\n\
        title: several ips\nid: ips\ncorrelation:\n  type: value_count\n  rules: [dec]\n  \
        group-by: [userIdentity.arn]\n  timespan: 10m\n  condition:\n    gte: 2\n    \
        field: sourceIPAddress\nlevel: high\n";

    fn set() -> RuleSet {
        RuleSet::load(&LoadOptions::from_sources([("c.yml", RULES.to_owned())]))
            .unwrap()
            .set
    }

    fn event(id: &str, minute: u32, ip: &str) -> serde_json::Value {
        json!({
            "eventID": id, "eventTime": format!("2026-01-01T00:0{minute}:00Z"),
            "eventName": "Decrypt", "eventSource": "kms.amazonaws.com",
            "sourceIPAddress": ip, "userAgent": "big agent string kept out",
            "userIdentity": {"arn": "arn:aws:iam::1:role/r", "type": "AssumedRole"},
            "requestParameters": {"encryptionContext": {"k": "v"}},
        })
    }

    #[test]
    fn keeps_only_what_the_engine_reads() {
        let set = set();
        let kept = set
            .correlations()
            .keep(&[0], &event("e1", 1, "10.0.0.1"))
            .unwrap();
        assert_eq!(
            kept.event,
            json!({"eventID": "e1", "eventTime": "2026-01-01T00:01:00Z",
                   "userIdentity": {"arn": "arn:aws:iam::1:role/r"},
                   "sourceIPAddress": "10.0.0.1"})
        );
        assert_eq!(kept.rules, vec![0]);
        // A rule that feeds nothing, or an event without eventID, keeps nothing.
        assert!(set
            .correlations()
            .keep(&[7], &event("e1", 1, "x"))
            .is_none());
        let mut no_id = event("e1", 1, "x");
        no_id.as_object_mut().unwrap().remove("eventID");
        assert!(set.correlations().keep(&[0], &no_id).is_none());
    }

    #[test]
    fn replay_fires_once_whatever_the_order_kept() {
        let set = set();
        let events = [
            event("e1", 1, "10.0.0.1"),
            event("e2", 2, "10.0.0.1"),
            event("e3", 3, "10.0.0.2"),
        ];
        let orders = [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]];
        let mut ids = Vec::new();
        for order in orders {
            let kept = order
                .iter()
                .map(|&i| set.correlations().keep(&[0], &events[i]).unwrap())
                .collect();
            let fired = set
                .correlations()
                .replay(kept, &mut MemoryStore::new())
                .unwrap();
            assert_eq!(fired.len(), 1, "{order:?}");
            assert_eq!(fired[0].count, 2, "{order:?}");
            assert_eq!(fired[0].event_ids, ["e1", "e2", "e3"], "{order:?}");
            ids.push(fired[0].alert_id.clone());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one alert id whatever the order");
    }
}
