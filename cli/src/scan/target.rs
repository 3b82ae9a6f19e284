//! What a scan reads: the objects (local files, standard input, S3 objects), and what it passes
//! over and why.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use keytrail_aws::event::ObjectRef;
use keytrail_core::read::{Damaged, ReadError, ReadErrorKind};
use keytrail_core::scan::{ObjectReport, Tally};

/// One object to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A local file and its size in bytes.
    File(PathBuf, u64),
    /// Standard input.
    Stdin,
    /// An S3 object found under an `s3://` prefix.
    S3(ObjectRef),
}

impl Target {
    /// The name used in output and errors (raw: escape it before it reaches a terminal).
    pub fn name(&self) -> String {
        match self {
            Target::File(p, _) => p.display().to_string(),
            Target::Stdin => "-".to_owned(),
            Target::S3(object) => object.uri(),
        }
    }

    /// Size in bytes, when known.
    pub fn size(&self) -> u64 {
        match self {
            Target::File(_, size) => *size,
            Target::Stdin => 0,
            Target::S3(object) => object.size.unwrap_or(0),
        }
    }
}

/// How one object's scan ended.
#[derive(Debug)]
pub struct Finished {
    /// What the scan found.
    pub report: ObjectReport,
    /// True when the scan was stopped before the object's end (stdout closed): its fault is
    /// that stop, not the object's.
    pub stopped: bool,
}

/// The report of an object that could not be opened (`why`: what the file system or S3 said):
/// one read fault naming it, like any other, and nothing read.
pub fn unopened(object: &str, why: &str) -> ObjectReport {
    let why = why
        .strip_prefix("object ")
        .and_then(|rest| rest.strip_prefix(object))
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(why);
    ObjectReport {
        object: object.to_owned(),
        compression: None,
        shape: None,
        bytes: 0,
        decompressed_bytes: 0,
        records: 0,
        parsed: 0,
        screened: 0,
        alerts: 0,
        fault: Some(ReadError {
            kind: ReadErrorKind::Io,
            object: object.to_owned(),
            compressed_offset: None,
            decompressed_offset: None,
            detail: format!("cannot open: {why}"),
            skipped: None,
        }),
        damaged: Damaged::default(),
        bad_records: Tally::default(),
        not_events: Tally::default(),
    }
}

/// Why something found under a directory or prefix was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// A file whose name is not that of a trail object (README.md, notes.txt).
    Name,
    /// A CloudTrail-Digest file (integrity digests, not events).
    Digest,
    /// An S3 key that is not a trail object, or dated outside --since/--until.
    S3Key,
    /// Neither a regular file nor a directory (a socket, a FIFO, a device).
    NotAFile,
    /// A symlink whose target does not exist.
    BrokenSymlink,
    /// A symlink to a directory that contains it: following it would never end.
    SymlinkLoop,
    /// A file or directory reached again through another path (a symlink or a hard link):
    /// scanned once.
    Duplicate,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Skip::Name => "not a trail object name",
            Skip::Digest => "CloudTrail digest",
            Skip::S3Key => "S3 key not a trail object or outside the dates",
            Skip::NotAFile => "not a regular file",
            Skip::BrokenSymlink => "broken symlink",
            Skip::SymlinkLoop => "symlink loop",
            Skip::Duplicate => "already scanned through another path",
        })
    }
}

/// What was passed over, counted by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skips(BTreeMap<Skip, u64>);

impl Skips {
    /// Counts `n` more passed over for `why`.
    pub fn add(&mut self, why: Skip, n: u64) {
        if n > 0 {
            *self.0.entry(why).or_default() += n;
        }
    }

    /// How many were passed over for `why`.
    #[cfg(test)]
    pub fn count(&self, why: Skip) -> u64 {
        self.0.get(&why).copied().unwrap_or(0)
    }

    /// For the summary: `skipped 3 (not a trail object name: 2, symlink loop: 1)`, or nothing
    /// when nothing was skipped.
    pub fn summary(&self) -> Option<String> {
        let total: u64 = self.0.values().sum();
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(why, n)| format!("{why}: {n}"))
            .collect();
        (total > 0).then(|| format!("skipped {total} ({})", parts.join(", ")))
    }
}

/// Why a file inside a directory (or an S3 key) is not read as a trail object, if it is not.
pub fn name_skip(name: &str) -> Option<Skip> {
    let lower = name.to_ascii_lowercase();
    if lower.contains("cloudtrail-digest") {
        return Some(Skip::Digest);
    }
    let trail = [
        ".json",
        ".json.gz",
        ".jsonl",
        ".ndjson",
        ".gz",
        ".jsonl.gz",
        ".ndjson.gz",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext));
    (!trail).then_some(Skip::Name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_file_names() {
        for (name, want) in [
            ("123_CloudTrail_us-east-1_20240101T0000Z_abc.json.gz", None),
            ("events.json", None),
            ("x.ndjson", None),
            ("x.jsonl.gz", None),
            (
                "123_CloudTrail-Digest_us-east-1_20240101T0000Z.json.gz",
                Some(Skip::Digest),
            ),
            ("README.md", Some(Skip::Name)),
            ("notes.txt", Some(Skip::Name)),
        ] {
            assert_eq!(name_skip(name), want, "{name}");
        }
    }

    #[test]
    fn unopened_objects_are_one_read_fault_named_once() {
        for (why, want) in [
            (
                "No such file or directory (os error 2)",
                "object x.json: cannot open: No such file or directory (os error 2)",
            ),
            (
                "object x.json: access denied (403)",
                "object x.json: cannot open: access denied (403)",
            ),
        ] {
            let report = unopened("x.json", why);
            assert!(!report.is_clean());
            assert_eq!(report.problems(), [want]);
        }
    }

    #[test]
    fn skips_summary() {
        let mut skips = Skips::default();
        assert_eq!(skips.summary(), None);
        skips.add(Skip::SymlinkLoop, 1);
        skips.add(Skip::Name, 2);
        skips.add(Skip::Duplicate, 0);
        assert_eq!(
            skips.summary().as_deref(),
            Some("skipped 3 (not a trail object name: 2, symlink loop: 1)")
        );
    }
}
