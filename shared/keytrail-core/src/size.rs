//! Byte sizes as people write them: `4GiB`, `512 MiB`, `64k`, `1000000`.

/// A size that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid size {0:?}: write a whole number of bytes with an optional unit, e.g. 4GiB, 512MiB, 64KiB, 1000000")]
pub struct ParseSizeError(pub String);

/// Parses a byte size. Units are powers of 1024 (`k`, `KiB`, `M`, `MiB`, `G`, `GiB`, `T`, `TiB`,
/// case-insensitive, `B` optional), or powers of 1000 when spelled `KB`, `MB`, `GB`, `TB`.
pub fn parse_size(text: &str) -> Result<u64, ParseSizeError> {
    let err = || ParseSizeError(text.to_owned());
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| err())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(err()),
    };
    n.checked_mul(mult).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (text, want) in [
            ("1000000", Some(1_000_000)),
            ("4GiB", Some(4 << 30)),
            ("4 gib", Some(4 << 30)),
            ("512MiB", Some(512 << 20)),
            ("64k", Some(64 << 10)),
            ("2GB", Some(2_000_000_000)),
            ("0", Some(0)),
            ("", None),
            ("GiB", None),
            ("1.5GiB", None),
            ("-1", None),
            ("99999999999999TiB", None),
            ("4 parsecs", None),
        ] {
            assert_eq!(parse_size(text).ok(), want, "{text:?}");
        }
    }
}
