"""Parameters, multiply-accumulates and activations of a model, operator by operator.

`operator_table` runs one forward pass with hooks on every leaf module and writes a row for
each operator it sees, so the table is a property of the built model. `closed_form` counts
the same totals from the spec alone, with the formulas that model.py keeps beside each
module; the tests hold the two equal.

Counting follows pycls: conv MACs = k*k*cin*cout*h*w/groups (+cout*h*w with a bias);
linear MACs = cin*cout (+cout with a bias); BN has 2C parameters and no MACs; ReLU, sigmoid,
the residual add and pooling are free; activations = output elements of every conv and
linear layer.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .model import RegNet
from .space import NetSpec


@dataclass(frozen=True)
class Operator:
    """One row of the operator table."""
    path: str         # module path in the model, e.g. s2.b1.proj
    stage: str        # stem, s1..sN, head
    block: str        # b1..bD inside a stage, else ""
    type: str         # Conv2d, BatchNorm2d, Linear, AdaptiveAvgPool2d
    role: str         # what the operator is for: "3×3 grouped", "projection", ...
    in_shape: tuple   # (C, H, W) or (features,)
    out_shape: tuple
    kernel: int
    stride: int
    groups: int
    params: int
    macs: int
    acts: int


_FREE = (nn.ReLU, nn.Sigmoid, nn.Identity, nn.Flatten, nn.Dropout)


def _role(path: str, m: nn.Module) -> str:
    leaf = path.rsplit(".", 1)[-1]
    if ".se." in f".{path}.":
        return {"pool": "SE pool", "reduce": "SE reduce", "expand": "SE expand"}.get(leaf, "SE")
    if isinstance(m, nn.Linear):
        return "classifier"
    if isinstance(m, nn.AdaptiveAvgPool2d):
        return "global pool"
    if path.startswith("stem"):
        return "stem conv" if isinstance(m, nn.Conv2d) else "stem norm"
    kind = leaf.split("_")[0]
    name = {"a": "1×1 in", "b": "grouped", "c": "1×1 out", "proj": "projection"}.get(kind, leaf)
    if kind == "b" and isinstance(m, nn.Conv2d):
        k = m.kernel_size[0]
        name = f"{k}×{k} grouped"
    return name + (" norm" if isinstance(m, nn.BatchNorm2d) else "")


def _count(m: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[int, int, int, int, int, int]:
    """(kernel, stride, groups, params, macs, acts) of one leaf module call."""
    params = sum(p.numel() for p in m.parameters(recurse=False))
    if isinstance(m, nn.Conv2d):
        k_h, k_w = m.kernel_size
        c_out, h, w = y.shape[1:]
        macs = k_h * k_w * m.in_channels * c_out * h * w // m.groups
        if m.bias is not None:
            macs += c_out * h * w
        return k_h, m.stride[0], m.groups, params, macs, c_out * h * w
    if isinstance(m, nn.Linear):
        locations = y[0].numel() // m.out_features
        macs = m.in_features * m.out_features * locations
        if m.bias is not None:
            macs += m.out_features * locations
        return 0, 0, 0, params, macs, m.out_features * locations
    if isinstance(m, (nn.BatchNorm2d, nn.AdaptiveAvgPool2d)):
        return 0, 0, 0, params, 0, 0
    raise TypeError(f"operator_table cannot count {type(m).__name__}; add a rule for it")


def operator_table(model: nn.Module, input_size: int | None = None,
                   in_channels: int | None = None) -> list[Operator]:
    """One row per operator, in forward order, from a single hooked forward pass."""
    spec: NetSpec | None = getattr(model, "spec", None)
    input_size = input_size or spec.input_size
    in_channels = in_channels or spec.in_channels
    rows: list[Operator] = []
    hooks = []

    def record(path):
        def hook(m, inputs, output):
            kernel, stride, groups, params, macs, acts = _count(m, inputs[0], output)
            parts = path.split(".")
            stage = parts[0]
            block = parts[1] if stage.startswith("s") and len(parts) > 2 else ""
            rows.append(Operator(path, stage, block, type(m).__name__, _role(path, m),
                                 tuple(inputs[0].shape[1:]), tuple(output.shape[1:]),
                                 kernel, stride, groups, params, macs, acts))
        return hook

    for path, m in model.named_modules():
        if next(m.children(), None) is not None or isinstance(m, _FREE):
            continue
        hooks.append(m.register_forward_hook(record(path)))
    param = next(model.parameters())
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, in_channels, input_size, input_size,
                              device=param.device, dtype=param.dtype))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return rows


def totals(rows: list[Operator]) -> dict[str, int]:
    """Sums of params, MACs and activations over the table."""
    return {key: sum(getattr(r, key) for r in rows) for key in ("params", "macs", "acts")}


def stage_totals(rows: list[Operator]) -> list[dict]:
    """Params, MACs and activations per stage (stem, s1..sN, head), in order."""
    out: dict[str, dict] = {}
    for r in rows:
        t = out.setdefault(r.stage, {"stage": r.stage, "params": 0, "macs": 0, "acts": 0})
        t["params"] += r.params
        t["macs"] += r.macs
        t["acts"] += r.acts
    return list(out.values())


def as_dicts(rows: list[Operator]) -> list[dict]:
    """Rows as plain dicts (for pandas, JSON and notebooks)."""
    return [asdict(r) for r in rows]


def closed_form(spec: NetSpec) -> dict[str, int]:
    """Params, MACs and activations of `spec` by formula (each module's own `complexity`)."""
    return RegNet.complexity(spec)
