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
# # 3. Implementation

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
REGNETX = None       # None: the profile's network

# %%
from regnet.arch import complexity, model, space
from regnet.report import notebook, prose, seeds, tables
from regnet.report.captions import cite, cited, ref
from regnet.study import runs

values = notebook.start(globals())
trained = runs.network(values)  # exactly the network the profile's runs train
# every operator of the designed network: a course network at the course's input and classes
spec = space.named(trained.name) if trained.name in space.COURSE else trained
rows = complexity.operator_table(model.build(spec))
total = complexity.totals(rows)
assert total == complexity.closed_form(spec), "the table and the closed form disagree"
name = prose.network_name(spec.name)
resized = (spec.input_size, spec.num_classes) != (trained.input_size, trained.num_classes)
notebook.show_header(f"Implementation: {name} at {spec.input_size} px", values,
                     epochs="none trained")
notebook.md(f"Every operator of the network with its parameters, multiply-accumulates (MACs) "
            f"and activations, at {prose.dims(spec.in_channels, spec.input_size, spec.input_size)}"
            f" input and {spec.num_classes} classes"
            + (f" as the course trains it; this run trains it at {trained.input_size} px with "
               f"{trained.num_classes} classes, and the first row of "
               f"{ref('totals', 'the totals table below')} "
               "gives its totals, which section 2 shows" if resized else
               ", the numbers section 2 shows for the same network")
            + ". Two earlier student reports of the same assignment, called reports A and B "
            "here, typed such tables by hand; Appendix I reads their totals against the "
            "networks they describe.")

# %% [markdown]
# ## A. Totals
# Conv MACs $= k^2 \, c_{in} \, c_{out} \, h \, w / \mathrm{groups}$ (the convs have no bias), linear MACs $= c_{in} c_{out} + c_{out}$ (its bias counted as one MAC per output, as the paper's code, pycls, counts it), batch norm over $C$ channels $2C$ parameters and no MACs; ReLU, the residual add and pooling are free. Activations are the output elements of every conv and linear layer.

# %%
totals = [(f"{name} (this run)", trained, complexity.operator_table(model.build(trained)))]
if resized:
    totals.append((f"{name} (as the course trains it)", spec, rows))
paper = space.named(f"regnetx_{spec.name}") if spec.name in space.COURSE else None
if paper:  # the network the course modified, at the paper's input: what its name counts
    paper_rows = complexity.operator_table(model.build(paper))
    totals.append((f"{prose.network_name(paper.name)} (the paper's)", paper, paper_rows))
tables.show(tables.totals_frame(totals), f"{name}: totals" + (
    " of this run and of the course's network" if resized else "")
    + (" and the paper's" if paper else ""), label="totals")
if paper:
    notebook.md(cited(prose.paper_macs_sentence(paper, paper_rows, spec, rows),
                      "totals", "stages"))
tables.show(tables.stage_frame(rows), f"{name}: totals per stage"
            + (f" at {spec.input_size} px" if resized else ""), label="stages")

# %% [markdown]
# ## B. Every operator
# <span class="regnet-ref" data-labels="operators" data-form="name">The table below</span> lists every conv, norm, pooling and linear layer; it leaves out the residual add that ends each block and the ReLUs (after the stem's norm, after a block's first two norms and after its add), which hold no parameters and count no MACs. Blocks of a stage that repeat the block before them operator for operator (in a RegNet, every block after a stage's first) are listed once, as "blocks 2–7": k is the kernel size, s the stride, the "×" column says how many blocks a row stands for, its numbers are those of one block, and the total counts every block.

# %%
tables.show(tables.operator_frame(rows),
            f"{name}: every conv, norm, pool and linear layer, in forward order", label="operators")

# %% [markdown]
# ## C. Where the parameters and MACs go
# Each kind of operator summed over the whole network, every batch norm together.

# %%
shares = tables.role_shares(rows)
tables.show(shares, f"{name}: parameters and MACs by kind of operator", label="shares")
notebook.md(" ".join(filter(None, [cited(prose.shares_sentence(shares), "shares"),
                                   prose.ones_before_stride(rows)])))
notebook.finding(prose.shares_answer(shares))

# %% [markdown] tags=["appendix"]
# ## D. How reports A and B counted by hand

# %% tags=["appendix"]
built = {s.name: seeds.seed_network(s) for s in seeds.SEEDS}
first = next(iter(built.values()))[0]
notebook.md("Reports A and B, two earlier student reports of this assignment, typed their "
            "operator tables by hand, and their totals disagree with each other and with the "
            f"course network's totals in section 3A{cite('hand-totals')}. This part explains "
            "why, so that a reader "
            "comparing numbers across reports knows which to trust: report A built the course "
            "network and report B a network of its own, both at the course's input "
            f"({prose.dims(first.in_channels, first.input_size, first.input_size)}, "
            f"{first.num_classes} classes)"
            + (f" rather than the {trained.input_size} px of this run"
               if trained.input_size != first.input_size else "")
            + ", and each counted by its own rule. Each network is built here at that "
            "input, and each report's rule is applied to its operator table; the paragraphs "
            "below say where the rule's sums match the report's typed totals and where they "
            "do not, and the operators where rule and table differ explain the gap. In these "
            "tables a difference is the report's count minus the built network's.")
tables.show(seeds.totals_frame({name: r for name, (_, r) in built.items()}),
            "The typed totals of reports A and B, their counting rules applied to the "
            "networks they describe, and the totals of those networks as built here",
            label="hand-totals")
for seed in seeds.SEEDS:
    seed_spec, seed_rows = built[seed.name]
    notebook.md(cited(seeds.paragraph(seed, seed_spec, seed_rows), f"hand-{seed.name[-1]}"))
    tables.show(seeds.explain(seed, seed_rows),
                f"{seed.name[:1].upper()}{seed.name[1:]}: where its counting rule and the built "
                "network differ", label=f"hand-{seed.name[-1]}")
