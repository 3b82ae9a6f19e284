//! Which values are secrets whatever key they sit under: the value-shape half of redaction.
//!
//! A key name says nothing when a token is pasted into a user agent, a tag or a parameter named
//! `value`, so every string is also judged by its shape. The whole value is a secret when it is:
//! - an AWS secret access key: exactly 40 characters of `A-Z a-z 0-9 + /`, with upper case,
//!   lower case and digits, and at least [`MIN_CLASS_CHANGES`] changes between those classes
//!   (random text changes class about 25 times in 40 characters; a SHA-1 in hex has one case, a
//!   path or a name made of words changes far less often, an ARN has `:`), and not base64 of
//!   JSON (`eyJ`, an encryption context);
//! - a private key in base64 DER without its PEM lines: at least 64 base64 characters, line
//!   breaks allowed, a SEQUENCE (`M`) whose encoded length is exactly the length of the decoded
//!   bytes (random base64 almost never is) and whose first element is an INTEGER (PKCS #1,
//!   PKCS #8, SEC1 and DSA keys, PKCS #12 files) or an encryption algorithm of PKCS #5 or #12
//!   (an encrypted PKCS #8 key). Public DER (certificates, whose first element is a SEQUENCE
//!   with a version or serial, CSRs, public keys, CRLs) is left as it is: it is no secret, and
//!   where it is expected (`certificate`, `csr`, ...) its key redacts it.
//!
//! And a value that carries one of these anywhere is a secret as a whole:
//! - a PEM block whose label is not one of the public ones ([`PUBLIC_PEM_LABELS`]:
//!   certificates, CSRs, CRLs, public keys, PGP public keys and signatures), so `PRIVATE KEY`,
//!   `RSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`, `ENCRYPTED PRIVATE KEY` and any label keytrail
//!   does not know; or a `PRIVATE KEY-----` line (the end of a block cut before its start);
//! - a JWT or JWS (`eyJ` and at least two more dot-separated base64url parts);
//! - `Bearer ` and a token of 16 or more characters, or 8 or more with a digit (`bearer
//!   instrument` is English); `Signature=` and 16 or more (SigV4 headers, presigned URLs);
//! - a Slack token (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-` and 10 or more
//!   characters with a digit) or a GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 30 or more
//!   characters; `github_pat_` and 20 or more);
//! - an AWS secret access key after `=`, `:` or a space, ending the value or followed by
//!   anything but a base64 character.
//!
//! The pass over a value finds the few bytes that can end a marker (`-`, `_`, `=`, `:`, space,
//! `J`) sixteen bytes at a time, in a few vector instructions ([`wide`], as `read/blocks.rs`
//! does), and looks around only there, so the common value (an ARN, a user agent, an id) costs
//! little more than reading it.

use wide::{i8x16, CmpEq};

/// Shorter values carry none of the shapes.
const MIN_SHAPE_BYTES: usize = 14;
/// Class changes an AWS secret access key must have; see the module docs.
const MIN_CLASS_CHANGES: usize = 10;
/// Base64 characters a DER key must have (48 bytes: an Ed25519 private key in PKCS #8).
const MIN_DER_CHARS: usize = 64;

/// True when `text` is, or carries, a secret by its shape; see the module docs.
pub fn is_secret_text(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < MIN_SHAPE_BYTES {
        return false;
    }
    let trimmed = b.trim_ascii();
    (trimmed.len() == 40 && is_aws_secret(trimmed))
        || (trimmed.first() == Some(&b'M') && is_der_private_key(trimmed))
        || carries_marker(b)
}

/// Bytes at which [`carries_marker`] looks around.
const TRIGGERS: [u8; 6] = [b'-', b'_', b'=', b':', b' ', b'J'];

fn carries_marker(b: &[u8]) -> bool {
    // Sixteen bytes at a time: the triggers among them as a bit mask, then each in order.
    for (n, chunk) in b.chunks(16).enumerate() {
        let mut triggers = trigger_mask(chunk);
        while triggers != 0 {
            let i = 16 * n + triggers.trailing_zeros() as usize;
            triggers &= triggers - 1;
            if marker_at(b, i) {
                return true;
            }
        }
    }
    false
}

