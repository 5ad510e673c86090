"""Design spaces to sample from: AnyNetX_A..E and RegNetX, within a compute regime.

The paper ("Designing Network Design Spaces", section 3) starts from AnyNetX_A, where each of
four stages has a free depth d_i <= 16, width w_i <= 1024 (a multiple of 8), bottleneck ratio
b_i in {1, 2, 4} and group width g_i in {1, 2, ..., 32}, and narrows it step by step:

    anynetx_b  one b shared by every stage
    anynetx_c  one b and one g shared by every stage
    anynetx_d  as C, with widths non-decreasing (w_i+1 >= w_i)
    anynetx_e  as D, with depths non-decreasing as well (d_i+1 >= d_i)
    regnetx    widths from the linear rule: d, w0, wa, wm, g (b = 1, the paper's RegNetX)

Draws follow pycls's sweep sampler: depths uniform, widths and RegNet's w0, wa, wm
log-uniform and quantized (8, 8, 0.1, 0.001), b and g uniform over their choices. The ordered
spaces keep exactly the draws of C that satisfy the order (rejection, not sorting), so each
space is the paper's restriction of the one before. A draw whose MACs fall outside the regime,
or a RegNet that does not make exactly four stages, is drawn again.

Every sample is reproducible on its own: sample i of a space depends only on (seed, space, i),
so a sweep can grow from N to 2N models and keep its first N.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from .complexity import closed_form
from ..errors import ParamError
from .space import NetSpec, RegNetParams, anynet, compatible, regnet


@dataclass(frozen=True)
class Regime:
    """Where a sampled model is measured and what it may cost.

    The course setting: 56 px inputs, 100 classes, a 3x3 stride-1 stem of fixed width (the
    paper fixes its stem too, at 32), the first stage at stride 1 and the others at 2, so the
    stages see 56, 28, 14 and 7 px, the same resolutions as the paper's 224 px ImageNet nets.
    """
    macs_min: float = 150e6
    macs_max: float = 250e6
    input_size: int = 56
    num_classes: int = 100
    stem_width: int = 24
    stem_stride: int = 1
    strides: tuple[int, ...] = (1, 2, 2, 2)

    def holds(self, macs: float) -> bool:
        """Whether a model of `macs` multiply-accumulates belongs to the regime."""
        return self.macs_min <= macs <= self.macs_max


@dataclass(frozen=True)
class Ranges:
    """The paper's ranges (pycls's quantization) for every space's free numbers."""
    depth: tuple[int, int] = (1, 16)             # AnyNetX d_i, uniform
    width: tuple[int, int] = (8, 1024)           # AnyNetX w_i, log-uniform, multiple of 8
    width_q: int = 8
    bottlenecks: tuple[float, ...] = (1, 2, 4)   # AnyNetX b_i
    group_widths: tuple[int, ...] = (1, 2, 4, 8, 16, 32)  # every space's g
    regnet_depth: tuple[int, int] = (12, 28)     # RegNetX d (the paper: d < 64), uniform
    w0: tuple[int, int] = (8, 256)               # log-uniform, multiple of 8
    w0_q: int = 8
    wa: tuple[float, float] = (8.0, 256.0)       # log-uniform, multiple of 0.1
    wa_q: float = 0.1
    wm: tuple[float, float] = (1.5, 3.0)         # log-uniform, multiple of 0.001
    wm_q: float = 0.001
    regnet_bottlenecks: tuple[float, ...] = (1,)  # the paper's RegNetX fixes b = 1


@dataclass(frozen=True)
class Space:
    """One AnyNetX design space: which numbers are shared and which must not decrease."""
    name: str
    label: str
    shared_b: bool = False
    shared_g: bool = False
    widths_up: bool = False
    depths_up: bool = False
    regnet: bool = False


SPACES: dict[str, Space] = {s.name: s for s in [
    Space("anynetx_a", "AnyNetX_A"),
    Space("anynetx_b", "AnyNetX_B", shared_b=True),
    Space("anynetx_c", "AnyNetX_C", shared_b=True, shared_g=True),
    Space("anynetx_d", "AnyNetX_D", shared_b=True, shared_g=True, widths_up=True),
    Space("anynetx_e", "AnyNetX_E", shared_b=True, shared_g=True, widths_up=True,
          depths_up=True),
    Space("regnetx", "RegNetX", regnet=True),
]}

STAGES = 4


@dataclass(frozen=True)
class Sample:
    """One sampled model: the spec to build, the numbers drawn, and its cost in the regime."""
    space: str
    index: int
    spec: NetSpec
    config: dict[str, Any]
    complexity: dict[str, int] = field(default_factory=dict)
    tries: int = 1  # draws it took, the rejected ones included

    @property
    def key(self) -> str:
        """A stable name: the space and the index, e.g. anynetx_c/0007."""
        return f"{self.space}/{self.index:04d}"


