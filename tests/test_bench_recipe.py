"""bench-recipe: the plain loop's transforms follow the dataset's recipe; what it trains with
(the project's settings, or its own tuned recipe); the command's JSON."""
import json
from pathlib import Path

import numpy as np
import yaml
import pytest
import torch

from regnet import catalog, cli, data
from regnet.data import plain as plain_data
from regnet.engine.schedule import step_rate
from regnet.study import recipe as bench_recipe
from regnet.cli import main
from regnet.params import PARAMS, resolve

from datafiles import write_idx

TINY = ["--params", "params/quick.yaml", "--set", "REGNETX=custom", "--set",
        "MODEL_CHANNELS=[8,16]", "--set", "MODEL_BLOCKS=[1,1]", "--set",
        "MODEL_TAIL_OUT_CHANNELS=8", "--set", "DATA_SYNTHETIC_TRAIN=128", "--set",
        "DATA_SYNTHETIC_TEST=64", "--set", "TRAINING_LR_FINAL_EPOCHS=1", "--set", "DEVICE=cpu"]


@pytest.mark.parametrize("recipe, kind", [("rrc", "RandomResizedCrop"),
                                          ("pad-crop", "RandomCrop"), ("none", "CenterCrop")])
def test_the_plain_loop_uses_torchvisions_version_of_the_datasets_recipe(recipe, kind):
    ds = data.load(resolve(overrides={"DATA_SYNTHETIC_TRAIN": 8, "DATA_SYNTHETIC_TEST": 4,
                                      "DATA_SYNTHETIC_SIZE": 32, "DATA_AUGMENT": recipe}))
    train = bench_recipe.plain_transforms(ds, True)
    assert kind in [type(t).__name__ for t in train.transforms]
    x = train(ds.train_x[0])
    assert x.shape == (3, 28, 28) and x.dtype == torch.float32
    test = bench_recipe.plain_transforms(ds, False)
    expected = next(iter(data.Batches(ds, "test", 1)))[0][0]
    torch.testing.assert_close(test(ds.test_x[0]), expected, atol=1e-5, rtol=0)


def test_bench_recipe_prints_both_accuracies_and_their_difference(capsys):
    assert main(["bench-recipe", "--seeds", "2", *TINY]) == 0
    out = json.loads(capsys.readouterr().out)
    for side in ("project", "plain"):
        runs = out[side]["runs"]
        assert [r["seed"] for r in runs] == [0, 1] and all(len(r["history"]) == 2 for r in runs)
        assert out[side]["test_acc"] == pytest.approx(sum(r["test_acc"] for r in runs) / 2,
                                                      abs=0.01)
    assert out["difference"] == pytest.approx(out["project"]["test_acc"] -
                                              out["plain"]["test_acc"], abs=0.02)
    assert out["augment"] == "rrc" and out["epochs"] == 2


def test_given_the_projects_batches_the_plain_loop_trains_exactly_as_train(monkeypatch):
    # The two loops differ only in their data pipelines and which parameters decay: with the
    # project's batches and weight decay on every parameter, the plain loop's test accuracy
    # and the project's agree to the last digit, epoch after epoch. A step the project adds
    # (clipping, another schedule, another loss) or drops breaks this.
    cfg = resolve([Path(__file__).resolve().parents[1] / "params" / "quick.yaml"], overrides={
        "REGNETX": "custom", "MODEL_CHANNELS": [8, 16], "MODEL_BLOCKS": [1, 1],
        "MODEL_TAIL_OUT_CHANNELS": 8, "DATA_SYNTHETIC_TEST": 256, "TRAINING_LR_INIT_EPOCHS": 1,
        "TRAINING_LR_FINAL_EPOCHS": 2, "TRAINING_WD_NORM_BIAS": True,
        "TRAINING_WEIGHT_DECAY": 0.05, "DATA_BATCH_SIZE": 32,
        "DEVICE": "cpu", "PROGRESS": False})
    ds = data.load(cfg)
    from regnet.arch import space
    spec = space.named("custom", cfg.model, input_size=ds.crop, num_classes=ds.num_classes)
    project = bench_recipe.project_run(cfg, ds, spec)

    class ProjectBatches:  # a DataLoader's interface over the project's batches, epoch by epoch
        def __init__(self, dataset, batch_size, **_):
            split = "train" if dataset.x is ds.train_x else "test"
            self.batches, self.epoch = data.Batches(ds, split, batch_size, seed=cfg.run.seed), 0

        def __len__(self):
            return len(self.batches)

        def __iter__(self):
            self.batches.set_epoch(self.epoch)
            self.epoch += 1
            return iter(self.batches)
    monkeypatch.setattr(plain_data, "DataLoader", ProjectBatches)  # the plain loop's loader
    plain = bench_recipe.plain_loop(cfg, ds, spec)
    assert plain["history"] == project["history"] and len(plain["history"]) == 3
    assert max(plain["history"]) > 20  # it learned: 10 classes, chance is 10%
    # and it tells a loop that differs: the project leaving norms and biases undecayed
    assert bench_recipe.project_run(cfg.replace(TRAINING_WD_NORM_BIAS=False), ds,
                                    spec)["history"] != plain["history"]


