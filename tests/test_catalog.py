"""One definition for each list: every value of every enumerated parameter, walked through
every place that names it (datasets, augmentations, profiles, precisions, optimizers), and
every report through the run and the combined report. An item added to one list without its
parts fails here or at import, not in a user's report."""
from pathlib import Path

import pytest
import torch

from regnet import catalog, params
from regnet.data import batches, datasets
from regnet.engine import loop
from regnet.report import combine, contents, notebook, prose, render
from regnet.study import experiments, recipe

ROOT = Path(__file__).resolve().parents[1]
CHOICE_PARAMS = sorted(name for name, p in params.PARAMS.items() if p.kind == "choice")


def test_every_enumerated_parameter_is_walked_by_a_test_here():
    # a new `choice` parameter must say here where its values are used
    assert CHOICE_PARAMS == sorted(WALKED)


def test_the_vocabulary_takes_its_choices_from_the_catalog():
    assert params.PARAMS["DATASET"].choices == tuple(catalog.DATASETS)
    assert params.PARAMS["DATA_AUGMENT"].choices == ("auto", *catalog.AUGMENTS)
    assert params.PARAMS["PROFILE"].choices == tuple(catalog.PROFILES)
    for name, p in params.PARAMS.items():
        if p.kind == "choice":  # the help names every choice
            assert all(c in p.help for c in p.choices if c != "auto"), name


@pytest.mark.parametrize("name", list(catalog.DATASETS))
def test_each_dataset_has_defaults_a_loader_words_and_a_valid_recipe(name, tmp_path):
    info = catalog.DATASETS[name]
    assert info.augment in catalog.AUGMENTS
    assert len(info.mean) == len(info.std) == info.channels
    assert name in datasets._LOADERS
    values = params.resolve(overrides={"DATASET": name, "DATA_DIR": str(tmp_path)})
    for key, value in info.recipe.items():
        assert values[key] == value  # what the dataset trains best with, unless set
    natural = datasets.settings(values.data)
    assert {"DATA_NUM_CHANNELS", "DATA_IMAGE_SIZE", "DATA_CROP", "DATA_RESIZE",
            "DATA_AUGMENT"} <= set(natural)
    phrase = prose.dataset_phrase(values)
    augment = prose.augment_phrase(values)  # the dataset's own recipe, with its sizes
    assert phrase.startswith(info.title) and augment in phrase
    assert f"{natural['DATA_CROP']} px" in augment and "random" in augment
    assert notebook.data_line(values).startswith(f"Data: {info.title}")
    assert params.PARAMS["DATA_DOWNLOAD"].help.count(name) == info.downloads


def test_a_dataset_recipe_yields_to_any_value_a_layer_sets():
    name = next((n for n, d in catalog.DATASETS.items() if d.recipe), None)
    if name is None:
        pytest.skip("no dataset has a recipe of its own")
    key, value = next(iter(catalog.DATASETS[name].recipe.items()))
    other = params.PARAMS[key].default
    assert params.resolve(overrides={"DATASET": name})[key] == value
    assert params.resolve(overrides={"DATASET": name, key: other})[key] == other
    assert params.resolve(overrides={"DATASET": "course"})[key] == other


@pytest.mark.parametrize("profile", ["course", "tiny"])
def test_the_course_and_tiny_profiles_keep_the_seeds_recipe_on_every_dataset(profile):
    # reproducing the seeds is their purpose: no dataset's recipe may creep in
    recipes = {key for info in catalog.DATASETS.values() for key in info.recipe}
    assert recipes  # else there is nothing to guard
    for name in catalog.DATASETS:
        values = params.resolve([notebook.profile_file(profile)], overrides={"DATASET": name})
        for key in recipes:
            assert values[key] == params.PARAMS[key].default, (name, key)


@pytest.mark.parametrize("name", list(catalog.AUGMENTS))
def test_each_augmentation_runs_on_the_device_and_in_the_plain_loop(name):
    x = torch.rand(4, 3, 20, 24)
    draws = batches.crop_boxes(4, 0.35, torch.Generator().manual_seed(0), (20, 24))
    assert batches.augment(x, draws, name, 16, 20).shape == (4, 3, 16, 16)
    ds = type("Shape", (), dict(crop=16, resize=20, test_crop=16, scale_min=0.35,
                                augment=name, mean=(0.5,) * 3, std=(0.25,) * 3))()
    image = torch.randint(0, 256, (3, 20, 24), dtype=torch.uint8)
    assert recipe.plain_transforms(ds, training=True)(image).shape == (3, 16, 16)
    assert name in params.PARAMS["DATA_AUGMENT"].help


