//! Secrets never leave: redaction and size-capping of the event carried in an alert.
//!
//! A value is redacted when any of these says so:
//! - its key ([`is_secret_key`], `redact/keys.rs`): private keys, passphrases, Java `ByteBuffer`
//!   dumps under `hb`, certificate and chain bodies, JWS payloads, CSRs, ACME contacts, key
//!   material, authorization headers, cookies, API keys, anything named like a secret, password,
//!   token or credential, and the short words `pass`, `pwd`, `otp`;
//! - the object around it: a name/value pair whose name is a secret's (`{"name": "DB_PASSWORD",
//!   "value": "..."}` as ECS, Batch and SSM parameters and tags are logged, `{"parameterKey":
//!   ..., "parameterValue": ...}` as CloudFormation's are) has its value redacted;
//! - its shape, whatever its key ([`is_secret_text`], `redact/shape.rs`): PEM blocks but public
//!   ones (certificates, CSRs, public keys), private keys in base64 DER, AWS secret access keys,
//!   JWTs, bearer tokens, SigV4 signatures, Slack and GitHub tokens.
//!
//! It comes in three forms that apply the same rules through the same predicates:
//! - [`Redacted`] serializes a record with its secrets replaced as it writes, without copying
//!   the record: the alert's event is made this way, once, straight to JSON;
//! - [`write_redacted`] writes the same JSON text from a record read into a
//!   [`crate::record::Tree`] (the alerts of records no `Value` was parsed for), copying each
//!   string that holds no escape straight from the record's bytes;
//! - [`redact`] replaces them in place in a parsed record, for the rare event that must be cut
//!   to fit and for callers that want a [`Value`].
//!
//! [`shrink`] cuts long strings and arrays, with a marker saying how much was cut, until the
//! serialized value fits a byte budget; it always terminates, in the worst case replacing the
//! value with a stub that keeps the routing fields.
//!
//! The predicates run for every key and every string of every alerted record, so none of them
//! allocates.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

use memo::Facts;

mod keys;
mod memo;
mod shape;
mod shrink;
mod write;

pub use shape::is_secret_text;
pub use shrink::shrink;
pub use write::write_redacted;

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED by keytrail]";

/// True when a value under `key` must not leave keytrail (see `redact/keys.rs`).
pub fn is_secret_key(key: &str) -> bool {
    memo::facts(key).secret()
}

/// True when the member `key: value` of an object must be redacted (`null` never is); `pair`
/// says whether the object is a name/value pair naming a secret ([`names_a_secret`]).
fn is_secret_member(key: &str, is_null: bool, pair: bool) -> bool {
    member_is_secret(memo::facts(key), is_null, pair)
}

/// [`is_secret_member`] of a key whose facts are known.
fn member_is_secret(key: Facts, is_null: bool, pair: bool) -> bool {
    !is_null && (key.secret() || (pair && key.pair_value()))
}

/// True when an object with these `members` (each key, and its value when a string) is a
/// name/value pair whose name is a secret's: it has a member `name`, `key`, `parameterName` or
/// `parameterKey` (any case, `_` and `-` ignored) whose string value, or the last segment of
/// it as a path (`/prod/db/password`), is a secret key.
fn names_a_secret<'m>(mut members: impl Iterator<Item = (&'m str, Option<&'m str>)>) -> bool {
    members.any(|(key, value)| member_names_a_secret(memo::facts(key), value))
}

/// The member of [`names_a_secret`]: its key's facts, and its value when a string.
fn member_names_a_secret(key: Facts, value: Option<&str>) -> bool {
    key.pair_name()
        && value.is_some_and(|name| {
            is_secret_key(name) || name.rsplit(['/', ':']).next().is_some_and(is_secret_key)
        })
}

/// [`names_a_secret`] of a parsed object.
fn map_names_a_secret(map: &Map<String, Value>) -> bool {
    names_a_secret(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// `key` is `lower` (all lowercase letters), ignoring ASCII case, `_` and `-`.
fn eq_folded(key: &str, lower: &str) -> bool {
    // Quick: the lengths rule out nearly every key before any byte is compared.
    if key.len() < lower.len() {
        return false;
    }
    let mut folded = key.bytes().filter(|b| !matches!(b, b'_' | b'-'));
    lower
        .bytes()
        .all(|l| folded.next().is_some_and(|b| b.to_ascii_lowercase() == l))
        && folded.next().is_none()
}

/// A record that serializes with its secrets redacted, exactly as [`redact`] then serializing
/// would give, without copying it.
#[derive(Debug, Clone, Copy)]
pub struct Redacted<'a>(pub &'a Value);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let pair = map_names_a_secret(map);
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, child) in map {
                    if is_secret_member(key, child.is_null(), pair) {
                        out.serialize_entry(key, REDACTED)?;
                    } else {
                        out.serialize_entry(key, &Redacted(child))?;
                    }
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Redacted(item))?;
                }
                out.end()
            }
            Value::String(s) if is_secret_text(s) => serializer.serialize_str(REDACTED),
            other => other.serialize(serializer),
        }
    }
}

/// Replaces every secret in `value`, in place. Returns how many values were redacted.
pub fn redact(value: &mut Value) -> usize {
    // An explicit stack: a record nested deep enough to overflow recursion is still handled.
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                let pair = map_names_a_secret(map);
                for (key, child) in map.iter_mut() {
                    if is_secret_member(key, child.is_null(), pair) {
                        *child = Value::String(REDACTED.to_owned());
                        count += 1;
                    } else {
                        stack.push(child);
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::String(s) if is_secret_text(s) => {
                *s = REDACTED.to_owned();
                count += 1;
            }
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests;
