"""Hostile input, second round: results never shown as another run's, nothing written outside
the run folder, no hang on a small file, every damaged file one line (docs/guarantees.md)."""
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import torch

from datafiles import imagefolder
from regnet import params
from regnet.cli import main
from regnet.data import load as load_data
from regnet.engine.runfolder import is_finished, read_metrics, read_record
from regnet.errors import ParamError
from regnet.report import notebook
from regnet.study import experiments, runs
from test_mistakes import SETS, TINY, one_line_error, status
from test_tiny_imagenet import WNIDS, layout


def alias_bomb(levels: int = 9) -> str:
    """A few hundred bytes of YAML aliases naming 9**levels items."""
    rows = ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return f"[{', '.join(rows)}]"


# --- YAML that would hang or exhaust recursion (item 8) ----------------------------------------

def test_an_alias_bomb_in_a_params_file_is_one_line(tmp_path, capsys):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(f"SEED: {alias_bomb()}\n")
    assert bomb.stat().st_size < 600
    assert status(["schedule", "--params", str(bomb)]) == 2
    one_line_error(capsys, "bomb.yaml", "expands to more than")


def test_an_alias_bomb_through_set_is_one_line(capsys):
    assert status(["schedule", "--set", f"SEED={alias_bomb()}"]) == 2
    one_line_error(capsys, "--set SEED", "expands to more than")


@pytest.mark.parametrize("where", ["file", "set"])
def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path, capsys, where):
    text = "[" * 3000 + "]" * 3000
    if where == "file":
        (tmp_path / "deep.yaml").write_text(f"SEED: {text}\n")
        args = ["schedule", "--params", str(tmp_path / "deep.yaml")]
    else:
        args = ["schedule", "--set", f"SEED={text}"]
    assert status(args) == 2
    one_line_error(capsys, "nests more than")


def test_a_long_wrong_value_is_shown_short():
    with pytest.raises(ParamError) as e:
        params.check_value("SEED", [[list(range(1000))] * 1000] * 1000)
    assert len(str(e.value)) < 200


# --- DATA_CLASSES text that is not a value (item 9) ---------------------------------------------

@pytest.mark.parametrize("text", ["'[a'", "'" + "7" * 5000 + "'"],
                         ids=["unclosed", "5000-digits"])
def test_malformed_data_classes_through_set_is_one_line(capsys, text):
    # quoted: --set reads a string, which DATA_CLASSES then reads as a number or a list
    assert status(["schedule", "--set", f"DATA_CLASSES={text}"]) == 2
    one_line_error(capsys, "DATA_CLASSES=")


@pytest.mark.parametrize("text", ["[a", "7" * 5000], ids=["unclosed", "5000-digits"])
def test_malformed_data_classes_through_papermill_is_one_line(text):
    with pytest.raises(ParamError, match="DATA_CLASSES") as e:
        notebook.resolve({"PROFILE": "quick", "DATA_CLASSES": text})
    assert "\n" not in str(e.value) and len(str(e.value)) < 200


def test_a_number_of_classes_too_large_to_print_is_refused():
    with pytest.raises(ParamError, match="must be a whole number of classes"):
        params.check_value("DATA_CLASSES", 10 ** 5000)


# --- what the data is belongs to a run's identity (item 1) --------------------------------------

IMAGES = dict(DATASET="imagefolder", REGNETX="custom", MODEL_BLOCKS=[1, 1],
              MODEL_CHANNELS=[16, 32], MODEL_TAIL_OUT_CHANNELS=16, DATA_IMAGE_SIZE=16,
              DATA_BATCH_SIZE=4, DATA_WORKERS=0, TRAINING_LR_INIT_EPOCHS=0,
              TRAINING_LR_FINAL_EPOCHS=1, PROGRESS=False, DEVICE="cpu")


def quiet(line):
    pass


@pytest.fixture
def run_root(tmp_path, monkeypatch):
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def folder_values(folder: Path, **more):
    return params.resolve(overrides={**IMAGES, "DATA_DIR": str(folder), **more})


