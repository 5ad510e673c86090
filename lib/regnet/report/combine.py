"""One report to hand in: the finished reports of a profile combined into one HTML and PDF.

    reports/<profile>/report.html, report.pdf

A title page (REPORT_TITLE, REPORT_AUTHOR, REPORT_COURSE, the date, the profile), a table
of contents with page numbers, the sections in the seeds' order (design, training,
implementation, extras A-E, design space), tables and figures numbered through the whole
report, and at the end the provenance of every section. It is assembled from the executed
notebooks in reports/<profile>/, so it holds exactly what the single reports hold, and it is
made again from whatever reports are there after every `./run_all.sh`.
"""
from __future__ import annotations

import datetime as _dt
import html as _html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

from .. import catalog
from ..errors import ParamError
from .captions import renumber
from .contents import SECTIONS, section_reports
from .notebook import data_line, note_style

EXTRAS_INTRO = ("Five studies from the seed reports, each a file in params/experiments/; "
                "every run is trained once per profile and shared by the studies that need it.")

COMBINED_CSS = """
<style>
.regnet-title { page-break-after: always; padding-top: 60mm; text-align: center; }
.regnet-title h1 { font-size: 22pt; border: none; }
.regnet-title p { font-size: 12pt; margin: 4mm 0; }
.regnet-title, .regnet-title * { text-align: center !important; }
.regnet-toc { page-break-after: always; }
.regnet-toc ol { list-style: none; padding-left: 0; }
.regnet-toc li { display: flex; font-size: 10pt; margin: 1mm 0; }
.regnet-toc li.sub { padding-left: 8mm; font-size: 9pt; }
.regnet-toc li a { color: #000; text-decoration: none; }
.regnet-toc li .dots { flex: 1; border-bottom: 1px dotted #888; margin: 0 2mm 1mm 2mm; }
h1.regnet-section { page-break-before: always; }
</style>
"""


def experiment_title(report: str, profile: str) -> str:
    """The title of the study a 04_* report shows."""
    from ..study.experiments import load
    return load(report.removeprefix("04_"), profile).title


def _is(output: dict, cls: str) -> bool:
    return f"class='{cls}'" in str(output.get("data", {}).get("text/html", "")) or \
        f'class="{cls}"' in str(output.get("data", {}).get("text/html", ""))


def _shift(markdown: str, levels: int) -> str:
    """Move every Markdown heading down `levels` levels (## -> ###)."""
    return re.sub(r"^(#{1,5}) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", markdown,
                  flags=re.M)


def _heading(level: int, anchor: str, text: str, cls: str = "") -> str:
    return (f'<h{level} id="{anchor}"{f" class={cls!r}" if cls else ""}>'
            f"{_html.escape(text)}</h{level}>")


def _section_cells(nb, sub: str | None):
    """The cells of one executed report as a section: its title dropped (the section heading
    replaces it), headings shifted under a subsection, header outputs and logs left out.
    Returns (cells, provenance outputs)."""
    import nbformat
    cells, provenance = [], []
    first_markdown = True
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = cell.source
            if first_markdown:
                first_markdown = False
                text = "" if sub else re.sub(r"^# .*\n?", "", text, count=1)
            if sub:
                text = _shift(text, 1)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
        elif cell.cell_type == "code":
            keep = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream":
                    continue  # program output is a log, not report text
                if _is(o, "regnet-header"):
                    continue
                if _is(o, "regnet-provenance"):
                    provenance.append(o)
                    continue
                keep.append(o)
            if keep:
                c = nbformat.v4.new_code_cell("")
                c.outputs = keep
                cells.append(c)
    return cells, provenance


PROVENANCE_COLUMNS = ["section", "git commit", "date", "device", "dataset", "epochs"]


def provenance_table(outputs: list[dict]) -> str:
    """One table for every section's provenance (read from its header's metadata)."""
    from .captions import caption_html
    rows = [o.get("metadata", {}).get("regnet_provenance") for o in outputs]
    rows = [r for r in rows if r]
    head = "".join(f"<th style='text-align:left'>{_html.escape(c)}</th>"
                   for c in PROVENANCE_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>"
                                    f"{_html.escape(str(r.get(c, '')))}</td>"
                                    for c in PROVENANCE_COLUMNS) + "</tr>" for r in rows)
    torch = sorted({r.get("torch", "") for r in rows})
    caption = caption_html("Table", f"Where each section's numbers come from (profile "
                                    f"{rows[0].get('profile', '?')}, torch {', '.join(torch)})")
    return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"


def title_page(values: Mapping[str, Any]) -> str:
    """The title page: title, author, course, date, profile, and the demo warning if quick."""
    lines = [f"<h1>{_html.escape(values['REPORT_TITLE'])}</h1>"]
    for key in ("REPORT_AUTHOR", "REPORT_COURSE"):
        if values.get(key):
            lines.append(f"<p>{_html.escape(values[key])}</p>")
    lines.append(f"<p>{_dt.date.today().strftime('%d %B %Y')}</p>")
    lines.append(f"<p>{_html.escape(data_line(values))}</p>")
    lines.append(f"<p>profile: {_html.escape(values['PROFILE'])}</p>")
    note = catalog.PROFILES[values["PROFILE"]].note
    if note:
        lines.append(f"<p style='{note_style(values['PROFILE'])};font-size:10pt'>"
                     f"{_html.escape(note)}</p>")
    return f"<div class='regnet-title'>{''.join(lines)}</div>"


