"""`python -m regnet COMMAND ...`: the command line.

Every command's arguments are declared here, and its work is imported only when it runs, so
`--help` and mistakes answer at once. A user's mistake prints one line and exits 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from importlib import import_module

from .params import ParamError


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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


# --- info ------------------------------------------------------------------------------

def cmd_info(args) -> int:
    from . import params, space
    values = params.resolve(args.params, args.sets)
    spec = space.named(args.name, values, input_size=args.input, num_classes=args.classes,
                       in_channels=args.channels)
    from .complexity import closed_form, operator_table, stage_totals, totals
    from .model import build
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
    from .report import format_operator_table, format_stage_table
    print(format_stage_table(spec, rows))
    if args.operators:
        print()
        print(format_operator_table(rows))
    return 0


def add_info(sub) -> None:
    p = sub.add_parser("info", help="stages, params, MACs and activations of a network")
    p.add_argument("name", help="network name, e.g. 200mf, custom, regnetx_800mf")
    p.add_argument("--input", type=_positive, metavar="PX", help="input size in px")
    p.add_argument("--classes", type=_positive, metavar="N", help="number of classes")
    p.add_argument("--channels", type=_positive, metavar="C", help="input channels")
    p.add_argument("--operators", action="store_true", help="also list every operator")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_param_args(p)
    p.set_defaults(run=cmd_info)


# --- params ----------------------------------------------------------------------------

def cmd_params(args) -> int:
    from . import params
    if args.resolved:
        values = params.resolve(args.params, args.sets)
        print(json.dumps(values) if args.json else
              "\n".join(f"{k}: {json.dumps(v)}" for k, v in values.items()))
        return 0
    rows = params.describe()
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['name']:<28} {json.dumps(r['default']):<22} {r['help']}")
    return 0


def add_params(sub) -> None:
    p = sub.add_parser("params", help="the parameter vocabulary, or resolved values")
    p.add_argument("--resolved", action="store_true",
                   help="print the values after --params files and --set overrides")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_param_args(p)
    p.set_defaults(run=cmd_params)


# --- commands that live in other modules --------------------------------------------------

def lazy(target: str):
    """A command whose work is `module:function`, imported only when it runs."""
    module, _, function = target.partition(":")

    def run(args):
        return getattr(import_module(f".{module}", __package__), function)(args)
    return run


COMMANDS = [add_info, add_params]


# --- training: schedule, train, bench ----------------------------------------------------

def add_schedule(sub) -> None:
    p = sub.add_parser("schedule", help="the learning rate of every epoch")
    p.add_argument("--json", action="store_true", help='print {"lr": [...]}')
    add_param_args(p)
    p.set_defaults(run=lazy("schedule:cmd_schedule"))


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train one network (torchrun for several processes)")
    p.add_argument("--out", metavar="DIR", help="run folder: metrics.jsonl, params.yaml, "
                   "last.pt, best.pt (omit to write nothing)")
    add_param_args(p)
    p.set_defaults(run=lazy("train:cmd_train"))


def add_bench(sub) -> None:
    p = sub.add_parser("bench", help="training and evaluation images/s: this project's "
                       "pipeline and a seed-style DataLoader baseline")
    p.add_argument("--steps", type=_positive, default=20, metavar="N",
                   help="timed steps per measurement (default 20)")
    p.add_argument("--warmup", type=_positive, default=3, metavar="N",
                   help="untimed steps first (default 3)")
    p.add_argument("--images", type=_positive, metavar="N",
                   help="synthetic training images (default: enough for the timed steps)")
    p.add_argument("--skip-baseline", action="store_true", help="measure the pipeline only "
                   "(the baseline's DataLoader uses DATA_WORKERS workers, default 2)")
    add_param_args(p)
    p.set_defaults(run=lazy("bench:cmd_bench"))


def add_bench_recipe(sub) -> None:
    p = sub.add_parser("bench-recipe", help="test accuracy of this project's train and of a "
                       "plain PyTorch loop: same data, network, epochs and optimizer")
    p.add_argument("--seeds", type=_positive, default=1, metavar="N",
                   help="repeat both with SEED, SEED+1, ... and compare the means (default 1)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="DataLoader workers of the plain loop (default 0: the main process)")
    add_param_args(p)
    p.set_defaults(run=lazy("bench_recipe:cmd_bench_recipe"))


COMMANDS += [add_schedule, add_train, add_bench, add_bench_recipe]


# --- design-space study: sweep, edf ------------------------------------------------------

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
    add_param_args(p)
    p.set_defaults(run=lazy("sweep:cmd_sweep"))


def add_edf(sub) -> None:
    p = sub.add_parser("edf", help="error EDFs, error against parameters and the paper's "
                       "claims, from a sweep folder")
    p.add_argument("dir", metavar="DIR", help="sweep folder (python -m regnet sweep --out)")
    p.add_argument("--no-plots", action="store_true", help="print the tables only")
    p.set_defaults(run=lazy("sweep:cmd_edf"))


COMMANDS += [add_sweep, add_edf]


# --- reports -----------------------------------------------------------------------------

def add_reports(sub) -> None:
    p = sub.add_parser("reports", help="run the notebooks and render HTML and PDF (run_all.sh)")
    p.add_argument("--profile", default="quick", help="quick (default), course or tiny")
    p.add_argument("--only", metavar="NAME[,NAME]", help="only these reports or notebooks")
    p.add_argument("--no-pdf", action="store_true", help="HTML only")
    p.add_argument("--out", metavar="DIR", help="write reports under DIR/<profile>/ "
                   "(default: reports/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                   help="a parameter for every notebook, e.g. REGNETX=400mf (repeatable)")
    p.set_defaults(run=lazy("pipeline:cmd_reports"))


COMMANDS += [add_reports]


# --- data: bench-data ----------------------------------------------------------------------

def add_bench_data(sub) -> None:
    p = sub.add_parser("bench-data", help="batches/s of this project's data pipeline and of "
                       "the seed's (ImageFolder + PIL transforms + DataLoader), same images")
    p.add_argument("--batches", type=_positive, default=20, metavar="N",
                   help="timed batches per pipeline, after one untimed (default 20)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="DataLoader workers of the seed's pipeline (default: DATA_WORKERS)")
    add_param_args(p)
    p.set_defaults(run=lazy("bench_data:cmd_bench_data"))


COMMANDS += [add_bench_data]


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
        return args.run(args) or 0
    except ParamError as e:
        print(f"regnet {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"regnet {args.command}: interrupted", file=sys.stderr)
        return 130
