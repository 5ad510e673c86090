"""Sweeps started by submitit and Ray: the same table as a local sweep, progress as models
land, a killed shard reported in one line and resumed by running the command again."""
import contextlib
import functools
import os
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from regnet import lock
from regnet.cli import main
from regnet.params import resolve
from regnet.study import launch, sweep
from shardjobs import broken, killed_once

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SPACES = ["anynetx_a", "regnetx"]
QUICK = {  # four tiny models, two epochs each, on 8 px synthetic images: seconds apiece
    "SWEEP_SPACES": ",".join(SPACES), "SWEEP_SAMPLES": 2, "DEVICE": "cpu",
    "DATA_SYNTHETIC_TRAIN": 64, "DATA_SYNTHETIC_TEST": 32, "DATA_SYNTHETIC_SIZE": 8,
    "DATA_BATCH_SIZE": 32, "SWEEP_SHARDS": 2, "SWEEP_GPUS": 0, "SWEEP_CPUS": 1}
QUICK_SETS = ["--params", "params/sweep_quick.yaml"] + sum(
    (["--set", f"{k}={v}"] for k, v in QUICK.items()), [])


@pytest.fixture(scope="module")
def values():
    return dict(resolve(["params/sweep_quick.yaml"], overrides=QUICK))


@pytest.fixture(scope="module")
def local_table(values, tmp_path_factory):
    """The same sweep trained in this process: the table every launcher must reproduce."""
    return sweep.run_sweep(values, tmp_path_factory.mktemp("local"), log=None)


def same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Everything but the seconds, which no two runs share."""
    pd.testing.assert_frame_equal(got.drop(columns="seconds"), want.drop(columns="seconds"))


def path_with_tests() -> str:
    """PYTHONPATH for shard processes, which import this folder's trainers by name."""
    return os.pathsep.join([str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])])


