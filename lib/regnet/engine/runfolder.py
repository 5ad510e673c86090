"""The run folder: what a training run writes, and the rules for reusing one.

    metrics.jsonl    one JSON object per epoch (epoch counts from 1)
    params.yaml      {params: the values as asked, resolved: what PRECISION, CHANNELS_LAST,
                     COMPILE and CUDA_GRAPHS (auto) became here, network: the spec,
                     provenance: commit, date, ...}
    last.pt, best.pt checkpoints (see checkpoint.py)

Any one of those files makes a folder a run, and a run is never overwritten: `train --out`
refuses it without FILE_LOAD=1, and `prepare_rerun` (notebooks, sweeps) resumes a run of the
same parameters or moves a run of other parameters aside. One process owns a run folder at
a time (`lock.py`); only rank 0 writes. Files read back (metrics.jsonl, params.yaml, the
checkpoints) are checked, and a damaged one is refused in one line that names it.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Mapping

import torch
import yaml

from .. import boundedyaml, files, lock
from ..arch.space import NetSpec, spec_from_dict, spec_to_dict
from ..data import data_fingerprint, data_source
from ..errors import ParamError
from ..params import check_all, defaults, identity, total_epochs
from ..provenance import describe_device, git_state
from .checkpoint import checkpoint_bytes, load_checkpoint, row_problem, save


RUN_FILES = ("params.yaml", "metrics.jsonl", "last.pt", "best.pt")


def run_files(out: str | Path) -> list[str]:
    """The files of a run that `out` holds: any one of them makes the folder a run."""
    out = Path(out)
    return [name for name in RUN_FILES if (out / name).exists()]


def own_run_folder(out: Path | None, proc) -> lock.Lock | None:
    """Hold the run folder for this process (rank 0, which alone writes), making it if needed."""
    if out is None or proc.rank != 0:
        return None
    check_only_run_files(out)  # before the lock file: nothing is written into another folder
    return lock.acquire(out, "--out")


#: Besides RUN_FILES, what a run folder may hold: the test-crop cache, a sweep model's sample
#: and result, the lock.
OTHER_FILES = ("test_crops.json", "result.json", "sample.json", lock.LOCK_NAME)


def check_only_run_files(out: Path) -> None:
    """Refuse a folder that is not a run folder: links are resolved, and a folder holding
    anything but a run's files (or the temporary files of its writes) is one line naming
    the first such file, as writing there would mix a run into someone else's files."""
    try:
        real = out.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a link that points back at itself
        raise ParamError(f"--out {out} is a link that loops or cannot be followed; give a "
                         "folder") from None
    if not real.is_dir():
        return  # made afresh (a file or an unwritable place: lock.acquire says so)
    shown = f"--out {out}" + (f" (a link to {real})" if real != out.absolute() else "")
    for entry in sorted(os.scandir(real), key=lambda e: e.name):
        if not _run_file_name(entry.name) or not entry.is_file(follow_symlinks=False):
            raise ParamError(f"{shown} holds {entry.name!r}, which is not a file of a run; a "
                             "run folder is one this project made or an empty one: choose "
                             "another folder (nothing was written)")


def _run_file_name(name: str) -> bool:
    known = RUN_FILES + OTHER_FILES
    return name in known or name.startswith(tuple(files.temporary_prefix(n) for n in known))


