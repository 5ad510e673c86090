"""Regenerate the reports: papermill runs each notebook, nbconvert and Chromium render it.

    python -m regnet reports [--profile quick|course|tiny] [--only NAME[,NAME...]]

Each report is executed into reports/<profile>/.work/ and moved next to its HTML and PDF only
when all three are done, so a failure leaves every finished report as it was. The first
failure stops the run with one line naming the notebook and the cell. Training runs live in
runs/<profile>/ and are reused, so running again after a failure is cheap. While a notebook
runs, the lines it sends to regnet.progress (which run of which study, its epoch) are printed
here; the reports hold none of them. Each report is printed through publish.py with its
tables and figures numbered as in the combined report; last, every finished report of the
profile is combined into reports/<profile>/report.html and report.pdf (combine.py).
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

import papermill as pm

from .. import lock, progress
from ..provenance import ROOT, asset
from ..errors import ParamError
from ..params import PROFILES, check_value, parse_set, resolve
from .captions import number_cells
from .combine import write_combined
from .contents import REPORTS, Report, appendix_of, in_appendix
from .notebook import NOTEBOOK_NAMES, profile_file
from .publish import NotebookFailed, chromium, notebook_title, read_notebook, to_html, to_pdf


def select(only: str | None) -> list[Report]:
    """The reports named by --only (comma-separated; a notebook name selects all its reports)."""
    if not only:
        return list(REPORTS)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    chosen = []
    for w in wanted:
        hits = [r for r in REPORTS if w in (r.name, r.notebook, r.notebook.removesuffix(".ipynb"))]
        if not hits:
            raise ParamError(f"--only {w!r}: no such report; valid: "
                             f"{', '.join(r.name for r in REPORTS)}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def execute(report: Report, profile: str, work: Path, overrides: dict | None = None) -> Path:
    """Run the notebook with papermill into `work`; raise NotebookFailed naming the cell."""
    out = work / f"{report.name}.ipynb"
    params = {"PROFILE": profile, **(overrides or {}), **report.parameters}
    try:
        pm.execute_notebook(str(asset("notebooks") / report.notebook), str(out),
                            parameters=params, cwd=str(asset("notebooks")),
                            kernel_name="python3", progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as e:
        last = (e.evalue or "").strip().splitlines()
        raise NotebookFailed(f"{report.name} ({report.notebook}) failed in cell "
                             f"{e.exec_count} (cell index {e.cell_index}): {e.ename}: "
                             f"{last[-1] if last else ''} -- partial notebook: {out}") from None
    return out


@contextlib.contextmanager
def kernel_log(path: Path):
    """Send the kernel's own stderr chatter (it inherits our fd 2) to a log file."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "w") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def watch_progress(path: Path, name: str):
    """Print the lines the notebook appends to `path` (REGNET_PROGRESS) while it runs."""
    path.write_text("")
    stop = threading.Event()
    tty = sys.stdout.isatty()

    def follow():
        with open(path) as f:
            while True:
                line = f.readline()
                if line:
                    text = f"    {name}: {line.rstrip()}"
                    print(f"\r\033[K{text[:150]}" if tty else text, end="" if tty else "\n",
                          flush=True)
                elif stop.is_set():
                    break
                else:
                    time.sleep(0.2)  # a file has no wake-up call; five looks a second
    thread = threading.Thread(target=follow, daemon=True)
    saved = os.environ.get(progress.ENV)
    os.environ[progress.ENV] = str(path)  # the kernel inherits it
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        if tty:
            print("\r\033[K", end="", flush=True)
        if saved is None:
            os.environ.pop(progress.ENV, None)
        else:
            os.environ[progress.ENV] = saved


#: Parameters that name a file or folder: a relative one is taken from the caller's folder.
PATH_NAMES = ("DATA_DIR", "PARAMS_FILE", "RUN_DIR")


