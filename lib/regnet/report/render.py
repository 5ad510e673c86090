"""Regenerate the reports: papermill runs each notebook, nbconvert and Chromium render it.

    python -m regnet reports [--profile quick|course|tiny] [--only NAME[,NAME...]]

Each report is executed into reports/<profile>/.work/ and moved next to its HTML and PDF only
when all three are done, so a failure leaves every finished report as it was. The first
failure stops the run with one line naming the notebook and the cell. Training runs live in
runs/<profile>/ and are reused, so running again after a failure is cheap.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import lock
from ..provenance import ROOT, asset
from .notebook import NOTEBOOK_NAMES, PROFILES
from ..errors import ParamError
from ..params import check_value, parse_set


@dataclass(frozen=True)
class Report:
    """One rendered report: a notebook and the parameters it runs with."""
    name: str
    notebook: str
    parameters: dict = field(default_factory=dict)


REPORTS = [
    Report("01_design", "01_design.ipynb"),
    Report("02_train", "02_train.ipynb"),
    Report("03_implementation", "03_implementation.ipynb"),
    Report("04_variants", "04_extras.ipynb", {"EXPERIMENT": "variants"}),
    Report("04_group_width", "04_extras.ipynb", {"EXPERIMENT": "group_width"}),
    Report("04_epochs", "04_extras.ipynb", {"EXPERIMENT": "epochs"}),
    Report("04_test_crops", "04_extras.ipynb", {"EXPERIMENT": "test_crops"}),
    Report("04_bottleneck", "04_extras.ipynb", {"EXPERIMENT": "bottleneck"}),
    Report("05_design_space", "05_design_space.ipynb"),
]

#: Print CSS: A4 pages, tables that shrink to fit instead of running off the edge.
PRINT_CSS = """
<style>
@page { size: A4; margin: 12mm; }
body { font-family: 'DejaVu Sans', Arial, sans-serif; }
/* long outputs may break across pages (nbconvert keeps them whole, which leaves blank pages) */
.jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child,
.jp-OutputArea-output, .jp-RenderedHTMLCommon { break-inside: auto !important;
  page-break-inside: auto !important; max-width: 100% !important; overflow: visible !important; }
.jp-OutputPrompt, .jp-InputPrompt { display: none !important; }
table { border-collapse: collapse; font-size: 7.5pt; max-width: 100%; }
th, td { padding: 1px 5px !important; white-space: nowrap !important; }
tr { break-inside: avoid; }
caption { font-weight: bold; text-align: left; padding: 4px 0; }
img { max-width: 100% !important; height: auto !important; }
pre { white-space: pre-wrap; word-break: break-all; font-size: 8pt; }
h1, h2 { break-after: avoid; }
</style>
"""


MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")


def chromium() -> str | None:
    """The headless browser that prints HTML to PDF, if one is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


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
    import papermill as pm
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


class NotebookFailed(RuntimeError):
    """A notebook raised: the message names the notebook and the cell."""


def to_html(notebook: Path, html: Path) -> None:
    """Render an executed notebook to HTML: no code, offline math, print-friendly tables."""
    import nbformat
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    if MATHJAX.exists():
        exporter.mathjax_url = MATHJAX.as_uri() + "?config=TeX-AMS_HTML"
    try:
        node = nbformat.read(str(notebook), as_version=4)
    except Exception as e:  # a torn or foreign work file: name it, never a traceback
        raise NotebookFailed(f"{notebook} is not a readable notebook ({type(e).__name__}); "
                             "delete it and run again") from None
    body, _ = exporter.from_notebook_node(node)
    html.write_text(body.replace("</head>", PRINT_CSS + "</head>", 1))


def to_pdf(html: Path, pdf: Path, browser: str) -> None:
    """Print an HTML report to PDF with headless Chromium (math typeset before printing)."""
    with tempfile.TemporaryDirectory() as profile_dir:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--allow-file-access-from-files",
               f"--user-data-dir={profile_dir}", "--no-pdf-header-footer",
               "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if done.returncode or not pdf.exists() or pdf.stat().st_size == 0:
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"Chromium could not print {html.name}: {tail[0]}")


def run(profile: str = "quick", only: str | None = None, out_root: Path | None = None,
        pdf: bool = True, sets: list[str] = ()) -> list[Path]:
    """Execute and render the chosen reports; return the paths written."""
    overrides = dict(parse_set(s) for s in sets)
    for key, value in overrides.items():
        if key not in NOTEBOOK_NAMES:
            check_value(key, value)  # a typo stops here, before any notebook runs
    if profile not in PROFILES:
        raise ParamError(f"--profile {profile!r} must be one of: {', '.join(PROFILES)}")
    reports = select(only)
    root = out_root or ROOT / "reports"
    if root.exists() and not root.is_dir():
        raise ParamError(f"--out {root} is a file; give a folder for the reports")
    out_dir = root / profile
    with lock.hold(out_dir / ".work", "report folder"):  # one run_all.sh per folder
        return _render(reports, profile, out_dir, pdf, overrides)


def _render(reports, profile, out_dir, pdf, overrides) -> list[Path]:
    """The body of `run`, while this process holds the report folder."""
    work = out_dir / ".work"
    browser = chromium() if pdf else None
    if pdf and not browser:
        print("run_all.sh: no Chromium found, writing HTML only (PDF: apt-get install "
              "chromium)", file=sys.stderr)
    written = []
    for i, report in enumerate(reports, 1):
        start = time.perf_counter()
        print(f"[{i}/{len(reports)}] {report.name} ...", end="", flush=True)
        with kernel_log(work / f"{report.name}.log"):
            executed = execute(report, profile, work, overrides)
        html = work / f"{report.name}.html"
        to_html(executed, html)
        files = [executed, html]
        if browser:
            to_pdf(html, work / f"{report.name}.pdf", browser)
            files.append(work / f"{report.name}.pdf")
        for f in files:  # only now replace the previous report
            os.replace(f, out_dir / f.name)
            written.append(out_dir / f.name)
        kinds = "+".join(f.suffix.lstrip(".") for f in files[1:])
        print(f" done in {time.perf_counter() - start:.1f} s "
              f"({out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir}/"
              f"{report.name}.{{{kinds}}})", flush=True)
    return written
