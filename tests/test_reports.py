"""run_all.sh's engine: HTML and PDF renders, one-line failures, finished reports kept."""
import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pagemeasure import left_edges, shrunk_figures, wide_tables

from regnet.arch import complexity
from regnet.params import ParamError, resolve
from regnet.report import publish
from regnet.report import render as pipeline
from regnet.study import experiments, runs

ROOT = Path(__file__).resolve().parents[1]


def test_report_selection_by_name_and_notebook():
    assert [r.name for r in pipeline.select("02_train")] == ["02_train"]
    assert [r.name for r in pipeline.select("04_extras")] == [
        "04_variants", "04_group_width", "04_epochs", "04_test_crops", "04_bottleneck"]
    with pytest.raises(ParamError, match="--only 'nope': no such report; valid: 01_design"):
        pipeline.select("nope")


def test_bad_profile_and_bad_set_fail_before_any_notebook(tmp_path):
    with pytest.raises(ParamError, match="--profile 'big' must be one of: quick, course"):
        pipeline.run("big", out_root=tmp_path)
    with pytest.raises(ParamError, match="unknown parameter REGNET"):
        pipeline.run("quick", "01_design", out_root=tmp_path, sets=["REGNET=200mf"])
    assert not (tmp_path / "quick").exists() or not any((tmp_path / "quick").glob("*.html"))


needs_chromium = pytest.mark.skipif(
    not publish.chromium() or not shutil.which("pdftotext"),
    reason="needs chromium and pdftotext (.ci/run installs them)")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """01_design and 03_implementation rendered once, with the combined report."""
    if not publish.chromium() or not shutil.which("pdftotext"):
        pytest.skip("needs chromium and pdftotext (.ci/run installs them)")
    out = tmp_path_factory.mktemp("reports")
    written = pipeline.run("quick", "01_design,03_implementation", out_root=out,
                           sets=["REPORT_AUTHOR=Ada Lovelace", "REPORT_COURSE=CS 6301 Networks"])
    return out / "quick", written


def pdf_text(path):
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def pdf_pages(path):
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))


def test_implementation_report_renders_html_and_a_pdf_with_the_totals(rendered):
    folder, written = rendered
    assert sorted(p.name for p in written) == sorted(
        [f"{n}.{k}" for n in ("01_design", "03_implementation") for k in ("html", "ipynb", "pdf")]
        + ["report.html", "report.pdf"])
    html = (folder / "03_implementation.html").read_text()
    assert "PIPELINE DEMO" in html and "MathJax" in html
    assert "cdn" not in html.split("MathJax.js")[0][-200:]  # math renders offline
    pdf = folder / "03_implementation.pdf"
    assert pdf_pages(pdf) >= 2
    text = pdf_text(pdf)
    # the network as the quick profile trains it, and the seeds' networks at 56 px
    spec = runs.network(resolve([ROOT / "params" / "quick.yaml"]))
    ours = complexity.closed_form(spec)
    assert f"{ours['params']:,}" in text and f"{ours['macs']:,}" in text
    assert "2,351,452" in text and "3,291,052" in text and "1,707,272" in text


def test_no_table_is_wider_than_the_printable_page(rendered):
    folder, _ = rendered
    for name in ("01_design", "03_implementation", "report"):
        assert wide_tables(folder / f"{name}.html", publish.chromium()) == [], name
        # nor a figure shrunk to fit, which would print its 8 pt text smaller
        assert shrunk_figures(folder / f"{name}.html", publish.chromium()) == [], name
        # and text, headings, tables and figures start at one left edge, written or computed
        edges = left_edges(folder / f"{name}.html", publish.chromium())
        assert len(edges) == 1, (name, edges)
    # and every column header of the widest table made it onto the paper
    text = " ".join(pdf_text(folder / "03_implementation.pdf").split())  # headers wrap
    for header in ("where", "operator", "in", "out", "stride", "groups", "Parameters", "MACs",
                   "Activations", "report's params", "params difference", "MACs difference"):
        assert header in text, header


def test_the_width_check_finds_a_table_wider_than_the_page(tmp_path):
    if not publish.chromium():
        pytest.skip("needs chromium")
    cells = "".join(f"<td>{10**9 + i:,}</td>" for i in range(24))
    page = tmp_path / "wide.html"
    page.write_text(f"<html><head>{publish.PRINT_CSS}</head><body><table><caption>too wide"
                    f"</caption><tr>{cells}</tr></table><table><tr><td>fits</td></tr></table>"
                    "</body></html>")
    wide = wide_tables(page, publish.chromium())
    assert [w["table"] for w in wide] == [1] and wide[0]["caption"] == "too wide"


def test_the_edge_check_finds_a_paragraph_out_of_line(tmp_path):
    if not publish.chromium():
        pytest.skip("needs chromium")
    page = tmp_path / "edges.html"
    page.write_text(f"<html><head>{publish.PRINT_CSS}</head><body><h1>Title</h1><p>in line</p>"
                    "<ul><li><p>a list item may be indented</p></li></ul>"
                    "<div style='padding-left:5px'><p>out of line</p></div></body></html>")
    edges = left_edges(page, publish.chromium())
    assert len(edges) == 2 and sorted(edges.values()) == ["H1: Title", "P: out of line"]
    assert min(edges) + 5 == max(edges)


def test_the_width_check_finds_a_figure_shrunk_to_fit(tmp_path):
    if not publish.chromium():
        pytest.skip("needs chromium")
    # a notebook output area, as nbconvert writes it, holding one figure drawn wider than
    # the page and one that fits
    figure = ('<figure class="regnet-figure"><img style="width:{}in" src="data:image/png;'
              'base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/'
              'PchI7wAAAABJRU5ErkJggg=="><figcaption>{}</figcaption></figure>')
    page = tmp_path / "figures.html"
    page.write_text(f"<html><head>{publish.PRINT_CSS}</head><body>"
                    f"{figure.format(9.0, 'too wide')}{figure.format(3.0, 'fits')}</body></html>")
    shrunk = shrunk_figures(page, publish.chromium())
    assert [(s["figure"], s["caption"]) for s in shrunk] == [(1, "too wide")]


