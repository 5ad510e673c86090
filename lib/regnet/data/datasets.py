"""Datasets as uint8 tensors: `load(cfg)` returns a `Dataset`; `Batches` feeds a model.

`DATASET` picks the source and its natural defaults (classes, channels, image size, crop,
resize, normalization statistics); any DATA_* parameter that is set overrides them:

- `course`: the course's ImageNet-100 at 64 px: six archives downloaded into DATA_DIR
  (default ~/.cache/regnet/course), verified and extracted by `regnet.data.download`, then
  decoded once into a uint8 cache by `regnet.data.cache` (see there how images enter the
  cache, and why a corrupt image is skipped and counted rather than fatal).
- `imagefolder`: DATA_DIR/train and DATA_DIR/val, each a class-per-folder tree of images.
- `cifar100`: torchvision's CIFAR-100 in DATA_DIR (downloaded where the machine is online).
- `fashion-mnist`: the four IDX files (gzipped or not) in DATA_DIR, DATA_DIR/FashionMNIST/raw
  or /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist); 1 channel, 28 px.
- `synthetic`: made here, no files, the same images for every SEED (`SYNTHETIC_SEED`), so that
  runs of different seeds differ in their training alone: each class has its own colour and an oriented
  stripe pattern of its own frequency; each image adds a random phase, colour jitter and
  noise, so a conv net must look at colour and texture, and random crops and flips keep both.
- `tiny-imagenet`: Tiny ImageNet's official layout in DATA_DIR (the folder, its parent, or a
  folder holding the zip), or downloaded; DATA_CLASSES picks classes (see
  regnet.data.tiny_imagenet).

Each dataset also brings its training augmentation (DATA_AUGMENT=auto): random resized crop +
flip for the 64 px ImageNet-like sets, pad-and-random-crop + flip for the 28-32 px ones.

Every image of a dataset has the same H and W in the cache, so a batch is one tensor index.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from . import cache as images
from . import download, tiny_imagenet
from .batches import Batches, center_crop, resize_short
from .. import catalog
from ..arch.memory import device_memory
from ..errors import ParamError
from ..params import DATASETS, Config, DataConfig

__all__ = ["DATASETS", "Dataset", "Batches", "dataset_defaults", "load", "settings",
           "synthetic"]

FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
SMALL_IMAGES = 32  # image folders at this side or less take the small-image recipe
COURSE_SIDE = 64  # larger image folders are cached at the course's size


def _check_name(name: str) -> str:
    if name not in DATASETS:
        raise ParamError(f"DATASET={name!r} is not one of: {', '.join(DATASETS)}")
    return name


def dataset_defaults(name: str, data: DataConfig | None = None) -> dict[str, Any]:
    """The natural DATA_* values (and mean/std) of dataset `name`.

    Given the data group: for `synthetic`, DATA_SYNTHETIC_SIZE sets the image size. For
    `imagefolder`, the images set it: DATA_IMAGE_SIZE, else their own short side (read from
    a sample of their headers) up to the course's 64 px, and `sizing` says which. A size sets
    the rest by `sized`. For `tiny-imagenet`, DATA_CLASSES gives the number of classes.
    """
    out = catalog.dataset(_check_name(name)).natural()
    if data is None:
        return out
    if name == "synthetic":
        out.update(sized(data.synthetic_size, small=False))
    if name == "imagefolder":
        size, out["sizing"] = _folder_size(data)
        out.update(sized(size))
    if name == "tiny-imagenet":
        chosen = data.classes
        out["DATA_NUM_CLASSES"] = len(chosen) if isinstance(chosen, tuple) else chosen
    return out


def sized(size: int, small: bool = True) -> dict[str, Any]:
    """Image size, crop, resize and recipe for images of side `size`: 7/8 random resized crops
    (as 56 of 64); with `small`, images of SMALL_IMAGES px or less instead crop at their own
    size with pad-crop, whose few pixels a resized crop would blur away."""
    if small and size <= SMALL_IMAGES:
        return dict(DATA_IMAGE_SIZE=size, DATA_RESIZE=size, DATA_CROP=size, augment="pad-crop")
    return dict(DATA_IMAGE_SIZE=size, DATA_RESIZE=size, DATA_CROP=max(1, round(size * 7 / 8)),
                augment="rrc")


def _folder_size(data: DataConfig) -> tuple[int, str]:
    """The side image folders are cached at, and why."""
    if data.image_size:
        return data.image_size, f"DATA_IMAGE_SIZE={data.image_size}"
    side = _short_side(str(Path(data.dir).expanduser() / "train")) if data.dir else None
    if side is None:
        return COURSE_SIDE, f"{COURSE_SIDE} px, the course's (no images found to measure)"
    if side > COURSE_SIDE:
        return COURSE_SIDE, f"{COURSE_SIDE} px, the course's (the images' short side is {side} px)"
    return side, f"{side} px, the images' own short side"


@functools.lru_cache(maxsize=16)
def _short_side(train: str) -> int | None:
    return images.short_side(Path(train))


@dataclass
class Dataset:
    """A whole dataset in memory (or memory-mapped) as uint8, with how to present it."""
    name: str
    train_x: torch.Tensor  # uint8 [N, C, H, W]
    train_y: torch.Tensor  # int64 [N]
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: list[str]
    mean: tuple[float, ...]  # per channel, 0..1 units
    std: tuple[float, ...]
    crop: int  # training crop
    resize: int  # test: resize the short side to this ...
    test_crop: int  # ... then center crop to this
    scale_min: float  # smallest area fraction of the random resized crop (DATA_SCALE_MIN)
    augment: str  # the training recipe: rrc, pad-crop, flip or none (regnet.data.batches)
    skipped: int = 0  # unreadable images left out of the cache
    source: str = ""  # where the images came from
    sizing: str = ""  # how the cached size was chosen, where the images chose it
    fingerprint: str | None = None  # of the source files' content (`data_fingerprint`)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def channels(self) -> int:
        return int(self.train_x.shape[1])

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.train_x.shape[2]), int(self.train_x.shape[3])

    def summary(self) -> str:
        """One line: what was loaded, its shape, and how many unreadable images were skipped."""
        h, w = self.image_size
        decoded = self.skipped or self.name in ("course", "imagefolder")  # files we decode
        skipped = f", {self.skipped} unreadable images skipped" if decoded else ""
        return (f"{self.name}: {len(self.train_y)} train / {len(self.test_y)} test images, "
                f"{self.num_classes} classes, {self.channels}x{h}x{w} cached, crop {self.crop} "
                f"({self.augment}){f', cached at {self.sizing}' if self.sizing else ''}, "
                f"test resize {self.resize} + crop {self.test_crop}{skipped}"
                f"{f' ({self.source})' if self.source else ''}")


# --- synthetic -----------------------------------------------------------------------------

#: The seed of the `synthetic` dataset's images: fixed, like any dataset's files, so that SEED
#: varies a run's training (initial weights, batch order, augmentation), not its data.
SYNTHETIC_SEED = 0


def synthetic(n: int, num_classes: int, size: int, seed: int, split: int,
              channels: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` images uint8 [n, C, size, size] and labels; class looks depend on `seed` only."""
    proto = np.random.default_rng([seed, 0])  # shared by train and test: what a class looks like
    colour = proto.uniform(0.2, 0.8, (num_classes, channels))
    angle = proto.uniform(0, np.pi, num_classes)
    freq = proto.uniform(1.5, 6.0, num_classes)  # stripes per image width
    rng = np.random.default_rng([seed, 1 + split])
    labels = rng.permutation(np.arange(n) % num_classes)
    coords = (np.arange(size) + 0.5) / size
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    out = np.empty((n, channels, size, size), dtype=np.uint8)
    for start in range(0, n, 256):  # bounded memory: float images are built a chunk at a time
        y = labels[start:start + 256]
        m = len(y)
        a = angle[y][:, None, None]
        phase = rng.uniform(0, 2 * np.pi, (m, 1, 1))
        wave = np.sin(2 * np.pi * freq[y][:, None, None]
                      * (xx * np.cos(a) + yy * np.sin(a)) + phase)
        base = colour[y] + rng.normal(0, 0.04, (m, channels))
        img = base[:, :, None, None] + 0.18 * wave[:, None] \
            + rng.normal(0, 0.06, (m, channels, size, size))
        out[start:start + m] = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    return torch.from_numpy(out), torch.from_numpy(labels.astype(np.int64))


