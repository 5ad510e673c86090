"""ImageNet weights from timm and torchvision, renamed for the paper's models.

The three code bases build the same network with different module names: this project's
`s2.b1.a_bn` is timm's `s2.b1.conv1.bn` and torchvision's `trunk_output.block2.block2-0.f.a.1`.
The rename is a table; every shape is checked against the model the spec builds, so weights of
another network fail with one line naming the first parameter that differs. Nothing is
downloaded here: pass a state dict or the path of a saved one (docs/networks.md, "Pretrained weights").
"""
from __future__ import annotations

import functools
import os
import re
from typing import Mapping

import torch

from .model import build
from ..errors import ParamError
from .space import PAPER, NetSpec, named, normalize_name

SOURCES = ("timm", "torchvision")

#: Inside a block: this project's module -> the source's module.
BLOCK = {
    "timm": {"a": "conv1.conv", "a_bn": "conv1.bn", "b": "conv2.conv", "b_bn": "conv2.bn",
             "se.reduce": "se.fc1", "se.expand": "se.fc2", "c": "conv3.conv",
             "c_bn": "conv3.bn", "proj": "downsample.conv", "proj_bn": "downsample.bn"},
    "torchvision": {"a": "f.a.0", "a_bn": "f.a.1", "b": "f.b.0", "b_bn": "f.b.1",
                    "se.reduce": "f.se.fc1", "se.expand": "f.se.fc2", "c": "f.c.0",
                    "c_bn": "f.c.1", "proj": "proj.0", "proj_bn": "proj.1"},
}

#: Outside the blocks: this project's module -> the source's module.
OUTER = {
    "timm": {"stem.conv": "stem.conv", "stem.bn": "stem.bn", "head.fc": "head.fc"},
    "torchvision": {"stem.conv": "stem.0", "stem.bn": "stem.1", "head.fc": "fc"},
}

#: Each paper model's name in timm (pretrained tags: `.pycls_in1k`, some also `.tv2_in1k`).
TIMM = {
    "regnetx_200mf": "regnetx_002", "regnetx_400mf": "regnetx_004",
    "regnetx_600mf": "regnetx_006", "regnetx_800mf": "regnetx_008",
    "regnetx_1.6gf": "regnetx_016", "regnety_200mf": "regnety_002",
    "regnety_400mf": "regnety_004", "regnety_600mf": "regnety_006",
    "regnety_800mf": "regnety_008", "regnety_1.6gf": "regnety_016",
}

#: torchvision models that are the paper's networks (same widths, depths and groups).
TORCHVISION = {
    "regnetx_800mf": "regnet_x_800mf", "regnetx_1.6gf": "regnet_x_1_6gf",
    "regnety_400mf": "regnet_y_400mf", "regnety_1.6gf": "regnet_y_1_6gf",
}

#: torchvision models that round widths differently from pycls: other networks, refused
#: (timm has them too, as regnetx_004_tv and regnety_008_tv).
TORCHVISION_OTHER = {"regnetx_400mf": "regnet_x_400mf", "regnety_800mf": "regnet_y_800mf"}

HEAD = ("head.fc.weight", "head.fc.bias")


def foreign_key(key: str, source: str) -> str:
    """The name that this project's state-dict `key` has in `source`'s state dict."""
    module, leaf = key.rsplit(".", 1)
    block = re.fullmatch(r"s(\d+)\.b(\d+)\.(.+)", module)
    if block is None:
        return f"{OUTER[source][module]}.{leaf}"
    stage, index, inner = int(block[1]), int(block[2]), BLOCK[source][block[3]]
    if source == "timm":
        return f"s{stage}.b{index}.{inner}.{leaf}"
    return f"trunk_output.block{stage}.block{stage}-{index - 1}.{inner}.{leaf}"


def detect_source(state: Mapping[str, torch.Tensor]) -> str:
    """'timm' or 'torchvision', from the key names."""
    if any(k.startswith("trunk_output.") for k in state):
        return "torchvision"
    if any(re.match(r"s\d+\.b\d+\.conv1\.", k) for k in state):
        return "timm"
    first = next(iter(state), "(none)")
    raise ParamError(f"cannot tell where these weights come from (first key {first!r}): "
                     "expected timm's s1.b1.conv1.conv.weight or torchvision's "
                     "trunk_output.block1... keys; pass source='timm' or 'torchvision'")


def unwrap(state) -> dict[str, torch.Tensor]:
    """The bare state dict inside a training checkpoint ({'state_dict': ...}, 'module.')."""
    if not isinstance(state, Mapping):
        raise ParamError(f"weights must be a state dict (a mapping of names to tensors), "
                         f"not {type(state).__name__}")
    for wrapper in ("state_dict", "model", "model_state"):
        if isinstance(state.get(wrapper), Mapping):
            state = state[wrapper]
            break
    # DistributedDataParallel saves every name with this prefix
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return dict(state)


