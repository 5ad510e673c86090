"""Colab, the first way in: what a notebook's first cell does after cloning the repository.

The first cell clones the repository, puts its lib/ on sys.path and calls `setup(repo)`, so
the next cell's `import regnet` works in the same kernel: nothing is installed in editable
mode, so nothing asks for a restart. `setup` installs only what Colab lacks and moves into
the notebooks folder. In Colab with a GPU the notebooks default to the course profile
(`default_profile`), and a DATA_DIR under /content/drive mounts Google Drive first
(`mount_drive_for`), so the course data is downloaded once and kept there.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

#: Import name -> pip name of every runtime requirement (requirements.txt) a notebook needs.
NEEDED = {"torch": "torch", "torchvision": "torchvision", "numpy": "numpy", "PIL": "pillow",
          "yaml": "pyyaml", "tqdm": "tqdm", "pandas": "pandas", "matplotlib": "matplotlib",
          "jinja2": "jinja2"}
DRIVE = "/content/drive"


def in_colab() -> bool:
    """Whether this kernel runs in Colab (Colab imports google.colab before any cell)."""
    return "google.colab" in sys.modules


def missing() -> list[str]:
    """The pip names of requirements this Python cannot import."""
    return [pip for module, pip in NEEDED.items() if importlib.util.find_spec(module) is None]


def setup(repo: str | Path) -> Path:
    """Make `import regnet` work from the clone in `repo` in this kernel; return its lib/."""
    repo = Path(repo).resolve()
    lib = str(repo / "lib")
    if lib not in sys.path:
        sys.path.insert(0, lib)
    need = missing()
    if need:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *need], check=True)
    os.chdir(repo / "notebooks")
    return repo / "lib"


def default_profile() -> str:
    """course in Colab with a GPU (the real run), quick anywhere else."""
    if in_colab():
        import torch  # here, not at the top: the first cell imports this module before setup()
        if torch.cuda.is_available():
            return "course"
    return "quick"


def mount_drive_for(data_dir: str | None) -> bool:
    """Mount Google Drive when DATA_DIR lies on it in Colab; True when it was mounted now."""
    if not (in_colab() and data_dir and str(data_dir).startswith(DRIVE + "/")):
        return False
    if os.path.ismount(DRIVE) or Path(DRIVE, "MyDrive").is_dir():
        return False
    from google.colab import drive  # exists only in Colab
    drive.mount(DRIVE)
    return True
