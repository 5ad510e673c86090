"""timm and torchvision weights load into the paper models and compute the same logits."""
import functools
import math

import pytest
import timm
import torch
import torchvision
from torch import nn

from regnet.arch import pretrained
from regnet.params import ParamError
from regnet.arch.space import named

#: The paper models torchvision provides (it has no 200MF or 600MF).
TORCHVISION_PAPER_NAMES = {"regnetx_400mf", "regnetx_800mf", "regnetx_1.6gf",
                           "regnety_400mf", "regnety_800mf", "regnety_1.6gf"}


def randomize(model: nn.Module, seed: int) -> nn.Module:
    """Random BN statistics, affine terms, biases and classifier, so no block is the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.normal_(0.0, 0.2, generator=g)
                m.running_mean.normal_(0.0, 0.2, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)
            elif isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 1.0 / math.sqrt(m.in_features), generator=g)
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.normal_(0.0, 0.2, generator=g)
    return model.eval()


@functools.cache
def timm_model(name: str) -> nn.Module:
    return randomize(timm.create_model(name, pretrained=False), seed=len(name))


@functools.cache
def torchvision_model(name: str) -> nn.Module:
    return randomize(getattr(torchvision.models, name)(), seed=len(name))


def assert_same_logits(ours: nn.Module, theirs: nn.Module) -> None:
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        got, want = ours.eval()(x), theirs(x)
    assert want.std() > 0.1  # random BN statistics: logits far from the trivial all-zero case
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item())


def one_line_error(call) -> str:
    with pytest.raises(ParamError) as e:
        call()
    assert "\n" not in str(e.value)
    return str(e.value)


@pytest.mark.parametrize("name", list(pretrained.TIMM))
def test_timm_weights_give_the_paper_model_the_same_logits(name):
    theirs = timm_model(pretrained.TIMM[name])
    assert_same_logits(pretrained.load_pretrained(name, theirs.state_dict()), theirs)


@pytest.mark.parametrize("name", list(pretrained.TORCHVISION))
def test_torchvision_weights_give_the_paper_model_the_same_logits(name):
    theirs = torchvision_model(pretrained.TORCHVISION[name])
    assert_same_logits(pretrained.load_pretrained(name, theirs.state_dict()), theirs)


def test_every_torchvision_paper_size_is_either_supported_or_refused():
    assert set(pretrained.TORCHVISION) | set(pretrained.TORCHVISION_OTHER) == TORCHVISION_PAPER_NAMES
    assert not set(pretrained.TORCHVISION) & set(pretrained.TORCHVISION_OTHER)


@pytest.mark.parametrize("name, key, ours, theirs", [
    ("regnetx_400mf", "s4.b1.a.weight", (384, 160, 1, 1), (400, 160, 1, 1)),
    ("regnety_800mf", "s2.b1.a.weight", (128, 64, 1, 1), (144, 64, 1, 1)),
])
def test_torchvision_networks_with_other_widths_are_a_one_line_error(name, key, ours, theirs):
    state = torchvision_model(pretrained.TORCHVISION_OTHER[name]).state_dict()
    message = one_line_error(lambda: pretrained.load_pretrained(name, state))
    assert key in message and str(ours) in message and str(theirs) in message
    assert "rounds widths differently" in message and pretrained.TIMM[name] in message


@pytest.mark.parametrize("name", list(pretrained.TORCHVISION_OTHER))
def test_timms_copies_of_those_torchvision_networks_are_refused_too(name):
    state = timm_model(f"{pretrained.TIMM[name]}_tv").state_dict()
    message = one_line_error(lambda: pretrained.load_pretrained(name, state))
    assert "in the timm weights" in message and "rounds widths differently" in message


def test_the_source_is_detected_from_the_key_names():
    assert pretrained.detect_source(timm_model("regnetx_002").state_dict()) == "timm"
    assert pretrained.detect_source(torchvision_model("regnet_y_400mf").state_dict()) == "torchvision"
    message = one_line_error(lambda: pretrained.detect_source({"features.0.weight": torch.ones(1)}))
    assert "features.0.weight" in message


def test_the_wrong_explicit_source_names_the_missing_key():
    state = timm_model("regnetx_002").state_dict()
    message = one_line_error(
        lambda: pretrained.convert_state_dict(state, named("regnetx_200mf"), source="torchvision"))
    assert "trunk_output.block1.block1-0" in message or "stem.0.weight" in message


def test_weights_of_another_paper_model_are_refused_and_identified():
    state = timm_model("regnetx_004").state_dict()
    message = one_line_error(lambda: pretrained.load_pretrained("regnetx_200mf", state))
    assert "s1.b1.a.weight" in message and "(24, 32, 1, 1)" in message
    assert "(32, 32, 1, 1)" in message and "regnetx_400mf's weights" in message
    assert pretrained.identify(state) == "regnetx_400mf"


def test_a_missing_or_an_unexpected_key_is_named():
    state = dict(timm_model("regnetx_002").state_dict())
    spec = named("regnetx_200mf")
    missing = {k: v for k, v in state.items() if k != "s3.b2.conv2.bn.running_var"}
    message = one_line_error(lambda: pretrained.convert_state_dict(missing, spec))
    assert "s3.b2.b_bn.running_var" in message and "s3.b2.conv2.bn.running_var" in message
    extra = {**state, "s5.b1.conv1.conv.weight": torch.zeros(8, 8, 1, 1)}
    message = one_line_error(lambda: pretrained.convert_state_dict(extra, spec))
    assert "s5.b1.conv1.conv.weight" in message and "(8, 8, 1, 1)" in message


def test_a_new_classifier_keeps_the_pretrained_body():
    theirs = timm_model("regnety_002")
    model = pretrained.load_pretrained("regnety_200mf", theirs.state_dict(), num_classes=100)
    assert model.head.fc.weight.shape == (100, 368)
    assert torch.equal(model.s4.b7.c_bn.running_var, theirs.s4.b7.conv3.bn.running_var)
    assert torch.equal(model.s2.b1.se.expand.weight, theirs.s2.b1.se.fc2.weight)


def test_weights_load_from_a_file_or_a_wrapped_training_checkpoint(tmp_path):
    from safetensors.torch import save_file
    theirs = timm_model("regnetx_002")
    state = theirs.state_dict()
    torch.save(state, tmp_path / "w.pth")
    save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / "w.safetensors")
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}, "epoch": 3},
               tmp_path / "ckpt.pth")
    for path in ("w.pth", "w.safetensors", "ckpt.pth"):
        model = pretrained.load_pretrained("regnetx_200mf", tmp_path / path)
        assert torch.equal(model.s4.b7.b.weight, theirs.s4.b7.conv2.conv.weight), path


def test_an_unreadable_weights_file_is_a_one_line_error(tmp_path):
    message = one_line_error(lambda: pretrained.load_pretrained("regnetx_200mf", tmp_path / "no.pth"))
    assert "no.pth does not exist" in message
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    message = one_line_error(lambda: pretrained.load_pretrained("regnetx_200mf", tmp_path / "bad.pth"))
    assert "cannot read weights from" in message and "bad.pth" in message


def test_only_the_paper_models_take_imagenet_weights():
    state = timm_model("regnetx_002").state_dict()
    message = one_line_error(lambda: pretrained.load_pretrained("200mf", state))
    assert "paper's ImageNet models" in message and "'200mf'" in message
