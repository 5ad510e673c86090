"""How much memory a network needs, from its spec alone, before anything is built.

A width of 10^8 or a bottleneck of 10^-4 is a valid-looking spec whose model would take
minutes to allocate and then die in the allocator (or the OOM killer) with no message. The
closed form (complexity.py) gives P parameters and A activations per image in microseconds,
so every command checks the estimate first and refuses, in one line, a network that cannot
fit on its device:

    inference:  4 bytes x P  +  4 bytes x A x batch
    training:   4 bytes x P x (weights, gradients, optimizer state, EMA)
                +  bytes per element x A x batch x 3   (each conv output is kept for the
                   backward pass with its norm output and activation)

It is an estimate: close calls are left to the allocator, absurd ones never reach it.
"""
from __future__ import annotations

import os

import torch

from ..errors import ParamError
from .complexity import closed_form
from .space import NetSpec

GB = 1e9
SAVED_PER_ACTIVATION = 3  # tensors kept per conv output for the backward pass
OPTIMIZER_STATE = {"sgd": 1, "adam": 2, "adamw": 2}  # tensors per parameter (momentum, moments)


def estimate(spec: NetSpec, batch: int = 1, training: bool = False, optimizer: str = "sgd",
             ema: bool = False, precision: str = "fp32") -> int:
    """Bytes a forward pass (or a training step) of `spec` needs at `batch` images."""
    cost = closed_form(spec)
    params, acts = cost["params"], cost["acts"]
    if not training:
        return 4 * params + 4 * acts * batch
    copies = 2 + OPTIMIZER_STATE.get(optimizer, 2) + (1 if ema else 0)
    element = 4 if precision == "fp32" else 2
    return 4 * params * copies + element * acts * batch * SAVED_PER_ACTIVATION


def device_memory(device) -> int:
    """Bytes of memory the device has: the GPU's, or the machine's RAM for the CPU."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # cannot tell: let the allocator decide


def check_fits(spec: NetSpec, device="cpu", batch: int = 1, training: bool = False,
               **kwargs) -> int:
    """The estimate in bytes, or ParamError when it is more than the device has."""
    need = estimate(spec, batch, training, **kwargs)
    have = device_memory(device)
    if need > have:
        cost = closed_form(spec)
        what = f"training at batch {batch}" if training else f"a forward pass at batch {batch}"
        raise ParamError(
            f"network {spec.name} at {spec.input_size} px needs about {need / GB:,.1f} GB for "
            f"{what} ({cost['params'] / 1e6:,.1f} M parameters, {cost['acts'] / 1e6:,.1f} M "
            f"activations per image), more than the {have / GB:,.1f} GB of {device}; use "
            "fewer or narrower stages, a smaller input or a smaller batch")
    return need
