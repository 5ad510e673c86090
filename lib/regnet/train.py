"""Train one network: the loop, checkpoints, metrics and resume.

    train(values, out)   resolved parameters in, a summary dict out; `out` is the run folder:
        metrics.jsonl    one JSON object per epoch (epoch counts from 1)
        params.yaml      {params: resolved values, network: the spec, provenance: commit, date, ...}
        last.pt, best.pt checkpoints, each written to a temporary file and renamed into place

Each epoch: the learning rate from schedule.py (per epoch or per step), SGD or Adam(W) on the
label-smoothed cross entropy under autocast (fp32, bf16, or fp16 with a gradient scaler), an
optional EMA of the weights (then the EMA is what gets evaluated), then test loss, top-1 and
top-5. Batches come from data.py and depend only on (SEED, epoch), and a checkpoint holds
everything else that changes (weights, optimizer, scaler, EMA, RNG, history), so FILE_LOAD=1
continues a run exactly where it stopped: on CPU the resumed run ends bit-identical.

Several processes (`torchrun --nproc_per_node=N -m regnet train ...`): DDP over gloo (CPU) or
NCCL (GPU). DATA_BATCH_SIZE stays the global batch and each process takes its slice. BatchNorm
statistics stay per process, as in pycls (SyncBatchNorm has no CPU kernel); the running
statistics are averaged across processes before every evaluation. Only rank 0 writes files.
"""
from __future__ import annotations

import copy
import datetime
import json
import math
import os
import platform
import shutil
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.distributed as dist
import yaml
from torch import nn

from . import data, space
from .complexity import closed_form
from .model import RegNet, build
from .params import ParamError, check_all, defaults, total_epochs
from .provenance import describe_device, git_state
from .schedule import step_rate

CHECK_EVERY = 25  # steps between host syncs: the NaN check and the progress bar's loss
# Parameters that change how a run is watched or where it runs, not what it computes.
NOT_IDENTITY = {"PROGRESS", "FILE_LOAD", "FILE_SAVE", "DEVICE", "DATA_DIR", "COMPILE"}


class Diverged(RuntimeError):
    """The loss became NaN or infinite; the message names the epoch and step."""


def train(values: Mapping[str, Any], out: str | Path | None = None, *, dataset=None,
          spec: space.NetSpec | None = None, progress: bool | None = None) -> dict:
    """Train for the schedule's epochs; write the run folder `out` when given; return a summary.

    `dataset` reuses a loaded `data.Dataset` (a sweep trains many models on one); `spec`
    replaces the REGNETX network; `progress` overrides PROGRESS.
    """
    values = check_all(values)
    out = Path(out) if out is not None else None
    proc = join_processes(values["DEVICE"])
    try:
        resume = check_run_folder(out, values, proc)  # mistakes surface before any long work
        ds = dataset if dataset is not None else data.load(values)
        if spec is None:
            spec = space.named(values["REGNETX"], values, input_size=ds.crop,
                               num_classes=ds.num_classes, in_channels=ds.channels)
        show = (values["PROGRESS"] if progress is None else progress) and proc.rank == 0
        return run(values, out, ds, spec, proc, resume, show)
    finally:
        proc.leave()


