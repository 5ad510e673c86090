"""The reports, each defined once: which notebook runs with which parameters, and where it
stands in the combined report.

`./run_all.sh` (render.py) runs them in this order; the combined report (combine.py) groups
them into SECTIONS by their `section` and numbers the reports of a section with several as its
subsections. Each extra study (a file in params/experiments/) is one report of section 4, and
a test checks that every experiment file has its report.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: The sections of the combined report, in the seeds' order: number -> title.
SECTIONS = {"1": "Design", "2": "Training", "3": "Implementation", "4": "Extras",
            "5": "Design-space study"}


@dataclass(frozen=True)
class Report:
    """One rendered report: a notebook, the parameters it runs with, its section."""
    name: str
    notebook: str
    section: str  # a key of SECTIONS
    parameters: dict = field(default_factory=dict)


def _extra(experiment: str) -> Report:
    return Report(f"04_{experiment}", "04_extras.ipynb", "4", {"EXPERIMENT": experiment})


REPORTS = [
    Report("01_design", "01_design.ipynb", "1"),
    Report("02_train", "02_train.ipynb", "2"),
    Report("03_implementation", "03_implementation.ipynb", "3"),
    *(_extra(e) for e in ("variants", "group_width", "epochs", "test_crops", "bottleneck")),
    Report("05_design_space", "05_design_space.ipynb", "5"),
]

if {r.section for r in REPORTS} != set(SECTIONS):
    raise ImportError("report/contents.py: every section needs a report and every report a "
                      "section")


def section_reports(section: str) -> list[Report]:
    """The reports of one section, in order."""
    return [r for r in REPORTS if r.section == section]
