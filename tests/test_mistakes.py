"""Every mistake is one line and exit 2, before long work: bounded parameters, a network's
memory estimated from its spec, bad files and folders, typos in papermill parameters, and a
closed pipe."""
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from regnet import data, params
from regnet.arch import memory, space
from regnet.cli import main
from regnet.data import download
from regnet.errors import ParamError
from regnet.report import notebook, render
from regnet.study import runs

ROOT = Path(__file__).resolve().parents[1]
TINY = ["REGNETX=custom", "MODEL_BLOCKS=[1,1]", "MODEL_CHANNELS=[16,32]",
        "MODEL_TAIL_OUT_CHANNELS=16", "DATA_NUM_CLASSES=10", "DATA_SYNTHETIC_TRAIN=128",
        "DATA_SYNTHETIC_TEST=64", "DATA_SYNTHETIC_SIZE=16", "DATA_BATCH_SIZE=64",
        "TRAINING_LR_INIT_EPOCHS=0", "TRAINING_LR_FINAL_EPOCHS=1", "PROGRESS=false",
        "DEVICE=cpu"]
SETS = [x for s in TINY for x in ("--set", s)]


def one_line_error(capsys, *needles):
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and " error: " in out.err, out.err
    assert "Traceback" not in out.err
    for needle in needles:
        assert needle in out.err, (needle, out.err)
    return out.err


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command gets as far as loading data or building a model."""
    monkeypatch.setattr(data, "load", lambda values: pytest.fail("data loaded"))
    no_building(monkeypatch)


def no_building(monkeypatch):
    from regnet.arch import model
    from regnet.engine import loop
    for module in (model, loop):
        monkeypatch.setattr(module, "build", lambda spec: pytest.fail("model built"))


# --- the probes of the issue, and every parameter's range -----------------------------------

@pytest.mark.parametrize("args, says", [
    (["info", "200mf", "--input", "100000"], "argument --input: '100000' must be at most 4,096"),
    (["info", "custom", "--set", "MODEL_BOTTLENECK=0.0001"],
     "MODEL_BOTTLENECK=0.0001 is too small: it must be at least 0.0625"),
    (["info", "custom", "--set", "MODEL_FILTER_SIZE=99999"],
     "MODEL_FILTER_SIZE=99999 is too large: it must be at most 15"),
    (["info", "custom", "--set", "MODEL_CHANNELS=[8,16,32,100000000]"],
     "MODEL_CHANNELS=100000000 is too large: it must be at most 8,192"),
    (["train", "--set", "DATA_SYNTHETIC_TRAIN=100000000000"],
     "DATA_SYNTHETIC_TRAIN=100000000000 is too large"),
    (["train", "--set", "DATA_SCALE_MIN=5"], "DATA_SCALE_MIN=5 is too large: it must be at "
                                             "most 1"),
    (["schedule", "--set", "TRAINING_LR_FINAL_EPOCHS=1000000000"],
     "TRAINING_LR_FINAL_EPOCHS=1000000000 is too large"),
    (["bench", "--data-only", "--workers", "-1"], "argument --workers: '-1' must be at least 0"),
    (["info", "200mf", "--set", "MODEL_BLOCKS=" + "1" * 5000], "is not a valid value"),
    (["info", "200mf", "--set", "SEED=" + "9" * 30], "SEED=a 100-bit number is too large"),
    (["train", "--set", "DEVICE=meta"], "DEVICE='meta' is not a device"),
    (["info", "custom", "--set", "MODEL_BLOCKS=[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]",
      "--set", "MODEL_CHANNELS=[8]"], "MODEL_BLOCKS has 17 entries: at most 16 stages"),
], ids=lambda a: a if isinstance(a, str) else " ".join(a)[:40])
def test_issue_probes_are_one_line_exit_2_before_any_work(capsys, no_work, args, says):
    assert status(args) == 2
    one_line_error(capsys, says)


def status(args) -> int:
    """The exit status of the command line (argparse's mistakes exit from inside)."""
    try:
        return main(args)
    except SystemExit as e:
        return e.code


@pytest.mark.parametrize("name", [n for n, p in params.PARAMS.items()
                                  if p.kind in ("int", "float", "ints", "optional-int")])
def test_every_number_of_the_vocabulary_has_a_range(name):
    p = params.PARAMS[name]
    assert p.minimum is not None and p.maximum is not None and p.minimum <= p.maximum
    big = p.maximum * 2 + 1
    with pytest.raises(ParamError, match=f"{name}=.* is too large: it must be at most"):
        params.check_value(name, [int(big)] if p.kind == "ints" else big)
    with pytest.raises(ParamError, match=f"{name}=.* is too small: it must be at least"):
        params.check_value(name, [p.minimum - 1] if p.kind == "ints" else p.minimum - 1)
    default = p.default if p.default is not None else p.minimum
    assert params.check_value(name, default) == default  # the default is inside its range


def test_params_lists_each_range(capsys):
    assert main(["params", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["DATA_BATCH_SIZE"]["range"] == [1, 65536] and rows["DEVICE"]["range"] is None


# --- a network's memory from its spec --------------------------------------------------------

def test_memory_estimate_matches_the_closed_form():
    spec = space.named("200mf")
    assert memory.estimate(spec) == 4 * 2_351_452 + 4 * 1_535_956  # params + acts at batch 1
    trained = memory.estimate(spec, batch=8, training=True, optimizer="adam", ema=True)
    assert trained == 4 * 2_351_452 * 5 + 4 * 1_535_956 * 8 * 3


@pytest.mark.parametrize("args, says", [
    (["info", "custom", "--set", "MODEL_CHANNELS=[8192,8192,8192,8192]",
      "--set", "MODEL_BLOCKS=[64,64,64,64]"], "network custom at 56 px needs about"),
    (["info", "200mf", "--input", "4096"], "for a forward pass at batch 1"),
    (["train", *SETS, "--set", "MODEL_CHANNELS=[4096,8192]", "--set", "MODEL_BLOCKS=[8,8]"],
     "for training at batch 64"),
], ids=["huge-custom", "huge-input", "train"])
def test_a_network_too_big_for_the_device_is_refused_before_it_is_built(
        capsys, monkeypatch, args, says):
    monkeypatch.setattr(memory, "device_memory", lambda device: 8 * 10**9)
    no_building(monkeypatch)
    assert status(args) == 2
    one_line_error(capsys, says, "more than the 8.0 GB of cpu")


def test_a_batch_larger_than_the_training_set_is_one_line_before_files(tmp_path, capsys,
                                                                       monkeypatch):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *SETS, "--set", "DATA_BATCH_SIZE=129"]) == 2
    one_line_error(capsys, "DATA_BATCH_SIZE=129 is larger than the 128 training images of "
                           "synthetic")
    assert not out.exists()
    ds = data.load(params.resolve(sets=TINY))  # any dataset: checked once it is loaded
    from regnet.engine.loop import train
    with pytest.raises(ParamError, match="DATA_BATCH_SIZE=256 is larger than the 128"):
        train(params.resolve(sets=TINY + ["DATA_BATCH_SIZE=256"]), out, dataset=ds)
    assert not out.exists()


def test_too_many_synthetic_images_for_the_memory_is_one_line(monkeypatch):
    monkeypatch.setattr("regnet.data.datasets.device_memory", lambda device: 10**9)
    with pytest.raises(ParamError, match=r"= 200,000 images of 3x64x64 take 2.5 GB, more than "
                                         r"half of this machine's 1.0 GB"):
        data.load(params.resolve(overrides={"DATA_SYNTHETIC_TRAIN": 150_000,
                                            "DATA_SYNTHETIC_TEST": 50_000}))


def test_zero_epochs_check_and_set_up_everything_and_train_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *SETS, "--set", "TRAINING_LR_FINAL_EPOCHS=0"]) == 0
    assert json.loads(capsys.readouterr().out)["epochs"] == 0
    assert sorted(p.name for p in out.iterdir()) == ["metrics.jsonl", "params.yaml"]


