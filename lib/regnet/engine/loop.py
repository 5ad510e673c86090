"""Train one network: the loop, start to finish, in one file.

    train(cfg, out)   resolved parameters in, a summary dict out; `out` is the run folder
                         (runfolder.py says what it holds)

Each epoch: the learning rate from schedule.py (per epoch or per step), SGD or Adam(W) on the
label-smoothed cross entropy under autocast (fp32, bf16, or fp16 with a gradient scaler), an
optional EMA of the weights (ema.py; then the EMA is what gets evaluated), then test loss,
top-1 and top-5. PRECISION, CHANNELS_LAST, COMPILE and CUDA_GRAPHS=auto become the device's
fastest choice (device.py); with CUDA graphs the whole step is one replayed graph (graphs.py).
Compiled runs see static shapes: a smaller last test batch is padded (and counted once).
The first epoch's row reports compiling and capturing apart (compile_seconds,
capture_seconds). Batches come from the data layer and depend only on (SEED, epoch), and a
checkpoint (checkpoint.py) holds everything else that changes, so FILE_LOAD=1 continues a
run exactly where it stopped: on CPU the resumed run ends bit-identical. Several processes
run as distributed.py describes.
"""
from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
import torch.distributed as dist
from torch import nn

from .. import data, progress
from ..arch import memory, space
from ..arch.complexity import closed_form
from ..arch.model import build
from ..errors import ParamError
from ..params import Config, OptimConfig, check_all, total_epochs
from .checkpoint import checkpoint, restore
from .device import (Choice, FirstCall, check_resume_precision, compile_cache, precision_for,
                     resolve_auto, synchronize)
from .distributed import Processes, all_sum, average_buffers, join_processes
from .ema import Ema
from .graphs import GraphedStep, capturable, zero_momentum
from .runfolder import RunFolder, check_resume, check_run_folder, own_run_folder
from .schedule import step_rate

#: Each PRECISION (as resolved) and the dtype batches arrive in: autocast's.
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
CHECK_EVERY = 25  # steps between host syncs: the NaN check and the progress bar's loss


#: A cross-entropy loss past this has diverged, finite or not: chance level is ln(classes),
#: under 12 for any dataset here, and a training run's loss stays within a few times that.
LOSS_LIMIT = 1e4


class Diverged(RuntimeError):
    """The loss became NaN or infinite; the message names the epoch and step."""


def train(cfg: Config | Mapping[str, Any], out: str | Path | None = None, *, dataset=None,
          spec: space.NetSpec | None = None, progress: bool | None = None) -> dict:
    """Train for the schedule's epochs; write the run folder `out` when given; return a summary.

    `dataset` reuses a loaded `data.Dataset` (a sweep trains many models on one); `spec`
    replaces the REGNETX network; `progress` overrides PROGRESS.
    """
    cfg = check_all(cfg)
    out = Path(out) if out is not None else None
    if dataset is None and cfg.data.dataset == "synthetic":
        check_batch(cfg.optim.batch_size, cfg.data.synthetic_train, "synthetic")  # first
    proc = join_processes(cfg.run.device)
    held = None
    try:
        held = own_run_folder(out, proc)  # one process per run folder
        # mistakes surface before any long work: the folder, the checkpoint, its parameters,
        # an impossible PRECISION, CHANNELS_LAST or COMPILE for this device
        resume = check_run_folder(out, cfg, proc, spec)
        resolve_auto(cfg.run, proc.device, None, proc.world)
        if resume is not None:
            check_resume_precision(resume, cfg.run.precision, proc.device)
        ds = dataset if dataset is not None else data.load(cfg)
        check_batch(cfg.optim.batch_size, len(ds.train_y), ds.name)
        if spec is None:
            spec = space.named(cfg.model.regnetx, cfg.model).fitted(ds)
        if resume is not None:
            check_resume(resume, cfg, spec, out / "last.pt")
        show = (cfg.run.progress if progress is None else progress) and proc.rank == 0
        if show and dataset is None:
            print(ds.summary(), flush=True)  # the load summary, with any skipped images
        r, state = setup(cfg, ds, spec, proc, resume)
        return run(r, state, out, show)
    finally:
        if held is not None:
            held.release()
        proc.leave()


def check_batch(batch: int, train_images: int, name: str) -> None:
    """A global batch larger than the training set would make no step: one line, up front."""
    if batch > train_images:
        raise ParamError(f"DATA_BATCH_SIZE={batch} is larger than the {train_images} training "
                         f"images of {name}; use at most {train_images}")


