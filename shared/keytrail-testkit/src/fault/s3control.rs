//! S3 Batch Operations answers for the [`super::FaultProxy`]: moto has no S3 Control job API, so
//! a test puts the proxy's endpoint in `AWS_ENDPOINT_URL_S3_CONTROL` and answers the calls with
//! these rules, in S3 Control's REST-XML wire format as the real `aws-sdk-s3control` parses it.
//!
//! - `DescribeJob` is `GET /v20180820/jobs/<id>` (the account in the `x-amz-account-id` header),
//!   answered `200` with `<DescribeJobResult><Job>…</Job></DescribeJobResult>` in the
//!   `http://awss3control.amazonaws.com/doc/2018-08-20/` namespace: the job's id, status,
//!   `ProgressSummary` (task counts and `Timers`), `FailureReasons` (a list of `<member>`
//!   elements, as the service model names them) and `Report`.
//! - Errors are S3 Control's wrapped REST-XML errors:
//!   `<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId>
//!   </ErrorResponse>`, e.g. `404 NotFoundException` for a job id the account does not have
//!   (the code the model gives DescribeJob for it; the message text is the stand-in's own).

use super::{Fault, Match};

/// What a stand-in `DescribeJob` says of one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchJob {
    /// `JobId`.
    pub id: String,
    /// `Status`: `Active`, `Complete`, `Failed`, `Cancelled`, ...
    pub status: String,
    /// `ProgressSummary.TotalNumberOfTasks`.
    pub total: i64,
    /// `ProgressSummary.NumberOfTasksSucceeded`.
    pub succeeded: i64,
    /// `ProgressSummary.NumberOfTasksFailed`.
    pub failed: i64,
    /// `ProgressSummary.Timers.ElapsedTimeInActiveSeconds`.
    pub active_seconds: i64,
    /// `FailureReasons`: (`FailureCode`, `FailureReason`) pairs.
    pub failure_reasons: Vec<(String, String)>,
    /// `Report`: bucket ARN, prefix and scope (`AllTasks` or `FailedTasksOnly`), when enabled.
    pub report: Option<(String, String, String)>,
}

/// The namespace of S3 Control's XML documents.
const NAMESPACE: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";

impl Match {
    /// S3 Control `DescribeJob` of job `id`.
    pub fn s3control_describe_job(id: &str) -> Match {
        Match::Path {
            method: "GET".to_owned(),
            path: format!("/v20180820/jobs/{id}"),
        }
    }
}

impl Fault {
    /// S3 Control's `DescribeJob` answer for `job`.
    pub fn s3control_describe_job(job: &BatchJob) -> Fault {
        let failures: String = job
            .failure_reasons
            .iter()
            .map(|(code, reason)| {
                format!(
                    "<member><FailureCode>{}</FailureCode><FailureReason>{}</FailureReason></member>",
                    escape(code),
                    escape(reason)
                )
            })
            .collect();
        let report = match &job.report {
            Some((bucket, prefix, scope)) => format!(
                "<Report><Bucket>{}</Bucket><Format>Report_CSV_20180820</Format>\
                 <Enabled>true</Enabled><Prefix>{}</Prefix><ReportScope>{}</ReportScope></Report>",
                escape(bucket),
                escape(prefix),
                escape(scope)
            ),
            None => "<Report><Enabled>false</Enabled></Report>".to_owned(),
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeJobResult xmlns=\"{NAMESPACE}\">\
             <Job><JobId>{id}</JobId><ConfirmationRequired>false</ConfirmationRequired>\
             <JobArn>arn:aws:s3:us-east-1:123456789012:job/{id}</JobArn>\
             <Status>{status}</Status><Priority>10</Priority>\
             <ProgressSummary><TotalNumberOfTasks>{total}</TotalNumberOfTasks>\
             <NumberOfTasksSucceeded>{succeeded}</NumberOfTasksSucceeded>\
             <NumberOfTasksFailed>{failed}</NumberOfTasksFailed>\
             <Timers><ElapsedTimeInActiveSeconds>{active}</ElapsedTimeInActiveSeconds></Timers>\
             </ProgressSummary><FailureReasons>{failures}</FailureReasons>{report}\
             <CreationTime>2026-06-12T10:00:00Z</CreationTime>\
             <RoleArn>arn:aws:iam::123456789012:role/keytrail-backfill-batch</RoleArn>\
             </Job></DescribeJobResult>",
            id = escape(&job.id),
            status = escape(&job.status),
            total = job.total,
            succeeded = job.succeeded,
            failed = job.failed,
            active = job.active_seconds,
        );
        Fault::Respond {
            status: 200,
            content_type: "application/xml".to_owned(),
            body,
        }
    }

    /// An S3 Control error answer: `status` with the wrapped REST-XML error `code`.
    pub fn s3control_error(status: u16, code: &str, message: &str) -> Fault {
        Fault::Respond {
            status,
            content_type: "application/xml".to_owned(),
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error>\
                 <Code>{}</Code><Message>{}</Message></Error>\
                 <RequestId>FAULTPROXY</RequestId><HostId>faultproxy</HostId></ErrorResponse>",
                escape(code),
                escape(message)
            ),
        }
    }
}

/// `text` as XML character data.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
