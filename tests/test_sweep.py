"""The sweep runner: one folder per model, resume after a crash, shards, the results table."""
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from regnet.study import sweep
from regnet.cli import main
from regnet.params import ParamError, resolve

SPACES = "anynetx_a,regnetx"


class FakeTrainer:
    """Counts its calls; the error is a made-up function of the model; may crash on call N."""

    def __init__(self, crash_on: int | None = None):
        self.calls, self.crash_on = [], crash_on

    def __call__(self, values, out=None, *, dataset=None, spec=None, progress=None):
        self.calls.append(Path(out).relative_to(Path(out).parents[1]).as_posix())
        if self.crash_on == len(self.calls):
            raise RuntimeError("the machine went away")
        acc = 40.0 + sum(spec.depths)
        return {"test_acc": acc, "best_test_acc": acc + 1, "seconds": 0.5,
                "params": 1, "macs": 2, "history": [{"epoch": 1}, {"epoch": 2}]}


class FakeData:
    def __init__(self):
        self.loads = 0

    def __call__(self, values):
        self.loads += 1
        return "the dataset"


@pytest.fixture
def values():
    return resolve(overrides={"SWEEP_SPACES": SPACES, "SWEEP_SAMPLES": 2, "DEVICE": "cpu"})


def test_sweep_trains_each_model_once_on_one_dataset_and_tabulates(tmp_path, values):
    train, data, loaded = FakeTrainer(), FakeData(), []
    df = sweep.run_sweep(values, tmp_path, train_fn=train, data_fn=data, log=None,
                         on_load=loaded.append)
    assert train.calls == ["anynetx_a/0000", "regnetx/0000", "anynetx_a/0001", "regnetx/0001"]
    assert data.loads == 1 and loaded == ["the dataset"]  # a report's header hears of it
    table = pd.read_csv(tmp_path / "results.csv")
    assert len(table) == len(df) == 4
    assert set(table["space"]) == {"anynetx_a", "regnetx"}
    first = table.iloc[0]
    assert first["error"] == pytest.approx(100 - (40 + first["depth"]))
    assert first["best_error"] == pytest.approx(first["error"] - 1)
    assert first["epochs"] == 2 and 150e6 <= first["macs"] <= 250e6
    assert {"d1", "w4", "w0", "wm", "params", "acts", "seconds"} <= set(table.columns)


def test_a_rerun_skips_finished_models_and_loads_no_data(tmp_path, values):
    sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(), log=None)
    train, data, loaded = FakeTrainer(), FakeData(), []
    df = sweep.run_sweep(values, tmp_path, train_fn=train, data_fn=data, log=None,
                         on_load=loaded.append)
    assert train.calls == [] and data.loads == 0 and loaded == []
    assert len(df) == 4


def test_after_a_crash_the_sweep_resumes_with_the_unfinished_models(tmp_path, values):
    with pytest.raises(RuntimeError, match="went away"):
        sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(crash_on=3),
                        data_fn=FakeData(), log=None)
    assert len(pd.read_csv(tmp_path / "results.csv")) == 2  # the table is whole after a crash
    assert not (tmp_path / "anynetx_a" / "0001" / "result.json").exists()
    train = FakeTrainer()
    df = sweep.run_sweep(values, tmp_path, train_fn=train, data_fn=FakeData(), log=None)
    assert train.calls == ["anynetx_a/0001", "regnetx/0001"]
    assert len(df) == 4


def test_more_samples_extend_a_sweep_without_retraining(tmp_path, values):
    sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(), log=None)
    train = FakeTrainer()
    df = sweep.run_sweep(values, tmp_path, samples=3, train_fn=train, data_fn=FakeData(),
                         log=None)
    assert train.calls == ["anynetx_a/0002", "regnetx/0002"]
    assert len(df) == 6


def test_a_folder_of_another_sweep_is_refused(tmp_path, values):
    sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(), log=None)
    with pytest.raises(ParamError, match=f"holds another model.*SWEEP_SEED or the regime changed; "
                       f"move {tmp_path} aside or sweep into another folder"):
        sweep.run_sweep(values, tmp_path, seed=9, train_fn=FakeTrainer(), data_fn=FakeData(),
                        log=None)


def test_other_training_parameters_in_the_same_folder_are_refused(tmp_path, values):
    sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(), log=None)
    changed = {**values, "TRAINING_LR_FINAL_EPOCHS": 9, "DEVICE": "cuda"}
    with pytest.raises(ParamError, match=f"trained with other TRAINING_LR_FINAL_EPOCHS; .*: "
                                         f"move {tmp_path} aside or sweep into another folder"):
        sweep.run_sweep(changed, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(),
                        log=None)


def test_shards_split_the_jobs_without_overlap(tmp_path, values):
    keys = [s.key for s in sweep.plan(["anynetx_a", "regnetx"], 3)]
    shards = [[s.key for s in sweep.plan(["anynetx_a", "regnetx"], 3, shard=(i, 4))]
              for i in range(4)]
    assert sorted(sum(shards, [])) == sorted(keys)
    assert len(set(sum(shards, []))) == len(keys)
    for i in range(2):  # two machines sharing one folder build one table
        sweep.run_sweep(values, tmp_path, shard=f"{i}/2", train_fn=FakeTrainer(),
                        data_fn=FakeData(), log=None)
    assert len(sweep.load_results(tmp_path)) == 4


