"""Figures for the reports: the network and its blocks drawn from the built model's operator
table, and the curves and bars of training runs and studies (matplotlib, imported on first use).

Every figure is drawn at its print size (at most `PRINT_WIDTH` inches wide, text at least
`MIN_POINTS` pt) and `show` places it at exactly that size, with a numbered caption, so what
is legible on screen is legible on paper.
"""
from __future__ import annotations

import base64
import io
import re

import matplotlib.pyplot as plt
from IPython.display import HTML, display
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import EngFormatter, MaxNLocator

from ..arch.complexity import Operator
from ..study.analysis import legend_right
from .captions import caption_html
from ..study.runs import unpack_hits
from .prose import Noise, accuracy_noise, as_noise, paired_noise, series_groups
from .tables import METRIC_NAMES, stage_outputs, stage_structure

PAGE_WIDTH = 6.6    # inches: a report's output area on A4 (7.3 in less the notebook's indent)
PRINT_WIDTH = 6.4   # inches: the widest figure drawn, with room for tight bounding boxes
MIN_POINTS = 8      # the smallest text on paper
STYLE = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8,
         "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 10}


def _figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """A figure at print size in the report style."""
    plt.rcParams.update(STYLE)
    return plt.subplots(nrows, ncols, figsize=(min(width, PRINT_WIDTH), height), **kwargs)


def show(fig, caption: str, label: str | None = None) -> None:
    """Display `fig` at its drawn size, as vector graphics (SVG, text as outlines, so it
    prints sharp and looks the same in every browser), with a numbered caption below it
    (`label` names it for `captions.cite`), then close it."""
    buf = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "path", "svg.hashsalt": "regnet"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    width = svg_width_inches(svg)
    data = base64.b64encode(svg).decode()
    caption = caption_html("Figure", caption, label)
    display(HTML(f'<figure class="regnet-figure"><img src="data:image/svg+xml;base64,{data}" '
                 f'style="width:{width:.2f}in"><figcaption>{caption}</figcaption></figure>'))


def svg_width_inches(svg: bytes) -> float:
    """The width of a matplotlib SVG, from its root element ('460.8pt'), in inches."""
    head = svg[:2000].decode("utf-8", "replace")
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', head)
    if not match:
        raise ValueError("not a matplotlib SVG: no width in points on its root element")
    return float(match.group(1)) / 72


def _box(ax, x, y, w, h, text, color="#dde8f5", fontsize=9):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                fc=color, ec="#333", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", (x1, y1), (x0, y0), arrowprops=dict(arrowstyle="->", lw=1, color="#333"))


def _dims(shape) -> str:
    return " × ".join(map(str, shape))


def draw_network(rows: list[Operator]):
    """The generic network (stem, stages, head) with the built model's numbers on it."""
    outs = stage_outputs(rows)
    stem, fc = rows[0], rows[-1]
    labels = [(f"input  {_dims(stem.in_shape)}", "#eee"),
              (f"stem: {stem.kernel}×{stem.kernel} conv, stride {stem.stride}, BN, ReLU\n"
               f"→ {_dims(outs['stem'])}", "#f5e6cc")]
    for i, s in enumerate(stage_structure(rows), 1):
        blocks = f"{s['blocks']} X block{'s' if s['blocks'] > 1 else ''}"
        labels.append((f"stage {i}: {blocks}, first with stride {s['stride']}\n"
                       f"w = {s['width']}, g = {s['group width']}, b = {s['bottleneck']:g}"
                       f"  → {_dims(s['out'])}", "#dde8f5"))
    labels += [(f"head: global average pool + linear {fc.in_shape[0]} → {fc.out_shape[0]}",
                "#e0f0dd"), (f"output  {fc.out_shape[0]} class scores", "#eee")]
    step = 0.62
    fig, ax = _figure(5.2, step * len(labels) + 0.3)
    for i, (text, color) in enumerate(labels):
        y = -i * step
        _box(ax, 2.6, y, 4.8, 0.44 if "\n" in text else 0.3, text, color)
        if i:
            _arrow(ax, 2.6, y + step - (0.22 if "\n" in labels[i - 1][0] else 0.15),
                   2.6, y + (0.22 if "\n" in text else 0.15))
    ax.set_xlim(0, 5.2)
    ax.set_ylim(-step * (len(labels) - 1) - 0.35, 0.35)
    ax.axis("off")
    fig.tight_layout()
    return fig


