"""`python -m regnet COMMAND ...`: the command line, every command in this one file.

Each command is an `add_*` that declares its arguments and a `cmd_*` that resolves the
parameters, calls the library and prints. The library itself never sees argparse. The
torch-free modules (params, arch.space, engine.schedule) are imported at the top; the work
(torch, pandas, the engine, studies and reports) only inside the command that runs it, so
`--help` and mistakes answer at once. A user's mistake prints one line and exits 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import params
from .arch import space
from .engine.schedule import warmup_cosine
from .errors import ParamError


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (`regnet info: error: ...`), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_param_args(p: argparse.ArgumentParser) -> None:
    """--params FILE and --set KEY=VALUE, in the one parameter vocabulary."""
    p.add_argument("--params", action="append", default=[], metavar="FILE",
                   help="YAML parameter file (repeatable; later files win)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                   help="override one parameter; the value parses as YAML (repeatable)")


def _whole(low: int, high: int):
    """An argparse type: a whole number from `low` to `high`, else a one-line usage error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {low}")
        if value > high:
            raise argparse.ArgumentTypeError(f"{text!r} must be at most {high:,}")
        return value
    return parse


_positive = _whole(1, 1_000_000)  # counts of steps, batches and images


# --- info ------------------------------------------------------------------------------

def cmd_info(args) -> int:
    values = params.resolve(args.params, args.sets)
    spec = space.named(args.name, values.model, input_size=args.input,
                       num_classes=args.classes, in_channels=args.channels)
    from .arch.complexity import closed_form, operator_table, stage_totals, totals
    from .arch.memory import check_fits
    from .arch.model import build
    check_fits(spec)  # before building: a width of 10^8 is one line, not the OOM killer
    rows = operator_table(build(spec))
    total = totals(rows)
    if total != closed_form(spec):  # two independent counts; a mismatch is a bug, not a user's
        raise AssertionError(f"operator table {total} disagrees with closed form")
    stages = [{"depth": s.depth, "width": s.width, "group_width": s.group_width,
               "bottleneck": s.bottleneck, "stride": s.stride} for s in spec.stages]
    if args.json:
        print(json.dumps({
            "name": spec.name, "input": spec.input_size, "classes": spec.num_classes,
            "in_channels": spec.in_channels, "stem_width": spec.stem_width,
            "stem_stride": spec.stem_stride, "se_ratio": spec.se_ratio,
            **total, "stages": stages,
            "per_stage": stage_totals(rows),
            **({"operators": [r.__dict__ for r in rows]} if args.operators else {}),
        }))
        return 0
    from .report.tables import format_operator_table, format_stage_table
    print(format_stage_table(spec, rows))
    if args.operators:
        print()
        print(format_operator_table(rows))
    return 0


def add_info(sub) -> None:
    p = sub.add_parser("info", help="stages, params, MACs and activations of a network")
    p.add_argument("name", help="network name, e.g. 200mf, custom, regnetx_800mf")
    p.add_argument("--input", type=_whole(1, 4096), metavar="PX", help="input size in px")
    p.add_argument("--classes", type=_whole(1, 100_000), metavar="N", help="number of classes")
    p.add_argument("--channels", type=_whole(1, 16), metavar="C", help="input channels")
    p.add_argument("--operators", action="store_true", help="also list every operator")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_param_args(p)
    p.set_defaults(run=cmd_info)


# --- params ----------------------------------------------------------------------------

def cmd_params(args) -> int:
    if args.resolved:
        values = params.resolve(args.params, args.sets)
        print(json.dumps(dict(values)) if args.json else
              "\n".join(f"{k}: {json.dumps(v)}" for k, v in values.items()))
        return 0
    rows = params.describe()
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            bounds = f" [{r['range'][0]:g} to {r['range'][1]:g}]" if r["range"] else ""
            print(f"{r['name']:<28} {json.dumps(r['default']):<22} {r['help']}{bounds}")
    return 0


