//! Sigma correlation rules: patterns across events (a burst of exports by one principal, a
//! trail narrowed and then a key taken), over state the caller owns.
//!
//! **Rules.** A correlation is a Sigma v2 rule with a `correlation:` map (`spec.rs`): `type`
//! (`event_count`, `value_count`, `temporal`, `temporal_ordered`), `rules` (ids or names of
//! rules or of other correlations: chains work), `group-by`, `timespan` (`30s`, `10m`, `1h`,
//! `2d`), `condition` (`gt`, `gte`, `lt`, `lte`, `eq`; `field` for `value_count`; optional for
//! the temporal types, which then need every named rule), `aliases` (a group-by or counted
//! field named differently in each joined rule) and `generate` (whether the joined rules still
//! alert on their own; Sigma's default, and keytrail's, is no). The legacy form
//! `condition: selection | count(field) by field > N`, with `timeframe` (else 1 hour), compiles
//! to the same thing: `count()` is `event_count`, `count(field)` a `value_count` of `field`.
//! [`crate::rules::RuleSet::load`] loads correlations with the other rules (several YAML
//! documents in one file are allowed, as the specification's examples do), resolves their
//! references, and [`crate::rules::RuleSet::correlate`] runs them on the matches of
//! [`crate::rules::RuleSet::classify`].
//!
//! **Windows.** Windows are fixed (tumbling): a correlation with timespan `T` counts an event
//! in the window starting at `floor(eventTime / T) * T`, for its group (the group-by values, in
//! order). An event is counted in the window of its `eventTime`, however late it arrives; a
//! window holds each eventID once, so a retried object counts nothing twice. A window fires
//! once, when its condition first holds: its alert id is a hash of correlation x group x
//! window start, so a second process that fires it too is de-duplicated by the alert ledger.
//! Limits: events of one burst that straddle a window boundary are counted in two windows
//! (a burst of 3 in 1 hour may be seen as 2 + 1); conditions with only an upper bound (`lt`,
//! `lte`) need the window's end and are refused as unsupported; `eq` fires when the count
//! reaches it. Events without `eventID`, `eventTime` or a group-by field are not counted.
//!
//! **State** is reached only through [`Store`] (`store.rs`): add a contribution to a window
//! (refused for an eventID already there), read a window, mark it fired (true only for the
//! caller that marked it). [`MemoryStore`] is the CLI's. Over the state table
//! (STATE-DESIGN.md), with `pk = corr#<rule_id>#<group hash>`:
//! - `add` is a conditional put of `sk = ev#<eventID>` (`attribute_not_exists(sk)`, failing
//!   means a duplicate) holding event_time, value and tag, then an update of
//!   `sk = win#<window start>` adding 1 to `count` and the value to `values`, returning
//!   `fired`: two writes per matched event, none for records no correlated rule matches;
//! - `read` is a query of the pk's `ev#` items filtered to the window's eventTime range
//!   (only done while the window has not fired);
//! - `mark_fired` is a conditional update of `win#<start>` setting `fired`
//!   (`attribute_not_exists(fired)`), so concurrent invocations fire a window once.
//!
//! Every item's TTL is the window's end plus a margin for late delivery.

mod engine;
mod keep;
mod resolve;
mod spec;
mod store;
#[cfg(test)]
mod tests;

pub use self::engine::{Correlated, Correlations};
pub use self::keep::Kept;
pub use self::resolve::Unresolved;
pub(crate) use self::spec::{aggregation_of, parse_aggregation, parse_section};
pub use self::spec::{Condition, Correlation, Kind, LEGACY_TIMESPAN};
pub use self::store::{
    Added, AsyncStore, Contribution, MemoryStore, Store, StoreError, Window, WindowKey,
};
