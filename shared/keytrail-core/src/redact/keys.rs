//! Which keys carry secrets: the key-name half of redaction.
//!
//! A key is compared folded: ASCII lowercase, with `_`, `-`, `.` and spaces dropped, so that
//! `privateKey`, `private_key`, `PRIVATE-KEY` and `x-api-key` / `X_API_KEY` each read as one
//! word run. A folded key is secret when it is, in this order:
//! - one of the exact names of key material and bodies: `hb`, `csr`, `certificate`,
//!   `certificateChain`, `certificateBody`, `passphrase`, `innerJws`, `jwsProtected`, `payload`,
//!   `signature`, `contact`, `hmacKey`, `plaintext`;
//! - holds a fragment anywhere: `secret`, `password`, `passwd`, `token`, `credential`,
//!   `privatekey` (so `privateKeyPem`, `encryptedPrivateKey`);
//! - ends with `authorization` (`Authorization`, `Proxy-Authorization`; not `authorizationType`),
//!   `cookie` or `cookies` (`Cookie`, `Set-Cookie`; not `cookieBehavior`), `apikey` or `apikeys`
//!   (`apiKey`, `X-Api-Key`; not `apiKeyId` or `apiKeySource`) or `keymaterial` (`keyMaterial`,
//!   `encryptedKeyMaterial`; not `keyMaterialId`, nor `publicKeyMaterial`, an SSH public key);
//! - has a short word as a whole word of the key as written (split at `_`, `-`, `/`, any other
//!   non-alphanumeric, and camelCase): `pass`, `pwd`, `otp`, `totp`, `hotp`, so that `DB_PASS`,
//!   `mysqlPwd` and `otpCode` are secret and `bypass`, `passport` or `hotplug` are not.
//!
//! This runs for every key of every alerted record, so nothing allocates unless a key is longer
//! than [`FOLD_BYTES`].

/// Keys up to this many bytes (folded) are folded on the stack.
const FOLD_BYTES: usize = 64;

/// Words that mark a value as secret only as a whole word of the key.
const WORDS: &[&[u8]] = &[b"pass", b"pwd", b"otp", b"totp", b"hotp"];

/// True when a value under `key` must not leave keytrail.
pub fn is_secret_key(key: &str) -> bool {
    let mut buf = [0u8; FOLD_BYTES];
    match fold(key, &mut buf) {
        Some(folded) => is_secret_folded(key, folded),
        None => {
            let folded: Vec<u8> = key
                .bytes()
                .filter(|b| !is_separator(*b))
                .map(|b| b.to_ascii_lowercase())
                .collect();
            is_secret_folded(key, &folded)
        }
    }
}

fn is_separator(b: u8) -> bool {
    matches!(b, b'_' | b'-' | b'.' | b' ')
}

/// `key` folded into `buf`, or `None` when it does not fit.
fn fold<'b>(key: &str, buf: &'b mut [u8; FOLD_BYTES]) -> Option<&'b [u8]> {
    let mut n = 0;
    for b in key.bytes() {
        if !is_separator(b) {
            *buf.get_mut(n)? = b.to_ascii_lowercase();
            n += 1;
        }
    }
    buf.get(..n)
}

fn is_secret_folded(key: &str, folded: &[u8]) -> bool {
    let exact = matches!(
        folded,
        b"passphrase"
            | b"hb"
            | b"certificate"
            | b"certificatechain"
            | b"certificatebody"
            | b"innerjws"
            | b"jwsprotected"
            | b"payload"
            | b"signature"
            | b"csr"
            | b"contact"
            | b"hmackey"
            | b"plaintext"
    );
    let suffix = [
        &b"authorization"[..],
        b"cookie",
        b"cookies",
        b"apikey",
        b"apikeys",
    ]
    .iter()
    .any(|s| folded.ends_with(s))
        || (folded.ends_with(b"keymaterial") && !folded.ends_with(b"publickeymaterial"));
    if exact || suffix {
        return true;
    }
    let mut word_candidate = false;
    for (i, first) in folded.iter().enumerate() {
        let rest = folded.get(i..).unwrap_or_default();
        let starts = |fragments: &[&[u8]]| fragments.iter().any(|f| rest.starts_with(f));
        // The fragments by first letter: most positions of most keys start none of them.
        let secret = match first {
            b's' => starts(&[b"secret"]),
            b'p' => {
                word_candidate |= starts(&[b"pass", b"pwd"]);
                starts(&[b"password", b"passwd", b"privatekey"])
            }
            b't' => {
                word_candidate |= starts(&[b"totp"]);
                starts(&[b"token"])
            }
            b'c' => starts(&[b"credential"]),
            b'o' | b'h' => {
                word_candidate |= starts(&[b"otp", b"hotp"]);
                false
            }
            _ => false,
        };
        if secret {
            return true;
        }
    }
    word_candidate && has_secret_word(key)
}

/// True when one of [`WORDS`] is a whole word of `key`: words are split at anything but a letter
/// or digit, where a lowercase letter or digit meets an uppercase one, and before the last
/// capital of a run of capitals that a lowercase letter follows (`DBPass` is `DB`, `Pass`).
fn has_secret_word(key: &str) -> bool {
    let b = key.as_bytes();
    let mut start = 0;
    for i in 0..=b.len() {
        let here = b.get(i);
        let before = i.checked_sub(1).and_then(|p| b.get(p));
        let boundary = match (here, before) {
            (None, _) => true,
            (Some(c), _) if !c.is_ascii_alphanumeric() => true,
            (Some(c), Some(p)) if c.is_ascii_uppercase() => {
                !p.is_ascii_uppercase() || b.get(i + 1).is_some_and(u8::is_ascii_lowercase)
            }
            _ => false,
        };
        if boundary {
            let word = b.get(start..i).unwrap_or_default();
            if WORDS.iter().any(|w| word.eq_ignore_ascii_case(w)) {
                return true;
            }
            start = if here.is_some_and(u8::is_ascii_alphanumeric) {
                i
            } else {
                i + 1
            };
        }
    }
    false
}
