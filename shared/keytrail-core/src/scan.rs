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

use crate::alert::Alert;
use crate::correlate::Kept;
use crate::read::{Compression, Damaged, ReadError, ReadOptions, RecordReader, Shape};
use crate::rules::{RuleSet, Scratch, Verdict};
use crate::Severity;

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Reader limits.
    pub read: ReadOptions,
    /// Alerts below this severity are dropped.
    pub min_severity: Severity,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            read: ReadOptions::default(),
            min_severity: Severity::Informational,
        }
    }
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

/// Scans one object, handing each alert to `sink` as soon as it is made.
///
/// Decompression runs on a second thread ([`RecordReader::pipelined`]), joined before this
/// returns; everything else runs on the caller's thread.
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
    std::thread::scope(|scope| {
        let reader = RecordReader::pipelined(scope, object, input, options.read.clone());
        scan_records(reader, rules, options, sink, keep)
    })
}

/// The loop over one object's records: the rule set classifies each, and its matches become
/// alerts.
fn scan_records<R: Read>(
    mut reader: RecordReader<R>,
    rules: &RuleSet,
    options: &ScanOptions,
    sink: &mut dyn FnMut(Alert),
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
                for rule in matches.rules() {
                    if rule.level >= options.min_severity {
                        report.alerts += 1;
                        sink(match matches.tree() {
                            Some((tree, json)) => {
                                Alert::from_tree(rule, tree, json, &object, index)
                            }
                            None => Alert::new(rule, matches.event(), &object, index),
                        });
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
