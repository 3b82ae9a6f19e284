//! The scan's end of the pump's channel: [`ChannelReader`], the blocking `Read` the scan's
//! decompress thread reads the body through.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::{Buf, Bytes};
use tokio::sync::{mpsc, watch};

use super::{request_stop, Stop};

/// A `Read` over chunks arriving on a channel; blocks the (blocking-pool) thread while waiting.
/// A stop makes every later read fail. The reader watches the deadline itself too: the pump
/// only sees it while the body is still arriving, and a body that arrived whole (an API-call
/// event, a small object) can take longer to scan than the time left.
pub(super) struct ChannelReader {
    pub(super) rx: mpsc::Receiver<io::Result<Bytes>>,
    pub(super) current: Bytes,
    /// The body's error, once one came: every later read fails with it too, so a reset never
    /// reads as a clean end of a shorter object.
    pub(super) failed: Option<String>,
    pub(super) stop: watch::Receiver<Option<Stop>>,
    pub(super) stopper: Arc<watch::Sender<Option<Stop>>>,
    pub(super) deadline: Option<std::time::Instant>,
}

impl ChannelReader {
    fn stopped(&self) -> io::Result<()> {
        if self
            .deadline
            .is_some_and(|at| std::time::Instant::now() >= at)
        {
            request_stop(&self.stopper, Stop::Deadline);
        }
        match &*self.stop.borrow() {
            None => Ok(()),
            // Not `Interrupted`: readers retry that kind.
            Some(stop) => Err(io::Error::other(stop.to_string())),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stopped()?;
        if let Some(e) = &self.failed {
            return Err(io::Error::other(e.clone()));
        }
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => {
                    self.stopped()?;
                    return Ok(0);
                }
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => {
                    self.failed = Some(e.to_string());
                    return Err(e);
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}
