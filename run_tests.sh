#!/usr/bin/env bash
# The test suite (CPU). Installs what it needs into ./.venv on first run.
#   ./run_tests.sh                 all tests, two workers
#   ./run_tests.sh -k operator     pytest arguments pass through
set -euo pipefail
cd "$(dirname "$0")"
REGNET_NEED=tests source scripts/env.sh
workers=(-n "${REGNET_TEST_WORKERS:-2}")
for a in "$@"; do [[ "$a" == "-n" || "$a" == -n* ]] && workers=(); done
exec "$PY" -m pytest "${workers[@]}" "$@"
