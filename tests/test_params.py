"""One parameter vocabulary: files, --set overrides, types and names checked up front."""
import pytest

from regnet import params
from regnet.params import ParamError


def test_later_files_and_sets_override_earlier_ones(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("REGNETX: 400mf\nDATA_BATCH_SIZE: 256\nTRAINING_LR_MAX: 0.2\n")
    b.write_text("DATA_BATCH_SIZE: 128\n")
    v = params.resolve([a, b], ["TRAINING_LR_MAX=0.05", "MODEL_BLOCKS=[1,1,4,7]"])
    assert (v["REGNETX"], v["DATA_BATCH_SIZE"], v["TRAINING_LR_MAX"]) == ("400mf", 128, 0.05)
    assert v["MODEL_BLOCKS"] == [1, 1, 4, 7]


def test_values_are_converted_to_their_kind():
    v = params.resolve(overrides={"REGNETX": 200, "TRAINING_LR_MAX": 1, "FILE_LOAD": 1,
                                  "MODEL_CHANNELS": "[32, 64, 128, 256]", "PRECISION": "BF16"})
    assert v["REGNETX"] == "200mf" and v["TRAINING_LR_MAX"] == 1.0
    assert v["FILE_LOAD"] is True and v["MODEL_CHANNELS"] == [32, 64, 128, 256]
    assert v["PRECISION"] == "bf16"


@pytest.mark.parametrize("sets, message", [
    (["DATA_BATCH_SIZE=0"], "DATA_BATCH_SIZE=0 is too small"),
    (["DATA_BATCH_SIZE=1.5"], "DATA_BATCH_SIZE=1.5 must be a whole number"),
    (["TRAINING_LR_MAX=fast"], "TRAINING_LR_MAX='fast' must be a finite number"),
    (["TRAINING_LR_MAX=.nan"], "TRAINING_LR_MAX=nan must be a finite number"),
    (["PRECISION=fp8"], "PRECISION='fp8' must be one of: auto, fp32, bf16, fp16"),
    (["FILE_SAVE=maybe"], "FILE_SAVE='maybe' must be true or false"),
    (["MODEL_BLOCKS=[1,1]"], "MODEL_BLOCKS has 2 stages but MODEL_CHANNELS has 4"),
    (["REGNETX=300"], "unknown network 300"),
    (["NO_EQUALS"], "must look like KEY=VALUE"),
    (["LR=0.1"], "unknown parameter LR"),
])
def test_bad_values_name_the_parameter(sets, message):
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace("[", r"\[")):
        params.resolve(sets=sets)


def test_bad_files_name_the_file(tmp_path):
    with pytest.raises(ParamError, match="does not exist"):
        params.resolve([tmp_path / "missing.yaml"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("REGNETX: [\n")
    with pytest.raises(ParamError, match=r"bad.yaml line \d+ is not valid YAML"):
        params.resolve([bad])
    typo = tmp_path / "typo.yaml"
    typo.write_text("DATA_BATCHSIZE: 64\n")
    with pytest.raises(ParamError, match=r"typo.yaml: unknown parameter DATA_BATCHSIZE "
                                         r"\(did you mean DATA_BATCH_SIZE\?\)"):
        params.resolve([typo])


def test_a_run_folders_params_yaml_is_accepted_as_a_parameter_file(tmp_path):
    record = tmp_path / "params.yaml"
    record.write_text("params:\n  REGNETX: 400mf\n  DATA_BATCH_SIZE: 32\n"
                      "network: {name: 400mf}\nprovenance: {git: abc}\n")
    v = params.resolve([record])
    assert v["REGNETX"] == "400mf" and v["DATA_BATCH_SIZE"] == 32
