//! [`Harness::reader`]: bytes as an object, read four ways that must agree; then the same bytes
//! as the recipe of a damaged object (`recovery`).

use std::io::Read;
use std::ops::Range;

use super::{check_alert, ensure, read_options, scan_options, Checked, Harness, TINY_READ};
use crate::read::{ReadError, ReadErrorKind, RecordReader};
use crate::scan::scan_object;
use crate::Alert;

/// A fault as compared between reads: kind, offsets, message, bytes skipped.
type FaultView = (
    ReadErrorKind,
    Option<u64>,
    Option<u64>,
    String,
    Option<Range<u64>>,
);

fn view(e: &ReadError) -> FaultView {
    (
        e.kind,
        e.compressed_offset,
        e.decompressed_offset,
        e.to_string(),
        e.skipped.clone(),
    )
}

/// Everything one reader yielded: `(index, offset, json)` per record, the faults it recovered
/// from, then the fault that ended the object.
#[derive(Debug, PartialEq)]
pub(super) struct Readout {
    pub records: Vec<(u64, u64, Vec<u8>)>,
    pub damaged: Vec<FaultView>,
    fault: Option<FaultView>,
}

impl Readout {
    /// How many records (and their first bytes), then the fault: short enough for a report.
    fn summary(&self) -> String {
        let records: Vec<String> = self
            .records
            .iter()
            .map(|(i, offset, json)| {
                let head = String::from_utf8_lossy(json.get(..24).unwrap_or(json));
                format!("#{i}@{offset}+{} {head:?}", json.len())
            })
            .collect();
        format!(
            "{} records [{}], damaged {:?}, fault {:?}",
            records.len(),
            records.join(", "),
            self.damaged,
            self.fault
        )
    }
}

/// Whether two reads of the same bytes agree: the same records, offsets and fault. Except at a
/// gzip fault: the decoder drops what it decoded in the call that meets a damaged or truncated
/// stream, so how far each read got depends on how the calls were cut. Then the fault kind must
/// still be the same (the reader looks past garbage that a damaged stream decoded to, for the
/// gzip fault behind it), and the records that both delivered must be the same. With
/// `same_buffer` false the fault messages may differ (they show the structure around the fault
/// that is still in the buffer).
fn agree(a: &Readout, b: &Readout, same_buffer: bool) -> bool {
    let kind = |r: &Readout| r.fault.as_ref().map(|f| f.0);
    let gzip = |r: &Readout| {
        matches!(
            kind(r),
            Some(ReadErrorKind::CorruptGzip | ReadErrorKind::TruncatedGzip)
        )
    };
    if gzip(a) || gzip(b) {
        let n = a.records.len().min(b.records.len());
        kind(a) == kind(b) && a.records.get(..n) == b.records.get(..n)
    } else if same_buffer {
        a == b
    } else {
        let brief = |f: &FaultView| (f.0, f.1, f.2, f.4.clone());
        let damaged = |r: &Readout| r.damaged.iter().map(brief).collect::<Vec<_>>();
        a.records == b.records
            && a.fault.as_ref().map(brief) == b.fault.as_ref().map(brief)
            && damaged(a) == damaged(b)
    }
}

pub(super) fn read_all<R: Read>(mut reader: RecordReader<R>) -> Result<Readout, String> {
    let mut out = Readout {
        records: Vec::new(),
        damaged: Vec::new(),
        fault: None,
    };
    loop {
        match reader.next_record() {
            Ok(Some(raw)) => out.records.push((raw.index, raw.offset, raw.json.to_vec())),
            Ok(None) => break,
            Err(e) if e.is_recovered() => {
                let after = out
                    .damaged
                    .last()
                    .and_then(|d| d.4.clone())
                    .map_or(0, |s| s.end);
                let skipped = e.skipped.clone().unwrap_or_default();
                ensure(
                    skipped.start >= after && skipped.start <= skipped.end,
                    || format!("skipped {skipped:?} after a span ending at {after}"),
                )?;
                out.damaged.push(view(&e));
            }
            Err(e) => {
                out.fault = Some(view(&e));
                break;
            }
        }
    }
    ensure(matches!(reader.next_record(), Ok(None)), || {
        "a record or fault after the end".to_owned()
    })?;
    ensure(reader.records() == out.records.len() as u64, || {
        format!(
            "records() {} but {} yielded",
            reader.records(),
            out.records.len()
        )
    })?;
    for (i, (index, offset, json)) in out.records.iter().enumerate() {
        ensure(*index == i as u64 && !json.is_empty(), || {
            format!("record {i} has index {index} and {} bytes", json.len())
        })?;
        ensure(*offset < reader.decompressed_bytes(), || {
            format!("record {i} at offset {offset} past the end")
        })?;
    }
    Ok(out)
}

impl Harness {
    /// `data` as an object, then as the recipe of a damaged object; see the module docs.
    pub fn reader(&self, data: &[u8]) -> Checked {
        self.read_ways(data)?;
        self.recovery(data)
    }

    /// `data` as an object, read four ways that must agree.
    pub(super) fn read_ways(&self, data: &[u8]) -> Checked {
        let serial = read_all(RecordReader::new("fuzz", data, read_options(4096)))?;
        let piped = std::thread::scope(|scope| {
            read_all(RecordReader::pipelined(
                scope,
                "fuzz",
                data,
                read_options(4096),
            ))
        })?;
        ensure(agree(&piped, &serial, true), || {
            format!(
                "pipelined reader: {}; serial: {}",
                piped.summary(),
                serial.summary()
            )
        })?;
        let tiny = read_all(RecordReader::new("fuzz", data, read_options(TINY_READ)))?;
        ensure(agree(&tiny, &serial, false), || {
            format!(
                "{TINY_READ}-byte reads: {}; 4 KiB reads: {}",
                tiny.summary(),
                serial.summary()
            )
        })?;
        // scan_object reads through the pipelined reader.
        let kind = |r: &Readout| r.fault.as_ref().map(|f| f.0);
        let mut alerts = Vec::new();
        let report = scan_object("fuzz", data, &self.builtin, &scan_options(), &mut |a| {
            alerts.push(a)
        });
        ensure(report.records == piped.records.len() as u64, || {
            format!(
                "scan counted {} records, the pipelined reader yielded {}",
                report.records,
                piped.records.len()
            )
        })?;
        ensure(
            report.fault.as_ref().map(|f| f.kind) == kind(&piped),
            || {
                format!(
                    "scan fault {:?}, reader fault {:?}",
                    report.fault, piped.fault
                )
            },
        )?;
        ensure(report.damaged.count() == piped.damaged.len() as u64, || {
            format!(
                "scan counted {} damaged spans, the pipelined reader recovered from {}",
                report.damaged.count(),
                piped.damaged.len()
            )
        })?;
        ensure(report.alerts == alerts.len() as u64, || {
            format!(
                "{} alerts counted, {} delivered",
                report.alerts,
                alerts.len()
            )
        })?;
        ensure(report.parsed <= report.records, || format!("{report:?}"))?;
        ensure(
            report.bad_records.count + report.not_events.count <= report.records,
            || format!("{report:?}"),
        )?;
        let problems = report.problems();
        ensure(report.is_clean() == problems.is_empty(), || {
            format!("{problems:?}")
        })?;
        let _ = report.to_string();
        if !problems.is_empty() {
            alerts.push(Alert::integrity("fuzz", &problems.join("; ")));
        }
        alerts.iter().try_for_each(check_alert)
    }
}
