#!/usr/bin/env bash
# Installs the official Python `openai` SDK into <repo>/.venv for test/python/python-sdk.test.ts
# (.ci/run calls it before the tests). Idempotent: when .venv already imports openai it only prints
# the version; otherwise it (re)creates the venv as needed and runs pip.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.venv
PY="$VENV/bin/python"

fail() {
  echo "reelay: cannot install the Python openai SDK ($1): the Python SDK tests need it" >&2
  exit 1
}
# The last line of a log, squeezed onto one line, for the message.
last_line() { grep -v '^[[:space:]]*$' "$1" | tail -n 1 | tr -s '[:space:]' ' ' | sed 's/ *$//' | cut -c1-300; }

if version="$("$PY" -c 'import openai; print(openai.__version__)' 2>/dev/null)"; then
  echo "python openai $version"
  exit 0
fi

command -v python3 >/dev/null 2>&1 || fail "python3 is not on the PATH"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# A missing venv, or one without a working pip (e.g. created before python3-venv was installed): rebuild it.
if [ ! -x "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
  python3 -m venv --clear "$VENV" >"$log" 2>&1 || fail "python3 -m venv failed: $(last_line "$log")"
fi
"$VENV/bin/pip" install --quiet --retries 1 "openai>=3,<4" >"$log" 2>&1 || fail "pip install openai failed: $(last_line "$log")"

version="$("$PY" -c 'import openai; print(openai.__version__)' 2>"$log")" \
  || fail "import openai fails in $VENV after pip install: $(last_line "$log")"
echo "python openai $version"
