//! Skipped chunks (the decompress thread's cheaper path) against noted ones, on long runs of
//! random bytes: the string state carried across must be the same.

use crate::read::blocks::{Carry, Structure, BLOCK, GROUP};

/// Notes `data` from `noted` and skips it from `skipped`: whether the noted state moved
/// into or out of a string, or what differs between the two (a skip notes nothing).
fn note_and_skip(
    data: &[u8],
    structure: &mut Structure,
    noted: &mut Carry,
    skipped: &mut Carry,
) -> Result<bool, String> {
    let before = noted.in_string();
    structure.note(data, noted);
    structure.skip(data, skipped);
    if !structure.is_empty() {
        return Err("a skip noted blocks".to_owned());
    }
    let (a, b) = (
        (noted.in_string(), noted.escaped()),
        (skipped.in_string(), skipped.escaped()),
    );
    if a != b {
        return Err(format!("noted (in string, escaped) {a:?}, skipped {b:?}"));
    }
    Ok(before != noted.in_string())
}

/// A skipped chunk leaves the string state as a noted one does, block after block, through
/// quotes, backslash runs and escaped quotes at every offset.
#[test]
fn skipping_blocks_carries_the_state_noting_them_does() {
    let mut x = 7u64;
    let data: Vec<u8> = (0..BLOCK * 400)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            b"\"\\\\ab{}:"[(x >> 59) as usize % 8]
        })
        .collect();
    let (mut noted, mut skipped) = (Carry::default(), Carry::default());
    let mut structure = Structure::default();
    let mut changes = 0;
    for (k, block) in data.chunks_exact(BLOCK).enumerate() {
        let moved = note_and_skip(block, &mut structure, &mut noted, &mut skipped);
        changes += usize::from(moved.unwrap_or_else(|e| panic!("block {k}: {e}")));
    }
    // The data does move the state across block boundaries, both ways.
    assert!(changes > 50, "{changes}");
}

/// Chunks skipped whole (groups of four blocks with no backslash take the quote-parity
/// shortcut, the others block by block) leave the string state a noted chunk does: regions
/// with no backslash, sparse ones, dense ones, and a backslash at the end of a group.
#[test]
fn skipping_whole_chunks_carries_the_state_noting_them_does() {
    let mut x = 11u64;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut data = Vec::new();
    for region in 0..600 {
        // One region in three has no backslash at all; the rest 1 in 8 or 1 in 200.
        let per = [0, 8, 200][region % 3];
        for _ in 0..(1 + next(4)) * 64 + next(300) {
            data.push(match next(10) {
                _ if per > 0 && next(per) == 0 => b'\\',
                0..=2 => b'"',
                _ => b"ab{}:,"[next(6) as usize],
            });
        }
    }
    // A chunk whose first group ends in a lone backslash that escapes the next group's first
    // quote, the only special byte of that group.
    let mut escaped = [b'a'; 2 * GROUP];
    escaped[GROUP - 1] = b'\\';
    escaped[GROUP] = b'"';
    data.splice(0..0, escaped);
    let (mut noted, mut skipped) = (Carry::default(), Carry::default());
    let mut structure = Structure::default();
    let (mut at, mut shortcuts, mut flips) = (0, 0, 0);
    while at + BLOCK <= data.len() {
        let len = match at {
            0 => 2 * GROUP,
            _ => ((1 + next(40) as usize) * BLOCK).min((data.len() - at) / BLOCK * BLOCK),
        };
        let chunk = &data[at..at + len];
        let moved = note_and_skip(chunk, &mut structure, &mut noted, &mut skipped);
        flips += usize::from(moved.unwrap_or_else(|e| panic!("chunk at {at}, {len} bytes: {e}")));
        shortcuts += chunk
            .as_chunks::<GROUP>()
            .0
            .iter()
            .filter(|g| !g.contains(&b'\\'))
            .count();
        at += len;
    }
    // Both paths were taken, and the state did move between chunks.
    assert!(shortcuts > 100, "{shortcuts}");
    assert!(flips > 50, "{flips}");
}
