//! `--via batch`: the CSV manifest (`Bucket,Key`, keys URL-encoded) streamed to S3 as the
//! listing goes, then one S3 Batch Operations job (`s3control:CreateJob`) that invokes the
//! function for every line: operation `LambdaInvoke` with invocation schema 2.0 (the
//! `rules_only` user argument, when given, rides in it), a completion report, no confirmation
//! step, the stack's role.
//!
//! The manifest is uploaded in parts of [`PART`] bytes while it is written (a year of an
//! organization's trail is a manifest of tens of gigabytes: it never sits in memory or on
//! disk); a manifest smaller than one part is a single `PutObject`. The job needs the
//! manifest's ETag, which S3 answers when the upload completes.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3control::types::{
    JobManifest, JobManifestFieldName, JobManifestFormat, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, JobReportFormat, JobReportScope, LambdaInvokeOperation,
};

use super::args::ReportScope;

/// A manifest part (S3 takes parts of 5 MiB to 5 GiB, at most 10,000 of them: 16 MiB parts
/// hold a manifest of up to 160 GiB, about a billion keys).
pub const PART: usize = 16 << 20;

/// Where manifests go in their bucket (the template's role may read there).
pub const MANIFESTS: &str = "manifests/";
/// Where completion reports go in their bucket (the template's role may write there).
pub const REPORTS: &str = "reports/";

/// The user argument carrying `--rules-only` (the processor's `only::RULES_ONLY`).
pub const RULES_ONLY: &str = "rules_only";
/// The longest user argument value S3 Batch Operations takes.
pub const MAX_USER_ARGUMENT: usize = 1024;

/// Something S3 or S3 Control refused.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct BatchError {
    /// What was being done.
    pub what: String,
    /// What AWS said.
    pub detail: String,
}

fn failed<E: std::error::Error + 'static, R: std::fmt::Debug>(
    what: impl Into<String>,
) -> impl FnOnce(aws_sdk_s3::error::SdkError<E, R>) -> BatchError {
    let what = what.into();
    move |e| BatchError {
        what,
        detail: aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
    }
}

/// A manifest being written.
pub struct Manifest {
    s3: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    buffer: Vec<u8>,
    upload: Option<(String, Vec<CompletedPart>)>,
    /// Lines written.
    pub lines: u64,
}

/// A manifest in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its bucket.
    pub bucket: String,
    /// Its key.
    pub key: String,
    /// Its ETag, without quotes.
    pub etag: String,
    /// Its lines (objects).
    pub lines: u64,
}

impl Manifest {
    /// A manifest to be written to `s3://bucket/key`.
    pub fn new(s3: aws_sdk_s3::Client, bucket: String, key: String) -> Manifest {
        Manifest {
            s3,
            bucket,
            key,
            buffer: Vec::with_capacity(PART),
            upload: None,
            lines: 0,
        }
    }

    fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// Adds one line, uploading a part whenever one is full.
    pub async fn push(&mut self, line: &str) -> Result<(), BatchError> {
        self.buffer.extend_from_slice(line.as_bytes());
        self.lines += 1;
        if self.buffer.len() >= PART {
            self.upload_part().await?;
        }
        Ok(())
    }

    async fn upload_part(&mut self) -> Result<(), BatchError> {
        let uri = self.uri();
        if self.upload.is_none() {
            let created = self
                .s3
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type("text/csv")
                .send()
                .await
                .map_err(failed(format!("starting the upload of manifest {uri}")))?;
            let id = created.upload_id.unwrap_or_default();
            self.upload = Some((id, Vec::new()));
        }
        let Some((id, parts)) = &mut self.upload else {
            return Ok(());
        };
        let number = i32::try_from(parts.len() + 1).unwrap_or(i32::MAX);
        let body = std::mem::replace(&mut self.buffer, Vec::with_capacity(PART));
        let part = self
            .s3
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(id.as_str())
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(failed(format!("uploading part {number} of manifest {uri}")))?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part.e_tag)
                .build(),
        );
        Ok(())
    }

    /// Uploads what is left and completes the object.
    pub async fn finish(mut self) -> Result<Written, BatchError> {
        let uri = self.uri();
        let etag = if self.upload.is_none() {
            let body = std::mem::take(&mut self.buffer);
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type("text/csv")
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(failed(format!("writing manifest {uri}")))?
                .e_tag
        } else {
            if !self.buffer.is_empty() {
                self.upload_part().await?;
            }
            let Some((id, parts)) = self.upload.take() else {
                return Err(BatchError {
                    what: format!("writing manifest {uri}"),
                    detail: "the upload vanished".to_owned(),
                });
            };
            self.s3
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(failed(format!("completing manifest {uri}")))?
                .e_tag
        };
        Ok(Written {
            bucket: self.bucket,
            key: self.key,
            etag: etag.unwrap_or_default().trim_matches('"').to_owned(),
            lines: self.lines,
        })
    }

    /// Gives up an upload in progress (a failed backfill), so that no parts linger.
    pub async fn abort(self) {
        if let Some((id, _)) = self.upload {
            let _ = self
                .s3
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(id)
                .send()
                .await;
        }
    }
}

