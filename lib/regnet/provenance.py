"""Where things come from: the project's own files, the commit, the device in words.

These are the facts that provenance records are made of: a run's (`run_provenance` in
engine/runfolder.py, kept in its params.yaml) and a report's (`report_provenance` in
report/notebook.py, its provenance table).

From a checkout (the usual way: `pip install -e .`, Colab, PYTHONPATH=lib) the profiles in
`params/` and the notebooks in `notebooks/` are read where they are, and runs and reports
are written beside them. From an installed wheel (`pip install .`) the same files come from
the package (`regnet.assets.params`, `regnet.assets.notebooks`, see pyproject.toml), and
runs and reports go under the current folder.
"""
from __future__ import annotations

import importlib.resources
import os
import platform
import subprocess
from pathlib import Path

_SOURCE = Path(__file__).resolve().parents[2]
CHECKOUT = (_SOURCE / "pyproject.toml").is_file() and (_SOURCE / "params").is_dir()
#: Where relative paths, runs/ and reports/ are anchored: the checkout, or the current folder.
ROOT = _SOURCE if CHECKOUT else Path.cwd()


def asset(kind: str) -> Path:
    """The folder of the project's `params` (profiles, experiments) or `notebooks`."""
    if kind not in ("params", "notebooks"):
        raise ValueError(f"no asset folder {kind!r}")
    if CHECKOUT:
        return _SOURCE / kind
    return Path(str(importlib.resources.files("regnet"))) / "assets" / kind


def git_state() -> tuple[str | None, bool]:
    """(HEAD commit, whether tracked files have changes); (None, False) outside a checkout."""
    def git(*args):
        try:
            r = subprocess.run(["git", *args], cwd=_SOURCE, capture_output=True, text=True,
                               timeout=10)
            return r.stdout.strip() if r.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None
    commit = git("rev-parse", "HEAD")
    return commit, bool(commit and git("status", "--porcelain", "--untracked-files=no"))


def describe_device(device) -> str:
    """`cuda:0 (NVIDIA H100 80GB HBM3)` or `cpu (x86_64, 2 cores, 2 threads)`."""
    import torch  # only here: run_all.sh's renderer imports this module and never needs torch
    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return (f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{torch.get_num_threads()} threads)")
