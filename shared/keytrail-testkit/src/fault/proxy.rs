//! The proxy itself: the listener, one task per connection, the rule decision, and the answer
//! with the fault applied.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::http::{Conn, Head};
use super::{Exchange, Fault, Rule, RuleId, Slot, State};
use crate::Moto;

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

#[cfg(test)]
mod tests {
    use super::super::tests::request;
    use super::super::Match;
    use super::*;

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