/// A Lambda function ARN's parts: `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionArn {
    /// The whole ARN.
    pub arn: String,
    /// `aws`, `aws-us-gov`, `aws-cn`.
    pub partition: String,
    /// The function's region.
    pub region: String,
    /// The function's account.
    pub account: String,
}

impl FunctionArn {
    /// Parses a function ARN; the error says what was expected.
    pub fn parse(arn: &str) -> Result<FunctionArn, String> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", partition, "lambda", region, account, "function", name, ..]
                if !region.is_empty() && account.len() == 12 && !name.is_empty() =>
            {
                Ok(FunctionArn {
                    arn: arn.to_owned(),
                    partition: (*partition).to_owned(),
                    region: (*region).to_owned(),
                    account: (*account).to_owned(),
                })
            }
            _ => Err(format!(
                "{arn:?} is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)"
            )),
        }
    }
}

/// The job's operation: invoke `function` with schema 2.0, `rules_only` as a user argument.
pub fn operation(function: &FunctionArn, rules_only: Option<&str>) -> JobOperation {
    let mut invoke = LambdaInvokeOperation::builder()
        .function_arn(&function.arn)
        .invocation_schema_version("2.0");
    if let Some(ids) = rules_only {
        invoke = invoke.user_arguments(RULES_ONLY, ids);
    }
    JobOperation::builder()
        .lambda_invoke(invoke.build())
        .build()
}

/// The job's manifest: the CSV at `written`, columns Bucket and Key.
pub fn manifest(written: &Written, partition: &str) -> Result<JobManifest, BatchError> {
    let invalid = |e: aws_sdk_s3control::error::BuildError| BatchError {
        what: "building the job's manifest".to_owned(),
        detail: e.to_string(),
    };
    let spec = JobManifestSpec::builder()
        .format(JobManifestFormat::S3BatchOperationsCsv20180820)
        .fields(JobManifestFieldName::Bucket)
        .fields(JobManifestFieldName::Key)
        .build()
        .map_err(invalid)?;
    let location = JobManifestLocation::builder()
        .object_arn(format!(
            "arn:{partition}:s3:::{}/{}",
            written.bucket, written.key
        ))
        .e_tag(&written.etag)
        .build()
        .map_err(invalid)?;
    Ok(JobManifest::builder().spec(spec).location(location).build())
}

/// The job's completion report, under `prefix` in `bucket`.
pub fn report(bucket: &str, prefix: &str, partition: &str, scope: ReportScope) -> JobReport {
    JobReport::builder()
        .enabled(true)
        .bucket(format!("arn:{partition}:s3:::{bucket}"))
        .prefix(prefix.trim_end_matches('/'))
        .format(JobReportFormat::ReportCsv20180820)
        .report_scope(match scope {
            ReportScope::Failed => JobReportScope::FailedTasksOnly,
            ReportScope::All => JobReportScope::AllTasks,
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns() {
        let f =
            FunctionArn::parse("arn:aws-us-gov:lambda:us-gov-west-1:111122223333:function:kt:live")
                .unwrap();
        assert_eq!(
            (f.partition.as_str(), f.region.as_str(), f.account.as_str()),
            ("aws-us-gov", "us-gov-west-1", "111122223333")
        );
        for bad in [
            "arn:aws:lambda:us-east-1:111122223333:layer:x",
            "arn:aws:iam::111122223333:role/r",
            "my-function",
            "arn:aws:lambda:us-east-1:1111:function:f",
        ] {
            assert!(
                FunctionArn::parse(bad)
                    .unwrap_err()
                    .contains("is not a Lambda function ARN"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_job_is_built_to_the_model() {
        let f = FunctionArn::parse("arn:aws:lambda:eu-west-1:111122223333:function:kt").unwrap();
        let op = operation(&f, Some("a,b"));
        let invoke = op.lambda_invoke().unwrap();
        assert_eq!(invoke.function_arn(), Some(f.arn.as_str()));
        assert_eq!(invoke.invocation_schema_version(), Some("2.0"));
        assert_eq!(invoke.user_arguments().unwrap()[RULES_ONLY], "a,b");
        assert!(operation(&f, None)
            .lambda_invoke()
            .unwrap()
            .user_arguments()
            .is_none());

        let written = Written {
            bucket: "mb".to_owned(),
            key: "manifests/x.csv".to_owned(),
            etag: "abc".to_owned(),
            lines: 3,
        };
        let m = manifest(&written, "aws").unwrap();
        assert_eq!(
            m.location().unwrap().object_arn(),
            "arn:aws:s3:::mb/manifests/x.csv"
        );
        assert_eq!(m.location().unwrap().e_tag(), "abc");
        assert_eq!(
            m.spec().unwrap().fields(),
            [JobManifestFieldName::Bucket, JobManifestFieldName::Key]
        );

        let r = report("rb", "reports/x/", "aws", ReportScope::Failed);
        assert!(r.enabled());
        assert_eq!(r.bucket(), Some("arn:aws:s3:::rb"));
        assert_eq!(r.prefix(), Some("reports/x"));
        assert_eq!(r.report_scope(), Some(&JobReportScope::FailedTasksOnly));
    }
}
