"""`python -m regnet bench`: training and evaluation images/s of each speed setting, one table.

One process measures the rows one after the other, on the same images and network (ROWS):

    seed           the seeds' pipeline: JPEG files read by torchvision's ImageFolder, PIL
                   transforms (RandomResizedCrop + flip; Resize + CenterCrop to test), a
                   DataLoader with workers; fp32, NCHW, eager
    plain          a plain PyTorch loop: the uint8 images through per-image torchvision
                   transforms and a DataLoader (data/plain.py), stock SGD on
                   model.parameters(); fp32, NCHW, eager
    auto           this project's pipeline (uint8 images on the device, augmented there on the
                   whole batch) with everything auto picks here for a long run
    fp32           the project's pipeline, fp32, NCHW, eager
    channels_last  the same in channels_last
    fast           the PRECISION and CHANNELS_LAST that auto picks here, eager
    compiled       fast + torch.compile
    graphs         compiled + the whole training step as one CUDA graph (graphs.py)

Where auto picks the settings of another row (on an AVX2 x86 CPU: fp32, channels_last, eager, as
the channels_last and fast rows), both are measured: their gap is the noise of the table.
A row this device cannot run is listed as skipped, with the reason. Each row runs `warmup`
untimed training steps and then `warmup` evaluation steps (where torch.compile compiles and
the graph is captured: both timed apart, as compile_seconds and capture_seconds), then
`steps` timed training steps and `steps` timed evaluation steps, the device synchronized at
both ends (compiled rows evaluate compiled). With `rounds` > 1 every row is warmed up first
and the timed steps then run row after row, round after round; each row keeps its median.
Batches come round again, epoch after epoch, when the images run out. `--data-only` times the
data pipelines alone (rows seed, plain and fp32, no network).

The images are the run's DATASET (default: synthetic, course-shaped: 64 px, 56 px crops). The
seed row reads the course's and an imagefolder's own JPEG trees; other datasets' images are
written as a JPEG tree into a temporary folder first. Compiled rows start from a fresh
torch.compile (with rounds > 1 they share dynamo's cache); a later one may find its kernels
in the compile cache (device.compile_cache).
"""
from __future__ import annotations

import datetime
import gc
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Mapping

import torch
from PIL import Image
from torch import nn

from .. import data
from ..arch import memory, space
from ..arch.complexity import closed_form
from ..arch.model import build
from ..errors import ParamError
from ..params import check_all
from ..provenance import describe_device
from ..data.cache import class_root
from ..data.plain import plain_loader
from .device import (COMPILE_MIN_STEPS, TRITON_CAPABILITY, Choice, FirstCall, capability,
                     compile_cache, graphs_impossible, resolve_auto, synchronize)
from .distributed import pick_device
from .graphs import WARMUP_STEPS, GraphedStep, capturable
from .loop import autocast_for, load_average, make_optimizer, train_step
from .schedule import rate

@dataclass(frozen=True)
class Row:
    """One row: its pipeline (seed, plain or project) and its speed settings, each a value
    or "auto" (what auto picks here for a long run)."""
    pipeline: str
    precision: str = "fp32"
    channels_last: bool | str = False
    compile: bool | str = False
    cuda_graphs: bool | str = False

    def setting(self, auto: Choice) -> Choice:
        """The row's settings with auto's choice filled in."""
        return Choice(*(getattr(auto, f) if getattr(self, f) == "auto" else getattr(self, f)
                        for f in ("precision", "channels_last", "compile", "cuda_graphs")))


#: Every row, in the order measured (see the module docstring).
TABLE = {
    "seed": Row("seed"),
    "plain": Row("plain"),
    "auto": Row("project", "auto", "auto", "auto", "auto"),
    "fp32": Row("project"),
    "channels_last": Row("project", channels_last=True),
    "fast": Row("project", "auto", "auto"),
    "compiled": Row("project", "auto", "auto", True),
    "graphs": Row("project", "auto", "auto", True, True),
}
ROWS = tuple(TABLE)
PIPELINES = ("seed", "plain")  # the rows --data-only times: the two other pipelines and fp32


