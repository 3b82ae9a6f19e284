//! One object, start to finish: read records, classify each against the rule set, alert.
//!
//! The scan loop knows nothing of how the rules decide: it hands every record to
//! [`RuleSet::classify`] (the one entry point, which owns the prefilter cascade) and turns
//! matches into alerts, counting what the report needs.
//!
//! [`scan_object`] is the single path every caller takes (the CLI over files, the Lambda over S3
//! bodies, the fixture runner, the benchmarks). It never stops early on bad input: damage inside
//! the records is skipped and every record after it is still classified; any other fault ends
//! the reading of that object but every record read before it has been classified; and the
//! [`ObjectReport`] says what went wrong, every damaged byte range included, with enough detail to
//! act on.

use std::fmt;
use std::io::Read;

use crate::alert::{Alert, AlertHead, TreeAlert};
use crate::correlate::Kept;
use crate::integrity::{ContentError, ContentHash, ContentHasher};
use crate::read::{Compression, Damaged, ReadError, ReadOptions, RecordReader, Shape};
use crate::rules::{Rule, RuleSet, Scratch, Verdict};
use crate::Severity;

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Reader limits.
    pub read: ReadOptions,
    /// Alerts below this severity are dropped.
    pub min_severity: Severity,
    /// Whether an object of [`SERIAL_BELOW`] or more stored bytes is decompressed on a thread
    /// of its own, beside the one that splits and classifies it (the default). False reads
    /// every object on the caller's thread: what a process with one CPU should do, where the
    /// second thread only adds hand-overs (pinned to one CPU, a 300,000-record object took 0.87
    /// to 0.92 times the CPU time read this way). [`available_cpus`] tells. Records, alerts,
    /// faults and [`scan_object_hashing`]'s hash are the same either way (only how far a scan
    /// that stops early decompressed may differ: the thread reads whole chunks ahead).
    pub pipelined: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            read: ReadOptions::default(),
            min_severity: Severity::Informational,
            pipelined: true,
        }
    }
}

/// The CPUs this process may run on ([`std::thread::available_parallelism`]: its CPU affinity
/// and cgroup quota), found once; 1 when that cannot be told.
pub fn available_cpus() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Records of one kind of trouble: how many, and the first one in detail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many records.
    pub count: u64,
    /// The first one: its index and what was wrong with it.
    pub first: Option<(u64, String)>,
}

impl Tally {
    fn add(&mut self, index: u64, what: impl FnOnce() -> String) {
        if self.first.is_none() {
            self.first = Some((index, what()));
        }
        self.count += 1;
    }
}

/// What happened to one object.
#[derive(Debug)]
pub struct ObjectReport {
    /// The object's name (URI or path).
    pub object: String,
    /// Compression detected.
    pub compression: Option<Compression>,
    /// Container shape detected.
    pub shape: Option<Shape>,
    /// Bytes read from the source.
    pub bytes: u64,
    /// Bytes after decompression.
    pub decompressed_bytes: u64,
    /// Records read.
    pub records: u64,
    /// Records that some rule could match and were therefore parsed in full.
    pub parsed: u64,
    /// Records that only rules the index cannot route could match, checked on the few values
    /// those rules read before any full parse ([`Scratch::screened`]).
    pub screened: u64,
    /// Alerts produced (after the severity floor).
    pub alerts: u64,
    /// The fault that stopped reading, if any.
    pub fault: Option<ReadError>,
    /// The damaged spans inside the records that the reader skipped and read past, in order.
    pub damaged: Damaged,
    /// Records that are not valid JSON objects.
    pub bad_records: Tally,
    /// Records that are JSON objects but not CloudTrail events (no eventSource, no eventName).
    pub not_events: Tally,
}

impl ObjectReport {
    /// True when every byte was read and every record was a CloudTrail event.
    pub fn is_clean(&self) -> bool {
        self.problems().is_empty()
    }

    /// One message per problem, each naming the object and saying what to do: one per damaged
    /// span first, in order, then the fault that stopped reading.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.damaged.messages().collect();
        if let Some(fault) = &self.fault {
            out.push(fault.to_string());
        }
        if let Some((index, why)) = &self.bad_records.first {
            out.push(format!(
                "object {}: {} record(s) are not valid JSON objects, the first is record {index}: \
                 {why}; the other records were classified",
                self.object, self.bad_records.count
            ));
        }
        if let Some((index, keys)) = &self.not_events.first {
            let whole = self.not_events.count == self.records;
            out.push(format!(
                "object {}: {} of {} record(s) are not CloudTrail events (no eventSource or \
                 eventName), the first is record {index} with keys {keys}{}",
                self.object,
                self.not_events.count,
                self.records,
                if whole {
                    ": this is not a CloudTrail log; is the right file or bucket prefix given?"
                } else {
                    ""
                }
            ));
        }
        out
    }
}

