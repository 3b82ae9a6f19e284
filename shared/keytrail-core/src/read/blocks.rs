//! The splitter's fast path: 64 bytes at a time, as bit masks.
//!
//! [`ValueScan`](super::split::ValueScan) walks a value byte by byte, jumping through strings
//! with `memchr2`; a CloudTrail record is mostly short strings, so that walk stops every few
//! bytes. Here a 64-byte block becomes four `u64` masks in a few vector instructions
//! ([`wide`]: SSE2 on x86-64, NEON on aarch64, plain arrays elsewhere; no `unsafe` of ours):
//! quotes, backslashes, brackets, and the bytes JSON allows outside a string.
//! Then, with integer arithmetic only (the technique of simdjson's first stage):
//!
//! - **escapes**: a backslash run of odd length escapes the byte after it; the carry of a run
//!   across blocks is one bit;
//! - **strings**: the prefix XOR of the unescaped quotes marks every byte inside a string (its
//!   opening quote included, its closing quote not); the carry is whether the block ends inside
//!   one;
//! - **brackets** outside strings are then visited in order, with the same stack, depth limit and
//!   `closes` as the byte walk.
//!
//! A block with any byte JSON does not allow outside a string is not decided here: the byte walk
//! takes it over from the block's start, with the state as of there, so every fault is found at
//! the same offset and in the same order as before. So is the tail of the data shorter than a
//! block. The byte walk remains the reference: tests feed both the same values.
//!
//! With a decompress thread, the masks of the stream's blocks are computed there, as the thread
//! sees them from the stream's start ([`Structure`]), and the reader only visits the brackets; it
//! computes a block itself when the thread's view of the block differs from its own.

use wide::{i8x16, CmpEq, CmpGt};

/// Bytes per block.
pub(crate) const BLOCK: usize = 64;

/// Bytes [`Structure::skip`] carries the string state across at once: four blocks.
pub(crate) const GROUP: usize = 4 * BLOCK;

/// Every other bit, starting with bit 1.
const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;

/// The masks of one block: bit `k` is byte `k`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Masks {
    pub quote: u64,
    pub backslash: u64,
    /// `{`, `[`, `}` or `]` (the byte tells which).
    pub bracket: u64,
    /// Bytes JSON allows outside a string: the structural ones, whitespace and what numbers and
    /// `true`/`false`/`null` are made of (ASCII letters and digits, `+ - . , :`).
    pub allowed: u64,
}

impl Masks {
    /// The masks of `block`.
    #[inline]
    pub fn of(block: &[u8; BLOCK]) -> Masks {
        let mut m = Masks::default();
        for (lane, bytes) in block.chunks_exact(16).enumerate() {
            let b = lane_of(bytes);
            // ASCII letters fold to lower case, `[` `]` onto `{` `}`.
            let lower = b | i8x16::splat(0x20);
            let quote = b.cmp_eq(i8x16::splat(b'"' as i8));
            let backslash = b.cmp_eq(i8x16::splat(b'\\' as i8));
            let bracket =
                lower.cmp_eq(i8x16::splat(b'{' as i8)) | lower.cmp_eq(i8x16::splat(b'}' as i8));
            // Quotes and brackets are added below, on the bit masks.
            let allowed = (within(b, b'+', 16) & !b.cmp_eq(i8x16::splat(b'/' as i8))) // +,-.0-9:
                | within(lower, b'a', 26)
                | within(b, b'\t', 2) // \t \n
                | b.cmp_eq(i8x16::splat(b'\r' as i8))
                | b.cmp_eq(i8x16::splat(b' ' as i8));
            let at = 16 * lane;
            m.quote |= bits(quote) << at;
            m.backslash |= bits(backslash) << at;
            m.bracket |= bits(bracket) << at;
            m.allowed |= bits(allowed) << at;
        }
        m.allowed |= m.quote | m.bracket;
        m
    }
}