def _load_synthetic(data: DataConfig, size, defaults, seed, progress):
    classes = data.num_classes or defaults["DATA_NUM_CLASSES"]
    channels = data.num_channels or 3
    count = data.synthetic_train + data.synthetic_test
    need, have = count * channels * size * size, device_memory("cpu")
    if need > have // 2:  # before generating: the images must fit beside everything else
        raise ParamError(f"DATA_SYNTHETIC_TRAIN + DATA_SYNTHETIC_TEST = {count:,} images of "
                         f"{channels}x{size}x{size} take {need / 1e9:,.1f} GB, more than half "
                         f"of this machine's {have / 1e9:,.1f} GB; make fewer or smaller images")
    tx, ty = synthetic(data.synthetic_train, classes, size, SYNTHETIC_SEED, 0, channels)
    vx, vy = synthetic(data.synthetic_test, classes, size, SYNTHETIC_SEED, 1, channels)
    names = [f"class{i:03d}" for i in range(classes)]
    return tx, ty, vx, vy, names, 0, "generated: the same images for every seed"


# --- image folders and the course archives ---------------------------------------------------

def _workers(data: DataConfig) -> int:
    return min(8, os.cpu_count() or 1) if data.workers is None else data.workers


def _mode(data: DataConfig) -> str:
    """How Pillow decodes: grey when one channel is asked for, else RGB."""
    return "L" if data.num_channels == 1 else "RGB"


