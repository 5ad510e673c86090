"""Every profile rehearsed end to end, as `./run_all.sh --profile P` runs it: `python -m regnet
reports` executes every notebook with papermill, renders HTML (and PDF), and combines them.

The rehearsals differ from a real run only in `--set` values (small images, one or two
epochs, a few classes, one model per design space) and in the data they are given:

- tiny: a 10-class cut of ../shared/data/tiny-imagenet-100.zip in the official layout (real
  photographs), and once the shared zip itself;
- course: six small archives in the course's layout (Train1..Train5.zip, Val1.zip), served
  from 127.0.0.1 and downloaded, checked and extracted as the real ones would be (the
  kernels learn the test archives' address and checksums from a sitecustomize module, the
  way the download tests swap them in);
- quick: the project's own synthetic images.

Each checks that every report of the profile rendered, that each says which data it shows,
and that a second run reuses the trained runs.
"""
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

from datafiles import image_tree, zip_folder
from regnet.data import download
from regnet.report import contents, render

ROOT = Path(__file__).resolve().parents[1]
SHARED_ZIP = ROOT.parent / "shared" / "data" / "tiny-imagenet-100.zip"

#: What makes a rehearsal small: 16 px images, 14 px crops, 2 epochs, one model a space.
SMALL = ["DATA_IMAGE_SIZE=16", "DATA_CROP=14", "DATA_RESIZE=16", "DATA_BATCH_SIZE=16",
         "TRAINING_LR_INIT_EPOCHS=1", "TRAINING_LR_FINAL_EPOCHS=1", "SWEEP_SAMPLES=1",
         "SWEEP_SPACES=anynetx_a,regnetx", "DEVICE=cpu", "DATA_WORKERS=0"]
#: The training reports, run again to see that they reuse what the first run trained.
AGAIN = "02_train,04_epochs,05_design_space"

needs_chromium = pytest.mark.skipif(
    not render.chromium() or not __import__("shutil").which("pdftotext"),
    reason="needs chromium and pdftotext (.ci/run installs them)")


def run_all(profile, out, runs, *sets, only=None, pdf=False, env=None, cwd=ROOT):
    """`./run_all.sh --profile PROFILE --set ...` into `out`, runs under `runs`, typed in
    `cwd`."""
    cmd = [sys.executable, "-m", "regnet", "reports", "--profile", profile, "--out", str(out)]
    cmd += [a for s in sets for a in ("--set", s)]
    cmd += ["--only", only] if only else []
    cmd += [] if pdf else ["--no-pdf"]
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "lib"), "REGNET_RUNS": str(runs),
               "OMP_NUM_THREADS": "1", **(env or {})}  # the suite runs two workers at once
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=cwd,
                          env=environ)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def html_text(path: Path) -> str:
    import html
    import re
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text()))


def uncited(report: Path) -> list[str]:
    """The tables and figures of a printed report that no sentence cites by number."""
    import html
    page = report.read_text()
    numbered = re.findall(r'data-kind="(Table|Figure)">\1 ([\w.]+)\.</span>', page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(
        r"<(caption|figcaption)>.*?</\1>", " ", page, flags=re.S)))
    number = r"[0-9IV]+[A-Z]?\.\d+"
    cited = {(kind, n) for kind, ns in re.findall(
        rf"(Table|Figure)s? ({number}(?:(?:, | and ){number})*)", text)
        for n in re.findall(number, ns)}
    return [f"{kind} {n}" for kind, n in numbered if (kind, n) not in cited]