/// A block's state as [`Structure`] notes it: inside a string at its first byte.
const IN_STRING: u8 = 1;
/// Its first byte is escaped.
const ESCAPED: u8 = 2;
/// It has a byte JSON does not allow outside a string (as seen from the noted state).
const NOT_PLAIN: u8 = 4;

/// The string state carried from block to block: inside a string, and whether the next byte
/// is escaped.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Carry {
    escape: u64,
    inside: u64,
}

impl Carry {
    /// The state before a byte: inside a string, and escaped (which only a string's bytes are).
    pub fn new(in_string: bool, escaped: bool) -> Carry {
        Carry {
            escape: u64::from(in_string && escaped),
            inside: if in_string { u64::MAX } else { 0 },
        }
    }

    pub fn in_string(self) -> bool {
        self.inside != 0
    }

    pub fn escaped(self) -> bool {
        self.escape != 0
    }

    /// The state as [`Structure`] notes it.
    fn bits(self) -> u8 {
        (u8::from(self.in_string()) * IN_STRING) | (u8::from(self.escaped()) * ESCAPED)
    }

    /// One block from this state: its brackets outside strings, and whether it is plain (every
    /// byte outside a string is one JSON allows there). The state becomes the one after it.
    #[inline]
    pub fn step(&mut self, block: &[u8; BLOCK]) -> (u64, bool) {
        let m = Masks::of(block);
        let strings = self.strings(m.quote, m.backslash);
        (m.bracket & !strings, m.allowed | strings == u64::MAX)
    }

    /// One block from this state, for the state after it only: its quotes and backslashes, a
    /// third of [`Carry::step`]'s work.
    #[inline]
    fn pass(&mut self, block: &[u8; BLOCK]) {
        let mut quote = 0;
        let mut backslash = 0;
        for (lane, bytes) in block.chunks_exact(16).enumerate() {
            let b = lane_of(bytes);
            quote |= bits(b.cmp_eq(i8x16::splat(b'"' as i8))) << (16 * lane);
            backslash |= bits(b.cmp_eq(i8x16::splat(b'\\' as i8))) << (16 * lane);
        }
        self.strings(quote, backslash);
    }

    /// [`GROUP`] bytes (whole blocks) from this state, for the state after them only. With no
    /// backslash among them and no escape carried in, a quote is a quote: the state inside a
    /// string flips once per quote, so only the parity of their count matters, and that is the
    /// parity of the bits of the XOR of every lane's quote comparison (no bit masks, no prefix
    /// XOR). Otherwise the blocks go through [`Carry::pass`].
    #[inline]
    fn pass_group(&mut self, group: &[u8; GROUP]) {
        let quote = i8x16::splat(b'"' as i8);
        let backslash = i8x16::splat(b'\\' as i8);
        let (mut quotes, mut backslashes) = (i8x16::splat(0), i8x16::splat(0));
        for bytes in group.chunks_exact(16) {
            let b = lane_of(bytes);
            quotes ^= b.cmp_eq(quote);
            backslashes |= b.cmp_eq(backslash);
        }
        if self.escape == 0 && backslashes.move_mask() == 0 {
            let odd = (quotes.move_mask() as u16).count_ones() & 1;
            self.inside ^= u64::from(odd).wrapping_neg();
            return;
        }
        self.pass_blocks(group);
    }

    /// The whole blocks of `data`, one by one, for the state after them only.
    fn pass_blocks(&mut self, data: &[u8]) {
        for block in data.chunks_exact(BLOCK) {
            if let Ok(block) = <&[u8; BLOCK]>::try_from(block) {
                self.pass(block);
            }
        }
    }

    /// The bytes of a block inside strings, from its quotes and backslashes; the state becomes
    /// the one after it.
    #[inline(always)]
    fn strings(&mut self, quote: u64, backslash: u64) -> u64 {
        let escaped = escaped(backslash, &mut self.escape);
        let strings = prefix_xor(quote & !escaped) ^ self.inside;
        self.inside = ((strings >> 63) & 1).wrapping_neg();
        strings
    }
}

