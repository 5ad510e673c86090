"""Course archives: download atomically, verify by git blob SHA-1, extract safely.

- A download is written under a temporary name and renamed only once it is whole and verified, so
  an interrupted or failed transfer never leaves a file that a later run would take as whole.
  "Whole" means as many bytes as the server announced (a connection that closes early is
  otherwise silent) and whatever check the caller adds (Tiny ImageNet: its size and MD5).
- Each archive's git blob SHA-1 (`sha1(b"blob <size>\\0" + bytes)`, what GitHub's tree lists)
  must equal the expected one in `COURSE_ARCHIVES`; a mismatch is an error that keeps a file
  someone put there (only a download of our own is removed).
- Extraction checks every entry first; one entry that would land outside the target (an
  absolute path, `..`, a symbolic link) refuses the whole archive and extracts nothing.
- So does an archive that would expand too far (a zip bomb): more than MAX_BYTES declared,
  one entry expanding more than MAX_RATIO times, or more than the free space; and writing
  stops at an entry's declared size, so a lying header cannot fill the disk either.
  Entries are extracted into a temporary folder that is renamed into place when complete;
  any failure removes that partial output.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import stat
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath


from .. import files
from ..errors import ParamError
from .. import progress as _progress

COURSE_URL = "https://github.com/arthurredfern/UT-Dallas-CS-6301-CNNs/raw/master/Data/"

# Expected git blob SHA-1 of each course archive; tests swap in the hashes of archives they make.
COURSE_ARCHIVES: dict[str, str] = {
    "Train1.zip": "16dfb1c3440a47f22492932542a749ecf56c7508",
    "Train2.zip": "f3131aa3406dd76851a3a3cbe780a658de1dca0f",
    "Train3.zip": "fd3b71165c824495fca20c4e1a00209a14179aef",
    "Train4.zip": "cee43d7c5b55483ebd6b16f57ca3e16cd9033b70",
    "Train5.zip": "f0d4f187a41a282e9cff43d3cd78cb35b4bc7d2c",
    "Val1.zip": "58ccc33e6d495952b66342d61a6861bb2fa1ad47",
}

_CHUNK = 1 << 20

# Extraction bounds, as pip's and tarfile's filters guard against hostile archives. Image
# archives hold JPEGs that do not compress (the 100-class Tiny ImageNet zip: 55,003 entries,
# 108 MB stored as 108 MB), while a zip bomb expands thousands of times.
MAX_BYTES = 4 * 10**9   # what one archive may expand to
MAX_RATIO = 100         # how much one entry may expand (JPEGs: about 1)
RATIO_FROM = 1 << 20    # entries smaller than this may compress as well as they like
MAX_ENTRIES = 1_000_000


class DownloadFailed(ParamError):
    """A transfer failed (offline, 404, full disk); nothing was left behind."""


def course_help(root: Path, base_url: str, archives: dict[str, str], reason: str) -> str:
    """One line: what went wrong, then all six archives and where each one goes."""
    where = ", ".join(f"{name} -> {root / name}" for name in archives)
    return (f"course data: {reason}. Put the {len(archives)} archives from {base_url} into "
            f"DATA_DIR ({root}): {where} (Train*: training images, Val*: test images; each "
            "is verified and extracted on the next run), or set DATA_DIR to a folder that "
            "holds them")


def git_blob_sha1(path: str | Path) -> str:
    """The SHA-1 git gives the file's bytes as a blob (GitHub lists these per file)."""
    path = Path(path)
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify(path: Path, expected: str, then: str, shown: Path | None = None) -> None:
    """Raise ParamError, ending with `then` (what became of the file, what to do), unless the
    git blob SHA-1 of `path` is `expected`. Nothing is deleted here: a file that someone put
    there stays theirs, and a download's temporary file is removed by its atomic write."""
    actual = git_blob_sha1(path)
    if actual != expected:
        raise ParamError(f"{(shown or path).name}: git blob SHA-1 {actual} is not the expected "
                         f"{expected}; {then}")