@dataclass(frozen=True)
class Run:
    """One run as its epochs see it, built once by `setup`: what trains, what is judged,
    the step, the batches and the speed settings chosen."""
    cfg: Config
    spec: space.NetSpec
    ds: data.Dataset
    proc: Processes
    choice: Choice
    model: nn.Module  # the weights that train and are saved
    net: nn.Module  # what a step calls: the model, in DDP across processes, maybe compiled
    ema: Ema | None
    judged: nn.Module  # what is evaluated and kept as best: the EMA or the model, maybe compiled
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    step: Callable  # step(x, y) -> (loss, logits), both detached
    set_lr: Callable[[float], None]
    train_batches: data.Batches
    test_batches: data.Batches
    pad: int | None  # compiled evaluation pads the last test batch to this many images
    timer: FirstCall | None  # times the first (compiling) step
    graphed: GraphedStep | None
    warm: float  # seconds spent compiling evaluation before the first epoch


def setup(cfg: Config, ds, spec, proc: Processes, resume: dict | None) -> tuple[Run, dict]:
    """Build what a run's epochs use, and the state it starts from (a checkpoint's, when
    resuming). The order is fixed: the seed, then the weights, then everything else."""
    device, epochs = proc.device, total_epochs(cfg)
    first = resume["epoch"] if resume is not None else 0
    steps = (epochs - first) * (len(ds.train_y) // cfg.optim.batch_size)
    choice = resolve_auto(cfg.run, device, steps, proc.world)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
    torch.manual_seed(cfg.run.seed)
    memory.check_fits(spec, device, cfg.optim.batch_size // proc.world, training=True,
                      optimizer=cfg.optim.optimizer, ema=cfg.optim.ema > 0,
                      precision=choice.precision)  # before building: a huge net is one line
    memory_format = torch.channels_last if choice.channels_last else torch.contiguous_format
    model = build(spec).to(device, memory_format=memory_format)
    ema = Ema(model, cfg.optim.ema) if cfg.optim.ema > 0 else None
    optimizer = make_optimizer(model, cfg.optim, device)
    scaler = torch.amp.GradScaler(device.type, enabled=choice.precision == "fp16")
    state = {"epoch": 0, "best_acc": -math.inf, "history": []}
    if resume is not None:
        state = restore(resume, spec, model, optimizer, scaler, ema, device)
    net, judged = wrapped(model, ema, proc, choice)
    # Inputs arrive in the autocast dtype: half the bytes moved, and the first conv casts nothing.
    common = dict(device=device, seed=cfg.run.seed, dtype=DTYPES[choice.precision],
                  channels_last=choice.channels_last, rank=proc.rank, world_size=proc.world)
    train_batches = data.Batches(ds, "train", cfg.optim.batch_size, **common)
    test_batches = data.Batches(ds, "test", cfg.optim.batch_size, **common)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.optim.label_smoothing)
    step, set_lr, graphed = make_step(net, optimizer, scaler, loss_fn, choice, device)
    timer = FirstCall(step, device) if choice.compile else None
    pad = cfg.optim.batch_size // proc.world if choice.compile else None
    warm = warm_evaluation(judged, test_batches, choice.precision, device, pad) \
        if choice.compile else 0
    return Run(cfg, spec, ds, proc, choice, model, net, ema, judged, optimizer, scaler,
               timer or step, set_lr, train_batches, test_batches, pad, timer, graphed,
               warm), state


def wrapped(model: nn.Module, ema: Ema | None, proc: Processes,
            choice: Choice) -> tuple[nn.Module, nn.Module]:
    """What a step calls (the model, in DDP across processes) and what is evaluated (the EMA
    or the model), each compiled when COMPILE resolved on."""
    net = model
    if proc.world > 1:  # each process keeps its own BN statistics; averaged before evaluation
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[proc.device.index] if proc.device.type == "cuda" else None,
            broadcast_buffers=False)
    judged = ema.module if ema else model  # the weights that are evaluated and kept as best
    if not choice.compile:
        return net, judged
    compile_cache()  # static shapes: training batches are whole, test batches padded
    return torch.compile(net, dynamic=False), torch.compile(judged, dynamic=False)