def run(values, out, ds, spec, proc, resume, show) -> dict:
    """The body of `train`: build, maybe restore, then epoch after epoch."""
    device, precision = proc.device, values["PRECISION"]
    memory_format = torch.channels_last if values["CHANNELS_LAST"] else torch.contiguous_format
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
    torch.manual_seed(values["SEED"])
    model = build(spec).to(device, memory_format=memory_format)
    ema = Ema(model, values["TRAINING_EMA"]) if values["TRAINING_EMA"] > 0 else None
    optimizer = make_optimizer(model, values, device)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    state = {"epoch": 0, "best_acc": -math.inf, "history": []}
    if resume is not None:
        state = restore(resume, spec, model, optimizer, scaler, ema, device)

    net = model
    if proc.world > 1:  # each process keeps its own BN statistics; averaged before evaluation
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None,
            broadcast_buffers=False)
    judged = ema.module if ema else model  # the weights that are evaluated and kept as best
    if values["COMPILE"]:
        net, judged_net = torch.compile(net), torch.compile(judged)
    else:
        judged_net = judged

    # Inputs arrive in the autocast dtype: half the bytes moved, and the first conv casts nothing.
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    common = dict(device=device, seed=values["SEED"], dtype=dtype,
                  channels_last=values["CHANNELS_LAST"], rank=proc.rank, world_size=proc.world)
    train_batches = data.Batches(ds, "train", values["DATA_BATCH_SIZE"], **common)
    test_batches = data.Batches(ds, "test", values["DATA_BATCH_SIZE"], **common)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=values["TRAINING_LABEL_SMOOTHING"])

    folder = RunFolder(out, values, spec, ds, proc) if out is not None and proc.rank == 0 else None
    if folder:
        folder.start(state["history"])
    epochs = total_epochs(values)
    started = time.perf_counter()
    for epoch in range(state["epoch"], epochs):
        t0 = time.perf_counter()
        row = train_epoch(net, model, ema, train_batches, optimizer, scaler, loss_fn, values,
                          epoch, proc, show)
        train_seconds = time.perf_counter() - t0
        average_buffers([model] + ([ema.module] if ema else []), proc)
        row.update(evaluate(judged_net, test_batches, precision, proc))
        row.update(epoch_seconds=time.perf_counter() - t0, train_seconds=train_seconds,
                   images_per_second=row.pop("images") / train_seconds)
        state["history"].append(row)
        state["epoch"] = epoch + 1
        best = row["test_acc"] > state["best_acc"]
        if best:
            state["best_acc"] = row["test_acc"]
        if folder:
            if values["FILE_SAVE"]:
                folder.save(checkpoint(state, values, spec, model, optimizer, scaler, ema), best)
            folder.append(row)
        if show:
            print(epoch_line(row, epochs), flush=True)
    return summarize(state["history"], spec, time.perf_counter() - started, out)


# --- one epoch ---------------------------------------------------------------------------

def train_epoch(net, model, ema, batches, optimizer, scaler, loss_fn, values, epoch, proc,
                show) -> dict:
    """One pass over the training set; returns lr, train_loss, train_acc and images seen."""
    net.train()
    batches.set_epoch(epoch)
    steps = len(batches)
    device = proc.device
    losses = torch.zeros(steps, device=device)  # kept on the device: no per-step host sync
    correct = torch.zeros((), dtype=torch.long, device=device)
    images = 0
    autocast = autocast_for(values["PRECISION"], device)
    bar = progress_bar(batches, steps, f"epoch {epoch + 1}", show)
    first_lr = step_rate(values, epoch, 0, steps)
    for step, (x, y) in enumerate(bar):
        for group in optimizer.param_groups:
            group["lr"] = step_rate(values, epoch, step, steps)
        loss, logits = train_step(net, x, y, optimizer, scaler, loss_fn, autocast)
        if ema:
            ema.update(model)
        losses[step] = loss.detach()
        correct += (logits.argmax(1) == y).sum()
        images += len(y)
        if (step + 1) % CHECK_EVERY == 0 or step + 1 == steps:
            check_finite(losses, step + 1, epoch, steps, proc)
            if show:
                bar.set_postfix(loss=f"{losses[step].item():.3f}")
    totals = all_sum(torch.stack([losses.sum(), correct.double(), torch.tensor(
        float(images), dtype=torch.float64, device=device)]).double(), proc)
    loss_sum, correct_sum, seen = totals.tolist()
    return {"epoch": epoch + 1, "lr": first_lr, "train_loss": loss_sum / (steps * proc.world),
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
    return loss, logits


def check_finite(losses: torch.Tensor, done: int, epoch: int, steps: int, proc) -> None:
    """Raise Diverged at the first non-finite loss so far (agreed by every process)."""
    bad = (~torch.isfinite(losses[:done])).nonzero()
    first = torch.tensor([bad[0, 0].item() if len(bad) else steps], device=losses.device)
    if proc.world > 1:  # every process must stop at the same step, or the others wait forever
        dist.all_reduce(first, op=dist.ReduceOp.MIN)
    step = int(first.item())
    if step < steps:
        value = losses[step].item()  # finite here when another process saw the bad loss
        kept = (f"last.pt, if saved, still holds epoch {epoch}" if epoch else
                "no epoch had finished, so there is no checkpoint")
        raise Diverged(f"loss is {value if not math.isfinite(value) else 'not finite'} at "
                       f"epoch {epoch + 1} step {step + 1} of {steps}; stopped ({kept}); "
                       "try a lower TRAINING_LR_MAX")


@torch.no_grad()
def evaluate(net, batches, precision: str, proc) -> dict:
    """Test loss (plain cross entropy), top-1 and top-5 accuracy in percent."""
    net.eval()
    device = proc.device
    sums = torch.zeros(4, dtype=torch.float64, device=device)  # loss, top-1, top-5, images
    with autocast_for(precision, device):
        for x, y in batches:
            logits = net(x).float()
            k = min(5, logits.shape[1])
            hits = logits.topk(k, dim=1).indices == y[:, None]
            sums += torch.stack([
                nn.functional.cross_entropy(logits, y, reduction="sum").double(),
                hits[:, 0].sum().double(), hits.any(1).sum().double(),
                torch.tensor(float(len(y)), dtype=torch.float64, device=device)])
    loss, top1, top5, seen = all_sum(sums, proc).tolist()
    return {"test_loss": loss / seen, "test_acc": 100.0 * top1 / seen,
            "test_top5": 100.0 * top5 / seen}


def autocast_for(precision: str, device: torch.device):
    """Autocast to bf16 or fp16, or nothing for fp32."""
    if precision == "fp32":
        return nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)


