//! The redacting writer over a record read into a [`Tree`]: the same JSON text that
//! serializing [`super::Redacted`] over the record's `Value` gives, byte for byte.
//!
//! Both decide through the same predicates ([`super::is_secret_member`] and
//! [`super::names_a_secret`], here on each key's facts judged once, and
//! [`super::is_secret_text`]), and the tree holds what the `Value`
//! holds, in the same order (see `record/tree.rs`). The text is compact JSON as serde_json
//! writes it: a string that holds no escape in the record holds nothing serde_json would
//! escape (no quote, backslash or control character), so it is copied as it is between quotes;
//! a decoded string and every number are written by serde_json itself.

use std::io;

use crate::record::{At, Kind, Text, Tree, View};

use super::memo::{self, Facts};
use super::{is_secret_text, member_is_secret, member_names_a_secret, REDACTED};

/// Keys of an object whose facts are kept while it is written.
const KEYS: usize = 32;

/// Writes the record `tree` holds as compact JSON, its secrets redacted, to `out`.
pub fn write_redacted(tree: &Tree<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    write_value(tree.root(), out)
}

fn write_value(value: At<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    match value.kind() {
        Some(Kind::Object) => {
            // Each key is judged once, for the pair test and for its member (the first
            // [`KEYS`] of an object; any further ones twice). The pair test only matters to a
            // member that names a pair's value, so without one it is not made: it judges the
            // value of every `key` member, which in S3 data events is an object's path, new
            // every time.
            let mut judged = [Facts::default(); KEYS];
            let mut values = false;
            for (n, (key, _)) in value.entries().into_iter().flatten().enumerate() {
                let facts = memo::facts(key.as_str());
                if let Some(slot) = judged.get_mut(n) {
                    *slot = facts;
                }
                values |= facts.pair_value();
            }
            let pair =
                values
                    && value.entries().into_iter().flatten().enumerate().any(
                        |(n, (key, child))| {
                            let facts = match judged.get(n) {
                                Some(facts) => *facts,
                                None => memo::facts(key.as_str()),
                            };
                            member_names_a_secret(facts, child.as_str())
                        },
                    );
            out.push(b'{');
            for (n, (key, child)) in value.entries().into_iter().flatten().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_text(key, out)?;
                out.push(b':');
                let facts = match judged.get(n) {
                    Some(facts) => *facts,
                    None => memo::facts(key.as_str()),
                };
                if member_is_secret(facts, child.is_null(), pair) {
                    write_plain(REDACTED, out);
                } else {
                    write_value(child, out)?;
                }
            }
            out.push(b'}');
        }
        Some(Kind::Array) => {
            out.push(b'[');
            for (n, item) in value.items().into_iter().flatten().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Some(Kind::String(text)) if is_secret_text(text.as_str()) => write_plain(REDACTED, out),
        Some(Kind::String(text)) => write_text(text, out)?,
        Some(Kind::Number(n)) => serde_json::to_writer(&mut *out, n)?,
        Some(Kind::Bool(true)) => out.extend_from_slice(b"true"),
        Some(Kind::Bool(false)) => out.extend_from_slice(b"false"),
        Some(Kind::Null) | None => out.extend_from_slice(b"null"),
    }
    Ok(())
}

fn write_text(text: &Text<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    match text {
        Text::Plain(s) => write_plain(s, out),
        Text::Decoded(s) => serde_json::to_writer(&mut *out, s.as_str())?,
    }
    Ok(())
}

/// `s`, which holds nothing JSON escapes, as a JSON string.
fn write_plain(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}
