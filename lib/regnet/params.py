"""One parameter vocabulary for YAML files, papermill `-p`, `--set KEY=VALUE` and notebooks.

Every parameter has a name, a kind (how a value is checked), a default and a line of help.
`resolve()` merges defaults, YAML files and overrides in order, later ones winning, and
checks every value before any work starts. A bad name or value raises `ParamError`, whose
message is one line that names the parameter.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml


class ParamError(ValueError):
    """A user's mistake in a parameter, a file or a name: printed as one line, exit status 2."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int, float, bool, str, ints, floats, choice, optional-int, optional-str, ...
    default: Any
    help: str
    choices: tuple = ()
    minimum: float | None = None


def _p(name, kind, default, help, choices=(), minimum=None) -> Param:
    return Param(name, kind, default, help, tuple(choices), minimum)


PRECISIONS = ("fp32", "bf16", "fp16")
OPTIMIZERS = ("sgd", "adam", "adamw")
DATASETS = ("course", "imagefolder", "cifar100", "fashion-mnist", "synthetic", "tiny-imagenet")
AUGMENTS = ("auto", "rrc", "pad-crop", "flip", "none")

PARAMS: dict[str, Param] = {p.name: p for p in [
    # --- model ------------------------------------------------------------------------
    _p("REGNETX", "variant", "200mf", "named network (course: 200mf..1.6gf, custom; "
       "paper: regnetx_200mf.., regnety_200mf..)"),
    _p("MODEL_TAIL_OUT_CHANNELS", "int", 24, "stem output channels (custom)", minimum=1),
    _p("MODEL_BLOCKS", "ints", [1, 1, 4, 7], "blocks per stage (custom)", minimum=1),
    _p("MODEL_CHANNELS", "ints", [24, 56, 152, 368], "output channels per stage (custom)",
       minimum=1),
    _p("MODEL_GROUP_WIDTH", "int", 8, "channels per group in the 3x3 convs (custom)", minimum=1),
    _p("MODEL_BOTTLENECK", "float", 1.0, "bottleneck ratio b: inner width = width / b "
       "(custom; 1 = no bottleneck)", minimum=1e-9),
    _p("MODEL_SE_RATIO", "float", 0.0, "squeeze-excitation ratio, 0 = none (custom)",
       minimum=0.0),
    _p("MODEL_FILTER_SIZE", "int", 3, "kernel size of the grouped conv and the stem "
       "(odd)", minimum=1),
    # --- data -------------------------------------------------------------------------
    _p("DATASET", "choice", "synthetic", "course, imagefolder, cifar100, fashion-mnist, "
       "synthetic, tiny-imagenet", choices=DATASETS),
    _p("DATA_DIR", "optional-str", None, "where the dataset lives or is downloaded to"),
    _p("DATA_BATCH_SIZE", "int", 512, "global batch size", minimum=1),
    _p("DATA_NUM_CLASSES", "optional-int", None, "classes (default: the dataset's)", minimum=1),
    _p("DATA_NUM_CHANNELS", "optional-int", None, "input channels (default: the dataset's)",
       minimum=1),
    _p("DATA_CROP", "optional-int", None, "training crop in px (default: the dataset's)",
       minimum=1),
    _p("DATA_RESIZE", "optional-int", None, "test images are resized to this before the "
       "center crop (default: the dataset's)", minimum=1),
    _p("DATA_TEST_CROP", "optional-int", None, "test center crop in px (default: DATA_CROP)",
       minimum=1),
    _p("DATA_CLASSES", "classes", None, "tiny-imagenet classes: N (N evenly spaced in sorted "
       "wnid order: positions floor(i*K/N) of K) or a list of wnids (default: all)"),
    _p("DATA_AUGMENT", "choice", "auto", "training augmentation: rrc (random resized crop + "
       "flip), pad-crop (pad 4, random crop + flip), flip, none; auto: the dataset's",
       choices=AUGMENTS),
    _p("DATA_SCALE_MIN", "float", 0.35, "smallest area fraction of the random resized crop",
       minimum=0.0),
    _p("DATA_SYNTHETIC_TRAIN", "int", 5000, "synthetic training images", minimum=1),
    _p("DATA_SYNTHETIC_TEST", "int", 1000, "synthetic test images", minimum=1),
    _p("DATA_SYNTHETIC_SIZE", "int", 64, "synthetic image side in px", minimum=4),
    _p("DATA_IMAGE_SIZE", "optional-int", None, "side of the cached images: short side resized "
       "to it, long side center-cropped (default: the dataset's)", minimum=4),
    _p("DATA_WORKERS", "optional-int", None, "processes that decode images into the cache, and "
       "the DataLoader workers of bench-data's seed pipeline (default: up to 8, one per core)",
       minimum=0),
    _p("DATA_DOWNLOAD", "bool", True, "download a missing course, cifar100, fashion-mnist or "
       "tiny-imagenet dataset (false: error saying where to put the files)"),
    # --- schedule (the seeds' names) ----------------------------------------------------
    _p("TRAINING_LR_MAX", "float", 0.1, "peak learning rate", minimum=0.0),
    _p("TRAINING_LR_INIT_SCALE", "float", 0.5, "first warm-up rate = MAX * INIT_SCALE",
       minimum=0.0),
    _p("TRAINING_LR_INIT_EPOCHS", "int", 5, "linear warm-up epochs", minimum=0),
    _p("TRAINING_LR_FINAL_SCALE", "float", 0.01, "last rate = MAX * FINAL_SCALE", minimum=0.0),
    _p("TRAINING_LR_FINAL_EPOCHS", "int", 55, "quarter-cosine epochs after warm-up", minimum=1),
    _p("TRAINING_LR_PER_ITERATION", "bool", False, "update the rate every step, not every epoch"),
    # --- optimizer and loop -------------------------------------------------------------
    _p("TRAINING_OPTIMIZER", "choice", "sgd", "sgd, adam or adamw", choices=OPTIMIZERS),
    _p("TRAINING_MOMENTUM", "float", 0.9, "SGD momentum", minimum=0.0),
    _p("TRAINING_NESTEROV", "bool", True, "Nesterov momentum (SGD)"),
    _p("TRAINING_WEIGHT_DECAY", "float", 5e-5, "weight decay", minimum=0.0),
    _p("TRAINING_WD_NORM_BIAS", "bool", False, "apply weight decay to norms and biases too"),
    _p("TRAINING_LABEL_SMOOTHING", "float", 0.0, "label smoothing", minimum=0.0),
    _p("TRAINING_EMA", "float", 0.0, "EMA decay of the weights per step, 0 = off", minimum=0.0),
    _p("PRECISION", "choice", "fp32", "fp32, bf16 or fp16 (autocast)", choices=PRECISIONS),
    _p("CHANNELS_LAST", "bool", False, "channels_last memory format"),
    _p("COMPILE", "bool", False, "torch.compile the model"),
    _p("DEVICE", "str", "auto", "auto, cpu, cuda or cuda:N"),
    _p("SEED", "int", 0, "random seed (CPU runs repeat exactly)", minimum=0),
    _p("PROGRESS", "bool", True, "tqdm progress bars"),
    _p("PROFILE", "choice", "quick", "quick (CPU demo, synthetic data), course (the real "
       "run) or tiny (the course recipe on Tiny ImageNet): the notebooks' base parameter file",
       choices=("quick", "course", "tiny")),
    # --- files (the seeds' names) -------------------------------------------------------
    _p("FILE_SAVE", "bool", True, "write last.pt and best.pt into the run folder"),
    _p("FILE_LOAD", "bool", False, "resume from the run folder's last.pt"),
    # --- design-space sweep -------------------------------------------------------------
    _p("SWEEP_SPACES", "str", "anynetx_a,anynetx_b,anynetx_c,anynetx_d,anynetx_e,regnetx",
       "design spaces to sample, comma-separated (anynetx_a..e or a..e, regnetx)"),
    _p("SWEEP_SAMPLES", "int", 4, "models sampled and trained per design space", minimum=1),
    _p("SWEEP_SEED", "int", 0, "seed of the sampler: model i of a space depends on it alone",
       minimum=0),
    _p("SWEEP_MACS_MIN", "float", 150.0, "compute regime: fewest million MACs of a sampled "
       "model (56 px, 100 classes)", minimum=0.0),
    _p("SWEEP_MACS_MAX", "float", 250.0, "compute regime: most million MACs of a sampled "
       "model", minimum=0.0),
    _p("SWEEP_WORKERS", "int", 0, "worker processes, one per GPU (0: every visible GPU; "
       "1: this process)", minimum=0),
]}


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, PARAMS, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_min(p: Param, v):
    if p.minimum is not None and v < p.minimum:
        raise ParamError(f"{p.name}={v!r} is too small: it must be at least {p.minimum:g}")


