//! [`SecurityHubSink`]: alerts as Security Hub findings, with `BatchImportFindings`.
//!
//! Each alert is mapped by keytrail-core's [`asff`] module and checked against the ASFF limits
//! before it is sent; a finding that breaks them (none should: the mapping cuts to the same
//! limits, and a test holds every fuzz input to it) is not sent and fails the publish as the
//! sender's fault. Up to 100 findings a call (Security Hub's limit; 240 KB a finding is checked
//! by the validation, so a call stays under its 6 MB). `FailedFindings` are retried unless their
//! code says the finding itself is wrong.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_securityhub::error::DisplayErrorContext;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Partition, Resource, Severity, SeverityLabel,
};
use keytrail_core::alert::asff::{self, Finding, Product};
use keytrail_core::integrity::Timestamp;
use keytrail_core::Alert;

use super::{send_all, settle, Rejected, Retry};
use crate::sns::{AlertSink, PublishError};

/// The most findings in one `BatchImportFindings` call.
pub const MAX_FINDINGS_PER_CALL: usize = 100;
/// The most bytes of findings in one call.
pub const MAX_CALL_BYTES: usize = 6 * 1024 * 1024;

/// [`AlertSink`] importing findings into Security Hub under the account's default product.
#[derive(Debug, Clone)]
pub struct SecurityHubSink {
    client: aws_sdk_securityhub::Client,
    product: Product,
    retry: Retry,
}

impl SecurityHubSink {
    /// A sink importing as `product`, with the default retries.
    pub fn new(client: aws_sdk_securityhub::Client, product: Product) -> Self {
        SecurityHubSink {
            client,
            product,
            retry: Retry::default(),
        }
    }

    /// Changes the retry policy (tests use short backoffs).
    #[must_use]
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The product findings are imported as.
    pub fn product(&self) -> &Product {
        &self.product
    }
}

impl AlertSink for SecurityHubSink {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let now = Timestamp::from_epoch(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        );
        let target = self.product.arn.as_str();
        let mut entries = Vec::with_capacity(alerts.len());
        let mut invalid = Vec::new();
        for (i, alert) in alerts.iter().enumerate() {
            let finding = asff::finding(alert, &self.product, now);
            match asff::validate(&finding) {
                Ok(()) => {
                    let size = serde_json::to_vec(&finding).map_or(0, |v| v.len());
                    entries.push((i, (finding.id.clone(), sdk_finding(finding)), size));
                }
                Err(e) => invalid.push((i, e.to_string())),
            }
        }
        let sent = send_all(
            target,
            self.retry,
            entries,
            MAX_FINDINGS_PER_CALL,
            MAX_CALL_BYTES,
            |batch: Vec<(String, AwsSecurityFinding)>| self.import(batch),
        )
        .await;
        settle(target, alerts.len(), sent, invalid)
    }
}

impl SecurityHubSink {
    /// One `BatchImportFindings` call: what it rejected, or its error.
    async fn import(
        &self,
        batch: Vec<(String, AwsSecurityFinding)>,
    ) -> Result<Vec<Rejected>, String> {
        let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
        let out = self
            .client
            .batch_import_findings()
            .set_findings(Some(batch.into_iter().map(|(_, f)| f).collect()))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        Ok(out
            .failed_findings()
            .iter()
            .map(|f| {
                let code = f.error_code().unwrap_or("unknown");
                Rejected {
                    // An id the call did not send is counted against every finding of it.
                    index: ids
                        .iter()
                        .position(|id| Some(id.as_str()) == f.id())
                        .unwrap_or(usize::MAX),
                    detail: format!(
                        "finding {}: {code} ({})",
                        f.id().unwrap_or("?"),
                        f.error_message().unwrap_or("no message")
                    ),
                    retryable: !is_sender_fault(code),
                }
            })
            .flat_map(|r| {
                if r.index == usize::MAX {
                    (0..ids.len())
                        .map(|index| Rejected { index, ..r.clone() })
                        .collect::<Vec<_>>()
                } else {
                    vec![r]
                }
            })
            .collect())
    }
}

/// Codes of `FailedFindings` that blame the finding itself.
fn is_sender_fault(code: &str) -> bool {
    code.starts_with("Invalid") || code == "FindingSizeExceeded" || code == "AccessDenied"
}

/// The SDK's finding for a validated ASFF finding, field for field.
pub fn sdk_finding(f: Finding) -> AwsSecurityFinding {
    let resources = f
        .resources
        .into_iter()
        .map(|r| {
            Resource::builder()
                .r#type(r.kind)
                .id(r.id)
                .set_partition(r.partition.map(|p| Partition::from(p.as_str())))
                .set_region(r.region)
                .build()
        })
        .collect();
    let product_fields: HashMap<String, String> = f.product_fields.into_iter().collect();
    AwsSecurityFinding::builder()
        .schema_version(f.schema_version)
        .id(f.id)
        .product_arn(f.product_arn)
        .product_name(f.product_name)
        .company_name(f.company_name)
        .generator_id(f.generator_id)
        .aws_account_id(f.aws_account_id)
        .set_types(Some(f.types))
        .created_at(f.created_at)
        .updated_at(f.updated_at)
        .first_observed_at(f.first_observed_at)
        .last_observed_at(f.last_observed_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(f.severity.label.as_str()))
                .original(f.severity.original)
                .build(),
        )
        .title(f.title)
        .description(f.description)
        .set_source_url(f.source_url)
        .set_product_fields(Some(product_fields))
        .set_resources(Some(resources))
        .build()
}
