//! Key files for offline checks (`keytrail verify --public-key FILE`): the DER `ListPublicKeys`
//! returns (raw, or base64 as the AWS CLI prints `Value`), PEM, or the JSON output of
//! `aws cloudtrail list-public-keys` with its validity times.

use base64::Engine as _;

use super::keys::{KeyError, PublicKey};
use super::time::Timestamp;

impl PublicKey {
    /// The keys in a file: the DER that `ListPublicKeys` returns (raw, or base64 as the CLI
    /// prints `Value`), PEM (`PUBLIC KEY` or `RSA PUBLIC KEY` blocks), or the JSON output of
    /// `aws cloudtrail list-public-keys` (every entry, with its validity times).
    pub fn from_file(bytes: &[u8]) -> Result<Vec<PublicKey>, KeyError> {
        if bytes.first() == Some(&0x30) {
            return Ok(vec![PublicKey::from_der(bytes)?]);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| KeyError::File("not DER and not text".to_owned()))?;
        let text = text.trim();
        if text.starts_with('{') {
            return from_json(text);
        }
        if text.starts_with("-----BEGIN") {
            let keys = from_pem(text)?;
            if keys.is_empty() {
                return Err(KeyError::File(
                    "a PEM file with no complete key block".to_owned(),
                ));
            }
            return Ok(keys);
        }
        Ok(vec![PublicKey::from_der(&base64_decode(text)?)?])
    }
}

fn base64_decode(text: &str) -> Result<Vec<u8>, KeyError> {
    let compact: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| KeyError::File(format!("not base64: {e}")))
}

fn from_pem(text: &str) -> Result<Vec<PublicKey>, KeyError> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let after = &rest[begin + 11..];
        let label_end = after
            .find("-----")
            .ok_or_else(|| KeyError::File("unterminated PEM header".to_owned()))?;
        let label = &after[..label_end];
        let body = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end = body
            .find(&end_marker)
            .ok_or_else(|| KeyError::File(format!("no {end_marker:?}")))?;
        if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
            return Err(KeyError::File(format!(
                "PEM block {label:?} is not a public key"
            )));
        }
        keys.push(PublicKey::from_der(&base64_decode(&body[..end])?)?);
        rest = &body[end + end_marker.len()..];
    }
    Ok(keys)
}

fn from_json(text: &str) -> Result<Vec<PublicKey>, KeyError> {
    let bad = |what: &str| KeyError::File(format!("ListPublicKeys JSON: {what}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let list = value
        .get("PublicKeyList")
        .and_then(|l| l.as_array())
        .ok_or_else(|| bad("no PublicKeyList array"))?;
    let time = |entry: &serde_json::Value, field: &str| -> Result<Option<Timestamp>, KeyError> {
        match entry.get(field) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Number(n)) => n
                .as_f64()
                .map(|s| Some(Timestamp::from_epoch(s.floor() as i64)))
                .ok_or_else(|| bad(field)),
            Some(serde_json::Value::String(s)) => {
                let utc = s.strip_suffix("+00:00").map(|t| format!("{t}Z"));
                let t = Timestamp::parse(utc.as_deref().unwrap_or(s.as_str())).or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .map(|e| Timestamp::from_epoch(e.floor() as i64))
                });
                t.map(Some)
                    .ok_or_else(|| bad(&format!("{field} {s:?} is not a UTC time")))
            }
            Some(_) => Err(bad(field)),
        }
    };
    list.iter()
        .map(|entry| {
            let value = entry
                .get("Value")
                .and_then(|v| v.as_str())
                .ok_or_else(|| bad("an entry without Value"))?;
            let der = base64_decode(value)?;
            let (from, until) = (
                time(entry, "ValidityStartTime")?,
                time(entry, "ValidityEndTime")?,
            );
            match entry.get("Fingerprint").and_then(|f| f.as_str()) {
                Some(fingerprint) => PublicKey::from_list_entry(&der, from, until, fingerprint),
                None => PublicKey::from_der(&der).map(|mut key| {
                    (key.valid_from, key.valid_until) = (from, until);
                    key
                }),
            }
        })
        .collect()
}
