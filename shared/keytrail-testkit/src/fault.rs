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

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::Moto;

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

    fn matches(&self, request: &Exchange) -> bool {
        match self {
            Match::Any => true,
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

impl Fault {
    /// S3's `503 SlowDown`.
    pub fn s3_slow_down() -> Fault {
        Fault::Respond {
            status: 503,
            content_type: "application/xml".to_owned(),
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                   <Message>Please reduce your request rate.</Message>\
                   <RequestId>FAULTPROXY</RequestId></Error>"
                .to_owned(),
        }
    }

    /// SNS throttling: `400` with a query-protocol error of code `Throttling`.
    pub fn sns_throttling() -> Fault {
        Fault::sns_error(400, "Sender", "Throttling", "Rate exceeded")
    }

    /// SNS `500 InternalError`.
    pub fn sns_internal_error() -> Fault {
        Fault::sns_error(500, "Receiver", "InternalError", "Internal failure")
    }

    fn sns_error(status: u16, kind: &str, code: &str, message: &str) -> Fault {
        Fault::Respond {
            status,
            content_type: "text/xml".to_owned(),
            body: format!(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
                 <Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>\
                 <RequestId>faultproxy</RequestId></ErrorResponse>"
            ),
        }
    }
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

/// The proxy: listening on a loopback port, forwarding to one moto server, until dropped.
#[derive(Debug)]
pub struct FaultProxy {
    port: u16,
    state: Arc<Mutex<State>>,
    accept: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy in front of `moto`, with no rules (everything passes).
    pub async fn start(moto: &Moto) -> FaultProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("binding the fault proxy on 127.0.0.1:0");
        let port = listener.local_addr().expect("fault proxy address").port();
        let state = Arc::new(Mutex::new(State::default()));
        let upstream = moto.port();
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    // A client or moto that hangs up mid-exchange ends only this exchange.
                    let _ = serve(client, upstream, &state).await;
                });
            }
        });
        FaultProxy {
            port,
            state,
            accept,
        }
    }

    /// The proxy's URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `moto`'s SDK configuration with the endpoint moved to this proxy, standard retries (3
    /// attempts) with a 10 ms initial backoff.
    pub fn sdk_config(&self, moto: &Moto) -> SdkConfig {
        moto.sdk_config()
            .into_builder()
            .endpoint_url(self.url())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(10)),
            )
            .build()
    }

    /// Adds a rule, after those already there.
    pub fn add(&self, rule: Rule) -> RuleId {
        let mut state = self.lock();
        state.rules.push(Slot {
            rule,
            seen: 0,
            injected: 0,
            lifted: false,
        });
        RuleId(state.rules.len() - 1)
    }

    /// Stops a rule from injecting (it keeps counting what it sees).
    pub fn lift(&self, id: RuleId) {
        self.lock().rules[id.0].lifted = true;
    }

    /// How many requests the rule matched.
    pub fn seen(&self, id: RuleId) -> usize {
        self.lock().rules[id.0].seen
    }

    /// How many faults the rule injected.
    pub fn injected(&self, id: RuleId) -> usize {
        self.lock().rules[id.0].injected
    }

    /// Every request so far, in the order they arrived.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().exchanges.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Serves one connection: one request, then close.
async fn serve(client: TcpStream, upstream: u16, state: &Mutex<State>) -> io::Result<()> {
    let mut client = Conn::new(client);
    let mut head = client.head().await?;
    if head.header("expect").is_some() {
        head.remove("expect");
        client
            .stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await?;
    }
    let (raw, body) = client.body(&head, false).await?;
    let mut parts = head.start.split(' ');
    let mut exchange = Exchange {
        method: parts.next().unwrap_or("").to_owned(),
        target: parts.next().unwrap_or("").to_owned(),
        body,
        fault: None,
        status: None,
    };
    let fault = decide(state, &mut exchange);
    let mut log = Log {
        state,
        exchange: Some(exchange),
    };
    respond(&mut client, upstream, head, raw, fault, &mut log).await
}

