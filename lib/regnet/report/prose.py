"""The sentences of a report that state a setting or a result, generated from the parameters
of the runs they describe and from their numbers, never typed.

Settings sentences (`dataset_phrase`, `schedule_phrase`, `study_settings`, `crop_settings`)
say what ran; `timing_sentence` says where time per epoch was measured and how busy the
machine was; the `*_observations` functions word what the numbers show as observations.
"""
from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from functools import cached_property
from statistics import NormalDist
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import catalog
from ..arch import space
from ..data import settings
from ..study import analysis
from ..study.runs import half_up, unpack_hits


def signed(value: float, decimals: int, sep: str = "") -> str:
    """A signed number as print sets it: +1.25, −8.75 (a minus sign, not a hyphen), and a
    zero as it rounds, unsigned: 0.00."""
    value = half_up(value, decimals)
    return format(abs(value) if value == 0 else value, f"{'' if value == 0 else '+'}{sep}."
                  f"{decimals}f").replace("-", "\u2212")


def typeset_spaces(text: str) -> str:
    """Design-space names as the paper sets them, the letter subscript (HTML):
    AnyNetX_A -> AnyNetX<sub>A</sub>."""
    return re.sub(r"AnyNetX_([A-E])", r"AnyNetX<sub>\1</sub>", str(text))


def decimal(value: float) -> str:
    """A number as a reader writes it: 0.00005, not 5e-05."""
    text = f"{value:g}"
    return f"{value:.12f}".rstrip("0").rstrip(".") if "e" in text else text


def numbers(values: Sequence) -> str:
    """'2', '2 and 3', '2, 3 and 5'."""
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def dataset_phrase(values: Mapping[str, Any], sizes: bool = True) -> str:
    """The data a run trains on, with the sizes in use (or just its name)."""
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
            f"{'s' if channels != 1 else ''}: {augment_phrase(values)} for training; test "
            f"images resized to {s['DATA_RESIZE']} px and center-cropped to "
            f"{s['DATA_TEST_CROP']} px")


def augment_phrase(values: Mapping[str, Any]) -> str:
    """The training augmentation in words, with its sizes."""
    s = settings(values.data)
    crop, image = s["DATA_CROP"], s["DATA_IMAGE_SIZE"]
    recipe = s["DATA_AUGMENT"]
    if recipe == "rrc":
        return (f"random resized crops to {crop} px (each {values.data.scale_min:g} to 1 of a "
                f"{image} px image's area), flipped at random")
    if recipe == "pad-crop":
        return (f"random {crop} px crops of {image} px images "
                f"({catalog.AUGMENTS[recipe].description})")
    if recipe == "flip":
        return f"the {crop} px center crop of {image} px images, flipped at random"
    return f"{catalog.AUGMENTS[recipe].description}, {crop} px from {image} px images"


def dims(*sizes: int) -> str:
    """A shape as one unbreakable token: "3 × 56 × 56" with no-break spaces."""
    return "\u00a0×\u00a0".join(str(n) for n in sizes)


def network_name(name: str) -> str:
    """A network as the paper names it: 200mf -> RegNetX-200MF, regnety_1.6gf ->
    RegNetY-1.6GF; custom -> custom network."""
    if name == "custom":
        return "custom network"
    if name.startswith("RegNet"):  # named already
        return name
    family, _, size = name.rpartition("_")
    family = {"": "RegNetX", "regnetx": "RegNetX", "regnety": "RegNetY"}.get(family, family)
    return f"{family}-{size.upper()}"


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def _span(first: int, last: int) -> str:
    return f"epoch {first}" if first == last else f"epochs {first}–{last}"


def schedule_phrase(values: Mapping[str, Any]) -> str:
    """The learning rate of one run epoch by epoch, as the schedule's rate table gives it
    (engine/schedule.py): the warm-up epochs climb from the initial rate towards the peak
    without reaching it, the first cosine epoch runs at the peak and the last at the final
    rate (a single cosine epoch stays at the peak)."""
    top = values["TRAINING_LR_MAX"]
    init = top * values["TRAINING_LR_INIT_SCALE"]
    final = top * values["TRAINING_LR_FINAL_SCALE"]
    warm, cosine = values["TRAINING_LR_INIT_EPOCHS"], values["TRAINING_LR_FINAL_EPOCHS"]
    parts = []
    if warm == 1:
        parts.append(f"epoch 1 warms up at {init:g}")
    elif warm > 1:
        parts.append(f"{_span(1, warm)} warm up linearly from {init:g} to "
                     f"{init + (top - init) * (warm - 1) / warm:g}")
    if cosine == 1:
        parts.append(f"epoch {warm + 1} runs at the peak {top:g} (a one-epoch cosine does not "
                     "decay)")
    elif cosine == 2:
        parts.append(f"epoch {warm + 1} runs at the peak {top:g} and epoch {warm + 2} at "
                     f"{final:g}")
    elif cosine > 2:
        parts.append(f"{_span(warm + 1, warm + cosine)} fall along a quarter cosine from the "
                     f"peak {top:g} to {final:g}")
    every = " (set every step, between these rates)" if values.get(
        "TRAINING_LR_PER_ITERATION") else ""
    cold = " without warm-up" if not warm else ""  # the first step is at the peak rate
    return f"{_epochs(warm + cosine)}{cold}: " + ", then ".join(parts) + every


def recipe_phrase(values: Mapping[str, Any]) -> str:
    """Batch, optimizer, weight decay and label smoothing, in words."""
    opt = values["TRAINING_OPTIMIZER"].upper()
    nesterov = "Nesterov " if opt == "SGD" and values.get("TRAINING_NESTEROV") else ""
    extras = [f"{nesterov}momentum {values['TRAINING_MOMENTUM']:g}"] if opt == "SGD" else []
    if values.get("TRAINING_WEIGHT_DECAY"):
        extras.append(f"weight decay {decimal(values['TRAINING_WEIGHT_DECAY'])}")
    if values.get("TRAINING_LABEL_SMOOTHING"):
        extras.append(f"label smoothing {values['TRAINING_LABEL_SMOOTHING']:g}")
    precision = "" if values["PRECISION"] == "auto" else f", in {values['PRECISION']}"
    return (f"batches of {values['DATA_BATCH_SIZE']} with {opt} ({', '.join(extras)})"
            + precision)


def stage_name(key: str) -> str:
    """A stage as the text names it: s1 -> stage 1; stem and head stay."""
    return f"stage {key[1:]}" if re.fullmatch(r"s\d+", key) else key


#: Operator roles (`complexity.Operator.role`) as a sentence names them, in the plural.
OPERATOR_KINDS = {"1×1 in": "the blocks' first 1×1 convs",
                  "1×1 out": "the blocks' last 1×1 convs",
                  "3×3 grouped": "the grouped 3×3 convs", "projection": "the projection convs",
                  "stem conv": "the stem conv", "classifier": "the classifier",
                  "batch norms": "the batch norms"}


def _ones_against_grouped(shares) -> str:
    """The 1×1 convs' share of the parameters and MACs against the grouped 3×3 convs' ("" if
    the network has not both)."""
    ones = shares[shares["operator"].isin(["1×1 in", "1×1 out", "projection"])]
    grouped = shares[shares["operator"] == "3×3 grouped"]
    if not (len(ones) and len(grouped)):
        return ""
    g = grouped.iloc[0]
    return (f"Together the 1×1 convs (in, out and projection) hold "
            f"{ones['% of parameters'].sum():.1f}% of the parameters and "
            f"{ones['% of MACs'].sum():.1f}% of the MACs, the grouped 3×3 convs, which do all "
            f"the spatial mixing inside the blocks, {g['% of parameters']:.1f}% and "
            f"{g['% of MACs']:.1f}%.")


def shares_sentence(shares) -> str:
    """Where a network's parameters and MACs sit, from `tables.role_shares`: the kinds of
    operator holding the most of each, and the 1×1 convs against the grouped 3×3 convs."""
    top = {col: shares.loc[shares[col].idxmax()] for col in ("Parameters", "MACs")}
    kind = {col: OPERATOR_KINDS.get(row["operator"], row["operator"])
            for col, row in top.items()}
    text = (f"{kind['Parameters'][:1].upper()}{kind['Parameters'][1:]} hold the largest share "
            f"of the parameters ({top['Parameters']['% of parameters']:.1f}%)"
            + (" and of the MACs" if kind["MACs"] == kind["Parameters"]
               else f", {kind['MACs']} the largest share of the MACs")
            + f" ({top['MACs']['% of MACs']:.1f}%).")
    return " ".join(filter(None, [text, _ones_against_grouped(shares)]))


def ones_before_stride(rows) -> str:
    """Why the blocks' first 1×1 convs can cost more MACs than their last with fewer
    parameters: in a block whose grouped conv has stride 2, the first 1×1 conv runs on the
    input grid before the stride, four times the positions of the last ("" where the first
    1×1 convs do not cost more)."""
    def total(role, key):
        return sum(getattr(r, key) for r in rows if r.role == role)
    if not total("1×1 in", "macs") > total("1×1 out", "macs"):
        return ""
    strided = {(r.stage, r.block) for r in rows if r.role == "3×3 grouped" and r.stride > 1}
    before = [r for r in rows if r.role == "1×1 in" and (r.stage, r.block) in strided]
    if not before:
        return ""
    fewer = total("1×1 in", "params") < total("1×1 out", "params")
    gap = total("1×1 in", "macs") - total("1×1 out", "macs")
    there = sum(r.macs for r in before) - sum(r.macs for r in rows if r.role == "1×1 out"
                                             and (r.stage, r.block) in strided)
    return (f"The blocks' first 1×1 convs cost more MACs than their last "
            f"({total('1×1 in', 'macs'):,} against {total('1×1 out', 'macs'):,})"
            + (f" with fewer parameters ({total('1×1 in', 'params'):,} against "
               f"{total('1×1 out', 'params'):,})" if fewer else "")
            + ": in the first block of "
            + (f"stages {numbers([r.stage[1:] for r in before])}" if len(before) > 1 else
               stage_name(before[0].stage))
            + (" (each halves the grid)" if len(before) > 1 else ", which halves the grid,")
            + " the first 1×1 conv runs before the stride, on four times the positions of "
              "the last; "
            + (f"{'those blocks' if len(before) > 1 else 'that block'} account for the whole "
               f"difference of {gap:,} MACs." if there == gap else
               f"{'those blocks' if len(before) > 1 else 'that block'} account for "
               f"{there:,} of the {gap:,} MACs between them."))


def shares_answer(shares) -> str:
    """The one sentence that sums up where the parameters and MACs sit."""
    return _ones_against_grouped(shares) or shares_sentence(shares)


def place_name(stage: str, block: str) -> str:
    """Where an operator sits: 'stage 1, block 2', 'stem', 'head'."""
    return stage_name(stage) + (f", block {block[1:]}" if block else "")


def places(names: Sequence[str]) -> str:
    """Places named by `place_name`, shortened: "stages 1, 2 and 4", "block 1 of stages 2
    and 3", or listed as they are."""
    def joined(items):
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    parts = [re.fullmatch(r"stage (\d+)(?:, block (\d+))?", n) for n in names]
    if len(names) > 1 and all(parts) and len({m.group(2) for m in parts}) == 1:
        stages = "stages " + joined([m.group(1) for m in parts])
        block = parts[0].group(2)
        return f"block {block} of {stages}" if block else stages
    return joined(list(names))


def stem_strides(spec) -> str:
    """The stem's width and the strides s_0 and s_1 of the generic drawing, for `spec` (and,
    for a course network, for the paper's network it modifies)."""
    def symbols(net):
        return (f"$w_{{stem}} = {net.stem_width}$, $s_0 = {net.stem_stride}$ and "
                f"$s_1 = {net.stages[0].stride}$")
    if spec.name not in space.COURSE:
        return f"In {network_name(spec.name)}, {symbols(spec)}."
    paper = space.named(f"regnetx_{spec.name}")
    return (f"In the course's {network_name(spec.name)}, {symbols(spec)}; the paper's "
            f"{network_name(paper.name)} has {symbols(paper)} for its {paper.input_size} px "
            "inputs.")


def course_changes(paper, course) -> str:
    """What the course changed from the paper's network, compared field by field."""
    changes = []
    if (paper.stem_width, paper.stem_stride) != (course.stem_width, course.stem_stride):
        changes.append(f"a stem of {course.stem_width} channels with stride "
                       f"{course.stem_stride} (the paper: {paper.stem_width}, stride "
                       f"{paper.stem_stride})")
    if paper.stages[0].stride != course.stages[0].stride:
        changes.append(f"stride {course.stages[0].stride} in the first stage (the paper: "
                       f"{paper.stages[0].stride})")
    if paper.input_size != course.input_size:
        changes.append(f"{course.input_size} px inputs (the paper: {paper.input_size} px)")
    if paper.num_classes != course.num_classes:
        changes.append(f"{course.num_classes} classes (the paper: {paper.num_classes})")
    grid = stage_grids(course)[-1]  # the last stage's grid
    same = "the same depths, widths, group width and bottleneck ratio" if [
        (s.depth, s.width, s.group_width, s.bottleneck) for s in paper.stages] == [
        (s.depth, s.width, s.group_width, s.bottleneck) for s in course.stages] else \
        "its own stages"
    return (f"The course's {network_name(course.name)} keeps {same} as the paper's "
            f"{network_name(paper.name)} and differs from it in "
            f"{numbers(changes)}. With the stride-{course.stem_stride} stem and the "
            f"stride-{course.stages[0].stride} first stage the small images still reach the "
            f"last stage as a {dims(grid, grid)} grid." if changes else "")


def paper_macs_sentence(paper, paper_rows, course, course_rows) -> str:
    """How the course's network's MACs at its input compare with the paper's network's at
    the paper's, stage by stage: which parts cost the same, and where the difference sits."""
    def per_stage(rows):
        out: dict[str, int] = {}
        for op in rows:
            out[op.stage] = out.get(op.stage, 0) + op.macs
        return out
    mine, theirs = per_stage(course_rows), per_stage(paper_rows)
    total_p, total_c = sum(theirs.values()), sum(mine.values())
    same = [k for k in mine if k.startswith("s") and mine[k] == theirs.get(k)]
    stem_p = math.ceil(paper.input_size / paper.stem_stride)
    stem_c = math.ceil(course.input_size / course.stem_stride)
    why = {"stem": f"{paper.stem_width} channels at {dims(stem_p, stem_p)} against "
                   f"{course.stem_width} at {dims(stem_c, stem_c)}",
           "head": f"{paper.num_classes} outputs against {course.num_classes}"}
    if paper.stages[0].stride != course.stages[0].stride:
        why["s1"] = f"which the paper's network enters at {dims(stem_p, stem_p)} and halves"
    names = {"stem": "the stem", "head": "the classifier"}
    parts = [f"{names.get(k, stage_name(k))} "
             f"({theirs[k] - mine[k]:,}{', ' + why[k] if k in why else ''})"
             for k in theirs if k in mine and theirs[k] != mine[k]]
    text = (f"The paper's {network_name(paper.name)} counts {total_p:,} MACs at "
            f"{paper.input_size} px and {paper.num_classes} classes, which gives it its name; "
            f"the course's, {total_c:,} at {course.input_size} px.")
    if same:
        stages = (f"stages {numbers([k[1:] for k in same])}" if len(same) > 1 else
                  stage_name(same[0]))
        text += f" Their {stages} work on the same grids and cost the same"
        text += f"; the {total_p - total_c:,} MACs between them sit in {numbers(parts)}." \
            if parts else "."
    return text


def network_phrase(spec) -> str:
    """A network by name, with its stages when it is the custom one."""
    if spec.name != "custom":
        return network_name(spec.name)
    return (f"a custom network (depths {list(spec.depths)}, widths {list(spec.widths)}, "
            f"stem {spec.stem_width})")


#: What a synthetic image looks like (`data.datasets.synthetic`), for a reader to judge
#: what an accuracy on them means.
SYNTHETIC_LOOK = ("Each synthetic class is a colour overlaid with stripes at its own angle and "
                  "spacing; every image of it shifts the stripes at random and adds noise to "
                  "the colour and to each pixel, so a class is told apart by its colour and "
                  "stripes, an easier task than photographs.")


def stage_grids(spec) -> list[int]:
    """The side of each stage's output grid for `spec`'s input (a stride-2 3×3 conv with
    padding 1 halves a side, rounding up)."""
    side = math.ceil(spec.input_size / spec.stem_stride)
    grids = []
    for stage in spec.stages:
        side = math.ceil(side / stage.stride)
        grids.append(side)
    return grids


def grid_sentence(spec) -> str:
    """For a course network trained on crops smaller than its course input, the grids its
    stages work on against those at the course size ("" otherwise)."""
    if spec.name not in space.COURSE or spec.input_size >= space.named(spec.name).input_size:
        return ""
    design = space.named(spec.name)
    grids, last = stage_grids(spec), stage_grids(design)[-1]
    text = (f"At {spec.input_size} px its stages work on "
            f"{numbers([dims(n, n) for n in grids])} grids ({dims(last, last)} in the last "
            f"stage at {design.input_size} px)")
    if grids[-1] <= 2:
        text += (f", so every 3×3 window on the last stage's {dims(grids[-1], grids[-1])} grid "
                 "reaches past its edge")
    return text + (": a network trained this small says little about the network at its "
                   "course size.")


