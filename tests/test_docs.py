"""The docs cannot drift from the code: every module they name exists."""
import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "regnet"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCES = sorted(LIB.rglob("*.py"))

# `regnet.data.cache`, `regnet.arch.pretrained.load_pretrained`; not the `.regnet.lock` file
DOTTED = re.compile(r"(?<![\w./-])regnet(?:\.[A-Za-z_]\w*)+")
# `engine/device.py`, `lib/regnet/arch/space.py`
PATH = re.compile(r"(?<![\w./-])(?:lib/regnet/)?((?:arch|data|engine|study|report)/\w+\.py)\b")


def _named(pattern, files):
    """(name, where) for every match of `pattern` in `files`, one per name and file."""
    found = {}
    for path in files:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in pattern.finditer(line):
                found.setdefault((m.group(m.lastindex or 0), path), i)
    return [(name, f"{path.relative_to(ROOT)}:{line}") for (name, path), line in found.items()]


def _wheel_packages() -> set[str]:
    """What a wheel adds under `regnet.assets` (pyproject.toml maps the checkout's folders)."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return set(setup["packages"]) | set(setup["package-dir"])


def _resolves(name: str) -> bool:
    """Whether `name` is a module, or an attribute of one, that imports."""
    if name.startswith("regnet.assets"):
        return any(p == name or p.startswith(name + ".") for p in _wheel_packages())
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if not (module == e.name or module.startswith(f"{e.name}.")):
                raise  # a module that exists but lacks a dependency
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


NAMED = _named(DOTTED, SOURCES + DOCS)


def test_the_scan_finds_the_names_it_checks():
    names = {name for name, _ in NAMED}
    assert {"regnet.data.cache", "regnet.arch.pretrained.load_pretrained"} <= names
    assert not any(name.startswith("regnet.lock") for name in names)  # the lock file's name
    assert _resolves("regnet.engine.loop.train") and not _resolves("regnet.train.train")
    assert not _resolves("regnet.images") and not _resolves("regnet.data.cache.no_such_thing")


@pytest.mark.parametrize("name,where", NAMED, ids=[f"{n}@{w}" for n, w in NAMED])
def test_every_regnet_name_in_docstrings_comments_and_docs_imports(name, where):
    assert _resolves(name), f"{where} names {name}, which does not import"


@pytest.mark.parametrize("name,where", _named(PATH, SOURCES + DOCS))
def test_every_module_path_in_docstrings_comments_and_docs_exists(name, where):
    assert (LIB / name).is_file(), f"{where} names {name}, which is not a file of lib/regnet/"
