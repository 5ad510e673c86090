"""The extra studies as data: params/experiments/<name>.yaml names the runs, this trains them.

An experiment file has a `title`, a `description`, the column it `vary`s, `base` parameters
for every run and `runs` (label: parameters). A `profiles: {quick: {...}}` section replaces
any of those keys for one profile. Parameters stack as: defaults < profile < notebook
overrides < base < run.

A study is written once, in the course's terms, and follows the profile it runs in, so a
shorter or smaller profile (or `--set`) shrinks its studies too. `epochs: N` (in `base` or a
run) trains N of the course's COURSE_EPOCHS-epoch schedule: the profile's total epochs times
N / COURSE_EPOCHS, rounded, at least 1, with the profile's warm-up (the course's 60 epochs
give exactly N). `crops: [first, last]` are test crops for the course's COURSE_CROP px
training crop, scaled to the run's. With `vary: epochs` a run is labelled by the epochs it
trains.

Every run trains once and is reused by every report that needs it (`runs.train_or_reuse`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import torch
import yaml

from .. import files, progress
from .. import params as _params
from ..arch.space import spec_to_dict
from ..data import Batches, settings
from ..engine.checkpoint import load_checkpoint, model_of
from ..engine.distributed import Processes, pick_device
from ..engine.loop import evaluate
from ..engine.runfolder import differences
from ..errors import ParamError
from ..provenance import asset
from .runs import (Datasets, network, pack_hits, seed_values, short, shown_accuracies,
                   train_dir, train_or_reuse, unpack_hits)

EXPERIMENTS_DIR = asset("params") / "experiments"
COURSE_EPOCHS = 60  # experiment files count epochs on the course's schedule ...
COURSE_CROP = 56  # ... and test crops at its training crop


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    description: str
    vary: str = ""
    kind: str = "runs"  # "runs": train each; "test_crops": evaluate one run at many crops
    base: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)
    crops: tuple[int, int] | None = None


def names() -> list[str]:
    """The experiments that have a file."""
    return sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml"))


def load(name: str, profile: str = "quick") -> Experiment:
    """Read params/experiments/<name>.yaml for a profile; errors name the file and key."""
    path = EXPERIMENTS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ParamError(f"EXPERIMENT={name!r} has no file {short(path)}; valid: "
                         f"{', '.join(names())}")
    data = yaml.safe_load(path.read_text()) or {}
    data.update((data.pop("profiles", None) or {}).get(profile, {}))
    known = {"title", "description", "vary", "kind", "base", "runs", "crops"}
    unknown = set(data) - known
    if unknown:
        raise ParamError(f"{path.name}: unknown key(s) {', '.join(sorted(unknown))}")
    for label, run in (data.get("runs") or {}).items():  # check every name before any work
        for key, value in {**(data.get("base") or {}), **(run or {})}.items():
            try:
                if key == "epochs":
                    _params.check_value("TRAINING_LR_FINAL_EPOCHS", value)
                else:
                    _params.check_value(key, value)
            except ParamError as e:
                raise ParamError(f"{path.name}, run {label!r}: {e}") from None
    crops = data.get("crops")
    if crops is not None and (len(crops) != 2 or not crops[0] <= crops[1]):
        raise ParamError(f"{path.name}: crops must be [first, last], got {crops}")
    return Experiment(name, data.get("title", name), " ".join(str(data.get("description",
                      "")).split()), data.get("vary", ""), data.get("kind", "runs"),
                      dict(data.get("base") or {}),
                      {str(k): dict(v or {}) for k, v in (data.get("runs") or {}).items()},
                      tuple(crops) if crops else None)


def run_values(values: Mapping[str, Any], exp: Experiment, label: str) -> _params.Config:
    """The resolved parameters of one run of an experiment (`epochs` scaled to `values`)."""
    merged = {k: v for k, v in values.items() if k in _params.PARAMS}
    merged.update(exp.base)
    merged.update(exp.runs[label])
    course_epochs = merged.pop("epochs", None)
    if course_epochs is not None:
        merged.update(scaled_schedule(values, course_epochs))
    return _params.check_all(merged)


def scaled_schedule(values: Mapping[str, Any], course_epochs: int) -> dict[str, int]:
    """The warm-up and cosine epochs that train `course_epochs` of the course's schedule in
    the profile of `values`: its total times course_epochs / COURSE_EPOCHS, its warm-up,
    shortened where it would leave fewer than two cosine epochs (one cosine epoch runs at
    the peak rate: the run would end undecayed)."""
    total = max(1, int(_params.total_epochs(values) * course_epochs / COURSE_EPOCHS + 0.5))
    cosine = min(total, max(2, total - values["TRAINING_LR_INIT_EPOCHS"]))
    return {"TRAINING_LR_INIT_EPOCHS": total - cosine, "TRAINING_LR_FINAL_EPOCHS": cosine}


def run_label(exp: Experiment, label: str, run: Mapping[str, Any]) -> str:
    """How a run is named in tables: its label, or the epochs it trains when they vary."""
    return str(_params.total_epochs(run)) if exp.vary == "epochs" else label


def crop_range(values: Mapping[str, Any], exp: Experiment) -> tuple[int, int]:
    """The study's test crops, written for COURSE_CROP px, at the training crop of `values`."""
    crop = settings(values.data)["DATA_CROP"]
    return tuple(max(1, int(c * crop / COURSE_CROP + 0.5)) for c in exp.crops)


