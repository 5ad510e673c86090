"""Train N sampled models from each design space and collect one results table.

    values = regnet.params.resolve(["params/sweep_quick.yaml"])
    df = run_sweep(values, "runs/sweep")          # resumable: run it again after a crash
    df = load_results("runs/sweep")               # the table, rebuilt from the run folders

Each model has its own folder, OUT/SPACE/INDEX/, and is finished when its `result.json`
exists; a rerun skips finished models and retrains the rest. One process owns a sweep
folder (or one shard of it) at a time, and each model's run folder while it trains; a torn
result.json is refused in one line that names it. The table (`results.csv`,
one row per finished model) is rebuilt from those files after every model, so it is
whole even after a crash. The dataset is loaded once per process and reused by every model.

Jobs are ordered index by index across spaces (a_0, b_0, ..., a_1, b_1, ...), so a sweep cut
short still compares the spaces on equal numbers of models.

One machine, several GPUs: one worker process per GPU (SWEEP_WORKERS=0 picks every visible
GPU), worker i pinned to cuda:i and training jobs i, i+k, i+2k, ...

Several machines: give each machine a shard, `--shard i/k` (jobs i, i+k, ...), with OUT on a
shared file system; `launch.py` starts k shards through submitit (SLURM) or Ray and watches
them land. A shard that dies is resumed by running it again.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from ..arch.designspace import Regime, Sample, describe, sample_one, space_names
from .. import files, lock
from ..errors import ParamError
from ..params import check_all

RESULT = "result.json"
TABLE = "results.csv"


# --- what to train -----------------------------------------------------------------------

def regime_of(values: Mapping[str, Any]) -> Regime:
    """The compute regime from SWEEP_MACS_MIN / SWEEP_MACS_MAX (millions of MACs)."""
    low, high = values["SWEEP_MACS_MIN"], values["SWEEP_MACS_MAX"]
    if low > high:
        raise ParamError(f"SWEEP_MACS_MIN={low:g} is above SWEEP_MACS_MAX={high:g}")
    return Regime(macs_min=low * 1e6, macs_max=high * 1e6)


def parse_shard(text: str | Sequence[int] | None) -> tuple[int, int]:
    """`"2/8"` -> (2, 8): this process trains jobs 2, 10, 18, ... of 8 shards."""
    if text is None:
        return 0, 1
    if isinstance(text, str):
        head, _, tail = text.partition("/")
        try:
            i, k = int(head), int(tail)
        except ValueError:
            raise ParamError(f"--shard {text!r} must look like i/k, e.g. 0/4") from None
    else:
        i, k = text
    if not 0 <= i < k:
        raise ParamError(f"shard {i}/{k}: i must be in 0..k-1")
    return i, k


def plan(spaces: Sequence[str], samples: int, seed: int = 0, regime: Regime = Regime(),
         shard: tuple[int, int] = (0, 1)) -> list[Sample]:
    """The models of a sweep (or of one shard), index by index across the spaces."""
    i, k = shard
    jobs = [(space, index) for index in range(samples) for space in space_names(spaces)]
    return [sample_one(space, index, seed, regime) for space, index in jobs[i::k]]


# --- one model ---------------------------------------------------------------------------

def run_dir(out: str | Path, s: Sample) -> Path:
    """OUT/SPACE/INDEX: the folder of one model."""
    return Path(out) / s.space / f"{s.index:04d}"


def _same_config(a: Mapping, b: Mapping) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def is_done(out: str | Path, s: Sample, values: Mapping[str, Any] | None = None) -> bool:
    """Whether the model has a result; an error when that result is of another model or
    was trained with other parameters (`values`, when given)."""
    path = run_dir(out, s) / RESULT
    if not path.is_file():
        return False
    stored = read_result(path)
    if not _same_config(stored["config"], s.config):
        raise ParamError(f"{path} holds another model ({stored['config']}) than this sweep's "
                         f"{s.key} ({s.config}): SWEEP_SEED or the regime changed; "
                         f"{_elsewhere(out)}")
    if values is not None and "values" in stored:
        # imported here, not at the top: launch.py's waiting process imports this module and
        # never needs torch, which the data layer imports
        from .runs import identity
        old, new = identity(stored["values"]), identity(values)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if changed:
            raise ParamError(f"{path} was trained with other {', '.join(changed)}; finished "
                             f"models would not compare: {_elsewhere(out)}, or use the old values")
    return True


def _elsewhere(out: str | Path) -> str:
    """What to do with a sweep folder of other models: nothing in it is deleted for you."""
    return f"move {out} aside or sweep into another folder (--out)"


def read_result(path: Path) -> dict:
    """One model's result.json, or one line naming it when it is torn or not a result."""
    try:
        stored = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:  # deep nesting
        why = getattr(e, "strerror", None) or type(e).__name__
        raise ParamError(f"{path} cannot be read ({why}); delete it and run the sweep again "
                         "to retrain that model") from None
    if not isinstance(stored, dict) or not isinstance(stored.get("config"), dict) \
            or not isinstance(stored.get("row"), dict):
        raise ParamError(f"{path} is not a sweep result (no config and row); delete it and run "
                         "the sweep again to retrain that model")
    return stored


