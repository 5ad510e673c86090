"""Random values for every parameter of the vocabulary, fed to `info`, `schedule` and a
zero-epoch `train`: each command works or exits 2 with one line, in seconds, in bounded memory.

Each example gives a random 40% of the vocabulary a random valid value (the rest keep their
defaults) and, in 40% of the examples, one parameter a wrong value instead: below or above its
range, a huge number, NaN, the wrong type, or random text (more than one wrong value would
only ever show the first). A valid value may ask for as much work as it likes, so for the few
parameters whose valid values cost time (dataset and image sizes, network widths and depths)
the valid draws stay small; their wrong values are drawn in full. `train` starts from a
small synthetic dataset (256 + 64 images, batch 64, which the drawn values override) and
runs zero epochs (no warm-up, no cosine epochs) with downloads off, since tests cannot reach
the network: everything is checked, loaded, built and set up, and nothing trains. A seeded generator
makes every run check the same examples.
"""
import contextlib
import io
import math
import random
import re
import string
import time
from pathlib import Path

import pytest
import yaml

from regnet.cli import main
from regnet.params import PARAMS

EXAMPLES = 30
SECONDS = 20  # per command; a working one takes well under a second or two once imported
MEMORY_GB = 2.0  # growth of this process's peak memory during one command
CAPS = {"MODEL_TAIL_OUT_CHANNELS": 64, "MODEL_BLOCKS": 3, "MODEL_CHANNELS": 128,
        "DATA_SYNTHETIC_TRAIN": 1024, "DATA_SYNTHETIC_TEST": 256, "DATA_SYNTHETIC_SIZE": 48,
        "DATA_IMAGE_SIZE": 48}  # the valid values that cost time stay small


def valid(rng: random.Random, p):
    """A random valid value of one parameter (agreeing with the others more often than not)."""
    low, high = p.minimum, p.maximum
    if high is not None:
        high = min(high, CAPS.get(p.name, high))
    special = {
        "REGNETX": lambda: rng.choice(["custom", "custom", "200mf", "regnetx_200mf",
                                       "regnety_200mf", 400, 1.6, "800MF"]),
        "DATASET": lambda: rng.choice(["synthetic"] * 4 + list(p.choices)),
        "DEVICE": lambda: rng.choice(["auto", "cpu", "cpu", "cuda", "cuda:1"]),
        "DATA_DIR": lambda: rng.choice([None, "{tmp}", "{tmp}/missing", "{tmp}/file"]),
        "SWEEP_SPACES": lambda: rng.choice(["regnetx", "a,b", "anynetx_e", "nope"]),
        "MODEL_GROUP_WIDTH": lambda: rng.choice([1, 2, 4, 8, 8, rng.randint(1, int(high))]),
        "MODEL_BOTTLENECK": lambda: rng.choice([1.0, 1.0, 2.0, 0.5, rng.uniform(low, high)]),
        "MODEL_FILTER_SIZE": lambda: rng.choice([1, 3, 3, 5, 7, rng.randint(1, int(high))]),
        "DATA_BATCH_SIZE": lambda: rng.choice([1, 16, 32, 64, rng.randint(1, int(high))]),
        "MODEL_CHANNELS": lambda: [rng.choice([8, 16, 24, 32, 64, rng.randint(1, int(high))])
                                   for _ in range(rng.choice([4] * 6 + [1, 2, 3]))],
        "MODEL_BLOCKS": lambda: [rng.randint(1, int(high))
                                 for _ in range(rng.choice([4] * 6 + [1, 2, 3]))],
    }
    if p.name in special:
        return special[p.name]()
    if p.kind in ("int", "optional-int"):
        return rng.randint(int(low), int(high))
    if p.kind == "float":
        return rng.uniform(low, high)
    if p.kind == "bool":
        return rng.choice([True, False, 1, 0, "yes", "off"])
    if p.kind == "choice":
        return rng.choice(p.choices)
    return "".join(rng.choices(string.ascii_letters, k=rng.randint(1, 12)))


