//! The peek: a record's routing fields read without building the record.
//!
//! [`peek`] runs for every record that the quick walk ([`super::peek_quick`]) declines, so it
//! builds nothing: `serde_json` walks the record once, borrowing `eventSource`, `eventName` and
//! `eventType` straight from the bytes when they hold no escapes (hence `Cow`) and skipping
//! everything else with `IgnoredAny`. Duplicate keys resolve as in [`super::Event::parse`] (the
//! last one wins), so the prefilter and the full match always see the same values. A record in
//! an EventBridge envelope is looked at through it. Invalid UTF-8 that the reader passed through
//! is rejected by the full parse; the peek checks only the strings it reads.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::strings::{MaybeStr, Str};

/// A record that is not a usable JSON object.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Not valid JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(#[from] serde_json::Error),
    /// Valid JSON, but not an object.
    #[error("record is a JSON {0}, not an object")]
    NotAnObject(&'static str),
}

/// How many top-level key names a [`Peek`] keeps for messages.
pub const PEEK_KEYS: usize = 5;

/// At most this many top-level keys are screened: a [`Peek`] notes where the values of that
/// many keys are ([`super::peek_quick`]), so the rules the prefilter index cannot route may read
/// no more than this many top-level keys to be screened rather than parsed whole.
pub const MAX_SCREEN_KEYS: usize = 8;

/// The routing fields of a record, read without building the record.
#[derive(Debug, Default)]
pub struct Peek<'a> {
    /// `eventSource`, from the record or its EventBridge `detail`.
    pub event_source: Option<Cow<'a, str>>,
    /// `eventName`, from the record or its EventBridge `detail`.
    pub event_name: Option<Cow<'a, str>>,
    /// `eventType` (`AwsApiCall`, `AwsServiceEvent`, `AwsCloudTrailInsight`, ...): present in
    /// every CloudTrail record since 2015, including Insights events, which have no eventName.
    pub event_type: Option<Cow<'a, str>>,
    /// True when the fields came from an EventBridge envelope's `detail`.
    pub wrapped: bool,
    /// The first [`PEEK_KEYS`] top-level key names, in order. Only [`peek`] notes them (and
    /// `hint`): they describe records that are not events, which a quick peek never returns.
    /// (A vector, empty and unallocated in a quick peek: a peek is moved a few times a record,
    /// and an array of them made it three times larger.)
    pub(super) keys: Vec<Cow<'a, str>>,
    /// How many top-level keys the record has.
    pub(super) key_count: usize,
    /// What the keys suggest the record is, when it is not an event.
    pub(super) hint: Option<&'static str>,
    /// True when the value was an object (a `detail` may be anything).
    pub(super) object: bool,
    /// Where the value of each screened key is (see [`peek_quick`] and [`partial_event`]), by
    /// the key's position in the list asked for; the last one wins, as in a parse.
    /// Offsets as `u32` (a record is far smaller), for the same reason as `keys`.
    pub(super) screened: [Option<std::ops::Range<u32>>; MAX_SCREEN_KEYS],
    /// A top-level key begins with a screened key and a dot: a path may read it too.
    pub(super) screen_dotted: bool,
}

impl Peek<'_> {
    /// True when the record is a CloudTrail event: it has an `eventSource`, an `eventName` or an
    /// `eventType`. A test-case wrapper (`{rule_id, test_name, expected_result, log}`), a
    /// digest file or a manifest has none of them.
    pub fn looks_like_event(&self) -> bool {
        self.event_source.is_some() || self.event_name.is_some() || self.event_type.is_some()
    }

    /// The first top-level key names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.as_ref())
    }

    /// How many top-level keys the record has.
    pub fn key_count(&self) -> usize {
        self.key_count
    }

    /// Where the value of the `member`th screened key is, when the quick peek found it.
    pub(crate) fn screened(&self, member: usize) -> Option<std::ops::Range<usize>> {
        let range = self.screened.get(member).cloned().flatten()?;
        Some(usize::try_from(range.start).ok()?..usize::try_from(range.end).ok()?)
    }

    /// A top-level key begins with a screened key and a dot (a path may read it too).
    pub(crate) fn screen_dotted(&self) -> bool {
        self.screen_dotted
    }

    /// The top-level keys for a message, with a guess at what the record is:
    /// `"rule_id", "test_name", "log" (looks like a Panther rule test case: the event is under "log")`.
    pub fn describe_keys(&self) -> String {
        let mut out: Vec<String> = self.keys().map(|k| format!("{k:?}")).collect();
        if out.is_empty() {
            out.push("none".to_owned());
        }
        let mut text = out.join(", ");
        if self.key_count > PEEK_KEYS {
            text.push_str(&format!(" and {} more", self.key_count - PEEK_KEYS));
        }
        if let Some(hint) = self.hint {
            text.push_str(&format!(" ({hint})"));
        }
        text
    }
}

