//! A fault-injecting HTTP/1.1 proxy between the SDK and a [`Moto`] server.
//!
//! # Design
//!
//! - **Raw TCP on loopback, one request per connection.** [`FaultProxy::start`] binds
//!   `127.0.0.1:0` and serves each accepted connection in its own task: it reads one request
//!   (head, then a `Content-Length` or chunked body, answering `Expect: 100-continue` itself),
//!   forwards it to moto on a fresh connection, reads the response (by `Content-Length`, chunked
//!   framing, or to end of stream) and writes it back. Both hops carry `Connection: close`, so
//!   the SDK's connection pool never reuses a proxied connection and no request can be mixed up
//!   with another one's bytes; a keep-alive parser would buy nothing but risk.
//! - **Rules decide the faults.** A [`Rule`] is a predicate on the request ([`Match`]), a
//!   [`Fault`], and which of the matching requests it hits: skip the first `skip`, hit the next
//!   `times`. Rules are checked in the order they were added; every matching rule counts the
//!   request as seen, and the first one whose window covers it injects its fault.
//! - **Faults that the SDK sees as the network's or the service's:** a reset before any
//!   response (the request never reaches moto), a reset after moto acted on the request (the
//!   answer is lost), a reset after the head and part of the body, a body trickled in small
//!   pieces, or a canned error answer (S3 `SlowDown`, SNS `Throttling` and `InternalError`) in
//!   place of moto's.
//! - **Stand-in answers for what moto lacks:** the same canned answers serve an API moto does
//!   not have, in its real wire format: S3 Batch Operations' `DescribeJob` and its errors
//!   (`s3control.rs`), for `keytrail backfill status JOB`.
//! - **Observable.** Each rule counts the requests it saw and the faults it injected
//!   ([`FaultProxy::seen`], [`FaultProxy::injected`]), and every exchange is logged
//!   ([`FaultProxy::exchanges`]) with its request body and the status the client got, so a test
//!   can assert that its fault really fired and which requests moto really accepted. An
//!   exchange is logged before the client sees its answer, so the log is complete as soon as
//!   the SDK call returns.
//! - [`FaultProxy::sdk_config`] is moto's configuration with the endpoint moved to the proxy and
//!   the standard retry mode kept (3 attempts), but with a 10 ms initial backoff instead of 1 s,
//!   so tests that exhaust every retry stay fast.
//!
//! ```no_run
//! # async fn demo() {
//! use keytrail_testkit::{Fault, FaultProxy, Match, Moto, Rule};
//! let moto = Moto::start().await;
//! let proxy = FaultProxy::start(&moto).await;
//! // The 3rd PublishBatch fails with SNS's 500 on its first attempt; the SDK's retry passes.
//! let rule = proxy.add(
//!     Rule::new(Match::sns_publish_batch(), Fault::sns_internal_error()).skip(2).times(1),
//! );
//! let sdk = proxy.sdk_config(&moto);
//! // ... build the clients under test from `sdk` and run them ...
//! assert_eq!(proxy.injected(rule), 1, "the fault never fired");
//! # }
//! ```

mod canned;
pub(crate) mod http;
mod proxy;
mod s3control;

use std::time::Duration;

pub use proxy::FaultProxy;
pub use s3control::BatchJob;

/// Which requests a [`Rule`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Every request.
    Any,
    /// S3 GetObject: a `GET` on a key in `bucket` (path-style, `/bucket/key`).
    S3GetObject {
        /// The bucket.
        bucket: String,
    },
    /// A query-protocol call (SNS, SQS): a `POST` whose form body holds `Action=<action>`.
    Action(String),
    /// A REST call: `method` on `path` (the query left aside), e.g. Security Hub's
    /// `POST /findings/import`.
    Path {
        /// The method.
        method: String,
        /// The path.
        path: String,
    },
    /// A request whose body holds `text`: JSON-protocol calls name their operation in a header
    /// the proxy does not keep, so they are told apart by their body.
    BodyContains(String),
}

impl Match {
    /// S3 GetObject on any key of `bucket`.
    pub fn s3_get_object(bucket: &str) -> Match {
        Match::S3GetObject {
            bucket: bucket.to_owned(),
        }
    }

    /// SNS PublishBatch.
    pub fn sns_publish_batch() -> Match {
        Match::Action("PublishBatch".to_owned())
    }

    /// Security Hub BatchImportFindings.
    pub fn securityhub_batch_import_findings() -> Match {
        Match::Path {
            method: "POST".to_owned(),
            path: "/findings/import".to_owned(),
        }
    }

