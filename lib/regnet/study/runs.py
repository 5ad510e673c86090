"""Runs: from parameters to a trained run, once.

    network(values)         the network exactly as a run of `values` trains it
    run_key(values)         a digest of what makes a result (`identity`: values and data)
    train_dir(values)       runs/<profile>/<network>-<run key>/, one folder per distinct run
    train_or_reuse(values)  train into that folder, or reuse the finished run it holds
    run_summary(values, d)  a finished run folder as a typed RunSummary

Every report, study and sweep that needs a run goes through here, so 02_train, the variants,
the epochs and the bottleneck study share their course 200MF run, and re-running a report
after a failure costs only what is missing. What a run folder holds, and when it may be
reused, is `engine.runfolder`'s business; training is `engine.loop`'s.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import statistics
from dataclasses import dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .. import data, lock, progress
from .. import params as _params
from ..arch import space
from ..arch.space import NetSpec, spec_from_dict
from ..engine.loop import summarize, train
from ..engine.runfolder import is_finished, machine, prepare_rerun, read_metrics, read_record
from ..errors import ParamError
from ..provenance import ROOT


def runs_root() -> Path:
    """Where training runs live: $REGNET_RUNS, else runs/ in the repository."""
    return Path(os.environ.get("REGNET_RUNS") or ROOT / "runs")


def slug(label: str) -> str:
    """A folder name for a run label: '4 / 2' -> '4-2'."""
    return re.sub(r"[^A-Za-z0-9._]+", "-", str(label)).strip("-") or "run"


def run_dir(values: Mapping[str, Any], *parts: str) -> Path:
    """runs/<profile>/<parts...>."""
    return runs_root().joinpath(values.get("PROFILE", "quick"), *map(slug, parts))


def identity(values: Mapping[str, Any]) -> dict[str, Any]:
    """What makes a result: the values that change one (`params.identity`) and where the
    data's files are (`data.data_source`: two folders of images are two datasets; the files'
    fingerprint is checked against the run's record when it is reused)."""
    cfg = _params.check_all(values)
    ident = _params.identity(cfg)
    source = data.data_source(cfg.data)
    if source is not None:
        ident["data source"] = source
    elif cfg.data.dataset == "synthetic":  # the same images for every seed (not drawn per
        ident["synthetic images"] = "fixed"  # seed, as before): earlier runs are not reused
    return ident


def run_key(values: Mapping[str, Any]) -> str:
    """A short digest of what makes a result (`identity`)."""
    ident = identity(values)
    return hashlib.sha1(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:10]


def train_dir(values: Mapping[str, Any]) -> Path:
    """runs/<profile>/<network>-<run key>: one folder per distinct run, shared by every
    report that needs that run (02_train, the studies, the crop study)."""
    return run_dir(values, f"{values['REGNETX']}-{run_key(values)}")


def network(values: Mapping[str, Any]) -> NetSpec:
    """The network exactly as a run of `values` trains it: the data's crop, classes, channels."""
    values = _params.check_all(values)
    return space.named(values["REGNETX"], values.model).fitted(data.shape(values.data))


class Datasets:
    """Load each distinct dataset once and hand it to every run that uses it; `on_load(ds)`
    hears of each load (a report's header: `notebook.show_header`)."""

    def __init__(self, log=progress.log, on_load=None):
        self._cache: dict[tuple, Any] = {}
        self.log, self.on_load = log, on_load

    def get(self, values: Mapping[str, Any]):
        # what a loaded dataset depends on: the data group's result-changing values, SEED and
        # where the files are (two folders of images are two datasets)
        key = tuple((k, str(v)) for k, v in sorted({**_params.identity(values, "data"),
                                                     "SEED": values["SEED"]}.items())) \
            + (("data source", str(data.data_source(_params.check_all(values).data))),)
        if key not in self._cache:
            self._cache[key] = data.load(values)
            self.log(self._cache[key].summary())  # the load summary, with any skipped images
            if self.on_load:
                self.on_load(self._cache[key])
        return self._cache[key]


def train_into(values: Mapping[str, Any], out: Path, *, dataset=None, spec=None,
               show: bool | None = None, log=print) -> dict[str, Any]:
    """Train `values` into the run folder `out`: a crashed run of the same parameters resumes,
    a run of other parameters is moved aside (`prepare_rerun`). The folder is held from that
    decision to the last epoch, so two processes never train into one folder."""
    with lock.hold(out, "run folder"):
        values = prepare_rerun(out, values, spec, log=log)
        return train(values, out, dataset=dataset, spec=spec, progress=show)


#: The accuracies of a run (`engine.loop`'s metric keys) that a report shows to 2 decimals.
ACCURACIES = ("train_acc", "test_acc", "best_test_acc", "test_top5")


def half_up(value: float, decimals: int = 2) -> float:
    """`value` rounded as a reader rounds it, halves up: 53.125 -> 53.13 (Python's own
    rounding and formatting take an exact half to the even digit, 53.12). An accuracy over
    n test images is a multiple of 100/n, so with 160 images every eighth one ends in 5."""
    if not math.isfinite(value):
        return float(value)
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))


def pack_hits(hits) -> str:
    """Per-image right/wrong (booleans, in test-set order) as one short string: the count,
    a colon, and the bits in base64 ("160:8Gz...")."""
    bits = np.asarray(hits, dtype=bool)
    return f"{bits.size}:{base64.b64encode(np.packbits(bits)).decode()}"


