//! `keytrail bench gen`: synthetic but realistic trail objects for `make bench`.
//!
//! One `{"Records":[...]}` object, gzip at the default level as CloudTrail writes it. The service
//! mix is that of a busy account: mostly S3 data events, then EC2, STS, KMS calls made by
//! services (Decrypt/GenerateDataKey on behalf of S3, EBS and load balancers, which the prefilter
//! admits and the KMS rule must then reject), a few ACM reads, with the field
//! shapes of real CloudTrail records (rules/tests fixtures and ../shared/corpus); they average
//! 1.55 KB, the size of an S3 data event with its tlsDetails. Planted among
//! them, evenly spaced: `planted` each of ExportCertificate, ACME NewAccount and a KMS Decrypt of
//! an ACM private key by an IAM user, each raising exactly one alert of the built-in pack.
//!
//! With a mean record size asked for (`--mean-record-bytes`), smaller records are mixed in
//! until the mean written so far is at the target ([`mix`]).

use std::io::{self, Write};

mod mix;

/// A small deterministic generator (splitmix64): same seed, same object.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

/// How many alerts an object with `planted` of each kind must raise.
pub const KINDS: u64 = 3;

/// Writes `records` records (including `3 * planted` planted ones) as one log file to `out`;
/// with `mean`, records average about that many bytes (see [`mix`]). Returns the bytes of JSON
/// written.
pub fn write_trail(
    out: &mut dyn Write,
    records: u64,
    planted: u64,
    seed: u64,
    mean: Option<u64>,
) -> io::Result<u64> {
    let mut rng = Rng::new(seed);
    let mut written = 0u64;
    let plants = (planted * KINDS).min(records);
    let every = records.checked_div(plants).unwrap_or(u64::MAX);
    out.write_all(b"{\"Records\":[")?;
    let mut planted_so_far = 0;
    for i in 0..records {
        if i > 0 {
            out.write_all(b",")?;
        }
        let ctx = Ctx::new(&mut rng, i);
        let record = if planted_so_far < plants && i % every == every / 2 {
            planted_so_far += 1;
            match planted_so_far % KINDS {
                0 => export_certificate(&ctx),
                1 => acme_new_account(&ctx),
                _ => user_decrypts_acm_key(&ctx),
            }
        } else if mean.is_some_and(|m| written > m * i) {
            mix::small(&mut rng, &ctx)
        } else {
            match rng.below(1000) {
                0..=619 => s3_data(&mut rng, &ctx),
                620..=769 => ec2(&mut rng, &ctx),
                770..=869 => sts(&ctx),
                870..=969 => kms_service(&mut rng, &ctx),
                _ => acm_read(&ctx),
            }
        };
        out.write_all(record.as_bytes())?;
        written += record.len() as u64 + u64::from(i > 0);
    }
    out.write_all(b"]}")?;
    Ok(written + 14)
}

/// What every record shares: time, ids, the caller.
struct Ctx {
    time: String,
    event_id: String,
    request_id: String,
    ip: String,
    role: &'static str,
}

const ACCOUNT: &str = "111122223333";
const ROLES: [&str; 4] = ["app-server", "batch-etl", "ci-deploy", "log-shipper"];

impl Ctx {
    fn new(rng: &mut Rng, i: u64) -> Ctx {
        let s = i % 86_400;
        Ctx {
            time: format!(
                "2025-03-14T{:02}:{:02}:{:02}Z",
                s / 3600,
                (s / 60) % 60,
                s % 60
            ),
            event_id: rng.uuid(),
            request_id: rng.uuid(),
            ip: format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            ),
            role: ROLES.get(rng.below(4) as usize).copied().unwrap_or("app"),
        }
    }

    /// An assumed-role identity, the commonest caller.
    fn role_identity(&self) -> String {
        format!(
            r#"{{"type":"AssumedRole","principalId":"AROAEXAMPLEID:i-0abc{n}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/i-0abc{n}","accountId":"{ACCOUNT}","accessKeyId":"ASIAEXAMPLEKEY","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::{ACCOUNT}:role/{r}","accountId":"{ACCOUNT}","userName":"{r}"}},"attributes":{{"creationDate":"{t}","mfaAuthenticated":"false"}},"ec2RoleDelivery":"2.0"}}}}"#,
            n = &self.event_id[..8],
            r = self.role,
            t = self.time
        )
    }

    /// The fields after the request: ids, type, account.
    fn tail(&self, read_only: bool, event_type: &str) -> String {
        self.tail_of(read_only, event_type, false)
    }

    /// [`Ctx::tail`], for a data event (S3 object access) or a management event.
    fn tail_of(&self, read_only: bool, event_type: &str, data: bool) -> String {
        format!(
            r#""requestID":"{}","eventID":"{}","readOnly":{read_only},"eventType":"{event_type}","managementEvent":{},"recipientAccountId":"{ACCOUNT}","eventCategory":"{}""#,
            self.request_id,
            self.event_id,
            !data,
            if data { "Data" } else { "Management" }
        )
    }
}

