//! Secrets never leave: redaction and size-capping of the event carried in an alert.
//!
//! Redaction replaces every value under a secret-bearing key (private keys, passphrases, Java
//! `ByteBuffer` dumps under `hb`, certificate and chain bodies, JWS payloads, CSRs, ACME contacts,
//! anything named like a secret, password, token or credential) and every string that carries a
//! PEM private key, wherever it sits. It comes in two forms that apply the same rules through the
//! same predicates ([`is_secret_key`], [`is_secret_text`]):
//! - [`Redacted`] serializes a record with its secrets replaced as it writes, without copying
//!   the record: the alert's event is made this way, once, straight to JSON;
//! - [`redact`] replaces them in place in a parsed record, for the rare event that must be cut
//!   to fit and for callers that want a [`Value`].
//!
//! [`shrink`] cuts long strings and arrays, with a marker saying how much was cut, until the
//! serialized value fits a byte budget; it always terminates, in the worst case replacing the
//! value with a stub that keeps the routing fields.
//!
//! Both predicates run for every key and every string of every alerted record, so neither
//! allocates.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

mod shrink;

pub use shrink::shrink;

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED by keytrail]";

/// Exact key names (ASCII case-insensitive) whose values are secret or key material.
const SECRET_KEYS: &[&[u8]] = &[
    b"privatekey",
    b"passphrase",
    b"hb",
    b"certificate",
    b"certificatechain",
    b"certificatebody",
    b"innerjws",
    b"jwsprotected",
    b"payload",
    b"signature",
    b"csr",
    b"contact",
    b"hmackey",
    b"plaintext",
];

/// Key name fragments (ASCII case-insensitive) that mark a value as secret.
const SECRET_FRAGMENTS: &[&[u8]] = &[b"secret", b"password", b"passwd", b"token", b"credential"];

/// The letters of each of [`SECRET_KEYS`] and [`SECRET_FRAGMENTS`].
const SECRET_KEY_LETTERS: [u32; SECRET_KEYS.len()] = letters_of(SECRET_KEYS);
const SECRET_FRAGMENT_LETTERS: [u32; SECRET_FRAGMENTS.len()] = letters_of(SECRET_FRAGMENTS);

/// True when a value under `key` must not leave keytrail.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.as_bytes();
    // Most keys lack a letter of every name and fragment: one pass over the key rules them out.
    let letters = letters(key);
    let has = |needed: &u32| letters & needed == *needed;
    SECRET_KEYS
        .iter()
        .zip(&SECRET_KEY_LETTERS)
        .any(|(name, needed)| has(needed) && key.eq_ignore_ascii_case(name))
        || SECRET_FRAGMENTS
            .iter()
            .zip(&SECRET_FRAGMENT_LETTERS)
            .any(|(fragment, needed)| {
                has(needed)
                    && key
                        .windows(fragment.len())
                        .any(|w| w.eq_ignore_ascii_case(fragment))
            })
}

/// The set of ASCII letters (either case) in `bytes`, one bit each.
const fn letters(bytes: &[u8]) -> u32 {
    let (mut set, mut i) = (0, 0);
    while i < bytes.len() {
        let lower = bytes[i] | 0x20;
        if lower.is_ascii_lowercase() {
            set |= 1 << (lower - b'a');
        }
        i += 1;
    }
    set
}

const fn letters_of<const N: usize>(words: &[&[u8]]) -> [u32; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = letters(words[i]);
        i += 1;
    }
    out
}

/// True when `text` carries a PEM private key, whatever key it sits under.
pub fn is_secret_text(text: &str) -> bool {
    const MARK: &[u8] = b"PRIVATE KEY-----";
    let bytes = text.as_bytes();
    bytes.len() >= MARK.len()
        && memchr::memchr_iter(b'-', bytes)
            .any(|at| at >= 11 && bytes.get(at - 11..at + 5).is_some_and(|w| w == MARK))
}

/// True when the member `key: value` of an object must be redacted.
fn is_secret_member(key: &str, value: &Value) -> bool {
    !value.is_null() && is_secret_key(key)
}

/// A record that serializes with its secrets redacted, exactly as [`redact`] then serializing
/// would give, without copying it.
#[derive(Debug, Clone, Copy)]
pub struct Redacted<'a>(pub &'a Value);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, child) in map {
                    if is_secret_member(key, child) {
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
                for (key, child) in map.iter_mut() {
                    if is_secret_member(key, child) {
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
