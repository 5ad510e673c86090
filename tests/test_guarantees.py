"""The README's guarantees under hostile use: nothing produced is lost, one owner per folder,
a resume that would mix two runs is refused before any write, a full disk is one line, and
every file the project reads back may be torn without a traceback."""
import errno
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from datafiles import image_tree
from regnet import data, lock
from regnet.cli import main
from regnet.data import cache as images
from regnet.engine import checkpoint, runfolder
from regnet.engine.loop import train
from regnet.engine.runfolder import is_finished, prepare_rerun, read_metrics
from regnet.errors import ParamError
from regnet.params import resolve
from regnet.report import render
from regnet.study import sweep
from regnet.study.runs import run_summary

ROOT = Path(__file__).resolve().parents[1]
TINY = ["REGNETX=custom", "MODEL_BLOCKS=[1,1]", "MODEL_CHANNELS=[16,32]",
        "MODEL_TAIL_OUT_CHANNELS=16", "MODEL_GROUP_WIDTH=8", "DATA_NUM_CLASSES=10",
        "DATA_SYNTHETIC_TRAIN=128", "DATA_SYNTHETIC_TEST=64", "DATA_SYNTHETIC_SIZE=16",
        "DATA_BATCH_SIZE=64", "TRAINING_LR_INIT_EPOCHS=0", "TRAINING_LR_FINAL_EPOCHS=2",
        "PROGRESS=false", "DEVICE=cpu"]
SETS = [x for s in TINY for x in ("--set", s)]


def tiny(*sets):
    return resolve(sets=TINY + list(sets))


@pytest.fixture(scope="module")
def ds():
    return data.load(tiny())


