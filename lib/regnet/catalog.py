"""The things a user picks by name: datasets, augmentations and profiles, each defined once.

Every per-item value the project needs lives here, beside its item: a dataset's natural
sizes, normalization, augmentation, training recipe and the words a report names it with; an
augmentation's description; a profile's parameter file and the note at the top of its
reports. The vocabulary (vocabulary.py) takes its choices from these tables, the data layer its
defaults, the reports their words. What needs code (a dataset's loader, an augmentation's
tensor ops) is registered beside that code and checked against these tables when its module
is imported, so an item added here without its parts fails at import, not in a user's report.
The reports themselves are listed in report/contents.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class DatasetInfo:
    """One DATASET: its natural DATA_* values and how reports name it."""
    name: str
    title: str  # how a sentence names it: "Tiny ImageNet (ImageNet photographs, 64 px)"
    channels: int
    image_size: int  # side of the cached images
    crop: int  # training crop
    resize: int  # test images are resized to this before the center crop
    mean: tuple[float, ...]  # normalization, per channel, 0..1 units
    std: tuple[float, ...]
    augment: str  # DATA_AUGMENT=auto: a key of AUGMENTS
    classes: int | None = None  # None: counted from the data (folders, wnids.txt)
    downloads: bool = False  # DATA_DOWNLOAD applies: a missing copy can be fetched
    #: TRAINING_* values this dataset trains best with when nothing sets them (a profile file,
    #: a --set, a notebook parameter): empty means the vocabulary's defaults (the seeds' recipe)
    recipe: Mapping[str, Any] = field(default_factory=dict)
    test_split: str = ""  # where its test images come from, where a reader would ask

    def natural(self) -> dict[str, Any]:
        """The DATA_* values it brings, under their parameter names, with mean, std, augment."""
        return {"DATA_NUM_CLASSES": self.classes, "DATA_NUM_CHANNELS": self.channels,
                "DATA_IMAGE_SIZE": self.image_size, "DATA_CROP": self.crop,
                "DATA_RESIZE": self.resize, "mean": self.mean, "std": self.std,
                "augment": self.augment}


def _table(*items) -> Mapping[str, Any]:
    return MappingProxyType({item.name: item for item in items})


#: What small images (28-32 px) train best with out of the box, for short runs and long: a
#: peak rate of 0.4 from the first step (no warm-up epochs, so TRAINING_LR_FINAL_EPOCHS alone
#: is the run's length and a 3-epoch run is not a third warm-up), set every step along the
#: quarter cosine down to 10% of the peak (the curve reaches its floor one epoch before the
#: end, and a last epoch at the seeds' 1% would learn little in a short run), weight decay
#: 5e-4 (not on norms and biases) and label smoothing 0.1. docs/training.md ("Against a plain
#: PyTorch loop") has the figures that chose it.
SMALL_IMAGE_RECIPE: Mapping[str, Any] = MappingProxyType({
    "TRAINING_LR_MAX": 0.4, "TRAINING_LR_INIT_EPOCHS": 0, "TRAINING_LR_PER_ITERATION": True,
    "TRAINING_LR_FINAL_SCALE": 0.1, "TRAINING_WEIGHT_DECAY": 5e-4,
    "TRAINING_LABEL_SMOOTHING": 0.1})


DATASETS: Mapping[str, DatasetInfo] = _table(
    DatasetInfo("course", "the course data (an ImageNet subset)",
                channels=3, image_size=64, crop=56, resize=64, mean=IMAGENET_MEAN,
                std=IMAGENET_STD, augment="rrc", classes=100, downloads=True),
    DatasetInfo("imagefolder", "images from class-per-folder trees", channels=3, image_size=64,
                crop=56, resize=64, mean=IMAGENET_MEAN, std=IMAGENET_STD, augment="rrc",
                recipe=SMALL_IMAGE_RECIPE),
    DatasetInfo("cifar100", "CIFAR-100", channels=3, image_size=32, crop=32, resize=32,
                mean=(0.5071, 0.4865, 0.4409), std=(0.2673, 0.2564, 0.2762),
                augment="pad-crop", classes=100, downloads=True, recipe=SMALL_IMAGE_RECIPE),
    DatasetInfo("fashion-mnist", "Fashion-MNIST", channels=1, image_size=28, crop=28,
                resize=28, mean=(0.2860,), std=(0.3530,), augment="pad-crop", classes=10,
                downloads=True, recipe=SMALL_IMAGE_RECIPE),
    DatasetInfo("synthetic", "synthetic images of coloured stripes", channels=3,
                image_size=64, crop=56, resize=64, mean=(0.5, 0.5, 0.5),
                std=(0.25, 0.25, 0.25), augment="rrc", classes=100),
    DatasetInfo("tiny-imagenet", "Tiny ImageNet (ImageNet photographs)", channels=3,
                image_size=64, crop=56, resize=64, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                augment="rrc", downloads=True,
                test_split="Tiny ImageNet's validation images (its test images have no "
                           "public labels)"),
)


@dataclass(frozen=True)
class Augment:
    """One DATA_AUGMENT recipe (its tensor ops are in data/batches.py)."""
    name: str
    description: str


AUGMENTS: Mapping[str, Augment] = _table(
    Augment("rrc", "random resized crop + horizontal flip"),
    Augment("pad-crop", "4 px of zero padding, a random crop + horizontal flip"),
    Augment("flip", "the center crop, flipped at random"),
    Augment("none", "the center crop"),
)


@dataclass(frozen=True)
class Profile:
    """One PROFILE: params/<name>.yaml and what its reports say at the top."""
    name: str
    summary: str  # one line: what it is for
    note: str | None  # the box at the top of every report; None: the data line says enough
    tone: str = "info"  # the box's colour: "demo" (red) or "info"


PROFILES: Mapping[str, Profile] = _table(
    Profile("quick", "a CPU demo on small synthetic images, minutes",
            "PIPELINE DEMO - not the course result. This demo trains for a few epochs on "
            "small synthetic images so that the whole report is made on any CPU in minutes; "
            "its accuracies say nothing about RegNet. The course configuration, run on a GPU "
            "with the course data, gives the real numbers.", tone="demo"),
    Profile("course", "the reproduction: the course data, 60 epochs, a GPU", None),
    Profile("tiny", "the course recipe on Tiny ImageNet's photographs",
            "TINY IMAGENET - not the course data. These runs train on real ImageNet "
            "photographs from Tiny ImageNet (Stanford CS231N, 64 px originals), a stand-in "
            "where the course archives cannot be reached, at the sizes the data line gives "
            "and with the settings section 2 lists. Its classes and images differ from "
            "the course's ImageNet-100, so its accuracies are not the course result."),
)


def dataset(name: str) -> DatasetInfo:
    """The dataset called `name` (the vocabulary has already checked that it exists)."""
    return DATASETS[name]


def check_registry(what: str, implemented, defined: Mapping[str, Any]) -> None:
    """Fail at import when code registered for `what` does not cover exactly the names here."""
    missing, extra = set(defined) - set(implemented), set(implemented) - set(defined)
    if missing or extra:
        raise ImportError(f"{what}: catalog.py defines {sorted(defined)} but the code "
                          f"registers {sorted(implemented)} (missing {sorted(missing)}, "
                          f"unknown {sorted(extra)})")
