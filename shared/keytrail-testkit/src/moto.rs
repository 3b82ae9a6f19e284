//! One `moto_server` process: found in the project venv, started on a kernel-chosen loopback port,
//! waited for, and killed on drop.

use std::fs::{self, File};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use tempfile::TempDir;

use crate::http;

/// How long moto may take from spawn to answering `GET /moto-api/` (it needs about 2 s).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The region every client and resource of the kit uses.
const REGION: &str = "us-east-1";
/// What the werkzeug server under moto logs once its socket listens.
const LISTENING: &str = "Running on http://127.0.0.1:";

/// moto's own server entry point, plus a watchdog thread that exits as soon as stdin reaches EOF:
/// the test process holds the pipe's other end, so moto goes away with it however it dies. The
/// comment line keeps `pgrep -f moto_server` finding these processes.
const LAUNCHER: &str = "# moto_server started by keytrail-testkit
import os, sys, threading
def watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
";

/// A running `moto_server` (S3, SNS, SQS and the rest of moto) on `127.0.0.1`, private to its
/// owner, with an SDK configuration pointing at it. Dropping it kills the server.
pub struct Moto {
    server: Server,
    port: u16,
    sdk: SdkConfig,
}

impl Moto {
    /// Starts a fresh server and waits until it answers.
    ///
    /// Runs `infra/local/venv.sh` first (a no-op when `.venv` is current; it installs moto on a
    /// fresh machine), holding a file lock so parallel test processes do not install concurrently.
    /// Panics, with the end of moto's log, if the server does not come up within 30 seconds.
    pub async fn start() -> Moto {
        let (server, port) = blocking(start_server).await;
        let sdk = load_sdk_config(&format!("http://127.0.0.1:{port}")).await;
        Moto { server, port, sdk }
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// SDK configuration for this server: region `us-east-1`, static test credentials, endpoint
    /// URL set, the host's `AWS_*` environment and profile files ignored. Build any SDK client from
    /// it (for S3, prefer [`Moto::s3`], which also forces path-style addressing).
    pub fn sdk_config(&self) -> SdkConfig {
        self.sdk.clone()
    }

    /// Environment variables that point a child process (such as `cargo lambda watch`) at this
    /// server through the SDK's standard configuration.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ]
    }

    /// An S3 client for this server, with path-style addressing (`http://127.0.0.1:PORT/bucket`).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// An SNS client for this server.
    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk)
    }

    /// An SQS client for this server.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    /// A DynamoDB client for this server.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    /// Deletes every resource in the server (`POST /moto-api/reset`), as if freshly started.
    pub async fn reset(&self) {
        let port = self.port;
        match blocking(move || http::request(port, "POST", "/moto-api/reset")).await {
            Ok(200) => {}
            other => panic!("POST /moto-api/reset on moto at port {port} answered {other:?}"),
        }
    }

    /// moto's log (its stdout and stderr, including one line per request). It lives in a
    /// temporary directory that is removed with the [`Moto`].
    pub fn log_path(&self) -> &Path {
        &self.server.log
    }
}

/// The child process and its log; killing on drop lives here so that a `Moto::start` that panics
/// half-way does not leave the server behind either.
struct Server {
    child: Child,
    log: PathBuf,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Errors mean it has already exited: nothing left to clean up.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("--- end of the moto_server log ---\n{}", tail(&self.log));
        }
    }
}

fn start_server() -> (Server, u16) {
    let root = repo_root();
    ensure_venv(&root);
    let python = root.join(".venv/bin/python");
    let dir = tempfile::Builder::new()
        .prefix("keytrail-moto-")
        .tempdir()
        .expect("creating a temporary directory for the moto_server log");
    let log = dir.path().join("moto_server.log");
    let out = File::create(&log).expect("creating the moto_server log file");
    let err = out
        .try_clone()
        .expect("duplicating the moto_server log handle");
    let child = Command::new(&python)
        .arg("-c")
        .arg(LAUNCHER)
        // Port 0: the kernel picks a free port and moto logs it, so no other test can race for it.
        .args(["-H", "127.0.0.1", "-p", "0"])
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("starting moto_server with {}: {e}", python.display()));
    let mut server = Server {
        child,
        log,
        _dir: dir,
    };
    let port = wait_until_ready(&mut server);
    (server, port)
}

/// Waits for the "Running on" log line, then for `GET /moto-api/` to answer 200.
fn wait_until_ready(server: &mut Server) -> u16 {
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().expect("polling moto_server") {
            panic!(
                "moto_server exited ({status}) before it was ready; its log ends:\n{}",
                tail(&server.log)
            );
        }
        let port = fs::read(&server.log)
            .ok()
            .and_then(|log| listening_port(&log));
        if let Some(port) = port {
            if let Ok(200) = http::request(port, "GET", "/moto-api/") {
                return port;
            }
        }
        if started.elapsed() > START_TIMEOUT {
            panic!(
                "moto_server did not answer GET /moto-api/ within {START_TIMEOUT:?} (port from \
                 its log: {port:?}); its log ends:\n{}",
                tail(&server.log)
            );
        }
        thread::sleep(Duration::from_millis(25));
    }
}

fn listening_port(log: &[u8]) -> Option<u16> {
    let log = String::from_utf8_lossy(log);
    let rest = &log[log.find(LISTENING)? + LISTENING.len()..];
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..digits].parse().ok()
}

/// The last lines of a log, for failure messages.
fn tail(log: &Path) -> String {
    let text = fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The repository root: the nearest ancestor of the crate under test (else of this crate) that
/// holds both `Makefile` and `.ci`.
fn repo_root() -> PathBuf {
    let candidates = [
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    candidates
        .iter()
        .flatten()
        .flat_map(|dir| dir.ancestors())
        .find(|dir| dir.join("Makefile").is_file() && dir.join(".ci").is_dir())
        .unwrap_or_else(|| {
            panic!("no keytrail repository root (with Makefile and .ci) above {candidates:?}")
        })
        .to_path_buf()
}

/// Runs `infra/local/venv.sh` (idempotent, ~30 ms when the venv is current) under an exclusive
/// lock, so that only one of many test processes installs moto on a fresh machine and the others
/// wait for it.
fn ensure_venv(root: &Path) {
    let mut hasher = DefaultHasher::new();
    root.hash(&mut hasher);
    let lock_path =
        std::env::temp_dir().join(format!("keytrail-venv-{:016x}.lock", hasher.finish()));
    let lock = File::create(&lock_path)
        .unwrap_or_else(|e| panic!("creating the venv lock file {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("locking {}: {e}", lock_path.display()));
    let script = root.join("infra/local/venv.sh");
    let status = Command::new("bash")
        .arg(&script)
        .status()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        status.success(),
        "{} failed ({status}): it installs moto_server into .venv; run it by hand to see why",
        script.display()
    );
    // The lock is released when `lock` is dropped.
}

/// SDK configuration for an endpoint already running at `endpoint` (a `moto_server` someone else
/// started, as `make demo` does): what [`Moto::sdk_config`] is for its own server.
pub async fn sdk_config_at(endpoint: &str) -> SdkConfig {
    load_sdk_config(endpoint).await
}

pub(crate) async fn load_sdk_config(endpoint: &str) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .http_client(http)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "keytrail-testkit",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// Runs blocking work (process start, waits, the control API) off the async runtime's threads,
/// passing its panic on unchanged.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => panic!("blocking test-kit task did not finish: {e}"),
        },
    }
}
