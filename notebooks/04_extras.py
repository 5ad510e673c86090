# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Extras
# The extra studies of the assignment, one per report, chosen by `EXPERIMENT` (a file in `params/experiments/`): `variants`, `group_width`, `epochs`, `test_crops`, `bottleneck`.

# %%
# In Colab: clone this repository and make `import regnet` work in this kernel, no restart
# needed (regnet/colab.py says how). Elsewhere this does nothing.
import sys
if "google.colab" in sys.modules:
    import os
    import subprocess
    REPO = "/content/regnet-course-lab"
    if not os.path.isdir(REPO):
        subprocess.run(["git", "clone", "-q", "--depth", "1",
                        "https://github.com/regnet-lab/regnet-course-lab", REPO], check=True)
    sys.path.insert(0, os.path.join(REPO, "lib"))
    from regnet.colab import setup
    setup(REPO)

# %% tags=["parameters"]
PROFILE = None       # quick: a CPU demo on synthetic data; course: the real run; tiny:
                     # Tiny ImageNet (None: course in Colab with a GPU, quick elsewhere)
PARAMS_FILE = None   # an extra YAML file of parameters (params/...)
EXPERIMENT = "variants"   # variants, group_width, epochs, test_crops, bottleneck
DATA_DIR = None      # None: the dataset's default; in Colab e.g. "/content/drive/MyDrive/regnet-data"

# %%
from pathlib import Path

from regnet import data
from regnet.report import figures, notebook, prose, tables
from regnet.report.captions import cited
from regnet.params import total_epochs
from regnet.study import experiments, runs

values = notebook.start(globals())
exp = experiments.load(EXPERIMENT, values["PROFILE"])
configs = [experiments.run_values(values, exp, label) for label in exp.runs]
epochs = sorted({total_epochs(v) for v in configs}) or [total_epochs(values)]
header = notebook.show_header(exp.title, values, epochs=prose.numbers(epochs),
                              **{"experiment file": f"params/experiments/{EXPERIMENT}.yaml"})
notebook.md(exp.description)
notebook.setup(prose.section_setup(values))  # shared by every study of the section
seeded = runs.seed_summaries(values)  # section 2's network over several seeds, if any
datasets = runs.Datasets(on_load=header.on_load)  # each dataset loaded once for the section
# which test images each seed's final weights got right (where runs keep their weights)
seed_hits = experiments.seed_hits(values, datasets) \
    if seeded and values["FILE_SAVE"] else {}
seed_noise = prose.seed_noise([s.test_acc for s in seeded or ()],
                              seeded[0].test_images if seeded else None,
                              seeded[0].run if seeded else None, seed_hits,
                              [s.run for s in seeded or ()])
for paragraph in prose.weighing_setup(values, [s.test_acc for s in seeded] if seeded else None,
                                      seeded[0].test_images if seeded else None,
                                      paired=values["FILE_SAVE"],  # runs keep their weights
                                      between=seed_noise.seeds_disagree()):
    notebook.setup(paragraph)