/// Reads `eventSource`, `eventName` and `eventType` of a raw record, and its first key names.
pub fn peek(json: &[u8]) -> Result<Peek<'_>, RecordError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let peek = match de.deserialize_any(PeekVisitor { nested: false }) {
        Ok(peek) => peek,
        Err(e) => return Err(not_an_object(json).unwrap_or(RecordError::InvalidJson(e))),
    };
    de.end()?;
    Ok(peek)
}

/// For a record that is not an object: which JSON type it is, or why it is not JSON.
fn not_an_object(json: &[u8]) -> Option<RecordError> {
    let first = json.iter().copied().find(|b| !b.is_ascii_whitespace())?;
    if first == b'{' {
        return None;
    }
    if let Err(e) = serde_json::from_slice::<IgnoredAny>(json) {
        return Some(RecordError::InvalidJson(e));
    }
    Some(RecordError::NotAnObject(match first {
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "boolean",
        b'n' => "null",
        _ => "number",
    }))
}

/// Reads a record's top level; `nested` reads an EventBridge `detail`, where anything that is not
/// an object is simply no event.
struct PeekVisitor {
    nested: bool,
}

impl<'de> DeserializeSeed<'de> for PeekVisitor {
    type Value = Peek<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Peek<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PeekVisitor {
    type Value = Peek<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Peek<'de>, A::Error> {
        let mut peek = Peek {
            object: true,
            ..Peek::default()
        };
        let (mut detail_type, mut detail) = (None, None);
        while let Some(Str(key)) = map.next_key()? {
            match key.as_ref() {
                "eventSource" => peek.event_source = map.next_value::<MaybeStr<'de>>()?.0,
                "eventName" => peek.event_name = map.next_value::<MaybeStr<'de>>()?.0,
                "eventType" => peek.event_type = map.next_value::<MaybeStr<'de>>()?.0,
                "detail-type" if !self.nested => detail_type = map.next_value::<MaybeStr<'de>>()?.0,
                "detail" if !self.nested => {
                    detail = Some(map.next_value_seed(PeekVisitor { nested: true })?)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            peek.hint = peek.hint.or_else(|| hint_for_key(key.as_bytes()));
            if peek.keys.len() < PEEK_KEYS {
                peek.keys.push(key);
            }
            peek.key_count += 1;
        }
        let via_cloudtrail = detail_type
            .as_deref()
            .is_some_and(is_cloudtrail_detail_type);
        if !peek.looks_like_event() {
            match detail {
                Some(inner) if via_cloudtrail && inner.object => {
                    peek.event_source = inner.event_source;
                    peek.event_name = inner.event_name;
                    peek.event_type = inner.event_type;
                    peek.wrapped = true;
                }
                _ if detail_type.is_some() && !via_cloudtrail => {
                    peek.hint = Some("an EventBridge event that is not from CloudTrail");
                }
                _ => {}
            }
        }
        Ok(peek)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Peek<'de>, A::Error> {
        if !self.nested {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Peek::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Peek<'de>, E> {
        self.scalar(de::Unexpected::Other("string"))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Peek<'de>, E> {
        self.scalar(de::Unexpected::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Peek<'de>, E> {
        self.scalar(de::Unexpected::Signed(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Peek<'de>, E> {
        self.scalar(de::Unexpected::Unsigned(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Peek<'de>, E> {
        self.scalar(de::Unexpected::Float(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Peek<'de>, E> {
        self.scalar(de::Unexpected::Unit)
    }
}

impl PeekVisitor {
    fn scalar<'de, E: de::Error>(&self, what: de::Unexpected<'_>) -> Result<Peek<'de>, E> {
        if self.nested {
            Ok(Peek::default())
        } else {
            Err(E::invalid_type(what, self))
        }
    }
}

/// A guess at what a non-event record is, from one of its keys.
fn hint_for_key(key: &[u8]) -> Option<&'static str> {
    match key {
        b"digestStartTime" | b"digestPublicKeyFingerprint" | b"previousDigestSignature" => {
            Some("looks like a CloudTrail digest file, not a log: skip CloudTrail-Digest keys")
        }
        b"test_name" | b"expected_result" | b"rule_id" => {
            Some("looks like a Panther rule test case: the event is under \"log\"")
        }
        b"Records" => Some("a nested log file"),
        _ => None,
    }
}

/// EventBridge detail types that carry a CloudTrail event in `detail`.
pub(super) fn is_cloudtrail_detail_type(kind: &str) -> bool {
    kind.ends_with("via CloudTrail")
}
