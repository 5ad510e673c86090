#!/usr/bin/env bash
# Regenerate every report: papermill runs the notebooks, nbconvert and Chromium render them.
#   ./run_all.sh                          quick profile (CPU demo, synthetic data)
#   ./run_all.sh --profile course         the real reproduction (GPU, course data)
#   ./run_all.sh --profile tiny           the course recipe on Tiny ImageNet (GPU, real photos)
#   ./run_all.sh --only 02_train          one report (or several, comma-separated)
# Reports land in reports/<profile>/ (.ipynb, .html, .pdf); training runs in runs/<profile>/
# are reused. Installs what it needs into ./.venv on first run.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/env.sh
exec "$PY" -m regnet reports "$@"
