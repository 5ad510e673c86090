"""Checkpoints: everything a resumed run needs, as tensors and plain containers.

`checkpoint()` gathers weights, optimizer, scaler, EMA, RNG state, history, the parameters
and the network; `save()` writes it atomically; `load_checkpoint()` reads it with
`weights_only=True` (no pickled code ever runs) and refuses, in one line, a torn or foreign
file and one that loads but is not a checkpoint of this project (a bare tensor, a dict
without the parts in `PARTS`), as torchvision's and pycls's loaders expect named parts.
"""
from __future__ import annotations

import errno
import math
from pathlib import Path

import torch

from .. import files
from ..arch.memory import OPTIMIZER_STATE
from ..arch.model import RegNet, build
from ..arch.space import spec_from_dict, spec_to_dict
from ..errors import ParamError
from ..params import PARAMS, check_all


def checkpoint(state, values, spec, model, optimizer, scaler, ema, resolved=None) -> dict:
    """Everything a resumed run needs, as tensors and plain containers (weights_only loads);
    `resolved`: what the auto parameters became (device.Choice.params)."""
    return {
        "epoch": state["epoch"], "best_acc": state["best_acc"], "history": state["history"],
        "model": model.state_dict(), "ema": ema.state_dict() if ema else None,
        "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
        "rng": {"cpu": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []},
        "params": dict(values), "resolved": resolved, "spec": spec_to_dict(spec),
    }


def restore(ckpt: dict, spec, model, optimizer, scaler, ema, device) -> dict:
    """Load a checkpoint into the run's objects; return its epoch, best accuracy and history."""
    if ckpt["spec"] != spec_to_dict(spec):
        raise ParamError(f"FILE_LOAD=1: last.pt holds network {ckpt['spec']['name']!r} with "
                         "other stages than this run's; use the same REGNETX and MODEL_* "
                         "values, or another --out")
    try:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scaler.load_state_dict(ckpt["scaler"])
        if ema is not None and ckpt["ema"] is not None:
            ema.load_state_dict(ckpt["ema"])
        elif ema is not None:  # EMA switched on mid-run: start it from the current weights
            ema.load_state_dict(ckpt["model"])
        torch.set_rng_state(ckpt["rng"]["cpu"])
    except (RuntimeError, KeyError, ValueError, TypeError) as e:
        raise ParamError(f"FILE_LOAD=1: last.pt does not fit this run's network or optimizer "
                         f"({type(e).__name__}); delete it or use another --out") from None
    if device.type == "cuda" and ckpt["rng"]["cuda"]:
        torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])
    return {"epoch": ckpt["epoch"], "best_acc": ckpt["best_acc"],
            "history": list(ckpt["history"])}


#: What a checkpoint of this project holds, and the type of each part.
PARTS = {"epoch": int, "best_acc": (int, float), "history": list, "model": dict,
         "ema": (dict, type(None)), "optimizer": dict, "scaler": dict, "rng": dict,
         "params": dict, "spec": dict}


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint safely (tensors and plain containers only, never code) and check it."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a truncated or foreign file: say which, and what to do
        raise ParamError(f"{path} is not a readable checkpoint ({type(e).__name__}); delete "
                         "it or run without FILE_LOAD") from None
    problem = _problem(ckpt)
    if problem:
        raise ParamError(f"{path} is not a checkpoint of this project ({problem}); delete it "
                         "or run without FILE_LOAD")
    return ckpt


def _problem(ckpt) -> str | None:
    """What is wrong with a loaded checkpoint, in a few words, or None: every part is checked
    here, before a resume changes anything in the run folder."""
    if not isinstance(ckpt, dict):
        return f"it holds a {type(ckpt).__name__}, not a dict"
    missing = [k for k in PARTS if k not in ckpt]
    if missing:
        return f"no {', '.join(missing)}"
    wrong = [k for k, kind in PARTS.items() if isinstance(ckpt[k], bool)
             or not isinstance(ckpt[k], kind)]
    if wrong:
        return f"{', '.join(wrong)} of the wrong type"
    for check in (_tensors_problem, _state_problem, _history_problem, _params_problem):
        problem = check(ckpt)
        if problem:
            return problem
    try:
        spec_from_dict(ckpt["spec"])
    except (ParamError, TypeError, KeyError, ValueError, AttributeError):
        return "its network cannot be read"
    return None


