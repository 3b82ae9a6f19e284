//! The ASFF limits a finding is checked against before it is sent.
//!
//! From the `AwsSecurityFinding` API reference and the partner guide ("up to 100 findings per
//! batch, up to 240 KB per finding"); lengths are in characters. A finding outside them makes
//! `BatchImportFindings` refuse it (or the whole call), so [`validate`] names every problem at
//! once, and the mapping cuts text to these same constants so that an alert always yields a
//! valid finding (`fuzzing::check_alert` holds it to that on every fuzz input).

use super::{Finding, SCHEMA_VERSION};
use crate::integrity::Timestamp;

/// `Id`, `GeneratorId`: 1 to 512 characters.
pub const MAX_ID: usize = 512;
/// `Title`: 1 to 256 characters.
pub const MAX_TITLE: usize = 256;
/// `Description`: 1 to 1024 characters.
pub const MAX_DESCRIPTION: usize = 1024;
/// `ProductArn`: 12 to 2048 characters.
pub const MAX_ARN: usize = 2048;
/// `Types`: at most 50 items.
pub const MAX_TYPES: usize = 50;
/// `ProductFields`: at most 50 pairs.
pub const MAX_PRODUCT_FIELDS: usize = 50;
/// A `ProductFields` key: 1 to 128 characters.
pub const MAX_FIELD_KEY: usize = 128;
/// A `ProductFields` value: 1 to 2048 characters.
pub const MAX_FIELD_VALUE: usize = 2048;
/// `Resources`: 1 to 32 items.
pub const MAX_RESOURCES: usize = 32;
/// A resource's `Type`: 1 to 256 characters.
pub const MAX_RESOURCE_TYPE: usize = 256;
/// A resource's `Region`: 1 to 16 characters.
pub const MAX_REGION: usize = 16;
/// A resource's `Id`: ASFF documents no limit; alerts carry names of at most 2048 bytes.
pub const MAX_RESOURCE_ID: usize = 2048;
/// `SourceUrl`: no documented limit; keytrail's console links are far shorter.
pub const MAX_URL: usize = 2048;
/// `Severity.Original`: 1 to 64 characters.
pub const MAX_ORIGINAL_SEVERITY: usize = 64;
/// One finding as JSON: at most 240 KB.
pub const MAX_FINDING_BYTES: usize = 240 * 1024;

/// The `Types` namespaces ASFF accepts.
pub const NAMESPACES: [&str; 5] = [
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
];

/// The `Severity.Label` values.
const LABELS: [&str; 5] = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// A finding outside the ASFF limits: every problem found, each naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("finding {id} breaks the ASFF limits: {}", problems.join("; "))]
pub struct AsffError {
    /// The finding's `Id`.
    pub id: String,
    /// What is wrong, one entry per problem.
    pub problems: Vec<String>,
}

/// Checks `finding` against the ASFF limits.
pub fn validate(finding: &Finding) -> Result<(), AsffError> {
    let mut problems = Vec::new();
    let mut text = |field: &str, value: &str, min: usize, max: usize| {
        let n = value.chars().count();
        if n < min || n > max || value.trim().is_empty() {
            problems.push(format!(
                "{field} has {n} characters (allowed {min} to {max}, not blank)"
            ));
        }
    };
    text("Id", &finding.id, 1, MAX_ID);
    text("GeneratorId", &finding.generator_id, 1, MAX_ID);
    text("ProductArn", &finding.product_arn, 12, MAX_ARN);
    text("Title", &finding.title, 1, MAX_TITLE);
    text("Description", &finding.description, 1, MAX_DESCRIPTION);
    text(
        "Severity.Original",
        &finding.severity.original,
        1,
        MAX_ORIGINAL_SEVERITY,
    );
    for (key, value) in &finding.product_fields {
        text("a ProductFields key", key, 1, MAX_FIELD_KEY);
        text(&format!("ProductFields {key:?}"), value, 1, MAX_FIELD_VALUE);
    }
    for r in &finding.resources {
        text("a resource Type", &r.kind, 1, MAX_RESOURCE_TYPE);
        text("a resource Id", &r.id, 1, MAX_RESOURCE_ID);
        if let Some(region) = &r.region {
            text("a resource Region", region, 1, MAX_REGION);
        }
    }
    let mut check = |ok: bool, problem: &dyn Fn() -> String| {
        if !ok {
            problems.push(problem());
        }
    };
    check(finding.schema_version == SCHEMA_VERSION, &|| {
        format!(
            "SchemaVersion {:?} is not {SCHEMA_VERSION}",
            finding.schema_version
        )
    });
    check(
        finding.aws_account_id.len() == 12
            && finding.aws_account_id.bytes().all(|b| b.is_ascii_digit()),
        &|| format!("AwsAccountId {:?} is not 12 digits", finding.aws_account_id),
    );
    check(
        !finding.types.is_empty() && finding.types.len() <= MAX_TYPES,
        &|| format!("{} Types (allowed 1 to {MAX_TYPES})", finding.types.len()),
    );
    for t in &finding.types {
        check(is_type(t), &|| {
            format!(
                "Types entry {t:?} is not namespace[/category[/classifier]] of a known namespace"
            )
        });
    }
    for (field, at) in [
        ("CreatedAt", &finding.created_at),
        ("UpdatedAt", &finding.updated_at),
        ("FirstObservedAt", &finding.first_observed_at),
        ("LastObservedAt", &finding.last_observed_at),
    ] {
        check(Timestamp::parse(at).is_some(), &|| {
            format!("{field} {at:?} is not YYYY-MM-DDTHH:MM:SS[.fff]Z")
        });
    }
    check(LABELS.contains(&finding.severity.label.as_str()), &|| {
        format!("Severity.Label {:?}", finding.severity.label)
    });
    check(finding.product_fields.len() <= MAX_PRODUCT_FIELDS, &|| {
        format!(
            "{} ProductFields pairs (at most {MAX_PRODUCT_FIELDS})",
            finding.product_fields.len()
        )
    });
    check(
        !finding.resources.is_empty() && finding.resources.len() <= MAX_RESOURCES,
        &|| {
            format!(
                "{} Resources (allowed 1 to {MAX_RESOURCES})",
                finding.resources.len()
            )
        },
    );
    if let Some(url) = &finding.source_url {
        check(
            url.starts_with("https://")
                && url.len() <= MAX_URL
                && url.bytes().all(|b| b.is_ascii_graphic()),
            &|| format!("SourceUrl {url:?} is not a printable https URL"),
        );
    }
    let bytes = serde_json::to_vec(finding).map_or(usize::MAX, |v| v.len());
    check(bytes <= MAX_FINDING_BYTES, &|| {
        format!("the finding takes {bytes} bytes (at most {MAX_FINDING_BYTES})")
    });
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AsffError {
            id: finding.id.clone(),
            problems,
        })
    }
}

/// True for `namespace`, `namespace/category` or `namespace/category/classifier` of a known
/// namespace, with no empty part.
fn is_type(t: &str) -> bool {
    let parts: Vec<&str> = t.split('/').collect();
    parts.len() <= 3
        && parts.iter().all(|p| !p.trim().is_empty())
        && parts.first().is_some_and(|ns| NAMESPACES.contains(ns))
}