impl fmt::Display for ObjectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} records, {} screened, {} parsed, {} alerts, {} bytes ({} decompressed)",
            self.object,
            self.records,
            self.screened,
            self.parsed,
            self.alerts,
            self.bytes,
            self.decompressed_bytes
        )
    }
}

/// Where a scan's alerts go, as they are made: any `FnMut(Alert)` is one.
pub trait AlertSink {
    /// Takes one alert.
    fn alert(&mut self, alert: Alert);

    /// Takes the alert of a record the rules decided on without parsing it into a `Value`;
    /// by default as the [`Alert`] made from it. A sink that only writes alerts out as JSON
    /// writes this one straight from the record ([`TreeAlert::write_json`]), at a fraction of
    /// the cost of making the alert.
    fn tree_alert(&mut self, alert: TreeAlert<'_>) {
        self.alert(alert.to_alert());
    }
}

impl<F: FnMut(Alert) + ?Sized> AlertSink for F {
    fn alert(&mut self, alert: Alert) {
        self(alert);
    }
}

/// Scans one object, handing each alert to `sink` as soon as it is made.
///
/// Decompression runs on a second thread ([`RecordReader::pipelined`]), joined before this
/// returns, unless [`ScanOptions::pipelined`] is false; everything else runs on the caller's
/// thread.
pub fn scan_object<R: Read + Send>(
    object: &str,
    input: R,
    rules: &RuleSet,
    options: &ScanOptions,
    sink: &mut dyn FnMut(Alert),
) -> ObjectReport {
    scan_object_keeping(object, input, rules, options, sink, &mut |_| {})
}

/// [`scan_object`], handing `keep` what correlations need of each record that matched a rule
/// feeding one ([`Kept`]), for a caller that runs correlations across objects once all are read
/// (the CLI). Records that feed no correlation cost nothing more.
pub fn scan_object_keeping<R: Read + Send>(
    object: &str,
    input: R,
    rules: &RuleSet,
    options: &ScanOptions,
    sink: &mut dyn FnMut(Alert),
    keep: &mut dyn FnMut(Kept),
) -> ObjectReport {
    scan_sized_keeping(object, input, None, rules, options, &mut &mut *sink, keep)
}

/// Objects of fewer stored bytes than this are decompressed on the caller's thread
/// ([`RecordReader::new`]). A second thread pays for itself on large objects, where
/// decompression and splitting run in parallel; on a small one its start and hand-overs cost
/// more than the work they overlap. 20,000 gzip files of 3 records each took 0.97 s of CPU
/// read this way against 2.38 s pipelined (2,002 threads started, against 2), and 20,000 empty
/// files 0.2 s against 0.97 s.
pub const SERIAL_BELOW: u64 = 64 << 10;

/// [`scan_object_keeping`] of an object whose stored size the caller knows (`size`, bytes as
/// read: compressed when gzip): below [`SERIAL_BELOW`], or without
/// [`ScanOptions::pipelined`], it is read on the caller's thread alone. Records, alerts and
/// faults are the same either way. Alerts go to an [`AlertSink`], which may
/// write those of records no `Value` was parsed for without making an [`Alert`].
pub fn scan_sized_keeping<R: Read + Send>(
    object: &str,
    input: R,
    size: Option<u64>,
    rules: &RuleSet,
    options: &ScanOptions,
    sink: &mut dyn AlertSink,
    keep: &mut dyn FnMut(Kept),
) -> ObjectReport {
    if !options.pipelined || size.is_some_and(|size| size < SERIAL_BELOW) {
        let mut reader = RecordReader::new(object, input, options.read.clone());
        return scan_records(&mut reader, rules, options, sink, keep);
    }
    std::thread::scope(|scope| {
        let mut reader = RecordReader::pipelined(scope, object, input, options.read.clone());
        scan_records(&mut reader, rules, options, sink, keep)
    })
}

