//! Decompression on its own thread: the reader's second core.
//!
//! On two cores the reader decompresses on one and splits and classifies on the other. A scoped
//! thread owns the [`Decoder`] (sniffing, the size-capped decoder and its fault classification,
//! unchanged) and sends filled chunks through a bounded channel; the reader's
//! [`Buffer`](super::buffer::Buffer) reads them as if it read the source itself.
//!
//! - **Shared splitting**: gunzip alone is the lighter side, so the thread also notes each
//!   64-byte block's brackets outside strings and its string state
//!   ([`Structure`](super::blocks::Structure)), the vector half of the splitter's work; the
//!   reader uses a noted block only when its own state at the block agrees. Blocks are noted when
//!   the chunk size and the headroom are whole blocks (the default 128 KiB is).
//! - **Balance**: which side is slower depends on the rules and the host. When the reader has
//!   taken every chunk sent (it waits, or soon will), the thread notes nothing of the next one but
//!   the string state at its end ([`Structure::skip`], a third of the work), and the reader
//!   computes that chunk's blocks itself; while chunks wait for the reader, every one is noted.
//!
//! - **No bulk copy**: each chunk is filled after a headroom of [`headroom`] bytes, and the
//!   reader's buffer takes the chunk over ([`Pipe::adopt`]), copying only the bytes it keeps (the
//!   start of a record that runs on into the chunk) into the headroom; the chunk it had goes back
//!   to the thread. A kept part larger than the headroom is copied the old way ([`Pipe::read`]).
//! - **Bounded memory**: at most [`IN_FLIGHT`] chunks wait in the channel, one is being filled
//!   and one is being read; emptied chunks go back to the thread to be reused.
//! - **Same faults**: a fault travels in order after the data before it, with the counters the
//!   thread saw, so it names the same offsets and every record before it is still delivered.
//! - **Early stop**: when the reader is dropped, the thread's next send fails and it returns; the
//!   scope then joins it. Neither side ever waits on the other while holding something it needs.
//! - **Hashing**: given a [`ContentHasher`], the thread hashes each chunk it fills and reads on
//!   to the end after the reader is gone, so the hash covers the whole content (see
//!   [`super::hashing`]).

use std::io::Read;
use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::{self, Scope, ScopedJoinHandle};

use super::blocks::{Carry, Structure, BLOCK};
use super::decompress::Decoder;
use super::error::{Fault, ReadErrorKind};
use super::hashing::{drain, unhashed, Hashed};
use super::Compression;
use crate::integrity::ContentHasher;

/// Which chunks the thread notes the blocks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notes {
    /// Those the reader does not wait for (see "Balance" above): what readers use.
    Balanced,
    /// Every chunk (tests: the reader uses the notes throughout).
    #[cfg(test)]
    Every,
    /// None (tests: the reader computes every block, with the string state still carried).
    #[cfg(test)]
    Skipped,
}

/// Filled chunks that may wait for the reader.
pub(crate) const IN_FLIGHT: usize = 4;

/// Bytes left free at the front of each chunk for the reader's kept bytes: half a chunk.
pub(crate) fn headroom(chunk: usize) -> usize {
    chunk / 2
}

/// What [`Pipe::adopt`] did.
#[derive(Debug)]
pub(crate) enum Adopted {
    /// The next chunk, with the kept bytes copied in front of its data: `data[start..end]` is
    /// the kept bytes followed by the new ones (at `start + kept`).
    Chunk {
        data: Vec<u8>,
        /// What the thread noted of the chunk's blocks, from [`headroom`] on.
        structure: Structure,
        start: usize,
        end: usize,
    },
    /// The kept bytes do not fit in the chunk's headroom; nothing was taken.
    NoRoom,
    /// The end of the input.
    End,
}

/// One step of the thread's output: bytes, the end (`Ok(0)`) or the fault that ended it.
#[derive(Debug)]
struct Msg {
    data: Vec<u8>,
    /// What the thread noted of `data`'s blocks (empty when the chunk size is not a whole
    /// number of blocks).
    structure: Structure,
    result: Result<usize, Fault>,
    read_bytes: u64,
    gzip_consumed: Option<u64>,
    compression: Option<Compression>,
}

