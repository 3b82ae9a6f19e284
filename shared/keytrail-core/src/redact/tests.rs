//! The redaction rules and the shrinking ladder, table-driven.

use super::*;
use serde_json::json;

#[test]
fn secret_keys_are_recognised() {
    for (key, secret) in [
        ("privateKey", true),
        ("PrivateKey", true),
        ("passphrase", true),
        ("hb", true),
        ("certificate", true),
        ("certificateChain", true),
        ("innerJws", true),
        ("csr", true),
        ("contact", true),
        ("secretAccessKey", true),
        ("sessionToken", true),
        ("dbPassword", true),
        ("credentials", true),
        ("certificateArn", false),
        ("accessKeyId", false),
        ("eventName", false),
        ("keyId", false),
    ] {
        assert_eq!(is_secret_key(key), secret, "{key}");
    }
}

/// The key names of issue 19's redaction gaps, each with look-alikes that are not secrets.
#[test]
fn secret_keys_of_headers_key_material_and_short_words() {
    for (key, secret) in [
        ("Authorization", true),
        ("authorization", true),
        ("Proxy-Authorization", true),
        ("x-amz-authorization", true),
        ("authorizationType", false),
        ("AuthorizationScopes", false),
        ("authorizerId", false),
        ("private_key", true),
        ("privateKeyPem", true),
        ("PRIVATE-KEY", true),
        ("encryptedPrivateKey", true),
        ("keyMaterial", true),
        ("encryptedKeyMaterial", true),
        ("key_material", true),
        ("publicKeyMaterial", false),
        ("keyMaterialId", false),
        ("Cookie", true),
        ("Set-Cookie", true),
        ("sessionCookie", true),
        ("cookies", true),
        ("cookieBehavior", false),
        ("apiKey", true),
        ("X-Api-Key", true),
        ("x_api_key", true),
        ("stripeApiKeys", true),
        ("apiKeyId", false),
        ("apiKeySource", false),
        ("pwd", true),
        ("PWD", true),
        ("MYSQL_PWD", true),
        ("pass", true),
        ("DB_PASS", true),
        ("dbPass", true),
        ("DBPass", true),
        ("smtp-pass", true),
        ("otp", true),
        ("otpCode", true),
        ("OTP", true),
        ("totp", true),
        ("hotp_seed", true),
        ("bypass", false),
        ("bypassMode", false),
        ("passport", false),
        ("compass", false),
        ("hotplug", false),
        ("footprint", false),
        ("cwd", false),
        ("pwdLastSet2", true),
        ("", false),
        (
            "a_very_long_key_name_that_does_not_fit_on_the_stack_and_ends_in_password",
            true,
        ),
        (
            "a_very_long_key_name_that_does_not_fit_on_the_stack_and_holds_nothing",
            false,
        ),
    ] {
        assert_eq!(is_secret_key(key), secret, "{key:?}");
    }
}

/// ECS, Batch and SSM parameters, tags and CloudFormation parameters are logged as name/value
/// pairs: the value of a pair whose name is a secret's is redacted, the name stays.
#[test]
fn name_value_pairs_naming_a_secret_are_redacted() {
    let mut v = json!({
        "containerDefinitions": [{"environment": [
            {"name": "DB_PASSWORD", "value": "hunter2-ecs"},
            {"name": "LOG_LEVEL", "value": "debug"},
            {"Name": "api_key", "Value": "k-123"},
        ]}],
        "parameters": [
            {"parameterKey": "DBPassword", "parameterValue": "hunter2-cfn"},
            {"ParameterKey": "InstanceType", "ParameterValue": "t3.micro"},
        ],
        "ssm": {"name": "/prod/db/pass", "value": "hunter2-ssm", "type": "String"},
        "cert": {"name": "/prod/tls/certificate", "value": "body"},
        "tags": [{"key": "otp", "value": "123456"}, {"key": "Name", "value": "web-1"}],
        "numbers": {"name": "token", "value": 42},
        "absent": {"name": "secretName", "value": null},
        "not-a-name": {"name": 7, "value": "kept"},
    });
    let before = v.clone();
    assert_eq!(redact(&mut v), 7);
    for (pointer, redacted) in [
        ("/containerDefinitions/0/environment/0/value", true),
        ("/containerDefinitions/0/environment/0/name", false),
        ("/containerDefinitions/0/environment/1/value", false),
        ("/containerDefinitions/0/environment/2/Value", true),
        ("/parameters/0/parameterValue", true),
        ("/parameters/1/ParameterValue", false),
        ("/ssm/value", true),
        ("/ssm/type", false),
        ("/cert/value", true),
        ("/tags/0/value", true),
        ("/tags/1/value", false),
        ("/numbers/value", true),
        ("/absent/value", false),
        ("/not-a-name/value", false),
    ] {
        let want = if redacted {
            json!(REDACTED)
        } else {
            before.pointer(pointer).cloned().unwrap()
        };
        assert_eq!(v.pointer(pointer), Some(&want), "{pointer}");
    }
}

