"""What every notebook does first: resolve its parameters and say where its numbers come from.

A notebook's `parameters` cell sets PROFILE and a few names to None ("the profile's
choice"). papermill injects `-p NAME VALUE` and `-f FILE` values as globals after that cell.
`setup(globals())` then resolves, in order: defaults, params/<PROFILE>.yaml, PARAMS_FILE, and
every UPPER_CASE global of the vocabulary that is not None.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Mapping

from . import params as _params
from .provenance import ROOT, describe_device, git_state

PROFILES = ("quick", "course", "tiny")


def profile_file(profile: str) -> Path:
    """params/<profile>.yaml, or a one-line error naming the valid profiles."""
    if profile not in PROFILES:
        raise _params.ParamError(f"PROFILE={profile!r} must be one of: {', '.join(PROFILES)}")
    return ROOT / "params" / f"{profile}.yaml"


def resolve(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters from a notebook's globals (see the module docstring)."""
    profile = _params.check_value("PROFILE", namespace.get("PROFILE") or "quick")
    files = [profile_file(profile)]
    if namespace.get("PARAMS_FILE"):
        path = Path(namespace["PARAMS_FILE"])
        files.append(path if path.is_absolute() else ROOT / path)
    overrides = {k: v for k, v in namespace.items()
                 if k in _params.PARAMS and v is not None}
    return _params.resolve(files, overrides={**overrides, "PROFILE": profile})


def git_commit() -> str:
    """The checked-out commit (with +dirty when the tree has changes), or 'unknown'."""
    commit, dirty = git_state()
    return f"{commit[:12]}{'+dirty' if dirty else ''}" if commit else "unknown"


def device_name(device: str = "auto") -> str:
    """The device the notebook's training picks for DEVICE, in words."""
    from .train import pick_device
    return describe_device(pick_device(device))


def provenance(values: Mapping[str, Any], **extra) -> dict[str, Any]:
    """Where the numbers come from: commit, date, device, dataset, profile, epochs."""
    import torch
    return {"profile": values.get("PROFILE", "?"), "git commit": git_commit(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "device": device_name(values.get("DEVICE", "auto")),
            "torch": torch.__version__, "dataset": values.get("DATASET"),
            "epochs": _params.total_epochs(values), **extra}


DEMO_NOTE = ("PIPELINE DEMO - not the course result. The quick profile trains for a few "
             "epochs on small synthetic images so that every notebook runs on any CPU in "
             "minutes; its accuracies say nothing about RegNet. Run `./run_all.sh --profile "
             "course` on a GPU with the course data for the real numbers.")


TINY_NOTE = ("TINY IMAGENET - not the course data. The tiny profile runs the course recipe on "
             "real ImageNet photographs from Tiny ImageNet (Stanford CS231N; 64 px, classes "
             "picked by DATA_CLASSES), a stand-in where the course archives cannot be reached. "
             "Its classes and images differ from the course's ImageNet-100, so its accuracies "
             "are not the course result.")


def header_html(title: str, values: Mapping[str, Any], **extra) -> str:
    """The top of a report: title, the quick or tiny profile's note, the provenance."""
    import html
    prov = provenance(values, **extra)
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                   for k, v in prov.items())
    warn = ""
    if values.get("PROFILE") == "quick":
        warn = ("<div style='border:3px solid #c00;background:#fee;padding:8px;"
                f"margin:8px 0;font-weight:bold'>{html.escape(DEMO_NOTE)}</div>")
    elif values.get("PROFILE") == "tiny":
        warn = ("<div style='border:3px solid #b60;background:#ffe;padding:8px;"
                f"margin:8px 0;font-weight:bold'>{html.escape(TINY_NOTE)}</div>")
    return f"<h1>{html.escape(title)}</h1>{warn}<table>{rows}</table>"


def show_header(title: str, values: Mapping[str, Any], **extra) -> None:
    """Display the report header in a notebook."""
    from IPython.display import HTML, display
    display(HTML(header_html(title, values, **extra)))
