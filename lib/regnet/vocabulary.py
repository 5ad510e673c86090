"""The parameter vocabulary: every UPPER_CASE name, defined once, and the typed groups.

Each `Param` in `PARAMS` carries its kind (how a value is checked), its default, its group,
whether it changes a run's result, its range and a line of help. The frozen group classes
(`ModelConfig`, `DataConfig`, ...) name the fields a `params.Config` holds for each group;
their defaults live in `PARAMS` alone. Checking and resolving values is `params.py`'s work.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import catalog

__all__ = ["AUGMENTS", "DATASETS", "GROUPS", "OPTIMIZERS", "PARAMS", "PRECISIONS", "PROFILES",
           "DataConfig", "ModelConfig", "OptimConfig", "Param", "RunConfig", "ScheduleConfig",
           "SweepConfig"]


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int, float, bool, auto-bool, str, ints, choice, variant, optional-int, optional-str
    default: Any
    help: str
    group: str  # the Config group that holds it: model, data, optim, schedule, run, sweep
    result: bool = True  # whether a change makes another result (else: where or how it runs)
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None  # every number has a sane range: no value may ask for hours

    @property
    def field(self) -> str:
        """Its name in the group: MODEL_GROUP_WIDTH -> group_width, TRAINING_LR_MAX -> lr_max."""
        for prefix in _PREFIXES:
            if self.name.startswith(prefix):
                return self.name[len(prefix):].lower()
        return self.name.lower()


_PREFIXES = ("MODEL_", "DATA_", "TRAINING_", "SWEEP_")


def _p(name, kind, default, help, choices=(), minimum=None, *, group, result=True,
       maximum=None) -> Param:
    return Param(name, kind, default, help, group, result, tuple(choices), minimum, maximum)


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
OPTIMIZERS = ("sgd", "adam", "adamw")
DATASETS = tuple(catalog.DATASETS)
AUGMENTS = ("auto", *catalog.AUGMENTS)
PROFILES = tuple(catalog.PROFILES)

PARAMS: dict[str, Param] = {p.name: p for p in [
    # --- model ------------------------------------------------------------------------
    _p("REGNETX", "variant", "200mf", "named network (course: 200mf..1.6gf, custom; "
       "paper: regnetx_200mf.., regnety_200mf..)", group="model"),
    _p("MODEL_TAIL_OUT_CHANNELS", "int", 24, "stem output channels (custom)", minimum=1,
       maximum=4096, group="model"),
    _p("MODEL_BLOCKS", "ints", [1, 1, 4, 7], "blocks per stage (custom)", minimum=1,
       maximum=64, group="model"),
    _p("MODEL_CHANNELS", "ints", [24, 56, 152, 368], "output channels per stage (custom)",
       minimum=1, maximum=8192, group="model"),
    _p("MODEL_GROUP_WIDTH", "int", 8, "channels per group in the 3x3 convs (custom)",
       minimum=1, maximum=8192, group="model"),
    _p("MODEL_GROUPS", "int", 0, "groups of every 3x3 conv, the same in each stage (custom; "
       "0 = use MODEL_GROUP_WIDTH)", minimum=0, maximum=8192, group="model"),
    _p("MODEL_BOTTLENECK", "float", 1.0, "bottleneck ratio b: inner width = width / b "
       "(custom; 1 = no bottleneck, below 1 an expansion)", minimum=1 / 16, maximum=64.0,
       group="model"),
    _p("MODEL_SE_RATIO", "float", 0.0, "squeeze-excitation ratio, 0 = none (custom)",
       minimum=0.0, maximum=1.0, group="model"),
    _p("MODEL_FILTER_SIZE", "int", 3, "kernel size of the grouped conv and the stem "
       "(odd)", minimum=1, maximum=15, group="model"),
    # --- data -------------------------------------------------------------------------
    _p("DATASET", "choice", "synthetic", ", ".join(DATASETS), choices=DATASETS, group="data"),
    _p("DATA_DIR", "optional-str", None, "where the dataset lives or is downloaded to",
       group="data", result=False),
    _p("DATA_BATCH_SIZE", "int", 512, "global batch size", minimum=1, maximum=65536,
       group="optim"),
    _p("DATA_NUM_CLASSES", "optional-int", None, "classes (default: the dataset's)",
       minimum=1, maximum=100_000, group="data"),
    _p("DATA_NUM_CHANNELS", "optional-int", None, "input channels (default: the dataset's)",
       minimum=1, maximum=16, group="data"),
    _p("DATA_CROP", "optional-int", None, "training crop in px (default: the dataset's)",
       minimum=1, maximum=1024, group="data"),
    _p("DATA_RESIZE", "optional-int", None, "test images are resized to this before the "
       "center crop (default: the dataset's)", minimum=1, maximum=1024, group="data"),
    _p("DATA_TEST_CROP", "optional-int", None, "test center crop in px (default: DATA_CROP)",
       minimum=1, maximum=1024, group="data"),
    _p("DATA_CLASSES", "classes", None, "tiny-imagenet classes: N (N evenly spaced in sorted "
       "wnid order: positions floor(i*K/N) of K) or a list of wnids (default: all)",
       group="data"),
    _p("DATA_AUGMENT", "choice", "auto", "training augmentation: " + "; ".join(
       f"{a.name} ({a.description})" for a in catalog.AUGMENTS.values()) + "; auto: the "
       "dataset's", choices=AUGMENTS, group="data"),
    _p("DATA_SCALE_MIN", "float", 0.35, "smallest area fraction of the random resized crop",
       minimum=0.01, maximum=1.0, group="data"),
    _p("DATA_SYNTHETIC_TRAIN", "int", 5000, "synthetic training images", minimum=1,
       maximum=2_000_000, group="data"),
    _p("DATA_SYNTHETIC_TEST", "int", 1000, "synthetic test images", minimum=1,
       maximum=1_000_000, group="data"),
    _p("DATA_SYNTHETIC_SIZE", "int", 64, "synthetic image side in px", minimum=4,
       maximum=1024, group="data"),
    _p("DATA_IMAGE_SIZE", "optional-int", None, "side of the cached images: short side resized "
       "to it, long side center-cropped (default: the dataset's)", minimum=4, maximum=1024,
       group="data"),
    _p("DATA_WORKERS", "optional-int", None, "processes that decode images into the cache, and "
       "the DataLoader workers of bench's seed-style pipeline (default: up to 8, one per core)",
       minimum=0, maximum=256, group="data", result=False),
    _p("DATA_DOWNLOAD", "bool", True, "download a missing dataset (" + ", ".join(
       d.name for d in catalog.DATASETS.values() if d.downloads) + "; false: an error saying "
       "where to put the files)", group="data"),
    # --- schedule (the seeds' names) ----------------------------------------------------
    _p("TRAINING_LR_MAX", "float", 0.1, "peak learning rate", minimum=0.0, maximum=1000.0,
       group="schedule"),
    _p("TRAINING_LR_INIT_SCALE", "float", 0.5, "first warm-up rate = MAX * INIT_SCALE",
       minimum=0.0, maximum=1.0, group="schedule"),
    _p("TRAINING_LR_INIT_EPOCHS", "int", 5, "linear warm-up epochs", minimum=0,
       maximum=10_000, group="schedule"),
    _p("TRAINING_LR_FINAL_SCALE", "float", 0.01, "last rate = MAX * FINAL_SCALE", minimum=0.0,
       maximum=1.0, group="schedule"),
    _p("TRAINING_LR_FINAL_EPOCHS", "int", 55, "quarter-cosine epochs after warm-up (0 and no "
       "warm-up: a dry run that checks and sets up everything, trains nothing)", minimum=0,
       maximum=10_000, group="schedule"),
    _p("TRAINING_LR_PER_ITERATION", "bool", False, "update the rate every step, not every epoch",
       group="schedule"),
    # --- optimizer and loop -------------------------------------------------------------
    _p("TRAINING_OPTIMIZER", "choice", "sgd", "sgd, adam or adamw", choices=OPTIMIZERS,
       group="optim"),
    _p("TRAINING_MOMENTUM", "float", 0.9, "SGD momentum", minimum=0.0, maximum=1.0,
       group="optim"),
    _p("TRAINING_NESTEROV", "bool", True, "Nesterov momentum (SGD)", group="optim"),
    _p("TRAINING_WEIGHT_DECAY", "float", 5e-5, "weight decay", minimum=0.0, maximum=1.0,
       group="optim"),
    _p("TRAINING_WD_NORM_BIAS", "bool", False, "apply weight decay to norms and biases too",
       group="optim"),
    _p("TRAINING_LABEL_SMOOTHING", "float", 0.0, "label smoothing", minimum=0.0, maximum=1.0,
       group="optim"),
    _p("TRAINING_EMA", "float", 0.0, "EMA decay of the weights per step, 0 = off", minimum=0.0,
       maximum=1.0, group="optim"),
    # auto: the fastest choice for the device, decided by engine/device.py (resolve_auto) and
    # recorded in the run's params.yaml. Run identity compares the value as asked ("auto"),
    # as it does for a DATA_* left to the dataset's default; a resume whose device resolves
    # PRECISION differently stops with one line instead of switching precision mid-run.
    _p("PRECISION", "choice", "auto", "auto (bf16 on CUDA GPUs of compute capability 8.0+, "
       "fp16 on older ones, fp32 on CPU), fp32, bf16 or fp16 (autocast; fp16 with a gradient "
       "scaler)", choices=PRECISIONS, group="run"),
    _p("CHANNELS_LAST", "auto-bool", "auto", "channels_last memory format (auto: on CUDA and "
       "on x86 CPUs whose convolutions run through oneDNN with AVX2; not AVX-512, where torch "
       "2.14's oneDNN crashes on some shapes)", group="run"),
    _p("COMPILE", "auto-bool", "auto", "torch.compile the model (auto: on CUDA for runs of "
       "5,000 steps or more)", group="run", result=False),
    _p("CUDA_GRAPHS", "auto-bool", "auto", "the whole training step as one CUDA graph (auto: "
       "on CUDA with one process, not fp16, compiled or not)", group="run", result=False),
    _p("DEVICE", "str", "auto", "auto, cpu, cuda or cuda:N", group="run", result=False),
    _p("SEED", "int", 0, "random seed (CPU runs repeat exactly)", minimum=0,
       maximum=2**32 - 1, group="run"),
    _p("SEEDS", "int", 1, "seeds the training section trains its network with (SEED, "
       "SEED+1, ...): their spread measures the seed-to-seed noise", minimum=1, maximum=10,
       group="run", result=False),
    _p("PROGRESS", "bool", True, "tqdm progress bars", group="run", result=False),
    _p("PROFILE", "choice", "quick", "the notebooks' base parameter file: " + "; ".join(
       f"{p.name} ({p.summary})" for p in catalog.PROFILES.values()), choices=PROFILES,
       group="run"),
    _p("REPORT_TITLE", "str", "RegNetX: design, training, implementation, extras and the "
       "design-space study",
       "title page of the combined report", group="run", result=False),
    _p("REPORT_AUTHOR", "optional-str", None, "author on the combined report's title page",
       group="run", result=False),
    _p("REPORT_COURSE", "optional-str", None, "course on the combined report's title page",
       group="run", result=False),
    # --- files (the seeds' names) -------------------------------------------------------
    _p("FILE_SAVE", "bool", True, "write last.pt and best.pt into the run folder", group="run",
       result=False),
    _p("FILE_LOAD", "bool", False, "resume from the run folder's last.pt", group="run",
       result=False),
    # --- design-space sweep -------------------------------------------------------------
    _p("SWEEP_SPACES", "str", "anynetx_a,anynetx_b,anynetx_c,anynetx_d,anynetx_e,regnetx",
       "design spaces to sample, comma-separated (anynetx_a..e or a..e, regnetx)", group="sweep",
       result=False),
    _p("SWEEP_SAMPLES", "int", 4, "models sampled and trained per design space", minimum=1,
       maximum=100_000, group="sweep", result=False),
    _p("SWEEP_SEED", "int", 0, "seed of the sampler: model i of a space depends on it alone",
       minimum=0, maximum=2**32 - 1, group="sweep"),
    _p("SWEEP_MACS_MIN", "float", 150.0, "compute regime: fewest million MACs of a sampled "
       "model (56 px, 100 classes)", minimum=0.0, maximum=1e6, group="sweep"),
    _p("SWEEP_MACS_MAX", "float", 250.0, "compute regime: most million MACs of a sampled "
       "model", minimum=0.0, maximum=1e6, group="sweep"),
    _p("SWEEP_WORKERS", "int", 0, "worker processes, one per GPU (0: every visible GPU; "
       "1: this process)", minimum=0, maximum=1024, group="sweep", result=False),
    # where the shards run under `sweep --launcher submitit|ray` (study/launch.py)
    _p("SWEEP_SHARDS", "int", 8, "shards a launcher starts: SLURM array tasks or Ray tasks, "
       "each training every k-th model", minimum=1, maximum=10_000, group="sweep",
       result=False),
    _p("SWEEP_GPUS", "float", 1.0, "GPUs per shard (whole for SLURM; a fraction under Ray "
       "lets shards share a GPU; 0: CPU only)", minimum=0.0, maximum=64.0, group="sweep",
       result=False),
    _p("SWEEP_CPUS", "int", 4, "CPU cores per shard", minimum=1, maximum=1024, group="sweep",
       result=False),
    _p("SWEEP_PARTITION", "optional-str", None, "SLURM partition of the shards (default: the "
       "cluster's)", group="sweep", result=False),
    _p("SWEEP_TIME_LIMIT", "int", 120, "minutes a shard may run under submitit (SLURM's "
       "--time); a rerun resumes one stopped there", minimum=1, maximum=100_000,
       group="sweep", result=False),
]}


# --- typed groups: what a function takes instead of the whole vocabulary -----------------
# Fields only: every default lives in PARAMS above, and a test checks the two agree.

@dataclass(frozen=True)
class ModelConfig:
    regnetx: str
    tail_out_channels: int
    blocks: tuple[int, ...]
    channels: tuple[int, ...]
    group_width: int
    groups: int
    bottleneck: float
    se_ratio: float
    filter_size: int


@dataclass(frozen=True)
class DataConfig:
    dataset: str
    dir: str | None
    num_classes: int | None
    num_channels: int | None
    crop: int | None
    resize: int | None
    test_crop: int | None
    classes: int | tuple[str, ...] | None
    augment: str
    scale_min: float
    synthetic_train: int
    synthetic_test: int
    synthetic_size: int
    image_size: int | None
    workers: int | None
    download: bool


@dataclass(frozen=True)
class ScheduleConfig:
    lr_max: float
    lr_init_scale: float
    lr_init_epochs: int
    lr_final_scale: float
    lr_final_epochs: int
    lr_per_iteration: bool

    @property
    def epochs(self) -> int:
        """The seeds' schedule length: warm-up epochs plus cosine epochs."""
        return self.lr_init_epochs + self.lr_final_epochs


@dataclass(frozen=True)
class OptimConfig:
    batch_size: int
    optimizer: str
    momentum: float
    nesterov: bool
    weight_decay: float
    wd_norm_bias: bool
    label_smoothing: float
    ema: float


@dataclass(frozen=True)
class RunConfig:
    precision: str  # "auto" or what was asked; engine/device.py resolves auto
    channels_last: bool | str  # True, False or "auto"
    compile: bool | str
    cuda_graphs: bool | str
    device: str
    seed: int
    seeds: int
    progress: bool
    profile: str
    report_title: str
    report_author: str | None
    report_course: str | None
    file_save: bool
    file_load: bool


@dataclass(frozen=True)
class SweepConfig:
    spaces: str
    samples: int
    seed: int
    macs_min: float
    macs_max: float
    workers: int
    shards: int
    gpus: float
    cpus: int
    partition: str | None
    time_limit: int


GROUPS = {"model": ModelConfig, "data": DataConfig, "schedule": ScheduleConfig,
          "optim": OptimConfig, "run": RunConfig, "sweep": SweepConfig}
