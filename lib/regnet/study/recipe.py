"""`python -m regnet bench-recipe`: the project's `train` against a plain PyTorch loop.

Both train the same network from the same initial weights (torch.manual_seed(SEED), then the
model is built) on the same decoded uint8 images, for the same epochs, with the same batch
size, SGD settings (rate, momentum, Nesterov, weight decay, label smoothing) and per-epoch
learning rate, and each reports its final test top-1. The two differ only in how they do it:

- plain: what one writes by hand from the PyTorch and torchvision tutorials. A Dataset over
  the uint8 tensors with torchvision's v2 transforms per image (the dataset's recipe:
  RandomResizedCrop(crop, scale=(DATA_SCALE_MIN, 1)) + RandomHorizontalFlip, or
  RandomCrop(crop, padding=4) + RandomHorizontalFlip; Resize + CenterCrop for test; then
  ToDtype + Normalize), a shuffling DataLoader that drops the last partial batch, and
  `SGD(model.parameters(), ...)`: weight decay on every parameter.
- project: `train.train` on the same loaded dataset: augmentation batched on the device
  (regnet.batches), no weight decay on norms and biases, its own shuffling.

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
from typing import Any, Mapping

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from .. import catalog, data
from ..arch import space
from ..arch.complexity import closed_form
from ..arch.model import build
from ..data.batches import PAD
from ..engine.device import precision_for
from ..engine.distributed import pick_device
from ..engine.loop import autocast_for, train
from ..engine.schedule import step_rate
from ..params import check_all, total_epochs
from ..provenance import describe_device, git_state


class TensorImages(torch.utils.data.Dataset):
    """uint8 images [N, C, H, W] and labels, one transformed image at a time."""

    def __init__(self, x, y, transform):
        self.x, self.y, self.transform = x, y, transform

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(self.x[i]), self.y[i]


def _center(ds, crop: int) -> list:
    return [v2.Resize(max(ds.resize, crop)), v2.CenterCrop(crop)]


#: Each DATA_AUGMENT recipe of catalog.AUGMENTS as torchvision transforms of one image.
PLAIN_RECIPES = {
    "rrc": lambda ds: [v2.RandomResizedCrop(ds.crop, scale=(ds.scale_min, 1.0)),
                       v2.RandomHorizontalFlip()],
    "pad-crop": lambda ds: [v2.RandomCrop(ds.crop, padding=PAD), v2.RandomHorizontalFlip()],
    "flip": lambda ds: _center(ds, ds.crop) + [v2.RandomHorizontalFlip()],
    "none": lambda ds: _center(ds, ds.crop),
}
catalog.check_registry("plain-loop augmentations", PLAIN_RECIPES, catalog.AUGMENTS)


def plain_transforms(ds, training: bool):
    """torchvision's transforms for the dataset's recipe (training) or its test view."""
    view = PLAIN_RECIPES[ds.augment](ds) if training else _center(ds, ds.test_crop)
    return v2.Compose(view + [v2.ToDtype(torch.float32, scale=True),
                              v2.Normalize(list(ds.mean), list(ds.std))])


def plain_loop(cfg: Mapping[str, Any], ds, spec, workers: int = 0) -> dict:
    """Train and test the hand-written way; returns test top-1 per epoch and the seconds."""
    cfg = check_all(cfg)
    device = pick_device(cfg.run.device)
    torch.manual_seed(cfg.run.seed)
    model = build(spec).to(device)
    batch = cfg.optim.batch_size
    train_loader = DataLoader(TensorImages(ds.train_x, ds.train_y, plain_transforms(ds, True)),
                              batch_size=batch, shuffle=True, drop_last=True,
                              num_workers=workers,
                              generator=torch.Generator().manual_seed(cfg.run.seed))
    test_loader = DataLoader(TensorImages(ds.test_x, ds.test_y, plain_transforms(ds, False)),
                             batch_size=batch, num_workers=workers)
    momentum = cfg.optim.momentum
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.schedule.lr_max,
                                momentum=momentum, weight_decay=cfg.optim.weight_decay,
                                nesterov=cfg.optim.nesterov and momentum > 0)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.optim.label_smoothing)
    autocast = autocast_for(precision_for(cfg.run.precision, device), device)
    history, start = [], time.perf_counter()
    for epoch in range(total_epochs(cfg)):
        model.train()
        for step, (x, y) in enumerate(train_loader):
            for group in optimizer.param_groups:
                group["lr"] = step_rate(cfg.schedule, epoch, step, len(train_loader))
            x, y = x.to(device), y.to(device)
            with autocast:
                loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
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


def compare(cfg: Mapping[str, Any], seeds: int = 1, workers: int = 0) -> dict:
    """Both loops on one dataset, for `seeds` seeds; the result that the command prints."""
    cfg = check_all(cfg)
    ds = data.load(cfg)
    spec = space.named(cfg.model.regnetx, cfg.model, input_size=ds.crop,
                       num_classes=ds.num_classes, in_channels=ds.channels)
    plain, project = [], []
    for s in range(seeds):
        run = cfg.replace(SEED=cfg.run.seed + s)
        project.append({"seed": run["SEED"], **project_run(run, ds, spec)})
        plain.append({"seed": run["SEED"], **plain_loop(run, ds, spec, workers)})
    cost = closed_form(spec)
    commit, dirty = git_state()
    result = {
        "dataset": ds.summary(), "augment": ds.augment, "network": spec.name,
        "params": cost["params"], "macs": cost["macs"], "epochs": total_epochs(cfg),
        "batch": cfg.optim.batch_size, "seeds": seeds,
        "project": _side(project), "plain": _side(plain),
        "device": describe_device(pick_device(cfg.run.device)),
        "torch": str(torch.__version__),
        "commit": f"{(commit or 'unknown')[:12]}{'+dirty' if dirty else ''}",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python -m regnet", *sys.argv[1:]]),
    }
    result["difference"] = round(result["project"]["test_acc"] - result["plain"]["test_acc"], 2)
    for side in ("project", "plain"):
        result[side]["test_acc"] = round(result[side]["test_acc"], 2)
    return result
