//! The chain walker: every digest of a date range at once, as `keytrail verify` needs it.
//!
//! Two steps, so that the caller can read log files in parallel between them:
//!
//! 1. [`Walk::new`] takes the digest objects (any order, any number of trails, accounts and
//!    regions), checks each one ([`super::verify_digest`]), groups them into chains by their
//!    key (trail, account, region; backfill digests are a chain of their own, as
//!    `aws cloudtrail validate-logs` walks them), orders each chain by end time and checks every
//!    link. [`Walk::listed_logs`] then names the log files the valid digests list.
//! 2. The caller reads and hashes those (and lists the log folders of the range), and
//!    [`Walk::finish`] compares the hashes, finds log objects no digest lists, checks each chain
//!    for silence, and answers a [`Report`].
//!
//! Beyond `validate-logs`, the walker reports a digest that nothing names any more: when a
//! digest's named previous is missing, the hour between that and the next older digest of the
//! chain is counted, and each further hour (on the chain's cadence, so never across a restart,
//! whose first digest starts at another minute) is one more missing digest at the key CloudTrail
//! would have given it. It also reports log objects no digest lists ("injected"), once a digest
//! that started `log_grace` after the log's time has been delivered.
//!
//! Only valid digests are trusted: an invalid, unreadable or missing digest's hour is
//! unverifiable, its log files are neither hash-checked nor reported unlisted (its own problem
//! says so), and its links are not followed. A moved digest is reported and left out entirely.

mod chain;
mod logs;

use std::collections::BTreeMap;

use super::check::{verify_digest, DigestObject};
use super::digest::{Digest, LogFile, PreviousDigest};
use super::hash::Sha256;
use super::keys::PublicKeys;
use super::names::{DigestName, Scope};
use super::problem::{ObjectRef, Problem};
use super::time::{Timestamp, HOUR};

pub use logs::LogInventory;

/// What the walk is told about the range it walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkOptions {
    /// The time of the check (the end of the range, or now): chains whose newest digest ended
    /// more than an hour plus `silence_margin` before it are silent. `None`: no silence check.
    pub as_of: Option<Timestamp>,
    /// Seconds past the hour after a chain's newest digest before it counts as silent.
    pub silence_margin: i64,
    /// The start of the range. A previous digest that ended before it is not looked for: its
    /// link is answered in [`Report::unchecked_links`]. `None`: each chain's oldest digest.
    pub since: Option<Timestamp>,
    /// Seconds after the time in a log file's name within which a digest must list it.
    pub log_grace: i64,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            as_of: None,
            silence_margin: HOUR / 2,
            since: None,
            log_grace: HOUR,
        }
    }
}

/// A link to a previous digest outside the range: check it with [`UncheckedLink::check`] after a
/// `HeadObject` of `previous`, or leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncheckedLink {
    /// The digest that names it.
    pub digest: ObjectRef,
    /// When that digest starts (the previous one's end).
    pub start: Timestamp,
    /// The previous digest as named.
    pub previous: PreviousDigest,
}

impl UncheckedLink {
    /// [`super::check_link`] for this link.
    pub fn check(&self, previous: Option<super::LinkTarget<'_>>) -> Result<(), Problem> {
        super::check::link_holds(&self.digest, self.start, &self.previous, previous)
    }
}

/// A gap in a chain that is no problem: a digest with no previous (logging or validation was
/// restarted) after older digests of the same chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The newest digest before the gap.
    pub before: ObjectRef,
    /// The first digest after it.
    pub after: ObjectRef,
    /// When the older digest ended.
    pub from: Timestamp,
    /// When the newer one started.
    pub to: Timestamp,
}

/// What a walk found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every problem, in [`Problem::sort`] order.
    pub problems: Vec<Problem>,
    /// Digest objects checked.
    pub digests: usize,
    /// Digests whose location and signature hold.
    pub digests_valid: usize,
    /// Log files listed by valid digests.
    pub log_files: usize,
    /// Listed log files found unchanged.
    pub log_files_valid: usize,
    /// Listed log files the caller did not hash (neither valid nor a problem).
    pub log_files_unchecked: usize,
    /// Links to previous digests before the range.
    pub unchecked_links: Vec<UncheckedLink>,
    /// Restarts: gaps that are no problem.
    pub gaps: Vec<Gap>,
}

