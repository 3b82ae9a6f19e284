//! Partial events for screening: only the parts of a record that some rules read.
//!
//! The rules the prefilter index cannot route would otherwise need every record parsed whole.
//! A [`Projection`] says which parts they read (from their field paths); [`partial_event`]
//! builds a `Value` of just those parts, walking the record's bytes with the peek's scanner and
//! parsing only the values at the paths' ends. Because every value a path can reach is kept
//! whole, and keys spelled with a path's dots (`sessionContext.sessionIssuer` as one key, which
//! the path walk also tries) make it give up, those rules answer on the partial event exactly as
//! on the whole record. Anything unusual (escapes in a key, a malformed member) gives `None`,
//! and the caller parses the record whole.

use serde_json::{Map, Value};

use super::peek::Peek;
use super::walk::{fingerprint, members, same};

/// The parts of a JSON value that some rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// The whole value is read.
    whole: bool,
    /// Otherwise, when it is an object: these members, sorted by name (a value that is not an
    /// object is kept whole). A sorted `Vec`, not a map: the peek walks the top-level names for
    /// every record.
    members: Vec<(String, Projection)>,
    /// The members' names as the quick peek looks a key up among them: entry `n` has bit `m` set
    /// when member `m` (of the first 32) is `n` bytes long (63: at least that)...
    by_length: Vec<u32>,
    /// Bit `n` set when entry `n` of `by_length` is not empty.
    lengths: u64,
    /// ...and each name's [`fingerprint`], in member order.
    prints: Vec<u32>,
}

impl Projection {
    /// Adds a dotted path: every member along it, and the whole value at its end.
    pub fn add_path(&mut self, path: &str) {
        let mut node = self;
        for segment in path.split('.') {
            if node.whole {
                return;
            }
            let at = match node
                .members
                .binary_search_by(|(name, _)| name.as_str().cmp(segment))
            {
                Ok(at) => at,
                Err(at) => {
                    node.members
                        .insert(at, (segment.to_owned(), Projection::default()));
                    node.index_names();
                    at
                }
            };
            node = &mut node.members[at].1;
        }
        node.whole = true;
        node.members.clear();
        node.index_names();
    }

    fn index_names(&mut self) {
        self.by_length = vec![0; 64];
        for (m, (name, _)) in self.members.iter().enumerate().take(32) {
            if let Some(bits) = self.by_length.get_mut(name.len().min(63)) {
                *bits |= 1 << m;
            }
        }
        self.lengths = self
            .members
            .iter()
            .fold(0, |bits, (name, _)| bits | 1 << name.len().min(63));
        self.prints = self
            .members
            .iter()
            .map(|(name, _)| fingerprint(name.as_bytes()))
            .collect();
    }

    /// Bit `n` set when a top-level key read is `n` bytes long (63: at least that).
    pub(super) fn lengths(&self) -> u64 {
        self.lengths
    }

    /// Which of the first 32 top-level members (an index into [`Projection::members`]) `key`
    /// is, if any.
    #[inline]
    pub(super) fn member_of(&self, key: &[u8]) -> Option<usize> {
        let mut alike = self.by_length.get(key.len().min(63)).copied().unwrap_or(0);
        if alike == 0 {
            return None;
        }
        let print = fingerprint(key);
        while alike != 0 {
            let m = alike.trailing_zeros() as usize;
            if self.prints.get(m) == Some(&print)
                && self
                    .members
                    .get(m)
                    .is_some_and(|(n, _)| same(n.as_bytes(), key))
            {
                return Some(m);
            }
            alike &= alike - 1;
        }
        None
    }

    /// The top-level keys read, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(name, _)| name.as_str())
    }

    /// The top-level members read, sorted by name.
    pub(super) fn members(&self) -> &[(String, Projection)] {
        &self.members
    }

    /// How many top-level keys are read.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when nothing is read.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && !self.whole
    }

    /// The parts of `json` (one complete JSON value) this projection reads, or `None` when
    /// they cannot be told apart cheaply.
    fn apply(&self, json: &[u8]) -> Option<Value> {
        let members = members(json).filter(|_| !self.whole);
        let Some(members) = members else {
            return serde_json::from_slice(json).ok();
        };
        let mut map = Map::new();
        for item in members {
            let (key, range) = item?;
            for (member, part) in &self.members {
                let name = member.as_bytes();
                if same(key, name) {
                    // A repeated key: the last one wins, whole, as in a parse.
                    let value = part.apply(json.get(range.clone())?)?;
                    map.insert(member.clone(), value);
                } else if key.get(name.len()) == Some(&b'.') && key.starts_with(name) {
                    return None;
                }
            }
        }
        Some(Value::Object(map))
    }
}