def add_params(sub) -> None:
    p = sub.add_parser("params", help="the parameter vocabulary, or resolved values")
    p.add_argument("--resolved", action="store_true",
                   help="print the values after --params files and --set overrides")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_param_args(p)
    p.set_defaults(run=cmd_params)


COMMANDS = [add_info, add_params]


# --- training: schedule, train, bench ----------------------------------------------------

def cmd_schedule(args) -> int:
    """The rates per epoch (counted from 1), as JSON or one line per epoch."""
    rates = warmup_cosine(params.resolve(args.params, args.sets).schedule)
    if args.json:
        print(json.dumps({"epoch": list(range(1, len(rates) + 1)), "lr": rates}))
    else:
        print("epoch  learning rate")
        print("\n".join(f"{e:5d}  {lr:.6g}" for e, lr in enumerate(rates, 1)))
    return 0


def add_schedule(sub) -> None:
    p = sub.add_parser("schedule", help="the learning rate of every epoch")
    p.add_argument("--json", action="store_true", help='print {"epoch": [1, ...], "lr": [...]}')
    add_param_args(p)
    p.set_defaults(run=cmd_schedule)


def cmd_train(args) -> int:
    """Resolve the parameters, train, print the summary as JSON (rank 0 only)."""
    from .engine.loop import Diverged, train
    values = params.resolve(args.params, args.sets)
    try:
        summary = train(values, args.out)
    except Diverged as e:
        print(f"regnet train: error: {e}", file=sys.stderr)
        return 1
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps({k: v for k, v in summary.items() if k != "history"}))
    return 0


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train one network (torchrun for several processes)")
    p.add_argument("--out", metavar="DIR", help="run folder: metrics.jsonl, params.yaml, "
                   "last.pt, best.pt (omit to write nothing)")
    add_param_args(p)
    p.set_defaults(run=cmd_train)


def cmd_bench(args) -> int:
    """Training and evaluation images/s of every speed setting: one table (or JSON)."""
    from .engine.bench import bench, format_table, parse_rows
    values = params.resolve(args.params, args.sets)
    rows = parse_rows(args.rows)  # a wrong row name is an error before any work
    result = bench(values, args.steps, args.warmup, rows, args.data_only, args.workers,
                   args.rounds)
    print(json.dumps(result, indent=1) if args.json else format_table(result))
    return 0


