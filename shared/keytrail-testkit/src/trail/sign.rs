//! The generator's signing keys (TEST ONLY, committed in `keys/`) and CloudTrail's signing, done
//! here independently of keytrail-core so that a mistake there cannot cancel out: the signing
//! string by the custom-validation page's formula, RSASSA-PKCS1-v1_5 with SHA-256, hex.

use md5::Digest as _;
use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};

/// One of the committed test keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TestKey {
    /// The trail's signing key.
    A,
    /// The key after a rotation.
    B,
    /// An attacker's key: never returned by `ListPublicKeys`.
    Forger,
}

impl TestKey {
    fn pkcs8(self) -> &'static [u8] {
        match self {
            TestKey::A => include_bytes!("keys/TEST-ONLY-signing-key-a.pk8.der"),
            TestKey::B => include_bytes!("keys/TEST-ONLY-signing-key-b.pk8.der"),
            TestKey::Forger => include_bytes!("keys/TEST-ONLY-signing-key-forger.pk8.der"),
        }
    }

    fn pair(self) -> RsaKeyPair {
        RsaKeyPair::from_pkcs8(self.pkcs8()).expect("the committed test key is a PKCS#8 RSA key")
    }

    /// The public key as `ListPublicKeys` returns it: DER, PKCS#1 `RSAPublicKey`.
    pub fn public_der(self) -> Vec<u8> {
        self.pair().public_key().as_ref().to_vec()
    }

    /// CloudTrail's fingerprint of the public key: hex MD5 of its DER.
    pub fn fingerprint(self) -> String {
        hex(&md5::Md5::digest(self.public_der()))
    }

    /// The hex signature (`x-amz-meta-signature`) of a signing string.
    pub fn sign(self, signing_string: &str) -> String {
        let pair = self.pair();
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_string.as_bytes(),
            &mut signature,
        )
        .expect("signing with a test key");
        hex(&signature)
    }
}

/// The data-signing string, as the custom-validation page writes it: end time, `bucket/key`, hex
/// SHA-256 of the uncompressed digest, previous signature (`null` for a starting digest).
pub fn signing_string(
    end: &str,
    bucket: &str,
    key: &str,
    content: &[u8],
    previous: Option<&str>,
) -> String {
    let hash = hex(ring::digest::digest(&ring::digest::SHA256, content).as_ref());
    format!(
        "{end}\n{bucket}/{key}\n{hash}\n{}",
        previous.unwrap_or("null")
    )
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}
