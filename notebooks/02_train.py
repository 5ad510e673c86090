# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Training
# Train the network with the profile's parameters (or reuse the finished run folder), then the hyperparameters, the learning rate of every epoch, the training loss and the test accuracy per epoch, and the final accuracy.

# %%
# In Colab: fetch this repository and install its package (elsewhere this does nothing).
import sys
if "google.colab" in sys.modules:
    # !git clone -q --depth 1 https://github.com/regnet-lab/regnet-course-lab /content/regnet-course-lab || true
    # %pip install -q -e /content/regnet-course-lab
    # %cd /content/regnet-course-lab/notebooks

# %% tags=["parameters"]
PROFILE = "quick"    # quick: CPU demo on synthetic data; course: the real run; tiny: Tiny ImageNet
PARAMS_FILE = None   # an extra YAML file of parameters (params/...)
REGNETX = None       # None: the profile's network; e.g. 800mf, custom
RUN_DIR = None       # None: runs/<profile>/train/<REGNETX>; finished runs are reused

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from regnet.engine import schedule
from regnet.report import figures, notebook, tables
from regnet.study import experiments

values = notebook.resolve(globals())
out = Path(RUN_DIR) if RUN_DIR else experiments.train_dir(values)
notebook.show_header(f"Training: {values['REGNETX']}", values)

# %% [markdown]
# ## A. Hyperparameters
# Linear warm-up for `TRAINING_LR_INIT_EPOCHS` epochs, then a quarter cosine, per epoch $e$ (from 0), with $l_{max}$ = `TRAINING_LR_MAX`, $l_0 = l_{max} \cdot$ `INIT_SCALE`, $l_f = l_{max} \cdot$ `FINAL_SCALE`, $E_0$ = `INIT_EPOCHS`, $E_1$ = `FINAL_EPOCHS`:
#
# $$l(e) = l_0 + (l_{max} - l_0)\,\frac{e}{E_0} \quad (e < E_0), \qquad l(e) = l_f + (l_{max} - l_f)\cos\Big(\frac{e - E_0}{E_1 - 1}\cdot\frac{\pi}{2}\Big) \quad (e \ge E_0)$$

# %%
tables.show(tables.hyperparameter_table(values), "hyperparameters")
tables.show(tables.rate_table(schedule.warmup_cosine(values.schedule)), "learning rate per epoch")

# %% [markdown]
# ## Run

# %%
summary = experiments.train_or_reuse(values, out)

# %% [markdown]
# ## B. Training loss vs epoch

# %%
figures.plot_history({values["REGNETX"]: summary["history"]}, "train_loss",
                    "training loss", "training loss per epoch"); plt.show()

# %% [markdown]
# ## C. Test accuracy vs epoch

# %%
figures.plot_history({values["REGNETX"]: summary["history"]}, "test_acc",
                    "test accuracy (%)", "test accuracy per epoch"); plt.show()

# %% [markdown]
# ## D. Final accuracy

# %%
keys = ["params", "MACs", "epochs", "time/epoch (s)", "images/s", "train loss",
        "test acc (%)", "best test acc (%)", "test top-5 (%)"]
tables.show(pd.DataFrame([{k: summary[k] for k in keys}]), "final result")
print(f"Final test accuracy = {summary['test acc (%)']:.2f}%")
