"""Tables for people: plain text for the command line, DataFrames for the notebooks."""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Sequence

import pandas as pd
from IPython.display import HTML, display

from .. import catalog
from ..arch.complexity import Operator, stage_totals, totals
from ..arch.designspace import SPACES, Ranges, sizes
from ..arch.space import NetSpec, quantized_widths
from ..data import settings
from ..study import analysis
from ..study.runs import half_up
from . import prose
from .captions import caption_html


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


def stage_outputs(rows: list[Operator]) -> dict[str, tuple]:
    """The output shape (C, H, W) of the stem and of each stage, read from the operator table."""
    out: dict[str, tuple] = {}
    for r in rows:  # the last 3-D output of each stage is what the stage hands on
        if len(r.out_shape) == 3 and r.stage != "head":
            out[r.stage] = r.out_shape
    return out


def stage_structure(rows: list[Operator]) -> list[dict]:
    """Each stage as the built model has it: blocks, width, the grouped conv's channels,
    groups, group width and stride, and the output shape, all read from the operator table."""
    out = []
    outs = stage_outputs(rows)
    for stage in dict.fromkeys(r.stage for r in rows if r.block):
        mine = [r for r in rows if r.stage == stage]
        grouped = [r for r in mine if r.role.endswith("grouped")]
        first = grouped[0]
        inner = first.out_shape[0]
        out.append({"stage": stage, "blocks": len({r.block for r in mine}),
                    "width": outs[stage][0], "inner": inner, "groups": first.groups,
                    "group width": inner // first.groups,
                    "bottleneck": outs[stage][0] / inner, "stride": first.stride,
                    "kernel": first.kernel, "out": outs[stage]})
    return out


def _shape(shape: tuple) -> str:
    """A shape as one token: "368 × 2 × 2" with no-break spaces, so a cell never wraps
    inside it."""
    return "\u00a0×\u00a0".join(map(str, shape))


def parameter_table(spec: NetSpec, rows: list[Operator]):
    """The design as a Parameter / Value / Description table (the seeds' design table); the
    sizes come from the built model's operator table."""
    k = spec.kernel
    outs = stage_outputs(rows)
    first = rows[0]
    stages = [f"s{i}" for i in range(1, len(spec.stages) + 1)]
    last = outs[stages[-1]]
    table = [
        ("Input", _shape(first.in_shape), "channels × height × width"),
        ("Stem", f"{k}×{k} conv, stride {first.stride}, {first.in_shape[0]} → "
         f"{first.out_shape[0]}, BN, ReLU", f"to {_shape(outs['stem'])}"),
        ("Stages", str(len(spec.stages)), "the body: stages of X blocks"),
        ("Depth", str(spec.depths), "blocks per stage"),
        ("Channels", str(spec.widths), "output channels per stage"),
        ("Group width", str([s.group_width for s in spec.stages]),
         "channels per group of each 3×3 conv"),
        ("Groups", str([s.groups for s in spec.stages]), "groups of each stage's 3×3 conv"),
        ("Bottleneck ratio", str([float(f"{s.bottleneck:g}") for s in spec.stages]),
         "inner width = channels / ratio"),
        ("Strides", str([s.stride for s in spec.stages]),
         "of each stage's first block (2: a downsampling block)"),
        ("Stage outputs", ", ".join(_shape(outs[s]) for s in stages), "after each stage"),
    ]
    if spec.se_ratio:
        table.append(("Squeeze-excitation", f"ratio {spec.se_ratio:g}", "Y blocks"))
    fc = rows[-1]
    table.append(("Head", f"global average pool + linear {fc.in_shape[0]} → "
                  f"{fc.out_shape[0]}", f"{_shape(last)} to {fc.out_shape[0]} classes"))
    t = totals(rows)
    table += [("Parameters", f"{t['params']:,}", "in all (section 3 counts every operator)"),
              ("MACs", f"{t['macs']:,}", "multiply-accumulates per image")]
    return pd.DataFrame(table, columns=["Parameter", "Value", "Description"])


