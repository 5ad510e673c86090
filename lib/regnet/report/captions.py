"""Numbered captions: "Table 3." and "Figure 2." in the order a report shows them.

Each notebook counts from 1 (`reset` at its start). The combined report renumbers every
caption across its sections (`renumber`), so the markup carries the kind and the number in
one element that is easy to find again.
"""
from __future__ import annotations

import html
import re

_counts = {"Table": 0, "Figure": 0}
_NUMBER = re.compile(r'<span class="regnet-num" data-kind="(Table|Figure)">\1 \d+\.</span>')


def reset() -> None:
    """Start counting tables and figures from 1 again."""
    for kind in _counts:
        _counts[kind] = 0


def caption_html(kind: str, text: str) -> str:
    """The next number of `kind` and the caption text (escaped), as HTML."""
    _counts[kind] += 1
    return (f'<span class="regnet-num" data-kind="{kind}">{kind} {_counts[kind]}.</span> '
            f"{html.escape(text)}")


def renumber(page: str) -> str:
    """Number every table and figure caption of an HTML page from 1, in page order."""
    seen = {"Table": 0, "Figure": 0}

    def next_number(m: re.Match) -> str:
        kind = m.group(1)
        seen[kind] += 1
        return f'<span class="regnet-num" data-kind="{kind}">{kind} {seen[kind]}.</span>'
    return _NUMBER.sub(next_number, page)