def check_value(name: str, value: Any) -> Any:
    """Return `value` converted to the kind of parameter `name`, or raise ParamError."""
    if name not in PARAMS:
        raise ParamError(f"unknown parameter {name}{_suggest(name)}; "
                         "`python -m regnet params` lists them")
    p = PARAMS[name]
    checker = _CHECKERS[p.kind]
    return checker(p, value)


def _as_int(p, v):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not _is_int(v):
        raise ParamError(f"{p.name}={v!r} must be a whole number")
    _check_min(p, v)
    return v


def _as_float(p, v):
    if isinstance(v, str):  # YAML 1.1 reads `5e-5` (no dot) as a string, not a number
        try:
            v = float(v)
        except ValueError:
            pass
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ParamError(f"{p.name}={v!r} must be a finite number")
    _check_min(p, v)
    return float(v)


def _as_bool(p, v):
    if isinstance(v, bool):
        return v
    if v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.lower() in ("true", "false", "yes", "no", "on", "off"):
        return v.lower() in ("true", "yes", "on")
    raise ParamError(f"{p.name}={v!r} must be true or false (or 1 or 0)")


def _as_str(p, v):
    if not isinstance(v, str) or not v:
        raise ParamError(f"{p.name}={v!r} must be a non-empty string")
    return v


