"""Progress for people watching a long step, kept out of the reports.

`./run_all.sh` sets REGNET_PROGRESS to a file and prints each line appended to it on the
terminal while a notebook runs, so a report never holds a log and the terminal never stays
silent. Without that variable (Colab, papermill by hand) `log` prints, as a notebook would.
`task(label)` names what is running ("run 2/5: 400mf"); `epoch` lines carry that name.
"""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from typing import Iterator

from tqdm.std import TqdmWarning

with warnings.catch_warnings():  # a kernel without ipywidgets gets text bars, and no warning
    warnings.simplefilter("ignore", TqdmWarning)  # about it in the report
    from tqdm.auto import tqdm as _tqdm

ENV = "REGNET_PROGRESS"
_labels: list[str] = []


def bar(*args, **kwargs):
    """A tqdm progress bar: a widget in a notebook that has ipywidgets, else text."""
    return _tqdm(*args, **kwargs)


def enabled() -> bool:
    """Whether a terminal is watching through REGNET_PROGRESS."""
    return bool(os.environ.get(ENV))


def note(line: str) -> None:
    """Append one line to the REGNET_PROGRESS file (nothing without one)."""
    path = os.environ.get(ENV)
    if not path:
        return
    prefix = f"{' / '.join(_labels)}: " if _labels else ""
    with open(path, "a") as f:  # one short write per line: the reader never sees half of it
        f.write(prefix + " ".join(str(line).split()) + "\n")


def log(line: str) -> None:
    """A line for the person running this: to the terminal under run_all.sh, else printed."""
    if enabled():
        note(line)
    else:
        print(line, flush=True)


@contextmanager
def task(label: str) -> Iterator[None]:
    """Name the work inside the block in every progress line."""
    _labels.append(label)
    try:
        yield
    finally:
        _labels.pop()
