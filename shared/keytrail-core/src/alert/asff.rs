//! An alert as a Security Hub finding: the AWS Security Finding Format (ASFF), pure.
//!
//! [`finding`] maps one [`Alert`] to one [`Finding`] for the account's default custom product
//! ([`Product`]); [`validate`] checks a finding against every ASFF limit we rely on, before it is
//! sent (`BatchImportFindings` would refuse the finding, or the whole call). The Lambda's Security
//! Hub sink (keytrail-aws `sinks::securityhub`) converts the finding to the SDK's type as it is.
//!
//! The mapping:
//! - `Id` = the alert id, stable across retries: a re-delivered object updates its findings in
//!   place rather than adding new ones. `GeneratorId` = the rule id.
//! - `Types`: one `TTPs/<tactic>` per ATT&CK tactic tag (`attack.credential-access` ->
//!   `TTPs/Credential Access`), the techniques (`attack.t1552.004`) as classifiers when the rule
//!   names exactly one tactic; `Software and Configuration Checks/...` for integrity findings
//!   (trail tampering, unreadable objects); `TTPs` alone for a rule with no ATT&CK tag.
//! - `CreatedAt`, `UpdatedAt`, `FirstObservedAt`, `LastObservedAt` = the event's time (normalised
//!   to `YYYY-MM-DDTHH:MM:SSZ`), or the time given when the alert has none (integrity findings).
//! - `Resources`: each ARN the event touched, typed where ASFF has a type for it
//!   (`AwsCertificateManagerCertificate`, `AwsKmsKey`, ...), `Other` for the rest; at least one
//!   (the event's account) since ASFF requires it.
//! - `ProductFields` (`keytrail/...`): rule id, alert id, event id, source, name, principal, source
//!   IP, user agent, the event's account and region, the source object and record, and the
//!   redacted event as JSON text, in chunks of at most 2048 characters when it is longer
//!   (`keytrail/event/01`, `/02`, ...: concatenate them in order).
//!
//! Text is cut to each field's limit on a character boundary with `…`. Security Hub renders text,
//! not markup, so nothing else is escaped; what Slack and email need stays their renderers' job.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Alert, INTEGRITY_RULE_ID};
use crate::integrity::Timestamp;
use crate::severity::Severity;

mod limits;

pub use limits::{validate, AsffError};

/// `SchemaVersion`: the one ASFF version.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// `ProductName` and `CompanyName` of keytrail's findings.
pub const PRODUCT_NAME: &str = "keytrail";
/// The `Types` of an integrity finding.
pub const INTEGRITY_TYPE: &str =
    "Software and Configuration Checks/AWS Security Best Practices/CloudTrail Log Integrity";
/// `ProductFields` key prefix of keytrail's own fields.
pub const FIELD_PREFIX: &str = "keytrail/";

/// The account's default custom product: `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The product ARN.
    pub arn: String,
    /// The account that imports (and owns) the findings: `AwsAccountId`.
    pub account: String,
    /// The Region whose Security Hub receives them.
    pub region: String,
}

impl Product {
    /// The default product of `account` in `region` (partition from the region's prefix).
    pub fn default_for(account: &str, region: &str) -> Product {
        let partition = partition_of(region);
        Product {
            arn: format!(
                "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
            ),
            account: account.to_owned(),
            region: region.to_owned(),
        }
    }

    /// Parses a default-product ARN, or says what is wrong with it.
    pub fn parse(arn: &str) -> Result<Product, String> {
        let wrong = || {
            format!(
                "{arn:?} is not a Security Hub default product ARN: expected \
                 arn:aws:securityhub:<region>:<account>:product/<account>/default"
            )
        };
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err(wrong());
        };
        let twelve = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        let region_ok = is_region(region);
        if !arn.starts_with("arn:")
            || service != "securityhub"
            || !twelve
            || !region_ok
            || partition != partition_of(region)
            || resource != format!("product/{account}/default")
        {
            return Err(wrong());
        }
        Ok(Product::default_for(account, region))
    }
}

/// The partition of `region`.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// One ASFF finding, serialized with ASFF's field names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)] // each field is the ASFF attribute of the same name
pub struct Finding {
    pub schema_version: String,
    pub id: String,
    pub product_arn: String,
    pub product_name: String,
    pub company_name: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub first_observed_at: String,
    pub last_observed_at: String,
    pub severity: FindingSeverity,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
}

/// `Severity`: the ASFF label and keytrail's own level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingSeverity {
    /// `INFORMATIONAL` … `CRITICAL`.
    pub label: String,
    /// keytrail's (Sigma's) level, `informational` … `critical`.
    pub original: String,
}