/// Secrets by the shape of the value, whatever the key: each kind with look-alikes that are not
/// secrets (hashes, ARNs, ids, paths, words, base64 that is not DER).
#[test]
fn secret_values_by_shape() {
    let der_rsa = "MIIBPAIBAAJBANDs2pW4ALCDoene6Ew9RoYLDxk3y5fCway1N7QAMp0lptmgHDPJ\n\
                   zvxvRzOiEftBrBJAW2wAOcPwhJIZsEKW/nECAwEAAQJBAJcWUlTnhgggiVz5yIAp\n\
                   5/BT2w1fnioXu7vMKYZQhknBe4LaS18c9BtO6o+2VN+F1e7zYeHz4qt4fiVRZIim\n\
                   oWkCIQD3+xXnKGmTYQ9N6HguAre+4EIl/5xpmYE3VHOzWYZwswIhANeuchq4eLS6\n\
                   uEdXoCM5OUCUbyOqsT7/bq1eD19ehR5LAiEAuyjXTCLVI/WyblOROPC2K6roYfN8\n\
                   4rqHqvHjbS6ZaD8CIQDWe8dDJVH8QHdDkzNP8/cobrQ7XuLWyEOzKofVCnUNEwIg\n\
                   bkA89Znc5xMwKYxqzXedPcFF103qxF9fY7WN69WQj04=";
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.\
               dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    let sigv4 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
    let cases: Vec<(&str, String, bool)> = vec![
        // AWS secret access keys.
        ("aws secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(), true),
        ("aws secret", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY".into(), true),
        ("aws secret", " wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n".into(), true),
        ("aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(), true),
        ("aws secret", "export AWS_SECRET_ACCESS_KEY wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY;".into(), true),
        ("sha-1 hex", "da39a3ee5e6b4b0d3255bfef95601890afd80709".into(), false),
        ("sha-1 HEX", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709".into(), false),
        ("base32", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP".into(), false),
        ("arn", "arn:aws:iam::123456789012:role/service-role/AmazonSSMRoleForInstancesQuickSetup".into(), false),
        ("s3 key of 40", "images/thumbnails/IMG20240101ABCDEF12345".into(), false),
        ("access key id", "AKIAIOSFODNN7EXAMPLE".into(), false),
        ("41 chars", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYS".into(), false),
        ("longer run", "x=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYS".into(), false),
        ("base64 json", "eyJhd3M6czM6YXJuIjoiYXJuOmF3czpzMzo6OmJ1".into(), false),
        ("sha-256 base64", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(), false),
        // Private keys in base64 DER, without their PEM lines; public DER is no secret.
        ("der rsa, lines", der_rsa.into(), true),
        ("der ed25519", "MC4CAQAwBQYDK2VwBCIEIKA7L+M1ATnVa/ll/etmxufCML/EhOEji7h/J4+Lro44".into(), true),
        ("der ec", "MHcCAQEEIALgS17P4QGiL/eAzvmKhNiJ2iFEiHmmzOmFg8YZQeQ8oAoGCCqGSM49AwEHoUQDQgAECszUK80Q/5jjhkU1lTwBOlR8wWxdKBlU2pulB+4eHys2RXqW+S4oxr8sL2/5ew41l/oTvPxeoOvo88pEDO9p1Q==".into(), true),
        ("der pkcs8 ec", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwnB0N1S5L3LoBVelbYCxJK9I8lBN99tG3TXnifYzXlyhRANCAATFU0XUOnsMU3MrLup+Jszb4ZydwRjH7NNuS0oPaKHmxDfn6GhgM2CWcjQAtYESSqSwQ8PfVkWTZB0HmUYSHrkW".into(), true),
        ("der encrypted pkcs8", "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAg44RuYe7J67QICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEECKHmYVu2C8IpDXYShdJkdkEQFM6kUaM3uF419AKPZicwZeJZszVte0XBhx/GIi56BiOvaV7SqL7Ao5xj/H/e5nxD7m5bybM/Mh3BHuto0T2VTQ=".into(), true),
        ("der csr", "MIGWMEoCAQAwFzEVMBMGA1UEAwwMdGVzdC5leGFtcGxlMCowBQYDK2VwAyEAbhTH4V5Ff5m9NP7E+Q4Aw6WeAoUUbRZUx5BjcEqE8iGgADAFBgMrZXADQQANh2X+IfEcyCedBRP2Qprxl95Nz+hNM6ka/3IGSnAXDLaGpVgUxtqXv4qTRdTr2W+bpkRn09r8v4Zp88b3phgK".into(), false),
        ("der certificate", "MIIBQjCB9aADAgECAhQcrZrqpNq3qX14ADB7aplK8XFSPTAFBgMrZXAwFzEVMBMGA1UEAwwMdGVzdC5leGFtcGxlMB4XDTI2MTIwNzA1MjE0N1oXDTI2MTIwODA1MjE0N1owFzEVMBMGA1UEAwwMdGVzdC5leGFtcGxlMCowBQYDK2VwAyEAFSEmLKS6H67ve/7GGkXVXw3Bm1ztot57GtPmAXRIypWjUzBRMB0GA1UdDgQWBBSQReW0jNECn/BnDbnPCFYhuPJmkzAfBgNVHSMEGDAWgBSQReW0jNECn/BnDbnPCFYhuPJmkzAPBgNVHRMBAf8EBTADAQH/MAUGAytlcANBAH0/fmyWn0G4nrPwnvqo+EyEKpcCFMCLR3Xl+5sthDu9bZOM5TV7RApUEED7NSFGMJ0+KTmoMLPLW7yQEIlTDA4=".into(), false),
        ("der rsa public key", "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDDXIdJByRFJnn1xCiOohltLwgFzeuwR3DNCpSzTHigUAxZjzW8jWaV1v76bib49PtBOhsqTbxci99hWTjTvs3seKEq4CczQ7v4E9UcH1gDyng63Y0qxv77PQY98Hm3weDiyjMuxdEEDT9iQMsyLIhG2KA3nbJbdX4fjj9+c4V9ZQIDAQAB".into(), false),
        ("random base64 from M", "M4nkH30ftW6c1Wd3bz8zCJEmHW1R2Xq8xfcPfRkl1GKyk81trGjxFbqq+/z6o4FTWUpmA4aW8kRMLjOH".into(), false),
        ("random base64 from M", "MWE5E58pbIM32J669o0Bfs20UFzBc44/fYAH8SjV3ZW00dCcofSrqg4bTL3J7pynMD1SM7YxzyivHyVy".into(), false),
        ("random base64 from M", "MROTy7vblr7XUv7OwENrbPOYIGi60HWBFmU9PJUpSCdu879UWG3DAQSxCrccOIO4NqR4QuMpN398TcGg".into(), false),
        ("der cut short", "MC4CAQAwBQYDK2VwBCIEIKA7L+M1ATnVa/ll/etmxufCML/EhOEji7h/J4+Lro".into(), false),
        ("user agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120".into(), false),
        // PEM blocks anywhere.
        ("pem key", "-----BEGIN RSA PRIVATE KEY-----\nMIIB".into(), true),
        ("pem cert", "note: -----BEGIN CERTIFICATE-----\nMIIC...".into(), false),
        ("pem cut cert", "-----BEGIN CERTIFICATE".into(), false),
        ("pem public key", "-----BEGIN PUBLIC KEY-----\nMIIB".into(), false),
        ("pem encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB".into(), true),
        ("pem pgp", "-----BEGIN PGP PRIVATE KEY BLOCK-----".into(), true),
        ("pem unknown label", "-----BEGIN SOMETHING ELSE-----".into(), true),
        ("pem key after a cert", "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----".into(), true),
        ("pem openssh", "-----BEGIN OPENSSH PRIVATE KEY-----".into(), true),
        ("pem end only", "...\nc2VjcmV0\n-----END PRIVATE KEY-----".into(), true),
        ("dashes", "----- section break -----".into(), false),
        // JWTs and JWS.
        ("jwt", jwt.into(), true),
        ("jwt in a url", format!("https://app.example/cb?id_token={jwt}&state=1"), true),
        ("unsigned jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".into(), true),
        ("base64 json, no dots", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9".into(), false),
        ("eyJ inside base64", "abceyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig".into(), false),
        ("version string", "eyJ.1.2 release".into(), false),
        // Bearer tokens and SigV4 signatures.
        ("bearer", "Bearer 0123456789abcdef".into(), true),
        ("bearer", "Authorization: bearer abc.DEF-ghi_jkl~mno+pq".into(), true),
        ("bearer jwt", format!("Bearer {jwt}"), true),
        ("bearer, english", "the bearer instrument is lost".into(), false),
        ("bearer, short", "Bearer abc123".into(), false),
        ("sigv4 header", sigv4.into(), true),
        ("presigned url", "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404".into(), true),
        ("signature version", "SignatureVersion=SigV4".into(), false),
        ("signature pending", "signature=pending".into(), false),
        // Slack and GitHub tokens.
        ("slack bot", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx".into(), true),
        ("slack user, in text", "token is xoxp-2222222222-3333333333-4444444444-abcdef".into(), true),
        ("slack, short", "xoxb-1234".into(), false),
        ("hugs", "xoxo-hugs-and-kisses".into(), false),
        ("github pat", "ghp_16C7e42F292c6912E7710c838347Ae178B4a".into(), true),
        ("github oauth in a url", "https://gho_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r.git".into(), true),
        ("github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz".into(), true),
        ("github, short", "ghp_abc".into(), false),
        ("inside a word", "sighs_16C7e42F292c6912E7710c838347Ae178B4a".into(), false),
        // Everyday values.
        ("uuid", "01234567-0123-0123-0123-012345678901".into(), false),
        ("user agent", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2 prompt/off".into(), false),
        ("arn", "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012".into(), false),
        ("x-amz-id-2", "IHdGt+4dOBQ9yhY2nvEiRtO1Jq6jTW2Za8s8Jq7HE3+x1QyTz5c+s2pD8s6pO4H1CqcA9wD7XBI=".into(), false),
        ("time", "2019-06-28T18:51:22Z".into(), false),
    ];
    for (kind, value, secret) in &cases {
        assert_eq!(is_secret_text(value), *secret, "{kind}: {value:?}");
    }
}

#[test]
fn redacts_nested_values_and_pem_anywhere() {
    let mut v = json!({
        "requestParameters": {
            "certificateArn": "arn:aws:acm:us-east-1:1:certificate/x",
            "passphrase": {"hb": [42, 42], "offset": 0},
            "list": [{"privateKey": "-----BEGIN"}, "ok",
                     "-----BEGIN RSA PRIVATE KEY-----\nMII..."],
        },
        "responseElements": {"certificateChain": null, "credentials": {"a": 1}},
    });
    assert_eq!(redact(&mut v), 4);
    assert_eq!(v["requestParameters"]["passphrase"], REDACTED);
    assert_eq!(v["requestParameters"]["list"][0]["privateKey"], REDACTED);
    assert_eq!(v["requestParameters"]["list"][1], "ok");
    assert_eq!(v["requestParameters"]["list"][2], REDACTED);
    assert_eq!(
        v["requestParameters"]["certificateArn"],
        "arn:aws:acm:us-east-1:1:certificate/x"
    );
    assert_eq!(v["responseElements"]["certificateChain"], Value::Null);
    assert_eq!(v["responseElements"]["credentials"], REDACTED);
}

#[test]
fn redacts_deep_nesting_without_recursion() {
    let mut v = json!({"privateKey": "x"});
    for _ in 0..10_000 {
        v = Value::Array(vec![v]); // json!([v]) would clone v recursively
    }
    assert_eq!(redact(&mut v), 1);
    // Drop iteratively too: serde_json's recursive Drop would overflow on 10k levels.
    let mut cur = v;
    while let Value::Array(mut items) = cur {
        cur = items.pop().unwrap_or(Value::Null);
    }
    assert_eq!(cur["privateKey"], REDACTED);
}
