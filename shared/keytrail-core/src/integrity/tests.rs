//! Unit tests of the integrity checks that need no signing key: parsing, the signing string, key
//! files and fingerprints, and the checks' answers. Signed digests and whole chains are tested
//! over the testkit's generated trail (`tests/integrity.rs`).

use serde_json::{json, Value};

use super::*;

/// The three sample keys of the custom-validation page's `list-public-keys` response, with the
/// fingerprints the page gives them (the third is a SubjectPublicKeyInfo).
const AWS_SAMPLE_KEYS: [(&str, &str); 3] = [
    (
        "MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9XTDSfmmnP97mqyc7z/upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9kAd4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+KunqxX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGDAeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGbdnDdvVfhF9C3dQiDq3k7adQIziLT0cShgQIDAQAB",
        "8eba5db5bea9b640d1c96a77256fe7f2",
    ),
    (
        "MIIBCgKCAQEApfYL2FiZhpN74LNWVUzhR+VheYhwhYm8w0n5Gf6i95ylW5kBAWKVEmnAQG7BvS5g9SMqFDQx52fW7NWV44IvfJ2xGXT+wT+DgR6ZQ+6yxskQNqV5YcXj4Aa5Zz4jJfsYjDuO2MDTZNIzNvBNzaBJ+r2WIWAJ/Xq54kyF63B6WE38vKuDE7nSd1FqQuEoNBFLPInvgggYe2Ym1Refe2z71wNcJ2kY+q0h1BSHrSM8RWuJIw7MXwF9iQncg9jYzUlNJomozQzAG5wSRfbplcCYNY40xvGd/aAmO0m+Y+XFMrKwtLCwseHPvj843qVno6x4BJN9bpWnoPo9sdsbGoiK3QIDAQAB",
        "8933b39ddc64d26d8e14ffbf6566fee4",
    ),
    (
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqlzPJbvZJ42UdcmLfPUqXYNfOs6I8lCfao/tOs8CmzPOEdtLWugB9xoIUz78qVHdKIqxbaG4jWHfJBiOSSFBM0lt8cdVo4TnRa7oG9io5pysS6DJhBBAeXsicufsiFJR+wrUNh8RSLxL4k6G1+BhLX20tJkZ/erT97tDGBujAelqseGg3vPZbTx9SMfOLN65PdLFudLP7Gat0Z9p5jw/rjpclKfo9Bfc3heeBxWGKwBBOKnFAaN9V57pOaosCvPKmHd9bg7jsQkI9Xp22IzGLsTFJZYVA3KiTAElDMu80iFXPHEq9hKNbt9e4URFam+1utKVEiLkR2disdCmPTK0VQIDAQAB",
        "31e8b5433410dfb61a9dc45cc65b22ff",
    ),
];

const BUCKET: &str = "trail-bucket";
const KEY: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2026/06/10/\
                   111122223333_CloudTrail-Digest_us-east-2_main_us-east-2_20260610T041728Z.json.gz";
const PREVIOUS: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2026/06/10/\
                        111122223333_CloudTrail-Digest_us-east-2_main_us-east-2_20260610T031728Z.json.gz";
const LOG: &str = "AWSLogs/111122223333/CloudTrail/us-east-2/2026/06/10/\
                   111122223333_CloudTrail_us-east-2_20260610T0335Z_abcdefgh12345678.json.gz";

fn sample() -> Value {
    json!({
        "awsAccountId": "111122223333",
        "digestStartTime": "2026-06-10T03:17:28Z",
        "digestEndTime": "2026-06-10T04:17:28Z",
        "digestS3Bucket": BUCKET,
        "digestS3Object": KEY,
        "digestPublicKeyFingerprint": AWS_SAMPLE_KEYS[2].1,
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": "2026-06-10T03:35:00Z",
        "oldestEventTime": "2026-06-10T03:30:00Z",
        "previousDigestS3Bucket": BUCKET,
        "previousDigestS3Object": PREVIOUS,
        "previousDigestHashValue": "ab".repeat(32),
        "previousDigestHashAlgorithm": "SHA-256",
        "previousDigestSignature": "cd".repeat(256),
        "logFiles": [{
            "s3Bucket": BUCKET,
            "s3Object": LOG,
            "hashValue": "ef".repeat(32),
            "hashAlgorithm": "SHA-256",
            "newestEventTime": "2026-06-10T03:35:00Z",
            "oldestEventTime": "2026-06-10T03:30:00Z"
        }]
    })
}