def draw_generic():
    """The generic network as the paper draws it, in symbols: a stem of width w_stem, four
    stages of d_i X blocks of width w_i, and a head."""
    labels = [(r"input  $3 \times r \times r$", "#eee"),
              (r"stem: $3 \times 3$ conv, $w_{stem}$ channels, stride $s_0$, BN, ReLU",
               "#f5e6cc")]
    for i in range(1, 5):
        first = "stride 2" if i > 1 else "stride $s_1$"
        labels.append((rf"stage {i}: $d_{i}$ X blocks of width $w_{i}$, the first with {first}",
                       "#dde8f5"))
    labels += [(r"head: global average pool, fully connected $w_4 \to$ one score per class",
                "#e0f0dd"), ("output: a score for each class", "#eee")]
    # the tensor on each arrow: the stem and stage 1 divide the side by s_0 and s_1, every
    # later stage by 2
    shapes = [None, r"$w_{stem} \times r_0 \times r_0$,  $r_0 = r/s_0$",
              r"$w_1 \times r_1 \times r_1$,  $r_1 = r_0/s_1$",
              r"$w_2 \times r_1/2 \times r_1/2$", r"$w_3 \times r_1/4 \times r_1/4$",
              r"$w_4 \times r_1/8 \times r_1/8$", None, None]
    step = 0.5
    fig, ax = _figure(5.2, step * len(labels) + 0.3)
    for i, (text, color) in enumerate(labels):
        y = -i * step
        _box(ax, 2.6, y, 5.0, 0.3, text, color)
        if i:
            _arrow(ax, 2.6, y + step - 0.15, 2.6, y + 0.15)
            if shapes[i - 1]:
                ax.text(2.7, y + step / 2, shapes[i - 1], ha="left", va="center", fontsize=8)
    ax.set_xlim(0, 5.2)
    ax.set_ylim(-step * (len(labels) - 1) - 0.3, 0.3)
    ax.axis("off")
    fig.tight_layout()
    return fig


def draw_x_block(stride: int):
    """The X block in symbols: output width w, bottleneck ratio b, group width g, stride s."""
    # inline fractions: stacked ones set their digits at about half the text size
    size = r"r \times r" if stride == 1 else r"r/2 \times r/2"
    steps = [r"input  $w_{in} \times r \times r$",
             r"$1 \times 1$ conv $w_{in} \to w/b$, BN, ReLU",
             r"$3 \times 3$ conv $w/b \to w/b$, $(w/b)/g$ groups of width $g$"
             + (",\nstride 2, BN, ReLU" if stride > 1 else ", BN, ReLU"),
             r"$1 \times 1$ conv $w/b \to w$, BN", "+", rf"ReLU  $\to w \times {size}$"]
    short = (r"$1 \times 1$ conv $w_{in} \to w$," "\nstride 2, BN" if stride > 1
             else "identity\n" r"($w_{in} = w$)")
    return _draw_block(steps, short, stride > 1)


def block_rows(rows: list[Operator], stage: str, block: str) -> list[Operator]:
    """The operators of one block (e.g. stage "s3", block "b2"), in forward order."""
    mine = [r for r in rows if r.stage == stage and r.block == block]
    if not mine:
        raise ValueError(f"the model has no block {stage}.{block}")
    return mine


def draw_block(rows: list[Operator], stage: str, block: str):
    """One X block as the built model has it: each conv's channels, groups and stride, the
    shortcut, and the input and output shapes, all read from the operator table."""
    mine = block_rows(rows, stage, block)
    main = [r for r in mine if r.type == "Conv2d" and not r.role.startswith("projection")]
    proj = next((r for r in mine if r.role == "projection"), None)
    steps = [f"input  {_dims(mine[0].in_shape)}"]
    for r in main:
        if r.role.startswith("SE"):
            steps.append(f"squeeze-excitation: {r.role} {r.in_shape[0]} → {r.out_shape[0]}")
            continue
        text = f"{r.kernel}×{r.kernel} conv {r.in_shape[0]} → {r.out_shape[0]}"
        if r.groups > 1:
            text += f", {r.groups} groups of {r.in_shape[0] // r.groups}"
        if r.stride > 1:
            text += f", stride {r.stride}"
        steps.append(text + (", BN" if r is main[-1] else ", BN, ReLU"))
    steps += ["+", f"ReLU  →  {_dims(mine[-1].out_shape)}"]
    if proj is not None:
        short = (f"1×1 conv {proj.in_shape[0]} → {proj.out_shape[0]},\n"
                 f"stride {proj.stride}, BN")
    else:
        short = "identity"
    return _draw_block(steps, short, proj is not None)