@pytest.fixture
def shard_env(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", path_with_tests())


def the_killed_model(out: Path) -> list[str]:
    """Models with a finished epoch and no result: where a shard died."""
    return [f"{s}/{p.parent.name}" for s in SPACES for p in (out / s).glob("*/metrics.jsonl")
            if p.read_text().strip() and not (p.parent / sweep.RESULT).exists()]


def test_submitit_shards_killed_mid_model_resume_to_the_local_table(
        values, local_table, tmp_path, shard_env, monkeypatch, capsys):
    submitit = pytest.importorskip("submitit")
    out, lines = tmp_path / "sweep", []
    first = launch.launch(values, out, "submitit", cluster="local", poll=0.1, log=lines.append,
                          train_fn=functools.partial(killed_once, str(tmp_path / "killed")))
    assert len(first.failed) == 1, lines
    failed = first.failed[0]
    assert failed in lines and failed.startswith(("shard 0/2 failed: stopped without a result",
                              "shard 1/2 failed: stopped without a result")), failed
    log = Path(failed.rpartition("(log: ")[2].rstrip(")"))
    assert log.is_file() and log.parent == out / "submitit"
    [killed] = the_killed_model(out)
    assert len(first.table) == 2
    assert not list(out.rglob(".regnet*.lock"))  # freed for a rerun on any machine
    assert sum(" accuracy " in line for line in lines) == 2  # the other shard's models
    # the same command again, as a user types it (submitit's local executor, no SLURM here)
    monkeypatch.setattr(submitit.AutoExecutor, "which", staticmethod(lambda: "local"))
    capsys.readouterr()
    assert main(["sweep", "--launcher", "submitit", "--out", str(out), *QUICK_SETS]) == 0
    printed = capsys.readouterr().out
    assert "2 of 4 models already done, 2 to train in 1 of 2 shards" in printed
    assert "[4/4]" in printed and f"4 models in {out / 'results.csv'}" in printed
    same_table(pd.read_csv(out / "results.csv"), local_table)
    same_table(sweep.load_results(out), local_table)
    assert list((out / killed).parent.glob(f"{Path(killed).name}.replaced-*/metrics.jsonl"))


@pytest.fixture(scope="module")
def local_ray():
    """A Ray instance of 2 CPUs on this machine, whose workers import this folder too."""
    ray = pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", path_with_tests())
        env.delenv("RAY_ADDRESS", raising=False)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_shards_killed_mid_model_resume_to_the_local_table(values, local_table, local_ray,
                                                                tmp_path):
    out, lines = tmp_path / "sweep", []
    trainer = functools.partial(killed_once, str(tmp_path / "killed"))
    first = launch.launch(values, out, "ray", poll=0.1, log=lines.append, train_fn=trainer)
    assert len(first.failed) == 1, lines
    failed = first.failed[0]
    i = int(failed.split()[1].split("/")[0])
    assert failed.startswith(f"shard {i}/2 failed: ") and failed in lines
    assert failed.endswith(f"(log: {out / 'logs' / f'shard-{i}-of-2.log'})")
    assert "2 to train" in (out / "logs" / f"shard-{i}-of-2.log").read_text()  # its output
    assert len(the_killed_model(out)) == 1 and len(first.table) == 2
    assert not list(out.rglob(".regnet*.lock"))
    lines.clear()
    again = launch.launch(values, out, "ray", poll=0.1, log=lines.append, train_fn=trainer)
    assert again.failed == [] and "2 of 4 models already done" in lines[0]
    assert sum(" accuracy " in line for line in lines) == 2
    same_table(again.table, local_table)
    same_table(pd.read_csv(out / "results.csv"), local_table)


@pytest.mark.parametrize("launcher", ["submitit", "ray"])
def test_a_shard_that_raises_is_one_line_with_its_error_and_log(launcher, values, tmp_path,
                                                                shard_env, request):
    pytest.importorskip(launcher)
    if launcher == "ray":
        request.getfixturevalue("local_ray")
    out, lines = tmp_path / "sweep", []
    done = launch.launch({**values, "SWEEP_SHARDS": 1}, out, launcher, cluster="local",
                         poll=0.1, log=lines.append, train_fn=broken)
    assert len(done.failed) == 1 and done.table.empty
    line = done.failed[0]
    assert line.startswith("shard 0/1 failed: RuntimeError: the machine went away (log: ")
    log = Path(line.rpartition("(log: ")[2].rstrip(")"))
    assert "RuntimeError: the machine went away" in log.read_text()


def test_a_failed_shard_makes_the_sweep_command_exit_1_saying_how_to_resume(
        tmp_path, monkeypatch, capsys):
    table = pd.DataFrame({"space": ["regnetx"], "index": [0], "error": [50.0]})
    monkeypatch.setattr(launch, "launch", lambda *a, **k: launch.Launched(
        table, ["shard 1/2 failed: RuntimeError: x (log: somewhere)"]))
    assert main(["sweep", "--launcher", "ray", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert f"1 models in {tmp_path / 'results.csv'}" in captured.out
    assert captured.err == ("regnet sweep: 1 shard(s) failed (above); run the same command "
                            "again to resume\n")


@pytest.mark.parametrize("launcher, extra", [("submitit", "slurm"), ("ray", "ray")])
def test_a_launcher_without_its_package_is_one_line_naming_the_install(
        launcher, extra, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, launcher, None)  # as if it were not installed
    out = tmp_path / "sweep"
    assert main(["sweep", "--launcher", launcher, "--out", str(out), *QUICK_SETS]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"pip install 'regnet-lab[{extra}]'" in err
    assert not out.exists()


@pytest.mark.parametrize("args, says", [
    (["--launcher", "ray", "--shard", "0/2"], "--shard is one machine's part of a sweep"),
    (["--address", "10.0.0.1:6379"], "--address is a Ray cluster's; add --launcher ray"),
    (["--launcher", "submitit", "--set", "SWEEP_GPUS=0.5"],
     "SWEEP_GPUS=0.5: SLURM gives a task whole GPUs; shards that share a GPU need "
     "--launcher ray"),
    (["--launcher", "slurm"], "argument --launcher: invalid choice: 'slurm'"),
])
def test_launcher_mistakes_are_one_line_before_any_work(args, says, tmp_path, capsys):
    pytest.importorskip("submitit")
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) if "invalid choice" in says else contextlib.nullcontext():
        assert main(["sweep", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err
    assert not out.exists()


def test_a_ray_request_this_machine_cannot_meet_is_named():
    have = {"CPU": 2.0}
    assert launch.unmet({"SWEEP_GPUS": 0.5, "SWEEP_CPUS": 4}, have) == [
        "SWEEP_GPUS=0.5 per shard, but Ray has 0 GPUs",
        "SWEEP_CPUS=4 per shard, but Ray has 2 CPUs"]
    assert launch.unmet({"SWEEP_GPUS": 0.25, "SWEEP_CPUS": 2}, {**have, "GPU": 1.0}) == []


def test_ci_installs_every_launcher_that_the_extras_offer():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert set(launch.EXTRAS.values()) <= set(extras)
    dev = [line.split("#")[0].strip() for line in
           (ROOT / "requirements-dev.txt").read_text().splitlines()]
    for name, extra in launch.EXTRAS.items():
        assert [r for r in extras[extra] if r.startswith(name)], extra
        assert set(extras[extra]) <= set(dev), f"requirements-dev.txt lacks {extras[extra]}"


def test_a_dead_shards_lock_from_another_machine_is_freed_and_a_held_one_kept(tmp_path):
    dead = tmp_path / "regnetx" / "0003"
    dead.mkdir(parents=True)
    (dead / lock.LOCK_NAME).write_text('{"pid": 1, "host": "node-a", "started": "then"}\n')
    with pytest.raises(sweep.ParamError, match="on node-a since then, another machine"):
        lock.acquire(dead, "run folder")  # what a rerun on this machine would meet
    assert lock.remove_stale(dead) and not (dead / lock.LOCK_NAME).exists()
    lock.acquire(dead, "run folder").release()
    with lock.hold(tmp_path, "sweep folder", name=sweep.shard_lock(1, 2)):
        assert not lock.remove_stale(tmp_path, sweep.shard_lock(1, 2))
        assert (tmp_path / ".regnet-shard-1-of-2.lock").exists()