/// How a digest object fared in its own checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Valid,
    Invalid,
    Moved,
}

/// One digest object, as the walk keeps it.
#[derive(Debug)]
struct Slot {
    object: ObjectRef,
    name: Option<DigestName>,
    /// Parsed, whether or not it is valid.
    digest: Option<Digest>,
    signature: Option<String>,
    content_hash: Sha256,
    status: Status,
}

impl Slot {
    /// Its end time: the digest's, or its name's.
    fn end(&self) -> Option<Timestamp> {
        self.digest
            .as_ref()
            .map(|d| d.end)
            .or(self.name.as_ref().map(|n| n.end))
    }

    /// The hour it covers, valid or not.
    fn window(&self) -> Option<(Timestamp, Timestamp)> {
        match &self.digest {
            Some(d) => Some((d.start, d.end)),
            None => self.name.as_ref().map(|n| (n.end.plus(-HOUR), n.end)),
        }
    }

    fn valid_digest(&self) -> Option<&Digest> {
        self.digest
            .as_ref()
            .filter(|_| self.status == Status::Valid)
    }
}

/// A chain: digests of one trail, account and region (and kind), oldest first.
type Chains = BTreeMap<(Scope, String, String, bool), Vec<usize>>;

/// A walk over the digests of a range: see the module docs.
#[derive(Debug)]
pub struct Walk {
    options: WalkOptions,
    slots: Vec<Slot>,
    chains: Chains,
    problems: Vec<Problem>,
    unchecked: Vec<UncheckedLink>,
    gaps: Vec<Gap>,
    /// Hours no valid digest vouches for, by log scope: invalid and missing digests'.
    unverifiable: BTreeMap<Scope, Vec<(Timestamp, Timestamp)>>,
}

impl Walk {
    /// Checks every digest and every link between them.
    pub fn new(digests: Vec<DigestObject>, keys: &PublicKeys, options: WalkOptions) -> Walk {
        let mut problems = Vec::new();
        let slots: Vec<Slot> = digests
            .into_iter()
            .map(|object| {
                let (digest, status) = match verify_digest(&object, keys) {
                    Ok(digest) => (Some(digest), Status::Valid),
                    Err(problem) => {
                        let moved = matches!(problem, Problem::DigestMoved { .. });
                        problems.push(problem);
                        let status = if moved {
                            Status::Moved
                        } else {
                            Status::Invalid
                        };
                        (Digest::parse(&object.content).ok(), status)
                    }
                };
                Slot {
                    name: DigestName::parse(&object.location),
                    content_hash: Sha256::of(&object.content),
                    object: object.location,
                    signature: object.signature,
                    digest,
                    status,
                }
            })
            .collect();
        let mut walk = Walk {
            options,
            chains: chain::group(&slots),
            slots,
            problems,
            unchecked: Vec::new(),
            gaps: Vec::new(),
            unverifiable: BTreeMap::new(),
        };
        walk.check_links();
        walk
    }

    /// The log files valid digests list, with the digest that lists each: read and hash these.
    pub fn listed_logs(&self) -> impl Iterator<Item = (&ObjectRef, &LogFile)> {
        self.slots
            .iter()
            .filter_map(|slot| slot.valid_digest().map(|d| (&slot.object, d)))
            .flat_map(|(at, digest)| digest.log_files.iter().map(move |log| (at, log)))
    }

    /// Compares the log files with what the digests recorded and answers the report.
    pub fn finish(mut self, logs: &LogInventory) -> Report {
        let mut report = Report {
            digests: self.slots.len(),
            digests_valid: self
                .slots
                .iter()
                .filter(|s| s.status == Status::Valid)
                .count(),
            ..Report::default()
        };
        self.check_listed(logs, &mut report);
        self.check_unlisted(logs);
        self.check_silence();
        Problem::sort(&mut self.problems);
        report.problems = self.problems;
        report.unchecked_links = self.unchecked;
        report.gaps = self.gaps;
        report
    }
}
