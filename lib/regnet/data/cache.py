"""Image folders into a uint8 cache: scan class-per-folder trees, decode once, reuse.

How an image enters the cache (every cached image is SIZE x SIZE, SIZE = DATA_IMAGE_SIZE):
the short side is resized to SIZE with PIL bilinear (torchvision's `Resize(SIZE)` rule: long
side = int(SIZE * long / short); an image already SIZE on its short side is not resampled),
then the long side is center-cropped to SIZE with torchvision's `CenterCrop` rounding. For the
course images (short side 64) and SIZE 64 that is exactly `Resize(64)` + `CenterCrop(64)`, and
center-cropping the cache to 56 at test time equals the seed's `Resize(64)` + `CenterCrop(56)`
pixel for pixel (both crops are centered with the same rounding).

A corrupt or truncated image is skipped and counted: one bad JPEG among 128k should not stop a
60-epoch run, and the count is kept with the cache and shown in `Dataset.summary()`. When more
than 1% of a split is unreadable the load stops with an error instead, because then the data,
not a stray file, is broken.

The cache of a split is `SPLIT-SIZEpx.npy` (uint8 [N, C, SIZE, SIZE], memory-mapped),
`SPLIT-SIZEpx-labels.npy` (int64 [N]) and `SPLIT-SIZEpx.json` (class names, skipped count and
a fingerprint of every source file's path, size and mtime). A later load whose fingerprint
matches reads the cache in seconds; any added, removed or changed file rebuilds it. Files are
written under temporary names and renamed, so an interrupted build is never taken as whole,
and a cache damaged afterwards (truncated, garbage, labels out of range) is rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ParamError
from .. import progress as _progress
from ..files import atomic_path, check_free_disk, full_disk_guard, write_json

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")
CACHE_VERSION = 1
MAX_SKIPPED_FRACTION = 0.01
_PARALLEL_FROM = 2000  # below this many images, starting worker processes costs more than it saves
_IGNORED = ("__MACOSX",)


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and p.name not in _IGNORED)


def _is_image(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")


def class_root(folder: Path) -> Path:
    """Descend through wrapper folders (one subfolder, no images) to the class folders."""
    while True:
        subdirs = _visible_dirs(folder)
        if len(subdirs) != 1 or any(_is_image(p) for p in folder.iterdir()):
            return folder
        folder = subdirs[0]


def scan(roots: list[Path], what: str) -> dict[str, list[Path]]:
    """Images per class name, merged over `roots` (each a folder of class folders)."""
    found: dict[str, list[Path]] = {}
    for root in roots:
        if not root.is_dir():
            raise ParamError(f"{what}: folder {root} does not exist")
        classes = _visible_dirs(root)
        if not classes:
            raise ParamError(f"{what}: {root} has no class folders (expected {root}/CLASS/*.jpg)")
        for d in classes:
            files = sorted(p for p in d.rglob("*") if _is_image(p))
            if not files:
                raise ParamError(f"{what}: class folder {d} is empty (no "
                                 f"{'/'.join(e[1:] for e in IMAGE_EXTENSIONS[:3])} images)")
            found.setdefault(d.name, []).extend(files)
    return found


def short_side(root: Path, sample: int = 64) -> int | None:
    """The median short side of up to `sample` images of root's class folders (a few from
    each, in name order), read from their headers without decoding; None if none reads."""
    classes = _visible_dirs(root) if root.is_dir() else []
    sides = []
    for d in classes:
        take = max(1, sample // len(classes))
        names = sorted(e.path for e in os.scandir(d) if e.is_file() and _is_image(Path(e.path)))
        for path in names[:take]:
            try:
                with Image.open(path) as im:
                    sides.append(min(im.size))
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
                continue
    return int(np.median(sides)) if sides else None


def decode(path: str | Path, size: int, mode: str = "RGB") -> np.ndarray | None:
    """One image as uint8 [C, size, size] (see the module docstring), or None if unreadable."""
    try:
        with Image.open(path) as im:
            im = im.convert(mode)  # decodes fully: a truncated file raises here
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    w, h = im.size
    if min(w, h) != size:
        if w <= h:
            w, h = size, int(size * h / w)
        else:
            w, h = int(size * w / h), size
        im = im.resize((w, h), Image.BILINEAR)
    left, top = int(round((w - size) / 2.0)), int(round((h - size) / 2.0))
    arr = np.asarray(im.crop((left, top, left + size, top + size)), dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def _decode_chunk(paths: list[str], size: int, mode: str) -> list[np.ndarray | None]:
    return [decode(p, size, mode) for p in paths]


def fingerprint(files: list[Path], labels: list[int], size: int, mode: str) -> str:
    """A hash of what the cache depends on: every file's path, label, size and mtime.

    Paths are hashed as the file system's bytes: on Linux a name need not be valid UTF-8.
    """
    h = hashlib.sha1(f"v{CACHE_VERSION} {size} {mode}\n".encode())
    for f, y in zip(files, labels):
        st = f.stat()
        h.update(os.fsencode(f) + f"\0{y}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _paths(cache_dir: Path, split: str, size: int) -> tuple[Path, Path, Path]:
    stem = f"{split}-{size}px"
    return cache_dir / f"{stem}.npy", cache_dir / f"{stem}-labels.npy", cache_dir / f"{stem}.json"


def _decode_all(files: list[Path], size: int, mode: str, workers: int, progress: bool,
                what: str):
    """Yield (index, array or None) for every file, in order, in worker processes if many."""
    bar = _progress.bar(total=len(files), desc=f"decoding {what}", unit="img",
                        disable=not progress, leave=False)
    names = [str(f) for f in files]
    if workers < 1 or len(files) < _PARALLEL_FROM:
        for i, name in enumerate(names):
            yield i, decode(name, size, mode)
            bar.update()
    else:
        step = 512
        chunks = [names[i:i + step] for i in range(0, len(names), step)]
        # spawn, not fork: the parent may hold torch threads that a fork would copy mid-lock
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            done = pool.map(_decode_chunk, chunks, [size] * len(chunks), [mode] * len(chunks))
            i = 0
            for arrays in done:
                for a in arrays:
                    yield i, a
                    i += 1
                bar.update(len(arrays))
    bar.close()


def build_cache(files: list[Path], labels: list[int], classes: list[str], cache_dir: Path,
                split: str, size: int, mode: str = "RGB", workers: int = 0,
                progress: bool = True) -> dict:
    """Decode `files` into the split's cache files; return its metadata."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    x_path, y_path, meta_path = _paths(cache_dir, split, size)
    channels = 1 if mode == "L" else 3
    with atomic_path(x_path) as tmp:
        kept, bad = _decode_into(tmp, files, size, mode, channels, workers, progress, split)
        if len(bad) > MAX_SKIPPED_FRACTION * len(files):
            raise ParamError(f"{split}: {len(bad)} of {len(files)} images are unreadable "
                             f"(first: {bad[0]}); more than {MAX_SKIPPED_FRACTION:.0%}, so the "
                             "data is treated as broken")
        y = np.asarray([labels[i] for i in kept], dtype=np.int64)
        with atomic_path(y_path) as y_tmp:
            np.save(y_tmp, y)
    meta = {"version": CACHE_VERSION, "fingerprint": fingerprint(files, labels, size, mode),
            "classes": classes, "count": len(kept), "skipped": len(bad),
            "skipped_files": bad[:20], "size": size, "mode": mode}
    write_json(meta_path, meta)  # written last: its presence marks a whole cache
    return meta


