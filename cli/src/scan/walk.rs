//! Expanding local paths into the objects to scan: files as given, directories recursively.
//!
//! Symlinks inside a directory are followed, to files and to directories, as `find -L` does:
//! trail archives are often trees of links (a `latest` link, days linked in from another disk).
//! Each directory and file is identified by device and inode, so that nothing is scanned twice
//! and nothing loops:
//! - a link to a directory that contains it is a loop: skipped and named on stderr;
//! - a directory or file reached again through another path (a second link, a hard link) is
//!   skipped: the first path in sorted order is the one scanned;
//! - a link whose target does not exist (or that points at itself through other links) is
//!   skipped and named on stderr;
//! - sockets, FIFOs and devices inside a directory are skipped.
//!
//! Every skip is counted by reason ([`Skips`]) for the summary; entries that cannot be read are
//! errors (the scan then exits 2). The walk uses an explicit stack, so depth is not limited by
//! the thread's stack. Each argument is walked on its own: naming a directory twice scans it
//! twice, as naming a file twice does.

use std::collections::HashSet;
use std::fs::{self, DirEntry, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use super::target::{name_skip, Skip, Skips, Target};

/// What walking found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Objects to scan, in a stable order: arguments in order, directory contents sorted.
    pub targets: Vec<Target>,
    /// Paths that do not exist or cannot be read (raw: escape before printing).
    pub errors: Vec<String>,
    /// What was passed over, by reason.
    pub skips: Skips,
    /// One line per skip worth naming (broken links, loops), raw.
    pub notes: Vec<String>,
}

/// Expands local `paths` (`s3://` URIs are listed elsewhere and passed over here).
pub fn walk(paths: &[String]) -> Walk {
    let mut out = Walk::default();
    for arg in paths.iter().filter(|p| !p.starts_with("s3://")) {
        if arg == "-" {
            out.targets.push(Target::Stdin);
            continue;
        }
        let path = Path::new(arg);
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &meta, &mut out),
            Ok(meta) => out
                .targets
                .push(Target::File(path.to_path_buf(), meta.len())),
            Err(e) => out.errors.push(format!("{arg}: {e}")),
        }
    }
    out
}

/// Identity of a file or directory, whatever path reached it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    /// Device and inode.
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path, where there are no inodes.
    #[cfg(not(unix))]
    Path(PathBuf),
}

