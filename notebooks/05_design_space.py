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
# # 5. Design-space study
# The paper's method: sample models from AnyNetX A to E and RegNetX within one compute regime, train each briefly, and compare the design spaces by the empirical distribution (EDF) of their errors, $F(e) = \frac{1}{n}\sum_i \mathbf{1}[e_i < e]$. Finished models are reused, so an interrupted sweep resumes.

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
SWEEP_SPACES = None  # None: the sweep file's; e.g. anynetx_a,anynetx_e,regnetx
SWEEP_SAMPLES = None # None: the sweep file's models per design space

# %%
import matplotlib.pyplot as plt
import pandas as pd
from regnet.arch import designspace
from regnet.report import notebook, tables
from regnet.study import analysis, experiments, sweep

PARAMS_FILE = PARAMS_FILE or f"params/sweep_{PROFILE}.yaml"  # the profile's sweep
values = notebook.resolve(globals())
out = experiments.run_dir(values, "design_space")
notebook.show_header("Design-space study: AnyNetX A-E and RegNetX", values,
                     **{"sweep file": PARAMS_FILE, "models per space": values["SWEEP_SAMPLES"],
                        "regime (M MACs at 56 px)":
                        f"{values['SWEEP_MACS_MIN']:g}-{values['SWEEP_MACS_MAX']:g}"})

# %% [markdown]
# ## The design spaces
# Each step of the paper restricts the one before; the size is the number of configurations the ranges allow (log10), before the compute limit.

# %%
tables.show(pd.DataFrame([{"space": k, "log10 size": round(v, 2)}
                         for k, v in designspace.sizes().items()]), "design-space sizes")

# %% [markdown]
# ## Sweep

# %%
results = sweep.run_sweep(values, out)

# %% [markdown]
# ## Error EDFs
# A curve further up and to the left is a better design space.

# %%
analysis.plot_edfs(results); plt.show()

# %%
tables.show(analysis.summary(results), "error by design space")

# %% [markdown]
# ## The paper's claims, checked on this sweep

# %%
claims = analysis.claims_table(results)
claims["90% interval of the gap"] = [f"[{lo:+.1f}, {hi:+.1f}]"
                                     for lo, hi in zip(claims["gap_low"], claims["gap_high"])]
tables.show(claims[["claim", "space", "baseline", "n", "mean", "mean_baseline",
                    "mean_gap", "90% interval of the gap", "verdict"]].round(1),
            "claims: mean error (%) of the space against its baseline")

# %% [markdown]
# ## Error against each parameter

# %%
analysis.plot_params(results); plt.show()

# %% [markdown]
# ## Every model

# %%
cols = [c for c in ["space", "index", "ds", "ws", "gs", "bs", "macs", "params", "error",
                     "seconds"] if c in results.columns]
tables.show(results[cols], "sampled models")
