//! Finds where one JSON value ends, without parsing it: the reader's hot loop.
//!
//! [`ValueScan`] walks bytes tracking only what decides the end of a value: whether it is inside
//! a string (and just after a backslash), and the stack of open brackets (so `[}` is caught and
//! the depth is bounded without recursion). Inside strings it jumps with `memchr2` to the next
//! `"` or `\`; outside, a 256-entry class table skips everything that is not structural and
//! flags bytes that cannot appear in JSON outside a string. It is resumable: when the buffer runs
//! out it reports how far it got, and continues from there once more bytes arrived. Everything
//! else about the record (numbers, literals, commas, UTF-8) is left to `serde_json` when the
//! record is peeked or parsed.
//!
//! On the way it notes where each container directly inside the value closes
//! ([`ValueScan::closes`]): the peek then walks a record's top level and jumps over
//! `userIdentity`, `requestParameters` and the like without scanning their bytes a second time.

use memchr::memchr2;
use wide::{i8x16, CmpEq, CmpGt};

use super::blocks::{Carry, Structure, BLOCK};

/// Byte classes outside strings.
const SKIP: u8 = 0;
const QUOTE: u8 = 1;
const OPEN: u8 = 2;
const CLOSE: u8 = 3;
const BAD: u8 = 4;

/// The class of every byte outside a string.
static CLASS: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = SKIP;
        }
        b += 1;
    }
    let skip = b" \t\r\n,:-+.";
    let mut i = 0;
    while i < skip.len() {
        t[skip[i] as usize] = SKIP;
        i += 1;
    }
    t[b'"' as usize] = QUOTE;
    t[b'{' as usize] = OPEN;
    t[b'[' as usize] = OPEN;
    t[b'}' as usize] = CLOSE;
    t[b']' as usize] = CLOSE;
    t
};

/// True for a byte that changes nothing outside a string: not a quote, a bracket, or a byte
/// JSON does not allow there.
#[inline]
pub(crate) fn is_plain(b: u8) -> bool {
    CLASS[b as usize] == SKIP
}

/// Index of the first `"` or `\` in `bytes`.
///
/// Most strings in a trail are short (keys, ids, times), where `memchr2`'s setup costs more than
/// it saves: the first [`SHORT`] bytes are checked sixteen at a time as one vector ([`wide`]: two
/// comparisons and a move mask, as `read/blocks.rs` does), what is left of them under sixteen
/// eight at a time in a `u64` (SWAR: a byte equal to the target becomes zero under XOR, and the
/// classic `(x - 0x01..) & !x & 0x80..` finds the first zero byte exactly), the rest with
/// `memchr2`.
#[inline]
pub(crate) fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const SLASHES: u64 = ONES * b'\\' as u64;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut at = 0;
    while at < SHORT {
        let Some(sixteen) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) else {
            break;
        };
        let found = string_stops::<false>(sixteen);
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize);
        }
        at += 16;
    }
    while at < SHORT {
        let Some(eight) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) else {
            break;
        };
        let x = u64::from_le_bytes(*eight);
        let found = zero(x ^ QUOTES) | zero(x ^ SLASHES);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr2(b'"', b'\\', bytes.get(at..)?).map(|k| at + k)
}

/// Bit `k` set when byte `k` of `sixteen` ends a plain string's bytes: a `"` or a `\`, and with
/// `CONTROL` a control character (below 0x20, which JSON refuses raw in a string). One vector
/// ([`wide`], as `read/blocks.rs` does): two or four comparisons and a move mask. The string
/// scans of the splitter, the peek and the tree ([`quote_or_backslash`]) and of the tree's plain
/// strings (`record/tree.rs`) share it.
#[inline(always)]
pub(crate) fn string_stops<const CONTROL: bool>(sixteen: &[u8; 16]) -> u32 {
    let v = i8x16::new(sixteen.map(|b| b as i8));
    let mut stop = v.cmp_eq(i8x16::splat(b'"' as i8)) | v.cmp_eq(i8x16::splat(b'\\' as i8));
    if CONTROL {
        // A control character is 0..0x20 as a signed byte; 0x80 and up are negative.
        stop |= i8x16::splat(0x20).cmp_gt(v) & v.cmp_gt(i8x16::splat(-1));
    }
    stop.move_mask() as u32
}

