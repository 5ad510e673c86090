"""The hand-made totals of two earlier student reports of the assignment (reports A and B;
the seeds of this project), explained by building the network each one describes.

Seed 000 (report A) describes course 200MF with group width 8 (groups 3, 7, 19, 46) and
counted by hand the stem conv and the three convs of every block, each stage's convs sized as
the stage's first block and multiplied by its depth, without norms, projections or head.
Seed 001 (report B) describes 8 groups in every 3x3 conv (its "C=8", group widths 3, 7, 19,
46) and listed every operator, but three norms in a downsampling block that has four. Each seed's counting rule is a function
of the built network's operator table: its sums are the seed's typed totals, and the operators
where it differs from the table explain the gap. The only typed numbers are the seeds' totals.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ..arch import space
from ..arch.complexity import Operator, operator_table, totals
from ..arch.model import build
from ..params import resolve
from .prose import place_name, places, signed

BLOCK_CONVS = ("1×1 in", "grouped", "1×1 out")  # the roles of a block's three convs


def _is_block_conv(r: Operator) -> bool:
    return r.type == "Conv2d" and r.role.split(" ")[-1] in ("in", "grouped", "out") \
        and r.block != ""


def first_block_times_depth(rows: list[Operator]) -> list[dict]:
    """Seed 000's rule: stem conv, then each stage's first-block convs times the stage depth."""
    out = [_counted(r) for r in rows if r.role == "stem conv"]
    for stage in dict.fromkeys(r.stage for r in rows if r.block):
        depth = len({r.block for r in rows if r.stage == stage and r.block})
        out += [_counted(r, depth) for r in rows
                if r.stage == stage and r.block == "b1" and _is_block_conv(r)]
    return out


def one_norm_short_per_projection(rows: list[Operator]) -> list[dict]:
    """Seed 001's rule: every operator, but a block with a projection lists three norms, not
    four (the two norms of its output width are one row; shown as the 1×1 out norm)."""
    projected = {(r.stage, r.block) for r in rows if r.role == "projection"}
    return [_counted(r) for r in rows
            if not ((r.stage, r.block) in projected and r.role == "1×1 out norm")
            and r.type != "AdaptiveAvgPool2d"]


def _counted(r: Operator, times: int = 1) -> dict:
    return {"stage": r.stage, "block": r.block, "operator": r.role,
            "params": r.params * times, "macs": r.macs * times}


@dataclass(frozen=True)
class Seed:
    """A seed report's network (as parameters), its typed totals and its counting rule."""
    name: str
    parameters: dict
    network: str          # the network in words, as the seed describes it
    rule: str             # how the seed counted, in words
    params: int           # the seed's typed totals
    macs: int
    macs_typed: str
    count: Callable[[list[Operator]], list[dict]]
    per_block: bool       # whether the rule counts block by block (else stage by stage)
    norm_macs: int = 0    # MACs per output element the seed's table gives each norm it lists
    macs_column: int = 0  # the sum of the seed's own MAC column, as its rows type it (0: none)


SEEDS = [
    Seed("report A", {"REGNETX": "200mf"},
         "RegNetX-200MF with group width 8 in every 3×3 conv",
         "the stem conv and the three convs of each block, each stage's convs sized as its "
         "first block (input width and input size) and multiplied by the stage's depth, "
         "without norms, projections or head", 1_707_272, 206_568_320, "206,568,320",
         first_block_times_depth, per_block=False),
    Seed("report B", {"REGNETX": "custom", "MODEL_GROUPS": 8},
         "RegNetX-200MF's stages with 8 groups in every 3×3 conv",
         "every conv, norm and the head, but three norms in each downsampling block, which "
         "has four; its table also gives each norm MACs, which the count here, like pycls, "
         "sets to zero", 3_289_900, 235_000_000, "0.235 G", one_norm_short_per_projection,
         per_block=True, norm_macs=2, macs_column=233_493_650),
]


def _percent_off(value: float, of: float) -> str:
    """How far `value` lies from `of`: '0.11% below' or '0.65% above'."""
    off = (value - of) / of * 100
    return f"{abs(off):.2f}% {'above' if off > 0 else 'below'}"


def seed_network(seed: Seed):
    """The network a seed describes, built at the course input (3x56x56, 100 classes)."""
    values = resolve(overrides=seed.parameters)
    spec = space.named(values["REGNETX"], values.model)
    return spec, operator_table(build(spec))


def explain(seed: Seed, rows: list[Operator]):
    """Operator by operator (summed per stage and role, or per block where the seed counted
    block by block), where the seed's rule and the built network differ, with the totals of
    both at the bottom. Places are named in words ("stage 2, block 1")."""
    built = _by_key([_counted(r) for r in rows if r.type != "AdaptiveAvgPool2d"],
                    seed.per_block)
    counted = _by_key(seed.count(rows), seed.per_block)
    out = []
    for key in [*built, *(k for k in counted if k not in built)]:  # forward order
        b, c = built.get(key, (0, 0)), counted.get(key, (0, 0))
        if b != c:
            out.append({"where": place_name(key[0], key[1]), "operator": key[2],
                        "built params": b[0], "report's params": c[0],
                        "params difference": c[0] - b[0], "built MACs": b[1],
                        "report's MACs": c[1], "MACs difference": c[1] - b[1]})
    t, c = totals(rows), count_totals(seed, rows)
    out.append({"where": "total", "operator": "", "built params": t["params"],
                "report's params": c["params"], "params difference": c["params"] - t["params"],
                "built MACs": t["macs"], "report's MACs": c["macs"],
                "MACs difference": c["macs"] - t["macs"]})
    return pd.DataFrame(out)