def _write_json(path: Path, data: Any) -> None:
    # atomic, so a crash never leaves half a file that looks finished; the temporary name
    # holds the pid, so workers and shards writing one file never rename each other's halves
    files.write_json(path, data, indent=1, default=float)


def result_row(s: Sample, summary: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the table: the sample's numbers and cost, and how training went."""
    history = summary.get("history") or []
    return {
        **describe(s),
        "error": 100.0 - float(summary["test_acc"]),
        "best_error": 100.0 - float(summary.get("best_test_acc", summary["test_acc"])),
        "seconds": float(summary.get("seconds", float("nan"))),
        "epochs": len(history),
        "trained_params": summary.get("params"), "trained_macs": summary.get("macs"),
    }


def fit_to_data(spec, dataset):
    """The sampled network for the dataset's crop, classes and channels.

    Samples are defined (and their MACs counted) at the regime's 56 px and 100 classes; a
    quick sweep on small synthetic images trains the same stages on its own input.
    """
    if dataset is None or not hasattr(dataset, "crop"):
        return spec
    return spec.fitted(dataset)


def train_one(s: Sample, values: Mapping[str, Any], out: str | Path, dataset,
              train_fn: Callable) -> dict[str, Any]:
    """Train one sample into its folder and write its result.json; return its row."""
    folder = run_dir(out, s)
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "sample.json", {"space": s.space, "index": s.index,
                                         "config": s.config, "complexity": s.complexity})
    summary = train_fn(dict(values), folder, dataset=dataset, spec=fit_to_data(s.spec, dataset))
    row = result_row(s, summary)
    _write_json(folder / RESULT, {"config": s.config, "row": row, "values": dict(values),
                                  "history": summary.get("history") or []})
    return row


# --- the loop ----------------------------------------------------------------------------

def default_train(values, out=None, *, dataset=None, spec=None, progress=None):
    """Train one model: into its run folder when given (`runs.train_into`), else in memory."""
    # imported here, not at the top: launch.py's waiting process imports this module and
    # never needs torch
    from ..engine.loop import train
    from .runs import train_into
    if out is None:
        return train(values, out, dataset=dataset, spec=spec, progress=progress)
    return train_into(values, out, dataset=dataset, spec=spec, show=progress)


def default_data(values):
    """regnet.data.load, imported when the first model trains."""
    from ..data import load
    return load(values)


def run_jobs(jobs: Sequence[Sample], values: Mapping[str, Any], out: str | Path,
             train_fn: Callable = default_train, data_fn: Callable = default_data,
             log: Callable[[str], None] | None = print, on_load: Callable | None = None) -> int:
    """Train every unfinished job in turn; the dataset is loaded once, before the first
    (and handed to `on_load`, e.g. a report's header)."""
    values = check_all(values)
    todo = [s for s in jobs if not is_done(out, s, values)]
    if log:
        log(f"{len(jobs) - len(todo)} of {len(jobs)} models already done, {len(todo)} to train")
    dataset = data_fn(values) if todo else None
    if dataset is not None and on_load:
        on_load(dataset)
    for n, s in enumerate(todo, 1):
        start = time.perf_counter()
        row = train_one(s, values, out, dataset, train_fn)
        write_table(out)
        if log:
            log(f"[{n}/{len(todo)}] {s.key} {s.complexity['macs'] / 1e6:.0f} M MACs: "
                f"error {row['error']:.2f}%, {time.perf_counter() - start:.1f} s")
    return len(todo)


def _worker(i: int, jobs, values, out, devices, train_fn, data_fn):
    """Worker i of a one-machine sweep: its device, and jobs i, i+k, ..."""
    device = devices[i]
    if device.startswith("cuda"):
        import torch
        torch.cuda.set_device(device)
    run_jobs(jobs[i::len(devices)], {**values, "DEVICE": device}, out, train_fn, data_fn,
             log=lambda line: print(f"[{device}] {line}", flush=True))