def progress_bar(batches, steps: int, desc: str, show: bool):
    """A tqdm bar over the batches that disappears when the epoch ends, or the batches."""
    if not show:
        return batches
    from tqdm.auto import tqdm
    return tqdm(batches, total=steps, desc=desc, leave=False, dynamic_ncols=True)


def epoch_line(row: dict, epochs: int) -> str:
    """One line per epoch for people watching."""
    return (f"epoch {row['epoch']:>3}/{epochs}  lr {row['lr']:.4g}  "
            f"train {row['train_loss']:.3f} {row['train_acc']:5.1f}%  "
            f"test {row['test_loss']:.3f} {row['test_acc']:5.1f}% top5 {row['test_top5']:5.1f}%  "
            f"{row['epoch_seconds']:.1f} s  {row['images_per_second']:,.0f} img/s")


# --- optimizer and EMA -------------------------------------------------------------------

def make_optimizer(model: nn.Module, values: Mapping[str, Any], device: torch.device):
    """SGD (momentum, Nesterov) or Adam/AdamW; norms and biases skip weight decay by default."""
    everything = values["TRAINING_WD_NORM_BIAS"]
    decayed = [p for p in model.parameters() if p.ndim > 1 or everything]
    rest = [p for p in model.parameters() if not (p.ndim > 1 or everything)]
    groups = [{"params": decayed, "weight_decay": values["TRAINING_WEIGHT_DECAY"]}]
    if rest:
        groups.append({"params": rest, "weight_decay": 0.0})
    fused = True if device.type == "cuda" else None  # one kernel for the whole update
    kind = values["TRAINING_OPTIMIZER"]
    if kind == "sgd":
        momentum = values["TRAINING_MOMENTUM"]
        return torch.optim.SGD(groups, lr=0.0, momentum=momentum, fused=fused,
                               nesterov=values["TRAINING_NESTEROV"] and momentum > 0)
    adam = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
    return adam(groups, lr=0.0, fused=fused)


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


# --- checkpoints -------------------------------------------------------------------------

def checkpoint(state, values, spec, model, optimizer, scaler, ema) -> dict:
    """Everything a resumed run needs, as tensors and plain containers (weights_only loads)."""
    return {
        "epoch": state["epoch"], "best_acc": state["best_acc"], "history": state["history"],
        "model": model.state_dict(), "ema": ema.state_dict() if ema else None,
        "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
        "rng": {"cpu": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []},
        "params": dict(values), "spec": spec_to_dict(spec),
    }


