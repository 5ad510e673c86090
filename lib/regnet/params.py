"""One parameter vocabulary for YAML files, papermill `-p`, `--set KEY=VALUE` and notebooks.

Outside, parameters are flat UPPER_CASE names. Each is defined once in `PARAMS`
(vocabulary.py, re-exported here with the typed groups): its kind (how a value is checked), its
default, its group, whether it changes a run's result, and a line of help. This module checks
and resolves them: inside, `resolve()` returns a frozen `Config`: typed groups (`cfg.model`, `cfg.data`,
`cfg.optim`, `cfg.schedule`, `cfg.run`, `cfg.sweep`) for the functions that need one group,
and still a read-only mapping of the flat names for records and reports. Run identity, sweep
reuse and dataset cache keys all come from one flag (`Param.result`, see `identity()`).

A bad name or value raises `ParamError`, whose message is one line that names the parameter,
before any work starts.
"""
from __future__ import annotations

import difflib
import math
import re
import reprlib
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import yaml

from . import boundedyaml, catalog
from .arch.space import normalize_name
from .errors import ParamError
from .vocabulary import (AUGMENTS, DATASETS, GROUPS, OPTIMIZERS, PARAMS, PRECISIONS, PROFILES,
                         DataConfig, ModelConfig, OptimConfig, Param, RunConfig, ScheduleConfig,
                         SweepConfig)

__all__ = ["PARAMS", "Config", "ParamError", "check_all", "check_value", "defaults",
           "describe", "identity", "load_yaml", "parse_set", "resolve", "total_epochs"]


class Config(Mapping[str, Any]):
    """Resolved parameters: typed groups inside, the flat UPPER_CASE names outside.

    `cfg.model.group_width` and `cfg["MODEL_GROUP_WIDTH"]` are the same checked value. It
    is immutable: `cfg.replace(NAME=value)` returns a new, checked Config.
    """

    __slots__ = ("_flat", "model", "data", "schedule", "optim", "run", "sweep")

    def __init__(self, flat: Mapping[str, Any]):
        object.__setattr__(self, "_flat", dict(flat))
        for group, cls in GROUPS.items():
            object.__setattr__(self, group, cls(**{
                p.field: _frozen(flat[p.name]) for p in PARAMS.values() if p.group == group}))

    def __setattr__(self, name, value):
        raise AttributeError("a Config is immutable; use cfg.replace(NAME=value)")

    def __getitem__(self, name: str) -> Any:
        value = self._flat[name]
        return list(value) if isinstance(value, list) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._flat)

    def __len__(self) -> int:
        return len(self._flat)

    def __repr__(self) -> str:
        return f"Config({self._flat!r})"

    def replace(self, **changes) -> "Config":
        """A new Config with some flat names changed, all of it checked again."""
        return check_all({**self._flat, **changes})

    @property
    def epochs(self) -> int:
        return self.schedule.epochs


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def identity(values: Mapping[str, Any], group: str | None = None) -> dict[str, Any]:
    """The values that change a result (of one group, if given): what makes two runs the same.

    Run folders, sweep results and dataset caches all compare these and nothing else. A named
    network (REGNETX other than custom) ignores the MODEL_* numbers, so they are left out.
    """
    named = values.get("REGNETX", "custom") != "custom"
    return {name: values[name] for name, p in PARAMS.items()
            if p.result and name in values and (group is None or p.group == group)
            and not (named and name.startswith("MODEL_"))}

def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, PARAMS, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_min(p: Param, v):
    """The value's range: at least `minimum` and at most `maximum`."""
    if p.minimum is not None and v < p.minimum:
        raise ParamError(f"{p.name}={_short(v)} is too small: it must be at least "
                         f"{_bound(p.minimum)}")
    if p.maximum is not None and v > p.maximum:
        raise ParamError(f"{p.name}={_short(v)} is too large: it must be at most "
                         f"{_bound(p.maximum)}")


def _bound(x) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) >= 1000 else f"{x:g}"


def _short(v) -> str:
    """A value for a one-line message: 10**1000, a page of text or a list of a million items
    is not printed in full (reprlib reads only the first few of each)."""
    if _is_int(v) and v.bit_length() > 64:
        return f"a {v.bit_length()}-bit number"
    text = _REPR.repr(v).replace("\n", " ")
    return text if len(text) <= 40 else text[:37] + "..."


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxstring, \
    _REPR.maxlong, _REPR.maxother = 3, 6, 6, 4, 40, 40, 40


def parse_text(text: str, what: str) -> Any:
    """YAML text from a file, --set or papermill, read within bounds: a mistake or a hostile
    value (an alias bomb, `[` nested thousands deep, 5,000 digits) is one line naming `what`."""
    try:
        return boundedyaml.load(text)
    except boundedyaml.TooLarge as e:
        raise ParamError(f"{what} is not a valid value: it {e}") from None
    except ValueError:  # an integer of more than 4300 digits
        raise ParamError(f"{what} is not a valid value: it holds a number too long to read") \
            from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark and "\n" in text else ""
        raise ParamError(f"{what}{where} is not valid YAML") from None


