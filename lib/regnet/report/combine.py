"""One report to hand in: the finished reports of a profile combined into one HTML and PDF.

    reports/<profile>/report.html, report.pdf

A title page (REPORT_TITLE, REPORT_COURSE, REPORT_AUTHOR, the date, the data), a table of
contents with page numbers, the sections in the seeds' order (design, training,
implementation, extras A-E, design space) with tables and figures numbered as each report's
own PDF numbers them, then the appendices: the cells the notebooks tag for one (the hand
counts of the two earlier reports) and the provenance of every section. The PDF has page
numbers, a bookmark for every heading, and its Title, Author and Subject from the
parameters. It is assembled from the executed notebooks in reports/<profile>/, so it holds
exactly what the single reports hold, and it is made again from whatever reports are there
after every `./run_all.sh`.
"""
from __future__ import annotations

import datetime as _dt
import html as _html
import re
from pathlib import Path
from typing import Any, Mapping

import nbformat

from .. import catalog
from ..errors import ParamError
from .captions import caption_html, cite, number_cells
from .contents import (APPENDICES, REFERENCES, SECTIONS, Report, in_appendix,
                       section_reports)
from .notebook import data_line, note_style
from .publish import heading_key, headings, pdf_pages, to_html, to_pdf

COMBINED_CSS = """
<style>
@page :first { @bottom-center { content: none; } }
.regnet-title { page-break-after: always; padding-top: 60mm; text-align: center; }
.regnet-title p.regnet-doc-title { font-size: 22pt; margin-bottom: 10mm; }
.regnet-title p { font-size: 12pt; margin: 4mm 0; }
.regnet-title p.regnet-unset { font-size: 10pt; color: #a00; }
.regnet-title, .regnet-title * { text-align: center !important; }
.regnet-toc { page-break-after: always; }
.regnet-toc ol { list-style: none; padding-left: 0; }
ul.regnet-refs { list-style: none !important; padding-left: 0 !important; }
ul.regnet-refs li { list-style: none !important; margin: 2mm 0; padding-left: 6mm;
  text-indent: -6mm; }
.regnet-toc li { display: flex; font-size: 10pt; margin: 1mm 0; }
.regnet-toc li.sub { padding-left: 8mm; font-size: 9pt; }
.regnet-toc li a { color: #000; text-decoration: none; }
.regnet-toc li .dots { flex: 1; border-bottom: 1px dotted #888; margin: 0 2mm 1mm 2mm; }
h1.regnet-section { page-break-before: always; }
h1.regnet-refs-heading { margin-top: 10mm; }
.regnet-findings li { margin: 1.5mm 0; }
</style>
"""

#: How to set what the title page lacks: parameter -> an example value.
TITLE_EXAMPLES = {"REPORT_COURSE": "CS 6301 CNN Project 2 - Networks",
                  "REPORT_AUTHOR": "Jane Doe, jane.doe@utdallas.edu"}


def _is(output: dict, cls: str) -> bool:
    html = str(output.get("data", {}).get("text/html", ""))
    return f"class='{cls}'" in html or f'class="{cls}"' in html


def _shift(markdown: str, levels: int) -> str:
    """Move every Markdown heading down `levels` levels (## -> ###)."""
    return re.sub(r"^(#{1,5}) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", markdown,
                  flags=re.M)


def _heading(level: int, anchor: str, text: str, cls: str = "") -> str:
    return (f'<h{level} id="{anchor}"{f" class={cls!r}" if cls else ""}>'
            f"{_html.escape(text)}</h{level}>")


def _cell(html: str):
    """A code cell that shows `html` (as a notebook output)."""
    c = nbformat.v4.new_code_cell("")
    c.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
    return c


