//! Trail object keys, taken apart and put together:
//!
//! ```text
//! [prefix/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
//!     ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ[_backfill].json.gz
//! [prefix/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
//!     ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz
//! ```
//!
//! A digest's date folders and timestamp are its `digestEndTime`; REGION is where it was
//! delivered (and whose key signed it), HOMEREGION where the trail was created. Trail names may
//! hold underscores, region names never do, so the trail is what lies between the two regions.

use super::problem::ObjectRef;
use super::time::Timestamp;

const DIGEST_FOLDER: &str = "CloudTrail-Digest";
const LOG_FOLDER: &str = "CloudTrail";
const SUFFIX: &str = ".json.gz";
const BACKFILL: &str = "_backfill";

/// Where one account's trail objects for one region live.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// The bucket.
    pub bucket: String,
    /// The trail's key prefix, without its trailing `/` (empty when there is none).
    pub prefix: String,
    /// The organization id (`o-...`) of an organization trail.
    pub organization: Option<String>,
    /// The account the objects belong to.
    pub account: String,
    /// The region the objects were delivered from.
    pub region: String,
}

impl Scope {
    fn folder(&self, kind: &str, at: Timestamp) -> String {
        let prefix = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let org = self
            .organization
            .as_ref()
            .map(|o| format!("{o}/"))
            .unwrap_or_default();
        format!(
            "{prefix}AWSLogs/{org}{}/{kind}/{}/{}/",
            self.account,
            self.region,
            at.date_path()
        )
    }

    /// Takes `key` apart into scope, the kind folder (`CloudTrail`, `CloudTrail-Digest`), the
    /// date folders' `YYYY/MM/DD` and the file name.
    fn split<'k>(bucket: &str, key: &'k str) -> Option<(Scope, &'k str, String, &'k str)> {
        let parts: Vec<&str> = key.split('/').collect();
        let n = parts.len();
        if n < 8 {
            return None;
        }
        let (file, date) = (parts[n - 1], parts[n - 4..n - 1].join("/"));
        let (region, kind, account) = (parts[n - 5], parts[n - 6], parts[n - 7]);
        let (organization, logs_at) = match parts[n - 8] {
            "AWSLogs" => (None, n - 8),
            org if org.starts_with("o-") && n >= 9 && parts[n - 9] == "AWSLogs" => {
                (Some(org.to_owned()), n - 9)
            }
            _ => return None,
        };
        let scope = Scope {
            bucket: bucket.to_owned(),
            prefix: parts[..logs_at].join("/"),
            organization,
            account: account.to_owned(),
            region: region.to_owned(),
        };
        Some((scope, kind, date, file))
    }
}

/// A digest's key, taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigestName {
    /// Bucket, prefix, organization, account and delivery region.
    pub scope: Scope,
    /// The trail's name.
    pub trail: String,
    /// The region the trail was created in.
    pub home_region: String,
    /// The digest's end time (from the key; the digest's `digestEndTime`).
    pub end: Timestamp,
    /// A backfill digest (`_backfill` before `.json.gz`).
    pub backfill: bool,
}

impl DigestName {
    /// Takes a digest key apart; `None` when it does not follow CloudTrail's naming.
    pub fn parse(object: &ObjectRef) -> Option<DigestName> {
        let (scope, kind, date, file) = Scope::split(&object.bucket, &object.key)?;
        let stem = file.strip_suffix(SUFFIX)?;
        let (stem, backfill) = match stem.strip_suffix(BACKFILL) {
            Some(stem) => (stem, true),
            None => (stem, false),
        };
        let (stem, stamp) = stem.rsplit_once('_')?;
        let end = Timestamp::parse_compact(stamp)
            .filter(|t| stamp.len() == 16 && t.date_path() == date)?;
        let lead = format!("{}_{DIGEST_FOLDER}_{}_", scope.account, scope.region);
        let (trail, home) = stem.strip_prefix(&lead)?.rsplit_once('_')?;
        (kind == DIGEST_FOLDER && !trail.is_empty() && !home.is_empty()).then(|| DigestName {
            trail: trail.to_owned(),
            home_region: home.to_owned(),
            end,
            backfill,
            scope,
        })
    }