def devices_for(values: Mapping[str, Any]) -> list[str]:
    """One device per worker: every visible GPU when SWEEP_WORKERS is 0 and DEVICE allows."""
    workers, device = values["SWEEP_WORKERS"], values["DEVICE"]
    if workers == 1 or device not in ("auto", "cuda"):
        return [device]
    import torch
    count = torch.cuda.device_count()
    if count < 2:
        return [device]
    if workers > count:
        raise ParamError(f"SWEEP_WORKERS={workers} but only {count} GPUs are visible")
    return [f"cuda:{i}" for i in range(workers or count)]


def run_sweep(values: Mapping[str, Any], out: str | Path, *,
              spaces: str | Sequence[str] | None = None, samples: int | None = None,
              seed: int | None = None, shard: str | tuple[int, int] | None = None,
              train_fn: Callable = default_train, data_fn: Callable = default_data,
              devices: Sequence[str] | None = None,
              log: Callable[[str], None] | None = print,
              on_load: Callable | None = None) -> pd.DataFrame:
    """Sample, train what is not finished, and return the whole results table.

    `spaces`, `samples` and `seed` default to SWEEP_SPACES, SWEEP_SAMPLES and SWEEP_SEED.
    `devices` (default: from SWEEP_WORKERS and DEVICE) with more than one entry starts one
    worker process per device; `train_fn` and `data_fn` must then be importable functions,
    and `on_load` (called with the dataset this process loads) does not hear of theirs.
    """
    spaces = space_names(spaces or values["SWEEP_SPACES"])
    samples = values["SWEEP_SAMPLES"] if samples is None else samples
    seed = values["SWEEP_SEED"] if seed is None else seed
    regime = regime_of(values)
    i, k = parse_shard(shard)
    jobs = plan(spaces, samples, seed, regime, (i, k))
    out = Path(out)
    with lock.hold(out, "sweep folder", name=shard_lock(i, k)):
        _write_json(out / "sweep.json", {"spaces": spaces, "samples": samples, "seed": seed,
                                         "regime": vars(regime), "values": dict(values)})
        devices = list(devices or devices_for(values))
        if len(devices) > 1:
            import torch.multiprocessing as mp
            mp.spawn(_worker, args=(jobs, dict(values), str(out), devices, train_fn, data_fn),
                     nprocs=len(devices), join=True)
        else:
            run_jobs(jobs, {**values, "DEVICE": devices[0]}, out, train_fn, data_fn, log,
                     on_load)
        return write_table(out)


def shard_lock(i: int, k: int) -> str:
    """The lock file of shard i of k in the sweep folder: one process per sweep folder, or
    per shard of one (shards share the folder by design)."""
    return lock.LOCK_NAME if k == 1 else f".regnet-shard-{i}-of-{k}.lock"


def run_shard(values: Mapping[str, Any], out: str | Path, i: int, k: int,
              train_fn: Callable = default_train) -> int:
    """Shard i of k on this machine (a submitit or Ray job); returns the finished models."""
    df = run_sweep(values, out, shard=(i, k), train_fn=train_fn)
    return len(df)


# --- the table ---------------------------------------------------------------------------

def load_results(out: str | Path) -> pd.DataFrame:
    """One row per finished model under `out`, in the sweep's job order."""
    rows = [read_result(p)["row"] for p in _results(out)]
    if not rows:
        return pd.DataFrame(columns=["space", "index", "error"])
    return pd.DataFrame(rows).sort_values(["index", "space"], kind="stable") \
        .reset_index(drop=True)


def timings(out: str | Path) -> list[dict[str, Any]]:
    """Where each finished model under `out` trained and how busy the machine was
    (`runfolder.machine`), for the sentence that says whether its seconds compare."""
    from ..engine.runfolder import machine
    return [machine(p.parent) for p in _results(out) if (p.parent / "params.yaml").is_file()]


def _results(out: str | Path) -> list[Path]:
    """The result.json of every finished model under `out` (OUT/SPACE/INDEX/)."""
    return sorted(Path(out).glob(f"*/*/{RESULT}"))


def write_table(out: str | Path) -> pd.DataFrame:
    """Rebuild results.csv from the finished folders; return the table."""
    df = load_results(out)
    with files.atomic_path(Path(out) / TABLE) as tmp:
        df.to_csv(tmp, index=False)
    return df


# --- command line ------------------------------------------------------------------------