def pdf_info(path):
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in info.splitlines()
                                              if ":" in line)}


def pdf_title(path):
    return pdf_info(path)["Title"]


def test_each_pdf_is_titled_by_its_report_not_notebook(rendered):
    folder, _ = rendered
    assert pdf_title(folder / "01_design.pdf") == "Design: RegNetX-200MF"
    assert pdf_title(folder / "03_implementation.pdf").startswith("Implementation: RegNetX-200MF")
    assert pdf_title(folder / "report.pdf") == resolve()["REPORT_TITLE"]


def test_every_pdf_carries_author_and_course_from_the_parameters(rendered):
    folder, _ = rendered
    for name in ("report", "01_design", "03_implementation"):
        info = pdf_info(folder / f"{name}.pdf")
        assert info["Author"] == "Ada Lovelace" and info["Subject"] == "CS 6301 Networks", name
    assert pdf_info(folder / "report.pdf")["Title"] == resolve()["REPORT_TITLE"]


def test_set_info_rewrites_a_pdfs_metadata_and_keeps_its_pages(tmp_path, rendered):
    folder, _ = rendered
    pdf = tmp_path / "copy.pdf"
    pdf.write_bytes((folder / "01_design.pdf").read_bytes())
    publish.set_info(pdf, {"Title": "Entwurf für Ünïcode", "Author": "Zoë (and others)"})
    info = pdf_info(pdf)
    assert info["Title"] == "Entwurf für Ünïcode" and info["Author"] == "Zoë (and others)"
    assert "Subject" not in info  # the new dictionary replaces the old one
    assert pdf_pages(pdf) == pdf_pages(folder / "01_design.pdf")
    assert pdf_text(pdf) == pdf_text(folder / "01_design.pdf")


def outline_titles(path) -> list[str]:
    """The titles of a PDF's bookmarks, as Chromium writes them (the document's own Title
    is in its information dictionary, left out here)."""
    data = path.read_bytes()
    titles = []
    for literal, hexed in re.findall(rb"/Title\s*(?:\(((?:[^()\\]|\\.)*)\)|<([0-9A-Fa-f]+)>)",
                                     data):
        if hexed:
            raw = bytes.fromhex(hexed.decode())
            titles.append(raw[2:].decode("utf-16-be") if raw[:2] == b"\xfe\xff"
                          else raw.decode("latin-1"))
        else:
            titles.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    info = {pdf_title(path)}
    return [t for t in titles if t not in info]


def test_combined_pdf_has_page_numbers_and_a_bookmark_for_every_heading(rendered):
    folder, _ = rendered
    pdf = folder / "report.pdf"
    assert b"/Outlines" in pdf.read_bytes()
    titles = outline_titles(pdf)
    for heading in ("Contents", "1 Design", "A. Generic network structure",
                    "B. Standard building block (X block, s = 1)", "3 Implementation",
                    "B. Every operator", "Appendix I. Hand counts of reports A and B",
                    "Appendix II. Provenance"):
        assert heading in titles, (heading, titles)
    pages = pdf_pages(pdf)
    assert page_foot(pdf, 1) == ""  # the title page is not numbered
    assert [page_foot(pdf, n) for n in range(2, pages + 1)] == [
        str(n) for n in range(2, pages + 1)]
    for name in ("01_design", "03_implementation"):  # and every section's own PDF
        own = folder / f"{name}.pdf"
        assert [page_foot(own, n) for n in range(1, pdf_pages(own) + 1)] == [
            str(n) for n in range(1, pdf_pages(own) + 1)]


def page_foot(pdf, page: int) -> str:
    """The text in the bottom 42 pt of an A4 page (below the 14 mm margin's top)."""
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-x", "0", "-y",
                           "800", "-W", "596", "-H", "42", str(pdf), "-"],
                          capture_output=True, text=True).stdout.strip()


def test_title_page_says_where_to_set_a_missing_author(values):
    from regnet.params import resolve as resolve_values
    from regnet.report import combine
    page = combine.title_page(resolve_values([ROOT / "params" / "quick.yaml"]))
    assert "Author not set: the parameter REPORT_AUTHOR sets it" in page
    assert "Course not set: the parameter REPORT_COURSE sets it" in page
    assert "./run_all.sh" not in page and "--set" not in page  # words, not a command
    prov = [{"metadata": {"regnet_provenance": {"section": "Training: RegNetX-200MF",
                                                "epochs": 3}}},
            {"metadata": {"regnet_provenance": {"section": "Design-space study",
                                                "models per space": 1}}}]
    scaled = combine.title_page(resolve_values([ROOT / "params" / "quick.yaml"]), prov)
    assert ("Scale: training runs of 3 epochs unless a study says otherwise; 1 model per "
            "design space.") in scaled  # the scale of every number, from the reports
    assert "Scale" not in page
    named = combine.title_page(resolve_values([ROOT / "params" / "quick.yaml"], overrides={
        "REPORT_AUTHOR": "Ada Lovelace", "REPORT_COURSE": "CS 6301"}))
    assert "Ada Lovelace" in named and "CS 6301" in named and "not set" not in named


def test_a_report_title_is_its_shown_heading_else_its_markdown_heading():
    import nbformat
    new = nbformat.v4
    nb = new.new_notebook()
    nb.cells = [new.new_markdown_cell("Intro\n# 4. Extras\nOne study per report."),
                new.new_code_cell("")]
    assert publish.notebook_title(nb) == "4. Extras"
    nb.cells[1].outputs = [new.new_output("display_data", data={
        "text/html": "<h1>Extra A: RegNetX <i>variants</i> &amp; more</h1><p>...</p>"})]
    assert publish.notebook_title(nb) == "Extra A: RegNetX variants & more"
    nb.cells = [new.new_markdown_cell("<div><h1>A\ntitle</h1></div>"),
                new.new_markdown_cell("# 1 Design")]
    assert publish.notebook_title(nb) == "A\ntitle"
    nb.cells = [new.new_markdown_cell("no heading")]
    assert publish.notebook_title(nb) is None


