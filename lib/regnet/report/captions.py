"""Numbered captions: "Table 2A.1." and "Figure 4C.3.", numbered where a report is printed.

A caption is written with its kind and no number (`caption_html`), so showing a table keeps
no count anywhere. When a report is printed, `number_cells` numbers its captions in order by
subsection, in one style everywhere: in a section's report each "## A. ..." heading starts
subsection "2A" (extra C of section 4 is a report of its own, "4C"), and an appendix is "I".
A report's own PDF and the combined report therefore number every table and figure alike.
"""
from __future__ import annotations

import html
import re

KINDS = ("Table", "Figure")
_MARK = re.compile(r'<span class="regnet-num" data-kind="(Table|Figure)">[^<]*</span>')
_SUBSECTION = re.compile(r"^#{2,3} ([A-Z])\. ", re.M)  # "## A. Hyperparameters"


#: A number and the unit after it, which a caption never splits across lines ("56 px").
_NUMBER_UNIT = re.compile(r"(\d) (px|points|epochs?|classes|%)\b")


def caption_html(kind: str, text: str) -> str:
    """A caption of `kind` ("Table" or "Figure") with the text escaped, numbered on print; a
    number stays on one line with its unit, an equation ("d = 13") on one line."""
    if kind not in KINDS:
        raise ValueError(f"caption kind {kind!r} must be one of {KINDS}")
    text = _NUMBER_UNIT.sub("\\1\u00a0\\2", html.escape(text)).replace(" = ", "\u00a0=\u00a0")
    return f'<span class="regnet-num" data-kind="{kind}">{kind}.</span> {text}'


def number_page(page: str, prefix: str, counts: dict | None = None) -> str:
    """Number the captions of an HTML text in order: "Table {prefix}.1." ... `counts` carries
    the count on from earlier text of the same report."""
    counts = counts if counts is not None else {}

    def numbered(m: re.Match) -> str:
        kind = m.group(1)
        counts[kind] = counts.get(kind, 0) + 1
        return (f'<span class="regnet-num" data-kind="{kind}">{kind} {prefix}.{counts[kind]}.'
                "</span>")
    return _MARK.sub(numbered, page)


def number_cells(cells, prefix: str, counts: dict | None = None) -> None:
    """Number the captions in the HTML outputs of notebook cells, in order, in place. Under a
    section number ("2"), each subsection heading ("## A. ...") starts "2A" from 1."""
    counts = counts if counts is not None else {}
    section = prefix if prefix.isdigit() else None
    for cell in cells:
        letters = _SUBSECTION.findall(cell.get("source", "")) if section else []
        if cell.get("cell_type") == "markdown" and letters:
            prefix, counts = section + letters[-1], {}
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                text = data["text/html"]
                text = "".join(text) if isinstance(text, list) else text
                data["text/html"] = number_page(text, prefix, counts)
