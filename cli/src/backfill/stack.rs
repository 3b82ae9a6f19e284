//! Where a backfill's work goes: the deployed stack's outputs (`--stack NAME`, read with
//! CloudFormation `DescribeStacks`), each overridden by its flag, and the engine chosen from
//! what is known. [`Targets::resolve`] is pure; [`outputs`] is the one call to CloudFormation.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};

use super::args::{TargetArgs, Via};

/// The stack outputs a backfill reads (template.yaml's `Outputs`).
pub const QUEUE_OUTPUT: &str = "BackfillQueueUrl";
/// The trail-processor's ARN.
pub const FUNCTION_OUTPUT: &str = "FunctionArn";
/// The S3 Batch Operations role.
pub const ROLE_OUTPUT: &str = "BackfillBatchRoleArn";
/// The manifest and report bucket.
pub const BUCKET_OUTPUT: &str = "BackfillBucketName";

const OUTPUTS: [&str; 4] = [QUEUE_OUTPUT, FUNCTION_OUTPUT, ROLE_OUTPUT, BUCKET_OUTPUT];

/// What the backfill talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// The queue (`--via sqs`).
    pub queue_url: Option<String>,
    /// The function (`--via batch`).
    pub function_arn: Option<String>,
    /// The role S3 Batch Operations assumes.
    pub role_arn: Option<String>,
    /// The report bucket.
    pub report_bucket: Option<String>,
    /// The manifest bucket.
    pub manifest_bucket: Option<String>,
}

/// Why the targets could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StackError {
    /// DescribeStacks failed.
    #[error("cannot read stack {stack}: {detail}")]
    Describe {
        /// The stack name.
        stack: String,
        /// What CloudFormation said.
        detail: String,
    },
    /// The stack has none of the outputs.
    #[error(
        "stack {stack} has none of the outputs keytrail backfill reads ({}): is it a keytrail \
         stack deployed from a template.yaml with backfill support? Redeploy it, or name the \
         targets with --queue-url, or --function-arn, --role-arn and --report-bucket",
        OUTPUTS.join(", ")
    )]
    NoOutputs {
        /// The stack name.
        stack: String,
    },
    /// The engine asked for (or the only one possible) lacks something.
    #[error("--via {via} needs {missing}: {hint}")]
    Missing {
        /// The engine.
        via: &'static str,
        /// What is missing.
        missing: String,
        /// Where it can come from.
        hint: String,
    },
}

impl Targets {
    /// The stack's outputs (when read), with each flag taking precedence.
    pub fn resolve(
        stack_outputs: Option<&BTreeMap<String, String>>,
        flags: &TargetArgs,
    ) -> Targets {
        let output = |name: &str| stack_outputs.and_then(|o| o.get(name)).cloned();
        let report_bucket = flags
            .report_bucket
            .clone()
            .or_else(|| output(BUCKET_OUTPUT));
        Targets {
            queue_url: flags.queue_url.clone().or_else(|| output(QUEUE_OUTPUT)),
            function_arn: flags
                .function_arn
                .clone()
                .or_else(|| output(FUNCTION_OUTPUT)),
            role_arn: flags.role_arn.clone().or_else(|| output(ROLE_OUTPUT)),
            manifest_bucket: flags
                .manifest_bucket
                .clone()
                .or_else(|| report_bucket.clone()),
            report_bucket,
        }
    }

    /// The engine: `via` when given, else sqs when a queue is known, else batch; checked to
    /// have what it needs. `stack` names where the values were looked for, in the hint.
    pub fn engine(&self, via: Option<Via>, stack: Option<&str>) -> Result<Via, StackError> {
        let via = via.unwrap_or(if self.queue_url.is_some() || self.function_arn.is_none() {
            Via::Sqs
        } else {
            Via::Batch
        });
        let from = |output: &str, flag: &str| match stack {
            Some(stack) => format!("stack {stack} has no {output} output; pass {flag}"),
            None => format!("pass --stack NAME (a keytrail stack) or {flag}"),
        };
        let missing =
            |via: &'static str, what: &str, output: &str, flag: &str| StackError::Missing {
                via,
                missing: what.to_owned(),
                hint: from(output, flag),
            };
        match via {
            Via::Sqs if self.queue_url.is_none() => Err(missing(
                "sqs",
                "the backfill queue",
                QUEUE_OUTPUT,
                "--queue-url URL",
            )),
            Via::Batch if self.function_arn.is_none() => Err(missing(
                "batch",
                "the function",
                FUNCTION_OUTPUT,
                "--function-arn ARN",
            )),
            Via::Batch if self.role_arn.is_none() => Err(missing(
                "batch",
                "the S3 Batch Operations role",
                ROLE_OUTPUT,
                "--role-arn ARN",
            )),
            Via::Batch if self.report_bucket.is_none() => Err(missing(
                "batch",
                "a bucket for the manifest and the report",
                BUCKET_OUTPUT,
                "--report-bucket BUCKET",
            )),
            via => Ok(via),
        }
    }
}