def add_bench(sub) -> None:
    p = sub.add_parser("bench", help="training and evaluation images/s: the seed-style "
                       "pipeline, a plain PyTorch loop, auto, fp32 NCHW and channels_last, "
                       "auto's precision and layout, compiled, CUDA graphs; one table")
    p.add_argument("--steps", type=_positive, default=20, metavar="N",
                   help="timed steps per measurement (default 20)")
    p.add_argument("--warmup", type=_positive, default=3, metavar="N",
                   help="untimed steps first, where compiling happens (default 3)")
    p.add_argument("--rounds", type=_positive, default=1, metavar="N",
                   help="time the rows in turn N times and keep each one's median: for a "
                   "shared, noisy machine (default 1)")
    p.add_argument("--rows", metavar="ROW[,ROW]", help="measure only these of seed, plain, "
                   "auto, fp32, channels_last, fast, compiled, graphs (default: all)")
    p.add_argument("--data-only", action="store_true", help="time the data pipelines alone "
                   "(rows seed, plain and fp32, no network)")
    p.add_argument("--workers", type=_whole(0, 256), metavar="N",
                   help="DataLoader workers of the seed and plain rows (default: DATA_WORKERS, "
                   "else up to 8, one per core)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_param_args(p)
    p.set_defaults(run=cmd_bench)


def cmd_check_gpu(args) -> int:
    """Does the fast path train the same network as plain fp32 here? A table, a verdict."""
    from .engine.distributed import pick_device
    from .engine.gpucheck import check, check_values, format_report
    values = check_values(args.sets, args.params, args.steps)
    device = pick_device(values["DEVICE"])
    if device.type != "cuda":
        raise ParamError(f"check-gpu needs a CUDA GPU and this run is on {device}: it checks "
                         "the GPU path (on a CPU, `python -m regnet bench` measures speed)")
    result = check(values, device, args.steps)
    print(json.dumps(result, indent=1) if args.json else format_report(result))
    return 0 if result["ok"] else 1


def add_check_gpu(sub) -> None:
    p = sub.add_parser("check-gpu", help="on a GPU: train course 200MF a few steps plain and "
                       "as auto resolves here; say whether they agree, and how fast each is")
    p.add_argument("--steps", type=_positive, default=30, metavar="N",
                   help="training steps per configuration (default 30)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_param_args(p)
    p.set_defaults(run=cmd_check_gpu)


def cmd_bench_recipe(args) -> int:
    """The project's train against a plain PyTorch loop; one JSON object."""
    from .study.recipe import compare
    values = params.resolve(args.params, args.sets)
    print(json.dumps(compare(values, args.seeds, args.workers, args.against)))
    return 0


BENCH_AGAINST = ("same", "tuned")  # the plain loops of study/recipe.py (RECIPES; a test checks)


def add_bench_recipe(sub) -> None:
    p = sub.add_parser("bench-recipe", help="test accuracy of this project's train and of a "
                       "plain PyTorch loop: same data, network, epochs and batch")
    p.add_argument("--seeds", type=_positive, default=1, metavar="N",
                   help="repeat both with SEED, SEED+1, ... and compare the means (default 1)")
    p.add_argument("--workers", type=_whole(0, 256), default=0, metavar="N",
                   help="DataLoader workers of the plain loop (default 0: the main process)")
    p.add_argument("--against", choices=BENCH_AGAINST, default="same",
                   help="what the plain loop trains with: same (the project's settings: compares "
                   "the two pipelines) or tuned (its own one-cycle small-image recipe: compares "
                   "the project's defaults with a well-tuned loop); default same")
    add_param_args(p)
    p.set_defaults(run=cmd_bench_recipe)


COMMANDS += [add_schedule, add_train, add_bench, add_check_gpu, add_bench_recipe]


# --- design-space study: sweep, edf ------------------------------------------------------

def cmd_sweep(args) -> int:
    """Sample, train, tabulate."""
    from .arch.designspace import space_names
    from .study.sweep import TABLE, parse_shard, run_sweep
    overrides = {}
    if args.space:
        overrides["SWEEP_SPACES"] = ",".join(space_names(args.space))
    if args.samples:
        overrides["SWEEP_SAMPLES"] = args.samples
    values = params.resolve(args.params, args.sets, overrides)
    if args.address and args.launcher != "ray":
        raise ParamError("--address is a Ray cluster's; add --launcher ray")
    if args.launcher == "local":
        parse_shard(args.shard)  # a malformed shard is an error before any model trains
        df = run_sweep(values, args.out, shard=args.shard)
        print(f"{len(df)} models in {Path(args.out) / TABLE}")
        return 0
    if args.shard:
        raise ParamError(f"--shard is one machine's part of a sweep; --launcher "
                         f"{args.launcher} starts SWEEP_SHARDS shards itself")
    from .study.launch import launch
    done = launch(values, args.out, args.launcher, address=args.address)
    print(f"{len(done.table)} models in {Path(args.out) / TABLE}")
    if done.failed:
        print(f"regnet sweep: {len(done.failed)} shard(s) failed (above); run the same "
              "command again to resume", file=sys.stderr)
        return 1
    return 0


def add_sweep(sub) -> None:
    p = sub.add_parser("sweep", help="sample models from design spaces, train each briefly, "
                       "tabulate their errors (resumable)")
    p.add_argument("--space", metavar="NAME[,NAME...]",
                   help="anynetx_a..anynetx_e (or a..e), regnetx (default: SWEEP_SPACES)")
    p.add_argument("--samples", type=_positive, metavar="N",
                   help="models per space (default: SWEEP_SAMPLES)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="sweep folder: one folder per model and results.csv")
    p.add_argument("--shard", metavar="i/k", help="train only jobs i, i+k, ... (one machine "
                   "of k sharing DIR)")
    p.add_argument("--launcher", choices=("local", "submitit", "ray"), default="local",
                   help="local: this process (default); submitit: a SLURM array job (submitit's "
                   "local executor without SLURM); ray: Ray tasks. Both start SWEEP_SHARDS "
                   "shards into DIR, which every shard must see, and wait for them")
    p.add_argument("--address", metavar="HOST:PORT", help="a running Ray cluster (default: "
                   "RAY_ADDRESS, else a new Ray instance on this machine)")
    add_param_args(p)
    p.set_defaults(run=cmd_sweep)


def cmd_edf(args) -> int:
    """Summary, claims table and plots of a finished sweep."""
    import pandas as pd

    from .study.analysis import claims_table, plot_edfs, plot_params, summary
    from .study.sweep import RESULT, load_results
    df = load_results(args.dir)
    if df.empty:
        raise ParamError(f"{args.dir} holds no finished models (no */*/{RESULT})")
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        print(summary(df).round(2).to_string(index=False))
        print()
        claims = claims_table(df)
        print(claims[["claim", "n", "n_baseline", "verdict", "consistent"]
                     + [c for c in ("mean", "mean_baseline", "mean_gap", "p")
                        if c in claims]].round(3).to_string(index=False))
    if not args.no_plots:
        import matplotlib
        import matplotlib.pyplot
        matplotlib.use("Agg")
        for name, plot in (("edf.png", plot_edfs), ("params.png", plot_params)):
            fig = plot(df)
            fig.savefig(Path(args.dir) / name, dpi=120, bbox_inches="tight")
            matplotlib.pyplot.close(fig)  # written: nothing keeps it open in this process
            print(f"wrote {Path(args.dir) / name}")
    return 0


def add_edf(sub) -> None:
    p = sub.add_parser("edf", help="error EDFs, error against parameters and the paper's "
                       "claims, from a sweep folder")
    p.add_argument("dir", metavar="DIR", help="sweep folder (python -m regnet sweep --out)")
    p.add_argument("--no-plots", action="store_true", help="print the tables only")
    p.set_defaults(run=cmd_edf)


COMMANDS += [add_sweep, add_edf]


# --- reports -----------------------------------------------------------------------------

def cmd_reports(args) -> int:
    """The body of run_all.sh."""
    from .report.render import NotebookFailed, run
    try:
        run(args.profile, args.only, out_root=Path(args.out) if args.out else None,
            pdf=not args.no_pdf, sets=args.sets)
    except NotebookFailed as e:
        print(f"\nrun_all.sh: {e}", file=sys.stderr)
        return 1
    return 0


def add_reports(sub) -> None:
    p = sub.add_parser("reports", help="run the notebooks and render HTML and PDF (run_all.sh)")
    p.add_argument("--profile", default="quick", help="quick (default), course or tiny")
    p.add_argument("--only", metavar="NAME[,NAME]", help="only these reports or notebooks")
    p.add_argument("--no-pdf", action="store_true", help="HTML only")
    p.add_argument("--out", metavar="DIR", help="write reports under DIR/<profile>/ "
                   "(default: reports/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                   help="a parameter for every notebook, e.g. REGNETX=400mf (repeatable)")
    p.set_defaults(run=cmd_reports)


COMMANDS += [add_reports]


def parser() -> Parser:
    top = Parser(prog="regnet", description="RegNet course lab")
    sub = top.add_subparsers(dest="command", required=True, parser_class=Parser,
                             metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code = args.run(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except ParamError as e:  # one line, even when a value or a path holds a line break
        message = str(e).replace("\r", "\\r").replace("\n", "\\n")
        print(f"regnet {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"regnet {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `python -m regnet params | head -1`: the reader has enough
        _drop_stdout()
        return 141  # as a shell reports a process ended by SIGPIPE


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush finds no broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured output): nothing to do
        pass