def _draw_block(steps: list[str], short: str, projected: bool):
    """A block drawn as boxes down the page, "+" where the shortcut `short` joins."""
    step = 0.62 if any("\n" in text for text in steps) else 0.55
    half = [0.22 if "\n" in text else 0.16 for text in steps]  # half a box's height
    fig, ax = _figure(6.4, step * len(steps) + 0.5)
    ys = [-step * i for i in range(len(steps))]
    for i, (text, y) in enumerate(zip(steps, ys)):
        if text == "+":
            ax.add_patch(plt.Circle((2.3, y), 0.14, fc="#fff", ec="#333"))
            ax.text(2.3, y, "+", ha="center", va="center", fontsize=11)
        else:
            _box(ax, 2.3, y, 4.4, 2 * half[i], text,
                 "#eee" if i in (0, len(steps) - 1) else "#dde8f5")
        if i:
            _arrow(ax, 2.3, ys[i - 1] - half[i - 1] - 0.01, 2.3, y + half[i] + 0.01)
    plus = ys[steps.index("+")]
    mid = (ys[0] + plus) / 2
    _box(ax, 5.5, mid, 1.5, 0.6, short, "#f5e6cc" if projected else "#fff")
    ax.annotate("", (2.45, plus), (5.5, mid - 0.32),
                arrowprops=dict(arrowstyle="->", lw=1, color="#333",
                                connectionstyle="angle,angleA=-90,angleB=0"))
    ax.annotate("", (5.5, mid + 0.32), (4.5, ys[0]),
                arrowprops=dict(arrowstyle="->", lw=1, color="#333",
                                connectionstyle="angle,angleA=0,angleB=90"))
    ax.set_xlim(0, 6.4)
    ax.set_ylim(ys[-1] - 0.3, 0.3)
    ax.axis("off")
    fig.tight_layout()
    return fig


def curve_styles(labels: list) -> list[dict]:
    """A colour, line style and marker per run. Runs labelled "series: setting" (extra E)
    are told apart twice over: each series has its own colour family and line style (blues
    solid, oranges dashed, ...), each setting within it a shade, light to dark, and the
    same marker in every series; other runs each get their own colour and marker."""
    groups = _series(labels)
    if groups:
        families = ("Blues", "Oranges", "Greens", "Purples")
        styles = [{}] * len(labels)
        for k, places in enumerate(groups.values()):
            for p, i in enumerate(places):  # p: the run's place within its series
                styles[i] = {"color": plt.get_cmap(families[k % 4])(
                                 0.45 + 0.5 * p / max(len(places) - 1, 1)),
                             "marker": "osD^v<>p"[p % 8],
                             "linestyle": ["-", "--", ":", "-."][k % 4]}
        return styles
    return [{"color": f"C{i % 10}", "marker": "osD^v<>p"[i % 8], "linestyle": "-"}
            for i in range(len(labels))]


def _series(labels: list) -> dict[str, list[int]] | None:
    """Runs labelled "series: setting" in two or more series (extra E): each series' name
    and the places of its runs; None for other runs."""
    groups = series_groups(labels)
    if len(groups) < 2 or sum(map(len, groups.values())) < len(labels):
        return None
    return groups


#: The curves' panels: the metric and its axis label.
CURVES = [("train_loss", "training loss"), ("train_acc", "training accuracy (%)"),
          ("test_loss", "test loss"), ("test_acc", "test accuracy (%)")]


def plot_series_curves(histories: dict, groups: dict[str, list[int]]):
    """Runs in series (`groups`, from `_series`): one column per series, one row per metric
    of `CURVES`, each series' runs in their own colours and markers with the legend under
    its column, so that no panel carries more than one series' lines."""
    labels, runs = list(histories), list(histories.values())
    fig, axes = _figure(PRINT_WIDTH, 7.4, len(CURVES), len(groups), sharex=True, sharey="row")
    for col, (name, places) in enumerate(groups.items()):
        for row, (key, label) in enumerate(CURVES):
            ax = axes[row][col]
            for k, i in enumerate(places):
                ax.plot([r["epoch"] for r in runs[i]], [r[key] for r in runs[i]], ms=3,
                        color=f"C{k % 10}", marker="osD^v<>p"[k % 8] if len(runs[i]) < 20
                        else None, label=str(labels[i]).split(": ", 1)[1])
            ax.grid(alpha=0.3)
            ax.xaxis.get_major_locator().set_params(integer=True)
            if col == 0:
                ax.set_ylabel(label)
        axes[0][col].set_title(f"{name} runs")
        axes[-1][col].set_xlabel("epoch")
        axes[-1][col].legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=1,
                             frameon=False)
    last = max((len(h) for h in runs), default=1)
    if last < 3:  # one or two epochs: a tick at each, not fractions of an epoch between them
        axes[-1][0].set_xticks(range(1, last + 1))
        axes[-1][0].set_xlim(0.5, last + 0.5)
    fig.tight_layout()
    return fig


