//! Correlations across every object of a scan, in memory.
//!
//! Objects are scanned in parallel and finish in any order, and a correlation's events may lie
//! in several of them, so correlations cannot be counted as records come. Instead each worker
//! hands the [`Keeper`] what the engine needs of every record that matched a rule feeding a
//! correlation ([`Kept`]: eventID, eventTime, group-by and counted values; never a whole
//! record), and once every object is read the kept records run through the engine in eventTime
//! order over a [`MemoryStore`] ([`Keeper::alerts`]). Each firing becomes one alert
//! ([`Alert::correlation`]), printed, counted and gated like any other.
//!
//! Memory is a few hundred bytes per record that feeds a correlation; records that match no
//! such rule are not kept. Local files keep theirs as they are read; S3 objects, read by the AWS
//! crate's stream, hand theirs over when the stream ends ([`keytrail_aws::stream::ScanEnd`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use keytrail_core::correlate::{Kept, MemoryStore, StoreError};
use keytrail_core::rules::RuleSet;
use keytrail_core::{Alert, Severity};

/// The kept records of a scan, with the object each was read from.
#[derive(Debug, Default)]
pub struct Keeper {
    kept: Mutex<Vec<(Kept, Arc<str>)>>,
}

impl Keeper {
    /// Adds what one object kept.
    pub fn add(&self, object: &str, kept: Vec<Kept>) {
        if kept.is_empty() {
            return;
        }
        let object: Arc<str> = Arc::from(object);
        let mut all = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        all.extend(kept.into_iter().map(|k| (k, Arc::clone(&object))));
    }

    /// Runs every kept record through `rules`' correlations in eventTime order and returns the
    /// alerts of those that fired, at `min_severity` or above.
    pub fn alerts(
        &self,
        rules: &RuleSet,
        min_severity: Severity,
    ) -> Result<Vec<Alert>, StoreError> {
        let all = std::mem::take(&mut *self.kept.lock().unwrap_or_else(PoisonError::into_inner));
        let mut objects: HashMap<String, Arc<str>> = HashMap::new();
        let mut kept = Vec::with_capacity(all.len());
        for (k, object) in all {
            if let Some(id) = k.event.get("eventID").and_then(|v| v.as_str()) {
                objects.insert(id.to_owned(), object);
            }
            kept.push(k);
        }
        let correlations = rules.correlations();
        let fired = correlations.replay(kept, &mut MemoryStore::new())?;
        let mut alerts = Vec::new();
        for hit in fired {
            let Some(correlation) = correlations.get(hit.correlation) else {
                continue;
            };
            if correlation.rule.level < min_severity {
                continue;
            }
            let mut names: Vec<String> = Vec::new();
            for object in hit.event_ids.iter().filter_map(|id| objects.get(id)) {
                if !names.iter().any(|n| **n == **object) {
                    names.push(object.to_string());
                }
            }
            alerts.push(Alert::correlation(correlation, &hit, &names));
        }
        Ok(alerts)
    }
}
