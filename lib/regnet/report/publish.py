"""HTML and PDF primitives: an executed notebook to print-ready HTML (nbconvert), HTML to an
A4 PDF with page numbers, bookmarks and document metadata (headless Chromium).

The per-notebook pipeline (render.py) and the combined report (combine.py) both print
through here; neither knows how Chromium is called.
"""
from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

import nbformat
from nbconvert import HTMLExporter

#: Print CSS: A4 pages numbered at the foot; tables wrap their text at spaces, never inside a
#: number or a shape; headings stay with what follows them, short tables and their notes stay
#: together; figures keep the size they were drawn at (figures.py draws them at print size).
PRINT_CSS = """
<style>
@page { size: A4; margin: 12mm 12mm 14mm 12mm;
  @bottom-center { content: counter(page); font-family: 'DejaVu Sans', Arial, sans-serif;
                   font-size: 9pt; } }
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
/* cells wrap between words only: "368 x 2 x 2" never splits inside a token */
th, td { padding: 1px 4px !important; white-space: normal !important;
  word-break: keep-all !important; overflow-wrap: normal !important; hyphens: none; }
tr { break-inside: avoid; }
/* a long table never leaves its last rows (a total, the row it sums) alone on a page */
tbody tr:nth-last-child(-n+4) { break-before: avoid; }
/* a long table may break, but never between its caption, its header and its first rows */
thead, tbody tr:nth-child(-n+2) { break-after: avoid; }
tbody tr:nth-child(-n+3) { break-before: avoid; }
div.regnet-keep { break-inside: avoid; }
caption { break-after: avoid; }
caption { caption-side: top; text-align: left !important; padding: 4px 0; font-size: 9pt;
  color: #000 !important; }
/* a short table's caption stands above it as wide as the text, not squeezed to its width */
p.regnet-tcaption { text-align: left; margin: 6px 0 0 0; padding: 4px 0; font-size: 9pt;
  color: #000; break-after: avoid; }
.regnet-num { font-weight: bold; }
figure.regnet-figure { margin: 6px 0 10px 0; break-inside: avoid; }
figure.regnet-figure figcaption { font-size: 9pt; margin-top: 2px; }
img { max-width: 100% !important; height: auto !important; }
pre { white-space: pre-wrap; font-size: 8pt; }
h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
/* a heading's cell and the cell after it: Chromium honours avoid between siblings. Not for
   a heading cell with text of its own: held to a long table after it, it would leave the
   rest of its page empty (the heading stays with its text; one still printed at a page's
   foot is moved by to_pdf) */
.jp-MarkdownCell:has(h1, h2, h3, h4):not(:has(p)) { break-after: avoid;
  page-break-after: avoid; }
p { orphans: 3; widows: 3; }
</style>
"""

MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
#: Inline math at the size of the text around it: MathJax otherwise scales its fonts to the
#: body font's x-height, which DejaVu Sans makes visibly larger than the text; a fixed 110%
#: gives TeX's fonts about the body's height.
MATHJAX_SIZE = """
<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {matchFontHeight: false, scale: 110},
                    CommonHTML: {matchFontHeight: false, scale: 110}});
</script>
"""

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class NotebookFailed(RuntimeError):
    """A notebook raised or cannot be read: the message names the notebook and the cell."""


def chromium() -> str | None:
    """The headless browser that prints HTML to PDF, if one is installed."""
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def chromium_command(browser: str, profile_dir: str | Path, *args: str) -> list[str]:
    """Chromium, headless and offline, with a throw-away profile; `args` say what to do with
    the page (print it, dump its DOM) and name it last. Every call of Chromium goes here."""
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", "--allow-file-access-from-files",
            f"--user-data-dir={profile_dir}", "--virtual-time-budget=20000",
            "--run-all-compositor-stages-before-draw", *args]


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


def read_notebook(path: Path):
    """An executed notebook, or a one-line NotebookFailed for a torn or foreign file."""
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as e:  # a torn or foreign work file: name it, never a traceback
        raise NotebookFailed(f"{path} is not a readable notebook ({type(e).__name__}); "
                             "delete it and run again") from None


def to_html(notebook, html: Path, title: str | None = None, css: str = "") -> None:
    """Render an executed notebook (a node or its path) to HTML: no code, offline math, the
    print CSS (and `css`). The page's title, and so the PDF's, is `title`, else
    `notebook_title`."""
    node = read_notebook(notebook) if isinstance(notebook, Path) else notebook
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    if MATHJAX.exists():
        exporter.mathjax_url = MATHJAX.as_uri() + "?config=TeX-AMS_HTML"
    node.metadata["title"] = title or notebook_title(node) or html.stem
    body, _ = exporter.from_notebook_node(node)
    html.write_text(body.replace("</head>", MATHJAX_SIZE + PRINT_CSS + css + "</head>", 1))


#: How many times a PDF is mended and printed again at most: one heading or figure a round.
MENDS = 10


