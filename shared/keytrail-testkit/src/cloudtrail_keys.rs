//! A stand-in for CloudTrail's `ListPublicKeys`, the one CloudTrail call integrity validation
//! needs and that moto does not implement.
//!
//! It speaks the real wire protocol on a loopback port, so the code under test calls it through
//! the real `aws-sdk-cloudtrail` client: AWS JSON 1.1, `POST /` with
//! `X-Amz-Target: CloudTrail_20131101.ListPublicKeys` (the operation's shape id is
//! `com.amazonaws.cloudtrail.v20131101#ListPublicKeys`; the header names the service's short
//! name, as the SDK sends it) and a body `{"StartTime": epoch, "EndTime": epoch}` (both optional), answered with
//! `{"PublicKeyList": [{"Value": base64 DER, "ValidityStartTime": epoch, "ValidityEndTime":
//! epoch, "Fingerprint": hex}]}`: the keys whose validity overlaps the range (a missing bound is
//! the current time, as the API reference says). Any other target gets the error answer a real
//! endpoint gives an unknown operation. Every request's range is recorded
//! ([`CloudTrailKeys::requests`]) so a test can check what was asked.
//!
//! Point a client at it with [`CloudTrailKeys::sdk_config`], or a child process with
//! `AWS_ENDPOINT_URL_CLOUDTRAIL` (the SDK's service-specific endpoint variable) while
//! `AWS_ENDPOINT_URL` stays on moto.

use std::io;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use base64::Engine as _;
use keytrail_core::integrity::Timestamp;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::fault::http::Conn;
use crate::trail::ListedKey;

const TARGET: &str = "CloudTrail_20131101.ListPublicKeys";

/// The time range of one `ListPublicKeys` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRequest {
    /// `StartTime`, when given.
    pub start: Option<Timestamp>,
    /// `EndTime`, when given.
    pub end: Option<Timestamp>,
}

/// The stand-in: serving its keys on a loopback port until dropped.
#[derive(Debug)]
pub struct CloudTrailKeys {
    port: u16,
    requests: Arc<Mutex<Vec<KeyRequest>>>,
    accept: JoinHandle<()>,
}

impl Drop for CloudTrailKeys {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl CloudTrailKeys {
    /// Serves `keys` on `127.0.0.1:0` (a free port the kernel picks).
    pub async fn start(keys: Vec<ListedKey>) -> CloudTrailKeys {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("binding the ListPublicKeys stand-in on 127.0.0.1:0");
        let port = listener.local_addr().expect("stand-in address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (keys, log) = (Arc::new(keys), Arc::clone(&requests));
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (keys, log) = (Arc::clone(&keys), Arc::clone(&log));
                tokio::spawn(async move {
                    // A client that hangs up mid-request ends only its own exchange.
                    let _ = serve(client, &keys, &log).await;
                });
            }
        });
        CloudTrailKeys {
            port,
            requests,
            accept,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SDK configuration for the stand-in: moto's (region `us-east-1`, static test credentials,
    /// host environment ignored) with the endpoint here.
    pub async fn sdk_config(&self) -> SdkConfig {
        crate::moto::load_sdk_config(&self.url()).await
    }

    /// The range of every request so far, in order.
    pub fn requests(&self) -> Vec<KeyRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Answers one request, then closes.
async fn serve(
    client: TcpStream,
    keys: &[ListedKey],
    log: &Mutex<Vec<KeyRequest>>,
) -> io::Result<()> {
    let mut conn = Conn::new(client);
    let head = conn.head().await?;
    let (_, body) = conn.body(&head, false).await?;
    let target = head.header("x-amz-target").unwrap_or("");
    let (status, answer) = if head.start.starts_with("POST ") && target == TARGET {
        let request = parse_request(&body);
        log.lock().unwrap_or_else(|e| e.into_inner()).push(request);
        (200, list(keys, request))
    } else {
        let message = format!("the ListPublicKeys stand-in answers only {TARGET}, not {target:?}");
        let error = json!({"__type": "UnknownOperationException", "message": message});
        (400, error)
    };
    let body = answer.to_string();
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Bad Request" },
        body.len()
    );
    conn.stream.write_all(response.as_bytes()).await?;
    conn.stream.shutdown().await
}

fn parse_request(body: &[u8]) -> KeyRequest {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let time = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_f64)
            .map(|s| Timestamp::from_epoch(s.floor() as i64))
    };
    KeyRequest {
        start: time("StartTime"),
        end: time("EndTime"),
    }
}

fn list(keys: &[ListedKey], request: KeyRequest) -> Value {
    let now = Timestamp::from_epoch(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    );
    let (start, end) = (request.start.unwrap_or(now), request.end.unwrap_or(now));
    let list: Vec<Value> = keys
        .iter()
        .filter(|k| k.valid_from <= end && start <= k.valid_until)
        .map(|k| {
            json!({
                "Value": base64::engine::general_purpose::STANDARD.encode(&k.der),
                "ValidityStartTime": k.valid_from.epoch() as f64,
                "ValidityEndTime": k.valid_until.epoch() as f64,
                "Fingerprint": k.fingerprint,
            })
        })
        .collect();
    json!({ "PublicKeyList": list })
}