def _as_ints(p, v):
    if isinstance(v, str):  # papermill and --set may hand over "[1, 1, 4, 7]"
        v = yaml.safe_load(v)
    if not isinstance(v, (list, tuple)) or not v:
        raise ParamError(f"{p.name}={v!r} must be a non-empty list of whole numbers")
    return [_as_int(p, x) for x in v]


def _as_choice(p, v):
    if not isinstance(v, str) or v.lower() not in p.choices:
        raise ParamError(f"{p.name}={v!r} must be one of: {', '.join(p.choices)}")
    return v.lower()


def _as_classes(p, v):
    """N classes (a whole number) or a list of class names (wnids); a string may hold either."""
    if isinstance(v, str):  # papermill and --set hand over "10", "[n01443537, ...]" or "a,b"
        parsed = yaml.safe_load(v)
        v = [x.strip() for x in parsed.split(",") if x.strip()] if isinstance(parsed, str) \
            else parsed
    if isinstance(v, (list, tuple)):
        if not v or not all(isinstance(x, str) and x for x in v):
            raise ParamError(f"{p.name}={v!r} must be a whole number or a non-empty list of "
                             "class names (wnids)")
        return list(v)
    if not _is_int(v) or v < 1:
        raise ParamError(f"{p.name}={v!r} must be a whole number of classes (at least 1) or a "
                         "list of class names (wnids)")
    return v


def _optional(inner):
    def check(p, v):
        return None if v is None or v == "" else inner(p, v)
    return check


def _as_variant(p, v):
    from .space import normalize_name  # the names live with the design space
    return normalize_name(v)


_CHECKERS: dict[str, Callable[[Param, Any], Any]] = {
    "int": _as_int, "float": _as_float, "bool": _as_bool, "str": _as_str, "ints": _as_ints,
    "choice": _as_choice, "variant": _as_variant, "classes": _optional(_as_classes),
    "optional-int": _optional(_as_int), "optional-str": _optional(_as_str),
}


def defaults() -> dict[str, Any]:
    """Every parameter at its default value."""
    return {name: (list(p.default) if isinstance(p.default, list) else p.default)
            for name, p in PARAMS.items()}


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a parameter file: a mapping of NAME: value. Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise ParamError(f"parameter file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ParamError(f"parameter file {path}{where} is not valid YAML") from None
    if not isinstance(data, dict):
        raise ParamError(f"parameter file {path} must hold a mapping of NAME: value")
    if isinstance(data.get("params"), dict) and "provenance" in data:
        data = data["params"]  # a run folder's params.yaml: repeat that run
    for key in data:
        if key not in PARAMS:
            raise ParamError(f"{path}: unknown parameter {key}{_suggest(str(key))}")
    return data


def parse_set(item: str) -> tuple[str, Any]:
    """Split one `KEY=VALUE` override; the value parses as YAML (`[1,1,4,7]`, `0.1`, `true`)."""
    if "=" not in item:
        raise ParamError(f"--set {item!r} must look like KEY=VALUE")
    key, _, text = item.partition("=")
    key = key.strip()
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        raise ParamError(f"--set {key}: {text!r} is not a valid value") from None
    return key, value


def resolve(files: Iterable[str | Path] = (), sets: Iterable[str] = (),
            overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then each file in order, then `--set` items, then `overrides`; all checked."""
    merged = defaults()
    layers: list[Mapping[str, Any]] = [load_yaml(f) for f in files]
    layers.append(dict(parse_set(s) for s in sets))
    layers.append(dict(overrides or {}))
    for layer in layers:
        for key, value in layer.items():
            merged[key] = check_value(key, value)
    return check_all(merged)


def check_all(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check every value and the rules that tie parameters together."""
    out = {k: check_value(k, v) for k, v in values.items()}
    for key in PARAMS:
        out.setdefault(key, defaults()[key])
    if len(out["MODEL_BLOCKS"]) != len(out["MODEL_CHANNELS"]):
        raise ParamError(f"MODEL_BLOCKS has {len(out['MODEL_BLOCKS'])} stages but "
                         f"MODEL_CHANNELS has {len(out['MODEL_CHANNELS'])}; give one "
                         "value per stage in each")
    if out["MODEL_FILTER_SIZE"] % 2 == 0:
        raise ParamError(f"MODEL_FILTER_SIZE={out['MODEL_FILTER_SIZE']} must be odd")
    return out


def total_epochs(values: Mapping[str, Any]) -> int:
    """The seeds' schedule length: warm-up epochs plus cosine epochs."""
    return values["TRAINING_LR_INIT_EPOCHS"] + values["TRAINING_LR_FINAL_EPOCHS"]


def describe() -> list[dict[str, Any]]:
    """The vocabulary as rows (name, kind, default, help) for `python -m regnet params`."""
    return [{"name": p.name, "kind": p.kind, "default": p.default, "help": p.help}
            for p in PARAMS.values()]