def check_rendered(folder: Path, data_words: str, pdf: bool):
    """Every report of the profile and the combined one are there, each naming its data and
    none holding a log or a warning."""
    kinds = ["ipynb", "html"] + (["pdf"] if pdf else [])
    for report in contents.REPORTS:
        for kind in kinds:
            assert (folder / f"{report.name}.{kind}").is_file(), f"{report.name}.{kind}"
        assert data_words in html_text(folder / f"{report.name}.html"), report.name
        notebook = json.loads((folder / f"{report.name}.ipynb").read_text())
        logs = ["".join(o["text"])[:200] for c in notebook["cells"] for o in c.get("outputs", [])
                if o.get("output_type") == "stream"]  # a warning or a log in the hand-in
        assert not logs, (report.name, logs)
    assert data_words in html_text(folder / "report.html")
    # the conclusions: one finding from every report, in the report's order
    findings = re.search(r"<ul class=\"regnet-findings\">(.*?)</ul>",
                         (folder / "report.html").read_text(), re.S)
    assert findings, "no conclusions"
    labels = re.findall(r"<li><b>[^<]*\((\w+)\)\.</b> \S", findings.group(1))
    assert labels == [r.number for r in contents.REPORTS], labels
    assert not uncited(folder / "report.html"), "never cited by number in the text"
    title = html_text(folder / "report.html")
    assert re.search(r"Scale: training runs of \d+ epochs? unless a study says otherwise; "
                     r"\d+ models? per design space\.", title), "no scale on the title page"
    for kind in kinds[1:]:
        assert (folder / f"report.{kind}").is_file()


def run_records(runs: Path) -> dict[str, int]:
    """Every trained run's metrics file and when it was last written."""
    return {str(p): p.stat().st_mtime_ns for p in runs.rglob("metrics.jsonl")}


def check_reused(profile, out, runs, *sets, env=None):
    """A second run of the training reports trains nothing: every run is reused."""
    before = run_records(runs)
    assert before
    shown = run_all(profile, out, runs, *sets, only=AGAIN, env=env)
    assert run_records(runs) == before, shown
    assert "(reused)" in html_text(out / profile / "02_train.html")


# --- tiny ------------------------------------------------------------------------------------

needs_shared = pytest.mark.skipif(not SHARED_ZIP.is_file(),
                                  reason=f"{SHARED_ZIP} is absent (CI has ../shared)")


def tiny_cut(dest: Path, classes=10, train=6, val=2) -> Path:
    """`classes` evenly spaced classes of the shared zip in the official layout, with the
    first `train` training and `val` validation images of each."""
    with zipfile.ZipFile(SHARED_ZIP) as zf:
        top = zf.namelist()[0].split("/")[0]
        every = zf.read(f"{top}/wnids.txt").decode().split()
        chosen = sorted(every)[::len(every) // classes][:classes]
        (dest / "val" / "images").mkdir(parents=True)
        (dest / "wnids.txt").write_text("".join(f"{w}\n" for w in chosen))
        (dest / "words.txt").write_bytes(zf.read(f"{top}/words.txt"))
        for w in chosen:
            (dest / "train" / w / "images").mkdir(parents=True)
            for k in range(train):
                name = f"train/{w}/images/{w}_{k}.JPEG"
                (dest / name).write_bytes(zf.read(f"{top}/{name}"))
        kept, count = [], {w: 0 for w in chosen}
        for line in zf.read(f"{top}/val/val_annotations.txt").decode().splitlines():
            name, wnid = line.split("\t")[:2]
            if wnid in count and count[wnid] < val:
                count[wnid] += 1
                kept.append(line + "\n")
                (dest / "val" / "images" / name).write_bytes(zf.read(f"{top}/val/images/{name}"))
        (dest / "val" / "val_annotations.txt").write_text("".join(kept))
    return dest


@needs_shared
@needs_chromium
def test_the_tiny_profile_renders_every_report_and_its_pdfs_on_a_cut_of_tiny_imagenet(
        tmp_path):
    data_dir = tiny_cut(tmp_path / "tiny-imagenet-10")
    out, runs = tmp_path / "reports", tmp_path / "runs"
    sets = SMALL + [f"DATA_DIR={data_dir}", "DATA_CLASSES=10"]
    run_all("tiny", out, runs, *sets, pdf=True)
    check_rendered(out / "tiny", "Data: Tiny ImageNet", pdf=True)
    for name in ("02_train", "report"):  # the profile's own note, on the title page too
        shown = html_text(out / "tiny" / f"{name}.html")
        assert "TINY IMAGENET - not the course data" in shown and "PIPELINE DEMO" not in shown
    check_reused("tiny", out, runs, *sets)


@needs_shared
def test_the_tiny_profile_trains_from_the_shared_zip_itself(tmp_path):
    folder = tmp_path / "zip"
    folder.mkdir()
    (folder / SHARED_ZIP.name).symlink_to(SHARED_ZIP)
    out = tmp_path / "reports"
    # as docs/reports.md types it: the folder and the runs relative to where run_all.sh is
    # called, though the notebooks run in notebooks/
    run_all("tiny", out, "runs", *SMALL, "DATA_DIR=zip", "DATA_CLASSES=10",
            "TRAINING_LR_FINAL_EPOCHS=0", only="02_train", cwd=tmp_path)
    assert list((tmp_path / "runs" / "tiny").iterdir())
    text = html_text(out / "tiny" / "02_train.html")
    assert "Data: Tiny ImageNet" in text and "(trained for this report)" in text
    assert "5000 train / 500 test images" in text  # 10 whole classes of the zip


# --- course ----------------------------------------------------------------------------------

COURSE_CLASSES = ("n01440764", "n01443537", "n01484850", "n01491361")


def course_archives(served: Path, work: Path) -> dict[str, str]:
    """Train1..Train5.zip and Val1.zip as the course lays them out (a wrapper folder, then a
    folder of 64 px JPEGs per class); returns each archive's git blob SHA-1."""
    served.mkdir()
    hashes = {}
    for i, name in enumerate(download.COURSE_ARCHIVES):
        tree = image_tree(work / name, COURSE_CLASSES, per_class=3 if name != "Val1.zip" else 2,
                          seed=i)
        zip_folder(tree, served / name, prefix=f"{Path(name).stem}/")
        raw = (served / name).read_bytes()
        hashes[name] = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
    return hashes


class Serve:
    """Serve a folder at http://127.0.0.1:PORT/ while in use."""

    def __init__(self, folder: Path):
        handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *a: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *a):
        self.server.shutdown()
        self.server.server_close()


