//! What the engine remembers, behind [`Store`]: one window per correlation x group x window
//! start, holding the contributions (keyed by eventID) and whether the window has fired.
//!
//! The trait is synchronous and small (add, read, mark fired) so that the pure core can drive
//! it. [`MemoryStore`] is the CLI's; the Lambda's maps each call onto the state table's
//! `corr#<rule_id>#<group hash>` items (see the module doc of [`crate::correlate`]).

use std::collections::{HashMap, HashSet};

/// Which window: a correlation, a group (its group-by values, in `group-by` order) and the
/// window's start (epoch seconds, a multiple of the correlation's timespan).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WindowKey {
    /// The correlation's id.
    pub rule: String,
    /// The group-by values.
    pub group: Vec<String>,
    /// Start of the window, epoch seconds.
    pub start: i64,
}

/// One event's part in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// `eventID`: a window counts an event once, however often it is delivered.
    pub event_id: String,
    /// `eventTime`, epoch seconds.
    pub event_time: i64,
    /// The value counted by a `value_count` correlation (else `None`).
    pub value: Option<String>,
    /// Which of the correlation's rules matched (an index into its `rules`).
    pub tag: usize,
}

/// A window's content as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// The contributions, in the order they were added.
    pub contributions: Vec<Contribution>,
    /// Whether the window has fired.
    pub fired: bool,
}

/// What [`Store::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The window already held that eventID: nothing changed (a retried delivery).
    Duplicate,
    /// The contribution was added; `fired` says whether the window had already fired (then
    /// the engine need not read it).
    New {
        /// Whether the window has fired.
        fired: bool,
    },
}

/// A store that could not be reached or refused a write; the shell's error, as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("correlation state for {rule}: {detail}")]
pub struct StoreError {
    /// The correlation whose window was being read or written.
    pub rule: String,
    /// What went wrong, and what to do.
    pub detail: String,
}

/// Correlation state: windows of contributions.
pub trait Store {
    /// Adds `contribution` to the window `key`, unless the window already holds that eventID
    /// (a retried or duplicated delivery).
    fn add(&mut self, key: &WindowKey, contribution: Contribution) -> Result<Added, StoreError>;

    /// The window `key` (empty when nothing was added to it).
    fn read(&mut self, key: &WindowKey) -> Result<Window, StoreError>;

    /// Marks the window `key` fired; true only for the call that marked it (false when it had
    /// fired already), so that a window fires once even when several callers race.
    fn mark_fired(&mut self, key: &WindowKey) -> Result<bool, StoreError>;
}

/// Windows in memory, for one process (the CLI's scan, tests).
#[derive(Debug, Default)]
pub struct MemoryStore {
    windows: HashMap<WindowKey, Slot>,
}

/// A window and the eventIDs in it.
#[derive(Debug, Default)]
struct Slot {
    window: Window,
    ids: HashSet<String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many windows it holds.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// True when it holds no window.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

impl Store for MemoryStore {
    fn add(&mut self, key: &WindowKey, contribution: Contribution) -> Result<Added, StoreError> {
        let slot = self.windows.entry(key.clone()).or_default();
        if !slot.ids.insert(contribution.event_id.clone()) {
            return Ok(Added::Duplicate);
        }
        slot.window.contributions.push(contribution);
        Ok(Added::New {
            fired: slot.window.fired,
        })
    }

    fn read(&mut self, key: &WindowKey) -> Result<Window, StoreError> {
        Ok(self
            .windows
            .get(key)
            .map(|s| s.window.clone())
            .unwrap_or_default())
    }

    fn mark_fired(&mut self, key: &WindowKey) -> Result<bool, StoreError> {
        let slot = self.windows.entry(key.clone()).or_default();
        Ok(!std::mem::replace(&mut slot.window.fired, true))
    }
}
