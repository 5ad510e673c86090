"""Figures for the reports: the network and its blocks drawn from the spec, and the curves
and bars of training runs and studies (matplotlib, imported on first use)."""
from __future__ import annotations

from ..arch.space import NetSpec
from .tables import stage_sizes


def _box(ax, x, y, w, h, text, color="#dde8f5", fontsize=8):
    from matplotlib.patches import FancyBboxPatch
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                fc=color, ec="#333", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", (x1, y1), (x0, y0), arrowprops=dict(arrowstyle="->", lw=1, color="#333"))


def draw_network(spec: NetSpec):
    """The generic network (stem, stages, head) with this spec's numbers on it."""
    import matplotlib.pyplot as plt
    sizes = stage_sizes(spec)
    n = len(spec.stages)
    fig, ax = plt.subplots(figsize=(1.9 * (n + 4), 2.2))
    labels = [f"input\n{spec.in_channels}x{spec.input_size}x{spec.input_size}",
              f"stem\n{spec.kernel}x{spec.kernel} conv, s{spec.stem_stride}\n"
              f"{spec.stem_width}x{sizes[0]}x{sizes[0]}"]
    for i, (s, size) in enumerate(zip(spec.stages, sizes[1:]), 1):
        labels.append(f"stage {i}\nd={s.depth}, w={s.width}\ng={s.group_width}, "
                      f"b={s.bottleneck:g}, s{s.stride}\n{s.width}x{size}x{size}")
    labels += ["head\npool + linear", f"output\n{spec.num_classes} classes"]
    colors = ["#eee", "#f5e6cc"] + ["#dde8f5"] * n + ["#e0f0dd", "#eee"]
    for i, (text, color) in enumerate(zip(labels, colors)):
        _box(ax, i * 1.9, 0, 1.6, 1.5, text, color)
        if i:
            _arrow(ax, i * 1.9 - 1.1, 0, i * 1.9 - 0.8, 0)
    ax.set_xlim(-1, 1.9 * (len(labels) - 1) + 1)
    ax.set_ylim(-1, 1)
    ax.axis("off")
    ax.set_title(f"{spec.name}: stem, body of {n} stages, head", fontsize=10)
    fig.tight_layout()
    return fig


def draw_block(spec: NetSpec, stage: int = 1, downsample: bool = False):
    """The X block of a stage: its first block (downsample) or a repeat block, with numbers."""
    import matplotlib.pyplot as plt
    s = spec.stages[stage - 1]
    sizes = stage_sizes(spec)
    w_in = (spec.stem_width if stage == 1 else spec.stages[stage - 2].width) if downsample \
        else s.width
    stride = s.stride if downsample else 1
    r_in = sizes[stage - 1] if downsample else sizes[stage]
    r_out = sizes[stage]
    w_b, k = s.inner_width, spec.kernel
    steps = [f"input  {w_in}x{r_in}x{r_in}",
             f"1x1 conv {w_in} -> {w_b}, BN, ReLU",
             f"{k}x{k} conv {w_b} -> {w_b}, groups {s.groups} (g={s.group_width}), "
             f"stride {stride}, BN, ReLU"]
    if spec.se_ratio:
        steps.append(f"squeeze-excitation ({round(w_in * spec.se_ratio)} channels)")
    steps += [f"1x1 conv {w_b} -> {s.width}, BN", "+", f"ReLU  ->  {s.width}x{r_out}x{r_out}"]
    projection = w_in != s.width or stride != 1
    fig, ax = plt.subplots(figsize=(6.4, 0.75 * len(steps) + 0.6))
    ys = [len(steps) - i for i in range(len(steps))]
    for i, (text, y) in enumerate(zip(steps, ys)):
        if text == "+":
            ax.add_patch(plt.Circle((0, y), 0.22, fc="#fff", ec="#333"))
            ax.text(0, y, "+", ha="center", va="center", fontsize=12)
        else:
            _box(ax, 0, y, 4.6, 0.55, text, "#eee" if i in (0, len(steps) - 1) else "#dde8f5")
        if i:
            _arrow(ax, 0, ys[i - 1] - 0.3, 0, y + 0.3)
    plus_y = ys[steps.index("+")]
    short = (f"1x1 conv {w_in} -> {s.width},\nstride {stride}, BN" if projection
             else "identity")
    _box(ax, 3.6, (ys[0] + plus_y) / 2, 1.9, 0.9, short, "#f5e6cc" if projection else "#fff")
    ax.annotate("", (0.25, plus_y), (3.6, (ys[0] + plus_y) / 2 - 0.5),
                arrowprops=dict(arrowstyle="->", lw=1, color="#333",
                                connectionstyle="angle,angleA=-90,angleB=0"))
    ax.annotate("", (3.6, (ys[0] + plus_y) / 2 + 0.5), (2.3, ys[0]),
                arrowprops=dict(arrowstyle="->", lw=1, color="#333",
                                connectionstyle="angle,angleA=0,angleB=90"))
    ax.set_xlim(-2.6, 4.8)
    ax.set_ylim(0.3, len(steps) + 0.6)
    ax.axis("off")
    kind = "downsampling X block" if downsample else "standard X block"
    ax.set_title(f"{kind} (stage {stage}, stride {stride})", fontsize=10)
    fig.tight_layout()
    return fig


def plot_history(histories: dict, key: str, ylabel: str, title: str):
    """One line per run of a per-epoch metric (`key` of the metrics.jsonl rows)."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for label, history in histories.items():
        ax.plot([r["epoch"] for r in history], [r[key] for r in history],  # from 1
                marker="o" if len(history) < 20 else None, ms=3, label=str(label))
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if len(histories) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_bars(df, x: str, ys: list[str], title: str):
    """Side-by-side bar charts of a few columns against the varied parameter."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(ys), figsize=(3.3 * len(ys), 3.0))
    for ax, y in zip(axes if len(ys) > 1 else [axes], ys):
        ax.bar([str(v) for v in df[x]], df[y], color="#5b8bd0")
        ax.set_xlabel(x)
        ax.set_title(y, fontsize=9)
        ax.tick_params(axis="x", labelsize=8, rotation=30)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_crops(df, train_crop: int, resize: int):
    """Test accuracy against the test crop, with the training crop and the resize marked."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.plot(df["test crop"], df["test acc (%)"], marker="o", ms=3)
    ax.axvline(train_crop, color="#c00", ls="--", lw=1, label=f"training crop {train_crop}")
    ax.axvline(resize, color="#888", ls=":", lw=1, label=f"resize {resize} (larger crops: whole image, upscaled)")
    ax.set_xlabel("test crop (px)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
