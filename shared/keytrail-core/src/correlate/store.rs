//! What the engine remembers, behind [`Store`]: one window per correlation x group x window
//! start, holding the contributions (keyed by eventID) and whether the window has fired.
//!
//! Two traits with the same three operations (add, read, mark fired): [`Store`], synchronous,
//! which [`MemoryStore`] (the CLI's) implements, and [`AsyncStore`], whose operations are
//! futures, which the Lambda's state table implements in keytrail-aws (each call a DynamoDB
//! request on `corr#<rule_id>#<group hash>` items; see the module doc of [`crate::correlate`]).
//! The engine is written once, against [`AsyncStore`]; a [`Store`] runs it through [`Ready`],
//! whose futures are ready at once, driven by [`now`] with no executor, so the core stays free of
//! any runtime.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::digest::hash_parts;

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

impl WindowKey {
    /// A digest of the group-by values (32 hex digits): a key for the group, whatever the length
    /// or the characters of its values (the state table's `corr#<rule_id>#<group hash>`).
    pub fn group_hash(&self) -> String {
        hash_parts(self.group.iter().map(String::as_str))
    }
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

/// Correlation state reached through futures (a database): the operations of [`Store`], with
/// the same contracts. Implemented over DynamoDB in keytrail-aws (`state::correlate`).
pub trait AsyncStore {
    /// [`Store::add`].
    fn add(
        &mut self,
        key: &WindowKey,
        contribution: Contribution,
    ) -> impl Future<Output = Result<Added, StoreError>> + Send;

    /// [`Store::read`].
    fn read(&mut self, key: &WindowKey) -> impl Future<Output = Result<Window, StoreError>> + Send;

    /// [`Store::mark_fired`].
    fn mark_fired(
        &mut self,
        key: &WindowKey,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A [`Store`] as an [`AsyncStore`] whose futures are ready at once.
pub(super) struct Ready<'a, S: ?Sized>(pub(super) &'a mut S);

impl<S: Store + ?Sized> AsyncStore for Ready<'_, S> {
    fn add(
        &mut self,
        key: &WindowKey,
        contribution: Contribution,
    ) -> impl Future<Output = Result<Added, StoreError>> + Send {
        std::future::ready(self.0.add(key, contribution))
    }

    fn read(&mut self, key: &WindowKey) -> impl Future<Output = Result<Window, StoreError>> + Send {
        std::future::ready(self.0.read(key))
    }

    fn mark_fired(
        &mut self,
        key: &WindowKey,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        std::future::ready(self.0.mark_fired(key))
    }
}

/// The output of `future`, which awaits only [`Ready`] futures and so completes on its first
/// poll; a future that would wait is a bug, answered as a [`StoreError`] rather than a hang.
pub(super) fn now<T>(future: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => Err(StoreError {
            rule: "(any)".to_owned(),
            detail: "a synchronous store's operation did not complete at once (a bug: report it)"
                .to_owned(),
        }),
    }
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