def to_pdf(html: Path, pdf: Path, browser: str, info: Mapping[str, str] | None = None) -> None:
    """Print an HTML page to PDF with Chromium (math typeset first), its headings as the PDF's
    bookmarks, and `info` (Author, Subject, ...) added to the document's metadata. A heading
    printed at the foot of a page (Chromium does not always keep one with what follows) is
    moved to the next page, a figure that did not fit below the text before it has the text
    after it moved up to fill that page (Chromium cannot float a figure), and the page is
    printed again; `html` keeps the rules and the order that did it."""
    _print(html, pdf, browser)
    for _ in range(MENDS):  # one mend a round, the first in the document: each moves all after
        page = html.read_text()
        filled = next((f for f in (text_before_figure(page, n) for n in
                                   figures_after_gaps(pdf, figure_numbers(page))) if f != page),
                      page)
        if filled != page:  # figures first: moving text changes where every heading falls
            html.write_text(filled)
            _print(html, pdf, browser)
            continue
        entries = headings(page)
        stranded, blank = stranded_headings(pdf, entries)[:1], after_blank_page(pdf, entries)[:1]
        if not stranded and not blank:
            break
        rules = "".join(f'.jp-Cell:has([id="{anchor}"]) {{ break-before: page !important; }}\n'
                        for anchor in stranded)
        # the page before such a heading is already a new one: its own break would empty it
        rules += "".join(f'[id="{anchor}"], .jp-Cell:has([id="{anchor}"]) {{ '
                         "break-before: auto !important; page-break-before: auto !important; }\n"
                         for anchor in blank)
        html.write_text(page.replace("</head>", "<style>/* headings kept off a page's foot */\n"
                                     f"{rules}</style></head>", 1))
        _print(html, pdf, browser)
    if info:
        set_info(pdf, info)


def _print(html: Path, pdf: Path, browser: str) -> None:
    """One Chromium print of `html` to `pdf`, or a one-line error."""
    with tempfile.TemporaryDirectory() as profile_dir:
        cmd = chromium_command(browser, profile_dir, "--no-pdf-header-footer",
                               "--generate-pdf-document-outline", f"--print-to-pdf={pdf}",
                               html.resolve().as_uri())
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if done.returncode or not pdf.exists() or pdf.stat().st_size == 0:
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"Chromium could not print {html.name}: {tail[0]}")


_HEADING = re.compile(r'<h([1-4])((?:\s[^>]*)?)>(.*?)</h\1>', re.S)


def headings(page: str, levels: int = 4) -> list[tuple[int, str, str]]:
    """(level, id, text) of every heading down to h`levels` that has an id, in order."""
    out = []
    for level, attrs, inner in _HEADING.findall(page):
        anchor = re.search(r'\bid="([^"]+)"', attrs)
        if int(level) > levels or not anchor:
            continue
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip()
        out.append((int(level), anchor.group(1), text))
    return out


def letters(text: str) -> str:
    """Only the letters and digits: how a heading is found again in a PDF's text."""
    return re.sub(r"[^0-9A-Za-z]+", "", text)


def heading_key(text: str) -> str:
    """What a heading's printed line starts with, as `pdf_pages` gives lines: its letters up
    to any math (typeset in the PDF), at most 24 of them."""
    return letters(text.split("$")[0])[:24]


def pdf_pages(pdf: Path) -> list[list[str]]:
    """Each page's lines of text, as letters and digits only (none without pdftotext)."""
    if not shutil.which("pdftotext"):
        return []
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    return [[letters(line) for line in page.splitlines()] for page in text.split("\f")]


def positioned_pages(pdf: Path) -> list[list[tuple[float, str]]]:
    """Each page's lines as (top, letters and digits), top to bottom, `top` in points from the
    top of the page (none without pdftotext). Unlike `pdf_pages`, the positions see the room
    that figures take, which have no text lines."""
    if not shutil.which("pdftotext"):
        return []
    text = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    pages = []
    for page in text.split("<page ")[1:]:
        lines = []
        for top, inner in re.findall(r'<line xMin="[^"]*" yMin="([^"]*)"[^>]*>(.*?)</line>',
                                     page, re.S):
            words = re.findall(r"<word [^>]*>(.*?)</word>", inner, re.S)
            lines.append((float(top), letters(html_lib.unescape(" ".join(words)))))
        pages.append(sorted(lines))
    return pages


#: A heading whose top is this close to the page number (points; about fourteen lines of
#: text, a quarter of the page) has too little of its text with it: a heading, its
#: paragraph, a caption and a table's first rows...
FOOT_SPACE = 210
#: ...unless less than this much of the page stands above it: moving it would leave that
#: page all but empty, which is worse.
HEAD_SPACE = 180


def stranded_headings(pdf: Path, entries: list[tuple[int, str, str]]) -> list[str]:
    """The ids of headings printed within FOOT_SPACE of a page's foot (its page number, or
    its last line) with at least HEAD_SPACE of the page above them (a contents page is not
    read)."""
    out = []
    for page in positioned_pages(pdf):
        lines = [(top, text) for top, text in page if text]
        foot = lines[-1][0] if lines else 0.0
        if lines and lines[-1][1].isdigit():
            lines = lines[:-1]
        if len(lines) < 4 or lines[0][1].startswith("Contents"):
            continue
        first = lines[0][0]
        for _, anchor, text in entries:
            wanted = heading_key(text)
            if wanted and any(t.startswith(wanted) and foot - top < FOOT_SPACE
                              and top - first >= HEAD_SPACE for top, t in lines):
                out.append(anchor)
    return out


