//! `keytrail rules test`: rules are data-tested, every rule has fixtures that must hit and
//! fixtures that must miss.
//!
//! Layout: `<dir>/<rule-id>/hit/*.json` and `<dir>/<rule-id>/miss/*.json`. A fixture file is a
//! trail object in any shape the reader accepts (usually one event). Every record of a hit file
//! must match the rule; no record of a miss file may. Records go through [`crate::scan`]'s own
//! path (the reader, then [`RuleSet::classify`]'s cascade), so a fixture also proves the index
//! routes the record to the rule. A rule without both kinds of fixture fails, and so does a
//! fixture directory for a rule that does not exist (a renamed rule leaves its fixtures behind
//! otherwise). A correlation's fixtures are objects whose records, run in eventTime order, must
//! fire it (hit) or must not (miss); a rule that alerts only through correlations needs none.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::correlations::correlate_object;
use super::set::RuleSet;
use crate::scan::{scan_object, ScanOptions};

/// The outcome of one fixture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureResult {
    /// The rule under test.
    pub rule_id: String,
    /// The fixture file.
    pub file: PathBuf,
    /// True for a hit fixture, false for a miss fixture.
    pub expect_hit: bool,
    /// `None` when the fixture passed, else what went wrong.
    pub failure: Option<String>,
}

/// Every fixture result and every rule-level problem.
#[derive(Debug, Default)]
pub struct FixtureReport {
    /// One entry per fixture file run.
    pub results: Vec<FixtureResult>,
    /// Rules without a hit or a miss fixture, fixture directories without a rule, unreadable
    /// directories.
    pub problems: Vec<String>,
}

impl FixtureReport {
    /// True when every fixture passed and no rule lacks fixtures.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.results.iter().all(|r| r.failure.is_none())
    }

    /// How many fixtures failed.
    pub fn failures(&self) -> usize {
        self.results.iter().filter(|r| r.failure.is_some()).count()
    }
}

/// Runs the fixtures under `dir` for every rule in `rules` whose id satisfies `select`.
pub fn run(dir: &Path, rules: &RuleSet, select: &dyn Fn(&str) -> bool) -> FixtureReport {
    let mut report = FixtureReport::default();
    let selected: Vec<usize> = (0..rules.rules().len())
        .filter(|&i| select(&rules.rules()[i].id))
        .collect();
    let ids: BTreeSet<&str> = rules
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .chain(rules.correlations().list().map(|c| c.rule.id.as_str()))
        .collect();
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut stale: Vec<String> = entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|name| !ids.contains(name.as_str()))
                .collect();
            stale.sort();
            for name in stale {
                report.problems.push(format!(
                    "{}: fixtures for rule {name:?}, which no loaded rule has as its id: rename or \
                     remove the directory",
                    dir.join(&name).display()
                ));
            }
        }
        Err(e) => {
            report.problems.push(format!(
                "{}: cannot read fixture directory: {e}",
                dir.display()
            ));
            return report;
        }
    }
    // A rule that alerts only through correlations has no fixtures of its own.
    let selected = selected
        .into_iter()
        .filter(|&i| !rules.correlations().is_silent(i))
        .map(Target::Rule);
    let correlations = (0..rules.correlations().list().len())
        .filter(|&j| !rules.correlations().is_silent_correlation(j))
        .filter(|&j| {
            rules
                .correlations()
                .get(j)
                .is_some_and(|c| select(&c.rule.id))
        })
        .map(Target::Correlation);
    for target in selected.chain(correlations) {
        let rule = match target {
            Target::Rule(i) => &rules.rules()[i],
            Target::Correlation(j) => match rules.correlations().get(j) {
                Some(c) => &c.rule,
                None => continue,
            },
        };
        for (kind, expect_hit) in [("hit", true), ("miss", false)] {
            let files = json_files(&dir.join(&rule.id).join(kind));
            if files.is_empty() {
                report.problems.push(format!(
                    "rule {} ({}) has no {kind} fixture: add one under {}",
                    rule.id,
                    rule.file,
                    dir.join(&rule.id).join(kind).display()
                ));
            }
            for file in files {
                let failure = match target {
                    Target::Rule(i) => check(&file, rules, i, expect_hit),
                    Target::Correlation(j) => check_correlation(&file, rules, j, expect_hit),
                };
                report.results.push(FixtureResult {
                    rule_id: rule.id.clone(),
                    file,
                    expect_hit,
                    failure,
                });
            }
        }
    }
    report
}

/// What a fixture directory tests.
#[derive(Debug, Clone, Copy)]
enum Target {
    Rule(usize),
    Correlation(usize),
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".json") || name.ends_with(".json.gz")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs one fixture; `None` when it passed.
fn check(file: &Path, rules: &RuleSet, rule: usize, expect_hit: bool) -> Option<String> {
    let name = file.display().to_string();
    let input = match File::open(file) {
        Ok(f) => BufReader::new(f),
        Err(e) => return Some(format!("cannot open: {e}")),
    };
    let rule_id = rules.rules()[rule].id.clone();
    let mut hit_records = BTreeSet::new();
    let report = scan_object(&name, input, rules, &ScanOptions::default(), &mut |alert| {
        if alert.rule_id == rule_id {
            hit_records.insert(alert.source.record.unwrap_or(u64::MAX));
        }
    });
    if let Some(problem) = report.problems().into_iter().next() {
        return Some(problem);
    }
    if report.records == 0 {
        return Some("holds no record".to_owned());
    }
    if expect_hit {
        let missed: Vec<u64> = (0..report.records)
            .filter(|r| !hit_records.contains(r))
            .collect();
        (!missed.is_empty())
            .then(|| format!("expected every record to hit, records {missed:?} did not"))
    } else {
        (!hit_records.is_empty())
            .then(|| format!("expected no hit, records {hit_records:?} matched"))
    }
}

/// Runs one correlation fixture: its records, in eventTime order, must fire the correlation
/// (hit) or must not (miss). `None` when it passed.
fn check_correlation(
    file: &Path,
    rules: &RuleSet,
    index: usize,
    expect_hit: bool,
) -> Option<String> {
    let input = match File::open(file) {
        Ok(f) => BufReader::new(f),
        Err(e) => return Some(format!("cannot open: {e}")),
    };
    let (records, fired) = match correlate_object(&file.display().to_string(), input, rules) {
        Ok(done) => done,
        Err(e) => return Some(e),
    };
    if records == 0 {
        return Some("holds no record".to_owned());
    }
    let fired = fired.iter().filter(|c| c.correlation == index).count();
    match (expect_hit, fired) {
        (true, 0) => Some("expected the correlation to fire, it did not".to_owned()),
        (false, n) if n > 0 => Some(format!("expected no correlation, it fired {n} time(s)")),
        _ => None,
    }
}
