//! The splitter's block paths against its byte walk, on long runs of random values: intact and
//! damaged, whole and cut at every size, with the decompress thread's notes and without.

use crate::read::blocks::{Carry, Structure, BLOCK};
use crate::read::split::{Step, ValueScan};

/// The next xorshift64 number.
fn xorshift(rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    *rng
}

/// Overwrites one byte of `bytes` (not empty): a stray byte, a lost quote or bracket, a new
/// backslash.
fn damage(rng: &mut u64, bytes: &mut [u8]) {
    let r = xorshift(rng);
    let at = (r >> 8) as usize % bytes.len();
    bytes[at] = b"@\\\"}]{[\x01 \xff"[(r % 10) as usize];
}

/// A pseudo-random JSON value of about `budget` bytes, heavy on what the block path must get
/// right: backslash runs, escaped quotes, brackets inside strings, nesting.
fn random_value(rng: &mut u64, budget: usize, depth: usize, out: &mut Vec<u8>) {
    let mut next = |n: u64| xorshift(rng) % n;
    // The value itself is a container, as records are; inside, anything.
    let kind = match depth {
        0 => 3 + next(2),
        _ if depth > 6 || budget < 8 => next(3),
        _ => next(5),
    };
    match kind {
        0 => {
            out.push(b'"');
            for _ in 0..next(40) {
                let piece: &[u8] = match next(9) {
                    0 => b"\\\\",
                    1 => b"\\\"",
                    2 => b"{[",
                    3 => b"]}",
                    4 => b"\\u0041",
                    5 => b"\xc3\xa9",
                    6 => b"\\\\\\\"",
                    _ => b"abcdefgh",
                };
                out.extend_from_slice(piece);
            }
            out.push(b'"');
        }
        1 => out.extend_from_slice(b"-12.5e+3"),
        2 => out.extend_from_slice([&b"true"[..], b"false", b"null"][next(3) as usize]),
        kind => {
            let (open, close) = if kind == 3 {
                (b'{', b'}')
            } else {
                (b'[', b']')
            };
            out.push(open);
            let n = next(if depth == 0 { 12 } else { 6 });
            for k in 0..n {
                if k > 0 {
                    out.push(b',');
                }
                if kind == 3 {
                    out.extend_from_slice(b"\"key\\\\\":");
                }
                random_value(rng, budget / (n as usize + 1), depth + 1, out);
            }
            out.push(close);
        }
    }
}

/// Scans the value at `start` of `stream`, fed `chunk` bytes at a time (with the blocks
/// noted over the whole stream, as the decompress thread notes them, when `noted`): the
/// outcome and the closes.
fn outcome(stream: &[u8], start: usize, chunk: usize, noted: bool) -> (String, Vec<u32>) {
    let mut structure = Structure::default();
    structure.note(stream, &mut Carry::default());
    let noted = noted.then_some((&structure, 0));
    let mut scan = ValueScan::default();
    scan.reset(1);
    let mut i = start;
    let mut avail = (start + chunk).min(stream.len());
    loop {
        match scan.scan_noted(&stream[..avail], i, 10, noted) {
            Step::More(next) if avail < stream.len() => {
                i = next;
                avail = (avail + chunk).min(stream.len());
            }
            step => return (format!("{step:?}"), scan.closes().to_vec()),
        }
    }
}

/// The block path and the byte walk agree on every value, intact or damaged: chunks of one
/// byte never give the block path a whole block; the whole value at once mostly does;
/// chunks of 100 hand over between the two mid-value.
#[test]
fn blocks_and_the_byte_walk_agree() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut damaged = 0;
    for round in 0..3000 {
        let mut value = Vec::new();
        random_value(&mut rng, 4000, 0, &mut value);
        if round % 2 == 1 && !value.is_empty() {
            damage(&mut rng, &mut value);
            damaged += 1;
        }
        value.extend_from_slice(b" ,tail");
        let want = outcome(&value, 0, 1, false);
        for chunk in [value.len(), 100, 64, 65] {
            assert_eq!(
                outcome(&value, 0, chunk, false),
                want,
                "chunks of {chunk}: {}",
                String::from_utf8_lossy(&value)
            );
        }
    }
    assert!(damaged > 1000);
}

/// With the blocks the thread noted over a whole stream of values, every value scans as the
/// byte walk scans it: where the thread's view holds (the values before any damage), its
/// brackets are used; after a damaged value its string state may differ from the reader's,
/// and the reader's own blocks and the byte walk take over.
#[test]
fn noted_blocks_and_the_byte_walk_agree() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for round in 0..300 {
        let mut stream = b"[".to_vec();
        let mut starts = Vec::new();
        for k in 0..12 {
            if k > 0 {
                stream.push(b',');
            }
            starts.push(stream.len());
            random_value(&mut rng, 3000, 0, &mut stream);
        }
        stream.push(b']');
        if round % 3 == 2 {
            damage(&mut rng, &mut stream);
        }
        if round == 0 {
            // A lone quote first: the thread then sees every later block inside out, and
            // plain (the strings hold only letters), so only the state check keeps its
            // brackets out.
            let mut odd = b"\"".to_vec();
            odd.resize(BLOCK, b' ');
            starts = vec![odd.len()];
            odd.push(b'{');
            for k in 0..20 {
                odd.extend_from_slice(format!("\"key{k}\":[{{\"a\":\"bcd\"}}],").as_bytes());
            }
            odd.extend_from_slice(b"\"z\":1} ");
            stream = odd;
        }
        for &start in &starts {
            let want = outcome(&stream, start, 1, false);
            for chunk in [stream.len(), 100, 64, 1000] {
                assert_eq!(
                    outcome(&stream, start, chunk, true),
                    want,
                    "round {round}, value at {start}, chunks of {chunk}"
                );
            }
        }
    }
}