/// How many bytes of a string [`quote_or_backslash`] checks without `memchr2`.
const SHORT: usize = 32;

/// Bytes that may continue a bare scalar (number, `true`, `false`, `null`).
fn is_scalar_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')
}

/// Why a value is not well formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bad {
    /// A byte that cannot start a value.
    NotAValue,
    /// A byte that cannot appear outside a string.
    Stray,
    /// A closing bracket that does not match the open one (or none is open).
    Mismatch,
    /// Deeper than the limit.
    TooDeep,
}

/// How far a scan got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The value ends just before this index.
    Done(usize),
    /// The bytes ran out; call again with more, from this index.
    More(usize),
    /// Malformed at this index.
    Bad(usize, Bad),
}

/// A resumable scan of one JSON value.
#[derive(Debug, Default)]
pub(crate) struct ValueScan {
    /// The closing bracket expected for each open container.
    stack: Vec<u8>,
    /// Containers open around the value (they count toward the depth limit).
    outer: usize,
    started: bool,
    in_string: bool,
    escaped: bool,
    scalar: bool,
    /// Offsets (from the value's first byte) of the closing bracket of every container directly
    /// inside the value, in order.
    closes: Vec<u32>,
    /// Index of the value's first byte in the data of the current call.
    origin: usize,
    /// Where the last call stopped, as an offset from the value's first byte.
    resume: usize,
}

impl ValueScan {
    /// Starts a new value nested inside `outer` containers; keeps the stack's allocation.
    pub fn reset(&mut self, outer: usize) {
        self.stack.clear();
        self.outer = outer;
        self.started = false;
        self.in_string = false;
        self.escaped = false;
        self.scalar = false;
        self.closes.clear();
    }

    /// Offsets, from the value's first byte, of the closing bracket of each container directly
    /// inside the value (its top-level members or elements that are objects or arrays), in
    /// order. Complete once [`ValueScan::scan`] answered [`Step::Done`].
    pub fn closes(&self) -> &[u32] {
        &self.closes
    }

    /// Scans `data` from `i` (the value's first byte on the first call, then where the last call
    /// stopped: the bytes before it may have moved, as long as they moved together). At the end
    /// of the input, a `More` means the value is truncated.
    pub fn scan(&mut self, data: &[u8], i: usize, max_depth: usize) -> Step {
        self.scan_noted(data, i, max_depth, None)
    }

    /// [`ValueScan::scan`], with what the decompress thread noted of the blocks of `data` from
    /// index `from` on (see [`Structure`]).
    pub fn scan_noted(
        &mut self,
        data: &[u8],
        i: usize,
        max_depth: usize,
        noted: Option<(&Structure, usize)>,
    ) -> Step {
        self.origin = if self.started {
            i.saturating_sub(self.resume)
        } else {
            i
        };
        let step = self.scan_from(data, i, max_depth, noted);
        if let Step::More(next) = step {
            self.resume = next.saturating_sub(self.origin);
        }
        step
    }

