"""The notebooks: one parameters cell, no committed outputs, and each runs through papermill.

The runs use a tiny parameter file (a few 16 px synthetic images, one or two epochs) and a
temporary runs folder, so the whole pipeline is exercised in seconds per notebook.
"""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

TINY = """
DATASET: synthetic
DATA_NUM_CLASSES: 4
DATA_SYNTHETIC_TRAIN: 48
DATA_SYNTHETIC_TEST: 32
DATA_SYNTHETIC_SIZE: 16
DATA_CROP: 14
DATA_RESIZE: 16
DATA_BATCH_SIZE: 16
TRAINING_LR_INIT_EPOCHS: 1
TRAINING_LR_FINAL_EPOCHS: 1
PROGRESS: false
DEVICE: cpu
"""


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A tiny parameter file, and runs written under tmp_path instead of the repository."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path / "runs"))
    return path


def unix_socket_kernels(folder):
    """A kernel manager whose kernels talk over Unix sockets in `folder`, not TCP ports.

    jupyter_client picks a kernel's TCP ports by binding port 0 and letting go; the kernel
    binds them a moment later, and a process starting beside it (torchrun, gloo, the other
    worker's kernel) can take one first, so the kernel dies before it replies. A socket file
    in the test's own folder cannot be taken that way.
    """
    from jupyter_client import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class UnixSocketKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _ip_default(self):
            return str(folder / "kernel")  # the sockets are kernel-1 ... kernel-5

    return UnixSocketKernelManager


def execute(name, tmp_path, **parameters):
    import papermill as pm
    out = tmp_path / f"{name}-{len(list(tmp_path.glob('*.ipynb')))}.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(out),
                        parameters=parameters, cwd=str(ROOT / "notebooks"),
                        kernel_name="python3", progress_bar=False,
                        kernel_manager_class=unix_socket_kernels(tmp_path))
    return nbformat.read(str(out), as_version=4)


def text_of(nb):
    """Everything the executed notebook printed or displayed, as one string."""
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", ""))
            data = o.get("data", {})
            parts.append(data.get("text/html", "") + data.get("text/markdown", "")
                         + data.get("text/plain", ""))
    return "\n".join(parts)