def parse_rows(text: str | None) -> tuple[str, ...]:
    """`--rows seed,fp32` -> ("seed", "fp32"); every row when None."""
    if not text:
        return ROWS
    rows = tuple(r.strip() for r in text.split(",") if r.strip())
    for r in rows:
        if r not in ROWS:
            raise ParamError(f"--rows: no row {r!r}; valid: {', '.join(ROWS)}")
    return rows


def _check_batch(batch: int, name: str, train: int, test: int) -> None:
    if batch > min(train, test):
        raise ParamError(f"DATA_BATCH_SIZE={batch} needs as many training and test images; "
                         f"{name} has {train} and {test}: lower it or use more images")


def bench(cfg: Mapping[str, Any], steps: int = 20, warmup: int = 3, rows=ROWS,
          data_only: bool = False, workers: int | None = None, rounds: int = 1) -> dict:
    """Every selected row's images/s (training and evaluation), with what they ran on.

    rounds > 1: every row is built and warmed up first, then timed `rounds` times in turn
    (row after row, round after round) and its median kept: a load that comes and goes on a
    shared machine then falls on every row alike.
    """
    cfg = check_all(cfg)
    device = pick_device(cfg.run.device)
    batch = cfg.optim.batch_size
    if cfg.data.dataset == "synthetic":  # known before the images are made: say so first
        _check_batch(batch, "synthetic", cfg.data.synthetic_train,
                     cfg.data.synthetic_test)
    ds = data.load(cfg)
    _check_batch(batch, ds.name, len(ds.train_y), len(ds.test_y))
    workers = workers if workers is not None else cfg.data.workers
    workers = workers if workers is not None else min(8, os.cpu_count() or 1)
    spec = space.named(cfg.model.regnetx, cfg.model).fitted(ds)
    memory.check_fits(spec, device, batch, training=True, optimizer=cfg.optim.optimizer,
                      precision=cfg.run.precision)  # before building anything
    cost = closed_form(spec)
    result = {
        "network": spec.name, "params": cost["params"], "macs": cost["macs"],
        "dataset": ds.name, "batch": batch, "crop": ds.crop, "steps": steps,
        "warmup_steps": warmup, "rounds": rounds, "seed_workers": workers,
        "device": describe_device(device), "torch": str(torch.__version__),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python -m regnet", *sys.argv[1:]]), "load_avg": load_average(),
        "rows": [],
    }
    auto = resolve_auto(cfg.run, device, COMPILE_MIN_STEPS)  # as a run long enough to compile
    bench_row = partial(_bench_row, cfg, spec, ds, device, auto, workers, steps, warmup,
                        rounds, data_only)
    runners = []
    with tempfile.TemporaryDirectory(prefix="regnet-bench-") as tmp:
        for name in rows:
            row, runner = bench_row(name, Path(tmp))
            result["rows"].append(row)
            if runner is not None:
                runners.append((row, runner))
        _time_in_turn(runners, rounds, steps)
    return result


def _bench_row(cfg, spec, ds, device, auto, workers: int, steps: int, warmup: int,
               rounds: int, data_only: bool, name: str, tmp: Path) -> tuple[dict, Any]:
    """One row of the table, built and warmed up, and timed now when rounds is 1; its runner
    when it is to be timed in turn with the others (rounds > 1), else None."""
    batch = cfg.optim.batch_size
    pipeline, setting = TABLE[name].pipeline, TABLE[name].setting(auto)
    label = PIPELINE_LABELS[pipeline].format(workers=workers) + setting.describe()
    why = _why_not(name, setting, device, data_only)
    if why:
        return {"row": name, "config": label, "skipped": why}, None
    if pipeline == "seed":
        train_it, test_it, files = _seed_batches(ds, batch, workers, device, tmp,
                                                 (warmup + steps + 1) * batch)
    elif pipeline == "plain":
        train_it, test_it, files = _plain_batches(ds, batch, workers, cfg, device)
    else:
        train_it, test_it, files = _project_batches(ds, batch, setting, cfg, device)
    try:
        runner = Runner(cfg, spec, setting, device, train_it, test_it, data_only,
                        plain=pipeline == "plain", fresh=rounds == 1)
        row = runner.warm(warmup)
        if rounds == 1:
            row.update(runner.time(steps))
    except Exception as e:  # a compile or capture this machine cannot do: say so
        if not setting.compile:
            raise
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        row, runner = {"skipped": f"failed: {first}"}, None
    row = {"row": name, "config": label, **row, **({"files_seconds": files} if files else {})}
    if rounds == 1 or runner is None:
        _release(device)
        return row, None
    return row, runner


