"""The RegNet design space: numbers in, immutable network specs out.

A network is a stem, a body of stages and a head. Each stage is a run of `depth` X blocks of
one `width`; its first block has the stage's `stride` and, when the shape changes, a 1x1
projection shortcut. `bottleneck` is the paper's ratio b (inner width = width / b) and
`group_width` the channels per group of the 3x3 conv.

RegNet turns five numbers (depth d, initial width w0, slope wa, width multiplier wm, group
width g) into per-stage widths and depths exactly as pycls does: u_j = w0 + wa*j, snap
u_j to w0 * wm^round(log(u_j / w0) / log(wm)), round to a multiple of 8, then make every
inner width a multiple of the group width. All rounding is Python's `round` (ties to even).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping, Sequence

from ..errors import ParamError


@dataclass(frozen=True)
class StageSpec:
    """One stage: `depth` blocks of `width` channels, the first with `stride`."""
    depth: int
    width: int
    group_width: int
    bottleneck: float = 1.0
    stride: int = 2

    @property
    def inner_width(self) -> int:
        """Channels of the 3x3 grouped conv: width / bottleneck."""
        return round(self.width / self.bottleneck)

    @property
    def groups(self) -> int:
        return self.inner_width // self.group_width


@dataclass(frozen=True)
class NetSpec:
    """A whole network: stem, stages, head, and the input it is built for."""
    name: str
    stages: tuple[StageSpec, ...]
    stem_width: int
    stem_stride: int = 2
    kernel: int = 3  # of the stem conv and of every block's grouped conv
    se_ratio: float = 0.0  # squeeze-excitation width = round(block input width * se_ratio)
    in_channels: int = 3
    num_classes: int = 1000
    input_size: int = 224
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)  # how it was made

    def __post_init__(self):
        check_spec(self)

    @property
    def depths(self) -> list[int]:
        return [s.depth for s in self.stages]

    @property
    def widths(self) -> list[int]:
        return [s.width for s in self.stages]

    def with_input(self, input_size=None, num_classes=None, in_channels=None) -> "NetSpec":
        """The same network for another input size, class count or channel count."""
        return replace(
            self,
            input_size=self.input_size if input_size is None else input_size,
            num_classes=self.num_classes if num_classes is None else num_classes,
            in_channels=self.in_channels if in_channels is None else in_channels)

    def fitted(self, data) -> "NetSpec":
        """The same network for the data it trains on: anything with a training `crop`,
        `num_classes` and `channels` (a loaded `data.Dataset`, or `data.shape(cfg.data)`)."""
        return self.with_input(data.crop, data.num_classes, data.channels)


def _whole(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"{name}={value!r} must be a whole number")
    if value < minimum:
        raise ParamError(f"{name}={value!r} must be at least {minimum}")
    return value


def _number(name: str, value, minimum: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParamError(f"{name}={value!r} must be a finite number")
    if value < minimum or (strict and value == minimum):
        raise ParamError(f"{name}={value!r} must be {'above' if strict else 'at least'} "
                         f"{minimum:g}")
    return value


def check_spec(spec: NetSpec) -> None:
    """Raise ParamError, naming the value, for a network that cannot be built."""
    _whole("stem width", spec.stem_width)
    _whole("stem stride", spec.stem_stride)
    _whole("kernel", spec.kernel)
    if spec.kernel % 2 == 0:
        raise ParamError(f"kernel={spec.kernel} must be odd (same padding on every side)")
    _number("se_ratio", spec.se_ratio)
    _whole("input channels", spec.in_channels)
    _whole("classes", spec.num_classes)
    _whole("input size", spec.input_size)
    if not spec.stages:
        raise ParamError("a network needs at least one stage")
    for i, s in enumerate(spec.stages, 1):
        _whole(f"stage {i} depth", s.depth)
        _whole(f"stage {i} width", s.width)
        _whole(f"stage {i} group width", s.group_width)
        _number(f"stage {i} bottleneck", s.bottleneck, strict=True)
        _whole(f"stage {i} stride", s.stride)
        inner = s.inner_width
        if inner < 1:
            raise ParamError(f"stage {i}: width {s.width} / bottleneck {s.bottleneck:g} "
                             "leaves no channels")
        if s.group_width > inner or inner % s.group_width:
            raise ParamError(f"stage {i}: group width {s.group_width} does not divide the "
                             f"inner width {inner} (width {s.width} / bottleneck "
                             f"{s.bottleneck:g}); pick a divisor of {inner}")


# --- RegNet: the paper's generator -------------------------------------------------------

def quantized_widths(depth: int, w0: int, wa: float, wm: float, q: int = 8) -> list[int]:
    """Per-block widths of a RegNet: linear widths snapped to powers of wm, multiples of q."""
    _whole("depth", depth)
    _whole("w0", w0)
    _number("wa", wa)
    _number("wm", wm, minimum=1.0, strict=True)
    _whole("q", q)
    if w0 % q:
        raise ParamError(f"w0={w0} must be a multiple of {q}")
    linear = [w0 + wa * j for j in range(depth)]                      # u_j
    exps = [round(math.log(u / w0) / math.log(wm)) for u in linear]  # s_j, quantized
    return [round(w0 * wm ** e / q) * q for e in exps]


def group_runs(block_widths: Sequence[int]) -> tuple[list[int], list[int]]:
    """Consecutive blocks of equal width form a stage: (widths, depths)."""
    widths: list[int] = []
    depths: list[int] = []
    for w in block_widths:
        if widths and widths[-1] == w:
            depths[-1] += 1
        else:
            widths.append(w)
            depths.append(1)
    return widths, depths


def compatible(width: int, bottleneck: float, group_width: int) -> tuple[int, int]:
    """pycls's rule: shrink g to the inner width, round the inner width to a multiple of g."""
    inner = max(1, int(width / bottleneck))
    group_width = min(group_width, inner)
    if bottleneck < 1:  # an expansion: the inner width must also hold whole multiples of 1/b
        expand = round(1 / bottleneck)
        if not math.isclose(expand * bottleneck, 1.0):
            raise ParamError(f"bottleneck={bottleneck:g} below 1 must be 1/n for a whole n")
        multiple = math.lcm(group_width, expand)
    else:
        multiple = group_width
    inner = max(multiple, int(round(inner / multiple) * multiple))
    width = inner // expand if bottleneck < 1 else int(inner * bottleneck)
    return width, group_width


