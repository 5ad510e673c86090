"""Files that must never be half-written: one writer for all of them.

`atomic_path(path)` hands out a temporary name in the same folder; when the block ends
without an error the file is flushed to disk (fsync) and renamed onto `path` in one step, so
a reader sees the old file or the new one, never a torn one; on any error the temporary
file is removed. Checkpoints, run records, sweep results, caches and downloads all use it.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success fsync it and rename it onto `path`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}{''.join(path.suffixes[-1:])}")
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