/// Counts the request against every matching rule; answers the first fault that hits it.
fn decide(state: &Mutex<State>, exchange: &mut Exchange) -> Option<Fault> {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let mut fault = None;
    for (i, slot) in state.rules.iter_mut().enumerate() {
        if !slot.rule.matches.matches(exchange) {
            continue;
        }
        let nth = slot.seen;
        slot.seen += 1;
        let window = nth >= slot.rule.skip && nth - slot.rule.skip < slot.rule.times;
        if fault.is_none() && window && !slot.lifted {
            slot.injected += 1;
            exchange.fault = Some(RuleId(i));
            fault = Some(slot.rule.fault.clone());
        }
    }
    fault
}

/// Puts an exchange in the proxy's log once its outcome is known, and before the client can
/// see that outcome (a test that reads the log when the SDK call returns finds it there). An
/// exchange cut short by an I/O error is logged without a status when this is dropped.
struct Log<'a> {
    state: &'a Mutex<State>,
    exchange: Option<Exchange>,
}

impl Log<'_> {
    fn status(&mut self, status: Option<u16>) {
        if let Some(mut exchange) = self.exchange.take() {
            exchange.status = status;
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.exchanges.push(exchange);
        }
    }
}

impl Drop for Log<'_> {
    fn drop(&mut self) {
        self.status(None);
    }
}

/// Answers the client, with `fault` applied.
async fn respond(
    client: &mut Conn,
    upstream: u16,
    mut head: Head,
    raw: Vec<u8>,
    fault: Option<Fault>,
    log: &mut Log<'_>,
) -> io::Result<()> {
    match &fault {
        Some(Fault::Reset) => {
            log.status(None);
            return reset(&client.stream);
        }
        Some(Fault::Respond {
            status,
            content_type,
            body,
        }) => {
            let answer = format!(
                "HTTP/1.1 {status} Fault\r\nContent-Type: {content_type}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            log.status(Some(*status));
            client.stream.write_all(answer.as_bytes()).await?;
            return client.stream.shutdown().await;
        }
        _ => {}
    }
    let is_head = head.start.starts_with("HEAD ");
    head.set_close();
    let mut moto = Conn::new(TcpStream::connect(("127.0.0.1", upstream)).await?);
    moto.stream.write_all(&head.to_bytes()).await?;
    moto.stream.write_all(&raw).await?;
    let mut response = moto.head().await?;
    let (raw, _) = if is_head {
        (Vec::new(), Vec::new())
    } else {
        moto.body(&response, true).await?
    };
    response.set_close();
    let status = response
        .start
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok());
    let out = &mut client.stream;
    if let Some(Fault::ResetAfterForward) = fault {
        log.status(None);
        return reset(out);
    }
    if let Some(Fault::ResetMidBody { after }) = fault {
        log.status(None);
        out.write_all(&response.to_bytes()).await?;
        out.write_all(&raw[..after.min(raw.len() / 2)]).await?;
        out.flush().await?;
        // Let the client read what was sent before the reset discards it.
        tokio::time::sleep(Duration::from_millis(50)).await;
        return reset(out);
    }
    log.status(status);
    out.write_all(&response.to_bytes()).await?;
    match fault {
        Some(Fault::SlowBody { piece, delay }) => {
            for chunk in raw.chunks(piece.max(1)) {
                tokio::time::sleep(delay).await;
                out.write_all(chunk).await?;
                out.flush().await?;
            }
        }
        _ => out.write_all(&raw).await?,
    }
    out.shutdown().await
}

/// Makes the socket close with a TCP reset rather than an orderly end of stream; the reset is
/// sent when the connection is dropped, at the end of [`serve`].
fn reset(stream: &TcpStream) -> io::Result<()> {
    stream.set_zero_linger()
}