/// What the decompress thread notes of each 64-byte block of a chunk, so that the reader need
/// not compute the masks itself: the brackets outside strings, and the string state the block
/// starts in, as seen from the start of the stream. The reader uses a block's brackets only when
/// its own state at the block's start is the noted one; the brackets are then exactly those it
/// would have computed. Anything else (a block with a byte JSON does not allow outside a string,
/// a state that differs, a block not noted) goes the reader's own way.
#[derive(Debug, Default)]
pub(crate) struct Structure {
    brackets: Vec<u64>,
    /// One state per block, and one more: the state after the last block.
    states: Vec<u8>,
}

impl Structure {
    /// Notes the whole blocks of `data`, whose first byte is the first byte of a block of the
    /// stream, continuing from `carry`; forgets what was noted before.
    pub fn note(&mut self, data: &[u8], carry: &mut Carry) {
        let blocks = data.len() / BLOCK;
        self.brackets.resize(blocks, 0);
        self.states.resize(blocks + 1, 0);
        let noted = self.brackets.iter_mut().zip(self.states.iter_mut());
        for (block, (brackets, start)) in data.chunks_exact(BLOCK).zip(noted) {
            let Ok(block) = <&[u8; BLOCK]>::try_from(block) else {
                break;
            };
            *start = carry.bits();
            let (outside, plain) = carry.step(block);
            if !plain {
                *start |= NOT_PLAIN;
            }
            *brackets = outside;
        }
        if let Some(last) = self.states.last_mut() {
            *last = carry.bits();
        }
    }

    /// Notes nothing of `data` (the reader computes its blocks itself), but carries the string
    /// state across its whole blocks as [`Structure::note`] would: the next chunk's notes start
    /// from the right state.
    pub fn skip(&mut self, data: &[u8], carry: &mut Carry) {
        self.brackets.clear();
        self.states.clear();
        let whole = data.get(..data.len() / BLOCK * BLOCK).unwrap_or_default();
        let (groups, rest) = whole.as_chunks::<GROUP>();
        for group in groups {
            carry.pass_group(group);
        }
        carry.pass_blocks(rest);
    }

    /// True when no block is noted (a chunk that is not a whole number of blocks, or under one).
    pub fn is_empty(&self) -> bool {
        self.brackets.is_empty()
    }

    /// Block `k`'s brackets outside strings, when it was noted as plain and starting in the
    /// state (`in_string`, `escaped`); and the state after it.
    #[inline]
    pub fn block(&self, k: usize, in_string: bool, escaped: bool) -> Option<(u64, bool, bool)> {
        if *self.states.get(k)? != Carry::new(in_string, escaped).bits() {
            return None;
        }
        let after = *self.states.get(k + 1)?;
        Some((
            *self.brackets.get(k)?,
            after & IN_STRING != 0,
            after & ESCAPED != 0,
        ))
    }
}

/// 16 bytes of a block as one vector.
#[inline(always)]
fn lane_of(bytes: &[u8]) -> i8x16 {
    let mut v = [0i8; 16];
    for (d, s) in v.iter_mut().zip(bytes) {
        *d = *s as i8;
    }
    i8x16::new(v)
}

/// Lanes of `v` in `lo..lo + n` (unsigned): shifted so that the range starts at `i8::MIN`, one
/// signed comparison decides.
#[inline(always)]
fn within(v: i8x16, lo: u8, n: u8) -> i8x16 {
    let shifted = v + i8x16::splat(0x80u8.wrapping_sub(lo) as i8);
    i8x16::splat(i8::MIN.wrapping_add(n as i8)).cmp_gt(shifted)
}

#[inline(always)]
fn bits(lanes: i8x16) -> u64 {
    // One bit per lane: 16 bits.
    u64::from(lanes.move_mask() as u16)
}