# %%
if exp.kind == "test_crops":
    crops, summary = experiments.crop_study(values, exp,
                                            datasets=datasets)
    spec, sizes = summary.spec, data.settings(values.data)
    header.record(**{"run folder": runs.short(Path(summary.run))})
    notebook.md(prose.crop_settings(values, spec, experiments.crop_range(values, exp)) + " "
                + prose.crop_bounds(crops, summary.test_images))
    shown = crops.drop(columns=["hits"] + ([] if spec.num_classes > 10  # top-5 says little
                                           else ["test_top5"]))  # with 10 classes
    tables.show(tables.fold(shown, 3 if len(crops) > 12 else 1, "test crop"),
                f"{prose.network_name(spec.name)}: test accuracy (%) per test crop (px)",
                label="crops")
    figures.show(figures.plot_crops(crops, sizes["DATA_CROP"], sizes["DATA_RESIZE"],
                                    summary.test_images),
                 f"{prose.network_name(spec.name)}: test accuracy against the test crop"
                 + (" (whiskers: two standard errors of each crop's difference from the "
                    "training crop, image by image: a whisker that misses the dashed level "
                    "of the training crop's accuracy marks a difference beyond the noise for "
                    "that crop alone; the text widens the bound where it picks the best of "
                    "several)"
                    if "hits" in crops else
                    " (whiskers: two standard errors of each accuracy)"
                    if summary.test_images else ""), "crop-plot")
    # section 2's other seeds at the same crops (their weights, no training): whether one
    # seed's score at the training crop decides the verdict
    seed_crops = [crops] + [experiments.crop_study(v, exp, datasets=datasets)[0]
                            for v in runs.seed_values(values)[1:]] \
        if seeded and values["FILE_SAVE"] else []
    notebook.md("**Observations.** " + cited(prose.crop_observations(
        crops, sizes["DATA_CROP"], sizes["DATA_RESIZE"], summary.test_images, spec), "crops",
        "crop-plot") + " "
        + prose.crop_check(crops, sizes["DATA_CROP"], summary.test_acc)
        + prose.crop_seeds_sentence(seed_crops, sizes["DATA_CROP"], sizes["DATA_RESIZE"])
        + prose.apparent_size_sentence(values, crops))
    notebook.finding(prose.crop_answer(crops, sizes["DATA_CROP"], sizes["DATA_RESIZE"],
                                       summary.test_images)
                     + prose.crop_seeds_sentence(seed_crops, sizes["DATA_CROP"],
                                                 sizes["DATA_RESIZE"], short=True))
else:
    df = experiments.run_experiment(values, exp, datasets=datasets)
    label = df.columns[0]
    records = df.to_dict("records")
    header.record(**{"run folders": ", ".join(runs.short(Path(r)) for r in df["run"]),
                     "load average": prose.load_record(records)})
    notebook.md(" ".join(filter(None, [prose.study_settings(values, configs, list(df["spec"])),
                                       prose.readings_sentence(df)])))  # series: how they differ
    if prose.loads_compare(records):  # where this study's times were measured
        notebook.setup(prose.timing_sentence(records))  # as section 2 says it: said once
    else:  # why times are left out where the load spoilt them: said once per section
        notebook.setup(prose.times_sentence(records))
    tables.show(tables.study_table(df, times=prose.loads_compare(records)), exp.title,
                label="study")
    named = df.assign(**{label: [prose.run_name(label, v) for v in df[label]]})
    costs = [c for c in ("params", "macs") if df[c].nunique() > 1]  # none: one network,
    panels = costs + (["epoch_seconds"] if costs and prose.loads_compare(records)  # whose
                      else []) + ["test_acc"]  # times per epoch would be equal bars
    # the yardstick of every difference: section 2's seeds or, without them, the test images
    # compared image by image where the runs kept their weights (their hits)
    noise = prose.seed_noise([s.test_acc for s in seeded or ()], prose.test_images(records),
                             seeded[0].run if seeded else None,
                             {**dict(zip(df["run"], df["hits"])), **seed_hits},
                             [s.run for s in seeded or ()])
    topic = exp.title.split(": ", 1)[-1]  # "Extra B: group width" -> "Group width"
    topic = topic[:1].upper() + topic[1:]
    whisker = figures.bar_whisker(noise, df["test_acc"], df["run"])
    cut = whisker is not None and bool((df["test_acc"] + whisker > 100).any())
    figures.show(figures.plot_bars(named, label, panels, noise),
                 f"{topic}: {figures.panel_names(panels, whisker, cut)}", "bars")
    shown = ["study", "bars"]
    if df["epochs"].max() > 1:  # curves of one point each would say nothing
        figures.show(figures.plot_curves(dict(zip(named[label], df["history"]))),
                     f"{topic}: training and test loss and accuracy per epoch", "curves")
        shown.append("curves")
    peak_end = all(v["TRAINING_LR_FINAL_EPOCHS"] == 1 for v in configs)  # none decayed
    notebook.md("**Observations.** " + cited(prose.study_observations(
        df, noise, peak_end=peak_end), *shown)  # then the runs together against the seeds
                + (" " + prose.spread_sentence(df, noise)).rstrip())
    notebook.finding(prose.study_answer(df, noise, peak_end=peak_end))