@dataclass(frozen=True)
class RegNetParams:
    """The numbers that define one RegNet, with the stem, strides and input it is built for."""
    depth: int
    w0: int
    wa: float
    wm: float
    group_width: int
    bottleneck: float = 1.0
    se_ratio: float = 0.0
    stem_width: int | None = 32  # None: the first stage's width
    stem_stride: int = 2
    strides: tuple[int, ...] | None = None  # per stage; None: 2 everywhere
    kernel: int = 3
    in_channels: int = 3
    num_classes: int = 1000
    input_size: int = 224
    q: int = 8


def regnet(p: RegNetParams, name: str = "regnet") -> NetSpec:
    """Build the spec of the RegNet that `p` describes."""
    _whole("group width", p.group_width)
    _number("bottleneck", p.bottleneck, strict=True)
    widths, depths = group_runs(quantized_widths(p.depth, p.w0, p.wa, p.wm, p.q))
    strides = p.strides if p.strides is not None else (2,) * len(widths)
    if len(strides) != len(widths):
        raise ParamError(f"strides {list(strides)} give {len(strides)} stages but these "
                         f"RegNet numbers make {len(widths)}")
    stages = []
    for w, d, s in zip(widths, depths, strides):
        w, g = compatible(w, p.bottleneck, p.group_width)
        stages.append(StageSpec(d, w, g, p.bottleneck, s))
    stem = stages[0].width if p.stem_width is None else p.stem_width
    return NetSpec(name, tuple(stages), stem, p.stem_stride, p.kernel, p.se_ratio,
                   p.in_channels, p.num_classes, p.input_size,
                   params={"depth": p.depth, "w0": p.w0, "wa": p.wa, "wm": p.wm,
                           "group_width": p.group_width, "bottleneck": p.bottleneck,
                           "se_ratio": p.se_ratio})


def anynet(depths: Sequence[int], widths: Sequence[int], group_widths: Sequence[int] | int,
           bottlenecks: Sequence[float] | float = 1.0, strides: Sequence[int] | None = None,
           *, name: str = "anynet", stem_width: int = 32, stem_stride: int = 2,
           kernel: int = 3, se_ratio: float = 0.0, in_channels: int = 3,
           num_classes: int = 1000, input_size: int = 224) -> NetSpec:
    """A network given stage by stage (the seeds' MODEL_BLOCKS / MODEL_CHANNELS form)."""
    n = len(depths)
    if n == 0 or len(widths) != n:
        raise ParamError(f"depths {list(depths)} and widths {list(widths)} must name the "
                         "same number of stages (at least one)")

    def per_stage(label, v):
        v = list(v) if isinstance(v, (list, tuple)) else [v] * n
        if len(v) != n:
            raise ParamError(f"{label} {v} must give one value per stage ({n})")
        return v

    gs = per_stage("group widths", group_widths)
    bs = per_stage("bottlenecks", bottlenecks)
    ss = per_stage("strides", strides if strides is not None else 2)
    stages = tuple(StageSpec(d, w, g, b, s) for d, w, g, b, s in zip(depths, widths, gs, bs, ss))
    return NetSpec(name, stages, stem_width, stem_stride, kernel, se_ratio, in_channels,
                   num_classes, input_size)


# --- Named variants: data, one row each --------------------------------------------------