/// Bit `k` set when byte `k` is escaped (follows an odd run of backslashes), given the
/// backslashes of a block and whether its first byte is escaped by the block before;
/// `carry` becomes whether the next block's first byte is.
#[inline]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    if backslash == 0 {
        return std::mem::take(carry);
    }
    // simdjson's escape scanner: a backslash that is not itself escaped starts a run; adding
    // the run to the odd bits carries past its end, and the parity of where the run starts
    // decides which bytes it escapes.
    let potential = backslash & !*carry;
    let maybe_escaped = potential << 1;
    let codes = (maybe_escaped | ODD_BITS).wrapping_sub(potential) ^ ODD_BITS;
    let escaped = codes ^ (backslash | *carry);
    *carry = (codes & backslash) >> 63;
    escaped
}

/// Bit `k` set when an odd number of bits at or below `k` are set.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks byte by byte, the obvious way.
    fn masks_slowly(block: &[u8; BLOCK]) -> Masks {
        let mut m = Masks::default();
        for (k, &b) in block.iter().enumerate() {
            let bit = 1u64 << k;
            let allowed = b.is_ascii_alphanumeric() || b" \t\r\n,:+-.\"{}[]".contains(&b);
            for (set, mask) in [
                (b == b'"', &mut m.quote),
                (b == b'\\', &mut m.backslash),
                (b"{[}]".contains(&b), &mut m.bracket),
                (allowed, &mut m.allowed),
            ] {
                if set {
                    *mask |= bit;
                }
            }
        }
        m
    }

    #[test]
    fn masks_agree_with_the_obvious_classification_for_every_byte_in_every_lane() {
        for b in 0..=255u8 {
            for k in 0..BLOCK {
                let mut block = [b'a'; BLOCK];
                block[k] = b;
                block[(k + 17) % BLOCK] = 255 - b;
                assert_eq!(
                    Masks::of(&block),
                    masks_slowly(&block),
                    "byte {b:#04x} at {k}"
                );
            }
        }
    }

    /// Which bytes are escaped, byte by byte.
    fn escaped_slowly(bytes: &[u8], mut carry: bool) -> (u64, bool) {
        let mut out = 0;
        for (k, &b) in bytes.iter().enumerate() {
            if carry {
                out |= 1 << k;
                carry = false;
            } else if b == b'\\' {
                carry = true;
            }
        }
        (out, carry)
    }

    #[test]
    fn escapes_follow_odd_backslash_runs_across_blocks() {
        // Every pattern of backslashes over the last and first bytes of two blocks, and runs
        // of every length at every position.
        let mut blocks = Vec::new();
        for pattern in 0u32..1 << 12 {
            let mut block = [b'x'; BLOCK];
            for k in 0..12 {
                if pattern & (1 << k) != 0 {
                    block[if k < 6 { k } else { BLOCK - 12 + k }] = b'\\';
                }
            }
            blocks.push(block);
        }
        for start in 0..BLOCK {
            for len in 1..=BLOCK - start {
                let mut block = [b'x'; BLOCK];
                block[start..start + len].fill(b'\\');
                blocks.push(block);
            }
        }
        for pair in blocks.windows(2).step_by(3) {
            let mut carry = 0;
            let mut slow_carry = false;
            for block in pair {
                let backslash = Masks::of(block).backslash;
                let (want, next) = escaped_slowly(block, slow_carry);
                assert_eq!(escaped(backslash, &mut carry), want, "{:?}", block);
                assert_eq!(carry == 1, next);
                slow_carry = next;
            }
        }
    }

    #[test]
    fn prefix_xor_is_the_running_parity() {
        for x in [0u64, 1, 0b1001, 1 << 63, u64::MAX, 0x8000_0001_0010_0400] {
            let mut parity = false;
            for k in 0..64 {
                parity ^= x & (1 << k) != 0;
                assert_eq!(prefix_xor(x) & (1 << k) != 0, parity, "{x:#x} bit {k}");
            }
        }
    }
}
