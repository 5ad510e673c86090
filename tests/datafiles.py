"""Small image trees, archives and IDX files that the data tests make in tmp_path."""
from __future__ import annotations

import gzip
import struct
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

SIZES = [(64, 64), (80, 64), (64, 90), (71, 64), (64, 77)]  # (width, height): short side 64


def smooth_image(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A colourful image with structure at several scales (so crops and resizes show)."""
    coarse = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    big = Image.fromarray(coarse).resize((width, height), Image.BICUBIC)
    noise = rng.integers(-20, 21, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(big, dtype=int) + noise, 0, 255).astype(np.uint8))


def image_tree(root: Path, classes=("ant", "bee", "cat"), per_class=4, seed=0,
               sizes=SIZES) -> Path:
    """root/CLASS/i.jpg for each class: JPEGs with short side 64 and varied long sides."""
    rng = np.random.default_rng(seed)
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            w, h = sizes[(i + len(c)) % len(sizes)]
            smooth_image(rng, w, h).save(root / c / f"{i}.jpg", quality=90)
    return root


def imagefolder(root: Path, **kw) -> Path:
    """DATA_DIR layout: root/train/CLASS/*.jpg and root/val/CLASS/*.jpg."""
    image_tree(root / "train", seed=1, **kw)
    image_tree(root / "val", seed=2, per_class=2, **{k: v for k, v in kw.items()
                                                      if k != "per_class"})
    return root


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    """Zip every file under `folder` with names `prefix` + relative path."""
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, prefix + f.relative_to(folder).as_posix())
    return archive


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """An IDX file (ubyte) holding `array`."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path
