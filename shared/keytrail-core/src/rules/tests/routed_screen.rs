//! The routed screen: a routed rule checked on a partial event of the top-level values it reads
//! answers as on the whole record, and it spares the full parse of the records it rules out.

use serde_json::Value;

use super::prefilter::{corpus_events, lenient, rule_sources};
use crate::record::project_record;
use crate::rules::{LoadOptions, RuleSet};
use crate::scan::{scan_object, ScanOptions};

/// A KMS Decrypt of an ACM certificate's key by `identity` (a JSON object's members).
fn acm_decrypt(id: &str, identity: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{{identity}}},"eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"AWS Internal","requestParameters":{{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{{"aws:acm:arn":"arn:aws:acm:us-east-1:111122223333:certificate/x"}}}},"responseElements":null,"eventID":"{id}","eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#
    )
}

/// Every routed rule that reads only a few top-level keys answers on its partial event as on
/// the whole record: SigmaHQ's rules, the pack and synthetic ones, over the corpus (compact and
/// pretty-printed) and records made to sit on each side of the ACM-key rule, with a duplicate
/// key, an escaped key and a key spelled with a path's dots.
#[test]
fn routed_screening_never_changes_results() {
    let set = lenient(rule_sources());
    let projected: Vec<usize> = (0..set.rules().len())
        .filter(|&i| set.routed_projections.get(i).is_some_and(Option::is_some))
        .collect();
    assert!(projected.len() > 100, "{} projected", projected.len());
    let mut records: Vec<Vec<u8>> = Vec::new();
    for event in corpus_events() {
        records.push(serde_json::to_vec(&event).unwrap());
        records.push(serde_json::to_vec_pretty(&event).unwrap());
    }
    let service = r#""type":"AWSService","invokedBy":"elasticloadbalancing.amazonaws.com""#;
    let made = [
        acm_decrypt("1", service),
        acm_decrypt(
            "2",
            r#""type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x""#,
        ),
        acm_decrypt("3", r#""type":"IAMUser","type":"AWSService""#),
        acm_decrypt("4", r#""type":"AWSService","type":"IAMUser""#),
        acm_decrypt("5", r#""\u0074ype":"AWSService""#),
        acm_decrypt(
            "6",
            r#""type":"AssumedRole","invokedBy":"signin.amazonaws.com""#,
        ),
        acm_decrypt("7", service)
            .replace(r#""eventID""#, r#""userIdentity.type":"IAMUser","eventID""#),
        acm_decrypt("9", "").replace(
            r#""userIdentity":{}"#,
            r#""userIdentity.type":"AWSService""#,
        ),
        acm_decrypt("8", service).replace(
            r#""responseElements""#,
            r#""userIdentity":{"type":"IAMUser"},"responseElements""#,
        ),
    ];
    records.extend(made.iter().map(|r| r.as_bytes().to_vec()));
    let (mut checked, mut hits) = (0, 0);
    for json in &records {
        let whole: Value = serde_json::from_slice(json).unwrap();
        for &i in &projected {
            let projection = set.routed_projections[i].as_ref().unwrap();
            let Some(partial) = project_record(json, projection) else {
                continue;
            };
            let matches = set.is_match(i, &whole);
            assert_eq!(
                set.is_match(i, &partial),
                matches,
                "rule {} on {partial} of {whole}",
                set.rules()[i].id
            );
            checked += 1;
            hits += usize::from(matches);
        }
    }
    assert!(
        checked > 100_000 && hits > 50,
        "{checked} checked, {hits} hits"
    );
}

/// A scan parses none of the decrypts that a service made (the common case: a load balancer
/// decrypting its certificate's key), and still parses, and alerts on, the ones a user made and
/// the ones a partial event cannot settle (a key spelled with a path's dots, an EventBridge
/// envelope).
#[test]
fn the_scan_spares_the_parse_of_service_decrypts() {
    let set = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let service = r#""type":"AWSService","invokedBy":"elasticloadbalancing.amazonaws.com""#;
    let by_role = r#""type":"AssumedRole","invokedBy":"elasticloadbalancing.amazonaws.com""#;
    let user = r#""type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice""#;
    let dotted = acm_decrypt("dotted", service)
        .replace(r#""eventID""#, r#""userIdentity.type":"IAMUser","eventID""#);
    let wrapped = format!(
        r#"{{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.kms","detail":{}}}"#,
        acm_decrypt("wrapped", user)
    );
    let records = [
        acm_decrypt("svc-1", service),
        acm_decrypt("svc-2", by_role),
        acm_decrypt("user", user),
        acm_decrypt("svc-3", service),
        dotted,
        wrapped,
    ];
    let ndjson: String = records.iter().map(|r| format!("{r}\n")).collect();
    let mut alerts = Vec::new();
    let report = scan_object(
        "decrypts.jsonl",
        ndjson.as_bytes(),
        &set,
        &ScanOptions::default(),
        &mut |a| alerts.push((a.rule_id, a.event_id)),
    );
    assert_eq!(report.records, 6, "{report}");
    assert_eq!(
        report.parsed, 3,
        "the three service decrypts are not parsed: {report}"
    );
    let id = |s: &str| ("kms-decrypt-acm-private-key".to_owned(), Some(s.to_owned()));
    assert_eq!(alerts, [id("user"), id("wrapped")], "{report}");
}
