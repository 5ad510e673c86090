"""Numbered captions: "Table 2A.1." and "Figure 4C.3.", numbered where a report is printed.

A caption is written with its kind and no number (`caption_html`), so showing a table keeps
no count anywhere. When a report is printed, `number_cells` numbers its captions in order by
subsection, in one style everywhere: in a section's report each "## A. ..." heading starts
subsection "2A" (extra C of section 4 is a report of its own, "4C"), and an appendix is "I".
A report's own PDF and the combined report therefore number every table and figure alike.

A caption may carry a label, and text may point at labelled captions: `cite("curves")` is
empty in a notebook and prints as " (Figure 2B.1)"; `ref("hyper", "the table below")` shows
its words in a notebook and prints as "Table 2A.1". Both are resolved where the captions are
numbered, within the same report, so a label need only be unique in its report.
"""
from __future__ import annotations

import html
import re

KINDS = ("Table", "Figure")
_MARK = re.compile(r'<span class="regnet-num" data-kind="(Table|Figure)"'
                   r'(?: data-label="([\w-]+)")?>[^<]*</span>')
_REF = re.compile(r'<span class="regnet-ref" data-labels="([\w -]+)" '
                  r'data-form="(cite|within|name)">[^<]*</span>')
_SUBSECTION = re.compile(r"^#{2,3} ([A-Z])\. ", re.M)  # "## A. Hyperparameters"


#: A number and the unit after it, which a caption never splits across lines ("56 px").
_NUMBER_UNIT = re.compile(r"(\d) (px|points|epochs?|classes|%)\b")


def caption_html(kind: str, text: str, label: str | None = None) -> str:
    """A caption of `kind` ("Table" or "Figure") with the text escaped, numbered on print; a
    number stays on one line with its unit, an equation ("d = 13") on one line. `label`
    names it for `cite` and `ref`."""
    if kind not in KINDS:
        raise ValueError(f"caption kind {kind!r} must be one of {KINDS}")
    text = _NUMBER_UNIT.sub("\\1\u00a0\\2", html.escape(text)).replace(" = ", "\u00a0=\u00a0")
    named = f' data-label="{_label(label)}"' if label else ""
    return f'<span class="regnet-num" data-kind="{kind}"{named}>{kind}.</span> {text}'


def _label(label: str) -> str:
    if not re.fullmatch(r"[\w-]+", label):
        raise ValueError(f"caption label {label!r}: letters, digits, '_' and '-' only")
    return label


def cite(*labels: str) -> str:
    """Where text leans on labelled tables or figures: nothing in a notebook (they stand
    beside it), " (Table 4A.1 and Figure 4A.2)" when printed. Write it straight after the
    word it follows, before the full stop."""
    return _ref(labels, "cite", "")


#: Where a sentence ends: a full stop before a space or the end, not inside "e.g." or a number.
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\.(?=\s|$)")


def cited(text: str, *labels: str) -> str:
    """`text` with `cite(*labels)` at the end of its first sentence, or inside the
    parenthesis that ends it: "(14 px; Table 4D.1)" rather than "(14 px) (Table 4D.1)"."""
    m = _SENTENCE_END.search(text)
    at = m.start() if m else len(text)
    if text[:at].endswith(")"):
        return text[:at - 1] + _ref(labels, "within", "") + text[at - 1:]
    return text[:at] + cite(*labels) + text[at:]


def ref(label: str, words: str) -> str:
    """A labelled table or figure named in a sentence: `words` ("the table below") in a
    notebook, "Table 2A.1" when printed."""
    return _ref((label,), "name", words)


def _ref(labels, form: str, words: str) -> str:
    if not labels:
        raise ValueError("a reference needs at least one label")
    return (f'<span class="regnet-ref" data-labels="{" ".join(map(_label, labels))}" '
            f'data-form="{form}">{html.escape(words)}</span>')


def _joined(names: list[str]) -> str:
    """["Table 4A.1", "Figure 4A.1", "Figure 4A.2"] -> "Table 4A.1 and Figures 4A.1 and
    4A.2": one kind's numbers together, the kind plural when it has several."""
    parts = []
    for kind in KINDS:
        numbers = [n.split(" ", 1)[1] for n in names if n.startswith(kind)]
        if numbers:
            parts.append(f"{kind}{'s' if len(numbers) > 1 else ''} " + _and(numbers))
    return _and(parts)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def resolve_refs(text: str, names: dict[str, str], where: str = "") -> str:
    """`text` with its `cite` and `ref` marks replaced by the numbers in `names` (label ->
    "Table 2A.1"); a label no caption carries is an error naming it."""
    def resolved(m: re.Match) -> str:
        labels = m.group(1).split()
        missing = [x for x in labels if x not in names]
        if missing:
            raise ValueError(f"{where or 'report'}: no table or figure is labelled "
                             f"{', '.join(missing)}")
        said = _joined([names[x] for x in labels])
        return {"cite": f" ({said})", "within": f"; {said}"}.get(m.group(2), said)
    return _REF.sub(resolved, text)


def number_page(page: str, prefix: str, counts: dict | None = None,
                names: dict | None = None) -> str:
    """Number the captions of an HTML text in order: "Table {prefix}.1." ... `counts` carries
    the count on from earlier text of the same report; `names` gathers each labelled
    caption's number (label -> "Table 2A.1"), and a label used twice is an error."""
    counts = counts if counts is not None else {}
    names = names if names is not None else {}

    def numbered(m: re.Match) -> str:
        kind, label = m.group(1), m.group(2)
        counts[kind] = counts.get(kind, 0) + 1
        number = f"{kind} {prefix}.{counts[kind]}"
        if label:
            if label in names:
                raise ValueError(f"two captions are labelled {label!r} "
                                 f"({names[label]} and {number})")
            names[label] = number
        return f'<span class="regnet-num" data-kind="{kind}">{number}.</span>'
    return _MARK.sub(numbered, page)


def number_cells(cells, prefix: str, counts: dict | None = None) -> None:
    """Number the captions in the HTML outputs of notebook cells, in order, in place. Under a
    section number ("2"), each subsection heading ("## A. ...") starts "2A" from 1. Then
    resolve the cells' `cite` and `ref` marks, in Markdown cells and in HTML and Markdown
    outputs, against the captions numbered here."""
    counts = counts if counts is not None else {}
    names: dict[str, str] = {}
    section = prefix if prefix.isdigit() else None
    where = f"report {prefix}"
    for cell in cells:
        letters = _SUBSECTION.findall(cell.get("source", "")) if section else []
        if cell.get("cell_type") == "markdown" and letters:
            prefix, counts = section + letters[-1], {}
        for data in _texts(cell):
            if "text/html" in data:
                data["text/html"] = number_page(_text(data["text/html"]), prefix, counts,
                                                names)
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            cell["source"] = resolve_refs(cell["source"], names, where)
        for data in _texts(cell):
            for mime in ("text/html", "text/markdown"):
                if mime in data:
                    data[mime] = resolve_refs(_text(data[mime]), names, where)


def _texts(cell):
    return [o["data"] for o in cell.get("outputs", []) if "data" in o]


def _text(text) -> str:
    return "".join(text) if isinstance(text, list) else text