def restore(ckpt: dict, spec, model, optimizer, scaler, ema, device) -> dict:
    """Load a checkpoint into the run's objects; return its epoch, best accuracy and history."""
    if ckpt["spec"] != spec_to_dict(spec):
        raise ParamError(f"FILE_LOAD=1: last.pt holds network {ckpt['spec']['name']!r} with "
                         "other stages than this run's; use the same REGNETX and MODEL_* "
                         "values, or another --out")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    scaler.load_state_dict(ckpt["scaler"])
    if ema is not None and ckpt["ema"] is not None:
        ema.load_state_dict(ckpt["ema"])
    elif ema is not None:  # EMA switched on mid-run: start it from the current weights
        ema.load_state_dict(ckpt["model"])
    torch.set_rng_state(ckpt["rng"]["cpu"])
    if device.type == "cuda" and ckpt["rng"]["cuda"]:
        torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])
    return {"epoch": ckpt["epoch"], "best_acc": ckpt["best_acc"],
            "history": list(ckpt["history"])}


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint safely (tensors and plain containers only, never code)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a truncated or foreign file: say which, and what to do
        raise ParamError(f"{path} is not a readable checkpoint ({type(e).__name__}); delete "
                         "it or run without FILE_LOAD") from None


def save_atomic(obj, path: Path) -> None:
    """torch.save to a temporary file, then rename: a kill never leaves half a checkpoint."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def copy_atomic(src: Path, dst: Path) -> None:
    """Copy a file under a temporary name, then rename it into place."""
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def spec_to_dict(spec: space.NetSpec) -> dict:
    """A spec as plain containers (for checkpoints and params.yaml)."""
    d = asdict(spec)
    d["stages"] = [dict(s) for s in d["stages"]]
    d["params"] = dict(d["params"])
    return d


def spec_from_dict(d: Mapping[str, Any]) -> space.NetSpec:
    """The inverse of spec_to_dict."""
    stages = tuple(space.StageSpec(**s) for s in d["stages"])
    return space.NetSpec(**{**d, "stages": stages})


def load_model(path: str | Path, device: str = "cpu", ema: bool = True) -> RegNet:
    """The network of a checkpoint, in eval mode (its EMA weights when it has them)."""
    ckpt = load_checkpoint(path)
    model = build(spec_from_dict(ckpt["spec"]))
    model.load_state_dict(ckpt["ema"] if ema and ckpt["ema"] is not None else ckpt["model"])
    return model.to(device).eval()


# --- the run folder ----------------------------------------------------------------------

def check_run_folder(out: Path | None, values: Mapping[str, Any], proc) -> dict | None:
    """Fail early on a bad --out or FILE_LOAD; return the checkpoint to resume from, if any."""
    if out is None:
        if values["FILE_LOAD"]:
            raise ParamError("FILE_LOAD=1 needs --out DIR: the run folder that holds last.pt")
        return None
    if out.exists() and not out.is_dir():
        raise ParamError(f"--out {out} is a file; give a folder for the run")
    if proc.rank == 0:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ParamError(f"--out {out}: cannot create the folder ({e.strerror})") from None
        if not os.access(out, os.W_OK):
            raise ParamError(f"--out {out} is not writable")
    if not values["FILE_LOAD"]:
        done = len(read_metrics(out)) if (out / "metrics.jsonl").is_file() else 0
        if done or (out / "last.pt").exists():
            raise ParamError(f"--out {out} already holds a run ({done} epochs); FILE_LOAD=1 "
                             "resumes it, or choose another folder (nothing was overwritten)")
        return None
    last = out / "last.pt"
    if not last.is_file():
        raise ParamError(f"FILE_LOAD=1 but {last} does not exist; run without FILE_LOAD to "
                         "start afresh")
    return load_checkpoint(last)


class RunFolder:
    """What rank 0 writes: params.yaml, metrics.jsonl, last.pt and best.pt."""

    def __init__(self, out: Path, values, spec, ds, proc):
        self.out, self.values, self.spec, self.ds, self.proc = out, values, spec, ds, proc

    def start(self, history: list[dict]) -> None:
        """Write params.yaml and metrics.jsonl as of the checkpoint (empty for a new run)."""
        record = {"params": dict(self.values), "network": spec_to_dict(self.spec),
                  "provenance": provenance(self.ds, self.proc)}
        write_atomic(self.out / "params.yaml", yaml.safe_dump(record, sort_keys=False))
        # a run killed between saving last.pt and appending its line resumes consistently
        write_atomic(self.out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in history))

    def append(self, row: dict) -> None:
        with open(self.out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def save(self, ckpt: dict, best: bool) -> None:
        save_atomic(ckpt, self.out / "last.pt")
        if best:
            copy_atomic(self.out / "last.pt", self.out / "best.pt")


def write_atomic(path: Path, text: str) -> None:
    """Write a small text file under a temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def provenance(ds, proc) -> dict:
    """Where and from what a run came: commit, date, device, versions, dataset."""
    commit, dirty = git_state()
    return {
        "git_commit": commit, "git_dirty": dirty,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": describe_device(proc.device), "processes": proc.world,
        "torch": str(torch.__version__), "python": platform.python_version(),
        "dataset": {"name": ds.name, "train": len(ds.train_y), "test": len(ds.test_y),
                    "classes": ds.num_classes, "crop": ds.crop},
        "command": " ".join(sys.argv),
    }


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The per-epoch rows of a run folder's metrics.jsonl (empty if there is none)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def same_run(run_dir: str | Path, values: Mapping[str, Any],
             spec: space.NetSpec | None = None) -> bool:
    """Whether `run_dir` holds a run (finished or not) of these parameters (and this spec)."""
    path = Path(run_dir) / "params.yaml"
    if not path.is_file():
        return False
    record = yaml.safe_load(path.read_text()) or {}
    # a parameter added to the vocabulary after the run was saved counts at its default
    saved, wanted = {**defaults(), **record.get("params", {})}, check_all(values)
    if {k: v for k, v in saved.items() if k not in NOT_IDENTITY} != \
            {k: v for k, v in wanted.items() if k not in NOT_IDENTITY}:
        return False
    return spec is None or record.get("network") == spec_to_dict(spec)


