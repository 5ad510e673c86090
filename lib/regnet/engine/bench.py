"""Training and evaluation speed: this project's pipeline against a seed-style baseline.

Both run the same network on the same synthetic course-shaped images (64 px, 56 px crops),
in one process, one after the other:

- pipeline: uint8 images kept on the device, crops and flips done there on the whole batch
  (data.Batches), the run's PRECISION, CHANNELS_LAST and COMPILE, and train.train_step.
- baseline: what the seeds ran: JPEG files read by torchvision's ImageFolder, PIL transforms
  (RandomResizedCrop + flip for training, Resize + CenterCrop for testing), a DataLoader with
  DATA_WORKERS workers, fp32, eager, NCHW.

Each measurement runs `warmup` untimed steps first (torch.compile happens there; their time is
reported apart), then `steps` timed steps, with the device synchronized at both ends.
"""
from __future__ import annotations

import datetime
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from .. import data
from ..arch import memory, space
from ..arch.complexity import closed_form
from ..arch.model import build
from ..errors import ParamError
from ..params import PARAMS, check_all
from ..provenance import describe_device
from .distributed import pick_device
from .loop import autocast_for, make_optimizer, train_step
from .schedule import rate


def bench(values: Mapping[str, Any], steps: int = 20, warmup: int = 3,
          images: int | None = None, baseline: bool = True) -> dict:
    """Images per second, training and evaluation, for the pipeline and the baseline."""
    batch = values["DATA_BATCH_SIZE"]
    n = max(images or 0, batch * (warmup + steps))  # every step gets a fresh batch
    most = PARAMS["DATA_SYNTHETIC_TRAIN"].maximum
    if n > most:
        raise ParamError(f"bench needs {n:,} images (DATA_BATCH_SIZE {batch} x {warmup + steps} "
                         f"steps, or --images), more than {most:,}; use fewer --steps or a "
                         "smaller batch")
    values = check_all({**values, "DATASET": "synthetic", "DATA_SYNTHETIC_TRAIN": n,
                        "DATA_SYNTHETIC_TEST": n})
    device = pick_device(values["DEVICE"])
    ds = data.load(values)
    spec = space.named(values["REGNETX"], values.model, input_size=ds.crop,
                       num_classes=ds.num_classes, in_channels=ds.channels)
    memory.check_fits(spec, device, batch, training=True, optimizer=values["TRAINING_OPTIMIZER"],
                      precision=values["PRECISION"])  # before building anything
    cost = closed_form(spec)
    result = {
        "network": spec.name, "params": cost["params"], "macs": cost["macs"],
        "batch": batch, "crop": ds.crop, "steps": steps, "warmup_steps": warmup,
        "device": describe_device(device), "torch": str(torch.__version__),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python -m regnet", *sys.argv[1:]]),
        "pipeline": measure_pipeline(values, spec, ds, device, steps, warmup),
    }
    if baseline:
        workers = values["DATA_WORKERS"] if values["DATA_WORKERS"] is not None else 2
        result["baseline"] = measure_baseline(values, spec, ds, device, steps, warmup, workers)
        for kind in ("train", "eval"):
            key = f"{kind}_images_per_second"
            result[f"{kind}_speedup"] = result["pipeline"][key] / result["baseline"][key]
    return result


def measure_pipeline(values, spec, ds, device, steps, warmup) -> dict:
    """The project's path: device-resident data, device augmentation, autocast, options."""
    precision, channels_last = values["PRECISION"], values["CHANNELS_LAST"]
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    torch.manual_seed(values["SEED"])
    model = build(spec).to(device, memory_format=fmt)
    net = torch.compile(model) if values["COMPILE"] else model
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    common = dict(device=device, seed=values["SEED"], dtype=dtype, channels_last=channels_last)
    train_batches = data.Batches(ds, "train", values["DATA_BATCH_SIZE"], **common)
    test_batches = data.Batches(ds, "test", values["DATA_BATCH_SIZE"], **common)
    autocast = autocast_for(precision, device)
    return {"precision": precision, "channels_last": channels_last,
            "compile": values["COMPILE"],
            **measure(values, model, net, train_batches, test_batches, autocast, device,
                      steps, warmup)}


