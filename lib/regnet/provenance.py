"""Where a number came from: the commit it was computed at and the device, in words."""
from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def git_state() -> tuple[str | None, bool]:
    """(HEAD commit, whether tracked files have changes); (None, False) outside a checkout."""
    def git(*args):
        try:
            r = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                               timeout=10)
            return r.stdout.strip() if r.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None
    commit = git("rev-parse", "HEAD")
    return commit, bool(commit and git("status", "--porcelain", "--untracked-files=no"))


def describe_device(device) -> str:
    """`cuda:0 (NVIDIA H100 80GB HBM3)` or `cpu (x86_64, 2 cores, 2 threads)`."""
    import torch
    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return (f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{torch.get_num_threads()} threads)")
