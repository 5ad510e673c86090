"""Write the notebooks from the cell lists below (outputs empty, one `parameters` cell each).

    python notebooks/_build.py        # after editing a cell list here

The .ipynb files are what users open; this file keeps them short, reviewed as code.
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
REPO_URL = "https://github.com/regnet-lab/regnet-course-lab"

COLAB = f'''# In Colab: fetch this repository and install its package (elsewhere this does nothing).
import sys
if "google.colab" in sys.modules:
    !git clone -q --depth 1 {REPO_URL} /content/regnet-course-lab || true
    %pip install -q -e /content/regnet-course-lab
    %cd /content/regnet-course-lab/notebooks'''

PARAMS_COMMON = '''PROFILE = "quick"    # quick: CPU demo on synthetic data; course: the real run; tiny: Tiny ImageNet
PARAMS_FILE = None   # an extra YAML file of parameters (params/...)'''


def md(text):
    return new_markdown_cell(text.strip())


def code(text, tags=()):
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def parameters(extra=""):
    return code(PARAMS_COMMON + ("\n" + extra.strip() if extra else ""), tags=["parameters"])


NOTEBOOKS = {}

NOTEBOOKS["01_design"] = [
    md("# 1. Design\nThe network drawn and tabulated from its spec: the generic structure, "
       "the standard and the downsampling X block, and the parameter table."),
    code(COLAB),
    parameters('REGNETX = None       # None: the profile\'s network; e.g. 800mf, custom, '
               'regnetx_400mf'),
    code('''import matplotlib.pyplot as plt
from regnet import notebook, report, space

values = notebook.resolve(globals())
spec = space.named(values["REGNETX"], values)
notebook.show_header(f"Design: {spec.name}", values)'''),
    md("## A. Generic network structure\nStem, body of stages, head. Stage $i$ has depth "
       "$d_i$ (blocks), width $w_i$ (channels), group width $g$ and bottleneck ratio $b$."),
    code("report.draw_network(spec); plt.show()"),
    md("## B. Standard building block (X block, $s = 1$)"),
    code('''repeat = next((i for i, s in enumerate(spec.stages, 1) if s.depth > 1), len(spec.stages))
report.draw_block(spec, stage=repeat, downsample=False); plt.show()'''),
    md("## C. Downsampling building block (X block, $s = 2$)"),
    code('''down = next((i for i, s in enumerate(spec.stages, 1) if s.stride > 1), 1)
report.draw_block(spec, stage=down, downsample=True); plt.show()'''),
    md("## D. Parameter table"),
    code('report.show(report.parameter_table(spec), f"{spec.name}: the network\'s parameters")'),
    md("## E. Where the widths come from\nA RegNet's block widths follow the linear rule "
       "$u_j = w_0 + w_a \\cdot j$ for $0 \\le j < d$, snapped to "
       "$w_j = w_0 \\cdot w_m^{\\mathrm{round}(\\log(u_j / w_0) / \\log w_m)}$ and rounded to a "
       "multiple of 8; blocks of equal width form a stage."),
    code('''if spec.params:
    report.show(report.width_rule_table(spec), "per-block widths from the RegNet rule")
else:
    print("custom network: its widths are given stage by stage")'''),
]

NOTEBOOKS["03_implementation"] = [
    md("# 3. Implementation\nEvery operator of the network with its parameters, "
       "multiply-accumulates (MACs) and activations, from one hooked forward pass of the built "
       "model, and the seeds' hand-made totals beside the generated ones."),
    code(COLAB),
    parameters('REGNETX = None       # None: the profile\'s network'),
    code('''from regnet import complexity, model, notebook, report, space

values = notebook.resolve(globals())
spec = space.named(values["REGNETX"], values)
rows = complexity.operator_table(model.build(spec))
total = complexity.totals(rows)
assert total == complexity.closed_form(spec), "the table and the closed form disagree"
notebook.show_header(f"Implementation: {spec.name} at "
                     f"{spec.in_channels}x{spec.input_size}x{spec.input_size}", values)'''),
    md("## Totals\nConv MACs $= k^2 \\, c_{in} \\, c_{out} \\, h \\, w / \\mathrm{groups}$, "
       "linear MACs $= c_{in} c_{out} + c_{out}$, batch norm $2C$ parameters and no MACs; "
       "ReLU, the residual add and pooling are free."),
    code('''import pandas as pd
report.show(pd.DataFrame([{"network": spec.name, "input": f"{spec.input_size} px",
                           "params": total["params"], "MACs": total["macs"],
                           "activations": total["acts"]}]), "totals")'''),
    md("## Per stage"),
    code('report.show(pd.DataFrame(complexity.stage_totals(rows)), "per stage")'),
    md("## Every operator"),
    code('report.show(report.operator_frame(rows), f"{spec.name}: every operator")'),
    md("## Per stage and role (summed over each stage's blocks)"),
    code('report.show(report.summary_by_role(rows), "per stage and role")'),
    md("## The seeds' hand-made totals\nThe seed reports typed their tables by hand. Seed 000 "
       "counted the stem and the three convs of every block, each stage's convs multiplied by "
       "its depth with the first block's input width (so stages 3 and 4 are over-counted) and "
       "without projections, norms or head; seed 001's total mixes up its columns. The "
       "generated numbers for the same scope are beside them."),
    code('''if spec.name == "200mf":
    report.show(report.seed_comparison(rows), "seed totals vs the built model (course 200MF)")
else:
    print(f"the seeds tabulated course 200MF only; this report is for {spec.name}")'''),
]


NOTEBOOKS["02_train"] = [
    md("# 2. Training\nTrain the network with the profile's parameters (or reuse the finished "
       "run folder), then the hyperparameters, the learning rate of every epoch, the training "
       "loss and the test accuracy per epoch, and the final accuracy."),
    code(COLAB),
    parameters("REGNETX = None       # None: the profile's network; e.g. 800mf, custom\n"
               "RUN_DIR = None       # None: runs/<profile>/train/<REGNETX>; finished runs are "
               "reused"),
    code("""from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from regnet import experiments, notebook, report, schedule

