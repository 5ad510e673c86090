"""Datasets: image folders and their cache, Fashion-MNIST IDX files, synthetic data, errors."""
import os
import subprocess
from pathlib import Path
import sys

import numpy as np
import pytest
import torch

from datafiles import image_tree, imagefolder, write_idx
from regnet.data import datasets as data
from regnet.data import cache as images
from regnet import catalog
from regnet.cli import main
from regnet.params import ParamError, resolve


def _values(**kw):
    return resolve(overrides={"PROGRESS": False, "DATA_WORKERS": 0, **kw})


def test_imagefolder_loads_both_splits_with_class_names_from_folders(tmp_path):
    ds = data.load(_values(DATASET="imagefolder", DATA_DIR=str(imagefolder(tmp_path))))
    assert ds.classes == ["ant", "bee", "cat"]
    assert ds.train_x.shape == (12, 3, 64, 64) and ds.train_y.dtype == torch.int64
    assert ds.test_x.shape == (6, 3, 64, 64)
    assert torch.equal(torch.bincount(ds.train_y), torch.tensor([4, 4, 4]))
    assert ds.mean == catalog.IMAGENET_MEAN and ds.channels == 3


def test_imagefolder_cache_is_reused_and_rebuilt_when_a_file_changes(tmp_path, monkeypatch):
    root = imagefolder(tmp_path)
    first = data.load(_values(DATASET="imagefolder", DATA_DIR=str(root)))
    real = images.decode
    calls = []
    monkeypatch.setattr(images, "decode", lambda *a: calls.append(a) or real(*a))
    data.load(_values(DATASET="imagefolder", DATA_DIR=str(root)))
    assert calls == []  # unchanged source: nothing decoded
    image_tree(root / "train", classes=("bee",), per_class=5, seed=9)  # adds bee/4.jpg
    again = data.load(_values(DATASET="imagefolder", DATA_DIR=str(root)))
    assert len(again.train_y) == len(first.train_y) + 1 and calls


def test_names_that_are_not_utf8_load_and_cache_like_any_other(tmp_path, monkeypatch):
    # Linux allows any bytes but / and NUL in a name; Python shows the others as surrogates
    root = imagefolder(tmp_path)
    ant = bytes(root / "train" / "ant")
    os.rename(root / "train" / "ant" / "0.jpg", os.fsdecode(ant + b"/\xff\xfe.jpg"))
    for split in ("train", "val"):
        os.rename(root / split / "bee", os.fsdecode(bytes(root / split) + b"/b\xe9e"))
    values = _values(DATASET="imagefolder", DATA_DIR=str(root))
    ds = data.load(values)
    assert ds.classes == ["ant", os.fsdecode(b"b\xe9e"), "cat"] and len(ds.train_y) == 12
    real, calls = images.decode, []
    monkeypatch.setattr(images, "decode", lambda *a: calls.append(a) or real(*a))
    assert len(data.load(values).train_y) == 12 and calls == []  # the cache is reused


@pytest.mark.parametrize("side, sizes, recipe, why", [
    (32, (32, 32, 32), "pad-crop", "32 px, the images' own short side"),  # CIFAR's JPEGs
    (48, (48, 42, 48), "rrc", "48 px, the images' own short side"),
    (100, (64, 56, 64), "rrc", "64 px, the course's (the images' short side is 100 px)"),
])
def test_an_image_folders_sizes_and_recipe_follow_its_images(tmp_path, side, sizes, recipe,
                                                             why):
    shapes = [(side, side), (side + 8, side)]
    root = tmp_path / "data"
    image_tree(root / "train", per_class=2, sizes=shapes)
    image_tree(root / "val", per_class=1, sizes=shapes)
    values = _values(DATASET="imagefolder", DATA_DIR=str(root))
    s = data.settings(values.data)
    assert (s["DATA_IMAGE_SIZE"], s["DATA_CROP"], s["DATA_RESIZE"]) == sizes
    assert s["DATA_AUGMENT"] == recipe
    ds = data.load(values)
    assert ds.image_size == (sizes[0], sizes[0]) and f"cached at {why}" in ds.summary()
    # what the user sets wins, and the summary says so
    mine = data.load(_values(DATASET="imagefolder", DATA_DIR=str(root), DATA_IMAGE_SIZE=24))
    assert mine.image_size == (24, 24) and "cached at DATA_IMAGE_SIZE=24" in mine.summary()