/// Bit `k` set when byte `k` of `chunk` (at most 16 bytes) is one of [`TRIGGERS`].
#[inline]
fn trigger_mask(chunk: &[u8]) -> u32 {
    // A whole chunk is loaded as it is; only the last, shorter one is copied into a padded
    // array (a copy through the stack before every load stalled the load each time).
    let lanes = match chunk.first_chunk::<16>() {
        Some(sixteen) => sixteen.map(|b| b as i8),
        None => {
            let mut lanes = [0i8; 16];
            for (lane, byte) in lanes.iter_mut().zip(chunk) {
                *lane = *byte as i8;
            }
            lanes
        }
    };
    let v = i8x16::new(lanes);
    let hits = TRIGGERS.iter().fold(i8x16::splat(0), |hits, t| {
        hits | v.cmp_eq(i8x16::splat(*t as i8))
    });
    hits.move_mask() as u32 & 0xffff
}

/// A marker ends at byte `i` of `b`, a trigger.
fn marker_at(b: &[u8], i: usize) -> bool {
    let before = b.get(..i).unwrap_or_default();
    let after = b.get(i + 1..).unwrap_or_default();
    match b.get(i).copied().unwrap_or(0) {
        b'-' => {
            is_secret_pem_begin(after)
                || (before.ends_with(b"PRIVATE KEY") && after.starts_with(b"----"))
                || (is_slack_prefix(before) && is_slack_token(after))
        }
        b'_' => {
            (is_github_prefix(before) && run(after, u8::is_ascii_alphanumeric) >= 30)
                || (ends_with_word(before, b"github_pat")
                    && run(after, |c| c.is_ascii_alphanumeric() || *c == b'_') >= 20)
        }
        b'=' => {
            (ends_with_ignore_case(before, b"signature") && run(after, is_token_char) >= 16)
                || is_aws_secret_at(after)
        }
        b' ' => {
            (ends_with_word_ignore_case(before, b"bearer") && is_bearer_token(after))
                || is_aws_secret_at(after)
        }
        b':' => is_aws_secret_at(after),
        // `J` of `eyJ`, the base64 of `{"` that starts a JWT's header.
        b'J' => before.ends_with(b"ey") && is_jwt(b.get(i - 2..).unwrap_or_default(), before),
        _ => false,
    }
}

/// A bearer token starts `after`: 16 or more token characters, or 8 or more with a digit.
fn is_bearer_token(after: &[u8]) -> bool {
    let token = after.get(..run(after, is_token_char)).unwrap_or_default();
    token.len() >= 16 || (token.len() >= 8 && token.iter().any(u8::is_ascii_digit))
}

/// How many leading bytes of `b` satisfy `f`.
fn run(b: &[u8], f: impl Fn(&u8) -> bool) -> usize {
    b.iter().take_while(|c| f(c)).count()
}

fn is_base64_char(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/'
}

fn is_base64url_char(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_'
}

/// Characters of bearer tokens and signatures (base64, base64url, hex, URL-encoded).
fn is_token_char(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=' | b'%')
}

/// A Slack token's body starts `after`: 10 or more letters, digits and dashes, with a digit
/// (its team and user ids).
fn is_slack_token(after: &[u8]) -> bool {
    let body = after
        .get(..run(after, |c| c.is_ascii_alphanumeric() || *c == b'-'))
        .unwrap_or_default();
    body.len() >= 10 && body.iter().any(u8::is_ascii_digit)
}

/// `before` ends with `xoxb`, `xoxp`, `xoxa`, `xoxr`, `xoxs` or `xoxe`.
fn is_slack_prefix(before: &[u8]) -> bool {
    match before.len().checked_sub(4).and_then(|at| before.get(at..)) {
        Some([b'x', b'o', b'x', kind]) => b"bparse".contains(kind),
        _ => false,
    }
}

/// `before` ends with `ghp`, `gho`, `ghu`, `ghs` or `ghr` at a word start.
fn is_github_prefix(before: &[u8]) -> bool {
    match before.len().checked_sub(3).and_then(|at| before.get(at..)) {
        Some([b'g', b'h', kind]) => b"pousr".contains(kind) && at_word_start(before, 3),
        _ => false,
    }
}

