//! Value transformations of the Sigma modifiers `base64`, `base64offset` and `windash`.
//!
//! They follow pySigma, the reference implementation, so that a rule matches here what it
//! matches in a SIEM: `base64offset` yields the three encodings of a value at byte offsets 0, 1
//! and 2 with the unstable edge characters cut off, and `windash` yields the value with every
//! option dash (a `-` or `/` that starts a word) replaced in turn by `-`, `/`, en dash, em dash
//! and horizontal bar.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three `base64offset` forms of `value`, as pySigma computes them.
pub(crate) fn base64_offsets(value: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(3);
    for shift in 0..3 {
        let mut bytes = vec![b' '; shift];
        bytes.extend_from_slice(value.as_bytes());
        let encoded = base64(&bytes);
        let start = [0, 2, 3][shift];
        let end = match (value.len() + shift) % 3 {
            0 => encoded.len(),
            1 => encoded.len().saturating_sub(3),
            _ => encoded.len().saturating_sub(2),
        };
        let form = encoded
            .get(start..end.max(start))
            .unwrap_or_default()
            .to_owned();
        if !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

/// The `windash` variants of `value` (just `value` when it has no option dash).
pub(crate) fn windash(value: &str) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let dash_at: Vec<bool> = (0..chars.len())
        .map(|i| {
            matches!(chars[i], '-' | '/')
                && !word(i.checked_sub(1).and_then(|p| chars.get(p)))
                && word(chars.get(i + 1))
        })
        .collect();
    if !dash_at.contains(&true) {
        return vec![value.to_owned()];
    }
    ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}']
        .into_iter()
        .map(|dash| {
            chars
                .iter()
                .zip(&dash_at)
                .map(|(c, is_dash)| if *is_dash { dash } else { *c })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }

    #[test]
    fn base64offset_matches_pysigma() {
        // pySigma: base64offset of "/bin/bash" and "sh".
        assert_eq!(
            base64_offsets("/bin/bash"),
            ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
        assert_eq!(base64_offsets("sh"), ["c2", "No", "za"]);
    }

    #[test]
    fn windash_variants() {
        assert_eq!(
            windash("-enc x"),
            [
                "-enc x",
                "/enc x",
                "\u{2013}enc x",
                "\u{2014}enc x",
                "\u{2015}enc x"
            ]
        );
        assert_eq!(windash("a-b"), ["a-b"]);
        assert_eq!(windash("cmd /c x -y")[1], "cmd /c x /y");
    }
}