def check_run_folder(out: Path | None, values: Mapping[str, Any], proc,
                     spec: NetSpec | None = None) -> dict | None:
    """Fail early on a bad --out or FILE_LOAD; return the checkpoint to resume from, if any.

    Everything here happens before the dataset loads and before any file is written: a
    folder that holds a run, a checkpoint that is not one, and a resume whose result-changing
    parameters differ from the checkpoint's are each one line.
    """
    if out is None:
        if values.run.file_load:
            raise ParamError("FILE_LOAD=1 needs --out DIR: the run folder that holds last.pt")
        return None
    if out.exists() and not out.is_dir():
        raise ParamError(f"--out {out} is a file; give a folder for the run")
    if not values.run.file_load:
        found = run_files(out) if proc.rank == 0 else []
        if found:
            raise ParamError(f"--out {out} already holds a run ({', '.join(found)}; "
                             f"{_epochs_recorded(out)} epochs recorded); FILE_LOAD=1 resumes "
                             "it, or choose another folder (nothing was overwritten)")
        return None
    last = out / "last.pt"
    if not last.is_file():
        raise ParamError(f"FILE_LOAD=1 but {last} does not exist; run without FILE_LOAD to "
                         "start afresh")
    ckpt = load_checkpoint(last)
    check_resume(ckpt, values, spec, last)
    if (out / "params.yaml").is_file():  # a damaged record is rewritten from last.pt
        try:
            why = other_data(read_record(out), values)
        except ParamError:
            why = None
        if why:
            raise ParamError(f"FILE_LOAD=1: {out} holds a run of other data ({why}); resume "
                             "it with its own DATA_DIR, or train into another --out")
    return ckpt


def _epochs_recorded(out: Path) -> str:
    try:
        return str(len(read_metrics(out)))
    except ParamError:
        return "damaged metrics.jsonl, ?"


def check_resume(ckpt: dict, values: Mapping[str, Any], spec: NetSpec | None,
                 path: Path) -> None:
    """Refuse, naming them, result-changing parameters that differ from the checkpoint's."""
    changed = differences(ckpt, values)
    if changed:
        raise ParamError(f"FILE_LOAD=1: {path} was trained with other values of {changed};"
                         " resume with the checkpoint's values, or train into another --out")
    if spec is not None and ckpt["spec"] != spec_to_dict(spec):
        raise ParamError(f"FILE_LOAD=1: {path} holds network {ckpt['spec'].get('name')!r} "
                         "with other stages than this run's; use another --out")


def differences(ckpt: dict, values: Mapping[str, Any]) -> str:
    """The result-changing parameters whose values differ from a checkpoint's, as
    `TRAINING_OPTIMIZER 'sgd' -> 'adam'` (at most four, then a count); '' when none."""
    # a parameter added to the vocabulary after the checkpoint was saved counts at its default
    old = identity({**defaults(ckpt["params"].get("DATASET")), **ckpt["params"]})
    new = identity(values)
    # PRECISION may be `auto`: what matters is what it becomes on this device, which
    # device.check_resume_precision compares with the checkpoint's resolved precision
    changed = [k for k in new if old.get(k) != new[k] and k != "PRECISION"]
    shown = ", ".join(f"{k} {old.get(k)!r} -> {new[k]!r}" for k in changed[:4])
    more = f" and {len(changed) - 4} more" if len(changed) > 4 else ""
    return shown + more