def space_names(text: str | Sequence[str]) -> list[str]:
    """`"a,b,regnetx"` or a list, with short forms (`a` = anynetx_a), checked."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = []
    for item in items:
        name = item.strip().lower().replace("-", "_")
        if not name:
            continue
        name = f"anynetx_{name}" if name in "abcde" and len(name) == 1 else name
        if name not in SPACES:
            raise ParamError(f"unknown design space {item!r}; valid: {', '.join(SPACES)} "
                             "(or a..e)")
        names.append(name)
    if not names:
        raise ParamError("name at least one design space, e.g. anynetx_a,regnetx")
    return names


# --- drawing numbers ---------------------------------------------------------------------

def _uniform_int(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _log_uniform(rng: np.random.Generator, low: float, high: float, q: float) -> float:
    """Log-uniform on (low - q', high], rounded up to a multiple of q: a value in [low, high].

    q' = min(q, low / 2) gives the lowest value its fair share of the log scale, as pycls does.
    """
    f = math.exp(rng.uniform(math.log(low - min(q, low / 2)), math.log(high)))
    k = min(math.ceil(f / q - 1e-9), round(high / q))
    value = max(k, round(low / q)) * q
    return int(round(value)) if isinstance(q, int) else round(value, 6)


def _choice(rng: np.random.Generator, options: Sequence) -> Any:
    return options[int(rng.integers(len(options)))]


def _non_decreasing(values: Sequence) -> bool:
    return all(a <= b for a, b in zip(values, values[1:]))


def _draw_until(draw: Callable[[], list], ordered: bool) -> list:
    """Draw a list, again and again while `ordered` asks for a non-decreasing one."""
    while True:
        values = draw()
        if not ordered or _non_decreasing(values):
            return values


def draw_anynet(rng: np.random.Generator, space: Space, r: Ranges = Ranges()) -> dict:
    """Per-stage d, w, b, g of one AnyNetX model (lists of four)."""
    d = _draw_until(lambda: [_uniform_int(rng, *r.depth) for _ in range(STAGES)],
                    space.depths_up)
    w = _draw_until(lambda: [_log_uniform(rng, *r.width, r.width_q) for _ in range(STAGES)],
                    space.widths_up)
    b = [_choice(rng, r.bottlenecks)] * STAGES if space.shared_b else \
        [_choice(rng, r.bottlenecks) for _ in range(STAGES)]
    g = [_choice(rng, r.group_widths)] * STAGES if space.shared_g else \
        [_choice(rng, r.group_widths) for _ in range(STAGES)]
    return {"d": d, "w": w, "b": b, "g": g}


def draw_regnet(rng: np.random.Generator, r: Ranges = Ranges()) -> dict:
    """d, w0, wa, wm, g, b of one RegNetX model."""
    return {"d": _uniform_int(rng, *r.regnet_depth),
            "w0": _log_uniform(rng, *r.w0, r.w0_q),
            "wa": _log_uniform(rng, *r.wa, r.wa_q),
            "wm": _log_uniform(rng, *r.wm, r.wm_q),
            "g": _choice(rng, r.group_widths),
            "b": _choice(rng, r.regnet_bottlenecks)}


# --- numbers to specs --------------------------------------------------------------------

def anynet_spec(config: dict, regime: Regime = Regime(), name: str = "anynetx") -> NetSpec:
    """The network of an AnyNetX draw, group widths made compatible as pycls does.

    `compatible` shrinks g to a narrow stage's inner width and rounds the inner width to a
    multiple of g; with shared b and g it keeps widths in order, so D and E stay ordered.
    """
    widths, groups = [], []
    for w, b, g in zip(config["w"], config["b"], config["g"]):
        w, g = compatible(w, b, g)
        widths.append(w)
        groups.append(g)
    return anynet(config["d"], widths, groups, config["b"], regime.strides, name=name,
                  stem_width=regime.stem_width, stem_stride=regime.stem_stride,
                  num_classes=regime.num_classes, input_size=regime.input_size)


def regnet_spec(config: dict, regime: Regime = Regime(), name: str = "regnetx") -> NetSpec:
    """The network of a RegNetX draw; a ParamError when it does not make len(strides) stages."""
    p = RegNetParams(config["d"], config["w0"], config["wa"], config["wm"], config["g"],
                     config["b"], stem_width=regime.stem_width,
                     stem_stride=regime.stem_stride, strides=regime.strides,
                     num_classes=regime.num_classes, input_size=regime.input_size)
    return regnet(p, name)


def _candidate(rng, space: Space, regime: Regime, ranges: Ranges, name: str):
    """One draw and its spec, or (config, None) when the draw makes no valid network."""
    if space.regnet:
        config = draw_regnet(rng, ranges)
        try:
            return config, regnet_spec(config, regime, name)
        except ParamError:  # not four stages: outside the space, as in pycls
            return config, None
    config = draw_anynet(rng, space, ranges)
    return config, anynet_spec(config, regime, name)


def _seed_of(space: str, seed: int, index: int) -> list[int]:
    # crc32, not hash(): the same numbers in every process and on every machine
    return [seed, zlib.crc32(space.encode()), index]


def sample_one(space: str, index: int, seed: int = 0, regime: Regime = Regime(),
               ranges: Ranges = Ranges(), max_tries: int = 100_000) -> Sample:
    """Sample `index` of `space`: drawn until it lands in the regime (at most max_tries)."""
    s = SPACES[space_names([space])[0]]
    rng = np.random.default_rng(_seed_of(s.name, seed, index))
    name = f"{s.name}_{index:04d}"
    for tries in range(1, max_tries + 1):
        config, spec = _candidate(rng, s, regime, ranges, name)
        if spec is None:
            continue
        cx = closed_form(spec)
        if regime.holds(cx["macs"]):
            spec = replace(spec, params={"space": s.name, **config})
            return Sample(s.name, index, spec, config, cx, tries)
    raise ParamError(f"design space {s.name}: no model in {max_tries} draws fell in "
                     f"{regime.macs_min / 1e6:g}-{regime.macs_max / 1e6:g} M MACs at "
                     f"{regime.input_size} px; widen the regime (SWEEP_MACS_MIN/MAX)")


def sample(space: str, n: int, seed: int = 0, regime: Regime = Regime(),
           ranges: Ranges = Ranges(), max_tries: int = 100_000, start: int = 0) -> list[Sample]:
    """Samples start..start+n-1 of `space`, each in the regime."""
    return [sample_one(space, i, seed, regime, ranges, max_tries) for i in range(start, start + n)]


# --- how big each space is ---------------------------------------------------------------

def _count(low: float, high: float, q: float) -> int:
    """How many multiples of q lie in [low, high]."""
    return round(high / q) - math.ceil(low / q - 1e-9) + 1


def _log10_ordered(k: int, n: int = STAGES) -> float:
    """log10 of the number of non-decreasing n-tuples from k values: C(k + n - 1, n)."""
    return math.log10(math.comb(k + n - 1, n))


def log10_size(space: str, ranges: Ranges = Ranges()) -> float:
    """log10 of the number of configurations of `space`, counted from its ranges.

    The count is of raw draws before the compute regime; AnyNetX_A comes out near the
    paper's 10^18 ((16 * 128 * 3 * 6)^4).
    """
    s = SPACES[space_names([space])[0]]
    r = ranges
    if s.regnet:
        counts = [_count(*r.regnet_depth, 1), _count(*r.w0, r.w0_q), _count(*r.wa, r.wa_q),
                  _count(*r.wm, r.wm_q), len(r.group_widths), len(r.regnet_bottlenecks)]
        return sum(math.log10(c) for c in counts)
    n_d, n_w = _count(*r.depth, 1), _count(*r.width, r.width_q)
    n_b, n_g = len(r.bottlenecks), len(r.group_widths)
    depths = _log10_ordered(n_d) if s.depths_up else STAGES * math.log10(n_d)
    widths = _log10_ordered(n_w) if s.widths_up else STAGES * math.log10(n_w)
    b = math.log10(n_b) * (1 if s.shared_b else STAGES)
    g = math.log10(n_g) * (1 if s.shared_g else STAGES)
    return depths + widths + b + g


def sizes(ranges: Ranges = Ranges()) -> dict[str, float]:
    """log10 size of every space."""
    return {name: log10_size(name, ranges) for name in SPACES}


# --- a sample as a row of the results table ------------------------------------------------

def flat_config(config: dict) -> dict[str, Any]:
    """Lists become numbered columns: {"d": [1, 2]} -> {"d1": 1, "d2": 2}."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, (list, tuple)):
            out.update({f"{key}{i}": v for i, v in enumerate(value, 1)})
        else:
            out[key] = value
    return out


def describe(s: Sample) -> dict[str, Any]:
    """The columns a sample brings to the results table: its numbers, the built stages,
    summaries shared by every space (total depth, widest stage, largest g and b), its cost."""
    spec = s.spec
    return {
        "space": s.space, "index": s.index, "key": s.key,
        **flat_config(s.config),
        "ds": " ".join(str(x) for x in spec.depths),
        "ws": " ".join(str(x) for x in spec.widths),
        "gs": " ".join(str(st.group_width) for st in spec.stages),
        "bs": " ".join(f"{st.bottleneck:g}" for st in spec.stages),
        "depth": sum(spec.depths), "width": max(spec.widths),
        "group_width": max(st.group_width for st in spec.stages),
        "bottleneck": max(st.bottleneck for st in spec.stages),
        **s.complexity,
    }
