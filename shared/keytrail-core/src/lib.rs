//! keytrail-core: the pure engine of keytrail.
//!
//! Bytes in, alerts out; no async runtime, no AWS SDK, no network. The Lambda and the CLI are thin
//! shells that hand this crate a byte stream and a sink.
//!
//! ```text
//! bytes ──read──▶ raw records ──rules::RuleSet::classify──▶ matches ──alert──▶ Alert
//!                    (one call per record: peek, prefilter index, screen, parse, match)
//! ```
//!
//! - [`read`] turns a (possibly gzip, possibly multi-member) byte stream into one raw JSON record
//!   at a time, whatever the container shape, in memory bounded by the largest record, not by the
//!   object.
//! - [`record`] looks inside a raw record: a cheap peek at `eventSource`/`eventName`, and the full
//!   parse (unwrapping EventBridge envelopes) for the few records a rule could match.
//! - [`rules`] compiles Sigma rules once and classifies each record behind one entry point,
//!   [`rules::RuleSet::classify`], which owns the prefilter cascade.
//! - [`correlate`] runs Sigma correlation rules (counts, distinct values, sequences within a
//!   window) on the matches, over state reached through a small trait.
//! - [`alert`] builds the one alert schema shared by the CLI, SNS and Slack, with secrets redacted.
//! - [`render`] turns an alert into the email subject, the email text, the SNS message and the
//!   Slack Block Kit message.
//! - [`scan`] wires the above over one object and reports what was read and what went wrong.
//! - [`integrity`] validates CloudTrail digests (signature, chain) and the log files they list.
#![warn(missing_docs)]

pub mod alert;
pub mod correlate;
mod digest;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod integrity;
pub mod read;
pub mod record;
pub mod redact;
pub mod render;
pub mod rules;
pub mod scan;
pub mod severity;
pub mod size;
pub mod storm;

pub use alert::Alert;
pub use severity::Severity;