def _folders_to_tensors(name, train_roots, test_roots, cache_dir, data, size, progress):
    """Scan both splits (all errors before any decoding), then load or build their caches."""
    train = images.scan(train_roots, f"{name} train")
    test = images.scan(test_roots, f"{name} test")
    unknown = sorted(set(test) - set(train))
    if unknown:
        raise ParamError(f"{name}: test class folder {unknown[0]!r} has no training folder "
                         f"({len(unknown)} such)")
    classes = sorted(train)
    args = dict(classes=classes, cache_dir=cache_dir, size=size, mode=_mode(data),
                workers=_workers(data), progress=progress)
    tx, ty, tmeta = images.cached_folder_split(train, split="train", **args)
    vx, vy, vmeta = images.cached_folder_split(test, split="test", **args)
    skipped = tmeta["skipped"] + vmeta["skipped"]
    return (torch.from_numpy(tx), torch.from_numpy(ty), torch.from_numpy(vx),
            torch.from_numpy(vy), classes, skipped)


def _data_dir(data: DataConfig, name: str, must_exist: bool) -> Path:
    given = data.dir
    if given is None:
        if must_exist:
            raise ParamError(f"DATASET={name} needs DATA_DIR (a folder with train/ and val/ "
                             "class-per-folder trees)")
        return Path.home() / ".cache" / "regnet" / name
    path = Path(given).expanduser()
    if must_exist and not path.is_dir():
        raise ParamError(f"DATA_DIR={given} does not exist or is not a folder")
    return path


def _load_imagefolder(data: DataConfig, size, defaults, seed, progress):
    root = _data_dir(data, "imagefolder", must_exist=True)
    for split in ("train", "val"):
        if not (root / split).is_dir():
            raise ParamError(f"DATA_DIR={root} has no {split}/ folder (expected "
                             f"{root}/{split}/CLASS/*.jpg)")
    out = _folders_to_tensors("imagefolder", [root / "train"], [root / "val"],
                              images.writable_cache_dir(root, "imagefolder"), data, size,
                              progress)
    return (*out, str(root))


def _load_course(data: DataConfig, size, defaults, seed, progress):
    root = _data_dir(data, "course", must_exist=False)
    folders = download.fetch_course(root, progress=progress, allow_download=data.download)
    train = [images.class_root(f) for f in folders if not f.name.lower().startswith("val")]
    test = [images.class_root(f) for f in folders if f.name.lower().startswith("val")]
    out = _folders_to_tensors("course", train, test, images.writable_cache_dir(root, "course"),
                              data, size, progress)
    return (*out, str(root))


# --- fashion-mnist and cifar100 -------------------------------------------------------------

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (the MNIST format), gzipped or not, as a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ParamError(f"{path}: cannot read ({e})") from None
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _IDX_TYPES:
        raise ParamError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    body = data[4 + 4 * ndim:]
    if len(body) != int(np.prod(dims)) * dtype.itemsize:
        raise ParamError(f"{path}: holds {len(body)} bytes of data but its header says {dims}; "
                         "the file is truncated or corrupt")
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def _find_idx(dirs: list[Path], stem: str) -> Path | None:
    for d in dirs:
        for name in (stem, stem + ".gz"):
            if (d / name).is_file():
                return d / name
    return None


