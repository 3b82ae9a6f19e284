//! `keytrail bench floor`: the least any scan of an object can cost, to divide the scan by.
//!
//! A floor is honest only when nothing simple beats it, so it is the fastest
//! decompress-and-look-once found on the bench machine with the crates the scan uses:
//!
//! - **decompress**: `flate2::bufread::MultiGzDecoder` (zlib-rs, `runtime_detection`) over a
//!   `BufReader` of `--in-kib` on the file;
//! - **look once**: every decompressed byte is looked at once by a SIMD count of one byte value
//!   (`memchr`'s count: AVX2 on x86_64, NEON on aarch64), so nothing is optimised away;
//!   `--look sum` is the scalar byte-summing fold the first floor used, kept to compare;
//!   `--look sha256` hashes every byte instead (`integrity::LogHasher`, ring), the floor of a
//!   scan that also hashes the content for log file validation;
//! - **threads**: `--threads 1` reads `--out-kib` at a time and counts on the same thread;
//!   `--threads 2` decompresses on a second thread into `--out-kib` chunks handed over through a
//!   bounded channel (the scan's own pipeline, with nothing on the reading side but the count).
//!
//! `make bench` (bench/run.py) times several settings, among them the plain loop of issue 25
//! (128 KiB in, 256 KiB out, one thread, count), and divides by the fastest; the defaults are
//! the fastest one-thread setting measured (docs/performance.md).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use keytrail_core::integrity::LogHasher;

use super::{micros, report};

/// How every decompressed byte is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Look {
    /// A SIMD count of one byte value (`"`).
    Count,
    /// A scalar fold summing every byte (the first floor's).
    Sum,
    /// SHA-256 of every byte, as log file validation hashes it (what hashing costs on its own).
    Sha256,
}

/// `keytrail bench floor`'s arguments.
#[derive(Debug, Args)]
pub struct FloorArgs {
    /// The object.
    pub file: PathBuf,
    /// Compressed bytes buffered from the file (KiB).
    #[arg(long, default_value_t = 128)]
    pub in_kib: usize,
    /// Decompressed bytes read (and, with two threads, handed over) at a time (KiB).
    #[arg(long, default_value_t = 256)]
    pub out_kib: usize,
    /// How every byte is looked at.
    #[arg(long, value_enum, default_value_t = Look::Count)]
    pub look: Look,
    /// 1: decompress and look on one thread; 2: decompress on a thread of its own.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub threads: u8,
}

/// Chunks that may wait for the looking side (as many as the scan's pipe).
const IN_FLIGHT: usize = 4;

/// The raw multi-member decoder, without the reader's size cap: the bench only opens objects
/// it generated itself.
#[allow(clippy::disallowed_types)]
type Gunzip = flate2::bufread::MultiGzDecoder<BufReader<File>>;

#[allow(clippy::disallowed_types)] // see `Gunzip`
fn gunzip(path: &Path, in_bytes: usize) -> anyhow::Result<Gunzip> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(flate2::bufread::MultiGzDecoder::new(
        BufReader::with_capacity(in_bytes, file),
    ))
}

/// Runs the floor and prints its JSON line.
pub fn floor(args: &FloorArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let decoder = gunzip(&args.file, args.in_kib.max(1) << 10)?;
    let out = args.out_kib.max(1) << 10;
    let mut hasher = LogHasher::new();
    let (bytes, seen) = if args.threads == 2 {
        two_threads(decoder, out, args.look, &mut hasher)?
    } else {
        one_thread(decoder, out, args.look, &mut hasher)?
    };
    let seen = seen.wrapping_add(u64::from(hasher.finish().bytes()[0]));
    report(&[
        ("bytes", bytes),
        ("checksum", seen % 1000),
        ("micros", micros(start)),
    ])
}

/// What looking at `bytes` once gives, added to `seen`.
fn look(look: Look, bytes: &[u8], seen: u64, hasher: &mut LogHasher) -> u64 {
    match look {
        Look::Sha256 => {
            hasher.update(bytes);
            seen
        }
        Look::Count => seen.wrapping_add(memchr::memchr_iter(b'"', bytes).count() as u64),
        Look::Sum => bytes
            .iter()
            .fold(seen, |s, &b| s.wrapping_add(u64::from(b))),
    }
}

/// Decompresses and looks on this thread: (bytes, what was seen).
fn one_thread(
    mut decoder: Gunzip,
    out: usize,
    how: Look,
    hasher: &mut LogHasher,
) -> anyhow::Result<(u64, u64)> {
    let mut buf = vec![0u8; out];
    let (mut bytes, mut seen) = (0u64, 0u64);
    loop {
        let n = decoder.read(&mut buf)?;
        if n == 0 {
            return Ok((bytes, seen));
        }
        bytes += n as u64;
        seen = look(how, buf.get(..n).unwrap_or_default(), seen, hasher);
    }
}

/// Decompresses on a second thread into full chunks, looks at each here, and hands the chunk
/// back for reuse.
fn two_threads(
    mut decoder: Gunzip,
    out: usize,
    how: Look,
    hasher: &mut LogHasher,
) -> anyhow::Result<(u64, u64)> {
    let (tx, rx) = mpsc::sync_channel::<std::io::Result<(Vec<u8>, usize)>>(IN_FLIGHT);
    let (back, recycled) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
    thread::scope(|scope| {
        scope.spawn(move || loop {
            let mut chunk = recycled.try_recv().unwrap_or_else(|_| vec![0u8; out]);
            let mut len = 0;
            let result = loop {
                match decoder.read(chunk.get_mut(len..).unwrap_or_default()) {
                    Ok(0) => break Ok(0),
                    Ok(n) => {
                        len += n;
                        if len == chunk.len() {
                            break Ok(len);
                        }
                    }
                    Err(e) => break Err(e),
                }
            };
            let last = !matches!(result, Ok(n) if n > 0);
            if len > 0 && tx.send(Ok((chunk, len))).is_err() {
                return;
            }
            if last {
                let _ = tx.send(result.map(|_| (Vec::new(), 0)));
                return;
            }
        });
        let (mut bytes, mut seen) = (0u64, 0u64);
        for msg in rx {
            let (chunk, len) = msg?;
            if len == 0 {
                break;
            }
            bytes += len as u64;
            seen = look(how, chunk.get(..len).unwrap_or_default(), seen, hasher);
            let _ = back.try_send(chunk);
        }
        Ok((bytes, seen))
    })
}