def _time_in_turn(runners: list, rounds: int, steps: int) -> None:
    """rounds > 1: time each row in turn, `rounds` times, and keep each row's medians."""
    for row, _ in runners:
        row["rounds"] = []
    for _ in range(rounds if runners else 0):
        for row, runner in runners:
            row["rounds"].append(runner.time(steps))
    for row, _ in runners:
        for key in ("train_images_per_second", "eval_images_per_second"):
            row[key] = statistics.median(r[key] for r in row["rounds"])


PIPELINE_LABELS = {"seed": "seed-style: ImageFolder JPEGs, PIL, {workers} workers; ",
                   "plain": "plain loop: torchvision transforms, DataLoader, {workers} "
                            "workers; ", "project": ""}


def _why_not(name: str, setting: Choice, device: torch.device, data_only: bool) -> str | None:
    """Why a row cannot run here, or None."""
    if data_only and name not in (*PIPELINES, "fp32"):
        return "--data-only times the data pipelines alone"
    if name == "fast" and (setting.precision, setting.channels_last) == ("fp32", False):
        hint = ("; bf16 autocast on a CPU is possible but slow: --set PRECISION=bf16 --set "
                "CHANNELS_LAST=1 measures it") if device.type == "cpu" else ""
        return f"PRECISION and CHANNELS_LAST resolve to fp32, NCHW here: the fp32 row{hint}"
    cap = capability(device)
    if setting.compile and cap is not None and cap < TRITON_CAPABILITY:
        return "torch.compile needs compute capability 7.0 or newer (Triton)"
    if setting.cuda_graphs:
        return graphs_impossible(device, setting.precision, 1)
    return None


class Runner:
    """One row, built: `warm(n)` runs its untimed steps (compile and capture happen there),
    `time(steps)` its timed ones; training, then evaluation, each time."""

    def __init__(self, cfg, spec, setting: Choice, device, train_it, test_it, data_only: bool,
                 plain: bool = False, fresh: bool = True):
        self.device, self.setting, self.batches = device, setting, (train_it, test_it)
        self.net = self.graphed = None
        if data_only:
            def nothing(x, y):
                pass
            self.train = self.evaluate = nothing
            return
        self._build(cfg, spec, plain, fresh)

    def _build(self, cfg, spec, plain: bool, fresh: bool) -> None:
        """The network, optimizer and step of the row; `plain`: the optimizer as a plain loop
        makes it (stock SGD or Adam on every parameter); `fresh`: compile afresh."""
        setting, device = self.setting, self.device
        fmt = torch.channels_last if setting.channels_last else torch.contiguous_format
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: cuDNN picks its fastest kernels
        torch.manual_seed(cfg.run.seed)
        model = build(spec).to(device, memory_format=fmt)
        net = model
        if setting.compile:
            compile_cache()
            if fresh:
                torch._dynamo.reset()  # each compiled row compiles afresh (the disk cache may help)
            net = torch.compile(model)
        optimizer = plain_optimizer(model, cfg.optim) if plain else \
            make_optimizer(model, cfg.optim, device)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.optim.label_smoothing)
        autocast = autocast_for(setting.precision, device)
        if setting.cuda_graphs:
            capturable(optimizer, device).fill_(rate(cfg.schedule, 0))
            train = self.graphed = GraphedStep(net, optimizer, loss_fn, setting.precision,
                                               device, fallback=False)
        else:
            for group in optimizer.param_groups:
                group["lr"] = rate(cfg.schedule, 0)
            scaler = torch.amp.GradScaler(device.type, enabled=setting.precision == "fp16")
            train = partial(train_step, net, optimizer=optimizer, scaler=scaler,
                            loss_fn=loss_fn, autocast=autocast)

        @torch.no_grad()
        def evaluate(x, y):
            with autocast:
                net(x)
        self.net = net
        self.train, self.evaluate = FirstCall(train, device), FirstCall(evaluate, device)

    def _mode(self, training: bool) -> None:
        if self.net is not None:
            self.net.train(training)

    def warm(self, warmup: int) -> dict:
        """The untimed steps, training then evaluation; their seconds, compile and capture."""
        if self.graphed is not None:
            warmup = max(warmup, WARMUP_STEPS + 2)  # eager warm-up, capture, then replays only
        self._mode(True)
        train_warm = run_steps(self.train, self.batches[0], warmup, self.device)
        self._mode(False)
        eval_warm = run_steps(self.evaluate, self.batches[1], warmup, self.device)
        row = {"train_warmup_seconds": train_warm, "eval_warmup_seconds": eval_warm}
        if self.net is not None:
            row["warmup_steps"] = warmup
        if self.setting.compile and self.net is not None:
            row["compile_seconds"] = self.train.seconds + self.evaluate.seconds
        if self.graphed is not None:
            row["capture_seconds"] = self.graphed.capture_seconds
        return row

    def time(self, steps: int) -> dict:
        """Training and evaluation images/s over `steps` timed steps each."""
        self._mode(True)
        train = images_per_second(self.train, self.batches[0], steps, self.device)
        self._mode(False)
        return {"train_images_per_second": train, "eval_images_per_second":
                images_per_second(self.evaluate, self.batches[1], steps, self.device)}


