"""`python -m regnet bench-data`: batches per second of this project's pipeline and the seed's.

Both pipelines read the same images. The seed's is torchvision's ImageFolder with PIL
RandomResizedCrop, RandomHorizontalFlip, ToTensor and Normalize behind a DataLoader with
workers; it reads the dataset's own JPEG tree (imagefolder, course) or, for the other
datasets, a JPEG tree written to a temporary folder from the cached images. Each pipeline's
first batch (worker start-up, copying the cache to the device) is timed apart from the rest.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path



def resolve_device(name: str):
    """DEVICE=auto is CUDA when there is one, else the CPU."""
    import torch
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _sync(device) -> None:
    if device.type == "cuda":
        import torch
        torch.cuda.synchronize(device)


def _time(batches, count: int, device) -> dict:
    """Seconds for the first batch, then batches/s and images/s over the next `count`."""
    it = iter(batches)
    start = time.perf_counter()
    first = next(it)
    _sync(device)
    first_s = time.perf_counter() - start
    seen, images = 0, 0
    start = time.perf_counter()
    while seen < count:
        for x, _ in it:
            images += len(x)
            seen += 1
            if seen == count:
                break
        else:
            it = iter(batches)
    _sync(device)
    elapsed = time.perf_counter() - start
    del first
    return {"first_batch_s": round(first_s, 4), "batches": seen,
            "batches_per_s": round(seen / elapsed, 2), "images_per_s": round(images / elapsed, 1)}


class _Epochs:
    """A Batches that moves to the next epoch each time it is iterated again."""

    def __init__(self, batches):
        self.batches, self.epoch = batches, 0

    def __iter__(self):
        self.batches.set_epoch(self.epoch)
        self.epoch += 1
        return iter(self.batches)


class _OnDevice:
    """A DataLoader whose batches are copied to `device`, as a training loop would."""

    def __init__(self, loader, device):
        self.loader, self.device = loader, device

    def __iter__(self):
        for x, y in self.loader:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


def write_jpeg_tree(ds, root: Path, limit: int) -> Path:
    """The first `limit` training images as root/train/CLASS/N.jpg (quality 95)."""
    from PIL import Image
    for i in range(min(limit, len(ds.train_y))):
        arr = ds.train_x[i].permute(1, 2, 0).squeeze(-1).numpy()
        folder = root / "train" / ds.classes[int(ds.train_y[i])].replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)  # only classes with images: ImageFolder
        Image.fromarray(arr).save(folder / f"{i}.jpg", quality=95)
    return root / "train"


def seed_loader(folders: list[Path], ds, batch_size: int, workers: int, pin: bool):
    """The seed's pipeline: ImageFolder + PIL transforms + DataLoader."""
    import torch
    from torchvision import datasets, transforms
    t = transforms.Compose([
        transforms.RandomResizedCrop(ds.crop, scale=(ds.scale_min, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(ds.mean, ds.std),
    ])
    opener = partial(_open, mode="L" if ds.channels == 1 else "RGB")  # picklable for workers
    trees = [datasets.ImageFolder(str(f), transform=t, loader=opener) for f in folders]
    return torch.utils.data.DataLoader(torch.utils.data.ConcatDataset(trees),
                                       batch_size=batch_size, shuffle=True, drop_last=True,
                                       num_workers=workers, pin_memory=pin,
                                       persistent_workers=workers > 0)


def _open(path: str, mode: str):
    from PIL import Image
    with Image.open(path) as im:
        return im.convert(mode)


def source_folders(ds, values) -> list[Path]:
    """The JPEG trees the dataset was decoded from (imagefolder, course), else none."""
    from ..data import cache as images
    root = Path(ds.source)
    if ds.name == "imagefolder":
        return [root / "train"]
    if ds.name == "course":
        return [images.class_root(f) for f in sorted((root / "extracted").iterdir())
                if f.is_dir() and not f.name.lower().startswith("val")]
    return []


def bench_data(values, batches: int, workers: int | None = None) -> dict:
    """Time both pipelines on the same images; return the figures as one dict."""
    workers = workers if workers is not None else \
        (values["DATA_WORKERS"] if values["DATA_WORKERS"] is not None
         else min(8, os.cpu_count() or 1))
    import torch

    from .. import data
    device = resolve_device(values["DEVICE"])
    ds = data.load(values)
    batch = min(values["DATA_BATCH_SIZE"], len(ds.train_y))
    ours = data.Batches(ds, "train", batch, device=device, seed=values["SEED"],
                        channels_last=values["CHANNELS_LAST"])
    project = _time(_Epochs(ours), batches, device)
    with tempfile.TemporaryDirectory(prefix="regnet-bench-") as tmp:
        folders = source_folders(ds, values) or \
            [write_jpeg_tree(ds, Path(tmp), limit=(batches + 2) * batch)]
        loader = seed_loader(folders, ds, batch, workers, pin=device.type == "cuda")
        seed = _time(_OnDevice(loader, device), batches, device)
    return {
        "dataset": ds.name, "device": str(device), "batch_size": batch, "crop": ds.crop,
        "images": len(ds.train_y), "image_size": list(ds.image_size), "torch_threads":
        torch.get_num_threads(), "seed_workers": workers, "project": project, "seed": seed,
        "speedup": round(project["batches_per_s"] / seed["batches_per_s"], 2),
    }
