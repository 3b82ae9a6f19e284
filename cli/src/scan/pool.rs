//! The worker pool: a fixed number of threads (`--jobs`) take the objects one after another and
//! scan them, each object's alerts streaming to the printer through a channel of the object's
//! own; [`InOrder`] hands the printer those channels in input order.
//!
//! Memory stays bounded by the number of jobs, not by the alerts an object raises: a worker
//! ahead of the object being printed fills its channel ([`OBJECT_BATCHES`] batches) and waits.
//! The printer owns the receivers, so when it stops early its drop of the channels of objects
//! not yet printed makes their workers' sends fail, and they stop instead of waiting for ever.
//! Once `stop` is set, workers take no new object and the one each is scanning ends soon (its
//! reader fails, see [`Stoppable`]).

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;

use keytrail_core::scan::AlertSink;

use super::batch::{Batcher, Message, OBJECT_BATCHES};
use super::target::{Finished, Target};

/// Scans one target, handing each alert to the sink; the stop flag says when to give up.
pub type ScanOne<'a> = dyn Fn(&Target, &AtomicBool, &mut dyn AlertSink) -> Finished + Sync + 'a;

/// Runs `jobs` workers over `targets` with `scan`, while `print` takes the objects' messages in
/// input order on this thread; returns what `print` returns once every worker has ended. With
/// `jsonl`, workers send the alerts as the JSONL lines the printer prints ([`Message::Lines`]).
pub fn run<T>(
    targets: &[Target],
    jobs: usize,
    jsonl: bool,
    stop: &AtomicBool,
    scan: &ScanOne<'_>,
    print: impl FnOnce(InOrder) -> T,
) -> T {
    let jobs = jobs.clamp(1, targets.len().max(1));
    let next = AtomicUsize::new(0);
    let (register, registered) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..jobs {
            let register = register.clone();
            let next = &next;
            scope.spawn(move || work(targets, next, stop, scan, &register, jsonl));
        }
        drop(register);
        print(InOrder {
            registered,
            waiting: BTreeMap::new(),
            next: 0,
        })
    })
}

/// One worker: objects one after another until none is left or the scan stops.
fn work(
    targets: &[Target],
    next: &AtomicUsize,
    stop: &AtomicBool,
    scan: &ScanOne<'_>,
    register: &mpsc::Sender<(usize, Receiver<Message>)>,
    jsonl: bool,
) {
    while !stop.load(Ordering::Relaxed) {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(target) = targets.get(i) else { break };
        let (tx, rx) = mpsc::sync_channel(OBJECT_BATCHES);
        if register.send((i, rx)).is_err() {
            break;
        }
        let mut batcher = Batcher::new(&tx, jsonl);
        let finished = scan(target, stop, &mut batcher);
        batcher.send();
        if tx.send(Message::Done(Box::new(finished))).is_err() {
            break;
        }
    }
}

/// The objects' channels in input order, for the printer.
pub struct InOrder {
    registered: Receiver<(usize, Receiver<Message>)>,
    waiting: BTreeMap<usize, Receiver<Message>>,
    next: usize,
}

impl InOrder {
    /// The next object's index and messages; `None` when no worker will scan it (every object
    /// is done, or the scan stopped).
    pub fn next_object(&mut self) -> Option<(usize, Receiver<Message>)> {
        loop {
            if let Some(rx) = self.waiting.remove(&self.next) {
                self.next += 1;
                return Some((self.next - 1, rx));
            }
            let (i, rx) = self.registered.recv().ok()?;
            self.waiting.insert(i, rx);
        }
    }
}

/// A reader that fails once `stop` is set, so that a scan in progress ends at its next read;
/// [`Stoppable::was_cut`] tells that fault from one of the object's own.
pub struct Stoppable<'a, R> {
    inner: R,
    stop: &'a AtomicBool,
    cut: bool,
}

impl<'a, R> Stoppable<'a, R> {
    /// Wraps `inner`.
    pub fn new(inner: R, stop: &'a AtomicBool) -> Self {
        Stoppable {
            inner,
            stop,
            cut: false,
        }
    }

    /// True when a read failed because of the stop.
    pub fn was_cut(&self) -> bool {
        self.cut
    }
}

impl<R: Read> Read for Stoppable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            self.cut = true;
            // Not `Interrupted`: readers retry that kind.
            return Err(io::Error::other("the scan was stopped"));
        }
        self.inner.read(buf)
    }
}
