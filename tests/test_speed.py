"""Fast by default: auto resolution per device, explicit values, impossible ones, the record,
and the CUDA-graph step's logic (run on the CPU with the two CUDA calls replaced)."""
import copy
from contextlib import nullcontext

import pytest
import torch
import yaml
from torch._dynamo.utils import counters

from regnet.arch.model import build
from regnet.arch.space import named
from regnet.engine.device import COMPILE_MIN_STEPS, GRAPH_MIN_STEPS, Choice, resolve_auto
from regnet.engine.graphs import GraphedStep, capturable
from regnet.engine.distributed import join_processes
from regnet.engine.loop import make_optimizer, padded, train, train_step
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


def x86_cpu(monkeypatch, capability="AVX2", onednn=True):
    """Pretend torch reports this CPU capability and oneDNN (mkldnn) availability."""
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: onednn)


@pytest.mark.parametrize("capability, onednn, channels_last", [
    ("AVX2", True, True),  # oneDNN's NHWC kernels: measured faster
    ("AVX512", True, False),  # oneDNN's AVX-512 strided 1x1 backward crashes on some shapes
    ("DEFAULT", True, False),  # ARM (NEON) or any other: not measured here, so NCHW
    ("NO AVX", True, False), ("AVX2", False, False),
], ids=["avx2", "avx512", "arm", "no-avx", "no-onednn"])
def test_auto_on_a_cpu_is_fp32_eager_in_the_layout_its_backend_runs_fastest(
        monkeypatch, capability, onednn, channels_last):
    x86_cpu(monkeypatch, capability, onednn)
    assert resolve_auto(run_cfg(), CPU, 10 ** 6) == Choice("fp32", channels_last, False, False)


def test_auto_compiles_only_runs_long_enough_to_repay_it(monkeypatch):
    fake_gpu(monkeypatch, (9, 0))
    assert resolve_auto(run_cfg(), GPU, COMPILE_MIN_STEPS - 1) == \
        Choice("bf16", True, False, True)  # a 5-epoch sweep model (1,250 steps): eager, graphed
    assert resolve_auto(run_cfg(), GPU, COMPILE_MIN_STEPS).compile is True
    undecided = resolve_auto(run_cfg(), GPU, None)  # before the data says how long
    assert undecided.compile is None and "5,000+ steps" in undecided.describe()
    assert resolve_auto(run_cfg(), GPU, COURSE_STEPS, world=2) == \
        Choice("bf16", True, True, False)  # DDP: compiled, not graphed


def test_auto_graphs_the_step_on_its_own_merits_wherever_capture_applies(monkeypatch):
    fake_gpu(monkeypatch, (6, 0))  # no Triton: never compiled, yet graphed in fp32
    assert resolve_auto(run_cfg("PRECISION=fp32"), GPU, COURSE_STEPS) == \
        Choice("fp32", True, False, True)
    fake_gpu(monkeypatch, (9, 0))
    assert resolve_auto(run_cfg("COMPILE=0"), GPU, 1250).cuda_graphs is True
    assert resolve_auto(run_cfg(), GPU, GRAPH_MIN_STEPS).cuda_graphs is False  # never replayed
    assert resolve_auto(run_cfg(), GPU, GRAPH_MIN_STEPS + 1).cuda_graphs is True
    assert resolve_auto(run_cfg(), GPU, None).cuda_graphs is True
    assert resolve_auto(run_cfg("PRECISION=fp16"), GPU, COURSE_STEPS).cuda_graphs is False
    assert resolve_auto(run_cfg(), GPU, COURSE_STEPS, world=2).cuda_graphs is False


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
    x86_cpu(monkeypatch, "AVX2")
    assert notebook.report_provenance(resolve())["speed"] == "fp32, channels_last, eager"
    x86_cpu(monkeypatch, "AVX512")
    assert notebook.report_provenance(resolve())["speed"] == "fp32, NCHW, eager"
    x86_cpu(monkeypatch, "DEFAULT")
    assert notebook.report_provenance(resolve())["speed"] == "fp32, NCHW, eager"
    fake_gpu(monkeypatch, (9, 0))
    assert notebook.speed(resolve()) == \
        "bf16, channels_last, compiled for runs of 5,000+ steps, CUDA graphs"
    assert notebook.speed(resolve(sets=["COMPILE=1"])) == \
        "bf16, channels_last, compiled, CUDA graphs"


