//! keytrail's integration-test harness: a real local AWS endpoint per test, and the alert stack the
//! Lambda publishes into.
//!
//! # Design
//!
//! - **One `moto_server` per [`Moto`]**, so tests share nothing and run in parallel, whether as
//!   threads (`cargo test`) or as one process each (nextest). The server is the pinned PyPI
//!   package in the project venv (`.venv`, made by `infra/local/venv.sh`, which [`Moto::start`]
//!   runs under a file lock so that concurrent test processes install it once). Nothing talks to
//!   the internet.
//! - **No port race.** moto is told to listen on port 0; the kernel picks a free loopback port and
//!   the harness reads it from the server's "Running on http://127.0.0.1:PORT" line. Choosing a
//!   port first and passing it on would leave a window in which a parallel test could take it, and
//!   then two tests would share (and reset) one server without noticing.
//! - **No leaked servers.** The process is killed when the [`Moto`] is dropped, which happens on a
//!   panicking test too. If the test process dies without unwinding (SIGKILL from a timeout, an
//!   abort), moto notices its stdin pipe closing and exits by itself.
//! - **Diagnosable.** moto's output goes to a log file in a temporary directory. A failed start
//!   panics with its tail, and a test that panics while a [`Moto`] is alive prints the tail too.
//! - **The real SDK over real HTTP.** [`Moto::sdk_config`] is an ordinary
//!   `aws_config::SdkConfig` (static test credentials, `us-east-1`, endpoint = the server, host
//!   environment ignored), so the code under test builds its clients exactly as in Lambda.
//! - [`Stack`] creates what an end-to-end assertion needs: a trail bucket, the alert topic, and an
//!   SQS queue subscribed to it with SNS envelopes kept (not raw delivery), so subjects and message
//!   attributes can be asserted on as they arrive ([`ReceivedMessage`]).
//! - [`FaultProxy`] sits between the SDK and moto and injects resets, slow bodies and canned
//!   error answers by rule; [`LogBuffer`] catches a subscriber's output for log assertions.
//! - [`trail::Trail`] generates a day of a CloudTrail bucket with signed digests, and tampers with
//!   it one attack at a time, answering the problems a verifier must report;
//!   [`CloudTrailKeys`] serves its public keys as CloudTrail's `ListPublicKeys` (moto has none).
//!
//! This is test code: it panics with a message naming what failed instead of returning errors.
//!
//! ```no_run
//! # async fn demo() {
//! use keytrail_testkit::{Moto, Stack};
//! let moto = Moto::start().await;
//! let stack = Stack::create(&moto).await;
//! stack.upload("AWSLogs/trail.json.gz", b"...".to_vec()).await;
//! // ... run the handler with `moto.sdk_config()` and `stack.topic_arn` ...
//! let alerts = stack.receive_alerts(1, std::time::Duration::from_secs(10)).await;
//! assert_eq!(alerts[0].message_attributes["severity"], "high");
//! # }
//! ```
#![warn(missing_docs)]
// A test kit reports failures by panicking with a clear message: that is what a test needs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cloudtrail_keys;
mod fault;
mod http;
mod logs;
mod moto;
mod stack;
pub mod trail;

pub use cloudtrail_keys::{CloudTrailKeys, KeyRequest};
pub use fault::{BatchJob, Exchange, Fault, FaultProxy, Match, Rule, RuleId};
pub use logs::LogBuffer;
pub use moto::{sdk_config_at, Moto};
pub use stack::{ReceivedMessage, Stack};