def one_line_error(capsys, *needles):
    """The command's stderr: exactly one line, an error, holding every needle."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and " error: " in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def no_temporary_files(folder: Path):
    return [p for p in folder.rglob("*") if "tmp" in p.name or "extracting" in p.name
            or p.name.endswith(".packed.npy")]


def snapshot(folder: Path):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


# --- nothing already produced is lost ------------------------------------------------------

@pytest.mark.parametrize("kept", [["best.pt", "params.yaml"], ["params.yaml"], ["best.pt"],
                                  ["metrics.jsonl"]], ids="+".join)
def test_any_file_of_a_run_makes_the_folder_a_run(ds, tmp_path, capsys, monkeypatch, kept):
    train(tiny("TRAINING_LR_FINAL_EPOCHS=1"), tmp_path, dataset=ds)
    for p in tmp_path.iterdir():
        if p.name not in kept:
            p.unlink()
    before = snapshot(tmp_path)
    monkeypatch.setattr(data, "load", lambda values: pytest.fail("data loaded"))
    assert main(["train", "--out", str(tmp_path), *SETS]) == 2
    one_line_error(capsys, "already holds a run", kept[0], "nothing was overwritten")
    assert snapshot(tmp_path) == before


def test_rerun_moves_a_checkpointless_run_aside_instead_of_deleting_it(ds, tmp_path):
    out = tmp_path / "run"
    values = tiny("TRAINING_LR_FINAL_EPOCHS=1")
    train(values, out, dataset=ds)
    (out / "last.pt").unlink()  # best.pt and params.yaml of the same parameters stay
    best = (out / "best.pt").read_bytes()
    assert prepare_rerun(out, values, log=lambda m: None)["FILE_LOAD"] is False
    aside = list(tmp_path.glob("run.replaced-*"))
    assert len(aside) == 1 and (aside[0] / "best.pt").read_bytes() == best
    assert runfolder.run_files(out) == []


def test_rerun_starts_afresh_only_when_no_epoch_had_finished(ds, tmp_path):
    values = tiny()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(
        {"params": dict(values), "network": {"name": "custom", "stages": [],
                                             "stem_width": 16}, "provenance": {}}))
    # a network that cannot be read is a damaged record: refused, not guessed at
    with pytest.raises(ParamError, match="params.yaml holds a network that cannot be read"):
        prepare_rerun(tmp_path, values, log=lambda m: None)
    train(values, tmp_path / "cut", dataset=ds)
    for name in ("metrics.jsonl", "last.pt", "best.pt"):
        (tmp_path / "cut" / name).unlink()
    assert prepare_rerun(tmp_path / "cut", values, log=lambda m: None)["FILE_LOAD"] is False
    assert runfolder.run_files(tmp_path / "cut") == [] and not list(tmp_path.glob("cut.rep*"))


# --- one owner per folder ----------------------------------------------------------------

def holder(folder: Path, what="folder", name=lock.LOCK_NAME):
    """A separate process that holds `folder` until its stdin closes."""
    code = ("import sys; from regnet import lock; "
            f"l = lock.acquire(sys.argv[1], {what!r}, name={name!r}); print('held', flush=True); "
            "sys.stdin.read()")
    child = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "lib")})
    assert child.stdout.readline() == "held\n"
    return child


def release(child):
    child.stdin.close()
    assert child.wait(timeout=60) == 0


def test_two_trains_into_one_out_the_second_fails_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    code = ("import sys; from regnet.engine import loop; real = loop.train_epoch\n"
            "def wait(*a, **k):\n"
            "    print('training', flush=True); sys.stdin.readline(); return real(*a, **k)\n"
            "loop.train_epoch = wait\n"
            "from regnet.cli import main; sys.exit(main(sys.argv[1:]))")
    first = subprocess.Popen([sys.executable, "-c", code, "train", "--out", str(out), *SETS,
                              "--set", "TRAINING_LR_FINAL_EPOCHS=1"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "lib")})
    assert first.stdout.readline() == "training\n"  # mid-run, holding the folder
    assert main(["train", "--out", str(out), *SETS]) == 2
    one_line_error(capsys, f"--out {out} is in use by pid {first.pid} on "
                           f"{socket.gethostname()}", "one process at a time")
    first.stdin.write("\n")
    first.stdin.close()
    assert first.wait(timeout=120) == 0
    assert [r["epoch"] for r in read_metrics(out)] == [1]  # the first run's, unmixed
    assert not (out / lock.LOCK_NAME).exists()


def test_a_lock_left_by_a_killed_process_is_taken_over_with_a_message(tmp_path):
    child = holder(tmp_path, "run folder")
    assert lock.owner(tmp_path)["pid"] == child.pid
    with pytest.raises(ParamError, match=f"in use by pid {child.pid}"):
        lock.acquire(tmp_path, "run folder")
    child.kill()  # kill -9: no cleanup ran, the lock file stays
    child.wait()
    assert (tmp_path / lock.LOCK_NAME).exists()
    said = []
    with lock.hold(tmp_path, "run folder", warn=said.append):
        assert lock.owner(tmp_path)["pid"] == os.getpid()
    assert len(said) == 1 and f"taking over the lock of pid {child.pid}" in said[0]
    assert "no longer running" in said[0]
    assert not (tmp_path / lock.LOCK_NAME).exists()


def test_a_lock_from_another_machine_is_refused_naming_the_file(tmp_path):
    (tmp_path / lock.LOCK_NAME).write_text(json.dumps(
        {"pid": 1, "host": "elsewhere", "started": "2026-01-01T00:00:00"}))
    with pytest.raises(ParamError, match=r"locked by pid 1 on elsewhere .* another machine.*"
                                         r"delete .*\.regnet\.lock"):
        lock.acquire(tmp_path, "sweep folder")


def test_a_lock_that_made_its_folder_removes_it_when_nothing_was_written(tmp_path):
    with lock.hold(tmp_path / "new"):
        with lock.hold(tmp_path / "new") as again:  # the same process may hold it twice
            assert again.depth == 2
    assert not (tmp_path / "new").exists()
    with lock.hold(tmp_path / "kept"):
        (tmp_path / "kept" / "result").write_text("x")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["result"]


def test_a_sweep_folder_has_one_owner_but_shards_share_it(tmp_path):
    values = resolve(overrides={"SWEEP_SPACES": "regnetx", "SWEEP_SAMPLES": 2, "DEVICE": "cpu"})

    def fake_train(values, out=None, *, dataset=None, spec=None, progress=None):
        return {"test_acc": 50.0, "history": [{"epoch": 1}]}

    child = holder(tmp_path, "sweep folder")
    with pytest.raises(ParamError, match=r"sweep folder .* is in use by pid"):
        sweep.run_sweep(values, tmp_path, train_fn=fake_train, data_fn=lambda v: None, log=None)
    release(child)
    child = holder(tmp_path, "sweep folder", name=".regnet-shard-0-of-2.lock")
    df = sweep.run_sweep(values, tmp_path, shard="1/2", train_fn=fake_train,
                         data_fn=lambda v: None, log=None)
    assert list(df["index"]) == [1]
    release(child)


def test_two_report_runs_into_one_folder_the_second_fails_in_one_line(tmp_path, capsys):
    child = holder(tmp_path / "quick" / ".work", "report folder")
    assert main(["reports", "--only", "01_design", "--no-pdf", "--out", str(tmp_path)]) == 2
    one_line_error(capsys, "report folder", f"is in use by pid {child.pid}")
    release(child)


# --- a resume that would mix two runs ------------------------------------------------------

@pytest.mark.parametrize("changed, named", [
    (["TRAINING_OPTIMIZER=adam", "TRAINING_WD_NORM_BIAS=1"],
     ["TRAINING_OPTIMIZER 'sgd' -> 'adam'", "TRAINING_WD_NORM_BIAS False -> True"]),
    (["MODEL_CHANNELS=[16,48]"], ["MODEL_CHANNELS [16, 32] -> [16, 48]"]),
], ids=["optimizer", "another-network"])
def test_resume_with_other_result_parameters_is_refused_before_anything_is_written(
        ds, tmp_path, capsys, monkeypatch, changed, named):
    train(tiny("TRAINING_LR_FINAL_EPOCHS=1"), tmp_path, dataset=ds)
    before = snapshot(tmp_path)
    monkeypatch.setattr(data, "load", lambda values: pytest.fail("data loaded"))
    args = ["train", "--out", str(tmp_path), *SETS, "--set", "TRAINING_LR_FINAL_EPOCHS=1",
            "--set", "FILE_LOAD=1", *(x for s in changed for x in ("--set", s))]
    assert main(args) == 2
    one_line_error(capsys, "last.pt was trained with other values of", *named)
    assert snapshot(tmp_path) == before


def test_resume_with_only_where_and_how_changed_is_accepted(ds, tmp_path):
    train(tiny(), tmp_path, dataset=ds)
    summary = train(tiny("FILE_LOAD=1", "PROGRESS=true", "FILE_SAVE=false", "DATA_WORKERS=0",
                         f"DATA_DIR={tmp_path}"), tmp_path, dataset=ds)
    assert summary["epochs"] == 2


# --- a full disk ---------------------------------------------------------------------------

def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_at_the_start_is_one_line_and_leaves_nothing(ds, tmp_path, monkeypatch):
    real = pathlib.Path.write_bytes

    def half_then_full(self, data):  # some bytes reach the temporary file, then the disk fills
        real(self, data[:len(data) // 2])
        enospc()
    monkeypatch.setattr(pathlib.Path, "write_bytes", half_then_full)
    out = tmp_path / "run"
    with pytest.raises(ParamError) as err:
        train(tiny(), out, dataset=ds)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"no space left in {out}")
    assert "needs about" in message and "free" in message
    assert not out.exists() and no_temporary_files(tmp_path) == []


def test_too_little_free_space_is_refused_before_the_first_write(ds, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9,
                                                                                 999))
    with pytest.raises(ParamError, match=r"no space left in .* needs about [\d.]+ MB, "
                                         r"999 bytes free"):
        train(tiny(), tmp_path / "run", dataset=ds)
    assert not (tmp_path / "run").exists()


def test_a_full_disk_mid_run_keeps_the_good_checkpoint_and_resumes(ds, tmp_path, monkeypatch):
    real, calls = torch.save, []

    def full_on_second(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # epoch 2's checkpoint: half written, then the disk is full
            with open(f, "wb") as out:
                out.write(b"PK\x03\x04 half")
            enospc()
        return real(obj, f, *args, **kwargs)
    monkeypatch.setattr(torch, "save", full_on_second)
    with pytest.raises(ParamError, match=r"no space left in .*; free some space or choose "
                                         r"another folder, then resume with FILE_LOAD=1"):
        train(tiny(), tmp_path, dataset=ds)
    monkeypatch.undo()
    assert checkpoint.load_checkpoint(tmp_path / "last.pt")["epoch"] == 1
    assert [r["epoch"] for r in read_metrics(tmp_path)] == [1]
    assert no_temporary_files(tmp_path) == []
    assert train(tiny("FILE_LOAD=1"), tmp_path, dataset=ds)["epochs"] == 2


def test_a_full_disk_while_appending_metrics_leaves_no_torn_line(ds, tmp_path, monkeypatch):
    folder = runfolder.RunFolder(tmp_path, tiny(), None, ds, None)
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1}\n')

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

        def tell(self):
            return self.f.tell()

        def truncate(self, n):
            return self.f.truncate(n)

        def write(self, text):
            self.f.write(text[:5])
            self.f.flush()
            enospc()

        def flush(self):
            self.f.flush()
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, mode="r", *a, **k: Full(real_open(p, mode))
                        if str(p).endswith("metrics.jsonl") and mode == "a"
                        else real_open(p, mode, *a, **k))
    with pytest.raises(OSError):
        folder.append({"epoch": 2})
    monkeypatch.undo()
    assert read_metrics(tmp_path) == [{"epoch": 1}]


def test_a_full_disk_while_building_the_image_cache_is_one_line(tmp_path, monkeypatch):
    tree = image_tree(tmp_path / "imgs", per_class=3)
    by_class = images.scan([tree], "t")
    real = np.save

    def full(path, *a, **k):  # the labels file: the images are already written
        real(path, *a, **k)
        enospc()
    monkeypatch.setattr(np, "save", full)
    with pytest.raises(ParamError, match=r"no space left in .*cache for the train image cache"):
        images.cached_folder_split(by_class, sorted(by_class), tmp_path / "cache", "train",
                                   32, progress=False)
    assert no_temporary_files(tmp_path / "cache") == []
    assert list((tmp_path / "cache").iterdir()) == []  # nothing that looks like a cache


# --- files the project wrote itself may be torn -----------------------------------------------

@pytest.mark.parametrize("damage", ["truncated-images", "garbage-metadata", "labels-out-of-range",
                                    "metadata-not-a-dict", "images-missing"])
def test_a_damaged_image_cache_is_detected_and_rebuilt(tmp_path, monkeypatch, damage):
    tree = image_tree(tmp_path / "imgs", per_class=3)
    by_class = images.scan([tree], "t")
    classes = sorted(by_class)
    cache = tmp_path / "cache"
    x, y, _ = images.cached_folder_split(by_class, classes, cache, "train", 32, progress=False)
    x, y = np.array(x), np.array(y)
    x_path, y_path, meta_path = images._paths(cache, "train", 32)
    if damage == "truncated-images":
        x_path.write_bytes(x_path.read_bytes()[:200])
    elif damage == "garbage-metadata":
        meta_path.write_bytes(b"\x00{garbage")
    elif damage == "labels-out-of-range":
        np.save(y_path, np.full_like(y, 99))
    elif damage == "metadata-not-a-dict":
        meta_path.write_text("[1, 2]")
    else:
        x_path.unlink()
    real, calls = images.decode, []
    monkeypatch.setattr(images, "decode", lambda *a: calls.append(a) or real(*a))
    x2, y2, _ = images.cached_folder_split(by_class, classes, cache, "train", 32, progress=False)
    assert calls, "the damaged cache was taken as whole"
    assert np.array_equal(np.array(x2), x) and np.array_equal(np.array(y2), y)
    assert no_temporary_files(cache) == []


@pytest.mark.parametrize("payload, says", [
    (torch.zeros(3), "it holds a Tensor, not a dict"),
    ({"model": {}}, "no epoch, best_acc, history"),
    ({"epoch": "1", "best_acc": 0.0, "history": [], "model": {}, "ema": None, "optimizer": {},
      "scaler": {}, "rng": {}, "params": {}, "spec": {}}, "epoch of the wrong type"),
    (b"\x00" * 64, "not a readable checkpoint"),
], ids=["bare-tensor", "missing-keys", "wrong-types", "garbage"])
def test_a_checkpoint_that_is_not_one_is_refused_in_one_line(tmp_path, capsys, payload, says):
    if isinstance(payload, bytes):
        (tmp_path / "last.pt").write_bytes(payload)
    else:
        torch.save(payload, tmp_path / "last.pt")
    assert main(["train", "--out", str(tmp_path), "--set", "FILE_LOAD=1"]) == 2
    one_line_error(capsys, "last.pt", says)
    with pytest.raises(ParamError, match="last.pt"):
        checkpoint.load_model(tmp_path / "last.pt")


def test_a_checkpoint_with_torn_history_is_refused(ds, tmp_path):
    train(tiny("TRAINING_LR_FINAL_EPOCHS=1"), tmp_path, dataset=ds)
    ckpt = torch.load(tmp_path / "last.pt", weights_only=True)
    ckpt["history"] = []
    torch.save(ckpt, tmp_path / "last.pt")
    with pytest.raises(ParamError, match=r"epoch 1 but 0 rows of history"):
        checkpoint.load_checkpoint(tmp_path / "last.pt")


@pytest.mark.parametrize("name, content, says", [
    ("metrics.jsonl", b'{"epoch": 1}\n{"epoch": 2, "lr": 0.', "metrics.jsonl line 2"),
    ("metrics.jsonl", b'[1, 2]\n', "metrics.jsonl line 1"),
    ("metrics.jsonl", b"\xff\xfe\x00garbage", "metrics.jsonl cannot be read"),
    ("params.yaml", b"params: [\n", "params.yaml cannot be read"),
    ("params.yaml", b"just a string\n", "params.yaml is not a run record"),
    ("params.yaml", b"\x89PNG\r\n\x1a\n\x00", "params.yaml cannot be read"),
], ids=["torn-line", "not-a-record", "binary-metrics", "bad-yaml", "not-a-mapping",
        "binary-params"])
def test_damaged_run_records_are_refused_naming_the_file(ds, tmp_path, name, content, says):
    values = tiny("TRAINING_LR_FINAL_EPOCHS=1")
    train(values, tmp_path, dataset=ds)
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ParamError, match=says) as err:
        is_finished(tmp_path, values)
    assert "\n" not in str(err.value)
    with pytest.raises(ParamError, match=says):
        run_summary(values, tmp_path)


def test_a_torn_sweep_result_is_refused_naming_it(tmp_path, capsys):
    values = resolve(overrides={"SWEEP_SPACES": "regnetx", "SWEEP_SAMPLES": 1, "DEVICE": "cpu"})

    def fake_train(values, out=None, *, dataset=None, spec=None, progress=None):
        return {"test_acc": 50.0, "history": [{"epoch": 1}]}
    sweep.run_sweep(values, tmp_path, train_fn=fake_train, data_fn=lambda v: None, log=None)
    result = next(tmp_path.glob(f"*/*/{sweep.RESULT}"))
    result.write_text(result.read_text()[:40])
    with pytest.raises(ParamError, match=f"{result} cannot be read .*delete it"):
        sweep.run_sweep(values, tmp_path, train_fn=fake_train, data_fn=lambda v: None, log=None)
    assert main(["edf", str(tmp_path), "--no-plots"]) == 2
    one_line_error(capsys, str(result))
    result.write_text('{"row": 1}')
    with pytest.raises(ParamError, match="is not a sweep result"):
        sweep.load_results(tmp_path)


def test_a_torn_report_work_file_is_one_line_naming_it(tmp_path):
    torn = tmp_path / "02_train.ipynb"
    torn.write_text('{"cells": [')
    with pytest.raises(render.NotebookFailed, match=f"{torn} is not a readable notebook"):
        render.to_html(torn, tmp_path / "02_train.html")
    assert not (tmp_path / "02_train.html").exists()