TINY = ["REGNETX=custom", "MODEL_BLOCKS=[1]", "MODEL_CHANNELS=[16]",
        "MODEL_TAIL_OUT_CHANNELS=16", "DATA_NUM_CLASSES=4", "DATA_SYNTHETIC_TRAIN=64",
        "DATA_SYNTHETIC_TEST=32", "DATA_SYNTHETIC_SIZE=8", "DATA_BATCH_SIZE=32",
        "TRAINING_LR_INIT_EPOCHS=0", "TRAINING_LR_FINAL_EPOCHS=1", "PROGRESS=false",
        "DEVICE=cpu"]


def test_params_yaml_records_what_auto_became_and_the_values_as_asked(monkeypatch, tmp_path):
    x86_cpu(monkeypatch, "DEFAULT")
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
        try:
            raise RuntimeError("operation not permitted when stream is capturing\nmore detail")
        except RuntimeError:  # what torch.cuda.graph's __exit__ raises on top of it
            raise RuntimeError("operation failed due to a previous error during capture")


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
        # detached: nothing of this step's autograd graph lives into the next
        assert b.grad_fn is None and logits.grad_fn is None and a.grad_fn is None
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


class FakeCapture:
    """torch.cuda.graph as torch 2.13/2.14 writes it: __enter__ switches to the capture's
    stream and begins; __exit__ ends the capture (which raises when the body failed) before
    it restores the stream."""

    def __init__(self, streams, graph):
        self.streams = streams

    def __enter__(self):
        self.streams.append("capture stream")

    def __exit__(self, kind, error, tb):
        if error is not None:  # capture_end on an invalidated capture
            raise RuntimeError("operation failed due to a previous error during capture")
        self.streams.pop()


def test_a_failed_capture_restores_the_stream_and_reports_the_real_cause(monkeypatch, capsys):
    streams = ["main stream"]
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    monkeypatch.setattr(torch.cuda, "CUDAGraph", lambda: object())
    monkeypatch.setattr(torch.cuda, "graph", lambda graph: FakeCapture(streams, graph))
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: streams[-1])
    monkeypatch.setattr(torch.cuda, "set_stream", lambda stream: streams.append(stream))

    class Broken(GraphedStep):
        def _on_side_stream(self, fn):
            return fn()

    values, model = tiny_model()
    optimizer = make_optimizer(model, values.optim, CPU)
    capturable(optimizer, CPU).fill_(0.1)
    step = Broken(model, optimizer, torch.nn.CrossEntropyLoss(), "fp32", CPU)
    step.warmup = 0
    x, y = torch.randn(16, 3, 8, 8), torch.randint(0, 4, (16,))

    def body():  # the first kernel the capture cannot take
        raise RuntimeError("CUDA error: operation not permitted when stream is capturing")
    monkeypatch.setattr(step, "_static_body", body)
    loss, logits = step(x, y)  # the capture fails; this step runs eagerly
    assert streams[-1] == "main stream"  # back on the stream the run started on
    assert step.failed == "CUDA error: operation not permitted when stream is capturing"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(CUDA error: operation not permitted" in err
    assert torch.isfinite(loss) and logits.shape == (16, 4) and step.replay is None


def overflowing_run(fused: bool):
    """Five SGD steps with momentum and a gradient scaler whose first step overflows; the
    final weights."""
    values, model = tiny_model()
    optimizer = make_optimizer(model, values.optim, CPU, fused=fused)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 16)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(3)
    for i in range(5):
        for group in optimizer.param_groups:
            group["lr"] = 0.1
        x, y = torch.randn(16, 3, 8, 8, generator=g), torch.randint(0, 4, (16,), generator=g)
        if i == 0:
            x[0, 0, 0, 0] = float("inf")  # the first step's gradients overflow: skipped
        train_step(model, x, y, optimizer, scaler, loss_fn, nullcontext())
        if i == 0:
            assert scaler.get_scale() == 2.0 ** 15  # the scaler saw the overflow
    return [p.detach().clone() for p in model.parameters()]


