#!/usr/bin/env bash
# Guards `make deploy` against shipping a binary built for one architecture to a function declared
# with the other (it would fail every invocation with an exec format error).
#   check-arch.sh --built   print the architecture of the last `sam build` (arm64 or x86_64)
#   check-arch.sh           compare it with Architecture in samconfig.toml (template default: arm64)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.aws-sam/build/TrailProcessor/bootstrap"
[[ -f "$bin" ]] || { echo "check-arch: $bin is missing: run make build" >&2; exit 1; }
case "$(od -An -t u2 -j 18 -N 2 "$bin" | tr -d ' ')" in
  62) built=x86_64 ;;
  183) built=arm64 ;;
  *) echo "check-arch: $bin is not an x86_64 or aarch64 ELF binary" >&2; exit 1 ;;
esac
if [[ "${1:-}" == "--built" ]]; then
  echo "$built"
  exit 0
fi
declared=arm64
config="$root/samconfig.toml"
if [[ -f "$config" ]]; then
  found="$(grep -oE 'Architecture=\\?"?(arm64|x86_64)' "$config" | head -n 1 | grep -oE '(arm64|x86_64)$' || true)"
  declared="${found:-arm64}"
fi
if [[ "$built" != "$declared" ]]; then
  echo "check-arch: the build is $built but the stack's Architecture is $declared;" \
    "run make build ARCH=$declared, or set Architecture=$built in samconfig.toml's parameter_overrides" >&2
  exit 1
fi
