//! The allowlist example for ACME issuances, rules/examples/allow-acme-finalize-by-known-client.yml,
//! does what it says on the corpus's FinalizeOrder record: the record alerts without the filter,
//! is silenced when its client's binding role is listed, and still alerts for another client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod support;
use support::{alerts, corpus, keytrail, repo};

const RULE: &str = "acme-finalize-order";
/// The binding role of the ACME client in the corpus record (userIdentity.sessionContext.
/// sessionIssuer.arn).
const CORPUS_ROLE: &str = "arn:aws:iam::123456789012:role/example-role";

fn finalize_alerts(dir: Option<&str>, record: &str) -> usize {
    let mut args = vec!["scan", "--format", "jsonl", "--quiet"];
    if let Some(dir) = dir {
        args.extend(["--rules", dir]);
    }
    args.push(record);
    let out = keytrail(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    alerts(&out).iter().filter(|a| a["rule_id"] == RULE).count()
}

#[test]
fn acme_allowlist_example_silences_the_known_client_only() {
    let record = corpus().join("acm-userguide-2026/acme-data__acm-acme__FinalizeOrder.json");
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(text.contains(CORPUS_ROLE), "the corpus record's role moved");
    let record = record.to_str().unwrap();

    // The same issuance by another client (another binding role).
    let work = tempfile::tempdir().unwrap();
    let other = work.path().join("other-client.json");
    let mut event: Value = serde_json::from_str(&text).unwrap();
    let issuer = &mut event["userIdentity"]["sessionContext"]["sessionIssuer"];
    assert_eq!(issuer["arn"], CORPUS_ROLE);
    issuer["arn"] = Value::from("arn:aws:iam::123456789012:role/unknown-acme-client");
    std::fs::write(&other, serde_json::to_vec(&event).unwrap()).unwrap();
    let other = other.to_str().unwrap();

    // Without the filter: both issuances alert.
    assert_eq!(finalize_alerts(None, record), 1);
    assert_eq!(finalize_alerts(None, other), 1);

    // The example as shipped names other roles: the corpus client still alerts.
    let example = std::fs::read_to_string(
        repo().join("rules/examples/allow-acme-finalize-by-known-client.yml"),
    )
    .unwrap();
    let rules = work.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("allow.yml"), &example).unwrap();
    let dir = rules.to_str().unwrap();
    assert_eq!(finalize_alerts(Some(dir), record), 1);

    // With the corpus client's role listed: its issuance is silenced, the other client's is not.
    let listed = example.replace(
        "'arn:aws:iam::123456789012:role/acme-certbot-edge'",
        &format!("'{CORPUS_ROLE}'"),
    );
    assert_ne!(listed, example, "the example's role list moved");
    std::fs::write(rules.join("allow.yml"), listed).unwrap();
    assert_eq!(finalize_alerts(Some(dir), record), 0);
    assert_eq!(finalize_alerts(Some(dir), other), 1);
}