def repeated_blocks(rows: list[Operator]) -> list[tuple[list[Operator], int, str]]:
    """The operator rows in forward order, grouped so that consecutive blocks of a stage that
    repeat the previous block operator for operator (in a RegNet every block after a stage's
    first) come once: (one block's rows, how many blocks, where), where is 'stage 3, blocks
    2–7', 'stage 1, block 1', 'stem' or 'head'."""
    units: list[tuple[str, str, list[Operator]]] = []  # (stage, block, rows) in order
    for r in rows:
        if units and (units[-1][0], units[-1][1]) == (r.stage, r.block):
            units[-1][2].append(r)
        else:
            units.append((r.stage, r.block, [r]))

    def signature(ops):
        return [(o.role, o.in_shape, o.out_shape, o.kernel, o.stride, o.groups, o.params,
                 o.macs, o.acts) for o in ops]
    groups: list[list] = []  # [stage, first block, last block, rows, count]
    for stage, block, ops in units:
        last = groups[-1] if groups else None
        if (last and block and last[0] == stage and last[2]
                and signature(last[3]) == signature(ops)):
            last[2], last[4] = block, last[4] + 1
        else:
            groups.append([stage, block, block, ops, 1])
    out = []
    for stage, first, last, ops, count in groups:
        where = prose.place_name(stage, first)
        if count > 1:
            where = f"{prose.stage_name(stage)}, blocks {first[1:]}\u2013{last[1:]}"
        out.append((ops, count, where))
    return out


def operator_frame(rows: list[Operator]):
    """The operator table as a DataFrame with a total row at the bottom: where each operator
    sits and what it is in words, not the model's module keys. Identical blocks come once
    (`repeated_blocks`), the "×" column saying how many blocks a row stands for and its
    numbers those of one block; the total counts every block."""
    t = totals(rows)
    df = pd.DataFrame([{
        "where": where, "operator": r.role,
        "in": "×".join(map(str, r.in_shape)), "out": "×".join(map(str, r.out_shape)),
        "k": r.kernel or "", "s": r.stride or "", "groups": r.groups or "", "×": count,
        "Parameters": r.params, "MACs": r.macs, "Activations": r.acts}
        for ops, count, where in repeated_blocks(rows) for r in ops])
    total = {c: "" for c in df.columns}
    total.update({"where": "total", "Parameters": t["params"], "MACs": t["macs"],
                  "Activations": t["acts"]})
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def totals_frame(networks: Sequence[tuple[str, NetSpec, list[Operator]]]):
    """One row of totals per (label, network, operator rows), with its input and classes."""
    out = []
    for label, spec, rows in networks:
        t = totals(rows)
        out.append({"Network": label, "Input": _shape((spec.in_channels, spec.input_size,
                                                        spec.input_size)),
                    "Classes": spec.num_classes, "Parameters": t["params"], "MACs": t["macs"],
                    "Activations": t["acts"]})
    return pd.DataFrame(out)


def stage_frame(rows: list[Operator]):
    """Parameters, MACs and activations per stage, stages named in words."""
    return pd.DataFrame([{"stage": prose.stage_name(t["stage"]), "Parameters": t["params"],
                          "MACs": t["macs"], "Activations": t["acts"]}
                         for t in stage_totals(rows)])


def role_name(role: str) -> str:
    """An operator role as the shares table groups it: every batch norm together."""
    return "batch norms" if role.endswith("norm") else role


def role_shares(rows: list[Operator]):
    """Parameters and MACs per kind of operator over the whole network (every batch norm
    together), with each kind's share of the totals, in forward order of first use."""
    t = totals(rows)
    df = pd.DataFrame([{"operator": role_name(r.role), "Parameters": r.params,
                        "MACs": r.macs} for r in rows])
    df = df.groupby("operator", sort=False, as_index=False).sum()
    df.insert(2, "% of parameters", (100 * df["Parameters"] / t["params"]).round(1))
    df["% of MACs"] = (100 * df["MACs"] / t["macs"]).round(1)
    return df


def number(v, decimals: int = 4) -> str:
    """A float with thousands separators and at most `decimals` decimals, no trailing zeros."""
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


KEEP_WHOLE = 20  # a table with at most this many rows is never split across pages
SHORT_LABEL = 28  # a text column of labels this short never wraps inside one

