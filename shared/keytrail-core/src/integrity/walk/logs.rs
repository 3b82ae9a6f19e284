//! The log files: the listed ones against their recorded hashes, and the log objects that no
//! digest lists.

use std::collections::{BTreeMap, HashSet};

use super::{Report, Status, Walk};
use crate::integrity::check::{check_log, LogState};
use crate::integrity::hash::Sha256;
use crate::integrity::names::{LogName, Scope};
use crate::integrity::problem::{ObjectRef, Problem};
use crate::integrity::time::Timestamp;

/// How long after the time in its name a log file may reach the bucket (CloudTrail delivers
/// within about 5 minutes on average); a log of a time this close to an unverifiable hour may
/// belong to it.
const DELIVERY_LAG: i64 = 15 * 60;

/// The log objects a caller found: from listing the log folders of the range, and from reading
/// the ones the digests list. A listed log file that is not here is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogInventory {
    found: BTreeMap<ObjectRef, Option<Sha256>>,
}

impl LogInventory {
    /// Nothing found yet.
    pub fn new() -> LogInventory {
        LogInventory::default()
    }

    /// A log object that exists: `hash` is the SHA-256 of its uncompressed content when it was
    /// read, `None` when it was only listed. A hash, once known, is kept.
    pub fn insert(&mut self, log: ObjectRef, hash: Option<Sha256>) {
        let entry = self.found.entry(log).or_default();
        *entry = hash.or(*entry);
    }

    /// Whether the object was found.
    pub fn contains(&self, log: &ObjectRef) -> bool {
        self.found.contains_key(log)
    }

    /// How many objects were found.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// Nothing found.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}

/// What the digests of one scope say about time: from when they cover it, and the latest start
/// of a valid one (a log older than that by the grace should be listed by now).
#[derive(Debug, Clone, Copy)]
struct Coverage {
    from: Timestamp,
    latest_valid_start: Option<Timestamp>,
}

impl Walk {
    /// Every log file a valid digest lists, against the inventory.
    pub(super) fn check_listed(&mut self, logs: &LogInventory, report: &mut Report) {
        let mut problems = Vec::new();
        for (digest, entry) in self.listed_logs() {
            report.log_files += 1;
            let state = match logs.found.get(&entry.location) {
                None => LogState::Missing,
                Some(None) => {
                    report.log_files_unchecked += 1;
                    continue;
                }
                Some(Some(hash)) => LogState::Hashed(*hash),
            };
            match check_log(digest, entry, state) {
                Ok(()) => report.log_files_valid += 1,
                Err(problem) => problems.push(problem),
            }
        }
        self.problems.extend(problems);
    }

    /// Log objects no valid digest lists although a digest that started `log_grace` after
    /// them was delivered, outside every unverifiable hour.
    pub(super) fn check_unlisted(&mut self, logs: &LogInventory) {
        let listed: HashSet<&ObjectRef> =
            self.listed_logs().map(|(_, log)| &log.location).collect();
        let mut coverage: BTreeMap<&Scope, Coverage> = BTreeMap::new();
        for slot in self.slots.iter().filter(|s| s.status != Status::Moved) {
            let (Some(name), Some((start, _))) = (&slot.name, slot.window()) else {
                continue;
            };
            let valid_start = slot.valid_digest().map(|d| d.start);
            let c = coverage.entry(&name.scope).or_insert(Coverage {
                from: start,
                latest_valid_start: None,
            });
            c.from = c.from.min(start);
            c.latest_valid_start = c.latest_valid_start.max(valid_start);
        }
        let mut problems = Vec::new();
        for log in logs
            .found
            .keys()
            .filter(|log| !listed.contains(log) && !log.key.ends_with('/'))
        {
            let Some(name) = LogName::parse(log) else {
                // CloudTrail never writes a log object of another name.
                problems.push(Problem::LogFileUnlisted { log: log.clone() });
                continue;
            };
            let Some(c) = coverage.get(&name.scope) else {
                continue;
            };
            let t = name.time;
            let unverifiable = self.unverifiable.get(&name.scope).is_some_and(|hours| {
                hours
                    .iter()
                    .any(|&(start, end)| start <= t.plus(DELIVERY_LAG) && t <= end)
            });
            let due = c
                .latest_valid_start
                .is_some_and(|s| s >= t.plus(self.options.log_grace));
            if t >= c.from && due && !unverifiable {
                problems.push(Problem::LogFileUnlisted { log: log.clone() });
            }
        }
        self.problems.extend(problems);
    }
}