/// An event holding only the parts of the record `json` (one whole JSON object) that
/// `projection` reads, found by walking its top-level members rather than from a peek's notes:
/// what the screen of a routed rule needs (the quick peek notes only the unrouted rules' keys).
/// `None` when `json` is not an object, or its parts cannot be told apart cheaply; the caller
/// then parses the record whole.
pub fn project_record(json: &[u8], projection: &Projection) -> Option<Value> {
    if projection.whole || members(json).is_none() {
        return None;
    }
    projection.apply(json)
}

/// An event holding only the parts of the record `json` that `projection` reads, from the
/// top-level values [`super::peek_quick`] found when asked for `projection`'s keys. `None` when
/// one of them is not valid JSON (the full parse then reports it), or when a key begins with a
/// projected key and a dot (a rule's path may read that key too).
///
/// It is what the screen of the rules the index cannot route needs: those rules answer on it
/// exactly as on the whole record.
pub fn partial_event(json: &[u8], peek: &Peek<'_>, projection: &Projection) -> Option<Value> {
    if peek.screen_dotted {
        return None;
    }
    let mut map = Map::new();
    for (member, (key, part)) in projection.members.iter().enumerate() {
        if let Some(range) = peek.screened(member) {
            map.insert(key.clone(), part.apply(json.get(range)?)?);
        }
    }
    Some(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_walk_an_object_or_say_where_it_cannot() {
        let walk = |json: &str| {
            super::super::walk::members(json.as_bytes()).map(|m| {
                m.map(|item| {
                    item.map(|(k, r)| format!("{}={}", String::from_utf8_lossy(k), &json[r]))
                })
                .collect::<Vec<_>>()
            })
        };
        let some = |items: &[&str]| Some(items.iter().map(|i| Some((*i).to_owned())).collect());
        assert_eq!(
            walk(r#" { "a" : 1 , "b":{"c":[2]} } "#),
            some(&["a=1", r#"b={"c":[2]}"#])
        );
        assert_eq!(walk("{}"), Some(vec![]));
        assert_eq!(walk("{} x"), Some(vec![None]));
        assert_eq!(walk(r#"{"a":1}x"#), Some(vec![None]));
        assert_eq!(walk(r#"{"a":1;"b":2}"#), Some(vec![None]));
        assert_eq!(walk(r#"{"\u0061":1}"#), Some(vec![None]));
        assert_eq!(walk("[1]"), None);
    }

    #[test]
    fn projections_keep_what_paths_reach() {
        let mut p = Projection::default();
        p.add_path("userIdentity.type");
        p.add_path("userIdentity.sessionContext.sessionIssuer.type");
        p.add_path("userAgent");
        p.add_path("userAgent.deeper");
        assert_eq!(p.keys().collect::<Vec<_>>(), ["userAgent", "userIdentity"]);
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"type":"AssumedRole","arn":"x","sessionContext":{"attributes":{"a":1},"sessionIssuer":{"type":"Role","arn":"y"}}}"#,
                Some(
                    r#"{"sessionContext":{"sessionIssuer":{"type":"Role"}},"type":"AssumedRole"}"#,
                ),
            ),
            // The last of a repeated key wins, whole.
            (
                r#"{"type":"Root","type":"IAMUser"}"#,
                Some(r#"{"type":"IAMUser"}"#),
            ),
            (
                r#"{"sessionContext":{"sessionIssuer":{"type":"Role"}},"sessionContext":[1]}"#,
                Some(r#"{"sessionContext":[1]}"#),
            ),
            // Not an object: kept whole, as a path walk would see it.
            (r#"[{"type":"Root"}]"#, Some(r#"[{"type":"Root"}]"#)),
            (r#" { } "#, Some("{}")),
            // A key spelled with the path's dots, an escaped key, malformed members: give up.
            (r#"{"sessionContext.sessionIssuer":{"type":"Role"}}"#, None),
            (r#"{"ty\u0070e":"Root"}"#, None),
            (r#"{"type" "Root"}"#, None),
            (r#"{"type":"Root",}"#, None),
            (r#"{"type":"Root"} x"#, None),
            (r#"{"type":Root}"#, None),
        ];
        let identity = &p.members[1].1;
        for (json, want) in cases {
            let got = identity.apply(json.as_bytes()).map(|v| v.to_string());
            assert_eq!(got.as_deref(), *want, "{json}");
        }
    }
}
