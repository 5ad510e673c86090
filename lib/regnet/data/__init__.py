"""Images in, batches out.

    datasets.py      `load(cfg)` -> a `Dataset` of uint8 tensors, per DATASET
    cache.py         the decoded-image cache (uint8 .npy, memory-mapped, rebuilt on change)
    download.py      course archives: download, verify, extract safely
    tiny_imagenet.py Tiny ImageNet's official layout: classes, subsets, download
    batches.py       on-device batches: random resized crop, flip, normalize, one tensor op
    plain.py         the hand-written way: per-image torchvision transforms, a DataLoader
"""
from .batches import Batches
from .datasets import (DATASETS, Dataset, Shape, data_fingerprint, data_source,
                       dataset_defaults, describe_data, load, settings, shape, synthetic)

__all__ = ["DATASETS", "Batches", "Dataset", "data_fingerprint", "data_source",
           "dataset_defaults", "describe_data", "load", "settings", "synthetic"]
