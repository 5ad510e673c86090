"""`python -m regnet bench-recipe`: the project's `train` against a plain PyTorch loop.

Both train the same network from the same initial weights (torch.manual_seed(SEED), then the
model is built) on the same decoded uint8 images, for the same epochs and with the same batch
size, and each reports its final test top-1. What the plain loop trains with is `--against`:

- `same` (the default): the project's own settings (rate, schedule, momentum, Nesterov, weight
  decay, label smoothing), so that the two differ only in how they do it. The comparison of
  the pipelines.
- `tuned`: a well-tuned small-image recipe of its own (`TUNED`: a one-cycle rate, label
  smoothing 0.1, weight decay 5e-4 on every parameter, SGD with Nesterov momentum), against
  the project's settings as resolved, that is its defaults for the dataset (catalog.py) where
  nothing sets them. The comparison of the recipes: how good `train` is out of the box.

The plain loop is what one writes by hand from the PyTorch and torchvision tutorials: a Dataset
over the uint8 tensors with torchvision's v2 transforms per image (the dataset's augmentation:
RandomResizedCrop(crop, scale=(DATA_SCALE_MIN, 1)) + RandomHorizontalFlip, or RandomCrop(crop,
padding=4) + RandomHorizontalFlip; Resize + CenterCrop for test; then ToDtype + Normalize), a
shuffling DataLoader that drops the last partial batch, `SGD(model.parameters(), ...)` (weight
decay on every parameter) and a learning-rate scheduler stepped after every optimizer step.
The project runs `regnet.engine.loop.train` on the same loaded dataset: augmentation batched
on the device (regnet.data.batches), no weight decay on norms and biases unless
TRAINING_WD_NORM_BIAS.

With PROGRESS on, each epoch's test accuracy of both goes to stderr as it comes.
`--seeds N` repeats both with SEED, SEED+1, ...: a test set of 500 images moves a single
run's accuracy by a point or two, so the mean over seeds is what to compare.
"""
from __future__ import annotations

import contextlib
import datetime
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR, OneCycleLR

from .. import catalog, data
from ..arch import space
from ..arch.complexity import closed_form
from ..arch.model import build
from ..data.plain import plain_loader, plain_transforms  # noqa: F401  (tests use the latter)
from ..engine.device import precision_for
from ..engine.distributed import pick_device
from ..engine.loop import autocast_for, load_average, train
from ..engine.schedule import step_rate
from ..errors import ParamError
from ..params import PARAMS, check_all, total_epochs
from ..provenance import describe_device, git_state


@dataclass(frozen=True)
class TunedRecipe:
    """The plain loop's own recipe for `--against tuned`: what a careful tutorial trains with."""
    lr: float  # the one-cycle peak rate for a batch of 256, scaled linearly with the batch
    pct_start: float  # the share of the steps that warm up (OneCycleLR's default)
    label_smoothing: float
    weight_decay: float  # on every parameter, norms and biases included
    momentum: float  # SGD with Nesterov momentum, held (OneCycleLR cycles it unless told not to)
    nesterov: bool = True

    def peak(self, batch: int) -> float:
        """The peak rate for this batch size (the linear scaling rule)."""
        return self.lr * batch / 256


#: Its peak: 0.4 per 256 images beat 0.2 by 1.8 points on Fashion-MNIST after 3 epochs
#: (docs/training.md, "The project's defaults against a tuned loop").
TUNED = TunedRecipe(lr=0.4, pct_start=0.3, label_smoothing=0.1, weight_decay=5e-4,
                    momentum=0.9)


def same_recipe(cfg, model, steps: int):
    """SGD, scheduler and loss with the project's settings: the rate of every step is
    schedule.step_rate's, set before the step as `train` sets it."""
    momentum = cfg.optim.momentum
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0, momentum=momentum,
                                weight_decay=cfg.optim.weight_decay,
                                nesterov=cfg.optim.nesterov and momentum > 0)
    scheduler = LambdaLR(optimizer, lambda i: step_rate(cfg.schedule, i // steps, i % steps,
                                                         steps))  # lr = 1.0 * rate, exactly
    return optimizer, scheduler, nn.CrossEntropyLoss(label_smoothing=cfg.optim.label_smoothing)


def tuned_recipe(cfg, model, steps: int, recipe: TunedRecipe = TUNED):
    """SGD, one-cycle scheduler and loss of the plain loop's own recipe, for the run's epochs
    and batch size."""
    peak = recipe.peak(cfg.optim.batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=peak, momentum=recipe.momentum,
                                weight_decay=recipe.weight_decay, nesterov=recipe.nesterov)
    scheduler = OneCycleLR(optimizer, max_lr=peak, epochs=total_epochs(cfg),
                           steps_per_epoch=steps, pct_start=recipe.pct_start,
                           cycle_momentum=False)
    return optimizer, scheduler, nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)


#: What the plain loop trains with, by `--against` (see the module's docstring).
RECIPES = {"same": same_recipe, "tuned": tuned_recipe}