def check_value(name: str, value: Any) -> Any:
    """Return `value` converted to the kind of parameter `name`, or raise ParamError."""
    if name not in PARAMS:
        raise ParamError(f"unknown parameter {str(name)[:60]}{_suggest(str(name)[:60])}; "
                         "`python -m regnet params` lists them")
    p = PARAMS[name]
    checker = _CHECKERS[p.kind]
    return checker(p, value)


def _as_int(p, v):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not _is_int(v):
        raise ParamError(f"{p.name}={_short(v)} must be a whole number")
    _check_min(p, v)
    return v


def _as_float(p, v):
    if isinstance(v, str):  # YAML 1.1 reads `5e-5` (no dot) as a string, not a number
        try:
            v = float(v)
        except ValueError:
            pass
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ParamError(f"{p.name}={_short(v)} must be a finite number")
    _check_min(p, v)
    return float(v)


def _as_bool(p, v):
    if isinstance(v, bool):
        return v
    if v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.lower() in ("true", "false", "yes", "no", "on", "off"):
        return v.lower() in ("true", "yes", "on")
    raise ParamError(f"{p.name}={_short(v)} must be true or false (or 1 or 0)")


def _as_auto_bool(p, v):
    if isinstance(v, str) and v.lower() == "auto":
        return "auto"
    try:
        return _as_bool(p, v)
    except ParamError:
        raise ParamError(f"{p.name}={_short(v)} must be auto, true or false (or 1 or 0)") \
            from None


def _as_str(p, v):
    if not isinstance(v, str) or not v:
        raise ParamError(f"{p.name}={_short(v)} must be a non-empty string")
    return v


MAX_STAGES = 16


def _as_ints(p, v):
    if isinstance(v, str):  # papermill and --set may hand over "[1, 1, 4, 7]"
        try:
            v = parse_text(v, f"{p.name}={v[:40]!r}")
        except ParamError as e:
            raise ParamError(f"{e}: it must be a list of whole numbers, e.g. [1, 1, 4, 7]") \
                from None
    if not isinstance(v, (list, tuple)) or not v:
        raise ParamError(f"{p.name}={_short(v)} must be a non-empty list of whole numbers")
    if len(v) > MAX_STAGES:
        raise ParamError(f"{p.name} has {len(v)} entries: at most {MAX_STAGES} stages")
    return [_as_int(p, x) for x in v]


def _as_choice(p, v):
    if not isinstance(v, str) or v.lower() not in p.choices:
        raise ParamError(f"{p.name}={_short(v)} must be one of: {', '.join(p.choices)}")
    return v.lower()


def _as_classes(p, v):
    """N classes (a whole number) or a list of class names (wnids); a string may hold either."""
    if isinstance(v, str):  # papermill and --set hand over "10", "[n01443537, ...]" or "a,b"
        parsed = parse_text(v, f"{p.name}={v[:40]!r}")
        v = [x.strip() for x in parsed.split(",") if x.strip()] if isinstance(parsed, str) \
            else parsed
    if isinstance(v, (list, tuple)):
        if not v or not all(isinstance(x, str) and x for x in v):
            raise ParamError(f"{p.name}={_short(v)} must be a whole number or a non-empty list "
                             "of class names (wnids)")
        bad = next((x for x in v if not is_class_name(x)), None)
        if bad is not None:
            raise ParamError(f"{p.name} names {_short(bad)}, which is not a class name (a "
                             "class name is one folder name: no / or \\, not . or ..)")
        return list(v)
    if not _is_int(v) or not 1 <= v <= MAX_CLASSES:
        raise ParamError(f"{p.name}={_short(v)} must be a whole number of classes (1 to "
                         f"{MAX_CLASSES:,}) or a list of class names (wnids)")
    return v


MAX_CLASSES = 100_000