# --- files and folders -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["binary", "folder", "device", "huge"])
def test_a_params_file_that_is_not_a_yaml_file_is_one_line(tmp_path, capsys, kind):
    path = tmp_path / "p.yaml"
    if kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
        says = "is not a text file"
    elif kind == "folder":
        path.mkdir()
        says = "is a folder; give a YAML file"
    elif kind == "device":
        path = Path("/dev/zero")  # reading it would never end
        says = "/dev/zero is not a regular file"
    else:
        path.write_text("# " + "x" * (2 << 20))
        says = "a parameter file is a few lines of YAML"
    assert main(["params", "--resolved", "--params", str(path)]) == 2
    one_line_error(capsys, str(path), says)


def test_reports_out_on_a_file_a_read_only_folder_or_below_a_file_is_one_line(
        tmp_path, capsys, monkeypatch):
    file = tmp_path / "file"
    file.write_text("")
    args = ["reports", "--only", "01_design", "--no-pdf", "--out"]
    assert status([*args, str(file)]) == 2
    one_line_error(capsys, f"--out {file} is a file")
    assert status([*args, str(file / "below")]) == 2
    one_line_error(capsys, "cannot create the folder (Not a directory)")
    real_open = os.open

    def read_only(path, *a, **k):  # as a read-only mount answers (root ignores chmod)
        if str(path).startswith(str(tmp_path / "ro")) and a and a[0] & os.O_CREAT:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)
    (tmp_path / "ro" / "quick" / ".work").mkdir(parents=True)
    monkeypatch.setattr(os, "open", read_only)
    assert status([*args, str(tmp_path / "ro")]) == 2
    one_line_error(capsys, "is not writable (Permission denied)")