def run_experiment(values: Mapping[str, Any], exp: Experiment, log=progress.log,
                   datasets: Datasets | None = None):
    """Train (or reuse) every run of `exp`; one row per run, in file order."""
    datasets = datasets or Datasets(log)
    rows = []
    for i, label in enumerate(exp.runs, 1):
        v = run_values(values, exp, label)
        with progress.task(f"run {i}/{len(exp.runs)} ({run_label(exp, label, v)})"):
            row = train_or_reuse(v, train_dir(v), datasets, log)
            hits = final_hits(v, train_dir(v), datasets, log)
        rows.append({exp.vary or "run": run_label(exp, label, v), **row.row(), "hits": hits})
    return pd.DataFrame(rows)


CROPS = "test_crops.json"


def crop_study(values: Mapping[str, Any], exp: Experiment, log=progress.log,
               datasets: Datasets | None = None):
    """Accuracy of the 02_train network at every test crop of the experiment's range, with
    its final weights (last.pt): the network section 2 reports, not the epoch that scored
    best on these same test images.

    Each crop's result is kept in the run folder (test_crops.json), like the run itself, so
    a second report or a wider range evaluates only the crops it has not seen.
    """
    out = train_dir(values)
    datasets = datasets or Datasets(log)
    summary = train_or_reuse(values, out, datasets, log)
    ckpt, digest = own_checkpoint(values, out / "last.pt")  # the final weights, as reported
    cache = read_crops(out / CROPS, digest)
    first, last = crop_range(values, exp)
    todo = [c for c in range(first, last + 1) if str(c) not in cache["crops"]]
    if todo:
        log(f"evaluating {len(todo)} test crops of {short(out)}")
        cache["crops"].update(_evaluate_crops(values, ckpt, datasets.get(values), todo))
        files.write_json(out / CROPS, cache, indent=1)
    rows = [{"test crop": c, **shown_accuracies({k: cache["crops"][str(c)][k]
                                                 for k in ("test_acc", "test_top5")}),
             "hits": cache["crops"][str(c)]["hits"]}
            for c in range(first, last + 1)]
    return pd.DataFrame(rows), summary