/// The last `len` bytes of `before` start a word (nothing alphanumeric before them).
fn at_word_start(before: &[u8], len: usize) -> bool {
    before
        .len()
        .checked_sub(len + 1)
        .and_then(|at| before.get(at))
        .is_none_or(|c| !c.is_ascii_alphanumeric())
}

fn ends_with_word(before: &[u8], word: &[u8]) -> bool {
    before.ends_with(word) && at_word_start(before, word.len())
}

fn ends_with_ignore_case(before: &[u8], word: &[u8]) -> bool {
    before
        .len()
        .checked_sub(word.len())
        .and_then(|at| before.get(at..))
        .is_some_and(|tail| tail.eq_ignore_ascii_case(word))
}

fn ends_with_word_ignore_case(before: &[u8], word: &[u8]) -> bool {
    ends_with_ignore_case(before, word) && at_word_start(before, word.len())
}

/// An AWS secret access key starts `after` and ends there (the value ends, or a byte that is no
/// base64 follows).
fn is_aws_secret_at(after: &[u8]) -> bool {
    after.get(..40).is_some_and(is_aws_secret)
        && after
            .get(40)
            .is_none_or(|c| !is_base64_char(c) && *c != b'=')
}

/// Exactly the shape of an AWS secret access key; see the module docs.
fn is_aws_secret(b: &[u8]) -> bool {
    if b.len() != 40 || b.starts_with(b"eyJ") || !b.iter().all(is_base64_char) {
        return false;
    }
    let class = |c: &u8| match c {
        b'A'..=b'Z' => 0u8,
        b'a'..=b'z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    };
    let (mut seen, mut changes) = ([false; 4], 0);
    for pair in b.windows(2) {
        if let [x, y] = pair {
            changes += usize::from(class(x) != class(y));
        }
    }
    for c in b {
        if let Some(s) = seen.get_mut(usize::from(class(c))) {
            *s = true;
        }
    }
    seen[0] && seen[1] && seen[2] && changes >= MIN_CLASS_CHANGES
}

/// `b` (from `eyJ` on, `before` what precedes it) is a JWT, JWS or JWE in compact form: a header
/// of at least 10 base64url characters, then at least one more non-empty part and a dot.
fn is_jwt(b: &[u8], before: &[u8]) -> bool {
    if before.len() > 2 && before.get(before.len() - 3).is_some_and(is_base64url_char) {
        return false; // `eyJ` inside a longer base64 run
    }
    let header = run(b, is_base64url_char);
    if header < 10 || b.get(header) != Some(&b'.') {
        return false;
    }
    let rest = b.get(header + 1..).unwrap_or_default();
    let payload = run(rest, is_base64url_char);
    payload >= 2 && rest.get(payload) == Some(&b'.')
}

/// PEM labels of public data: a block with one of these is no secret by its shape.
pub const PUBLIC_PEM_LABELS: &[&[u8]] = &[
    b"CERTIFICATE",
    b"TRUSTED CERTIFICATE",
    b"X509 CERTIFICATE",
    b"CERTIFICATE REQUEST",
    b"NEW CERTIFICATE REQUEST",
    b"X509 CRL",
    b"PUBLIC KEY",
    b"RSA PUBLIC KEY",
    b"PKCS7",
    b"CMS",
    b"PGP PUBLIC KEY BLOCK",
    b"PGP SIGNATURE",
    b"SSH2 PUBLIC KEY",
];

/// `after` (what follows a `-`) is the rest of a `-----BEGIN <label>-----` line whose label
/// (up to a `-` or the line's end) is not public.
fn is_secret_pem_begin(after: &[u8]) -> bool {
    let Some(rest) = after.strip_prefix(b"----BEGIN ") else {
        return false;
    };
    let label_len = rest
        .iter()
        .position(|c| matches!(c, b'-' | b'\r' | b'\n'))
        .unwrap_or(rest.len());
    let label = rest.get(..label_len).unwrap_or_default();
    !PUBLIC_PEM_LABELS.contains(&label)
}

/// `b` is base64 (line breaks allowed) of a DER private key; see the module docs.
fn is_der_private_key(b: &[u8]) -> bool {
    // The first 40 characters decode to the 30 bytes the headers and an algorithm id take.
    let mut head = [0u8; 40];
    let (mut chars, mut padding) = (0usize, 0usize);
    for &c in b {
        match c {
            b'=' => padding += 1,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ if padding > 0 => return false,
            _ => {
                let Some(v) = sextet(c) else { return false };
                if let Some(slot) = head.get_mut(chars) {
                    *slot = v;
                }
                chars += 1;
            }
        }
    }
    // Padded to a multiple of 4, or unpadded (base64url) with no dangling sextet.
    let aligned = if padding > 0 {
        (chars + padding) % 4 == 0
    } else {
        chars % 4 != 1
    };
    if chars < MIN_DER_CHARS || padding > 2 || !aligned {
        return false;
    }
    let mut bytes = [0u8; 30];
    for (quad, out) in head.chunks(4).zip(bytes.chunks_mut(3)) {
        let n = quad.iter().fold(0u32, |n, s| (n << 6) | u32::from(*s));
        for (k, byte) in out.iter_mut().enumerate() {
            *byte = (n >> (16 - 8 * k)) as u8;
        }
    }
    let Some((header, content)) = sequence_header(&bytes) else {
        return false;
    };
    if header + content != chars * 3 / 4 {
        return false;
    }
    let inner = bytes.get(header..).unwrap_or_default();
    match inner.first() {
        // An INTEGER first: a version (keys, PKCS #12).
        Some(0x02) => true,
        // A SEQUENCE holding an OID of PKCS #5 (1.2.840.113549.1.5) or PKCS #12 PBE
        // (1.2.840.113549.1.12.1): EncryptedPrivateKeyInfo's algorithm.
        Some(0x30) => sequence_header(inner)
            .and_then(|(h, _)| inner.get(h..))
            .is_some_and(|oid| {
                matches!(
                    oid,
                    [0x06, _, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, ..]
                        | [
                            0x06,
                            _,
                            0x2a,
                            0x86,
                            0x48,
                            0x86,
                            0xf7,
                            0x0d,
                            0x01,
                            0x0c,
                            0x01,
                            ..
                        ]
                )
            }),
        _ => false,
    }
}

/// The header length and content length of the DER SEQUENCE `b` starts with.
fn sequence_header(b: &[u8]) -> Option<(usize, usize)> {
    match *b {
        [0x30, len, ..] if len < 0x80 => Some((2, usize::from(len))),
        [0x30, 0x81, len, ..] => Some((3, usize::from(len))),
        [0x30, 0x82, hi, lo, ..] => Some((4, usize::from(hi) << 8 | usize::from(lo))),
        [0x30, 0x83, a, b, c, ..] => Some((
            5,
            usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c),
        )),
        _ => None,
    }
}