class RunFolder:
    """What rank 0 writes: params.yaml, metrics.jsonl, last.pt and best.pt."""

    def __init__(self, out: Path, values, spec, ds, proc, choice=None):
        self.out, self.values, self.spec, self.ds, self.proc = out, values, spec, ds, proc
        self.choice = choice  # device.Choice: what the auto parameters became
        self.need = 1 << 20  # bytes the run's files take at most (check_free_disk refines it)

    def check_free_disk(self, model, ema) -> None:
        """Refuse, before the first write, a folder without room for the run's files."""
        if self.values.run.file_save:  # last.pt, best.pt, and one checkpoint being written
            self.need += 3 * checkpoint_bytes(model, self.values.optim.optimizer,
                                              ema is not None)
        files.check_free_disk(self.out, self.need, "this run's checkpoints and records")

    def full_disk_guard(self):
        """Around every write: a full disk is one line naming the folder and the bytes
        needed."""
        kept = "resume with FILE_LOAD=1 (last.pt keeps the last finished epoch)" \
            if (self.out / "last.pt").exists() else "run again"
        return files.full_disk_guard(self.out, self.need, "this run's checkpoints and records", kept)

    def start(self, history: list[dict]) -> None:
        """Write params.yaml and metrics.jsonl as of the checkpoint (empty for a new run)."""
        # `params` repeats the recipe as asked (--params params.yaml resolves auto afresh);
        # `resolved` says what ran
        record = {"params": dict(self.values),
                  **({"resolved": self.choice.params()} if self.choice else {}),
                  "network": spec_to_dict(self.spec),
                  "provenance": run_provenance(self.ds, self.proc, data_source(self.values.data))}
        files.write_text(self.out / "params.yaml", yaml.safe_dump(record, sort_keys=False))
        # a run killed between saving last.pt and appending its line resumes consistently
        files.write_text(self.out / "metrics.jsonl", "".join(json_line(r) for r in history))

    def append(self, row: dict) -> None:
        """Add one line; a failed write (a full disk) is undone, so no torn line stays."""
        path = self.out / "metrics.jsonl"
        with open(path, "a") as f:
            size = f.tell()
            try:
                f.write(json_line(row))
                f.flush()
            except OSError:
                f.truncate(size)
                raise

    def save(self, ckpt: dict, best: bool) -> None:
        save(ckpt, self.out / "last.pt")
        if best:
            files.copy(self.out / "last.pt", self.out / "best.pt")





def json_line(row: dict) -> str:
    """One line of strict JSON: a value that is not a finite number (NaN, inf) is null, as
    JSON has no NaN and a `.jsonl` reader must not meet one."""
    clean = {k: None if isinstance(v, float) and not math.isfinite(v) else v
             for k, v in row.items()}
    return json.dumps(clean, allow_nan=False) + "\n"


def run_provenance(ds, proc, source: str | None = None) -> dict:
    """Where and from what a run came: commit, date, device, versions, dataset (`source`:
    where its files are, `data_source`; its fingerprint is the Dataset's)."""
    commit, dirty = git_state()
    return {
        "git_commit": commit, "git_dirty": dirty,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": describe_device(proc.device), "processes": proc.world,
        "cpus": os.cpu_count(),  # the scale of the load average in metrics.jsonl
        "torch": str(torch.__version__), "python": platform.python_version(),
        "dataset": {"name": ds.name, "train": len(ds.train_y), "test": len(ds.test_y),
                    "classes": ds.num_classes, "crop": ds.crop,
                    "unreadable_skipped": getattr(ds, "skipped", 0),
                    "source": source, "fingerprint": getattr(ds, "fingerprint", None)},
        "command": " ".join(sys.argv),
    }


def read_metrics(run_dir: str | Path, whole: bool = False) -> list[dict]:
    """The per-epoch rows of a run folder's metrics.jsonl (empty if there is none); `whole`:
    each row must hold every field of `ROW_FIELDS`, as a report reads them."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ParamError(f"{path} cannot be read ({_why(e)}); {_DAMAGED}") from None
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
            row = None
        if not isinstance(row, dict) or not isinstance(row.get("epoch"), int):
            raise ParamError(f"{path} line {n} is not an epoch record (torn or edited); "
                             f"{_DAMAGED}")
        rows.append((n, row))
    for n, row in rows if whole else ():  # a torn line first, then one missing fields
        problem = row_problem(row)
        if problem:
            raise ParamError(f"{path} line {n} {problem} (torn or edited); {_DAMAGED}")
    return [row for _, row in rows]


_DAMAGED = ("FILE_LOAD=1 rewrites it from last.pt, or move the folder away")


def _why(e: Exception) -> str:
    return getattr(e, "strerror", None) or type(e).__name__


def read_record(run_dir: str | Path) -> dict:
    """A run folder's params.yaml: {params, network, provenance}; damage is one line."""
    path = Path(run_dir) / "params.yaml"
    try:
        record = boundedyaml.load(path.read_text())
    except (OSError, ValueError, yaml.YAMLError) as e:  # ValueError: UTF-8, bounds, digits
        raise ParamError(f"{path} cannot be read ({_why(e)}); {_DAMAGED}") from None
    if not isinstance(record, dict) or not isinstance(record.get("params"), dict) \
            or not isinstance(record.get("network"), dict):
        raise ParamError(f"{path} is not a run record (no params and network mappings); "
                         f"{_DAMAGED}")
    try:
        spec_from_dict(record["network"])
    except (ParamError, TypeError, KeyError, ValueError):
        raise ParamError(f"{path} holds a network that cannot be read; {_DAMAGED}") from None
    return record