def final_hits(values: Mapping[str, Any], out: Path, datasets: Datasets,
               log=progress.log) -> str | None:
    """Which test images the run in `out` got right with its final weights (last.pt), packed
    (`pack_hits`), at the test crop it was tested at: what comparing two runs image by image
    needs. Kept in the run folder beside the crop study's crops (test_crops.json), so each
    run is evaluated once; None where the run kept no weights (FILE_SAVE false)."""
    if not (out / "last.pt").is_file():
        return None
    ckpt, digest = own_checkpoint(values, out / "last.pt")
    cache = read_crops(out / CROPS, digest)
    crop = int(settings(values.data)["DATA_TEST_CROP"])
    if str(crop) not in cache["crops"]:
        log(f"evaluating the final weights of {short(out)} image by image")
        cache["crops"].update(_evaluate_crops(values, ckpt, datasets.get(values), [crop]))
        files.write_json(out / CROPS, cache, indent=1)
    return cache["crops"][str(crop)]["hits"]


def seed_hits(values: Mapping[str, Any], datasets: Datasets | None = None,
              log=progress.log) -> dict[str, str | None]:
    """`final_hits` of each of section 2's seeds (`seed_values`), by run folder: their mean
    image by image is what a study run is compared with where it sets a difference against
    the seeds' mean. Every seed's run must have finished (`runs.seed_summaries`)."""
    datasets = datasets or Datasets(log)
    return {str(train_dir(v)): final_hits(v, train_dir(v), datasets, log)
            for v in seed_values(values)}


def own_checkpoint(values: Mapping[str, Any], path: Path) -> tuple[dict, str]:
    """The checkpoint at `path`, proven to be of the run of `values` (its result-changing
    parameters and its network are this run's), and the SHA-1 of its bytes."""
    if not path.is_file():
        raise ParamError(f"{short(path)} is missing, so the test crops have no network to "
                         f"evaluate; move {short(path.parent)} away and run again")
    ckpt = load_checkpoint(path)
    changed = differences(ckpt, _params.check_all(values))
    if changed or ckpt["spec"] != spec_to_dict(network(values)):
        why = f"other values of {changed}" if changed else "another network"
        raise ParamError(f"{short(path)} is not this run's checkpoint ({why}); move "
                         f"{short(path.parent)} away and run again")
    with path.open("rb") as f:
        return ckpt, hashlib.file_digest(f, "sha1").hexdigest()


def read_crops(path: Path, checkpoint: str) -> dict:
    """The cached crops of `path` when they were measured on this checkpoint (its SHA-1) and
    are whole; else an empty cache (a torn or edited file is rebuilt, never trusted)."""
    empty = {"checkpoint": checkpoint, "crops": {}}
    try:
        cache = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):  # RecursionError: brackets nested deep
        return empty
    if not isinstance(cache, dict) or cache.get("checkpoint") != checkpoint \
            or not isinstance(cache.get("crops"), dict):
        return empty
    whole = {c: r for c, r in cache["crops"].items() if isinstance(r, dict) and all(
        isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)
        for k in ("test_loss", "test_acc", "test_top5")) and _hits_fit(r)}
    return {"checkpoint": checkpoint, "crops": whole}


def _hits_fit(row: dict) -> bool:
    """Whether a cached crop's per-image hits unpack and agree with its top-1 accuracy."""
    try:
        hits = unpack_hits(row.get("hits", ""))
    except ValueError:
        return False
    return hits.size > 0 and abs(100.0 * hits.mean() - row["test_acc"]) < 1e-6


def _evaluate_crops(values, ckpt: dict, ds, crops) -> dict[str, dict]:
    """Test loss, top-1 and top-5 of the checkpoint (last.pt) at each crop, and which test
    images it got right (packed), for comparing crops image by image."""
    alone = Processes(0, 1, pick_device(values["DEVICE"]))
    model = model_of(ckpt, device=str(alone.device))
    results = {}
    for crop in crops:
        batches = Batches(ds, "test", values["DATA_BATCH_SIZE"], device=alone.device,
                          test_crop=crop)
        progress.note(f"test crop {crop} px")
        hits: list = []
        row = evaluate(model, batches, values["PRECISION"], alone, hits=hits)
        results[str(crop)] = {**row, "hits": pack_hits(torch.cat(hits).numpy())}
    return results