def count_totals(seed: Seed, rows: list[Operator]) -> dict[str, int]:
    """The seed's rule applied to the built network: its params and MACs."""
    counted = seed.count(rows)
    return {"params": sum(r["params"] for r in counted), "macs": sum(r["macs"] for r in counted)}


def _by_key(counted: list[dict], per_block: bool) -> dict[tuple, tuple[int, int]]:
    """Params and MACs summed per (stage, block, operator), or per (stage, operator)."""
    out: dict[tuple, tuple[int, int]] = {}
    for r in counted:
        key = (r["stage"], r["block"] if per_block else "", r["operator"])
        p, m = out.get(key, (0, 0))
        out[key] = (p + r["params"], m + r["macs"])
    return out


def totals_frame(rows_by_seed: dict[str, list[Operator]]):
    """Per seed: its typed totals, its rule applied to its built network, the built totals."""
    out = []
    for seed in SEEDS:
        rows = rows_by_seed[seed.name]
        t, c = totals(rows), count_totals(seed, rows)
        out.append({"report": seed.name.replace(" ", "\u00a0"), "network": seed.network,
                    "typed params": seed.params, "rule's params": c["params"],
                    "built params": t["params"], "typed MACs": seed.macs_typed,
                    "rule's MACs": c["macs"], "built MACs": t["macs"]})
    return pd.DataFrame(out)


def _groups(spec) -> str:
    return ", ".join(str(s.groups) for s in spec.stages)


def _widths(spec) -> str:
    return ", ".join(str(s.group_width) for s in spec.stages)


def paragraph(seed: Seed, spec, rows: list[Operator]) -> str:
    """What the seed built and counted, and where its totals come from, in numbers."""
    t, c = totals(rows), count_totals(seed, rows)
    diff = explain(seed, rows).iloc[:-1]
    params_ok, macs_ok = c["params"] == seed.params, c["macs"] == seed.macs
    name = seed.name[:1].upper() + seed.name[1:]
    text = (f"**{name}** describes {seed.network} (groups {_groups(spec)}, "
            f"group widths {_widths(spec)}); built, that network has {t['params']:,} params "
            f"and {t['macs']:,} MACs. The report counted {seed.rule}. That rule applied to the "
            f"built network's operator table gives {c['params']:,} params")
    text += (", the report's typed total exactly" if params_ok else
             f" (the report typed {seed.params:,})")
    text += f", and {c['macs']:,} MACs"
    if macs_ok:
        text += ", again exactly the report's total."
    else:
        gap = (seed.macs - t["macs"]) / t["macs"] * 100
        text += (f"; the report's typed MAC total, {seed.macs_typed}, is {signed(gap, 1)}% "
                 "from the built network's.")
        if seed.norm_macs:  # what the norms' own MACs, as the seed's table gives them, add
            listed = {(d["stage"], d["block"], d["operator"]) for d in seed.count(rows)}
            extra = seed.norm_macs * sum(
                math.prod(r.out_shape) for r in rows
                if "norm" in r.role and (r.stage, r.block, r.role) in listed)
            text += (f" Its table gives each norm {seed.norm_macs} MACs per output element (a "
                     f"scale and a shift); counted so, the norms it lists add {extra:,} MACs, "
                     f"for {c['macs'] + extra:,} in all.")
            if seed.macs_column:  # what its rows add up to, against that and its total
                column = seed.macs_column
                text += (f" The report's own MAC column, typed row by row in thousands, sums "
                         f"to {column:,}, {_percent_off(column, c['macs'] + extra)} that "
                         f"count, while its typed total is {_percent_off(seed.macs, column)} "
                         "its column: the norms' MACs explain the gap to the built network, "
                         "and the typed total does not add up the report's own rows.")
    missing = diff[diff["report's params"] == 0]
    off = diff[(diff["report's params"] != 0)]
    if len(missing):
        text += (f" Left out, {-missing['params difference'].sum():,} parameters and "
                 f"{-missing['MACs difference'].sum():,} MACs in all: {_list(missing)}.")
    if len(off):
        text += (f" Counted differently: {_list(off)}, by "
                 f"{signed(off['params difference'].sum(), 0, ',')} params and "
                 f"{signed(off['MACs difference'].sum(), 0, ',')} MACs.")
    return text


def _list(df) -> str:
    """Operator kinds, each with the places it occurs in."""
    kinds: dict[str, list[str]] = {}
    for where, op in zip(df["where"], df["operator"]):
        kinds.setdefault(op, []).append(where)
    return "; ".join(op if all(w in op for w in where) else f"{op} ({places(where)})"
                     for op, where in kinds.items())
