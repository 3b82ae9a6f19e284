//! What a scan adds up to: the totals the printer keeps, the closing line on stderr, and the
//! exit status.
//!
//! Exit status: 2 when any object (or path) could not be read completely, else 1 when
//! `--fail-on` is given and an alert at or above it was found, else 0. A closed stdout
//! (`| head`, `| grep -q`) stops the scan early but is not itself an error: the status is the one
//! the alerts and faults found until then call for, as `grep` exits 0 after `| head` when it
//! matched.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use keytrail_core::scan::ObjectReport;
use keytrail_core::{Alert, Severity};

use super::target::Skips;

/// Running totals over the objects printed so far.
#[derive(Debug, Default)]
pub struct Totals {
    /// Objects whose scan ended (completely, at a fault, or stopped).
    pub objects: u64,
    /// Objects or paths that could not be read completely.
    pub unreadable: u64,
    bytes: u64,
    records: u64,
    /// Records checked on the few values the unrouted rules read ([`ObjectReport::screened`]).
    screened: u64,
    /// Records parsed in full ([`ObjectReport::parsed`]).
    parsed: u64,
    /// Alerts found (printed, or found after stdout closed).
    pub alerts: u64,
    by_level: HashMap<Severity, u64>,
    max_level: Option<Severity>,
}

impl Totals {
    /// Adds an object's counts.
    pub fn add(&mut self, report: &ObjectReport) {
        self.objects += 1;
        self.bytes += report.bytes;
        self.records += report.records;
        self.screened += report.screened;
        self.parsed += report.parsed;
        if !report.is_clean() {
            self.unreadable += 1;
        }
    }

    /// Counts one alert.
    pub fn alert(&mut self, alert: &Alert) {
        self.count(alert.severity);
    }

    /// Counts one alert of `severity`.
    pub fn count(&mut self, severity: Severity) {
        self.alerts += 1;
        *self.by_level.entry(severity).or_default() += 1;
        self.max_level = self.max_level.max(Some(severity));
    }

    fn by_level_text(&self) -> String {
        let parts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|s| self.by_level.get(s).map(|n| format!("{n} {s}")))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }

    /// The closing line (without the `keytrail: ` prefix). `planned` is how many objects the
    /// scan set out to read; `stopped` says why it stopped before the end, if it did.
    pub fn summary(
        &self,
        planned: usize,
        stopped: Option<&str>,
        skips: &Skips,
        elapsed: Duration,
    ) -> String {
        let objects = match stopped {
            Some(why) => format!("{} of {planned} objects ({why})", self.objects),
            None => format!("{} objects", self.objects),
        };
        format!(
            "scanned {objects} ({} bytes, {} records: {} screened, {} parsed) in {:.2}s: {} \
             alerts{}{}{}",
            self.bytes,
            self.records,
            self.screened,
            self.parsed,
            elapsed.as_secs_f64(),
            self.alerts,
            self.by_level_text(),
            skips
                .summary()
                .map_or_else(String::new, |s| format!("; {s}")),
            if self.unreadable > 0 {
                format!(
                    "; {} object(s) could not be read completely (see above)",
                    self.unreadable
                )
            } else {
                String::new()
            }
        )
    }

    /// True when an alert at or above `level` was found.
    pub fn reached(&self, level: Severity) -> bool {
        self.max_level.is_some_and(|m| m >= level)
    }

    /// 2 when anything could not be read, else 1 when an alert reached `fail_on`, else 0.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> ExitCode {
        let failed_level = fail_on.is_some_and(|level| self.reached(level));
        if self.unreadable > 0 {
            ExitCode::from(2)
        } else if failed_level {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::target::{unopened, Skip};

    fn alert(severity: Severity) -> Alert {
        let mut alert: Alert = serde_json::from_value(serde_json::json!({
            "alert_id": "a", "rule_id": "r", "severity": "low", "title": "t",
            "description": "d", "resources": [], "source": {"object": "o"}, "event": {}
        }))
        .unwrap();
        alert.severity = severity;
        alert
    }

    #[test]
    fn exit_status_table() {
        use Severity::{High, Low, Medium};
        for (levels, unreadable, fail_on, want) in [
            (&[][..], false, None, 0),
            (&[High][..], false, None, 0),
            (&[Low, High][..], false, Some(High), 1),
            (&[Low, Medium][..], false, Some(High), 0),
            (&[High][..], true, Some(High), 2),
            (&[][..], true, None, 2),
        ] {
            let mut totals = Totals::default();
            for level in levels {
                totals.alert(&alert(*level));
            }
            if unreadable {
                totals.add(&unopened("x", "gone"));
            }
            assert_eq!(
                totals.exit_code(fail_on),
                ExitCode::from(want),
                "{levels:?} {unreadable} {fail_on:?}"
            );
        }
    }

    #[test]
    fn summary_says_what_was_stopped_and_skipped() {
        let mut totals = Totals::default();
        totals.alert(&alert(Severity::High));
        totals.add(&unopened("x", "gone"));
        let mut skips = Skips::default();
        skips.add(Skip::BrokenSymlink, 2);
        let line = totals.summary(
            5,
            Some("stdout was closed"),
            &skips,
            Duration::from_millis(1500),
        );
        assert_eq!(
            line,
            "scanned 1 of 5 objects (stdout was closed) (0 bytes, 0 records: 0 \
             screened, 0 parsed) in 1.50s: 1 alerts (1 high); skipped 2 (broken symlink: 2); 1 \
             object(s) could not be read completely (see above)"
        );
    }
}
