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

use memchr::memchr2;

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
    }

    /// Scans `data` from `i` (the value's first byte on the first call, then where the last call
    /// stopped). At the end of the input, a `More` means the value is truncated.
    pub fn scan(&mut self, data: &[u8], mut i: usize, max_depth: usize) -> Step {
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
                let Some(k) = data.get(i..).and_then(|rest| memchr2(b'"', b'\\', rest)) else {
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
                    if self.stack.is_empty() {
                        return Step::Done(i + 1);
                    }
                }
                _ => return Step::Bad(i, Bad::Stray),
            }
            i += 1;
        }
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

    #[test]
    fn nesting_bomb_stops_at_the_limit() {
        let bomb = vec![b'['; 1_000_000];
        assert_eq!(scan_in_chunks(&bomb, 4096, 128), "TooDeep 128");
    }
}