/// The reader's end of the pipe.
#[derive(Debug)]
pub(crate) struct Pipe {
    rx: Receiver<Msg>,
    back: SyncSender<(Vec<u8>, Structure)>,
    /// Chunks of data sent and not yet taken (see "Balance" above).
    queued: Arc<AtomicUsize>,
    current: Vec<u8>,
    structure: Structure,
    pos: usize,
    len: usize,
    done: bool,
    /// Bytes of data per chunk (after the headroom).
    chunk: usize,
    /// Counters as of the last chunk taken from the channel.
    pub read_bytes: u64,
    pub gzip_consumed: Option<u64>,
    pub compression: Option<Compression>,
}

impl Pipe {
    /// Starts the decompress thread in `scope`, reading `chunk` bytes at a time and feeding
    /// `hasher`, when given, every byte it decompresses; the thread's handle returns the hash.
    pub fn spawn<'scope, R: Read + Send + 'scope>(
        scope: &'scope Scope<'scope, '_>,
        input: R,
        max_decompressed: u64,
        chunk: usize,
        notes: Notes,
        hasher: Option<ContentHasher>,
    ) -> (Pipe, Option<ScopedJoinHandle<'scope, Hashed>>) {
        let chunk = chunk.max(1);
        let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
        let (back, recycled) = mpsc::sync_channel(IN_FLIGHT + 1);
        let spare = tx.clone();
        let queued = Arc::new(AtomicUsize::new(0));
        let sent = Arc::clone(&queued);
        let spawned = thread::Builder::new()
            .name("keytrail-gunzip".to_owned())
            .spawn_scoped(scope, move || {
                let sides = Sides {
                    tx: &tx,
                    recycled: &recycled,
                    queued: &sent,
                    notes,
                };
                produce(input, max_decompressed, chunk, &sides, hasher)
            });
        let thread = match spawned {
            Ok(thread) => Some(thread),
            Err(e) => {
                // The channel is empty and has room: this send cannot block.
                let _ = spare.send(Msg {
                    data: Vec::new(),
                    structure: Structure::default(),
                    result: Err(Fault::new(
                        ReadErrorKind::Io,
                        0,
                        format!("could not start the decompress thread ({e})"),
                        "the process is out of threads or memory; retry",
                    )),
                    read_bytes: 0,
                    gzip_consumed: None,
                    compression: None,
                });
                None
            }
        };
        drop(spare);
        let pipe = Pipe {
            rx,
            back,
            queued,
            current: Vec::new(),
            structure: Structure::default(),
            pos: 0,
            len: 0,
            done: false,
            chunk,
            read_bytes: 0,
            gzip_consumed: None,
            compression: None,
        };
        (pipe, thread)
    }

    /// Copies the next bytes into `buf`; `Ok(0)` is the end. `at` names the offset of a fault
    /// that the thread could not report itself (it died).
    pub fn read(&mut self, buf: &mut [u8], at: u64) -> Result<usize, Fault> {
        if !self.ready(at)? {
            return Ok(0);
        }
        let avail = self.current.get(self.pos..self.len).unwrap_or_default();
        let n = avail.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }

    /// Takes over the next bytes as a whole chunk, with `kept` copied just before them (see
    /// [`Adopted`]); `at` as for [`Pipe::read`].
    pub fn adopt(&mut self, kept: &[u8], at: u64) -> Result<Adopted, Fault> {
        if !self.ready(at)? {
            return Ok(Adopted::End);
        }
        let Some(start) = self.pos.checked_sub(kept.len()) else {
            return Ok(Adopted::NoRoom);
        };
        if let Some(room) = self.current.get_mut(start..self.pos) {
            room.copy_from_slice(kept);
        }
        let end = self.len;
        self.pos = 0;
        self.len = 0;
        Ok(Adopted::Chunk {
            data: mem::take(&mut self.current),
            structure: mem::take(&mut self.structure),
            start,
            end,
        })
    }

    /// Gives a buffer back to the thread for reuse; one larger than a chunk is dropped, so a
    /// huge record's buffer is not kept for the rest of the object.
    pub fn recycle(&mut self, data: Vec<u8>, structure: Structure) {
        if data.capacity() > 0 && data.capacity() <= self.chunk + headroom(self.chunk) {
            // Never blocks: a full return channel just drops the buffer.
            let _ = self.back.try_send((data, structure));
        }
    }

