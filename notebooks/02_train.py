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
# Train the network with the profile's parameters (or reuse the finished run), then the hyperparameters, the learning rate of every epoch, the training and test loss and accuracy per epoch, and the final accuracy.

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
from regnet.report import figures, notebook, prose, tables
from regnet.study import runs

values = notebook.start(globals())
spec = runs.network(values)
out = Path(RUN_DIR) if RUN_DIR else runs.train_dir(values)
on_load = notebook.show_header(f"Training: {spec.name}", values)  # adds the data loaded below
notebook.md(prose.train_settings(values, spec))

# %% [markdown]
# ## A. Hyperparameters
# Linear warm-up for `TRAINING_LR_INIT_EPOCHS` epochs, then a quarter cosine, per epoch $n = 1, 2, \dots$ with $l_{max}$ = `TRAINING_LR_MAX`, $l_0 = l_{max} \cdot$ `INIT_SCALE`, $l_f = l_{max} \cdot$ `FINAL_SCALE`, $E_0$ = `INIT_EPOCHS`, $E_1$ = `FINAL_EPOCHS`:
#
# $$l(n) = l_0 + (l_{max} - l_0)\,\frac{n - 1}{E_0} \qquad (n \le E_0)$$
#
# $$l(n) = l_f + (l_{max} - l_f)\cos\Big(\frac{n - 1 - E_0}{E_1 - 1}\cdot\frac{\pi}{2}\Big) \qquad (n > E_0)$$

# %%
tables.show(tables.hyperparameter_table(values, spec), "Hyperparameters, as resolved for this run")
rates = schedule.warmup_cosine(values.schedule)
tables.show(tables.rate_table(rates), "Learning rate of every epoch (epochs counted from 1)")
figures.show(figures.plot_rates(rates), "Learning rate per epoch")

# %%
summary = runs.train_or_reuse(values, out, runs.Datasets(on_load=on_load))

# %% [markdown]
# ## B. Loss and accuracy per epoch

# %%
figures.show(figures.plot_curves({spec.name: summary["history"]}),
             f"{spec.name}: training and test loss and accuracy per epoch")

# %% [markdown]
# ## C. Final accuracy

# %%
keys = ["params", "MACs", "epochs", "time/epoch (s)", "images/s", "train loss",
        "test acc (%)", "best test acc (%)", "test top-5 (%)"]
tables.show(pd.DataFrame([{k: summary[k] for k in keys}]), f"{spec.name}: final result")
notebook.md(f"**Final test accuracy = {summary['test acc (%)']:.2f}%.** "
            + prose.train_observations(summary) + " " + prose.timing_sentence([summary])
            + f" Run folder: `{runs.short(out)}` "
            + ("(trained for this report)." if summary["trained"] else "(reused)."))