#: A run's metrics (`runs.RunSummary`, `engine.loop.summarize`) as a table heads them: the
#: code keys its rows by metric, and a table is given these names when it is drawn.
# An accuracy's header wraps only before its unit: "test acc" stays whole (no-break space).
METRIC_NAMES = {"macs": "MACs", "epoch_seconds": "time/epoch (s)",
                "images_per_second": "images/s", "train_loss": "train loss",
                "test_loss": "test loss", "test_acc": "test\u00a0acc (%)",
                "best_test_acc": "best\u00a0test\u00a0acc (%)",
                "test_top5": "test\u00a0top-5 (%)", "train_acc": "train\u00a0acc (%)",
                "lr": "learning rate"}

# Columns printed with a fixed number of decimals, so a column's numbers line up and read
# alike ("75.00" beside "80.63", not "75" beside "80.625") in every report; halves round up.
FIXED_DECIMALS = {"epoch_seconds": 1, "seconds": 1, "train_loss": 3, "test_loss": 3,
                  "test_acc": 2, "train_acc": 2, "best_test_acc": 2, "test_top5": 2, "error (%)": 2,
                  "MACs (M)": 1, "parameters (M)": 2, "% of parameters": 1, "% of MACs": 1,
                  "images_per_second": 0}


def _is_text(column) -> bool:
    """Whether a column holds words (left-aligned) rather than numbers, even as strings (a
    typed "0.235 G" with its unit is a number too)."""
    if pd.api.types.is_numeric_dtype(column):
        return False
    for v in column:
        if isinstance(v, str) and v.strip():
            try:
                float(re.sub(r"\s?[kKMGT]$", "", v.strip()).replace(",", ""))
            except ValueError:
                return True
    return False


def to_html(df, caption: str | None = None, decimals: int = 4, label: str | None = None) -> str:
    """A DataFrame as report HTML: no index, thousands separators, text columns left and
    numbers right, a caption numbered when printed (`label` names it for `captions.cite`); a
    short table is kept whole on one page."""
    decimals_of = {METRIC_NAMES.get(c, c): d for c, d in FIXED_DECIMALS.items()}
    df = df.rename(columns=METRIC_NAMES)
    decimals_of.update({c: FIXED_DECIMALS["MACs (M)"] for c in df.columns  # at its input size
                        if re.fullmatch(r"MACs at \d+ px \(M\)", str(c))})
    floats = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
    text = [c for c in df.columns if _is_text(df[c])]
    whole = [c for c in df.columns if pd.api.types.is_integer_dtype(df[c])]
    styler = df.style.hide(axis="index").format(thousands=",")
    if whole:  # a negative count signs with a minus, not a hyphen
        styler = styler.format(lambda v: f"{v:,}".replace("-", "\u2212"), subset=whole)
    fixed = [c for c in floats if c in decimals_of]
    loose = [c for c in floats if c not in decimals_of]
    if loose:
        styler = styler.format(lambda v: "" if pd.isna(v) else number(v, decimals),
                               subset=loose)
    for c in fixed:
        d = prose.time_decimals(df[c].dropna()) if (
            c == METRIC_NAMES["epoch_seconds"] and df[c].notna().any()) else decimals_of[c]
        styler = styler.format(lambda v, d=d: "" if pd.isna(v) else f"{half_up(v, d):,.{d}f}",
                               subset=[c])
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
        labels = [c for c in text if df[c].astype(str).str.len().max() <= SHORT_LABEL]
        if labels:  # "stage 2, block 1" is one label: it never wraps
            styler = styler.set_properties(subset=labels,
                                           **{"white-space": "nowrap !important"})
        styler = styler.set_table_styles([
            {"selector": f"th.col{i}", "props": "text-align: left"}
            for i, c in enumerate(df.columns) if c in text], overwrite=False)
    if isinstance(df.columns, pd.MultiIndex):  # a folded table: each block's heading
        styler = styler.set_table_styles([{  # centred over its columns, ruled below
            "selector": "th.level0", "props": "text-align: center !important; "
                                              "border-bottom: 1px solid #888"}], overwrite=False)
    if len(df) <= KEEP_WHOLE:  # caption and rows on one page, the caption as wide as the
        head = (f'<p class="regnet-tcaption">{caption_html("Table", caption, label)}</p>'
                if caption else "")  # page rather than squeezed over a narrow table
        return f'<div class="regnet-keep">{head}{styler.to_html()}</div>'
    if caption:  # a long table's caption stays in it, to lead its first page
        styler = styler.set_caption(caption_html("Table", caption, label))
    return styler.to_html()


