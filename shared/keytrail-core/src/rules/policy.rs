//! The keytrail modifier `kt_policy_other_account`: which AWS accounts a policy document grants.
//!
//! CloudTrail logs a resource policy (a KMS key policy, in `PutKeyPolicy` and `CreateKey`) as one
//! JSON string, so Sigma can only read it as text: a regular expression can find `"*"`, but it
//! cannot compare the account ids in the document with another field of the event (the key's own
//! account). `field|kt_policy_other_account: other.field` parses the field's policy (a JSON
//! string, or an object when the record logs it that way) and matches when an `Allow` statement
//! names, in `Principal.AWS`, an account that is not the value of `other.field`.
//!
//! What counts as naming an account, per `Principal.AWS` entry (a string or a list of them):
//! a bare 12-digit account id, or an IAM or STS ARN (`arn:<partition>:iam::<account>:root`,
//! `...:role/...`, `...:user/...`, `arn:<partition>:sts::<account>:assumed-role/...`). Not an
//! account: `*` (anyone: the `kms-key-policy-public` rule's business), unique ids of deleted
//! principals (`AIDA...`), service, federated and canonical-user principals. `Deny`
//! statements and `NotPrincipal` are not grants here; a statement's `Condition` does not make it
//! less of a grant (a condition narrows what the other account may do, not who it is).
//! A document that is not JSON, or not a policy, grants nothing: no match, no error.
//!
//! The parse runs only when the rule's other searches let the condition reach it (a rule routed
//! on `eventName: PutKeyPolicy` parses the policy of those records only); the modifier gives the
//! prefilter no needle, since an escaped `\u0041llow` in the document would defeat one.

use serde_json::Value;

/// The account ids (12 digits) that the `Allow` statements of `policy` grant through their
/// `Principal.AWS` entries, each once, in the order they appear; empty when `policy` is not a
/// policy document (or a JSON string holding one).
pub(crate) fn allowed_accounts(policy: &Value) -> Vec<String> {
    let parsed;
    let doc = match policy {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return Vec::new(),
        },
        other => other,
    };
    let statements: &[Value] = match doc.get("Statement") {
        Some(Value::Array(items)) => items,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    };
    let mut out: Vec<String> = Vec::new();
    for statement in statements {
        let allows = statement
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
        if !allows {
            continue;
        }
        let principals: &[Value] = match statement.get("Principal").and_then(|p| p.get("AWS")) {
            Some(Value::Array(items)) => items,
            Some(one) => std::slice::from_ref(one),
            None => &[],
        };
        for account in principals.iter().filter_map(account_of) {
            if !out.iter().any(|seen| seen == account) {
                out.push(account.to_owned());
            }
        }
    }
    out
}

/// The account a `Principal.AWS` entry names, if any: see the module docs.
fn account_of(principal: &Value) -> Option<&str> {
    let text = principal.as_str()?.trim();
    let account = match text.strip_prefix("arn:") {
        None => text,
        Some(rest) => {
            // <partition>:<service>::<account>:<resource>
            let mut parts = rest.splitn(5, ':');
            let (_partition, service, region) = (parts.next()?, parts.next()?, parts.next()?);
            let (account, _resource) = (parts.next()?, parts.next()?);
            if !matches!(service, "iam" | "sts") || !region.is_empty() {
                return None;
            }
            account
        }
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// Whether `policy` grants an account that is none of `own` (the key's account ids).
pub(crate) fn grants_other_account(policy: &Value, own: &[String]) -> bool {
    allowed_accounts(policy)
        .iter()
        .any(|account| !own.iter().any(|o| o == account))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A policy document as CloudTrail logs it: one JSON string.
    fn logged(statements: Value) -> Value {
        Value::String(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
    }

    #[test]
    fn allowed_accounts_table() {
        let allow = |principal: Value| json!({"Effect": "Allow", "Principal": principal});
        for (name, policy, want) in [
            (
                "root ARN",
                logged(json!([allow(
                    json!({"AWS": "arn:aws:iam::444455556666:root"})
                )])),
                &["444455556666"][..],
            ),
            (
                "list of ARNs and a bare id, duplicates once",
                logged(json!([allow(json!({"AWS": [
                    "arn:aws:iam::111122223333:root",
                    "arn:aws:iam::444455556666:role/ExampleRole",
                    "444455556666",
                    "777788889999"
                ]}))])),
                &["111122223333", "444455556666", "777788889999"][..],
            ),
            (
                "other partition, STS session, user path",
                logged(json!([allow(json!({"AWS": [
                    "arn:aws-us-gov:iam::444455556666:user/ops/Bob",
                    "arn:aws:sts::777788889999:assumed-role/R/s"
                ]}))])),
                &["444455556666", "777788889999"][..],
            ),
            (
                "a statement object, not a list; a Condition is still a grant",
                logged(
                    json!({"Effect": "Allow", "Principal": {"AWS": "444455556666"},
                              "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}),
                ),
                &["444455556666"][..],
            ),
            (
                "policy logged as an object",
                json!({"Statement": [allow(json!({"AWS": "arn:aws:iam::444455556666:root"}))]}),
                &["444455556666"][..],
            ),
            (
                "Deny names no grant",
                logged(json!([{"Effect": "Deny", "Principal": {"AWS": "444455556666"}}])),
                &[][..],
            ),
            (
                "NotPrincipal is not read",
                logged(json!([{"Effect": "Allow", "NotPrincipal": {"AWS": "444455556666"}}])),
                &[][..],
            ),
            (
                "star, service, federated, unique id, non-IAM ARN, short id",
                logged(json!([
                    allow(json!("*")),
                    allow(json!({"AWS": "*"})),
                    allow(json!({"Service": "cloudtrail.amazonaws.com"})),
                    allow(json!({"Federated": "arn:aws:iam::444455556666:saml-provider/X"})),
                    allow(
                        json!({"AWS": ["AIDAIVA3UXATCEV3JOVNK", "arn:aws:s3:::444455556666",
                                         "arn:aws:iam:us-east-1:444455556666:root", "44445555666"]})
                    )
                ])),
                &[][..],
            ),
            ("not JSON", json!("{\"Statement\": [ {\"Effect\""), &[][..]),
            ("JSON, not a policy", json!("[1, 2]"), &[][..]),
            (
                "Statement of the wrong type",
                json!({"Statement": "Allow"}),
                &[][..],
            ),
            ("null", Value::Null, &[][..]),
        ] {
            assert_eq!(allowed_accounts(&policy), want, "{name}");
        }
        // Nesting deeper than serde_json's recursion limit is an error, not a stack overflow.
        let deep = Value::String(format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)));
        assert!(allowed_accounts(&deep).is_empty());
    }

    #[test]
    fn grants_other_account_compares_with_the_own_accounts() {
        let policy = logged(json!([{"Effect": "Allow", "Principal": {"AWS": [
            "arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"
        ]}}]));
        let own = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(grants_other_account(&policy, &own(&["111122223333"])));
        assert!(!grants_other_account(
            &policy,
            &own(&["111122223333", "444455556666"])
        ));
        assert!(grants_other_account(&policy, &own(&[])));
        let own_only = logged(json!([{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}]));
        assert!(!grants_other_account(&own_only, &own(&["111122223333"])));
    }
}
