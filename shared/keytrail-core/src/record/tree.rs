//! A record read into a tree over its own bytes, for alerts made without a `Value`.
//!
//! A noisy rule alerts on most records of a busy account, and parsing each into a
//! `serde_json::Value` (an allocation per key and per string, a B-tree per object) then freeing
//! it was the largest part of an alert's cost. When the rules have decided on a record without
//! it (they matched a partial event, see `rules/classify.rs`), the alert reads the record from
//! a [`Tree`] instead: one pass over the bytes into three vectors, strings borrowed where they
//! hold no escape.
//!
//! The tree reads a record exactly as `Value` does, so that what is made from it is the same byte
//! for byte: an object's members sorted by key, a duplicate key's last value kept, escapes
//! decoded and numbers parsed by serde_json itself (a string with an escape, each number), an
//! EventBridge envelope unwrapped as [`super::Event::from_value`] does. It accepts only what
//! serde_json accepts, and gives up (`None`) on anything it is not sure of (nesting deeper than
//! [`MAX_DEPTH`], a record that is not an object): the caller then parses a `Value` as before.

use std::cmp::Ordering;

use serde_json::Number;

use super::peek::is_cloudtrail_detail_type;
use super::view::View;
use crate::read::{quote_or_backslash, string_stops};

/// Containers nested deeper than this are left to serde_json (which refuses 128).
const MAX_DEPTH: usize = 100;

/// A string's text: borrowed from the record when it holds no escape, else decoded.
#[derive(Debug, Clone)]
pub enum Text<'a> {
    /// As it is in the record, between the quotes: no escape, no control character.
    Plain(&'a str),
    /// Decoded from a string with escapes.
    Decoded(String),
}

impl Text<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Decoded(s) => s,
        }
    }
}

/// One value of a tree, as its kind and contents.
#[derive(Debug)]
pub enum Kind<'t> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json parsed it.
    Number(&'t Number),
    /// A string.
    String(&'t Text<'t>),
    /// An array: [`At::items`].
    Array,
    /// An object: [`At::entries`].
    Object,
}

#[derive(Debug)]
enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Text<'a>),
    /// Items `start..end` of [`Tree::items`].
    Array(usize, usize),
    /// Members `start..end` of [`Tree::members`].
    Object(usize, usize),
}

/// A JSON object read from a record's bytes; see the module docs.
#[derive(Debug)]
pub struct Tree<'a> {
    nodes: Vec<Node<'a>>,
    /// Each object's members, a run sorted by key.
    members: Vec<(Text<'a>, usize)>,
    /// Each array's items, a run in order.
    items: Vec<usize>,
    root: usize,
}

/// One value in a [`Tree`].
#[derive(Debug, Clone, Copy)]
pub struct At<'t> {
    tree: &'t Tree<'t>,
    at: usize,
}

impl<'a> Tree<'a> {
    /// Reads the record `json`, unwrapped from an EventBridge envelope; `None` when it is not a
    /// JSON object or holds what the tree leaves to serde_json.
    pub fn parse(json: &'a [u8]) -> Option<Tree<'a>> {
        let text = std::str::from_utf8(json).ok()?;
        let mut reader = Reader {
            text,
            bytes: json,
            i: 0,
            tree: Tree {
                nodes: Vec::with_capacity(json.len() / 16),
                members: Vec::with_capacity(json.len() / 20),
                items: Vec::with_capacity(json.len() / 128),
                root: 0,
            },
            open_members: Vec::with_capacity(32),
            open_items: Vec::with_capacity(8),
        };
        let root = reader.value(0)?;
        if reader.skip_ws() != json.len() {
            return None;
        }
        let mut tree = reader.tree;
        tree.root = root;
        let top = tree.root();
        if !matches!(top.kind(), Some(Kind::Object)) {
            return None;
        }
        // As `Event::from_value` unwraps an envelope.
        let is_event = ["eventSource", "eventName", "eventType"]
            .iter()
            .any(|k| top.member(k).is_some());
        let detail = top.member("detail").filter(|d| d.entries().is_some());
        let envelope = top
            .member("detail-type")
            .and_then(View::as_str)
            .is_some_and(is_cloudtrail_detail_type);
        let root = match detail {
            Some(detail) if envelope && !is_event => detail.at,
            _ => root,
        };
        tree.root = root;
        Some(tree)
    }

    /// The record (the event inside an envelope).
    pub fn root(&self) -> At<'_> {
        At {
            tree: self,
            at: self.root,
        }
    }
}

impl<'t> At<'t> {
    fn node(self) -> Option<&'t Node<'t>> {
        self.tree.nodes.get(self.at)
    }

