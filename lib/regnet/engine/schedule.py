"""The learning-rate schedule: the seeds' linear warm-up, then a quarter cosine.

With INIT = MAX * INIT_SCALE and FINAL = MAX * FINAL_SCALE, at epoch e (0-based):

    e <  INIT_EPOCHS:  lr = INIT + (MAX - INIT) * e / INIT_EPOCHS
    e >= INIT_EPOCHS:  lr = FINAL + (MAX - FINAL) * max(0, cos(x * pi/2)),
                       x = (e - INIT_EPOCHS) / (FINAL_EPOCHS - 1)

so the warm-up climbs from INIT towards MAX, the first cosine epoch runs at MAX and the last at
FINAL. The same formula at a fractional epoch (epoch + step / steps_per_epoch) gives the
per-iteration variant (TRAINING_LR_PER_ITERATION), which agrees with the per-epoch rate at the
first step of every epoch. A single cosine epoch (FINAL_EPOCHS = 1) runs at MAX: the cosine
denominator is at least 1.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from ..params import total_epochs


def rate(values: Mapping[str, Any], t: float) -> float:
    """The learning rate at (possibly fractional) epoch `t`, counted from 0."""
    top = values["TRAINING_LR_MAX"]
    init = top * values["TRAINING_LR_INIT_SCALE"]
    final = top * values["TRAINING_LR_FINAL_SCALE"]
    warmup = values["TRAINING_LR_INIT_EPOCHS"]
    if t < warmup:
        return init + (top - init) * t / warmup
    span = max(values["TRAINING_LR_FINAL_EPOCHS"] - 1, 1)
    return final + (top - final) * max(0.0, math.cos((t - warmup) / span * math.pi / 2))


def warmup_cosine(values: Mapping[str, Any]) -> list[float]:
    """One rate per epoch, for every epoch of the run (the report's table)."""
    return [rate(values, e) for e in range(total_epochs(values))]


def step_rate(values: Mapping[str, Any], epoch: int, step: int, steps: int) -> float:
    """The rate for training step `step` of `steps` in `epoch`: per epoch or per iteration."""
    if values["TRAINING_LR_PER_ITERATION"]:
        return rate(values, epoch + step / steps)
    return rate(values, epoch)
