"""Regenerate the reports: papermill runs each notebook, nbconvert and Chromium render it.

    python -m regnet reports [--profile quick|course|tiny] [--only NAME[,NAME...]]

Each report is executed into reports/<profile>/.work/ and moved next to its HTML and PDF only
when all three are done, so a failure leaves every finished report as it was. The first
failure stops the run with one line naming the notebook and the cell. Training runs live in
runs/<profile>/ and are reused, so running again after a failure is cheap. While a notebook
runs, the lines it sends to regnet.progress (which run of which study, its epoch) are printed
here; the reports hold none of them. Last, every finished report of the profile is combined
into reports/<profile>/report.html and report.pdf (combine.py).
"""
from __future__ import annotations

import contextlib
import html as html_lib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .. import lock, progress
from ..provenance import ROOT, asset
from ..errors import ParamError
from ..params import PROFILES, check_value, parse_set, resolve
from .contents import REPORTS, Report
from .notebook import NOTEBOOK_NAMES, profile_file


#: Print CSS: A4 pages; tables wrap their text at spaces instead of running off the edge;
#: figures keep the size they were drawn at (figures.py draws them at print size).
PRINT_CSS = """
<style>
@page { size: A4; margin: 12mm; }
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10pt; }
/* long outputs may break across pages (nbconvert keeps them whole, which leaves blank pages) */
.jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child,
.jp-OutputArea-output, .jp-RenderedHTMLCommon { break-inside: auto !important;
  page-break-inside: auto !important; max-width: 100% !important; overflow: visible !important; }
.jp-OutputPrompt, .jp-InputPrompt, .jp-Collapser { display: none !important; }
.jp-RenderedHTMLCommon, .jp-RenderedMarkdown { font-size: 10pt !important; }
/* Markdown cells are padded 5 px more than outputs: text would start at two left edges */
.jp-Cell-inputArea .jp-RenderedMarkdown { padding-left: 0 !important; }
table { border-collapse: collapse; font-size: 8pt !important; max-width: 100%;
  table-layout: auto !important; margin-left: 0 !important; }
/* a narrow table would squeeze its caption into a column of a few words a line */
table:has(> caption) { min-width: 50%; }
th, td { padding: 1px 4px !important; white-space: normal !important; word-break: normal !important;
  overflow-wrap: normal !important; }
tr { break-inside: avoid; }
div.regnet-keep { break-inside: avoid; }
caption { break-after: avoid; }
caption { caption-side: top; text-align: left !important; padding: 4px 0; font-size: 9pt;
  color: #000 !important; }
.regnet-num { font-weight: bold; }
figure.regnet-figure { margin: 6px 0 10px 0; break-inside: avoid; }
figure.regnet-figure figcaption { font-size: 9pt; margin-top: 2px; }
img { max-width: 100% !important; height: auto !important; }
pre { white-space: pre-wrap; font-size: 8pt; }
h1, h2, h3 { break-after: avoid; }
</style>
"""

#: A4 less the 12 mm margins, in CSS px (96 per inch): the width a printed table must fit.
PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)

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


_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)
_MARKDOWN_H1 = re.compile(r"^#[ \t]+([^\n]+)$|<h1[^>]*>(.*?)</h1>", re.M | re.S | re.I)


def notebook_title(node) -> str | None:
    """A report's title: the first level-1 heading its code shows (the report's own title,
    e.g. "Extra A: RegNetX variants"), else its first level-1 Markdown heading."""
    shown = [str(o.get("data", {}).get("text/html", "")) for c in node.cells
             if c.cell_type == "code" for o in c.get("outputs", [])]
    written = [c.source for c in node.cells if c.cell_type == "markdown"]
    for texts, pattern in ((shown, _H1), (written, _MARKDOWN_H1)):
        for text in texts:
            found = pattern.search(text)
            if found:
                heading = next(g for g in found.groups() if g)
                return html_lib.unescape(re.sub(r"<[^>]+>", "", heading)).strip()
    return None


def to_html(notebook: Path, html: Path) -> None:
    """Render an executed notebook to HTML: no code, offline math, print-friendly tables.
    The page's title, and so the PDF's, is `notebook_title`."""
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
    node.metadata["title"] = notebook_title(node) or notebook.stem
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