def is_finished(run_dir: str | Path, values: Mapping[str, Any],
                spec: space.NetSpec | None = None) -> bool:
    """Whether `run_dir` holds a completed run of these parameters (and this spec, if given)."""
    if not same_run(run_dir, values, spec):
        return False
    rows = read_metrics(run_dir)
    return bool(rows) and rows[-1]["epoch"] == total_epochs(check_all(values))


def prepare_rerun(out: str | Path, values: Mapping[str, Any],
                  spec: space.NetSpec | None = None, log=print) -> dict:
    """The values for training into `out` again, without losing what it holds.

    A run of the same parameters continues from its last.pt (FILE_LOAD=1); one without a
    checkpoint starts afresh (it would retrace the same steps); a run of other parameters is
    moved aside to `<out>.replaced-<time>`, never deleted.
    """
    out = Path(out)
    values = {**values, "FILE_LOAD": False}
    if not (out / "metrics.jsonl").exists() and not (out / "last.pt").exists():
        return values
    if same_run(out, values, spec):
        if (out / "last.pt").is_file():
            log(f"resuming the unfinished run in {out}")
            return {**values, "FILE_LOAD": True}
        (out / "metrics.jsonl").unlink()
        return values
    aside = out.with_name(f"{out.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
    out.rename(aside)
    log(f"moved a run of other parameters from {out} to {aside}")
    return values


def summarize(history: list[dict], spec, seconds: float, out) -> dict:
    """The run in one dict: final and best accuracy, cost, speed, and every epoch's row."""
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
        "out": str(out) if out is not None else None, "history": history,
    }


# --- processes ---------------------------------------------------------------------------

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
    if world == 1:
        return Processes(0, 1, device)
    owns = not dist.is_initialized()
    if owns:
        if device.type == "cuda":
            torch.cuda.set_device(device)
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


# --- command line ------------------------------------------------------------------------

def cmd_train(args) -> int:
    """`python -m regnet train`: resolve the parameters, train, print the summary as JSON."""
    from .params import resolve
    values = resolve(args.params, args.sets)
    try:
        summary = train(values, args.out)
    except Diverged as e:
        print(f"regnet train: error: {e}", file=sys.stderr)
        return 1
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps({k: v for k, v in summary.items() if k != "history"}))
    return 0