def _fashion_dirs(data: DataConfig) -> list[Path]:
    dirs = [Path(d) for d in FASHION_MNIST_DIRS]
    if data.dir:
        root = Path(data.dir).expanduser()
        dirs = [root, root / "FashionMNIST" / "raw"] + dirs
    return dirs


_FASHION_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _load_fashion_mnist(data: DataConfig, size, defaults, seed, progress):
    stems = list(_FASHION_STEMS)
    dirs = _fashion_dirs(data)
    found = [_find_idx(dirs, s) for s in stems]
    if None in found and data.download:
        root = _data_dir(data, "fashion-mnist", must_exist=False)
        try:
            import torchvision  # seconds to import: only this download and CIFAR-100 use it
            torchvision.datasets.FashionMNIST(str(root), download=True)
        except Exception as e:  # offline, or the mirror moved: say where files go instead
            missing = stems[found.index(None)]
            raise ParamError(f"fashion-mnist: {missing}[.gz] not found in "
                             f"{', '.join(map(str, dirs))} and the download failed "
                             f"({type(e).__name__}); put the four IDX files in DATA_DIR or "
                             "apt-get install dataset-fashion-mnist") from None
        dirs = [root / "FashionMNIST" / "raw"] + dirs
        found = [_find_idx(dirs, s) for s in stems]
    if None in found:
        missing = stems[found.index(None)]
        raise ParamError(f"fashion-mnist: {missing}[.gz] not found in "
                         f"{', '.join(map(str, dirs))}; put the four IDX files in DATA_DIR or "
                         "apt-get install dataset-fashion-mnist")
    tx, ty, vx, vy = (read_idx(p) for p in found)
    for x, y, p in ((tx, ty, found[0]), (vx, vy, found[2])):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ParamError(f"{p}: {x.shape} images do not match {y.shape} labels")
    tx, vx = (torch.from_numpy(x.copy())[:, None] for x in (tx, vx))
    ty, vy = (torch.from_numpy(y.astype(np.int64)) for y in (ty, vy))
    return tx, ty, vx, vy, list(FASHION_MNIST_CLASSES), 0, str(found[0].parent)


def _load_cifar100(data: DataConfig, size, defaults, seed, progress):
    root = _data_dir(data, "cifar100", must_exist=False)
    if not data.download and not (root / "cifar-100-python").is_dir():
        raise ParamError(f"cifar100: {root}/cifar-100-python not found and DATA_DOWNLOAD is "
                         f"false; put cifar-100-python.tar.gz from {CIFAR100_URL} in {root} "
                         "and extract it, or allow the download")
    import torchvision  # seconds to import: only CIFAR-100 and a Fashion-MNIST download use it
    try:
        train = torchvision.datasets.CIFAR100(str(root), train=True,
                                              download=data.download)
        test = torchvision.datasets.CIFAR100(str(root), train=False, download=False)
    except Exception as e:  # offline or absent: one line saying where the archive goes
        raise ParamError(f"cifar100: not found in {root} ({type(e).__name__}); put "
                         f"cifar-100-python.tar.gz from {CIFAR100_URL} there, or run where "
                         "the machine is online") from None
    tx, vx = (torch.from_numpy(np.ascontiguousarray(d.data.transpose(0, 3, 1, 2)))
              for d in (train, test))
    ty, vy = (torch.as_tensor(d.targets, dtype=torch.int64) for d in (train, test))
    return tx, ty, vx, vy, list(train.classes), 0, str(root)


def _load_tiny_imagenet(data: DataConfig, size, defaults, seed, progress):
    root = _data_dir(data, "tiny-imagenet", must_exist=False)
    classes = list(data.classes) if isinstance(data.classes, tuple) else data.classes
    return tiny_imagenet.load(root, classes, size, _mode(data), workers=_workers(data),
                              progress=progress, allow_download=data.download)


_LOADERS = {"course": _load_course, "imagefolder": _load_imagefolder,
            "cifar100": _load_cifar100, "fashion-mnist": _load_fashion_mnist,
            "synthetic": _load_synthetic, "tiny-imagenet": _load_tiny_imagenet}
