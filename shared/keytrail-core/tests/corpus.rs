//! Every file of the shared corpus of real CloudTrail data goes through the reader: plain, gzip,
//! tiny reads, and concatenated into multi-member gzip. Counts are pinned per folder, so a reader
//! change that loses or invents a record fails here.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use keytrail_core::read::{Compression, ReadOptions, RecordReader, Shape};
use keytrail_core::record::{self, Event};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// Every data file (not the README), sorted, with its folder name.
fn corpus_files() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "ndjson")
            {
                out.push(path);
            }
        }
    }
    let root = corpus_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap();
            let folder = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            (folder, p)
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

struct Read {
    records: Vec<Vec<u8>>,
    shape: Option<Shape>,
    compression: Option<Compression>,
}

fn read(name: &str, bytes: &[u8], options: ReadOptions) -> Read {
    let mut reader = RecordReader::new(name, bytes, options);
    let mut records = Vec::new();
    while let Some(r) = reader.next_record().unwrap_or_else(|e| panic!("{e}")) {
        records.push(r.json.to_vec());
    }
    if reader.compression() == Some(Compression::None) {
        assert_eq!(reader.decompressed_bytes(), bytes.len() as u64, "{name}");
    }
    assert_eq!(reader.records(), records.len() as u64);
    Read {
        records,
        shape: reader.shape(),
        compression: reader.compression(),
    }
}

/// Files whose records are not all API-call events, and why.
const NOT_API_CALLS: &[(&str, &str)] = &[
    (
        "cloudtrail-log-file-examples__09__x__x.json",
        "Insights events: eventType but no eventName",
    ),
    ("_index.json", "the rule-tests folder's index, not an event"),
];

#[test]
fn every_corpus_file_reads_with_pinned_counts() {
    // folder -> (files, records)
    let want: BTreeMap<&str, (usize, usize)> = [
        ("acm-userguide-2026", (38, 38)),
        ("awsdocs", (112, 117)),
        ("otrf-security-datasets", (1, 103)),
        ("panther-analysis", (1, 467)),
        ("rule-tests", (18, 18)),
        ("stratus-red-team", (27, 263)),
    ]
    .into();
    let mut got: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (folder, path) in corpus_files() {
        let name = path.display().to_string();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(&path).unwrap();
        let out = read(&name, &bytes, ReadOptions::default());
        assert!(!out.records.is_empty(), "{name}: no record");
        let entry = got.entry(folder.clone()).or_default();
        entry.0 += 1;
        entry.1 += out.records.len();
        let shape = out.shape.unwrap();
        let peeks: Vec<_> = out
            .records
            .iter()
            .map(|r| record::peek(r).unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        match folder.as_str() {
            "otrf-security-datasets" => {
                assert_eq!(shape, Shape::Ndjson, "{name}");
                for r in &out.records {
                    let event = Event::parse(r).unwrap();
                    assert!(
                        event.event_name().is_some() && event.event_time().is_some(),
                        "{name}"
                    );
                }
            }
            "panther-analysis" => {
                assert_eq!(shape, Shape::Ndjson, "{name}");
                for p in &peeks {
                    assert!(
                        !p.looks_like_event(),
                        "{name}: a test-case wrapper is not an event"
                    );
                    assert!(
                        p.describe_keys().contains("Panther rule test case"),
                        "{}",
                        p.describe_keys()
                    );
                }
            }
            "stratus-red-team" => assert_eq!(shape, Shape::Array, "{name}"),
            _ => assert!(
                matches!(shape, Shape::RecordsObject | Shape::SingleEvent),
                "{name}: {shape:?}"
            ),
        }
        if folder == "panther-analysis" {
            continue;
        }
        match NOT_API_CALLS.iter().find(|(f, _)| *f == file) {
            Some((_, "Insights events: eventType but no eventName")) => {
                for p in &peeks {
                    assert_eq!(
                        p.event_type.as_deref(),
                        Some("AwsCloudTrailInsight"),
                        "{name}"
                    );
                    assert!(p.event_name.is_none() && p.looks_like_event(), "{name}");
                }
            }
            Some(_) => assert!(peeks.iter().all(|p| !p.looks_like_event()), "{name}"),
            None => {
                for (i, p) in peeks.iter().enumerate() {
                    assert!(
                        p.event_name.is_some(),
                        "{name}: record {i} has no eventName"
                    );
                }
            }
        }
    }
    let got: BTreeMap<&str, (usize, usize)> = got.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, want);
    let total: usize = got.values().map(|(_, records)| records).sum();
    assert_eq!(total, 1006);
}

