"""Tables for people: plain-text renderings used by the command line and the notebooks."""
from __future__ import annotations

from typing import Iterable, Sequence

from .complexity import Operator, stage_totals, totals
from .space import NetSpec


def text_table(header: Sequence[str], rows: Iterable[Sequence], align: str | None = None) -> str:
    """A monospace table; `align` has one of `l`/`r` per column (numbers default right)."""
    rows = [[_cell(v) for v in row] for row in rows]
    header = list(header)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    align = align or "".join("l" if i == 0 else "r" for i in range(len(header)))

    def line(cells):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _cell(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return "x".join(str(x) for x in v)
    return str(v)


def format_stage_table(spec: NetSpec, rows: list[Operator]) -> str:
    """The network stage by stage (stem, stages, head) with per-stage and total counts."""
    per = {t["stage"]: t for t in stage_totals(rows)}
    size = spec.input_size
    out_size = {}
    for r in rows:  # the output side of each stage's last operator
        if len(r.out_shape) == 3:
            out_size[r.stage] = r.out_shape[1]
    lines = [["stem", f"{spec.kernel}x{spec.kernel} conv", spec.stem_width, "", "",
              spec.stem_stride, out_size.get("stem", size)]]
    for i, s in enumerate(spec.stages, 1):
        lines.append([f"s{i}", f"{s.depth} X block{'s' if s.depth > 1 else ''}", s.width,
                      s.group_width, f"{s.bottleneck:g}", s.stride, out_size.get(f"s{i}", "")])
    lines.append(["head", "pool + linear", spec.num_classes, "", "", "", 1])
    body = []
    for line in lines:
        t = per.get(line[0], {"params": 0, "macs": 0, "acts": 0})
        body.append([*line, t["params"], t["macs"], t["acts"]])
    total = totals(rows)
    body.append(["total", "", "", "", "", "", "", total["params"], total["macs"], total["acts"]])
    title = (f"{spec.name}: {spec.in_channels}x{size}x{size} input, {spec.num_classes} classes"
             + (f", SE ratio {spec.se_ratio:g}" if spec.se_ratio else ""))
    table = text_table(["stage", "layers", "width", "group w", "bneck", "stride", "out px",
                        "params", "MACs", "acts"], body, align="llrrrrrrrr")
    return f"{title}\n{table}"


def format_operator_table(rows: list[Operator]) -> str:
    """Every operator with its shapes and counts, and the totals at the bottom."""
    body = [[r.path, r.type, r.role, r.in_shape, r.out_shape, r.kernel or "", r.stride or "",
             r.groups or "", r.params, r.macs, r.acts] for r in rows]
    t = totals(rows)
    body.append(["total", "", "", "", "", "", "", "", t["params"], t["macs"], t["acts"]])
    return text_table(["operator", "type", "role", "in", "out", "k", "s", "groups", "params",
                       "MACs", "acts"], body, align="llllrrrrrrr")