def _rates(optimizer, scheduler, steps: int) -> list[float]:
    """The rate each of `steps` optimizer steps runs at, stepping the scheduler as the loop does."""
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def _net():
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))


@pytest.mark.parametrize("per_iteration", [False, True])
def test_the_plain_loop_under_the_same_settings_runs_every_step_at_the_projects_rate(
        per_iteration):
    cfg = resolve(overrides={"TRAINING_LR_INIT_EPOCHS": 1, "TRAINING_LR_FINAL_EPOCHS": 3,
                             "TRAINING_LR_PER_ITERATION": per_iteration,
                             "TRAINING_LABEL_SMOOTHING": 0.2, "TRAINING_WEIGHT_DECAY": 0.01})
    model, steps = _net(), 5
    optimizer, scheduler, loss = bench_recipe.same_recipe(cfg, model, steps)
    assert _rates(optimizer, scheduler, 4 * steps) == [
        step_rate(cfg.schedule, i // steps, i % steps, steps) for i in range(4 * steps)]
    assert loss.label_smoothing == 0.2 and optimizer.param_groups[0]["weight_decay"] == 0.01


def test_the_tuned_plain_loop_trains_with_its_own_one_cycle_recipe_whatever_the_project_sets():
    tuned = bench_recipe.TUNED
    for lr_max, smoothing in [(0.1, 0.0), (3.0, 0.5)]:  # the project's settings do not matter
        cfg = resolve(overrides={"DATA_BATCH_SIZE": 128, "TRAINING_LR_INIT_EPOCHS": 1,
                                 "TRAINING_LR_FINAL_EPOCHS": 2, "TRAINING_LR_MAX": lr_max,
                                 "TRAINING_LABEL_SMOOTHING": smoothing})
        model, steps = _net(), 10
        optimizer, scheduler, loss = bench_recipe.tuned_recipe(cfg, model, steps)
        (group,) = optimizer.param_groups  # weight decay on every parameter, norms included
        assert len(group["params"]) == len(list(model.parameters()))
        assert (group["weight_decay"], group["momentum"], group["nesterov"]) == (
            tuned.weight_decay, tuned.momentum, True)
        assert loss.label_smoothing == tuned.label_smoothing == 0.1
        rates = _rates(optimizer, scheduler, 3 * steps)  # one cycle over the run's 3 epochs
        peak = tuned.lr * 128 / 256
        assert max(rates) == pytest.approx(peak)
        assert rates.index(max(rates)) == round(tuned.pct_start * 3 * steps) - 1
        assert rates[0] == pytest.approx(peak / 25) and rates[-1] < peak / 100
        assert group["momentum"] == tuned.momentum  # held, not cycled


def test_bench_recipe_offers_exactly_the_plain_loops_it_has():
    assert set(cli.BENCH_AGAINST) == set(bench_recipe.RECIPES)


def _fashion(root: Path) -> Path:
    """A few Fashion-MNIST-shaped IDX files: 28 px grey images, 10 classes."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 128), ("t10k", 40)):
        write_idx(root / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(root / f"{split}-labels-idx1-ubyte", np.arange(n) % 10)
    return root


USER = ["--set", "REGNETX=custom", "--set", "MODEL_CHANNELS=[8,16]", "--set",
        "MODEL_BLOCKS=[1,1]", "--set", "MODEL_TAIL_OUT_CHANNELS=8", "--set", "DATA_BATCH_SIZE=32",
        "--set", "TRAINING_LR_FINAL_EPOCHS=2", "--set", "DEVICE=cpu", "--set", "PROGRESS=false"]


def test_bench_recipe_against_tuned_compares_the_datasets_defaults_with_the_tuned_loop(
        tmp_path, capsys):
    # the user sets the network, epochs and batch: everything else of the project's side is
    # the dataset's recipe, and the JSON says so
    root = _fashion(tmp_path)
    assert main(["bench-recipe", "--against", "tuned", "--seeds", "2", "--set",
                 "DATASET=fashion-mnist", "--set", f"DATA_DIR={root}", *USER]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["against"] == "tuned" and out["epochs"] == 2 and out["batch"] == 32
    chosen = catalog.dataset("fashion-mnist").recipe
    assert chosen and out["project_recipe"]["from_dataset"] == sorted(chosen)
    assert all(out["project_recipe"][name] == value for name, value in chosen.items())
    assert set(out["project_recipe"]) - {"from_dataset"} == {
        name for name in PARAMS if name.startswith("TRAINING_")}
    plain = out["plain_recipe"]
    assert plain["peak_lr"] == pytest.approx(bench_recipe.TUNED.lr * 32 / 256)
    assert (plain["label_smoothing"], plain["weight_decay"]) == (0.1, 5e-4)
    for side in ("project", "plain"):
        assert [r["seed"] for r in out[side]["runs"]] == [0, 1]
        assert all(len(r["history"]) == 2 for r in out[side]["runs"])
    assert out["difference"] == pytest.approx(out["project"]["test_acc"] -
                                              out["plain"]["test_acc"], abs=0.02)


def test_bench_recipe_by_default_trains_the_plain_loop_with_the_projects_settings(capsys):
    assert main(["bench-recipe", *TINY]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["against"] == "same" and out["plain_recipe"] == {"same_as": "project"}
    assert out["project_recipe"]["from_dataset"] == []  # synthetic has no recipe of its own


def test_bench_recipe_without_an_epoch_to_train_is_a_one_line_error(capsys):
    assert main(["bench-recipe", *TINY, "--set", "TRAINING_LR_INIT_EPOCHS=0",
                 "--set", "TRAINING_LR_FINAL_EPOCHS=0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "at least one epoch" in err and len(err.splitlines()) == 1


def test_train_trains_with_the_datasets_recipe_where_nothing_sets_it(tmp_path, monkeypatch):
    # what bench-recipe --against tuned calls the project's defaults is what `train` runs with
    from regnet.engine import loop, schedule
    chosen = catalog.dataset("fashion-mnist").recipe
    seen = []
    make = loop.make_optimizer
    monkeypatch.setattr(loop, "make_optimizer", lambda model, optim, device: (
        seen.append(optim), make(model, optim, device))[1])
    cfg = resolve(sets=[s for s in USER if s != "--set"] + [
        "DATASET=fashion-mnist", f"DATA_DIR={_fashion(tmp_path)}"])
    summary = loop.train(cfg, tmp_path / "run")
    recorded = yaml.safe_load((tmp_path / "run" / "params.yaml").read_text())["params"]
    assert all(recorded[name] == value for name, value in chosen.items())
    (optim,) = seen
    assert optim.weight_decay == chosen["TRAINING_WEIGHT_DECAY"]
    assert optim.label_smoothing == chosen["TRAINING_LABEL_SMOOTHING"]
    assert [row["lr"] for row in summary["history"]] == [
        schedule.rate(cfg.schedule, e) for e in range(2)]
    assert summary["history"][0]["lr"] == chosen["TRAINING_LR_MAX"]  # no warm-up epochs
