"""RegNet as torch modules, built from a `NetSpec` (see space.py).

    stem:  k x k conv (stride s) - BN - ReLU
    body:  stages s1..sN, each blocks b1..bD
    block: 1x1 conv - BN - ReLU - k x k grouped conv (stride) - BN - ReLU - [SE] - 1x1 conv - BN,
           plus the shortcut (identity, or 1x1 conv with the stride + BN when the shape changes),
           then ReLU
    head:  global average pool - linear

Module names (stem.conv, s2.b1.proj, head.fc, ...) are what the operator table shows.

Each module also counts itself: `complexity(cost, ...)` adds its parameters, MACs and
activations to a running `Cost` from the same numbers its `__init__` takes (as pycls's
modules do), so `RegNet.complexity(spec)` is the closed form, written beside what it counts.
The operator table (complexity.py) measures the built model instead; the tests hold the two
equal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .space import NetSpec, StageSpec


def conv(w_in: int, w_out: int, k: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """A bias-free conv with same padding (odd k)."""
    return nn.Conv2d(w_in, w_out, k, stride=stride, padding=k // 2, groups=groups, bias=False)


@dataclass
class Cost:
    """A closed-form count in progress: the feature map's side so far and the running sums.

    Counting follows pycls: a conv costs k*k*c_in*c_out*h*w/groups MACs (+c_out*h*w for a
    bias), BN 2C parameters and no MACs, and every conv and linear output is an activation.
    """
    h: int
    w: int
    params: int = 0
    macs: int = 0
    acts: int = 0

    def conv(self, c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1,
             bias: bool = False) -> None:
        self.h, self.w = (self.h - 1) // stride + 1, (self.w - 1) // stride + 1
        self.params += k * k * c_in * c_out // groups + (c_out if bias else 0)
        self.macs += k * k * c_in * c_out * self.h * self.w // groups + \
            (c_out * self.h * self.w if bias else 0)
        self.acts += c_out * self.h * self.w

    def norm(self, c: int) -> None:
        self.params += 2 * c

    def linear(self, c_in: int, c_out: int) -> None:
        self.params += c_in * c_out + c_out
        self.macs += c_in * c_out + c_out
        self.acts += c_out

    def totals(self) -> dict[str, int]:
        return {"params": self.params, "macs": self.macs, "acts": self.acts}


class Stem(nn.Module):
    """k x k conv, BN, ReLU."""

    def __init__(self, w_in: int, w_out: int, k: int, stride: int):
        super().__init__()
        self.conv = conv(w_in, w_out, k, stride)
        self.bn = nn.BatchNorm2d(w_out)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))

    @staticmethod
    def complexity(cost: Cost, w_in: int, w_out: int, k: int, stride: int) -> None:
        cost.conv(w_in, w_out, k, stride)
        cost.norm(w_out)


class SqueezeExcitation(nn.Module):
    """Channel gates from the pooled features: pool, 1x1 conv, ReLU, 1x1 conv, sigmoid."""

    def __init__(self, w: int, w_se: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(w, w_se, 1, bias=True)
        self.relu = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(w_se, w, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        return x * self.gate(self.expand(self.relu(self.reduce(self.pool(x)))))

    @staticmethod
    def complexity(cost: Cost, w: int, w_se: int) -> None:
        h, w_side = cost.h, cost.w
        cost.h = cost.w = 1  # both convs see the pooled 1x1 map
        cost.conv(w, w_se, 1, bias=True)
        cost.conv(w_se, w, 1, bias=True)
        cost.h, cost.w = h, w_side


class XBlock(nn.Module):
    """The X block (the Y block when se_ratio > 0): a residual bottleneck with a grouped conv."""

    def __init__(self, w_in: int, stage: StageSpec, stride: int, k: int, se_ratio: float):
        super().__init__()
        w_out, w_b = stage.width, stage.inner_width
        self.a = conv(w_in, w_b, 1)
        self.a_bn = nn.BatchNorm2d(w_b)
        self.a_relu = nn.ReLU(inplace=True)
        self.b = conv(w_b, w_b, k, stride, groups=w_b // stage.group_width)
        self.b_bn = nn.BatchNorm2d(w_b)
        self.b_relu = nn.ReLU(inplace=True)
        w_se = round(w_in * se_ratio)  # as in pycls: from the block's input width
        self.se = SqueezeExcitation(w_b, w_se) if w_se else None
        self.c = conv(w_b, w_out, 1)
        self.c_bn = nn.BatchNorm2d(w_out)
        self.c_bn.final_bn = True  # zero-initialised: each block starts as the identity
        if w_in != w_out or stride != 1:
            self.proj = conv(w_in, w_out, 1, stride)
            self.proj_bn = nn.BatchNorm2d(w_out)
        else:
            self.proj = self.proj_bn = None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        shortcut = x if self.proj is None else self.proj_bn(self.proj(x))
        x = self.a_relu(self.a_bn(self.a(x)))
        x = self.b_relu(self.b_bn(self.b(x)))
        if self.se is not None:
            x = self.se(x)
        x = self.c_bn(self.c(x))
        return self.relu(x + shortcut)

    @staticmethod
    def complexity(cost: Cost, w_in: int, stage: StageSpec, stride: int, k: int,
                   se_ratio: float) -> None:
        w_out, w_b = stage.width, stage.inner_width
        h, w = cost.h, cost.w
        if w_in != w_out or stride != 1:
            cost.conv(w_in, w_out, 1, stride)
            cost.norm(w_out)
            cost.h, cost.w = h, w  # the main path starts from the block's input again
        cost.conv(w_in, w_b, 1)
        cost.norm(w_b)
        cost.conv(w_b, w_b, k, stride, groups=w_b // stage.group_width)
        cost.norm(w_b)
        w_se = round(w_in * se_ratio)
        if w_se:
            SqueezeExcitation.complexity(cost, w_b, w_se)
        cost.conv(w_b, w_out, 1)
        cost.norm(w_out)


class Stage(nn.Sequential):
    """`depth` blocks; the first changes width and applies the stride."""

    def __init__(self, w_in: int, stage: StageSpec, k: int, se_ratio: float):
        super().__init__()
        for i in range(stage.depth):
            stride = stage.stride if i == 0 else 1
            self.add_module(f"b{i + 1}", XBlock(w_in, stage, stride, k, se_ratio))
            w_in = stage.width

    @staticmethod
    def complexity(cost: Cost, w_in: int, stage: StageSpec, k: int, se_ratio: float) -> None:
        for i in range(stage.depth):
            XBlock.complexity(cost, w_in, stage, stage.stride if i == 0 else 1, k, se_ratio)
            w_in = stage.width


class Head(nn.Module):
    """Global average pool and a linear classifier."""

    def __init__(self, w_in: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(w_in, num_classes, bias=True)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(x), 1))

    @staticmethod
    def complexity(cost: Cost, w_in: int, num_classes: int) -> None:
        cost.linear(w_in, num_classes)


class RegNet(nn.Module):
    """Stem, stages s1..sN and head, from a NetSpec (kept as `.spec`)."""

    def __init__(self, spec: NetSpec):
        super().__init__()
        self.spec = spec
        self.stem = Stem(spec.in_channels, spec.stem_width, spec.kernel, spec.stem_stride)
        w_in = spec.stem_width
        for i, stage in enumerate(spec.stages, 1):
            self.add_module(f"s{i}", Stage(w_in, stage, spec.kernel, spec.se_ratio))
            w_in = stage.width
        self.head = Head(w_in, spec.num_classes)
        self.apply(init_weights)

    def forward(self, x):
        for module in self.children():
            x = module(x)
        return x

    @staticmethod
    def complexity(spec: NetSpec) -> dict[str, int]:
        """Params, MACs and activations of `spec` by formula, without building the model."""
        cost = Cost(spec.input_size, spec.input_size)
        Stem.complexity(cost, spec.in_channels, spec.stem_width, spec.kernel, spec.stem_stride)
        w_in = spec.stem_width
        for stage in spec.stages:
            Stage.complexity(cost, w_in, stage, spec.kernel, spec.se_ratio)
            w_in = stage.width
        Head.complexity(cost, w_in, spec.num_classes)
        return cost.totals()


def init_weights(m: nn.Module) -> None:
    """He-normal convs (fan-out), unit BN (zero for a block's last BN), small linear."""
    if isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
        nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 0.0 if getattr(m, "final_bn", False) else 1.0)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0.0, 0.01)
        nn.init.zeros_(m.bias)


def build(spec: NetSpec) -> RegNet:
    """The model for a spec."""
    return RegNet(spec)
