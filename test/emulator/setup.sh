#!/usr/bin/env bash
# Creates or refreshes .venv-emulator/ at the repo root for the moto-based AWS emulator.
# Idempotent: does nothing when the venv exists and was installed from the current
# requirements.txt (sha256 stamp inside the venv). Quiet on success, loud on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-emulator"
requirements="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() {
  echo "emulator setup failed: $1 (output below)" >&2
  cat "$log" >&2
  exit 1
}

# A venv built from an older requirements file may hold packages the new one dropped.
rm -rf "$venv"
"$python" -m venv "$venv" >"$log" 2>&1 || fail "$python -m venv $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
  >>"$log" 2>&1 || fail "pip upgrade"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" \
  >>"$log" 2>&1 || fail "pip install -r $requirements"
"$venv/bin/python" -c "import moto.server" >>"$log" 2>&1 || fail "import moto.server"
echo "$want" >"$stamp"