def show(df, caption: str | None = None, decimals: int = 4, label: str | None = None) -> None:
    """Display a DataFrame in a notebook as `to_html` writes it."""
    display(HTML(to_html(df, caption, decimals, label)))


def width_rule_table(spec: NetSpec):
    """Block by block: the linear width u_j, its exponent, the quantized width, the stage."""
    p = spec.params
    widths = quantized_widths(p["depth"], p["w0"], p["wa"], p["wm"])
    rows, stage, prev = [], 0, None
    for j, w in enumerate(widths):
        u = p["w0"] + p["wa"] * j
        stage += w != prev
        prev = w
        rows.append({"block j": j, "u\u2c7c = w\u2080 + w\u2090·j": round(u, 2),
                     "exponent e\u2c7c": round(math.log(u / p["w0"]) / math.log(p["wm"])),
                     "w\u2c7c (multiple of 8)": w, "stage": stage})
    return pd.DataFrame(rows)


def _recipe(values, spec: NetSpec) -> list[tuple[str, Any, str]]:
    """(parameter, value, meaning) of every hyperparameter of a run: the dataset's resolved
    defaults (classes, channels, crop, resize), its augmentation, the network's numbers from
    its spec, and the whole optimizer and schedule."""
    data = settings(values.data)
    augment = data["DATA_AUGMENT"]
    rows = [
        ("REGNETX", prose.network_name(spec.name), "network"),
        ("DATASET", catalog.dataset(values["DATASET"]).title, "images"),
        ("DATA_NUM_CLASSES", data["DATA_NUM_CLASSES"] or spec.num_classes, "classes"),
        ("DATA_NUM_CHANNELS", data["DATA_NUM_CHANNELS"], "input channels"),
        ("DATA_IMAGE_SIZE", data["DATA_IMAGE_SIZE"], "image side (px)"),
        ("DATA_AUGMENT", catalog.AUGMENTS[augment].description, "training augmentation"),
        *([("DATA_SCALE_MIN", values["DATA_SCALE_MIN"],
            "smallest share of the image's area a random crop covers")]
          if augment == "rrc" else []),
        ("DATA_CROP", data["DATA_CROP"], "training crop (px)"),
        ("DATA_RESIZE", data["DATA_RESIZE"], "test images resized to (px)"),
        ("DATA_TEST_CROP", data["DATA_TEST_CROP"], "test center crop (px)"),
        ("DATA_BATCH_SIZE", values["DATA_BATCH_SIZE"], "images per step"),
        ("MODEL_TAIL_OUT_CHANNELS", spec.stem_width, "stem output channels"),
        ("MODEL_BLOCKS", spec.depths, "blocks per stage"),
        ("MODEL_CHANNELS", spec.widths, "channels per stage"),
        ("MODEL_GROUP_WIDTH", [s.group_width for s in spec.stages],
         "channels per group of the 3×3 convs"),
        ("MODEL_GROUPS", [s.groups for s in spec.stages], "groups of the 3×3 convs"),
        ("MODEL_BOTTLENECK", [float(f"{s.bottleneck:g}") for s in spec.stages],
         "bottleneck ratio"),
        ("MODEL_FILTER_SIZE", spec.kernel, "kernel of the stem and the grouped convs"),
    ]
    rows += [(k, values[k].upper() if k == "TRAINING_OPTIMIZER" else values[k], h)
             for k, h in [
        ("TRAINING_OPTIMIZER", "optimizer"), ("TRAINING_MOMENTUM", "momentum"),
        ("TRAINING_NESTEROV", "Nesterov momentum"), ("TRAINING_WEIGHT_DECAY", "weight decay"),
        ("TRAINING_LABEL_SMOOTHING", "label smoothing"),
        ("TRAINING_LR_MAX", "peak learning rate <i>l</i><sub>max</sub>"),
        ("TRAINING_LR_INIT_SCALE",
         "first warm-up rate <i>l</i><sub>0</sub> / <i>l</i><sub>max</sub>"),
        ("TRAINING_LR_INIT_EPOCHS", "warm-up epochs <i>E</i><sub>0</sub>"),
        ("TRAINING_LR_FINAL_SCALE", "last rate <i>l</i><sub>f</sub> / <i>l</i><sub>max</sub>"),
        ("TRAINING_LR_FINAL_EPOCHS", "cosine epochs <i>E</i><sub>1</sub>")]]
    rows.append(("", values["TRAINING_LR_INIT_EPOCHS"] + values["TRAINING_LR_FINAL_EPOCHS"],
                 "epochs in all, <i>E</i><sub>0</sub> + <i>E</i><sub>1</sub>"))
    rows += [("TRAINING_LR_PER_ITERATION", values["TRAINING_LR_PER_ITERATION"],
              "rate changed within each epoch, step by step (no: once an epoch)"),
             ("SEED", values["SEED"], "random seed"),
             ("SEEDS", values["SEEDS"],
              "how many seeds train section 2's network (the random seed and the ones after it)")]
    return rows


