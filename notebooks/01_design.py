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
from regnet.arch import complexity, model, space
from regnet.report import figures, notebook, prose, tables
from regnet.report.captions import ref
from regnet.study import runs

values = notebook.start(globals())
trained = runs.network(values)  # exactly the network the profile's runs train
# the design as the course specifies it: a course network at the course's input and classes
spec = space.named(trained.name) if trained.name in space.COURSE else trained
rows = complexity.operator_table(model.build(spec))
name = prose.network_name(spec.name)
notebook.show_header(f"Design: {name}", values, epochs="none trained")
resized = (spec.input_size, spec.num_classes) != (trained.input_size, trained.num_classes)
notebook.md(f"The network in symbols, then with its numbers at "
            f"{prose.dims(spec.in_channels, spec.input_size, spec.input_size)} input and "
            f"{spec.num_classes} classes"
            + (" as the course trains it" if spec is not trained else "")
            + (f"; this run trains the same network at {trained.input_size} px with "
               f"{trained.num_classes} classes "
               f"({complexity.totals(complexity.operator_table(model.build(trained)))['params']:,}"
               " parameters: only the classifier's output changes)" if resized else "")
            + ". Every shape is read from the network itself, as it runs.")
notebook.finding(prose.design_answer(spec, complexity.totals(rows)))

# %% [markdown]
# ## A. Generic network structure
# A stem, a body of four stages and a head (<span class="regnet-ref" data-labels="generic" data-form="name">below</span>), on an input of $r \times r$ pixels. The stem is $w_{stem}$ channels wide with stride $s_0$. Stage $i$ has $d_i$ blocks of width $w_i$; every block is an X block (<span class="regnet-ref" data-labels="x-block" data-form="name">below</span>) with group width $g$ and bottleneck ratio $b$. The first block of stage 1 has stride $s_1$, and the first block of stages 2 to 4 halves the resolution. BN stands for batch normalization. The paper names each network by its cost: RegNetX-200MF has about 200 million multiply-accumulates per image (MF: mega-FLOPs, counting one multiply-add as one) at 224 px, RegNetX-1.6GF about 1.6 billion.

# %%
figures.show(figures.draw_generic(), "The generic network: stem, stages and head, in symbols",
             "generic")
notebook.md(prose.stem_strides(spec))

# %% [markdown]
# ## B. Standard building block (X block, s = 1)
# In the X block (<span class="regnet-ref" data-labels="x-block" data-form="name">below</span>), a $1 \times 1$ conv takes the block's input to its inner width $w/b$ (with $b = 1$, as in RegNetX-200MF, the width stays $w$), a grouped $3 \times 3$ conv works in groups of $g$ channels, a $1 \times 1$ conv takes the inner width back to $w$, and the input is added back (through a $1 \times 1$ projection wherever a block changes the width, even at stride 1).

# %%
figures.show(figures.draw_x_block(1), "The standard X block (stride 1), in symbols", "x-block")
repeat = next((f"s{i}" for i, s in enumerate(spec.stages, 1) if s.depth > 1), None)
if repeat:
    notebook.md(f"{ref('x-block-net', 'The figure below')} draws one such block of {name} "
                "with its numbers.")
    figures.show(figures.draw_block(rows, repeat, "b2"),
                 f"The standard X block of {name} at "
                 f"{spec.input_size} px: block 2 of stage {repeat[1:]}", "x-block-net")

# %% [markdown]
# ## C. Downsampling building block (X block, s = 2)
# In the downsampling block (<span class="regnet-ref" data-labels="x-down" data-form="name">below</span>) the grouped conv has stride 2, and a $1 \times 1$ conv with stride 2 projects the shortcut to the new width and size.

# %%
figures.show(figures.draw_x_block(2), "The downsampling X block (stride 2), in symbols",
             "x-down")
down = next((f"s{i}" for i, s in enumerate(spec.stages, 1) if s.stride > 1), "s1")
ops = figures.block_rows(rows, down, "b1")  # where the width grows and the grid shrinks
notebook.md(f"{ref('x-down-net', 'The figure below')} puts numbers on it: the first block of "
            f"stage {down[1:]} of {name} takes {ops[0].in_shape[0]} channels on a "
            f"{ops[0].in_shape[1]} \u00d7 {ops[0].in_shape[2]} grid to "
            f"{ops[-1].out_shape[0]} channels on {ops[-1].out_shape[1]} \u00d7 "
            f"{ops[-1].out_shape[2]}.")
figures.show(figures.draw_block(rows, down, "b1"),
             f"The downsampling X block of {name} at "
             f"{spec.input_size} px: block 1 of stage {down[1:]}", "x-down-net")

# %% [markdown]
# ## D. Parameter table and the final network

# %%
if spec.name in space.COURSE:  # the course network, and the paper's one it modifies
    paper = space.named(f"regnetx_{spec.name}")
    tables.show(tables.parameter_table(spec, rows),
                f"{name} as the course trains it: the network's parameters at "
                f"{spec.input_size} px, {spec.num_classes} classes", label="parameters")
    notebook.md(f"{ref('parameters', 'The table above')} lists the final network's "
                f"parameters and {ref('final', 'the figure below')} draws it stage by stage. "
                + prose.course_changes(paper, spec))
    figures.show(figures.draw_network(rows),
                 f"The final network: {name} as the course trains it, "
                 f"{spec.input_size} px inputs and {spec.num_classes} classes", "final")
else:
    tables.show(tables.parameter_table(spec, rows),
                f"{name} at {spec.input_size} px: the network's parameters")
    figures.show(figures.draw_network(rows),
                 f"The final network: {name} at {spec.input_size} px")

# %% [markdown]
# ## E. Where the widths come from
# A RegNet's block widths follow the linear rule $u_j = w_0 + w_a \cdot j$ for $0 \le j < d$; each $u_j$ is then replaced by the width of the form $w_0 \cdot w_m^{e}$, $e$ a whole number, nearest to it on a log scale, and rounded to a multiple of 8; blocks of equal width form a stage, and each stage's inner width $w/b$ is then rounded to a multiple of its group width $g$ (and $g$ cut to $w/b$ where it is wider):
# $$e_j = \mathrm{round}\left(\frac{\log(u_j / w_0)}{\log w_m}\right), \qquad w_j = 8\,\mathrm{round}\left(\frac{w_0 \cdot w_m^{e_j}}{8}\right).$$

# %%
if spec.params:
    p = spec.params
    notebook.md(f"{ref('widths', 'The table below')} works the rule block by block for "
                f"{prose.network_name(spec.name)}.")
    tables.show(tables.width_rule_table(spec),
                f"Per-block widths from the RegNet rule (d = {p['depth']}, "
                f"w\u2080 = {p['w0']}, w\u2090 = {p['wa']:g}, w\u2098 = {p['wm']:g}: the "
                f"paper's {prose.network_name(spec.name)}, as its code, pycls, lists them)",
                label="widths")
else:
    notebook.md("This custom network gives its widths stage by stage, not by the rule.")
