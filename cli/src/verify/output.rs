//! What `keytrail verify` prints: one line per problem on stdout (text or JSONL), the unreadable
//! objects and the summary on stderr, and the exit status.
//!
//! A text line is `SEVERITY KIND: MESSAGE`, where the message ([`Problem`]'s `Display`) says
//! what is wrong, with which object and why; the whole line is escaped ([`term::safe`]): keys
//! and reasons come from the bucket, which an attacker may have written. A JSONL line is the
//! problem's JSON (a stable `kind`, its fields) with its `severity`; JSON escapes by itself.
//!
//! Exit status: 2 when the check could not be made or some object could not be read (the check
//! is incomplete; problems found are printed all the same), else 1 when any problem was found,
//! else 0.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use keytrail_core::integrity::{Problem, Report};
use serde_json::Value;

use super::args::Format;
use super::fetch::Unchecked;
use crate::term;

/// One problem as a line of `format`, without the newline.
pub fn line(problem: &Problem, format: Format) -> String {
    match format {
        Format::Text => term::safe(&format!(
            "{} {}: {problem}",
            problem.severity(),
            problem.kind()
        )),
        Format::Jsonl => {
            let mut value = serde_json::to_value(problem).unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut value {
                fields.insert("severity".to_owned(), problem.severity().as_str().into());
            }
            value.to_string()
        }
    }
}

/// Writes every problem, one a line.
pub fn print(out: &mut impl Write, problems: &[Problem], format: Format) -> io::Result<()> {
    for problem in problems {
        writeln!(out, "{}", line(problem, format))?;
    }
    out.flush()
}

/// The closing line: `N digests, M log files valid; K problems`, then what was not checked.
pub fn summary(report: &Report, unchecked: usize, elapsed: Duration) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut text = format!(
        "{}, {} valid; {}",
        plural(report.digests_valid, "digest", "digests"),
        plural(report.log_files_valid, "log file", "log files"),
        plural(report.problems.len(), "problem", "problems"),
    );
    if unchecked > 0 {
        text.push_str(&format!(
            "; {} could not be read (not checked)",
            plural(unchecked, "object", "objects")
        ));
    }
    text.push_str(&format!(
        " ({} checked, {} listed; {:.1} s)",
        plural(report.digests, "digest", "digests"),
        plural(report.log_files, "log file", "log files"),
        elapsed.as_secs_f64()
    ));
    text
}

/// Says each object that could not be read on stderr.
pub fn say_unchecked(unchecked: &[Unchecked]) {
    for u in unchecked {
        term::say(&u.to_string());
    }
}

/// 2 when something could not be read, else 1 when there are problems, else 0.
pub fn exit_code(report: &Report, unchecked: usize) -> ExitCode {
    if unchecked > 0 {
        ExitCode::from(2)
    } else if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use keytrail_core::integrity::{ObjectRef, Timestamp};

    use super::*;

    fn problems() -> Vec<Problem> {
        let t = |s| Timestamp::parse(s).unwrap();
        vec![
            Problem::LogFileUnlisted {
                log: ObjectRef::new("b", "AWSLogs/1/CloudTrail/r/x\u{1b}[2J\u{202e}.json.gz"),
            },
            Problem::TrailSilent {
                last_digest: ObjectRef::new("b", "AWSLogs/1/CloudTrail-Digest/r/d.json.gz"),
                last_end: t("2026-06-10T21:17:28Z"),
                as_of: t("2026-06-11T00:30:00Z"),
            },
        ]
    }

    #[test]
    fn text_and_jsonl_lines() {
        let mut text = Vec::new();
        print(&mut text, &problems(), Format::Text).unwrap();
        let mut jsonl = Vec::new();
        print(&mut jsonl, &problems(), Format::Jsonl).unwrap();
        let (text, jsonl) = (
            String::from_utf8(text).unwrap(),
            String::from_utf8(jsonl).unwrap(),
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        insta::assert_snapshot!("verify_text_lines", text);
        insta::assert_snapshot!("verify_jsonl_lines", jsonl);
    }

    #[test]
    fn summary_and_exit_status() {
        let report = Report {
            digests: 93,
            digests_valid: 92,
            log_files: 182,
            log_files_valid: 181,
            problems: problems(),
            ..Report::default()
        };
        let line = summary(&report, 0, Duration::from_millis(1234));
        assert_eq!(
            line,
            "92 digests, 181 log files valid; 2 problems \
             (93 digests checked, 182 log files listed; 1.2 s)"
        );
        // (problems, unreadable objects, status)
        let cases = [
            (0, 0, ExitCode::SUCCESS),
            (2, 0, ExitCode::from(1)),
            (2, 1, ExitCode::from(2)),
            (0, 1, ExitCode::from(2)),
        ];
        for (n, unchecked, want) in cases {
            let report = Report {
                problems: problems().into_iter().take(n).collect(),
                ..Report::default()
            };
            assert_eq!(exit_code(&report, unchecked), want, "{n} {unchecked}");
        }
    }
}