def test_two_image_folders_with_the_same_class_names_are_two_runs(tmp_path, run_root):
    a, b = imagefolder(tmp_path / "a"), imagefolder(tmp_path / "b", per_class=5)
    va, vb = folder_values(a), folder_values(b)
    assert runs.train_dir(va) != runs.train_dir(vb)
    first = runs.train_or_reuse(va, log=quiet)
    second = runs.train_or_reuse(vb, log=quiet)
    assert first.trained and second.trained and first.run != second.run
    assert str(a) in first.data and str(b) in second.data  # each names its own data
    assert read_metrics(first.run) != read_metrics(second.run)


def test_the_same_image_folder_reuses_its_run_also_through_a_link(tmp_path, run_root):
    a = imagefolder(tmp_path / "a")
    (tmp_path / "link").symlink_to(a)
    first = runs.train_or_reuse(folder_values(a), log=quiet)
    lines = []
    again = runs.train_or_reuse(folder_values(tmp_path / "link"), log=lines.append)
    assert first.trained and not again.trained and again.run == first.run
    assert str(a) in lines[-1]  # the reuse names the data it shows


def test_changed_files_in_the_same_folder_are_not_shown_as_the_old_run(tmp_path, run_root):
    a = imagefolder(tmp_path / "a")
    values = folder_values(a)
    first = runs.train_or_reuse(values, log=quiet)
    kept = Path(first.run) / "metrics.jsonl"
    before = kept.read_bytes()
    imagefolder(tmp_path / "a", per_class=6)  # two more images in each class
    again = runs.train_or_reuse(values, log=quiet)
    assert again.trained
    aside = list(Path(first.run).parent.glob("*.replaced-*"))
    assert len(aside) == 1 and (aside[0] / "metrics.jsonl").read_bytes() == before


def test_a_run_record_and_a_report_name_their_data(tmp_path, run_root):
    a = imagefolder(tmp_path / "a")
    values = folder_values(a)
    run = Path(runs.train_or_reuse(values, log=quiet).run)
    seen = read_record(run)["provenance"]["dataset"]
    assert seen["source"] == str(a.resolve()) and len(seen["fingerprint"]) == 40
    assert str(a.resolve()) in notebook.report_provenance(values)["dataset"]


# --- the test-crop study evaluates only its own run's checkpoint (item 2) ----------------------

SYNTHETIC = dict(DATASET="synthetic", DATA_NUM_CLASSES=4, DATA_SYNTHETIC_TRAIN=48,
                 DATA_SYNTHETIC_TEST=32, DATA_SYNTHETIC_SIZE=16, DATA_CROP=14, DATA_RESIZE=16,
                 DATA_BATCH_SIZE=16, TRAINING_LR_INIT_EPOCHS=0, TRAINING_LR_FINAL_EPOCHS=1,
                 PROGRESS=False, DEVICE="cpu", FILE_SAVE=True, REGNETX="custom",
                 MODEL_BLOCKS=[1, 1], MODEL_CHANNELS=[16, 32], MODEL_TAIL_OUT_CHANNELS=16)
CROPS = experiments.Experiment("test_crops", "t", "", kind="test_crops", crops=(48, 56))


def test_the_crop_study_refuses_another_runs_checkpoint_of_the_same_shapes(run_root):
    values = params.resolve(overrides=SYNTHETIC)
    other = params.resolve(overrides={**SYNTHETIC, "SEED": 1})
    mine = Path(runs.train_or_reuse(values, log=quiet).run)
    theirs = Path(runs.train_or_reuse(other, log=quiet).run)
    (mine / "last.pt").write_bytes((theirs / "last.pt").read_bytes())
    with pytest.raises(ParamError, match=r"last.pt is not this run's checkpoint \(other "
                                         r"values of SEED 1 -> 0\)"):
        experiments.crop_study(values, CROPS, log=quiet)
    assert not (mine / experiments.CROPS).exists()  # nothing cached under this run's name


def test_the_crop_study_refuses_a_checkpoint_of_another_network(run_root):
    values = params.resolve(overrides=SYNTHETIC)
    run = Path(runs.train_or_reuse(values, log=quiet).run)
    ckpt = torch.load(run / "last.pt", weights_only=True)
    ckpt["spec"]["name"] = "someone else's"
    torch.save(ckpt, run / "last.pt")
    with pytest.raises(ParamError, match="not this run's checkpoint .another network."):
        experiments.crop_study(values, CROPS, log=quiet)


