"""Tables for people: plain text for the command line, DataFrames for the notebooks."""
from __future__ import annotations

from typing import Iterable, Sequence

from ..arch.complexity import Operator, stage_totals, totals
from ..arch.space import NetSpec


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


def parameter_table(spec: NetSpec):
    """The design as a Parameter / Value / Description table (the seeds' design table)."""
    import pandas as pd
    k, r = spec.kernel, spec.input_size
    sizes = stage_sizes(spec)
    rows = [
        ("Input", f"{spec.in_channels} x {r} x {r}", "channels x height x width"),
        ("Stem", f"{k}x{k} conv, stride {spec.stem_stride}, {spec.in_channels} -> "
         f"{spec.stem_width}, BN, ReLU", f"to {spec.stem_width} x {sizes[0]} x {sizes[0]}"),
        ("Stages", str(len(spec.stages)), "the body: stages of X blocks"),
        ("Depth", str(spec.depths), "blocks per stage"),
        ("Channels", str(spec.widths), "output channels per stage"),
        ("Group width", str([s.group_width for s in spec.stages]),
         "channels per group of each 3x3 conv"),
        ("Groups", str([s.groups for s in spec.stages]), "groups of each stage's 3x3 conv"),
        ("Bottleneck ratio", str([f"{s.bottleneck:g}" for s in spec.stages]),
         "inner width = channels / ratio"),
        ("Strides", str([s.stride for s in spec.stages]),
         "of each stage's first block (2 = downsampling block)"),
        ("Stage outputs", " / ".join(f"{s.width}x{n}x{n}" for s, n in
                                     zip(spec.stages, sizes[1:])), "after each stage"),
    ]
    if spec.se_ratio:
        rows.append(("Squeeze-excitation", f"ratio {spec.se_ratio:g}", "Y blocks"))
    n = sizes[-1]
    rows.append(("Head", f"global average pool + linear {spec.widths[-1]} -> "
                 f"{spec.num_classes}", f"{spec.widths[-1]} x {n} x {n} to {spec.num_classes}"))
    return pd.DataFrame(rows, columns=["Parameter", "Value", "Description"])


def stage_sizes(spec: NetSpec) -> list[int]:
    """Spatial size after the stem and after each stage."""
    size = (spec.input_size - 1) // spec.stem_stride + 1
    sizes = [size]
    for s in spec.stages:
        size = (size - 1) // s.stride + 1
        sizes.append(size)
    return sizes


def operator_frame(rows: list[Operator]):
    """The operator table as a DataFrame with a total row at the bottom."""
    import pandas as pd
    t = totals(rows)
    df = pd.DataFrame([{
        "operator": r.path, "type": r.type, "role": r.role,
        "in": "x".join(map(str, r.in_shape)), "out": "x".join(map(str, r.out_shape)),
        "k": r.kernel or "", "stride": r.stride or "", "groups": r.groups or "",
        "params": r.params, "MACs": r.macs, "acts": r.acts} for r in rows])
    total = {c: "" for c in df.columns}
    total.update(operator="total", params=t["params"], MACs=t["macs"], acts=t["acts"])
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def summary_by_role(rows: list[Operator]):
    """Params and MACs per stage and operator role, summed over the stage's blocks."""
    import pandas as pd
    df = pd.DataFrame([{"stage": r.stage, "role": r.role, "params": r.params,
                        "MACs": r.macs} for r in rows])
    return df.groupby(["stage", "role"], sort=False, as_index=False).sum()


#: Seed 000 counted the stem and the three convs of every block, each stage's convs
#: multiplied by its depth with the first block's input width, no norms, projections or head.
SEED_TOTALS = {
    "seed 000 (convs only)": {"params": 1_707_272, "macs": 206_568_320},
    "seed 001 (convs, norms, head)": {"params": 3_289_900, "macs": 235_000_000},
}


def seed_comparison(rows: list[Operator]):
    """Our totals, by the scope each seed used, beside the seeds' hand-made ones."""
    import pandas as pd
    convs = [r for r in rows if r.type == "Conv2d" and r.role != "projection"]
    ours = {
        "seed 000 (convs only)": (sum(r.params for r in convs), sum(r.macs for r in convs)),
        "seed 001 (convs, norms, head)": (totals(rows)["params"], totals(rows)["macs"]),
    }
    out = []
    for scope, seed in SEED_TOTALS.items():
        p, m = ours[scope]
        out.append({"scope": scope, "seed params": seed["params"], "model params": p,
                    "params difference": seed["params"] - p, "seed MACs": seed["macs"],
                    "model MACs": m, "MACs difference": seed["macs"] - m})
    return pd.DataFrame(out)


def show(df, caption: str | None = None) -> None:
    """Display a DataFrame in a notebook: no index, thousands separators, optional caption."""
    from IPython.display import display
    styler = df.style.hide(axis="index").format(thousands=",", precision=4)
    if caption:
        styler = styler.set_caption(caption)
    display(styler)


def width_rule_table(spec: NetSpec):
    """Block by block: the linear width u_j, its exponent, the quantized width, the stage."""
    import math

    import pandas as pd

    from ..arch.space import quantized_widths
    p = spec.params
    widths = quantized_widths(p["depth"], p["w0"], p["wa"], p["wm"])
    rows, stage, prev = [], 0, None
    for j, w in enumerate(widths):
        u = p["w0"] + p["wa"] * j
        stage += w != prev
        prev = w
        rows.append({"block j": j, "u_j = w0 + wa*j": round(u, 2),
                     "exponent": round(math.log(u / p["w0"]) / math.log(p["wm"])),
                     "w_j (multiple of 8)": w, "stage": stage})
    return pd.DataFrame(rows)


def hyperparameter_table(values) -> "object":
    """The seeds' hyperparameter table: every training-relevant parameter and its value."""
    import pandas as pd
    keys = ["REGNETX", "DATASET", "DATA_BATCH_SIZE", "DATA_NUM_CLASSES", "DATA_NUM_CHANNELS",
            "DATA_CROP", "DATA_RESIZE", "MODEL_TAIL_OUT_CHANNELS", "MODEL_BLOCKS",
            "MODEL_CHANNELS", "MODEL_GROUP_WIDTH", "MODEL_BOTTLENECK", "MODEL_FILTER_SIZE",
            "TRAINING_OPTIMIZER", "TRAINING_MOMENTUM", "TRAINING_NESTEROV",
            "TRAINING_WEIGHT_DECAY", "TRAINING_LABEL_SMOOTHING", "TRAINING_LR_MAX",
            "TRAINING_LR_INIT_SCALE", "TRAINING_LR_INIT_EPOCHS", "TRAINING_LR_FINAL_SCALE",
            "TRAINING_LR_FINAL_EPOCHS", "PRECISION", "CHANNELS_LAST", "SEED", "FILE_SAVE"]
    return pd.DataFrame([{"hyperparameter": k, "value": str(values.get(k))} for k in keys])


def rate_table(rates: list[float], columns: int = 4):
    """Per-epoch learning rates folded into a few column pairs (epoch is 1-based)."""
    import pandas as pd
    rows = -(-len(rates) // columns)
    table = {}
    for c in range(columns):
        chunk = list(enumerate(rates))[c * rows:(c + 1) * rows]
        chunk += [(None, None)] * (rows - len(chunk))
        table[f"epoch {c + 1}"] = ["" if e is None else e + 1 for e, _ in chunk]
        table[f"lr {c + 1}"] = ["" if r is None else f"{r:.6f}" for _, r in chunk]
    return pd.DataFrame(table)
