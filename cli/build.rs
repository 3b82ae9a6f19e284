//! Stamps the commit into `keytrail --version` as `KEYTRAIL_COMMIT`: `git rev-parse --short HEAD`
//! when built inside a git checkout, `unknown` otherwise (a source archive, no git installed).
//! Never fails the build. Reruns when HEAD moves (a checkout) or the branch it names moves (a
//! commit), wherever git keeps them (a worktree's HEAD is outside the work tree).

use std::path::Path;
use std::process::Command;

/// What `git ARGS` prints, trimmed; `None` when git is missing, fails or prints nothing.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_owned())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // A build directory shared by several checkouts (CARGO_BUILD_BUILD_DIR) keys this script's
    // output by the package's place in the workspace, not by the checkout, and watches the git
    // files of whichever checkout ran it last: each checkout's own target directory tells them
    // apart, so that none is stamped with another's commit.
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    let commit = git(&["rev-parse", "--short", "HEAD"])
        .filter(|c| c.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=KEYTRAIL_COMMIT={commit}");
    if commit == "unknown" {
        return;
    }
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
        // A branch whose ref is packed moves in packed-refs until git writes it loose.
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
    for path in watched.into_iter().flatten() {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
