"""The hand-written way to feed a network, as the PyTorch and torchvision tutorials write it:
a Dataset over the uint8 tensors with torchvision's v2 transforms per image and a DataLoader.

    plain_loader(ds, split, batch, workers, seed)   the loader of bench-recipe's plain loop
                                                     and of bench's `plain` row

Training applies the dataset's DATA_AUGMENT recipe (RandomResizedCrop(crop,
scale=(DATA_SCALE_MIN, 1)) + RandomHorizontalFlip, or RandomCrop(crop, padding=4) +
RandomHorizontalFlip, ...), shuffles and drops the last partial batch; test is Resize +
CenterCrop; then ToDtype + Normalize. batches.py does the same on the whole batch at once.
"""
from __future__ import annotations

import torch
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from .. import catalog
from .batches import PAD


class TensorImages(torch.utils.data.Dataset):
    """uint8 images [N, C, H, W] and labels, one transformed image at a time."""

    def __init__(self, x, y, transform):
        self.x, self.y, self.transform = x, y, transform

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(self.x[i]), self.y[i]


def _center(ds, crop: int) -> list:
    return [v2.Resize(max(ds.resize, crop)), v2.CenterCrop(crop)]


#: Each DATA_AUGMENT recipe of catalog.AUGMENTS as torchvision transforms of one image.
PLAIN_RECIPES = {
    "rrc": lambda ds: [v2.RandomResizedCrop(ds.crop, scale=(ds.scale_min, 1.0)),
                       v2.RandomHorizontalFlip()],
    "pad-crop": lambda ds: [v2.RandomCrop(ds.crop, padding=PAD), v2.RandomHorizontalFlip()],
    "flip": lambda ds: _center(ds, ds.crop) + [v2.RandomHorizontalFlip()],
    "none": lambda ds: _center(ds, ds.crop),
}
catalog.check_registry("plain-loop augmentations", PLAIN_RECIPES, catalog.AUGMENTS)


def plain_transforms(ds, training: bool):
    """torchvision's transforms for the dataset's recipe (training) or its test view."""
    view = PLAIN_RECIPES[ds.augment](ds) if training else _center(ds, ds.test_crop)
    return v2.Compose(view + [v2.ToDtype(torch.float32, scale=True),
                              v2.Normalize(list(ds.mean), list(ds.std))])


def plain_loader(ds, split: str, batch: int, workers: int, seed: int) -> DataLoader:
    """A DataLoader over one split: shuffled with dropped last batch for training."""
    training = split == "train"
    x, y = (ds.train_x, ds.train_y) if training else (ds.test_x, ds.test_y)
    return DataLoader(TensorImages(x, y, plain_transforms(ds, training)), batch_size=batch,
                      shuffle=training, drop_last=training, num_workers=workers,
                      generator=torch.Generator().manual_seed(seed) if training else None)
