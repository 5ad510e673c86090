"""`python -m regnet check-gpu`: its comparison, tolerances, table and verdict, run on the CPU
with eager stand-ins for torch.compile (dynamo with its eager backend) and for the CUDA graph
(GraphedStep with its two CUDA calls replaced)."""
import pytest
import torch
from torch import nn

from regnet.cli import main
from regnet.engine.device import Choice
from regnet.engine.gpucheck import (TOLERANCE, check, check_values, difference, failure,
                                    format_report, rows_for)
from test_speed import CpuGraphs  # GraphedStep with its two CUDA calls replaced

CPU = torch.device("cpu")
TINY = ["REGNETX=custom", "MODEL_BLOCKS=[1]", "MODEL_CHANNELS=[16]",
        "MODEL_TAIL_OUT_CHANNELS=16", "DATA_NUM_CLASSES=4", "DATA_SYNTHETIC_SIZE=16",
        "DATA_CROP=12", "DATA_BATCH_SIZE=16", "DEVICE=cpu"]
STEPS = 8
FAST = Choice("bf16", True, True, True)  # what auto resolves to on an H100
PLAIN_ONLY = Choice("fp32", False, False, False)


class FailingCapture(CpuGraphs):
    def _record(self, fn):
        raise RuntimeError("operation not permitted when stream is capturing")


def eager_compile(model, **options):
    return torch.compile(model, **{**options, "backend": "eager"})


class Off(nn.Module):
    """A 'compiled' network that computes something else: logits 1.5 times too large."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return 1.5 * self.model(x)


def run(target=FAST, graphed=CpuGraphs, compiler=eager_compile):
    return check(check_values(TINY, steps=STEPS), CPU, STEPS, target, graphed, compiler)


def test_a_sound_fast_path_passes_every_row_and_says_how_much_faster():
    result = run()
    assert [r["row"] for r in result["rows"]] == ["plain", "precision", "channels_last",
                                                  "compile", "cuda_graphs"]
    assert result["ok"] and all(r["failed"] is None for r in result["rows"])
    for row in result["rows"]:
        assert len(row["losses"]) == STEPS and row["difference"] <= TOLERANCE["bf16"]
        assert row["train_images_per_second"] > 0 and row["eval_images_per_second"] > 0
    graphs = result["rows"][-1]
    assert graphs["recompiles"] == 0 and graphs["capture_seconds"] is not None
    assert not graphs["capture_failed"] and graphs["compile_seconds"] > 0
    assert result["rows"][1]["difference"] > 0  # bf16 does round differently
    assert result["verdict"].startswith(
        "OK: bf16, channels_last, compiled, CUDA graphs trains the same network as plain fp32 "
        "(within 5%) at ")
    lines = format_report(result).splitlines()
    assert lines[0].startswith("check-gpu: custom, batch 16, 8 steps from the same weights; "
                               "auto here: bf16, channels_last, compiled, CUDA graphs; cpu")
    assert lines[1].split()[:4] == ["row", "configuration", "train", "img/s"]
    assert [line.split()[0] for line in lines[2:7]] == [r["row"] for r in result["rows"]]
    assert all(line.endswith(" ok") for line in lines[2:7]) and lines[7] == result["verdict"]


def test_a_setting_that_changes_the_result_fails_naming_the_set_that_avoids_it():
    result = run(compiler=lambda model, **options: Off(model))
    rows = {r["row"]: r for r in result["rows"]}
    assert rows["channels_last"]["failed"] is None
    assert rows["compile"]["failed"].startswith("losses differ from plain fp32 by ")
    assert not result["ok"] and "\n" not in result["verdict"]
    assert result["verdict"].startswith("FAILED: compile (bf16, channels_last, compiled): "
                                        "losses differ from plain fp32 by ")
    assert result["verdict"].endswith("(tolerance 5% in bf16); --set COMPILE=0 avoids it")


def test_a_failed_capture_fails_the_check_naming_cuda_graphs(capsys):
    result = run(graphed=FailingCapture)
    assert result["rows"][-1]["failed"] == \
        "CUDA graph capture failed: operation not permitted when stream is capturing"
    assert result["verdict"].endswith("; --set CUDA_GRAPHS=0 avoids it")
    assert "training continues without CUDA graphs" in capsys.readouterr().err


def test_a_setting_that_raises_fails_the_check_and_the_rows_before_it_still_count():
    def broken(model, **options):
        raise RuntimeError("inductor: no C compiler\nmore")
    result = run(Choice("fp32", True, True, False), compiler=broken)
    assert [r["row"] for r in result["rows"]] == ["plain", "channels_last", "compile"]
    assert result["rows"][1]["failed"] is None
    assert result["verdict"] == ("FAILED: compile (fp32, channels_last, compiled): raised: "
                                 "inductor: no C compiler; --set COMPILE=0 avoids it")


def test_fp16_checks_a_first_step_that_overflows_against_plain_skipping_it_too():
    result = run(Choice("fp16", False, False, False))
    plain, fp16 = result["rows"]
    assert fp16["first_step_skipped"] is True and result["ok"]
    assert fp16["tolerance"] == TOLERANCE["fp16"] and fp16["difference"] < TOLERANCE["fp16"]
    # plain made no update on the first step either: its second loss is not the one of a
    # plain run that did
    assert plain["losses"][1] != pytest.approx(run(PLAIN_ONLY)["rows"][0]["losses"][1])


def test_the_comparison_catches_a_nan_and_a_drift_and_a_recompile():
    plain = {"losses": [2.0, 1.8], "test_loss": 1.7}
    assert difference({"losses": [2.0, 1.8], "test_loss": 1.7}, plain) == 0
    assert difference({"losses": [2.0, float("nan")], "test_loss": 1.7}, plain) == \
        float("inf")
    assert difference({"losses": [2.0, 1.8], "test_loss": 1.87}, plain) == pytest.approx(0.1)
    assert TOLERANCE["fp32"] < TOLERANCE["fp16"] < TOLERANCE["bf16"]
    ok = {"difference": 0.001, "tolerance": 0.01, "precision": "fp32"}
    assert failure(ok) is None
    assert failure({**ok, "recompiles": 1}) == \
        "torch.compile compiled 1 more graph(s) after the first step"
    assert failure({**ok, "difference": float("inf")}) == "a loss became NaN or infinite"
    assert failure({**ok, "first_step_skipped": False}).startswith("the fp16 first step")


def test_rows_add_one_setting_at_a_time_and_only_those_auto_turns_on():
    names = [name for name, _, _ in rows_for(Choice("fp16", True, True, False))]
    assert names == ["plain", "precision", "channels_last", "compile"]
    assert [avoid for _, _, avoid in rows_for(FAST)] == \
        [None, "PRECISION=fp32", "CHANNELS_LAST=0", "COMPILE=0", "CUDA_GRAPHS=0"]
    assert rows_for(PLAIN_ONLY) == [("plain", PLAIN_ONLY, None)]


def test_check_gpu_on_a_cpu_says_in_one_line_that_it_needs_cuda(capsys):
    assert main(["check-gpu", "--set", "DEVICE=cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "check-gpu needs a CUDA GPU and this run is on cpu" in err