def _tensors_problem(ckpt: dict) -> str | None:
    for part in ("model", "ema"):
        if ckpt[part] is not None and not all(isinstance(k, str) and isinstance(
                v, torch.Tensor) for k, v in ckpt[part].items()):
            return f"{part} holds something other than tensors"
    rng = ckpt["rng"]
    if not isinstance(rng.get("cpu"), torch.Tensor) or rng["cpu"].dtype != torch.uint8:
        return "no random state"
    if not isinstance(rng.get("cuda", []), list) or not all(
            isinstance(t, torch.Tensor) for t in rng.get("cuda", [])):
        return "no random state"
    return None


def _state_problem(ckpt: dict) -> str | None:
    opt = ckpt["optimizer"]
    if not isinstance(opt.get("state"), dict) or not isinstance(opt.get("param_groups"), list) \
            or not all(isinstance(g, dict) for g in opt["param_groups"]):
        return "optimizer holds no state and param_groups"
    if not isinstance(ckpt.get("resolved"), (dict, type(None))):
        return "resolved of the wrong type"
    best = ckpt["best_acc"]
    if ckpt["epoch"] < 0 or math.isnan(best) or best == math.inf:
        return f"epoch {ckpt['epoch']} with best accuracy {best}"
    return None


def _history_problem(ckpt: dict) -> str | None:
    if ckpt["epoch"] != len(ckpt["history"]):
        return f"epoch {ckpt['epoch']} but {len(ckpt['history'])} rows of history"
    for n, row in enumerate(ckpt["history"], 1):
        problem = row_problem(row, n)
        if problem:
            return f"history row {n} {problem}"
    return None


def _params_problem(ckpt: dict) -> str | None:
    if not all(isinstance(k, str) for k in ckpt["params"]):
        return "params with names that are not text"
    # a name no longer in the vocabulary is left out; one added since counts at its default
    given = {k: v for k, v in ckpt["params"].items() if k in PARAMS}
    try:
        check_all(given)
    except ParamError as e:
        return f"its parameters are not valid: {e}"
    return None


#: What every row of metrics.jsonl and of a checkpoint's history holds: numbers, epoch from 1.
ROW_FIELDS = ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "test_top5",
              "epoch_seconds", "images_per_second")


def row_problem(row, epoch: int | None = None) -> str | None:
    """What is wrong with one epoch's record, in a few words, or None."""
    if not isinstance(row, dict):
        return f"is not an epoch record (a {type(row).__name__})"
    missing = [k for k in ROW_FIELDS if k not in row]
    if missing:
        return f"has no {', '.join(missing)}"
    wrong = [k for k in ROW_FIELDS if isinstance(row[k], bool)
             or not isinstance(row[k], (int, float))]
    if wrong:
        return f"has {', '.join(wrong)} that are not numbers"
    if epoch is not None and row["epoch"] != epoch:
        return f"says epoch {row['epoch']}"
    return None


def checkpoint_bytes(model, optimizer: str, ema: bool) -> int:
    """About how many bytes one checkpoint of `model` takes: weights, optimizer state, EMA."""
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    return weights * (1 + OPTIMIZER_STATE.get(optimizer, 2) + (1 if ema else 0))


def save(ckpt: dict, path: Path) -> None:
    """torch.save atomically: a kill never leaves half a checkpoint. torch reports a failed
    write (a full disk) as a RuntimeError without an errno ("unexpected pos", "file write
    failed"): with less free space than the checkpoint's tensors that is ENOSPC, which the
    run folder turns into its one line; otherwise a one-line error naming the file."""
    with files.atomic_path(path) as tmp:
        try:
            torch.save(ckpt, tmp)
        except RuntimeError as e:
            if not any(w in str(e) for w in ("unexpected pos", "write failed")):
                raise
            free = files.free_bytes(path.parent)
            if free is not None and free < _tensor_bytes(ckpt):
                raise OSError(errno.ENOSPC, f"No space left writing {path.name}") from None
            raise ParamError(f"writing {path} failed ({str(e).strip()[-60:]}); the last "
                             "good checkpoint, if any, stays") from None


def _tensor_bytes(obj) -> int:
    """The bytes of every tensor in a checkpoint's nested dicts and lists."""
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(_tensor_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_tensor_bytes(v) for v in obj)
    return 0


def load_model(path: str | Path, device: str = "cpu", ema: bool = True) -> RegNet:
    """The network of a checkpoint, in eval mode (its EMA weights when it has them)."""
    return model_of(load_checkpoint(path), device, ema)


def model_of(ckpt: dict, device: str = "cpu", ema: bool = True) -> RegNet:
    """The network of a loaded, checked checkpoint, in eval mode (EMA weights if any)."""
    model = build(spec_from_dict(ckpt["spec"]))
    model.load_state_dict(ckpt["ema"] if ema and ckpt["ema"] is not None else ckpt["model"])
    return model.to(device).eval()