def test_captions_are_numbered_by_subsection_in_a_section_and_by_report_in_an_extra():
    from nbformat import v4 as new

    from regnet.report.captions import caption_html, number_cells

    def shown(*kinds):
        cell = new.new_code_cell("")
        cell.outputs = [new.new_output("display_data", data={
            "text/html": "".join(caption_html(k, "x") for k in kinds)})]
        return cell

    def numbers(cells):
        return re.findall(r"(?:Table|Figure) (\w+\.\d+)\.", "".join(
            str(o["data"]["text/html"]) for c in cells for o in c.get("outputs", [])))

    section = [new.new_markdown_cell("# 2. Training"), shown("Table"),
               new.new_markdown_cell("## A. Hyperparameters"), shown("Table", "Table"),
               new.new_markdown_cell("text\n\n## B. Loss"), shown("Figure", "Table")]
    number_cells(section, "2")
    assert numbers(section) == ["2.1", "2A.1", "2A.2", "2B.1", "2B.1"]
    extra = [new.new_markdown_cell("## A. not a subsection here"), shown("Table", "Table")]
    number_cells(extra, "4C")
    assert numbers(extra) == ["4C.1", "4C.2"]


def test_text_cites_labelled_tables_and_figures_by_the_numbers_they_print_with():
    from nbformat import v4 as new

    from regnet.report.captions import caption_html, cite, cited, number_cells, ref

    def shown(*captions):
        cell = new.new_code_cell("")
        cell.outputs = [new.new_output("display_data", data={
            "text/html": "".join(caption_html(k, "x", label) for k, label in captions)})]
        return cell

    def said(text):
        cell = new.new_code_cell("")
        cell.outputs = [new.new_output("display_data", data={"text/markdown": text})]
        return cell

    section = [new.new_markdown_cell(f"## A. Setup\n{ref('rates', 'the table below')} lists"),
               shown(("Table", None), ("Table", "rates")),
               new.new_markdown_cell("## B. Curves"),
               shown(("Figure", "loss"), ("Figure", "acc"), ("Table", "final")),
               said(f"It fell{cite('loss', 'acc', 'final')}. See {ref('rates', 'above')}.")]
    number_cells(section, "2")
    assert section[0].source == "## A. Setup\nTable 2A.2 lists"
    assert section[-1].outputs[0]["data"]["text/markdown"] == \
        "It fell (Table 2B.1 and Figures 2B.1 and 2B.2). See Table 2A.2."
    # in a notebook, before printing, a citation is invisible and a name reads as its words
    assert re.sub("<[^>]+>", "", f"It fell{cite('loss')}. {ref('rates', 'The table')}") == \
        "It fell. The table"
    # `cited` cites at the end of the first sentence, past numbers and "e.g."
    assert cited("Loss fell from 2.051 to 0.473, e.g. here. Then", "x") \
        == f"Loss fell from 2.051 to 0.473, e.g. here{cite('x')}. Then"
    within = [shown(("Table", "t")), said(cited("At the crop (14 px). Then", "t"))]
    number_cells(within, "4D")
    assert within[1].outputs[0]["data"]["text/markdown"] == "At the crop (14 px; Table 4D.1). Then"
    with pytest.raises(ValueError, match="no table or figure is labelled nothing"):
        number_cells([said(cite("nothing"))], "3")
    with pytest.raises(ValueError, match="two captions are labelled 'twice'"):
        number_cells([shown(("Table", "twice"), ("Figure", "twice"))], "3")
    with pytest.raises(ValueError, match="letters, digits"):
        cite("two words")


def test_the_provenance_table_says_once_what_every_section_shares():
    from regnet.report.combine import provenance_table

    def output(**row):
        return {"metadata": {"regnet_provenance": {"profile": "quick", "torch": "2.4", **row}}}
    html = provenance_table([
        output(section="Design", **{"git commit": "abc", "report made": "d1", "device": "cpu",
                                    "dataset": "synthetic", "epochs": "none trained"}),
        output(section="Training", **{"git commit": "abc", "report made": "d2", "device": "cpu",
                                      "dataset": "synthetic", "epochs": "3", "run": "r1"})])
    head = re.findall(r"<th[^>]*>(.*?)</th>", html)
    assert head == ["section", "report made", "epochs"]  # what differs
    assert "<p>Every section: git commit abc; device cpu; dataset synthetic.</p>" in html
    assert "<b>Training</b>: run: r1" in html and "<td style='text-align:left'>d2</td>" in html


def test_combined_report_has_a_title_page_contents_and_numbers_through_all_sections(rendered):
    folder, _ = rendered
    text = pdf_text(folder / "report.pdf")
    first = text.split("\f")[0]
    assert "RegNetX: design, training" in first and "Ada Lovelace" in first
    assert "CS 6301 Networks" in first and "PIPELINE DEMO" in first
    contents = text.split("\f")[1]
    assert "Contents" in contents and re.search(r"1 Design\s+\d", contents)  # page numbers
    order = [text.index(h, len(first) + len(contents)) for h in
             ("1 Design", "3 Implementation", "References\n",
              "Appendix I. Hand counts of reports A and B", "Appendix II. Provenance")]
    assert order == sorted(order)
    html = (folder / "report.html").read_text()
    for kind in ("Table", "Figure"):
        found = re.findall(rf'data-kind="{kind}">{kind} (\w+)\.(\d+)\.', html)
        prefixes = list(dict.fromkeys(p for p, _ in found))
        for prefix in prefixes:  # numbered from 1 within each subsection and appendix
            numbers = [int(n) for p, n in found if p == prefix]
            assert numbers == list(range(1, len(numbers) + 1)), (kind, prefix)
        assert len(found) >= 3 and re.fullmatch(r"1[A-E]", prefixes[0]), (kind, prefixes)
        assert all(re.fullmatch(r"[1-5][A-E]|I|II", p) for p in prefixes), prefixes
    references = " ".join(text.split("References\n")[-1].split("Appendix I.")[0].split())
    assert "Designing Network Design Spaces. CVPR 2020" in references
    provenance = " ".join(text.split("Appendix II. Provenance")[-1].split())
    assert "Design: RegNetX-200MF" in provenance and "Implementation: RegNetX-200MF" in provenance
    assert pdf_pages(folder / "report.pdf") >= 8


