"""Tiny ImageNet (Stanford CS231N) in its official layout: find it, pick classes, decode it.

The layout of `tiny-imagenet-200.zip` (the folder may have any name, e.g. tiny-imagenet-100):

    wnids.txt                         the classes, one WordNet id (wnid) a line
    words.txt                         wnid <TAB> names; the first name is the class name
    train/<wnid>/images/*.JPEG        the training images (500 a class)
    val/images/val_<i>.JPEG           the validation images (50 a class), labelled in
    val/val_annotations.txt           file <TAB> wnid <TAB> x0 <TAB> y0 <TAB> x1 <TAB> y1

`test/` (unlabelled) and the boxes are not used. DATA_DIR may be that folder, its parent, or a
folder holding one `tiny-imagenet*.zip`, which is extracted safely (regnet.data.download) into
DATA_DIR/.regnet-cache/extracted/ (a per-folder cache under ~/.cache when DATA_DIR is
read-only) once: a marker keeps a digest of the zip's central directory (`zip_digest`), so
later loads extract nothing, also after the zip is copied or touched. With none of these,
the official zip is downloaded into DATA_DIR under a temporary name and kept only when its
size and MD5 are the official ones.

Classes (DATA_CLASSES): every wnid of wnids.txt by default. A number N takes the wnids at
positions floor(i*K/N), i = 0..N-1, of the K there in sorted order: evenly spaced from the
first. N = 100 of the official 200 is every second wnid, exactly the shared 100-class zip, and
a cut of a cut is the same cut of the whole when the counts divide (10 of those 100 are 10 of
the 200). A list names the wnids. Labels follow sorted wnid order, as torchvision's folders do.

Images enter the uint8 cache of regnet.data.cache (decoded once, greyscale and CMYK JPEGs become
RGB there; reused while no file changes), one cache per split and choice of classes.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import zipfile
from collections import Counter
from pathlib import Path

import torch

from ..errors import ParamError
from ..params import is_class_name
from . import cache as images
from . import download

OFFICIAL_URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
OFFICIAL_SIZE = 248_100_043  # bytes
OFFICIAL_MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
ZIP_PATTERN = "tiny-imagenet*.zip"


# --- finding the layout ----------------------------------------------------------------------

def layouts(folder: Path) -> list[Path]:
    """`folder` if it holds wnids.txt, else its subfolders that do."""
    if (folder / "wnids.txt").is_file():
        return [folder]
    return sorted(p.parent for p in folder.glob("*/wnids.txt")) if folder.is_dir() else []


def locate(data_dir: Path, allow_download: bool = True, progress: bool = True) -> Path:
    """The folder holding wnids.txt: DATA_DIR, a folder in it, or extracted from a zip in it."""
    found = layouts(data_dir)
    if len(found) > 1:
        raise ParamError(f"DATA_DIR={data_dir} holds {len(found)} Tiny ImageNet folders "
                         f"({', '.join(p.name for p in found)}); set DATA_DIR to one of them")
    if found:
        return found[0]
    zips = sorted(data_dir.glob(ZIP_PATTERN)) if data_dir.is_dir() else []
    if len(zips) > 1:
        raise ParamError(f"DATA_DIR={data_dir} holds {len(zips)} Tiny ImageNet zips "
                         f"({', '.join(p.name for p in zips)}); keep one there")
    if not zips:
        if not allow_download:
            raise ParamError(f"tiny-imagenet: DATA_DIR={data_dir} has no wnids.txt (nor a "
                             f"folder or {ZIP_PATTERN} with one) and DATA_DOWNLOAD is false; "
                             f"put {OFFICIAL_URL} or its extracted folder there")
        zips = [download.download(OFFICIAL_URL, data_dir / "tiny-imagenet-200.zip",
                                  progress=progress, check=check_official)]
    return extract(zips[0], images.writable_cache_dir(data_dir, "tiny-imagenet"))


def extract(archive: Path, cache: Path) -> Path:
    """The layout folder of `archive`, extracted safely under `cache` unless it already is."""
    target = cache / "extracted" / archive.stem
    marker = cache / f".{archive.name}.extracted.json"
    stamp = {"zip": zip_digest(archive)}
    try:
        fresh = json.loads(marker.read_text()) == stamp and target.is_dir()
    except (OSError, ValueError, RecursionError):  # torn or edited: extract again
        fresh = False
    if not fresh:
        target.parent.mkdir(parents=True, exist_ok=True)
        download.safe_extract(archive, target)
        marker.write_text(json.dumps(stamp))  # written last: its presence marks a whole folder
    found = layouts(target)
    if len(found) != 1:
        raise ParamError(f"{archive} has no wnids.txt at its top or one folder down; it is not "
                         "a Tiny ImageNet archive")
    return found[0]


def zip_digest(archive: Path) -> str:
    """A digest of what a zip holds, read from its central directory alone (no member is
    decompressed): each member's name, size and CRC-32. A copy of the same zip, or the same
    zip with a new mtime, has the same digest. Kept per process by path, size and mtime."""
    st = archive.stat()
    return _zip_digest(os.path.realpath(archive), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _zip_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha1()
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                h.update(f"{info.filename}\0{info.file_size}\0{info.CRC:08x}\n".encode())
    except zipfile.BadZipFile as e:
        raise ParamError(f"{path} is not a valid zip archive (or is damaged: {e}); delete it "
                         "and run again") from None
    return h.hexdigest()


def check_official(part: Path, dest: Path) -> None:
    """Refuse a downloaded file that is not the official zip (its size, then its MD5)."""
    size = part.stat().st_size
    if size != OFFICIAL_SIZE:
        raise ParamError(f"{dest.name}: the download has {size} bytes, not the official "
                         f"{OFFICIAL_SIZE}; not kept (run again to download it afresh)")
    h = hashlib.md5()
    with part.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    if h.hexdigest() != OFFICIAL_MD5:
        raise ParamError(f"{dest.name}: MD5 {h.hexdigest()} is not the official "
                         f"{OFFICIAL_MD5}; not kept (run again to download it afresh)")


# --- reading the layout ----------------------------------------------------------------------

def read_lines(path: Path) -> list[str]:
    """The lines of a text file of the layout; one that is not UTF-8 text is one line."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise ParamError(f"{path} is not UTF-8 text (byte {e.object[e.start]:#04x} at offset "
                         f"{e.start}); extract the archive again") from None
    except OSError as e:
        raise ParamError(f"{path} cannot be read ({e.strerror})") from None


def read_wnids(root: Path) -> list[str]:
    """The wnids of wnids.txt, sorted; an empty or repeating list, or a line that is not a
    class name (a path: `../x`), is an error."""
    path = root / "wnids.txt"
    wnids = [line.strip() for line in read_lines(path) if line.strip()]
    if not wnids:
        raise ParamError(f"{path} lists no classes")
    bad = next((w for w in wnids if not is_class_name(w)), None)
    if bad is not None:
        raise ParamError(f"{path} lists {bad[:60]!r}, which is not a class name (a wnid is one "
                         "folder name: no / or \\, not . or ..)")
    repeated = [w for w, n in Counter(wnids).items() if n > 1]
    if repeated:
        raise ParamError(f"{path} lists {repeated[0]} {Counter(wnids)[repeated[0]]} times")
    return sorted(wnids)


def select(wnids: list[str], chosen: int | list[str] | None, where: Path) -> list[str]:
    """The sorted wnids that DATA_CLASSES `chosen` takes from sorted `wnids` (module doc)."""
    if chosen is None:
        return list(wnids)
    if isinstance(chosen, int):
        if chosen > len(wnids):
            raise ParamError(f"DATA_CLASSES={chosen} but {where} lists {len(wnids)} classes")
        return [wnids[i * len(wnids) // chosen] for i in range(chosen)]
    unknown = sorted(set(chosen) - set(wnids))
    if unknown:
        raise ParamError(f"DATA_CLASSES names {unknown[0]}, which {where} does not list "
                         f"({len(unknown)} such)")
    if len(set(chosen)) != len(chosen):
        twice = next(w for w, n in Counter(chosen).items() if n > 1)
        raise ParamError(f"DATA_CLASSES names {twice} more than once")
    return sorted(chosen)


def class_names(root: Path, wnids: list[str]) -> list[str]:
    """Each wnid's first name in words.txt (the wnid when absent; `name (wnid)` when shared)."""
    words: dict[str, str] = {}
    path = root / "words.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            wnid, _, names = line.partition("\t")
            words[wnid.strip()] = names.split(",")[0].strip()
    names = [words.get(w) or w for w in wnids]
    counts = Counter(names)
    return [n if counts[n] == 1 else f"{n} ({w})" for n, w in zip(names, wnids)]


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in images.IMAGE_EXTENSIONS and not path.name.startswith(".")


def train_files(root: Path, wnids: list[str]) -> dict[str, list[Path]]:
    """The training images of each wnid, from train/<wnid>/images/."""
    out = {}
    for w in wnids:
        folder = root / "train" / w / "images"
        files = sorted(p for p in folder.iterdir() if _is_image(p)) if folder.is_dir() else []
        if not files:
            raise ParamError(f"tiny-imagenet: {folder} has no images, but wnids.txt lists {w}")
        out[w] = files
    return out


def val_files(root: Path, wnids: list[str], chosen: list[str]) -> dict[str, list[Path]]:
    """The validation images of each chosen wnid, labelled by val/val_annotations.txt."""
    path = root / "val" / "val_annotations.txt"
    if not path.is_file():
        raise ParamError(f"tiny-imagenet: {path} is missing, so the validation images have "
                         "no labels; extract the whole archive again")
    known, wanted = set(wnids), set(chosen)
    out: dict[str, list[Path]] = {w: [] for w in chosen}
    for n, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 2 or Path(fields[0]).name != fields[0] or not fields[0]:
            raise ParamError(f"{path} line {n} is not `file <TAB> wnid ...`: {line[:60]!r}")
        name, wnid = fields[:2]
        if wnid not in known:
            raise ParamError(f"{path} line {n}: {name} is labelled {wnid}, a class that "
                             f"{root / 'wnids.txt'} does not list")
        if wnid in wanted:
            out[wnid].append(root / "val" / "images" / name)
    missing = [f for files in out.values() for f in files if not f.is_file()]
    if missing:
        raise ParamError(f"{path} labels {missing[0]}, which does not exist "
                         f"({len(missing)} such)")
    return {w: sorted(files) for w, files in out.items() if files}


# --- loading -------------------------------------------------------------------------------------

def load(data_dir: str | Path, classes: int | list[str] | None = None, size: int = 64,
         mode: str = "RGB", workers: int = 0, progress: bool = True,
         allow_download: bool = True):
    """(train x, train y, val x, val y, class names, skipped, source) for `data.load`.

    Every error about the layout (missing files, unknown classes) comes before any decoding.
    """
    data_dir = Path(data_dir).expanduser()
    root = locate(data_dir, allow_download, progress)
    every = read_wnids(root)
    chosen = select(every, classes, root / "wnids.txt")
    train, val = train_files(root, chosen), val_files(root, every, chosen)
    # a subset gets caches of its own, so switching DATA_CLASSES back and forth decodes once
    tag = "" if chosen == every else "-" + hashlib.sha1(" ".join(chosen).encode()).hexdigest()[:8]
    args = dict(classes=chosen, cache_dir=images.writable_cache_dir(data_dir, "tiny-imagenet"),
                size=size, mode=mode, workers=workers, progress=progress)
    tx, ty, tmeta = images.cached_folder_split(train, split="train" + tag, **args)
    vx, vy, vmeta = images.cached_folder_split(val, split="val" + tag, **args)
    return (torch.from_numpy(tx), torch.from_numpy(ty), torch.from_numpy(vx),
            torch.from_numpy(vy), class_names(root, chosen),
            tmeta["skipped"] + vmeta["skipped"], str(root))