    /// True once `current` has unread bytes; false at the end.
    fn ready(&mut self, at: u64) -> Result<bool, Fault> {
        loop {
            if self.pos < self.len {
                return Ok(true);
            }
            if self.done {
                return Ok(false);
            }
            if self.current.capacity() > 0 {
                // Never blocks: a full return channel just drops the chunk.
                let chunk = (mem::take(&mut self.current), mem::take(&mut self.structure));
                let _ = self.back.try_send(chunk);
            }
            let Ok(msg) = self.rx.recv() else {
                self.done = true;
                return Err(Fault::new(
                    ReadErrorKind::Io,
                    at,
                    "the decompress thread stopped without a result".to_owned(),
                    "this is a bug in keytrail; retry, and report it if it happens again",
                ));
            };
            self.read_bytes = msg.read_bytes;
            self.gzip_consumed = msg.gzip_consumed;
            self.compression = msg.compression.or(self.compression);
            match msg.result {
                Ok(0) => self.done = true,
                Ok(n) => {
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    self.current = msg.data;
                    self.structure = msg.structure;
                    self.pos = headroom(self.chunk);
                    self.len = self.pos + n;
                }
                Err(fault) => {
                    self.done = true;
                    return Err(fault);
                }
            }
        }
    }
}

/// The thread's ends of the channels, and what it notes.
struct Sides<'a> {
    tx: &'a SyncSender<Msg>,
    recycled: &'a Receiver<(Vec<u8>, Structure)>,
    queued: &'a AtomicUsize,
    notes: Notes,
}

impl Sides<'_> {
    /// Whether to note the blocks of the chunk about to be sent.
    fn note(&self) -> bool {
        match self.notes {
            Notes::Balanced => self.queued.load(Ordering::Relaxed) > 0,
            #[cfg(test)]
            Notes::Every => true,
            #[cfg(test)]
            Notes::Skipped => false,
        }
    }
}

/// The thread: open the source, then send full chunks until the end or a fault, hashing them
/// when given a hasher (then reading on to the end when the reader is gone).
fn produce<R: Read>(
    input: R,
    max_decompressed: u64,
    chunk: usize,
    sides: &Sides<'_>,
    mut hasher: Option<ContentHasher>,
) -> Hashed {
    let Sides {
        tx,
        recycled,
        queued,
        ..
    } = *sides;
    let mut source = match Decoder::open(input, max_decompressed, chunk) {
        Ok(source) => source,
        Err(fault) => {
            let hashed = hasher.map(|_| Err(unhashed(&fault, max_decompressed)));
            let _ = tx.send(Msg {
                data: Vec::new(),
                structure: Structure::default(),
                result: Err(fault),
                read_bytes: 0,
                gzip_consumed: None,
                compression: None,
            });
            return hashed;
        }
    };
    let compression = Some(source.compression());
    let room = headroom(chunk);
    // Blocks are noted only when every chunk starts on a block of the stream and of its buffer.
    let aligned = chunk.is_multiple_of(BLOCK) && room.is_multiple_of(BLOCK);
    let mut carry = Carry::default();
    let mut at = 0u64;
    loop {
        let (mut data, mut structure) = recycled.try_recv().unwrap_or_default();
        data.resize(room + chunk, 0);
        let mut len = 0;
        let mut end = None;
        while len < chunk {
            let free = data.get_mut(room + len..).unwrap_or_default();
            match source.read(free, at + len as u64) {
                Ok(0) => {
                    end = Some(Ok(0));
                    break;
                }
                Ok(n) => len += n,
                Err(fault) => {
                    end = Some(Err(fault));
                    break;
                }
            }
        }
        at += len as u64;
        let new = data.get(room..room + len).unwrap_or_default();
        if let Some(hasher) = &mut hasher {
            hasher.update(new);
        }
        if !aligned {
            structure = Structure::default();
        } else if sides.note() {
            structure.note(new, &mut carry);
        } else {
            structure.skip(new, &mut carry);
        }
        let msg = |data, structure, result| Msg {
            data,
            structure,
            result,
            read_bytes: source.read_bytes(),
            gzip_consumed: source.gzip_consumed(),
            compression,
        };
        if let Some(result) = end {
            let hashed = hasher.map(|hasher| match &result {
                Ok(_) => hasher.finish(),
                Err(fault) => Err(unhashed(fault, max_decompressed)),
            });
            if len > 0 {
                queued.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(msg(data, structure, Ok(len)));
            }
            let _ = tx.send(msg(Vec::new(), Structure::default(), result));
            return hashed;
        }
        if len > 0 {
            queued.fetch_add(1, Ordering::Relaxed);
            if let Err(mpsc::SendError(mut sent)) = tx.send(msg(data, structure, Ok(len))) {
                // The reader is gone: the hash, if any, still needs the rest of the content.
                return hasher.map(|hasher| {
                    drain(&mut source, &mut sent.data, at, hasher, max_decompressed)
                });
            }
        }
    }
}