#: The paper's models (pycls model zoo): depth, w0, wa, wm, group width (and SE for Y).
PAPER = {
    "regnetx_200mf": RegNetParams(13, 24, 36.44, 2.49, 8),
    "regnetx_400mf": RegNetParams(22, 24, 24.48, 2.54, 16),
    "regnetx_600mf": RegNetParams(16, 48, 36.97, 2.24, 24),
    "regnetx_800mf": RegNetParams(16, 56, 35.73, 2.28, 16),
    "regnetx_1.6gf": RegNetParams(18, 80, 34.01, 2.25, 24),
    "regnety_200mf": RegNetParams(13, 24, 36.44, 2.49, 8, se_ratio=0.25),
    "regnety_400mf": RegNetParams(16, 48, 27.89, 2.09, 8, se_ratio=0.25),
    "regnety_600mf": RegNetParams(15, 48, 32.54, 2.32, 16, se_ratio=0.25),
    "regnety_800mf": RegNetParams(14, 56, 38.84, 2.4, 16, se_ratio=0.25),
    "regnety_1.6gf": RegNetParams(27, 48, 20.71, 2.65, 24, se_ratio=0.25),
}

#: The course modification for 56 px inputs: 3x3 stem with stride 1, first stage stride 1,
#: 100 classes. The stem is as wide as the first stage, so the first block keeps an identity
#: shortcut, as in the course's 200MF network (stem 24, first stage 24).
COURSE_INPUT, COURSE_CLASSES = 56, 100
COURSE = {
    short: replace(PAPER[f"regnetx_{short}"], stem_width=None, stem_stride=1,
                   strides=(1, 2, 2, 2), num_classes=COURSE_CLASSES, input_size=COURSE_INPUT)
    for short in ("200mf", "400mf", "600mf", "800mf", "1.6gf")
}

NAMES = (*COURSE, "custom", *PAPER)


def normalize_name(value) -> str:
    """`200`, `"200MF"`, `1.6` and `"1.6gf"` all name a variant; anything else is an error."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParamError(f"REGNETX={value!r} is not a network name; valid: {', '.join(NAMES)}")
    text = str(value).strip().lower().replace("-", "_")
    if isinstance(value, (int, float)) or text.replace(".", "", 1).isdigit():
        number = float(value) if isinstance(value, (int, float)) else float(text)
        if not (math.isfinite(number) and number > 0):
            raise ParamError(f"REGNETX={value!r} is not a network name; valid: {', '.join(NAMES)}")
        text = f"{number:g}gf" if number < 100 else f"{number:g}mf"
        text = "1.6gf" if text == "1600mf" else text
    if text not in NAMES:
        raise ParamError(f"unknown network {value!r}; valid: {', '.join(NAMES)}")
    return text


def groups_to_widths(widths: Sequence[int], bottleneck: float, groups: int) -> list[int]:
    """Per-stage group widths that give every 3x3 conv `groups` groups (seed 001's "C=8")."""
    out = []
    for i, w in enumerate(widths, 1):
        inner = round(w / bottleneck)
        if inner % groups:
            raise ParamError(f"MODEL_GROUPS={groups} does not divide stage {i}'s inner width "
                             f"{inner} (width {w} / bottleneck {bottleneck:g}); pick a "
                             f"divisor of {inner}, or MODEL_GROUPS=0 for MODEL_GROUP_WIDTH")
        out.append(inner // groups)
    return out


def custom(model) -> NetSpec:
    """The course's `custom` network from the MODEL_* parameters (a `params.ModelConfig`)."""
    blocks, channels = list(model.blocks), list(model.channels)
    strides = [1] + [2] * (len(blocks) - 1)
    group_widths = (groups_to_widths(channels, model.bottleneck, model.groups)
                    if model.groups else model.group_width)
    return anynet(blocks, channels, group_widths, model.bottleneck, strides,
                  name="custom", stem_width=model.tail_out_channels, stem_stride=1,
                  kernel=model.filter_size, se_ratio=model.se_ratio,
                  num_classes=COURSE_CLASSES, input_size=COURSE_INPUT)


def named(name, model=None, *, input_size: int | None = None, num_classes: int | None = None,
          in_channels: int | None = None) -> NetSpec:
    """The spec of a named variant, optionally for another input size, classes or channels.

    `model` (a `params.ModelConfig`, e.g. `cfg.model`) supplies the numbers of `custom`.
    """
    name = normalize_name(name)
    if name == "custom":
        if model is None:
            raise ParamError("REGNETX=custom needs the MODEL_* parameters (pass cfg.model)")
        spec = custom(model)
    elif name in COURSE:
        spec = regnet(COURSE[name], name)
    else:
        spec = regnet(PAPER[name], name)
    return spec.with_input(input_size, num_classes, in_channels)


def spec_to_dict(spec: NetSpec) -> dict:
    """A spec as plain containers (for checkpoints and params.yaml)."""
    d = asdict(spec)
    d["stages"] = [dict(s) for s in d["stages"]]
    d["params"] = dict(d["params"])
    return d


def spec_from_dict(d: Mapping[str, Any]) -> NetSpec:
    """The inverse of spec_to_dict."""
    stages = tuple(StageSpec(**s) for s in d["stages"])
    return NetSpec(**{**d, "stages": stages})