/// The outputs of stack `name`, by key; an error when it does not exist or has none of the
/// outputs a backfill reads.
pub async fn outputs(
    client: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Result<BTreeMap<String, String>, StackError> {
    let described = client
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| StackError::Describe {
            stack: name.to_owned(),
            detail: match e.as_service_error().and_then(|s| s.message()) {
                Some(message) if message.contains("does not exist") => {
                    format!("{message}: check --stack and --region")
                }
                _ => DisplayErrorContext(&e).to_string(),
            },
        })?;
    let found: BTreeMap<String, String> = described
        .stacks()
        .iter()
        .flat_map(|s| s.outputs())
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect();
    if !OUTPUTS.iter().any(|o| found.contains_key(*o)) {
        return Err(StackError::NoOutputs {
            stack: name.to_owned(),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(outputs: &[(&str, &str)]) -> BTreeMap<String, String> {
        outputs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const ALL: &[(&str, &str)] = &[
        (QUEUE_OUTPUT, "https://q"),
        (
            FUNCTION_OUTPUT,
            "arn:aws:lambda:us-east-1:111122223333:function:f",
        ),
        (ROLE_OUTPUT, "arn:aws:iam::111122223333:role/r"),
        (BUCKET_OUTPUT, "reports"),
    ];

    #[test]
    fn flags_override_outputs() {
        let outputs = stack(ALL);
        let flags = TargetArgs {
            queue_url: Some("https://other".to_owned()),
            manifest_bucket: Some("manifests".to_owned()),
            ..TargetArgs::default()
        };
        let t = Targets::resolve(Some(&outputs), &flags);
        assert_eq!(t.queue_url.as_deref(), Some("https://other"));
        assert_eq!(t.report_bucket.as_deref(), Some("reports"));
        assert_eq!(t.manifest_bucket.as_deref(), Some("manifests"));
        let t = Targets::resolve(Some(&outputs), &TargetArgs::default());
        assert_eq!(t.manifest_bucket.as_deref(), Some("reports"));
    }

    #[test]
    fn the_engine_follows_what_is_known() {
        let only = |keys: &[&str]| {
            let outputs = stack(
                &ALL.iter()
                    .filter(|(k, _)| keys.contains(k))
                    .copied()
                    .collect::<Vec<_>>(),
            );
            Targets::resolve(Some(&outputs), &TargetArgs::default())
        };
        let every = [QUEUE_OUTPUT, FUNCTION_OUTPUT, ROLE_OUTPUT, BUCKET_OUTPUT];
        let batch_only = [FUNCTION_OUTPUT, ROLE_OUTPUT, BUCKET_OUTPUT];
        type Case<'a> = (&'a [&'a str], Option<Via>, Result<Via, &'a str>);
        let cases: &[Case<'_>] = &[
            (&every, None, Ok(Via::Sqs)),
            (&every, Some(Via::Batch), Ok(Via::Batch)),
            (&batch_only, None, Ok(Via::Batch)),
            (&batch_only, Some(Via::Sqs), Err("--via sqs needs the backfill queue: stack s has no BackfillQueueUrl output; pass --queue-url URL")),
            (&[], None, Err("--via sqs needs the backfill queue")),
            (&[FUNCTION_OUTPUT], None, Err("--via batch needs the S3 Batch Operations role: stack s has no BackfillBatchRoleArn output")),
            (&[FUNCTION_OUTPUT, ROLE_OUTPUT], None, Err("--via batch needs a bucket for the manifest and the report")),
        ];
        for (keys, via, want) in cases {
            let got = only(keys)
                .engine(*via, Some("s"))
                .map_err(|e| e.to_string());
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want, "{keys:?} {via:?}"),
                (Err(got), Err(want)) => assert!(got.starts_with(want), "{keys:?} {via:?}: {got}"),
                (got, want) => panic!("{keys:?} {via:?}: {got:?}, want {want:?}"),
            }
        }
        let none = Targets::resolve(None, &TargetArgs::default());
        assert_eq!(
            none.engine(None, None).unwrap_err().to_string(),
            "--via sqs needs the backfill queue: pass --stack NAME (a keytrail stack) or --queue-url URL"
        );
    }
}
