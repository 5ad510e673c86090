"""Training recipes: each dataset's augmentation default, DATA_AUGMENT, and pad-crop's pixels."""
import pytest
import torch
import torch.nn.functional as F

from regnet.data import datasets as data
from regnet.data.batches import PAD, augment, crop_boxes, pad_crop
from regnet.params import ParamError, resolve


def _data(**overrides):
    """The data group of the defaults with `overrides` on top."""
    return resolve(overrides=overrides).data


@pytest.mark.parametrize("name, recipe", [
    ("course", "rrc"), ("tiny-imagenet", "rrc"), ("synthetic", "rrc"), ("imagefolder", "rrc"),
    ("cifar100", "pad-crop"), ("fashion-mnist", "pad-crop")])
def test_each_dataset_brings_the_augmentation_that_fits_its_image_size(name, recipe):
    assert data.settings(_data(DATASET=name))["DATA_AUGMENT"] == recipe


def test_small_image_folders_take_pad_crop_at_their_own_size():
    s = data.settings(_data(DATASET="imagefolder", DATA_IMAGE_SIZE=32))
    assert (s["DATA_AUGMENT"], s["DATA_CROP"], s["DATA_RESIZE"]) == ("pad-crop", 32, 32)


def test_data_augment_overrides_the_datasets_recipe_and_auto_restores_it():
    assert data.settings(_data(DATASET="fashion-mnist", DATA_AUGMENT="rrc"))["DATA_AUGMENT"] \
        == "rrc"
    assert data.settings(_data(DATASET="fashion-mnist", DATA_AUGMENT="auto"))["DATA_AUGMENT"] \
        == "pad-crop"
    with pytest.raises(ParamError, match="DATA_AUGMENT='cutout' must be one of: auto, rrc, "
                                         "pad-crop, flip, none"):
        resolve(overrides={"DATA_AUGMENT": "cutout"})


def _draws(x_pos, y_pos, flip):
    return torch.tensor([[1.0, 0.0, x_pos, y_pos, float(flip)]])


@pytest.mark.parametrize("x_pos, y_pos, flip", [(0.0, 0.0, 0), (0.99, 0.5, 0), (0.3, 0.99, 1)])
def test_pad_crop_is_a_window_of_the_zero_padded_image_mirrored_on_a_flip(x_pos, y_pos, flip):
    x = torch.rand(1, 3, 28, 28) * 255
    out = pad_crop(x, _draws(x_pos, y_pos, flip), 28)
    left, top = int(x_pos * (2 * PAD + 1)), int(y_pos * (2 * PAD + 1))
    window = F.pad(x, (PAD,) * 4)[..., top:top + 28, left:left + 28]
    assert torch.equal(out, window.flip(-1) if flip else window)  # exact pixels, no resampling


def test_pad_crop_offsets_cover_every_shift_evenly():
    n, side = 9000, 12
    cols = torch.arange(1.0, side + 1).view(1, 1, 1, side).expand(n, 1, side, side)
    rows = cols.transpose(2, 3)
    draws = crop_boxes(n, 0.35, torch.Generator().manual_seed(0), (side, side))
    draws[:, 4] = 0
    # output pixel (PAD, PAD) lies inside the image for every shift and tells the window's start
    left = pad_crop(cols.contiguous(), draws, side)[:, 0, PAD, PAD].long() - 1
    top = pad_crop(rows.contiguous(), draws, side)[:, 0, PAD, PAD].long() - 1
    for start in (left, top):
        counts = torch.bincount(start, minlength=2 * PAD + 1)
        assert len(counts) == 2 * PAD + 1 and counts.min() > 0.8 * n / len(counts)


def test_flip_and_none_show_the_center_crop():
    x = torch.rand(2, 3, 64, 64) * 255
    draws = torch.cat([_draws(0.5, 0.5, 0), _draws(0.5, 0.5, 1)])
    plain = augment(x, draws, "none", 56, 64)
    assert torch.equal(plain, x[..., 4:60, 4:60])
    flipped = augment(x, draws, "flip", 56, 64)
    assert torch.equal(flipped[0], plain[0]) and torch.equal(flipped[1], plain[1].flip(-1))


def _fashion_like(**kw):
    return data.load(resolve(overrides={"DATA_SYNTHETIC_TRAIN": 64, "DATA_SYNTHETIC_TEST": 8,
                                        "DATA_SYNTHETIC_SIZE": 28, "DATA_CROP": 28,
                                        "DATA_NUM_CHANNELS": 1, "DATA_AUGMENT": "pad-crop",
                                        **kw}))


def test_pad_crop_batches_repeat_for_a_seed_and_epoch_and_differ_between_epochs():
    ds = _fashion_like()
    assert ds.augment == "pad-crop" and "(pad-crop)" in ds.summary()
    a, b = data.Batches(ds, "train", 16, seed=3), data.Batches(ds, "train", 16, seed=3)
    for (xa, ya), (xb, yb) in zip(a, b):
        assert xa.shape == (16, 1, 28, 28) and torch.equal(xa, xb) and torch.equal(ya, yb)
    b.set_epoch(1)
    assert not torch.equal(next(iter(a))[0], next(iter(b))[0])


def test_each_recipe_trains_on_the_crop_and_evaluation_is_unchanged():
    for recipe in ("rrc", "pad-crop", "flip", "none"):
        ds = _fashion_like(DATA_AUGMENT=recipe, DATA_CROP=24)
        x, _ = next(iter(data.Batches(ds, "train", 8)))
        assert x.shape == (8, 1, 24, 24) and torch.isfinite(x).all()
        test_x, _ = next(iter(data.Batches(ds, "test", 8)))
        assert test_x.shape == (8, 1, 24, 24)
