"""Batches: shapes, normalization, determinism, rank slices, torchvision-equal evaluation."""
import pytest
import torch
from PIL import Image
from torch import nn

from datafiles import imagefolder
from regnet import data
from regnet.data.batches import crop_boxes, random_resized_crop
from regnet.params import ParamError, resolve


def _synthetic(**kw):
    return data.load(resolve(overrides={"DATA_SYNTHETIC_TRAIN": 100, "DATA_SYNTHETIC_TEST": 30,
                                        "DATA_SYNTHETIC_SIZE": 32, **kw}))


@pytest.fixture(scope="module")
def ds():
    return _synthetic()


def test_training_batches_are_normalized_crops_of_the_asked_dtype(ds):
    batches = data.Batches(ds, "train", 32, dtype=torch.bfloat16, channels_last=True)
    out = list(batches)
    assert len(out) == len(batches) == 3  # 100 // 32, the last partial batch dropped
    x, y = out[0]
    assert x.shape == (32, 3, 28, 28) and x.dtype == torch.bfloat16 and y.dtype == torch.int64
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert abs(x.float().mean()) < 0.5 and 0.4 < x.float().std() < 1.6  # roughly standardized


def test_test_batches_keep_every_image_in_order(ds):
    batches = data.Batches(ds, "test", 8)
    ys = torch.cat([y for _, y in batches])
    assert len(batches) == 4 and torch.equal(ys, ds.test_y)


def test_normalization_maps_pixels_through_mean_and_std(ds):
    x, _ = next(iter(data.Batches(ds, "test", 4, test_crop=32)))
    mean, std = torch.tensor(ds.mean).view(3, 1, 1), torch.tensor(ds.std).view(3, 1, 1)
    expected = (ds.test_x[:4].float() / 255 - mean) / std
    torch.testing.assert_close(x, expected, atol=1e-5, rtol=1e-5)


def test_the_same_seed_and_epoch_give_the_same_batches_and_epochs_differ(ds):
    a, b = data.Batches(ds, "train", 25, seed=5), data.Batches(ds, "train", 25, seed=5)
    a.set_epoch(3)
    list(b)  # iterating another epoch first must not matter
    b.set_epoch(3)
    for (xa, ya), (xb, yb) in zip(a, b):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    b.set_epoch(4)
    assert not torch.equal(next(iter(a))[0], next(iter(b))[0])


def test_two_ranks_together_see_exactly_one_ranks_batch(ds):
    whole = data.Batches(ds, "train", 20, seed=1)
    halves = [data.Batches(ds, "train", 20, seed=1, rank=r, world_size=2) for r in (0, 1)]
    for b in [whole, *halves]:
        b.set_epoch(2)
    for (x, y), (x0, y0), (x1, y1) in zip(whole, *halves):
        assert len(y0) == len(y1) == 10
        assert torch.equal(torch.cat([x0, x1]), x) and torch.equal(torch.cat([y0, y1]), y)


def test_a_global_batch_that_ranks_cannot_share_evenly_is_an_error(ds):
    with pytest.raises(ParamError, match="multiple of the 3 processes"):
        data.Batches(ds, "train", 32, world_size=3)


def test_a_full_box_without_flip_returns_the_image_and_with_flip_its_mirror():
    x = torch.rand(2, 3, 8, 8) * 255
    boxes = torch.tensor([[1.0, 0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.5, 0.5, 1.0]])
    out = random_resized_crop(x, boxes, 8)
    torch.testing.assert_close(out[0], x[0], atol=1e-3, rtol=0)
    torch.testing.assert_close(out[1], x[1].flip(-1), atol=1e-3, rtol=0)


def test_crop_boxes_cover_the_asked_area_and_aspect_ranges():
    boxes = crop_boxes(4000, 0.35, torch.Generator().manual_seed(0), (64, 64))
    assert 0.35 <= boxes[:, 0].min() and boxes[:, 0].max() <= 1
    assert boxes[:, 1].exp().min() >= 0.75 - 1e-6 and boxes[:, 1].exp().max() <= 4 / 3 + 1e-6
    assert 0.45 < boxes[:, 4].mean() < 0.55  # half of the images are flipped