catalog.check_registry("data loaders", _LOADERS, catalog.DATASETS)


# --- shaping to the parameters ----------------------------------------------------------------

def _resize_square(x: torch.Tensor, size: int) -> torch.Tensor:
    """Resize uint8 images whose side is not `size` (short side rule, then center crop)."""
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    out = torch.empty(x.shape[:2] + (size, size), dtype=torch.uint8)
    for i in range(0, len(x), 1024):
        y = center_crop(resize_short(x[i:i + 1024].float(), size), size)
        out[i:i + 1024] = y.round_().clamp_(0, 255).to(torch.uint8)
    return out


def _match_channels(x: torch.Tensor, channels: int, name: str) -> torch.Tensor:
    """Grey to RGB by repeating, RGB to grey by ITU-R 601 luma; anything else is an error."""
    have = x.shape[1]
    if have == channels:
        return x
    if have == 1:
        return x.expand(-1, channels, -1, -1).contiguous()
    if have == 3 and channels == 1:
        w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (x.float() * w).sum(1, keepdim=True).round_().to(torch.uint8)
    raise ParamError(f"DATA_NUM_CHANNELS={channels} but {name} images have {have} channels")


def _stats(values: tuple[float, ...], channels: int) -> tuple[float, ...]:
    if len(values) == channels:
        return tuple(values)
    if len(values) == 1:
        return tuple(values) * channels
    return (sum(values) / len(values),) * channels  # RGB statistics for a grey view


# The DATA_* names a dataset brings a natural value for, and the data group's field of each.
_NATURAL = {"DATA_NUM_CLASSES": "num_classes", "DATA_NUM_CHANNELS": "num_channels",
            "DATA_IMAGE_SIZE": "image_size", "DATA_CROP": "crop", "DATA_RESIZE": "resize"}


def settings(data: DataConfig) -> dict[str, Any]:
    """The dataset's natural DATA_* values with every one that the data group sets on top."""
    out = dataset_defaults(data.dataset, data)
    out.update({k: getattr(data, f) for k, f in _NATURAL.items()
                if getattr(data, f) is not None})
    out["DATA_TEST_CROP"] = data.test_crop or out["DATA_CROP"]
    out["DATA_AUGMENT"] = out["augment"] if data.augment == "auto" else data.augment
    return out


class Shape(NamedTuple):
    """What a network needs to know of its data before it loads (`NetSpec.fitted`)."""
    crop: int
    num_classes: int
    channels: int


def shape(data: DataConfig) -> Shape:
    """The training crop, classes and channels that `data` will load with."""
    s = settings(data)
    return Shape(s["DATA_CROP"], s["DATA_NUM_CLASSES"], s["DATA_NUM_CHANNELS"])


def load(cfg: Config) -> Dataset:
    """The dataset that `cfg.data` names, with its defaults filled in."""
    data = cfg.data
    name = _check_name(data.dataset)
    if data.classes is not None and name != "tiny-imagenet":
        raise ParamError(f"DATA_CLASSES picks Tiny ImageNet classes; DATASET={name} takes all "
                         "of its classes (leave DATA_CLASSES unset)")
    d, s = dataset_defaults(name, data), settings(data)
    size = s["DATA_IMAGE_SIZE"]
    tx, ty, vx, vy, classes, skipped, source = _LOADERS[name](data, size, d, cfg.run.seed,
                                                              cfg.run.progress)
    tx, vx = _resize_square(tx, size), _resize_square(vx, size)
    channels = s["DATA_NUM_CHANNELS"]
    tx, vx = _match_channels(tx, channels, name), _match_channels(vx, channels, name)
    wanted = data.num_classes
    if wanted is not None and wanted != len(classes):
        raise ParamError(f"DATA_NUM_CLASSES={wanted} but {name} has {len(classes)} classes; "
                         "leave it unset to use the dataset's")
    ds = Dataset(
        name=name, train_x=tx, train_y=ty, test_x=vx, test_y=vy, classes=classes,
        mean=_stats(d["mean"], channels), std=_stats(d["std"], channels), crop=s["DATA_CROP"],
        resize=s["DATA_RESIZE"], test_crop=s["DATA_TEST_CROP"],
        scale_min=data.scale_min, augment=s["DATA_AUGMENT"],
        skipped=skipped, source=source, sizing=s.get("sizing", ""),
        fingerprint=data_fingerprint(data))
    return ds


