//! Planning a scan: the command line's paths expanded into the objects to read (local files
//! walked, S3 prefixes listed), with what was passed over and what could not be used.

use super::args::ScanArgs;
use super::s3::S3;
use super::target::{Skip, Skips, Target};
use super::walk;
use crate::term;

/// What a scan will read.
pub struct Plan {
    /// The objects, in a stable order.
    pub targets: Vec<Target>,
    /// Paths that could not be used (each makes the scan exit 2), raw.
    pub errors: Vec<String>,
    /// What was passed over, by reason.
    pub skips: Skips,
    /// Skips worth naming one by one (broken links, loops), raw.
    pub notes: Vec<String>,
    /// The S3 connection, when a path is an `s3://` URI.
    pub s3: Option<S3>,
}

impl Plan {
    /// The bytes to read, as far as known (for the progress bar).
    pub fn total_bytes(&self) -> u64 {
        self.targets.iter().map(Target::size).sum()
    }
}

/// Expands `args.paths`. Listing an S3 prefix that fails (no such bucket, no credentials) is an
/// error: nothing would be scanned there.
pub fn plan(args: &ScanArgs) -> anyhow::Result<Plan> {
    let walked = walk::walk(&args.paths);
    let mut plan = Plan {
        targets: walked.targets,
        errors: walked.errors,
        skips: walked.skips,
        notes: walked.notes,
        s3: None,
    };
    let s3_uris: Vec<&String> = args
        .paths
        .iter()
        .filter(|p| p.starts_with("s3://"))
        .collect();
    if (args.since.is_some() || args.until.is_some()) && s3_uris.is_empty() {
        term::say(
            "warning: --since/--until select S3 objects by key; local paths are scanned whole",
        );
    }
    if s3_uris.is_empty() {
        return Ok(plan);
    }
    let s3 = S3::connect(&args.aws)?;
    for uri in s3_uris {
        let (objects, passed) = s3.list(uri, args.since, args.until)?;
        if objects.is_empty() {
            term::say(&format!(
                "{uri}: no trail objects found ({passed} other keys passed over)"
            ));
        }
        plan.skips.add(Skip::S3Key, passed);
        plan.targets.extend(objects.into_iter().map(Target::S3));
    }
    plan.s3 = Some(s3);
    Ok(plan)
}
