"""Files that must never be half-written: one writer for all of them.

`atomic_path(path)` hands out a temporary name in the same folder; when the block ends
without an error the file is flushed to disk (fsync) and renamed onto `path` in one step, so
a reader sees the old file or the new one, never a torn one; on any error the temporary
file is removed. Checkpoints, run records, sweep results, caches and downloads all use it.

A full disk is a mistake a person can fix, so it is one line too: `check_free_disk` refuses
before writing when the folder's disk has fewer free bytes than a task needs, and
`full_disk_guard` turns a write that fails for lack of room (ENOSPC, EDQUOT) into the same line.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import ParamError


def temporary_prefix(name: str) -> str:
    """How the temporary files of `name` that `atomic_path` writes begin (a kill mid-write
    can leave one behind)."""
    return f".{name}.tmp-"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success fsync it and rename it onto `path`."""
    path = Path(path)
    tmp = path.with_name(f"{temporary_prefix(path.name)}{os.getpid()}"
                         f"{''.join(path.suffixes[-1:])}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # whatever wrote it, its bytes reach the disk first
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _sync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    """Write `text` to `path` atomically."""
    write_bytes(path, text.encode())


def write_json(path: str | Path, obj: Any, **kwargs) -> None:
    """Write `obj` as JSON to `path` atomically."""
    write_text(path, json.dumps(obj, **kwargs))


def copy(src: str | Path, dst: str | Path) -> None:
    """Copy `src` to `dst` atomically."""
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


FULL = (errno.ENOSPC, errno.EDQUOT)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"


def free_bytes(folder: str | Path) -> int | None:
    """Free bytes where `folder` lives (its nearest existing parent), or None if unknown."""
    folder = Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def full_disk_error(folder: str | Path, need: int, what: str,
                    then: str = "run again") -> ParamError:
    """The one-line error for a folder without room for `need` bytes of `what`."""
    free = free_bytes(folder)
    have = f", {_size(free)} free" if free is not None else ""
    return ParamError(f"no space left in {folder} for {what}: it needs about {_size(need)}"
                      f"{have}; free some space or choose another folder, then {then}")


def check_free_disk(folder: str | Path, need: int, what: str, then: str = "run again") -> None:
    """Raise the one-line error before writing when `folder` has less than `need` bytes free."""
    free = free_bytes(folder)
    if free is not None and free < need:
        raise full_disk_error(folder, need, what, then)


@contextmanager
def full_disk_guard(folder: str | Path, need: int, what: str, then: str = "run again"):
    """Turn a write that fails on a full disk inside the block into the one-line error."""
    try:
        yield
    except OSError as e:
        if e.errno not in FULL:
            raise
        raise full_disk_error(folder, need, what, then) from None