    fn scan_from(
        &mut self,
        data: &[u8],
        mut i: usize,
        max_depth: usize,
        noted: Option<(&Structure, usize)>,
    ) -> Step {
        if !self.started {
            let Some(&b) = data.get(i) else {
                return Step::More(i);
            };
            self.started = true;
            match b {
                b'{' | b'[' => {
                    if self.outer + 1 > max_depth {
                        return Step::Bad(i, Bad::TooDeep);
                    }
                    self.stack.push(if b == b'{' { b'}' } else { b']' });
                }
                b'"' => self.in_string = true,
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => self.scalar = true,
                _ => {
                    self.started = false;
                    return Step::Bad(i, Bad::NotAValue);
                }
            }
            i += 1;
        }
        if self.scalar {
            return match data
                .get(i..)
                .and_then(|rest| rest.iter().position(|&b| !is_scalar_byte(b)))
            {
                Some(k) => Step::Done(i + k),
                None => Step::More(data.len()),
            };
        }
        if !self.stack.is_empty() {
            // Noted blocks where they serve, then blocks of its own (after a block the thread
            // saw in another state, or past what it noted), then the byte walk.
            let fast = match noted {
                Some((structure, from)) if i >= from => {
                    match self.noted_blocks(data, i, max_depth, structure, from) {
                        Err(next) => self.blocks(data, next, max_depth),
                        step => step,
                    }
                }
                _ => self.blocks(data, i, max_depth),
            };
            match fast {
                Ok(step) => return step,
                Err(next) => i = next,
            }
        }
        self.walk(data, i, max_depth)
    }

    /// The byte walk, from `i` inside the value.
    fn walk(&mut self, data: &[u8], mut i: usize, max_depth: usize) -> Step {
        loop {
            if self.in_string {
                if self.escaped {
                    if i >= data.len() {
                        return Step::More(i);
                    }
                    // The escaped byte (`"`, `\`, `u`, ...) is never structural.
                    i += 1;
                    self.escaped = false;
                }
                let Some(k) = data.get(i..).and_then(quote_or_backslash) else {
                    return Step::More(data.len());
                };
                i += k;
                if data.get(i) == Some(&b'\\') {
                    self.escaped = true;
                    i += 1;
                    continue;
                }
                i += 1;
                self.in_string = false;
                if self.stack.is_empty() {
                    return Step::Done(i);
                }
            }
            let Some(k) = data
                .get(i..)
                .and_then(|rest| rest.iter().position(|&b| CLASS[b as usize] != SKIP))
            else {
                return Step::More(data.len());
            };
            i += k;
            let b = data.get(i).copied().unwrap_or_default();
            match CLASS[b as usize] {
                QUOTE => self.in_string = true,
                OPEN => {
                    if self.outer + self.stack.len() + 1 > max_depth {
                        return Step::Bad(i, Bad::TooDeep);
                    }
                    self.stack.push(if b == b'{' { b'}' } else { b']' });
                }
                CLOSE => {
                    if self.stack.pop() != Some(b) {
                        return Step::Bad(i, Bad::Mismatch);
                    }
                    match self.stack.len() {
                        0 => return Step::Done(i + 1),
                        1 => self
                            .closes
                            .push(u32::try_from(i - self.origin).unwrap_or(u32::MAX)),
                        _ => {}
                    }
                }
                _ => return Step::Bad(i, Bad::Stray),
            }
            i += 1;
        }
    }

    /// The fast path ([`super::blocks`]): whole blocks from `i`, inside a container. `Ok` is the
    /// answer; `Err(next)` hands over to the byte walk at `next` (the tail shorter than a block,
    /// or a block with a byte JSON does not allow outside a string), with the state as of there.
    fn blocks(&mut self, data: &[u8], mut i: usize, max_depth: usize) -> Result<Step, usize> {
        let mut carry = Carry::new(self.in_string, self.escaped);
        while let Some(block) = data
            .get(i..i + BLOCK)
            .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
        {
            let before = carry;
            let (brackets, plain) = carry.step(block);
            if !plain {
                // A byte outside strings that JSON does not allow there: the byte walk finds
                // it (or whatever comes first) from the block's start.
                carry = before;
                break;
            }
            if let Some(step) = self.brackets(block, brackets, i, max_depth) {
                return Ok(step);
            }
            i += BLOCK;
        }
        self.in_string = carry.in_string();
        self.escaped = carry.escaped();
        Err(i)
    }