/// [`scan_object_keeping`], also giving the SHA-256 of the object's whole uncompressed content
/// (at most `hash_max` bytes of it, and never more than the reader's
/// `max_decompressed_bytes`), for log file validation. The decompress thread hashes the bytes
/// it decompresses for the scan, so the object is gunzipped once; when the scan stops reading
/// early (content that is not JSON, damage it cannot skip, a record over the limit), the thread
/// reads on to the end for the hash. A fault of the gzip stream or of the input leaves no hash.
/// Without [`ScanOptions::pipelined`] the reader hashes on the caller's thread, to the same
/// hash ([`RecordReader::serial_hashing`]).
pub fn scan_object_hashing<R: Read + Send>(
    object: &str,
    input: R,
    rules: &RuleSet,
    options: &ScanOptions,
    sink: &mut dyn FnMut(Alert),
    keep: &mut dyn FnMut(Kept),
    hash_max: u64,
) -> (ObjectReport, Result<ContentHash, ContentError>) {
    let hasher = ContentHasher::new(hash_max);
    let read = options.read.clone();
    if !options.pipelined {
        let mut reader = RecordReader::serial_hashing(object, input, read, hasher);
        let report = scan_records(&mut reader, rules, options, &mut &mut *sink, keep);
        return (report, reader.content_hash());
    }
    std::thread::scope(|scope| {
        let (mut reader, tap) = RecordReader::pipelined_hashing(scope, object, input, read, hasher);
        let report = scan_records(&mut reader, rules, options, &mut &mut *sink, keep);
        // Only once the reader is gone can the thread read on.
        drop(reader);
        (report, tap.join())
    })
}

/// The [`AlertHead`] of each rule that alerts on a record read into a tree, written when the
/// rule first does in the object: an object without such alerts costs nothing.
#[derive(Default)]
struct Heads(Vec<Option<AlertHead>>);

impl Heads {
    /// The head of rule `index`, `rule`.
    fn get(&mut self, index: usize, rule: &Rule) -> Option<&AlertHead> {
        if self.0.len() <= index {
            self.0.resize_with(index + 1, || None);
        }
        let slot = self.0.get_mut(index)?;
        Some(&*slot.get_or_insert_with(|| AlertHead::of(rule)))
    }
}