def machine(run_dir: str | Path, record: dict | None = None) -> dict:
    """Where a run trained and how busy the machine was: device, cores, date, and the lowest
    and highest 1-minute load average its epochs saw (None where not recorded)."""
    prov = (record if record is not None else read_record(run_dir)).get("provenance") or {}
    loads = [r["load_avg"] for r in read_metrics(run_dir) if r.get("load_avg") is not None]
    return {"device": prov.get("device", "unknown device"), "cpus": prov.get("cpus"),
            "date": prov.get("date"), "load_avg": (min(loads), max(loads)) if loads else None}


def same_run(run_dir: str | Path, values: Mapping[str, Any],
             spec: NetSpec | None = None) -> bool:
    """Whether `run_dir` holds a run (finished or not) of these parameters (and this spec)."""
    if not (Path(run_dir) / "params.yaml").is_file():
        return False
    record = read_record(run_dir)
    # a parameter added to the vocabulary after the run was saved counts at its default
    saved = {**defaults(record["params"].get("DATASET")), **record["params"]}
    wanted = check_all(values)
    if identity(saved) != identity(wanted) or other_data(record, wanted):
        return False
    return spec is None or record["network"] == spec_to_dict(spec)


def other_data(record: dict, values) -> str | None:
    """Why the run of `record` trained on other data than `values` name, or None: another
    folder (links resolved), or files there that changed since (`data_fingerprint`; not
    checked when they are gone, as a finished run needs no data to be shown)."""
    prov = record.get("provenance")
    seen = prov.get("dataset") if isinstance(prov, dict) else None
    seen = seen if isinstance(seen, dict) else {}
    source = data_source(values.data)
    if seen.get("source") != source:
        return f"it trained on data from {seen.get('source') or 'an unrecorded place'}"
    now = data_fingerprint(values.data) if source is not None else None
    if now is not None and seen.get("fingerprint") != now:
        return f"the files in {source} changed after it trained"
    return None


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

    A run of the same parameters continues from its last.pt (FILE_LOAD=1); one that never
    finished an epoch (no checkpoint, no result) starts afresh; anything else of a run (other
    parameters, or results without a checkpoint) moves aside to `<out>.replaced-<time>`,
    never deleted. Callers that train next should hold the folder across both (`lock.hold`).
    """
    out = Path(out)
    values = {**values, "FILE_LOAD": False}
    if not run_files(out):
        return values
    with lock.hold(out, "run folder"):
        if same_run(out, values, spec):
            if (out / "last.pt").is_file():
                log(f"resuming the unfinished run in {out}")
                return {**values, "FILE_LOAD": True}
            if not (out / "best.pt").exists() and not read_metrics(out):
                for name in run_files(out):  # a start without one epoch: nothing to keep
                    (out / name).unlink()
                return values
        aside = move_aside(out)
    log(f"moved a run of other parameters or data from {out} to {aside}")
    return values


def move_aside(out: Path) -> Path:
    """Move the run files of `out` into a new `<out>.replaced-<time>`; return that folder."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = out.with_name(f"{out.name}.replaced-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = out.with_name(f"{out.name}.replaced-{stamp}-{n}")
    aside.mkdir()
    for name in run_files(out):  # the lock file stays: this process still holds `out`
        os.replace(out / name, aside / name)
    return aside
