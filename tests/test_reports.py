"""run_all.sh's engine: HTML and PDF renders, one-line failures, finished reports kept."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from regnet.report import render as pipeline
from regnet.params import ParamError

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


@pytest.mark.skipif(not pipeline.chromium() or not shutil.which("pdftotext"),
                    reason="needs chromium and pdftotext (.ci/run installs them)")
def test_implementation_report_renders_html_and_a_pdf_with_the_totals(tmp_path):
    written = pipeline.run("quick", "03_implementation", out_root=tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["03_implementation.html", "03_implementation.ipynb",
                     "03_implementation.pdf"]
    html = (tmp_path / "quick" / "03_implementation.html").read_text()
    assert "2,351,452" in html and "PIPELINE DEMO" in html and "MathJax" in html
    assert "cdn" not in html.split("MathJax.js")[0][-200:]  # math renders offline
    pdf = tmp_path / "quick" / "03_implementation.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert pages >= 2
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "2,351,452" in text and "179,666,980" in text and "1,535,956" in text


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