def after_blank_page(pdf: Path, entries: list[tuple[int, str, str]]) -> list[str]:
    """The ids of headings that open a page after one with nothing but its page number: the
    page before spilled a margin or a padding over, and the heading's own page break then
    left that page empty."""
    pages = positioned_pages(pdf)
    out = []
    for before, page in zip(pages, pages[1:]):
        text = [t for _, t in before if t]
        lines = [t for _, t in page if t]
        if not lines or len(text) > 1 or (text and not text[0].isdigit()):
            continue
        out += [anchor for _, anchor, heading in entries
                if heading_key(heading) and lines[0].startswith(heading_key(heading))]
    return out


#: A page whose last line stands this far above its page number (points, about ten lines of
#: text) before a figure that opens the next page has a gap the text after that figure fills.
GAP_SPACE = 150


def figure_numbers(page: str) -> list[str]:
    """The numbers of the figures captioned in an HTML page ("4C.2"), in order."""
    return re.findall(r'data-kind="Figure"[^>]*>Figure ([^<]+?)\.</span>', page)


def figures_after_gaps(pdf: Path, numbers: list[str]) -> list[str]:
    """Those of `numbers` whose figure opens a page (its caption the page's first line: the
    figure did not fit below) after a page that ends GAP_SPACE or more above its number."""
    pages = positioned_pages(pdf)
    keys = sorted(((letters(f"Figure {n}"), n) for n in numbers), reverse=True)  # longest first
    out = []
    for before, page in zip(pages, pages[1:]):
        lines = [(top, t) for top, t in before if t]
        first = next((t for _, t in page if t), "")
        if len(lines) < 2 or not lines[-1][1].isdigit() or lines[-1][0] - lines[-2][0] < GAP_SPACE:
            continue
        out += [n for key, n in keys if first.startswith(key)][:1]
    return out


def _div_end(page: str, start: int) -> int:
    """Where the <div> that opens at `start` closes: the index after its </div>."""
    depth = 0
    for tag in re.compile(r"<div\b|</div>").finditer(page, start):
        depth += 1 if tag.group() == "<div" else -1
        if depth == 0:
            return tag.end()
    return len(page)


_CHILD = re.compile(r'\s*<div class="jp-OutputArea-child[^"]*">')


def text_before_figure(page: str, number: str) -> str:
    """`page` with the text that follows figure `number` among its cell's outputs (a study's
    observations) moved before the figure, so that it fills the page the figure did not fit
    on; unchanged where no text output follows the figure there."""
    caption = re.search(f'data-kind="Figure"[^>]*>Figure {re.escape(number)}\\.</span>', page)
    start = page.rfind('<div class="jp-OutputArea-child', 0, caption.start()) if caption else -1
    if start < 0:
        return page
    end = _div_end(page, start)
    after = _CHILD.match(page, end)
    if not after:
        return page
    text_start = after.start() + len(after.group()) - len(after.group().lstrip())
    text_end = _div_end(page, text_start)
    text = page[text_start:text_end]
    if 'data-mime-type="text/markdown"' not in text or re.search(r"<(figure|table|img)\b", text):
        return page
    return page[:start] + text + "\n" + page[start:end] + page[text_end:]


def _pdf_string(text: str) -> str:
    """A PDF text string: UTF-16BE with a byte-order mark, as hex (any text, no escaping)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def set_info(pdf: Path, info: Mapping[str, str]) -> None:
    """Give a PDF a new document information dictionary (Title, Author, Subject, ...) by an
    incremental update: the object, then a cross-reference section and a trailer that point
    back to the old ones (PDF 1.4, section 3.4.5). The pages are not touched."""
    data = pdf.read_bytes()
    trailer = data[data.rindex(b"trailer"):].decode("latin-1")
    size = int(re.search(r"/Size (\d+)", trailer).group(1))
    root = re.search(r"/Root (\d+ \d+ R)", trailer).group(1)
    prev = int(re.search(r"startxref\s+(\d+)", trailer).group(1))
    entries = "".join(f"/{k} {_pdf_string(v)}" for k, v in info.items() if v)
    obj = f"{size} 0 obj\n<<{entries}>>\nendobj\n"
    lead = "" if data.endswith(b"\n") else "\n"
    start = len(data) + len(lead)
    update = (lead + obj + f"xref\n0 1\n0000000000 65535 f \n{size} 1\n{start:010d} 00000 n \n"
              f"trailer\n<</Size {size + 1} /Root {root} /Info {size} 0 R /Prev {prev}>>\n"
              f"startxref\n{start + len(obj)}\n%%EOF\n")
    pdf.write_bytes(data + update.encode("latin-1"))
