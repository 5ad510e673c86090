"""bench-recipe: the plain loop's transforms follow the dataset's recipe; the command's JSON."""
import json
from pathlib import Path

import pytest
import torch

from regnet import data
from regnet.study import recipe as bench_recipe
from regnet.cli import main
from regnet.params import resolve

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
    monkeypatch.setattr(bench_recipe, "DataLoader", ProjectBatches)
    plain = bench_recipe.plain_loop(cfg, ds, spec)
    assert plain["history"] == project["history"] and len(plain["history"]) == 3
    assert max(plain["history"]) > 20  # it learned: 10 classes, chance is 10%
    # and it tells a loop that differs: the project leaving norms and biases undecayed
    assert bench_recipe.project_run(cfg.replace(TRAINING_WD_NORM_BIAS=False), ds,
                                    spec)["history"] != plain["history"]