def test_a_line_break_inside_a_value_still_makes_one_line(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text('DATASET: imagefolder\nDATA_DIR: "a\\nb"\n')
    assert main(["train", "--params", str(path)]) == 2
    one_line_error(capsys, "DATA_DIR=a\\nb does not exist")


def test_bench_with_a_batch_larger_than_its_images_says_why(capsys, no_work):
    assert main(["bench", "--steps", "1000000", "--set", "DATA_BATCH_SIZE=65536"]) == 2
    one_line_error(capsys, "DATA_BATCH_SIZE=65536 needs as many training and test images; "
                   "synthetic has 5000 and 1000")


def test_sweep_out_on_a_file_is_one_line(tmp_path, capsys, no_work):
    file = tmp_path / "file"
    file.write_text("")
    assert main(["sweep", "--out", str(file), "--space", "regnetx", "--samples", "1"]) == 2
    one_line_error(capsys, f"sweep folder {file} is a file")


def test_train_out_below_a_file_is_one_line(tmp_path, capsys, no_work):
    (tmp_path / "file").write_text("")
    assert main(["train", "--out", str(tmp_path / "file" / "run")]) == 2
    one_line_error(capsys, "cannot create the folder")


def test_a_closed_pipe_ends_quietly(tmp_path):
    read, write = os.pipe()
    os.close(read)  # `| head -1` that has already gone: every write is a broken pipe
    done = subprocess.run([sys.executable, "-m", "regnet", "params"], stdout=write,
                          stderr=subprocess.PIPE, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "lib")})
    os.close(write)
    assert done.stderr == "" and done.returncode == 141


# --- papermill parameters -----------------------------------------------------------------------

def test_an_unknown_upper_case_notebook_global_is_an_error_with_a_suggestion():
    with pytest.raises(ParamError, match=r"unknown parameter DATA_BATCH_SIZ \(did you mean "
                                         r"DATA_BATCH_SIZE\?\)"):
        notebook.resolve({"PROFILE": "quick", "DATA_BATCH_SIZ": 256})
    values = notebook.resolve({"PROFILE": "quick", "RUN_DIR": None, "EXPERIMENT": "x",
                               "DATA_BATCH_SIZE": 32, "In": [], "pd": None, "_": 1})
    assert values["DATA_BATCH_SIZE"] == 32


def test_papermill_p_with_a_typo_fails_the_notebook_naming_it(tmp_path):
    report = render.Report("02_train", "02_train.ipynb", "2")
    with pytest.raises(render.NotebookFailed, match=r"unknown parameter DATA_BATCH_SIZ "
                                                    r"\(did you mean DATA_BATCH_SIZE\?\)"):
        render.execute(report, "quick", tmp_path, {"DATA_BATCH_SIZ": 256})


# --- skipped images are shown ---------------------------------------------------------------------