/// One entry of `Resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    /// The ASFF resource type (`AwsKmsKey`, `Other`, ...).
    #[serde(rename = "Type")]
    pub kind: String,
    /// The ARN or name.
    pub id: String,
    /// `aws`, `aws-cn` or `aws-us-gov`, when the ARN says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// The Region, when the ARN says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The ASFF label of `severity`.
pub fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Informational => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// True for the findings of the integrity family: an unreadable object, trail tampering.
pub fn is_integrity(alert: &Alert) -> bool {
    alert.rule_id == INTEGRITY_RULE_ID || alert.rule_id.starts_with("keytrail-integrity")
}

/// `alert` as a finding of `product`; `now` stands in for the event time when the alert has none.
pub fn finding(alert: &Alert, product: &Product, now: Timestamp) -> Finding {
    let at = alert
        .event_time
        .as_deref()
        .and_then(Timestamp::parse)
        .unwrap_or(now)
        .extended();
    Finding {
        schema_version: SCHEMA_VERSION.to_owned(),
        id: cut(&alert.alert_id, limits::MAX_ID),
        product_arn: product.arn.clone(),
        product_name: PRODUCT_NAME.to_owned(),
        company_name: PRODUCT_NAME.to_owned(),
        generator_id: non_empty(cut(&alert.rule_id, limits::MAX_ID), PRODUCT_NAME),
        aws_account_id: product.account.clone(),
        types: types(alert),
        created_at: at.clone(),
        updated_at: at.clone(),
        first_observed_at: at.clone(),
        last_observed_at: at,
        severity: FindingSeverity {
            label: label(alert.severity).to_owned(),
            original: alert.severity.as_str().to_owned(),
        },
        title: non_empty(cut(&alert.title, limits::MAX_TITLE), "keytrail alert"),
        description: non_empty(
            cut(&alert.description, limits::MAX_DESCRIPTION),
            "See the rule's documentation.",
        ),
        source_url: alert
            .console_url
            .as_ref()
            .filter(|u| u.starts_with("https://") && u.len() <= limits::MAX_URL)
            .cloned(),
        product_fields: product_fields(alert),
        resources: resources(alert, product),
    }
}

/// `Types`: see the module docs.
fn types(alert: &Alert) -> Vec<String> {
    if is_integrity(alert) {
        return vec![INTEGRITY_TYPE.to_owned()];
    }
    let mut tactics: Vec<String> = Vec::new();
    let mut techniques: Vec<String> = Vec::new();
    for tag in &alert.tags {
        let Some(name) = tag.strip_prefix("attack.") else {
            continue;
        };
        if let Some(t) = technique(name) {
            if !techniques.contains(&t) {
                techniques.push(t);
            }
        } else if let Some(t) = tactic(name) {
            if !tactics.iter().any(|x| x == t) {
                tactics.push(t.to_owned());
            }
        }
    }
    let mut out: Vec<String> = tactics.iter().map(|t| format!("TTPs/{t}")).collect();
    if let [only] = &tactics[..] {
        out.extend(techniques.iter().map(|t| format!("TTPs/{only}/{t}")));
    }
    if out.is_empty() {
        out.push("TTPs".to_owned());
    }
    out.truncate(limits::MAX_TYPES);
    out
}

/// ATT&CK's tactic name for a Sigma tactic tag (`credential-access`).
fn tactic(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "reconnaissance" => "Reconnaissance",
        "resource-development" => "Resource Development",
        "initial-access" => "Initial Access",
        "execution" => "Execution",
        "persistence" => "Persistence",
        "privilege-escalation" => "Privilege Escalation",
        "defense-evasion" => "Defense Evasion",
        "credential-access" => "Credential Access",
        "discovery" => "Discovery",
        "lateral-movement" => "Lateral Movement",
        "collection" => "Collection",
        "command-and-control" => "Command and Control",
        "exfiltration" => "Exfiltration",
        "impact" => "Impact",
        _ => return None,
    })
}

/// `T1552.004` for a technique tag (`t1552.004`).
fn technique(tag: &str) -> Option<String> {
    let digits = tag.strip_prefix('t')?;
    let (main, sub) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (ok(main, 4) && (sub.is_empty() || ok(sub, 3))).then(|| format!("T{digits}"))
}

