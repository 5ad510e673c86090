"""An exponential moving average of a model's weights (as timm's ModelEmaV3 keeps one).

With TRAINING_EMA > 0 the loop updates it after every step and evaluates and keeps the
average instead of the raw weights.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class Ema:
    """An exponential moving average of the weights and BN statistics, updated every step."""

    def __init__(self, model: nn.Module, decay: float):
        self.module = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = decay
        pairs = list(zip(self.module.state_dict().values(), model.state_dict().values()))
        self.floats = [(e, m) for e, m in pairs if e.is_floating_point()]
        self.counts = [(e, m) for e, m in pairs if not e.is_floating_point()]

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """ema += (1 - decay) * (model - ema), one fused call over all tensors."""
        ema_t, model_t = zip(*self.floats)
        torch._foreach_lerp_(list(ema_t), list(model_t), 1.0 - self.decay)
        for e, m in self.counts:
            e.copy_(m)

    def state_dict(self) -> dict:
        return self.module.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state)