def _section_cells(nb, sub: bool):
    """The cells of one executed report as a section: its title dropped (the section heading
    replaces it), headings shifted under a subsection, header outputs and logs left out.
    Returns (body cells, appendix cells, provenance outputs, findings as (NEXT or "", HTML))."""
    body, appendix, provenance, findings = [], [], [], []
    first_markdown = True
    for cell in nb.cells:
        into = appendix if in_appendix(cell) else body
        if cell.cell_type == "markdown":
            text = cell.source
            if first_markdown:
                first_markdown = False
                text = "" if sub else re.sub(r"^# .*\n?", "", text, count=1)
            if sub:
                text = _shift(text, 1)
            if text.strip():
                into.append(nbformat.v4.new_markdown_cell(text))
        elif cell.cell_type == "code":
            keep = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" or _is(o, "regnet-header"):
                    continue  # program output is a log; the section heading is the title
                if _is(o, "regnet-finding") or _is(o, "regnet-next"):  # for the conclusions
                    findings.append((NEXT if _is(o, "regnet-next") else "", _finding_text(o)))
                    continue
                (provenance if _is(o, "regnet-provenance") else keep).append(o)
            if keep:
                c = nbformat.v4.new_code_cell("")
                c.outputs = keep
                into.append(c)
    return body, appendix, provenance, findings


def _finding_text(output: dict) -> str:
    """The sentence inside a finding's hidden div (`notebook.finding`)."""
    html = output["data"]["text/html"]
    html = "".join(html) if isinstance(html, list) else html
    return re.sub(r"^<div[^>]*>|</div>\s*$", "", html.strip())


PROVENANCE_COLUMNS = ["section", "git commit", "report made", "device", "dataset", "epochs"]


def provenance_table(outputs: list[dict]) -> str:
    """One table for every section's provenance (read from its header's metadata): a column
    for what differs between sections, one line above it for what every section shares,
    and one line per section for what only it records (run folders, sweep files, data)."""
    rows = [o.get("metadata", {}).get("regnet_provenance") for o in outputs]
    rows = [r for r in rows if r]
    same = [c for c in PROVENANCE_COLUMNS[1:]
            if len(rows) > 1 and len({str(r.get(c, "")) for r in rows}) == 1]
    columns = [c for c in PROVENANCE_COLUMNS if c not in same]
    head = "".join(f"<th style='text-align:left'>{_html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>"
                                    f"{_html.escape(str(r.get(c, '')))}</td>"
                                    for c in columns) + "</tr>" for r in rows)
    torch = sorted({r.get("torch", "") for r in rows})
    caption = caption_html("Table", f"Where each section's numbers come from (profile "
                                    f"{rows[0].get('profile', '?') if rows else '?'}, "
                                    f"torch {', '.join(torch)})", "provenance")
    common = ("<p>Every section: " + "; ".join(
        f"{_html.escape(c)} {_html.escape(str(rows[0].get(c, '')))}" for c in same)
        + ".</p>") if same else ""
    shared = set(PROVENANCE_COLUMNS) | {"profile", "torch"}
    details = "".join(
        f"<p><b>{_html.escape(r.get('section', ''))}</b>: " + "; ".join(
            f"{_html.escape(k)}: {_html.escape(str(v))}" for k, v in r.items()
            if k not in shared) + "</p>" for r in rows)
    return (f"{common}<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"
            f"{details}")


