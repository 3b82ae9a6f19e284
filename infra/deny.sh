#!/usr/bin/env bash
# `make deny`: cargo-deny's licence, ban and source checks, and its advisories check against the
# offline RustSec snapshot beside the repository (../shared/advisory-db), since the project's
# machines cannot reach GitHub to fetch the database. cargo-deny comes from .venv-checks
# (infra/checks-requirements.txt).
#
# cargo-deny keeps each advisory database in `<db-path>/advisory-db-<hash of its URL>` as a git
# checkout; the snapshot is unpacked there once (again when the snapshot changes) and committed
# with the snapshot's date, so that the database's age is the snapshot's. The snapshot's date is
# printed with the result: an advisory published after it is not known here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
deny="$root/.venv-checks/bin/cargo-deny"
[[ -x "$deny" ]] || { echo "make deny: $deny is missing; run make checks-venv" >&2; exit 1; }

snapshot="$(ls "$root"/../shared/advisory-db/rustsec-advisory-db-*.tar.gz 2>/dev/null | sort | tail -n 1 || true)"
[[ -n "$snapshot" ]] || {
  echo "make deny: no RustSec snapshot in ../shared/advisory-db (rustsec-advisory-db-DATE.tar.gz); the advisories check cannot run offline" >&2
  exit 1
}
date="$(basename "$snapshot" .tar.gz)"
date="${date#rustsec-advisory-db-}"

work="${CARGO_TARGET_DIR:-$root/target}/advisory-db"
db="$work/advisory-db-3157b0e258782691" # cargo-deny's directory for github.com/RustSec/advisory-db
stamp="$work/snapshot.sha256"
want="$(sha256sum "$snapshot" | cut -d' ' -f1)"
if [[ ! -d "$db/.git" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  rm -rf "$work"
  mkdir -p "$work"
  tar -xzf "$snapshot" -C "$work"
  mv "$work/adb" "$db"
  (
    cd "$db"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="${date}T00:00:00Z" GIT_COMMITTER_DATE="${date}T00:00:00Z" \
      git -c user.name=keytrail -c user.email=keytrail@invalid -c commit.gpgsign=false \
      commit -q -m "RustSec advisory-db snapshot of $date"
  )
  echo "$want" > "$stamp"
fi

# The project's deny.toml with the database pointed at the unpacked snapshot.
config="$work/deny.toml"
sed "s|^\[advisories\]|[advisories]\ndb-path = \"$work\"|" deny.toml > "$config"

# --offline makes cargo metadata use only downloaded crates, so fetch them first (crates.io is
# reachable; only GitHub is not).
cargo fetch --quiet
echo "== cargo-deny $("$deny" --version | cut -d' ' -f2): licences, bans, sources"
"$deny" --config "$config" check --hide-inclusion-graph licenses bans sources
echo "== cargo-deny: advisories against the RustSec snapshot of $date (offline)"
"$deny" --offline --config "$config" check advisories
echo "advisories: none in the RustSec database as of $date"