def is_class_name(name: str) -> bool:
    """Whether `name` can name a class folder: one plain path component, never a path."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0") \
        and name == name.strip() and len(name) <= 255


def _optional(inner):
    def check(p, v):
        return None if v is None or v == "" else inner(p, v)
    return check


def _as_variant(p, v):
    if _is_int(v) and v.bit_length() > 64:
        raise ParamError(f"REGNETX={_short(v)} is not a network name")
    return normalize_name(v)  # the names live with the design space


_CHECKERS: dict[str, Callable[[Param, Any], Any]] = {
    "int": _as_int, "float": _as_float, "bool": _as_bool, "auto-bool": _as_auto_bool,
    "str": _as_str, "ints": _as_ints, "choice": _as_choice, "variant": _as_variant,
    "classes": _optional(_as_classes),
    "optional-int": _optional(_as_int), "optional-str": _optional(_as_str),
}


def defaults(dataset: str | None = None) -> dict[str, Any]:
    """Every parameter at its default value; for `dataset`, with its training recipe on top
    (catalog.py: what that dataset trains best with when nothing else sets it)."""
    out = {name: (list(p.default) if isinstance(p.default, list) else p.default)
           for name, p in PARAMS.items()}
    if isinstance(dataset, str) and dataset in catalog.DATASETS:
        out.update(catalog.dataset(dataset).recipe)
    return out


MAX_FILE_BYTES = 1 << 20


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a parameter file: a mapping of NAME: value. Errors name the file."""
    path = Path(path)
    if not path.exists():
        raise ParamError(f"parameter file {path} does not exist")
    if path.is_dir():
        raise ParamError(f"parameter file {path} is a folder; give a YAML file")
    if not path.is_file():  # a device or a pipe: reading /dev/zero would never end
        raise ParamError(f"parameter file {path} is not a regular file; give a YAML file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ParamError(f"parameter file {path} is {path.stat().st_size:,} bytes; a parameter "
                         "file is a few lines of YAML")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParamError(f"parameter file {path} is not a text file (not UTF-8); give a YAML "
                         "file") from None
    except OSError as e:
        raise ParamError(f"parameter file {path} cannot be read ({e.strerror})") from None
    data = parse_text(text, f"parameter file {path}") or {}
    if not isinstance(data, dict):
        raise ParamError(f"parameter file {path} must hold a mapping of NAME: value")
    if isinstance(data.get("params"), dict) and "provenance" in data:
        data = data["params"]  # a run folder's params.yaml: repeat that run
    for key in data:
        if key not in PARAMS:
            raise ParamError(f"{path}: unknown parameter {str(key)[:60]}"
                             f"{_suggest(str(key)[:60])}")
    return data


def parse_set(item: str) -> tuple[str, Any]:
    """Split one `KEY=VALUE` override; the value parses as YAML (`[1,1,4,7]`, `0.1`, `true`)."""
    if "=" not in item:
        raise ParamError(f"--set {item[:40]!r} must look like KEY=VALUE")
    key, _, text = item.partition("=")
    key = key.strip()
    value = parse_text(text, f"--set {key[:40]}: {text[:40]!r}") if text.strip() else None
    return key, value


def resolve(files: Iterable[str | Path] = (), sets: Iterable[str] = (),
            overrides: Mapping[str, Any] | None = None) -> Config:
    """Defaults, then each file in order, then `--set` items, then `overrides`; all checked."""
    given: dict[str, Any] = {}  # what the layers set; check_all fills in the rest
    layers: list[Mapping[str, Any]] = [load_yaml(f) for f in files]
    layers.append(dict(parse_set(s) for s in sets))
    layers.append(dict(overrides or {}))
    for layer in layers:
        for key, value in layer.items():
            given[key] = check_value(key, value)
    return check_all(given)


def check_all(values: Mapping[str, Any]) -> Config:
    """Check every value and the rules that tie parameters together; missing ones take their
    default, the DATASET's recipe included (`defaults`)."""
    if isinstance(values, Config):
        return values
    out = {k: check_value(k, v) for k, v in values.items()}
    for key, value in defaults(out.get("DATASET")).items():
        out.setdefault(key, value)
    if len(out["MODEL_BLOCKS"]) != len(out["MODEL_CHANNELS"]):
        raise ParamError(f"MODEL_BLOCKS has {len(out['MODEL_BLOCKS'])} stages but "
                         f"MODEL_CHANNELS has {len(out['MODEL_CHANNELS'])}; give one "
                         "value per stage in each")
    if out["MODEL_FILTER_SIZE"] % 2 == 0:
        raise ParamError(f"MODEL_FILTER_SIZE={out['MODEL_FILTER_SIZE']} must be odd")
    if not _DEVICE.match(out["DEVICE"]):
        raise ParamError(f"DEVICE={out['DEVICE'][:40]!r} is not a device; use auto, cpu, cuda "
                         "or cuda:N")
    return Config(out)


_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d{1,3})?)$")


def total_epochs(values: Mapping[str, Any]) -> int:
    """The seeds' schedule length: warm-up epochs plus cosine epochs."""
    return values["TRAINING_LR_INIT_EPOCHS"] + values["TRAINING_LR_FINAL_EPOCHS"]


def _check_recipes() -> None:
    """Every dataset's recipe names TRAINING_* parameters with valid values (at import)."""
    for info in catalog.DATASETS.values():
        for key, value in info.recipe.items():
            if not key.startswith("TRAINING_"):
                raise ImportError(f"catalog: {info.name}'s recipe sets {key}, not a TRAINING_* "
                                  "parameter")
            check_value(key, value)


_check_recipes()


def describe() -> list[dict[str, Any]]:
    """The vocabulary as rows (name, kind, default, range, help) for `python -m regnet params`."""
    return [{"name": p.name, "kind": p.kind, "default": p.default,
             "range": None if p.minimum is None else [p.minimum, p.maximum], "help": p.help}
            for p in PARAMS.values()]
