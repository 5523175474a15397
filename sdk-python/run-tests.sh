#!/usr/bin/env bash
# The Python SDK's tests, against a real server on 127.0.0.1 (`npm run build` first: they start
# `node server/dist/cli/index.js serve`). Standard library unittest; Debian's python3-pytest runs the
# same files (`python3 -m pytest sdk-python/tests`). Extra arguments pick tests:
#   sdk-python/run-tests.sh test_transport test_gates.Gates
set -euo pipefail
cd "$(dirname "$0")/tests"
# Debian's interpreter by default (what .ci/run installs packages for), not a pyenv shim on PATH.
if [ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; fi
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else "the Python SDK needs Python 3.9 or newer")'
if [ "$#" -gt 0 ]; then
  exec "$PY" -m unittest "$@"
fi
exec "$PY" -m unittest discover -s . -p 'test_*.py'
