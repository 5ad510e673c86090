"""Hostile input, second round: results never shown as another run's, nothing written outside
the run folder, no hang on a small file, every damaged file one line (docs/guarantees.md)."""
import json
import math
import os
import zipfile
from pathlib import Path

import pytest
import torch

from regnet import params
from regnet.cli import main
from regnet.errors import ParamError
from regnet.report import notebook

from datafiles import imagefolder
from test_mistakes import SETS, TINY, one_line_error, status


def alias_bomb(levels: int = 9) -> str:
    """A few hundred bytes of YAML aliases naming 9**levels items."""
    rows = ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return f"[{', '.join(rows)}]"


# --- YAML that would hang or exhaust recursion (item 8) ----------------------------------------

def test_an_alias_bomb_in_a_params_file_is_one_line(tmp_path, capsys):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(f"SEED: {alias_bomb()}\n")
    assert bomb.stat().st_size < 600
    assert status(["schedule", "--params", str(bomb)]) == 2
    one_line_error(capsys, "bomb.yaml", "expands to more than")


def test_an_alias_bomb_through_set_is_one_line(capsys):
    assert status(["schedule", "--set", f"SEED={alias_bomb()}"]) == 2
    one_line_error(capsys, "--set SEED", "expands to more than")


@pytest.mark.parametrize("where", ["file", "set"])
def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path, capsys, where):
    text = "[" * 3000 + "]" * 3000
    if where == "file":
        (tmp_path / "deep.yaml").write_text(f"SEED: {text}\n")
        args = ["schedule", "--params", str(tmp_path / "deep.yaml")]
    else:
        args = ["schedule", "--set", f"SEED={text}"]
    assert status(args) == 2
    one_line_error(capsys, "nests more than")


def test_a_long_wrong_value_is_shown_short():
    with pytest.raises(ParamError) as e:
        params.check_value("SEED", [[list(range(1000))] * 1000] * 1000)
    assert len(str(e.value)) < 200


# --- DATA_CLASSES text that is not a value (item 9) ---------------------------------------------

@pytest.mark.parametrize("text", ["[a", "7" * 5000], ids=["unclosed", "5000-digits"])
def test_malformed_data_classes_through_set_is_one_line(capsys, text):
    assert status(["schedule", "--set", f"DATA_CLASSES={text}"]) == 2
    one_line_error(capsys, "DATA_CLASSES")


@pytest.mark.parametrize("text", ["[a", "7" * 5000], ids=["unclosed", "5000-digits"])
def test_malformed_data_classes_through_papermill_is_one_line(text):
    with pytest.raises(ParamError, match="DATA_CLASSES") as e:
        notebook.resolve({"PROFILE": "quick", "DATA_CLASSES": text})
    assert "\n" not in str(e.value) and len(str(e.value)) < 200


def test_a_number_of_classes_too_large_to_print_is_refused():
    with pytest.raises(ParamError, match="must be a whole number of classes"):
        params.check_value("DATA_CLASSES", 10 ** 5000)