def make_step(net, optimizer, scaler, loss_fn, choice: Choice, device: torch.device):
    """`step(x, y) -> (loss, logits)`, `set_lr(rate)`, and the CUDA graph when the whole
    step is one (then the rate is a device tensor that the captured update reads)."""
    if choice.cuda_graphs:
        graphed = GraphedStep(net, optimizer, loss_fn, choice.precision, device)
        return graphed, capturable(optimizer, device).fill_, graphed
    autocast = autocast_for(choice.precision, device)

    def set_lr(lr):
        for group in optimizer.param_groups:
            group["lr"] = lr

    def step(x, y):
        return train_step(net, x, y, optimizer, scaler, loss_fn, autocast)
    return step, set_lr, None


def run(r: Run, state: dict, out: Path | None, show: bool) -> dict:
    """Epoch after epoch from `state`: train, evaluate, keep the row and the checkpoints."""
    epochs, first = total_epochs(r.cfg), state["epoch"]
    folder = RunFolder(out, r.cfg, r.spec, r.ds, r.proc, r.choice) \
        if out is not None and r.proc.rank == 0 else None
    if folder:
        folder.check_free_disk(r.model, r.ema)
        with folder.full_disk_guard():
            folder.start(state["history"])
    started = time.perf_counter()
    for epoch in range(state["epoch"], epochs):
        row = epoch_row(r, epoch, show)
        if epoch == first:
            row.update(startup_seconds(r.timer, r.warm, r.graphed))
        state["history"].append(row)
        state["epoch"] = epoch + 1
        best = row["test_acc"] > state["best_acc"]
        if best:
            state["best_acc"] = row["test_acc"]
        if folder:
            with folder.full_disk_guard():
                if r.cfg.run.file_save:
                    folder.save(checkpoint(state, r.cfg, r.spec, r.model, r.optimizer,
                                           r.scaler, r.ema, r.choice.params()), best)
                folder.append(row)
        if show:
            print(epoch_line(row, epochs), flush=True)
        if r.proc.rank == 0:
            progress.note(epoch_line(row, epochs))
    return summarize(state["history"], r.spec, time.perf_counter() - started, out,
                     r.choice.params())


def epoch_row(r: Run, epoch: int, show: bool) -> dict:
    """Train one epoch, then evaluate: the epoch's row of metrics.jsonl."""
    t0 = time.perf_counter()
    row = train_epoch(r, epoch, show)
    train_seconds = time.perf_counter() - t0
    average_buffers([r.model] + ([r.ema.module] if r.ema else []), r.proc)
    row.update(evaluate(r.judged, r.test_batches, r.choice.precision, r.proc, r.pad))
    check_finite_test(row["test_loss"], epoch)
    row.update(epoch_seconds=time.perf_counter() - t0, train_seconds=train_seconds,
               images_per_second=row.pop("images") / train_seconds,
               load_avg=load_average())  # was the machine busy? timings compare only if not
    return row


def train_epoch(r: Run, epoch: int, show: bool) -> dict:
    """One pass over the training set, `r.set_lr(rate)` before each `r.step(x, y)`; returns
    lr, train_loss, train_acc and images seen."""
    r.net.train()
    batches, proc = r.train_batches, r.proc
    batches.set_epoch(epoch)
    steps = len(batches)
    losses = torch.zeros(steps, device=proc.device)  # on the device: no per-step host sync
    correct = torch.zeros((), dtype=torch.long, device=proc.device)
    images = 0
    bar = progress_bar(batches, steps, f"epoch {epoch + 1}", show)
    for step, (x, y) in enumerate(bar):
        r.set_lr(step_rate(r.cfg.schedule, epoch, step, steps))
        loss, logits = r.step(x, y)
        if r.ema:
            r.ema.update(r.model)
        losses[step] = loss.detach()
        correct += (logits.argmax(1) == y).sum()
        images += len(y)
        if (step + 1) % CHECK_EVERY == 0 or step + 1 == steps:
            check_finite(losses, step + 1, epoch, steps, proc)
            if show:
                bar.set_postfix(loss=f"{losses[step].item():.3f}")
    totals = all_sum(torch.stack([losses.sum(), correct.double(), torch.tensor(
        float(images), dtype=torch.float64, device=proc.device)]).double(), proc)
    loss_sum, correct_sum, seen = totals.tolist()
    return {"epoch": epoch + 1, "lr": step_rate(r.cfg.schedule, epoch, 0, steps),
            "train_loss": loss_sum / (steps * proc.world),
            "train_acc": 100.0 * correct_sum / seen, "images": seen}