def run(profile: str = "quick", only: str | None = None, out_root: Path | None = None,
        pdf: bool = True, sets: list[str] = ()) -> list[Path]:
    """Execute and render the chosen reports, then the combined report; return the paths
    written."""
    overrides = dict(parse_set(s) for s in sets)
    for key in PATH_NAMES:  # the notebooks run in notebooks/: a path means where it was typed
        if isinstance(overrides.get(key), str) and overrides[key]:
            overrides[key] = os.path.abspath(os.path.expanduser(overrides[key]))
    if os.environ.get("REGNET_RUNS"):  # the kernels inherit it
        os.environ["REGNET_RUNS"] = os.path.abspath(os.path.expanduser(os.environ["REGNET_RUNS"]))
    for key, value in overrides.items():
        if key not in NOTEBOOK_NAMES:
            check_value(key, value)  # a typo stops here, before any notebook runs
    if profile not in PROFILES:
        raise ParamError(f"--profile {profile!r} must be one of: {', '.join(PROFILES)}")
    values = resolve([profile_file(profile)], overrides={  # as the notebooks resolve them
        **{k: v for k, v in overrides.items() if k not in NOTEBOOK_NAMES}, "PROFILE": profile})
    overrides.setdefault("PROGRESS", False)  # bars and epoch lines belong on the terminal
    reports = select(only)
    root = out_root or ROOT / "reports"
    if root.exists() and not root.is_dir():
        raise ParamError(f"--out {root} is a file; give a folder for the reports")
    out_dir = root / profile
    with lock.hold(out_dir / ".work", "report folder"):  # one run_all.sh per folder
        return _run_locked(reports, profile, out_dir, pdf, overrides, values)


def _run_locked(reports, profile, out_dir, pdf, overrides, values) -> list[Path]:
    """The body of `run`, while this process holds the report folder."""
    work = out_dir / ".work"
    browser = chromium() if pdf else None
    if pdf and not browser:
        print("run_all.sh: no Chromium found, writing HTML only (PDF: apt-get install "
              "chromium)", file=sys.stderr)
    written = []
    for i, report in enumerate(reports, 1):
        start = time.perf_counter()
        print(f"[{i}/{len(reports)}] {report.name} ...", flush=True)
        with kernel_log(work / f"{report.name}.log"), \
                watch_progress(work / f"{report.name}.progress", report.name):
            executed = execute(report, profile, work, overrides)
        written += _render(report, executed, work, out_dir, browser, pdf_info(values))
        print(f"[{i}/{len(reports)}] {report.name} done in {time.perf_counter() - start:.1f} s "
              f"({_shown(out_dir)}/{report.name}.{{{'html+pdf' if browser else 'html'}}})",
              flush=True)
    start = time.perf_counter()
    combined = write_combined(out_dir, values, work, browser, pdf_info(values))
    for f in combined:
        os.replace(f, out_dir / f.name)
        written.append(out_dir / f.name)
    print(f"combined report done in {time.perf_counter() - start:.1f} s "
          f"({_shown(out_dir)}/report.{{{'html+pdf' if browser else 'html'}}})", flush=True)
    return written


def pdf_info(values) -> dict[str, str]:
    """The PDF metadata every report carries: author and course from the parameters."""
    return {"Author": values["REPORT_AUTHOR"] or "", "Subject": values["REPORT_COURSE"] or ""}


def _render(report: Report, executed: Path, work: Path, out_dir: Path, browser: str | None,
            info: dict[str, str]) -> list[Path]:
    """HTML (and PDF) of an executed notebook, its tables and figures numbered as in the
    combined report; only then replace the previous report."""
    html = work / f"{executed.stem}.html"
    node = read_notebook(executed)
    title = notebook_title(node) or executed.stem
    number_cells([c for c in node.cells if not in_appendix(c)], report.number)
    number_cells([c for c in node.cells if in_appendix(c)], appendix_of(report))
    to_html(node, html, title)
    files = [executed, html]
    if browser:
        pdf = work / f"{executed.stem}.pdf"
        to_pdf(html, pdf, browser, {"Title": title, **info})
        files.append(pdf)
    for f in files:
        os.replace(f, out_dir / f.name)
    return [out_dir / f.name for f in files]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