def test_there_are_the_expected_notebooks():
    assert [p.stem for p in NOTEBOOKS] == ["01_design", "02_train", "03_implementation",
                                           "04_extras", "05_design_space"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exactly_one_parameters_cell_and_no_committed_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "PROFILE = " in tagged[0].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_makes_regnet_importable_in_colab_without_a_restart(path):
    nb = nbformat.read(str(path), as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert 'if "google.colab" in sys.modules' in first.source
    assert "from regnet.colab import setup" in first.source
    assert "pip install -e" not in first.source  # an editable install needs a restart


def figures_of(nb):
    """The captioned figures an executed notebook shows."""
    return sum(str(o.get("data", {}).get("text/html", "")).count('<figure class="regnet-figure"')
               for c in nb.cells for o in c.get("outputs", []))


def test_design_notebook_accepts_numeric_variant_names(tiny, tmp_path):
    nb = execute("01_design", tmp_path, PARAMS_FILE=str(tiny), REGNETX=800)
    text = text_of(nb)
    assert "Design: RegNetX-800MF" in text and "PIPELINE DEMO" in text
    assert "[64, 128, 288, 672]" in text  # 800MF's widths in the parameter table
    # the network and both blocks in symbols, the two blocks as built, the final network
    assert figures_of(nb) == 6
    assert "Figure." in text and "Table." in text  # numbered when printed (test_reports)


def test_implementation_notebook_tabulates_every_operator_with_totals(tiny, tmp_path):
    text = text_of(execute("03_implementation", tmp_path, PARAMS_FILE=str(tiny)))
    # the last blocks' last norm, the identical blocks 2-7 listed once
    assert "stage 4, blocks 2\u20137" in text and "1×1 out norm" in text
    assert "hold the largest share of the parameters" in text  # where they go
    assert "s4.b7.c_bn" not in text  # a module key, not a name for readers
    # the seeds' networks at their own input, explained
    assert "2,351,452" in text and "179,666,980" in text  # seed 000: group width 8
    assert "3,291,052" in text and "3,289,900" in text  # seed 001: 8 groups


def test_a_yaml_file_given_as_papermill_f_sets_the_parameters(tiny, tmp_path):
    # `papermill -f FILE` reads the YAML and injects each key as a parameter, exactly so.
    import yaml
    file_params = yaml.safe_load("REGNETX: 400mf\nDATA_NUM_CLASSES: 10\n")
    text = text_of(execute("03_implementation", tmp_path, **file_params))
    assert "Implementation: RegNetX-400MF" in text
    # course 400MF as the quick profile trains it (10 classes), from the built model, and
    # beside it, labelled, as the course trains it (100 classes)
    rows = {re.sub(r"<[^>]+>", " ", r).split("(")[1].split(")")[0]: r
            for r in re.findall(r"<tr>.*?</tr>", text, re.S) if "RegNetX-400MF (" in r}
    assert "4,775,274" in rows["this run"] and "4,809,924" not in rows["this run"]
    assert "4,809,924" in rows["as the course trains it"]


def test_train_notebook_trains_then_reuses_the_run(tiny, tmp_path):
    first = text_of(execute("02_train", tmp_path, PARAMS_FILE=str(tiny), REGNETX="custom"))
    assert "(trained for this report)" in first and "Final test accuracy =" in first
    # the quick profile's SEEDS = 5: the same network with seeds 0 to 4, the spread said
    assert "Trained with 5 seeds (0, 1, 2, 3 and 4), the same network ended at" in first
    runs = sorted((tmp_path / "runs" / "quick").iterdir())
    written = {r: (r / "metrics.jsonl").stat().st_mtime_ns for r in runs}
    second = text_of(execute("02_train", tmp_path, PARAMS_FILE=str(tiny), REGNETX="custom"))
    assert "(reused)" in second and "Trained with 5 seeds" in second
    assert [r.name.split("-")[0] for r in runs] == ["custom"] * 5
    assert {r: (r / "metrics.jsonl").stat().st_mtime_ns for r in runs} == written  # all reused
    for r in runs:
        assert (r / "metrics.jsonl").read_text().count("\n") == 2  # two epochs


def test_extras_notebook_runs_an_experiment_and_the_crop_study(tiny, tmp_path):
    text = text_of(execute("04_extras", tmp_path, PARAMS_FILE=str(tiny),
                           EXPERIMENT="bottleneck"))
    assert "Extra E" in text and "report B: 1 group, b = 8" in text and "Observations." in text
    runs = sorted(p.name.split("-")[0] for p in (tmp_path / "runs" / "quick").iterdir())
    assert runs == ["200mf"] + ["custom"] * 7  # the paper's g=8, b=1 is 200MF itself
    text = text_of(execute("04_extras", tmp_path, PARAMS_FILE=str(tiny), REGNETX="custom",
                           EXPERIMENT="test_crops"))
    assert "best test crop" in text
    # the final weights at the training crop score what the training report says they do
    assert "the final accuracy of section 2: the same weights" in text


def test_extras_weigh_their_runs_against_section_2s_seeds_image_by_image(tiny, tmp_path):
    execute("02_train", tmp_path, PARAMS_FILE=str(tiny), REGNETX="custom")  # 5 seeds
    study = text_of(execute("04_extras", tmp_path, PARAMS_FILE=str(tiny), REGNETX="custom",
                            EXPERIMENT="epochs"))
    # the seeds' own hits split their spread: the setup gives the shares in numbers
    assert "averaged over every pair of seeds, is v_seeds = " in study
    assert r"\sqrt{2s^2 - v_{\mathrm{seeds}} + v}" in study  # the bound, as an equation
    crops = text_of(execute("04_extras", tmp_path, PARAMS_FILE=str(tiny), REGNETX="custom",
                            EXPERIMENT="test_crops"))
    assert "Section 2's 5 seeds, each evaluated the same way, score " in crops
    assert "Across section 2's 5 seeds, " in crops  # the finding says it too
    # every seed's final weights evaluated at every crop, kept beside its run
    folders = [p for p in (tmp_path / "runs" / "quick").iterdir() if p.name.startswith("custom")]
    assert sum((p / "test_crops.json").is_file() for p in folders) >= 5


def test_a_study_header_states_the_epochs_its_runs_train(tiny, tmp_path):
    nb = execute("04_extras", tmp_path, PARAMS_FILE=str(tiny), EXPERIMENT="epochs")
    headers = [o["metadata"]["regnet_provenance"] for c in nb.cells for o in c.get("outputs", [])
               if "regnet_provenance" in o.get("metadata", {})]
    assert headers and headers[-1]["epochs"] == "2, 3 and 5"  # not the profile's 2


def test_a_bad_parameter_stops_the_notebook_in_its_first_cells(tiny, tmp_path):
    import papermill as pm
    with pytest.raises(pm.PapermillExecutionError, match="unknown network '300mf'"):
        execute("02_train", tmp_path, PARAMS_FILE=str(tiny), REGNETX="300mf")
    assert not (tmp_path / "runs").exists()  # nothing trained


def test_design_space_notebook_sweeps_and_plots_edfs(tiny, tmp_path):
    nb = execute("05_design_space", tmp_path, PARAMS_FILE=str(tiny), SWEEP_SAMPLES=2,
                 SWEEP_SPACES="anynetx_a,regnetx")
    text = text_of(nb)
    assert "claims" in text and "RegNetX" in text
    measured = "Times per epoch were measured on a" in text and "CPU" in text
    assert measured != ("training times are left out" in text)  # as the load allowed, once
    results = tmp_path / "runs" / "quick" / "design_space" / "results.csv"
    assert results.read_text().count("\n") == 1 + 4  # header + 2 models x 2 spaces
    assert figures_of(nb) == 2  # EDFs, error vs parameters
