"""Colab, the first way in: the notebooks' first cell, run with a stand-in google.colab module
and a local clone, makes `import regnet` work in the same process, without a restart."""
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import nbformat
import pytest

from regnet import colab

ROOT = Path(__file__).resolve().parents[1]
URL = "https://github.com/regnet-lab/regnet-course-lab"
CLONE = "/content/regnet-course-lab"


def first_cell(name="02_train"):
    nb = nbformat.read(str(ROOT / "notebooks" / f"{name}.ipynb"), as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code").source


@pytest.mark.skipif(subprocess.run(["git", "-C", str(ROOT), "rev-parse"],
                                   capture_output=True).returncode != 0,
                    reason="needs the repository's git history to clone")
def test_first_cell_clones_and_the_next_cell_imports_regnet_in_the_same_kernel(tmp_path):
    source = tmp_path / "origin"  # a local clone stands in for GitHub
    subprocess.run(["git", "clone", "-q", str(ROOT), str(source)], check=True)
    target = tmp_path / "content" / "regnet-course-lab"
    cell = first_cell().replace(URL, str(source)).replace(CLONE, str(target))
    program = textwrap.dedent(f"""
        import sys, types, os
        sys.modules["google"] = types.ModuleType("google")
        sys.modules["google.colab"] = types.ModuleType("google.colab")  # what Colab imports
        exec({cell!r})
        import regnet  # the next cell
        from regnet.report import notebook
        print(regnet.__file__)
        print(os.getcwd())
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no regnet on the path
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    module, cwd = done.stdout.split()[-2:]
    assert Path(module).is_relative_to(target / "lib")
    assert Path(cwd) == target / "notebooks"
    # run again (Run all twice): the clone is reused, not cloned over
    again = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                           cwd=tmp_path, env=env, timeout=300)
    assert again.returncode == 0, again.stderr


def test_every_notebook_has_the_same_first_cell():
    cells = {first_cell(p.stem) for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert len(cells) == 1


def test_outside_colab_the_first_cell_does_nothing(tmp_path):
    before = os.getcwd()
    exec(first_cell(), {})
    assert os.getcwd() == before and not Path(CLONE).exists()


@pytest.fixture
def in_colab(monkeypatch):
    """A stand-in google.colab with a drive.mount that records its calls."""
    mounted = []
    google = types.ModuleType("google")
    fake = types.ModuleType("google.colab")
    fake.drive = types.SimpleNamespace(mount=lambda path: mounted.append(path))
    google.colab = fake
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", fake)
    return mounted


def test_in_colab_with_a_gpu_the_default_profile_is_course(in_colab, monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert colab.default_profile() == "course"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert colab.default_profile() == "quick"


def test_outside_colab_the_default_profile_is_quick(monkeypatch):
    import torch
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert colab.default_profile() == "quick"


def test_a_data_dir_on_google_drive_mounts_the_drive_first(in_colab, monkeypatch):
    monkeypatch.setattr(colab.os.path, "ismount", lambda path: False)
    assert colab.mount_drive_for("/content/drive/MyDrive/regnet-data") is True
    assert in_colab == ["/content/drive"]
    assert colab.mount_drive_for("/tmp/data") is False and colab.mount_drive_for(None) is False
    assert in_colab == ["/content/drive"]
