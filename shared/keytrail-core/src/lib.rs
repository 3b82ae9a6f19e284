//! keytrail-core: the pure engine of keytrail.
//!
//! Bytes in, alerts out; no async runtime, no AWS SDK, no network. The Lambda and the CLI are thin
//! shells that hand this crate a byte stream and a sink.
//!
//! ```text
//! bytes ──read──▶ raw records ──record::peek──▶ (eventSource, eventName)
//!                                   │ rules::RuleSet::may_match (prefilter index)
//!                                   ▼ only when some rule could match
//!                          record::Event::parse ──rules──▶ matches ──alert──▶ Alert
//! ```
//!
//! - [`read`] turns a (possibly gzip, possibly multi-member) byte stream into one raw JSON record
//!   at a time, whatever the container shape, in memory bounded by the largest record, not by the
//!   object.
//! - [`record`] looks inside a raw record: a cheap peek at `eventSource`/`eventName`, and the full
//!   parse (unwrapping EventBridge envelopes) for the few records a rule could match.
//! - [`rules`] compiles Sigma rules once and evaluates them behind a prefilter index.
//! - [`alert`] builds the one alert schema shared by the CLI, SNS and Slack, with secrets redacted.
//! - [`render`] turns an alert into the email subject, the email text, the SNS message and the
//!   Slack Block Kit message.
//! - [`scan`] wires the above over one object and reports what was read and what went wrong.
//! - [`fixtures`] data-tests rules: every rule's hit and miss fixtures through the scan path.
#![warn(missing_docs)]

pub mod alert;
pub mod fixtures;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod read;
pub mod record;
pub mod redact;
pub mod render;
pub mod rules;
pub mod scan;
pub mod severity;
pub mod size;

pub use alert::Alert;
pub use severity::Severity;
