"""What every notebook does first: resolve its parameters and say where its numbers come from.

A notebook's `parameters` cell sets PROFILE and a few names to None ("the profile's
choice"; PROFILE None is course in Colab with a GPU, else quick). papermill injects `-p NAME
VALUE` and `-f FILE` values as globals after that cell. `start(globals())` then resolves, in
order: defaults, params/<PROFILE>.yaml, PARAMS_FILE, and every UPPER_CASE global of the
vocabulary that is not None; it also mounts Google Drive in Colab when DATA_DIR lies on it.
Any other UPPER_CASE global, and any other global holding a value papermill injects (a typo
in `-p`, in any case), is an error, before any work.

run_all.sh's renderer imports this module and never loads torch: what needs torch, the engine
or the data layer is imported inside the function that uses it.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from IPython.display import HTML, Markdown, display

from .. import catalog
from .. import params as _params
from ..colab import default_profile, mount_drive_for
from ..provenance import ROOT, asset, describe_device, git_state


def profile_file(profile: str) -> Path:
    """params/<profile>.yaml, or a one-line error naming the valid profiles."""
    if profile not in _params.PROFILES:
        raise _params.ParamError(f"PROFILE={profile!r} must be one of: "
                                 f"{', '.join(_params.PROFILES)}")
    return asset("params") / f"{profile}.yaml"


#: Names the notebooks take besides the parameter vocabulary (REPO: the Colab cell's clone).
NOTEBOOK_NAMES = {"PARAMS_FILE", "RUN_DIR", "EXPERIMENT", "REPO"}
#: Globals IPython gives every kernel.
IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython"}
#: What papermill `-p` and `-f` inject: YAML's kinds of value.
INJECTED = (str, int, float, bool, list, dict)

_UPPER = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{2,}[0-9]*$")


def check_names(namespace: Mapping[str, Any]) -> None:
    """A global that no notebook reads is an error with a did-you-mean, as on the command
    line: silently training with the default would be worse. That is every unknown
    UPPER_CASE global (papermill `-p DATA_BATCH_SIZ 256`), and every other unknown name
    holding a value papermill injects (`-p data_batch_siz 8`): a notebook's own globals
    before `start` are modules, functions and classes."""
    known = set(_params.PARAMS) | NOTEBOOK_NAMES
    for name, value in namespace.items():
        if name in known or name in IPYTHON_NAMES or name.startswith("_"):
            continue
        if _UPPER.match(name) or isinstance(value, INJECTED):
            close = difflib.get_close_matches(name.upper(), sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            case = "" if _UPPER.match(name) else "; parameters are UPPER_CASE"
            raise _params.ParamError(f"unknown parameter {name[:60]}{hint}{case}; `python -m "
                                     "regnet params` lists them")


def resolve(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters from a notebook's globals (see the module docstring)."""
    check_names(namespace)
    profile = _params.check_value("PROFILE", namespace.get("PROFILE") or default_profile())
    files = [profile_file(profile)]
    if namespace.get("PARAMS_FILE"):
        path = Path(namespace["PARAMS_FILE"])
        files.append(path if path.is_absolute() else ROOT / path)
    overrides = {k: v for k, v in namespace.items()
                 if k in _params.PARAMS and v is not None}
    return _params.resolve(files, overrides={**overrides, "PROFILE": profile})


def start(namespace: Mapping[str, Any]):
    """A notebook's first step: resolve its parameters, mount Drive if needed."""
    values = resolve(namespace)
    mount_drive_for(values["DATA_DIR"])
    return values


def md(text: str) -> None:
    """Display generated prose as Markdown (not as program output)."""
    display(Markdown(text))


def git_commit() -> str:
    """The checked-out commit (with +dirty when the tree has changes), or 'unknown'."""
    commit, dirty = git_state()
    return f"{commit[:12]}{'+dirty' if dirty else ''}" if commit else "unknown"


def device_name(device: str = "auto") -> str:
    """The device the notebook's training picks for DEVICE, in words."""
    from ..engine.distributed import pick_device
    return describe_device(pick_device(device))


def speed(values: Mapping[str, Any]) -> str:
    """What PRECISION, CHANNELS_LAST, COMPILE and CUDA_GRAPHS (auto) become on this device."""
    from ..engine.device import resolve_here
    return resolve_here(_params.check_all(values).run).describe()