fn parse(value: &Value) -> Result<Digest, DigestError> {
    Digest::parse(&serde_json::to_vec(value).unwrap())
}

fn with(mut value: Value, field: &str, new: Value) -> Value {
    value[field] = new;
    value
}

#[test]
fn parses_a_digest_as_cloudtrail_writes_it() {
    // Real digests are compact JSON with `\/` escapes in keys.
    let text = serde_json::to_string(&sample())
        .unwrap()
        .replace('/', "\\/");
    let digest = Digest::parse(text.as_bytes()).unwrap();
    assert_eq!(digest.location, ObjectRef::new(BUCKET, KEY));
    assert_eq!(
        (digest.start.extended(), digest.end_text.as_str()),
        ("2026-06-10T03:17:28Z".to_owned(), "2026-06-10T04:17:28Z")
    );
    let previous = digest.previous.as_ref().unwrap();
    assert_eq!(previous.location, ObjectRef::new(BUCKET, PREVIOUS));
    assert_eq!(previous.hash, Some("ab".repeat(32).parse().unwrap()));
    assert_eq!(digest.log_files[0].location.key, LOG);
    assert_eq!(digest.content_hash, Sha256::of(text.as_bytes()));
}

#[test]
fn a_starting_digest_signs_null_as_previous_signature() {
    let mut value = sample();
    for field in [
        "previousDigestS3Bucket",
        "previousDigestS3Object",
        "previousDigestHashValue",
        "previousDigestHashAlgorithm",
        "previousDigestSignature",
    ] {
        value[field] = Value::Null;
    }
    value["logFiles"] = json!([]);
    value["newestEventTime"] = Value::Null;
    let bytes = serde_json::to_vec(&value).unwrap();
    let digest = Digest::parse(&bytes).unwrap();
    assert_eq!(digest.previous, None);
    let expected = format!(
        "2026-06-10T04:17:28Z\n{BUCKET}/{KEY}\n{}\nnull",
        Sha256::of(&bytes).to_hex()
    );
    assert_eq!(digest.signing_string(), expected);
    assert_eq!(check_link(&digest, None), Ok(()));
}

#[test]
fn the_signing_string_follows_the_documented_example() {
    // The custom-validation page's example: end time, then `bucket/key` of the digest.
    let key = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/12/\
               111122223333_us-east-2_CloudTrail-Digest_us-east-2_20150812T040131Z.json.gz";
    let value = with(
        with(
            with(sample(), "digestEndTime", json!("2015-08-12T04:01:31Z")),
            "digestS3Bucket",
            json!("S3-bucket-name"),
        ),
        "digestS3Object",
        json!(key),
    );
    let digest = parse(&value).unwrap();
    let lines: Vec<String> = digest
        .signing_string()
        .split('\n')
        .map(str::to_owned)
        .collect();
    assert_eq!(lines[0], "2015-08-12T04:01:31Z");
    assert_eq!(lines[1], format!("S3-bucket-name/{key}"));
    assert_eq!(lines[2], digest.content_hash.to_hex());
    assert_eq!(lines[3], "cd".repeat(256));
    assert_eq!(lines.len(), 4);
}