fn sextet(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{carries_marker, marker_at, TRIGGERS};

    /// The byte-by-byte pass the vector one replaced.
    fn carries_marker_slowly(b: &[u8]) -> bool {
        (0..b.len()).any(|i| TRIGGERS.contains(&b[i]) && marker_at(b, i))
    }

    /// The vector pass finds what the byte walk finds: every marker, at every offset across
    /// the 16-byte chunks, in values of every length, and nothing in near misses.
    #[test]
    fn the_vector_pass_agrees_with_the_byte_walk() {
        let markers = [
            "-----BEGIN PRIVATE KEY-----",
            "xoxb-123456789012-abcdef",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "Signature=0123456789abcdef0123",
            "Bearer abcdefgh12345678",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "eyJ",
            "-",
            "_",
            "=",
            ":",
            " ",
            "J",
            "Bearer x",
            "xoxb-abc",
        ];
        let mut checked = 0;
        for marker in markers {
            for pad in 0..40 {
                for filler in ["a", "é", "-"] {
                    let before = filler.repeat(pad);
                    for value in [
                        format!("{before}{marker}"),
                        format!("{before}{marker}{before}"),
                    ] {
                        let b = value.as_bytes();
                        assert_eq!(carries_marker(b), carries_marker_slowly(b), "{value:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(carries_marker(markers[0].as_bytes()));
        assert!(!carries_marker(b"arn:aws:iam::123456789012:role/Admin"));
        assert!(checked > 1000);
    }
}
