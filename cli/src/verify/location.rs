//! What `keytrail verify` is pointed at: an `s3://bucket/prefix` taken apart into the prefixes to
//! list for digests and for log files, or a refusal (a local copy, not a URI).
//!
//! CloudTrail files a trail's objects as
//! `[prefix/]AWSLogs/[o-ORG/]ACCOUNT/{CloudTrail,CloudTrail-Digest}/REGION/YYYY/MM/DD/…`. A prefix
//! above the kind folder (the bucket root, `AWSLogs/`, one account) holds both kinds and is
//! listed once; a prefix at or below a kind folder is listed twice, once with each kind, so that
//! `…/CloudTrail/eu-west-1/` and `…/CloudTrail-Digest/eu-west-1/` check the same thing. A prefix
//! that ends at a region folder is listed one date folder at a time when the range has a start.

use std::path::Path;

use crate::dates::Day;

use super::args::Range;

const LOG_KIND: &str = "CloudTrail";
const DIGEST_KIND: &str = "CloudTrail-Digest";

/// Where to look, in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The bucket.
    pub bucket: String,
    /// The prefix as given (no leading `/`).
    pub prefix: String,
    /// The prefixes to list for digests and for log files; the same one when the prefix is above
    /// the kind folders.
    pub split: Option<(String, String)>,
}

/// What to list: a prefix, and which kind of object it is listed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The prefix.
    pub prefix: String,
    /// Digests are looked for under it.
    pub digests: bool,
    /// Log files are looked for under it.
    pub logs: bool,
}

impl Location {
    /// Takes `text` apart: `s3://bucket[/prefix]`. A local path is refused, with why.
    pub fn parse(text: &str) -> Result<Location, String> {
        let Some(rest) = text.strip_prefix("s3://") else {
            if Path::new(text).is_dir() {
                return Err(format!(
                    "{text} is a local directory: a copy of a trail bucket (aws s3 sync, a \
                     download) has no S3 object metadata, and CloudTrail keeps each digest's \
                     signature in its metadata (x-amz-meta-signature), so nothing in a copy can \
                     be verified: verify the bucket itself, keytrail verify s3://BUCKET/PREFIX"
                ));
            }
            return Err(format!(
                "{text} is not an s3:// URI: write s3://BUCKET[/PREFIX], e.g. \
                 s3://my-trail-bucket/AWSLogs/111122223333/"
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!(
                "{text}: no bucket name: write s3://BUCKET[/PREFIX]"
            ));
        }
        let parts: Vec<&str> = prefix.split('/').collect();
        let logs_at = parts.iter().position(|p| *p == "AWSLogs");
        let kind_at = logs_at.and_then(|at| {
            parts
                .iter()
                .skip(at + 1)
                .position(|p| *p == LOG_KIND || *p == DIGEST_KIND)
                .map(|i| i + at + 1)
        });
        let split = kind_at.map(|at| {
            let with = |kind: &str| {
                let mut parts = parts.clone();
                parts[at] = kind;
                let joined = parts.join("/");
                if joined.ends_with('/') {
                    joined
                } else {
                    format!("{joined}/")
                }
            };
            (with(DIGEST_KIND), with(LOG_KIND))
        });
        Ok(Location {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            split,
        })
    }

    /// `s3://bucket/prefix`, as given.
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// The prefixes to list for `range`.
    pub fn listings(&self, range: &Range) -> Vec<Listing> {
        let Some((digests, logs)) = &self.split else {
            return vec![Listing {
                prefix: self.prefix.clone(),
                digests: true,
                logs: true,
            }];
        };
        let mut out = by_day(digests, range, |d| range.digest_day(d), true);
        out.extend(by_day(logs, range, |d| range.log_day(d), false));
        out
    }
}

/// The most date folders listed one by one; a longer range lists the region folder once.
const MAX_DAYS: i64 = 400;

/// `prefix` itself, or one prefix per date folder when it ends at a region folder
/// (`…/KIND/REGION/`) and the range starts somewhere.
fn by_day(prefix: &str, range: &Range, keep: impl Fn(Day) -> bool, digests: bool) -> Vec<Listing> {
    let listing = |prefix: String| Listing {
        prefix,
        digests,
        logs: !digests,
    };
    let parts: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let at_region = parts.len() >= 2 && matches!(parts[parts.len() - 2], LOG_KIND | DIGEST_KIND);
    let (Some(since), true) = (range.since, at_region) else {
        return vec![listing(prefix.to_owned())];
    };
    let last = Day::from_days(range.as_of.epoch().div_euclid(86_400));
    let (first, last) = (since.days(), last.days());
    if last < first || last - first > MAX_DAYS {
        return vec![listing(prefix.to_owned())];
    }
    (first..=last)
        .map(Day::from_days)
        .filter(|&d| keep(d))
        .map(|d| listing(format!("{prefix}{}", d.key_segment())))
        .collect()
}

#[cfg(test)]
mod tests {
    use keytrail_core::integrity::Timestamp;

    use super::*;

    #[test]
    fn prefixes_from_the_root_to_a_region_folder() {
        // (uri, bucket, digest and log prefixes when split)
        let cases = [
            ("s3://b", "b", None),
            ("s3://b/", "b", None),
            ("s3://b/AWSLogs/111122223333/", "b", None),
            (
                "s3://b/org/AWSLogs/o-x/4444/CloudTrail/us-east-1/",
                "b",
                Some((
                    "org/AWSLogs/o-x/4444/CloudTrail-Digest/us-east-1/",
                    "org/AWSLogs/o-x/4444/CloudTrail/us-east-1/",
                )),
            ),
            (
                "s3://b/AWSLogs/1111/CloudTrail-Digest",
                "b",
                Some((
                    "AWSLogs/1111/CloudTrail-Digest/",
                    "AWSLogs/1111/CloudTrail/",
                )),
            ),
        ];
        for (uri, bucket, split) in cases {
            let at = Location::parse(uri).unwrap();
            assert_eq!(at.bucket, bucket, "{uri}");
            let split = split.map(|(d, l)| (d.to_owned(), l.to_owned()));
            assert_eq!(at.split, split, "{uri}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_bucket() {
        let dir = std::env::temp_dir();
        let dir = dir.to_str().unwrap();
        let err = Location::parse(dir).unwrap_err();
        assert!(err.contains("no S3 object metadata"), "{err}");
        for bad in ["bucket/prefix", "s3:///prefix", "/nonexistent/path/x"] {
            let err = Location::parse(bad).unwrap_err();
            assert!(err.contains("s3://BUCKET"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_region_folder_is_listed_day_by_day() {
        let now = Timestamp::parse("2026-12-07T00:00:00Z").unwrap();
        let day = |s: &str| Some(s.parse::<Day>().unwrap());
        let range = Range::new(day("2026-06-10"), day("2026-06-11"), now).unwrap();
        let at = Location::parse("s3://b/AWSLogs/1/CloudTrail/eu-west-1/").unwrap();
        let listed: Vec<(String, bool)> = at
            .listings(&range)
            .into_iter()
            .map(|l| (l.prefix, l.digests))
            .collect();
        let d = "AWSLogs/1/CloudTrail-Digest/eu-west-1/2026/06/";
        let l = "AWSLogs/1/CloudTrail/eu-west-1/2026/06/";
        let want = [
            (format!("{d}10/"), true),
            (format!("{d}11/"), true),
            (format!("{d}12/"), true),
            (format!("{l}10/"), false),
            (format!("{l}11/"), false),
        ];
        assert_eq!(listed, want);
        let open = Range::new(None, None, now).unwrap();
        assert_eq!(at.listings(&open).len(), 2);
    }
}