def _torchvision_eval(paths, resize, crop, mean, std):
    from torchvision import transforms
    t = transforms.Compose([transforms.Resize(resize), transforms.CenterCrop(crop),
                            transforms.ToTensor(), transforms.Normalize(mean, std)])
    return torch.stack([t(Image.open(p).convert("RGB")) for p in paths])


@pytest.mark.parametrize("image_size, resize, crop", [(64, 64, 56), (72, 72, 64)])
def test_evaluation_equals_torchvision_resize_then_center_crop(tmp_path, image_size, resize,
                                                               crop):
    # Tolerance 1e-5: both sides decode the same JPEG with PIL and resize with PIL's bilinear;
    # only the float arithmetic of normalization differs.
    root = imagefolder(tmp_path)
    ds = data.load(resolve(overrides={"DATASET": "imagefolder", "DATA_DIR": str(root),
                                      "DATA_IMAGE_SIZE": image_size, "DATA_RESIZE": resize,
                                      "DATA_TEST_CROP": crop, "PROGRESS": False,
                                      "DATA_WORKERS": 0}))
    x = torch.cat([x for x, _ in data.Batches(ds, "test", 4)])
    paths = sorted((root / "val").rglob("*.jpg"))  # class folders in order, files sorted
    expected = _torchvision_eval(paths, resize, crop, ds.mean, ds.std)
    assert x.shape == expected.shape == (6, 3, crop, crop)
    torch.testing.assert_close(x, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("test_crop", [40, 64, 91])
def test_any_test_crop_from_40_to_91_gives_that_size(ds, test_crop):
    x, _ = next(iter(data.Batches(ds, "test", 5, test_crop=test_crop)))
    assert x.shape == (5, 3, test_crop, test_crop) and torch.isfinite(x).all()


def test_a_test_crop_larger_than_the_resize_holds_the_whole_image_not_padding(ds):
    x, _ = next(iter(data.Batches(ds, "test", 5, test_crop=48)))
    black = (0 - torch.tensor(ds.mean).view(1, 3, 1, 1)) / torch.tensor(ds.std).view(1, 3, 1, 1)
    assert not torch.isclose(x[:, :, :, 0], black[..., 0].expand(5, 3, 48)).all()


def test_synthetic_data_is_learnable_by_a_small_conv_net():
    torch.manual_seed(0)
    ds = _synthetic(DATA_SYNTHETIC_TRAIN=1500, DATA_SYNTHETIC_TEST=300, DATA_NUM_CLASSES=10,
                    DATA_SYNTHETIC_SIZE=24)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    train = data.Batches(ds, "train", 50)
    for epoch in range(4):
        train.set_epoch(epoch)
        for x, y in train:
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        correct = sum((net(x).argmax(1) == y).sum().item() for x, y in data.Batches(ds, "test", 100))
    assert correct / len(ds.test_y) > 0.8  # chance is 0.1


@pytest.mark.parametrize("size", [(64, 64), (64, 48), (64, 16)])
def test_crop_boxes_draw_torchvision_random_resized_crop_boxes(size):
    # The same rule as RandomResizedCrop.get_params (ten tries for a box that fits, else the
    # whole image at the nearest allowed aspect): box width and height in px agree in mean
    # and spread within half a pixel (theirs are whole pixels, ours continuous). Clamping
    # oversized boxes instead of drawing again makes them about 2 px larger on average.
    from torchvision.transforms import v2
    n, (h, w) = 20000, size
    torch.manual_seed(0)
    image = torch.zeros(1, h, w)
    theirs = torch.tensor([v2.RandomResizedCrop.get_params(image, [0.35, 1.0], [3 / 4, 4 / 3])
                           [2:] for _ in range(n)], dtype=torch.float64)
    boxes = crop_boxes(n, 0.35, torch.Generator().manual_seed(0), size).double()
    area, ratio = boxes[:, 0] * h * w, boxes[:, 1].exp()
    ours = torch.stack([(area / ratio).sqrt().clamp(max=h), (area * ratio).sqrt().clamp(max=w)],
                       1)
    for side in range(2):  # height, width
        for stat in (torch.mean, torch.std):
            assert abs(stat(ours[:, side]) - stat(theirs[:, side])) < 0.5, (side, stat)
