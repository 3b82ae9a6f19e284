//! Decoding the object keys that arrive URL-encoded.
//!
//! S3 event notifications (direct, through SQS or SNS) and S3 Batch Operations tasks carry
//! keys in `application/x-www-form-urlencoded` form: `+` is a space and `%XX` a byte, so
//! `demo copy 100%.json.gz` arrives as `demo+copy+100%25.json.gz`. A literal `+` arrives as
//! `%2B`. Keys in EventBridge events and in CloudTrail's own notification arrive as-is and are
//! not decoded (see the shape modules for the sources).
//!
//! `form_urlencoded::parse` is not used here: it splits on `&` and `=` and replaces invalid
//! UTF-8 silently, which would turn a bad key into a wrong object instead of an error.

use super::error::ShapeError;

/// Decodes `encoded` with form-urlencoded rules: `+` is a space, `%XX` is the byte `XX`; a `%`
/// not followed by two hex digits is kept as is (as browsers and `form_urlencoded` do).
/// `shape` names the source for the error when the bytes are not UTF-8.
pub(crate) fn decode_form(encoded: &str, shape: &'static str) -> Result<String, ShapeError> {
    if !encoded.contains(['+', '%']) {
        return Ok(encoded.to_owned());
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push((hi << 4) | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(e.as_bytes().get(..valid).unwrap_or_default());
        ShapeError::BadKey {
            shape,
            prefix: prefix.into_owned(),
        }
    })
}

/// The value of an ASCII hex digit.
fn hex(b: &u8) -> Option<u8> {
    char::from(*b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_form_cases() {
        let cases = [
            (
                "AWSLogs/1/CloudTrail/us-east-1/a.json.gz",
                "AWSLogs/1/CloudTrail/us-east-1/a.json.gz",
            ),
            ("demo+copy+100%25.json.gz", "demo copy 100%.json.gz"),
            ("a%2Bb+c", "a+b c"),
            ("a%20b", "a b"),
            ("caf%C3%A9.json", "café.json"),
            ("caf%c3%a9.json", "café.json"),
            ("x%3Dy%26z", "x=y&z"),
            ("a=b&c", "a=b&c"),
            ("100%", "100%"),
            ("100%2", "100%2"),
            ("%zz", "%zz"),
            ("%%41", "%A"),
            ("", ""),
        ];
        for (encoded, want) in cases {
            assert_eq!(
                decode_form(encoded, "test").as_deref(),
                Ok(want),
                "{encoded}"
            );
        }
    }

    #[test]
    fn decode_form_round_trips_what_form_urlencoded_writes() {
        for key in [
            "demo copy 100%.json.gz",
            "a+b c/é/ü€/x=y&z",
            "AWSLogs/(1)/[2]~*'",
        ] {
            let encoded: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
            assert_eq!(
                decode_form(&encoded, "test").as_deref(),
                Ok(key),
                "{encoded}"
            );
        }
    }

    #[test]
    fn decode_form_rejects_invalid_utf8() {
        let err = decode_form("ok%2Fpart%FF%FE", "S3 event notification").unwrap_err();
        assert_eq!(
            err,
            ShapeError::BadKey {
                shape: "S3 event notification",
                prefix: "ok/part".to_owned()
            }
        );
        assert!(err.to_string().contains("encoded twice"), "{err}");
    }
}