def plain_loop(cfg: Mapping[str, Any], ds, spec, workers: int = 0,
               against: str = "same") -> dict:
    """Train and test the hand-written way; returns test top-1 per epoch and the seconds."""
    cfg = check_all(cfg)
    device = pick_device(cfg.run.device)
    torch.manual_seed(cfg.run.seed)
    model = build(spec).to(device)
    batch = cfg.optim.batch_size
    train_loader = plain_loader(ds, "train", batch, workers, cfg.run.seed)
    test_loader = plain_loader(ds, "test", batch, workers, cfg.run.seed)
    optimizer, scheduler, loss_fn = RECIPES[against](cfg, model, len(train_loader))
    autocast = autocast_for(precision_for(cfg.run.precision, device), device)
    history, start = [], time.perf_counter()
    for epoch in range(total_epochs(cfg)):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with autocast:
                loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        history.append(accuracy(model, test_loader, device, autocast))
        if cfg.run.progress:
            print(f"plain loop, seed {cfg.run.seed}: epoch {epoch + 1}/{total_epochs(cfg)} "
                  f"test {history[-1]:.2f}%", file=sys.stderr, flush=True)
    return {"test_acc": history[-1], "history": history,
            "seconds": time.perf_counter() - start}


@torch.no_grad()
def accuracy(model, loader, device, autocast) -> float:
    """Top-1 accuracy in percent."""
    model.eval()
    correct = seen = 0
    for x, y in loader:
        with autocast:
            logits = model(x.to(device))
        correct += int((logits.argmax(1).cpu() == y).sum())
        seen += len(y)
    return 100.0 * correct / seen


def project_run(cfg: Mapping[str, Any], ds, spec) -> dict:
    """The project's `train` on the same dataset and network."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # its epoch lines; stdout is for the JSON
        summary = train(cfg, None, dataset=ds, spec=spec)
    return {"test_acc": summary["test_acc"],
            "history": [row["test_acc"] for row in summary["history"]],
            "seconds": time.perf_counter() - start}


def _side(runs: list[dict]) -> dict:
    """One loop's runs: mean final top-1, each run (rounded), total seconds."""
    def rounded(v):
        return [round(x, 2) for x in v] if isinstance(v, list) else \
            round(v, 2) if isinstance(v, float) else v
    return {"test_acc": statistics.fmean(r["test_acc"] for r in runs),
            "runs": [{k: rounded(v) for k, v in r.items()} for r in runs],
            "seconds": round(sum(r["seconds"] for r in runs), 1)}


def project_recipe(cfg) -> dict[str, Any]:
    """The TRAINING_* values the project trains with, and which of them hold the dataset's
    recipe (its default, unless a layer set the same value)."""
    chosen = catalog.dataset(cfg.data.dataset).recipe
    return {name: cfg[name] for name in PARAMS if name.startswith("TRAINING_")} | {
        "from_dataset": sorted(name for name in chosen if cfg[name] == chosen[name])}


def plain_recipe(cfg, against: str) -> dict[str, Any]:
    """What the plain loop trains with: the project's settings, or TUNED at this batch size."""
    if against == "same":
        return {"same_as": "project"}
    return asdict(TUNED) | {"peak_lr": TUNED.peak(cfg.optim.batch_size),
                            "schedule": "OneCycleLR per step", "weight_decay_on": "every parameter"}


def compare(cfg: Mapping[str, Any], seeds: int = 1, workers: int = 0,
            against: str = "same") -> dict:
    """Both loops on one dataset, for `seeds` seeds; the result that the command prints."""
    cfg = check_all(cfg)
    if total_epochs(cfg) < 1:
        raise ParamError("bench-recipe trains at least one epoch: set TRAINING_LR_FINAL_EPOCHS "
                         "(or TRAINING_LR_INIT_EPOCHS) to 1 or more")
    ds = data.load(cfg)
    spec = space.named(cfg.model.regnetx, cfg.model).fitted(ds)
    plain, project = [], []
    for s in range(seeds):
        run = cfg.replace(SEED=cfg.run.seed + s)
        project.append({"seed": run["SEED"], **project_run(run, ds, spec)})
        plain.append({"seed": run["SEED"], **plain_loop(run, ds, spec, workers, against)})
    cost = closed_form(spec)
    commit, dirty = git_state()
    result = {
        "dataset": ds.summary(), "augment": ds.augment, "network": spec.name,
        "params": cost["params"], "macs": cost["macs"], "epochs": total_epochs(cfg),
        "batch": cfg.optim.batch_size, "seeds": seeds, "against": against,
        "project": _side(project), "plain": _side(plain),
        "project_recipe": project_recipe(cfg), "plain_recipe": plain_recipe(cfg, against),
        "device": describe_device(pick_device(cfg.run.device)),
        "torch": str(torch.__version__),
        "commit": f"{(commit or 'unknown')[:12]}{'+dirty' if dirty else ''}",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "load_avg": load_average(),
        "command": " ".join(["python -m regnet", *sys.argv[1:]]),
    }
    result["difference"] = round(result["project"]["test_acc"] - result["plain"]["test_acc"], 2)
    for side in ("project", "plain"):
        result[side]["test_acc"] = round(result[side]["test_acc"], 2)
    return result