fn s3_data(rng: &mut Rng, c: &Ctx) -> String {
    let name = ["GetObject", "PutObject", "HeadObject", "GetObject"]
        .get(rng.below(4) as usize)
        .copied()
        .unwrap_or("GetObject");
    let key = format!(
        "logs/2025/03/14/part-{:05}-{}.snappy.parquet",
        rng.below(100_000),
        &c.request_id[..8]
    );
    format!(
        r#"{{"eventVersion":"1.10","userIdentity":{id},"eventTime":"{t}","eventSource":"s3.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"[aws-sdk-java/2.25.1 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS]","requestParameters":{{"bucketName":"example-data-lake","Host":"example-data-lake.s3.us-east-1.amazonaws.com","key":"{key}"}},"responseElements":null,"additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{x}","bytesTransferredOut":{out}}},{tail},"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::example-data-lake/{key}"}},{{"accountId":"{ACCOUNT}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::example-data-lake"}}],"tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"example-data-lake.s3.us-east-1.amazonaws.com"}}}}"#,
        id = c.role_identity(),
        t = c.time,
        ip = c.ip,
        x = c.event_id.replace('-', ""),
        out = rng.below(5_000_000),
        tail = c.tail_of(name != "PutObject", "AwsApiCall", true),
    )
}

fn ec2(rng: &mut Rng, c: &Ctx) -> String {
    let name = [
        "DescribeInstances",
        "DescribeVolumes",
        "DescribeNetworkInterfaces",
        "CreateTags",
    ]
    .get(rng.below(4) as usize)
    .copied()
    .unwrap_or("DescribeInstances");
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{id},"eventTime":"{t}","eventSource":"ec2.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0","requestParameters":{{"instancesSet":{{"items":[{{"instanceId":"i-0{n}"}}]}},"filterSet":{{"items":[{{"name":"tag:team","valueSet":{{"items":[{{"value":"platform"}}]}}}}]}}}},"responseElements":null,{tail},"tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.us-east-1.amazonaws.com"}}}}"#,
        id = c.role_identity(),
        t = c.time,
        ip = c.ip,
        n = &c.event_id[..12],
        tail = c.tail(name != "CreateTags", "AwsApiCall"),
    )
}

fn sts(c: &Ctx) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}},"eventTime":"{t}","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"ec2.amazonaws.com","userAgent":"ec2.amazonaws.com","requestParameters":{{"roleArn":"arn:aws:iam::{ACCOUNT}:role/{r}","roleSessionName":"i-0{n}","durationSeconds":3600}},"responseElements":{{"credentials":{{"accessKeyId":"ASIAEXAMPLEKEY","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKEN{n}","expiration":"Mar 14, 2025, 6:00:00 PM"}},"assumedRoleUser":{{"assumedRoleId":"AROAEXAMPLEID:i-0{n}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/i-0{n}"}}}},{tail},"resources":[{{"accountId":"{ACCOUNT}","type":"AWS::IAM::Role","ARN":"arn:aws:iam::{ACCOUNT}:role/{r}"}}],"sharedEventID":"{s}"}}"#,
        t = c.time,
        r = c.role,
        n = &c.event_id[..12],
        s = c.request_id,
        tail = c.tail(true, "AwsApiCall"),
    )
}