def _decode_into(path: Path, paths: list[Path], size: int, mode: str, channels: int,
                 workers: int, progress: bool, split: str) -> tuple[list[int], list[str]]:
    """Decode every image into a uint8 .npy at `path`, leaving out the unreadable ones."""
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8,
                                  shape=(len(paths), channels, size, size))
    kept, bad = [], []
    for i, arr in _decode_all(paths, size, mode, workers, progress, split):
        if arr is None:
            bad.append(str(paths[i]))
            continue
        x[len(kept)] = arr
        kept.append(i)
    if bad:  # rewrite without the skipped rows' empty tail (memory-mapped: may not fit RAM)
        packed_path = path.with_name(f"{path.name}.packed.npy")
        try:
            packed = np.lib.format.open_memmap(packed_path, mode="w+", dtype=np.uint8,
                                               shape=(len(kept),) + x.shape[1:])
            packed[:] = x[:len(kept)]
            packed.flush()
            del x, packed
            os.replace(packed_path, path)
        finally:
            packed_path.unlink(missing_ok=True)  # a full disk leaves no second copy behind
    else:
        x.flush()
        del x
    return kept, bad


def load_cache(cache_dir: Path, split: str, size: int, expected_fingerprint: str):
    """(x, y, meta) from a matching, whole cache; None when absent, stale or damaged."""
    x_path, y_path, meta_path = _paths(cache_dir, split, size)
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError, RecursionError):  # RecursionError: brackets nested deep
        return None
    if not isinstance(meta, dict) or meta.get("fingerprint") != expected_fingerprint:
        return None
    try:
        # copy-on-write map: pages load on first touch, and torch gets a writable array
        x = np.load(x_path, mmap_mode="c", allow_pickle=False)
        y = np.load(y_path, allow_pickle=False)
    except (OSError, ValueError, EOFError):  # missing, truncated or not a .npy: rebuild
        return None
    if not _whole(x, y, meta, size):
        return None
    return x, y, meta


