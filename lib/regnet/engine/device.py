"""Fast by default: what PRECISION, CHANNELS_LAST, COMPILE and CUDA_GRAPHS=auto become here.

    resolve_auto(cfg.run, device, steps)  -> Choice(precision, channels_last, compile, cuda_graphs)

The rules, from figures measured on one H100 (torch 2.11, course 200MF, batch 512, 56 px):
fp32 NCHW 8.9k img/s, bf16 NCHW 8.3k, bf16 channels_last 22.2k, + torch.compile 26.5k, and a
hand-written loop with the step in CUDA graphs 31.3k.

- PRECISION: bf16 on CUDA GPUs of compute capability 8.0 or newer (A100, H100, RTX 30xx and
  later: bf16 tensor cores, no gradient scaler needed); fp16 with a gradient scaler on older
  ones (Colab's T4, V100); fp32 on the CPU, where autocast is slower than fp32 on most chips.
- CHANNELS_LAST: on CUDA (2.7x for 200MF in bf16 on the H100: cuDNN's grouped convolutions
  want NHWC); on a CPU where oneDNN runs the convolutions on x86 with AVX2 (what torch
  reports: torch.backends.mkldnn and torch.backends.cpu.get_cpu_capability()), where its
  blocked NHWC kernels beat NCHW (1.2-1.6x for the course networks, docs/performance.md);
  off on AVX-512 CPUs, where torch 2.14.1's oneDNN (its AVX-512 strided 1x1 kernel) crashes
  the process in the backward pass of some channels_last shapes (8 -> 16 channels at 56 px,
  stride 2) and 200MF trained no faster (98.9 against 95.8 img/s); off on other CPUs (ARM,
  or x86 without AVX2), where nothing here measured it.
- COMPILE: on CUDA when the run has at least COMPILE_MIN_STEPS training steps and the GPU
  runs Triton (compute capability 7.0+). Compiling 200MF took 13 s and saved 3.7 ms a step at
  batch 512 (22.2k -> 26.5k img/s), so it pays back after about 3,500 steps; 5,000 leaves a
  margin. The course profile (60 epochs x 250 steps = 15,000) compiles; a 5-epoch sweep model
  (1,250 steps) and anything on the CPU stay eager.
- CUDA_GRAPHS: on for every CUDA run of one process, compiled or not, except fp16, whose
  gradient scaler checks for inf on the host every step (graphs.py captures the whole step),
  and runs too short to replay the graph. Capturing an eager step costs well under a second
  (three warm-up steps it trains anyway, then one recording), so unlike COMPILE it pays back
  within a few steps; an eager step is the most launch-bound of all (a few hundred kernels,
  each launched from Python), so it gains the most.

An explicit value always wins; one this device cannot run (bf16 on a T4, CUDA graphs on the
CPU) is a ParamError of one line. COMPILE and CUDA_GRAPHS never change a result (they run the
same arithmetic); PRECISION and CHANNELS_LAST may, in the last bits.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import ParamError
from .distributed import pick_device
from .graphs import WARMUP_STEPS

COMPILE_MIN_STEPS = 5000
GRAPH_MIN_STEPS = WARMUP_STEPS + 1  # eager warm-up steps and the capture: then replays
BF16_CAPABILITY = (8, 0)  # Ampere: bf16 tensor cores
TRITON_CAPABILITY = (7, 0)  # torch.compile's GPU kernels (Triton) need Volta or newer


@dataclass(frozen=True)
class Choice:
    """The resolved speed settings of one run (compile is None for COMPILE=auto on a GPU
    before the run's length is known)."""
    precision: str
    channels_last: bool
    compile: bool | None
    cuda_graphs: bool

    def params(self) -> dict:
        """The resolved values under their parameter names (params.yaml's `resolved`)."""
        return {"PRECISION": self.precision, "CHANNELS_LAST": self.channels_last,
                "COMPILE": self.compile, "CUDA_GRAPHS": self.cuda_graphs}

    def describe(self) -> str:
        """`bf16, channels_last, compiled, CUDA graphs` or `fp32, NCHW, eager`, for people."""
        layout = "channels_last" if self.channels_last else "NCHW"
        if self.compile is None:
            how = f"compiled for runs of {COMPILE_MIN_STEPS:,}+ steps"
        else:
            how = "compiled" if self.compile else "eager"
        if self.cuda_graphs:
            how += ", CUDA graphs"
        return f"{self.precision}, {layout}, {how}"


def capability(device: torch.device) -> tuple[int, int] | None:
    """The CUDA compute capability of `device`, or None for a CPU (or any other kind)."""
    return tuple(torch.cuda.get_device_capability(device)) if device.type == "cuda" else None


def precision_for(asked: str, device: torch.device) -> str:
    """PRECISION as it runs on `device`: auto resolved, an impossible value refused."""
    cap = capability(device)
    if asked == "auto":
        if cap is None:
            return "fp32"
        return "bf16" if cap >= BF16_CAPABILITY else "fp16"
    if asked == "bf16" and cap is not None and cap < BF16_CAPABILITY:
        raise ParamError(f"PRECISION=bf16 needs a GPU of compute capability 8.0 or newer (A100, "
                         f"H100, RTX 30xx and later); {device} is {cap[0]}.{cap[1]}: use "
                         "PRECISION=auto (fp16 with a gradient scaler there) or fp32")
    return asked


def channels_last_for(asked, device: torch.device) -> bool:
    """CHANNELS_LAST as it runs on `device`: auto is on for CUDA and for oneDNN on AVX2 CPUs."""
    if asked != "auto":
        return bool(asked)
    return device.type == "cuda" or (device.type == "cpu" and onednn_nhwc())


# x86 vector units where oneDNN's NHWC kernels were measured faster and safe. Not AVX512:
# there torch 2.14.1's oneDNN segfaults in the backward of some strided 1x1 convolutions in
# channels_last (e.g. 8 -> 16 or 3 -> 16 channels at 56 px), docs/performance.md.
ONEDNN_CAPABILITIES = ("AVX2",)


def onednn_nhwc() -> bool:
    """Does this CPU run convolutions through oneDNN on x86 with AVX2 (not AVX-512)?"""
    return (torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
            and torch.backends.cpu.get_cpu_capability() in ONEDNN_CAPABILITIES)


def graphs_impossible(device: torch.device, precision: str, world: int) -> str | None:
    """Why the whole step cannot be one CUDA graph here, or None when it can."""
    if device.type != "cuda":
        return f"CUDA graphs need a CUDA device, and this run is on {device}"
    if precision == "fp16":
        return "fp16's gradient scaler checks for inf on the host every step"
    if world > 1:
        return "CUDA graphs are not supported with several processes (DDP) here"
    return None


def resolve_auto(run, device: torch.device, steps: int | None, world: int = 1) -> Choice:
    """What `run` (a RunConfig) asks for, resolved for `device`, `steps` training steps and
    `world` processes (see the module docstring); steps=None: not known yet."""
    precision = precision_for(run.precision, device)
    channels_last = channels_last_for(run.channels_last, device)
    cap = capability(device)
    if run.compile == "auto":
        if cap is None or cap < TRITON_CAPABILITY:
            compiled = False
        else:
            compiled = None if steps is None else steps >= COMPILE_MIN_STEPS
    else:
        compiled = bool(run.compile)
        if compiled and cap is not None and cap < TRITON_CAPABILITY:
            raise ParamError(f"COMPILE=1 needs a GPU of compute capability 7.0 or newer "
                             f"(Triton); {device} is {cap[0]}.{cap[1]}: use COMPILE=auto or 0")
    why_not = graphs_impossible(device, precision, world)
    if run.cuda_graphs == "auto":  # capture is cheap: no length rule beyond replaying once
        graphs = why_not is None and (steps is None or steps > GRAPH_MIN_STEPS)
    else:
        graphs = bool(run.cuda_graphs)
        if graphs and why_not:
            raise ParamError(f"CUDA_GRAPHS=1 cannot run: {why_not}; use CUDA_GRAPHS=auto or 0")
    return Choice(precision, channels_last, compiled, graphs)


def resolve_here(run) -> Choice:
    """What `run` (a RunConfig) resolves to on the device it names, before the run's length
    is known (COMPILE=auto on a GPU reads as its rule): what reports show; each run folder's
    params.yaml records what the run itself became."""
    return resolve_auto(run, pick_device(run.device), steps=None)


def check_resume_precision(ckpt: dict, asked: str, device: torch.device) -> None:
    """Refuse to continue a checkpoint in another precision than it was trained in."""
    before = (ckpt.get("resolved") or {}).get("PRECISION") or ckpt["params"]["PRECISION"]
    now = precision_for(asked, device)
    if before != now:
        raise ParamError(f"FILE_LOAD=1: last.pt was trained in {before} but PRECISION={asked} "
                         f"runs {now} on {device}; set PRECISION={before} to continue it, or "
                         "use another --out")


def compile_cache() -> Path:
    """Keep torch.compile's caches across runs: ~/.cache/regnet/inductor unless set.

    Inductor's FX graph cache (and the Triton kernels under it) then let a second run, or the
    next sweep model of the same shape, skip most of the compile. TORCHINDUCTOR_CACHE_DIR, when
    set, wins; the default otherwise is a temporary folder that a reboot empties.
    """
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "regnet" / \
        "inductor"
    folder = Path(os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(default)))
    if "TORCHINDUCTOR_FX_GRAPH_CACHE" not in os.environ:  # the user's own switch wins
        import torch._inductor.config as inductor  # here: a second of import, when compiling
        inductor.fx_graph_cache = True  # torch's default today; said here so that it stays on
    return folder


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that wall-clock time measures it (nothing on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class FirstCall:
    """`fn` that times its first call with the device synchronized: where torch.compile
    compiles (and cuDNN picks its kernels), reported apart as compile_seconds."""

    def __init__(self, fn, device: torch.device):
        self.fn, self.device, self.seconds = fn, device, None

    def __call__(self, *args):
        if self.seconds is not None:
            return self.fn(*args)
        synchronize(self.device)
        t0 = time.perf_counter()
        out = self.fn(*args)
        synchronize(self.device)
        self.seconds = time.perf_counter() - t0
        return out