def train_step(net, x, y, optimizer, scaler, loss_fn, autocast):
    """Forward, backward and update on one batch; returns the loss and the logits."""
    with autocast:
        logits = net(x)
        loss = loss_fn(logits, y)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach(), logits.detach()  # nothing keeps this step's autograd graph alive


def check_finite(losses: torch.Tensor, done: int, epoch: int, steps: int, proc) -> None:
    """Raise Diverged at the first loss so far that is not finite or is past LOSS_LIMIT
    (agreed by every process)."""
    bad = (~(losses[:done].abs() <= LOSS_LIMIT)).nonzero()  # NaN compares false: bad too
    first = torch.tensor([bad[0, 0].item() if len(bad) else steps], device=losses.device)
    if proc.world > 1:  # every process must stop at the same step, or the others wait forever
        dist.all_reduce(first, op=dist.ReduceOp.MIN)
    step = int(first.item())
    if step < steps:
        value = losses[step].item()
        what = (f"{value}" if not math.isfinite(value) else
                f"{value:.3g}, past {LOSS_LIMIT:g}" if abs(value) > LOSS_LIMIT else
                "bad on another process")
        kept = (f"last.pt, if saved, still holds epoch {epoch}" if epoch else
                "no epoch had finished, so there is no checkpoint")
        raise Diverged(f"loss is {what} at epoch {epoch + 1} step {step + 1} of {steps}; "
                       f"stopped ({kept}); try a lower TRAINING_LR_MAX")


def check_finite_test(loss: float, epoch: int) -> None:
    """A test loss that is not finite is divergence too: the weights hold NaN or inf."""
    if not math.isfinite(loss):
        kept = f"last.pt, if saved, still holds epoch {epoch}" if epoch else "no checkpoint"
        raise Diverged(f"test loss is {loss} after epoch {epoch + 1}; stopped ({kept}); try a "
                       "lower TRAINING_LR_MAX")


@torch.no_grad()
def warm_evaluation(net, batches, precision: str, device, pad: int | None = None) -> float:
    """Compile the evaluation graph on one test batch before training; its seconds.

    It changes nothing a run computes: evaluation mode updates no statistics, and test
    batches draw no random numbers.
    """
    net.eval()
    x, _ = next(iter(batches))
    synchronize(device)
    t0 = time.perf_counter()
    with autocast_for(precision, device):
        net(padded(x, pad))
    synchronize(device)
    return time.perf_counter() - t0


def startup_seconds(timer, warm: float, graphed) -> dict:
    """The first epoch's one-off costs: compiling (first step and evaluation) and capturing."""
    out = {}
    if timer is not None and timer.seconds is not None:
        out["compile_seconds"] = timer.seconds + warm
    if graphed is not None and graphed.capture_seconds is not None:
        out["capture_seconds"] = graphed.capture_seconds
    return out


@torch.no_grad()
def evaluate(net, batches, precision: str, proc, pad: int | None = None,
             hits: list | None = None) -> dict:
    """Test loss (plain cross entropy), top-1 and top-5 accuracy in percent.

    With `pad`, a smaller last batch is padded to `pad` images and only its own rows are
    counted: a compiled network sees one shape and never recompiles for it. Given a list
    `hits`, each batch appends whether each of its images was right (top-1, on the CPU), in
    the order the batches come: what a paired comparison of two evaluations needs.
    """
    net.eval()
    device = proc.device
    sums = torch.zeros(4, dtype=torch.float64, device=device)  # loss, top-1, top-5, images
    with autocast_for(precision, device):
        for x, y in batches:
            logits = net(padded(x, pad))[:len(y)].float()
            k = min(5, logits.shape[1])
            top = logits.topk(k, dim=1).indices == y[:, None]
            sums += torch.stack([
                nn.functional.cross_entropy(logits, y, reduction="sum").double(),
                top[:, 0].sum().double(), top.any(1).sum().double(),
                torch.tensor(float(len(y)), dtype=torch.float64, device=device)])
            if hits is not None:
                hits.append(top[:, 0].cpu())
    loss, top1, top5, seen = all_sum(sums, proc).tolist()
    return {"test_loss": loss / seen, "test_acc": 100.0 * top1 / seen,
            "test_top5": 100.0 * top5 / seen}


