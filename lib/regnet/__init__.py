"""RegNet course lab: design spaces, models, operator tables, data, training and reports.

The layers, each importing only those above it in this list:

    errors, files, lock,        one error type, the atomic file writer, one owner per folder,
    boundedyaml,                YAML read within bounds,
    progress, colab,            progress lines for a watching terminal, Colab's first cell,
    provenance                  where files and numbers come from
    arch/                       the design space, the model, the operator table, samplers
    catalog, vocabulary,        the datasets, augmentations and profiles a user picks by
    params                      name; the parameter vocabulary; checking and resolving it
                                into the typed Config
    data/                       datasets, the image cache, downloads, on-device batches
    engine/                     the training loop, checkpoints, run folders, benchmarks
    study/                      experiments, the design-space sweep, its analysis
    report/                     tables, figures, notebook helpers, HTML/PDF rendering
    cli                         `python -m regnet ...`

The torch-free parts (params, arch.space) import at once; the rest loads on first use, so
the command line answers quickly.
"""
from importlib import import_module

from .arch.space import NetSpec, RegNetParams, StageSpec, anynet, named, regnet
from .errors import ParamError
from .params import Config, resolve

__version__ = "0.1.0"

_LAZY = {"RegNet": "arch.model", "build": "arch.model", "closed_form": "arch.complexity",
         "operator_table": "arch.complexity", "totals": "arch.complexity",
         "train": "engine.loop"}

__all__ = ["Config", "ParamError", "resolve", "NetSpec", "RegNetParams", "StageSpec",
           "anynet", "named", "regnet", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'regnet' has no attribute {name!r}")
