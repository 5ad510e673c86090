"""Fast by default: auto resolution per device, explicit values, impossible ones, the record,
and the CUDA-graph step's logic (run on the CPU with the two CUDA calls replaced)."""
import copy
from contextlib import nullcontext

import pytest
import torch
import yaml

from regnet.arch.model import build
from regnet.arch.space import named
from regnet.engine.device import COMPILE_MIN_STEPS, Choice, resolve_auto
from regnet.engine.graphs import GraphedStep, capturable
from regnet.engine.loop import make_optimizer, train, train_step
from regnet.errors import ParamError
from regnet.params import resolve
from regnet.report import notebook

CPU, GPU = torch.device("cpu"), torch.device("cuda:0")
COURSE_STEPS = 60 * 250  # the course profile: 60 epochs of 250 batches of 512


def fake_gpu(monkeypatch, capability):
    """Pretend a CUDA GPU of this compute capability is present."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Fake GPU")


def run_cfg(*sets):
    return resolve(sets=list(sets)).run


@pytest.mark.parametrize("capability, expected", [
    ((9, 0), Choice("bf16", True, True, True)),    # H100
    ((8, 0), Choice("bf16", True, True, True)),    # A100
    ((7, 5), Choice("fp16", True, True, False)),   # T4: fp16's scaler rules out graphs
    ((7, 0), Choice("fp16", True, True, False)),   # V100
    ((6, 0), Choice("fp16", True, False, False)),  # P100: no Triton, so no compile
], ids=["H100", "A100", "T4", "V100", "P100"])
def test_auto_picks_the_fastest_choice_of_each_gpu_for_a_long_run(monkeypatch, capability,
                                                                  expected):
    fake_gpu(monkeypatch, capability)
    assert resolve_auto(run_cfg(), GPU, COURSE_STEPS) == expected


def test_auto_on_the_cpu_is_fp32_nchw_eager_however_long_the_run():
    assert resolve_auto(run_cfg(), CPU, 10 ** 6) == Choice("fp32", False, False, False)


def test_auto_compiles_only_runs_long_enough_to_repay_it(monkeypatch):
    fake_gpu(monkeypatch, (9, 0))
    assert resolve_auto(run_cfg(), GPU, COMPILE_MIN_STEPS - 1) == \
        Choice("bf16", True, False, False)  # a 5-epoch sweep model (1,250 steps) stays eager
    assert resolve_auto(run_cfg(), GPU, COMPILE_MIN_STEPS).compile is True
    undecided = resolve_auto(run_cfg(), GPU, None)  # before the data says how long
    assert undecided.compile is None and "5,000+ steps" in undecided.describe()
    assert resolve_auto(run_cfg(), GPU, COURSE_STEPS, world=2) == \
        Choice("bf16", True, True, False)  # DDP: compiled, not graphed


def test_an_explicit_value_always_wins(monkeypatch):
    assert resolve_auto(run_cfg("PRECISION=bf16", "CHANNELS_LAST=1", "COMPILE=1"), CPU, 1) == \
        Choice("bf16", True, True, False)
    fake_gpu(monkeypatch, (9, 0))
    assert resolve_auto(run_cfg("PRECISION=fp32", "CHANNELS_LAST=0", "COMPILE=0",
                                "CUDA_GRAPHS=1"), GPU, COURSE_STEPS) == \
        Choice("fp32", False, False, True)  # graphs of the eager step
    assert resolve_auto(run_cfg("CUDA_GRAPHS=0"), GPU, COURSE_STEPS) == \
        Choice("bf16", True, True, False)


@pytest.mark.parametrize("capability, sets, world, message", [
    ((7, 5), ["PRECISION=bf16"], 1, "PRECISION=bf16 needs a GPU of compute capability 8.0"),
    (None, ["CUDA_GRAPHS=1"], 1, "CUDA_GRAPHS=1 cannot run: CUDA graphs need a CUDA device"),
    ((9, 0), ["CUDA_GRAPHS=1", "PRECISION=fp16"], 1, "fp16's gradient scaler checks for inf"),
    ((9, 0), ["CUDA_GRAPHS=1"], 2, "several processes"),
    ((6, 0), ["COMPILE=1"], 1, "COMPILE=1 needs a GPU of compute capability 7.0"),
], ids=["bf16-on-T4", "graphs-on-cpu", "graphs-with-fp16", "graphs-with-ddp",
        "compile-on-P100"])
def test_an_impossible_value_is_a_one_line_error(monkeypatch, capability, sets, world,
                                                  message):
    device = CPU
    if capability:
        fake_gpu(monkeypatch, capability)
        device = GPU
    with pytest.raises(ParamError) as err:
        resolve_auto(run_cfg(*sets), device, COURSE_STEPS, world)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_auto_is_the_default_and_a_bad_value_names_the_parameter():
    values = resolve()
    assert [values[k] for k in ("PRECISION", "CHANNELS_LAST", "COMPILE", "CUDA_GRAPHS")] == \
        ["auto"] * 4
    with pytest.raises(ParamError, match="COMPILE='maybe' must be auto, true or false"):
        resolve(sets=["COMPILE=maybe"])


def test_reports_show_the_resolved_choice_in_their_provenance(monkeypatch):
    assert notebook.report_provenance(resolve())["speed"] == "fp32, NCHW, eager"
    fake_gpu(monkeypatch, (9, 0))
    assert notebook.speed(resolve()) == \
        "bf16, channels_last, compiled for runs of 5,000+ steps, with CUDA graphs"
    assert notebook.speed(resolve(sets=["COMPILE=1"])) == \
        "bf16, channels_last, compiled, CUDA graphs"


TINY = ["REGNETX=custom", "MODEL_BLOCKS=[1]", "MODEL_CHANNELS=[16]",
        "MODEL_TAIL_OUT_CHANNELS=16", "DATA_NUM_CLASSES=4", "DATA_SYNTHETIC_TRAIN=64",
        "DATA_SYNTHETIC_TEST=32", "DATA_SYNTHETIC_SIZE=8", "DATA_BATCH_SIZE=32",
        "TRAINING_LR_INIT_EPOCHS=0", "TRAINING_LR_FINAL_EPOCHS=1", "PROGRESS=false",
        "DEVICE=cpu"]


def test_params_yaml_records_what_auto_became_and_the_values_as_asked(tmp_path):
    summary = train(resolve(sets=TINY), tmp_path / "auto")
    record = yaml.safe_load((tmp_path / "auto" / "params.yaml").read_text())
    assert record["params"]["PRECISION"] == "auto" and record["params"]["COMPILE"] == "auto"
    assert record["resolved"] == summary["resolved"] == {
        "PRECISION": "fp32", "CHANNELS_LAST": False, "COMPILE": False, "CUDA_GRAPHS": False}
    assert "compile_seconds" not in summary["history"][0]  # nothing was compiled
    train(resolve(sets=TINY + ["PRECISION=bf16", "CHANNELS_LAST=1"]), tmp_path / "bf16")
    record = yaml.safe_load((tmp_path / "bf16" / "params.yaml").read_text())
    assert record["resolved"]["PRECISION"] == "bf16" and record["resolved"]["CHANNELS_LAST"]


def test_resuming_in_another_precision_than_the_checkpoints_is_refused(tmp_path):
    train(resolve(sets=TINY), tmp_path)
    with pytest.raises(ParamError, match=r"last.pt was trained in fp32 but PRECISION=bf16 "
                                         r"runs bf16 on cpu; set PRECISION=fp32"):
        train(resolve(sets=TINY + ["PRECISION=bf16", "FILE_LOAD=1"]), tmp_path)


# --- the CUDA-graph step, its logic on the CPU ---------------------------------------------

class CpuGraphs(GraphedStep):
    """GraphedStep with its two CUDA calls replaced: 'capture' keeps the function without
    running it, as a real capture does, and each replay runs it again."""

    def _on_side_stream(self, fn):
        return fn()

    def _record(self, fn):
        return fn


class FailingCapture(CpuGraphs):
    def _record(self, fn):
        raise RuntimeError("operation not permitted when stream is capturing\nmore detail")


def tiny_model():
    values = resolve(sets=TINY)
    torch.manual_seed(0)
    return values, build(named("custom", values.model, input_size=8, num_classes=4))


@pytest.mark.parametrize("kind", [CpuGraphs, FailingCapture], ids=["captured", "fallback"])
def test_graphed_step_trains_like_the_eager_step_reading_the_lr_from_a_tensor(kind, capsys):
    values, eager = tiny_model()
    graphed = copy.deepcopy(eager)
    eager_opt = make_optimizer(eager, values.optim, CPU)
    graphed_opt = make_optimizer(graphed, values.optim, CPU)
    lr = capturable(graphed_opt, CPU)
    assert all(g["lr"] is lr and g["fused"] for g in graphed_opt.param_groups)
    loss_fn = torch.nn.CrossEntropyLoss()
    step = kind(graphed, graphed_opt, loss_fn, "fp32", CPU)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    g = torch.Generator().manual_seed(1)
    for i in range(7):  # 3 warm-up steps, the capture, then replays
        x, y = torch.randn(16, 3, 8, 8, generator=g), torch.randint(0, 4, (16,), generator=g)
        rate = 0.05 * (i + 1)  # a new rate every step: filled in, never re-captured
        for group in eager_opt.param_groups:
            group["lr"] = rate
        lr.fill_(rate)
        a, _ = train_step(eager, x, y, eager_opt, scaler, loss_fn, nullcontext())
        b, logits = step(x, y)
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6), i
        assert logits.shape == (16, 4)
    for p, q in zip(eager.parameters(), graphed.parameters()):
        assert torch.allclose(p, q, rtol=1e-4, atol=1e-6)
    assert step.calls == 3
    if kind is CpuGraphs:
        assert step.capture_seconds is not None and b is step.loss  # the static output
        assert step.x is not x and torch.equal(step.x, x)  # the batch copied into the buffer
    else:
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "CUDA graph capture failed (operation not " \
            "permitted when stream is capturing); training continues" in err
        assert step.replay is None and step.capture_seconds is None