def report_provenance(values: Mapping[str, Any], **extra) -> dict[str, Any]:
    """Where a report's numbers come from (its provenance table's rows): commit, when the
    report was made, device, speed settings, dataset, epochs."""
    import torch  # here, not at the top, as every import of torch or the data layer in this
    from ..data import describe_data  # module: run_all.sh's renderer imports it, never them
    return {"profile": values.get("PROFILE", "?"), "git commit": git_commit(),
            "report made": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "device": device_name(values.get("DEVICE", "auto")),
            "speed": speed(values), "torch": torch.__version__,
            "dataset": describe_data(_params.check_all(values).data),
            "epochs": _params.total_epochs(values), **extra}


#: The note box of each profile's tone (catalog.Profile.tone).
NOTE_STYLES = {"demo": "border:3px solid #c00;background:#fee",
               "info": "border:3px solid #b60;background:#ffe"}


def note_style(profile: str) -> str:
    """The CSS of the note box at the top of a profile's reports."""
    return (NOTE_STYLES[catalog.PROFILES[profile].tone]
            + ";padding:8px;margin:8px 0;font-weight:bold")


def data_line(values: Mapping[str, Any]) -> str:
    """Which data a report shows, in words, with the sizes the runs see: 'Data: Tiny ImageNet
    (ImageNet photographs), 10 classes at 16 px, cropped to 14 px for training.' (where the
    files are is in the provenance)."""
    from ..data import settings
    s = settings(values.data)
    info = catalog.dataset(values["DATASET"])
    classes = f"{s['DATA_NUM_CLASSES']} classes " if s["DATA_NUM_CLASSES"] else "images "
    return (f"Data: {info.title}, {classes}at {s['DATA_IMAGE_SIZE']} px, cropped to "
            f"{s['DATA_CROP']} px for training.")


def header_html(title: str, values: Mapping[str, Any]) -> str:
    """The top of a report: its title, the profile's note, and which data it shows."""
    note = catalog.PROFILES[values["PROFILE"]].note
    box = (f"<div class='regnet-demo' style='{note_style(values['PROFILE'])}'>"
           f"{html.escape(note)}</div>" if note else "")
    return (f"<div class='regnet-header'><h1>{html.escape(title)}</h1>{box}"
            f"<p class='regnet-data'>{html.escape(data_line(values))}</p></div>")


def provenance_html(title: str, values: Mapping[str, Any], **extra) -> str:
    """Where the report's numbers come from, as a table captioned but not numbered: the
    combined report gathers these into its provenance appendix, so a report's own tables
    are numbered alike in both."""
    caption = html.escape(f"Provenance of {title}")
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                   for k, v in report_provenance(values, **extra).items())
    return f"<table class='regnet-provenance'><caption>{caption}</caption>{rows}</table>"


@dataclass(frozen=True)
class Header:
    """What `show_header` returns: `record(**rows)` adds rows (run folders, load averages) to
    the provenance table once they are known, so the body of the report need not name them;
    `on_load(ds)` adds a loaded dataset's summary: hand it to what loads the report's data
    (`runs.Datasets(on_load=...)`, `sweep.run_sweep`)."""
    record: Callable[..., None]
    on_load: Callable[[Any], None]


def show_header(title: str, values: Mapping[str, Any], **extra) -> Header:
    """Display the report header and its provenance table (see `Header`)."""
    display(HTML(header_html(title, values)))
    rows = dict(extra)

    def show(handle=None):
        """Display (or update) the provenance table; its metadata feeds the combined report."""
        meta = {"regnet_provenance": {"section": title, **{
            k: str(v) for k, v in report_provenance(values, **rows).items()}}}
        table = HTML(provenance_html(title, values, **rows))
        if handle is None:
            return display(table, display_id=True, metadata=meta)
        handle.update(table, metadata=meta)

    handle = show()
    loaded: list[str] = []

    def record(**more) -> None:
        rows.update(more)
        show(handle)

    def on_load(ds) -> None:
        if ds.summary() not in loaded:
            loaded.append(ds.summary())
            record(**{"data loaded": "; ".join(loaded)})
    return Header(record, on_load)


def finding(text: str) -> None:
    """The report's answer in one sentence (HTML), for the conclusions of the combined
    report; hidden in the report itself, whose observations already say it."""
    display(HTML(f"<div class='regnet-finding' style='display:none'>{text}</div>"))


def next_step(text: str) -> None:
    """What would sharpen the report's findings (HTML), for the last paragraph of the
    combined report's conclusions; hidden in the report itself."""
    display(HTML(f"<div class='regnet-next' style='display:none'>{text}</div>"))


def setup(text: str) -> None:
    """Display a setup paragraph that every report of a section may share: the combined
    report shows each distinct one once, under the section's heading."""
    display(HTML(f"<p class='regnet-setup'>{html.escape(text)}</p>"))