    fn at(self, at: usize) -> At<'t> {
        At {
            tree: self.tree,
            at,
        }
    }

    /// What the value is.
    pub fn kind(self) -> Option<Kind<'t>> {
        Some(match self.node()? {
            Node::Null => Kind::Null,
            Node::Bool(b) => Kind::Bool(*b),
            Node::Number(n) => Kind::Number(n),
            Node::String(t) => Kind::String(t),
            Node::Array(..) => Kind::Array,
            Node::Object(..) => Kind::Object,
        })
    }

    /// An object's members, sorted by key, each key's text as the record has it.
    pub fn entries(self) -> Option<impl DoubleEndedIterator<Item = (&'t Text<'t>, At<'t>)>> {
        let Node::Object(start, end) = self.node()? else {
            return None;
        };
        let run = self.tree.members.get(*start..*end)?;
        Some(run.iter().map(move |(key, at)| (key, self.at(*at))))
    }
}

impl<'t> View<'t> for At<'t> {
    fn as_str(self) -> Option<&'t str> {
        match self.node()? {
            Node::String(t) => Some(t.as_str()),
            _ => None,
        }
    }

    fn is_null(self) -> bool {
        matches!(self.node(), Some(Node::Null))
    }

    fn member(self, key: &str) -> Option<Self> {
        let Node::Object(start, end) = self.node()? else {
            return None;
        };
        // A scan comparing lengths first: most keys differ in length, and a binary search
        // calls memcmp at every step.
        let run = self.tree.members.get(*start..*end)?;
        run.iter()
            .find(|(k, _)| k.as_str().len() == key.len() && k.as_str() == key)
            .map(|(_, at)| self.at(*at))
    }

    fn item(self, index: usize) -> Option<Self> {
        let Node::Array(start, end) = self.node()? else {
            return None;
        };
        self.tree
            .items
            .get(*start..*end)?
            .get(index)
            .map(|at| self.at(*at))
    }

    fn members(self) -> Option<impl DoubleEndedIterator<Item = (&'t str, Self)>> {
        self.entries()
            .map(|run| run.map(|(key, at)| (key.as_str(), at)))
    }

    fn items(self) -> Option<impl DoubleEndedIterator<Item = Self>> {
        let Node::Array(start, end) = self.node()? else {
            return None;
        };
        let run = self.tree.items.get(*start..*end)?;
        Some(run.iter().map(move |at| self.at(*at)))
    }
}

/// The pass over the bytes that builds a tree.
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    tree: Tree<'a>,
    /// Members of the objects being read (each object's run at the end, above its parents').
    open_members: Vec<(Text<'a>, usize)>,
    /// Items of the arrays being read.
    open_items: Vec<usize>,
}

impl<'a> Reader<'a> {
    fn skip_ws(&mut self) -> usize {
        while matches!(self.bytes.get(self.i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
        self.i
    }

    /// Reads the value at the cursor (after whitespace); returns its node.
    fn value(&mut self, depth: usize) -> Option<usize> {
        self.skip_ws();
        let node = match *self.bytes.get(self.i)? {
            b'{' if depth < MAX_DEPTH => self.object(depth + 1)?,
            b'[' if depth < MAX_DEPTH => self.array(depth + 1)?,
            b'"' => Node::String(self.string()?),
            b't' => self.literal("true", Node::Bool(true))?,
            b'f' => self.literal("false", Node::Bool(false))?,
            b'n' => self.literal("null", Node::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        self.tree.nodes.push(node);
        Some(self.tree.nodes.len() - 1)
    }

    fn literal(&mut self, word: &str, node: Node<'a>) -> Option<Node<'a>> {
        let end = self.i + word.len();
        (self.bytes.get(self.i..end)? == word.as_bytes()).then(|| {
            self.i = end;
            node
        })
    }

    /// A number, as serde_json reads it (which also checks its grammar).
    fn number(&mut self) -> Option<Node<'a>> {
        let start = self.i;
        while matches!(
            self.bytes.get(self.i),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.i += 1;
        }
        let number = serde_json::from_str(self.text.get(start..self.i)?).ok()?;
        Some(Node::Number(number))
    }

    /// The string whose opening quote is at the cursor.
    fn string(&mut self) -> Option<Text<'a>> {
        let start = self.i;
        if self.bytes.get(start) != Some(&b'"') {
            return None;
        }
        let mut end = start + 1 + string_stop(self.bytes.get(start + 1..)?)?;
        match self.bytes.get(end) {
            Some(b'"') => {
                self.i = end + 1;
                return Some(Text::Plain(self.text.get(start + 1..end)?));
            }
            Some(b'\\') => {}
            _ => return None, // serde_json refuses a raw control character
        }
        // An escape at `end`: find the closing quote, and let serde_json decode the string.
        loop {
            end += 2;
            end += quote_or_backslash(self.bytes.get(end..)?)?;
            if self.bytes.get(end) == Some(&b'"') {
                break;
            }
        }
        let decoded = serde_json::from_str(self.text.get(start..=end)?).ok()?;
        self.i = end + 1;
        Some(Text::Decoded(decoded))
    }

    fn object(&mut self, depth: usize) -> Option<Node<'a>> {
        self.i += 1;
        let base = self.open_members.len();
        if self.bytes.get(self.skip_ws()) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.skip_ws();
                let key = self.string()?;
                if self.bytes.get(self.skip_ws()) != Some(&b':') {
                    return None;
                }
                self.i += 1;
                let value = self.value(depth)?;
                self.open_members.push((key, value));
                if self.separator(b'}')? {
                    break;
                }
            }
        }
        // As a `Value`'s map: sorted by key (a stable sort), the last of equal keys kept.
        let open = self.open_members.get_mut(base..)?;
        open.sort_by(|a, b| key_order(a.0.as_str(), b.0.as_str()));
        let start = self.tree.members.len();
        let mut run = self.open_members.drain(base..).peekable();
        while let Some(member) = run.next() {
            if run
                .peek()
                .is_none_or(|next| next.0.as_str() != member.0.as_str())
            {
                self.tree.members.push(member);
            }
        }
        Some(Node::Object(start, self.tree.members.len()))
    }

