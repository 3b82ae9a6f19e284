#!/usr/bin/env bash
# Creates or refreshes the project venv (.venv) with moto_server and cargo-lambda.
# Idempotent and quick when nothing changed: it reinstalls only when requirements.txt did.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
req="$root/infra/local/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/moto_server" && -x "$venv/bin/cargo-lambda" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "venv ready: $venv (moto_server, cargo-lambda)" >&2