@needs_chromium
def test_a_long_table_never_leaves_its_last_rows_alone_on_a_page(tmp_path):
    """A 40-row table (too long to keep whole) below fillers of 88 to 133 mm, each from the
    top of a page, so that it breaks at every row near its end: wherever it breaks, its next
    page holds at least five of its rows."""
    import pandas as pd
    from nbformat import v4 as new

    from regnet.report import tables
    rows = 40
    assert rows > tables.KEEP_WHOLE  # too long to keep whole
    nb = new.new_notebook()
    for mm in range(88, 134, 3):
        cell = new.new_code_cell("")
        frame = pd.DataFrame({"row": [f"f{mm}r{i}" for i in range(1, rows + 1)]})
        cell.outputs = [new.new_output("display_data", data={"text/html": (
            f"<div class='filler' style='height:{mm}mm'>filler</div>"
            + tables.to_html(frame, "A long table"))})]
        nb.cells.append(cell)
    html, pdf = tmp_path / "t.html", tmp_path / "t.pdf"
    publish.to_html(nb, html, css="<style>.filler { break-before: page; }</style>")
    publish.to_pdf(html, pdf, publish.chromium())
    pages = pdf_text(pdf).split("\f")
    continued = [re.findall(r"f\d+r\d+", page) for page in pages
                 if not page.lstrip().startswith("filler")]
    alone = [found for found in continued if found and len(found) < 5]
    assert not alone, alone
    assert len([found for found in continued if found]) >= 8  # the tables did break


@needs_chromium
def test_a_heading_printed_at_the_foot_of_a_page_is_moved_to_the_next(tmp_path):
    """With every rule that keeps a heading with what follows switched off, fillers of 210 to
    250 mm leave headings at a page's foot; printing moves each to the next page."""
    import pandas as pd
    from nbformat import v4 as new

    from regnet.report import tables
    nb = new.new_notebook()
    for mm in range(210, 251, 8):
        filler = new.new_code_cell("")
        filler.outputs = [new.new_output("display_data", data={
            "text/html": f"<div class='filler' style='height:{mm}mm'>{'<p>filler</p>' * 14}"
                         "</div>"})]  # more lines above each heading than HEAD_LINES
        kept = new.new_code_cell("")
        kept.outputs = [new.new_output("display_data", data={"text/html": tables.to_html(
            pd.DataFrame({"row": range(20)}), f"Table under {mm}")})]
        nb.cells += [filler, new.new_markdown_cell(f"## Heading {mm}\nA note."), kept]
    html, pdf = tmp_path / "h.html", tmp_path / "h.pdf"
    loose = ("<style>.filler { break-before: page; } h2, .jp-Cell { break-after: auto "
             "!important; page-break-after: auto !important; }</style>")
    publish.to_html(nb, html, css=loose)
    publish._print(html, pdf, publish.chromium())
    entries = publish.headings(html.read_text())
    assert publish.stranded_headings(pdf, entries)  # the layout this test needs
    publish.to_pdf(html, pdf, publish.chromium())
    assert publish.stranded_headings(pdf, entries) == []
    pages = pdf_text(pdf).split("\f")
    for mm in range(210, 251, 8):  # each heading on the page of its table
        assert any(f"Heading {mm}" in page and f"Table under {mm}" in page for page in pages)


def test_no_heading_is_left_at_the_foot_of_a_page(rendered):
    from regnet.report.combine import headings
    folder, _ = rendered
    pdf = folder / "report.pdf"
    titles = {re.sub(r"\W+", "", t) for _, _, t in
              headings((folder / "report.html").read_text())}
    titles |= {re.sub(r"\W+", "", t) for t in re.findall(
        r"<h3[^>]*>(.*?)</h3>", (folder / "report.html").read_text())}
    pages = pdf_text(pdf).split("\f")[:-1]
    for number, page in enumerate(pages[2:], 3):  # after the title page and the contents
        lines = [line for line in page.splitlines() if line.strip()]
        last = re.sub(r"\W+", "", lines[-2] if lines[-1].strip() == str(number) else lines[-1])
        assert last not in titles, (number, lines[-3:])


def test_a_shape_in_a_table_cell_does_not_wrap_inside_itself():
    from regnet.arch import model, space
    from regnet.report import tables
    spec = space.named("200mf")
    table = tables.parameter_table(spec, complexity.operator_table(model.build(spec)))
    outputs = dict(zip(table["Parameter"], table["Value"]))["Stage outputs"]
    assert outputs.split(", ")[-1] == "368\u00a0×\u00a07\u00a0×\u00a07"  # × and no-break spaces
    assert " " not in outputs.replace(", ", "")  # wraps only between shapes
    head = dict(zip(table["Parameter"], table["Value"]))["Head"]
    assert "→" in head and "->" not in head


def captions(html: str) -> list[str]:
    """Every numbered caption of a page, number and text, in order."""
    found = re.findall(r'<caption>(.*?)</caption>|<p class="regnet-tcaption">(.*?)</p>|'
                       r'<figcaption>(.*?)</figcaption>', html, re.S)
    return [re.sub(r"<[^>]+>", "", "".join(c)).strip() for c in found
            if 'class="regnet-num"' in "".join(c)]


def test_each_sections_pdf_numbers_its_tables_and_figures_as_the_combined_report(rendered):
    folder, _ = rendered
    combined = captions((folder / "report.html").read_text())
    for name, prefix in (("01_design", "1"), ("03_implementation", "3")):
        own = captions((folder / f"{name}.html").read_text())
        mine = [c for c in own if re.match(rf"(Table|Figure) {prefix}[A-E]\.", c)]
        assert mine and all(c in combined for c in mine), name
    appendix = [c for c in captions((folder / "03_implementation.html").read_text())
                if c.startswith("Table I.")]
    assert appendix and all(c in combined for c in appendix)


