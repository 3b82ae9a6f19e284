//! Where each generated chain's objects go: the accounts, regions and trails of the day, and
//! the keys CloudTrail gives their digests and log files. A leaf module: `build` generates the day
//! from these chains and `content` writes what a chain's log files hold.

use keytrail_core::integrity::Timestamp;

/// Where one chain's objects go.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    pub(super) prefix: &'static str,
    pub(super) organization: Option<&'static str>,
    pub(super) account: &'static str,
    pub(super) region: &'static str,
    pub(super) trail: &'static str,
    pub(super) home: &'static str,
}

impl Chain {
    fn folder(&self, kind: &str, at: Timestamp) -> String {
        let prefix = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let org = self
            .organization
            .map(|o| format!("{o}/"))
            .unwrap_or_default();
        format!(
            "{prefix}AWSLogs/{org}{}/{kind}/{}/{}/",
            self.account,
            self.region,
            at.date_path()
        )
    }

    /// The key CloudTrail gives the digest ending at `end`.
    pub(super) fn digest_key(&self, end: Timestamp, backfill: bool) -> String {
        format!(
            "{}{}_CloudTrail-Digest_{}_{}_{}_{}{}.json.gz",
            self.folder("CloudTrail-Digest", end),
            self.account,
            self.region,
            self.trail,
            self.home,
            end.compact(),
            if backfill { "_backfill" } else { "" }
        )
    }

    /// The key CloudTrail gives a log file of time `at`.
    pub(super) fn log_key(&self, at: Timestamp, unique: &str) -> String {
        format!(
            "{}{}_CloudTrail_{}_{}_{unique}.json.gz",
            self.folder("CloudTrail", at),
            self.account,
            self.region,
            at.compact_minutes()
        )
    }
}

/// The chains of the day; index 0 is the one the tamper methods pick from.
pub(super) fn chains() -> [Chain; 4] {
    let account = |region| Chain {
        prefix: "",
        organization: None,
        account: "111122223333",
        region,
        trail: "main-trail",
        home: "us-east-1",
    };
    let org = Chain {
        prefix: "org",
        organization: Some("o-exampleorg1"),
        account: "444455556666",
        region: "us-east-1",
        trail: "org-trail",
        home: "us-east-1",
    };
    [
        account("us-east-1"),
        account("eu-west-1"),
        account("ap-northeast-1"),
        org,
    ]
}
