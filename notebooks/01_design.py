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
# # 1. Design
# The network drawn and tabulated from its spec: the generic structure, the standard and the downsampling X block, and the parameter table.

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
REGNETX = None       # None: the profile's network; e.g. 800mf, custom, regnetx_400mf

# %%
import matplotlib.pyplot as plt
from regnet.arch import space
from regnet.report import figures, notebook, tables

values = notebook.resolve(globals())
spec = space.named(values["REGNETX"], values.model)
notebook.show_header(f"Design: {spec.name}", values)

# %% [markdown]
# ## A. Generic network structure
# Stem, body of stages, head. Stage $i$ has depth $d_i$ (blocks), width $w_i$ (channels), group width $g$ and bottleneck ratio $b$.

# %%
figures.draw_network(spec); plt.show()

# %% [markdown]
# ## B. Standard building block (X block, $s = 1$)

# %%
repeat = next((i for i, s in enumerate(spec.stages, 1) if s.depth > 1), len(spec.stages))
figures.draw_block(spec, stage=repeat, downsample=False); plt.show()

# %% [markdown]
# ## C. Downsampling building block (X block, $s = 2$)

# %%
down = next((i for i, s in enumerate(spec.stages, 1) if s.stride > 1), 1)
figures.draw_block(spec, stage=down, downsample=True); plt.show()

# %% [markdown]
# ## D. Parameter table

# %%
tables.show(tables.parameter_table(spec), f"{spec.name}: the network's parameters")

# %% [markdown]
# ## E. Where the widths come from
# A RegNet's block widths follow the linear rule $u_j = w_0 + w_a \cdot j$ for $0 \le j < d$, snapped to $w_j = w_0 \cdot w_m^{\mathrm{round}(\log(u_j / w_0) / \log w_m)}$ and rounded to a multiple of 8; blocks of equal width form a stage.

# %%
if spec.params:
    tables.show(tables.width_rule_table(spec), "per-block widths from the RegNet rule")
else:
    print("custom network: its widths are given stage by stage")