    /// Whole blocks from `i` with the brackets the decompress thread noted ([`Structure`],
    /// whose block 0 starts at index `from`); the bytes up to the first block boundary go by the
    /// byte walk. `Ok` and `Err` as for [`ValueScan::blocks`].
    fn noted_blocks(
        &mut self,
        data: &[u8],
        mut i: usize,
        max_depth: usize,
        structure: &Structure,
        from: usize,
    ) -> Result<Step, usize> {
        let boundary = from + (i - from).div_ceil(BLOCK) * BLOCK;
        if boundary > i {
            match self.walk(data.get(..boundary).unwrap_or(data), i, max_depth) {
                Step::More(next) if next == boundary => i = next,
                Step::More(next) => return Err(next),
                step => return Ok(step),
            }
        }
        while let Some(block) = data.get(i..i + BLOCK) {
            let k = (i - from) / BLOCK;
            let Some((brackets, in_string, escaped)) =
                structure.block(k, self.in_string, self.escaped)
            else {
                break;
            };
            if let Some(step) = self.brackets(block, brackets, i, max_depth) {
                return Ok(step);
            }
            self.in_string = in_string;
            self.escaped = escaped;
            i += BLOCK;
        }
        Err(i)
    }

    /// Visits the brackets outside strings of the block at `i`, in order: the stack, the depth
    /// limit and the closes as the byte walk keeps them; `Some` when the value ends or is bad.
    #[inline]
    fn brackets(
        &mut self,
        block: &[u8],
        mut brackets: u64,
        i: usize,
        max_depth: usize,
    ) -> Option<Step> {
        while brackets != 0 {
            let k = brackets.trailing_zeros() as usize;
            brackets &= brackets - 1;
            let at = i + k;
            let b = block.get(k).copied().unwrap_or_default();
            if b == b'{' || b == b'[' {
                if self.outer + self.stack.len() + 1 > max_depth {
                    return Some(Step::Bad(at, Bad::TooDeep));
                }
                self.stack.push(if b == b'{' { b'}' } else { b']' });
            } else {
                if self.stack.pop() != Some(b) {
                    return Some(Step::Bad(at, Bad::Mismatch));
                }
                match self.stack.len() {
                    0 => return Some(Step::Done(at + 1)),
                    1 => self
                        .closes
                        .push(u32::try_from(at - self.origin).unwrap_or(u32::MAX)),
                    _ => {}
                }
            }
        }
        None
    }

    /// True when the value is a bare scalar, which the end of the input may end.
    pub fn is_scalar(&self) -> bool {
        self.scalar
    }
}

