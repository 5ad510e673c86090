"""The design space: pycls's generator and quantization, named variants, bad input."""
import pytest

from regnet.arch import space
from regnet.params import Config
from regnet.arch.complexity import closed_form
from regnet.params import ParamError

# pycls dev/model_complexity.json (DESIGN.md): flops are multiply-adds.
REFERENCE = {
    "regnetx_200mf": (199_040_872, 2_684_792, 2_164_056),
    "regnetx_400mf": (397_678_568, 5_157_512, 3_143_272),
    "regnetx_600mf": (600_891_112, 6_196_040, 3_975_096),
    "regnetx_800mf": (799_700_712, 7_259_656, 5_148_744),
    "regnetx_1.6gf": (1_602_850_792, 9_190_136, 7_933_512),
    "regnety_200mf": (199_519_076, 3_162_996, 2_168_052),
    "regnety_400mf": (401_849_056, 4_344_144, 3_892_496),
    "regnety_600mf": (601_227_608, 6_055_160, 4_334_296),
    "regnety_800mf": (797_183_328, 6_263_168, 5_249_888),
    "regnety_1.6gf": (1_612_087_326, 11_202_430, 8_044_814),
}


@pytest.mark.parametrize("name", REFERENCE)
def test_paper_models_match_pycls_reference_totals_exactly(name):
    macs, params, acts = REFERENCE[name]
    spec = space.named(name)
    assert (spec.input_size, spec.num_classes, spec.stem_width, spec.stem_stride) == \
        (224, 1000, 32, 2)
    assert closed_form(spec) == {"macs": macs, "params": params, "acts": acts}


def test_course_200mf_is_the_seed_network():
    spec = space.named("200mf")
    assert spec.stem_width == 24 and spec.stem_stride == 1 and spec.kernel == 3
    assert spec.depths == [1, 1, 4, 7]
    assert spec.widths == [24, 56, 152, 368]
    assert [s.group_width for s in spec.stages] == [8, 8, 8, 8]
    assert [s.bottleneck for s in spec.stages] == [1, 1, 1, 1]
    assert [s.stride for s in spec.stages] == [1, 2, 2, 2]
    assert (spec.input_size, spec.num_classes, spec.in_channels) == (56, 100, 3)


@pytest.mark.parametrize("short", ["200mf", "400mf", "600mf", "800mf", "1.6gf"])
def test_course_variants_keep_paper_stages_with_the_course_stem(short):
    paper, course = space.named(f"regnetx_{short}"), space.named(short)
    assert course.stages == tuple(s.__class__(s.depth, s.width, s.group_width, s.bottleneck,
                                              1 if i == 0 else 2)
                                  for i, s in enumerate(paper.stages))
    assert course.stem_width == course.stages[0].width  # the documented stem rule


def test_regnet_widths_round_half_to_even_like_python():
    # w0 * wm^1 / q = 2.5 -> 2 (not 3): width 16; and 3.5 -> 4: width 32.
    assert space.quantized_widths(2, 8, 12, 2.5) == [8, 16]
    assert space.quantized_widths(2, 8, 20, 3.5) == [8, 32]
    # log(u / w0) / log(wm) = 0.5 exactly -> exponent 0 -> the block keeps width w0.
    assert space.quantized_widths(2, 8, 8, 4.0) == [8, 8]


def test_group_compatibility_rounds_inner_width_half_to_even():
    assert space.compatible(20, 1.0, 8) == (16, 8)   # 20/8 = 2.5 -> 2
    assert space.compatible(28, 1.0, 8) == (32, 8)   # 28/8 = 3.5 -> 4
    assert space.compatible(24, 1.0, 48) == (24, 24)  # g shrinks to the inner width
    assert space.compatible(368, 8.0, 1) == (368, 1)  # bottleneck ratio 8: inner 46


def test_consecutive_equal_widths_form_stages():
    assert space.group_runs([24, 56, 152, 152, 368, 368]) == ([24, 56, 152, 368], [1, 1, 2, 2])


def test_specs_are_immutable():
    spec = space.named("200mf")
    with pytest.raises(AttributeError):
        spec.stem_width = 32
    with pytest.raises(AttributeError):
        spec.stages[0].width = 8


@pytest.mark.parametrize("value, name", [("200", "200mf"), (200, "200mf"), ("400MF", "400mf"),
                                         (1.6, "1.6gf"), ("1.6", "1.6gf"), (1600, "1.6gf"),
                                         ("RegNetX-800MF", "regnetx_800mf"), ("custom", "custom")])
def test_variant_names_accept_numbers_and_case(value, name):
    assert space.normalize_name(value) == name


def test_unknown_variant_lists_the_valid_names():
    with pytest.raises(ParamError, match=r"unknown network '300mf'; valid: 200mf, 400mf"):
        space.named("300mf")


def test_custom_network_comes_from_model_parameters(values):
    values.update(MODEL_BLOCKS=[1, 2], MODEL_CHANNELS=[32, 64], MODEL_GROUP_WIDTH=16,
                  MODEL_TAIL_OUT_CHANNELS=16, MODEL_BOTTLENECK=2.0)
    spec = space.named("custom", Config(values).model)
    assert spec.depths == [1, 2] and spec.widths == [32, 64] and spec.stem_width == 16
    assert [s.inner_width for s in spec.stages] == [16, 32]
    assert [s.stride for s in spec.stages] == [1, 2]


@pytest.mark.parametrize("change, message", [
    (dict(MODEL_GROUP_WIDTH=7), "group width 7 does not divide the inner width 24"),
    (dict(MODEL_GROUP_WIDTH=32), "group width 32 does not divide the inner width 24"),
    (dict(MODEL_CHANNELS=[24, -56, 152, 368]), "stage 2 width=-56 must be at least 1"),
    (dict(MODEL_BLOCKS=[1, 0, 4, 7]), "stage 2 depth=0 must be at least 1"),
    (dict(MODEL_FILTER_SIZE=4), "kernel=4 must be odd"),
])
def test_impossible_custom_networks_are_named_errors(values, change, message):
    values.update(change)
    with pytest.raises(ParamError, match=message):
        space.named("custom", Config(values).model)


@pytest.mark.parametrize("kwargs, message", [
    (dict(depth=0), "depth=0 must be at least 1"),
    (dict(w0=20), "w0=20 must be a multiple of 8"),
    (dict(wm=1.0), "wm=1.0 must be above 1"),
    (dict(wa=-1.0), "wa=-1.0 must be at least 0"),
    (dict(group_width=0), "group width=0 must be at least 1"),
    (dict(depth=2.5), "depth=2.5 must be a whole number"),
])
def test_impossible_regnet_numbers_are_named_errors(kwargs, message):
    base = dict(depth=13, w0=24, wa=36.44, wm=2.49, group_width=8)
    with pytest.raises(ParamError, match=message):
        space.regnet(space.RegNetParams(**{**base, **kwargs}))


def test_strides_must_match_the_generated_stages():
    with pytest.raises(ParamError, match="give 3 stages but these RegNet numbers make 4"):
        space.regnet(space.RegNetParams(13, 24, 36.44, 2.49, 8, strides=(1, 2, 2)))


def test_input_size_classes_and_channels_are_free():
    spec = space.named("200mf", input_size=28, num_classes=10, in_channels=1)
    assert (spec.input_size, spec.num_classes, spec.in_channels) == (28, 10, 1)
    with pytest.raises(ParamError, match="classes=0 must be at least 1"):
        space.named("200mf", num_classes=0)