def test_fused_sgd_after_a_skipped_first_step_ends_where_stock_sgd_ends():
    assert resolve(sets=TINY).optim.momentum > 0
    stock, fused = overflowing_run(False), overflowing_run(True)
    for p, q in zip(stock, fused):
        assert torch.isfinite(q).all()  # equal up to the fused kernel's rounding (~1e-9)
        assert torch.allclose(p, q, rtol=1e-6, atol=1e-8)


def test_a_fused_sgd_starts_with_zero_momentum_and_keeps_restored_buffers():
    values, model = tiny_model()
    optimizer = make_optimizer(model, values.optim, CPU, fused=True)
    assert all(optimizer.state[p]["momentum_buffer"].eq(0).all() for p in model.parameters())
    assert not make_optimizer(model, values.optim, CPU).state  # stock SGD: made at its first step
    restored = make_optimizer(model, values.optim, CPU)
    restored.load_state_dict(optimizer.state_dict())
    first = next(model.parameters())
    restored.state[first]["momentum_buffer"].fill_(1.0)
    capturable(restored, CPU)
    assert restored.state[first]["momentum_buffer"].eq(1.0).all()


def test_one_process_on_cuda_n_makes_that_gpu_the_current_device(monkeypatch):
    chosen = []
    fake_gpu(monkeypatch, (9, 0))
    monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
    proc = join_processes("cuda:1")
    assert proc.world == 1 and chosen == [torch.device("cuda:1")]
    assert join_processes("cpu").device == CPU and len(chosen) == 1


def compiled_graphs(monkeypatch, tmp_path, test_images: int) -> tuple[dict, int]:
    """Train TINY with COMPILE=1 (dynamo with its eager backend: the same guards and
    recompiles as inductor, without minutes of code generation); the summary and how many
    graphs dynamo compiled."""
    compile_ = torch.compile
    monkeypatch.setattr(torch, "compile", lambda m, **kw: compile_(m, **{**kw, "backend": "eager"}))
    torch._dynamo.reset()
    counters.clear()
    summary = train(resolve(sets=TINY + ["COMPILE=1", f"DATA_SYNTHETIC_TEST={test_images}"]),
                    tmp_path / str(test_images))
    return summary, counters["stats"]["unique_graphs"]


def test_compiled_evaluation_pads_the_last_batch_once_counted_and_never_recompiles(
        monkeypatch, tmp_path):
    whole, graphs_whole = compiled_graphs(monkeypatch, tmp_path, 64)  # batch 32 divides 64
    ragged, graphs_ragged = compiled_graphs(monkeypatch, tmp_path, 40)  # 32 + a batch of 8
    assert graphs_ragged == graphs_whole > 0  # no graph for the batch of 8
    monkeypatch.undo()
    eager = train(resolve(sets=TINY + ["DATA_SYNTHETIC_TEST=40"]))
    for key in ("test_loss", "test_acc", "test_top5", "train_loss"):
        assert ragged[key] == pytest.approx(eager[key], rel=1e-5), key
    # accuracy is a count of the 40 images: a padded image counted would move it off 1/40ths
    assert (ragged["test_acc"] * 40 / 100) == pytest.approx(round(ragged["test_acc"] * 0.4))


def test_padding_keeps_the_layout_and_leaves_whole_batches_alone():
    x = torch.randn(3, 4, 5, 5).contiguous(memory_format=torch.channels_last)
    out = padded(x, 8)
    assert out.shape == (8, 4, 5, 5) and out.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out[:3], x) and not out[3:].any()
    assert padded(x, 3) is x and padded(x, None) is x
    assert padded(torch.randn(2, 4, 5, 5), 4).is_contiguous()