#: Measures every table and figure in the page once it has loaded and leaves the answer in
#: the DOM: tables that reach past the page, figures shown narrower than they were drawn
#: (shrunk to fit, so their text is smaller on paper than figures.py drew it), and where the
#: page's paragraphs, headings, tables and figures start (one left edge when they align).
_MEASURE = """<script>
window.addEventListener('load', () => {
  const limit = document.documentElement.clientWidth;
  const wide = [], shrunk = [];
  document.querySelectorAll('table').forEach((t, i) => {
    const right = t.getBoundingClientRect().right;
    if (right > limit + 0.5) {
      const caption = t.caption ? t.caption.textContent.trim() : '';
      wide.push({table: i + 1, right: Math.round(right), caption: caption});
    }
  });
  document.querySelectorAll('figure.regnet-figure').forEach((f, i) => {
    const img = f.querySelector('img');
    const drawn = parseFloat(img.style.width) * 96;  // style width in inches
    const shown = img.getBoundingClientRect().width;
    if (shown < drawn - 1) {
      const caption = f.querySelector('figcaption');
      shrunk.push({figure: i + 1, drawn: Math.round(drawn), shown: Math.round(shown),
                   caption: caption ? caption.textContent.trim() : ''});
    }
  });
  const edges = {};
  document.querySelectorAll('p, h1, h2, h3, table, figure').forEach((e) => {
    if (e.closest('li, td, th, figure figcaption, blockquote') && e.tagName !== 'FIGURE') return;
    const left = Math.round(e.getBoundingClientRect().left);
    edges[left] = edges[left] || e.tagName + ': ' + e.textContent.trim().slice(0, 40);
  });
  const out = document.createElement('pre');
  out.id = 'regnet-widths';
  out.textContent = JSON.stringify({limit: limit, wide: wide, shrunk: shrunk, edges: edges});
  document.body.appendChild(out);
});
</script>"""


def wide_tables(html: Path, browser: str, width: int = PRINTABLE_PX) -> list[dict]:
    """The tables of an HTML report that reach past the printable width of an A4 page, as
    Chromium lays the page out at that width: [{table, right, caption}, ...]."""
    return _measure(html, browser, width)["wide"]


def shrunk_figures(html: Path, browser: str, width: int = PRINTABLE_PX) -> list[dict]:
    """The figures of an HTML report shown narrower than drawn at the printable width of an
    A4 page: [{figure, drawn, shown, caption}, ...] (widths in CSS px)."""
    return _measure(html, browser, width)["shrunk"]


def left_edges(html: Path, browser: str, width: int = PRINTABLE_PX) -> dict[int, str]:
    """Where the paragraphs, headings, tables and figures of an HTML report start, in CSS px
    from the page's left: {edge: the first element found there}. One edge: they align."""
    return {int(k): v for k, v in _measure(html, browser, width)["edges"].items()}


def _measure(html: Path, browser: str, width: int) -> dict:
    """Lay `html` out in Chromium at `width` CSS px and read what _MEASURE found."""
    import json
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "measure.html"
        page.write_text(html.read_text().replace("</body>", _MEASURE + "</body>", 1))
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--hide-scrollbars", f"--user-data-dir={tmp}/profile",
             f"--window-size={width},1200", "--virtual-time-budget=20000",
             "--allow-file-access-from-files", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="regnet-widths">(.*?)</pre>', done.stdout, re.S)
    if not found:
        raise RuntimeError(f"Chromium did not measure {html.name}")
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")
                        .replace("&lt;", "<").replace("&gt;", ">"))
    return result


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


def run(profile: str = "quick", only: str | None = None, out_root: Path | None = None,
        pdf: bool = True, sets: list[str] = ()) -> list[Path]:
    """Execute and render the chosen reports, then the combined report; return the paths
    written."""
    overrides = dict(parse_set(s) for s in sets)
    for key, value in overrides.items():
        if key not in NOTEBOOK_NAMES:
            check_value(key, value)  # a typo stops here, before any notebook runs
    if profile not in PROFILES:
        raise ParamError(f"--profile {profile!r} must be one of: {', '.join(PROFILES)}")
    values = resolve([profile_file(profile)], overrides={
        k: v for k, v in overrides.items() if k not in NOTEBOOK_NAMES})
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
    from .combine import write_combined
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
        written += _render(executed, work, out_dir, browser)
        print(f"[{i}/{len(reports)}] {report.name} done in {time.perf_counter() - start:.1f} s "
              f"({_shown(out_dir)}/{report.name}.{{{'html+pdf' if browser else 'html'}}})",
              flush=True)
    start = time.perf_counter()
    combined = write_combined(out_dir, values, work, browser)
    for f in combined:
        os.replace(f, out_dir / f.name)
        written.append(out_dir / f.name)
    print(f"combined report done in {time.perf_counter() - start:.1f} s "
          f"({_shown(out_dir)}/report.{{{'html+pdf' if browser else 'html'}}})", flush=True)
    return written


def _render(executed: Path, work: Path, out_dir: Path, browser: str | None) -> list[Path]:
    """HTML (and PDF) of an executed notebook; only then replace the previous report."""
    html = work / f"{executed.stem}.html"
    to_html(executed, html)
    files = [executed, html]
    if browser:
        to_pdf(html, work / f"{executed.stem}.pdf", browser)
        files.append(work / f"{executed.stem}.pdf")
    for f in files:
        os.replace(f, out_dir / f.name)
    return [out_dir / f.name for f in files]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
