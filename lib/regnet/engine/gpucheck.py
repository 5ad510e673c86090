"""`python -m regnet check-gpu`: on this GPU, does the fast path train the same network as
the plain one? One table and a one-line verdict, in a few minutes.

    check(cfg, device)    -> {"rows": [...], "ok": bool, "verdict": "..."}
    format_report(result) -> the table and the verdict

From the same initial weights and the same batches, each row trains `steps` steps at a fixed
learning rate, then evaluates the test set (whose last batch is smaller: compiled evaluation
pads it). Row `plain` is fp32, NCHW, eager; each following row adds one setting that `auto`
turns on here for a long run (ROWS: precision, channels_last, compile, CUDA graphs), so the
first row that fails names the setting that broke and the `--set` that avoids it. A row
passes when:

- every step's training loss and the final test loss agree with plain's within the
  tolerance of its precision (TOLERANCE, relative: TF32 convolutions in fp32, 8 mantissa bits
  in bf16, loss scaling in fp16 each add rounding that a few dozen steps carry forward);
- nothing in it raised, and no loss is NaN or infinite;
- compiled: dynamo compiles no graph after the first training step and first test batch
  (a recompile costs minutes on a small machine and slower kernels after);
- graphed: the capture succeeded.

With fp16 the gradient scaler starts at a scale that makes the first step overflow, so the
skipped step (and fused SGD's momentum after it) is part of the check; the plain row then
makes no update on that step either. The CUDA-specific parts (GraphedStep, torch.compile)
come in as arguments, so the logic runs on a CPU with stand-ins (tests/test_gpucheck.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Mapping

import torch
from torch import nn
from torch._dynamo.utils import counters

from .. import data
from ..arch import space
from ..arch.model import build
from ..errors import ParamError
from ..params import check_all, resolve
from ..provenance import describe_device
from .device import Choice, resolve_auto, synchronize
from .distributed import Processes
from .graphs import WARMUP_STEPS, GraphedStep, capturable
from .loop import DTYPES, autocast_for, evaluate, make_optimizer, train_step, warm_evaluation

#: The check's network and data: course 200MF on course-shaped synthetic images.
SETS = ("REGNETX=200mf", "DATASET=synthetic", "DATA_SYNTHETIC_SIZE=64", "DATA_CROP=56",
        "DATA_NUM_CLASSES=100", "DATA_BATCH_SIZE=128", "PROGRESS=false")
STEPS = 30
LR = 0.05  # fixed, and low enough that a few dozen steps stay comparable across precisions
TOLERANCE = {"fp32": 0.01, "bf16": 0.05, "fp16": 0.03}  # relative, per precision
OVERFLOW_SCALE, SCALE = 2.0 ** 40, 2.0 ** 16  # fp16: the first step's scale, then the usual
TIMED_FROM = WARMUP_STEPS + 2  # steps before timing: warm-up, the capture, one replay

#: Each row after plain: the setting it adds, and the --set that turns it off.
ROWS = (("precision", "PRECISION=fp32"), ("channels_last", "CHANNELS_LAST=0"),
        ("compile", "COMPILE=0"), ("cuda_graphs", "CUDA_GRAPHS=0"))
PLAIN = Choice("fp32", False, False, False)


@dataclass(frozen=True)
class Setup:
    """What every row shares: parameters, network, data, device, and the CUDA stand-ins."""
    cfg: Any
    spec: Any
    ds: Any
    device: torch.device
    steps: int
    graphed: type = GraphedStep
    compiler: Any = torch.compile


def check_values(sets=(), params=None, steps: int = STEPS):
    """The check's parameters: SETS with images for `steps` training steps and a test set
    with a smaller last batch, then the user's `--params` files and `--set`s."""
    params = params or []
    batch = resolve(params, [*SETS, *sets])["DATA_BATCH_SIZE"]
    sized = [f"DATA_SYNTHETIC_TRAIN={steps * batch}",
             f"DATA_SYNTHETIC_TEST={2 * batch + batch // 2 + 1}"]
    return resolve(params, [*SETS, *sized, *sets])


def rows_for(target: Choice) -> list[tuple[str, Choice, str | None]]:
    """(name, setting, the --set that avoids it) for plain and each setting `target` adds."""
    out, now = [("plain", PLAIN, None)], PLAIN
    for field, avoid in ROWS:
        value = getattr(target, field)
        if value and value != getattr(PLAIN, field):
            now = replace(now, **{field: value})
            out.append((field, now, avoid))
    return out