@pytest.mark.parametrize("text", ["2/2", "x/3", "1"])
def test_a_malformed_shard_is_a_clear_error(text):
    with pytest.raises(ParamError, match="shard"):
        sweep.parse_shard(text)


def test_a_regime_upside_down_is_a_clear_error(values):
    with pytest.raises(ParamError, match="SWEEP_MACS_MIN=300 is above SWEEP_MACS_MAX=250"):
        sweep.regime_of({**values, "SWEEP_MACS_MIN": 300.0})


def marking_trainer(values, out=None, *, dataset=None, spec=None, progress=None):
    """A trainer for worker processes: leaves its device and pid in the model's folder."""
    (Path(out) / "worker.json").write_text(json.dumps(
        {"device": values["DEVICE"], "pid": os.getpid(), "dataset": dataset}))
    return {"test_acc": 50.0, "history": []}


def dataset_of_this_process(values):
    return f"loaded by {os.getpid()}"


def test_one_worker_per_device_each_takes_every_kth_model(tmp_path, values):
    df = sweep.run_sweep(values, tmp_path, devices=["cpu", "cpu"], train_fn=marking_trainer,
                         data_fn=dataset_of_this_process)
    assert len(df) == 4
    marks = {key: json.loads((tmp_path / key / "worker.json").read_text())
             for key in ["anynetx_a/0000", "regnetx/0000", "anynetx_a/0001", "regnetx/0001"]}
    pids = [m["pid"] for m in marks.values()]
    assert pids[0] == pids[2] != pids[1] == pids[3] != os.getpid()
    assert all(m["dataset"] == f"loaded by {m['pid']}" for m in marks.values())


def test_edf_command_prints_claims_and_writes_plots(tmp_path, values, capsys):
    sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(), log=None)
    assert main(["edf", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "RegNetX is at least as good as AnyNetX_A" in printed
    assert (tmp_path / "edf.png").stat().st_size > 0
    assert (tmp_path / "params.png").stat().st_size > 0


def test_edf_command_on_an_empty_folder_says_so(tmp_path, capsys):
    assert main(["edf", str(tmp_path)]) == 2
    assert "holds no finished models" in capsys.readouterr().err


def test_sweep_command_rejects_a_bad_shard_before_training(tmp_path, capsys):
    assert main(["sweep", "--out", str(tmp_path), "--shard", "5/2"]) == 2
    assert "shard 5/2" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_real_training_sweep_end_to_end(tmp_path):
    """Two tiny models, one epoch each, on tiny synthetic images, through the real engine."""
    values = resolve(["params/sweep_quick.yaml"], overrides={
        "SWEEP_SPACES": "regnetx", "SWEEP_SAMPLES": 2, "DEVICE": "cpu",
        "DATA_SYNTHETIC_TRAIN": 64, "DATA_SYNTHETIC_TEST": 32, "DATA_SYNTHETIC_SIZE": 8,
        "DATA_BATCH_SIZE": 32, "TRAINING_LR_FINAL_EPOCHS": 1})
    df = sweep.run_sweep(values, tmp_path, log=None)
    assert len(df) == 2 and df["epochs"].tolist() == [1, 1]
    assert df["error"].between(0, 100).all()
    assert (df["trained_macs"] < df["macs"]).all()  # trained at 7 px, counted at 56 px
    assert sweep.run_sweep(values, tmp_path, log=None)["error"].tolist() == \
        df["error"].tolist()
    # where each model's seconds were measured, and how busy the machine was
    machines = sweep.timings(tmp_path)
    assert len(machines) == 2
    for m in machines:
        assert m["device"].startswith("cpu") and m["cpus"] >= 1
        low, high = m["load_avg"]
        assert 0 <= low <= high


def test_a_sweep_folder_trained_on_other_data_is_refused(tmp_path, values):
    from datafiles import image_tree
    a, b = image_tree(tmp_path / "a"), image_tree(tmp_path / "b")
    first = {**values, "DATASET": "imagefolder", "DATA_DIR": str(a)}
    sweep.run_sweep(first, tmp_path / "sweep", train_fn=FakeTrainer(), data_fn=FakeData(),
                    log=None)
    again = sweep.run_sweep(first, tmp_path / "sweep", train_fn=FakeTrainer(),
                            data_fn=FakeData(), log=None)  # the same folder: reused
    assert len(again) == 4
    with pytest.raises(ParamError, match="trained with other data source; .*: move "):
        sweep.run_sweep({**first, "DATA_DIR": str(b)}, tmp_path / "sweep",
                        train_fn=FakeTrainer(), data_fn=FakeData(), log=None)


@pytest.mark.parametrize("name", ["result.json", "lock"])
def test_a_sweep_file_nested_thousands_deep_is_one_line(tmp_path, values, name):
    from regnet import lock
    sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(), log=None)
    deep = "[" * 100_000 + "]" * 100_000
    if name == "lock":
        (tmp_path / lock.LOCK_NAME).write_text(deep)
        assert lock.owner(tmp_path) is None
        return
    result = next(tmp_path.glob(f"*/*/{sweep.RESULT}"))
    result.write_text(deep)
    with pytest.raises(ParamError, match=f"{result} cannot be read"):
        sweep.run_sweep(values, tmp_path, train_fn=FakeTrainer(), data_fn=FakeData(), log=None)
