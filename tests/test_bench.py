"""`python -m regnet bench`: one table of every speed setting; on a CPU the impossible rows
say why they were skipped."""
import json

import torch
from datafiles import imagefolder

from regnet.cli import main

# A tiny network on tiny synthetic images: the whole command runs in seconds on a CPU.
TINY = ["REGNETX=custom", "MODEL_BLOCKS=[1]", "MODEL_CHANNELS=[16]", "MODEL_TAIL_OUT_CHANNELS=16",
        "DATA_NUM_CLASSES=4", "DATA_SYNTHETIC_TRAIN=64", "DATA_SYNTHETIC_TEST=32",
        "DATA_SYNTHETIC_SIZE=16", "DATA_BATCH_SIZE=16", "PROGRESS=false", "DEVICE=cpu"]


def bench(capsys, *args, sets=TINY):
    code = main(["bench", "--steps", "2", "--warmup", "1", "--workers", "0", *args,
                 *(f"--set={s}" for s in sets)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def figures(line: str) -> list[str]:
    return line.split("eager")[-1].split()


def test_bench_prints_one_table_with_the_impossible_rows_skipped_and_why(monkeypatch, capsys):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")  # x86
    # every row but `compiled`, whose first compile on a CPU takes minutes
    out = bench(capsys, "--rows", "seed,plain,auto,fp32,channels_last,fast,graphs")
    lines = out.strip().splitlines()
    assert lines[0].startswith("custom (2,292 params") and "cpu (" in lines[0]
    assert "torch" in lines[0] and "1 warm-up + 2 timed steps" in lines[0]
    assert lines[1].split()[:3] == ["row", "configuration", "train"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert list(rows) == ["seed", "plain", "auto", "fp32", "channels_last", "fast", "graphs"]
    for name in ("seed", "plain", "auto", "fp32", "channels_last", "fast"):
        # measured: two positive figures, no compile or capture
        assert float(figures(rows[name])[0].replace(",", "")) > 0
        assert float(figures(rows[name])[1].replace(",", "")) > 0
        assert figures(rows[name])[2:] == ["-", "-"]
    assert "seed-style: ImageFolder JPEGs, PIL, 0 workers; fp32, NCHW, eager" in rows["seed"]
    assert "plain loop: torchvision transforms, DataLoader, 0 workers; fp32, NCHW, eager" \
        in rows["plain"]
    for name in ("auto", "channels_last", "fast"):  # auto on an x86 CPU: the same settings
        assert f"{name} fp32, channels_last, eager " in " ".join(rows[name].split())
    assert "skipped: CUDA graphs need a CUDA device" in rows["graphs"]


def test_bench_on_a_cpu_without_onednn_layouts_skips_the_fast_row_as_the_fp32_one(
        monkeypatch, capsys):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "DEFAULT")  # ARM
    rows = {r["row"]: r for r in json.loads(bench(capsys, "--rows", "auto,fast", "--json"))[
        "rows"]}
    assert rows["auto"]["config"] == "fp32, NCHW, eager" and "skipped" not in rows["auto"]
    assert "PRECISION and CHANNELS_LAST resolve to fp32, NCHW here" in rows["fast"]["skipped"]
    assert "bf16 autocast on a CPU is possible but slow" in rows["fast"]["skipped"]


def test_bench_measures_bf16_channels_last_on_a_cpu_when_asked(capsys):
    out = bench(capsys, "--rows", "fast", "--json",
                sets=TINY + ["PRECISION=bf16", "CHANNELS_LAST=1"])
    row, = json.loads(out)["rows"]
    assert row["config"] == "bf16, channels_last, eager" and "skipped" not in row
    assert row["train_images_per_second"] > 0 and row["eval_images_per_second"] > 0


def test_bench_rounds_time_the_rows_in_turn_and_keep_each_ones_median(capsys):
    result = json.loads(bench(capsys, "--rows", "fp32,channels_last,graphs", "--rounds", "3",
                              "--json"))
    assert result["rounds"] == 3
    fp32, channels_last, graphs = result["rows"]
    for row in (fp32, channels_last):
        assert len(row["rounds"]) == 3 and row["warmup_steps"] == 1
        for key in ("train_images_per_second", "eval_images_per_second"):
            figures = sorted(r[key] for r in row["rounds"])
            assert row[key] == figures[1] > 0
    assert "rounds" not in graphs and "skipped" in graphs


def test_bench_data_only_times_both_pipelines_on_a_folders_own_jpegs(tmp_path, capsys):
    root = imagefolder(tmp_path / "images", per_class=8)
    out = bench(capsys, "--data-only", "--json", sets=[
        "DATASET=imagefolder", f"DATA_DIR={root}", "DATA_BATCH_SIZE=4", "DEVICE=cpu",
        "PROGRESS=false"])
    result = json.loads(out)
    rows = {r["row"]: r for r in result["rows"]}
    assert result["dataset"] == "imagefolder" and "files_seconds" not in rows["seed"]
    for name in ("seed", "plain", "fp32"):
        assert rows[name]["train_images_per_second"] > 0
        assert rows[name]["eval_images_per_second"] > 0
    for name in ("auto", "channels_last", "fast", "compiled", "graphs"):
        assert rows[name]["skipped"] == "--data-only times the data pipelines alone"


def test_bench_mistakes_are_one_line_before_any_work(capsys):
    assert main(["bench", "--rows", "seed,turbo"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--rows: no row 'turbo'; valid: seed, plain, auto, fp32, channels_last" in err
    assert main(["bench", *(f"--set={s}" for s in TINY), "--set=DATA_BATCH_SIZE=64"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "synthetic has 64 and 32: lower it" in err
