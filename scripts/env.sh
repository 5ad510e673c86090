# Sourced by run_tests.sh and run_all.sh: pick the Python that has the requirements.
#
# 1. Inside an environment that already has them (Colab, an activated venv or conda env),
#    use it as it is, with lib/ on PYTHONPATH. run_all.sh needs requirements.txt;
#    run_tests.sh (REGNET_NEED=tests) requirements-dev.txt too. jupyterlab is left out of
#    the check: neither script uses it, and Colab (which has none) must not build a venv.
# 2. Otherwise use ./.venv, creating it and installing requirements-dev.txt and this package
#    on first run; later runs check a stamp of the requirement files and start at once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ_FILES=("$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/pyproject.toml")

has_requirements() {  # $1: a python; true when it imports what this script needs
  REGNET_NEED="${REGNET_NEED:-run}" "$1" - <<'PY' 2>/dev/null
import importlib.util, os, sys
need = ["torch", "torchvision", "numpy", "PIL", "yaml", "tqdm", "pandas", "matplotlib",
        "papermill", "nbconvert", "ipykernel"]
if os.environ["REGNET_NEED"] == "tests":  # run_tests.sh: requirements-dev.txt as well
    need += ["pytest", "xdist", "jupytext", "timm", "safetensors", "submitit", "ray"]
sys.exit(0 if all(importlib.util.find_spec(m) for m in need) else 1)
PY
}

if [[ -z "${REGNET_FORCE_VENV:-}" && ( -n "${VIRTUAL_ENV:-}" || -n "${CONDA_PREFIX:-}" || -n "${COLAB_RELEASE_TAG:-}" ) ]] \
    && [[ "${VIRTUAL_ENV:-}" != "$ROOT/.venv" ]] && has_requirements python3; then
  PY="$(command -v python3)"
  export PYTHONPATH="$ROOT/lib${PYTHONPATH:+:$PYTHONPATH}"
else
  VENV="$ROOT/.venv"
  STAMP="$VENV/.requirements.sha"
  want="$(cat "${REQ_FILES[@]}" | sha256sum | cut -d' ' -f1)"
  if [[ ! -x "$VENV/bin/python" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
    echo "setting up $VENV (first run; later runs start at once)" >&2
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements-dev.txt" >&2
    "$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT" >&2
    echo "$want" > "$STAMP"
  fi
  PY="$VENV/bin/python"
  export PATH="$VENV/bin:$PATH"
fi
export PY
