"""Page measuring for the report tests: how Chromium lays a report out at the printable width
of an A4 page (tables past the edge, figures shrunk to fit, left edges of the text)."""
import json
import re
import subprocess
import tempfile
from pathlib import Path

from regnet.report.publish import chromium_command

#: A4 less the 12 mm margins, in CSS px (96 per inch): the width a printed table must fit.
PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)


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
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "measure.html"
        page.write_text(html.read_text().replace("</body>", _MEASURE + "</body>", 1))
        done = subprocess.run(
            chromium_command(browser, f"{tmp}/profile", f"--window-size={width},1200",
                             "--dump-dom", page.as_uri()),
            capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="regnet-widths">(.*?)</pre>', done.stdout, re.S)
    if not found:
        raise RuntimeError(f"Chromium did not measure {html.name}")
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")
                        .replace("&lt;", "<").replace("&gt;", ">"))
    return result

