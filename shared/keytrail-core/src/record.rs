//! Looking inside one raw record: a cheap peek at its routing fields, or the full parse.
//!
//! [`peek`] runs for every record, so it builds nothing: `serde_json` walks the record once,
//! borrowing `eventSource`, `eventName` and `eventType` straight from the bytes when they hold
//! no escapes (hence `Cow`) and skipping everything else with `IgnoredAny`. Duplicate keys
//! resolve as in [`Event::parse`] (the last one wins), so the prefilter and the full match always
//! see the same values. Records that arrive in an EventBridge envelope (`"detail-type": "AWS API
//! Call via CloudTrail"`, or any other `... via CloudTrail` type, with the event under `detail`)
//! are looked at through the envelope, both by [`peek`] and by [`Event::parse`].
//!
//! Invalid UTF-8 that the reader passed through is rejected by [`Event::parse`]; [`peek`] checks
//! only the strings it reads.
//!
//! The files, each importing only those below it (this one only declares and re-exports):
//! `quick.rs` ([`peek_quick`], the byte-by-byte peek of a plain record) and `project.rs`
//! ([`Projection`], [`partial_event`]) over `peek.rs` ([`Peek`], [`peek`]) and `walk.rs` (jumping
//! over JSON values in raw bytes); `event.rs` ([`Event`]) over `peek.rs` and `view.rs` ([`View`],
//! [`lookup`]: reading a `Value` or a [`Tree`] alike); `tree.rs` ([`Tree`], a record read
//! over its own bytes for the alerts made without a `Value`) over `peek.rs` and `view.rs`.

mod event;
mod peek;
mod project;
mod quick;
mod strings;
mod tree;
mod view;
mod walk;

pub use event::Event;
pub use peek::{peek, Peek, RecordError, MAX_SCREEN_KEYS, PEEK_KEYS};
pub use project::{partial_event, project_record, Projection};
pub use quick::peek_quick;
pub use tree::{At, Kind, Text, Tree};
pub use view::{lookup, View};
pub(crate) use walk::object_member;

#[cfg(test)]
mod tests;
