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
# # 4. Extras
# One study per report, chosen by `EXPERIMENT` (a file in `params/experiments/`): `variants`, `group_width`, `epochs`, `test_crops`, `bottleneck`. Each run trains once and is reused.

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
EXPERIMENT = "variants"   # variants, group_width, epochs, test_crops, bottleneck

# %%
import matplotlib.pyplot as plt
from regnet import data
from regnet.report import figures, notebook, tables
from regnet.study import experiments

values = notebook.resolve(globals())
exp = experiments.load(EXPERIMENT, values["PROFILE"])
notebook.show_header(exp.title, values)
print(exp.description)

# %% [markdown]
# ## Results

# %%
if exp.kind == "test_crops":
    crops, summary = experiments.crop_study(values, exp)
    tables.show(crops, f"{values['REGNETX']}: test accuracy per test crop")
    sizes = data.settings(values)
    figures.plot_crops(crops, sizes["DATA_CROP"], sizes["DATA_RESIZE"]); plt.show()
    best = crops.loc[crops["test acc (%)"].idxmax()]
    print(f"best test crop: {int(best['test crop'])} px, {best['test acc (%)']:.2f}% "
          f"(training crop: {sizes['DATA_CROP']} px)")
else:
    df = experiments.run_experiment(values, exp)
    table = df.drop(columns=["history", "run"])
    tables.show(table, exp.title)
    figures.plot_bars(df, df.columns[0], ["params", "time/epoch (s)", "test acc (%)"],
                     exp.title); plt.show()
    figures.plot_history(dict(zip(df[df.columns[0]], df["history"])), "test_acc",
                        "test accuracy (%)", "test accuracy per epoch"); plt.show()
    figures.plot_history(dict(zip(df[df.columns[0]], df["history"])), "train_loss",
                        "training loss", "training loss per epoch"); plt.show()