/// Scans one complete value in `data` from `i` (no resumption): where it ends, if well formed.
pub(crate) fn value_end(
    scan: &mut ValueScan,
    data: &[u8],
    i: usize,
    max_depth: usize,
) -> Option<usize> {
    scan.reset(0);
    match scan.scan(data, i, max_depth) {
        Step::Done(end) => Some(end),
        // A scalar running to the end of `data` ends there.
        Step::More(end) if scan.scalar => Some(end),
        Step::More(_) | Step::Bad(..) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans `input` fed `chunk` bytes at a time; the result as a short string.
    fn scan_in_chunks(input: &[u8], chunk: usize, max_depth: usize) -> String {
        let mut scan = ValueScan::default();
        scan.reset(0);
        let mut i = 0;
        let mut avail = chunk.min(input.len());
        loop {
            match scan.scan(&input[..avail], i, max_depth) {
                Step::Done(end) => return format!("done {end}"),
                Step::Bad(at, why) => return format!("{why:?} {at}"),
                Step::More(next) if avail == input.len() => {
                    return if scan.scalar {
                        format!("done {next}")
                    } else {
                        format!("more {next}")
                    }
                }
                Step::More(next) => {
                    i = next;
                    avail = (avail + chunk).min(input.len());
                }
            }
        }
    }

    #[test]
    fn finds_value_ends() {
        let cases: &[(&str, &str)] = &[
            (r#"{"a":1} tail"#, "done 7"),
            (r#"{"a":"}]\"{["} x"#, "done 14"),
            (r#"{"a":"\\"}x"#, "done 10"),
            (r#"{"a":"\\\""}x"#, "done 12"),
            (r#"{"a":"\u005d\u0022"}"#, "done 20"),
            (r#"[1,[2,{"b":1}],"]"]"#, "done 19"),
            ("\"str\\\"ing\" ,", "done 10"),
            ("-12.5e3,", "done 7"),
            ("true]", "done 4"),
            ("{\"a\": {\"b\": 1}", "more 14"),
            ("{\"a\": \"unterminated", "more 19"),
            ("[1, 2}", "Mismatch 5"),
            ("{\"a\": @}", "Stray 6"),
            ("{\"a\": \x01}", "Stray 6"),
            ("{\"caf\u{e9}\": 1}", "done 12"),
            ("}", "NotAValue 0"),
            ("[[[[", "TooDeep 3"),
            ("[[[]]]", "done 6"),
        ];
        for (input, want) in cases {
            for chunk in [1, 2, 3, 7, 1000] {
                assert_eq!(
                    scan_in_chunks(input.as_bytes(), chunk, 3),
                    *want,
                    "{input} in chunks of {chunk}"
                );
            }
        }
    }

    /// The closes come out the same however the value is cut, and wherever its bytes move
    /// between calls (the reader's buffer slides kept bytes to the front).
    #[test]
    fn closes_survive_resumption_and_moved_bytes() {
        let value = br#"{"a":{"b":[1]},"c":"{[","d":[[],{}],"e":1}"#;
        let want: Vec<u32> = vec![13, 34];
        for chunk in [1, 2, 5, 1000] {
            let mut scan = ValueScan::default();
            scan.reset(1);
            // Each call sees the value behind a prefix of a different length.
            let mut i = 0; // offset in `value` where the scan resumes
            let mut avail = chunk.min(value.len());
            let mut round = 0usize;
            loop {
                let prefix = vec![b' '; round % 3];
                let data = [prefix.as_slice(), &value[..avail]].concat();
                match scan.scan(&data, prefix.len() + i, 128) {
                    Step::Done(end) => {
                        assert_eq!(end - prefix.len(), value.len());
                        break;
                    }
                    Step::More(next) => {
                        assert!(avail < value.len(), "chunk {chunk}: truncated");
                        i = next - prefix.len();
                        avail = (avail + chunk).min(value.len());
                    }
                    Step::Bad(at, why) => panic!("chunk {chunk}: {why:?} at {at}"),
                }
                round += 1;
            }
            assert_eq!(scan.closes(), want.as_slice(), "chunk {chunk}");
            for &c in scan.closes() {
                assert!(matches!(value[c as usize], b'}' | b']'));
            }
        }
    }

    #[test]
    fn quote_or_backslash_finds_the_first() {
        for len in 0..80 {
            for at in 0..len {
                for (b, other) in [(b'"', b'\\'), (b'\\', b'"')] {
                    let mut bytes: Vec<u8> =
                        (0..len).map(|k| b"a\xff\x22\x5c\x00"[k % 2]).collect();
                    bytes[at] = b;
                    if at + 1 < len {
                        bytes[at + 1] = other;
                    }
                    assert_eq!(quote_or_backslash(&bytes), Some(at), "{len} {at}");
                }
            }
            assert_eq!(quote_or_backslash(&vec![0xa2; len]), None);
        }
    }

    #[test]
    fn nesting_bomb_stops_at_the_limit() {
        let bomb = vec![b'['; 1_000_000];
        assert_eq!(scan_in_chunks(&bomb, 4096, 128), "TooDeep 128");
    }
}