def title_page(values: Mapping[str, Any], provenance: list[dict] = ()) -> str:
    """The title page: title, course, author, date, data, the scale of the runs (from the
    reports' `provenance` outputs), and the profile's note (the demo warning of quick);
    where the course or the author is not set, its line names the parameter that sets it."""
    lines = [f"<p class='regnet-doc-title'>{_html.escape(values['REPORT_TITLE'])}</p>"]
    for k in TITLE_EXAMPLES:  # where one is unset, its line says which parameter sets it
        what = k.removeprefix("REPORT_").lower()
        lines.append(f"<p>{_html.escape(values[k])}</p>" if values.get(k) else
                     f"<p class='regnet-unset'>{what[:1].upper()}{what[1:]} not set: the "
                     f"parameter {k} sets it, e.g. \u201c{_html.escape(TITLE_EXAMPLES[k])}"
                     "\u201d (docs/reports.md)</p>")
    lines.append(f"<p>{_dt.date.today().strftime('%d %B %Y')}</p>")
    lines.append(f"<p>{_html.escape(data_line(values))}</p>")
    scale = scope_line(list(provenance))
    if scale:
        lines.append(f"<p>{_html.escape(scale)}</p>")
    note = catalog.PROFILES[values["PROFILE"]].note
    if note:
        lines.append(f"<p style='{note_style(values['PROFILE'])};font-size:10pt'>"
                     f"{_html.escape(note)}</p>")
    return f"<div class='regnet-title'>{''.join(lines)}</div>"


def scope_line(provenance: list[dict]) -> str:
    """How long section 2's run trained and how many models the design-space study sampled,
    read from the reports' own provenance, for the title page: the scale of every number in
    the report ("" when neither report is present)."""
    rows = [o.get("metadata", {}).get("regnet_provenance") or {} for o in provenance]
    training = next((r for r in rows if str(r.get("section", "")).startswith("Training")), {})
    sweep = next((r for r in rows if "models per space" in r), {})
    parts = []
    if training.get("epochs"):
        epochs = training["epochs"]
        parts.append(f"training runs of {epochs} epoch{'s' if str(epochs) != '1' else ''} "
                     "unless a study says otherwise")
    if sweep:
        models = sweep["models per space"]
        parts.append(f"{models} model{'s' if str(models) != '1' else ''} per design space")
    return f"Scale: {'; '.join(parts)}." if parts else ""


def subsection_title(report: Report, profile: str) -> str:
    """A study's title as its subsection heading: "C. More epochs" for "Extra C: more epochs"."""
    # here, not at the top: run_all.sh's renderer imports this module and never needs torch,
    # which the study layer imports
    from ..study.experiments import load as load_experiment
    title = load_experiment(report.name.removeprefix("04_"), profile).title
    name = title.split(": ", 1)[-1]
    return f"{report.number[-1]}. {name[:1].upper()}{name[1:]}"


def _section(number: str, out_dir: Path, profile: str, said: list[str] | None = None):
    """The cells of section `number` from the reports present, with its appendix cells and
    provenance outputs and its findings: (cells, {appendix: cells}, provenance, [(label,
    finding)]). A setup paragraph already in `said` (an earlier section's) is not repeated;
    the new ones are added to it."""
    said = [] if said is None else said
    reports = section_reports(number)
    present = [r for r in reports if (out_dir / f"{r.name}.ipynb").is_file()]
    if not present:
        return [], {}, [], []
    cells = [nbformat.v4.new_markdown_cell(
        _heading(1, f"sec-{number}", f"{number} {SECTIONS[number]}", "regnet-section"))]
    appendices, provenance, setups, findings = {}, [], [], []
    for report in present:
        sub = len(reports) > 1
        label = SECTIONS[number]
        if sub:
            title = subsection_title(report, profile)
            cells.append(nbformat.v4.new_markdown_cell(_heading(
                2, f"sec-{report.number}", title)))
            label = title.split(". ", 1)[-1]
        body, appendix, prov, found = _section_cells(
            read_report(out_dir / f"{report.name}.ipynb"), sub)
        findings += [(kind or f"{label} ({report.number})", text) for kind, text in found]
        number_cells(body, report.number)
        cells += _setup_once(body, setups, said if not sub else None)
        provenance += prov
        for key, (_, name) in APPENDICES.items():
            if name == report.name and appendix:
                appendix = _drop_first_heading(appendix)  # the appendix's own heading names it
                number_cells(appendix, key)
                appendices[key] = appendix
    fresh = [text for text in setups if text not in said]
    said += fresh
    if fresh:  # the setup the section's reports share, once, under its heading
        cells[1:1] = [_cell("".join(fresh))]
    return cells, appendices, provenance, findings