def download(url: str, dest: str | Path, expected: str | None = None,
             progress: bool = True, check=None) -> Path:
    """Fetch `url` to `dest` atomically (temp name, verify, rename); return `dest`.

    `check(part, dest)`, when given, vets the whole temporary file before the rename and
    raises ParamError to refuse it.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with files.atomic_path(dest) as part:
            with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                got = 0
                with _progress.bar(total=total, unit="B", unit_scale=True, desc=dest.name,
                                   disable=not progress, leave=False) as bar:
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        got += len(chunk)
                        bar.update(len(chunk))
            if total is not None and got != total:
                raise OSError(f"the transfer ended after {got} of {total} bytes")
            if expected is not None:
                verify(part, expected, f"the download was deleted, not kept as {dest} (run "
                       "again to download it afresh)", shown=dest)
            if check is not None:
                check(part, dest)
    # URLError is an OSError (no network, 404, a full disk); HTTPException: a broken response
    except (OSError, http.client.HTTPException) as e:
        raise DownloadFailed(f"could not download {url} to {dest}: {e} (offline? put the file "
                         f"there yourself, or set DATA_DIR to a folder that has it)") from None
    return dest


def _entry_escapes(info: zipfile.ZipInfo) -> bool:
    """True when the entry is a link or its path would resolve outside the target folder."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return True
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    return name.startswith("/") or ".." in parts or (parts and ":" in parts[0])


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _check_sizes(archive: Path, infos: list[zipfile.ZipInfo], target: Path,
                 max_bytes: int) -> int:
    """Refuse a zip bomb from its declared sizes, before anything is written; return the total."""
    if len(infos) > MAX_ENTRIES:
        raise ParamError(f"{archive.name} holds {len(infos):,} entries, more than "
                         f"{MAX_ENTRIES:,}; refused, nothing extracted")
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise ParamError(f"{archive.name} would expand to {_size(total)}, more than the "
                         f"{_size(max_bytes)} one archive may take; refused, nothing extracted")
    for i in infos:
        if i.file_size > RATIO_FROM and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ParamError(f"{archive.name}: entry {i.filename!r} would expand "
                             f"{i.file_size / max(i.compress_size, 1):,.0f} times (to "
                             f"{_size(i.file_size)}), more than {MAX_RATIO}; refused, nothing "
                             "extracted")
    files.check_free_disk(target.parent, total, f"extracting {archive.name}")
    return total


def _entry_problem(infos: list[zipfile.ZipInfo]) -> str | None:
    """What makes an archive impossible to extract whole, checked before anything is written:
    an encrypted entry, a name part longer than a file system allows, or a name that is
    both a file and a folder (`x`, then `x/y`)."""
    files_, folders = set(), set()
    for i in infos:
        parts = PurePosixPath(i.filename.replace("\\", "/")).parts
        if i.flag_bits & 0x1:
            return f"entry {_name(i)} is encrypted"
        if any(len(os.fsencode(p)) > MAX_NAME for p in parts):
            return f"entry {_name(i)} has a name part longer than {MAX_NAME} bytes"
        folders.update("/".join(parts[:k]) for k in range(1, len(parts)))
        (folders if i.is_dir() else files_).add("/".join(parts))
    both = sorted(files_ & folders)
    return f"entry {both[0][:60]!r} is both a file and a folder" if both else None


MAX_NAME = 255  # bytes in one name, as ext4, XFS, APFS and NTFS allow


def _name(info: zipfile.ZipInfo) -> str:
    return repr(info.filename if len(info.filename) <= 60 else info.filename[:57] + "...")


def _write_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: int) -> int:
    """Copy one entry to `dest`, stopping past its declared size or the archive's bound; an
    entry whose data is damaged (bad deflate data, a CRC that does not match) is one line."""
    written = 0
    with open(dest, "wb") as out:
        try:
            with zf.open(info) as src:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > info.file_size or written > budget:
                        raise ParamError(f"entry {_name(info)} expands past its declared "
                                         f"{_size(info.file_size)}; stopped")
                    out.write(chunk)
        except (zlib.error, zipfile.BadZipFile, EOFError, NotImplementedError,
                RuntimeError) as e:  # RuntimeError: zipfile's word for a password needed
            raise ParamError(f"entry {_name(info)} is damaged ({str(e)[:60]}); refused") \
                from None
    return written