def test_skipped_images_reach_the_load_summary_and_the_report_provenance(tmp_path,
                                                                        monkeypatch):
    from datafiles import imagefolder
    root = imagefolder(tmp_path, per_class=40)
    (root / "train" / "ant" / "0.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    shown = []

    class Handle:
        def update(self, obj, **_):
            shown.append(obj.data)
    monkeypatch.setattr(notebook, "display",
                        lambda obj, display_id=None, **_: shown.append(obj.data) or Handle())
    values = params.resolve(overrides={"DATASET": "imagefolder", "DATA_DIR": str(root),
                                       "PROGRESS": False, "DATA_WORKERS": 0})
    on_load = notebook.show_header("Training", values).on_load
    assert "unreadable" not in shown[0]
    ds = runs.Datasets(on_load=on_load).get(values)
    assert "1 unreadable images skipped" in ds.summary()
    assert "data loaded" in shown[-1] and "1 unreadable images skipped" in shown[-1]
    captions = [re.search(r"<caption>(.*?)</caption>", s).group(1)
                for s in shown if "Provenance of" in s]
    assert len(captions) == 2 and len(set(captions)) == 1  # the update keeps the caption
    assert "regnet-num" not in captions[0]  # unnumbered: the combined report's appendix


def test_the_run_record_keeps_the_skipped_count(tmp_path):
    from regnet.engine.loop import train
    ds = data.load(params.resolve(sets=TINY))
    ds.skipped = 3
    train(params.resolve(sets=TINY), tmp_path, dataset=ds)
    import yaml
    record = yaml.safe_load((tmp_path / "params.yaml").read_text())
    assert record["provenance"]["dataset"]["unreadable_skipped"] == 3


# --- archives -------------------------------------------------------------------------------------

def _zip(path, entries, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return path


def _nothing_left(tmp_path, target):
    return not target.exists() and not list(tmp_path.glob("*.extracting-*"))


def test_a_zip_bomb_entry_is_refused_from_its_declared_ratio(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", {"ok/a.jpg": os.urandom(2000),
                                           "ok/zeros.bin": bytes(8 << 20)})
    assert archive.stat().st_size < 100_000
    with pytest.raises(ParamError, match=r"bomb.zip: entry 'ok/zeros.bin' would expand .* "
                                         r"more than 100; refused, nothing extracted"):
        download.safe_extract(archive, tmp_path / "target")
    assert _nothing_left(tmp_path, tmp_path / "target")


def test_an_archive_declaring_more_than_the_bound_is_refused(tmp_path):
    archive = _zip(tmp_path / "big.zip", {f"c/{i}.jpg": os.urandom(50_000) for i in range(4)})
    with pytest.raises(ParamError, match=r"would expand to 0.2 MB, more than the 0.1 MB"):
        download.safe_extract(archive, tmp_path / "target", max_bytes=100_000)
    assert _nothing_left(tmp_path, tmp_path / "target")
    download.safe_extract(archive, tmp_path / "target", max_bytes=300_000)
    assert len(list((tmp_path / "target" / "c").iterdir())) == 4


def test_an_entry_longer_than_its_declared_size_stops_and_leaves_nothing(tmp_path):
    archive = _zip(tmp_path / "liar.zip", {"c/a.jpg": os.urandom(1000),
                                           "c/b.bin": b"x" * 50_000}, zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    central = raw.index(b"PK\x01\x02", raw.index(b"PK\x01\x02") + 1)  # b.bin's entry
    raw[central + 24:central + 28] = (100).to_bytes(4, "little")  # says 100 bytes, holds 50k
    archive.write_bytes(bytes(raw))
    with pytest.raises(ParamError, match="liar.zip"):
        download.safe_extract(archive, tmp_path / "target")
    assert _nothing_left(tmp_path, tmp_path / "target")


def test_extracting_onto_a_full_disk_is_one_line_and_removes_the_partial_output(
        tmp_path, monkeypatch):
    import shutil
    archive = _zip(tmp_path / "a.zip", {f"c/{i}.jpg": os.urandom(20_000) for i in range(3)})
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda p: shutil._ntuple_diskusage(10**9, 10**9, 10_000))
    with pytest.raises(ParamError, match=r"no space left in .* for extracting a.zip: it needs "
                                         r"about 60.0 KB, 10.0 KB free"):
        download.safe_extract(archive, tmp_path / "target")
    monkeypatch.undo()
    calls = []
    real = download._write_entry

    def full_on_second(*a):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*a)
    monkeypatch.setattr(download, "_write_entry", full_on_second)
    with pytest.raises(ParamError, match="no space left in .* for extracting a.zip"):
        download.safe_extract(archive, tmp_path / "target")
    assert _nothing_left(tmp_path, tmp_path / "target")
