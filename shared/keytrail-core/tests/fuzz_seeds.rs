//! The fuzz targets' short run, on stable: every file of `fuzz/corpus/<target>/` and a fixed set
//! of mutations of each (bit flips, truncations, duplicated and dropped ranges, spliced bytes)
//! through the same checks as the targets (`keytrail_core::fuzzing`). The long, coverage-guided
//! run is `make fuzz`; inputs it found to crash are pinned below as regression tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use keytrail_core::fuzzing::{Checked, Harness};

/// Mutations tried per seed file.
const MUTATIONS: usize = 160;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{}: too few seeds", dir.display());
    files
}

/// xorshift64*: deterministic, so a failure names a mutation that fails again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Mutation `k` of `seed`: one of six kinds, at positions drawn from `rng`.
fn mutate(seed: &[u8], k: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = seed.to_vec();
    let len = out.len();
    let at = rng.below(len);
    match k % 6 {
        0 => {
            // A few bit flips.
            for _ in 0..=rng.below(4) {
                let i = rng.below(len);
                if let Some(b) = out.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        1 => out.truncate(at),
        2 => {
            // A range duplicated in place.
            let end = (at + 1 + rng.below(64)).min(len);
            let copy = out[at..end].to_vec();
            out.splice(at..at, copy);
        }
        3 => {
            let end = (at + 1 + rng.below(64)).min(len);
            out.drain(at..end);
        }
        4 => {
            // A byte that matters to a parser, inserted.
            let special = b"{}[]\",:\\\n\x00\xff\x1f\x8b-#&*";
            out.insert(at, special[rng.below(special.len())]);
        }
        _ => {
            // The whole seed repeated (multi-member gzip, NDJSON, duplicate keys).
            out.extend_from_slice(seed);
            out.truncate(at + len);
        }
    }
    out
}

fn run(target: &str, check: impl Fn(&[u8]) -> Checked) {
    let mut rng = Rng(0x6b65_7974_7261_696c); // "keytrail"
    let mut failures = Vec::new();
    let mut inputs = 0;
    for path in corpus(target) {
        let seed = fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut one = |label: String, input: &[u8]| {
            inputs += 1;
            if let Err(why) = check(input) {
                failures.push(format!("{label}: {why}"));
            }
        };
        one(name.clone(), &seed);
        for k in 0..MUTATIONS {
            let input = mutate(&seed, k, &mut rng);
            one(format!("{name} mutation {k}"), &input);
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {inputs} inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn reader_seeds_and_mutations() {
    let harness = Harness::new().unwrap();
    run("reader", |data| harness.reader(data));
}

#[test]
fn rules_seeds_and_mutations() {
    let harness = Harness::new().unwrap();
    run("rules", |data| harness.rules(data));
}

#[test]
fn render_seeds_and_mutations() {
    let harness = Harness::new().unwrap();
    run("render", |data| harness.render(data));
}

/// Inputs that are no seed but every target must survive.
#[test]
fn degenerate_inputs() {
    let harness = Harness::new().unwrap();
    for input in [
        &b""[..],
        b" ",
        b"\x1f\x8b",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",
        b"null",
        b"{}",
        b"[]",
        b"{\"Records\":{}}",
        b"\xef\xbb\xbf",
        b"\xff\xfe\x00",
    ] {
        harness.reader(input).unwrap();
        harness.rules(input).unwrap();
        harness.render(input).unwrap();
    }
}

/// Found by `make fuzz` (reader, 2026-12-02): a gzip stream that decodes 7 bytes of non-JSON
/// and then ends inside its member. The pipelined reader said NotJson (it saw the 7 bytes first
/// and dropped the gzip fault while reading on for the message), the serial one TruncatedGzip.
#[test]
fn gzip_breaking_within_the_first_bytes_is_the_gzip_fault_for_every_reader() {
    let harness = Harness::new().unwrap();
    let crash: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xb3, 0x56, 0x59, 0x56, 0x72,
        0x57, 0x67, 0x2b, 0x26,
    ];
    harness.reader(crash).unwrap();
}

/// Found by `make fuzz` (reader, with the recovery check): a top-level array of EventBridge
/// envelopes where a deletion closes one envelope's `detail` early, so that the splitter, without
/// any fault, yields the envelope's next key as a record (`"detail-type"`, a bare string). Not an
/// event and never classified: the check holds only records the scan classifies to "known or
/// damaged" (it held every record to it, and failed). Kept in `fuzz/corpus/reader/`.
#[test]
fn a_damaged_structure_may_yield_values_that_are_not_events() {
    let harness = Harness::new().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/reader/recovery-structure-shift.bin");
    harness.reader(&fs::read(path).unwrap()).unwrap();
}

/// Found by `make fuzz` (reader, with the recovery check): damage leaves a lone 0x80 inside a
/// string of the record reading resumed at. The reader passes invalid UTF-8 through (the scan
/// reports such a record as a bad one), and resumes at it as at any event; the check parsed it
/// strictly, called it no event, and failed. Kept in `fuzz/corpus/reader/`.
#[test]
fn recovery_may_resume_at_a_record_with_invalid_utf8() {
    let harness = Harness::new().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/reader/recovery-invalid-utf8.bin");
    harness.reader(&fs::read(path).unwrap()).unwrap();
}