def unpack_hits(text: str) -> np.ndarray:
    """`pack_hits`'s string back to booleans; ValueError when it is not one."""
    count, _, packed = str(text).partition(":")
    if not count.isdigit() or not packed:
        raise ValueError(f"not packed hits: {text[:20]!r}")
    bits = np.unpackbits(np.frombuffer(base64.b64decode(packed, validate=True), np.uint8))
    if bits.size < int(count) or bits.size - int(count) >= 8:
        raise ValueError("packed hits of the wrong length")
    return bits[:int(count)].astype(bool)


def shown_accuracies(row: Mapping[str, Any]) -> dict[str, Any]:
    """A metrics row with its accuracies rounded as the report shows them (`half_up`), so
    that a difference computed from them matches the numbers printed beside it."""
    return {k: half_up(v) if k in ACCURACIES and isinstance(v, (int, float)) else v
            for k, v in row.items()}


@dataclass(frozen=True)
class RunSummary:
    """A finished run in the metric vocabulary of `engine.loop.summarize` (test_acc, macs,
    ...); a report gives the metrics their display names when it draws a table."""
    spec: NetSpec
    params: int
    macs: int
    epochs: int
    batch: int
    epoch_seconds: float  # the median epoch after the first (which also warms up)
    images_per_second: float
    train_loss: float
    test_acc: float
    best_test_acc: float
    test_top5: float
    history: list[dict]
    run: str  # the run folder
    device: str  # where it trained, and how busy the machine was (`runfolder.machine`)
    cpus: int | None
    date: str | None
    load_avg: tuple[float, float] | None
    data: str  # what it trained on: dataset, folder, files (`run_data`)
    trained: bool = False  # trained now, rather than reused
    test_images: int | None = None  # how many images its test accuracy counts
    train_images: int | None = None  # how many images it trained on

    def row(self) -> dict[str, Any]:
        """Every field, for a table row (the spec stays a NetSpec)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def train_or_reuse(values: Mapping[str, Any], out: Path | None = None,
                   datasets: Datasets | None = None, log=progress.log) -> RunSummary:
    """Train into `out` (default `train_dir(values)`), or reuse it when it holds a finished
    run of these parameters; the summary says which (`trained`)."""
    out = Path(out) if out is not None else train_dir(values)
    trained = not is_finished(out, values)
    if trained:
        log(f"training {values['REGNETX']} into {short(out)}")
        train_into(values, out, dataset=(datasets or Datasets()).get(values), log=log)
    summary = run_summary(values, out)
    if not trained:
        log(f"reusing the finished run in {short(out)} ({summary.data})")
    return replace(summary, trained=trained)


def seed_values(values: Mapping[str, Any]) -> list:
    """The training section's run for each of its SEEDS seeds: SEED, SEED + 1, ..."""
    values = _params.check_all(values)
    return [values.replace(SEED=values["SEED"] + k) for k in range(values["SEEDS"])]


def seed_summaries(values: Mapping[str, Any]) -> list[RunSummary] | None:
    """Section 2's network over its SEEDS seeds, read from their run folders: the measured
    seed-to-seed noise, for the studies to weigh their single runs against; None with one
    seed, or until every seed's run has finished."""
    runs = seed_values(values)
    if len(runs) < 2 or not all(is_finished(train_dir(v), v) for v in runs):
        return None
    return [run_summary(v, train_dir(v)) for v in runs]


def run_summary(values: Mapping[str, Any], out: Path) -> RunSummary:
    """A finished run folder's summary: size, time per epoch, final and best accuracy (the
    accuracies rounded to 2 decimals, halves up, as a report shows them)."""
    history = read_metrics(out, whole=True)
    if not history:
        raise ParamError(f"{short(out)} holds no metrics; delete it and run again")
    record = read_record(out)  # checked: a damaged params.yaml is one line naming it
    spec = spec_from_dict(record["network"])
    s = summarize(history, spec, sum(r["epoch_seconds"] for r in history), out)
    steady = [r["epoch_seconds"] for r in history[1:]] or [history[0]["epoch_seconds"]]
    return RunSummary(
        spec=spec, params=s["params"], macs=s["macs"], epochs=s["epochs"],
        batch=values["DATA_BATCH_SIZE"], epoch_seconds=statistics.median(steady),
        images_per_second=s["images_per_second"], train_loss=s["train_loss"],
        test_acc=half_up(s["test_acc"]), best_test_acc=half_up(s["best_test_acc"]),
        test_top5=half_up(s["test_top5"]),
        history=[shown_accuracies(r) for r in history], run=str(out), data=run_data(record),
        **machine(out, record),
        test_images=run_images(record), train_images=run_images(record, "train"))


def run_data(record: Mapping[str, Any]) -> str:
    """The data a run trained on, as its params.yaml records it: dataset, folder, files."""
    prov = record.get("provenance")
    seen = prov.get("dataset") if isinstance(prov, dict) else None
    seen = seen if isinstance(seen, dict) else {}
    name = str(seen.get("name") or record["params"].get("DATASET", "unknown data"))
    where = f" from {seen['source']}" if seen.get("source") else ""
    files_ = f", files {str(seen['fingerprint'])[:10]}" if seen.get("fingerprint") else ""
    return f"{name}{where}{files_}"


def run_images(record: Mapping[str, Any], split: str = "test") -> int | None:
    """How many images of `split` ("test" or "train") a run used, as its params.yaml
    records it."""
    prov = record.get("provenance")
    seen = prov.get("dataset") if isinstance(prov, dict) else None
    count = seen.get(split) if isinstance(seen, dict) else None
    return count if isinstance(count, int) and count > 0 else None


def short(path: Path) -> str:
    """A run folder as people read it: relative to the repository when inside it."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
