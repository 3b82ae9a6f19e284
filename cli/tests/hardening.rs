//! Regressions from the hostile review, through the binary: the exit status when stdout's reader
//! goes away, untrusted names and rule text on stderr and stdout, the progress bar and the table
//! rows sharing one terminal, and symlinks inside scanned directories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, ExitStatus, Output, Stdio};

mod support;
use support::{alerts, export_record, exports, repo};

fn keytrail() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keytrail"));
    cmd.current_dir(repo());
    cmd
}

/// Runs keytrail with a stdout whose reader is already gone, as `keytrail … | true` leaves it.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    keytrail()
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `keytrail scan --fail-on high --format jsonl events/trail | true` exited 0: the first
/// object in order has only low alerts, the write failed, and the high alert of the next one
/// was never counted. A CI gate must fail however early its reader goes away.
#[test]
fn fail_on_holds_when_stdout_is_closed() {
    for jobs in ["1", "2", "4"] {
        let out = with_closed_stdout(&[
            "scan",
            "--fail-on",
            "high",
            "--format",
            "jsonl",
            "-j",
            jobs,
            "events/trail",
        ]);
        assert_eq!(out.status.code(), Some(1), "-j {jobs}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("(stdout was closed)"),
            "{}",
            stderr(&out)
        );
    }
    // Below the gate's level nothing fails.
    let out = with_closed_stdout(&["scan", "--fail-on", "critical", "events/trail"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// An unreadable object still makes the exit 2 when stdout is closed.
#[test]
fn unreadable_objects_hold_exit_2_when_stdout_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-zip.json"), b"PK\x03\x04 a zip archive").unwrap();
    std::fs::write(dir.path().join("b-exports.json"), exports(50)).unwrap();
    let out = with_closed_stdout(&["scan", "-j", "1", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("a-zip.json"), "{}", stderr(&out));
}

/// Feeds standard input an endless trail object of high alerts until the child exits; returns
/// its status, or fails the test if it runs on for two minutes after stdout is gone.
fn endless_scan(args: &[&str]) -> (ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = keytrail()
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let mut i = 0;
        let mut chunk = b"{\"Records\":[".to_vec();
        loop {
            chunk.extend(export_record(i));
            chunk.push(b',');
            i += 1;
            // Fails once the child has exited (or stopped reading for good).
            if i % 100 == 0 && stdin.write_all(&std::mem::take(&mut chunk)).is_err() {
                return i;
            }
        }
    });
    let status = support::exit_after_stdout_closed(&mut child, &format!("keytrail {args:?}"));
    feeder.join().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status, err)
}

/// A closed stdout stops a scan that would otherwise never end, with the status so far: 0
/// without a gate, 1 once the gate's level was reached.
#[test]
fn closed_stdout_stops_an_endless_scan_with_the_status_so_far() {
    let (status, err) = endless_scan(&["scan", "--format", "jsonl"]);
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("1 of 1 objects (stdout was closed)"), "{err}");
    let (status, err) = endless_scan(&["scan", "--format", "jsonl", "--fail-on", "high"]);
    assert_eq!(status.code(), Some(1), "{err}");
}

/// Names of objects and paths, and rule ids and titles, are untrusted: ESC, BEL and newlines
/// in them reach stderr (and `rules test`'s stdout) escaped, every message stays one line, and
/// nothing can set the terminal's title or forge a line.
#[test]
fn untrusted_names_and_rule_text_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let (data, rules) = (dir.path().join("data"), dir.path().join("rules"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(rules.join("tests/evil-\u{1b}[5m-id/hit")).unwrap();
    let evil_name = "evil\u{1b}]0;pwned\u{7}\nkeytrail: forged.json";
    std::fs::write(data.join(evil_name), b"PK\x03\x04 a zip archive").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("gone"), data.join("dangling\u{1b}[2J.json"))
        .unwrap();
    // Skipped (an aggregation) with a warning that names the rule.
    std::fs::write(
        rules.join("aggregate.yml"),
        "title: \"Bad \\e[31m title\\nkeytrail: forged \\a\"\nid: \"agg-\\e]0;x\\a\"\n\
         level: low\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  s:\n    \
         eventName: ListCertificates\n  condition: s | max(x) > 5\n",
    )
    .unwrap();
    let missing = dir.path().join("missing\u{1b}[1m.json");
    let out = keytrail()
        .args(["scan", "--format", "jsonl", "--rules"])
        .arg(&rules)
        .arg(&data)
        .arg(&missing)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_safe(&out.stderr, &err);
    let line = |needle: &str| {
        err.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}: {err}"))
            .to_owned()
    };
    assert!(
        line("evil\\u{1b}]0;pwned\\u{7}\\u{a}keytrail: forged.json").contains("not gzip or JSON")
    );
    assert!(line("Bad \\u{1b}[31m title\\u{a}keytrail: forged \\u{7}").contains("aggregation"));
    assert!(line("missing\\u{1b}[1m.json").ends_with(": skipped"));
    #[cfg(unix)]
    assert!(line("dangling\\u{1b}[2J.json").contains("broken symlink"));

    // `rules test DIR` prints rule ids on stdout.
    std::fs::remove_file(rules.join("aggregate.yml")).unwrap();
    std::fs::write(
        rules.join("list.yml"),
        "title: List\nid: \"evil-\\e[5m-id\"\nlevel: low\nlogsource:\n  product: aws\n  \
         service: cloudtrail\ndetection:\n  s:\n    eventName: ListCertificates\n  condition: s\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("tests/evil-\u{1b}[5m-id/hit/list.json"),
        r#"{"eventSource":"acm.amazonaws.com","eventName":"ListCertificates","eventID":"1"}"#,
    )
    .unwrap();
    let out = keytrail()
        .args(["rules", "test"])
        .arg(&rules)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "no miss fixture: {text}");
    assert_safe(&out.stdout, &text);
    assert!(text.contains("evil-\\u{1b}[5m-id"), "{text}");
}