def safe_extract(archive: str | Path, target: str | Path, max_bytes: int | None = None) -> Path:
    """Extract a zip into `target`, refusing (and leaving nothing) if any entry escapes it or
    the archive would expand past its bound (`max_bytes`, default MAX_BYTES)."""
    archive, target = Path(archive), Path(target)
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    tmp = target.with_name(f"{target.name}.extracting-{os.getpid()}")
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            bad = [i.filename for i in infos if _entry_escapes(i)]
            if bad:
                raise ParamError(f"{archive.name}: entry {bad[0][:60]!r} would land outside "
                                 f"{target}; refused, nothing extracted")
            problem = _entry_problem(infos)
            if problem:
                raise ParamError(f"{archive.name}: {problem}; refused, nothing extracted")
            total = _check_sizes(archive, infos, target, max_bytes)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            budget = max_bytes
            with files.full_disk_guard(target.parent, total, f"extracting {archive.name}"):
                for info in infos:
                    dest = tmp.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
                    if info.is_dir():
                        dest.mkdir(parents=True, exist_ok=True)
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    budget -= _write_entry(zf, info, dest, budget)
    except zipfile.BadZipFile:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ParamError(f"{archive} is not a valid zip archive (or is damaged); delete it and "
                         "run again") from None
    except ParamError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        message = str(e)
        if not message.startswith(archive.name):
            message = f"{archive.name}: {message}"
        raise ParamError(message if "nothing" in message
                         else f"{message}; removed the partial output") from None
    except BaseException:  # an interrupt or a bug: still no half-extracted folder left
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


def _marked(marker: Path, expected: str) -> bool:
    """Whether the marker says the archive of checksum `expected` was extracted; a torn or
    edited marker says no, and the archive is verified and extracted again."""
    try:
        stamp = json.loads(marker.read_text())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(stamp, dict) and stamp.get("sha1") == expected


def _marker(root: Path, name: str) -> Path:
    return root / f".{name}.extracted.json"


def fetch_course(root: str | Path, base_url: str | None = None,
                 archives: dict[str, str] | None = None, progress: bool = True,
                 allow_download: bool = True) -> list[Path]:
    """Make sure every course archive is downloaded, verified and extracted under `root`.

    Returns the extraction folders (`root/extracted/<archive stem>`). An archive whose marker
    says it was extracted with the expected hash is not read again.
    """
    root = Path(root)
    archives = COURSE_ARCHIVES if archives is None else archives
    base_url = COURSE_URL if base_url is None else base_url
    root.mkdir(parents=True, exist_ok=True)
    if not allow_download:  # say everything that is missing at once, before any work
        missing = [n for n in archives if not (root / n).is_file()
                   and not _marker(root, n).is_file()]
        if missing:
            raise ParamError(course_help(root, base_url, archives,
                                         f"{', '.join(missing)} missing and DATA_DOWNLOAD "
                                         "is false"))
    folders = []
    for name, expected in archives.items():
        folder = root / "extracted" / Path(name).stem
        marker = _marker(root, name)
        if folder.is_dir() and _marked(marker, expected):
            folders.append(folder)
            continue
        path = root / name
        if path.is_file():  # put there by someone: kept whatever it holds
            verify(path, expected, f"{path} is kept; " + (
                "move it away and run again to download the course's file afresh"
                if allow_download else f"DATA_DOWNLOAD is false, so put the course's {name} "
                f"from {base_url} there, or allow the download"))
        else:
            try:
                download(base_url + name, path, expected, progress)
            except DownloadFailed as e:
                raise ParamError(course_help(root, base_url, archives, str(e))) from None
        safe_extract(path, folder)
        files.write_json(marker, {"sha1": expected})
        folders.append(folder)
    return folders