#[test]
fn rejects_what_is_not_a_digest_and_says_why() {
    let partial = with(sample(), "previousDigestSignature", Value::Null);
    let mut no_signature_field = sample();
    no_signature_field
        .as_object_mut()
        .unwrap()
        .remove("previousDigestSignature");
    let mut md5_log = sample();
    md5_log["logFiles"][0]["hashAlgorithm"] = json!("MD5");
    let cases: Vec<(Value, &str)> = vec![
        (json!([1]), "not a CloudTrail digest: invalid type"),
        (
            no_signature_field,
            "missing field `previousDigestSignature`",
        ),
        (
            with(sample(), "digestEndTime", json!("2026-06-10 04:17:28")),
            "field digestEndTime is not a UTC time",
        ),
        (
            with(sample(), "digestPublicKeyFingerprint", json!("xyz")),
            "field digestPublicKeyFingerprint is not an MD5 fingerprint",
        ),
        (
            with(sample(), "previousDigestSignature", json!("zz")),
            "field previousDigestSignature is not a hex signature",
        ),
        (
            with(sample(), "previousDigestHashValue", json!("12")),
            "field previousDigestHashValue is not a SHA-256 value",
        ),
        (partial, "set only in part"),
        (md5_log, "log file entry 0 is hashed with \"MD5\""),
    ];
    for (value, expected) in cases {
        let error = parse(&value).unwrap_err().to_string();
        assert!(
            error.contains(expected),
            "{error:?} does not say {expected:?}"
        );
    }
    assert!(matches!(
        Digest::parse(b"\x1f\x8b\x08"),
        Err(DigestError::Json(_))
    ));
}