def check(cfg: Mapping[str, Any], device: torch.device, steps: int = STEPS,
          target: Choice | None = None, graphed=GraphedStep, compiler=torch.compile) -> dict:
    """Train every row and judge it against plain; `target` replaces what auto resolves to,
    `graphed` and `compiler` stand in for GraphedStep and torch.compile."""
    cfg = check_all(cfg)
    if steps <= TIMED_FROM:
        raise ParamError(f"--steps {steps}: the check needs more than {TIMED_FROM} steps (the "
                         "first ones warm up, compile and capture)")
    ds = data.load(cfg)
    if len(ds.train_y) // cfg.optim.batch_size < steps:
        raise ParamError(f"{steps} steps of {cfg.optim.batch_size} images need "
                         f"{steps * cfg.optim.batch_size} training images; {ds.name} has "
                         f"{len(ds.train_y)}")
    spec = space.named(cfg.model.regnetx, cfg.model).fitted(ds)
    target = target or resolve_auto(cfg.run, device, 10 ** 6)  # as a long run resolves it
    setup = Setup(cfg, spec, ds, device, steps, graphed, compiler)
    fp16 = target.precision == "fp16"
    rows = []
    for name, setting, avoid in rows_for(target):
        row = {"row": name, "config": setting.describe(), "avoid": avoid,
               "precision": setting.precision}
        try:
            row.update(train_row(setup, setting, skip_first=fp16 and name == "plain"))
        except Exception as e:  # a compile or capture that breaks here is a finding
            row["error"] = (str(e).strip().splitlines() or [type(e).__name__])[0]
        rows.append(row)
    judge(rows)
    return {"network": spec.name, "batch": cfg.optim.batch_size, "steps": steps,
            "device": describe_device(device), "torch": str(torch.__version__),
            "target": target.describe(), "rows": rows, **verdict(rows)}


def row_step(setup: Setup, setting: Choice, net, optimizer, scaler, loss_fn):
    """A row's `step(x, y)` at the fixed rate LR, and its CUDA graph when it has one."""
    device = setup.device
    if setting.cuda_graphs:
        capturable(optimizer, device).fill_(LR)
        graphed = setup.graphed(net, optimizer, loss_fn, setting.precision, device)
        return graphed, graphed
    for group in optimizer.param_groups:
        group["lr"] = LR
    autocast = autocast_for(setting.precision, device)

    def step(x, y):
        return train_step(net, x, y, optimizer, scaler, loss_fn, autocast)
    return step, None


def train_row(setup: Setup, setting: Choice, skip_first: bool) -> dict:
    """One row: `steps` training steps, then the test set; losses, speed, compile, capture."""
    cfg, device = setup.cfg, setup.device
    torch.manual_seed(cfg.run.seed)
    layout = torch.channels_last if setting.channels_last else torch.contiguous_format
    model = build(setup.spec).to(device, memory_format=layout)
    optimizer = make_optimizer(model, cfg.optim, device)
    if setting.compile:
        torch._dynamo.reset()  # each compiled row starts from an empty cache of graphs
    net = setup.compiler(model, dynamic=False) if setting.compile else model
    loss_fn = nn.CrossEntropyLoss()
    fp16 = setting.precision == "fp16"
    scaler = torch.amp.GradScaler(device.type, init_scale=OVERFLOW_SCALE, enabled=fp16)
    step, graphed = row_step(setup, setting, net, optimizer, scaler, loss_fn)
    common = dict(device=device, seed=cfg.run.seed, dtype=DTYPES[setting.precision],
                  channels_last=setting.channels_last)
    batches = data.Batches(setup.ds, "train", cfg.optim.batch_size, **common)
    row = {"losses": []}
    net.train()
    synchronize(device)
    t0 = time.perf_counter()
    for i, (x, y) in enumerate(batches):
        if i == setup.steps:
            break
        if i == 1 and setting.compile:
            synchronize(device)
            row["compile_seconds"] = time.perf_counter() - t0  # the first step compiled
        if i == TIMED_FROM:
            synchronize(device)
            t1, graphs_before = time.perf_counter(), counters["stats"]["unique_graphs"]
        if i == 0 and skip_first:  # the fp16 rows skip this step: so does plain
            with torch.no_grad():
                loss = loss_fn(net(x), y)
        else:
            loss, _ = step(x, y)
        if i == 0 and fp16:
            row["first_step_skipped"] = scaler.get_scale() < OVERFLOW_SCALE
            scaler.update(SCALE)
        row["losses"].append(loss.detach().float())
    synchronize(device)
    timed = setup.steps - TIMED_FROM
    row["train_images_per_second"] = timed * cfg.optim.batch_size / (time.perf_counter() - t1)
    recompiles = counters["stats"]["unique_graphs"] - graphs_before
    row["losses"] = torch.stack(row["losses"]).tolist()
    if graphed is not None:
        row["capture_seconds"], row["capture_failed"] = graphed.capture_seconds, graphed.failed
    row.update(eval_row(setup, net, setting, common))
    if setting.compile:
        row["compile_seconds"] += row.pop("eval_warm_seconds")
        row["recompiles"] = recompiles + row.pop("eval_recompiles")
    else:
        row.pop("eval_warm_seconds"), row.pop("eval_recompiles")
    return row


