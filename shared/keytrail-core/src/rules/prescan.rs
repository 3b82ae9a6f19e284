//! A cheap look at a rule file before the YAML parser sees it: its size and how deep it nests.
//!
//! The YAML parser takes time quadratic in the nesting depth before it gives up on a deeply
//! nested file (100k nested flow sequences, 200 KB, took 40 s), so depth is bounded here, in one
//! linear pass, and a file larger than any rule is refused before it is read whole.
//!
//! The pass counts what can open a nested node, and nothing else:
//! - flow collections: `[` and `{` outside quoted scalars (in flow context they cannot be part of
//!   a plain scalar; in block context only where a value starts), closed by `]` and `}`;
//! - block nesting: one level per indentation step still open (a stack of indents), plus one per
//!   `- ` or `? ` where a value starts (`- - - x` is three sequences deep).
//!
//! Quoted scalars (`'…'` with `''`, `"…"` with backslash escapes, across lines), comments and
//! block scalars (`|`, `>`: the lines indented under them) are skipped. The count can only be
//! too high for invalid YAML or odd plain text, and [`MAX_NESTING`] is far above what a Sigma
//! rule needs (three or four levels), so no real rule is refused.

/// Largest rule file accepted, in bytes. Sigma rules are a few KB; a rule with a long value
/// list (tens of thousands of IP addresses) stays well below this.
pub(crate) const MAX_RULE_FILE_BYTES: u64 = 16 << 20;

/// Deepest nesting accepted (flow and block levels together).
pub(crate) const MAX_NESTING: usize = 64;

/// What the pass is inside of, across lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inside {
    Nothing,
    /// A quoted scalar opened by this byte.
    Quote(u8),
    /// A block scalar under a line with this indentation.
    BlockScalar(usize),
}

/// Refuses `text` when it is too large or nests deeper than [`MAX_NESTING`]; the error says
/// which and what to do (the caller prefixes the file).
pub(crate) fn check(text: &str) -> Result<(), String> {
    if text.len() as u64 > MAX_RULE_FILE_BYTES {
        return Err(too_large(text.len() as u64));
    }
    let mut scan = Scan::default();
    for (n, line) in text.as_bytes().split(|&b| b == b'\n').enumerate() {
        if scan.line(line) > MAX_NESTING {
            return Err(format!(
                "nests deeper than {MAX_NESTING} levels at line {}: a Sigma rule needs a few; \
                 flatten the lists and maps (refused before parsing, as a nesting bomb)",
                n + 1
            ));
        }
    }
    Ok(())
}

/// The error for a file of `bytes` bytes, over [`MAX_RULE_FILE_BYTES`].
pub(crate) fn too_large(bytes: u64) -> String {
    format!(
        "is {bytes} bytes, more than the {} MiB a rule file may hold: split it into several \
         rules (refused before parsing)",
        MAX_RULE_FILE_BYTES >> 20
    )
}

#[derive(Debug)]
struct Scan {
    inside: Inside,
    /// Open flow collections.
    flow: usize,
    /// Indents of the open block nodes, innermost last.
    indents: Vec<usize>,
}

impl Default for Scan {
    fn default() -> Self {
        Scan {
            inside: Inside::Nothing,
            flow: 0,
            indents: Vec::new(),
        }
    }
}