def hyperparameter_table(values, spec: NetSpec, course=None, course_spec=None):
    """The seeds' hyperparameter table with the values in use, each named in words first and
    by the course's parameter name last; with the `course` configuration's values and
    network (`course_spec`), its values in a column of their own, for a run made with
    another profile. Engineering settings (precision, memory format, checkpoints) are in the
    provenance."""
    mine = "value" if course is None else "this run"
    rows = [{"hyperparameter": h, mine: _value(v), "parameter": k}
            for k, v, h in _recipe(values, spec)]
    if course is not None:
        theirs = {h: _value(v) for _, v, h in _recipe(course, course_spec)}
        rows = [{**r, "course": theirs.get(r["hyperparameter"], "")} for r in rows]
    return pd.DataFrame(rows, columns=["hyperparameter", mine]
                        + (["course"] if course is not None else []) + ["parameter"])


def _value(v) -> str:
    """A value as a reader writes it: yes/no, 0.00005 rather than 5e-05, lists in brackets."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(str, v)) + "]"
    if isinstance(v, float):
        return prose.decimal(v)
    return str(v)


def fold(df, parts: int, key: str):
    """A long two-or-three-column table as `parts` side-by-side blocks, each headed by the
    range of `key` it holds (e.g. "crops 40-57"), so it fills the page across, not down."""
    rows = -(-len(df) // parts)
    blocks = []
    for p in range(parts):
        chunk = df.iloc[p * rows:(p + 1) * rows].reset_index(drop=True)
        if chunk.empty:
            break
        head = f"{chunk[key].iloc[0]}\u2013{chunk[key].iloc[-1]}"  # an en dash: a range
        whole = {c for c in chunk.columns if pd.api.types.is_integer_dtype(chunk[c])}
        chunk = chunk.reindex(range(rows)).astype(object)  # padding makes ints floats
        chunk = pd.DataFrame({c: ["" if pd.isna(v) else f"{int(v)}" if c in whole else
                                  f"{v:,.2f}" if isinstance(v, float) else str(v)
                                  for v in chunk[c]] for c in chunk.columns})
        chunk.columns = pd.MultiIndex.from_product([[head], chunk.columns])
        blocks.append(chunk)
    folded = pd.concat(blocks, axis=1)
    return folded.droplevel(0, axis=1) if len(blocks) == 1 else folded


def rate_table(rates: list[float], columns: int = 4, fold_after: int = 15):
    """Per-epoch learning rates as (epoch, learning rate) pairs, epochs counted from 1, folded
    into at most `columns` column pairs of at least `fold_after` rows (a short schedule stays
    one pair), each headed by the epochs it holds."""
    columns = max(1, min(columns, -(-len(rates) // fold_after)))
    rows = -(-len(rates) // columns)
    table = {}
    for c in range(columns):
        chunk = list(enumerate(rates, 1))[c * rows:(c + 1) * rows]
        if not chunk:
            break
        head = (f"epochs {chunk[0][0]}\u2013{chunk[-1][0]}" if len(chunk) > 1 else
                f"epoch {chunk[0][0]}")
        chunk += [(None, None)] * (rows - len(chunk))
        table[(head, "epoch")] = ["" if e is None else str(e) for e, _ in chunk]
        table[(head, "learning rate")] = ["" if r is None else f"{r:.6f}" for _, r in chunk]
    df = pd.DataFrame(table)
    return df.droplevel(0, axis=1) if columns == 1 else df  # one pair needs no heading


#: What a study's table shows of each run; the network columns only where the runs differ.
STUDY_COLUMNS = ["params", "macs", "epochs", "epoch_seconds", "train_loss", "test_acc"]
NETWORK_COLUMNS = {
    "depths": lambda spec: "/".join(str(d) for d in spec.depths),
    "widths": lambda spec: "/".join(str(w) for w in spec.widths),
    "group width": lambda spec: "/".join(str(s.group_width) for s in spec.stages),
    "groups": lambda spec: "/".join(str(s.groups) for s in spec.stages),
    "bottleneck": lambda spec: "/".join(f"{s.bottleneck:g}" for s in spec.stages),
}


def study_table(df, times: bool = True):
    """One row per run of a study: its label, the network numbers that vary between runs,
    and cost, time and accuracy (epochs only when they vary; time per epoch only with
    `times`, which a study whose machine was busy leaves out)."""
    label = df.columns[0]
    # a network's name keeps its hyphen unbroken (U+2011): "RegNetX-200MF" on one line
    out = pd.DataFrame({label: [prose.network_name(str(v)).replace("-", "\u2011")
                                if label == "RegNetX" else v for v in df[label]]})
    for name, describe in NETWORK_COLUMNS.items():
        column = [describe(spec) for spec in df["spec"]]
        if len(set(column)) > 1 and name != label:  # a study's own label column says it
            out[name] = column
    sizes = {spec.input_size for spec in df["spec"]}
    for name in STUDY_COLUMNS:
        if (name != "epochs" or df["epochs"].nunique() > 1) and (
                times or name != "epoch_seconds"):
            # MACs say at what input they are counted: a study's runs may train smaller
            # than the 56 px at which section 1 counts them
            shown = f"MACs at {next(iter(sizes))}\u00a0px" if (
                name == "macs" and len(sizes) == 1) else name
            if name == "test_acc" and df["epochs"].nunique() > 1 and "history" in df:
                # schedules of different lengths: the gap between training and test
                # accuracy, which the observations weigh for overfitting
                out["train_acc"] = [h[-1]["train_acc"] for h in df["history"]]
            out[shown] = df[name]
    return out


def space_label(space: str) -> str:
    """A design space as the paper names it (AnyNetX_A), or its key."""
    return prose.typeset_spaces(analysis.label(space))


_ORDERS = (("shared_b", "one b for every stage"), ("shared_g", "one g for every stage"),
           ("widths_up", "widths never decrease (w<sub>i+1</sub> ≥ w<sub>i</sub>)"),
           ("depths_up", "depths never decrease (d<sub>i+1</sub> ≥ d<sub>i</sub>)"))


def _choices(values) -> str:
    return "{" + ", ".join(f"{v:g}" for v in values) + "}"


def space_restriction(name: str, ranges: Ranges = Ranges()) -> str:
    """What a design space allows, in words (HTML): AnyNetX_A in full, each later AnyNetX space
    as the one before it with what it adds, RegNetX by its rule."""
    space, r = SPACES[name], ranges
    if space.regnet:
        return (f"widths from the linear rule u<sub>j</sub> = w<sub>0</sub> + w<sub>a</sub>·j, "
                f"quantized by w<sub>m</sub>: w<sub>0</sub> {r.w0[0]} to {r.w0[1]}, "
                f"w<sub>a</sub> {r.wa[0]:g} to {r.wa[1]:g}, w<sub>m</sub> {r.wm[0]:g} to "
                f"{r.wm[1]:g}; total depth d {r.regnet_depth[0]} to {r.regnet_depth[1]}; one "
                f"g ∈ {_choices(r.group_widths)}; b = {_choices(r.regnet_bottlenecks)[1:-1]}")
    anynet = [n for n, s in SPACES.items() if not s.regnet]
    at = anynet.index(name)
    if at == 0:
        return (f"each stage i its own depth d<sub>i</sub> ≤ {r.depth[1]}, width w<sub>i</sub> "
                f"≤ {r.width[1]} (a multiple of {r.width_q}), bottleneck ratio b<sub>i</sub> "
                f"∈ {_choices(r.bottlenecks)} and group width g<sub>i</sub> ∈ "
                f"{_choices(r.group_widths)}")
    before = SPACES[anynet[at - 1]]
    added = [text for flag, text in _ORDERS if getattr(space, flag) and not getattr(before, flag)]
    return f"as {space_label(before.name)}; " + " and ".join(added)


def space_sizes_frame(ranges: Ranges = Ranges()):
    """Every design space: what it allows and its log10 size (configurations before the
    compute limit)."""
    return pd.DataFrame([{"design space": space_label(k),
                          "what it allows": space_restriction(k, ranges),
                          "log10 size": f"{v:.1f}"} for k, v in sizes(ranges).items()])


def space_summary_frame(summary):
    """`analysis.summary` for a page: the paper's space names, words for headers, and the
    same decimals down each column, halves rounded up as everywhere else. The EDF area is
    left out: over a sweep's common range it is (highest error - mean) / range, the mean
    again."""
    def fixed(v, d):
        return "" if pd.isna(v) else f"{half_up(v, d):.{d}f}"
    if int(summary["n"].max()) == 1:  # one model a space: its error, not four equal columns
        return pd.DataFrame([{"design space": prose.typeset_spaces(r["label"]),
                              "error (%)": fixed(r["mean"], 2),
                              "log10 size": fixed(r["log10_size"], 1)}
                             for _, r in summary.iterrows()])
    return pd.DataFrame([{
        "design space": prose.typeset_spaces(r["label"]), "models": int(r["n"]),
        **{k: fixed(r[k], 2) for k in ("min", "median", "mean", "max")},
        "log10 size": fixed(r["log10_size"], 1)}
        for _, r in summary.iterrows()])


def claims_frame(claims):
    """The paper's claims checked on a sweep, narrow enough for a page: the spaces compared,
    models in each, mean errors, the gap with its interval (the family's level) and its
    permutation p-value, and the verdict."""
    def pair(a, b, fmt="{}"):
        return f"{fmt.format(a)} / {fmt.format(b)}"
    rows = []
    for _, c in claims.iterrows():
        tested = "mean" in c and pd.notna(c.get("mean"))
        rows.append({
            "claim": prose.typeset_spaces(c["claim"]),
            "space / baseline": pair(space_label(c["space"]), space_label(c["baseline"])),
            "models": pair(c["n"], c["n_baseline"]),
            "mean error (%)": pair(c["mean"], c["mean_baseline"], "{:.1f}") if tested else "",
            "gap (points)": prose.signed(c["mean_gap"], 1) if tested else "",
            "interval of the gap": (f"{prose.signed(c['gap_low'], 1)} to "
                                    f"{prose.signed(c['gap_high'], 1)}") if tested else "",
            "p": f"{c['p']:.3f}" if tested and "p" in c else "",
            "verdict": c["verdict"]})
    return pd.DataFrame(rows)


def sweep_models_table(results, at: int | None = None):
    """Every sampled model: its stages (depths, widths, group widths, bottlenecks per stage),
    cost in millions (MACs counted at `at` px, the regime's input) and error."""
    cols = {"design space": [space_label(v) for v in results["space"]],
            "sample": results["index"]}
    for short, name in (("ds", "depths"), ("ws", "widths"), ("gs", "group widths"),
                        ("bs", "bottlenecks")):
        if short in results:
            cols[name] = [str(v).replace(" ", "/") for v in results[short]]
    cols[f"MACs at {at} px (M)" if at else "MACs (M)"] = (results["macs"] / 1e6).map(
        lambda v: half_up(v, 1))
    cols["parameters (M)"] = (results["params"] / 1e6).map(half_up)
    cols["error (%)"] = results["error"].map(half_up)
    if "seconds" in results:
        cols["seconds"] = results["seconds"].map(lambda v: half_up(v, 1))
    order = {space: i for i, space in enumerate(dict.fromkeys(results["space"]))}
    return pd.DataFrame(cols).iloc[sorted(range(len(results)), key=lambda i: (
        order[results["space"].iloc[i]], results["index"].iloc[i]))]