/// No terminal control byte in `bytes`, and every line is one of keytrail's own.
fn assert_safe(bytes: &[u8], text: &str) {
    for control in [0x1b, 0x07, b'\r'] {
        assert!(!bytes.contains(&control), "raw {control:#04x} in: {text}");
    }
    for line in text.lines() {
        assert!(!line.starts_with("keytrail: forged"), "forged line: {text}");
    }
}

/// What a terminal shows after `raw`: printable text placed at the cursor, `\r`, `\n`, and the
/// erase-line and cursor-up sequences indicatif uses; other escape sequences ignored.
fn screen(raw: &str) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
                if lines.len() <= row {
                    lines.push(Vec::new());
                }
            }
            '\u{1b}' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut params = String::new();
                let mut end = ' ';
                for p in chars.by_ref() {
                    if p.is_ascii_alphabetic() || p == '~' {
                        end = p;
                        break;
                    }
                    params.push(p);
                }
                let n: usize = params.trim_start_matches('?').parse().unwrap_or(1);
                match end {
                    'K' if params == "2" => lines[row].clear(),
                    'K' => lines[row].truncate(col),
                    'A' => row = row.saturating_sub(n),
                    'B' => row = (row + n).min(lines.len() - 1),
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                let line = &mut lines[row];
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    lines.into_iter().map(|l| l.into_iter().collect()).collect()
}

#[test]
fn screen_emulation() {
    assert_eq!(
        screen("bar 1\r\u{1b}[2Krow\r\nbar 2\r\u{1b}[2Kdone\r\n"),
        ["row", "done", ""]
    );
    assert_eq!(screen("bar 1row\r\n"), ["bar 1row", ""]);
}

/// On a terminal the progress bar and the table rows share the screen: every row must be a
/// line of its own, never written onto the bar's line (`script` gives the scan a pseudo-
/// terminal for stdout and stderr).
#[test]
fn table_rows_never_land_on_the_progress_bar_line() {
    let plain = keytrail()
        .args(["scan", "--format", "table", "--quiet", "events/trail"])
        .output()
        .unwrap();
    let rows: Vec<String> = String::from_utf8_lossy(&plain.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(rows.len() > 3, "{rows:?}");
    let command = format!(
        "'{}' scan --format table --progress always -j 1 events/trail",
        env!("CARGO_BIN_EXE_keytrail")
    );
    for _ in 0..3 {
        let out = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(repo())
            .stdin(Stdio::null())
            .output()
            .expect("`script` (util-linux) runs the scan under a pseudo-terminal");
        let raw = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{raw}");
        assert!(raw.contains("KiB/"), "the bar was never drawn: {raw:?}");
        let screen = screen(&raw);
        for row in &rows {
            assert!(
                screen.iter().any(|l| l.trim_end() == row.trim_end()),
                "row not on a line of its own: {row:?}\nscreen: {screen:#?}\nraw: {raw:?}"
            );
        }
    }
}

/// Symlinks inside a scanned directory were dropped silently ("scanned 0 objects", exit 0).
/// They are followed, to files and directories; a loop and a broken link are skipped, named,
/// and counted in the summary.
#[cfg(unix)]
#[test]
fn symlinks_inside_directories_are_followed_and_counted() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let (root, elsewhere) = (dir.path().join("root"), dir.path().join("elsewhere"));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let trail = repo().join("events/trail");
    let object = |n: &str| {
        std::fs::read_dir(&trail)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains(n))
            .unwrap()
    };
    // 0001: three alerts, in a directory linked in; 0003: two, a file linked in.
    std::fs::copy(object("keytraildemo0001"), elsewhere.join("0001.json.gz")).unwrap();
    symlink(&elsewhere, root.join("linked-day")).unwrap();
    symlink(object("keytraildemo0003"), root.join("0003.json.gz")).unwrap();
    symlink(&root, root.join("loop")).unwrap();
    symlink(dir.path().join("gone.json"), root.join("dangling.json")).unwrap();

    let out = keytrail()
        .args(["scan", "--format", "jsonl"])
        .arg(&root)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(alerts(&out).len(), 5, "{err}");
    assert!(err.contains("scanned 2 objects"), "{err}");
    assert!(
        err.contains("skipped 2 (broken symlink: 1, symlink loop: 1)"),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("loop: skipped: symlink loop")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("dangling.json: skipped: broken symlink")),
        "{err}"
    );
}
