//! Where in CloudTrail's key layout a backfill starts:
//! `s3://BUCKET/[PREFIX/]AWSLogs/[o-ORG/][ACCOUNT/]CloudTrail/[REGION/]`, anywhere from the
//! `AWSLogs/` folder down to one region's folder. The days below a region folder come from
//! `--since`/`--until`, never from the URI.
//!
//! CloudTrail writes `AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE` for a trail, and
//! `AWSLogs/o-ORG/ACCOUNT/CloudTrail/…` for an organization trail, both under the trail's
//! optional key prefix; `CloudTrail-Digest/` beside `CloudTrail/` holds the digests.

use std::fmt;

/// How the URI was written, for errors.
pub const SYNTAX: &str =
    "write s3://BUCKET/[PREFIX/]AWSLogs/[o-ORG/][ACCOUNT/]CloudTrail/[REGION/] \
(the folder to backfill, from AWSLogs/ down to one region), and the days with --since/--until";

/// A parsed backfill URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The bucket.
    pub bucket: String,
    /// The key prefix up to and including `AWSLogs/`.
    pub root: String,
    /// The organization folder (`o-…`), when given.
    pub org: Option<String>,
    /// The account folder, when given.
    pub account: Option<String>,
    /// The region folder (under `CloudTrail/`), when given.
    pub region: Option<String>,
    /// Whether the URI went down to `CloudTrail/`.
    pub trail: bool,
}

/// Where in the layout the URI stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `AWSLogs/`: accounts or organizations below.
    Root,
    /// `AWSLogs/o-ORG/`: accounts below.
    Org,
    /// `…/ACCOUNT/`: `CloudTrail/` (and digests) below.
    Account,
    /// `…/ACCOUNT/CloudTrail/`: regions below.
    Trail,
    /// `…/CloudTrail/REGION/`: days below.
    Region,
}

/// A URI that does not name a place in the layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{uri}: {problem}: {SYNTAX}")]
pub struct LayoutError {
    /// The URI.
    pub uri: String,
    /// What is wrong with it.
    pub problem: String,
}

/// True for an organization id folder: `o-` and 10 to 32 lowercase letters or digits.
pub fn is_org(name: &str) -> bool {
    name.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// True for an account folder: 12 digits.
pub fn is_account(name: &str) -> bool {
    name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit())
}

/// True for a region folder name (`us-east-1`, `eu-central-2`, `us-gov-west-1`, …).
/// Three or more `-`-separated parts: lowercase words, then a number.
pub fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    name.len() <= 32
        && words.len() >= 2
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

impl Layout {
    /// Parses `s3://BUCKET/[PREFIX/]AWSLogs/…` (the trailing `/` may be left out).
    pub fn parse(uri: &str) -> Result<Layout, LayoutError> {
        let error = |problem: String| LayoutError {
            uri: uri.to_owned(),
            problem,
        };
        let (bucket, prefix) = crate::listing::parse_s3_uri(uri).map_err(|e| LayoutError {
            uri: uri.to_owned(),
            problem: e.strip_prefix(&format!("{uri}: ")).unwrap_or(&e).to_owned(),
        })?;
        let parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
        let Some(at) = parts.iter().position(|p| *p == "AWSLogs") else {
            return Err(error(
                "no CloudTrail layout here (no AWSLogs/ folder in the prefix)".to_owned(),
            ));
        };
        let root = format!("{}/", parts[..=at].join("/"));
        let mut layout = Layout {
            bucket: bucket.to_owned(),
            root,
            org: None,
            account: None,
            region: None,
            trail: false,
        };
        let mut rest = parts[at + 1..].iter().copied().peekable();
        if let Some(org) = rest.next_if(|p| is_org(p)) {
            layout.org = Some(org.to_owned());
        }
        if let Some(account) = rest.next_if(|p| is_account(p)) {
            layout.account = Some(account.to_owned());
            if rest.next_if(|p| *p == "CloudTrail").is_some() {
                layout.trail = true;
                if let Some(region) = rest.next_if(|p| is_region(p)) {
                    layout.region = Some(region.to_owned());
                }
            }
        }
        match rest.next() {
            None => Ok(layout),
            Some("CloudTrail-Digest") => Err(error(
                "CloudTrail-Digest/ holds digest files, not events: give the CloudTrail/ folder"
                    .to_owned(),
            )),
            Some(_) if layout.region.is_some() => Err(error(format!(
                "the URI goes below the region folder {:?}",
                layout.region.as_deref().unwrap_or_default()
            ))),
            Some(other) => Err(error(format!(
                "{other:?} is not where the layout has an organization (o-…), a 12-digit \
                 account, CloudTrail or a region"
            ))),
        }
    }

