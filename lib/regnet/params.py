"""One parameter vocabulary for YAML files, papermill `-p`, `--set KEY=VALUE` and notebooks.

Outside, parameters are flat UPPER_CASE names. Each is defined once in `PARAMS`: its kind (how
a value is checked), its default, its group, whether it changes a run's result, and a line of
help. Inside, `resolve()` returns a frozen `Config`: typed groups (`cfg.model`, `cfg.data`,
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import yaml

from . import boundedyaml, catalog
from .arch.space import normalize_name
from .errors import ParamError

__all__ = ["PARAMS", "Config", "ParamError", "check_all", "check_value", "defaults",
           "describe", "identity", "load_yaml", "parse_set", "resolve", "total_epochs"]


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int, float, bool, auto-bool, str, ints, choice, variant, optional-int, optional-str
    default: Any
    help: str
    group: str  # the Config group that holds it: model, data, optim, schedule, run, sweep
    result: bool = True  # whether a change makes another result (else: where or how it runs)
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None  # every number has a sane range: no value may ask for hours

    @property
    def field(self) -> str:
        """Its name in the group: MODEL_GROUP_WIDTH -> group_width, TRAINING_LR_MAX -> lr_max."""
        for prefix in _PREFIXES:
            if self.name.startswith(prefix):
                return self.name[len(prefix):].lower()
        return self.name.lower()


_PREFIXES = ("MODEL_", "DATA_", "TRAINING_", "SWEEP_")


def _p(name, kind, default, help, choices=(), minimum=None, *, group, result=True,
       maximum=None) -> Param:
    return Param(name, kind, default, help, group, result, tuple(choices), minimum, maximum)


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
OPTIMIZERS = ("sgd", "adam", "adamw")
DATASETS = tuple(catalog.DATASETS)
AUGMENTS = ("auto", *catalog.AUGMENTS)
PROFILES = tuple(catalog.PROFILES)

PARAMS: dict[str, Param] = {p.name: p for p in [
    # --- model ------------------------------------------------------------------------
    _p("REGNETX", "variant", "200mf", "named network (course: 200mf..1.6gf, custom; "
       "paper: regnetx_200mf.., regnety_200mf..)", group="model"),
    _p("MODEL_TAIL_OUT_CHANNELS", "int", 24, "stem output channels (custom)", minimum=1,
       maximum=4096, group="model"),
    _p("MODEL_BLOCKS", "ints", [1, 1, 4, 7], "blocks per stage (custom)", minimum=1,
       maximum=64, group="model"),
    _p("MODEL_CHANNELS", "ints", [24, 56, 152, 368], "output channels per stage (custom)",
       minimum=1, maximum=8192, group="model"),
    _p("MODEL_GROUP_WIDTH", "int", 8, "channels per group in the 3x3 convs (custom)",
       minimum=1, maximum=8192, group="model"),
    _p("MODEL_GROUPS", "int", 0, "groups of every 3x3 conv, the same in each stage (custom; "
       "0 = use MODEL_GROUP_WIDTH)", minimum=0, maximum=8192, group="model"),
    _p("MODEL_BOTTLENECK", "float", 1.0, "bottleneck ratio b: inner width = width / b "
       "(custom; 1 = no bottleneck, below 1 an expansion)", minimum=1 / 16, maximum=64.0,
       group="model"),
    _p("MODEL_SE_RATIO", "float", 0.0, "squeeze-excitation ratio, 0 = none (custom)",
       minimum=0.0, maximum=1.0, group="model"),
    _p("MODEL_FILTER_SIZE", "int", 3, "kernel size of the grouped conv and the stem "
       "(odd)", minimum=1, maximum=15, group="model"),
    # --- data -------------------------------------------------------------------------
    _p("DATASET", "choice", "synthetic", ", ".join(DATASETS), choices=DATASETS, group="data"),
    _p("DATA_DIR", "optional-str", None, "where the dataset lives or is downloaded to",
       group="data", result=False),
    _p("DATA_BATCH_SIZE", "int", 512, "global batch size", minimum=1, maximum=65536,
       group="optim"),
    _p("DATA_NUM_CLASSES", "optional-int", None, "classes (default: the dataset's)",
       minimum=1, maximum=100_000, group="data"),
    _p("DATA_NUM_CHANNELS", "optional-int", None, "input channels (default: the dataset's)",
       minimum=1, maximum=16, group="data"),
    _p("DATA_CROP", "optional-int", None, "training crop in px (default: the dataset's)",
       minimum=1, maximum=1024, group="data"),
    _p("DATA_RESIZE", "optional-int", None, "test images are resized to this before the "
       "center crop (default: the dataset's)", minimum=1, maximum=1024, group="data"),
    _p("DATA_TEST_CROP", "optional-int", None, "test center crop in px (default: DATA_CROP)",
       minimum=1, maximum=1024, group="data"),
    _p("DATA_CLASSES", "classes", None, "tiny-imagenet classes: N (N evenly spaced in sorted "
       "wnid order: positions floor(i*K/N) of K) or a list of wnids (default: all)",
       group="data"),
    _p("DATA_AUGMENT", "choice", "auto", "training augmentation: " + "; ".join(
       f"{a.name} ({a.description})" for a in catalog.AUGMENTS.values()) + "; auto: the "
       "dataset's", choices=AUGMENTS, group="data"),
    _p("DATA_SCALE_MIN", "float", 0.35, "smallest area fraction of the random resized crop",
       minimum=0.01, maximum=1.0, group="data"),
    _p("DATA_SYNTHETIC_TRAIN", "int", 5000, "synthetic training images", minimum=1,
       maximum=2_000_000, group="data"),
    _p("DATA_SYNTHETIC_TEST", "int", 1000, "synthetic test images", minimum=1,
       maximum=1_000_000, group="data"),
    _p("DATA_SYNTHETIC_SIZE", "int", 64, "synthetic image side in px", minimum=4,
       maximum=1024, group="data"),
    _p("DATA_IMAGE_SIZE", "optional-int", None, "side of the cached images: short side resized "
       "to it, long side center-cropped (default: the dataset's)", minimum=4, maximum=1024,
       group="data"),
    _p("DATA_WORKERS", "optional-int", None, "processes that decode images into the cache, and "
       "the DataLoader workers of bench's seed-style pipeline (default: up to 8, one per core)",
       minimum=0, maximum=256, group="data", result=False),
    _p("DATA_DOWNLOAD", "bool", True, "download a missing dataset (" + ", ".join(
       d.name for d in catalog.DATASETS.values() if d.downloads) + "; false: an error saying "
       "where to put the files)", group="data"),
    # --- schedule (the seeds' names) ----------------------------------------------------
    _p("TRAINING_LR_MAX", "float", 0.1, "peak learning rate", minimum=0.0, maximum=1000.0,
       group="schedule"),
    _p("TRAINING_LR_INIT_SCALE", "float", 0.5, "first warm-up rate = MAX * INIT_SCALE",
       minimum=0.0, maximum=1.0, group="schedule"),
    _p("TRAINING_LR_INIT_EPOCHS", "int", 5, "linear warm-up epochs", minimum=0,
       maximum=10_000, group="schedule"),
    _p("TRAINING_LR_FINAL_SCALE", "float", 0.01, "last rate = MAX * FINAL_SCALE", minimum=0.0,
       maximum=1.0, group="schedule"),
    _p("TRAINING_LR_FINAL_EPOCHS", "int", 55, "quarter-cosine epochs after warm-up (0 and no "
       "warm-up: a dry run that checks and sets up everything, trains nothing)", minimum=0,
       maximum=10_000, group="schedule"),
    _p("TRAINING_LR_PER_ITERATION", "bool", False, "update the rate every step, not every epoch",
       group="schedule"),
    # --- optimizer and loop -------------------------------------------------------------
    _p("TRAINING_OPTIMIZER", "choice", "sgd", "sgd, adam or adamw", choices=OPTIMIZERS,
       group="optim"),
    _p("TRAINING_MOMENTUM", "float", 0.9, "SGD momentum", minimum=0.0, maximum=1.0,
       group="optim"),
    _p("TRAINING_NESTEROV", "bool", True, "Nesterov momentum (SGD)", group="optim"),
    _p("TRAINING_WEIGHT_DECAY", "float", 5e-5, "weight decay", minimum=0.0, maximum=1.0,
       group="optim"),
    _p("TRAINING_WD_NORM_BIAS", "bool", False, "apply weight decay to norms and biases too",
       group="optim"),
    _p("TRAINING_LABEL_SMOOTHING", "float", 0.0, "label smoothing", minimum=0.0, maximum=1.0,
       group="optim"),
    _p("TRAINING_EMA", "float", 0.0, "EMA decay of the weights per step, 0 = off", minimum=0.0,
       maximum=1.0, group="optim"),
    # auto: the fastest choice for the device, decided by engine/device.py (resolve_auto) and
    # recorded in the run's params.yaml. Run identity compares the value as asked ("auto"),
    # as it does for a DATA_* left to the dataset's default; a resume whose device resolves
    # PRECISION differently stops with one line instead of switching precision mid-run.
    _p("PRECISION", "choice", "auto", "auto (bf16 on CUDA GPUs of compute capability 8.0+, "
       "fp16 on older ones, fp32 on CPU), fp32, bf16 or fp16 (autocast; fp16 with a gradient "
       "scaler)", choices=PRECISIONS, group="run"),
    _p("CHANNELS_LAST", "auto-bool", "auto", "channels_last memory format (auto: on CUDA)",
       group="run"),
    _p("COMPILE", "auto-bool", "auto", "torch.compile the model (auto: on CUDA for runs of "
       "5,000 steps or more)", group="run", result=False),
    _p("CUDA_GRAPHS", "auto-bool", "auto", "the whole training step as one CUDA graph (auto: "
       "on CUDA with COMPILE, one process, not fp16)", group="run", result=False),
    _p("DEVICE", "str", "auto", "auto, cpu, cuda or cuda:N", group="run", result=False),
    _p("SEED", "int", 0, "random seed (CPU runs repeat exactly)", minimum=0,
       maximum=2**32 - 1, group="run"),
    _p("PROGRESS", "bool", True, "tqdm progress bars", group="run", result=False),
    _p("PROFILE", "choice", "quick", "the notebooks' base parameter file: " + "; ".join(
       f"{p.name} ({p.summary})" for p in catalog.PROFILES.values()), choices=PROFILES,
       group="run"),
    _p("REPORT_TITLE", "str", "RegNetX: design, training, implementation and extras",
       "title page of the combined report", group="run", result=False),
    _p("REPORT_AUTHOR", "optional-str", None, "author on the combined report's title page",
       group="run", result=False),
    _p("REPORT_COURSE", "optional-str", None, "course on the combined report's title page",
       group="run", result=False),
    # --- files (the seeds' names) -------------------------------------------------------
    _p("FILE_SAVE", "bool", True, "write last.pt and best.pt into the run folder", group="run",
       result=False),
    _p("FILE_LOAD", "bool", False, "resume from the run folder's last.pt", group="run",
       result=False),
    # --- design-space sweep -------------------------------------------------------------
    _p("SWEEP_SPACES", "str", "anynetx_a,anynetx_b,anynetx_c,anynetx_d,anynetx_e,regnetx",
       "design spaces to sample, comma-separated (anynetx_a..e or a..e, regnetx)", group="sweep",
       result=False),
    _p("SWEEP_SAMPLES", "int", 4, "models sampled and trained per design space", minimum=1,
       maximum=100_000, group="sweep", result=False),
    _p("SWEEP_SEED", "int", 0, "seed of the sampler: model i of a space depends on it alone",
       minimum=0, maximum=2**32 - 1, group="sweep"),
    _p("SWEEP_MACS_MIN", "float", 150.0, "compute regime: fewest million MACs of a sampled "
       "model (56 px, 100 classes)", minimum=0.0, maximum=1e6, group="sweep"),
    _p("SWEEP_MACS_MAX", "float", 250.0, "compute regime: most million MACs of a sampled "
       "model", minimum=0.0, maximum=1e6, group="sweep"),
    _p("SWEEP_WORKERS", "int", 0, "worker processes, one per GPU (0: every visible GPU; "
       "1: this process)", minimum=0, maximum=1024, group="sweep", result=False),
    # where the shards run under `sweep --launcher submitit|ray` (study/launch.py)
    _p("SWEEP_SHARDS", "int", 8, "shards a launcher starts: SLURM array tasks or Ray tasks, "
       "each training every k-th model", minimum=1, maximum=10_000, group="sweep",
       result=False),
    _p("SWEEP_GPUS", "float", 1.0, "GPUs per shard (whole for SLURM; a fraction under Ray "
       "lets shards share a GPU; 0: CPU only)", minimum=0.0, maximum=64.0, group="sweep",
       result=False),
    _p("SWEEP_CPUS", "int", 4, "CPU cores per shard", minimum=1, maximum=1024, group="sweep",
       result=False),
    _p("SWEEP_PARTITION", "optional-str", None, "SLURM partition of the shards (default: the "
       "cluster's)", group="sweep", result=False),
    _p("SWEEP_TIME_LIMIT", "int", 120, "minutes a shard may run under submitit (SLURM's "
       "--time); a rerun resumes one stopped there", minimum=1, maximum=100_000,
       group="sweep", result=False),
]}



# --- typed groups: what a function takes instead of the whole vocabulary -----------------
# Fields only: every default lives in PARAMS above, and a test checks the two agree.

@dataclass(frozen=True)
class ModelConfig:
    regnetx: str
    tail_out_channels: int
    blocks: tuple[int, ...]
    channels: tuple[int, ...]
    group_width: int
    groups: int
    bottleneck: float
    se_ratio: float
    filter_size: int


@dataclass(frozen=True)
class DataConfig:
    dataset: str
    dir: str | None
    num_classes: int | None
    num_channels: int | None
    crop: int | None
    resize: int | None
    test_crop: int | None
    classes: int | tuple[str, ...] | None
    augment: str
    scale_min: float
    synthetic_train: int
    synthetic_test: int
    synthetic_size: int
    image_size: int | None
    workers: int | None
    download: bool


@dataclass(frozen=True)
class ScheduleConfig:
    lr_max: float
    lr_init_scale: float
    lr_init_epochs: int
    lr_final_scale: float
    lr_final_epochs: int
    lr_per_iteration: bool

    @property
    def epochs(self) -> int:
        """The seeds' schedule length: warm-up epochs plus cosine epochs."""
        return self.lr_init_epochs + self.lr_final_epochs


@dataclass(frozen=True)
class OptimConfig:
    batch_size: int
    optimizer: str
    momentum: float
    nesterov: bool
    weight_decay: float
    wd_norm_bias: bool
    label_smoothing: float
    ema: float


@dataclass(frozen=True)
class RunConfig:
    precision: str  # "auto" or what was asked; engine/device.py resolves auto
    channels_last: bool | str  # True, False or "auto"
    compile: bool | str
    cuda_graphs: bool | str
    device: str
    seed: int
    progress: bool
    profile: str
    report_title: str
    report_author: str | None
    report_course: str | None
    file_save: bool
    file_load: bool


@dataclass(frozen=True)
class SweepConfig:
    spaces: str
    samples: int
    seed: int
    macs_min: float
    macs_max: float
    workers: int
    shards: int
    gpus: float
    cpus: int
    partition: str | None
    time_limit: int


GROUPS = {"model": ModelConfig, "data": DataConfig, "schedule": ScheduleConfig,
          "optim": OptimConfig, "run": RunConfig, "sweep": SweepConfig}


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