@pytest.mark.parametrize("name", list(catalog.PROFILES))
def test_each_profile_has_its_file_its_header_and_its_title_page(name):
    profile = catalog.PROFILES[name]
    values = params.resolve([notebook.profile_file(name)], overrides={"PROFILE": name})
    assert values["PROFILE"] == name
    header = notebook.header_html("A report", values)
    assert notebook.data_line(values).replace("'", "&#x27;") in header
    if profile.note:
        assert profile.note[:40] in header and profile.note[:40] in combine.title_page(values)
    assert profile.tone in notebook.NOTE_STYLES


def test_every_profile_file_is_a_profile_and_every_profile_has_one():
    files = {p.stem for p in (ROOT / "params").glob("*.yaml") if not p.stem.startswith("sweep_")}
    assert files == set(catalog.PROFILES)
    sweeps = {p.stem.removeprefix("sweep_") for p in (ROOT / "params").glob("sweep_*.yaml")}
    assert sweeps == set(catalog.PROFILES)  # 05_design_space reads params/sweep_<profile>.yaml


@pytest.mark.parametrize("precision", [p for p in params.PRECISIONS if p != "auto"])
def test_each_precision_has_an_autocast_and_a_batch_dtype(precision):
    cpu = torch.device("cpu")
    with loop.autocast_for(precision, cpu):
        out = torch.nn.Linear(4, 4)(torch.rand(2, 4))
    assert out.shape == (2, 4)
    assert precision in loop.DTYPES


@pytest.mark.parametrize("optimizer", params.OPTIMIZERS)
def test_each_optimizer_is_made(optimizer, values):
    cfg = params.check_all({**values, "TRAINING_OPTIMIZER": optimizer})
    opt = loop.make_optimizer(torch.nn.Linear(4, 4), cfg.optim, torch.device("cpu"))
    assert type(opt).__name__.lower() == optimizer


def test_every_report_has_a_notebook_a_section_and_is_selectable():
    for report in contents.REPORTS:
        assert (ROOT / "notebooks" / report.notebook).is_file()
        assert report.section in contents.SECTIONS
        assert render.select(report.name) == [report]
    assert [r.name for r in contents.REPORTS] == [r.name for r in render.select(None)]


def test_every_experiment_file_is_a_report_of_the_extras_section():
    extras = {r.parameters["EXPERIMENT"] for r in contents.section_reports("4")}
    assert extras == set(experiments.names())


WALKED = {"DATASET": test_each_dataset_has_defaults_a_loader_words_and_a_valid_recipe,
          "DATA_AUGMENT": test_each_augmentation_runs_on_the_device_and_in_the_plain_loop,
          "PROFILE": test_each_profile_has_its_file_its_header_and_its_title_page,
          "PRECISION": test_each_precision_has_an_autocast_and_a_batch_dtype,
          "TRAINING_OPTIMIZER": test_each_optimizer_is_made}


# --- every parameter file on every device it is meant for ------------------------------------

DEVICES = {"cpu": None, "T4": (7, 5), "H100": (9, 0)}


def _stand_in(monkeypatch, capability):
    """torch.cuda answering as a GPU of this compute capability (None: no GPU)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: capability is not None)
    if capability is not None:
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Stand-in GPU")


def _param_files():
    files = sorted((ROOT / "params").glob("*.yaml"))
    return [pytest.param(f, id=f.stem) for f in files]


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("path", _param_files())
def test_every_parameter_file_resolves_and_runs_on_every_device(path, device, monkeypatch):
    from regnet.engine.device import resolve_auto
    _stand_in(monkeypatch, DEVICES[device])
    where = torch.device("cpu" if DEVICES[device] is None else "cuda")
    profile = path.stem.removeprefix("sweep_")
    base = [notebook.profile_file(profile)] if path.stem.startswith("sweep_") else []
    cfg = params.resolve(base + [path], overrides={"PROFILE": profile})
    for steps in (None, 100, 20_000):  # before the run's length is known, short, long
        resolve_auto(cfg.run, where, steps)
    # and every run of every study, as that profile trains it
    if not path.stem.startswith("sweep_"):
        for name in experiments.names():
            exp = experiments.load(name, profile)
            for label in exp.runs:
                run = experiments.run_values(cfg, exp, label)
                resolve_auto(run.run, where, 20_000)
