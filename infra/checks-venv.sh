#!/usr/bin/env bash
# Creates or refreshes the template-checker venvs: .venv-checks (checkov) and .venv-sam (aws-sam-cli),
# two venvs because their pins clash. Idempotent and quick when nothing changed: each venv is
# reinstalled only when its requirements file did (a stamp holds the file's hash).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

ensure() { # ensure VENV REQUIREMENTS EXECUTABLE
  local venv="$root/$1" req="$root/$2" exe="$3"
  local stamp="$venv/.requirements.sha256" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [[ -x "$venv/bin/$exe" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
  echo "venv ready: $venv ($exe)" >&2
}

# Both at once: a cold install is mostly download and unpack, a few minutes each.
ensure .venv-checks infra/checks-requirements.txt checkov &
checks=$!
ensure .venv-sam infra/sam-requirements.txt sam &
sam=$!
status=0
wait "$checks" || status=$?
wait "$sam" || status=$?
exit "$status"