impl Scan {
    /// Takes one line (without its newline); returns the deepest nesting seen on it.
    fn line(&mut self, line: &[u8]) -> usize {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let blank = line[indent..]
            .iter()
            .all(|b| b.is_ascii_whitespace() || *b == b'\r');
        if let Inside::BlockScalar(parent) = self.inside {
            if blank || indent > parent {
                return 0;
            }
            self.inside = Inside::Nothing;
        }
        if blank {
            return 0;
        }
        if self.inside == Inside::Nothing && self.flow == 0 && line[indent] != b'#' {
            while self.indents.last().is_some_and(|&open| open >= indent) {
                self.indents.pop();
            }
            self.indents.push(indent);
        }
        let mut deepest = self.indents.len() + self.flow;
        let mut extra = 0;
        let mut value_start = true;
        let mut i = indent;
        while let Some(&b) = line.get(i) {
            let next = line.get(i + 1).copied();
            let spaced = next.is_none_or(|n| n == b' ' || n == b'\t' || n == b'\r');
            i += 1;
            match self.inside {
                Inside::Quote(b'"') => match b {
                    b'\\' => i += 1,
                    b'"' => self.inside = Inside::Nothing,
                    _ => {}
                },
                Inside::Quote(_) => match (b, next) {
                    (b'\'', Some(b'\'')) => i += 1,
                    (b'\'', _) => self.inside = Inside::Nothing,
                    _ => {}
                },
                _ => match b {
                    b' ' | b'\t' => continue,
                    b'#' if i == 1
                        || line.get(i - 2).is_some_and(|p| *p == b' ' || *p == b'\t') =>
                    {
                        break
                    }
                    b'[' | b'{' if value_start || self.flow > 0 => {
                        self.flow += 1;
                        value_start = true;
                    }
                    b']' | b'}' if self.flow > 0 => {
                        self.flow -= 1;
                        value_start = false;
                    }
                    b',' if self.flow > 0 => value_start = true,
                    b':' if self.flow > 0 || spaced => value_start = true,
                    b'-' | b'?' if value_start && self.flow == 0 && spaced => extra += 1,
                    b'\'' | b'"' if value_start => {
                        self.inside = Inside::Quote(b);
                        value_start = false;
                    }
                    b'|' | b'>' if value_start && self.flow == 0 => {
                        self.inside = Inside::BlockScalar(indent);
                        break;
                    }
                    // Anchors and tags come before the value they name.
                    b'&' | b'!' if value_start => {
                        while line.get(i).is_some_and(|c| *c != b' ' && *c != b'\t') {
                            i += 1;
                        }
                    }
                    _ => value_start = false,
                },
            }
            deepest = deepest.max(self.indents.len() + extra + self.flow);
        }
        deepest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(text: &str) -> usize {
        let mut scan = Scan::default();
        text.lines()
            .map(|l| scan.line(l.as_bytes()))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn counts_what_opens_a_node_and_nothing_else() {
        let cases: &[(&str, &str, usize)] = &[
            ("a flat map", "title: t\nid: x\n", 1),
            ("a block map in a map", "a:\n  b: c\n", 2),
            ("a list under a key", "a:\n  - x\n  - y\n", 3),
            ("nested block sequences", "- - - x\n", 4),
            ("a flow list", "a: [1, 2]\n", 2),
            ("nested flow lists", "a: [[[x]]]\n", 4),
            ("a flow map, JSON style", "a: {\"b\":{\"c\":[1]}}\n", 4),
            ("a flow list over lines", "a: [\n  [x,\n  y]]\n", 3),
            (
                "brackets in a plain scalar",
                "title: a [b [c [d\nid: x\n",
                1,
            ),
            ("brackets in quotes", "a: '[[[it''s'\nb: \"[[\\\"[[\"\n", 1),
            ("a quote across lines", "a: \"[[[\n  [[[\"\nb: c\n", 1),
            ("brackets in a comment", "a: b # [[[[\n# {{{{\n", 1),
            (
                "a block scalar",
                "d: |\n  [[[[\n  - - - -\n\n  {{{\ne: f\n",
                1,
            ),
            ("an anchor and a tag", "a: &x !t [1]\n", 2),
            ("a key with a colon inside", "a:b: [c]\n", 2),
        ];
        for (name, text, want) in cases {
            assert_eq!(depth(text), *want, "{name}: {text:?}");
        }
    }

    #[test]
    fn refuses_nesting_bombs_and_huge_files_with_the_line() {
        let bombs = [
            (
                format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
                1,
            ),
            (format!("a:\n  b: {}\n", "{x: ".repeat(1000)), 2),
            (format!("x: 1\n{}x\n", "- ".repeat(1000)), 2),
            (
                (0..100)
                    .map(|n| format!("{}k{n}:\n", " ".repeat(n)))
                    .collect(),
                MAX_NESTING + 1,
            ),
        ];
        for (text, line) in bombs {
            let err = check(&text).unwrap_err();
            assert!(
                err.contains(&format!("deeper than 64 levels at line {line}:")),
                "{err}"
            );
        }
        let ok = format!("a: {}{}\n", "[".repeat(63), "]".repeat(63));
        assert_eq!(check(&ok), Ok(()));
        let huge = "a: b\n".repeat((MAX_RULE_FILE_BYTES / 5 + 1) as usize);
        let err = check(&huge).unwrap_err();
        assert!(
            err.starts_with("is 16777220 bytes, more than the 16 MiB"),
            "{err}"
        );
    }
}