def test_the_course_profile_downloads_checks_extracts_trains_and_reports(tmp_path):
    hashes = course_archives(tmp_path / "served", tmp_path / "trees")
    data_dir, out, runs = tmp_path / "course", tmp_path / "reports", tmp_path / "runs"
    site = tmp_path / "site"
    site.mkdir()
    with Serve(tmp_path / "served") as server:
        # every kernel reads the test archives' address and checksums at start-up
        (site / "sitecustomize.py").write_text(
            "import regnet.data.download as d\n"
            f"d.COURSE_URL = {server.url!r}\nd.COURSE_ARCHIVES = {json.dumps(hashes)}\n")
        env = {"PYTHONPATH": f"{site}{os.pathsep}{ROOT / 'lib'}"}
        sets = SMALL + [f"DATA_DIR={data_dir}", f"DATA_NUM_CLASSES={len(COURSE_CLASSES)}"]
        run_all("course", out, runs, *sets, env=env)
    check_rendered(out / "course", "Data: the course data", pdf=False)
    assert "PIPELINE DEMO" not in html_text(out / "course" / "report.html")  # no demo note
    assert sorted(p.name for p in data_dir.glob("*.zip")) == sorted(hashes)  # downloaded
    assert len(list((data_dir / "extracted").iterdir())) == 6
    check_reused("course", out, runs, *sets, env=env)  # the server is gone: nothing fetched


# --- quick -----------------------------------------------------------------------------------

def test_the_quick_profile_renders_every_report(tmp_path):
    out, runs = tmp_path / "reports", tmp_path / "runs"
    sets = SMALL + ["DATA_SYNTHETIC_TRAIN=64", "DATA_SYNTHETIC_TEST=32"]
    run_all("quick", out, runs, *sets)
    check_rendered(out / "quick", "Data: synthetic images of coloured stripes", pdf=False)
    assert "PIPELINE DEMO" in html_text(out / "quick" / "report.html")
    check_reused("quick", out, runs, *sets)