def body_paragraphs(folder) -> dict[str, list[str]]:
    """The combined report's paragraphs, by section, from the first section to the
    provenance appendix (title page, contents and provenance left out)."""
    html = (folder / "report.html").read_text()
    html = html.split('id="app-II"')[0]
    sections = re.split(r'<h1\b[^>]*class="regnet-section"[^>]*>', html)[1:]
    out = {}
    for section in sections:
        title = re.sub(r"<[^>]+>", "", section.split("</h1>")[0]).strip()
        out[title] = [" ".join(re.sub(r"<[^>]+>", " ", p).split()) for p in
                      re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", section, re.S)]
    return out


def test_no_paragraph_longer_than_a_line_is_repeated_within_a_section(rendered):
    folder, _ = rendered
    sections = body_paragraphs(folder)
    assert len(sections) >= 3
    for title, paragraphs in sections.items():
        long = [p for p in paragraphs if len(p) > 100]  # a printed line holds about 100
        assert long, title
        assert len(long) == len(set(long)), (title, [p for p in long if long.count(p) > 1])


def program_speak(paragraph: str) -> list[str]:
    """The parameter names and file paths a paragraph names."""
    names = re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", paragraph)
    paths = re.findall(r"\b(?:runs|params|reports|notebooks)/[\w./-]*"
                       r"|[\w./-]+\.(?:ya?ml|ipynb|py)\b", paragraph)
    return names + paths


def test_the_body_names_no_file_and_no_parameter_outside_the_provenance(rendered):
    folder, _ = rendered
    for title, paragraphs in body_paragraphs(folder).items():
        for p in paragraphs:
            assert not program_speak(p), (title, program_speak(p), p)
    assert program_speak("Run folder: runs/quick/200mf-a26c (see params/quick.yaml), "
                         "DATA_RESIZE 16") == ["DATA_RESIZE", "runs/quick/200mf-a26c",
                                               "params/quick.yaml"]


def test_first_failure_names_notebook_and_cell_and_keeps_finished_reports(tmp_path):
    pipeline.run("quick", "01_design", out_root=tmp_path, pdf=False)
    kept = tmp_path / "quick" / "01_design.html"
    before = kept.read_bytes()
    out = subprocess.run(
        [sys.executable, "-m", "regnet", "reports", "--only", "01_design,03_implementation",
         "--no-pdf", "--out", str(tmp_path), "--set", "REGNETX=custom",
         "--set", "MODEL_GROUP_WIDTH=7"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "lib")})
    assert out.returncode == 1
    err = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("run_all.sh: 01_design (01_design.ipynb) "
                                               "failed in cell")
    assert "group width 7 does not divide the inner width 24" in err[0]
    assert kept.read_bytes() == before
    assert not (tmp_path / "quick" / "03_implementation.html").exists()


def test_every_kind_of_report_table_fits_the_printable_page(tmp_path):
    """The widest tables the reports make, at course sizes, measured as Chromium lays them out."""
    if not publish.chromium():
        pytest.skip("needs chromium")
    import pandas as pd

    from regnet.arch import model, space
    from regnet.engine.schedule import warmup_cosine
    from regnet.report import seeds, tables
    from regnet.study import analysis
    course = resolve([ROOT / "params" / "course.yaml"])

    def study(exp_name):
        exp = experiments.load(exp_name, "course")
        rows = []
        for i, label in enumerate(exp.runs):
            v = experiments.run_values(course, exp, label)
            spec = runs.network(v)
            cost = complexity.closed_form(spec)
            rows.append({exp.vary: label, "spec": spec, "params": cost["params"],
                         "macs": cost["macs"], "epochs": 150, "epoch_seconds": 308.123 + i,
                         "train_loss": 0.001352, "test_acc": 71.5512,
                         "best_test_acc": 71.8812})
        return tables.study_table(pd.DataFrame(rows))
    spec = space.named("200mf")
    rows = complexity.operator_table(model.build(spec))
    seed = seeds.SEEDS[0]
    sweep = pd.DataFrame([{"space": "anynetx_a", "index": 24, "ds": "16 16 16 16",
                           "ws": "1024 1024 1024 1024", "gs": "32 32 32 32", "bs": "4 4 4 4",
                           "macs": 249.9e6, "params": 12.3e6, "error": 71.23, "seconds": 1234.5}])
    claims = analysis.claims_table(pd.DataFrame({
        "space": ["anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e",
                  "regnetx"] * 4, "error": [float(40 + i) for i in range(24)]}))
    crops = pd.DataFrame({"test crop": range(40, 92), "test_acc": 71.5512,
                          "test_top5": 91.2345})
    frames = [study(name) for name in ("variants", "group_width", "epochs", "bottleneck")] + [
        tables.operator_frame(rows), tables.parameter_table(spec, rows),
        seeds.explain(seed, seeds.seed_network(seed)[1]),
        seeds.totals_frame({s.name: seeds.seed_network(s)[1] for s in seeds.SEEDS}),
        tables.hyperparameter_table(course, spec),
        tables.rate_table(warmup_cosine(course.schedule)),
        tables.fold(crops, 3, "test crop"), tables.claims_frame(claims),
        tables.sweep_models_table(sweep)]
    body = "".join(tables.to_html(df, f"table {i}") for i, df in enumerate(frames))
    page = tmp_path / "tables.html"
    page.write_text(f"<html><head>{publish.PRINT_CSS}</head><body>{body}</body></html>")
    assert wide_tables(page, publish.chromium()) == []


@pytest.mark.parametrize("name, header", [("group_width", "group width"),
                                          ("variants", "RegNetX")])