def run_steps(step, batches, n: int, device) -> float:
    """Seconds of `n` untimed steps (the device synchronized at the end)."""
    t0 = time.perf_counter()
    for _ in range(n):
        step(*next(batches))
    synchronize(device)
    return time.perf_counter() - t0


def images_per_second(step, batches, steps: int, device) -> float:
    """Images per second over `steps` steps, the device synchronized at both ends."""
    synchronize(device)
    t0 = time.perf_counter()
    images = 0
    for _ in range(steps):
        x, y = next(batches)  # fetching is part of the cost: the seed row pays for decoding
        step(x, y)
        images += len(y)
    synchronize(device)
    return images / (time.perf_counter() - t0)


def plain_optimizer(model, optim):
    """What a plain loop writes: one group of every parameter, torch's default kernels."""
    if optim.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.0, momentum=optim.momentum,
                               weight_decay=optim.weight_decay,
                               nesterov=optim.nesterov and optim.momentum > 0)
    adam = torch.optim.AdamW if optim.optimizer == "adamw" else torch.optim.Adam
    return adam(model.parameters(), lr=0.0, weight_decay=optim.weight_decay)


def forever(batches):
    """The batches epoch after epoch (a Batches takes each epoch's own order)."""
    epoch = 0
    while True:
        if hasattr(batches, "set_epoch"):
            batches.set_epoch(epoch)
        yield from batches
        epoch += 1


def _project_batches(ds, batch, setting: Choice, cfg, device):
    """This project's train and test batches on the device, in the row's dtype and layout."""
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[
        setting.precision]
    common = dict(device=device, seed=cfg.run.seed, dtype=dtype,
                  channels_last=setting.channels_last)
    # whole test batches too: one shape, so a compiled row never recompiles mid-measurement
    return (forever(data.Batches(ds, "train", batch, **common)),
            forever(data.Batches(ds, "test", batch, drop_last=True, **common)), None)


def _plain_batches(ds, batch, workers, cfg, device):
    """The plain loop's train and test batches (data/plain.py), copied to the device."""
    return (_to_device(forever(plain_loader(ds, "train", batch, workers, cfg.run.seed)), device),
            _to_device(forever(plain_loader(ds, "test", batch, workers, cfg.run.seed)), device),
            None)


def _seed_batches(ds, batch, workers, device, tmp: Path, limit: int):
    """The seed pipeline's train and test batches, copied to the device; and the seconds
    spent writing JPEG trees (None when the dataset's own trees are read)."""
    t0 = time.perf_counter()
    folders, written = {}, False
    for split in ("train", "test"):
        folders[split] = source_folders(ds, split)
        if not folders[split]:
            x, y = (ds.train_x, ds.train_y) if split == "train" else (ds.test_x, ds.test_y)
            folders[split] = [write_jpeg_tree(x, y, ds.classes, tmp / split, limit)]
            written = True
    files = time.perf_counter() - t0 if written else None
    pin = device.type == "cuda"
    return (_to_device(forever(seed_loader(folders["train"], ds, "train", batch, workers, pin)),
                       device),
            _to_device(forever(seed_loader(folders["test"], ds, "test", batch, workers, pin)),
                       device), files)