#[test]
fn gzip_and_tiny_reads_yield_the_same_records() {
    for (_, path) in corpus_files() {
        let name = path.display().to_string();
        let bytes = fs::read(&path).unwrap();
        let plain = read(&name, &bytes, ReadOptions::default());
        let gz = read(
            &name,
            &gzip(&bytes),
            ReadOptions {
                buffer_bytes: 1000,
                ..ReadOptions::default()
            },
        );
        assert_eq!(gz.compression, Some(Compression::Gzip));
        assert_eq!(
            (plain.compression, gz.shape),
            (Some(Compression::None), plain.shape),
            "{name}"
        );
        assert!(
            gz.records == plain.records,
            "{name}: gzip yields other records"
        );
        let tiny = read(
            &name,
            &bytes,
            ReadOptions {
                buffer_bytes: 7,
                ..ReadOptions::default()
            },
        );
        assert!(
            tiny.records == plain.records,
            "{name}: 7-byte reads yield other records"
        );
    }
}

#[test]
fn multi_member_gzip_yields_the_sum() {
    let files = corpus_files();
    let counts: Vec<(Vec<u8>, usize)> = files
        .iter()
        .map(|(_, path)| {
            let bytes = fs::read(path).unwrap();
            let n = read("count", &bytes, ReadOptions::default()).records.len();
            (bytes, n)
        })
        .collect();
    // Neighbours in pairs, as `cat a.json.gz b.json.gz` makes them.
    for (pair, (a, b)) in files
        .windows(2)
        .zip(counts.windows(2).map(|w| (&w[0], &w[1])))
    {
        let joined = [gzip(&a.0), gzip(&b.0)].concat();
        let out = read("pair", &joined, ReadOptions::default());
        assert_eq!(
            out.records.len(),
            a.1 + b.1,
            "{} + {}",
            pair[0].1.display(),
            pair[1].1.display()
        );
    }
    // Everything in one object, one member per file.
    let all: Vec<u8> = counts.iter().flat_map(|(bytes, _)| gzip(bytes)).collect();
    let out = read(
        "all",
        &all,
        ReadOptions {
            buffer_bytes: 4096,
            ..ReadOptions::default()
        },
    );
    assert_eq!(out.records.len(), 1006);
}

/// What the built-in pack makes of every record of the corpus, pinned in one snapshot: each file
/// with the alerts it raises (record, event, rule, level), or `-` when it raises none. Every
/// seed-derived example therefore has its expected outcome, hits and misses alike, and a rule
/// change that adds or drops an alert anywhere in the corpus shows up in review.
#[test]
fn every_corpus_record_has_its_pinned_outcome() {
    use keytrail_core::rules::{LoadOptions, RuleSet};
    use keytrail_core::scan::{scan_object, ScanOptions};

    let rules = RuleSet::load(&LoadOptions::default()).unwrap().set;
    let root = corpus_dir();
    let mut text = String::new();
    for (_, path) in corpus_files() {
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        let mut lines = Vec::new();
        let file = fs::File::open(&path).unwrap();
        scan_object(&rel, file, &rules, &ScanOptions::default(), &mut |a| {
            lines.push(format!(
                "  #{} {} -> {} ({})",
                a.source.record.unwrap_or_default(),
                a.event_name.as_deref().unwrap_or("?"),
                a.rule_id,
                a.severity
            ));
        });
        if lines.is_empty() {
            text.push_str(&format!("{rel}: -\n"));
        } else {
            text.push_str(&format!("{rel}:\n{}\n", lines.join("\n")));
        }
    }
    insta::assert_snapshot!("corpus_outcomes", text);
}