    /// What follows a member or an item, consumed: `Some(false)` a comma, `Some(true)` the
    /// container's `close`, `None` anything else (invalid JSON).
    fn separator(&mut self, close: u8) -> Option<bool> {
        let next = self.bytes.get(self.skip_ws()).copied();
        self.i += 1;
        match next {
            Some(b',') => Some(false),
            Some(c) if c == close => Some(true),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<Node<'a>> {
        self.i += 1;
        let base = self.open_items.len();
        if self.bytes.get(self.skip_ws()) == Some(&b']') {
            self.i += 1;
        } else {
            loop {
                let value = self.value(depth)?;
                self.open_items.push(value);
                if self.separator(b']')? {
                    break;
                }
            }
        }
        let start = self.tree.items.len();
        self.tree.items.extend(self.open_items.drain(base..));
        Some(Node::Array(start, self.tree.items.len()))
    }
}

/// Keys in the order of `str`'s `Ord` (a `Value`'s map): the first eight bytes compared as one
/// number, the rest only when those tie. Sorting the members of a record's objects called
/// `memcmp` at every comparison, which cost as much as the rest of the sort.
fn key_order(a: &str, b: &str) -> Ordering {
    prefix(a).cmp(&prefix(b)).then_with(|| a.cmp(b))
}

/// The first eight bytes of `s` as a big-endian number, zero-padded: two keys whose prefixes
/// differ are in the order of their prefixes (a zero byte pads, and a key that is a prefix of
/// another comes first, as in `Ord`).
#[inline]
fn prefix(s: &str) -> u64 {
    let b = s.as_bytes();
    match b.first_chunk::<8>() {
        Some(eight) => u64::from_be_bytes(*eight),
        None => b
            .iter()
            .zip((0..8).rev())
            .fold(0, |w, (&c, k)| w | u64::from(c) << (8 * k)),
    }
}

/// Index of the first `"`, `\\` or control character (below 0x20, which serde_json refuses
/// raw in a string) in `bytes`: where a plain string ends, in one pass. Sixteen bytes at a time
/// ([`string_stops`]), the tail shorter than that byte by byte.
#[inline]
fn string_stop(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(sixteen) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        let found = string_stops::<true>(sixteen);
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize);
        }
        at += 16;
    }
    let tail = bytes.get(at..)?;
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|k| at + k)
}

#[cfg(test)]
mod tests {
    use super::{key_order, string_stop};

    #[test]
    fn key_order_is_the_order_of_str() {
        let keys = [
            "",
            "a",
            "a\0",
            "a\0\0",
            "ab",
            "abc",
            "abcdefg",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgz",
            "abcdefh",
            "b",
            "eventName",
            "eventSource",
            "eventTime",
            "\u{e9}",
            "\u{e9}t\u{e9}",
            "Z",
            "_",
            "\u{7f}",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_order(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn string_stop_finds_the_first_quote_backslash_or_control_character() {
        let slowly = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        };
        for len in 0..40 {
            assert_eq!(string_stop(&vec![b'a'; len]), None);
            assert_eq!(string_stop(&vec![0x80; len]), None);
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    if at + 3 < len {
                        bytes[at + 3] = b'"';
                    }
                    assert_eq!(string_stop(&bytes), slowly(&bytes), "{len} {at} {b:#x}");
                }
            }
        }
    }
}
