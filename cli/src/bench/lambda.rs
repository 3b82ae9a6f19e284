//! `keytrail bench lambda`: an object scanned the way the trail-processor Lambda scans it.
//!
//! The object is streamed from the file as a body ([`ByteStream`], chunks of [`BODY_CHUNK`])
//! into [`ScanStream::start_hashing`], the Lambda's own path (keytrail-aws): a pump task feeds
//! the scan's pipelined reader (its decompress thread and its splitting thread); with `--hash`
//! the decompress thread also hashes the uncompressed content with SHA-256 as it decompresses it
//! (`scan::scan_object_hashing`), as the Lambda does for log file validation. On a tokio runtime
//! with a worker per core, as the Lambda runtime has. With one CPU (`taskset -c 0`, as the
//! bench's pinned rows run it) it reads on one thread, as a Lambda function under 1,769 MB (less
//! than one vCPU) does.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use aws_sdk_s3::primitives::ByteStream;
use clap::Args;
use keytrail_aws::stream::ScanStream;
use keytrail_core::scan::{available_cpus, ScanOptions};

use super::{micros, report};
use crate::rule_args::{self, RuleArgs};

/// Bytes per body chunk: about what an S3 response body yields per poll.
const BODY_CHUNK: usize = 64 << 10;

/// `keytrail bench lambda`'s arguments.
#[derive(Debug, Args)]
pub struct LambdaArgs {
    /// The object.
    pub file: PathBuf,
    /// Also hash the uncompressed content (SHA-256) while it streams, as for log file
    /// validation.
    #[arg(long)]
    pub hash: bool,
    /// The reader's chunk size (KiB; the default is the reader's own).
    #[arg(long)]
    pub chunk_kib: Option<usize>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Scans the object as the Lambda does and prints its JSON line (records, alerts, hashed bytes).
pub fn lambda(args: &LambdaArgs) -> anyhow::Result<()> {
    let rules = Arc::new(rule_args::load(&args.rules)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut options = ScanOptions {
        pipelined: available_cpus() > 1,
        ..ScanOptions::default()
    };
    if let Some(kib) = args.chunk_kib {
        options.read.buffer_bytes = kib.max(1) << 10;
    }
    let start = Instant::now();
    let (end, alerts) = rt.block_on(async {
        let body = ByteStream::read_from()
            .path(&args.file)
            .buffer_size(BODY_CHUNK)
            .build()
            .await
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        let mut scan = ScanStream::start_hashing(
            args.file.display().to_string(),
            body,
            rules,
            options,
            None,
            args.hash.then_some(u64::MAX),
        );
        let mut alerts = 0u64;
        while scan.next_alert().await.is_some() {
            alerts += 1;
        }
        anyhow::Ok((scan.finish().await?, alerts))
    })?;
    let micros = micros(start);
    let hashed = match end.content {
        Some(Ok(content)) => content.bytes,
        Some(Err(e)) => anyhow::bail!("hashing {} failed: {e}", args.file.display()),
        None => 0,
    };
    report(&[
        ("records", end.report.records),
        ("alerts", alerts),
        ("hashed", hashed),
        ("micros", micros),
    ])
}