def plot_curves(histories: dict, title: str = ""):
    """Training loss, training accuracy, test loss and test accuracy per epoch (from 1), one
    line per run (`histories`: label -> metrics.jsonl rows); runs in series (extra E) in one
    column per series (`plot_series_curves`)."""
    groups = _series(list(histories))
    if groups:
        return plot_series_curves(histories, groups)
    # each column on one scale: training and test loss (or accuracy) read against each other
    fig, axes = _figure(PRINT_WIDTH, 4.6, 2, 2, sharex=True, sharey="col")
    panels = CURVES
    styles = curve_styles(list(histories))
    for ax, (key, label) in zip(axes.flat, panels):
        for i, (run, history) in enumerate(histories.items()):
            # the first runs on top, each with its own marker: a short run that follows a
            # longer one's path stays visible
            style = dict(styles[i])
            if len(history) >= 20:
                style.pop("marker")
            ax.plot([r["epoch"] for r in history], [r[key] for r in history], ms=3,
                    zorder=3 + len(histories) - i, label=str(run), **style)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    last = max((len(h) for h in histories.values()), default=1)
    if last < 3:  # one or two epochs: a tick at each, not fractions of an epoch between them
        axes[1][0].set_xticks(range(1, last + 1))
        axes[1][0].set_xlim(0.5, last + 0.5)
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    if len(histories) > 1:  # one column at the right, read top to bottom
        fig.tight_layout(rect=(0, 0, legend_right(
            fig, *axes.flat[0].get_legend_handles_labels()), 1))
    else:
        fig.tight_layout()
    if title:
        fig.suptitle(title)
    return fig


def plot_rates(rates: list[float], course: list[float] | None = None):
    """The learning rate of every epoch, epochs counted from 1: a step for each epoch, since
    the rate holds for the whole epoch. With `course` (the course's rates, where they differ)
    a second panel draws the course's schedule beside this run's."""
    schedules = [("this run", rates)] + ([("the course", course)] if course else [])
    fig, axes = _figure(6.4, 2.6, ncols=len(schedules), squeeze=False)
    for ax, (name, steps) in zip(axes[0], schedules):
        edges = list(range(1, len(steps) + 2))  # epoch e runs from e to e + 1 on the axis
        ax.stairs(steps, edges, baseline=None, lw=1.5)
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate")
        if len(steps) <= 20:  # each epoch's number under its step
            ax.set_xticks([e + 0.5 for e in edges[:-1]], [str(e) for e in edges[:-1]])
        else:
            ax.xaxis.get_major_locator().set_params(integer=True)
        if course:
            ax.set_title(f"{name}: {len(steps)} epochs")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


#: The panels of `plot_bars` as a caption names them.
PANEL_NAMES = {"params": "parameters", "macs": "MACs per image",
               "epoch_seconds": "time per epoch", "test_acc": "final test accuracy"}


def bar_whisker(noise: Noise | int | None, accs, runs=None) -> float | None:
    """The whisker `plot_bars` draws on each accuracy: half the bound that the text weighs one
    difference between two of these runs against (`noise`: a `prose.Noise`, or a number of
    test images), taken where it is widest: at the accuracy in the runs' range nearest 50%,
    where the test images' bound is, or, where the runs (`runs`: their folders) are compared
    image by image, over every pair of them. Two runs whose whiskers do not overlap then
    differ by more than the bound of their own difference, so beyond the noise as the text
    says it. None where no bound is known."""
    accs = [float(a) for a in accs]
    if not accs:
        return None
    noise = as_noise(noise)
    if runs is not None and noise.paired():
        runs = [str(r) for r in runs]
        bounds = [noise.bound((accs[i] + accs[j]) / 2, 1, (runs[i], runs[j]))
                  for i in range(len(accs)) for j in range(i + 1, len(accs))]
        bound = max(bounds) if bounds and None not in bounds else None
        if bound is None and len(accs) == 1:
            bound = noise.bound(accs[0])
    else:
        bound = noise.bound(min(max(50.0, min(accs)), max(accs)))
    return None if bound is None else bound / 2


