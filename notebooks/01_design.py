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
# # 1. Design
# The network drawn and tabulated from its spec: the generic structure, the standard and the downsampling X block, and the parameter table.

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
REGNETX = None       # None: the profile's network; e.g. 800mf, custom, regnetx_400mf

# %%
from regnet.arch import complexity, model
from regnet.report import figures, notebook, tables
from regnet.study import runs

values = notebook.start(globals())
spec = runs.network(values)  # exactly the network the profile's runs train
rows = complexity.operator_table(model.build(spec))
notebook.show_header(f"Design: {spec.name}", values)
notebook.md(f"The network is drawn and tabulated as the profile trains it: "
            f"{spec.in_channels} x {spec.input_size} x {spec.input_size} input, "
            f"{spec.num_classes} classes, {complexity.totals(rows)['params']:,} parameters. "
            "Every shape below is read from one forward pass of the built model.")

# %% [markdown]
# ## A. Generic network structure
# Stem, body of stages, head. Stage $i$ has depth $d_i$ (blocks), width $w_i$ (channels), group width $g$ and bottleneck ratio $b$.

# %%
figures.show(figures.draw_network(spec.name, rows),
             f"{spec.name}: the generic structure with this network's numbers")

# %% [markdown]
# ## B. Standard building block (X block, $s = 1$)

# %%
repeat = next((f"s{i}" for i, s in enumerate(spec.stages, 1) if s.depth > 1), None)
if repeat:
    figures.show(figures.draw_block(rows, repeat, "b2"),
                 f"The standard X block (stride 1): block 2 of stage {repeat[1:]}")
else:
    notebook.md("Every stage of this network has one block, so it has no standard block.")

# %% [markdown]
# ## C. Downsampling building block (X block, $s = 2$)

# %%
down = next((f"s{i}" for i, s in enumerate(spec.stages, 1) if s.stride > 1), "s1")
figures.show(figures.draw_block(rows, down, "b1"),
             f"The downsampling X block: block 1 of stage {down[1:]}, with its projection shortcut")

# %% [markdown]
# ## D. Parameter table

# %%
tables.show(tables.parameter_table(spec, rows), f"{spec.name}: the network's parameters")

# %% [markdown]
# ## E. Where the widths come from
# A RegNet's block widths follow the linear rule $u_j = w_0 + w_a \cdot j$ for $0 \le j < d$, snapped to $w_j = w_0 \cdot w_m^{\mathrm{round}(\log(u_j / w_0) / \log w_m)}$ and rounded to a multiple of 8; blocks of equal width form a stage.

# %%
if spec.params:
    p = spec.params
    tables.show(tables.width_rule_table(spec),
                f"Per-block widths from the RegNet rule (d = {p['depth']}, w0 = {p['w0']}, "
                f"wa = {p['wa']:g}, wm = {p['wm']:g})")
else:
    notebook.md("This custom network gives its widths stage by stage (MODEL_CHANNELS), "
                "not by the rule.")
