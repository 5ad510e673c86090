"""The reports, each defined once: which notebook runs with which parameters, and where it
stands in the combined report.

`./run_all.sh` (render.py) runs them in this order; the combined report (combine.py) groups
them into SECTIONS by their `section` and letters the reports of a section with several as
its subsections (4A .. 4E). Each extra study (a file in params/experiments/) is one report of
section 4, and a test checks that every experiment file has its report. Cells a notebook
tags APPENDIX_TAG go to the appendix of APPENDICES that names the report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from string import ascii_uppercase

#: The sections of the combined report, in the seeds' order: number -> title.
SECTIONS = {"1": "Design", "2": "Training", "3": "Implementation", "4": "Extras",
            "5": "Design-space study"}

#: The appendices, after the sections: number -> (title, the report whose tagged cells it
#: holds, or None for the provenance of every section).
APPENDICES = {"I": ("Hand counts of reports A and B", "03_implementation"),
              "II": ("Provenance", None)}

#: The works the report cites, listed after the sections of the combined report.
REFERENCES = (
    "I. Radosavovic, R. P. Kosaraju, R. Girshick, K. He and P. Dollár. Designing Network "
    "Design Spaces. CVPR 2020. arXiv:2003.13678.",
    "H. Touvron, A. Vedaldi, M. Douze and H. Jégou. Fixing the train-test resolution "
    "discrepancy. NeurIPS 2019. arXiv:1906.06423.",
    "pycls, the code of the design-space paper (github.com/facebookresearch/pycls): its "
    "sampler and its way of counting MACs are the ones used here.",
    "Reports A and B: two earlier student reports of the same assignment (CS 6301 CNN "
    "Project 2 - Networks), whose hand counts Appendix I reads and whose extra studies "
    "section 4 repeats.",
    "Q. McNemar. Note on the sampling error of the difference between correlated proportions "
    "or percentages. Psychometrika 12, 1947: two classifiers compared on the same test "
    "images, image by image (section 4).",
    "F. E. Satterthwaite. An approximate distribution of estimates of variance components. "
    "Biometrics Bulletin 2, 1946: the degrees of freedom of a sum of variances (section 4).",
    "B. L. Welch. The generalization of 'Student's' problem when several different population "
    "variances are involved. Biometrika 34, 1947: the interval of a gap between two groups "
    "with their own spreads (section 5).",
)

#: The cell tag that moves a notebook's cells to its appendix in the combined report.
APPENDIX_TAG = "appendix"


@dataclass(frozen=True)
class Report:
    """One rendered report: a notebook, the parameters it runs with, its section, and its
    number in the combined report ("2", or "4C" for the third report of section 4)."""
    name: str
    notebook: str
    section: str  # a key of SECTIONS
    parameters: dict = field(default_factory=dict)
    number: str = ""


def _extra(experiment: str, letter: str) -> Report:
    return Report(f"04_{experiment}", "04_extras.ipynb", "4", {"EXPERIMENT": experiment},
                  f"4{letter}")


REPORTS = [
    Report("01_design", "01_design.ipynb", "1", number="1"),
    Report("02_train", "02_train.ipynb", "2", number="2"),
    Report("03_implementation", "03_implementation.ipynb", "3", number="3"),
    *(_extra(e, letter) for e, letter in zip(
        ("variants", "group_width", "epochs", "test_crops", "bottleneck"), ascii_uppercase)),
    Report("05_design_space", "05_design_space.ipynb", "5", number="5"),
]

if {r.section for r in REPORTS} != set(SECTIONS) or any(
        not r.number.startswith(r.section) for r in REPORTS):
    raise ImportError("report/contents.py: every section needs a report and every report a "
                      "section and a number within it")


def section_reports(section: str) -> list[Report]:
    """The reports of one section, in order."""
    return [r for r in REPORTS if r.section == section]


def in_appendix(cell) -> bool:
    """Whether a notebook cell is tagged for its report's appendix."""
    return APPENDIX_TAG in cell.get("metadata", {}).get("tags", [])


def appendix_of(report: Report) -> str:
    """The number of the appendix that holds `report`'s tagged cells ("I"), or its own."""
    return next((n for n, (_, name) in APPENDICES.items() if name == report.name),
                report.number)