def test_cached_crops_belong_to_the_checkpoint_they_were_measured_on(run_root,
                                                                    evaluated_crops):
    values = params.resolve(overrides=SYNTHETIC)
    experiments.crop_study(values, CROPS, log=quiet)
    run = runs.train_dir(values)
    ckpt = torch.load(run / "last.pt", weights_only=True)
    ckpt["model"] = {k: v + 0.5 if v.is_floating_point() else v
                     for k, v in ckpt["model"].items()}  # other weights, same run
    torch.save(ckpt, run / "last.pt")
    experiments.crop_study(values, CROPS, log=quiet)
    assert evaluated_crops == [[12, 13, 14], [12, 13, 14]]


DAMAGED_CROPS = {
    "torn": lambda whole: json.dumps(whole)[:30],
    "a-list": lambda whole: "[1, 2]",
    "crops-not-a-mapping": lambda whole: json.dumps({**whole, "crops": 3}),
    "nested-deep": lambda whole: "[" * 100_000,
    "a-row-not-numbers": lambda whole: json.dumps(
        {**whole, "crops": {**whole["crops"], "12": {"test_acc": "x"}}}),
    # a cache written before per-image hits were kept, or with hits that do not match
    "no-hits": lambda whole: json.dumps({**whole, "crops": {
        c: {k: v for k, v in r.items() if k != "hits"} for c, r in whole["crops"].items()}}),
    "hits-of-another-crop": lambda whole: json.dumps({**whole, "crops": {
        **whole["crops"], "12": {**whole["crops"]["12"], "hits": "32:" + "A" * 8}}}),
}


@pytest.mark.parametrize("damage", DAMAGED_CROPS)
def test_a_torn_or_wrong_shaped_crop_cache_is_rebuilt(run_root, damage):
    values = params.resolve(overrides=SYNTHETIC)
    first, _ = experiments.crop_study(values, CROPS, log=quiet)
    path = runs.train_dir(values) / experiments.CROPS
    whole = json.loads(path.read_text())
    path.write_text(DAMAGED_CROPS[damage](whole))
    again, _ = experiments.crop_study(values, CROPS, log=quiet)
    assert again.equals(first) and json.loads(path.read_text()) == whole


# --- a checkpoint is checked whole before the folder changes (item 3) -------------------------

def trained(out: Path, *sets) -> Path:
    assert main(["train", "--out", str(out), *SETS, "--set", "FILE_SAVE=true", *sets]) == 0
    return out


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != ".regnet.lock"}


@pytest.mark.parametrize("part, value, says", [
    ("history", [1], "history row 1 is not an epoch record"),
    ("history", [{"epoch": 1}], "history row 1 has no lr"),
    ("history", [{"epoch": 1, "lr": "x", "train_loss": 1, "train_acc": 1, "test_loss": 1,
                  "test_acc": 1, "test_top5": 1, "epoch_seconds": 1,
                  "images_per_second": 1}], "history row 1 has lr that are not numbers"),
    ("optimizer", {"state": 1}, "optimizer holds no state"),
    ("params", {"TRAINING_OPTIMIZER": "rmsprop"}, "its parameters are not valid"),
    ("params", {1: 2}, "names that are not text"),
    ("best_acc", float("nan"), "best accuracy nan"),
    ("resolved", [1], "resolved of the wrong type"),
], ids=["history-number", "history-no-fields", "history-text", "optimizer", "params",
        "params-names", "best-nan", "resolved"])
def test_a_malformed_last_pt_is_refused_before_the_folder_changes(tmp_path, capsys, part,
                                                                   value, says):
    out = trained(tmp_path / "run")
    ckpt = torch.load(out / "last.pt", weights_only=True)
    ckpt[part] = value
    torch.save(ckpt, out / "last.pt")
    before = snapshot(out)
    capsys.readouterr()
    assert status(["train", "--out", str(out), *SETS, "--set", "FILE_SAVE=true", "--set",
                   "FILE_LOAD=1", "--set", "TRAINING_LR_FINAL_EPOCHS=2"]) == 2
    one_line_error(capsys, "last.pt", says)
    assert snapshot(out) == before


