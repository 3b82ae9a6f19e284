//! `keytrail backfill`'s flags, and `keytrail backfill status`'s.

use clap::{Args, Subcommand, ValueEnum};

use crate::aws::AwsArgs;
use crate::dates::Day;
use crate::rule_args::RuleArgs;
use crate::scan::Toggle;

/// `keytrail backfill`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackfillArgs {
    /// Follow a backfill: `keytrail backfill status JOB|--queue URL`.
    #[command(subcommand)]
    pub status: Option<StatusCommand>,

    /// The trail folder to backfill: s3://BUCKET/[PREFIX/]AWSLogs/[o-ORG/][ACCOUNT/]CloudTrail/[REGION/],
    /// anywhere from AWSLogs/ down to one region. Every account and region folder below it is
    /// found, and each day folder from --since to --until listed; CloudTrail-Digest/ folders,
    /// other folders and keys that are not trail objects are skipped (counted in the summary).
    #[arg(required = true, value_name = "S3_URI")]
    pub uri: Option<String>,

    /// The first day to backfill (YYYY-MM-DD, UTC, as CloudTrail's key layout dates objects).
    #[arg(long, value_name = "DATE", required = true)]
    pub since: Option<Day>,

    /// The last day to backfill (YYYY-MM-DD). Default: today.
    #[arg(long, value_name = "DATE")]
    pub until: Option<Day>,

    /// How the fleet gets the work: sqs sends one S3-notification-shaped message per object to
    /// the backfill queue (the function's concurrency does the work, its dead-letter queue
    /// catches failures); batch writes a CSV manifest and creates an S3 Batch Operations job
    /// that invokes the function once per object. Default: sqs when a queue is known (--stack
    /// or --queue-url), else batch.
    #[arg(long, value_enum)]
    pub via: Option<Via>,

    /// Publish only these rules' alerts (rule ids, comma-separated or repeated), so that a
    /// backfill for a new rule does not raise the other rules' old alerts again. Carried in
    /// each message (attribute rules_only) or in the job's user arguments; every id must be a
    /// rule of the built-in pack or of --rules DIR, and of the deployed function.
    #[arg(long, value_name = "ID", num_args = 1.., value_delimiter = ',')]
    pub rules_only: Vec<String>,

    #[command(flatten)]
    pub rules: RuleArgs,

    #[command(flatten)]
    pub targets: TargetArgs,

    /// Completion report of a batch job: failed (only the tasks that failed) or all tasks.
    #[arg(long, value_enum, default_value_t = ReportScope::Failed)]
    pub report: ReportScope,

    /// List and count what would be sent, send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// AWS requests in flight at once (listings, SendMessageBatch calls).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 16)]
    pub jobs: usize,

    /// Progress bar on stderr: auto shows it when stderr is a terminal.
    #[arg(long, value_enum, default_value_t = Toggle::Auto)]
    pub progress: Toggle,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Where the work goes: read from the stack's outputs, each overridable.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Deployment")]
pub struct TargetArgs {
    /// The keytrail stack (deployed from template.yaml): its outputs BackfillQueueUrl,
    /// FunctionArn, BackfillBatchRoleArn and BackfillBucketName name the queue, the function,
    /// the S3 Batch Operations role and the manifest and report bucket.
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,

    /// The queue to send to (--via sqs), instead of the stack's BackfillQueueUrl.
    #[arg(long, visible_alias = "queue", value_name = "URL")]
    pub queue_url: Option<String>,

    /// The trail-processor function (--via batch), instead of the stack's FunctionArn.
    #[arg(long, value_name = "ARN")]
    pub function_arn: Option<String>,

    /// The role S3 Batch Operations assumes (--via batch), instead of the stack's
    /// BackfillBatchRoleArn. It needs lambda:InvokeFunction on the function, s3:GetObject on the
    /// manifest and s3:PutObject on the report prefix.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// The bucket the completion report goes to (under reports/), instead of the stack's
    /// BackfillBucketName.
    #[arg(long, value_name = "BUCKET")]
    pub report_bucket: Option<String>,

    /// The bucket the manifest is written to (under manifests/). Default: the report bucket.
    #[arg(long, value_name = "BUCKET")]
    pub manifest_bucket: Option<String>,
}

/// `keytrail backfill status`.
#[derive(Debug, Subcommand)]
pub enum StatusCommand {
    /// How a backfill is going: the queue's depth and its dead-letter queue's (found through the
    /// queue's redrive policy), and for a batch job its status, progress and failed tasks.
    ///
    /// Exit status: 0, or 1 when something failed (messages in the dead-letter queue, failed
    /// tasks, a failed job), 2 when the status could not be read.
    Status(StatusArgs),
}

/// `keytrail backfill status`'s flags.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The S3 Batch Operations job id (what `keytrail backfill --via batch` printed).
    #[arg(value_name = "JOB")]
    pub job: Option<String>,

    /// The queue to look at. Default: the stack's BackfillQueueUrl (with --stack).
    #[arg(long = "queue", value_name = "URL")]
    pub queue_url: Option<String>,

    /// The keytrail stack: its backfill queue, and the account its function runs in.
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,

    /// The account the job runs in. Default: the account of the stack's function.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The two engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// Messages on the backfill queue.
    Sqs,
    /// An S3 Batch Operations job.
    Batch,
}

/// Which tasks a batch job's completion report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportScope {
    /// The failed tasks only.
    Failed,
    /// Every task.
    All,
}
