//! Expanding the paths given on the command line into the objects to scan.

use std::fs;
use std::path::{Path, PathBuf};

use keytrail_aws::event::ObjectRef;

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
    /// The name used in output and errors.
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

/// What walking found: the targets, and the paths that could not be used (with the reason).
#[derive(Debug, Default)]
pub struct Walk {
    /// Objects to scan, in a stable order: arguments in order, directory contents sorted.
    pub targets: Vec<Target>,
    /// Paths that do not exist or cannot be read.
    pub errors: Vec<String>,
    /// Files inside directories passed over because of their name.
    pub skipped: u64,
}

/// True for a file inside a directory that is worth reading as a trail object.
pub fn looks_like_trail_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !lower.contains("cloudtrail-digest")
        && [
            ".json",
            ".json.gz",
            ".jsonl",
            ".ndjson",
            ".gz",
            ".jsonl.gz",
            ".ndjson.gz",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Expands local `paths`: files as given, directories recursively (`s3://` URIs are listed
/// elsewhere and passed over here).
pub fn walk(paths: &[String]) -> Walk {
    let mut out = Walk::default();
    for arg in paths.iter().filter(|p| !p.starts_with("s3://")) {
        if arg == "-" {
            out.targets.push(Target::Stdin);
            continue;
        }
        let path = Path::new(arg);
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut out),
            Ok(meta) => out
                .targets
                .push(Target::File(path.to_path_buf(), meta.len())),
            Err(e) => out.errors.push(format!("{arg}: {e}")),
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Walk) {
    // An explicit stack: no recursion depth limit, and symlinked directories are not followed
    // (fs::metadata on entries would follow them into loops).
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = match fs::read_dir(&dir) {
            Ok(entries) => entries.filter_map(Result::ok).collect(),
            Err(e) => {
                out.errors.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                subdirs.push(path);
            } else if kind.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if looks_like_trail_file(&name) {
                    let size = entry.metadata().map_or(0, |m| m.len());
                    out.targets.push(Target::File(path, size));
                } else {
                    out.skipped += 1;
                }
            }
        }
        // Reverse so the stack pops subdirectories in sorted order.
        stack.extend(subdirs.into_iter().rev());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_file_names() {
        for (name, want) in [
            ("123_CloudTrail_us-east-1_20240101T0000Z_abc.json.gz", true),
            ("events.json", true),
            ("x.ndjson", true),
            ("x.jsonl.gz", true),
            (
                "123_CloudTrail-Digest_us-east-1_20240101T0000Z.json.gz",
                false,
            ),
            ("README.md", false),
            ("notes.txt", false),
        ] {
            assert_eq!(looks_like_trail_file(name), want, "{name}");
        }
    }

    #[test]
    fn walks_sorted_recursively_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/deeper")).unwrap();
        fs::create_dir_all(root.join("a")).unwrap();
        for f in [
            "b/deeper/3.json.gz",
            "b/2.json",
            "a/1.json",
            "a/skip.txt",
            "0.json",
        ] {
            fs::write(root.join(f), b"{}").unwrap();
        }
        let missing = root.join("missing").display().to_string();
        let w = walk(&[root.display().to_string(), missing.clone()]);
        let names: Vec<String> = w
            .targets
            .iter()
            .map(|t| {
                t.name()
                    .trim_start_matches(&root.display().to_string())
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names,
            ["/0.json", "/a/1.json", "/b/2.json", "/b/deeper/3.json.gz"]
        );
        assert_eq!(w.skipped, 1);
        assert_eq!(w.errors.len(), 1);
        assert!(w.errors[0].starts_with(&missing), "{:?}", w.errors);
    }
}
