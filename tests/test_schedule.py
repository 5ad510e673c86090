"""The learning-rate schedule: the seeds' warm-up plus quarter cosine, per epoch and per step."""
import json
import math

import pytest

from regnet.cli import main
from regnet.params import resolve as resolve_all
from regnet.engine.schedule import rate, step_rate, warmup_cosine


def resolve(sets):
    """The schedule group of the resolved parameters: what the schedule functions take."""
    return resolve_all(sets=sets).schedule

SEED_001 = ["TRAINING_LR_MAX=0.1", "TRAINING_LR_INIT_SCALE=0.5", "TRAINING_LR_INIT_EPOCHS=5",
            "TRAINING_LR_FINAL_SCALE=0.01", "TRAINING_LR_FINAL_EPOCHS=55"]

# Seed 001's table of rates, as it printed them (6 significant digits).
SEED_001_TABLE = {0: 0.05, 1: 0.06, 2: 0.07, 3: 0.08, 4: 0.09, 5: 0.1, 6: 0.099958,
                  7: 0.099833, 8: 0.099623, 9: 0.099331, 10: 0.098955, 58: 0.003879, 59: 0.001}


def test_seed_001_settings_reproduce_its_table_of_rates():
    rates = warmup_cosine(resolve(sets=SEED_001))
    assert len(rates) == 60
    for epoch, expected in SEED_001_TABLE.items():
        assert rates[epoch] == pytest.approx(expected, abs=5e-7), epoch
    assert all(a >= b for a, b in zip(rates[5:], rates[6:]))  # the cosine only decreases


def test_warmup_climbs_linearly_to_the_peak():
    rates = warmup_cosine(resolve(sets=SEED_001))
    steps = [b - a for a, b in zip(rates[:6], rates[1:6])]
    assert steps == pytest.approx([0.01] * 5)


def test_zero_warmup_epochs_start_at_the_peak():
    rates = warmup_cosine(resolve(sets=["TRAINING_LR_INIT_EPOCHS=0", "TRAINING_LR_FINAL_EPOCHS=3",
                                        "TRAINING_LR_MAX=0.2", "TRAINING_LR_FINAL_SCALE=0.1"]))
    assert rates == pytest.approx([0.2, 0.02 + 0.18 * math.cos(math.pi / 4), 0.02])


def test_a_single_cosine_epoch_runs_at_the_peak():
    values = resolve(sets=["TRAINING_LR_INIT_EPOCHS=0", "TRAINING_LR_FINAL_EPOCHS=1"])
    assert warmup_cosine(values) == [values.lr_max]
    values = resolve(sets=["TRAINING_LR_INIT_EPOCHS=2", "TRAINING_LR_FINAL_EPOCHS=1"])
    assert warmup_cosine(values) == pytest.approx([0.05, 0.075, 0.1])


def test_per_iteration_rates_agree_with_per_epoch_rates_at_each_epochs_first_step():
    per_epoch = resolve(sets=SEED_001)
    per_step = resolve(sets=SEED_001 + ["TRAINING_LR_PER_ITERATION=true"])
    for epoch, lr in enumerate(warmup_cosine(per_epoch)):
        assert step_rate(per_step, epoch, 0, 10) == pytest.approx(lr)
        assert step_rate(per_epoch, epoch, 7, 10) == lr  # per epoch: constant within it


def test_per_iteration_rates_move_within_an_epoch():
    values = resolve(sets=SEED_001 + ["TRAINING_LR_PER_ITERATION=true"])
    assert step_rate(values, 0, 5, 10) == pytest.approx(0.055)  # halfway through warm-up epoch 0
    assert step_rate(values, 4, 9, 10) == pytest.approx(rate(values, 4.9))
    cosine = [step_rate(values, 30, s, 10) for s in range(10)]
    assert all(a > b for a, b in zip(cosine, cosine[1:]))
    assert step_rate(values, 59, 5, 10) == pytest.approx(0.001)  # past the quarter: stays final


def test_schedule_command_prints_the_rates_as_json(capsys):
    assert main(["schedule", "--json", *(f"--set={s}" for s in SEED_001)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lr"] == warmup_cosine(resolve(sets=SEED_001))
    assert out["epoch"] == list(range(1, 61))  # epochs count from 1, as in every report


def test_schedule_command_counts_epochs_from_1_like_seed_001(capsys):
    assert main(["schedule", *(f"--set={s}" for s in SEED_001)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["epoch", "learning", "rate"]
    assert lines[1].split() == ["1", "0.05"] and lines[6].split() == ["6", "0.1"]
    assert lines[60].split()[0] == "60" and len(lines) == 61


def test_schedule_command_rejects_an_unknown_parameter_in_one_line(capsys):
    assert main(["schedule", "--json", "--set", "TRAINING_LR_MAXX=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TRAINING_LR_MAXX" in err
