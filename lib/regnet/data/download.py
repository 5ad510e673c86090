"""Course archives: download atomically, verify by git blob SHA-1, extract safely.

- A download is written under a temporary name and renamed only once it is whole and verified, so
  an interrupted or failed transfer never leaves a file that a later run would take as whole.
- Each archive's git blob SHA-1 (`sha1(b"blob <size>\\0" + bytes)`, what GitHub's tree lists)
  must equal the expected one in `COURSE_ARCHIVES`; a mismatch deletes the file and says so.
- Extraction checks every entry first; one entry that would land outside the target (an
  absolute path, `..`, a symbolic link) refuses the whole archive and extracts nothing.
  Entries are extracted into a temporary folder that is renamed into place when complete.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from .. import files
from ..errors import ParamError

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


def verify(path: Path, expected: str, shown: Path | None = None) -> None:
    """Raise ParamError, after deleting `path`, unless its git blob SHA-1 is `expected`."""
    actual = git_blob_sha1(path)
    if actual != expected:
        path.unlink(missing_ok=True)
        shown = shown or path
        raise ParamError(f"{shown.name}: git blob SHA-1 {actual} is not the expected "
                         f"{expected}; deleted {shown} (run again to download it afresh)")


def download(url: str, dest: str | Path, expected: str | None = None,
             progress: bool = True) -> Path:
    """Fetch `url` to `dest` atomically (temp name, verify, rename); return `dest`."""
    from tqdm.auto import tqdm
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with files.atomic_path(dest) as part:
            with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name,
                          disable=not progress, leave=False) as bar:
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        bar.update(len(chunk))
            if expected is not None:
                verify(part, expected, shown=dest)
    except OSError as e:  # URLError is an OSError: no network, 404, a full disk
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


def safe_extract(archive: str | Path, target: str | Path) -> Path:
    """Extract a zip into `target`, refusing (and extracting nothing) if any entry escapes."""
    archive, target = Path(archive), Path(target)
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = [i.filename for i in zf.infolist() if _entry_escapes(i)]
            if bad:
                raise ParamError(f"{archive.name}: entry {bad[0]!r} would land outside "
                                 f"{target}; refused, nothing extracted")
            tmp = target.with_name(f"{target.name}.extracting-{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            zf.extractall(tmp)
    except zipfile.BadZipFile:
        raise ParamError(f"{archive} is not a valid zip archive; delete it and run again")\
            from None
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


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
        if folder.is_dir() and marker.is_file() and \
                json.loads(marker.read_text()).get("sha1") == expected:
            folders.append(folder)
            continue
        path = root / name
        if path.is_file():
            verify(path, expected)
        else:
            try:
                download(base_url + name, path, expected, progress)
            except DownloadFailed as e:
                raise ParamError(course_help(root, base_url, archives, str(e))) from None
        safe_extract(path, folder)
        files.write_json(marker, {"sha1": expected})
        folders.append(folder)
    return folders
