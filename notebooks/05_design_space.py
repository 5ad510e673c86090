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
# # 5. Design-space study
# The paper's method: sample models from AnyNetX A to E and RegNetX within one compute regime, train each briefly, and compare the design spaces by the empirical distribution (EDF) of their errors, $F(e) = \frac{1}{n}\sum_i \mathbf{1}[e_i < e]$.

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
SWEEP_SPACES = None  # None: the sweep file's; e.g. anynetx_a,anynetx_e,regnetx
SWEEP_SAMPLES = None # None: the sweep file's models per design space

# %%
from regnet import data, progress
from regnet.arch import designspace, space
from regnet.report import figures, notebook, prose, tables
from regnet.report.captions import cited, ref
from regnet.study import analysis, runs, sweep

PROFILE = PROFILE or notebook.default_profile()
PARAMS_FILE = PARAMS_FILE or f"params/sweep_{PROFILE}.yaml"  # the profile's sweep
base = notebook.resolve({**globals(), "PARAMS_FILE": None})  # section 2's parameters
values = notebook.start(globals())
out = runs.run_dir(values, "design_space")
regime = sweep.regime_of(values)
header = notebook.show_header(
    "Design-space study: AnyNetX A-E and RegNetX", values,
    **{"sweep file": PARAMS_FILE, "models per space": values["SWEEP_SAMPLES"],
       f"regime (M MACs at {regime.input_size} px)":
       f"{values['SWEEP_MACS_MIN']:g}-{values['SWEEP_MACS_MAX']:g}"})
notebook.setup(prose.sweep_setup(values, base))

# %% [markdown]
# ## A. The design spaces
# Each step of the paper restricts the one before (<span class="regnet-ref" data-labels="spaces" data-form="name">the table below</span>); the size is the number of configurations the ranges allow (log10), before the compute limit. A model is drawn as the paper's code draws it: depths uniform, widths and RegNetX's $w_0$, $w_a$, $w_m$ log-uniform and quantized, $b$ and $g$ uniform over their choices; an ordered space keeps only the draws that satisfy its order, and a draw whose MACs fall outside the regime is drawn again.

# %%
tables.show(tables.space_sizes_frame(), "The design spaces: what each allows, and its size",
            label="spaces")
notebook.md("RegNetX is more than the linear width rule: like the paper's RegNetX it also fixes "
            "$b = 1$, and it keeps the total depth within the range pycls samples, while "
            "AnyNetX$_E$ lets $b$ be 1, 2 or 4. A claim about RegNetX against AnyNetX$_E$ "
            "therefore weighs these restrictions together, not the width rule alone.")

# %%
results = sweep.run_sweep(values, out, log=progress.log, on_load=header.on_load)
crop = data.settings(values.data)["DATA_CROP"]
sampled = values["SWEEP_SAMPLES"]
notebook.md(f"From each of {len(designspace.space_names(values['SWEEP_SPACES']))} design "
            f"spaces, {sampled} model{' was' if sampled == 1 else 's were'} sampled within one "
            f"compute regime, {values['SWEEP_MACS_MIN']:g} to {values['SWEEP_MACS_MAX']:g} "
            f"million MACs, counted at one fixed input as the paper counts its regimes at "
            f"{space.named('regnetx_200mf').input_size} px; here {regime.input_size} px "
            f"and {regime.num_classes} classes, the course network's input, so that which "
            "models the regime admits does not depend on the size they train at. "
            + (prose.mac_fraction(results, crop) if crop != regime.input_size else ""))

# %% [markdown]
# ## B. Errors by design space

# %%
summary = analysis.summary(results)
if int(summary["n"].max()) > 1:
    notebook.md("In an EDF, a curve further up and to the left is a better design space.")
    figures.show(analysis.plot_edfs(results), "Error EDF of each design space (n models, "
                 "their lowest and mean error in the legend)", "edfs")
    tables.show(tables.space_summary_frame(summary), "Error (%) by design space", label="errors")
    notebook.md(f"For each space, {ref('errors', 'the table above')} gives the lowest, median, "
                "mean and highest error of its models, which " + ref("edfs", "the figure above")
                + " draws as its EDF, and its log10 size, that of "
                + ref("spaces", "the sizes table") + ".")