    /// The deepest level the URI names.
    pub fn level(&self) -> Level {
        match (&self.org, &self.account, self.trail, &self.region) {
            (_, _, _, Some(_)) => Level::Region,
            (_, _, true, None) => Level::Trail,
            (_, Some(_), false, _) => Level::Account,
            (Some(_), None, ..) => Level::Org,
            (None, None, ..) => Level::Root,
        }
    }

    /// The key prefix the URI names (ending in `/`).
    pub fn prefix(&self) -> String {
        let mut out = self.root.clone();
        let parts = [
            self.org.as_deref(),
            self.account.as_deref(),
            self.trail.then_some("CloudTrail"),
            self.region.as_deref(),
        ];
        for part in parts.into_iter().flatten() {
            out.push_str(part);
            out.push('/');
        }
        out
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_in_the_layout() {
        let org = "o-abcde12345";
        let cases: &[(&str, Level, &str)] = &[
            ("s3://b/AWSLogs/", Level::Root, "AWSLogs/"),
            ("s3://b/AWSLogs", Level::Root, "AWSLogs/"),
            ("s3://b/trails/AWSLogs/", Level::Root, "trails/AWSLogs/"),
            (
                "s3://b/AWSLogs/o-abcde12345/",
                Level::Org,
                "AWSLogs/o-abcde12345/",
            ),
            (
                "s3://b/AWSLogs/o-abcde12345/111122223333/",
                Level::Account,
                "AWSLogs/o-abcde12345/111122223333/",
            ),
            (
                "s3://b/AWSLogs/111122223333/CloudTrail",
                Level::Trail,
                "AWSLogs/111122223333/CloudTrail/",
            ),
            (
                "s3://b/p/q/AWSLogs/o-abcde12345/111122223333/CloudTrail/us-gov-west-1/",
                Level::Region,
                "p/q/AWSLogs/o-abcde12345/111122223333/CloudTrail/us-gov-west-1/",
            ),
        ];
        for (uri, level, prefix) in cases {
            let layout = Layout::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
            assert_eq!(
                (layout.level(), layout.prefix().as_str()),
                (*level, *prefix),
                "{uri}"
            );
            assert_eq!(layout.bucket, "b");
        }
        assert_eq!(
            Layout::parse(&format!("s3://b/AWSLogs/{org}"))
                .unwrap()
                .org
                .as_deref(),
            Some(org)
        );
    }

    #[test]
    fn uris_outside_the_layout_are_refused_saying_why() {
        for (uri, problem) in [
            (
                "s3://b/",
                "no CloudTrail layout here (no AWSLogs/ folder in the prefix)",
            ),
            ("s3://b/logs/2026/", "no CloudTrail layout here"),
            (
                "s3://b/AWSLogs/readme/",
                "\"readme\" is not where the layout has",
            ),
            ("s3://b/AWSLogs/o-abc/", "\"o-abc\" is not where"),
            (
                "s3://b/AWSLogs/111122223333/CloudTrail-Digest/",
                "CloudTrail-Digest/ holds digest files",
            ),
            (
                "s3://b/AWSLogs/111122223333/CloudTrail/us-east-1/2026/06/",
                "the URI goes below the region folder \"us-east-1\"",
            ),
            (
                "s3://b/AWSLogs/111122223333/CloudTrail/US_EAST/",
                "\"US_EAST\" is not where",
            ),
            ("b/AWSLogs/", "not an s3:// URI"),
            ("s3:///AWSLogs/", "no bucket name"),
        ] {
            let e = Layout::parse(uri).unwrap_err();
            assert!(e.problem.starts_with(problem), "{uri}: {}", e.problem);
            assert!(e.to_string().starts_with(&format!("{uri}: ")), "{e}");
            assert!(e.to_string().ends_with(SYNTAX), "{e}");
        }
    }

    #[test]
    fn folder_names() {
        for (name, org, account, region) in [
            ("o-abcde12345", true, false, false),
            ("o-ABCDE12345", false, false, false),
            ("111122223333", false, true, false),
            ("11112222333", false, false, false),
            ("eu-central-2", false, false, true),
            ("us-gov-west-1", false, false, true),
            ("us-east-", false, false, false),
            ("us-1", false, false, false),
            ("CloudTrail", false, false, false),
        ] {
            assert_eq!(
                (is_org(name), is_account(name), is_region(name)),
                (org, account, region),
                "{name}"
            );
        }
    }
}