def test_a_study_table_heads_its_varied_column_in_words_and_shows_it_once(name, header):
    import pandas as pd

    from regnet.report import tables
    quick = resolve([ROOT / "params" / "quick.yaml"])
    exp = experiments.load(name, "quick")
    rows = [{exp.vary: label, "spec": runs.network(experiments.run_values(quick, exp,
                                                                                  label)),
             "params": 1, "macs": 1, "epochs": 3, "epoch_seconds": 1.0, "train_loss": 1.0,
             "test_acc": 50.0, "best_test_acc": 50.0} for label in exp.runs]
    table = tables.study_table(pd.DataFrame(rows))
    assert "epoch_seconds" in table.columns and "MACs at 14\u00a0px" in table.columns
    busy = tables.study_table(pd.DataFrame(rows), times=False)  # times spoilt by the load
    assert "epoch_seconds" not in busy.columns and "test_acc" in busy.columns
    from regnet.report import prose
    shown = [prose.network_name(r).replace("-", "\u2011") for r in exp.runs] \
        if header == "RegNetX" else list(exp.runs)  # a hyphen that never breaks a line
    assert table.columns[0] == header and table[header].tolist() == shown
    assert shown[0] == {"group width": "1", "RegNetX": "RegNetX\u2011200MF"}[header]
    assert list(table.columns).count(header) == 1 and not any(c.isupper() for c in table.columns
                                                              if c != header)
    named = prose.run_name(header, list(exp.runs)[-1])
    assert named == {"group width": "group width 32", "RegNetX": "RegNetX-1.6GF"}[header]


def test_a_setup_that_a_sections_studies_share_is_said_once_under_its_heading(tmp_path):
    import nbformat

    from regnet.report import combine
    new = nbformat.v4

    def report(name, setup, own, setup_last=False):
        nb = new.new_notebook()
        cell = new.new_code_cell("")
        shown = [f"<p class='regnet-setup'>{setup}</p>", f"<p>{own}</p>"]
        cell.outputs = [new.new_output("display_data", data={"text/html": html})
                        for html in (shown[::-1] if setup_last else shown)]
        nb.cells = [new.new_markdown_cell("# 4. Extras"), cell]
        nbformat.write(nb, str(tmp_path / f"{name}.ipynb"))
    report("04_variants", "Every run trains on the same images.", "The variants.")
    report("04_group_width", "Every run trains on the same images.", "The group widths.")
    report("02_train", "Times were measured on a busy CPU.", "The training run.", True)
    report("05_design_space", "Times were measured on a busy CPU.", "The sweep.")
    nb = combine.assemble(tmp_path, resolve([ROOT / "params" / "quick.yaml"]))
    shown = [str(o["data"]["text/html"]) for c in nb.cells if c.cell_type == "code"
             for o in c.outputs]
    assert shown[0] == "<p>The training run.</p>"  # a section of one report keeps its order
    assert shown[1] == "<p class='regnet-setup'>Times were measured on a busy CPU.</p>"
    assert [s for s in shown if "busy CPU" in s] == shown[1:2]  # said once, in section 2
    assert shown[2] == "<p class='regnet-setup'>Every run trains on the same images.</p>"
    assert [s for s in shown if "same images" in s] == shown[2:3]
    assert shown[3:6] == ["<p>The variants.</p>", "<p>The group widths.</p>", "<p>The sweep.</p>"]
    headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any('id="sec-4A"' in h and "A. RegNetX variants" in h for h in headings)
    assert any('id="sec-4B"' in h and "B. Group width" in h for h in headings)


def test_the_conclusions_gather_each_reports_hidden_finding_in_order(tmp_path, monkeypatch):
    import nbformat
    from nbformat import v4 as new
    from regnet.params import resolve
    from regnet.report import combine, notebook

    def report(name, finding):
        nb = new.new_notebook()
        cell = new.new_code_cell("")
        with_finding = [f"<p>The body of {name}.</p>"] + (
            [f"<div class='regnet-finding' style='display:none'>{finding}</div>"]
            if finding else [])
        cell.outputs = [new.new_output("display_data", data={"text/html": html})
                        for html in with_finding]
        nb.cells = [new.new_markdown_cell("# A report"), cell]
        nbformat.write(nb, str(tmp_path / f"{name}.ipynb"))
    report("05_design_space", "AnyNetX<sub>A</sub> had the lowest mean error.")
    report("02_train", "It reached 82.50%.")
    report("04_group_width", "No effect of the group width.")
    report("03_implementation", None)
    quick = resolve([ROOT / "params" / "quick.yaml"])
    nb = combine.assemble(tmp_path, quick)
    shown = [str(o["data"]["text/html"]) for c in nb.cells if c.cell_type == "code"
             for o in c.outputs]
    assert not any("regnet-finding" in s for s in shown)  # not in the sections' bodies
    last = [c.source for c in nb.cells if c.cell_type == "markdown" and "conclusions" in c.source]
    assert len(last) == 1
    items = re.findall(r"<li><b>(.*?)\.</b> (.*?)</li>", last[0])
    assert items == [("Training (2)", "It reached 82.50%."),
                     ("Group width (4B)", "No effect of the group width."),
                     ("Design-space study (5)", "AnyNetX<sub>A</sub> had the lowest mean error.")]
    assert "synthetic images" in last[0]  # what the findings rest on
    assert "means beyond the 95% bound that section 2's 5 seeds and the test images put " \
        "on a difference between two runs (section 4 says how). The test-crop study is the " \
        "exception" in last[0]
    # the yardstick of section 4, said again where the findings are read
    single = combine.conclusions([("Training (2)", "x")], {**quick, "SEEDS": 1})
    assert "not beyond the seed-to-seed variation of training, which these runs do not " \
        "measure" in single[0].source  # one seed, said
    steps = combine.conclusions([("Training (2)", "x"), (combine.NEXT, "<b>Next.</b> Seeds."),
                                 ("Extras (4A)", "y"), (combine.NEXT, "<b>Next.</b> Seeds.")],
                                quick)[0].source
    assert steps.count("<b>Next.</b> Seeds.") == 1 and steps.endswith("<p><b>Next.</b> Seeds.</p>")
    assert "<li><b>Next" not in steps  # a next step is no finding
    from nbformat import v4 as cells
    said = [cells.new_markdown_cell("as McNemar's test does")]
    listed = combine.cited_references(said)
    assert any("McNemar" in w for w in listed) and not any("Welch" in w for w in listed)
    assert any("Radosavovic" in w for w in listed) and len(listed) == len(combine.REFERENCES) - 2
    real = combine.conclusions([("Training (2)", "x")], {**quick, "DATASET": "tiny-imagenet"})
    assert "synthetic" not in real[0].source and "one training run per setting" in real[0].source
    assert combine.conclusions([], quick) == []
    # a report's own page hides its finding: its observations say it already
    seen = []
    monkeypatch.setattr(notebook, "display", lambda shown: seen.append(shown.data))
    notebook.finding("It reached 82.50%.")
    assert seen == ["<div class='regnet-finding' style='display:none'>It reached 82.50%.</div>"]