fn kms_service(rng: &mut Rng, c: &Ctx) -> String {
    let (name, service, context) = match rng.below(3) {
        0 => (
            "Decrypt",
            "elasticloadbalancing.amazonaws.com",
            format!(
                r#""aws:acm:arn":"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{}""#,
                c.request_id
            ),
        ),
        1 => (
            "GenerateDataKey",
            "s3.amazonaws.com",
            r#""aws:s3:arn":"arn:aws:s3:::example-data-lake/logs/part-00001.parquet""#.to_owned(),
        ),
        _ => (
            "Decrypt",
            "ebs.amazonaws.com",
            format!(r#""aws:ebs:id":"vol-0{}""#, &c.event_id[..12]),
        ),
    };
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AWSService","invokedBy":"{service}"}},"eventTime":"{t}","eventSource":"kms.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"{service}","userAgent":"{service}","requestParameters":{{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab","encryptionContext":{{{context}}}}},"responseElements":null,{tail},"resources":[{{"accountId":"{ACCOUNT}","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}],"sharedEventID":"{s}"}}"#,
        t = c.time,
        s = c.request_id,
        tail = c.tail(true, "AwsServiceEvent"),
    )
}

fn acm_read(c: &Ctx) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{id},"eventTime":"{t}","eventSource":"acm.amazonaws.com","eventName":"DescribeCertificate","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/5.10 exe/x86_64.amzn.2 prompt/off command/acm.describe-certificate","requestParameters":{{"certificateArn":"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{cert}"}},"responseElements":null,{tail},"tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"acm.us-east-1.amazonaws.com"}}}}"#,
        id = c.role_identity(),
        t = c.time,
        ip = c.ip,
        cert = c.request_id,
        tail = c.tail(true, "AwsApiCall"),
    )
}

fn export_certificate(c: &Ctx) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{id},"eventTime":"{t}","eventSource":"acm.amazonaws.com","eventName":"ExportCertificate","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.30","requestParameters":{{"certificateArn":"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{cert}","passphrase":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"responseElements":null,{tail}}}"#,
        id = c.role_identity(),
        t = c.time,
        ip = c.ip,
        cert = c.request_id,
        tail = c.tail(true, "AwsApiCall"),
    )
}

fn acme_new_account(c: &Ctx) -> String {
    format!(
        r#"{{"eventVersion":"1.11","userIdentity":{{"type":"Unknown","principalId":"","accountId":"","userName":""}},"eventTime":"{t}","eventSource":"acm-acme.amazonaws.com","eventName":"NewAccount","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"CertbotACMEClient/2.11.0","requestParameters":{{"termsOfServiceAgreed":true,"externalAccountBinding":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"responseElements":null,{tail}}}"#,
        t = c.time,
        ip = c.ip,
        tail = c.tail(false, "AwsApiCall"),
    )
}

fn user_decrypts_acm_key(c: &Ctx) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLEID","arn":"arn:aws:iam::{ACCOUNT}:user/alice","accountId":"{ACCOUNT}","accessKeyId":"AKIAEXAMPLEKEY","userName":"alice"}},"eventTime":"{t}","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.30","requestParameters":{{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab","encryptionContext":{{"aws:acm:arn":"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{cert}"}}}},"responseElements":null,{tail}}}"#,
        t = c.time,
        ip = c.ip,
        cert = c.request_id,
        tail = c.tail(true, "AwsApiCall"),
    )
}

#[cfg(test)]
mod tests {
    use keytrail_core::rules::{LoadOptions, RuleSet};
    use keytrail_core::scan::{scan_object, ScanOptions};

    use super::*;

    /// Both mixes parse, average the size asked for, and raise one alert per planted event.
    #[test]
    fn generated_trail_parses_and_raises_one_alert_per_planted_event() {
        let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
        for (mean, sizes) in [(None, 1_450..1_650), (Some(1_100), 1_080..1_120)] {
            let mut json = Vec::new();
            let written = write_trail(&mut json, 4_000, 4, 7, mean).unwrap();
            assert_eq!(written, json.len() as u64);
            let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
            let records = value["Records"].as_array().unwrap();
            assert_eq!(records.len(), 4_000);
            let size = json.len() / records.len();
            assert!(sizes.contains(&size), "{mean:?}: mean record size {size}");
            let mut alerts = Vec::new();
            let report = scan_object(
                "gen",
                &json[..],
                &rules,
                &ScanOptions::default(),
                &mut |a| alerts.push(a.rule_id.clone()),
            );
            assert!(report.is_clean(), "{:?}", report.problems());
            alerts.sort();
            alerts.dedup_by(|a, b| a == b);
            assert_eq!(report.alerts, 4 * KINDS, "{mean:?}: {alerts:?}");
            assert_eq!(alerts.len() as u64, KINDS, "{alerts:?}");
        }
    }
}