def wrong(rng: random.Random, p):
    """A value that is not valid for most parameters, of many kinds."""
    kinds = [None, True, "", "abc", [], [1, "x"], {"a": 1}, math.nan, math.inf, -math.inf,
             1.5, -1, 10**30, -10**12, "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(8))]
    if p.minimum is not None:
        kinds += [p.minimum - 1, p.maximum + 1, p.maximum * 10**6]
    value = rng.choice(kinds)
    return [value] if p.kind == "ints" and rng.random() < 0.5 else value


def as_text(value) -> str:
    """The `--set` text of a value, as a user would type it (YAML); raw text stays raw."""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...")


def example(i: int) -> dict[str, str]:
    """Example i: `--set` text for a random half of the vocabulary, maybe one wrong."""
    rng = random.Random(20261122 + i)
    sets = {name: valid(rng, p) for name, p in PARAMS.items() if rng.random() < 0.4}
    if {"MODEL_BLOCKS", "MODEL_CHANNELS"} <= set(sets) and rng.random() < 0.9:
        n = min(len(sets["MODEL_BLOCKS"]), len(sets["MODEL_CHANNELS"]))  # one per stage
        sets["MODEL_BLOCKS"], sets["MODEL_CHANNELS"] = (sets["MODEL_BLOCKS"][:n],
                                                        sets["MODEL_CHANNELS"][:n])
    if rng.random() < 0.4:
        name = rng.choice(sorted(PARAMS))
        sets[name] = wrong(rng, PARAMS[name])
    return {name: as_text(v) for name, v in sets.items()}


def peak_kb() -> int:
    """This process's peak resident memory (VmHWM) in kB."""
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def reset_peak() -> None:
    """Start a new peak (Linux clear_refs 5); elsewhere the peak since start is measured."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def check(args: list[str]) -> int:
    """Run one command in this process; it works or exits 2 with one line, quickly, lean."""
    out, err = io.StringIO(), io.StringIO()
    reset_peak()
    before, start = peak_kb(), time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(args)
        except SystemExit as e:  # argparse's own usage errors
            status = e.code
    seconds, grew = time.perf_counter() - start, (peak_kb() - before) / 1e6
    assert status in (0, 2), (args, status, err.getvalue()[-3000:])
    if status == 2:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"regnet {args[0]}: error: "), \
            (args, err.getvalue())
    assert seconds < SECONDS, (args, seconds)
    assert grew < MEMORY_GB, (args, grew)
    return status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("i", range(EXAMPLES))
def test_random_parameters_work_or_are_one_line_exit_2(i, tmp_path):
    (tmp_path / "file").write_text("")
    args = [x for k, v in example(i).items()
            for x in ("--set", f"{k}={v.replace('{tmp}', str(tmp_path))}")]
    check(["info", "custom", *args])
    check(["schedule", *args])
    small = ["--set", "DATA_SYNTHETIC_TRAIN=256", "--set", "DATA_SYNTHETIC_TEST=64",
             "--set", "DATA_BATCH_SIZE=64"]  # the base the drawn values override
    zero = ["--set", "TRAINING_LR_INIT_EPOCHS=0", "--set", "TRAINING_LR_FINAL_EPOCHS=0",
            "--set", "DATA_DOWNLOAD=false"]
    if check(["train", "--out", str(tmp_path / "run"), *small, *args, *zero]) == 0:
        assert (tmp_path / "run" / "params.yaml").is_file()


def test_the_examples_cover_every_parameter_and_both_outcomes():
    """The generator itself: every name drawn, valid and wrong values both present."""
    drawn = [example(i) for i in range(EXAMPLES)]
    assert set().union(*drawn) == set(PARAMS)
    assert sum(len(d) for d in drawn) > EXAMPLES * len(PARAMS) // 3
