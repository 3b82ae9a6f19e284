//! CloudTrail's public keys: what `ListPublicKeys` returns, looked up by the digest's
//! `digestPublicKeyFingerprint`.
//!
//! A key's `Value` is DER: the API reference says PKCS#1 `RSAPublicKey`, and two of the three
//! sample keys on the custom-validation page are; the third is an X.509 `SubjectPublicKeyInfo`
//! wrapping one. Both are accepted. The fingerprint is the hex MD5 of the DER bytes as
//! delivered (checked against all three documented samples), so a key read from a file gets its
//! fingerprint without the API.

use std::collections::BTreeMap;

use md5::Digest as _;

use super::hash::hex;
use super::time::Timestamp;

/// Why bytes are not a usable CloudTrail public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not DER of an RSA public key (PKCS#1 `RSAPublicKey` or `SubjectPublicKeyInfo`).
    #[error("not an RSA public key in DER (PKCS#1 RSAPublicKey or SubjectPublicKeyInfo)")]
    NotRsa,
    /// An RSA modulus outside 2048..=8192 bits (CloudTrail's keys are 2048).
    #[error("RSA modulus of {0} bits: keys of 2048 to 8192 bits are accepted")]
    Size(usize),
    /// The fingerprint given with the key is not the MD5 of its DER.
    #[error("fingerprint {given} does not match the key (its MD5 is {computed})")]
    Fingerprint {
        /// The fingerprint that came with the key.
        given: String,
        /// The MD5 of the key's DER.
        computed: String,
    },
    /// A key file that is neither DER, base64 of DER, PEM, nor ListPublicKeys JSON
    /// ([`PublicKey::from_file`]).
    #[error("{0}: give the DER that ListPublicKeys returns (raw or base64), a PEM public key, or the JSON of `aws cloudtrail list-public-keys`")]
    File(String),
}

/// One CloudTrail public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    fingerprint: String,
    der: Vec<u8>,
    rsa: Vec<u8>,
    /// `ValidityStartTime`, when known.
    pub valid_from: Option<Timestamp>,
    /// `ValidityEndTime`, when known.
    pub valid_until: Option<Timestamp>,
}

const RSA_ENCRYPTION_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Tag, content and rest of one DER element.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |l, &b| l << 8 | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The PKCS#1 `RSAPublicKey` inside `der`, and its modulus size in bits.
fn rsa_public_key(der: &[u8]) -> Option<(&[u8], usize)> {
    let (tag, body, rest) = tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (first, content, after) = tlv(body)?;
    if first == 0x30 {
        // SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID rsaEncryption, ... }, BIT STRING }.
        let (oid_tag, oid, _) = tlv(content)?;
        let (bits_tag, bits, end) = tlv(after)?;
        let (&unused, inner) = bits.split_first()?;
        let ok = oid_tag == 0x06 && oid == RSA_ENCRYPTION_OID && bits_tag == 0x03 && unused == 0;
        return if ok && end.is_empty() {
            rsa_public_key(inner)
        } else {
            None
        };
    }
    // RSAPublicKey: SEQUENCE { INTEGER modulus, INTEGER publicExponent }.
    let (e_tag, e, end) = tlv(after)?;
    if first != 0x02 || e_tag != 0x02 || e.is_empty() || !end.is_empty() {
        return None;
    }
    let modulus = &content[content
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(content.len())..];
    let bits = modulus
        .first()
        .map_or(0, |&top| modulus.len() * 8 - top.leading_zeros() as usize);
    Some((der, bits))
}

impl PublicKey {
    /// A key from its DER (PKCS#1 or SubjectPublicKeyInfo); the fingerprint is computed.
    pub fn from_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let (rsa, bits) = rsa_public_key(der).ok_or(KeyError::NotRsa)?;
        if !(2048..=8192).contains(&bits) {
            return Err(KeyError::Size(bits));
        }
        Ok(PublicKey {
            fingerprint: hex(&md5::Md5::digest(der)),
            rsa: rsa.to_vec(),
            der: der.to_vec(),
            valid_from: None,
            valid_until: None,
        })
    }

    /// A `ListPublicKeys` entry: `Value` (DER), the validity times and `Fingerprint`, which must
    /// be the key's.
    pub fn from_list_entry(
        der: &[u8],
        valid_from: Option<Timestamp>,
        valid_until: Option<Timestamp>,
        fingerprint: &str,
    ) -> Result<PublicKey, KeyError> {
        let key = PublicKey::from_der(der)?;
        if !key.fingerprint.eq_ignore_ascii_case(fingerprint) {
            return Err(KeyError::Fingerprint {
                given: fingerprint.chars().take(40).collect(),
                computed: key.fingerprint,
            });
        }
        Ok(PublicKey {
            valid_from,
            valid_until,
            ..key
        })
    }

    /// The fingerprint: lowercase hex MD5 of the DER.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The DER, as delivered.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 SHA-256 signature of `message`
    /// (Java's `SHA256withRSA`).
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &self.rsa,
        );
        key.verify(message, signature).is_ok()
    }

    /// Whether the key's validity range includes `at` (an unknown bound includes everything).
    pub fn valid_at(&self, at: Timestamp) -> bool {
        self.valid_from.is_none_or(|from| from <= at)
            && self.valid_until.is_none_or(|until| at <= until)
    }
}

/// The public keys known to a check, by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeys {
    keys: BTreeMap<String, PublicKey>,
}

impl PublicKeys {
    /// No keys.
    pub fn new() -> PublicKeys {
        PublicKeys::default()
    }

    /// Adds a key (replacing one with the same fingerprint).
    pub fn insert(&mut self, key: PublicKey) {
        self.keys.insert(key.fingerprint.clone(), key);
    }

    /// The key with this fingerprint (either case).
    pub fn get(&self, fingerprint: &str) -> Option<&PublicKey> {
        self.keys.get(&fingerprint.to_ascii_lowercase())
    }

    /// Every key, by fingerprint.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.values()
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No keys at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether some key is valid at `at`: a cache that does not cover a digest's time should ask
    /// `ListPublicKeys` again before calling its fingerprint unknown.
    pub fn covers(&self, at: Timestamp) -> bool {
        self.keys.values().any(|k| k.valid_at(at))
    }
}

impl FromIterator<PublicKey> for PublicKeys {
    fn from_iter<I: IntoIterator<Item = PublicKey>>(iter: I) -> PublicKeys {
        let mut keys = PublicKeys::new();
        keys.extend(iter);
        keys
    }
}

impl Extend<PublicKey> for PublicKeys {
    fn extend<I: IntoIterator<Item = PublicKey>>(&mut self, iter: I) {
        for key in iter {
            self.insert(key);
        }
    }
}