/// `ProductFields`: see the module docs. Empty values are left out (ASFF wants text).
fn product_fields(alert: &Alert) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let record = alert.source.record.map(|r| r.to_string());
    let fields: [(&str, Option<&String>); 12] = [
        ("alert_id", Some(&alert.alert_id)),
        ("rule_id", Some(&alert.rule_id)),
        ("event_id", alert.event_id.as_ref()),
        ("event_source", alert.event_source.as_ref()),
        ("event_name", alert.event_name.as_ref()),
        ("principal", alert.principal.as_ref()),
        ("source_ip", alert.source_ip.as_ref()),
        ("user_agent", alert.user_agent.as_ref()),
        ("event_account", alert.account.as_ref()),
        ("event_region", alert.region.as_ref()),
        ("source_object", Some(&alert.source.object)),
        ("source_record", record.as_ref()),
    ];
    for (key, value) in fields {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            out.insert(
                format!("{FIELD_PREFIX}{key}"),
                cut(v, limits::MAX_FIELD_VALUE),
            );
        }
    }
    let event = alert.event.get();
    if event != "null" {
        let room = limits::MAX_PRODUCT_FIELDS - out.len();
        let chunks = chunks(event, limits::MAX_FIELD_VALUE, room);
        if let [one] = &chunks[..] {
            out.insert(format!("{FIELD_PREFIX}event"), one.clone());
        } else {
            for (i, chunk) in chunks.into_iter().enumerate() {
                out.insert(format!("{FIELD_PREFIX}event/{:02}", i + 1), chunk);
            }
        }
    }
    out
}

/// `text` in pieces of at most `max` characters, at most `room` of them (the last one cut with a
/// marker when the text does not fit).
fn chunks(text: &str, max: usize, room: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() && out.len() < room {
        let end = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        out.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        if let Some(last) = out.last_mut() {
            *last = cut(&format!("{last}{rest}"), max);
        }
    }
    out
}

/// `Resources`: the ARNs the alert names, typed; the event's account when there are none.
fn resources(alert: &Alert, product: &Product) -> Vec<Resource> {
    let mut out: Vec<Resource> = alert
        .resources
        .iter()
        .map(String::as_str)
        .filter(|r| !r.trim().is_empty())
        .take(limits::MAX_RESOURCES)
        .map(resource)
        .collect();
    if out.is_empty() {
        let account = alert.account.as_deref().unwrap_or(&product.account);
        out.push(Resource {
            kind: "AwsAccount".to_owned(),
            id: cut(&format!("AWS::::Account:{account}"), limits::MAX_ID),
            partition: None,
            region: None,
        });
    }
    out
}

/// One resource name as an ASFF resource: its type from the ARN's service and resource kind.
fn resource(name: &str) -> Resource {
    let parts: Vec<&str> = name.splitn(6, ':').collect();
    let (kind, partition, region) = match parts[..] {
        ["arn", partition, service, region, _account, res] => {
            let kind = match (service, res.split(['/', ':']).next().unwrap_or_default()) {
                ("acm", "certificate") => "AwsCertificateManagerCertificate",
                ("kms", "key") => "AwsKmsKey",
                ("cloudtrail", "trail") => "AwsCloudTrailTrail",
                ("elasticloadbalancing", "loadbalancer") if res.starts_with("loadbalancer/") => {
                    if res.starts_with("loadbalancer/app/") || res.starts_with("loadbalancer/net/")
                    {
                        "AwsElbv2LoadBalancer"
                    } else {
                        "AwsElbLoadBalancer"
                    }
                }
                ("iam", "role") => "AwsIamRole",
                ("iam", "user") => "AwsIamUser",
                ("s3", _) if !res.contains('/') => "AwsS3Bucket",
                ("s3", _) => "AwsS3Object",
                _ => "Other",
            };
            let known = ["aws", "aws-cn", "aws-us-gov"].contains(&partition);
            let region = is_region(region).then(|| region.to_owned());
            (kind, known.then(|| partition.to_owned()), region)
        }
        _ => ("Other", None, None),
    };
    Resource {
        kind: kind.to_owned(),
        id: cut(name, limits::MAX_RESOURCE_ID),
        partition,
        region,
    }
}

/// True for text shaped like a Region name (`us-east-1`), within ASFF's 16 characters.
fn is_region(s: &str) -> bool {
    (1..=limits::MAX_REGION).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `s` cut to at most `max` characters, ending in `…` when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let end = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            format!("{}…", &s[..end])
        }
    }
}

/// `s`, or `fallback` when `s` is only whitespace (ASFF text needs a non-blank character).
fn non_empty(s: String, fallback: &str) -> String {
    if s.trim().is_empty() {
        fallback.to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests;