# --- a test loss that is not finite is divergence, and .jsonl stays JSON (item 6) ---------------

def test_the_largest_rate_is_divergence_and_never_reaches_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *SETS, "--set", "TRAINING_LR_MAX=1000"]) == 1
    err = capsys.readouterr().err
    assert "try a lower TRAINING_LR_MAX" in err and err.count("\n") == 1
    assert (out / "metrics.jsonl").read_text() == ""


def test_nan_in_evaluation_is_divergence_and_never_reaches_metrics(tmp_path, capsys,
                                                                   monkeypatch):
    from regnet.engine import loop
    real = loop.evaluate
    monkeypatch.setattr(loop, "evaluate", lambda *a, **k: {**real(*a, **k),
                                                           "test_loss": float("nan")})
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *SETS]) == 1
    err = capsys.readouterr().err
    assert "test loss is nan after epoch 1" in err and err.count("\n") == 1
    assert (out / "metrics.jsonl").read_text() == ""


def test_a_value_that_is_not_a_finite_number_is_written_as_json_null():
    from regnet.engine.runfolder import json_line
    line = json_line({"epoch": 1, "load_avg": float("nan"), "x": float("inf")})
    assert json.loads(line, parse_constant=pytest.fail) == {"epoch": 1, "load_avg": None,
                                                            "x": None}


# --- damaged files a report reads are one line (item 9) ---------------------------------------

@pytest.mark.parametrize("row", [{"epoch": 1}, {"epoch": 1, "test_acc": "high"}],
                         ids=["missing-fields", "text-for-a-number"])
def test_metrics_rows_missing_fields_are_one_line_naming_the_file(run_root, row):
    values = params.resolve(overrides=SYNTHETIC)
    run = Path(runs.train_or_reuse(values, log=quiet).run)
    whole = json.loads((run / "metrics.jsonl").read_text())
    (run / "metrics.jsonl").write_text(json.dumps({**whole, **row} if len(row) > 1 else row)
                                       + "\n")
    with pytest.raises(ParamError, match=r"metrics.jsonl line 1 has") as e:
        runs.run_summary(values, run)
    assert "\n" not in str(e.value)


# --- a run folder is one the project made, or an empty one (item 4) ----------------------------

@pytest.mark.parametrize("through_link", [False, True], ids=["folder", "link"])
def test_out_holding_someone_elses_files_is_refused_and_left_alone(tmp_path, capsys,
                                                                   through_link):
    theirs = tmp_path / "home"
    (theirs / "etc").mkdir(parents=True)  # like `/`: folders of someone else's
    (theirs / "notes.txt").write_text("mine")
    out = theirs
    if through_link:
        out = tmp_path / "out"
        out.symlink_to(theirs)
    assert status(["train", "--out", str(out), *SETS]) == 2
    one_line_error(capsys, "holds 'etc', which is not a file of a run")
    assert sorted(p.name for p in theirs.iterdir()) == ["etc", "notes.txt"]


def test_out_through_a_link_to_an_empty_folder_trains_there(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "target")
    assert main(["train", "--out", str(tmp_path / "out"), *SETS]) == 0
    assert {"params.yaml", "metrics.jsonl"} <= {p.name for p in (tmp_path / "target").iterdir()}


# --- class names are names, never paths (item 7) ---------------------------------------------

def tiny_values(data_dir, **more):
    return params.resolve(overrides={"DATASET": "tiny-imagenet", "DATA_DIR": str(data_dir),
                                     "PROGRESS": False, "DATA_WORKERS": 0,
                                     "DATA_DOWNLOAD": False, **more})


def test_a_wnids_line_that_is_a_path_is_refused_before_reading_outside(tmp_path):
    root = layout(tmp_path / "d" / "tiny")
    outside = tmp_path / "d" / "outside" / "images"  # train/../../outside/images
    outside.mkdir(parents=True)
    (outside / "secret.JPEG").write_bytes((root / "train" / WNIDS[0] / "images" /
                                           f"{WNIDS[0]}_2.JPEG").read_bytes())
    with (root / "wnids.txt").open("a") as f:
        f.write("../../outside\n")
    with pytest.raises(ParamError, match=r"wnids.txt lists '../../outside', which is not a "
                                         r"class name"):
        load_data(tiny_values(root))