def panel_names(ys: list[str], whisker: float | None = None, cut: bool = False) -> str:
    """The caption's words for the panels `ys` of `plot_bars`, with what the accuracies'
    whiskers (`whisker`, from `bar_whisker`) mean where they carry them (`cut`: one stops
    at 100%)."""
    names = [PANEL_NAMES.get(y, y) for y in ys]
    if whisker is not None and "test_acc" in ys:
        names[ys.index("test_acc")] += (
            f" (whiskers: half of \u00b1{2 * whisker:.1f} points, the widest bound of one "
            "difference"
            + (", cut at 100%" if cut else "") + ")")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plot_bars(df, x: str, ys: list[str], noise: Noise | int | None = None):
    """One panel per column of `ys` against the varied parameter: costs as horizontal bars
    from zero (large numbers read 500k, 1.2M rather than under a 1e6 offset); the test
    accuracy as a dot per run, its axis only as wide as the runs need and, given the
    section's yardstick `noise` (a `prose.Noise`, or a number of test images), a whisker of
    half its bound on each dot (`bar_whisker`), so that two runs whose whiskers do not
    overlap differ beyond the noise, as the text weighs them."""
    labels = [str(v) for v in df[x]]
    fig, axes = _figure(PRINT_WIDTH, 0.28 * len(labels) + 1.0, 1, len(ys), sharey=True)
    axes = list(axes) if len(ys) > 1 else [axes]
    for ax, y in zip(axes, ys):
        if y == "test_acc":
            half = bar_whisker(noise, df[y], df["run"] if "run" in df and x != "run" else None)
            whiskers = None
            if half is not None:  # cut where an accuracy ends: at 0 and at 100%
                whiskers = [[min(half, a) for a in df[y]], [min(half, 100 - a) for a in df[y]]]
            ax.errorbar(df[y], labels, xerr=whiskers, fmt="o", ms=4, color="#1f4e96",
                        ecolor="#7a9cd0", elinewidth=1.2, capsize=2)
            ax.margins(x=0.15)
            lo, hi = ax.get_xlim()
            ax.set_xlim(max(lo, -1), min(hi, 101))  # a whisker's cap at 0 or 100% shows
        else:
            ax.barh(labels, df[y], color="#5b8bd0")
            if df[y].abs().max() >= 1e4:
                ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        size = df["spec"].iloc[0].input_size if "spec" in df and y == "macs" else None
        ax.set_title(f"MACs at {size} px" if size else METRIC_NAMES.get(y, y))
        ax.grid(axis="x", alpha=0.3)
        # a panel of four across the page has room for three labels of "15M" width
        ax.xaxis.set_major_locator(MaxNLocator(3 if len(ys) > 3 else 4))
    axes[0].set_ylim(-0.6, len(labels) - 0.4)  # a dot at either end clears the frame
    axes[0].invert_yaxis()  # first run on top, as in the table
    fig.tight_layout()
    return fig


def plot_crops(df, train_crop: int, resize: int, n_test: int | None = None):
    """Test accuracy against the test crop, with the training crop and the resize marked;
    given the crops' per-image hits, each accuracy with a whisker of two standard errors of
    its difference from the training crop, image by image (`paired_noise`), as the
    observations weigh them; else, given the number of test images `n_test`, two standard
    errors of each accuracy on its own."""
    fig, ax = _figure(6.4, 3.2)
    ax.plot(df["test crop"], df["test_acc"], marker="o", ms=3)
    trained = df.loc[df["test crop"] == train_crop, "hits"] if "hits" in df else []
    if len(trained):
        base = unpack_hits(trained.iloc[0])
        noise = [paired_noise(unpack_hits(h), base) for h in df["hits"]]
        # the level each whisker is read against: one that misses it is beyond the noise
        level = float(df.loc[df["test crop"] == train_crop, "test_acc"].iloc[0])
        ax.axhline(level, color="#c00", ls="--", lw=0.8, zorder=0,
                   label="the training crop's\naccuracy")
    else:
        noise = [accuracy_noise(n_test, a) for a in df["test_acc"]] if n_test else None
    if noise:
        ax.errorbar(df["test crop"], df["test_acc"], fmt="none", ecolor="#7a9cd0",
                    elinewidth=1.0, capsize=2, yerr=noise)
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, 0), min(hi, 100))  # no accuracy lies outside 0 to 100%
    ax.axvline(train_crop, color="#c00", ls="-", lw=0.8, zorder=0,  # under the whiskers
               label=f"training crop\n{train_crop} px")
    ax.axvline(resize, color="#888", ls=":", lw=1, zorder=0,
               label=f"resize {resize} px\n(larger crops: the\nwhole image, upscaled)")
    ax.set_xlabel("test crop (px)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0, legend_right(fig, *ax.get_legend_handles_labels()), 1))
    return fig