def test_a_caption_keeps_a_number_with_its_unit():
    from regnet.report.captions import caption_html
    text = caption_html("Table", "totals per stage at 56 px, 3 epochs, 10 classes, ±7.8 points")
    assert "56\u00a0px" in text and "3\u00a0epochs" in text and "10\u00a0classes" in text
    assert "7.8\u00a0points" in text and "totals per stage" in text  # words still break
    assert "d\u00a0=\u00a013" in caption_html("Table", "widths from the rule (d = 13)")


def test_a_heading_near_a_page_foot_moves_unless_its_page_would_be_left_all_but_empty(
        monkeypatch):
    def page(lines):  # (top in points, text): a figure takes room but has no lines
        return [(top, publish.letters(text)) for top, text in lines]
    foot = (816.0, "11")  # the page number
    table = [(640.0, "B. Every operator"), (664.0, "Blocks of a stage"), (700.0, "Table 3B.1"),
             (712.0, "where operator in out"), (724.0, "stem conv"), (736.0, "stem norm"),
             (748.0, "stage 1, block 1")]  # a table's first rows at the foot
    above = [(60.0, "text above"), (72.0, "more text"), (84.0, "and more"), (520.0, "Fig 3")]
    entries = [(2, "b-every", "B. Every operator"), (2, "c-extra", "C. Extra C")]
    pages = [page(above + table + [foot]),
             page([(60.0, "points, the longest run"), (72.0, "C. Extra C"), (84.0, "Does"),
                   (96.0, "a test"), foot])]
    monkeypatch.setattr(publish, "positioned_pages", lambda pdf: pages)
    assert publish.stranded_headings(Path("x.pdf"), entries) == ["b-every"]
    pages[0] = page([(560.0, "two lines"), (572.0, "above it")] + table + [foot])
    assert publish.stranded_headings(Path("x.pdf"), entries) == []  # moving would empty it
    pages[0] = page(above + [(520.0, "B. Every operator")] + table[1:] + [foot])
    assert publish.stranded_headings(Path("x.pdf"), entries) == []  # room enough below it


def test_a_section_after_a_page_left_blank_keeps_that_page(monkeypatch):
    def page(lines):
        return [(top, publish.letters(text)) for top, text in lines]
    entries = [(1, "sec-5", "5 Design-space study"), (2, "e-groups", "E. Groups")]
    pages = [page([(60.0, "E. Groups"), (700.0, "the reading's alone."), (816.0, "23")]),
             page([(816.0, "24")]),  # nothing but its number: a spilled margin
             page([(60.0, "5 Design-space study"), (90.0, "The paper's method"),
                   (816.0, "25")])]
    monkeypatch.setattr(publish, "positioned_pages", lambda pdf: pages)
    assert publish.after_blank_page(Path("x.pdf"), entries) == ["sec-5"]
    pages[1] = page([(60.0, "Figure 4E.2. Curves"), (816.0, "24")])  # a page of its own
    assert publish.after_blank_page(Path("x.pdf"), entries) == []
    pages[1] = page([(816.0, "24")])
    pages[2] = page([(60.0, "the text runs on"), (816.0, "25")])  # no heading opens it
    assert publish.after_blank_page(Path("x.pdf"), entries) == []


def test_a_figure_pushed_past_a_gap_is_found_by_its_caption_opening_the_next_page(
        monkeypatch):
    def page(lines):
        return [(top, publish.letters(text)) for top, text in lines]
    pages = [page([(60.0, "Table 4C.1"), (500.0, "Figure 4C.1. Final accuracy"), (816.0, "19")]),
             page([(400.0, "Figure 4C.12. Curves"), (420.0, "Observations."),
                   (760.0, "to its foot"), (816.0, "20")]),
             page([(300.0, "Figure 4C.2. Curves"), (816.0, "21")])]
    monkeypatch.setattr(publish, "positioned_pages", lambda pdf: pages)
    numbers = ["4C.1", "4C.2", "4C.12"]
    assert publish.figures_after_gaps(Path("x.pdf"), numbers) == ["4C.12"]  # not 4C.1
    pages[0] = page([(60.0, "Table 4C.1"), (700.0, "Figure 4C.1."), (816.0, "19")])
    assert publish.figures_after_gaps(Path("x.pdf"), numbers) == []  # the page was full
    pages[1] = page([(60.0, "text runs on"), (400.0, "Figure 4C.12. Curves"), (760.0, "on"),
                     (816.0, "20")])
    pages[0] = page([(60.0, "Table 4C.1"), (500.0, "Figure 4C.1."), (816.0, "19")])
    assert publish.figures_after_gaps(Path("x.pdf"), numbers) == []  # text opens the page


def _outputs(*children):
    return "".join(f'<div class="jp-OutputArea-child">\n<div class="jp-OutputArea-output" '
                   f'data-mime-type="{mime}">{inner}</div>\n</div>\n' for mime, inner in children)