def _to_device(batches, device):
    for x, y in batches:
        yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def seed_loader(folders: list[Path], ds, split: str, batch: int, workers: int, pin: bool):
    """The seeds' pipeline: ImageFolder JPEG trees, PIL transforms, a DataLoader."""
    # here, not at the top: torchvision takes seconds to import, and only this row needs it
    from torch.utils.data import ConcatDataset, DataLoader
    from torchvision import datasets, transforms
    if split == "train":
        geometry = [transforms.RandomResizedCrop(ds.crop, scale=(ds.scale_min, 1.0)),
                    transforms.RandomHorizontalFlip()]
    else:
        geometry = [transforms.Resize(max(ds.resize, ds.test_crop)),
                    transforms.CenterCrop(ds.test_crop)]
    t = transforms.Compose([*geometry, transforms.ToTensor(),
                            transforms.Normalize(ds.mean, ds.std)])
    opener = partial(_open, mode="L" if ds.channels == 1 else "RGB")  # picklable for workers
    trees = [datasets.ImageFolder(str(f), transform=t, loader=opener) for f in folders]
    return DataLoader(ConcatDataset(trees), batch_size=batch, shuffle=split == "train",
                      drop_last=True, num_workers=workers, pin_memory=pin,
                      persistent_workers=workers > 0)


def _open(path: str, mode: str):
    with Image.open(path) as im:
        return im.convert(mode)


def source_folders(ds, split: str) -> list[Path]:
    """The JPEG trees the dataset was decoded from (imagefolder, course), else none."""
    root = Path(ds.source)
    if ds.name == "imagefolder":
        return [root / ("train" if split == "train" else "val")]
    if ds.name == "course":
        folders = sorted(f for f in (root / "extracted").iterdir() if f.is_dir())
        val = [f.name.lower().startswith("val") for f in folders]
        return [class_root(f) for f, v in zip(folders, val) if v == (split == "test")]
    return []


def write_jpeg_tree(x: torch.Tensor, y: torch.Tensor, classes, root: Path, limit: int) -> Path:
    """The first `limit` uint8 images as root/CLASS/N.jpg (quality 95): an ImageFolder tree."""
    for i in range(min(limit, len(y))):
        folder = root / str(classes[int(y[i])]).replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)  # only classes with images: ImageFolder
        Image.fromarray(x[i].permute(1, 2, 0).squeeze(-1).numpy()).save(folder / f"{i}.jpg",
                                                                       quality=95)
    return root


def _release(device) -> None:
    """Free one row's memory before the next."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def format_table(result: dict) -> str:
    """The rows as one table, with a header line saying what and where."""
    head = (f"{result['network']} ({result['params']:,} params, {result['macs'] / 1e6:.1f} M "
            f"MACs), {result['dataset']} data, batch {result['batch']}, {result['crop']} px "
            f"crops, {result['warmup_steps']} warm-up + {result['steps']} timed steps; "
            f"{result['device']}, torch {result['torch']}, {result['date']}"
            + (f", load average {result['load_avg']}" if result.get("load_avg") is not None
               else ""))
    width = max([len("configuration")] + [len(r["config"]) for r in result["rows"]])
    names = max(len(r["row"]) for r in result["rows"]) if result["rows"] else 3
    lines = [head, f"{'row':<{names}} {'configuration':<{width}} {'train img/s':>11} "
                   f"{'eval img/s':>11} {'compile s':>9} {'capture s':>9}"]

    def num(row, key, fmt):
        return format(row[key], fmt) if row.get(key) is not None else "-"
    for r in result["rows"]:
        line = (f"{r['row']:<{names}} {r['config']:<{width}} "
                f"{num(r, 'train_images_per_second', ',.1f'):>11} "
                f"{num(r, 'eval_images_per_second', ',.1f'):>11} "
                f"{num(r, 'compile_seconds', '.1f'):>9} {num(r, 'capture_seconds', '.2f'):>9}")
        lines.append(line + (f"  skipped: {r['skipped']}" if "skipped" in r else ""))
    return "\n".join(lines)