#[test]
fn the_fingerprint_is_the_md5_of_the_der_as_delivered() {
    use base64::Engine as _;
    for (value, fingerprint) in AWS_SAMPLE_KEYS {
        let der = base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap();
        let key = PublicKey::from_list_entry(&der, None, None, fingerprint).unwrap();
        assert_eq!(key.fingerprint(), fingerprint);
        // The same key from a file: raw DER, base64 text, PEM.
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{value}\n-----END PUBLIC KEY-----\n");
        for file in [
            der.clone(),
            format!("{value}\n").into_bytes(),
            pem.into_bytes(),
        ] {
            assert_eq!(
                PublicKey::from_file(&file).unwrap(),
                vec![PublicKey::from_der(&der).unwrap()]
            );
        }
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(AWS_SAMPLE_KEYS[0].0)
        .unwrap();
    let wrong = PublicKey::from_list_entry(&der, None, None, AWS_SAMPLE_KEYS[1].1).unwrap_err();
    assert!(
        wrong
            .to_string()
            .contains("does not match the key (its MD5 is 8eba5db5"),
        "{wrong}"
    );
}

#[test]
fn reads_the_json_of_list_public_keys() {
    let text = json!({"PublicKeyList": [
        {"Value": AWS_SAMPLE_KEYS[0].0, "ValidityStartTime": 1436317441.0, "ValidityEndTime": "2015-08-07T01:04:01+00:00", "Fingerprint": AWS_SAMPLE_KEYS[0].1},
        {"Value": AWS_SAMPLE_KEYS[2].0, "ValidityStartTime": "1434589370.0", "ValidityEndTime": null, "Fingerprint": AWS_SAMPLE_KEYS[2].1},
    ]})
    .to_string();
    let keys: PublicKeys = PublicKey::from_file(text.as_bytes())
        .unwrap()
        .into_iter()
        .collect();
    let first = keys.get(&AWS_SAMPLE_KEYS[0].1.to_uppercase()).unwrap();
    assert_eq!(
        (first.valid_from, first.valid_until),
        (
            Some(Timestamp::from_epoch(1_436_317_441)),
            Some(Timestamp::from_epoch(1_438_909_441))
        )
    );
    assert!(keys.covers(Timestamp::from_epoch(1_436_317_441)));
    assert!(keys
        .get(AWS_SAMPLE_KEYS[2].1)
        .unwrap()
        .valid_at(Timestamp::from_epoch(2_000_000_000)));
    assert!(!keys
        .get(AWS_SAMPLE_KEYS[0].1)
        .unwrap()
        .valid_at(Timestamp::from_epoch(2_000_000_000)));
}

#[test]
fn rejects_key_files_that_hold_no_rsa_public_key() {
    let cases: [(&[u8], &str); 5] = [
        (b"\x30\x03\x02\x01\x05", "not an RSA public key"),
        (b"not base64!", "not base64"),
        (
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "is not a public key",
        ),
        (b"{\"Keys\": []}", "no PublicKeyList array"),
        // A 1024-bit PKCS#1 key: SEQUENCE { INTEGER (129 bytes), INTEGER 65537 }.
        (&small_key(), "RSA modulus of 1024 bits"),
    ];
    for (file, expected) in cases {
        let error = PublicKey::from_file(file).unwrap_err().to_string();
        assert!(
            error.contains(expected),
            "{error:?} does not say {expected:?}"
        );
    }
}

fn small_key() -> Vec<u8> {
    let mut modulus = vec![0x02, 0x81, 0x81, 0x00, 0xc1];
    modulus.extend([0x55; 127]);
    let mut body = modulus;
    body.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
    let mut der = vec![0x30, 0x81, u8::try_from(body.len()).unwrap()];
    der.extend(body);
    der
}

fn sample_keys() -> PublicKeys {
    use base64::Engine as _;
    AWS_SAMPLE_KEYS
        .iter()
        .map(|(v, _)| {
            PublicKey::from_der(&base64::engine::general_purpose::STANDARD.decode(v).unwrap())
                .unwrap()
        })
        .collect()
}

#[test]
fn a_digest_fails_its_own_checks_with_the_exact_problem() {
    let at = ObjectRef::new(BUCKET, KEY);
    let content = serde_json::to_vec(&sample()).unwrap();
    let object = |content: Vec<u8>,
                  location: ObjectRef,
                  signature: Option<&str>,
                  algorithm: Option<&str>| DigestObject {
        location,
        content,
        signature: signature.map(str::to_owned),
        signature_algorithm: algorithm.map(str::to_owned),
    };
    let unknown = serde_json::to_vec(&with(
        sample(),
        "digestPublicKeyFingerprint",
        json!("00".repeat(16)),
    ))
    .unwrap();
    let elsewhere = ObjectRef::new("other-bucket", KEY);
    let sig = "ab".repeat(256);
    let cases = [
        (
            object(b"{}".to_vec(), at.clone(), None, None),
            "digest_unreadable",
        ),
        (
            object(
                content.clone(),
                elsewhere.clone(),
                Some(&sig),
                Some("SHA256withRSA"),
            ),
            "digest_moved",
        ),
        (
            object(content.clone(), at.clone(), None, Some("SHA256withRSA")),
            "signature_missing",
        ),
        (
            object(content.clone(), at.clone(), Some(&sig), Some("SHA1withRSA")),
            "signature_algorithm_unsupported",
        ),
        (
            object(unknown, at.clone(), Some(&sig), Some("SHA256withRSA")),
            "public_key_unknown",
        ),
        (
            object(
                content.clone(),
                at.clone(),
                Some(&sig),
                Some("SHA256withRSA"),
            ),
            "signature_invalid",
        ),
        (
            object(content, at.clone(), Some("not hex"), Some("SHA256withRSA")),
            "signature_invalid",
        ),
    ];
    let keys = sample_keys();
    for (object, kind) in cases {
        let problem = verify_digest(&object, &keys).unwrap_err();
        assert_eq!(problem.kind(), kind, "{problem}");
    }
    let moved = Problem::DigestMoved {
        digest: elsewhere,
        named: at,
    };
    assert!(
        moved
            .to_string()
            .starts_with("digest s3://other-bucket/AWSLogs/"),
        "{moved}"
    );
}

#[test]
fn a_link_holds_only_to_the_recorded_previous_digest() {
    let digest = parse(&sample()).unwrap();
    let (recorded, other) = ("cd".repeat(256), "ce".repeat(256));
    let hash: Sha256 = "ab".repeat(32).parse().unwrap();
    let target = |signature: Option<&'static str>, content_hash| {
        Some(LinkTarget {
            signature,
            content_hash,
        })
    };
    let recorded: &'static str = Box::leak(recorded.into_boxed_str());
    let other: &'static str = Box::leak(other.into_boxed_str());
    assert_eq!(
        check_link(&digest, target(Some(recorded), Some(hash))),
        Ok(())
    );
    assert_eq!(
        check_link(
            &digest,
            target(Some(&*recorded.to_uppercase().leak()), None)
        ),
        Ok(())
    );
    let kinds = [
        (
            target(Some(other), Some(hash)),
            Some(LinkMismatch::Signature),
        ),
        (target(None, Some(hash)), Some(LinkMismatch::Signature)),
        (
            target(Some(recorded), Some(Sha256::of(b"x"))),
            Some(LinkMismatch::ContentHash),
        ),
    ];
    for (found, mismatch) in kinds {
        match check_link(&digest, found) {
            Err(Problem::ChainBroken {
                mismatch: got,
                previous,
                ..
            }) => {
                assert_eq!(Some(got), mismatch);
                assert_eq!(previous.key, PREVIOUS);
            }
            other => panic!("{other:?}"),
        }
    }
    let missing = check_link(&digest, None).unwrap_err();
    assert_eq!(
        missing,
        Problem::DigestMissing {
            missing: ObjectRef::new(BUCKET, PREVIOUS),
            named_by: Some(ObjectRef::new(BUCKET, KEY)),
            start: Timestamp::parse("2026-06-10T02:17:28Z").unwrap(),
            end: Timestamp::parse("2026-06-10T03:17:28Z").unwrap(),
        }
    );
}

