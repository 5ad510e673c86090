"""The run folder: what a training run writes, and the rules for reusing one.

    metrics.jsonl    one JSON object per epoch (epoch counts from 1)
    params.yaml      {params: resolved values, network: the spec, provenance: commit, date, ...}
    last.pt, best.pt checkpoints (see checkpoint.py)

A folder that holds a run is never overwritten: `train --out` refuses it without FILE_LOAD=1,
and `prepare_rerun` (notebooks, sweeps) resumes a run of the same parameters or moves a run
of other parameters aside. Only rank 0 writes.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Mapping

import torch
import yaml

from .. import files
from ..arch.space import NetSpec, spec_to_dict
from ..errors import ParamError
from ..params import check_all, defaults, identity, total_epochs
from ..provenance import describe_device, git_state
from .checkpoint import load_checkpoint, save


def check_run_folder(out: Path | None, values: Mapping[str, Any], proc) -> dict | None:
    """Fail early on a bad --out or FILE_LOAD; return the checkpoint to resume from, if any."""
    if out is None:
        if values["FILE_LOAD"]:
            raise ParamError("FILE_LOAD=1 needs --out DIR: the run folder that holds last.pt")
        return None
    if out.exists() and not out.is_dir():
        raise ParamError(f"--out {out} is a file; give a folder for the run")
    if proc.rank == 0:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ParamError(f"--out {out}: cannot create the folder ({e.strerror})") from None
        if not os.access(out, os.W_OK):
            raise ParamError(f"--out {out} is not writable")
    if not values["FILE_LOAD"]:
        done = len(read_metrics(out)) if (out / "metrics.jsonl").is_file() else 0
        if done or (out / "last.pt").exists():
            raise ParamError(f"--out {out} already holds a run ({done} epochs); FILE_LOAD=1 "
                             "resumes it, or choose another folder (nothing was overwritten)")
        return None
    last = out / "last.pt"
    if not last.is_file():
        raise ParamError(f"FILE_LOAD=1 but {last} does not exist; run without FILE_LOAD to "
                         "start afresh")
    return load_checkpoint(last)


class RunFolder:
    """What rank 0 writes: params.yaml, metrics.jsonl, last.pt and best.pt."""

    def __init__(self, out: Path, values, spec, ds, proc):
        self.out, self.values, self.spec, self.ds, self.proc = out, values, spec, ds, proc

    def start(self, history: list[dict]) -> None:
        """Write params.yaml and metrics.jsonl as of the checkpoint (empty for a new run)."""
        record = {"params": dict(self.values), "network": spec_to_dict(self.spec),
                  "provenance": provenance(self.ds, self.proc)}
        files.write_text(self.out / "params.yaml", yaml.safe_dump(record, sort_keys=False))
        # a run killed between saving last.pt and appending its line resumes consistently
        files.write_text(self.out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in history))

    def append(self, row: dict) -> None:
        with open(self.out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def save(self, ckpt: dict, best: bool) -> None:
        save(ckpt, self.out / "last.pt")
        if best:
            files.copy(self.out / "last.pt", self.out / "best.pt")





def provenance(ds, proc) -> dict:
    """Where and from what a run came: commit, date, device, versions, dataset."""
    commit, dirty = git_state()
    return {
        "git_commit": commit, "git_dirty": dirty,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": describe_device(proc.device), "processes": proc.world,
        "cpus": os.cpu_count(),  # the scale of the load average in metrics.jsonl
        "torch": str(torch.__version__), "python": platform.python_version(),
        "dataset": {"name": ds.name, "train": len(ds.train_y), "test": len(ds.test_y),
                    "classes": ds.num_classes, "crop": ds.crop},
        "command": " ".join(sys.argv),
    }


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The per-epoch rows of a run folder's metrics.jsonl (empty if there is none)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def same_run(run_dir: str | Path, values: Mapping[str, Any],
             spec: NetSpec | None = None) -> bool:
    """Whether `run_dir` holds a run (finished or not) of these parameters (and this spec)."""
    path = Path(run_dir) / "params.yaml"
    if not path.is_file():
        return False
    record = yaml.safe_load(path.read_text()) or {}
    # a parameter added to the vocabulary after the run was saved counts at its default
    saved, wanted = {**defaults(), **record.get("params", {})}, check_all(values)
    if identity(saved) != identity(wanted):
        return False
    return spec is None or record.get("network") == spec_to_dict(spec)


def is_finished(run_dir: str | Path, values: Mapping[str, Any],
                spec: NetSpec | None = None) -> bool:
    """Whether `run_dir` holds a completed run of these parameters (and this spec, if given)."""
    if not same_run(run_dir, values, spec):
        return False
    rows = read_metrics(run_dir)
    return bool(rows) and rows[-1]["epoch"] == total_epochs(check_all(values))


def prepare_rerun(out: str | Path, values: Mapping[str, Any],
                  spec: NetSpec | None = None, log=print) -> dict:
    """The values for training into `out` again, without losing what it holds.

    A run of the same parameters continues from its last.pt (FILE_LOAD=1); one without a
    checkpoint starts afresh (it would retrace the same steps); a run of other parameters is
    moved aside to `<out>.replaced-<time>`, never deleted.
    """
    out = Path(out)
    values = {**values, "FILE_LOAD": False}
    if not (out / "metrics.jsonl").exists() and not (out / "last.pt").exists():
        return values
    if same_run(out, values, spec):
        if (out / "last.pt").is_file():
            log(f"resuming the unfinished run in {out}")
            return {**values, "FILE_LOAD": True}
        (out / "metrics.jsonl").unlink()
        return values
    aside = out.with_name(f"{out.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
    out.rename(aside)
    log(f"moved a run of other parameters from {out} to {aside}")
    return values
