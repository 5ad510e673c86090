"""Models built from specs, and the per-operator table derived from them."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from regnet.arch import space
from regnet.params import resolve
from regnet.arch.complexity import closed_form, operator_table, totals
from regnet.arch.model import build

COURSE = ["200mf", "400mf", "600mf", "800mf", "1.6gf", "custom"]


@pytest.mark.parametrize("name", list(space.NAMES))
def test_every_named_variant_runs_a_forward_pass_at_its_input_size(name):
    spec = space.named(name, resolve().model)
    model = build(spec).eval()
    with torch.no_grad():
        out = model(torch.randn(2, spec.in_channels, spec.input_size, spec.input_size))
    assert out.shape == (2, spec.num_classes)
    assert torch.isfinite(out).all()


def test_course_200mf_forward_shapes_stage_by_stage():
    model = build(space.named("200mf")).eval()
    x = torch.randn(1, 3, 56, 56)
    shapes = []
    with torch.no_grad():
        for name, module in model.named_children():
            x = module(x)
            shapes.append((name, tuple(x.shape[1:])))
    assert shapes == [("stem", (24, 56, 56)), ("s1", (24, 56, 56)), ("s2", (56, 28, 28)),
                      ("s3", (152, 14, 14)), ("s4", (368, 7, 7)), ("head", (100,))]


def test_a_one_channel_28px_ten_class_net_builds_and_trains_a_step():
    model = build(space.named("200mf", input_size=28, num_classes=10, in_channels=1))
    x, y = torch.randn(4, 1, 28, 28), torch.randint(0, 10, (4,))
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert model.stem.conv.weight.grad is not None and torch.isfinite(loss)


def test_blocks_start_as_identity_with_zero_initialised_last_norm():
    model = build(space.named("200mf"))
    assert all(float(b.c_bn.weight.detach().abs().sum()) == 0 for s in ("s1", "s2", "s3", "s4")
               for b in getattr(model, s))


def test_projection_only_where_the_shape_changes():
    model = build(space.named("200mf"))
    with_proj = [f"{s}.{n}" for s in ("s1", "s2", "s3", "s4")
                 for n, b in getattr(model, s).named_children() if b.proj is not None]
    assert with_proj == ["s2.b1", "s3.b1", "s4.b1"]  # s1: stem 24 -> 24 at stride 1


@pytest.mark.parametrize("name", ["200mf", "regnetx_400mf", "regnety_200mf", "custom"])
def test_operator_table_equals_closed_form_and_counts_every_parameter(name):
    spec = space.named(name, resolve().model)
    model = build(spec)
    rows = operator_table(model)
    assert totals(rows) == closed_form(spec)
    assert totals(rows)["params"] == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", ["200mf", "regnetx_200mf", "regnety_400mf"])
def test_operator_table_macs_agree_with_torch_flop_counter(name):
    spec = space.named(name, resolve().model)
    model = build(spec).eval()
    rows = operator_table(model)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size))
    # torch counts 2 flops per multiply-add and leaves out bias additions.
    bias_macs = sum(r.out_shape[0] * (r.out_shape[1] * r.out_shape[2] if len(r.out_shape) == 3
                                      else 1)
                    for r in rows if r.params and r.type in ("Conv2d", "Linear")
                    and dict(model.named_modules())[r.path].bias is not None)
    assert counter.get_total_flops() == 2 * (totals(rows)["macs"] - bias_macs)


def test_operator_table_rows_cover_convs_norms_projections_and_head():
    rows = operator_table(build(space.named("200mf")))
    by_path = {r.path: r for r in rows}
    assert by_path["stem.conv"].params == 3 * 24 * 9 and by_path["stem.conv"].macs == 2_032_128
    assert by_path["stem.bn"].params == 48 and by_path["stem.bn"].macs == 0
    proj = by_path["s4.b1.proj"]
    assert (proj.role, proj.in_shape, proj.out_shape, proj.stride) == \
        ("projection", (152, 14, 14), (368, 7, 7), 2)
    grouped = by_path["s3.b2.b"]
    assert (grouped.groups, grouped.kernel, grouped.macs) == (19, 3, 152 * 152 * 9 * 14 * 14 // 19)
    assert by_path["head.fc"].params == 368 * 100 + 100
    assert {(r.stage, r.block) for r in rows if r.stage == "s4"} == \
        {("s4", f"b{i}") for i in range(1, 8)}
    assert rows[0].path == "stem.conv" and rows[-1].path == "head.fc"


def test_operator_table_follows_the_input_size():
    model = build(space.named("200mf"))
    small, large = totals(operator_table(model, 40)), totals(operator_table(model, 64))
    assert small["params"] == large["params"] and small["macs"] < large["macs"]
    assert model.training  # the table leaves the model's mode alone
