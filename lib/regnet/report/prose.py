"""The sentences of a report that state a setting or a result, generated from the parameters
of the runs they describe and from their numbers, never typed.

Settings sentences (`dataset_phrase`, `schedule_phrase`, `study_settings`, `crop_settings`)
say what ran; `timing_sentence` says where time per epoch was measured and how busy the
machine was; the `*_observations` functions word what the numbers show as observations.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from .. import catalog

def numbers(values: Sequence) -> str:
    """'2', '2 and 3', '2, 3 and 5'."""
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def dataset_phrase(values: Mapping[str, Any], sizes: bool = True) -> str:
    """The data a run trains on, with the sizes in use (or just its name)."""
    from ..data import settings
    s = settings(values.data)
    text = catalog.dataset(values["DATASET"]).title
    if values["DATASET"] == "synthetic":
        text += (f" ({values['DATA_SYNTHETIC_TRAIN']:,} training and "
                 f"{values['DATA_SYNTHETIC_TEST']:,} test images)")
    if not sizes:
        return text
    classes = s["DATA_NUM_CLASSES"]
    channels = s["DATA_NUM_CHANNELS"]
    return (f"{text}, {f'{classes} classes, ' if classes else ''}{channels} channel"
            f"{'s' if channels != 1 else ''}: random {s['DATA_CROP']} px crops of "
            f"{s['DATA_IMAGE_SIZE']} px images for training; test images resized to "
            f"{s['DATA_RESIZE']} px and center-cropped to {s['DATA_TEST_CROP']} px")


def schedule_phrase(values: Mapping[str, Any], epochs: Sequence[int] | None = None) -> str:
    """Epochs, warm-up and cosine, batch, optimizer, and the precision when one was asked for
    (`auto` is what the device ran best: the provenance table's `speed` says which)."""
    top = values["TRAINING_LR_MAX"]
    warm = values["TRAINING_LR_INIT_EPOCHS"]
    total = numbers(epochs) if epochs else str(warm + values["TRAINING_LR_FINAL_EPOCHS"])
    ramp = (f"{warm} epoch{'s' if warm != 1 else ''} of linear warm-up from "
            f"{top * values['TRAINING_LR_INIT_SCALE']:g} to {top:g}, then "
            if warm else f"from {top:g}, ")
    return (f"{total} epochs ({ramp}a quarter cosine down to "
            f"{top * values['TRAINING_LR_FINAL_SCALE']:g}), batch {values['DATA_BATCH_SIZE']}, "
            f"{values['TRAINING_OPTIMIZER'].upper()}"
            + ("" if values["PRECISION"] == "auto" else f", {values['PRECISION']}"))


def network_phrase(spec) -> str:
    """A network by name, with its stages when it is the custom one."""
    if spec.name != "custom":
        return spec.name
    return (f"a custom network (depths {list(spec.depths)}, widths {list(spec.widths)}, "
            f"stem {spec.stem_width})")


def train_settings(values: Mapping[str, Any], spec) -> str:
    """The sentence that says what 02_train trains."""
    return (f"This run trains {network_phrase(spec)} at {spec.in_channels} x "
            f"{spec.input_size} x {spec.input_size} with {spec.num_classes} outputs on "
            f"{dataset_phrase(values)}, for {schedule_phrase(values)}.")


def study_settings(run_values: Sequence[Mapping[str, Any]], specs: Sequence) -> str:
    """What every run of a study shares, and the epochs and networks it varies."""
    first = run_values[0]
    epochs = list(dict.fromkeys(v["TRAINING_LR_INIT_EPOCHS"] + v["TRAINING_LR_FINAL_EPOCHS"]
                                for v in run_values))
    names = list(dict.fromkeys(s.name for s in specs))
    if names == ["custom"]:
        nets = network_phrase(specs[0]) if len({(tuple(s.depths), tuple(s.widths))
                                                for s in specs}) == 1 else "custom networks"
    else:
        nets = numbers([network_phrase(s) for s in dict((s.name, s) for s in specs).values()])
    size = f"{specs[0].in_channels} x {specs[0].input_size} x {specs[0].input_size}"
    return (f"Each of the {len(run_values)} runs trains {nets} at {size} with "
            f"{specs[0].num_classes} outputs on {dataset_phrase(first)}, for "
            f"{schedule_phrase(first, epochs if len(epochs) > 1 else None)}.")


def crop_settings(values: Mapping[str, Any], spec, crops: tuple[int, int]) -> str:
    """What the crop study evaluates."""
    from ..data import settings
    s = settings(values.data)
    return (f"The network of the training report ({network_phrase(spec)}, trained for "
            f"{values['TRAINING_LR_INIT_EPOCHS'] + values['TRAINING_LR_FINAL_EPOCHS']} epochs "
            f"on random {s['DATA_CROP']} px crops of {s['DATA_IMAGE_SIZE']} px images from "
            f"{dataset_phrase(values, sizes=False)}) is evaluated with its best checkpoint on "
            f"the test images resized to "
            f"{s['DATA_RESIZE']} px and center-cropped to each size from {crops[0]} to "
            f"{crops[1]} px.")


def timing_sentence(summaries: Sequence[Mapping[str, Any]], what: str = "Time per epoch") -> str:
    """Where `what` was measured and how busy the machine was meanwhile."""
    if not summaries:
        return f"{what} has no record of the machine it was measured on."
    devices = numbers(sorted({s["device"] for s in summaries}))
    loads = [s["load_avg"] for s in summaries if s.get("load_avg")]
    cpus = next((s["cpus"] for s in summaries if s.get("cpus")), None)
    text = f"{what} was measured on {devices}"
    if not loads or not cpus:
        return text + "; the load of the machine was not recorded."
    low, high = min(lo for lo, _ in loads), max(hi for _, hi in loads)
    busy = high > cpus  # more work waiting than cores: the runs shared the machine
    return (text + f"; the 1-minute load average during training was {low:.1f} to "
            f"{high:.1f} on {cpus} CPU cores, " + (
                "so the machine was busy with other work and the times do not compare "
                "between runs." if busy else "so the machine was not overloaded."))


# --- observations -------------------------------------------------------------------------

def train_observations(summary: Mapping[str, Any]) -> str:
    """What one training run shows."""
    h = summary["history"]
    return (f"After {summary['epochs']} epochs the test accuracy was "
            f"{summary['test acc (%)']:.2f}% (top-5 {summary['test top-5 (%)']:.2f}%); the "
            f"best epoch was {max(h, key=lambda r: r['test_acc'])['epoch']} with "
            f"{summary['best test acc (%)']:.2f}%. The training loss went from "
            f"{h[0]['train_loss']:.3f} after epoch 1 to {h[-1]['train_loss']:.3f}, and the "
            f"training accuracy from {h[0]['train_acc']:.1f}% to {h[-1]['train_acc']:.1f}%.")


RUN_NAMES = {"epochs": "{} epochs", "group width": "group width {}"}


def run_name(column: str, value) -> str:
    """A run as a sentence names it: '5 epochs', 'group width 8', '400mf'."""
    return RUN_NAMES.get(column, "{}").format(value)


def runs_observations(df) -> str:
    """Best and worst run, and the spread of cost and time, in one study."""
    acc, label = "test acc (%)", df.columns[0]
    best, worst = df.loc[df[acc].idxmax()], df.loc[df[acc].idxmin()]
    fast, slow = df.loc[df["time/epoch (s)"].idxmin()], df.loc[df["time/epoch (s)"].idxmax()]
    name = lambda row: run_name(label, row[label])  # noqa: E731
    text = (f"Of the {len(df)} runs, {name(best)} reached the highest final test accuracy "
            f"({best[acc]:.2f}%) and {name(worst)} the lowest ({worst[acc]:.2f}%), a spread of "
            f"{best[acc] - worst[acc]:.2f} points. "
            + (f"Parameters ranged from {df['params'].min():,} to {df['params'].max():,}; "
               if df["params"].nunique() > 1 else
               f"Every run has the same {df['params'].iloc[0]:,} parameters; ")
            + f"time per epoch went from {fast['time/epoch (s)']:.1f} s ({name(fast)}) to "
            f"{slow['time/epoch (s)']:.1f} s ({name(slow)}).")
    if df["epochs"].nunique() > 1:
        short, long = df.loc[df["epochs"].idxmin()], df.loc[df["epochs"].idxmax()]
        text += (f" From {short['epochs']} to {long['epochs']} epochs the final training "
                 f"loss went from {short['train loss']:.3f} to {long['train loss']:.3f} and "
                 f"the test accuracy changed by {long[acc] - short[acc]:+.2f} points.")
    return text


def series_observations(df) -> str:
    """For runs labelled 'series: ...': what fewer parameters cost within each series (empty
    when the runs have no series)."""
    label, acc = df.columns[0], "test acc (%)"
    parts = []
    for series in dict.fromkeys(str(v).split(": ")[0] for v in df[label] if ": " in str(v)):
        rows = df[[str(v).startswith(series + ":") for v in df[label]]]
        if len(rows) < 2:
            continue
        a, b = rows.iloc[0], rows.iloc[-1]
        parts.append(
            f"In the {series} runs, going from {a[label].split(': ')[1]} to "
            f"{b[label].split(': ')[1]} cut the parameters by "
            f"{(1 - b['params'] / a['params']) * 100:.0f}% ({a['params']:,} to "
            f"{b['params']:,}) and the MACs by {(1 - b['MACs'] / a['MACs']) * 100:.0f}%, "
            f"changed the test accuracy by {b[acc] - a[acc]:+.2f} points and the time per "
            f"epoch by {(b['time/epoch (s)'] / a['time/epoch (s)'] - 1) * 100:+.0f}%.")
    return " ".join(parts)


def readings_sentence(df) -> str:
    """How seed 001's groups and the paper's group widths differ, from the built networks."""
    label = df.columns[0]
    firsts = {}
    for v, spec, params in zip(df[label], df["spec"], df["params"]):
        if ": " in str(v):  # runs labelled "series: ..." (extra E: seed 001, paper)
            firsts.setdefault(str(v).split(": ")[0], (spec, params))
    if len(firsts) < 2:
        return ""
    (sa, (a, pa)), (sb, (b, pb)) = list(firsts.items())[:2]

    def per_stage(spec, key):
        return "/".join(str(getattr(st, key)) for st in spec.stages)
    return (f"The {sa} runs keep the group width of each stage at {per_stage(a, 'group_width')} "
            f"channels and shrink the number of groups with the bottleneck "
            f"({per_stage(a, 'groups')} groups at b = {a.stages[0].bottleneck:g}), while the "
            f"{sb} runs keep {per_stage(b, 'groups')} groups and narrow each group instead "
            f"(group width {per_stage(b, 'group_width')} at b = {b.stages[0].bottleneck:g}), "
            f"so at b = {a.stages[0].bottleneck:g} the {sa} network has {pa:,} parameters and "
            f"the {sb} one {pb:,}.")


def crop_observations(df, train_crop: int, resize: int) -> str:
    """Accuracy at the training crop, the best crop, and the change per px on each side."""
    acc = "test acc (%)"
    at = df.loc[df["test crop"] == train_crop, acc]
    best = df.loc[df[acc].idxmax()]
    text = (f"The best test crop was {int(best['test crop'])} px with {best[acc]:.2f}%")
    if len(at):
        base = float(at.iloc[0])
        text += (f", {best[acc] - base:+.2f} points against the training crop "
                 f"({train_crop} px, {base:.2f}%)")
        below = df[df["test crop"] <= train_crop]
        above = df[df["test crop"] >= train_crop]
        for part, where in ((below, "below"), (above, "above")):
            if len(part) > 1:
                span = part["test crop"].iloc[-1] - part["test crop"].iloc[0]
                slope = (part[acc].iloc[-1] - part[acc].iloc[0]) / span
                text += (f"; {where} it, accuracy changed by {slope:+.2f} points per px on "
                         f"average ({int(part['test crop'].iloc[0])} to "
                         f"{int(part['test crop'].iloc[-1])} px)")
    beyond = df[df["test crop"] > resize]
    if len(beyond):
        text += (f". Crops above the resize ({resize} px) show the whole image upscaled; "
                 f"there the accuracy was {beyond[acc].min():.2f}% to {beyond[acc].max():.2f}%")
    return text + "."


def design_space_observations(summary, claims) -> str:
    """Which space had the lowest mean error, and how many claims this sweep agrees with."""
    best = summary.loc[summary["mean"].idxmin()]
    tested = claims[claims["consistent"].notna()]
    agree = int(tested["consistent"].astype(bool).sum())
    return (f"Across {int(summary['n'].sum())} trained models, {best['label']} had the lowest "
            f"mean error ({best['mean']:.1f}%, n = {int(best['n'])}). Of the "
            f"{len(claims)} claims, {len(tested)} could be tested with these models and the "
            f"numbers agree with {agree} of them.")