@pytest.mark.parametrize("name", ["../../outside", "..", "a/b", "/etc"])
def test_data_classes_naming_a_path_is_refused(name):
    with pytest.raises(ParamError, match="not a class name"):
        params.check_value("DATA_CLASSES", [WNIDS[0], name])
    with pytest.raises(ParamError, match="not a class name"):
        notebook.resolve({"PROFILE": "quick", "DATA_CLASSES": f"[{WNIDS[0]}, '{name}']"})


@pytest.mark.parametrize("name", ["wnids.txt", "val/val_annotations.txt"])
def test_a_byte_ff_in_the_layout_text_files_is_one_line(tmp_path, name):
    root = layout(tmp_path / "tiny")
    with (root / name).open("ab") as f:
        f.write(b"\xff\xfe oops\n")
    with pytest.raises(ParamError, match=f"{name} is not UTF-8 text") as e:
        load_data(tiny_values(root))
    assert "\n" not in str(e.value)


# --- a hostile or damaged tiny-imagenet zip is one line (item 9) ------------------------------

def _flip_bytes(path: Path, after: bytes, flag: bool = False):
    raw = bytearray(path.read_bytes())
    if flag:  # mark the entry encrypted in its local and its central header
        raw[6] |= 1
        raw[raw.find(b"PK\x01\x02") + 8] |= 1
    else:
        start = raw.find(after) + len(after) + 10
        raw[start:start + 20] = bytes(b ^ 0x55 for b in raw[start:start + 20])
    path.write_bytes(bytes(raw))


HOSTILE_ZIPS = {
    "corrupt-deflate": ([("tiny/wnids.txt", b"n01443537\n" * 2000)], "is damaged"),
    "encrypted": ([("tiny/wnids.txt", b"n01443537\n")], "is encrypted"),
    "file-then-folder": ([("tiny/x", b"1"), ("tiny/x/y", b"2")], "is both a file and a folder"),
    "folder-then-file": ([("tiny/x/", b""), ("tiny/x", b"2")], "is both a file and a folder"),
    "long-name": ([("tiny/" + "a" * 300, b"1")], "longer than 255 bytes"),
}


@pytest.mark.parametrize("kind", HOSTILE_ZIPS)
def test_a_hostile_tiny_imagenet_zip_is_one_line_and_leaves_nothing(tmp_path, kind):
    entries, says = HOSTILE_ZIPS[kind]
    archive = tmp_path / "tiny-imagenet-200.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            zf.writestr(name, content)
    if kind in ("corrupt-deflate", "encrypted"):
        _flip_bytes(archive, b"wnids.txt", flag=kind == "encrypted")
    with pytest.raises(ParamError, match=says) as e:
        load_data(tiny_values(tmp_path))
    assert "\n" not in str(e.value) and archive.is_file()
    extracted = tmp_path / ".regnet-cache" / "extracted"
    assert not extracted.exists() or list(extracted.iterdir()) == []


# --- a torn finished report stops the combined report in one line (item 9) --------------------

@pytest.mark.parametrize("content", ['{"cells": [', '{"cells": 3, "metadata": {}, '
                                     '"nbformat": 4, "nbformat_minor": 5}', "\xff"],
                         ids=["torn", "wrong-shape", "not-text"])
def test_a_torn_finished_report_is_one_line_when_the_combined_report_is_built(tmp_path,
                                                                              content):
    from regnet.report import combine
    torn = tmp_path / "02_train.ipynb"
    torn.write_bytes(content.encode("latin-1"))
    with pytest.raises(ParamError, match=f"{torn} is not a readable notebook") as e:
        combine.assemble(tmp_path, params.resolve(overrides={"PROFILE": "quick"}))
    assert "\n" not in str(e.value)


# --- a disk that fills while torch writes a checkpoint (item 9) --------------------------------