#[test]
fn log_files_and_silence_are_checked_against_what_was_recorded() {
    let digest = parse(&sample()).unwrap();
    let (at, entry) = (&digest.location, &digest.log_files[0]);
    assert_eq!(check_log(at, entry, LogState::Hashed(entry.hash)), Ok(()));
    let modified = check_log(at, entry, LogState::Hashed(Sha256::of(b""))).unwrap_err();
    assert_eq!(modified.kind(), "log_file_modified");
    assert!(
        modified
            .to_string()
            .contains(&format!("recorded {}", "ef".repeat(32))),
        "{modified}"
    );
    assert_eq!(
        check_log(at, entry, LogState::Missing).unwrap_err().kind(),
        "log_file_missing"
    );
    let end = digest.end;
    assert_eq!(check_silence(at, end, end.plus(HOUR + 1800), 1800), Ok(()));
    assert_eq!(
        check_silence(at, end, end.plus(HOUR + 1801), 1800)
            .unwrap_err()
            .kind(),
        "trail_silent"
    );
}

#[test]
fn problem_text_escapes_control_characters_of_keys() {
    let problem = Problem::LogFileUnlisted {
        log: ObjectRef::new("b", "AWSLogs/x\u{1b}[31m\nevil.json.gz"),
    };
    let text = problem.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(
        text.contains("s3://b/AWSLogs/x\\u{1b}[31m\\u{a}evil.json.gz"),
        "{text}"
    );
    let json = serde_json::to_value(&problem).unwrap();
    assert_eq!(json["kind"], "log_file_unlisted");
}

#[test]
fn digests_missing_before_a_missing_one_follow_the_chain_cadence() {
    let last = DigestName::parse(&ObjectRef::new(BUCKET, PREVIOUS)).unwrap();
    let at = |t: &str| Timestamp::parse(t).unwrap();
    // (end of the missing digest named by its successor, inferred ends before it)
    let cases: [(&str, &[&str]); 5] = [
        ("2026-06-10T04:17:28Z", &[]),
        ("2026-06-10T05:17:28Z", &["2026-06-10T04:17:28Z"]),
        (
            "2026-06-10T07:18:30Z",
            &[
                "2026-06-10T04:17:28Z",
                "2026-06-10T05:17:28Z",
                "2026-06-10T06:17:28Z",
            ],
        ),
        // A restart in between: another minute past the hour.
        ("2026-06-10T05:42:10Z", &[]),
        ("2026-06-10T03:17:28Z", &[]),
    ];
    for (missing_end, inferred) in cases {
        let found: Vec<(String, Option<ObjectRef>, Timestamp)> =
            missing_between(&last, at(missing_end))
                .into_iter()
                .map(|p| match p {
                    Problem::DigestMissing {
                        missing,
                        named_by,
                        start,
                        end,
                    } => {
                        assert_eq!(start, end.plus(-HOUR));
                        (missing.key, named_by, end)
                    }
                    other => panic!("{other:?}"),
                })
                .collect();
        let expected: Vec<(String, Option<ObjectRef>, Timestamp)> = inferred
            .iter()
            .map(|end| (last.at(at(end)).key(), None, at(end)))
            .collect();
        assert_eq!(found, expected, "{missing_end}");
    }
    assert!(missing_between(&last, at("2026-06-10T05:17:28Z"))[0]
        .to_string()
        .contains("_20260610T041728Z.json.gz is missing"));
}