def assemble(out_dir: Path, values: Mapping[str, Any]):
    """The combined notebook from the executed reports in `out_dir`, or None if there are
    none."""
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    body, provenance = [], []
    for number, title in SECTIONS.items():
        reports = [r.name for r in section_reports(number)]
        present = [r for r in reports if (out_dir / f"{r}.ipynb").is_file()]
        if not present:
            continue
        body.append(nbformat.v4.new_markdown_cell(
            _heading(1, f"sec-{number}", f"{number} {title}", "regnet-section")))
        if len(reports) > 1:
            body.append(nbformat.v4.new_markdown_cell(EXTRAS_INTRO))
        for k, report in enumerate(present, 1):
            sub = None
            if len(reports) > 1:
                sub = f"{number}.{k} {experiment_title(report, values['PROFILE'])}"
                body.append(nbformat.v4.new_markdown_cell(
                    _heading(2, f"sec-{number}-{k}", sub)))
            cells, prov = _section_cells(read_report(out_dir / f"{report}.ipynb"), sub)
            body += cells
            provenance += prov
    if not body:
        return None
    number = len(SECTIONS) + 1
    tail = [nbformat.v4.new_markdown_cell(
        _heading(1, "sec-provenance", f"{number} Provenance", "regnet-section")),
        nbformat.v4.new_markdown_cell(
            "Where each section's numbers come from: the profile, the commit of the code "
            "that made them, the date and the device.")]
    if provenance:
        c = nbformat.v4.new_code_cell("")
        c.outputs = [nbformat.v4.new_output("display_data",
                                            data={"text/html": provenance_table(provenance)})]
        tail.append(c)
    nb.cells = [nbformat.v4.new_markdown_cell(title_page(values)),
                nbformat.v4.new_markdown_cell('<div id="regnet-toc"></div>'), *body, *tail]
    return nb


def read_report(path: Path):
    """A finished report notebook; a torn or foreign one is one line naming it."""
    import nbformat
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)  # JSON of another shape would fail later, far from its cause
        return nb
    except Exception as e:  # torn JSON, not a notebook, unreadable: name it, never a traceback
        raise ParamError(f"{path} is not a readable notebook ({type(e).__name__}); run "
                         f"./run_all.sh --only {path.stem} to make it again") from None


_HEADING = re.compile(r'<h([12])((?:\s[^>]*)?)>(.*?)</h\1>', re.S)


def headings(page: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of every h1 and h2 with an id in the combined page, in order."""
    out = []
    for level, attrs, inner in _HEADING.findall(page):
        anchor = re.search(r'\bid="([^"]+)"', attrs)
        if not anchor:
            continue
        text = _html.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip()
        out.append((int(level), anchor.group(1), text))
    return out


def _letters(text: str) -> str:
    """Only the letters and digits: how a heading is found again in the PDF's text."""
    return re.sub(r"[^0-9A-Za-z]+", "", text)


def toc_html(entries: list[tuple[int, str, str]], pages: dict[str, int] | None = None) -> str:
    """The table of contents: sections and their subsections, with page numbers if known."""
    items = []
    for level, anchor, text in entries:
        page = (pages or {}).get(anchor, "")
        items.append(f"<li class='{'top' if level == 1 else 'sub'}'>"
                     f"<a href='#{anchor}'>{_html.escape(text)}</a><span class='dots'></span>"
                     f"<span>{page}</span></li>")
    return f"<div class='regnet-toc'><h1>Contents</h1><ol>{''.join(items)}</ol></div>"


def heading_pages(pdf: Path, entries: list[tuple[int, str, str]]) -> dict[str, int]:
    """The page each heading lands on, read from the PDF's text (empty without pdftotext)."""
    if not shutil.which("pdftotext"):
        return {}
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    pages = [[_letters(line) for line in p.splitlines()] for p in text.split("\f")]
    start = next((i for i, p in enumerate(pages) if "Contents" in p), 0) + 1
    found, at = {}, start
    for _, anchor, heading in entries:
        wanted = _letters(heading.split("$")[0])  # math is typeset in the PDF: match before it
        for i in range(at, len(pages)):
            if any(line.startswith(wanted[:24]) for line in pages[i]):
                found[anchor] = i + 1
                at = i
                break
    return found


def write_combined(out_dir: Path, values: Mapping[str, Any], work: Path,
                   browser: str | None) -> list[Path]:
    """Write report.html (and report.pdf) into `work`; return them (none if no reports)."""
    import nbformat

    from .render import to_html, to_pdf
    nb = assemble(out_dir, values)
    if nb is None:
        return []
    source = work / "report.ipynb"
    nbformat.write(nb, str(source))
    html_path = work / "report.html"
    to_html(source, html_path)
    page = renumber(html_path.read_text()).replace("</head>", COMBINED_CSS + "</head>", 1)
    entries = [e for e in headings(page) if e[1] != "regnet-toc"]
    placeholder = '<div id="regnet-toc"></div>'
    html_path.write_text(page.replace(placeholder, toc_html(entries), 1))
    source.unlink()
    if not browser:
        return [html_path]
    pdf = work / "report.pdf"
    to_pdf(html_path, pdf, browser)
    pages = heading_pages(pdf, entries)
    if pages:  # print again with the page numbers in the contents (same layout, same pages)
        html_path.write_text(page.replace(placeholder, toc_html(entries, pages), 1))
        to_pdf(html_path, pdf, browser)
    return [html_path, pdf]