def measure_baseline(values, spec, ds, device, steps, warmup, workers) -> dict:
    """The seeds' path: JPEG files, ImageFolder, PIL transforms, DataLoader, fp32 eager NCHW."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    mean, std = list(ds.mean), list(ds.std)
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(ds.crop, scale=(values["DATA_SCALE_MIN"], 1.0)),
        transforms.RandomHorizontalFlip(), transforms.ToTensor(),
        transforms.Normalize(mean, std)])
    test_tf = transforms.Compose([
        transforms.Resize(ds.resize), transforms.CenterCrop(ds.test_crop),
        transforms.ToTensor(), transforms.Normalize(mean, std)])
    with tempfile.TemporaryDirectory(prefix="regnet-bench-") as root:
        t0 = time.perf_counter()
        write_image_folder(ds.train_x, ds.train_y, Path(root) / "train")
        write_image_folder(ds.test_x, ds.test_y, Path(root) / "test")
        files_seconds = time.perf_counter() - t0
        loader = dict(batch_size=values["DATA_BATCH_SIZE"], num_workers=workers,
                      pin_memory=device.type == "cuda", persistent_workers=workers > 0)
        train_loader = DataLoader(datasets.ImageFolder(f"{root}/train", train_tf),
                                  shuffle=True, drop_last=True, **loader)
        test_loader = DataLoader(datasets.ImageFolder(f"{root}/test", test_tf), **loader)
        torch.manual_seed(values["SEED"])
        model = build(spec).to(device)
        result = measure({**values, "PRECISION": "fp32"}, model, model,
                         on_device(train_loader, device), on_device(test_loader, device),
                         autocast_for("fp32", device), device, steps, warmup)
    return {"precision": "fp32", "channels_last": False, "compile": False, "workers": workers,
            **result, "files_seconds": files_seconds}


def measure(values, model, net, train_batches, test_batches, autocast, device, steps,
            warmup) -> dict:
    """Warm-up then timed steps of training, then the same for evaluation."""
    optimizer = make_optimizer(model, values, device)
    for group in optimizer.param_groups:
        group["lr"] = rate(values, 0)
    scaler = torch.amp.GradScaler(device.type, enabled=values["PRECISION"] == "fp16")
    loss_fn = nn.CrossEntropyLoss(label_smoothing=values["TRAINING_LABEL_SMOOTHING"])

    def train(x, y):
        train_step(net, x, y, optimizer, scaler, loss_fn, autocast)

    @torch.no_grad()
    def evaluate(x, y):
        with autocast:
            net(x)

    net.train()
    train_warm, train_ips = timed(train, iter(train_batches), warmup, steps, device)
    net.eval()
    eval_warm, eval_ips = timed(evaluate, iter(test_batches), warmup, steps, device)
    return {"train_images_per_second": train_ips, "eval_images_per_second": eval_ips,
            "train_warmup_seconds": train_warm, "eval_warmup_seconds": eval_warm}


def timed(step, batches, warmup: int, steps: int, device) -> tuple[float, float]:
    """(seconds of the warm-up steps, images per second over the timed steps)."""
    t0 = time.perf_counter()
    for _ in range(warmup):
        step(*next(batches))
    synchronize(device)
    t1 = time.perf_counter()
    images = 0
    for _ in range(steps):
        x, y = next(batches)  # fetching is part of the cost: the baseline pays for decoding
        step(x, y)
        images += len(y)
    synchronize(device)
    return t1 - t0, images / (time.perf_counter() - t1)


def on_device(loader, device):
    """The loader's batches, copied to the device."""
    for x, y in loader:
        yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that wall-clock time measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def write_image_folder(x: torch.Tensor, y: torch.Tensor, root: Path) -> None:
    """uint8 images as JPEG files in class folders (an ImageFolder tree, like the course's)."""
    from PIL import Image
    for i, (img, label) in enumerate(zip(x.numpy(), y.tolist())):
        folder = root / f"class{label:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img.transpose(1, 2, 0).squeeze()).save(folder / f"{i}.jpg", quality=90)
