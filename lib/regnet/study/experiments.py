"""The extra studies as data: params/experiments/<name>.yaml names the runs, this trains them.

An experiment file has a `title`, a `description`, the column it `vary`s, `base` parameters
for every run and `runs` (label: parameters). A `profiles: {quick: {...}}` section replaces
any of those keys for one profile (the quick profile trains fewer epochs, say). Parameters
stack as: defaults < profile < notebook overrides < base < run.

Every run trains once into runs/<profile>/<experiment>/<label>/ and is reused afterwards
(`train_or_reuse`), so re-running a report after a failure costs only what is missing.
"""
from __future__ import annotations

import os
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from .. import params as _params
from ..provenance import ROOT, asset
from ..errors import ParamError

EXPERIMENTS_DIR = asset("params") / "experiments"


def runs_root() -> Path:
    """Where training runs live: $REGNET_RUNS, else runs/ in the repository."""
    return Path(os.environ.get("REGNET_RUNS") or ROOT / "runs")


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
        raise ParamError(f"EXPERIMENT={name!r} has no file {_short(path)}; valid: "
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


def slug(label: str) -> str:
    """A folder name for a run label: '4 / 2' -> '4-2'."""
    return re.sub(r"[^A-Za-z0-9._]+", "-", str(label)).strip("-") or "run"


def run_values(values: Mapping[str, Any], exp: Experiment, label: str) -> dict[str, Any]:
    """The resolved parameters of one run of an experiment."""
    merged = {k: v for k, v in values.items() if k in _params.PARAMS}
    merged.update(exp.base)
    merged.update(exp.runs[label])
    return _params.check_all(merged)


def run_dir(values: Mapping[str, Any], *parts: str) -> Path:
    """runs/<profile>/<parts...>."""
    return runs_root().joinpath(values.get("PROFILE", "quick"), *map(slug, parts))


def train_dir(values: Mapping[str, Any]) -> Path:
    """The run folder of 02_train for the profile's network (reused by the crop study)."""
    return run_dir(values, "train", values["REGNETX"])


class Datasets:
    """Load each distinct dataset once and hand it to every run that uses it."""

    def __init__(self, log=print):
        self._cache: dict[tuple, Any] = {}
        self.log = log

    def get(self, values: Mapping[str, Any]):
        from ..data import load as load_data
        # what a loaded dataset depends on: the data group's result-changing values and SEED
        key = tuple((k, str(v)) for k, v in sorted({**_params.identity(values, "data"),
                                                     "SEED": values["SEED"]}.items()))
        if key not in self._cache:
            self._cache[key] = load_data(values)
            self.log(self._cache[key].summary())  # the load summary, with any skipped images
        return self._cache[key]


def train_or_reuse(values: Mapping[str, Any], out: Path, datasets: Datasets | None = None,
                   log=print) -> dict[str, Any]:
    """Train into `out`, or reuse it when it holds a finished run of these parameters."""
    from .. import lock
    from ..engine.loop import train
    from ..engine.runfolder import is_finished, prepare_rerun
    if is_finished(out, values):
        log(f"reusing the finished run in {_short(out)}")
    else:
        log(f"training {values['REGNETX']} into {_short(out)}")
        ds = (datasets or Datasets()).get(values)
        with lock.hold(out, "run folder"):  # one owner from the decision to the last epoch
            train(prepare_rerun(out, values, log=log), out, dataset=ds)
    return run_summary(values, out)


def run_summary(values: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """One row from a finished run folder: size, time per epoch, final and best accuracy."""
    from ..arch.space import spec_from_dict
    from ..engine.loop import summarize
    from ..engine.runfolder import read_metrics, read_record
    history = read_metrics(out)
    if not history:
        raise ParamError(f"{_short(out)} holds no metrics; delete it and run again")
    network = read_record(out)["network"]
    s = summarize(history, spec_from_dict(network), sum(r["epoch_seconds"] for r in history),
                  out)
    steady = [r["epoch_seconds"] for r in history[1:]] or [history[0]["epoch_seconds"]]
    return {
        "params": s["params"], "MACs": s["macs"], "epochs": s["epochs"],
        "batch": values["DATA_BATCH_SIZE"], "time/epoch (s)": statistics.median(steady),
        "images/s": s["images_per_second"], "train loss": s["train_loss"],
        "test acc (%)": s["test_acc"], "best test acc (%)": s["best_test_acc"],
        "test top-5 (%)": s["test_top5"], "history": history, "run": str(out),
    }


def _short(path: Path) -> str:
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_experiment(values: Mapping[str, Any], exp: Experiment, log=print):
    """Train (or reuse) every run of `exp`; one row per run, in file order."""
    import pandas as pd
    datasets = Datasets()
    rows = []
    for label in exp.runs:
        v = run_values(values, exp, label)
        row = train_or_reuse(v, run_dir(values, exp.name, label), datasets, log)
        rows.append({exp.vary or "run": label, **row})
    return pd.DataFrame(rows)


def crop_study(values: Mapping[str, Any], exp: Experiment, log=print):
    """Accuracy of the 02_train network at every test crop of the experiment's range."""
    import pandas as pd

    from ..data import Batches
    from ..engine.checkpoint import load_model
    from ..engine.distributed import Processes, pick_device
    from ..engine.loop import evaluate
    out = train_dir(values)
    datasets = Datasets()
    summary = train_or_reuse(values, out, datasets, log)
    ds = datasets.get(values)
    alone = Processes(0, 1, pick_device(values["DEVICE"]))
    model = load_model(out / "best.pt", device=str(alone.device))
    rows = []
    first, last = exp.crops
    for crop in range(first, last + 1):
        batches = Batches(ds, "test", values["DATA_BATCH_SIZE"], device=alone.device,
                          test_crop=crop)
        metrics = evaluate(model, batches, values["PRECISION"], alone)
        rows.append({"test crop": crop, "test acc (%)": metrics["test_acc"],
                     "test top-5 (%)": metrics["test_top5"]})
    return pd.DataFrame(rows), summary