values = notebook.resolve(globals())
out = Path(RUN_DIR) if RUN_DIR else experiments.train_dir(values)
notebook.show_header(f"Training: {values['REGNETX']}", values)"""),
    md("## A. Hyperparameters\nLinear warm-up for `TRAINING_LR_INIT_EPOCHS` epochs, then a "
       "quarter cosine, per epoch $e$ (from 0), with $l_{max}$ = `TRAINING_LR_MAX`, "
       "$l_0 = l_{max} \\cdot$ `INIT_SCALE`, $l_f = l_{max} \\cdot$ `FINAL_SCALE`, "
       "$E_0$ = `INIT_EPOCHS`, $E_1$ = `FINAL_EPOCHS`:\n\n"
       "$$l(e) = l_0 + (l_{max} - l_0)\\,\\frac{e}{E_0} \\quad (e < E_0), \\qquad "
       "l(e) = l_f + (l_{max} - l_f)\\cos\\Big(\\frac{e - E_0}{E_1 - 1}\\cdot"
       "\\frac{\\pi}{2}\\Big) \\quad (e \\ge E_0)$$"),
    code("""report.show(report.hyperparameter_table(values), "hyperparameters")
report.show(report.rate_table(schedule.warmup_cosine(values)), "learning rate per epoch")"""),
    md("## Run"),
    code("summary = experiments.train_or_reuse(values, out)"),
    md("## B. Training loss vs epoch"),
    code("""report.plot_history({values["REGNETX"]: summary["history"]}, "train_loss",
                    "training loss", "training loss per epoch"); plt.show()"""),
    md("## C. Test accuracy vs epoch"),
    code("""report.plot_history({values["REGNETX"]: summary["history"]}, "test_acc",
                    "test accuracy (%)", "test accuracy per epoch"); plt.show()"""),
    md("## D. Final accuracy"),
    code("""keys = ["params", "MACs", "epochs", "time/epoch (s)", "images/s", "train loss",
        "test acc (%)", "best test acc (%)", "test top-5 (%)"]
report.show(pd.DataFrame([{k: summary[k] for k in keys}]), "final result")
print(f"Final test accuracy = {summary['test acc (%)']:.2f}%")"""),
]

NOTEBOOKS["04_extras"] = [
    md("# 4. Extras\nOne study per report, chosen by `EXPERIMENT` (a file in "
       "`params/experiments/`): `variants`, `group_width`, `epochs`, `test_crops`, "
       "`bottleneck`. Each run trains once and is reused."),
    code(COLAB),
    parameters('EXPERIMENT = "variants"   # variants, group_width, epochs, test_crops, bottleneck'),
    code("""import matplotlib.pyplot as plt
from regnet import data, experiments, notebook, report

