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
# # 3. Implementation
# Every operator of the network with its parameters, multiply-accumulates (MACs) and activations, from one hooked forward pass of the built model, and the seeds' hand-made totals beside the generated ones.

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
REGNETX = None       # None: the profile's network

# %%
from regnet.arch import complexity, model, space
from regnet.report import notebook, tables

values = notebook.resolve(globals())
spec = space.named(values["REGNETX"], values.model)
rows = complexity.operator_table(model.build(spec))
total = complexity.totals(rows)
assert total == complexity.closed_form(spec), "the table and the closed form disagree"
notebook.show_header(f"Implementation: {spec.name} at "
                     f"{spec.in_channels}x{spec.input_size}x{spec.input_size}", values)

# %% [markdown]
# ## Totals
# Conv MACs $= k^2 \, c_{in} \, c_{out} \, h \, w / \mathrm{groups}$, linear MACs $= c_{in} c_{out} + c_{out}$, batch norm $2C$ parameters and no MACs; ReLU, the residual add and pooling are free.

# %%
import pandas as pd
tables.show(pd.DataFrame([{"network": spec.name, "input": f"{spec.input_size} px",
                           "params": total["params"], "MACs": total["macs"],
                           "activations": total["acts"]}]), "totals")

# %% [markdown]
# ## Per stage

# %%
tables.show(pd.DataFrame(complexity.stage_totals(rows)), "per stage")

# %% [markdown]
# ## Every operator

# %%
tables.show(tables.operator_frame(rows), f"{spec.name}: every operator")

# %% [markdown]
# ## Per stage and role (summed over each stage's blocks)

# %%
tables.show(tables.summary_by_role(rows), "per stage and role")

# %% [markdown]
# ## The seeds' hand-made totals
# The seed reports typed their tables by hand. Seed 000 counted the stem and the three convs of every block, each stage's convs multiplied by its depth with the first block's input width (so stages 3 and 4 are over-counted) and without projections, norms or head; seed 001's total mixes up its columns. The generated numbers for the same scope are beside them.

# %%
if spec.name == "200mf":
    tables.show(tables.seed_comparison(rows), "seed totals vs the built model (course 200MF)")
else:
    print(f"the seeds tabulated course 200MF only; this report is for {spec.name}")
