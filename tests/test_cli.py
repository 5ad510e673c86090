"""`python -m regnet info` and `params`: output, JSON, and one-line errors for mistakes."""
import json
import subprocess
import sys

import pytest

from regnet.cli import main


def run(*args):
    """Run the command line in a fresh interpreter, as a user would."""
    return subprocess.run([sys.executable, "-m", "regnet", *args], capture_output=True,
                          text=True, timeout=120)


def test_info_json_for_a_paper_model_has_the_reference_totals():
    out = run("info", "regnetx_200mf", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert (info["name"], info["input"], info["classes"]) == ("regnetx_200mf", 224, 1000)
    assert (info["params"], info["macs"], info["acts"]) == (2_684_792, 199_040_872, 2_164_056)
    assert info["stages"][0] == {"depth": 1, "width": 24, "group_width": 8, "bottleneck": 1.0,
                                 "stride": 2}
    assert [s["depth"] for s in info["stages"]] == [1, 1, 4, 7]


def test_info_plain_prints_the_stage_table_and_totals(capsys):
    assert main(["info", "200mf"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("200mf: 3x56x56 input, 100 classes")
    for line in ("stem", "s1", "s4", "head"):
        assert any(row.startswith(line) for row in text.splitlines())
    total = next(row for row in text.splitlines() if row.startswith("total")).split()
    assert total[1:] == ["2,351,452", "179,666,980", "1,535,956"]


def test_info_input_classes_and_operators(capsys):
    assert main(["info", "200mf", "--input", "28", "--classes", "10", "--channels", "1",
                 "--operators", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["input"], info["classes"], info["in_channels"]) == (28, 10, 1)
    assert sum(r["params"] for r in info["operators"]) == info["params"]
    assert info["operators"][0]["path"] == "stem.conv"


def test_info_custom_takes_model_parameters(capsys):
    assert main(["info", "custom", "--json", "--set", "MODEL_CHANNELS=[32,64,128,256]",
                 "--set", "MODEL_GROUP_WIDTH=16"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [s["width"] for s in info["stages"]] == [32, 64, 128, 256]
    assert {s["group_width"] for s in info["stages"]} == {16}


@pytest.mark.parametrize("args, message", [
    (["info", "300mf"], "unknown network '300mf'; valid: 200mf, 400mf, 600mf, 800mf, 1.6gf, "
                        "custom, regnetx_200mf"),
    (["info", "200mf", "--input", "-3"], "argument --input: '-3' must be at least 1"),
    (["info", "200mf", "--classes", "ten"], "argument --classes: 'ten' is not a whole number"),
    (["info", "custom", "--set", "MODEL_GROUP_WIDTH=7"],
     "group width 7 does not divide the inner width 24"),
    (["info", "custom", "--set", "MODEL_CHANNELS=[24,-56,152,368]"],
     "MODEL_CHANNELS=-56 is too small"),
    (["info", "custom", "--set", "MODEL_GROUP_WIDTH=eight"],
     "MODEL_GROUP_WIDTH='eight' must be a whole number"),
    (["info", "200mf", "--set", "MODEL_GROUP_WIDHT=8"],
     "unknown parameter MODEL_GROUP_WIDHT (did you mean MODEL_GROUP_WIDTH?)"),
])
def test_user_mistakes_exit_2_with_one_line_and_no_traceback(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert message in lines[0]
    assert "Traceback" not in out.stderr


def test_params_lists_the_vocabulary(capsys):
    assert main(["params", "--json"]) == 0
    names = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert {"REGNETX", "DATA_BATCH_SIZE", "MODEL_BLOCKS", "TRAINING_LR_MAX",
            "FILE_SAVE", "FILE_LOAD"} <= names


@pytest.mark.parametrize("module", ["regnet.cli", "regnet.provenance", "regnet.colab",
                                    "regnet.report.render"])
def test_the_command_line_and_the_first_steps_import_no_torch(module):
    """Why cli.py, provenance.py, colab.py and the report modules the renderer imports import
    torch inside functions: `--help` and a mistake answer at once, run_all.sh's renderer
    (render.py) never loads torch, and Colab's first cell
    imports colab.py before anything is installed."""
    probe = f"import sys, {module}; sys.exit('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, f"importing {module} imports torch: {out.stderr}"