def train_settings(values: Mapping[str, Any], spec) -> str:
    """The paragraph that says what the training section trains, and how (on synthetic
    images, what they look like; on crops smaller than the course's, the grids the stages
    work on)."""
    return " ".join(filter(None, [
        f"This section trains {network_phrase(spec)} at "
        f"{dims(spec.in_channels, spec.input_size, spec.input_size)} with "
        f"{spec.num_classes} outputs on {dataset_phrase(values)}, in {recipe_phrase(values)}, "
        f"for {schedule_phrase(values)}.",
        SYNTHETIC_LOOK if values["DATASET"] == "synthetic" else "", grid_sentence(spec)]))


def sweep_setup(values: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> str:
    """How every sampled model trains: in full, or, given section 2's values (`base`), as
    section 2 does except where it differs, each difference said in full."""
    data, recipe, schedule = (dataset_phrase(values), recipe_phrase(values),
                              schedule_phrase(values))
    if base is None:
        return f"Every sampled model is trained on {data}, in {recipe}, for {schedule}."
    differs = []
    if data != dataset_phrase(base):
        named = dataset_phrase(values, sizes=False)
        same_sizes = data[len(named):] == dataset_phrase(base)[len(dataset_phrase(
            base, sizes=False)):]
        if same_sizes and values["DATASET"] == base["DATASET"] == "synthetic":
            named = (f"{values['DATA_SYNTHETIC_TRAIN']:,} training and "
                     f"{values['DATA_SYNTHETIC_TEST']:,} test images of the same kind "
                     f"(section 2: {base['DATA_SYNTHETIC_TRAIN']:,} and "
                     f"{base['DATA_SYNTHETIC_TEST']:,})")
        differs.append(f"on {named if same_sizes else data}")
    if recipe != recipe_phrase(base):
        differs.append(f"in {recipe}")
    if schedule != schedule_phrase(base):
        differs.append(f"for {schedule}")
    if not differs:
        return "Every sampled model is trained exactly as in section 2."
    return ("Every sampled model is trained as in section 2, except "
            + ", ".join(differs[:-1]) + (" and " if len(differs) > 1 else "") + differs[-1]
            + ".")


def section_setup(values: Mapping[str, Any]) -> str:
    """What every study of a section shares: data, batch, optimizer and the profile's
    schedule (a study that changes it says so); `weighing_setup` says how its differences
    are weighed."""
    total = values["TRAINING_LR_INIT_EPOCHS"] + values["TRAINING_LR_FINAL_EPOCHS"]
    crop, classes = settings(values.data)["DATA_CROP"], settings(values.data)["DATA_NUM_CLASSES"]
    text = (f"Every run in these studies is trained as in section 2 unless a study says "
            f"otherwise: on {dataset_phrase(values, sizes=False)}, with inputs of "
            f"{dims(3, crop, crop)} and {classes} outputs, the same batches, optimizer and "
            f"{total}-epoch schedule.")
    if values["REGNETX"] != "custom":  # a reader would take a repeated accuracy for agreement
        text += (f" Wherever a study trains {network_name(values['REGNETX'])} exactly as "
                 "section 2 does, it reuses section 2's run instead of training again: such a "
                 "row is section 2's run shown again, not a second run agreeing with it.")
    return text  # a demo on synthetic images says so once: the note above each report


def weighing_setup(values: Mapping[str, Any], seeds: Sequence[float] | None = None,
                   n_test: int | None = None, paired: bool = True,
                   between: float | None = None) -> list[str]:
    """How a section's studies weigh a difference between two runs (`Noise`), said once, as
    paragraphs: the test images' share (image by image with `paired`, where the runs kept
    their weights, else unpaired) and, where section 2 trained its network with several
    `seeds` (final accuracies over `n_test` test images), the seeds' spread, with the
    images on which two seeds disagree (`between`, v_seeds in points\u00b2, from the seeds'
    hits) taken out of it and the bound shown as an equation (its own paragraph) with
    Satterthwaite's degrees of freedom, or without those hits added as an independent error;
    then where section 2's run, which the studies reuse, sits among its seeds."""
    images = (" two standard errors of the mean per-image difference between the two runs, "
              "compared image by image (only the images one run got right and the other wrong "
              "move it, the idea behind McNemar's test, 1947)" if paired else f" {NOISE_MEANS}")
    held = f"the same {n_test} test images" if n_test else "the same test images"
    text = (f"Each setting is trained once, with one seed, and every run is tested on {held}. "
            "A difference between two runs therefore carries two kinds of noise: the seed "
            "that trained each network, and which images the test set happens to hold.")
    if not seeds or len(seeds) < 2:
        return [text + " Section 2 trained one seed, so the seed's share is not measured. "
                "The observations weigh each difference against the test images' share alone, "
                f"called the noise here, which is{images}. That is a lower bar than the whole "
                "noise between two runs, so a difference beyond it is a lead for more seeds to "
                "confirm, not a proof.", _WIDENED]
    sd, mean = statistics.stdev(seeds), sum(seeds) / len(seeds)
    free = len(seeds) - 1
    unpaired = image_noise(n_test, mean)
    alike = (" The seeds measure section 2's network and schedule only; the studies take "
             "their other networks and schedules to spread alike, an assumption each study "
             "checks against the spread of its own runs.")
    if paired and between is not None:
        twice = 2 * sd ** 2
        own = twice - between
        share = (f"The remaining {own:.1f} points\u00b2 is the training's own share. "
                 if own > 0 else "The seeds differ by no more than their disagreement on the "
                 "images, which leaves the training no share of its own that they can see. ")
        paragraphs = [text, (
            f"Section 2's {len(seeds)} seeds measure both together. Their accuracies have a "
            f"standard deviation s = {sd:.2f} points, so a difference between two seeds has a "
            f"variance of 2s\u00b2 = {twice:.1f} points\u00b2. The seeds were tested on the "
            "same images, so a difference between two of them moves only on the images one "
            "got right and the other wrong (the idea behind McNemar's test, 1947); the variance "
            "this gives their mean difference, averaged over every pair of seeds, is "
            f"v_seeds = {between:.1f} points\u00b2, {between / twice:.0%} of 2s\u00b2. "
            + share + "Two runs of a study whose own image-by-image variance v is larger than "
            "v_seeds disagree on more images than two seeds do, and the 95% bound on their "
            "difference is"),
            r"$$\pm\, t_{\nu}\,\sqrt{2s^2 - v_{\mathrm{seeds}} + v}$$"]
        example = 2 * between  # a pair that disagrees twice as much as two seeds do
        nu = satterthwaite(twice, between, example, len(seeds), n_test or 10 ** 6)
        t = _t(1, nu)
        paragraphs.append(
            "with t the 97.5% point of Student's t at \u03bd degrees of freedom, from "
            f"Satterthwaite's rule (1946): 2s\u00b2 is measured by {len(seeds)} seeds ({free} "
            f"degrees of freedom), v and v_seeds by {n_test or 'the'} images. For example, a pair "
            f"with v = {example:.1f} points\u00b2, twice v_seeds, has \u03bd = {nu:.1f} and a "
            f"bound of {t:.2f} \u00d7 \u221a{twice + between:.1f} = "
            f"\u00b1{t * math.sqrt(twice + between):.1f} points. Two runs that disagree on no "
            "more images than two seeds do are held to the seeds' own bound, "
            f"\u00b1{seed_bound(seeds):.1f} points: 2s\u00b2, from {len(seeds)} seeds, is "
            "too loose a measure to take anything off." + alike)
    else:
        text += (f" Section 2 measured the first on its network: its {len(seeds)} seeds ended "
                 f"with a standard deviation s of {sd:.2f} points, so two runs that differ only "
                 f"in their seed end within ±{seed_bound(seeds):.1f} points of each other "
                 f"95% of the time (Student's t with {free} degree{'s' if free > 1 else ''} of "
                 "freedom, since so few seeds measure their spread only loosely). The second, "
                 "the test images' share, is"
                 + (images if paired or unpaired is None else
                    f" {NOISE_MEANS} (binomial, ±{unpaired:.1f} at {mean:.2f}%)")
                 + ". The observations call the two together the noise, added as independent "
                 "errors add (the square root of the sum of their squares), which overstates "
                 "it a little: the seeds' spread, measured on these same images, already "
                 "holds some of the test images' share." + alike)
        paragraphs = [text]
    paragraphs.append(_WIDENED)
    first = seeds[0]
    if values["REGNETX"] == "custom" or half_up(first) == half_up(mean):
        return paragraphs
    low = first < mean
    n = len(seeds)
    return paragraphs + [f"Section 2's run, which these studies reuse wherever they train "
                  f"{network_name(values['REGNETX'])} as section 2 does, scored {first:.2f}%, "
                  f"{abs(mean - first):.2f} points {'below' if low else 'above'} the mean of "
                  f"its seeds ({half_up(mean):.2f}%), so a difference from it favours "
                  f"{'the other run' if low else 'section 2' + chr(39) + 's run'} by about "
                  "that much. Where a study compares with it, the observations also give the "
                  "difference from the seeds' mean. That difference is one run against a mean "
                  f"of {n}, so the seeds give it a variance of (1 + 1/{n})s\u00b2, where a "
                  "difference between two runs has 2s\u00b2."]


#: How a sentence that picks the largest of several differences weighs it; said once.
_WIDENED = ("Where a comparison picks the largest of several differences after the fact (the "
            "best run against the weakest), its bound is widened (Bonferroni), so that when no "
            "setting truly matters all the differences stay within their bounds 95% of the "
            "time; a study's planned comparison, its shortest schedule against its longest or "
            "its first network against its last, is one difference chosen beforehand and keeps "
            "its bound. In the figures, "
            "each accuracy's whisker is half the widest bound of one difference between two of "
            "the runs: two runs chosen beforehand whose whiskers do not overlap differ beyond "
            "the noise, while the most distant of several runs need the widened bound.")


def study_settings(base: Mapping[str, Any], run_values: Sequence[Mapping[str, Any]],
                   specs: Sequence) -> str:
    """What a study's runs train, and their schedule only where it differs from `base`'s."""
    names = list(dict.fromkeys(s.name for s in specs))
    if names == ["custom"]:
        nets = network_phrase(specs[0]) if len({(tuple(s.depths), tuple(s.widths))
                                                for s in specs}) == 1 else "custom networks"
    elif "custom" in names and len({(tuple(s.depths), tuple(s.widths), s.stem_width)
                                   for s in specs}) == 1:
        named = next(s for s in specs if s.name != "custom")  # one network, groups aside
        nets = f"{network_name(named.name)}'s stages (its depths, widths and stem)"
    else:
        nets = numbers([network_phrase(s) for s in dict((s.name, s) for s in specs).values()])
    text = f"The {len(run_values)} runs train {nets}"
    shown = settings(base.data)
    if (specs[0].input_size, specs[0].num_classes) != (shown["DATA_CROP"],
                                                       shown["DATA_NUM_CLASSES"]):
        size = dims(specs[0].in_channels, specs[0].input_size, specs[0].input_size)
        text += f" at {size} with {specs[0].num_classes} outputs"  # not the section's
    schedules = list(dict.fromkeys(schedule_phrase(v) for v in run_values))
    if len(schedules) == 1 and schedules != [schedule_phrase(base)]:
        text += f", for {schedules[0]}"
    elif len(schedules) > 1:
        totals = [v["TRAINING_LR_INIT_EPOCHS"] + v["TRAINING_LR_FINAL_EPOCHS"] for v in run_values]
        text += (f", for {numbers(sorted(set(totals)))} epochs: the same warm-up, and the "
                 "cosine stretched over the epochs that follow it")
        single = [t for t, v in zip(totals, run_values) if v["TRAINING_LR_FINAL_EPOCHS"] == 1]
        if single:
            text += (f" (the {single[0]}-epoch run has one cosine epoch, which stays at the peak "
                     f"rate {run_values[0]['TRAINING_LR_MAX']:g})")
    stems = list(dict.fromkeys(s.stem_width for s in specs))
    first = specs[0].stages[0]
    if len(stems) == 1 and stems[0] != first.width and first.stride == 1:  # its cost shows it
        text += (f". Its stem ({stems[0]} channels) is narrower than stage 1 ({first.width}), "
                 "so stage 1's first block, of stride 1, has a projection shortcut")
    if len(stems) > 1:  # the study's table has no room for them; its parameters depend on them
        if all(s.stem_width == s.stages[0].width and s.stages[0].stride == 1 for s in specs):
            text += (f". Each stem is as wide as its network's first stage ({numbers(stems)} "
                     "channels, in the order of the table), so that the first block, of stride "
                     "1, keeps an identity shortcut, as in the course's RegNetX-200MF")
        else:
            text += f". Their stems are {numbers(stems)} channels wide, in the order of the table"
    return text + "."


def crop_settings(values: Mapping[str, Any], spec, crops: tuple[int, int]) -> str:
    """What the crop study evaluates."""
    s = settings(values.data)
    return (f"The network of section 2, {network_phrase(spec)}, was trained on "
            f"{augment_phrase(values)}. Here it is evaluated with its final weights on the test "
            f"images resized to {s['DATA_RESIZE']} px and center-cropped to each size from "
            f"{crops[0]} to {crops[1]} px.")


def apparent_size(values: Mapping[str, Any]) -> float | None:
    """The side (px) at which the whole test image shows objects as large, on average, as the
    training's random resized crops do (Touvron et al.): a crop covering a share s of the
    image's area, shown at `DATA_CROP` px, magnifies it by crop / (√s · image); the
    whole image at c px by c / image; with s uniform over [scale_min, 1] the mean of 1/√s
    is 2 / (1 + √scale_min). None unless training took random resized crops."""
    s = settings(values.data)
    if s["DATA_AUGMENT"] != "rrc":
        return None
    return s["DATA_CROP"] * 2 / (1 + math.sqrt(values.data.scale_min))


def apparent_size_sentence(values: Mapping[str, Any], crops) -> str:
    """Where Touvron et al.'s argument puts the best test crop (`apparent_size`), against the
    best crop of the study's table `crops`; '' without random resized crops."""
    side = apparent_size(values)
    if side is None or not len(crops):
        return ""
    crop, low = settings(values.data)["DATA_CROP"], values.data.scale_min
    acc = crops["test_acc"].astype(float).map(half_up)
    best = int(crops["test crop"].astype(int)[acc.idxmax()])
    return (f" Touvron et al.'s argument says where the best crop should lie: a training crop "
            f"covers a share s of the image's area, uniform from {low:g} to 1, and shown at "
            f"{crop} px it makes objects on average 2/(1 + \u221a{low:g}) = "
            f"{2 / (1 + math.sqrt(low)):.2f} times as large as the whole image shown at "
            f"{crop} px does; the whole image shows them that large at {side:.1f} px. The "
            f"best crop here, {best} px, is {abs(best - side):.1f} px from it"
            + (", as the argument predicts." if abs(best - side) <= 1 else
               ", so these numbers do not bear the prediction out."))


def mac_fraction(results, crop: int) -> str:
    """What share of its regime MACs each sampled model costs at the training crop, computed
    per model from its counted MACs at both sizes."""
    share = (results["trained_macs"].astype(float) / results["macs"].astype(float)).dropna()
    if not len(share):
        return ""
    lo, hi = share.min() * 100, share.max() * 100
    span = f"{lo:.1f}%" if f"{lo:.1f}" == f"{hi:.1f}" else f"{lo:.1f}% to {hi:.1f}%"
    return (f"Each model is trained and tested here at {crop} px, where it costs {span} of "
            "those MACs, depending on the model.")


def load_record(summaries: Sequence[Mapping[str, Any]]) -> str:
    """The machine's 1-minute load average while the runs trained, for the provenance."""
    loads = [s["load_avg"] for s in summaries if s.get("load_avg")]
    cpus = next((s["cpus"] for s in summaries if s.get("cpus")), None)
    if not loads or not cpus:
        return "not recorded"
    return (f"{min(lo for lo, _ in loads):.1f} to {max(hi for _, hi in loads):.1f} on "
            f"{cpus} CPU cores")


def device_phrase(device: str, cpus: int | None = None) -> str:
    """A device as a sentence names it: 'a 2-core CPU', 'an NVIDIA H100 GPU'."""
    gpu = re.fullmatch(r"cuda(?::\d+)? \((.+)\)", device)
    if gpu:
        return f"an {gpu.group(1)} GPU"
    if device.startswith("cpu"):
        cores = re.search(r"(\d+) cores", device)
        n = cores.group(1) if cores else cpus
        return f"a {n}-core CPU" if n else "a CPU"
    return device


def timing_sentence(summaries: Sequence[Mapping[str, Any]], what: str = "Times per epoch") -> str:
    """Where `what` was measured and whether the machine was busy meanwhile (the load
    averages themselves are in the provenance)."""
    if not summaries:
        return f"{what} have no record of the machine they were measured on."
    devices = numbers(sorted({device_phrase(s["device"], s.get("cpus"))
                              for s in summaries}))
    loads = [s["load_avg"] for s in summaries if s.get("load_avg")]
    cpus = next((s["cpus"] for s in summaries if s.get("cpus")), None)
    text = f"{what} were measured on {devices}"
    if not loads or not cpus:
        return text + "."
    if max(hi for _, hi in loads) > cpus:  # more work waiting than cores: a shared machine
        return text + (", which other work kept busy meanwhile: they compare only roughly "
                       "between runs.")
    return text + ", which had no other work waiting while they ran."


# --- observations -------------------------------------------------------------------------

def train_observations(summary, classes: int = 100) -> str:
    """What one training run (a `runs.RunSummary`) shows: final and best accuracy (top-5
    only with more than 10 `classes`), and how far training and test accuracy ended apart."""
    h = summary.history
    best = max(h, key=lambda r: r["test_acc"])
    gap = half_up(h[-1]["train_acc"]) - half_up(h[-1]["test_acc"])
    top5 = f" (top-5 {summary.test_top5:.2f}%)" if classes > 10 else ""
    n_test = getattr(summary, "test_images", None)
    on = (f" on the {n_test:,} test images (\u00b1{accuracy_noise(n_test, summary.test_acc):.1f}"
          " points: two standard errors of an accuracy over so many images)" if n_test else "")
    text = f"It is the accuracy{on} after the last of {summary.epochs} epochs{top5}"
    if best["epoch"] == h[-1]["epoch"]:
        text += ", which was also the best epoch. "
    else:
        text += f"; the best epoch was {best['epoch']} with {summary.best_test_acc:.2f}%. "
    text += f"Guessing among {classes} classes would score {100 / classes:.3g}%. "
    text += (f"The training loss fell from {h[0]['train_loss']:.3f} after epoch 1 to "
             f"{h[-1]['train_loss']:.3f}. In the last epoch the training accuracy "
             f"({h[-1]['train_acc']:.2f}%) was {abs(gap):.2f} points "
             f"{'above' if gap >= 0 else 'below'} the test accuracy ({h[-1]['test_acc']:.2f}%)")
    measured = ("training accuracy is averaged over the epoch on augmented crops while the "
                "weights still change")
    if gap > 5:
        return (text + f". {measured[:1].upper()}{measured[1:]}, so the gap partly reflects "
                "that; these numbers cannot tell how much of it is overfitting.")
    if gap < 0:
        return text + f": {measured}, test accuracy measured on center crops after it."
    return text + "."


def data_counts(summary, values: Mapping[str, Any]) -> str:
    """How many images a run (a `runs.RunSummary`) trained and was tested on, per class where
    they divide evenly, and where its dataset's test images come from ('' if not recorded)."""
    classes = summary.spec.num_classes

    def count(n, what=""):
        return f"{n:,}{what}" + (f", {n // classes:,} a class," if n % classes == 0 else "")
    train, test = getattr(summary, "train_images", None), summary.test_images
    if not train or not test:
        return ""
    split = catalog.dataset(values["DATASET"]).test_split
    return (f"It trained on {count(train, ' images')} and was tested on "
            f"{count(test).rstrip(',')}" + (f": {split}" if split else "") + ".")


def curves_sentence(history: Sequence[Mapping[str, Any]], classes: int | None = None) -> str:
    """What a run's curves show, from its first and last epoch; with the number of
    `classes`, a first test loss still near that of an even guess while the accuracy is far
    above chance: the right class given little probability on average."""
    a, b = history[0], history[-1]
    text = (f"From epoch {a['epoch']} to epoch {b['epoch']} the test accuracy went from "
            f"{a['test_acc']:.2f}% to {b['test_acc']:.2f}% and the test loss from "
            f"{a['test_loss']:.3f} to {b['test_loss']:.3f}.")
    even = math.log(classes) if classes and classes > 1 else None
    if even and a["test_loss"] >= 0.8 * even and a["test_acc"] >= 2 * 100 / classes \
            and len(history) > 1:
        text += (f" After epoch {a['epoch']} the test loss was still {a['test_loss'] / even:.0%} "
                 f"of ln {classes} = {even:.3f}, the loss of an even guess over the {classes} "
                 "classes, though "
                 f"{a['test_acc']:.2f}% of the test images were already right: on average "
                 "the network gave the right class little more probability than an even guess "
                 "would (the loss alone cannot tell whether it was unsure on every image or "
                 "badly wrong on a few), and the later epochs raised that probability.")
    return text


def smallest_p_sentence(results) -> str:
    """What the fewest models of a space let a permutation test show: its smallest p, which
    it reaches only when no model of one space beats any of the other."""
    n = int(results.groupby("space").size().min())
    splits = math.comb(2 * n, n)
    if splits > 2 * analysis.EXACT_SPLITS:
        return ""
    return (f" With {n} models against {n}, the smallest p a test can give is 2/{splits:,} = "
            f"{2 / splits:.3g}, reached only when every model of one space beats every model "
            "of the other.")


def association_sentence(results, names: Mapping[str, str], own: int = 0) -> str:
    """Which parameter's rank order follows the error most closely across all sampled models
    (Spearman's rank correlation), and what so few models per space can show: a trend within
    one space is one of every common parameter in every space plus the `own` panels of
    RegNetX's own parameters, one family."""
    cols = [c for c in names if c in results and results[c].nunique() > 1]
    if not cols or len(results) < 3:
        return ""
    rho = {c: results[c].rank().corr(results["error"].rank()) for c in cols}
    best = max(rho, key=lambda c: abs(rho[c]))
    per = int(results.groupby("space").size().min())
    # how often an unrelated order of the errors matches as closely, and the level that
    # picking the closest of len(cols) parameters must beat (Bonferroni)
    p = analysis.rank_p(results[best].rank().to_numpy(), results["error"].rank().to_numpy())
    level = 0.05 / len(cols)
    of = f", where the closest of {len(cols)} parameters needs p below {level:.3g}" \
        if len(cols) > 1 else ""
    shown = "p below 0.001" if p < 0.001 else f"p = {p:.3f}"
    bound = f"chance (permutation {shown}{of})"

    def trend(c):
        return "the error falls as it grows" if rho[c] < 0 else "the error rises with it"
    tied = [c for c in cols if c != best and round(abs(rho[c]), 2) == round(abs(rho[best]), 2)]
    also = " ".join(
        f"{names[c][:1].upper()}{names[c][1:]} follow{'' if names[c].endswith('s') else 's'} "
        f"it as closely (ρ = {signed(rho[c], 2)}: {trend(c)})." for c in tied)
    closest = f"(Spearman ρ = {signed(rho[best], 2)}: {trend(best)})"
    spaces = results["space"].nunique()
    across = f"Across all {len(results)} models" + (
        f", pooled over {spaces} spaces (so the spaces' own differences are mixed in)"
        if spaces > 1 else "")
    if p >= level:
        first = (f"{across}, no parameter follows the error beyond chance: the closest in rank, "
                 f"{names[best]} {closest}, is within {bound}.")
    else:
        first = (f"{across}, the error follows {names[best]} most closely in rank {closest}, "
                 f"beyond {bound}.")
    if per < 2:
        within = f"With {_models(per)} per space, no panel can show a trend within one space."
    else:  # the smallest p a perfect rank order of `per` models gives, against the level
        smallest, level = 2 / math.factorial(per), 0.05 / (len(cols) * spaces + own)
        within = (f"Within one space, even {per} models in a perfect rank order give only "
                  f"p = 2/{per}! = {smallest:.2g}, "
                  + (f"{'above' if smallest >= level else 'below'} the {level:.3g} that "
                     f"testing {len(cols)} parameter{'s' if len(cols) > 1 else ''} in "
                     f"{spaces} spaces" + (f" and RegNetX's own {own}" if own else "")
                     + " needs"
                     + (", so no panel can show a trend within one space."
                        if smallest >= level else
                        "; the panels are not tested space by space here.")))
    return " ".join(filter(None, [first, also, within]))


def sweep_sentence(results) -> str:
    """The sampled models' range of cost and error, and where the lowest error came from."""
    best = results.loc[results["error"].idxmin()]
    label = analysis.label(best["space"])
    return (f"The {len(results)} models range from {results['macs'].min() / 1e6:.0f} to "
            f"{results['macs'].max() / 1e6:.0f} million MACs and from "
            f"{results['params'].min() / 1e6:.2f} to {results['params'].max() / 1e6:.2f} "
            f"million parameters, with errors from {results['error'].min():.2f}% to "
            f"{results['error'].max():.2f}%; the lowest came from "
            f"{'an' if label[:1] in 'AEIOU' else 'a'} {typeset_spaces(label)} model of depth "
            f"{int(best['depth'])} (blocks in all) whose widest stage has {int(best['width'])} "
            "channels.")


RUN_NAMES = {"epochs": "{} epochs", "group width": "group width {}"}


def run_name(column: str, value) -> str:
    """A run as a sentence names it: '5 epochs', 'group width 8', 'RegNetX-400MF'."""
    if column == "RegNetX":
        return network_name(str(value))
    return RUN_NAMES.get(column, "{}").format(value)


def _shown(df, column: str, decimals: int):
    """A column as the table shows it: rounded to `decimals`."""
    return df[column].astype(float).map(lambda v: half_up(v, decimals))


def time_decimals(seconds) -> int:
    """Decimals of a column of times in seconds: 2 where every time is under 10 s (0.26 s
    and 0.34 s are not both "0.3"), else 1; tables and sentences show them alike."""
    return 2 if max(float(v) for v in seconds) < 10 else 1


def test_images(rows: Sequence[Mapping[str, Any]]) -> int | None:
    """The fewest test images any of these runs was evaluated on (None: not recorded)."""
    counts = [int(r["test_images"]) for r in rows if r.get("test_images")]
    return min(counts) if counts else None


#: What every "±x points" of the observations is, said where it is used.
NOISE_MEANS = ("two binomial standard errors of a difference between two accuracies, taken at "
               "their mean")


def accuracy_noise(n_test: int | None, acc: float = 50.0) -> float | None:
    """Two standard errors of one accuracy over `n_test` test images, in points: the whisker
    a figure draws on each run's accuracy (`image_noise` is that of a difference)."""
    noise = image_noise(n_test, acc)
    return None if noise is None else noise / 2 ** 0.5


def image_noise(n_test: int | None, acc: float = 50.0, pairs: int = 1) -> float | None:
    """The sampling noise of a difference between two accuracies of `n_test` images each,
    in points: twice the binomial standard error of that difference (no seed-to-seed noise).
    When a sentence picks the largest of `pairs` differences (the best against the weakest
    of several runs), the bound is widened so that all of them stay within it as often as
    one difference stays within two standard errors (Bonferroni)."""
    if not n_test:
        return None
    p = min(max(acc / 100, 0.05), 0.95)
    return _z(pairs) * 100 * (2 * p * (1 - p) / n_test) ** 0.5


def _z(pairs: int = 1) -> float:
    """How many standard errors the bound spans: 2 for one difference, widened (Bonferroni)
    so that the largest of `pairs` differences stays within it as often."""
    return NormalDist().inv_cdf(1 - NormalDist().cdf(-2) / max(pairs, 1))


def paired_noise(a, b, pairs: int = 1) -> float:
    """The sampling noise of the difference between two evaluations of the same test images,
    in points: `a` and `b` say per image how often each was right (0 or 1, or the share of
    several evaluations averaged), and the bound is `_z(pairs)` standard errors of the mean
    per-image difference. Images both got right or both got wrong add no noise, so it is
    narrower than `image_noise`'s unpaired bound."""
    return _z(pairs) * math.sqrt(_paired_variance(a, b))


@dataclass(frozen=True)
class Noise:
    """The yardstick of a section's differences between two runs, \u00b1x points.

    A difference carries the test images' sampling and, between runs of different seeds,
    the training's own spread. With one seed measured, only the first is known: two standard
    errors of the difference, image by image where both runs' `hits` are known
    (`paired_noise`), else binomial (`image_noise`). Where section 2 trained its network
    with several `seeds` (their final accuracies, on the same test images as every run), the
    variance of a difference between two of its seeds is 2s\u00b2; measured on these images, it
    already holds the images on which two seeds disagree, v_seeds (the mean over pairs of
    seeds of the paired variance, from the seeds' hits). The variance of a difference between
    two runs is then 2s\u00b2 \u2212 v_seeds + v_pair, v_pair the two runs' own paired variance,
    and the bound is Student's t times its square root, with Satterthwaite's degrees of
    freedom (2s\u00b2 from n seeds, the rest from the test images); a pair that disagrees on
    the images no more than two seeds do (v_pair \u2264 v_seeds) is held to the seeds' own
    bound (`seed_bound`), since 2s\u00b2, from a few seeds, is too loose to take anything off.
    Without the hits this needs, the seeds' bound and the test images' are added as
    independent errors, which can only overstate it. Every bound is widened (Bonferroni)
    where a comparison picks the largest of `pairs` differences; None where nothing is known.
    `base_run`: the run folder of section 2's first seed, which the studies reuse, and
    `seed_runs` those of all its seeds (`against_mean` sets a difference from the first
    against the seeds' mean). `hits`: per run folder, which test images its final weights
    got right, packed as `pack_hits` keeps them."""
    n_test: int | None
    seeds: tuple[float, ...] = ()
    base_run: str | None = None
    hits: Mapping[str, str] = field(default_factory=dict, compare=False)
    seed_runs: tuple[str, ...] = ()

    def bound(self, acc: float = 50.0, pairs: int = 1,
              runs: tuple[str, str] | None = None) -> float | None:
        """The bound of a difference between two runs at accuracy `acc` (their mean), the
        largest of `pairs` differences; `runs`: the two runs' folders, which comparing them
        image by image needs (without them, or without both runs' hits: unpaired)."""
        pair = self._variance(runs)
        if len(self.seeds) > 1:
            between = self.seeds_disagree()
            if pair is not None and between is not None:
                return self._weighed(2 * statistics.variance(self.seeds), between, pair, pairs,
                                     seed_bound(self.seeds, pairs))
        images = (_z(pairs) * math.sqrt(pair) if pair is not None else
                  image_noise(self.n_test, acc, pairs))
        return _combined(images, seed_bound(self.seeds, pairs) if len(self.seeds) > 1 else None)

    def against_seeds(self, acc: float, run: str | None = None,
                      pairs: int = 1) -> float | None:
        """The bound of the difference between one run (folder `run`) and the mean of
        section 2's n seeds: the training's spread of one run against a mean of n,
        (s\u00b2 \u2212 v_seeds / 2)(1 + 1/n), plus the paired variance of the run against the
        seeds' mean image by image, times Student's t; without the hits, the seeds' bound
        (t s \u221a(1 + 1/n)) and the test images' added as independent errors; widened
        (Bonferroni) for the largest of `pairs` such differences."""
        n = len(self.seeds)
        if n < 2:
            return self.bound(acc, pairs)
        q = _t(pairs, n - 1)
        shares = [self._unpacked[r] for r in self.seed_runs if r in self._unpacked]
        mine = self._unpacked.get(run) if run else None
        between = self.seeds_disagree()
        if mine is not None and between is not None and len(shares) == n \
                and all(s.size == mine.size for s in shares):
            grow = 1 + 1 / n
            return self._weighed(statistics.variance(self.seeds) * grow, between / 2 * grow,
                                 _paired_variance(mine, np.mean(shares, axis=0)), pairs,
                                 q * grow ** 0.5 * statistics.stdev(self.seeds))
        return _combined(image_noise(self.n_test, acc, pairs),
                         q * (1 + 1 / n) ** 0.5 * statistics.stdev(self.seeds))

    def _weighed(self, seeds_part: float, between: float, pair: float, pairs: int,
                 floor: float) -> float:
        """Student's t times √(seeds_part − between + pair), with Satterthwaite's
        degrees of freedom, widened for the largest of `pairs`; `floor`, the seeds' own
        bound, where the pair disagrees on the images no more than seeds do (pair ≤
        between): seeds_part, measured by a few seeds, is too loose to take anything off."""
        if pair <= between:
            return floor
        return _t(pairs, self._free(seeds_part, between, pair)) * math.sqrt(
            seeds_part - between + pair)

    def _free(self, seeds_part: float, between: float, pair: float) -> float:
        return satterthwaite(seeds_part, between, pair, len(self.seeds), self._images)

    @cached_property
    def _images(self) -> int:
        """How many test images the hits cover (else `n_test`, else many)."""
        sizes = {h.size for h in self._unpacked.values()}
        return max(sizes) if sizes else (self.n_test or 10 ** 6)

    def paired(self) -> bool:
        """Whether differences are weighed image by image (some run's hits are known)."""
        return bool(self.hits)

    def seeds_disagree(self) -> float | None:
        """v_seeds: the paired variance of a difference between two of section 2's seeds,
        in points\u00b2, the mean over every pair of them; None unless every seed's hits are
        known."""
        return self._between

    @cached_property
    def _unpacked(self) -> dict:
        """Each run's hits as booleans, unpacked once for every bound that needs them."""
        return {r: unpack_hits(h) for r, h in self.hits.items()}

    @cached_property
    def _between(self) -> float | None:
        found = [self._unpacked[r] for r in self.seed_runs if r in self._unpacked]
        if len(found) < 2 or len(found) < len(self.seed_runs) or len(self.seed_runs) < 2 \
                or len({h.size for h in found}) > 1:
            return None
        return float(np.mean([_paired_variance(a, b) for i, a in enumerate(found)
                              for b in found[i + 1:]]))

    def _variance(self, runs: tuple[str, str] | None) -> float | None:
        """The paired variance of the difference between `runs` (points\u00b2), image by image;
        None unless both runs' hits cover the same number of images."""
        if not runs or not all(r in self._unpacked for r in runs):
            return None
        a, b = (self._unpacked[r] for r in runs)
        return _paired_variance(a, b) if a.size == b.size > 1 else None


def satterthwaite(seeds_part: float, between: float, pair: float, n_seeds: int,
                  n_images: int) -> float:
    """Satterthwaite's degrees of freedom of the variance seeds_part − between + pair: the
    first measured by `n_seeds` seeds (one fewer degrees of freedom), the two others over
    `n_images` test images (one fewer). At least 1, where Student's t is defined."""
    images = max(n_images - 1, 1)
    terms = [(seeds_part, max(n_seeds - 1, 1)), (between, images), (pair, images)]
    if not any(value for value, _ in terms):
        return float(max(n_seeds - 1, 1))
    return analysis.satterthwaite(seeds_part - between + pair, terms)


def _paired_variance(a, b) -> float:
    """The variance of the mean per-image difference between two evaluations of the same
    test images, in points\u00b2 (`paired_noise` is `_z` times its square root)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(d.var(ddof=1) / d.size) * 100 ** 2 if d.size > 1 else 0.0


def _t(pairs: int, free: int) -> float:
    """Student's t quantile of a 95% bound with `free` degrees of freedom, widened
    (Bonferroni) for the largest of `pairs` differences, as `seed_bound` takes it."""
    return analysis.t_quantile(1 - 0.025 / max(pairs, 1), free)


def _combined(*bounds: float | None) -> float | None:
    """Independent bounds combined: the square root of the sum of the squares of those
    known; None when none is."""
    known = [b for b in bounds if b is not None]
    return math.sqrt(sum(b * b for b in known)) if known else None


def as_noise(noise: Noise | int | None) -> Noise:
    """`noise` as a `Noise`: a number of test images alone weighs by their sampling."""
    return noise if isinstance(noise, Noise) else Noise(noise)


def seed_noise(seeds: Sequence[float], n_test: int | None, base_run: str | None = None,
               hits: Mapping[str, str | None] | None = None,
               seed_runs: Sequence[str] = ()) -> Noise:
    """The yardstick of a section whose runs were tested on `n_test` images, from section 2's
    `seeds` (their final accuracies; fewer than two: the test images alone), the run folder
    of its first seed (`base_run`), which the studies reuse, the run folders of all its
    seeds (`seed_runs`, for the seeds' mean image by image), and the runs' `hits` (run
    folder: packed hits, or None where a run kept no weights)."""
    several = len(seeds) > 1
    return Noise(n_test, tuple(seeds) if several else (), base_run if several else None,
                 {r: h for r, h in (hits or {}).items() if isinstance(h, str) and h},
                 tuple(seed_runs) if several else ())


def seed_mean_at(df, i: int, noise: Noise | int | None) -> float | None:
    """The mean of section 2's seeds where row `i` of a study is section 2's run (its first
    seed, `Noise.base_run`), as shown (2 decimals); None for any other row."""
    noise = as_noise(noise)
    if not noise.base_run or "run" not in df or df["run"].iloc[i] != noise.base_run:
        return None
    return half_up(statistics.fmean(noise.seeds))


def against_mean(df, i: int, other: float, noise: Noise | int | None,
                 short: bool = False, run: str | None = None,
                 inline: bool = False) -> tuple[str, bool | None]:
    """Where row `i` of a study is section 2's run (its first seed, `Noise.base_run`): the
    difference of `other` (the accuracy of the run in folder `run`) from it, said again
    against the mean of section 2's seeds, weighed as one run against a mean
    (`Noise.against_seeds`; `short`: in a few words, for the conclusions); '' for any other
    row; and whether that change is beyond the noise (None for any other row); `inline`: as
    a clause to end a sentence that gave the change from section 2's run. A low or a high
    first seed would otherwise lend the study's verdict its own luck."""
    noise = as_noise(noise)
    mine, mean = float(df["test_acc"].iloc[i]), seed_mean_at(df, i, noise)
    if mean is None or half_up(mine) == mean:
        return "", None
    change = half_up(other) - mean
    beyond, clause = weighed(change, noise.against_seeds((other + mean) / 2, run),
                             noise.n_test)
    if short:  # in a few words, for the conclusions
        return (f" (against the mean of section 2's seeds, {signed(change, 2)} points"
                f"{_noise_words(beyond, clause)})"), beyond
    if inline:
        return (f" {signed(change, 2)} points against the mean of its {len(noise.seeds)} seeds "
                f"({mean:.2f}%), {clause}"), beyond
    return (f" Against the mean of section 2's {len(noise.seeds)} seeds ({mean:.2f}%) the "
            f"change is {signed(change, 2)} points, {clause}."), beyond


def loads_compare(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the times per epoch of these runs compare: every run recorded its load and none
    had more work waiting than cores (`timing_sentence`'s rule), on one device."""
    loads = [r.get("load_avg") for r in rows]
    cpus = next((r["cpus"] for r in rows if r.get("cpus")), None)
    if not cpus or any(not lo for lo in loads):
        return False
    return len({r.get("device") for r in rows}) == 1 and max(hi for _, hi in loads) <= cpus


def times_sentence(rows: Sequence[Mapping[str, Any]]) -> str:
    """Why the times per epoch of these runs are neither drawn nor compared (empty when they
    compare). It names no numbers (the loads are in the provenance), so the studies of one
    section share it and it is said once."""
    if loads_compare(rows):
        return ""
    return ("A study that ran while the machine was busy (Appendix II) leaves its times per "
            "epoch out, as section 2 does: they are neither tabulated, drawn nor compared, and "
            "the MACs per image and the number of epochs measure its cost instead.")


def _grew(values) -> str:
    """', rising from each run to the next' (or falling) when a column moves one way along
    the study."""
    d = values.diff().dropna()
    if len(d) > 1 and ((d > 0).all() or (d < 0).all()):
        return f", {'rising' if (d > 0).all() else 'falling'} from each run to the next"
    return ""


def _steady(values) -> int:
    """+1 when `values` rise from each run to the next, -1 when they fall, else 0."""
    d = values.diff().dropna()
    return 1 if len(d) and (d > 0).all() else -1 if len(d) and (d < 0).all() else 0


def beyond_noise(change: float, noise: Noise | int | None, acc: float,
                 pairs: int = 1, runs: tuple[str, str] | None = None) -> tuple[bool | None, str]:
    """Whether an accuracy difference of `change` points is beyond `noise` (a `Noise`, or a
    number of test images; None: not recorded), and the clause that says so; `pairs`: the
    difference is the largest of that many; `runs`: the two runs' folders, compared image
    by image where the noise has both runs' hits."""
    noise = as_noise(noise)
    return weighed(change, noise.bound(acc, pairs, runs), noise.n_test, pairs)


def weighed(change: float, noise: float | None, n_test: int | None, pairs: int = 1,
            paired: bool = False) -> tuple[bool | None, str]:
    """Whether `change` is beyond `noise` (None: no bound), and the clause that says so: the
    noise of sampling `n_test` test images, or with `paired`, of comparing two evaluations
    of the same images (`paired_noise`)."""
    if noise is None:
        return None, "(the number of test images is not recorded, so no noise bound)"
    of = f" the largest of {pairs} differences" if pairs > 1 else ""
    within = abs(change) < noise or change == noise == 0
    just = "" if within or abs(change) >= 1.2 * noise else "only just "  # within a fifth
    if paired:
        source = f"a paired comparison on the same {n_test:,} test images gives"
        return not within, (f"{'within' if within else just + 'more than'} the \u00b1"
                            f"{noise:.1f} points that {source}{' to' + of if of else ''}")
    return not within, (f"{'within' if within else just + 'beyond'} the noise (\u00b1"
                        f"{noise:.1f} points{' for' + of if of else ''})")


def _noise_words(beyond: bool | None, clause: str = "") -> str:
    """', beyond the noise' (or within it, or 'only just beyond' as `clause` from `weighed`
    says; '' when not known)."""
    if beyond is None:
        return ""
    just = "only just " if clause.startswith("only just") else ""
    return f", {just}{'beyond' if beyond else 'within'} the noise"


def _share(ratio: float, what: str) -> str:
    """'3.58 times the parameters' or '39% fewer parameters' (against the first run's)."""
    return (f"{ratio:.2f} times the {what}" if ratio >= 1 else
            f"{(1 - ratio) * 100:.0f}% fewer {what}")


def _cost_sentence(df, name, macs: bool = True) -> str:
    """What the last run costs against the first in parameters and MACs (without `macs`:
    parameters alone, where a sentence before said the MACs), as ratios (the table beside it
    gives the counts), and whether the cost moves one way with each step of the study's
    setting (not said of named networks, whose names give their sizes)."""
    first, last = 0, len(df) - 1
    if df["params"].nunique() == 1 and ("macs" not in df or df["macs"].nunique() == 1):
        return (f"Every run has the same {df['params'].iloc[0]:,} parameters"
                + (f" and {int(df['macs'].iloc[0]):,} MACs per image" if "macs" in df else "")
                + ".")
    costs = []
    if df["params"].nunique() > 1:
        costs.append(_share(int(df["params"].iloc[last]) / int(df["params"].iloc[first]),
                            "parameters"))
    if macs and "macs" in df and df["macs"].nunique() > 1:
        costs.append(_share(int(df["macs"].iloc[last]) / int(df["macs"].iloc[first]),
                            "MACs per image"))
    grew = {"times" in c for c in costs}
    text = (f"Against {name(first)}, {name(last)} has {' and '.join(costs)}" if len(grew) > 1
            else f"{name(last)} has {' and '.join(costs)} "  # one way: "of" or "than"
            f"{'of' if grew == {True} else 'than'} {name(first)}")
    steady = _steady(df["macs"] if "macs" in df and df["macs"].nunique() > 1 else df["params"])
    label = df.columns[0]
    if len(df) > 2 and steady and label != "RegNetX":  # a network's name says its size
        text += (f", the cost {'growing' if steady > 0 else 'shrinking'} with each step of "
                 f"the {label}")
    return text[:1].upper() + text[1:] + "."  # "Group width 32 has ..."


def _macs_slope(df, acc, noise: Noise | int | None = None) -> tuple[float, float, int, bool]:
    """The straight line through every network's accuracy `acc` against log2 of its MACs:
    its slope in points per doubling, the half-width of the slope's 95% interval (Student's
    t), the degrees of freedom it rests on, and whether that interval comes from `noise`
    rather than from the fit. The fit's own scatter, from a few points, can come out
    smaller than the noise each accuracy is known to carry: where the spread of one run
    that `noise` gives (the training's own share of section 2's seeds' variance, without
    the images two seeds disagree on where their hits are known, and one accuracy's
    standard error over the test images) makes the interval wider, it is used."""
    x, y = np.log2(df["macs"].astype(float)).to_numpy(), acc.astype(float).to_numpy()
    slope, cut = np.polyfit(x, y, 1)
    free = len(x) - 2  # degrees of freedom of the fit's residuals
    sxx = ((x - x.mean()) ** 2).sum()
    spread = analysis.t_quantile(0.975, free) * (
        ((y - slope * x - cut) ** 2).sum() / free / sxx) ** 0.5
    noise = as_noise(noise)
    seeds = statistics.stdev(noise.seeds) if len(noise.seeds) > 1 else None
    between = noise.seeds_disagree() if seeds is not None else None
    if between is not None:  # the training's own share: the images' is counted just below
        seeds = math.sqrt(max(seeds ** 2 - between / 2, 0.0))
    images = image_noise(noise.n_test, float(y.mean()))  # two standard errors of a difference
    images = None if images is None else images / 2 / 2 ** 0.5  # one of one accuracy
    point = _combined(seeds, images)
    if point is not None:
        known = len(noise.seeds) - 1 if seeds is not None else 1000  # images: very many
        wider = analysis.t_quantile(0.975, known) * point / sxx ** 0.5
        if wider > spread:
            return float(slope), float(wider), known, True
    return float(slope), float(spread), free, False


def _run(df, i) -> str | None:
    """The run folder of row `i` (an index label) of a study; None where the rows name no run
    (a study labelled by "run" names its runs, not their folders)."""
    return str(df["run"][i]) if "run" in df and df.columns[0] != "run" else None


def _runs(df, i, j) -> tuple[str, str] | None:
    """The run folders of rows `i` and `j` (index labels) of a study, which comparing them
    image by image needs; None where the rows name no run."""
    return None if _run(df, i) is None else (_run(df, i), _run(df, j))


def _price_sentence(df, acc, name, noise, short: bool = False) -> str:
    """For networks of rising size (extra A): what the largest bought over the smallest, per
    doubling of the MACs, and whether that is more than the noise
    (`short`: in a few words, for the conclusions)."""
    first, last = 0, len(df) - 1
    ratio = int(df["macs"].iloc[last]) / int(df["macs"].iloc[first])
    change = float(acc[last] - acc[first])
    beyond, clause = beyond_noise(change, noise, float(acc[first] + acc[last]) / 2,
                                  runs=_runs(df, first, last))
    last_run = _run(df, last)
    slower = [i for i in range(1, last + 1) if acc[i] < acc[i - 1]]
    scored = f"scored {abs(change):.2f} points {'higher' if change >= 0 else 'lower'}"
    fit = _macs_slope(df, acc, noise) if ratio > 1 and len(df) > 2 else None
    mean = seed_mean_at(df, first, noise)  # section 2's seeds, where the first is its run
    refit = _macs_slope(df, acc.mask(acc.index == acc.index[first], mean), noise) \
        if fit and mean is not None else None  # the same line from the seeds' mean

    def excludes(f):  # the fitted slope's interval leaves out no change
        return f[1] <= abs(f[0])
    trend = bool(fit) and excludes(fit) and (refit is None or (
        excludes(refit) and (refit[0] > 0) == (fit[0] > 0)))  # from either start
    if short:
        lead = (f"; the slope over all {len(df)} networks, {signed(fit[0], 1)} \u00b1 "
                f"{fit[1]:.1f} points per doubling of the MACs, leans towards "
                f"{'more' if fit[0] > 0 else 'fewer'} MACs buying accuracy: a lead for more "
                "seeds to settle" if beyond is False and trend else "")
        return (f"{name(last)} {scored} than {name(first)} for {ratio:.2f} times the MACs"
                f"{_noise_words(beyond, clause)}"
                f"{against_mean(df, first, float(acc[last]), noise, True, last_run)[0]}{lead}"
                + (", though not every larger network scored higher" if beyond and change > 0
                   and slower else "") + ".")
    params = int(df["params"].iloc[last]) / int(df["params"].iloc[first])
    text = (f"{name(last)}, with {ratio:.2f} times the MACs of {name(first)} and "
            f"{_share(params, 'parameters')}, {scored} "
            f"({acc[first]:.2f}% to {acc[last]:.2f}%), a difference {clause}."
            + against_mean(df, first, float(acc[last]), noise, run=last_run)[0])
    if fit:  # the slope over every network, not the two ends alone
        slope, spread, free, known = fit
        t_words = ("" if free >= 1000 else
                   f"Student's t with {free} degree{'s' if free > 1 else ''} of freedom")
        text += (f" A straight line through all {len(df)} networks changes the accuracy by "
                 f"{signed(slope, 1)} \u00b1 {spread:.1f} points per doubling of the MACs "
                 "(95% interval" + ("" if known or not t_words else f"; {t_words}") + ")"
                 + (", so not even its sign is settled" if spread > abs(slope) else
                    ", which only just excludes no change" if spread > abs(slope) / 1.2
                    else "") + ".")
        if known:  # the noise of each accuracy, not the fit's scatter, sets the interval
            text += (" The points scatter about the line by less than the noise each accuracy "
                     "carries, so that noise sets the interval ("
                     + ("the test images'" if free >= 1000 else
                        f"section 2's seeds' and the test images', {t_words}") + ").")
        if refit and excludes(fit) != trend:  # the first seed's luck made the slope
            text += (f" With the mean of section 2's seeds in place of its run, the slope is "
                     f"{signed(refit[0], 1)} \u00b1 {refit[1]:.1f}, which does not exclude no "
                     "change.")
    elif ratio > 1:
        text += (f" That is {signed(change / math.log2(ratio), 1)} points per doubling of the "
                 "MACs.")
    if beyond is False:
        lucky = bool(fit) and excludes(fit) and not trend  # the first seed's luck made it
        return text + (f" Taken together, the {len(df)} networks lean towards "
                       f"{'more' if slope > 0 else 'fewer'} MACs buying accuracy, which the two "
                       "ends alone cannot show: a lead for more seeds to settle." if trend else
                       " So the slope rests on section 2's first seed: these runs do not settle "
                       "whether the larger networks buy accuracy with their MACs." if lucky else
                       " So these runs do not show the larger networks buying any accuracy "
                       "with their MACs.") + _caught_up(df, name, first, last)
    if beyond and change > 0:
        text += " In these runs the larger networks scored higher"
        drops = [float(acc[i - 1] - acc[i]) for i in slower]
        text += (f", though not at every step: {numbers([name(i) for i in slower])} scored "
                 f"below the network before {'it' if len(slower) == 1 else 'them'} (by "
                 f"{numbers([f'{d:.2f}' for d in drops])} points"
                 + (", within the noise" if not any(beyond_noise(
                     d, noise, float(acc[i - 1] + acc[i]) / 2, runs=_runs(df, i - 1, i))[0]
                     for d, i in zip(drops, slower)) else "") + ")."
                 if slower else ", each scoring above the one before it.")
    return text


def _caught_up(df, name, small: int, large: int) -> str:
    """Whether the larger network had caught up in the study's short schedule: its final
    training loss against the smaller one's (a larger network that has not yet fitted its
    training images as well may be held back by the schedule, not by its size)."""
    if "train_loss" not in df or int(df["epochs"].max()) >= 10:  # the paper's short runs
        return ""
    mine, theirs = float(df["train_loss"].iloc[large]), float(df["train_loss"].iloc[small])
    epochs = int(df["epochs"].iloc[large])
    if abs(mine - theirs) < 0.05 * theirs:  # within 5%: neither ahead
        return (f" In {epochs} epochs {name(large)} fitted its training images about as well as "
                f"{name(small)} (final training loss {mine:.3f} against {theirs:.3f}), so a "
                "schedule this short may not have let its size show.")
    if mine > theirs:
        return (f" In {epochs} epochs {name(large)} had not caught up: its final training "
                f"loss, {mine:.3f}, is above {name(small)}'s {theirs:.3f}, so a schedule this "
                "short may hide what its size would buy.")
    return (f" Nor was {name(large)} held back by the short schedule: it fitted its training "
            f"images better than {name(small)} (final training loss {mine:.3f} against "
            f"{theirs:.3f}), so what it lacks is test accuracy, not training.")


def _trend_sentence(df, acc, name, noise, short: bool = False) -> str:
    """Whether the accuracy followed the varied setting: a steady rise or fall beyond the
    noise, a spread within it, or a best and a weakest run that do not line up (`short`: in
    a few words, for the conclusions)."""
    label = df.columns[0]
    best, worst = int(acc.idxmax()), int(acc.idxmin())
    first, last = 0, len(df) - 1
    spread = float(acc[best] - acc[worst])
    pairs = len(acc) * (len(acc) - 1) // 2  # the best and the weakest: the widest of all pairs
    ends = _runs(df, best, worst)
    beyond, clause = beyond_noise(spread, noise, float(acc[best] + acc[worst]) / 2, pairs, ends)
    steady = _steady(acc)
    other = _clearer_pair(df, acc, noise, pairs) if beyond is False else None
    # the planned comparison, the first setting against the last, keeps its own bound
    change = float(acc[last] - acc[first])
    planned, said = beyond_noise(change, noise, float(acc[first] + acc[last]) / 2, 1,
                                 _runs(df, last, first))
    plan = (f" The planned comparison, {name(first)} against {name(last)}, is "
            f"{signed(change, 2)} points ({acc[first]:.2f}% to {acc[last]:.2f}%), {said}."
            if len(df) > 2 and {first, last} != {best, worst} and not steady else "")
    if short and planned and beyond is False and not other and plan:
        return (f"From {name(first)} to {name(last)}, the planned comparison, the accuracy "
                f"changed by {signed(change, 2)} points, beyond the noise, though not in one "
                "direction across the runs between them.")
    if short and other:
        return (f"The accuracy varied with the {label} by up to {spread:.2f} points, not in "
                f"one direction; compared image by image, {name(other[0])} and "
                f"{name(other[1])} differ beyond the noise.")
    if short and beyond is False:
        bound = as_noise(noise).bound(float(acc[best] + acc[worst]) / 2, pairs, ends)
        return (f"No effect of the {label} on accuracy showed beyond the noise (a spread of "
                f"{spread:.2f} points; an effect smaller than {bound:.1f} points would mostly "
                "go unseen).")
    if short and steady:
        return (f"The accuracy {'rose' if steady > 0 else 'fell'} steadily with the {label}, "
                f"{signed(float(acc[last] - acc[first]), 2)} points in all"
                f"{_noise_words(beyond, clause)}.")
    if short:
        return (f"The accuracy varied with the {label} by {spread:.2f} points"
                f"{_noise_words(beyond, clause)}, but not in one direction (best {name(best)}, "
                f"weakest {name(worst)}).")
    if beyond is False:
        if other:  # image by image, a pair closer than the ends has a narrower bound
            i, j, bound = other
            return (f"The best and the weakest run, {acc[best]:.2f}% and {acc[worst]:.2f}%, "
                    f"are {spread:.2f} points apart, {clause}. Compared image by image, "
                    f"however, {name(i)} ({acc[i]:.2f}%) and {name(j)} ({acc[j]:.2f}%) differ "
                    f"by {float(acc[i] - acc[j]):.2f} points, beyond their own bound "
                    f"(\u00b1{bound:.1f} for the largest of {pairs} differences). The accuracy "
                    f"did not follow the {label} in one direction, though.")
        if planned and plan:  # the first against the last shows what the spread does not
            return (f"The test accuracy stayed between {acc[worst]:.2f}% and "
                    f"{acc[best]:.2f}%, a spread of {spread:.2f} points {clause}. The planned "
                    f"comparison, {name(first)} against {name(last)}, is {signed(change, 2)} "
                    f"points ({acc[first]:.2f}% to {acc[last]:.2f}%), {said}. The runs "
                    f"between them do not follow the {label} in one direction, though.")
        return (f"The test accuracy stayed between {acc[worst]:.2f}% and {acc[best]:.2f}%, a "
                f"spread of {spread:.2f} points {clause}: these runs do not show an effect of "
                f"the {label} on accuracy, and an effect smaller than that bound would mostly "
                "go unseen in them." + plan)
    if steady:
        change = float(acc[last] - acc[first])
        return (f"The test accuracy {'rose' if steady > 0 else 'fell'} from each run to the "
                f"next, from {acc[first]:.2f}% to {acc[last]:.2f}% ({signed(change, 2)} "
                f"points), {clause}" + ("." if beyond is None else
                                        f": in this run, a larger {label} did "
                                        f"{'better' if steady > 0 else 'worse'}."))
    return (f"The best run was {name(best)} ({acc[best]:.2f}%) and the weakest {name(worst)} "
            f"({acc[worst]:.2f}%), {spread:.2f} points apart, {clause}"
            + ("." if beyond is None else
               f". The accuracy did not follow the {label} in one direction, though, so one "
               "seed per setting cannot say which is best.") + plan)


def _clearer_pair(df, acc, noise, pairs: int) -> tuple[int, int, float] | None:
    """Where runs are compared image by image, each pair has its own bound, so a pair closer
    than the best and the weakest can still differ beyond its bound: the pair that does so
    most clearly (higher, lower, its bound), or None."""
    noise = as_noise(noise)
    if not noise.paired() or "run" not in df:
        return None
    found = []
    for i in acc.index:
        for j in acc.index:
            d = float(acc[i] - acc[j])
            bound = noise.bound(float(acc[i] + acc[j]) / 2, pairs, _runs(df, i, j))
            if d > 0 and bound and d > bound:
                found.append((d / bound, i, j, bound))
    if not found:
        return None
    _, i, j, bound = max(found)
    return i, j, bound


def _runs_parts(df, noise: Noise | int | None = None, peak_end: bool = False,
                short: bool = False) -> list[str]:
    """The answer a study's runs give along the varied setting, weighed against `noise` (a
    `Noise`, or a number of test images): for networks of rising size (extra A) what each
    doubling of the MACs bought, for schedules of different lengths (extra C) whether the
    longer one helped or overfit, else whether the accuracy followed the setting; then what
    the setting cost in parameters and MACs, and in time per epoch only when the machine's
    load lets times compare. `peak_end`: every run ended at the peak rate. A list of
    sentences, the first the answer; with `short`, only the answer in a few words
    (`study_answer`)."""
    label = df.columns[0]
    acc = _shown(df, "test_acc", 2)
    name = lambda i: run_name(label, df[label].iloc[i])  # noqa: E731
    first, last = 0, len(df) - 1
    if short:
        if label == "RegNetX" and "macs" in df and _steady(df["macs"]) > 0:
            return [_price_sentence(df, acc, name, noise, short=True)]
        if df["epochs"].nunique() > 1 and "history" in df:
            return overfitting_parts(df, noise, brief=True)
        return [_trend_sentence(df, acc, name, noise, short=True)]
    if label == "RegNetX" and "macs" in df and _steady(df["macs"]) > 0:
        parts = [_price_sentence(df, acc, name, noise)]  # its first sentence gives the costs
    elif df["epochs"].nunique() > 1 and "history" in df:
        parts = [*overfitting_parts(df, noise),
                 f"{_cost_sentence(df, name)[:-1]}, so {name(last)} cost "
                 f"{df['epochs'].iloc[last] / df['epochs'].iloc[first]:.2f} times the "
                 f"training computation (MACs) of {name(first)}."]
    else:
        parts = [_trend_sentence(df, acc, name, noise), _order_sentence(df),
                 _cost_sentence(df, name)]
    parts = [p for p in parts if p]
    one_network = df["params"].nunique() == 1 and ("macs" not in df or df["macs"].nunique() == 1)
    if loads_compare(df.to_dict("records")) and not one_network:  # one network: one time
        d = time_decimals(df["epoch_seconds"])
        time = _shown(df, "epoch_seconds", d)
        if time.nunique() == 1:
            parts.append(f"Every run took {time[first]:.{d}f} s per epoch.")
        else:
            ends = sorted([time[first], time[last]])
            beyond_ends = not time.iloc[1:-1].between(*ends).all()  # a middle run outside
            cost = df["macs"] if "macs" in df and df["macs"].nunique() > 1 else df["params"]
            if _grew(time) and _steady(time) == _steady(cost):  # said once: "with them"
                parts.append(f"The time per epoch {'rose' if _steady(time) > 0 else 'fell'} "
                             f"with the cost, from {time[first]:.{d}f} s to "
                             f"{time[last]:.{d}f} s.")
            else:
                parts.append(f"The time per epoch went from {time[first]:.{d}f} s to "
                             f"{time[last]:.{d}f} s" + (_grew(time) or (
                                 f", ranging from {time.min():.{d}f} s to "
                                 f"{time.max():.{d}f} s in between" if beyond_ends else ""))
                             + ".")
    if peak_end:
        parts.append("Every run ended at the peak learning rate (its one cosine epoch does not "
                     "decay), so none is trained to the end of a schedule.")
    return parts


def _order_sentence(df) -> str:
    """Whether the runs kept their order by test accuracy from the second-last epoch to the
    last (runs of one length, three or more): an order that shuffles in one epoch says the
    final ranking is noise ("" where it held, or cannot be told)."""
    if "history" not in df or len(df) < 3 or df["epochs"].nunique() != 1 \
            or int(df["epochs"].iloc[0]) < 2:
        return ""
    last = [h[-1]["test_acc"] for h in df["history"]]
    before = [h[-2]["test_acc"] for h in df["history"]]
    rho = float(pd.Series(before).rank().corr(pd.Series(last).rank()))
    if not rho < 0.5:
        return ""
    epoch = int(df["epochs"].iloc[0])
    rates = [r.get("lr") for r in df["history"].iloc[0][-2:]]
    dropped = None not in rates and rates[1] < rates[0] / 2  # the last epoch's rate fell
    return (f"The runs' order by test accuracy changed from epoch {epoch - 1} to epoch {epoch} "
            f"(rank correlation {signed(rho, 2)} between the two)"
            + (", as the learning rate fell from " f"{decimal(rates[0])} to {decimal(rates[1])}"
               if dropped else "")
            + ": their order had not settled by the end of so short a schedule, so the final "
            "order is a weak guide to which setting is better.")


def runs_observations(df, noise: Noise | int | None = None, peak_end: bool = False) -> str:
    """The observations of a study's runs (`_runs_parts`), as one paragraph."""
    return " ".join(_runs_parts(df, noise, peak_end))


def overfitting_parts(df, noise: Noise | int | None = None, brief: bool = False) -> list[str]:
    """For runs of different lengths: did the longer schedule help beyond `noise` (a `Noise`,
    or a number of test images), and did it overfit (training accuracy pulling away from test
    accuracy, test accuracy peaking before the end)? [the answer, the evidence], or with
    `brief` the answer in a few words, for the conclusions."""
    short, long = df.loc[df["epochs"].idxmin()], df.loc[df["epochs"].idxmax()]
    pair = _runs(df, long.name, short.name)
    at = df.index.get_loc(df["epochs"].idxmin())
    mean_words, mean_beyond = against_mean(df, at, float(long["test_acc"]), noise, brief,
                                           pair[0] if pair else None)

    def gap(row):
        h = row["history"][-1]
        return half_up(h["train_acc"]) - half_up(h["test_acc"])
    h = long["history"]
    peak = max(h, key=lambda r: r["test_acc"])
    low = min(h, key=lambda r: r["test_loss"])
    rose = h[-1]["test_loss"] > 1.1 * low["test_loss"]  # the test loss ended well above its low
    drop = half_up(peak["test_acc"]) - half_up(h[-1]["test_acc"])  # fell from an earlier peak
    fell = drop > 0 and bool(beyond_noise(drop, noise, (peak["test_acc"] + h[-1]["test_acc"])
                                          / 2)[0])
    widened = gap(long) > gap(short) + 2
    # "widened" only where the training accuracy was ahead already; from behind it pulls ahead
    ahead = ("the training accuracy pulling further ahead of the test accuracy"
             if gap(short) > 0 else "the training accuracy pulling ahead of the test accuracy")
    overfit = widened and (fell or rose)  # a gap alone is no overfitting: test must suffer
    rates = [r["lr"] for r in short["history"]]
    undecayed = len(rates) > 1 and rates[-1] >= max(rates)  # the short run ended at its peak
    change = half_up(long["test_acc"]) - half_up(short["test_acc"])
    beyond, clause = beyond_noise(change, noise, (long["test_acc"] + short["test_acc"]) / 2,
                                  runs=pair)
    span = f"from {short['epochs']} to {long['epochs']} epochs"
    if brief:
        return [f"Training for {long['epochs']} epochs scored {signed(change, 2)} points "
                f"against {short['epochs']}{_noise_words(beyond, clause)}{mean_words}, "
                + (f"and {ahead}, with the test numbers worsening, marks overfitting"
                   if overfit else
                   f"with {ahead} but no sign of overfitting in the test numbers" if widened else
                   "with no sign of overfitting by the end")
                + (f" (the {short['epochs']}-epoch run ended undecayed)." if undecayed
                   else ".")]
    if beyond is False:
        answer = (f"These runs do not show the longer schedule helping: {span} the test "
                  f"accuracy changed by {signed(change, 2)} points, {clause}")
    elif mean_beyond is False:  # beyond against the first seed, not against the seeds' mean
        answer = (f"The longer schedule {'scored higher' if change > 0 else 'scored lower'}, "
                  f"but not clearly. {span[:1].upper()}{span[1:]} the test accuracy changed by "
                  f"{signed(change, 2)} points against section 2's run, {clause}, but by"
                  + against_mean(df, at, float(long["test_acc"]), noise,
                                 run=pair[0] if pair else None, inline=True)[0])
        mean_words = ""  # said in the answer
    else:  # only just beyond the noise: what it did, not what it does
        verb = ("scored higher" if change > 0 else "scored lower") if "only just" in clause \
            else ("helped" if change > 0 else "hurt")
        answer = (f"The longer schedule {verb}: {span} "
                  f"the test accuracy changed by {signed(change, 2)} points"
                  + (f", {clause}" if beyond else ""))
    if overfit:
        answer += (f". {ahead[:1].upper()}{ahead[1:]}, with the test "
                   + ("accuracy falling from its peak beyond the noise" if fell else
                      "loss rising") + ", is the mark of overfitting.")
    elif widened:
        answer += (f". Despite {ahead}, the test accuracy did not fall from its peak beyond "
                   "the noise nor the test loss rise, so the test numbers show no overfitting "
                   "yet.")
    else:
        answer += (". By the end of the longest run, neither the gap between training and "
                   "test accuracy nor an earlier peak shows overfitting.")
    if int(long["epochs"]) < 10:  # the paper's short runs: no view of a long one
        answer += (f" Schedules this short, at most {long['epochs']} epochs, show only whether "
                   "the first extra epochs help, not the overfitting of a long run.")
    if beyond is False:  # what the runs could have shown
        bound = as_noise(noise).bound((long["test_acc"] + short["test_acc"]) / 2, runs=pair)
        answer += (f" A change smaller than \u00b1{bound:.1f} points would mostly go unseen in "
                   "these runs.")
    answer += mean_words
    evidence = (f"The gap between training and test accuracy went from {signed(gap(short), 2)} "
                f"to {signed(gap(long), 2)} points, the longest run's best test accuracy "
                f"({half_up(peak['test_acc']):.2f}%) came in {_epochs_at(h, peak)} of {len(h)}, "
                f"and the final training loss went from {short['train_loss']:.3f} to "
                f"{long['train_loss']:.3f}, the final test loss from "
                f"{short['history'][-1]['test_loss']:.3f} to {h[-1]['test_loss']:.3f}.")
    if rose:
        evidence += (f" The longest run's test loss ended at {h[-1]['test_loss']:.3f}, above "
                     f"its lowest ({low['test_loss']:.3f}, epoch {low['epoch']}).")
    stepped = len(rates) > 2 and rates[-2] >= max(rates) > 10 * rates[-1]  # peak, then last
    if stepped:
        evidence += (f" The {short['epochs']}-epoch run's cosine is a single step, from the "
                     f"peak rate {max(rates):g} to {rates[-1]:g}, where the longer runs decay "
                     "gradually, so the difference between the runs mixes the schedule's "
                     "length with its shape." + _same_epoch(df, short))
    shared = _shared_epochs(df)
    if shared:
        evidence += (f" The runs share their seed and their first {_epochs(shared)}, with "
                     "identical numbers until their schedules part: one run branching there, "
                     "not independent runs"
                     + (", so the noise, which holds the seeds' spread made for independent "
                        "runs, is if anything too wide for their difference."
                        if len(as_noise(noise).seeds) > 1 else
                        "; the test images' bound holds for them as for any two runs compared "
                        "on the same images."))
    if undecayed:
        evidence += (f" The {short['epochs']}-epoch run ended at its peak learning rate, "
                     "undecayed, so its gap to the longer runs mixes their length with the "
                     "decay they had and it did not.")
    return [answer, evidence]


def _shared_epochs(df) -> int:
    """How many first epochs every run of a schedules study has in common, identical in
    every recorded number (the same seed and warm-up run alike until their rates part)."""
    histories = list(df["history"])
    n = 0
    for rows in zip(*histories):
        keys = ("train_loss", "train_acc", "test_loss", "test_acc")
        if any(any(r.get(k) != rows[0].get(k) for k in keys) for r in rows[1:]):
            break
        n += 1
    return n


def _same_epoch(df, short) -> str:
    """Where the shortest run ended: the longer runs at that same epoch, still at a higher
    rate, against its final accuracy, which tells the schedule's shape from its length."""
    end = int(short["epochs"])
    at = [(int(r["epochs"]), next((e for e in r["history"] if e["epoch"] == end), None))
          for _, r in df.sort_values("epochs").iterrows() if int(r["epochs"]) > end]
    at = [(n, e) for n, e in at if e is not None and e.get("lr") is not None]
    if not at:
        return ""
    mine = half_up(short["test_acc"])
    shown = [half_up(e["test_acc"]) for _, e in at]
    if all(a > mine for a in shown):
        reading = ("so part of the longer schedules' lead may come from the short one's "
                   "abrupt end rather than from their extra epochs")
    elif all(a <= mine for a in shown):
        reading = "so by that epoch its abrupt end had not put it behind them"
    else:
        return ""
    return (f" At epoch {end}, where the {end}-epoch run ended at {mine:.2f}%, the "
            f"{numbers([f'{n}-epoch' for n, _ in at])} runs, still at rates of "
            f"{numbers([decimal(round(e['lr'], 3)) for _, e in at])}, had "
            f"{numbers([f'{a:.2f}%' for a in shown])} (not weighed against the noise): "
            f"{reading}.")


def _epochs_at(history, peak) -> str:
    """'epoch 7' or 'epochs 7 and 8': where a run's test accuracy, as shown, was its peak."""
    at = [r["epoch"] for r in history
          if half_up(r["test_acc"]) == half_up(peak["test_acc"])]
    return f"epoch{'s' if len(at) > 1 else ''} {numbers(at)}"


def series_groups(labels) -> dict[str, list[int]]:
    """Runs labelled "series: setting" (extra E: "report B: 8 groups, b = 1"): each series'
    name and the places of its runs, in order; a label without ": " belongs to none."""
    groups: dict[str, list[int]] = {}
    for i, v in enumerate(labels):
        if ": " in str(v):
            groups.setdefault(str(v).split(": ")[0], []).append(i)
    return groups


def _series_parts(df, noise: Noise | int | None = None, short: bool = False) -> list[str]:
    """For runs labelled 'series: ...': what fewer parameters cost within each series, in
    accuracy (weighed against `noise`, a `Noise`) and MACs; times per epoch
    only when the machine's load lets them compare (empty when the runs have no series). A
    list of sentences: the first is the answer."""
    label, acc = df.columns[0], "test_acc"
    parts, changes, ends = [], [], []  # changes: (accuracy change against the series' first
    # run, mean accuracy of the two, the run, the two run folders) for every later run of
    # every series; ends: each series' name, first and last run
    times = loads_compare(df.to_dict("records"))  # else the section says why they do not
    for series, places in series_groups(df[label]).items():
        rows = df.iloc[places]
        if len(rows) < 2:
            continue
        a, b = rows.iloc[0], rows.iloc[-1]
        ends.append((series, a, b))
        change = half_up(b[acc]) - half_up(a[acc])
        changes += [(half_up(r[acc]) - half_up(a[acc]), (a[acc] + r[acc]) / 2, r[label],
                     _runs(df, k, rows.index[0])) for k, r in rows.iloc[1:].iterrows()]
        parts.append((change, (a[acc] + b[acc]) / 2, _runs(df, rows.index[-1], rows.index[0]),
            f"In the {series} runs, going from {a[label].split(': ')[1]} to "
            f"{b[label].split(': ')[1]} cut the parameters by "
            f"{(1 - b['params'] / a['params']) * 100:.0f}% ({a['params']:,} to "
            f"{b['params']:,}) and the MACs by {(1 - b['macs'] / a['macs']) * 100:.0f}%; "
            f"the test accuracy changed by {signed(change, 2)} points ({a[acc]:.2f}% to "
            f"{b[acc]:.2f}%){{noise}}" + (_time_change(a, b, df) if times else "") + "."))
    if not parts:
        return []
    # each series' change is one of the compared differences: weighed against the same bound
    words = [_noise_words(beyond_noise(change, noise, mean, len(changes), runs)[0])
             for change, mean, runs, _ in parts]
    if len(parts) == 2:  # two series: one sentence that sets them side by side
        parts = [_two_series(df, ends, words, times)]
        parts += [s for s in [_across_series(df, noise)] if s]
    else:
        parts = [text.replace("{noise}", w) for (_, _, _, text), w in zip(parts, words)]
    for series, places in series_groups(df[label]).items():  # one from section 2's run:
        parts += [s for s in [_series_against_mean(df, series, places, noise)] if s]
    worst = min(changes, key=lambda c: c[0])
    losses = [c for c in changes if c[0] < 0 and beyond_noise(c[0], noise, c[1], len(changes),
                                                               c[3])[0]]
    if losses:  # image by image each pair has its own bound: the clearest loss beyond it
        worst = max(losses, key=lambda c: -c[0] / as_noise(noise).bound(c[1], len(changes),
                                                                        c[3]))
    beyond, clause = beyond_noise(worst[0], noise, worst[1], len(changes), worst[3])
    # the largest cost any difference leaves open: its loss plus its own (widened) bound
    bounds = [as_noise(noise).bound(c[1], len(changes), c[3]) for c in changes]
    reach = (None if None in bounds else
             max(zip(changes, bounds), key=lambda cb: cb[1] - cb[0][0]))
    against = f"({worst[2]}, against the first network of its series)"
    best = max(changes, key=lambda c: c[0])
    if short:
        span = (f"against each series' first network the changes ran from "
                f"{signed(worst[0], 2)} to {signed(best[0], 2)} points")
        if worst[0] >= 0:
            return [f"Fewer parameters cost no accuracy in these runs: {span}."]
        if beyond:
            return [f"Fewer parameters cost accuracy beyond the noise: {span}."]
        return [f"No accuracy cost of fewer parameters showed beyond the noise: {span}"
                + ("" if reach is None else
                   f"; a cost up to {reach[1] - reach[0][0]:.1f} points is not ruled out")
                + "."]
    if worst[0] >= 0:
        verdict = ("Fewer parameters cost no accuracy in these runs: in every series each "
                   "network with fewer parameters scored at least as well as the series' first, "
                   "which one seed per network cannot tell from the networks being easier to "
                   "train in so short a run.")
    elif beyond:
        verdict = (f"Fewer parameters cost accuracy: {-worst[0]:.2f} points {against}, "
                   f"{clause}.")
    else:
        verdict = (f"No accuracy cost of the fewer parameters shows beyond the noise. The "
                   f"largest loss, {-worst[0]:.2f} points {against}, is {clause}"
                   + ("" if reach is None else
                      (f". With each of the {len(changes)} differences held to its own bound, "
                       "widened so that all hold at once, the" if len(changes) > 1 else ". The")
                      + f" true cost could be as large as {reach[1] - reach[0][0]:.1f} points"
                      + (f" (for {reach[0][2]}, "
                         f"{f'{-reach[0][0]:.2f}'.replace('-', chr(0x2212))} + {reach[1]:.1f})"
                         if len(changes) > 1 else
                         f" ({-reach[0][0]:.2f} + {reach[1]:.1f})"))
                   + ".")
    return [verdict, *parts] + [t for t in [_macs_time_sentence(df) if times else ""] if t]


def _series_against_mean(df, series: str, places: list[int],
                         noise: Noise | int | None) -> str:
    """Where a series (its rows at `places`) starts from section 2's run: each later network
    against the mean of section 2's seeds, the largest difference weighed as one run against
    a mean (`Noise.against_seeds`), widened for the number of them; '' otherwise."""
    noise = as_noise(noise)
    mean = seed_mean_at(df, places[0], noise)
    if mean is None or len(places) < 2:
        return ""
    label, acc = df.columns[0], _shown(df, "test_acc", 2)
    later = [(float(acc.iloc[i]) - mean, i) for i in places[1:]]
    change, i = max(later, key=lambda c: abs(c[0]))
    run = _run(df, df.index[i])
    bound = noise.against_seeds((float(acc.iloc[i]) + mean) / 2, run, len(later))
    _, clause = weighed(change, bound, noise.n_test, len(later))
    def setting(j):
        return str(df[label].iloc[j]).split(": ", 1)[-1]
    each = numbers([f"{signed(c, 2)}{' points' if k == len(later) - 1 else ''} ({setting(j)})"
                    for k, (c, j) in enumerate(later)])
    return (f"The {series} runs start from section 2's run; against the mean of its "
            f"{len(noise.seeds)} seeds ({mean:.2f}%), "
            + (f"their later networks changed by {each}, the largest {clause}."
               if len(later) > 1 else
               f"their other network ({setting(i)}) changed by {signed(change, 2)} points, "
               f"{clause}."))


def _across_series(df, noise: Noise | int | None = None) -> str:
    """Two series (extra E) set against each other network by network, at the same
    bottleneck ratio b: the first series' parameters as a multiple of the second's and the
    accuracy gaps between them, the largest weighed against `noise` (widened for the number
    of gaps; image by image, the gap that is clearest); '' unless both series share a b."""
    groups = list(series_groups(df[df.columns[0]]).items())
    if len(groups) != 2 or "spec" not in df:
        return ""

    def by_b(places):
        out = {}
        for i in places:
            ratios = {st.bottleneck for st in df["spec"].iloc[i].stages}
            if len(ratios) == 1:
                out.setdefault(ratios.pop(), df.index[i])
        return out
    (s1, p1), (s2, p2) = groups
    b1, b2 = by_b(p1), by_b(p2)
    common = [b for b in b1 if b in b2]
    if not common:
        return ""
    acc = _shown(df, "test_acc", 2)
    gaps = [(float(acc[b1[b]] - acc[b2[b]]), b, float(acc[b1[b]] + acc[b2[b]]) / 2,
             _runs(df, b1[b], b2[b])) for b in common]
    n = len(gaps)
    weighed_gaps = [(g, b, m, r, *beyond_noise(g, noise, m, n, r)) for g, b, m, r in gaps]
    clear = [w for w in weighed_gaps if w[4]]
    if clear:  # image by image each gap has its own bound: the clearest beyond it
        pick = max(clear, key=lambda w: abs(w[0]) / as_noise(noise).bound(w[2], n, w[3]))
    else:
        pick = max(weighed_gaps, key=lambda w: abs(w[0]))
    ties = [w[1] for w in weighed_gaps if w is not pick and f"{abs(w[0]):.2f}" ==
            f"{abs(pick[0]):.2f}"]  # as large as shown: the largest is not one b's alone
    ratios = [df["params"][b1[b]] / df["params"][b2[b]] for b in common]
    low, high = min(g for g, *_ in gaps), max(g for g, *_ in gaps)
    span = (f"{signed(low, 2)} points" if low == high else
            f"from {signed(low, 2)} to {signed(high, 2)} points")
    times = (f"{min(ratios):.2f}" if f"{min(ratios):.2f}" == f"{max(ratios):.2f}" else
             f"{min(ratios):.2f} to {max(ratios):.2f}")
    return (f"Set side by side at equal b, the {s1} networks had {times} times the parameters "
            f"of the {s2} ones and scored {span} against them; the "
            + ("largest " if not clear else "clearest ") + "gap, "
            f"{signed(pick[0], 2)} points at b = {pick[1]:g}"
            + ("" if clear or not ties else
               f" (as large at b = {numbers([f'{b:g}' for b in ties])})")
            + f", is {pick[5]}"
            + ("" if clear or pick[4] is None or n == 1 else
               ": these runs cannot say which reading of the groups trains better")
            + ("" if max(abs(r - 1) for r in ratios) < 0.05 else
               (", though" if clear else ", and") + " at equal b the two also differ in size, "
               "so a gap is not the reading's alone")
            + "." + _same_order(acc, common, b1, b2))


def _same_order(acc, common, b1, b2) -> str:
    """Where both series rank their shared b in exactly the same order by test accuracy (no
    ties), how rarely two orders of that many agree by chance; '' otherwise."""
    if len(common) < 3:
        return ""
    first = [float(acc[b1[b]]) for b in common]
    second = [float(acc[b2[b]]) for b in common]
    if len(set(first)) < len(first) or len(set(second)) < len(second):
        return ""
    order = sorted(common, key=lambda b: first[common.index(b)])
    if order != sorted(common, key=lambda b: second[common.index(b)]):
        return ""
    return (f" Both series rank their {len(common)} values of b in the same order by test "
            f"accuracy (b = {order[0]:g} lowest, b = {order[-1]:g} highest): a pattern noticed "
            "after the fact, in two series that share their data and stages, so a lead for "
            "more seeds rather than a finding.")


def _macs_time_sentence(df) -> str:
    """Whether the time per epoch followed the MACs across a study's runs: where the MACs
    fell (or grew) more than twice as much as the time, MACs are a poor guide to time."""
    fewest, most = df["macs"].idxmin(), df["macs"].idxmax()
    macs = 1 - df["macs"][fewest] / df["macs"][most]
    time = 1 - df["epoch_seconds"][fewest] / df["epoch_seconds"][most]
    if macs < 0.2 or time > macs / 2:
        return ""
    label = df.columns[0]
    return (f"MACs are a poor guide to time at this size: the network with the fewest MACs "
            f"({df[label][fewest]}) has {macs * 100:.0f}% fewer than the one with the most "
            f"({df[label][most]}), but took "
            + (f"{time * 100:.0f}% less time per epoch" if time > 0 else
               "no less time per epoch")
            + ", likely because small and grouped convolutions spend more of their time on "
              "memory traffic and per-layer overhead than on multiply-adds.")


def _two_series(df, ends: list, words: list[str], times: bool) -> str:
    """What going from the first network of each of two series to its last (`ends`: each
    series' name, first and last run) did to the parameters, the MACs, the test accuracy
    (each change with its noise `words`) and, with `times`, the time per epoch, the two
    series side by side in one sentence."""

    def cut(a, b, key):
        return f"{(1 - b[key] / a[key]) * 100:.0f}%"

    def acc(a, b, w):
        return (f"{signed(half_up(b['test_acc']) - half_up(a['test_acc']), 2)} points "
                f"({a['test_acc']:.2f}% to {b['test_acc']:.2f}%{w})")
    (s1, a1, b1), (s2, a2, b2) = ends
    both = words[0] == words[1] and words[0]
    text = (f"From each series' first network to its last, the parameters fell by "
            f"{cut(a1, b1, 'params')} in the {s1} runs ({a1['params']:,} to {b1['params']:,}) "
            f"and by {cut(a2, b2, 'params')} in the {s2} runs ({a2['params']:,} to "
            f"{b2['params']:,}), the MACs by {cut(a1, b1, 'macs')} and {cut(a2, b2, 'macs')}; "
            f"the test accuracy changed by {acc(a1, b1, '' if both else words[0])} and "
            f"{acc(a2, b2, '' if both else words[1])}"
            + (f", both{words[0][1:]}" if both else ""))
    if times:
        d = time_decimals(df["epoch_seconds"])
        text += "; the time per epoch went " + " and ".join(
            f"from {half_up(a['epoch_seconds'], d):.{d}f} s to "
            f"{half_up(b['epoch_seconds'], d):.{d}f} s" for _, a, b in ends)
    return text + "."


def _time_change(a, b, df) -> str:
    """', and the time per epoch fell from 0.75 s to 0.26 s' (as the table shows them)."""
    d = time_decimals(df["epoch_seconds"])
    ta, tb = half_up(a["epoch_seconds"], d), half_up(b["epoch_seconds"], d)
    if ta == tb:
        return f", and the time per epoch stayed at {ta:.{d}f} s"
    return (f", and the time per epoch {'fell' if tb < ta else 'rose'} from {ta:.{d}f} s to "
            f"{tb:.{d}f} s")


def series_observations(df, noise: Noise | int | None = None) -> str:
    """The observations of runs in series (`_series_parts`), as one paragraph ("" if none)."""
    return " ".join(_series_parts(df, noise))


def readings_sentence(df) -> str:
    """How report B's groups and the paper's group widths differ, from the built networks."""
    firsts = {series: (df["spec"].iloc[places[0]], df["params"].iloc[places[0]])
              for series, places in series_groups(df[df.columns[0]]).items()}
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


def _range(values) -> str:
    """'85.62%' or '84.38% to 85.62%'."""
    lo, hi = f"{values.min():.2f}%", f"{values.max():.2f}%"
    return lo if lo == hi else f"{lo} to {hi}"


def crop_groups(df, train_crop: int, resize: int):
    """The test crops other than the training crop in three groups, each (name, accuracies
    rounded as shown, first crop, last crop): smaller crops, larger crops of the resized
    image (more of it, at the same scale) and crops above the resize (the whole image,
    upscaled); empty groups left out."""
    acc = df["test_acc"].astype(float).map(half_up)
    crop = df["test crop"].astype(int)
    groups = [("smaller crops", crop < train_crop),
              ("larger crops of the resized image", (crop > train_crop) & (crop <= resize)),
              ("upscaled crops", crop > max(resize, train_crop))]
    return [(name, acc[mask], int(crop[mask].min()), int(crop[mask].max()))
            for name, mask in groups if mask.any()]


def crop_seeds_sentence(seed_crops: Sequence, train_crop: int, resize: int,
                        short: bool = False) -> str:
    """What section 2's seeds say of the crop study (`seed_crops`: each seed's accuracy per
    test crop, its first the network the study evaluates): each group of crops
    (`crop_groups`) against the training crop, the mean over the seeds of each seed's own
    difference with its 95% interval (Student's t over the seeds), so that one seed's
    low or high score at the training crop does not decide the verdict ("" with fewer than
    two seeds); `short`: the verdict alone, for the conclusions."""
    if len(seed_crops) < 2:
        return ""
    n = len(seed_crops)
    base = [float(half_up(float(df.loc[df["test crop"] == train_crop, "test_acc"].iloc[0])))
            for df in seed_crops]
    per_group: dict[str, list[float]] = {}
    for df, at in zip(seed_crops, base):
        for name, acc, _, _ in crop_groups(df, train_crop, resize):
            per_group.setdefault(name, []).append(float(acc.mean()) - at)
    q = _t(len(per_group), n - 1)  # widened for the groups compared, as the single run's are
    parts, verdicts = [], []
    for name, diffs in per_group.items():
        mean, half = statistics.fmean(diffs), q * statistics.stdev(diffs) / n ** 0.5
        parts.append(f"{name} {signed(mean, 2)} \u00b1 {half:.2f} points")
        if abs(mean) > half:
            verdicts.append(f"the {name} score {'above' if mean > 0 else 'below'} it")
    if short:
        return (f" Across section 2's {n} seeds, "
                + (numbers(verdicts).replace(" it", " the training crop", 1) + "." if verdicts
                   else "no group of crops is clear of the training crop."))
    return (f" Section 2's {n} seeds, each evaluated the same way, score "
            f"{statistics.fmean(base):.2f}% on average at the training crop (the first, this "
            f"study's network, {base[0]:.2f}%). Each seed's own difference from its training "
            f"crop, averaged over the seeds: {'; '.join(parts)} (95% intervals over the seeds, "
            f"Student's t with {n - 1} degree{'s' if n > 2 else ''} of freedom"
            + (f", widened for the {len(per_group)} groups" if len(per_group) > 1 else "")
            + "); so across the seeds "
            + (f"{numbers(verdicts)}." if verdicts else
               "no group of crops is clear of the training crop."))


def _crop_noise(df, a, b, pairs: int, n_test: int | None) -> tuple[float | None, bool]:
    """The noise of the difference between the mean accuracy of the crops `a` and of the
    crops `b` (boolean masks of `df`'s rows), and whether it is paired: image by image from
    the crops' hits where `df` has them (one network, one test set), else `image_noise` of
    `n_test` images at the mean of the two."""
    if "hits" in df:
        share = [np.mean([unpack_hits(h) for h in df.loc[m, "hits"]], axis=0) for m in (a, b)]
        return paired_noise(share[0], share[1], pairs), True
    acc = df["test_acc"].astype(float).map(half_up)
    return image_noise(n_test, float((acc[a].mean() + acc[b].mean()) / 2), pairs), False


def _crop_weighed(df, a, b, pairs: int, n_test: int | None) -> tuple[bool | None, str, float]:
    """`weighed` for crops `a` against crops `b`: beyond the noise, the clause, the noise."""
    acc = df["test_acc"].astype(float).map(half_up)
    noise, paired = _crop_noise(df, a, b, pairs, n_test)
    beyond, clause = weighed(float(acc[a].mean() - acc[b].mean()), noise, n_test, pairs, paired)
    return beyond, clause, noise


def _crop_verdict(df, train_crop: int, resize: int, n_test: int | None):
    """The training crop's accuracy, each group of `crop_groups` against it (name, its mean
    accuracy, the difference in points, whether beyond the noise of `n_test` test images
    (None: not recorded), first and last crop, that noise, widened for the groups
    compared), and the conclusion: that a larger crop
    helped when a larger group beat the training crop beyond the noise; not shown to help
    when one fell below it beyond the noise, or when every other crop beat the training crop
    within the noise (the training crop stands out), or else; None without the training
    crop."""
    acc = df["test_acc"].astype(float).map(half_up)
    at = acc[df["test crop"].astype(int) == train_crop]
    if not len(at):
        return None
    base = float(at.iloc[0])
    rows = []
    groups = crop_groups(df, train_crop, resize)
    trained = (df["test crop"].astype(int) == train_crop).to_numpy()
    for name, values, lo, hi in groups:  # each group's mean against the training crop
        mean = half_up(float(values.mean()))  # as shown, so differences match the text
        beyond, _, noise = _crop_weighed(df, df.index.isin(values.index), trained,
                                         len(groups), n_test)
        rows.append((name, mean, mean - base, beyond, lo, hi, noise))
    larger = [r for r in rows if not r[0].startswith("smaller")]
    others = acc[df["test crop"].astype(int) != train_crop]
    helped = [r[0] for r in larger if r[3] and r[2] > 0]
    hurt = [r[0] for r in larger if r[3] and r[2] < 0]
    crops = df["test crop"].astype(int)
    smaller = next((r for r in rows if r[0].startswith("smaller")), None)
    outlier = []  # beat the training crop, but not the smaller crops: the training crop is low
    if helped and smaller and smaller[2] > 0:
        for r in [r for r in larger if r[0] in helped]:
            beyond, clause, _ = _crop_weighed(df, crops.between(r[4], r[5]).to_numpy(),
                                              crops.between(smaller[4], smaller[5]).to_numpy(),
                                              len(groups), n_test)
            if not beyond or r[1] <= smaller[1]:
                outlier.append(f"{r[0]} {signed(r[1] - smaller[1], 2)} points against the "
                               f"smaller crops, {clause}")
        beat, helped = helped, [] if len(outlier) == len(helped) else helped
    if outlier and not helped:
        which = numbers(beat)
        kind = (f"the result is inconclusive. {which[:1].upper()}{which[1:]} beat the training "
                "crop beyond the noise, but not the smaller crops (" + "; ".join(outlier)
                + "). So these numbers cannot tell a gain from testing at a larger crop apart "
                "from a low score at the training crop itself")
    elif helped:
        kind = ("testing at a larger crop than the one trained on helped this network (one "
                f"seed): {numbers(helped)} beat the training crop beyond the noise")
        if smaller and smaller[2] > 0:  # the training crop itself may be the odd one out
            kind += (f", though the smaller crops scored above it too "
                     f"({signed(smaller[2], 2)} points), so part of that lead is the "
                     "training crop's own low score")
    elif hurt:
        kind = ("these numbers do not show that testing at a larger crop than the one trained "
                f"on helps: {numbers(hurt)} scored below the training crop beyond the noise"
                + (", the other larger crops within it" if len(hurt) < len(larger) else ""))
    elif len(others) and (others > base).all() and not any(r[3] for r in rows):
        kind = ("every other crop scored above the training crop, but none of the groups "
                "beyond the noise: the numbers lean towards testing at a larger crop without "
                "showing that it helps, and the training crop scoring below all the others "
                "stands out")
    else:
        kind = ("the numbers show no effect of testing at a larger crop than the one trained "
                "on beyond the noise")
    short = kind  # for the conclusions: the outlier's reasons stay in the observations
    if outlier and not helped:
        short = (f"inconclusive: {numbers(beat)} beat the training crop beyond the noise "
                 "but not the smaller crops, so the numbers cannot tell a gain from a larger "
                 "test crop apart from a low score at the training crop")
    return base, rows, kind, short


def _best_crops(df) -> str:
    """'17 px with 92.50%' or, for a tie, '15 and 16 px with 34.60%'."""
    acc = df["test_acc"].astype(float).map(half_up)
    crop = df["test crop"].astype(int)
    best = crop[acc == acc.max()].tolist()
    return f"{numbers(best)} px with {acc.max():.2f}%"


def _span_px(first: int, last: int) -> str:
    """'16 px' or '17\u201323 px'."""
    return f"{first} px" if first == last else f"{first}\u2013{last} px"


def last_grid(spec, size: int) -> int:
    """The side of the last stage's grid for an input of `size` px: the stem and each
    stage's first block (3x3, padding 1) take a side n to ceil(n / stride)."""
    for stride in (spec.stem_stride, *(st.stride for st in spec.stages)):
        size = -(-size // stride)
    return size


def _crop_step(df, resize: int, n_test: int | None, spec=None) -> str:
    """The largest change between neighbouring crops, when it is beyond the noise of the
    test images, and whether it is where the crop passes the resize or, given the network
    `spec`, where the last stage's grid grows ("" otherwise)."""
    df = df.sort_values("test crop").reset_index(drop=True)
    acc = df["test_acc"].astype(float).map(half_up).to_numpy()
    crop = df["test crop"].astype(int).to_numpy()
    if len(crop) < 2:
        return ""
    steps = acc[1:] - acc[:-1]
    i = int(np.argmax(np.abs(steps)))
    beyond, clause, _ = _crop_weighed(df, crop == crop[i + 1], crop == crop[i], len(steps),
                                      n_test)
    if not beyond:
        return ""
    causes = (["the crop passes the resize and the image starts to be upscaled"]
              if crop[i] <= resize < crop[i + 1] else [])
    grids = [last_grid(spec, int(c)) for c in crop[i:i + 2]] if spec else [0, 0]
    if grids[0] != grids[1]:
        causes.append(f"the last stage's grid grows from {dims(grids[0], grids[0])} to "
                      f"{dims(grids[1], grids[1])}")
    text = (f" The largest step between neighbouring crops, {crop[i]} to {crop[i + 1]} px, is "
            f"{signed(float(steps[i]), 2)} points, {clause}")
    if len(causes) > 1:
        text += (f": at that step {' and '.join(causes)}, two changes at once that this study "
                 "cannot tell apart")
    elif causes:
        text += f": at that step {causes[0]}"
    # the crops past the step on the same grid: where they move back, the step's cause is not
    # all there is to the accuracy
    later = [j for j in range(i + 2, len(crop))
             if not spec or last_grid(spec, int(crop[j])) == grids[1]]
    if later:
        back = max(later, key=lambda j: -acc[j] * np.sign(steps[i]))
        regained = -(acc[back] - acc[i + 1]) * np.sign(steps[i])  # against the step's way
        if regained >= abs(steps[i]) / 2:
            held = (f", the grid staying {dims(grids[1], grids[1])}" if spec and
                    grids[0] != grids[1] else "")
            text += (f". From {crop[i + 1]} to {crop[back]} px{held}, the accuracy moves back "
                     f"from {acc[i + 1]:.2f}% to {acc[back]:.2f}%, so the step does not hold "
                     "for the larger crops")
    return text + "."


def crop_check(df, train_crop: int, final: float) -> str:
    """Whether the crop study's accuracy at the training crop is the final accuracy the
    training section reports (`final`), as the same weights on the same test images give."""
    acc = float(_shown(df[df["test crop"] == train_crop], "test_acc", 2).iloc[0])
    if acc == half_up(final, 2):
        return (f"At the training crop it scores {acc:.2f}%, the final accuracy of section 2: "
                "the same weights on the same test images.")
    return (f"At the training crop it scores {acc:.2f}%, against the final {final:.2f}% of "
            "section 2: the two evaluations of the same weights differ.")


def crop_answer(df, train_crop: int, resize: int, n_test: int | None = None) -> str:
    """The one sentence that answers the crop study: the best crop, and whether testing at
    a larger crop than the training crop helped beyond the noise."""
    verdict = _crop_verdict(df, train_crop, resize, n_test)
    best = _best_crops(df)
    text = f"The best test crop{'s were' if ' and ' in best.split(' px')[0] else ' was'} {best}"
    if verdict is None:
        return text + "."
    if _best_crops(df) == f"{train_crop} px with {verdict[0]:.2f}%":  # the training crop
        return (f"The {train_crop} px training crop itself scored best ({verdict[0]:.2f}%); "
                f"{verdict[3]}.")
    return f"{text} against {verdict[0]:.2f}% at the {train_crop} px training crop; " \
        f"{verdict[3]}."


def crop_observations(df, train_crop: int, resize: int, n_test: int | None = None,
                      spec=None) -> str:
    """The training crop against every other test crop, in three groups (smaller, larger
    crops of the resized image, upscaled), each weighed against the noise of `n_test` test
    images, and what that says about testing at a larger crop than the training crop."""
    acc = df["test_acc"].astype(float).map(half_up)
    crop = df["test crop"].astype(int)
    verdict = _crop_verdict(df, train_crop, resize, n_test)
    best = _best_crops(df)
    text = f"The best test crop{'s were' if ' and ' in best.split(' px')[0] else ' was'} {best}"
    if verdict is None:
        return text + "."
    base, rows, kind, _ = verdict
    others = acc[crop != train_crop]
    above, below = int((others > base).sum()), int((others < base).sum())
    if best == f"{train_crop} px with {base:.2f}%":  # the training crop alone was best
        text = f"The training crop itself ({train_crop} px) scored best, {base:.2f}%. "
    else:
        text += f", against {base:.2f}% at the training crop ({train_crop} px). "
    if above == len(others) or below == len(others):
        text += (f"All {len(others)} other crops scored {'above' if above else 'below'} the "
                 "training crop. ")
    else:
        text += (f"Of the {len(others)} other crops, {above} scored above the training crop "
                 f"and {below} below it. ")
    top = float(acc.max())
    if top > base:  # the best crop was picked from all the others: widened for them
        lead = _crop_weighed(df, (crop == int(crop[acc.idxmax()])).to_numpy(),
                             (crop == train_crop).to_numpy(), len(others), n_test)[1]
        text += f"The best crop's lead, {signed(top - base, 2)} points, is {lead}. "
    text += ("Against the training crop, on average (each bound widened for the "
             f"{len(rows)} groups compared): " if len(rows) > 1 else
             "Against the training crop, on average: ") + "; ".join(
        f"{name} ({_span_px(lo, hi)}) {half_up(mean):.2f}%, {signed(diff, 2)} points"
        + ("" if beyond is None else
           f" ({'beyond' if beyond else 'within'} the noise, \u00b1{noise:.1f})")
        for name, mean, diff, beyond, lo, hi, noise in rows) + ". "
    text += kind[:1].upper() + kind[1:] + "."
    return text + _crop_step(df, resize, n_test, spec)


def crop_bounds(df, n_test: int | None) -> str:
    """How the crop study's bounds are made, said before the results that use them: what one
    test image is worth, and, where each crop's per-image answers are kept, why the bounds
    are paired."""
    text = (f"One test image is worth {100 / n_test:.3g} points of accuracy here "
            f"({n_test:,} test images)." if n_test else "")
    if "hits" in df:
        text += (" The bounds below are paired, since every crop evaluates the same weights "
                 "on the same test images: two standard errors of the per-image differences "
                 "between the crops compared (widened where a comparison picks the largest of "
                 "several); an image that both crops get right, or both wrong, adds no noise.")
    return text.strip()


def study_observations(df, noise: Noise | int | None = None, peak_end: bool = False) -> str:
    """The observations of a study: for runs in series (extra E), what each series trades
    (how the series differ, `readings_sentence`, is said with the study's settings); else
    how accuracy and cost move along the study."""
    return series_observations(df, noise) or runs_observations(df, noise, peak_end)


def spread_test(df, noise: Noise | int | None = None) -> tuple[float, float] | None:
    """The F test of `spread_sentence`: (F, p) of the runs' variance over the seeds' s\u00b2;
    None without several seeds, with fewer than 3 runs, or where the runs branch from one
    run."""
    seeds = as_noise(noise).seeds
    accs = [float(a) for a in df["test_acc"]]
    if len(seeds) < 2 or len(accs) < 3 or ("history" in df and _shared_epochs(df) > 0):
        return None
    ratio = statistics.variance(accs) / statistics.variance(seeds)
    return ratio, analysis.f_tail(ratio, len(accs) - 1, len(seeds) - 1)


def spread_sentence(df, noise: Noise | int | None = None) -> str:
    """Whether a study's runs, taken together, spread more than section 2's seeds do: the
    variance of their accuracies over the seeds' s² is Snedecor's F on (runs − 1,
    seeds − 1) degrees of freedom where every run is one draw of the seeds' spread plus
    its setting's effect. Beyond it, either some setting moves the accuracy or these runs
    spread more than the seeds (the assumption each bound makes), and one run per setting
    cannot tell which. Empty without several seeds, with fewer than 3 runs, or where the
    runs branch from one run (their first epochs shared), which are not separate draws."""
    noise = as_noise(noise)
    tested = spread_test(df, noise)
    if tested is None:
        return ""
    accs = [float(a) for a in df["test_acc"]]
    ratio, p = tested
    k, n = len(accs), len(noise.seeds)
    said = (f"a standard deviation of {statistics.stdev(accs):.2f} points against the seeds' "
            f"{statistics.stdev(noise.seeds):.2f} (F = {ratio:.2f} on {k - 1} and {n - 1} "
            f"degrees of freedom, p = {p:.3f})")
    if p < 0.05:
        return (f"Taken together, the {k} runs spread more than section 2's {n} seeds do: "
                f"{said}. Either some of the settings differ in accuracy, or these networks "
                "and schedules spread more than section 2's seeds, which every bound above "
                "assumes they do not; one run per setting cannot tell which.")
    return (f"Taken together, the {k} runs spread no more than section 2's {n} seeds would "
            f"alone: {said}, so they show neither an effect of the settings nor a spread "
            "larger than the seeds'.")


def study_answer(df, noise: Noise | int | None = None, peak_end: bool = False) -> str:
    """A study's answer in a few words, for the conclusions (its observations say it in
    full), with the caveat that every run ended undecayed when it did (`peak_end`)."""
    text = (_series_parts(df, noise, short=True) or _runs_parts(df, noise, short=True))[0]
    if peak_end:
        text = text[:-1] + "; every run ended undecayed, at the peak learning rate."
    tested = spread_test(df, noise)
    if tested is not None and tested[1] < 0.05:  # the bounds' assumption fails
        text += (" But its runs spread more than section 2's seeds, so its bounds, which "
                 "assume they do not, may be too narrow.")
    return text


def _models(n) -> str:
    """'1 model', '3 models', '2 to 3 models'."""
    return f"{n} model{'' if str(n) == '1' else 's'}"


def _lowest_error(summary) -> str:
    """Which space's models had the lowest error: its mean, or with one model per space the
    error of its one model."""
    best = summary.loc[summary["mean"].idxmin()]
    if int(summary["n"].max()) == 1 and len(summary) > 1:  # one model a space: no ranking
        worst = summary.loc[summary["mean"].idxmax()]
        return (f"Across {len(summary)} trained models, one per space, the errors ran from "
                f"{best['mean']:.1f}% ({typeset_spaces(best['label'])}) to {worst['mean']:.1f}% "
                f"({typeset_spaces(worst['label'])})")
    text = f"Across {int(summary['n'].sum())} trained models, {typeset_spaces(best['label'])}"
    if int(summary["n"].max()) == 1:
        return text + f" had the lowest error ({best['mean']:.1f}%, its one model)"
    return text + f" had the lowest mean error ({best['mean']:.1f}%, n = {int(best['n'])})"


def near_guessing(errors: Sequence[float], classes: int, near: float = 5.0) -> tuple[float, int]:
    """The error of guessing among `classes` classes, and how many `errors` are within `near`
    points of it."""
    chance = 100 * (1 - 1 / classes)
    return chance, sum(1 for e in errors if e >= chance - near)


def chance_sentence(errors: Sequence[float], classes: int | None, near: float = 5.0) -> str:
    """The error of guessing among `classes` classes, and how many of the models' `errors`
    ended within `near` points of it (in effect untrained in so short a run); "" without a
    class count."""
    if not classes:
        return ""
    chance, untrained = near_guessing(errors, classes, near)
    text = f"Guessing among {classes} classes gives {chance:.0f}% error"
    if not untrained:
        return text + (f"; every model ended at least {chance - max(errors):.1f} points below "
                       "it.")
    return text + (f"; {untrained} of the {len(errors)} models ended within {near:g} points "
                   "of it, in effect untrained, so the spaces' errors partly measure which "
                   "models learned at all in so short a run.")


def design_space_observations(summary, claims, errors: Sequence[float] = (),
                              classes: int | None = None) -> str:
    """Which space had the lowest mean error, how wide the claims' intervals are with these
    few models, and which claims show a difference at all (no difference confirms nothing);
    with the models' `errors` and the number of `classes`, how the errors sit against
    guessing."""
    tested = claims[claims["consistent"].notna()]
    one = ("One model per space cannot rank the spaces: each space's one model may be its "
           "best or its worst." if int(summary["n"].max()) == 1 and len(summary) > 1 else "")
    text = " ".join(filter(None, [f"{_lowest_error(summary)}.", one,
                                   chance_sentence(errors, classes)]))
    if not len(tested):
        none = (f"None of the paper's {len(claims)} claims could" if len(claims) > 1 else
                "The paper's one claim could not")
        return text + (f" {none} be tested with "
                       f"{_models(int(summary['n'].min()))} per space "
                       f"({quoted_claims(claims['claim'])}). Tested as one family of "
                       f"{len(analysis.CLAIMS)}, each claim needs p below "
                       f"{1 - analysis.CLAIM_LEVEL:.3g} and so at least "
                       f"{analysis.fewest_models(analysis.CLAIM_LEVEL)} models in both of the "
                       "spaces it compares: with fewer, not even two spaces whose errors do not "
                       "overlap at all could be told apart.")
    text += (f" All {len(claims)} claims" if len(tested) == len(claims) else
             f" Of the {len(claims)} claims, {len(tested)}") + " could be tested"
    shown = tested[tested["verdict"] != "no clear difference"]
    sizes = sorted({int(tested["n"].min()), int(tested["n"].max())})
    tied = tested[tested["verdict"] == "no clear difference"]
    text += f", with {_models(' to '.join(map(str, sizes)))} per space"
    if len(tied):  # how large a gap so few models leave undecided
        wide = tied.loc[tied["mean_gap"].abs().idxmax()]
        text += (f", where a gap of {abs(wide['mean_gap']):.1f} points still has p = "
                 f"{wide['p']:.3f}"
                 + (f", above the {1 - analysis.CLAIM_LEVEL:.3g} a claim needs"
                    if wide["p"] < 1 - analysis.LEVEL else ""))
    text += ". "
    if len(shown):
        verb = "shows" if len(shown) == 1 else "show"
        agree = int(shown["consistent"].astype(bool).sum())
        text += (f"Only {quoted_claims(shown['claim'])} {verb} a difference "
                 f"({numbers(list(dict.fromkeys(shown['verdict'])))}), "
                 + ("in the paper's direction" if agree == len(shown) else
                    f"{agree} of {len(shown)} in the paper's direction"))
    else:
        text += "None shows a difference"
    return text + ". A claim with no clear difference is not confirmed by it." + \
        _margin_sentence(tested) + (" Nor do so few models per space draw an error EDF "
                                    "with more than a few steps.")


def _margin_sentence(tested) -> str:
    """What the tested claims of no loss ("does not hurt", "at least as good") confirm: each
    holds for a loss margin, set beforehand, above the upper end of its gap's interval."""
    if "kind" not in tested or "gap_high" not in tested:
        return (" Showing that a restriction does not hurt takes an interval narrow enough to "
                "rule out a real loss.")
    no_loss = tested[(tested["kind"] == "not worse") & (tested["verdict"] != "higher error")]
    if not len(no_loss):
        return ""
    highs = no_loss["gap_high"]
    best = no_loss.loc[highs.idxmin()]
    ends = (f"{signed(highs.min(), 1)} to {signed(highs.max(), 1)} points"
            if half_up(highs.max(), 1) != half_up(highs.min(), 1)
            else f"{signed(highs.min(), 1)} points")
    many = len(no_loss) > 1
    lead = (f" Of the claims tested, {len(no_loss)} claim no loss" if many else
            f" One claim, {quoted_claims([best['claim']])}, claims no loss")
    return (lead + ": such a claim holds only where the interval of its gap stays below the "
            "largest loss of accuracy one would accept, a margin set beforehand. "
            f"{'Their intervals end at' if many else 'Its interval ends at'} {ends} of error"
            + (f", so the most these models confirm is {quoted_claims([best['claim']])}, and "
               f"only for a margin of {max(highs.min(), 0):.1f} points or more." if many else
               f", so it holds only for a margin of {max(highs.min(), 0):.1f} points or more."))


def design_space_answer(summary, claims, errors: Sequence[float] = (),
                        classes: int | None = None) -> str:
    """The one sentence that answers the design-space study: the space with the lowest mean
    error, and which of the paper's claims these models could show a difference for; with
    the models' `errors` and the number of `classes`, how many stayed near guessing."""
    tested = claims[claims["consistent"].notna()]
    untrained = near_guessing(errors, classes)[1] if classes else 0
    text = _lowest_error(summary)  # ends in its parenthesis, which takes the count too
    single = int(summary["n"].max()) == 1 and len(summary) > 1
    if untrained:
        text = (text[:-1] + f"; {untrained} of the {len(errors)} models stayed near the error "
                "of guessing)")
    if single:
        return text + (": one model per space cannot rank the spaces, and none of the "
                       "paper's claims could be tested with so few.")
    if not len(tested):
        return text + ", and none of the paper's claims could be tested with so few."
    shown = tested[tested["verdict"] != "no clear difference"]
    sizes = " to ".join(map(str, sorted({int(tested["n"].min()), int(tested["n"].max())})))
    if not len(shown):
        return text + (f"; with {_models(sizes)} per space, none of the {len(tested)} claims "
                       "tested shows a difference, which confirms none of them.")
    agree = int(shown["consistent"].astype(bool).sum())
    direction = ("in the paper's direction" if agree == len(shown) else
                 f"{agree} of them in the paper's direction")
    return text + (f"; of the {len(tested)} claims tested with {_models(sizes)} per space, "
                   f"{len(shown)} {'shows' if len(shown) == 1 else 'show'} a difference, "
                   f"{direction}: {quoted_claims(shown['claim'])}.")


def quoted_claims(claims) -> str:
    """Claims of the claims table in quotes, spaces typeset: “RegNetX is ...” and “...”."""
    return typeset_spaces(numbers([f"\u201c{c}\u201d" for c in claims]))


def train_answer(summary, values: Mapping[str, Any]) -> str:
    """The one sentence that answers the training section: the final test accuracy, with
    the crop size, classes and epochs it was reached at."""
    s = settings(values.data)
    classes = s["DATA_NUM_CLASSES"] or summary.spec.num_classes
    n_test = summary.test_images
    on = f" on its {n_test:,} test images" if n_test else ""
    return (f"After {_epochs(summary.epochs)} on {s['DATA_CROP']} px crops of {classes} classes, "
            f"{network_name(summary.spec.name)} reached {summary.test_acc:.2f}% test "
            f"accuracy{on}.")


def seeds_sentence(seeds: Sequence[tuple[int, float]], n_test: int | None,
                   separated: bool = True) -> str:
    """What training one network with several seeds shows: each seed's final accuracy, their
    standard deviation against the test images' sampling error, and the difference two runs
    could show from the seed alone; `separated`: section 4 separates the images the seeds
    disagree on from their spread (the runs keep their weights)."""
    accs = [acc for _, acc in seeds]
    mean, sd = sum(accs) / len(accs), statistics.stdev(accs)
    text = (f"Trained with {len(seeds)} seeds ({numbers([seed for seed, _ in seeds])}), the "
            f"same network ended at {numbers([f'{acc:.2f}%' for acc in accs])} test accuracy: "
            f"a standard deviation of {sd:.2f} points between seeds around a mean of "
            f"{half_up(mean):.2f}%. Every seed trains and tests on the same images, so the "
            "spread is the seed's doing, in two parts: how well each seed learned, and which "
            "of these test images it happened to get right.")
    noise = accuracy_noise(n_test, mean)
    if noise is not None:
        ratio = sd / (noise / 2)
        text += (f" Drawing other test images would move one accuracy too: sampling the "
                 f"{n_test:,} test images puts \u00b1{noise:.1f} points (two standard errors, "
                 f"at the seeds' mean) on it, and the seeds' standard deviation is "
                 + ("about one such standard error" if ratio < 1.5 else
                    f"{ratio:.1f} of those standard errors")
                 + (" (section 4 measures the second part of the seeds' spread, which test "
                    "images each seed got right, and separates it from the first)."
                    if separated else "."))
    free = len(seeds) - 1
    first, acc = seeds[0]
    rank = (f", the lowest of the {len(seeds)}" if acc == min(accs) else
            f", the highest of the {len(seeds)}" if acc == max(accs) else "")
    return text + (f" From so few seeds, a 95% bound on the difference between two runs that "
                   f"differ only in their seed is \u00b1{seed_bound(accs):.1f} points "
                   f"(Student's t with {free} degree{'s' if free > 1 else ''} of freedom). The "
                   f"later sections use the run of seed {first} ({acc:.2f}%{rank}).")


def seed_bound(accs: Sequence[float], pairs: int = 1) -> float:
    """How far apart two runs that differ only in their seed can end, in points: a 95% bound
    on their difference from the seeds' standard deviation, Student's t with one degree of
    freedom fewer than seeds; widened (Bonferroni) when the largest of `pairs` differences
    is picked, as the test images' bounds are."""
    return (analysis.t_quantile(1 - 0.025 / pairs, len(accs) - 1) * 2 ** 0.5
            * statistics.stdev(accs))


def next_step(accs: Sequence[float], values: Mapping[str, Any], per_setting: int = 4) -> str:
    """What would sharpen the studies, for the end of the conclusions: with several seeds'
    accuracies `accs`, averaging `per_setting` seeds per setting divides the seeds' bound of
    a difference by the square root of that (the same t); with one seed, measuring the
    spread at all; and, on synthetic data, the course's real images."""
    if len(accs) > 1:
        bound = seed_bound(accs)
        sharper = bound / math.sqrt(per_setting)
        text = ("<b>Next.</b> Every study compares one run of a setting with one run of "
                "another, so a difference must clear the seeds' spread: two runs that differ "
                f"only in their seed end within \u00b1{bound:.1f} points of each other. "
                f"Training each setting with {per_setting} seeds and comparing their means "
                f"would cut that to about \u00b1{sharper:.1f} points, so that differences "
                f"between {sharper:.1f} and {bound:.1f} points, which these runs leave open, "
                "could be told apart.")
    else:
        text = ("<b>Next.</b> Section 2 trained its network with one seed, so no study here "
                "knows how far two runs differing only in their seed can end apart; training "
                "it with several seeds is the first step before any difference is read as an "
                "effect.")
    if values["DATASET"] == "synthetic":
        text += (" On the course's data, real photographs trained on 56 px crops for the "
                 "full schedule, the same studies would then speak about RegNet itself.")
    return text


def seeds_answer(seeds: Sequence[tuple[int, float]]) -> str:
    """The seeds in a few words, for the conclusions."""
    accs = [acc for _, acc in seeds]
    return (f"With {len(seeds)} seeds it ended between {min(accs):.2f}% and {max(accs):.2f}% "
            f"(standard deviation {statistics.stdev(accs):.2f} points).")


def design_answer(spec, total: Mapping[str, int]) -> str:
    """The one sentence that sums up the designed network: depth, widths and cost."""
    return (f"{network_name(spec.name)} at {spec.input_size} px and {spec.num_classes} classes "
            f"has {sum(spec.depths)} X blocks in four stages of widths "
            f"{'/'.join(map(str, spec.widths))}, {total['params']:,} parameters and "
            f"{total['macs']:,} MACs per image.")
