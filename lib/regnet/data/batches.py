"""Batches from a uint8 dataset, augmented on the device, vectorized over the batch.

Training batch, by the dataset's recipe (`Dataset.augment`, DATA_AUGMENT), then normalization,
the dtype and, if asked, channels_last:

- `rrc` (64 px ImageNet-like sets): a random resized crop to `crop` and a horizontal flip with
  probability 1/2, done together by one `affine_grid` + bilinear `grid_sample` on the whole
  batch. The box is drawn by torchvision's RandomResizedCrop rule: area fraction
  U(scale_min, 1) of the image and aspect ratio log-uniform in [3/4, 4/3], up to ten tries
  for a box that fits inside the image, else the whole image (cut to the nearest allowed
  aspect). The box is continuous rather than snapped to whole pixels, and upsampling needs
  no antialiasing, so the result matches torchvision's in distribution, not pixel for pixel.
- `pad-crop` (28-32 px sets such as CIFAR and Fashion-MNIST): zero padding of `PAD` px on
  every side, a random `crop` x `crop` window at a whole-pixel offset, and the flip: two
  gathers, exact pixels, as torchvision's RandomCrop(crop, padding=4) + RandomHorizontalFlip.
- `flip`: the test view at the training crop (short side to `resize`, center crop), flipped
  with probability 1/2. `none`: that view alone.

Evaluation batch: resize the short side to `resize` (skipped when the images already have it,
as the course cache does at 64), then center crop to the test crop with torchvision's rounding,
then normalize. A test crop larger than `resize` resizes to the test crop instead, so the crop
holds the whole image (torchvision's CenterCrop would pad with black). With the course cache
this equals torchvision's Resize(64) + CenterCrop(56) + ToTensor + Normalize (tests check it).

Shuffling and augmentation draw from a generator seeded by (seed, epoch) alone, for the whole
global batch, so a resumed run sees identical batches and `world_size` ranks, each taking its
slice of every global batch, see together exactly what one rank sees.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .. import catalog
from ..errors import ParamError

_RATIO = (math.log(3 / 4), math.log(4 / 3))
PAD = 4  # px of zeros on each side for pad-crop: the CIFAR recipe's RandomCrop(32, padding=4)


def resize_short(x: torch.Tensor, side: int) -> torch.Tensor:
    """Float images [b, C, H, W] with the short side resized to `side` (torchvision's rule)."""
    h, w = x.shape[-2:]
    if min(h, w) == side:
        return x
    size = (side, int(side * w / h)) if h <= w else (int(side * h / w), side)
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def center_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    """The central `size` x `size` window, offsets rounded as torchvision's CenterCrop does."""
    h, w = x.shape[-2:]
    if size > h or size > w:
        raise ValueError(f"center crop {size} is larger than the {h}x{w} image")
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return x[..., top:top + size, left:left + size]


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A CPU generator that depends on (seed, epoch) only."""
    state = np.random.SeedSequence([seed, epoch]).generate_state(2, np.uint64)
    return torch.Generator().manual_seed(int(state[0] >> np.uint64(1)))


def crop_boxes(n: int, scale_min: float, g: torch.Generator, size: tuple[int, int],
               tries: int = 10) -> torch.Tensor:
    """[n, 5] draws per image: area fraction, log aspect, x and y position in 0..1, flip.

    For images of `size` (height, width), as torchvision's RandomResizedCrop.get_params: each
    image takes the first of `tries` (area, aspect) draws whose box, rounded to whole pixels,
    fits inside the image; when none does, the whole image cut to the nearest allowed aspect,
    centred.
    """
    h, w = size
    area = torch.empty(n, tries).uniform_(scale_min, 1.0, generator=g)
    log_ratio = torch.empty(n, tries).uniform_(*_RATIO, generator=g)
    pos = torch.rand(n, 2, generator=g)
    flip = (torch.rand(n, generator=g) < 0.5).float()
    ratio = log_ratio.exp()  # box width / height
    fits = ((area * ratio * h * w).sqrt() < w + 0.5) & ((area / ratio * h * w).sqrt() < h + 0.5)
    first = fits.float().argmax(1, keepdim=True)  # the first try that fits (0 if none)
    area, log_ratio = area.gather(1, first)[:, 0], log_ratio.gather(1, first)[:, 0]
    whole = ~fits.any(1)
    log_aspect = math.log(w / h)  # the image's
    fallback = min(max(log_aspect, _RATIO[0]), _RATIO[1])
    area = torch.where(whole, math.exp(-abs(log_aspect - fallback)), area)
    log_ratio = torch.where(whole, fallback, log_ratio)
    pos = torch.where(whole[:, None], 0.5, pos)
    return torch.stack([area, log_ratio, pos[:, 0], pos[:, 1], flip], 1)


def random_resized_crop(x: torch.Tensor, boxes: torch.Tensor, crop: int) -> torch.Tensor:
    """Crop-resize-flip float images [b, C, H, W] to [b, C, crop, crop] in one grid_sample."""
    h, w = x.shape[-2:]
    area, ratio = boxes[:, 0] * (h * w), boxes[:, 1].exp()
    bw = (area * ratio).sqrt().clamp(max=w)  # box size in px (it may fit only once rounded)
    bh = (area / ratio).sqrt().clamp(max=h)
    cx = bw / 2 + boxes[:, 2] * (w - bw)  # box centre in px
    cy = bh / 2 + boxes[:, 3] * (h - bh)
    sign = 1 - 2 * boxes[:, 4]  # -1 mirrors x: the flip costs nothing extra
    theta = torch.zeros(len(x), 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = sign * bw / w
    theta[:, 0, 2] = 2 * cx / w - 1
    theta[:, 1, 1] = bh / h
    theta[:, 1, 2] = 2 * cy / h - 1
    grid = F.affine_grid(theta, [len(x), x.shape[1], crop, crop], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _offsets(u: torch.Tensor, span: int) -> torch.Tensor:
    """Whole-pixel offsets 0..span, uniform, from draws `u` in [0, 1)."""
    return (u * (span + 1)).long().clamp_(0, span)


def pad_crop(x: torch.Tensor, draws: torch.Tensor, crop: int, pad: int = PAD) -> torch.Tensor:
    """Zero-pad float images by `pad`, take a random crop x crop window, flip: two gathers.

    `draws` are `crop_boxes` rows: columns 2 and 3 place the window, column 4 flips.
    """
    b, c, h, w = x.shape
    pad = max(pad, -(-(crop - min(h, w)) // 2))  # a crop larger than the padded image fits
    x = F.pad(x, (pad, pad, pad, pad))
    step = torch.arange(crop, device=x.device)
    rows = _offsets(draws[:, 3], h + 2 * pad - crop)[:, None] + step
    cols = _offsets(draws[:, 2], w + 2 * pad - crop)[:, None] + step
    cols = torch.where(draws[:, 4:5] > 0.5, cols.flip(1), cols)  # mirrored columns: the flip
    x = x.gather(2, rows[:, None, :, None].expand(b, c, crop, x.shape[3]))
    return x.gather(3, cols[:, None, None, :].expand(b, c, crop, crop))


def flip(x: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
    """Mirror the images whose draw (column 4 of `crop_boxes`) says so."""
    return torch.where(draws[:, 4].view(-1, 1, 1, 1) > 0.5, x.flip(3), x)


def _center_view(x: torch.Tensor, crop: int, resize: int) -> torch.Tensor:
    """The test view at the training crop: short side to `resize`, center crop."""
    return center_crop(resize_short(x, max(resize, crop)), crop)


#: Each DATA_AUGMENT recipe of catalog.AUGMENTS as tensor ops: (images, draws, crop, resize).
RECIPES = {
    "rrc": lambda x, draws, crop, resize: random_resized_crop(x, draws, crop),
    "pad-crop": lambda x, draws, crop, resize: pad_crop(x, draws, crop),
    "flip": lambda x, draws, crop, resize: flip(_center_view(x, crop, resize), draws),
    "none": lambda x, draws, crop, resize: _center_view(x, crop, resize),
}
catalog.check_registry("augmentations", RECIPES, catalog.AUGMENTS)


def augment(x: torch.Tensor, draws: torch.Tensor, recipe: str, crop: int,
            resize: int) -> torch.Tensor:
    """A training view of float images [b, C, H, W] by `recipe` (see the module docstring)."""
    if recipe not in RECIPES:
        raise ParamError(f"augmentation {recipe!r} must be one of: {', '.join(RECIPES)}")
    return RECIPES[recipe](x, draws, crop, resize)


def _fits_on(device: torch.device, nbytes: int) -> bool:
    """Whether a tensor of `nbytes` may live on `device`, leaving half its free memory."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < free // 2


class Batches:
    """Iterate (x, y) batches of one split of a `Dataset` on `device`; see the module doc."""

    def __init__(self, ds, split: str, batch_size: int, *, device="cpu", augment=None,
                 seed: int = 0, dtype=torch.float32, channels_last: bool = False,
                 drop_last=None, rank: int = 0, world_size: int = 1, test_crop=None):
        if split not in ("train", "test"):
            raise ParamError(f"split {split!r} must be 'train' or 'test'")
        if batch_size % world_size:
            raise ParamError(f"DATA_BATCH_SIZE={batch_size} must be a multiple of the "
                             f"{world_size} processes")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside 0..{world_size - 1}")
        self.split, self.batch_size, self.seed = split, batch_size, seed
        self.augment = split == "train" if augment is None else augment
        self.shuffle = split == "train"
        self.drop_last = split == "train" if drop_last is None else drop_last
        self.rank, self.world_size = rank, world_size
        self.device = torch.device(device)
        self.dtype, self.channels_last = dtype, channels_last
        self.crop, self.scale_min = ds.crop, ds.scale_min
        self.recipe, self.train_resize = ds.augment, ds.resize
        self.test_crop = test_crop or ds.test_crop
        self.resize = max(ds.resize, self.test_crop)  # a crop larger than the resize is upsampled
        x, y = (ds.train_x, ds.train_y) if split == "train" else (ds.test_x, ds.test_y)
        self.on_device = _fits_on(self.device, x.numel())
        if self.on_device:
            self.x = x.to(self.device)
        else:  # pinned host memory: the per-batch copies can overlap compute
            self.x = x.pin_memory()
        self.y = y.to(self.device)
        c = x.shape[1]
        std = torch.tensor(ds.std, dtype=torch.float32).view(1, c, 1, 1)
        mean = torch.tensor(ds.mean, dtype=torch.float32).view(1, c, 1, 1)
        self.scale = (1 / (255 * std)).to(self.device)  # x/255 then (x - mean)/std, in one FMA
        self.shift = (-mean / std).to(self.device)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order and augmentation the next iteration yields."""
        self.epoch = epoch

    def __len__(self) -> int:
        n = len(self.y)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _gather(self, idx: torch.Tensor) -> torch.Tensor:
        """uint8 images `idx` on the device (`idx` lives where the images do)."""
        if self.on_device:
            return self.x[idx]
        return self.x[idx].pin_memory().to(self.device, non_blocking=True)

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.addcmul(self.shift, x, self.scale).to(self.dtype)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _evaluate(self, x: torch.Tensor) -> torch.Tensor:
        return center_crop(resize_short(x, self.resize), self.test_crop)

    def __iter__(self):
        n = len(self.y)
        g = epoch_generator(self.seed, self.epoch)
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        boxes = crop_boxes(n, self.scale_min, g, tuple(self.x.shape[2:])).to(self.device) \
            if self.augment else None
        # index tensors move to the device once per epoch, so no step waits on a host copy
        order_x = order.to(self.x.device)
        order_y = order.to(self.device)
        positions = torch.arange(n, device=self.device)
        for i in range(len(self)):
            start = i * self.batch_size
            # this rank's slice of the global batch: the same for any world size
            rows = positions[start:start + self.batch_size].tensor_split(self.world_size)[
                self.rank]
            x = self._gather(order_x[rows.to(self.x.device)]).float()
            if self.augment:
                x = augment(x, boxes[rows], self.recipe, self.crop, self.train_resize)
            else:
                x = self._evaluate(x)
            yield self._finish(x), self.y[order_y[rows]]