/// The loop over one object's records: the rule set classifies each, and its matches become
/// alerts.
fn scan_records<R: Read>(
    reader: &mut RecordReader<R>,
    rules: &RuleSet,
    options: &ScanOptions,
    sink: &mut dyn AlertSink,
    keep: &mut dyn FnMut(Kept),
) -> ObjectReport {
    let object = reader.object().to_owned();
    let mut report = ObjectReport {
        object: object.clone(),
        compression: None,
        shape: None,
        bytes: 0,
        decompressed_bytes: 0,
        records: 0,
        parsed: 0,
        screened: 0,
        alerts: 0,
        fault: None,
        damaged: Damaged::default(),
        bad_records: Tally::default(),
        not_events: Tally::default(),
    };
    let mut scratch = Scratch::default();
    let mut heads = Heads::default();
    loop {
        let raw = match reader.next_record() {
            Ok(Some(raw)) => raw,
            Ok(None) => break,
            Err(damage) if damage.is_recovered() => {
                report.damaged.push(damage);
                continue;
            }
            Err(fault) => {
                report.fault = Some(fault);
                break;
            }
        };
        report.records += 1;
        let index = raw.index;
        match rules.classify(&raw, &mut scratch) {
            Verdict::NoMatch => {}
            Verdict::Matched(matches) => {
                for (i, rule) in matches.alerting() {
                    if rule.level >= options.min_severity {
                        report.alerts += 1;
                        match matches.tree() {
                            Some((tree, json)) => sink.tree_alert(TreeAlert {
                                rule,
                                head: heads.get(i, rule),
                                tree,
                                json,
                                object: &object,
                                record: index,
                            }),
                            None => sink.alert(Alert::new(rule, matches.event(), &object, index)),
                        }
                    }
                }
                // Only a record that feeds a correlation is parsed for it.
                let correlations = rules.correlations();
                if matches.indexes().iter().any(|&i| correlations.feeds(i)) {
                    if let Some(kept) =
                        correlations.keep(matches.indexes(), matches.event().value())
                    {
                        keep(kept);
                    }
                }
            }
            Verdict::Bad(e) => report.bad_records.add(index, || e.to_string()),
            Verdict::NotEvent(peek) => report.not_events.add(index, || peek.describe_keys()),
        }
    }
    report.screened = scratch.screened();
    report.parsed = scratch.parsed();
    report.compression = reader.compression();
    report.shape = reader.shape();
    report.bytes = reader.compressed_bytes();
    report.decompressed_bytes = reader.decompressed_bytes();
    report
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read};
    use std::thread::{self, ThreadId};

    use super::{scan_object, scan_sized_keeping, ScanOptions, SERIAL_BELOW};
    use crate::rules::{LoadOptions, RuleSet};

    /// An input that notes the thread of every read.
    struct Watched<'a> {
        bytes: &'a [u8],
        threads: Vec<ThreadId>,
    }

    impl Read for &mut Watched<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.threads.push(thread::current().id());
            self.bytes.read(buf)
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).and_then(|()| gz.flush()).unwrap();
        gz.finish().unwrap()
    }

    /// Three ExportCertificate records, the first two without a comma between them, and a
    /// record that is not JSON.
    fn object() -> Vec<u8> {
        let export = |id: &str| {
            format!(
                r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333"}},"eventSource":"acm.amazonaws.com","eventName":"ExportCertificate","awsRegion":"us-east-1","requestParameters":{{"certificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/c"}},"responseElements":null,"eventID":"{id}","eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#
            )
        };
        let json = format!(
            r#"{{"Records":[{} {},{{"eventName" "broken"}},{}]}}"#,
            export("one"),
            export("two"),
            export("three")
        );
        gzip(json.as_bytes())
    }

    /// What a scan of `size` found, and whether any read ran on another thread than the caller's.
    fn scan(bytes: &[u8], size: Option<u64>, rules: &RuleSet) -> (Vec<String>, String, bool) {
        scan_with(bytes, size, rules, &ScanOptions::default())
    }

    /// [`scan`] with `options`.
    fn scan_with(
        bytes: &[u8],
        size: Option<u64>,
        rules: &RuleSet,
        options: &ScanOptions,
    ) -> (Vec<String>, String, bool) {
        let mut input = Watched {
            bytes,
            threads: Vec::new(),
        };
        let mut alerts = Vec::new();
        let report = scan_sized_keeping(
            "o.json.gz",
            &mut input,
            size,
            rules,
            options,
            &mut |a: crate::Alert| alerts.push(format!("{} {:?}", a.rule_id, a.event_id)),
            &mut |_| {},
        );
        let me = thread::current().id();
        let elsewhere = input.threads.iter().any(|t| *t != me);
        assert!(!input.threads.is_empty());
        let summary = format!(
            "{report}; damaged {:?}; bad {:?}",
            report.damaged, report.bad_records
        );
        (alerts, summary, elsewhere)
    }

    #[test]
    fn small_objects_are_read_on_the_callers_thread_with_the_same_results() {
        let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
        let bytes = object();
        let size = bytes.len() as u64;
        assert!(size < SERIAL_BELOW);
        let (small, small_report, small_elsewhere) = scan(&bytes, Some(size), &rules);
        let (unsized_alerts, unsized_report, unsized_elsewhere) = scan(&bytes, None, &rules);
        let (large, large_report, large_elsewhere) = scan(&bytes, Some(SERIAL_BELOW), &rules);
        assert!(
            !small_elsewhere,
            "a small object spawned a decompress thread"
        );
        assert!(
            unsized_elsewhere && large_elsewhere,
            "large objects are pipelined"
        );
        assert_eq!(small.len(), 3, "{small:?} {small_report}");
        assert!(
            small_report.contains("damaged Damaged { listed: [")
                && small_report.contains("bad Tally { count: 1,"),
            "{small_report}"
        );
        assert_eq!(small, unsized_alerts);
        assert_eq!(small, large);
        assert_eq!(small_report, unsized_report);
        assert_eq!(small_report, large_report);
        let mut whole = Vec::new();
        scan_object(
            "o.json.gz",
            &bytes[..],
            &rules,
            &ScanOptions::default(),
            &mut |a| whole.push(format!("{} {:?}", a.rule_id, a.event_id)),
        );
        assert_eq!(small, whole);
    }

    /// Without `pipelined` (a process with one CPU), objects of every size are read on the
    /// caller's thread, with the same results.
    #[test]
    fn a_scan_told_not_to_pipeline_reads_large_objects_on_the_callers_thread() {
        let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
        let bytes = object();
        let serial = ScanOptions {
            pipelined: false,
            ..ScanOptions::default()
        };
        let (piped, piped_report, piped_elsewhere) = scan(&bytes, None, &rules);
        assert!(piped_elsewhere, "the default pipelines a large object");
        for size in [None, Some(SERIAL_BELOW), Some(u64::MAX)] {
            let (alerts, report, elsewhere) = scan_with(&bytes, size, &rules, &serial);
            assert!(!elsewhere, "size {size:?}: a decompress thread was started");
            assert_eq!(alerts, piped, "size {size:?}");
            assert_eq!(report, piped_report, "size {size:?}");
        }
        assert!(super::available_cpus() >= 1);
    }
}
