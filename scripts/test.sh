#!/usr/bin/env bash
# Install Corridor with its test dependencies (into .venv, created if missing) and run the tests.
# The default run skips tests marked "slow" (full-scale runs); with CI=true they run too.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k scenario`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
.venv/bin/ruff check src tests scripts
if [ "${CI:-}" = "true" ]; then
  exec .venv/bin/python -m pytest -m "slow or not slow" "$@"
else
  exec .venv/bin/python -m pytest "$@"
fi