def _drop_first_heading(cells: list) -> list:
    """`cells` with the heading lines of its first Markdown cell removed."""
    for cell in cells:
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"^#+ .*\n?", "", cell.source, flags=re.M)
            break
    return [c for c in cells if c.cell_type != "markdown" or c.source.strip()]


def _setup_once(cells: list, setups: list[str], in_place: list[str] | None = None) -> list:
    """`cells` without their setup paragraphs (class regnet-setup), each new one added to
    `setups` (for the section's heading); cells left with no output are dropped. With
    `in_place` (a section of one report: what earlier sections said), a setup stays where
    its report shows it unless an earlier section said it, and is added to `in_place`."""
    out = []
    for cell in cells:
        if cell.cell_type == "code":
            kept = []
            for o in cell.outputs:
                if _is(o, "regnet-setup"):
                    text = o["data"]["text/html"]
                    text = "".join(text) if isinstance(text, list) else text
                    if in_place is not None:
                        if text not in in_place:
                            in_place.append(text)
                            kept.append(o)
                    elif text not in setups:
                        setups.append(text)
                else:
                    kept.append(o)
            if not kept:
                continue
            cell.outputs = kept
        out.append(cell)
    return out


#: The label of a report's next step (`notebook.next_step`) among its findings.
NEXT = "Next"


def conclusions(findings: list[tuple[str, str]], values: Mapping[str, Any]) -> list:
    """The Conclusions section: each report's finding under its name and number, then what
    the findings rest on (synthetic data says nothing about RegNet; one seed per setting),
    then the reports' next steps, each once. No cells without findings."""
    steps = list(dict.fromkeys(text for label, text in findings if label == NEXT))
    findings = [(label, text) for label, text in findings if label != NEXT]
    if not findings:
        return []
    items = "".join(f"<li><b>{_html.escape(label)}.</b> {text}</li>" for label, text in findings)
    seeds = values["SEEDS"]
    caveat = ("Each finding rests on one training run per setting. \u201cBeyond the noise\u201d "
              + (f"means beyond the 95% bound that section 2's {seeds} seeds and the test "
                 "images put on a difference between two runs (section 4 says how). The "
                 "test-crop study is the exception: it evaluates one network's weights at "
                 "every crop, so it weighs its crops against the test images alone"
                 + (", and the seeds' crops by their spread over the seeds"
                    if values.get("FILE_SAVE", True) else "") + "."
                 if seeds > 1 else
                 "means beyond the noise of sampling the test images, not beyond the "
                 "seed-to-seed variation of training, which these runs do not measure and "
                 "which can be as large.")
              + " A difference beyond the noise is a lead for more seeds to confirm, not an "
                "established effect.")
    if values["DATASET"] == "synthetic":
        caveat += (" And every number comes from synthetic images trained for a few epochs: "
                   "these findings show how each study is made and read, and nothing about "
                   "how RegNet networks behave on real images.")
    return [nbformat.v4.new_markdown_cell(
        _heading(1, "conclusions", "Conclusions", "regnet-section")
        + "<p>Each part of this report found the following; its section gives the numbers "
          f"behind each finding.</p><ul class='regnet-findings'>{items}</ul>"
          f"<p>{caveat}</p>" + "".join(f"<p>{step}</p>" for step in steps))]


def cited_references(cells: list) -> list[str]:
    """The references the report's cells draw on: every work, except a method's (McNemar,
    Satterthwaite, Welch) where the text never names it (one seed: no Satterthwaite; no
    claim tested: no Welch)."""
    text = " ".join(str(c.source) if c.cell_type == "markdown" else
                    " ".join(str(o.get("data", {}).get("text/html", "")) +
                             str(o.get("data", {}).get("text/markdown", ""))
                             for o in c.get("outputs", [])) for c in cells)
    methods = ("McNemar", "Satterthwaite", "Welch")
    return [work for work in REFERENCES if all(m in text for m in methods if m in work)]