def eval_row(setup: Setup, net, setting: Choice, common: dict) -> dict:
    """The test set, its last batch padded when compiled: loss, images/s, warm-up seconds."""
    batch = setup.cfg.optim.batch_size
    tests = data.Batches(setup.ds, "test", batch, **common)
    pad = batch if setting.compile else None
    warm = warm_evaluation(net, tests, setting.precision, setup.device, pad)
    before = counters["stats"]["unique_graphs"]
    t0 = time.perf_counter()
    result = evaluate(net, tests, setting.precision, Processes(0, 1, setup.device), pad)
    synchronize(setup.device)
    seconds = time.perf_counter() - t0
    return {"test_loss": result["test_loss"], "eval_images_per_second":
            len(setup.ds.test_y) / seconds, "eval_warm_seconds": warm,
            "eval_recompiles": counters["stats"]["unique_graphs"] - before}


def difference(row: dict, plain: dict) -> float:
    """The largest relative difference of a row's losses (each step's, the test loss) from
    plain's; inf when a loss is not finite."""
    ours = [*row["losses"], row["test_loss"]]
    theirs = [*plain["losses"], plain["test_loss"]]
    worst = 0.0
    for a, b in zip(ours, theirs):
        if not (abs(a) < float("inf") and abs(b) < float("inf")):  # NaN fails both tests
            return float("inf")
        worst = max(worst, abs(a - b) / max(abs(b), 1e-8))
    return worst


def judge(rows: list[dict]) -> None:
    """Each row's `difference`, `tolerance` and `failed` (why, or None)."""
    plain = rows[0]
    for row in rows:
        row["tolerance"] = TOLERANCE[row["precision"]]
        if "error" in row:
            row["failed"] = f"raised: {row['error']}"
            continue
        if "error" in plain:
            row["failed"] = None if row is plain else "plain fp32 failed: nothing to compare"
            continue
        row["difference"] = difference(row, plain)
        row["failed"] = failure(row)


def failure(row: dict) -> str | None:
    """Why a measured row fails, or None."""
    if row["difference"] == float("inf"):
        return "a loss became NaN or infinite"
    if row["difference"] > row["tolerance"]:
        return (f"losses differ from plain fp32 by {100 * row['difference']:.2f}% (tolerance "
                f"{100 * row['tolerance']:g}% in {row['precision']})")
    if row.get("first_step_skipped") is False:
        return "the fp16 first step should have overflowed and been skipped, and was not"
    if row.get("capture_failed"):
        return f"CUDA graph capture failed: {row['capture_failed']}"
    if row.get("recompiles"):
        return f"torch.compile compiled {row['recompiles']} more graph(s) after the first step"
    return None


def verdict(rows: list[dict]) -> dict:
    """ok, and one line: the first failing row and the --set that avoids it, or the speed-up."""
    bad = next((r for r in rows if r["failed"]), None)
    if bad is None:
        last, plain = rows[-1], rows[0]
        speed = last["train_images_per_second"] / plain["train_images_per_second"]
        return {"ok": True, "verdict": (
            f"OK: {last['config']} trains the same network as plain fp32 (within "
            f"{100 * last['tolerance']:g}%) at {speed:.1f}x its training speed")}
    avoid = f"; --set {bad['avoid']} avoids it" if bad["avoid"] else ""
    return {"ok": False, "verdict": f"FAILED: {bad['row']} ({bad['config']}): "
                                    f"{bad['failed']}{avoid}"}


def format_report(result: dict) -> str:
    """The rows as one table, then the verdict line."""
    head = (f"check-gpu: {result['network']}, batch {result['batch']}, {result['steps']} steps "
            f"from the same weights; auto here: {result['target']}; {result['device']}, "
            f"torch {result['torch']}")
    width = max(len("configuration"), *(len(r["config"]) for r in result["rows"]))
    lines = [head, f"{'row':<13} {'configuration':<{width}} {'train img/s':>11} "
                   f"{'eval img/s':>10} {'compile s':>9} {'capture s':>9} {'diff %':>7} "
                   f"{'tol %':>5} {'recompiles':>10}  result"]

    def num(row, key, fmt, scale=1):
        value = row.get(key)
        return "-" if value is None else format(value * scale, fmt)
    for r in result["rows"]:
        lines.append(
            f"{r['row']:<13} {r['config']:<{width}} "
            f"{num(r, 'train_images_per_second', ',.0f'):>11} "
            f"{num(r, 'eval_images_per_second', ',.0f'):>10} {num(r, 'compile_seconds', '.1f'):>9} "
            f"{num(r, 'capture_seconds', '.2f'):>9} {num(r, 'difference', '.3f', 100):>7} "
            f"{100 * r['tolerance']:>5g} {num(r, 'recompiles', 'd'):>10}  "
            + (f"FAILED: {r['failed']}" if r["failed"] else "ok"))
    return "\n".join(lines + [result["verdict"]])