# --- what the data is: part of a run's identity -------------------------------------------------

def data_source(data: DataConfig) -> str | None:
    """Where a dataset's files are, as an absolute path with links resolved (None for
    `synthetic`, which is made here); cheap: nothing is read. Two folders are two datasets."""
    name = _check_name(data.dataset)
    if name == "synthetic":
        return None
    if name == "fashion-mnist":
        found = _find_idx(_fashion_dirs(data), "train-images-idx3-ubyte")
        folder = found.parent if found else _data_dir(data, name, must_exist=False)
    else:
        folder = _data_dir(data, name, must_exist=False)
    return os.path.realpath(folder)


def data_fingerprint(data: DataConfig) -> str | None:
    """A digest of what the dataset's files hold, without decoding them: every source file's
    path, class, size and mtime (the image cache's rule); for a Tiny ImageNet zip, its
    members' names, sizes and CRC-32s (so a copy of the same zip, or a new mtime, is the same
    data); the archives' checksums for `course`; None for `synthetic` and for files that are
    not there (yet)."""
    name = _check_name(data.dataset)
    try:
        parts = _FINGERPRINTS[name](data) if name in _FINGERPRINTS else None
    except (ParamError, OSError, UnicodeDecodeError):
        return None  # missing or damaged: loading it says what is wrong
    if parts is None:
        return None
    h = hashlib.sha1(f"{name}\n".encode())
    for part in parts:
        h.update(os.fsencode(part) + b"\n")
    return h.hexdigest()


def _stat_line(path: Path, label: object = "") -> str:
    st = path.stat()  # the path with links resolved: a link to the same files is the same data
    return f"{os.path.realpath(path)}\0{label}\0{st.st_size}\0{st.st_mtime_ns}"


def _folder_parts(splits: list[dict[str, list[Path]]]) -> list[str]:
    return [_stat_line(f, c) for split in splits for c in sorted(split) for f in split[c]]


def _imagefolder_parts(data: DataConfig) -> list[str] | None:
    root = Path(os.path.realpath(Path(data.dir).expanduser())) if data.dir else None
    if root is None or not (root / "train").is_dir() or not (root / "val").is_dir():
        return None
    return _folder_parts([images.scan([root / s], s) for s in ("train", "val")])


def _tiny_parts(data: DataConfig) -> list[str] | None:
    folder = Path(os.path.realpath(_data_dir(data, "tiny-imagenet", must_exist=False)))
    layouts = tiny_imagenet.layouts(folder)
    if len(layouts) == 1:
        root = layouts[0]
        every = tiny_imagenet.read_wnids(root)
        chosen = tiny_imagenet.select(every, data.classes if not isinstance(
            data.classes, tuple) else list(data.classes), root / "wnids.txt")
        return _folder_parts([tiny_imagenet.train_files(root, chosen),
                              tiny_imagenet.val_files(root, every, chosen)])
    zips = sorted(folder.glob(tiny_imagenet.ZIP_PATTERN)) if folder.is_dir() else []
    if len(zips) != 1:
        return None
    return [f"zip {tiny_imagenet.zip_digest(zips[0])}", f"classes {data.classes}"]


def _cifar_parts(data: DataConfig) -> list[str] | None:
    folder = _data_dir(data, "cifar100", must_exist=False) / "cifar-100-python"
    names = ("train", "test", "meta")
    if not all((folder / n).is_file() for n in names):
        return None
    return [_stat_line(folder / n) for n in names]


def _fashion_parts(data: DataConfig) -> list[str] | None:
    found = [_find_idx(_fashion_dirs(data), s) for s in _FASHION_STEMS]
    return None if None in found else [_stat_line(p) for p in found]


_FINGERPRINTS = {
    "imagefolder": _imagefolder_parts, "tiny-imagenet": _tiny_parts,
    "cifar100": _cifar_parts, "fashion-mnist": _fashion_parts,
    # the course archives are verified against these checksums before they are used
    "course": lambda data: [f"{n} {h}" for n, h in sorted(download.COURSE_ARCHIVES.items())],
}


def describe_data(data: DataConfig) -> str:
    """The data in words for reports: the dataset and where its files are."""
    source = data_source(data)
    return data.dataset + (f" from {source}" if source else
                           " (generated here: the same images for every seed)")

