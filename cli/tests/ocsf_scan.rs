//! `keytrail scan --format ocsf` through the binary: one OCSF Detection Finding per line, the
//! same alerts as `--format jsonl` in the same order, correlations included, secrets redacted.
//! (The findings' conformance to the OCSF schema is checked in keytrail-core's `tests/ocsf`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use support::{alerts, keytrail};

#[test]
fn ocsf_lines_are_the_jsonl_alerts_as_findings() {
    for input in ["events/trail", "rules/tests/acm-bulk-export/hit"] {
        let jsonl = keytrail(&["scan", "--format", "jsonl", input]);
        let ocsf = keytrail(&["scan", "--format", "ocsf", input]);
        assert_eq!(
            ocsf.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&ocsf.stderr)
        );
        let (alerts, findings) = (alerts(&jsonl), alerts(&ocsf));
        assert!(!alerts.is_empty(), "{input}: no alerts");
        let ids = |list: &[serde_json::Value], key: &str| -> Vec<String> {
            list.iter()
                .map(|v| v.pointer(key).unwrap().as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            ids(&findings, "/finding_info/uid"),
            ids(&alerts, "/alert_id"),
            "{input}"
        );
        assert_eq!(
            ids(&findings, "/finding_info/analytic/uid"),
            ids(&alerts, "/rule_id")
        );
        for f in &findings {
            assert_eq!(f["class_uid"], 2004, "{f:#}");
            assert_eq!(f["type_uid"], 200_401);
            assert_eq!(f["metadata"]["version"], "1.8.0");
            // Milliseconds (CloudTrail began in 2013), not seconds.
            assert!(f["time"].as_i64().unwrap() > 1_300_000_000_000, "{f:#}");
        }
    }
    // The bulk-export fixture fires the correlation: its finding is there too.
    let ocsf = keytrail(&[
        "scan",
        "--format",
        "ocsf",
        "rules/tests/acm-bulk-export/hit",
    ]);
    assert!(
        alerts(&ocsf)
            .iter()
            .any(|f| f["finding_info"]["analytic"]["uid"] == "acm-bulk-export"),
        "{}",
        String::from_utf8_lossy(&ocsf.stdout)
    );
}

#[test]
fn ocsf_findings_carry_the_event_redacted() {
    let out = keytrail(&[
        "scan",
        "--format",
        "ocsf",
        "fuzz/corpus/render/awsdocs-export-bytebuffer-passphrase.json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let findings = alerts(&out);
    assert_eq!(findings.len(), 1, "{stdout}");
    let event = &findings[0]["unmapped"]["event"];
    assert_eq!(event["eventName"], "ExportCertificate", "{stdout}");
    // The passphrase's ByteBuffer dump and the certificate bodies are in the record, not here.
    assert!(!stdout.contains("\"hb\""), "{stdout}");
    assert!(!stdout.contains("BEGIN CERTIFICATE"), "{stdout}");
}

#[test]
fn help_names_the_ocsf_format() {
    let out = keytrail(&["scan", "--help"]);
    // Words as clap wraps them, joined again.
    let help = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("ocsf (one OCSF 1.8.0 Detection Finding per line")
            && help.contains("docs/ocsf.md"),
        "{help}"
    );
}