def padded(x: torch.Tensor, size: int | None) -> torch.Tensor:
    """`x` with zero images appended up to `size`, with the strides of a whole batch in its
    layout (evaluation mode computes every image on its own, so the padding changes no real
    image's output)."""
    if size is None or len(x) >= size:
        return x
    nhwc = x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(
        memory_format=torch.channels_last)
    out = x.new_zeros((size, *x.shape[1:])).contiguous(
        memory_format=torch.channels_last if nhwc else torch.contiguous_format)
    out[:len(x)] = x
    return out


def load_average() -> float | None:
    """The 1-minute load average of the machine (None where the system has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def autocast_for(precision: str, device: torch.device):
    """Autocast to bf16 or fp16, or nothing for fp32 (auto: the device's choice)."""
    precision = precision_for(precision, device)
    if precision == "fp32":
        return nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)


def progress_bar(batches, steps: int, desc: str, show: bool):
    """A tqdm bar over the batches that disappears when the epoch ends, or the batches."""
    if not show:
        return batches
    return progress.bar(batches, total=steps, desc=desc, leave=False, dynamic_ncols=True)


def epoch_line(row: dict, epochs: int) -> str:
    """One line per epoch for people watching."""
    return (f"epoch {row['epoch']:>3}/{epochs}  lr {row['lr']:.4g}  "
            f"train {row['train_loss']:.3f} {row['train_acc']:5.1f}%  "
            f"test {row['test_loss']:.3f} {row['test_acc']:5.1f}% top5 {row['test_top5']:5.1f}%  "
            f"{row['epoch_seconds']:.1f} s  {row['images_per_second']:,.0f} img/s"
            + "".join(f"  ({what} {row[key]:.1f} s)" for key, what in (
                ("compile_seconds", "compile"), ("capture_seconds", "capture")) if key in row))


# --- optimizer and EMA -------------------------------------------------------------------

def make_optimizer(model: nn.Module, optim: OptimConfig, device: torch.device,
                   fused: bool | None = None):
    """SGD (momentum, Nesterov) or Adam/AdamW; norms and biases skip weight decay by default.

    The update is fused (one kernel for all tensors) on CUDA, or where `fused` says so.
    """
    everything = optim.wd_norm_bias
    decayed = [p for p in model.parameters() if p.ndim > 1 or everything]
    rest = [p for p in model.parameters() if not (p.ndim > 1 or everything)]
    groups = [{"params": decayed, "weight_decay": optim.weight_decay}]
    if rest:
        groups.append({"params": rest, "weight_decay": 0.0})
    if fused is None:
        fused = device.type == "cuda"
    if optim.optimizer == "sgd":
        sgd = torch.optim.SGD(groups, lr=0.0, momentum=optim.momentum, fused=fused or None,
                              nesterov=optim.nesterov and optim.momentum > 0)
        if fused:
            zero_momentum(sgd)
        return sgd
    adam = torch.optim.AdamW if optim.optimizer == "adamw" else torch.optim.Adam
    return adam(groups, lr=0.0, fused=fused or None)


def summarize(history: list[dict], spec, seconds: float, out, resolved=None) -> dict:
    """The run in one dict: final and best accuracy, cost, speed, and every epoch's row."""
    if not history:  # a zero-epoch run: everything was checked and set up, nothing trained
        cost = closed_form(spec)
        return {"name": spec.name, "epochs": 0, "params": cost["params"],
                "macs": cost["macs"], "seconds": seconds,
                "out": str(out) if out is not None else None, "history": []}
    final = history[-1]
    best = max(history, key=lambda r: r["test_acc"])
    steady = history[1:] or history  # the first epoch also pays for warm-up and compilation
    cost = closed_form(spec)
    return {
        "name": spec.name, "epochs": final["epoch"],
        "test_acc": final["test_acc"], "test_top5": final["test_top5"],
        "test_loss": final["test_loss"], "train_loss": final["train_loss"],
        "train_acc": final["train_acc"],
        "best_test_acc": best["test_acc"], "best_test_top5": best["test_top5"],
        "best_epoch": best["epoch"],
        "params": cost["params"], "macs": cost["macs"], "seconds": seconds,
        "images_per_second": sum(r["images_per_second"] for r in steady) / len(steady),
        **{key: sum(r.get(key, 0.0) for r in history) for key in ("compile_seconds",
           "capture_seconds") if any(key in r for r in history)},
        **({"resolved": resolved} if resolved is not None else {}),
        "out": str(out) if out is not None else None, "history": history,
    }