@functools.lru_cache(maxsize=32)
def expected_shapes(spec: NetSpec) -> dict[str, tuple[int, ...]]:
    """Every state-dict entry of the model `spec` builds, with its shape (no memory used)."""
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in build(spec).state_dict().items()}


def _shape(t) -> tuple[int, ...]:
    return tuple(t.shape) if isinstance(t, torch.Tensor) else ()


def _problem(state: dict, spec: NetSpec, source: str, head: bool) -> str | None:
    """The first difference, in network order, between the weights and the spec's model."""
    expected = {k: s for k, s in expected_shapes(spec).items() if head or k not in HEAD}
    wanted = set()
    for key, here in expected.items():
        fkey = foreign_key(key, source)
        wanted.add(fkey)
        if fkey not in state:
            if key.endswith(".num_batches_tracked"):  # a counter, not a weight: may be absent
                continue
            return f"{key} {here} has no {fkey} in the {source} weights"
        if not isinstance(state[fkey], torch.Tensor):
            return f"{fkey} in the {source} weights is a {type(state[fkey]).__name__}, not a tensor"
        there = _shape(state[fkey])
        if there != here:
            return f"{key} is {here} in {spec.name} but {fkey} is {there} in the {source} weights"
    ignored = set() if head else {foreign_key(k, source) for k in HEAD}
    for fkey in state:
        if fkey not in wanted and fkey not in ignored:
            return (f"{fkey} {_shape(state[fkey])} in the {source} weights has no place in "
                    f"{spec.name}")
    return None


def identify(state, source: str = "auto") -> str | None:
    """The paper model whose body these weights fit (the head is not compared), or None."""
    state = unwrap(state)
    source = detect_source(state) if source == "auto" else source
    for name in PAPER:
        if _problem(state, named(name), source, head=False) is None:
            return name
    return None


def _hint(state: dict, spec: NetSpec, source: str) -> str:
    """Why the weights may not fit: another paper model, or torchvision's own rounding."""
    fits = identify(state, source)
    if fits is not None and fits != spec.name:
        return f"; these are {fits}'s weights"
    if fits is None and spec.name in TORCHVISION_OTHER:
        return (f"; torchvision's {TORCHVISION_OTHER[spec.name]} (timm's "
                f"{TIMM[spec.name]}_tv) rounds widths differently from the paper and is "
                f"another network: the paper's weights are timm's {TIMM[spec.name]}")
    return ""


def convert_state_dict(state, spec: NetSpec, source: str = "auto",
                       head: bool = True) -> dict[str, torch.Tensor]:
    """timm or torchvision weights renamed to the keys of `build(spec)`, every shape checked.

    With head=False the classifier is neither converted nor required. BN counters
    (num_batches_tracked) absent from the weights are absent from the result.
    """
    state = unwrap(state)
    if source == "auto":
        source = detect_source(state)
    if source not in SOURCES:
        raise ParamError(f"source={source!r} is not one of auto, {', '.join(SOURCES)}")
    problem = _problem(state, spec, source, head)
    if problem is not None:
        raise ParamError(f"weights do not fit {spec.name}: {problem}"
                         f"{_hint(state, spec, source)}")
    out = {}
    for key in expected_shapes(spec):
        fkey = foreign_key(key, source)
        if (head or key not in HEAD) and fkey in state:
            out[key] = state[fkey]
    return out


def read_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from a file: torch.save's format (tensors only) or .safetensors."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ParamError(f"weights file {path} does not exist")
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file  # optional: only .safetensors need it
            return load_file(path, device="cpu")
        return torch.load(path, map_location="cpu", weights_only=True)
    except ImportError:
        raise ParamError(f"{path}: reading .safetensors needs the safetensors package "
                         "(pip install safetensors)") from None
    except Exception as e:  # a truncated or foreign file: say which, in one line
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ParamError(f"cannot read weights from {path}: {reason}") from None


def load_pretrained(name, weights, *, source: str = "auto", num_classes: int | None = None):
    """The paper model `name` built and loaded with timm or torchvision weights.

    `weights` is a state dict or a file path. With `num_classes` other than the weights' own,
    the body is loaded and the classifier keeps its fresh initialization (for fine-tuning).
    """
    name = normalize_name(name)
    if name not in PAPER:
        raise ParamError(f"pretrained weights fit the paper's ImageNet models only "
                         f"({', '.join(PAPER)}), not {name!r}")
    state = unwrap(read_weights(weights) if isinstance(weights, (str, os.PathLike))
                   else weights)
    spec = named(name, num_classes=num_classes)
    head = num_classes is None or _head_classes(state, source) == num_classes
    model = build(spec)
    merged = model.state_dict()
    merged.update(convert_state_dict(state, spec, source, head=head))
    model.load_state_dict(merged)
    return model


def _head_classes(state: dict, source: str) -> int | None:
    """How many classes the weights' classifier has (None: no classifier found)."""
    source = detect_source(state) if source == "auto" else source
    weight = state.get(foreign_key("head.fc.weight", source)) if source in SOURCES else None
    return weight.shape[0] if isinstance(weight, torch.Tensor) and weight.ndim == 2 else None