    /// The key this name stands for.
    pub fn key(&self) -> String {
        let s = &self.scope;
        format!(
            "{}{}_{DIGEST_FOLDER}_{}_{}_{}_{}{}{SUFFIX}",
            s.folder(DIGEST_FOLDER, self.end),
            s.account,
            s.region,
            self.trail,
            self.home_region,
            self.end.compact(),
            if self.backfill { BACKFILL } else { "" }
        )
    }

    /// The object this name stands for.
    pub fn object(&self) -> ObjectRef {
        ObjectRef::new(self.scope.bucket.clone(), self.key())
    }

    /// The same chain's digest ending at `end`.
    #[must_use]
    pub fn at(&self, end: Timestamp) -> DigestName {
        DigestName {
            end,
            ..self.clone()
        }
    }
}

/// A log file's key, taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogName {
    /// Bucket, prefix, organization, account and delivery region.
    pub scope: Scope,
    /// The time in the name (minutes; about when the file was written).
    pub time: Timestamp,
    /// The unique part of the name, before `.json.gz`.
    pub unique: String,
}

impl LogName {
    /// Takes a log key apart; `None` when it does not follow CloudTrail's naming.
    pub fn parse(object: &ObjectRef) -> Option<LogName> {
        let (scope, kind, _, file) = Scope::split(&object.bucket, &object.key)?;
        let lead = format!("{}_{LOG_FOLDER}_{}_", scope.account, scope.region);
        let (stamp, unique) = file
            .strip_prefix(&lead)?
            .strip_suffix(SUFFIX)?
            .split_once('_')?;
        let time = Timestamp::parse_compact(stamp).filter(|_| stamp.len() == 14)?;
        (kind == LOG_FOLDER && !unique.is_empty()).then(|| LogName {
            time,
            unique: unique.to_owned(),
            scope,
        })
    }

    /// The key this name stands for.
    pub fn key(&self) -> String {
        let s = &self.scope;
        format!(
            "{}{}_{LOG_FOLDER}_{}_{}_{}{SUFFIX}",
            s.folder(LOG_FOLDER, self.time),
            s.account,
            s.region,
            self.time.compact_minutes(),
            self.unique
        )
    }

    /// The object this name stands for.
    pub fn object(&self) -> ObjectRef {
        ObjectRef::new(self.scope.bucket.clone(), self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_keys_round_trip() {
        // (key, prefix, organization, trail, home region, backfill)
        let cases = [
            (
                "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/\
                 111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
                "",
                None,
                "your-trail-name",
                "us-east-2",
                false,
            ),
            (
                "a/b/AWSLogs/o-exampleorg/111122223333/CloudTrail-Digest/ap-northeast-1/2023/10/15/\
                 111122223333_CloudTrail-Digest_ap-northeast-1_my_trail_us-west-2_20231015T230404Z_backfill.json.gz",
                "a/b",
                Some("o-exampleorg"),
                "my_trail",
                "us-west-2",
                true,
            ),
        ];
        for (key, prefix, org, trail, home, backfill) in cases {
            let object = ObjectRef::new("b", key);
            let name = DigestName::parse(&object).unwrap_or_else(|| panic!("{key}"));
            assert_eq!(
                (
                    name.scope.prefix.as_str(),
                    name.scope.organization.as_deref(),
                    name.trail.as_str()
                ),
                (prefix, org, trail)
            );
            assert_eq!((name.home_region.as_str(), name.backfill), (home, backfill));
            assert_eq!(name.object(), object);
            let next = name.at(name.end.plus(3600));
            assert_eq!(DigestName::parse(&next.object()), Some(next));
        }
    }

    #[test]
    fn log_keys_round_trip() {
        let key = "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/\
                   111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz";
        let object = ObjectRef::new("b", key);
        let name = LogName::parse(&object).unwrap();
        assert_eq!(name.time.extended(), "2015-08-17T14:45:00Z");
        assert_eq!(name.unique, "9nYN7gp2eWAJHIfT");
        assert_eq!(name.object(), object);
    }

    #[test]
    fn other_keys_are_not_trail_names() {
        for key in [
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/x.json.gz",
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/18/\
             111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/\
             111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz",
            "logs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/\
             111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz",
        ] {
            assert_eq!(DigestName::parse(&ObjectRef::new("b", key)), None, "{key}");
        }
        assert_eq!(
            LogName::parse(&ObjectRef::new(
                "b",
                "AWSLogs/1/CloudTrail-Digest/r/2015/08/17/1_CloudTrail_r_20150817T1445Z_u.json.gz"
            )),
            None
        );
    }
}
