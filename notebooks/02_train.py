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
# # 2. Training

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
REGNETX = None       # None: the profile's network; e.g. 800mf, custom
DATA_DIR = None      # None: the dataset's default; in Colab e.g. "/content/drive/MyDrive/regnet-data"
                     # keeps the course data on Google Drive (mounted when needed)
RUN_DIR = None       # None: runs/<profile>/<REGNETX>-<run key>; finished runs are reused

# %%
from pathlib import Path

import pandas as pd
from regnet.engine import schedule
from regnet.params import resolve
from regnet.report import figures, notebook, prose, tables
from regnet.report.captions import cite, cited
from regnet.study import runs

values = notebook.start(globals())
spec = runs.network(values)
out = Path(RUN_DIR) if RUN_DIR else runs.train_dir(values)
header = notebook.show_header(f"Training: {prose.network_name(spec.name)}", values)
notebook.md(prose.train_settings(values, spec))
course = None if values["PROFILE"] == "course" else resolve([notebook.profile_file("course")])

# %% [markdown]
# ## A. Hyperparameters
# <span class="regnet-ref" data-labels="hyper" data-form="name">The first table below</span> gives the data and the network, <span class="regnet-ref" data-labels="hyper-2" data-form="name">the second</span> the optimizer and the schedule. The learning rate of epoch $t = 1, 2, \dots$ rises linearly from $l_0$ over $E_0$ warm-up epochs and reaches the peak $l_{\mathrm{max}}$ in the first epoch after them, then falls along a quarter cosine over $E_1$ epochs to $l_f$ (<span class="regnet-ref" data-labels="hyper-2" data-form="name">the second table below</span> names each symbol beside its value and the course's parameter name; <span class="regnet-ref" data-labels="rates" data-form="name">the table after it</span> gives the rate of each epoch and <span class="regnet-ref" data-labels="rate-plot" data-form="name">the figure</span> draws it):
#
# $$l(t) = l_0 + (l_{\mathrm{max}} - l_0)\,\frac{t - 1}{E_0} \qquad (t \le E_0)$$
#
# $$l(t) = l_f + (l_{\mathrm{max}} - l_f)\cos\Big(\frac{t - 1 - E_0}{\max(E_1 - 1, 1)}\cdot\frac{\pi}{2}\Big) \qquad (t > E_0)$$

# %%
recipe = tables.hyperparameter_table(values, spec, course,
                                     None if course is None else runs.network(course))
both = "" if course is None else ", this run's and the course's"
optimizer = int(recipe["parameter"].str.startswith("TRAINING_").idxmax())  # its first row
tables.show(recipe.iloc[:optimizer], f"Hyperparameters of the data and the network{both}",
            label="hyper")
tables.show(recipe.iloc[optimizer:], f"Hyperparameters of the optimizer and the schedule{both}",
            label="hyper-2")
rates = schedule.warmup_cosine(values.schedule)
tables.show(tables.rate_table(rates), "Learning rate of every epoch (epochs counted from 1)",
            label="rates")
course_rates = None if course is None else schedule.warmup_cosine(course.schedule)
course_rates = None if course_rates == rates else course_rates  # drawn only where it differs
figures.show(figures.plot_rates(rates, course_rates), "Learning rate per epoch"
             + ("" if course_rates is None else ", this run's and the course's"), "rate-plot")

# %%
summary = runs.train_or_reuse(values, out, runs.Datasets(on_load=header.on_load))
how = "trained for this report" if summary.trained else "reused"
header.record(**{"run folder": f"{runs.short(out)} ({how})",
                 "load average": prose.load_record([summary.row()])})

# %% [markdown]
# ## B. Loss and accuracy per epoch

# %%
figures.show(figures.plot_curves({prose.network_name(spec.name): summary.history}),
             f"{prose.network_name(spec.name)}: training and test loss and accuracy per epoch",
             "curves")
per_epoch = len(summary.history) <= 12  # a short run's numbers, exactly, in a table too
if per_epoch:
    tables.show(pd.DataFrame(summary.history)[["epoch", "lr", "train_loss", "train_acc",
                                               "test_loss", "test_acc"]],
                f"{prose.network_name(spec.name)}: loss and accuracy of every epoch",
                label="epochs")
notebook.md(cited(prose.curves_sentence(summary.history, spec.num_classes),
                  *(["curves", "epochs"] if per_epoch else ["curves"])))

# %% [markdown]
# ## C. Final accuracy

# %%
timed = prose.loads_compare([summary.row()])  # a busy machine spoils the times
keys = ["params", "macs", "epochs"] + (["epoch_seconds", "images_per_second"] if timed else []) \
    + ["train_loss", "test_acc"] \
    + (["best_test_acc"] if summary.best_test_acc != summary.test_acc else []) \
    + (["test_top5"] if spec.num_classes > 10 else [])
tables.show(pd.DataFrame([{k: summary.row()[k] for k in keys}]).rename(  # the size they
                columns={"macs": f"MACs at {spec.input_size}\u00a0px"}),  # are counted at
            f"{prose.network_name(spec.name)}: final result", label="final")
notebook.md(("Time per epoch is the median over the epochs after the first, whose time also "
             "holds the program's start-up (a one-epoch run has only that one), evaluation "
             "included; images/s counts training images per second of the training steps "
             "alone, the mean over the same epochs." if timed else
             "Time per epoch and images per second are left out: the machine had other work "
             "while this run trained (a load average above its number of cores, Appendix II), "
             "which can change them more than the network does.")
            + ("" if spec.num_classes > 10 else
               f" Top-5 accuracy is not shown: with {spec.num_classes} classes it says little."))
notebook.md(f"**Final test accuracy = {summary.test_acc:.2f}%**{cite('final')}. "
            + " ".join(filter(None, [prose.train_observations(summary, spec.num_classes),
                                     prose.data_counts(summary, values)])))
if timed:  # where the times were measured (else the paragraph above said why they are not)
    notebook.setup(prose.timing_sentence([summary.row()]))  # later sections share it

# %%
# SEEDS > 1: the same network again with SEED + 1, SEED + 2, ...: the seed-to-seed noise
again = runs.seed_values(values)[1:]
seeds = [(values["SEED"], summary)] + [(v["SEED"], runs.train_or_reuse(v, runs.train_dir(v)))
                                       for v in again]
if again:
    tables.show(pd.DataFrame([{"seed": seed, "train_loss": s.train_loss, "test_acc": s.test_acc}
                              for seed, s in seeds]),
                f"{prose.network_name(spec.name)} trained with each seed", label="seeds")
    notebook.md(cited(prose.seeds_sentence([(seed, s.test_acc) for seed, s in seeds],
                                           summary.test_images, values["FILE_SAVE"]), "seeds"))
    header.record(**{"seed run folders": ", ".join(runs.short(runs.train_dir(v))
                                                   for v in again)})
notebook.finding(prose.train_answer(summary, values) + (
    " " + prose.seeds_answer([(seed, s.test_acc) for seed, s in seeds]) if again else ""))
notebook.next_step(prose.next_step([s.test_acc for _, s in seeds], values))
