#!/usr/bin/env bash
# Regenerate every report: papermill runs the notebooks, nbconvert renders HTML and PDF.
# The notebooks are not in the repository yet; this prints the plan and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")"
cat >&2 <<'MSG'
run_all.sh: the notebooks are not built yet. When they are, this script will:
  1. set up ./.venv (as ./run_tests.sh does),
  2. run notebooks/*.ipynb with papermill into reports/<profile>/ (quick by default),
  3. render each to HTML and PDF.
MSG
exit 1
