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
# the browser tests drive Debian's chromium; install it where we may (root, apt), else they are skipped
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; the browser tests will be skipped" >&2
  else
    echo "warning: chromium is not installed (apt-get install chromium); the browser tests will be skipped" >&2
  fi
fi
.venv/bin/ruff check src tests scripts
if [ "${CI:-}" = "true" ]; then
  exec .venv/bin/python -m pytest -m "slow or not slow" "$@"
else
  exec .venv/bin/python -m pytest "$@"
fi