def test_a_corrupt_image_is_skipped_and_counted_in_the_summary(tmp_path, monkeypatch):
    root = imagefolder(tmp_path, per_class=40)
    (root / "train" / "ant" / "0.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    ds = data.load(_values(DATASET="imagefolder", DATA_DIR=str(root)))
    assert len(ds.train_y) == 119 and ds.skipped == 1
    assert "1 unreadable images skipped" in ds.summary()


def test_many_corrupt_images_stop_the_load(tmp_path):
    root = imagefolder(tmp_path)
    (root / "train" / "cat" / "1.jpg").write_bytes(b"garbage")
    with pytest.raises(ParamError, match="1 of 12 images are unreadable"):
        data.load(_values(DATASET="imagefolder", DATA_DIR=str(root)))


def test_a_truncated_jpeg_counts_as_unreadable(tmp_path):
    path = image_tree(tmp_path, classes=("a",), per_class=1) / "a" / "0.jpg"
    assert images.decode(path, 64) is not None
    path.write_bytes(path.read_bytes()[:400])
    assert images.decode(path, 64) is None


@pytest.mark.parametrize("setup, message", [
    (lambda root: None, "DATASET=imagefolder needs DATA_DIR"),
    (lambda root: str(root / "nowhere"), "does not exist"),
    (lambda root: str(image_tree(root / "x")), "has no train/ folder"),
])
def test_imagefolder_without_a_usable_data_dir_is_a_one_line_error(tmp_path, setup, message):
    with pytest.raises(ParamError, match=message):
        data.load(_values(DATASET="imagefolder", DATA_DIR=setup(tmp_path)))


def test_an_empty_class_folder_is_an_error_before_any_decoding(tmp_path, monkeypatch):
    root = imagefolder(tmp_path)
    (root / "val" / "dog").mkdir()
    monkeypatch.setattr(images, "build_cache", lambda *a, **k: pytest.fail("decoded"))
    with pytest.raises(ParamError, match=r"class folder .*dog is empty"):
        data.load(_values(DATASET="imagefolder", DATA_DIR=str(root)))


def test_an_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(ParamError, match="course, imagefolder, cifar100, fashion-mnist, synthetic"):
        resolve(overrides={"DATASET": "imagenet"})
    with pytest.raises(ParamError, match="course, imagefolder, cifar100"):
        data.dataset_defaults("imagenet")


def test_a_class_count_that_disagrees_with_the_data_is_an_error(tmp_path):
    with pytest.raises(ParamError, match="DATA_NUM_CLASSES=5 but imagefolder has 3 classes"):
        data.load(_values(DATASET="imagefolder", DATA_DIR=str(imagefolder(tmp_path)),
                          DATA_NUM_CLASSES=5))


# --- fashion-mnist -------------------------------------------------------------------------

def _fashion(root, compress):
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (30, 28, 28)),
              "train-labels-idx1-ubyte": np.arange(30) % 10,
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (20, 28, 28)),
              "t10k-labels-idx1-ubyte": np.arange(20)[::-1] % 10}
    for name, a in arrays.items():
        write_idx(root / name, a, compress)
    return arrays


@pytest.mark.parametrize("compress", [False, True])
def test_fashion_mnist_reads_idx_files_with_its_natural_defaults(tmp_path, compress):
    arrays = _fashion(tmp_path, compress)
    ds = data.load(_values(DATASET="fashion-mnist", DATA_DIR=str(tmp_path)))
    assert ds.train_x.shape == (30, 1, 28, 28) and ds.test_x.shape == (20, 1, 28, 28)
    assert np.array_equal(ds.train_x[:, 0].numpy(), arrays["train-images-idx3-ubyte"])
    assert np.array_equal(ds.test_y.numpy(), arrays["t10k-labels-idx1-ubyte"])
    assert (ds.num_classes, ds.channels, ds.crop, ds.resize) == (10, 1, 28, 28)
    assert ds.classes[0] == "T-shirt/top" and len(ds.mean) == 1


def test_a_truncated_idx_file_is_an_error_naming_it(tmp_path):
    _fashion(tmp_path, False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ParamError, match="t10k-images-idx3-ubyte.*truncated"):
        data.load(_values(DATASET="fashion-mnist", DATA_DIR=str(tmp_path)))