def _whole(x, y, meta: dict, size: int) -> bool:
    """Whether the arrays are what the metadata says: shapes, types, labels in range."""
    classes = meta.get("classes")
    channels = 1 if meta.get("mode") == "L" else 3
    if not isinstance(classes, list) or not isinstance(meta.get("skipped"), int):
        return False
    if x.dtype != np.uint8 or x.shape[1:] != (channels, size, size) or y.ndim != 1 \
            or y.dtype != np.int64 or len(x) != len(y) or len(y) != meta.get("count"):
        return False
    return not len(y) or (0 <= int(y.min()) and int(y.max()) < len(classes))


def cached_folder_split(by_class: dict[str, list[Path]], classes: list[str], cache_dir: Path,
                        split: str, size: int, mode: str = "RGB", workers: int = 0,
                        progress: bool = True):
    """(x, y, meta) for one split: from the cache when it matches the files, else decoded."""
    index = {c: i for i, c in enumerate(classes)}
    files, labels = [], []
    for c in sorted(by_class):
        files += by_class[c]
        labels += [index[c]] * len(by_class[c])
    hit = load_cache(cache_dir, split, size, fingerprint(files, labels, size, mode))
    if hit is not None:
        return hit
    need = 2 * len(files) * (1 if mode == "L" else 3) * size * size  # with the packed copy
    cache_dir.mkdir(parents=True, exist_ok=True)
    check_free_disk(cache_dir, need, f"the {split} image cache")
    with full_disk_guard(cache_dir, need, f"the {split} image cache"):
        build_cache(files, labels, classes, cache_dir, split, size, mode, workers, progress)
    hit = load_cache(cache_dir, split, size, fingerprint(files, labels, size, mode))
    if hit is None:  # written and read back wrong at once: the disk, not the images
        raise ParamError(f"{cache_dir}: the image cache of {split} was written but reads back "
                         "damaged; check the disk, or set DATA_DIR elsewhere")
    return hit


def writable_cache_dir(data_dir: Path, name: str) -> Path:
    """`DATA_DIR/.regnet-cache`, or a per-folder one under ~/.cache when DATA_DIR is read-only."""
    preferred = data_dir / ".regnet-cache"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        probe = preferred / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return preferred
    except OSError:
        key = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:12]
        return Path.home() / ".cache" / "regnet" / f"{name}-{key}"