def test_a_disk_full_inside_torch_save_is_one_line_and_keeps_the_last_checkpoint(
        tmp_path, capsys, monkeypatch):
    real, calls = torch.save, []

    def fills_on_second(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # epoch 2: torch's writer meets a full disk, without an errno
            with open(f, "wb") as out:
                out.write(b"PK\x03\x04 half")
            monkeypatch.setattr(shutil, "disk_usage",
                                lambda p: shutil._ntuple_diskusage(10**9, 10**9, 512))
            raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos "
                               "4864 vs 4752")
        return real(obj, f, *args, **kwargs)
    monkeypatch.setattr(torch, "save", fills_on_second)
    out = tmp_path / "run"
    assert status(["train", "--out", str(out), *SETS, "--set", "FILE_SAVE=true", "--set",
                   "TRAINING_LR_FINAL_EPOCHS=2"]) == 2
    one_line_error(capsys, "no space left in", "resume with FILE_LOAD=1")
    monkeypatch.undo()
    from regnet.engine.checkpoint import load_checkpoint
    assert load_checkpoint(out / "last.pt")["epoch"] == 1
    assert sorted(p.name for p in out.iterdir() if p.name != ".regnet.lock") == [
        "best.pt", "last.pt", "metrics.jsonl", "params.yaml"]


# --- papermill names in another case (item 10) ---------------------------------------------------

@pytest.mark.parametrize("name, value, hint", [
    ("data_batch_siz", 8, "did you mean DATA_BATCH_SIZE?"),
    ("data_batch_size", 8, "did you mean DATA_BATCH_SIZE?"),
    ("Training_LR_Max", 0.5, "did you mean TRAINING_LR_MAX?"),
    ("lr", "0.1", "parameters are UPPER_CASE"),
], ids=["typo", "lower-case", "mixed-case", "no-match"])
def test_an_unknown_lower_case_papermill_name_is_refused_with_a_suggestion(name, value,
                                                                           hint):
    with pytest.raises(ParamError, match=rf"unknown parameter {name}\b.*{re.escape(hint)}"):
        notebook.resolve({"PROFILE": "quick", name: value})


def test_a_notebooks_own_globals_are_not_parameters():
    import pathlib
    values = notebook.resolve({"PROFILE": "quick", "REPO": "/content/regnet", "Path":
                               pathlib.Path, "pd": None, "os": os, "In": ["x"], "Out": {},
                               "_i1": "x", "get_ipython": print})
    assert values["PROFILE"] == "quick"


def test_papermill_p_with_a_lower_case_typo_fails_the_notebook_naming_it(tmp_path):
    from regnet.report import render
    report = render.Report("02_train", "02_train.ipynb", "2")
    with pytest.raises(render.NotebookFailed, match=r"unknown parameter data_batch_siz "
                                                    r"\(did you mean DATA_BATCH_SIZE\?\)"):
        render.execute(report, "quick", tmp_path, {"data_batch_siz": 8})


def test_out_a_link_that_loops_is_one_line(tmp_path, capsys):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert status(["train", "--out", str(tmp_path / "a"), *SETS]) == 2
    one_line_error(capsys, "is a link that loops")


@pytest.mark.parametrize("name, content, says", [
    ("metrics.jsonl", b"[" * 100_000 + b"\n", "metrics.jsonl line 1 is not an epoch record"),
    ("params.yaml", f"params: {alias_bomb()}\n".encode(), "params.yaml cannot be read"),
], ids=["metrics-nested-deep", "params-alias-bomb"])
def test_run_records_that_would_hang_or_recurse_are_one_line(tmp_path, name, content, says):
    out = trained(tmp_path / "run")
    (out / name).write_bytes(content)
    with pytest.raises(ParamError, match=says) as e:
        is_finished(out, params.resolve(sets=TINY + ["FILE_SAVE=true"]))
    assert "\n" not in str(e.value)


def test_one_process_loads_two_image_folders_as_two_datasets(tmp_path):
    a, b = imagefolder(tmp_path / "a"), imagefolder(tmp_path / "b", per_class=5)
    datasets = runs.Datasets(log=quiet)
    first, second = datasets.get(folder_values(a)), datasets.get(folder_values(b))
    assert (len(first.train_y), len(second.train_y)) == (12, 15)
