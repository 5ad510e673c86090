"""RegNet course lab: design spaces, models, operator tables, data, training and reports.

The torch-free parts (params, space) import at once; the rest loads on first use, so the
command line answers quickly.
"""
from importlib import import_module

from .params import ParamError, resolve
from .space import NetSpec, RegNetParams, StageSpec, anynet, named, regnet

__version__ = "0.1.0"

_LAZY = {"RegNet": "model", "build": "model", "closed_form": "complexity",
         "operator_table": "complexity", "totals": "complexity"}

__all__ = ["ParamError", "resolve", "NetSpec", "RegNetParams", "StageSpec", "anynet", "named",
           "regnet", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'regnet' has no attribute {name!r}")