def test_missing_fashion_mnist_files_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "FASHION_MNIST_DIRS", ())  # hide a system-wide copy
    with pytest.raises(ParamError, match="put the four IDX files in DATA_DIR"):
        data.load(_values(DATASET="fashion-mnist", DATA_DIR=str(tmp_path), DATA_DOWNLOAD=False))


def test_missing_cifar100_offline_is_a_one_line_error(tmp_path):
    with pytest.raises(ParamError, match="cifar-100-python.tar.gz") as e:
        data.load(_values(DATASET="cifar100", DATA_DIR=str(tmp_path), DATA_DOWNLOAD=False))
    assert "\n" not in str(e.value)


# --- synthetic ------------------------------------------------------------------------------

def test_synthetic_data_is_the_same_for_every_seed_like_a_dataset_on_disk():
    a = data.load(_values(DATA_SYNTHETIC_TRAIN=64, DATA_SYNTHETIC_TEST=16, SEED=3))
    b = data.load(_values(DATA_SYNTHETIC_TRAIN=64, DATA_SYNTHETIC_TEST=16, SEED=4))
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_x, b.test_x)
    assert torch.equal(a.test_y, b.test_y)  # a seed varies the training, not the data
    assert not torch.equal(a.train_x[:16], a.test_x)  # test images are not the training ones
    other = data.synthetic(64, 100, 64, data.SYNTHETIC_SEED + 1, 0)[0]
    assert not torch.equal(a.train_x, other)  # the images are the fixed seed's
    from regnet.study import runs  # runs of images drawn per seed, as before, are not reused
    assert runs.identity(_values(SEED=3))["synthetic images"] == "fixed"


def test_synthetic_defaults_are_100_classes_of_64_px_rgb_and_adjustable():
    ds = data.load(_values(DATA_SYNTHETIC_TRAIN=200, DATA_SYNTHETIC_TEST=100))
    assert (ds.num_classes, ds.channels, ds.image_size, ds.crop, ds.resize) == \
        (100, 3, (64, 64), 56, 64)
    small = data.load(_values(DATA_SYNTHETIC_TRAIN=40, DATA_SYNTHETIC_TEST=10,
                              DATA_SYNTHETIC_SIZE=32, DATA_NUM_CLASSES=7))
    assert small.train_x.shape == (40, 3, 32, 32) and small.num_classes == 7
    assert (small.crop, small.resize) == (28, 32) and int(small.train_y.max()) == 6


def test_grey_view_of_rgb_data_has_one_channel_and_one_statistic():
    ds = data.load(_values(DATA_SYNTHETIC_TRAIN=20, DATA_SYNTHETIC_TEST=10, DATA_NUM_CHANNELS=1))
    assert ds.train_x.shape[1] == 1 and len(ds.mean) == len(ds.std) == 1


def test_dataset_defaults_name_the_natural_settings():
    assert data.DATASETS == ("course", "imagefolder", "cifar100", "fashion-mnist", "synthetic",
                             "tiny-imagenet")
    d = data.dataset_defaults("fashion-mnist")
    assert (d["DATA_NUM_CLASSES"], d["DATA_NUM_CHANNELS"], d["DATA_CROP"]) == (10, 1, 28)
    assert data.dataset_defaults("course")["DATA_RESIZE"] == 64


# --- the command line -------------------------------------------------------------------------

def test_cli_reports_a_missing_data_dir_in_one_line_with_status_2(tmp_path, capsys):
    code = main(["bench", "--set", "DATASET=imagefolder", "--set",
                 f"DATA_DIR={tmp_path / 'missing'}"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err


def test_cli_rejects_an_unknown_dataset_in_one_line():
    out = subprocess.run([sys.executable, "-m", "regnet", "bench", "--set", "DATASET=mnist"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "synthetic" in out.stderr


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_debians_fashion_mnist_loads_as_a_real_ten_class_dataset():
    ds = data.load(_values(DATASET="fashion-mnist", DATA_DOWNLOAD=False))
    assert ds.train_x.shape == (60000, 1, 28, 28) and ds.test_x.shape == (10000, 1, 28, 28)
    assert ds.train_y.bincount().tolist() == [6000] * 10
    assert ds.train_x.dtype == torch.uint8 and 0.2 < ds.train_x.float().mean() / 255 < 0.4