def test_the_text_after_a_figure_moves_before_it_only_within_its_cell():
    figure = ("text/html", '<figure class="regnet-figure"><div><img src="x.svg"/></div>'
              '<figcaption><span class="regnet-num" data-kind="Figure">Figure 4C.2.</span> '
              "Curves</figcaption></figure>")
    table = ("text/html", "<div><table><tr><td>1</td></tr></table></div>")
    words = ("text/markdown", "<p><strong>Observations.</strong> The longer run.</p>")
    cell = '<div class="jp-OutputArea jp-Cell-outputArea">\n{}</div>\n'
    page = cell.format(_outputs(table, figure, words))
    moved = publish.text_before_figure(page, "4C.2")
    assert moved == cell.format(_outputs(table, words, figure))
    assert publish.text_before_figure(moved, "4C.2") == moved  # a table follows nothing
    last = cell.format(_outputs(table, figure)) + cell.format(_outputs(words))
    assert publish.text_before_figure(last, "4C.2") == last  # the next cell's text stays
    tabled = cell.format(_outputs(figure, table))
    assert publish.text_before_figure(tabled, "4C.2") == tabled  # only text moves
    assert publish.text_before_figure(page, "4C.3") == page


@needs_chromium
def test_a_tall_figure_that_does_not_fit_has_the_text_after_it_fill_its_page(tmp_path):
    from nbformat import v4 as new
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="600">'
           '<rect width="400" height="600" fill="#88a"/></svg>')
    image = base64.b64encode(svg.encode()).decode()
    words = " ".join(["The observations of the study, which read the figure."] * 30)
    nb = new.new_notebook()
    cell = new.new_code_cell("")
    cell.outputs = [new.new_output("display_data", data={"text/markdown": m}) for m in (
        "filler " * 400,)] + [
        new.new_output("display_data", data={"text/html": (
            f'<figure class="regnet-figure"><img src="data:image/svg+xml;base64,{image}" '
            'style="width:4in"/><figcaption><span class="regnet-num" data-kind="Figure">'
            "Figure 9A.1.</span> A tall figure</figcaption></figure>")}),
        new.new_output("display_data", data={"text/markdown": f"**Observations.** {words}"})]
    nb.cells.append(cell)
    html, pdf = tmp_path / "f.html", tmp_path / "f.pdf"
    publish.to_html(nb, html)
    publish._print(html, pdf, publish.chromium())
    assert publish.figures_after_gaps(pdf, ["9A.1"]) == ["9A.1"]  # the layout this test needs
    publish.to_pdf(html, pdf, publish.chromium())
    pages = pdf_text(pdf).split("\f")
    assert "Observations." in pages[0] and "Figure 9A.1." in pages[1]
    assert publish.figures_after_gaps(pdf, ["9A.1"]) == []


def test_a_study_of_schedules_shows_the_training_accuracy_its_overfitting_gap_needs():
    import pandas as pd

    from regnet.report import tables
    quick = resolve([ROOT / "params" / "quick.yaml"])
    spec = runs.network(quick)
    rows = [{"epochs": n, "spec": spec, "params": 1, "macs": 1, "epoch_seconds": 1.0,
             "train_loss": 1.0, "test_acc": 80.0 + n, "best_test_acc": 80.0 + n,
             "history": [{"epoch": n, "train_acc": 90.0 + n, "test_acc": 80.0 + n}]}
            for n in (3, 8)]
    table = tables.study_table(pd.DataFrame(rows))
    assert list(table.columns[-2:]) == ["train_acc", "test_acc"]
    assert table["train_acc"].tolist() == [93.0, 98.0]
    same = tables.study_table(pd.DataFrame([{**r, "epochs": 3} for r in rows]))
    assert "train_acc" not in same.columns  # one schedule: no gap to weigh


def test_the_generic_network_says_the_tensor_on_every_arrow_at_8_pt_or_more():
    from regnet.report import figures
    fig = figures.draw_generic()
    texts = fig.axes[0].texts
    shapes = [t.get_text() for t in texts if "times" in t.get_text() and "stage" not in
              t.get_text() and "input" not in t.get_text() and "stem:" not in t.get_text()]
    assert shapes[0].startswith(r"$w_{stem} \times r_0 \times r_0$")
    assert shapes[-1] == r"$w_4 \times r_1/8 \times r_1/8$" and len(shapes) == 5
    assert min(t.get_fontsize() for t in texts) >= 8


def test_report_bs_norm_macs_explain_most_of_its_mac_gap():
    import math

    from regnet.report import seeds
    b = next(s for s in seeds.SEEDS if s.name == "report B")
    spec, rows = seeds.seed_network(b)
    text = seeds.paragraph(b, spec, rows)
    listed = {(d["stage"], d["block"], d["operator"]) for d in b.count(rows)}
    norms = [r for r in rows if "norm" in r.role]
    kept = [r for r in norms if (r.stage, r.block, r.role) in listed]
    assert len(norms) - len(kept) == 3  # one norm short in each downsampling block
    extra = 2 * sum(math.prod(r.out_shape) for r in kept)
    assert f"the norms it lists add {extra:,} MACs, for {230_851_204 + extra:,} in all." in text
    # its own column, row by row, is that count within rounding; its typed total is not
    assert b.macs_column == 233_493_650
    assert ("sums to 233,493,650, 0.11% below that count, while its typed total is 0.65% "
            "above its column") in text
    seed_text = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / \
        "001_6c6c0fcc6b5fbcb9.txt"
    if seed_text.is_file():  # the column's sum, from the report's own rows
        rows_typed = re.findall(r"^[^\t]*\t(?:Conv|Norm|Full)\t([\d.]+)\t",
                                seed_text.read_text(), re.M)
        assert round(sum(map(float, rows_typed)) * 1000) == b.macs_column


def test_training_and_test_curves_share_a_scale_per_quantity():
    from regnet.report import figures
    history = [{"epoch": e, "train_loss": 2.0 / e, "test_loss": 1.0 / e,
                "train_acc": 40.0 + 20 * e, "test_acc": 70.0 + e} for e in (1, 2, 3)]
    axes = figures.plot_curves({"run": history}).axes
    assert axes[0].get_ylim() == axes[2].get_ylim()  # training and test loss
    assert axes[1].get_ylim() == axes[3].get_ylim()  # training and test accuracy