else:  # an EDF of one model is a single step: the table says as much
    tables.show(tables.space_summary_frame(summary), "Error (%) of each design space's one "
                "model", label="errors")
    notebook.md(f"With one model per space, an EDF would be a single step at that model's error, "
                f"so {ref('errors', 'the table above')} gives each space's one error instead, "
                "beside its log10 size, that of " + ref("spaces", "the sizes table") + ".")

# %% [markdown]
# ## C. The paper's claims

# %%
claims = analysis.claims_table(results)
if claims["consistent"].notna().any():  # a table of untested claims would be empty columns
    notebook.md(f"Each claim compares a space with its baseline by the gap in mean error. The "
                "verdict comes from a permutation test: the two spaces' errors are pooled and "
                "split again into groups of the same sizes, every way (or "
                f"{analysis.EXACT_SPLITS:,} random ways where there are more), and p is the "
                "share of splits whose gap is at least as far from zero as the one observed. "
                f"The {len(claims)} claims are one family: as the other sections widen a "
                "bound where a comparison picks among several differences, a claim shows a "
                f"lower or a higher error than its baseline only when p is below "
                f"{1 - analysis.LEVEL:.2g}/{len(claims)} = {1 - analysis.CLAIM_LEVEL:.3g} "
                "(Bonferroni), so that all of them stay undecided when every space is as good "
                "as its baseline, 95% of the time; otherwise the verdict is no clear "
                "difference." + prose.smallest_p_sentence(results) + " Beside each gap, its "
                "interval gives its size: Welch's (1947; Student's t on each space's own spread) at "
                f"the same {analysis.CLAIM_LEVEL:.2%} level. The paper compares spaces by "
                "their error EDFs over hundreds of models; with so few models per space, "
                "the mean error stands in for the EDF here.")
    tables.show(tables.claims_frame(claims), "The paper's claims: mean error of each space "
                "against its baseline, the gap with its interval, and the permutation test's "
                "p", label="claims")
classes = data.settings(values.data)["DATA_NUM_CLASSES"]
tested = ["claims"] if claims["consistent"].notna().any() else ["errors"]
notebook.md("**Observations.** " + cited(prose.design_space_observations(
    summary, claims, list(results["error"]), classes), *tested))
notebook.finding(prose.design_space_answer(summary, claims, list(results["error"]), classes))

# %% [markdown]
# ## D. Error against each parameter

# %%
figures.show(analysis.plot_params(results), "Error against each parameter of the sampled "
             "models, one colour per design space (MACs and activations counted at "
             f"{regime.input_size} px, as the regime is)", "params")
association = prose.association_sentence(
    results, {c: {"params": "parameter count", "acts": "activation count"}.get(
        c, analysis.AXIS_NAMES[c].replace(" (millions)", "")) for c in analysis.COMMON},
    own=sum(1 for c in analysis.REGNET  # RegNetX's own panels, in the family too
            if c in results and results[c].notna().sum() > 1))
if association:  # none with fewer than three models
    notebook.md("**Observations.** " + cited(association, "params"))
else:
    notebook.md(f"{ref('params', 'The figure above')} holds {len(results)} model"
                f"{'s' if len(results) != 1 else ''} in all: "
                + ("too few to rank the error against any parameter." if len(results) < 3
                   else "no parameter varies across them."))

# %% [markdown]
# ## E. Every model

# %%
notebook.md(prose.sweep_sentence(results) + f" In {ref('models', 'the table below')}, M "
            "stands for millions"
            + (" and seconds for the model's training time" if prose.loads_compare(
                sweep.timings(out)) else ", and the models' training times are left out, "
               "as in section 2: the machine was busy while they trained (Appendix II)")
            + ". A stage's group width is at most its bottleneck width w/b, so in a space "
            "that shares one group width a narrow stage can show a smaller one.")
timed = prose.loads_compare(sweep.timings(out))  # a busy machine spoils the times
tables.show(tables.sweep_models_table(results if timed else results.drop(columns="seconds",
                                                                          errors="ignore"),
                                      regime.input_size),
            "Every sampled model", label="models")
if timed:  # where the times were measured (else the paragraph above said why they are not)
    notebook.setup(prose.timing_sentence(sweep.timings(out)))  # once when section 2 has it
header.record(**{"sweep folder": runs.short(out),
                 "load average": prose.load_record(sweep.timings(out))})