/// A message head: start line and headers in order.
#[derive(Debug)]
struct Head {
    start: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    fn set_close(&mut self) {
        self.remove("connection");
        self.remove("keep-alive");
        self.headers
            .push(("Connection".to_owned(), "close".to_owned()));
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (n, v) in &self.headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// A connection with the bytes read from it but not consumed yet.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Reads more; false at end of stream.
    async fn more(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// Takes the bytes up to and including `delim`.
    async fn until(&mut self, delim: &[u8]) -> io::Result<Vec<u8>> {
        loop {
            if let Some(at) = self.buf.windows(delim.len()).position(|w| w == delim) {
                return Ok(self.buf.drain(..at + delim.len()).collect());
            }
            if self.buf.len() > 1 << 20 || !self.more().await? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    async fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if !self.more().await? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    async fn head(&mut self) -> io::Result<Head> {
        let bytes = self.until(b"\r\n\r\n").await?;
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
        let start = lines.next().unwrap_or("").to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_owned(), v.trim().to_owned()))
            .collect();
        Ok(Head { start, headers })
    }

    /// Reads a body framed as `head` says: chunked, `Content-Length`, or (a `response` without
    /// either) until the peer closes. Answers the raw bytes (framing kept) and the content.
    async fn body(&mut self, head: &Head, response: bool) -> io::Result<(Vec<u8>, Vec<u8>)> {
        let status = head.start.split(' ').nth(1).unwrap_or("");
        if response && (status.starts_with('1') || status == "204" || status == "304") {
            return Ok((Vec::new(), Vec::new()));
        }
        let chunked = head
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        if chunked {
            let (mut raw, mut content) = (Vec::new(), Vec::new());
            loop {
                let line = self.until(b"\r\n").await?;
                raw.extend_from_slice(&line);
                let size = String::from_utf8_lossy(&line);
                let size = size.trim().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(size.trim(), 16)
                    .map_err(|_| io::Error::other(format!("bad chunk size {size:?}")))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        let line = self.until(b"\r\n").await?;
                        raw.extend_from_slice(&line);
                        if line == b"\r\n" {
                            return Ok((raw, content));
                        }
                    }
                }
                let data = self.take(size + 2).await?;
                content.extend_from_slice(&data[..size]);
                raw.extend_from_slice(&data);
            }
        }
        if let Some(length) = head.header("content-length") {
            let n = length
                .parse()
                .map_err(|_| io::Error::other(format!("bad content-length {length:?}")))?;
            let body = self.take(n).await?;
            return Ok((body.clone(), body));
        }
        if response {
            while self.more().await? {}
            let body = std::mem::take(&mut self.buf);
            return Ok((body.clone(), body));
        }
        Ok((Vec::new(), Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, target: &str, body: &str) -> Exchange {
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
        let cases = [
            (&get, request("GET", "/trail/AWSLogs/x.json.gz", ""), true),
            (&get, request("GET", "/trail/k?versionId=1", ""), true),
            (&get, request("GET", "/trail/?list-type=2", ""), false),
            (&get, request("GET", "/trail", ""), false),
            (&get, request("GET", "/trailing/k", ""), false),
            (&get, request("HEAD", "/trail/k", ""), false),
            (
                &publish,
                request("POST", "/", "Action=PublishBatch&Version=2010-03-31"),
                true,
            ),
            (
                &publish,
                request("POST", "/", "Version=1&Action=PublishBatch"),
                true,
            ),
            (
                &publish,
                request("POST", "/", "Action=Publish&Version=1"),
                false,
            ),
            (
                &publish,
                request("POST", "/", "Action=PublishBatchX"),
                false,
            ),
            (&publish, request("GET", "/?Action=PublishBatch", ""), false),
            (&Match::Any, request("PUT", "/b/k", ""), true),
        ];
        for (rule, exchange, want) in cases {
            assert_eq!(rule.matches(&exchange), want, "{rule:?} {exchange:?}");
        }
    }

    #[test]
    fn a_rule_hits_the_matching_requests_after_skip_for_times() {
        let state = Mutex::new(State::default());
        let publish = || request("POST", "/", "Action=PublishBatch");
        state.lock().unwrap().rules.push(Slot {
            rule: Rule::new(Match::sns_publish_batch(), Fault::Reset)
                .skip(2)
                .times(2),
            seen: 0,
            injected: 0,
            lifted: false,
        });
        let hits: Vec<bool> = (0..6)
            .map(|_| decide(&state, &mut publish()).is_some())
            .collect();
        assert_eq!(hits, [false, false, true, true, false, false]);
        assert!(decide(&state, &mut request("GET", "/b/k", "")).is_none());
        let slot = &state.lock().unwrap().rules[0];
        assert_eq!((slot.seen, slot.injected), (6, 2));
    }
}