    /// EventBridge PutEvents (the only EventBridge call whose body opens with `Entries`).
    pub fn eventbridge_put_events() -> Match {
        Match::BodyContains("{\"Entries\":[".to_owned())
    }

    fn matches(&self, request: &Exchange) -> bool {
        match self {
            Match::Any => true,
            Match::Path { method, path } => {
                request.method == *method && request.target.split('?').next() == Some(path)
            }
            Match::BodyContains(text) => {
                String::from_utf8_lossy(&request.body).contains(text.as_str())
            }
            Match::S3GetObject { bucket } => {
                let path = request.target.split('?').next().unwrap_or("");
                request.method == "GET"
                    && path
                        .strip_prefix('/')
                        .and_then(|p| p.strip_prefix(bucket.as_str()))
                        .and_then(|p| p.strip_prefix('/'))
                        .is_some_and(|key| !key.is_empty())
            }
            Match::Action(action) => {
                let wanted = format!("Action={action}");
                request.method == "POST"
                    && String::from_utf8_lossy(&request.body)
                        .split('&')
                        .any(|pair| pair == wanted)
            }
        }
    }
}

/// What a [`Rule`] does to a request it hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Reads the request, does not forward it, and resets the connection.
    Reset,
    /// Forwards the request (moto acts on it), drops moto's answer and resets the connection:
    /// the client cannot tell whether the call took effect.
    ResetAfterForward,
    /// Forwards the request, sends the response head and the first `after` bytes of its body
    /// (at most half of it), then resets the connection.
    ResetMidBody {
        /// Body bytes sent before the reset.
        after: usize,
    },
    /// Forwards the request and sends the response body in pieces of `piece` bytes, waiting
    /// `delay` before each.
    SlowBody {
        /// Bytes per piece.
        piece: usize,
        /// Wait before each piece.
        delay: Duration,
    },
    /// Answers this instead of forwarding the request.
    Respond {
        /// HTTP status code.
        status: u16,
        /// `Content-Type` of the body.
        content_type: String,
        /// The body.
        body: String,
    },
}

/// A fault, the requests it applies to, and which of them it hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    matches: Match,
    fault: Fault,
    skip: usize,
    times: usize,
}

impl Rule {
    /// `fault` on every request `matches` accepts.
    pub fn new(matches: Match, fault: Fault) -> Rule {
        Rule {
            matches,
            fault,
            skip: 0,
            times: usize::MAX,
        }
    }

    /// Lets the first `n` matching requests through untouched.
    pub fn skip(mut self, n: usize) -> Rule {
        self.skip = n;
        self
    }

    /// Hits only `n` matching requests (after the skipped ones); the rest pass.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = n;
        self
    }
}

/// A rule added to a [`FaultProxy`], to ask for its counters or lift it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleId(usize);

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The request method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// The request body, de-chunked.
    pub body: Vec<u8>,
    /// The rule whose fault hit it, if any.
    pub fault: Option<RuleId>,
    /// The status the client received; `None` when the connection was reset first.
    pub status: Option<u16>,
}

#[derive(Debug)]
struct Slot {
    rule: Rule,
    seen: usize,
    injected: usize,
    lifted: bool,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Slot>,
    exchanges: Vec<Exchange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request as the proxy logs it, before any fault or answer.
    pub(super) fn request(method: &str, target: &str, body: &str) -> Exchange {
        Exchange {
            method: method.to_owned(),
            target: target.to_owned(),
            body: body.as_bytes().to_vec(),
            fault: None,
            status: None,
        }
    }

    #[test]
    fn matches_get_object_and_query_actions_only() {
        let get = Match::s3_get_object("trail");
        let publish = Match::sns_publish_batch();
        let post = |body| request("POST", "/", body);
        let cases = [
            (&get, request("GET", "/trail/AWSLogs/x.json.gz", ""), true),
            (&get, request("GET", "/trail/k?versionId=1", ""), true),
            (&get, request("GET", "/trail/?list-type=2", ""), false),
            (&get, request("GET", "/trail", ""), false),
            (&get, request("GET", "/trailing/k", ""), false),
            (&get, request("HEAD", "/trail/k", ""), false),
            (
                &publish,
                post("Action=PublishBatch&Version=2010-03-31"),
                true,
            ),
            (&publish, post("Version=1&Action=PublishBatch"), true),
            (&publish, post("Action=Publish&Version=1"), false),
            (&publish, post("Action=PublishBatchX"), false),
            (&publish, request("GET", "/?Action=PublishBatch", ""), false),
            (&Match::Any, request("PUT", "/b/k", ""), true),
        ];
        for (rule, exchange, want) in cases {
            assert_eq!(rule.matches(&exchange), want, "{rule:?} {exchange:?}");
        }
    }
}
