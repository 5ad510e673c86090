"""Processes: this process's rank, the world size and its device, for one or many processes.

`torchrun --nproc_per_node=N -m regnet train ...` gives DDP over gloo (CPU) or NCCL (GPU).
DATA_BATCH_SIZE stays the global batch and each process takes its slice. BatchNorm
statistics stay per process, as in pycls (SyncBatchNorm has no CPU kernel), and are averaged
before every evaluation. Only rank 0 writes files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from ..errors import ParamError


@dataclass
class Processes:
    """This process's place in the run: rank, how many, its device."""
    rank: int
    world: int
    device: torch.device
    owns_group: bool = False  # we started the process group, so we end it

    def leave(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def join_processes(device_name: str) -> Processes:
    """Join the process group that torchrun describes (WORLD_SIZE > 1), or run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_name, local)
    if device.type == "cuda":  # streams, graph captures and new tensors land on this GPU
        torch.cuda.set_device(device)
    if world == 1:
        return Processes(0, 1, device)
    owns = not dist.is_initialized()
    if owns:
        # torch.distributed.nn.functional binds the default group into its functions' default
        # arguments when first imported, and DDP imports it (through torch._dynamo). Imported
        # after init, it keeps the group alive past destroy_process_group, so gloo's threads
        # outlive `leave`; one that frees a tensor while the interpreter shuts down aborts the
        # process (SIGABRT at exit, seen under load). Imported first, it binds no group.
        from torch.distributed.nn import functional  # noqa: F401  (not `import torch...`:
        # that would make `torch` a local name of this whole function)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Processes(dist.get_rank(), dist.get_world_size(), device, owns)


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    """DEVICE=auto picks this process's GPU when there is one, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        name = f"cuda:{local_rank}"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ParamError(f"DEVICE={name!r} is not a device; use auto, cpu, cuda or cuda:N") \
            from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ParamError(f"DEVICE={name} but no CUDA device is visible; use DEVICE=cpu or auto")
    return device


def all_sum(t: torch.Tensor, proc) -> torch.Tensor:
    """The sum over processes (the tensor itself when alone)."""
    if proc.world > 1:
        dist.all_reduce(t)
    return t


@torch.no_grad()
def average_buffers(models: list[nn.Module], proc) -> None:
    """Average BN running statistics across processes, so every process evaluates the same net."""
    if proc.world == 1:
        return
    for m in models:
        for b in m.buffers():
            if b.is_floating_point():
                dist.all_reduce(b)
                b /= proc.world

