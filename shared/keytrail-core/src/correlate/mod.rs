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
//! **State** is reached only through [`Store`] or [`AsyncStore`] (`store.rs`): add a
//! contribution to a window (refused for an eventID already there), read a window, mark it fired
//! (true only for the caller that marked it). The engine is written once, against
//! [`AsyncStore`], with no runtime: [`Correlations::observe`] and [`Correlations::replay`] run it
//! over a synchronous [`Store`] ([`MemoryStore`], the CLI's) through futures that are ready at
//! once; [`Correlations::observe_async`] and [`Correlations::replay_async`] over the Lambda's
//! state table (keytrail-aws `state::correlate`, which documents the items, the cost per matched
//! event and the limits of out-of-order arrival). An event the window already holds is checked
//! again while the window has not fired, so that a store which marks a window fired only once
//! its alert is out (the Lambda's) fires it again on the retry of an object whose alert could
//! not be published.

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
pub(crate) use self::spec::timespan;
pub(crate) use self::spec::{aggregation_of, parse_aggregation, parse_section};
pub use self::spec::{Condition, Correlation, Kind, LEGACY_TIMESPAN};
pub use self::store::{
    Added, AsyncStore, Contribution, MemoryStore, Store, StoreError, Window, WindowKey,
};
