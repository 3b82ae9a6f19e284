use serde_json::json;

use super::*;
use crate::alert::EventJson;
use crate::render::tests::export_alert;

const NOW: i64 = 1_700_000_000_123;

#[test]
fn event_times_become_epoch_milliseconds() {
    for (text, want) in [
        ("1970-01-01T00:00:00Z", Some(0)),
        ("2019-06-28T18:51:22Z", Some(1_561_747_882_000)),
        ("2019-06-28T18:51:22.5Z", Some(1_561_747_882_500)),
        ("2019-06-28T18:51:22.123456Z", Some(1_561_747_882_123)),
        ("2019-06-28T18:51:22", None),
        ("2019-06-28 18:51:22Z", None),
        ("yesterday", None),
        ("", None),
    ] {
        assert_eq!(epoch_ms(text), want, "{text}");
    }
}

#[test]
fn an_event_alert_maps_to_a_finding_with_api_evidence() {
    let f = finding(&export_alert(), NOW);
    for (pointer, want) in [
        ("/class_uid", json!(2004)),
        ("/category_uid", json!(2)),
        ("/activity_id", json!(1)),
        ("/type_uid", json!(200_401)),
        ("/severity_id", json!(4)),
        ("/severity", json!("High")),
        ("/time", json!(1_561_747_882_000_i64)),
        ("/metadata/version", json!("1.8.0")),
        ("/metadata/product/name", json!("keytrail")),
        ("/metadata/original_event_uid", json!("e-1")),
        (
            "/finding_info/uid",
            json!("0123456789abcdef0123456789abcdef"),
        ),
        (
            "/finding_info/analytic/uid",
            json!("acm-export-certificate"),
        ),
        ("/finding_info/types", json!(["Credential Access"])),
        (
            "/finding_info/attacks/0/sub_technique/uid",
            json!("T1552.004"),
        ),
        ("/finding_info/attacks/0/tactic/uid", json!("TA0006")),
        ("/evidences/0/api/operation", json!("ExportCertificate")),
        ("/evidences/0/api/service/name", json!("acm.amazonaws.com")),
        (
            "/evidences/0/actor/user/uid",
            json!("arn:aws:iam::123456789012:user/Alice"),
        ),
        ("/evidences/0/actor/user/account/uid", json!("123456789012")),
        ("/evidences/0/src_endpoint/ip", json!("192.0.2.1")),
        ("/evidences/0/http_request/user_agent", json!("aws-cli/2")),
        ("/cloud/provider", json!("AWS")),
        ("/cloud/region", json!("us-east-1")),
        (
            "/resources/0/uid",
            json!("arn:aws:acm:us-east-1:123456789012:certificate/abc"),
        ),
        ("/unmapped/event/eventID", json!("e-1")),
        ("/unmapped/source/record", json!(3)),
    ] {
        assert_eq!(f.pointer(pointer), Some(&want), "{pointer} in {f:#}");
    }
    // No request id in the event, no error code in the alert: left out, not null.
    assert_eq!(f.pointer("/evidences/0/api/request"), None);
    assert_eq!(f.pointer("/evidences/0/api/response"), None);
}

#[test]
fn fields_the_alert_lacks_are_left_out() {
    let mut service = export_alert();
    service.source_ip = Some("elasticloadbalancing.amazonaws.com".to_owned());
    service.error_code = Some("AccessDenied".to_owned());
    service.event = EventJson::from_value(&json!({"requestID": "r-9"}));
    let f = finding(&service, NOW);
    assert_eq!(
        f.pointer("/evidences/0/src_endpoint"),
        Some(&json!({"domain": "elasticloadbalancing.amazonaws.com"}))
    );
    assert_eq!(
        f.pointer("/evidences/0/api/request/uid"),
        Some(&json!("r-9"))
    );
    assert_eq!(
        f.pointer("/evidences/0/api/response/error"),
        Some(&json!("AccessDenied"))
    );

    let integrity = Alert::integrity("s3://b/k.json.gz", "gzip stream truncated at byte 42");
    let f = finding(&integrity, NOW);
    assert_eq!(f["time"], json!(NOW), "no event time: the caller's now");
    assert_eq!(f["finding_info"]["types"], json!([INTEGRITY_TYPE]));
    assert_eq!(f["severity_id"], json!(3));
    for absent in [
        "/evidences",
        "/cloud/region",
        "/cloud/account",
        "/finding_info/attacks",
        "/finding_info/first_seen_time",
        "/metadata/original_event_uid",
        "/unmapped/event",
    ] {
        assert_eq!(f.pointer(absent), None, "{absent} in {f:#}");
    }
    assert!(!f.to_string().contains("null"), "{f:#}");
}

#[test]
fn severities_map_one_for_one() {
    let ids: Vec<u64> = Severity::ALL.into_iter().map(severity_id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
}
