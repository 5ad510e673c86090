"""bench-recipe: the plain loop's transforms follow the dataset's recipe; the command's JSON."""
import json

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