values = notebook.resolve(globals())
exp = experiments.load(EXPERIMENT, values["PROFILE"])
notebook.show_header(exp.title, values)
print(exp.description)"""),
    md("## Results"),
    code("""if exp.kind == "test_crops":
    crops, summary = experiments.crop_study(values, exp)
    report.show(crops, f"{values['REGNETX']}: test accuracy per test crop")
    sizes = data.settings(values)
    report.plot_crops(crops, sizes["DATA_CROP"], sizes["DATA_RESIZE"]); plt.show()
    best = crops.loc[crops["test acc (%)"].idxmax()]
    print(f"best test crop: {int(best['test crop'])} px, {best['test acc (%)']:.2f}% "
          f"(training crop: {sizes['DATA_CROP']} px)")
else:
    df = experiments.run_experiment(values, exp)
    table = df.drop(columns=["history", "run"])
    report.show(table, exp.title)
    report.plot_bars(df, df.columns[0], ["params", "time/epoch (s)", "test acc (%)"],
                     exp.title); plt.show()
    report.plot_history(dict(zip(df[df.columns[0]], df["history"])), "test_acc",
                        "test accuracy (%)", "test accuracy per epoch"); plt.show()
    report.plot_history(dict(zip(df[df.columns[0]], df["history"])), "train_loss",
                        "training loss", "training loss per epoch"); plt.show()"""),
]

NOTEBOOKS["05_design_space"] = [
    md("# 5. Design-space study\nThe paper's method: sample models from AnyNetX A to E and "
       "RegNetX within one compute regime, train each briefly, and compare the design spaces "
       "by the empirical distribution (EDF) of their errors, $F(e) = \\frac{1}{n}\\sum_i "
       "\\mathbf{1}[e_i < e]$. Finished models are reused, so an interrupted sweep resumes."),
    code(COLAB),
    parameters("SWEEP_SPACES = None  # None: the sweep file's; e.g. anynetx_a,anynetx_e,regnetx\n"
               "SWEEP_SAMPLES = None # None: the sweep file's models per design space"),
    code("""import matplotlib.pyplot as plt
import pandas as pd
from regnet import analysis, designspace, experiments, notebook, report, sweep

PARAMS_FILE = PARAMS_FILE or f"params/sweep_{PROFILE}.yaml"  # the profile's sweep
values = notebook.resolve(globals())
out = experiments.run_dir(values, "design_space")
notebook.show_header("Design-space study: AnyNetX A-E and RegNetX", values,
                     **{"sweep file": PARAMS_FILE, "models per space": values["SWEEP_SAMPLES"],
                        "regime (M MACs at 56 px)":
                        f"{values['SWEEP_MACS_MIN']:g}-{values['SWEEP_MACS_MAX']:g}"})"""),
    md("## The design spaces\nEach step of the paper restricts the one before; the size is "
       "the number of configurations the ranges allow (log10), before the compute limit."),
    code("""report.show(pd.DataFrame([{"space": k, "log10 size": round(v, 2)}
                         for k, v in designspace.sizes().items()]), "design-space sizes")"""),
    md("## Sweep"),
    code("results = sweep.run_sweep(values, out)"),
    md("## Error EDFs\nA curve further up and to the left is a better design space."),
    code("analysis.plot_edfs(results); plt.show()"),
    code('report.show(analysis.summary(results), "error by design space")'),
    md("## The paper's claims, checked on this sweep"),
    code("""claims = analysis.claims_table(results)
claims["90% interval of the gap"] = [f"[{lo:+.1f}, {hi:+.1f}]"
                                     for lo, hi in zip(claims["gap_low"], claims["gap_high"])]
report.show(claims[["claim", "space", "baseline", "n", "mean", "mean_baseline",
                    "mean_gap", "90% interval of the gap", "verdict"]].round(1),
            "claims: mean error (%) of the space against its baseline")"""),
    md("## Error against each parameter"),
    code("analysis.plot_params(results); plt.show()"),
    md("## Every model"),
    code("""cols = [c for c in ["space", "index", "ds", "ws", "gs", "bs", "macs", "params", "error",
                     "seconds"] if c in results.columns]
report.show(results[cols], "sampled models")"""),
]

def write(name, cells):
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):  # stable ids: the files change only when cells do
        cell.id = f"{name.replace('_', '-')}-{i}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(HERE / f"{name}.ipynb"))


if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        write(name, cells)
        print(f"wrote notebooks/{name}.ipynb")
