"""One owner per folder: a lock file that names its process, taken over when that process died.

    with lock.hold(folder, "run folder"):   # makes the folder if needed
        ...                                 # only this process writes into it

The lock is `folder/.regnet.lock`: an `flock` on it, plus the owner's pid, host, start time
and command inside for the message another process gets. The kernel drops an flock when its
process dies however it dies (kill -9 included), so a lock file left by a dead process on
this host is taken over with a message. A lock file written on another host cannot be
checked from here (a shared file system may not carry locks across machines): that is an
error saying which file to delete once that process is surely gone. The same process may
hold one folder more than once (a notebook holds a run folder, then `train` holds it again).
On release the lock file goes, and so does the folder when the lock made it and nothing was
written into it, so a command that stops before its work leaves nothing behind.
"""
from __future__ import annotations

import datetime
import fcntl
import json
import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import ParamError

LOCK_NAME = ".regnet.lock"

_held: dict[tuple[Path, str], "Lock"] = {}  # what this process holds: (folder, lock name)


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Lock:
    """A held folder; `release()` lets go (the last of nested holds really releases)."""

    def __init__(self, folder: Path, name: str, fd: int, created: bool):
        self.folder, self.name, self.fd, self.created = folder, name, fd, created
        self.depth = 1

    @property
    def path(self) -> Path:
        return self.folder / self.name

    def release(self) -> None:
        self.depth -= 1
        if self.depth:
            return
        _held.pop((self.folder.resolve(), self.name), None)
        try:
            if os.path.samestat(os.stat(self.path), os.fstat(self.fd)):
                os.unlink(self.path)  # before closing: nobody can take a file that is going
        except OSError:
            pass  # the folder moved or went; the flock still ends with the close below
        finally:
            os.close(self.fd)
        if self.created:
            try:
                self.folder.rmdir()  # only when empty: whatever was produced stays
            except OSError:
                pass


def owner(folder: str | Path, name: str = LOCK_NAME) -> dict | None:
    """What the lock file of `folder` says about its owner (None when there is none)."""
    try:
        info = json.loads((Path(folder) / name).read_text())
    except (OSError, ValueError, RecursionError):  # RecursionError: brackets nested deep
        return None
    return info if isinstance(info, dict) else None


def _describe(info: dict | None) -> str:
    if not info:
        return "another process"
    return (f"pid {info.get('pid', '?')} on {info.get('host', '?')} since "
            f"{info.get('started', '?')}")


def acquire(folder: str | Path, what: str = "folder", warn: Callable[[str], None] = _warn,
            name: str = LOCK_NAME) -> Lock:
    """Hold `folder` (making it if needed) or raise ParamError naming its owner.

    `name` gives one folder several independent locks (the shards of a shared sweep).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ParamError(f"{what} {folder} is a file; give a folder")
    key = (folder.resolve(), name)
    if key in _held:
        _held[key].depth += 1
        return _held[key]
    created = not folder.exists()
    path = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ParamError(f"{what} {folder}: cannot create the folder ({e.strerror})") from None
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if created:
                _remove_if_empty(folder)
            raise ParamError(f"{what} {folder} is not writable ({e.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ParamError(f"{what} {folder} is in use by {_describe(owner(folder, name))}: "
                             "one process at a time; wait for it to finish or choose another "
                             "folder") from None
        try:
            if os.path.samestat(os.stat(path), os.fstat(fd)):
                break  # still the file at that name: ours
        except FileNotFoundError:
            pass
        os.close(fd)  # its owner removed it between our open and our lock: try afresh
    lock = Lock(folder, name, fd, created)
    try:
        _take_over(lock, what, warn)
    except OSError as e:  # a full disk or a read-only file system while writing the owner
        lock.release()
        raise ParamError(f"{what} {folder} is not writable ({e.strerror})") from None
    except BaseException:
        os.close(fd)
        raise
    _held[key] = lock
    return lock


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _take_over(lock: Lock, what: str, warn: Callable[[str], None]) -> None:
    """Write this process into a lock file we hold, saying so when it held a dead owner."""
    raw = os.pread(lock.fd, 1 << 16, 0)
    try:
        previous = json.loads(raw) if raw.strip() else None
    except ValueError:
        previous = {}  # garbage, not a lock this project wrote (it writes in one call)
    host = socket.gethostname()
    if isinstance(previous, dict) and previous.get("host") not in (None, host):
        raise ParamError(f"{what} {lock.folder} is locked by {_describe(previous)}, another "
                         f"machine, which this one cannot check; once that process is gone, "
                         f"delete {lock.path}")
    if previous is not None:
        warn(f"{what} {lock.folder}: taking over the lock of {_describe(previous or None)}, "
             "which is no longer running")
    record = {"pid": os.getpid(), "host": host,
              "started": datetime.datetime.now().isoformat(timespec="seconds"),
              "command": " ".join(sys.argv)[:500]}
    os.ftruncate(lock.fd, 0)
    os.pwrite(lock.fd, json.dumps(record).encode() + b"\n", 0)


@contextmanager
def hold(folder: str | Path, what: str = "folder", warn: Callable[[str], None] = _warn,
         name: str = LOCK_NAME) -> Iterator[Lock]:
    """Hold `folder` for the block (see the module docstring)."""
    lock = acquire(folder, what, warn, name)
    try:
        yield lock
    finally:
        lock.release()


def remove_stale(folder: str | Path, name: str = LOCK_NAME) -> bool:
    """Delete the lock file of `folder` unless a live process holds it; True if it went.

    For a caller that knows the owner has gone (a launcher whose job ended): a lock file
    written on another host is otherwise refused by `acquire`, which cannot check it.
    """
    path = Path(folder) / name
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # held: by a process here, or one a shared lock reaches
        os.close(fd)
        return False
    try:
        path.unlink(missing_ok=True)
    finally:
        os.close(fd)
    return True