def assemble(out_dir: Path, values: Mapping[str, Any]):
    """The combined notebook from the executed reports in `out_dir`, or None if there are
    none."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    body, appendices, provenance, said, findings = [], {}, [], [], []
    for number in SECTIONS:
        cells, more, prov, found = _section(number, out_dir, values["PROFILE"], said)
        body += cells
        appendices.update(more)
        provenance += prov
        findings += found
    if not body:
        return None
    tail = conclusions(findings, values) + [nbformat.v4.new_markdown_cell(
        _heading(1, "references", "References", "regnet-refs-heading")  # no page of its own
        + "<ul class='regnet-refs'>" + "".join(  # cited by author and year in the text
            f"<li>{_html.escape(work)}</li>" for work in cited_references(body)) + "</ul>")]
    for key, (title, name) in APPENDICES.items():
        if name:  # a report's tagged cells, numbered already
            cells = appendices.get(key, [])
        else:  # the provenance of every section
            cells = [nbformat.v4.new_markdown_cell(
                "The profile, the commit of the code that made the numbers, the date and the "
                f"device of each section, and where its runs are kept{cite('provenance')}."),
                _cell(provenance_table(provenance))] if provenance else []
            number_cells(cells, key)
        if cells:
            tail.append(nbformat.v4.new_markdown_cell(_heading(
                1, f"app-{key}", f"Appendix {key}. {title}", "regnet-section")))
            tail += cells
    nb.cells = [nbformat.v4.new_markdown_cell(title_page(values, provenance)),
                nbformat.v4.new_markdown_cell('<div id="regnet-toc"></div>'), *body, *tail]
    return nb


def read_report(path: Path):
    """A finished report notebook; a torn or foreign one is one line naming it."""
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)  # JSON of another shape would fail later, far from its cause
        return nb
    except Exception as e:  # torn JSON, not a notebook, unreadable: name it, never a traceback
        raise ParamError(f"{path} is not a readable notebook ({type(e).__name__}); run "
                         f"./run_all.sh --only {path.stem} to make it again") from None


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
    pages = pdf_pages(pdf)
    start = next((i for i, p in enumerate(pages) if "Contents" in p), 0) + 1
    found, at = {}, start
    for _, anchor, heading in entries:
        wanted = heading_key(heading)
        for i in range(at, len(pages)):
            if any(line.startswith(wanted) for line in pages[i]):
                found[anchor] = i + 1
                at = i
                break
    return found


def write_combined(out_dir: Path, values: Mapping[str, Any], work: Path,
                   browser: str | None, info: Mapping[str, str] | None = None) -> list[Path]:
    """Write report.html (and report.pdf, with `info` in its metadata) into `work`; return
    them (none if no reports)."""
    nb = assemble(out_dir, values)
    if nb is None:
        return []
    html_path = work / "report.html"
    to_html(nb, html_path, values["REPORT_TITLE"], COMBINED_CSS)
    page = html_path.read_text()
    entries = [e for e in headings(page, levels=2) if e[1] != "regnet-toc"]
    placeholder = '<div id="regnet-toc"></div>'
    html_path.write_text(page.replace(placeholder, toc_html(entries), 1))
    if not browser:
        return [html_path]
    pdf = work / "report.pdf"
    info = {"Title": values["REPORT_TITLE"], **(info or {})}
    to_pdf(html_path, pdf, browser, info)
    pages = heading_pages(pdf, entries)
    if pages:  # print again with the page numbers in the contents (same layout, same pages)
        printed = html_path.read_text()  # with any rule that kept a heading off a page's foot
        html_path.write_text(printed.replace(toc_html(entries), toc_html(entries, pages), 1))
        to_pdf(html_path, pdf, browser, info)
    return [html_path, pdf]
