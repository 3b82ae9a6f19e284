//! `keytrail verify`'s flags, and the time range they stand for.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use keytrail_core::integrity::{Timestamp, HOUR};

use crate::aws::AwsArgs;
use crate::dates::Day;

/// `keytrail verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The trail's bucket, and optionally a prefix in it: anything from the bucket root down to
    /// one account's region folder, of CloudTrail/ or of CloudTrail-Digest/ (either names both),
    /// e.g. s3://my-trail-bucket/, s3://my-trail-bucket/AWSLogs/111122223333/,
    /// s3://my-trail-bucket/org/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/.
    /// A local directory is refused: a copy (aws s3 sync) has no object metadata, so the digests'
    /// signatures are not there to check.
    #[arg(value_name = "S3_URI")]
    pub location: String,

    /// Check the digests that cover this day (YYYY-MM-DD, UTC) and later. With a prefix ending at
    /// a region folder only the days from --since to --until (or today) are listed.
    #[arg(long, value_name = "DATE")]
    pub since: Option<Day>,

    /// Check the digests that cover this day (YYYY-MM-DD, UTC) and earlier. The trail is checked
    /// for silence as of 30 minutes after this day ends (or now, if earlier).
    #[arg(long, value_name = "DATE")]
    pub until: Option<Day>,

    /// Output: text (one line per problem: severity, kind, what, which object, why) or jsonl
    /// (one JSON object per problem with a stable "kind" and "severity").
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// A CloudTrail public key to verify signatures with, instead of asking CloudTrail's
    /// ListPublicKeys: the DER that ListPublicKeys returns (raw or base64, as
    /// `aws cloudtrail list-public-keys` prints Value), a PEM public key, or the JSON output of
    /// `aws cloudtrail list-public-keys`. Repeat it for several keys (a key rotated mid-range,
    /// several regions). With it, no CloudTrail call is made.
    #[arg(long = "public-key", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,

    /// Objects read at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    /// No progress bar (by default it is shown when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,

    /// Do not print the closing summary line on stderr.
    #[arg(long, short)]
    pub quiet: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per problem, for people.
    Text,
    /// One JSON object per problem, for machines.
    Jsonl,
}

/// The time range a check covers, from the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first day, when --since is given.
    pub since: Option<Day>,
    /// The last day, when --until is given.
    pub until: Option<Day>,
    /// The time of the check: 30 minutes after the range (the last hour's digest is due by
    /// then), or now, whichever is earlier.
    pub as_of: Timestamp,
}

/// How long after the range the check is made: CloudTrail delivers a digest within minutes of
/// the end of its hour, so by then the one covering the range's last hour is there.
const AFTER_RANGE: i64 = HOUR / 2;

fn midnight(day: Day) -> Timestamp {
    Timestamp::from_epoch(day.days() * 86_400)
}

/// Now, as a [`Timestamp`].
pub fn now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Timestamp::from_epoch(i64::try_from(secs).unwrap_or(i64::MAX))
}

impl Range {
    /// The range of `--since`/`--until`, checked as of `now` at the latest.
    pub fn new(since: Option<Day>, until: Option<Day>, now: Timestamp) -> Result<Range, String> {
        if let (Some(s), Some(u)) = (since, until) {
            if s > u {
                return Err(format!(
                    "--since {s} is after --until {u}: give the earlier day to --since"
                ));
            }
        }
        let as_of = until.map_or(now, |u| now.min(Range::end_of(u).plus(AFTER_RANGE)));
        Ok(Range {
            since,
            until,
            as_of,
        })
    }

    fn end_of(day: Day) -> Timestamp {
        midnight(day).plus(24 * HOUR)
    }

    /// The start of the range (midnight of --since).
    pub fn start(&self) -> Option<Timestamp> {
        self.since.map(midnight)
    }

    /// Whether a digest ending at `end` covers time in the range: it covers the hour before its
    /// end.
    pub fn covers_digest(&self, end: Timestamp) -> bool {
        self.start().is_none_or(|s| end > s)
            && self
                .until
                .is_none_or(|u| end.plus(-HOUR) < Range::end_of(u))
    }

    /// Whether a key dated `day` (its date folder) may hold a digest of the range: the digests
    /// of the range's last hour are filed under the next day.
    pub fn digest_day(&self, day: Day) -> bool {
        self.since.is_none_or(|s| day >= s)
            && self
                .until
                .is_none_or(|u| day.days() <= u.days().saturating_add(1))
    }

    /// Whether a log object dated `day` (its date folder) is in the range.
    pub fn log_day(&self, day: Day) -> bool {
        self.since.is_none_or(|s| day >= s) && self.until.is_none_or(|u| day <= u)
    }
}

impl VerifyArgs {
    /// The time range, or why the flags do not make one.
    pub fn range(&self) -> Result<Range, String> {
        Range::new(self.since, self.until, now())
    }

    /// Whether to draw the progress bar.
    pub fn show_progress(&self) -> bool {
        !self.no_progress && io::stderr().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<Day> {
        Some(s.parse().unwrap())
    }

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn a_range_of_days_and_the_digests_that_cover_it() {
        let now = t("2026-12-07T05:00:00Z");
        let range = Range::new(day("2026-06-10"), day("2026-06-10"), now).unwrap();
        assert_eq!(range.as_of, t("2026-06-11T00:30:00Z"));
        // (digest end, covers the range)
        for (end, want) in [
            ("2026-06-10T00:00:00Z", false),
            ("2026-06-10T00:17:28Z", true),
            ("2026-06-11T00:17:28Z", true),
            ("2026-06-11T00:59:59Z", true),
            ("2026-06-11T01:00:00Z", false),
        ] {
            assert_eq!(range.covers_digest(t(end)), want, "{end}");
        }
        assert!(range.digest_day(day("2026-06-11").unwrap()));
        assert!(!range.log_day(day("2026-06-11").unwrap()));
        assert!(!range.digest_day(day("2026-06-09").unwrap()));
    }

    #[test]
    fn the_check_is_never_after_now_and_since_must_not_follow_until() {
        let now = t("2026-06-10T12:00:00Z");
        let range = Range::new(day("2026-06-10"), None, now).unwrap();
        assert_eq!(range.as_of, now);
        assert_eq!(
            Range::new(day("2026-06-10"), day("2026-06-10"), now)
                .unwrap()
                .as_of,
            now
        );
        let err = Range::new(day("2026-06-11"), day("2026-06-10"), now).unwrap_err();
        assert!(
            err.contains("--since 2026-06-11 is after --until 2026-06-10"),
            "{err}"
        );
        let open = Range::new(None, None, now).unwrap();
        assert!(open.covers_digest(t("2001-01-01T00:00:00Z")));
    }
}
