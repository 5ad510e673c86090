"""The whole training step as one CUDA graph (CUDA_GRAPHS): forward, backward, optimizer.

Launching a step's few hundred kernels one by one costs the host about 3 ms a step for course
200MF on an H100, even compiled (26.3k img/s wall clock for 16.3 ms of GPU work); replaying a
captured graph is one launch (31.3k img/s measured). What capture needs, and where it comes from:

- fixed shapes and addresses: each batch is copied into static buffers before the replay
  (training batches all have one shape: the last partial batch is dropped);
- a learning rate the graph reads from device memory: `capturable()` gives the optimizer one
  lr tensor that the loop fills before every step, with no host sync and no re-capture, and
  makes the update fused (one kernel over all tensors, inside the graph);
- nothing that waits for the host: fp16's gradient scaler and DDP are refused by
  device.resolve_auto, and autocast's weight cache is off (torch.cuda.graphs requires it);
- warm-up before capture: the first WARMUP_STEPS steps run eagerly on a side stream, so cuDNN
  picks its algorithms, torch.compile compiles and the optimizer makes its momentum buffers.

Every call is one real training step, warm-up and capture included: a graphed run trains on
the same batches, in the same order, as an eager one. Only the training step is graphed;
evaluation runs as it would without graphs (compiled when COMPILE is on).
"""
from __future__ import annotations

import sys
import time
from contextlib import nullcontext

import torch

WARMUP_STEPS = 3


def capturable(optimizer: torch.optim.Optimizer, device: torch.device) -> torch.Tensor:
    """Make `optimizer` safe to capture; return the one lr tensor its groups now read.

    Call it after any checkpoint is restored: load_state_dict brings back the saved groups'
    plain-number lr and flags, which a graph would bake in as constants.
    """
    lr = torch.zeros((), dtype=torch.float32, device=device)
    for group in optimizer.param_groups:
        group["lr"] = lr
        group["fused"], group["foreach"] = True, None  # one kernel, no host-side lr arithmetic
        if "capturable" in group:  # Adam(W): the step count lives on the device
            group["capturable"] = True
    for state in optimizer.state.values():
        if torch.is_tensor(state.get("step")) and state["step"].device != device:
            state["step"] = state["step"].to(device, torch.float32)
    zero_momentum(optimizer)  # fused now: its first step must not read uninitialised buffers
    return lr


def zero_momentum(optimizer: torch.optim.Optimizer) -> None:
    """Give every SGD parameter without one a momentum buffer of zeros.

    Fused SGD makes its buffers with `torch.empty_like` before its kernel looks at the gradient
    scaler's found_inf: a first step skipped for an overflow (fp16) leaves them uninitialised,
    and the next step reads them as momentum. Zeros give the stock first step exactly
    (momentum * 0 + grad = grad), in the same single kernel. A restored checkpoint's buffers,
    and parameters without momentum, are left alone.
    """
    for group in optimizer.param_groups:
        if not group.get("momentum"):
            continue
        for p in group["params"]:
            state = optimizer.state[p]
            if state.get("momentum_buffer") is None:
                state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)


class GraphedStep:
    """`step(x, y) -> (loss, logits)`: eager warm-up steps, then one captured graph replayed."""

    def __init__(self, net, optimizer, loss_fn, precision: str, device: torch.device,
                 warmup: int = WARMUP_STEPS, fallback: bool = True):
        self.net, self.optimizer, self.loss_fn = net, optimizer, loss_fn
        self.dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        self.device, self.warmup, self.fallback = device, warmup, fallback
        self.calls = 0
        self.side = None  # the warm-up stream, made on first use
        self.replay = None  # set by the capture
        self.failed = None  # why the capture failed, when it fell back to eager steps
        self.capture_seconds = None
        self.x = self.y = self.loss = self.logits = None

    def __call__(self, x: torch.Tensor, y: torch.Tensor):
        if self.failed:
            return self._body(x, y)
        if self.replay is None and self.calls < self.warmup:
            self.calls += 1
            return self._on_side_stream(lambda: self._body(x, y))
        if self.replay is None:
            self._capture(x, y)
            if self.failed:
                return self._body(x, y)
        self.x.copy_(x, non_blocking=True)
        self.y.copy_(y, non_blocking=True)
        self.replay()
        return self.loss, self.logits

    def _body(self, x, y):
        """One training step; the same code runs eagerly and under capture."""
        # set_to_none: under capture, backward then writes fresh gradient buffers (no zeroing
        # kernel, no accumulation), and every replay rewrites the same ones
        self.optimizer.zero_grad(set_to_none=True)
        autocast = nullcontext() if self.dtype is None else \
            torch.autocast(self.device.type, dtype=self.dtype, cache_enabled=False)
        with autocast:
            logits = self.net(x)
            loss = self.loss_fn(logits, y)
        loss.backward()
        self.optimizer.step()
        # detached: the caller keeps them, and attached they would keep this step's autograd
        # graph alive into the next call (and into the capture)
        return loss.detach(), logits.detach()

    def _capture(self, x, y) -> None:
        """Record the step on static copies of this batch; on failure, warn and stay eager."""
        t0 = time.perf_counter()
        self.x, self.y = x.clone(), y.clone()  # clone keeps channels_last
        try:
            self.replay = self._record(self._static_body)
        except RuntimeError as e:
            if not self.fallback:
                raise
            self.failed = real_cause(e)
            self.optimizer.zero_grad(set_to_none=True)
            self.loss = self.logits = None
            print(f"regnet: CUDA graph capture failed ({self.failed}); training continues "
                  "without CUDA graphs (CUDA_GRAPHS=0 skips the attempt)", file=sys.stderr)
            return
        self.capture_seconds = time.perf_counter() - t0

    def _static_body(self) -> None:
        self.loss, self.logits = self._body(self.x, self.y)

    # --- the two places that talk to CUDA (a test replaces them to run the logic on a CPU) ---

    def _on_side_stream(self, fn):
        """Run `fn` on a side stream, as torch.cuda.graphs asks of warm-up iterations."""
        side = self.side = self.side or torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            out = fn()
        torch.cuda.current_stream(self.device).wait_stream(side)
        return out

    def _record(self, fn):
        """Capture `fn` into a CUDA graph; return the function that replays it."""
        torch.cuda.synchronize(self.device)
        graph = torch.cuda.CUDAGraph()
        stream = torch.cuda.current_stream(self.device)
        try:
            with torch.cuda.graph(graph):
                fn()
        except BaseException:
            # torch.cuda.graph's __exit__ ends the capture before it restores the stream: when
            # capture_end raises, this thread would stay on the capture's side stream
            torch.cuda.set_stream(stream)
            raise
        torch.cuda.synchronize(self.device)
        return graph.replay


def real_cause(error: BaseException) -> str:
    """The first line of what went wrong first: a failed capture raises "operation failed due
    to a previous error during capture" from torch.cuda.graph's __exit__, and the error that
    broke the capture is that one's __context__."""
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__context__
    first = seen[-1]
    text = str(first).strip()
    return text.splitlines()[0] if text else type(first).__name__
