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

from ..params import ScheduleConfig


def rate(schedule: ScheduleConfig, t: float) -> float:
    """The learning rate at (possibly fractional) epoch `t`, counted from 0."""
    top = schedule.lr_max
    init = top * schedule.lr_init_scale
    final = top * schedule.lr_final_scale
    warmup = schedule.lr_init_epochs
    if t < warmup:
        return init + (top - init) * t / warmup
    span = max(schedule.lr_final_epochs - 1, 1)
    return final + (top - final) * max(0.0, math.cos((t - warmup) / span * math.pi / 2))


def warmup_cosine(schedule: ScheduleConfig) -> list[float]:
    """One rate per epoch, for every epoch of the run (the report's table)."""
    return [rate(schedule, e) for e in range(schedule.epochs)]


def step_rate(schedule: ScheduleConfig, epoch: int, step: int, steps: int) -> float:
    """The rate for training step `step` of `steps` in `epoch`: per epoch or per iteration."""
    if schedule.lr_per_iteration:
        return rate(schedule, epoch + step / steps)
    return rate(schedule, epoch)