#[cfg(unix)]
fn file_id(_path: &Path, meta: &Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId::Inode(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(path: &Path, _meta: &Metadata) -> FileId {
    FileId::Path(fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// True when `e` says a chain of links loops (ELOOP).
fn is_link_loop(e: &io::Error) -> bool {
    const ELOOP: i32 = if cfg!(target_os = "linux") { 40 } else { 62 };
    cfg!(unix) && e.raw_os_error() == Some(ELOOP)
}

/// A directory waiting to be read, with the directories it is inside (itself included).
struct Pending {
    path: PathBuf,
    ancestors: Vec<FileId>,
}

fn walk_dir(root: &Path, meta: &Metadata, out: &mut Walk) {
    let id = file_id(root, meta);
    let mut seen = HashSet::from([id.clone()]);
    let mut stack = vec![Pending {
        path: root.to_path_buf(),
        ancestors: vec![id],
    }];
    while let Some(dir) = stack.pop() {
        let mut entries = Vec::new();
        match fs::read_dir(&dir.path) {
            Ok(read) => {
                for entry in read {
                    match entry {
                        Ok(entry) => entries.push(entry),
                        Err(e) => out.errors.push(format!("{}: {e}", dir.path.display())),
                    }
                }
            }
            Err(e) => {
                out.errors.push(format!("{}: {e}", dir.path.display()));
                continue;
            }
        }
        entries.sort_by_key(DirEntry::file_name);
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let Some(meta) = entry_metadata(&entry, &path, out) else {
                continue;
            };
            if meta.is_dir() {
                let id = file_id(&path, &meta);
                if dir.ancestors.contains(&id) {
                    out.skips.add(Skip::SymlinkLoop, 1);
                    out.notes.push(format!(
                        "{}: skipped: symlink loop (it leads back to a directory that contains it)",
                        path.display()
                    ));
                } else if seen.insert(id.clone()) {
                    let mut ancestors = dir.ancestors.clone();
                    ancestors.push(id);
                    subdirs.push(Pending { path, ancestors });
                } else {
                    out.skips.add(Skip::Duplicate, 1);
                }
            } else if meta.is_file() {
                if let Some(why) = name_skip(&entry.file_name().to_string_lossy()) {
                    out.skips.add(why, 1);
                } else if seen.insert(file_id(&path, &meta)) {
                    out.targets.push(Target::File(path, meta.len()));
                } else {
                    out.skips.add(Skip::Duplicate, 1);
                }
            } else {
                out.skips.add(Skip::NotAFile, 1);
            }
        }
        // Reverse so the stack pops subdirectories in sorted order.
        stack.extend(subdirs.into_iter().rev());
    }
}

/// The metadata of what `entry` is or links to; `None` (counted or noted in `out`) when it
/// cannot be used. A regular file named like no trail object is passed over without a stat.
fn entry_metadata(entry: &DirEntry, path: &Path, out: &mut Walk) -> Option<Metadata> {
    let kind = match entry.file_type() {
        Ok(kind) => kind,
        Err(e) => {
            out.errors.push(format!("{}: {e}", path.display()));
            return None;
        }
    };
    let meta = if kind.is_symlink() {
        // The link's target (stat follows every link in the chain).
        match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound || is_link_loop(&e) => {
                out.skips.add(Skip::BrokenSymlink, 1);
                out.notes
                    .push(format!("{}: skipped: broken symlink ({e})", path.display()));
                return None;
            }
            other => other,
        }
    } else if kind.is_file() {
        if let Some(why) = name_skip(&entry.file_name().to_string_lossy()) {
            out.skips.add(why, 1);
            return None;
        }
        entry.metadata()
    } else if kind.is_dir() {
        entry.metadata()
    } else {
        out.skips.add(Skip::NotAFile, 1);
        return None;
    };
    meta.map_err(|e| out.errors.push(format!("{}: {e}", path.display())))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(w: &Walk, root: &Path) -> Vec<String> {
        let root = root.display().to_string();
        w.targets
            .iter()
            .map(|t| t.name().trim_start_matches(&root).to_owned())
            .collect()
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
            "a/x_CloudTrail-Digest_y.json.gz",
            "0.json",
        ] {
            fs::write(root.join(f), b"{}").unwrap();
        }
        let missing = root.join("missing").display().to_string();
        let w = walk(&[root.display().to_string(), missing.clone()]);
        assert_eq!(
            names(&w, root),
            ["/0.json", "/a/1.json", "/b/2.json", "/b/deeper/3.json.gz"]
        );
        assert_eq!(w.skips.count(Skip::Name), 1);
        assert_eq!(w.skips.count(Skip::Digest), 1);
        assert_eq!(w.errors.len(), 1);
        assert!(w.errors[0].starts_with(&missing), "{:?}", w.errors);
        assert!(w.notes.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn follows_symlinks_once_and_skips_loops_and_broken_links() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let (root, elsewhere) = (dir.path().join("root"), dir.path().join("elsewhere"));
        fs::create_dir_all(root.join("days")).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        fs::write(root.join("days/1.json"), b"{}").unwrap();
        fs::write(elsewhere.join("2.json"), b"{}").unwrap();
        fs::write(elsewhere.join("3.json"), b"{}").unwrap();
        // A directory and a file outside the tree, linked in.
        symlink(&elsewhere, root.join("linked-dir")).unwrap();
        symlink(elsewhere.join("3.json"), root.join("linked.json")).unwrap();
        // The same day again, through a second link: scanned once.
        symlink(root.join("days"), root.join("latest")).unwrap();
        symlink(root.join("days/1.json"), root.join("days/current.json")).unwrap();
        // Loops: a link to the root, and two links pointing at each other.
        symlink(&root, root.join("days/up")).unwrap();
        symlink(root.join("b.json"), root.join("a.json")).unwrap();
        symlink(root.join("a.json"), root.join("b.json")).unwrap();
        symlink(root.join("gone.json"), root.join("dangling.json")).unwrap();

        let w = walk(&[root.display().to_string()]);
        assert_eq!(
            names(&w, &root),
            ["/linked.json", "/days/1.json", "/linked-dir/2.json"],
            "{w:?}"
        );
        assert_eq!(w.skips.count(Skip::SymlinkLoop), 1, "{w:?}");
        assert_eq!(w.skips.count(Skip::BrokenSymlink), 3, "{w:?}");
        // A directory's files come before its subdirectories: linked.json is 3.json's first
        // path; then days/current.json (1.json again), latest (days again), linked-dir/3.json.
        assert_eq!(w.skips.count(Skip::Duplicate), 3, "{w:?}");
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        assert_eq!(w.notes.len(), 4, "{:?}", w.notes);
        assert!(w
            .notes
            .iter()
            .any(|n| n.contains("days/up: skipped: symlink loop")));
    }
}
