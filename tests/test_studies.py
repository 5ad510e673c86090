"""What the reports say about the runs: settings from the run's parameters, resolved values,
one network per profile, runs trained once and shared, crop results cached."""
import dataclasses
import json
import re
import statistics
from pathlib import Path

import numpy as np
import pytest
import yaml

from regnet import progress
from regnet.arch import complexity, model, space
from regnet.params import resolve
from regnet.provenance import ROOT
from regnet.report import figures, notebook, prose, tables
from regnet.study import experiments, runs

TINY = dict(DATASET="synthetic", DATA_NUM_CLASSES=4, DATA_SYNTHETIC_TRAIN=48,
            DATA_SYNTHETIC_TEST=32, DATA_SYNTHETIC_SIZE=16, DATA_CROP=14, DATA_RESIZE=16,
            DATA_BATCH_SIZE=16, TRAINING_LR_INIT_EPOCHS=1, TRAINING_LR_FINAL_EPOCHS=1,
            PROGRESS=False, DEVICE="cpu", FILE_SAVE=True)


def profile(name, **overrides):
    return resolve([ROOT / "params" / f"{name}.yaml"], overrides={"PROFILE": name, **overrides})


def study_sentence(name, profile_name):
    values = profile(profile_name)
    exp = experiments.load(name, profile_name)
    configs = [experiments.run_values(values, exp, label) for label in exp.runs]
    return prose.study_settings(values, configs, [runs.network(v) for v in configs])


def test_a_study_states_the_epochs_and_sizes_its_runs_use():
    quick = study_sentence("epochs", "quick")
    assert "for 3, 5 and 8 epochs" in quick and "60 epochs" not in quick
    assert "×" not in quick  # the section's input size, said once in its setup:
    assert ("with inputs of 3\u00a0×\u00a014\u00a0×\u00a014 and 10 outputs" in  # unbreakable
            prose.section_setup(profile("quick")))
    elsewhere = prose.study_settings(profile("quick"), [profile("quick")],
                                     [runs.network(profile("course"))])
    assert "at 3\u00a0×\u00a056\u00a0×\u00a056 with 100 outputs" in elsewhere  # not the section's
    assert "trained as in section 2" in prose.section_setup(profile("quick"))
    assert ("Wherever a study trains RegNetX-200MF exactly as section 2 does, it reuses "
            "section 2's run instead of training again: such a row is section 2's run shown "
            "again, not a second run agreeing with it.") in prose.section_setup(
                profile("quick"))  # another run may score the same by chance: not said
    quick_train = prose.train_settings(profile("quick"), runs.network(profile("quick")))
    assert ("At 14 px its stages work on 14\u00a0×\u00a014, 7\u00a0×\u00a07, 4\u00a0×\u00a04 "
            "and 2\u00a0×\u00a02 grids (7\u00a0×\u00a07 in the last stage at 56 px), so "
            "every 3×3 window on the last stage's 2\u00a0×\u00a02 grid reaches past its edge") \
        in quick_train
    assert prose.grid_sentence(runs.network(profile("course"))) == ""  # at its own size
    spec = runs.network(profile("quick"))
    scale = profile("quick").data.scale_min
    assert (f"random resized crops to 14 px (each {scale:g} to 1 of a 16 px image's area), "
            "flipped at random") in prose.train_settings(profile("quick"), spec)
    assert "random 28 px crops of 28 px images (4 px of zero padding" in prose.augment_phrase(
        resolve(overrides={"DATASET": "fashion-mnist"}))
    course = study_sentence("epochs", "course")
    assert "for 60, 100 and 150 epochs" in course
    assert "3\u00a0×\u00a056\u00a0×\u00a056 and 100 outputs" in prose.section_setup(
        profile("course"))
    assert "3-epoch schedule" in prose.section_setup(profile("quick"))
    variants = study_sentence("variants", "quick")
    assert "for" not in variants  # the section's schedule: unsaid
    # the stems, which the study's table has no room for and its parameter counts depend on
    stems = [runs.network(experiments.run_values(profile("quick"), experiments.load(
        "variants", "quick"), label)).stem_width for label in experiments.load(
        "variants", "quick").runs]
    assert (f"Each stem is as wide as its network's first stage ({prose.numbers(stems)} "
            "channels, in the order of the table), so that the first block, of stride 1, keeps "
            "an identity shortcut") in variants
    specs = [runs.network(profile("quick")), runs.network(profile("course"))]
    other = [dataclasses.replace(specs[0], stem_width=16), specs[1]]  # a stem of its own
    assert "Their stems are 16 and 24 channels wide" in prose.study_settings(
        profile("quick"), [profile("quick")] * 2, other)
    assert "stems" not in study_sentence("bottleneck", "quick")  # one stem: nothing to say


def test_a_study_of_one_network_in_two_builds_names_it_once():
    text = study_sentence("bottleneck", "quick")
    assert "RegNetX-200MF's stages" in text and "custom network" not in text
    assert "a custom network (depths" in study_sentence("group_width", "quick")
    assert ("Its stem (24 channels) is narrower than stage 1 (32), so stage 1's first block, of "
            "stride 1, has a projection shortcut") in study_sentence("group_width", "quick")
    assert "projection" not in study_sentence("bottleneck", "quick")  # stem 24, stage 1 24
    for name in experiments.names():  # no setting is typed into a description
        text = experiments.load(name, "quick").description
        assert "60, 100 and 150" not in text and "40 to 91" not in text


@pytest.mark.parametrize("sets, epochs, group_width, crops", [
    ({}, [60, 100, 150], (5, 25), (40, 91)),  # the course: the seeds' numbers exactly
    ({"TRAINING_LR_FINAL_EPOCHS": 25}, [30, 50, 75], (5, 10), (40, 91)),
    ({"TRAINING_LR_INIT_EPOCHS": 1, "TRAINING_LR_FINAL_EPOCHS": 1, "DATA_CROP": 14},
     [2, 3, 5], (0, 1), (10, 23)),
    # the quick profile's 1 + 2 epochs: group width's 2 keep both cosine epochs, so they decay
    ({"TRAINING_LR_INIT_EPOCHS": 1, "TRAINING_LR_FINAL_EPOCHS": 2}, [3, 5, 8], (0, 2),
     (40, 91)),
])
def test_studies_follow_the_profiles_schedule_and_crop(sets, epochs, group_width, crops):
    values = profile("course", **sets)
    exp = experiments.load("epochs", "course")
    configs = [experiments.run_values(values, exp, label) for label in exp.runs]
    assert [experiments.run_label(exp, label, r) for label, r in zip(exp.runs, configs)] == \
        [str(e) for e in epochs]
    assert all(r["TRAINING_LR_INIT_EPOCHS"] == min(values["TRAINING_LR_INIT_EPOCHS"],
                                                   max(e - 2, 0))
               for r, e in zip(configs, epochs))  # the warm-up stays, the cosine part grows,
    # and never shrinks below the two epochs that decay from the peak to the last rate
    widths = experiments.load("group_width", "course")
    run = experiments.run_values(values, widths, "8")
    assert (run["TRAINING_LR_INIT_EPOCHS"], run["TRAINING_LR_FINAL_EPOCHS"]) == group_width
    assert experiments.crop_range(values, experiments.load("test_crops", "course")) == crops


def test_precision_auto_is_not_stated_as_if_it_were_a_precision():
    quick = prose.recipe_phrase(profile("quick"))
    assert quick.startswith("batches of 64 with SGD") and "auto" not in quick
    assert "weight decay 0.00005" in quick and "e-05" not in quick
    asked = prose.recipe_phrase(profile("quick", PRECISION="bf16"))
    assert asked.endswith(", in bf16")


def test_study_numbers_line_up_with_fixed_decimals_per_column():
    import pandas as pd
    html = tables.to_html(pd.DataFrame({"network": ["a", "b"], "params": [3257842, 475356],
                                        "epoch_seconds": [15.0684, 2.7],
                                        "train_loss": [0.2436, 0.2],
                                        "test_acc": [75.0, 80.625]}))
    for shown in ("3,257,842", "15.1", "2.7", "0.244", "0.200", "75.00", "80.63"):  # half up
        assert f">{shown}</td>" in html, shown
    assert ">80.625<" not in html and ">75<" not in html


def test_a_study_keeps_its_data_log_out_of_the_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv(progress.ENV, str(tmp_path / "progress"))  # as under run_all.sh
    values = resolve(overrides={**TINY, "PROFILE": "quick"})
    exp = experiments.Experiment(name="one", title="One run", description="", runs={"a": {}})
    experiments.run_experiment(values, exp)
    assert "synthetic: 48 train / 32 test images" not in capsys.readouterr().out
    assert "synthetic: 48 train / 32 test images" in (tmp_path / "progress").read_text()


def test_the_sweep_says_only_how_its_training_differs_from_section_2():
    base = profile("quick")
    sweep = resolve([notebook.profile_file("quick"), ROOT / "params" / "sweep_quick.yaml"])
    said = prose.sweep_setup(sweep, base)
    assert said == ("Every sampled model is trained as in section 2, except on 256 training "
                    "and 128 test images of the same kind (section 2: 320 and 160) and for "
                    f"{prose.schedule_phrase(sweep)}.")
    assert "2 epochs" in said
    assert prose.sweep_setup(base, base) == "Every sampled model is trained exactly as in " \
        "section 2."
    other = resolve([notebook.profile_file("quick")], overrides={"DATA_BATCH_SIZE": 32,
                                                                 "DATA_CROP": 12})
    said = prose.sweep_setup(other, base)  # other sizes: the data in full; the batch
    assert prose.dataset_phrase(other) in said and prose.recipe_phrase(other) in said
    # without section 2's values, everything
    assert prose.sweep_setup(sweep) == (f"Every sampled model is trained on "
                                        f"{prose.dataset_phrase(sweep)}, in "
                                        f"{prose.recipe_phrase(sweep)}, for "
                                        f"{prose.schedule_phrase(sweep)}.")


def test_several_seeds_give_the_seed_noise_beside_the_test_images_noise():
    said = prose.seeds_sentence([(0, 80.0), (1, 82.0), (2, 84.0)], 400)
    # standard deviation 2.00; one accuracy's standard error at 82%: sqrt(.82 * .18 / 400)
    assert said.startswith("Trained with 3 seeds (0, 1 and 2), the same network ended at "
                           "80.00%, 82.00% and 84.00% test accuracy: a standard deviation of "
                           "2.00 points between seeds around a mean of 82.00%. Every seed "
                           "trains and tests on the same images, so the spread is the seed's "
                           "doing, in two parts: how well each seed learned, and which of "
                           "these test images it happened to get right.")
    assert "sampling the 400 test images puts \u00b13.8 points (two standard errors, at the " \
        "seeds' mean) on it, and the seeds' standard deviation is about one such standard " \
        "error (section 4 measures the second part" in said  # 2.00 against 1.92
    wide = prose.seeds_sentence([(0, 70.0), (1, 82.0), (2, 94.0)], 400)  # 12 against 1.92
    assert "the seeds' standard deviation is 6.2 of those standard errors (section 4" in wide
    assert "training again moves" not in said + wide  # the spread holds the images too
    kept = prose.seeds_sentence([(0, 80.0), (1, 82.0), (2, 84.0)], 400, separated=False)
    assert "section 4" not in kept and "about one such standard error." in kept  # no weights
    assert f"a 95% bound on the difference between two runs that differ only in their seed " \
        f"is \u00b1{prose.seed_bound([80.0, 82.0, 84.0]):.1f} points (Student's t with 2 " \
        "degrees of freedom)" in said
    assert said.endswith("The later sections use the run of seed 0 (80.00%, the lowest of "
                         "the 3).")
    assert prose.seeds_sentence([(5, 82.0), (6, 80.0), (7, 84.0)], 400).endswith(
        "The later sections use the run of seed 5 (82.00%).")
    assert "synthetic" not in prose.seeds_sentence([(0, 80.0), (1, 82.0)], None)
    assert "standard error" not in prose.seeds_sentence([(0, 80.0), (1, 82.0)], None)
    assert prose.seeds_answer([(0, 80.0), (1, 82.0), (2, 84.0)]) == \
        "With 3 seeds it ended between 80.00% and 84.00% (standard deviation 2.00 points)."


def test_the_first_1x1_convs_cost_more_macs_because_they_run_before_the_stride():
    rows = complexity.operator_table(model.build(space.named("200mf")))
    macs = {role: sum(r.macs for r in rows if r.role == role) for role in ("1×1 in", "1×1 out")}
    text = prose.ones_before_stride(rows)
    assert text.startswith(f"The blocks' first 1×1 convs cost more MACs than their last "
                           f"({macs['1×1 in']:,} against {macs['1×1 out']:,}) with fewer "
                           "parameters")
    assert "in the first block of stages 2, 3 and 4 (each halves the grid) the first 1×1 " \
        "conv runs before the stride" in text
    assert text.endswith(f"account for the whole difference of "
                         f"{macs['1×1 in'] - macs['1×1 out']:,} MACs.")
    no_stride = [r for r in rows if r.role != "3×3 grouped"]  # no strided block: no reason
    assert prose.ones_before_stride(no_stride) == ""


def test_the_studies_weigh_the_seed_once_from_section_2s_seeds():
    from regnet.study.analysis import t_quantile
    seeds = [80.0, 82.0, 84.0]  # standard deviation 2, two degrees of freedom
    assert prose.seed_bound(seeds) == pytest.approx(t_quantile(0.975, 2) * 2 ** 0.5 * 2)  # 12.2
    assert prose.seed_bound(seeds, 3) == pytest.approx(t_quantile(1 - 0.025 / 3, 2) * 2 ** 0.5 * 2)
    quick = profile("quick")
    said, widened, lean = prose.weighing_setup(quick, seeds, 400)
    assert ("Section 2 measured the first on its network: its 3 seeds ended with a standard "
            "deviation s of 2.00 points, so two runs that differ only in their seed end within "
            "\u00b112.2 points of each other 95% of the time (Student's t with 2 degrees of "
            "freedom, since so few seeds measure their spread only loosely). The second, the "
            "test images' share, is two standard errors of the mean per-image difference "
            "between the two runs, compared image by image") in said
    assert "added as independent errors add (the square root of the sum of their squares), " \
        "which overstates it a little" in said  # no seeds' hits given: v_seeds unknown
    assert "The seeds measure section 2's network and schedule only; the studies take their " \
        "other networks and schedules to spread alike, an assumption each study checks " \
        "against the spread of its own runs." in said
    assert widened.startswith("Where a comparison picks the largest of several differences")
    unpaired = prose.weighing_setup(quick, seeds, 400, paired=False)[0]  # runs kept no weights
    assert "The second, the test images' share, is two binomial standard errors of a " \
        "difference between two accuracies, taken at their mean (binomial, \u00b15.4 at " \
        "82.00%)" in unpaired
    assert "\u00b1x" not in said
    assert lean == ("Section 2's run, which these studies reuse wherever they train "
                    "RegNetX-200MF as section 2 does, scored 80.00%, 2.00 points below the mean "
                    "of its seeds (82.00%), so a difference from it favours the other run by "
                    "about that much. Where a study compares with it, the observations also "
                    "give the difference from the seeds' mean. That difference is one run "
                    "against a mean of 3, so the seeds give it a variance of (1 + 1/3)s\u00b2, "
                    "where a difference between two runs has 2s\u00b2.")
    high = prose.weighing_setup(quick, [83.0, 80.0, 84.0], 400)[-1]
    assert "scored 83.00%, 0.67 points above the mean of its seeds (82.33%), so a difference " \
        "from it favours section 2's run" in high
    assert len(prose.weighing_setup(quick, [82.0, 80.0, 84.0], 400)) == 2  # at the mean
    alone = prose.weighing_setup(quick)  # one seed: the test images alone, and the widening
    assert len(alone) == 2 and "Section 2 trained one seed, so the seed's share is not " \
        "measured" in alone[0] and "lower bar" in alone[0]


def test_one_yardstick_adds_the_seeds_and_the_test_images_as_independent_errors():
    from regnet.study.analysis import t_quantile
    images = prose.image_noise(160, 85.0)  # 7.98 points
    calm = prose.seed_noise([84.5, 85.0, 85.5], 160)  # t bound 4.30 x 1.41 x 0.5 = 3.0
    seeds = t_quantile(0.975, 2) * 2 ** 0.5 * 0.5
    assert calm.bound(85.0) == pytest.approx((images ** 2 + seeds ** 2) ** 0.5)  # 8.5
    wild = prose.seed_noise([75.0, 85.0, 95.0], 160)  # spread 10: Student's t, 2 d.o.f.
    seeds = t_quantile(0.975, 2) * 2 ** 0.5 * 10  # 60.8
    assert wild.bound(85.0) == pytest.approx((images ** 2 + seeds ** 2) ** 0.5)  # 61.4
    assert wild.bound(85.0, 3) > wild.bound(85.0)  # the largest of three: widened
    assert prose.seed_noise([85.0], 160) == prose.Noise(160)  # one seed: no spread known
    assert prose.Noise(160).bound(85.0) == pytest.approx(images)  # the test images alone
    assert prose.beyond_noise(12.0, calm, 85.0)[0] is True
    assert prose.beyond_noise(12.0, wild, 85.0) == (False, "within the noise (\u00b161.4 points)")
    assert prose.beyond_noise(12.0, 160, 85.0)[0] is True  # a count of images: theirs alone
    df = _study([80.0, 85.0, 92.0])
    assert "beyond the noise" in prose.study_observations(df, calm)
    assert "within the noise" in prose.study_observations(df, wild)


def test_section_2s_seeds_are_read_back_only_when_every_one_has_finished(tmp_path, monkeypatch):
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path / "runs"))
    values = resolve(overrides={**TINY, "PROFILE": "quick", "SEEDS": 2})
    assert [v["SEED"] for v in runs.seed_values(values)] == [0, 1]
    assert runs.seed_summaries(values) is None  # nothing trained yet
    first, second = runs.seed_values(values)
    runs.train_or_reuse(first)
    assert runs.seed_summaries(values) is None  # one of two
    runs.train_or_reuse(second)
    found = runs.seed_summaries(values)
    assert [s.run for s in found] == [str(runs.train_dir(v)) for v in (first, second)]
    assert runs.seed_summaries(values.replace(SEEDS=1)) is None  # one seed measures nothing


def test_the_crop_study_states_the_crops_it_evaluates():
    for name, first, last, resize in (("quick", 10, 23, 16), ("course", 40, 91, 64)):
        values = profile(name)
        exp = experiments.load("test_crops", name)
        text = prose.crop_settings(values, runs.network(values),
                                   experiments.crop_range(values, exp))
        assert f"from {first} to {last} px" in text and f"resized to {resize} px" in text
        assert f"was trained on {prose.augment_phrase(values)}. Here it" in text  # as trained


@pytest.mark.parametrize("name", ["quick", "course"])
def test_the_hyperparameter_table_shows_resolved_values_never_none(name):
    values = profile(name)
    df = tables.hyperparameter_table(values, runs.network(values))
    assert list(df.columns) == ["hyperparameter", "value", "parameter"]  # words first
    shown = dict(zip(df["parameter"], df["value"]))
    assert "None" not in shown.values()
    expected = {"quick": ("10", "3", "14", "16"), "course": ("100", "3", "56", "64")}[name]
    assert (shown["DATA_NUM_CLASSES"], shown["DATA_NUM_CHANNELS"], shown["DATA_CROP"],
            shown["DATA_RESIZE"]) == expected
    # the whole recipe, augmentation included; engineering settings are in the provenance,
    # with what `auto` becomes on the run's device
    assert shown["DATA_AUGMENT"] == "random resized crop + horizontal flip"
    assert "DATA_SCALE_MIN" in shown
    # values in words: no raw keys, booleans or exponents
    assert shown["TRAINING_OPTIMIZER"] == "SGD" and shown["TRAINING_WEIGHT_DECAY"] == "0.00005"
    assert shown["TRAINING_NESTEROV"] in ("yes", "no") and "epochs" not in shown
    meaning = dict(zip(df["parameter"], df["hyperparameter"]))  # symbols typeset, not l_max
    assert meaning["TRAINING_LR_MAX"].endswith("<i>l</i><sub>max</sub>")
    assert not any("_" in m for m in meaning.values())
    assert not {"PRECISION", "CHANNELS_LAST", "FILE_SAVE"} & set(shown)
    cpu = profile(name, DEVICE="cpu")
    assert notebook.report_provenance(cpu)["speed"].startswith("fp32")
    # a named network shows its own numbers, not the custom network's parameters
    big = profile(name, REGNETX="800mf")
    shown = dict(zip(*tables.hyperparameter_table(big, runs.network(big))
                     [["parameter", "value"]].T.values))
    assert shown["MODEL_CHANNELS"] == "[64, 128, 288, 672]"


def test_a_run_of_another_profile_shows_the_course_recipe_beside_its_own():
    quick, course = profile("quick"), profile("course")
    df = tables.hyperparameter_table(quick, runs.network(quick), course,
                                     runs.network(course)).set_index("parameter")
    assert list(df.columns) == ["hyperparameter", "this run", "course"]
    assert df.loc["DATASET", "course"] == "the course data (an ImageNet subset)"
    assert (df.loc["DATA_CROP", "this run"], df.loc["DATA_CROP", "course"]) == ("14", "56")
    assert (df.loc["DATA_BATCH_SIZE", "course"], df.loc["", "course"]) == ("512", "60")
    assert df.loc["", "this run"] == "3"  # epochs in all, E0 + E1, for each
    assert df.loc["MODEL_CHANNELS", "course"] == "[24, 56, 152, 368]"


def test_the_rate_table_pairs_each_epoch_from_1_with_its_rate():
    values = profile("course")
    from regnet.engine.schedule import warmup_cosine
    df = tables.rate_table(warmup_cosine(values.schedule))
    assert list(df.columns[:2]) == [("epochs 1\u201315", "epoch"),
                                    ("epochs 1\u201315", "learning rate")]
    assert df.iloc[0, :2].tolist() == ["1", "0.050000"]
    assert df.columns[-1] == ("epochs 46\u201360", "learning rate")
    assert df.iloc[-1, -2:].tolist() == ["60", "0.001000"]
    short = tables.rate_table(warmup_cosine(profile("quick").schedule))  # 3 epochs: one pair
    assert list(short.columns) == ["epoch", "learning rate"]  # no heading over one pair
    html = tables.to_html(df)
    assert 'colspan="2"' in html and "text-align: center" in html  # over both columns
    assert short.iloc[:, 0].tolist() == ["1", "2", "3"]


def test_one_network_is_one_network_in_a_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path))
    values = resolve(overrides={**TINY, "REGNETX": "200mf"})
    shown = runs.network(values)  # what 01_design and 03_implementation show
    summary = runs.train_or_reuse(values, log=lambda line: None)
    record = yaml.safe_load((runs.train_dir(values) / "params.yaml").read_text())
    assert space.spec_from_dict(record["network"]) == shown
    assert summary.params == complexity.closed_form(shown)["params"]
    assert (shown.input_size, shown.num_classes) == (14, 4)


def test_a_run_is_trained_once_per_profile_and_shared_by_every_report(tmp_path, monkeypatch):
    values = profile("quick")
    home = runs.train_dir(values)  # 02_train
    shared = {
        "epochs": "60", "variants": "200mf", "bottleneck": "group width: g = 8, b = 1"}
    for name, label in shared.items():
        run = experiments.run_values(values, experiments.load(name, "quick"), label)
        assert runs.train_dir(run) == home, name
    assert runs.train_dir(values.replace(DEVICE="cpu", PROGRESS=True)) == home
    assert runs.train_dir(values.replace(SEED=1)) != home
    # trained once, then reused
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path))
    tiny = resolve(overrides=TINY)
    assert runs.train_or_reuse(tiny, log=lambda line: None).trained is True
    assert runs.train_or_reuse(tiny, log=lambda line: None).trained is False
    assert len(list(tmp_path.rglob("metrics.jsonl"))) == 1


def test_test_crop_results_are_cached_like_runs(tmp_path, monkeypatch, evaluated_crops):
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path))
    values = resolve(overrides=TINY)
    # crops are written for the course's 56 px crop: 40..48 are 10..12 at this 14 px one
    exp = experiments.Experiment("test_crops", "t", "", kind="test_crops", crops=(40, 48))
    first, _ = experiments.crop_study(values, exp, log=lambda line: None)
    again, _ = experiments.crop_study(values, exp, log=lambda line: None)
    wider = experiments.Experiment("test_crops", "t", "", kind="test_crops", crops=(40, 56))
    experiments.crop_study(values, wider, log=lambda line: None)
    assert evaluated_crops == [[10, 11, 12], [13, 14]]
    assert first.equals(again)
    cached = json.loads((runs.train_dir(values) / experiments.CROPS).read_text())
    assert sorted(cached["crops"], key=int) == ["10", "11", "12", "13", "14"]


def test_progress_lines_name_the_run_and_go_to_the_watching_terminal(tmp_path, monkeypatch):
    path = tmp_path / "progress"
    monkeypatch.setenv(progress.ENV, str(path))
    with progress.task("run 2/5 (400mf)"):
        progress.log("epoch   1/60  lr 0.05")
    assert path.read_text() == "run 2/5 (400mf): epoch 1/60 lr 0.05\n"


def test_time_per_epoch_names_the_device_and_says_when_the_machine_was_busy():
    idle = {"device": "cuda:0 (NVIDIA H100)", "load_avg": (0.9, 1.2), "cpus": 16}
    busy = {"device": "cpu (x86_64, 2 cores, 2 threads)", "load_avg": (5.9, 12.9), "cpus": 2}
    assert "NVIDIA H100" in prose.timing_sentence([idle])
    assert "measured on a 2-core CPU," in prose.timing_sentence([busy])  # words, not a key
    assert "no other work waiting" in prose.timing_sentence([idle])
    text = prose.timing_sentence([busy])
    assert "busy" in text and "compare only roughly" in text
    assert prose.load_record([busy]) == "5.9 to 12.9 on 2 CPU cores"  # for the provenance
    shared = {**busy, "load_avg": (2.8, 2.9)}  # more than one waiting task per core
    assert "compare only roughly" in prose.timing_sentence([shared])
    # the sentence has no numbers, so the studies of one section share it
    assert prose.timing_sentence([busy]) == prose.timing_sentence([shared])


def test_observations_do_not_range_over_one_value():
    import pandas as pd
    df = pd.DataFrame({"TRAINING_LR_FINAL_EPOCHS": [1, 2], "params": [100, 100],
                       "epoch_seconds": [2.04, 3.96], "test_acc": [50.0, 60.0],
                       "train_loss": [1.0, 0.5], "epochs": [2, 3],
                       "device": ["cpu"] * 2, "cpus": [16] * 2,
                       "load_avg": [(0.5, 1.0), (0.6, 1.2)]})  # an idle machine
    text = prose.runs_observations(df)
    assert "Every run has the same 100 parameters" in text and "ranged from 100" not in text
    assert " s." not in text  # one network: its time per epoch says nothing about a setting
    text = prose.runs_observations(df.assign(params=[100, 120]))
    assert "went from 2.04 s to 3.96 s." in text  # two decimals under 10 s, as the table
    assert "in between" not in text  # two runs have nothing between them
    assert prose.time_decimals([2.04, 3.96]) == 2 and prose.time_decimals([2.04, 39.6]) == 1


def _study(acc, loads=((5.7, 10.0), (6.0, 9.0), (5.8, 8.0))):
    import pandas as pd
    return pd.DataFrame({"group width": [8, 16, 24], "params": [1_099_554, 1_400_000, 1_769_154],
                         "macs": [8_000_000, 11_000_000, 14_900_000],
                         "epoch_seconds": [49.2, 45.0, 43.1], "test_acc": acc,
                         "epochs": [3] * 3, "device": ["cpu"] * 3, "cpus": [2] * 3,
                         "load_avg": list(loads)})


def test_runs_whose_order_shuffles_in_their_last_epoch_say_so():
    def run(before, last):
        return [{"epoch": 1, "test_acc": before}, {"epoch": 2, "test_acc": last}]
    df = _study([70.0, 80.0, 90.0]).assign(epochs=[2] * 3)
    held = df.assign(history=[run(60.0, 70.0), run(65.0, 80.0), run(70.0, 90.0)])
    assert "order by test accuracy" not in prose.runs_observations(held, noise=160)
    shuffled = df.assign(history=[run(90.0, 70.0), run(80.0, 80.0), run(70.0, 90.0)])
    assert "The runs' order by test accuracy changed from epoch 1 to epoch 2 (rank correlation " \
        "\u22121.00 between the two): their order had not settled by the end of so short a " \
        "schedule" in prose.runs_observations(shuffled, noise=160)

    def decayed(before, last):  # the last epoch at the final rate, as a short cosine ends
        return [{**r, "lr": lr} for r, lr in zip(run(before, last), (0.1, 0.001))]
    stepped = df.assign(history=[decayed(90.0, 70.0), decayed(80.0, 80.0), decayed(70.0, 90.0)])
    assert "(rank correlation \u22121.00 between the two), as the learning rate fell from 0.1 " \
        "to 0.001: their order had not settled" in prose.runs_observations(stepped, noise=160)
    assert "order by test accuracy" not in prose.runs_observations(df, noise=160)  # no curves


def test_accuracies_round_halves_up_in_tables_and_sentences_alike():
    from regnet.study.runs import half_up, shown_accuracies
    assert [half_up(v) for v in (53.125, 88.875, 82.5, 2.675)] == [53.13, 88.88, 82.5, 2.68]
    assert f"{53.125:.2f}" == "53.12"  # what Python's own formatting would print
    assert shown_accuracies({"test_acc": 53.125, "epoch": 3}) == {"test_acc": 53.13, "epoch": 3}
    df = _study([53.125, 60.0, 61.875])  # accuracies of 160 test images, ending in 5
    html = tables.to_html(df)
    assert "53.13" in html and "61.88" in html and "53.12" not in html
    text = prose.runs_observations(df, noise=160)
    assert "between 53.13% and 61.88%, a spread of 8.75 points" in text and "53.12" not in text


def test_times_of_runs_under_a_busy_machine_are_not_compared():
    text = prose.runs_observations(_study([80.0, 78.75, 81.25]), noise=160)
    assert "49.2" not in text and "43.1" not in text and " s " not in text
    assert "and 1.86 times the MACs per image of group width 8, the cost growing with each " \
        "step of the group width" in text
    # to 14.9M: the counts are in the table beside the text
    idle = prose.runs_observations(_study([80.0, 78.75, 81.25], [(0.1, 0.5)] * 3), noise=160)
    assert "from 49.2 s to 43.1 s" in idle
    # why the busy study's times are left out is said once for the section, without numbers
    busy = prose.times_sentence(_study([80.0, 78.75, 81.25]).to_dict("records"))
    assert "neither tabulated, drawn nor compared" in busy and not any(  # no loads quoted
        c.isdigit() for c in busy.replace("section 2", ""))
    assert busy == prose.times_sentence(_study([1.0, 2.0, 3.0], [(3.0, 4.0)] * 3).to_dict(
        "records"))
    assert prose.times_sentence(_study([80.0, 78.75, 81.25], [(0.1, 0.5)] * 3).to_dict(
        "records")) == ""


def test_a_study_is_ranked_only_beyond_the_noise_of_its_test_images():
    close = prose.runs_observations(_study([80.0, 78.75, 81.25]), noise=160)
    # the best and the weakest of three runs: the widest of 3 pairs, so a wider bound
    assert "a spread of 2.50 points within the noise (\u00b110.9 points for the largest of 3 " \
        "differences)" in close
    assert prose.image_noise(160, 80.0, 3) > prose.image_noise(160, 80.0) == pytest.approx(
        2 * 100 * (2 * 0.8 * 0.2 / 160) ** 0.5)
    assert "do not show an effect of the group width on accuracy" in close
    apart = prose.runs_observations(_study([50.0, 70.0, 90.0]), noise=10_000)
    assert "no effect" not in apart and "rose from each run to the next" in apart
    assert "a larger group width did better" in apart
    zigzag = prose.runs_observations(_study([50.0, 90.0, 70.0]), noise=10_000)
    assert "did better" not in zigzag and "did not follow the group width" in zigzag
    assert "The best run was group width 16 (90.00%)" in zigzag
    weighed = " ".join(prose.weighing_setup(profile("quick")))  # said once, for the section
    assert weighed.startswith("Each setting is trained once, with one seed, and every run is "
                              "tested on the same test images. A difference between two runs "
                              "therefore carries two kinds of noise")  # no seeds given
    assert "its 3 seeds ended" in prose.weighing_setup(profile("quick"),
                                                       [80.0, 82.0, 84.0], 160)[0]
    assert "its bound is widened (Bonferroni)" in weighed and "seed" not in prose.section_setup(
        profile("quick"))
    noise = prose.image_noise(160, 80.0)
    assert prose.beyond_noise(noise * 1.1, 160, 80.0)[0] is True
    assert "only just beyond the noise" in prose.beyond_noise(noise * 1.1, 160, 80.0)[1]
    assert "only just" not in prose.beyond_noise(noise * 1.5, 160, 80.0)[1]
    assert prose.beyond_noise(noise * 0.9, 160, 80.0)[0] is False
    assert prose.beyond_noise(noise * 9, None, 80.0)[0] is None
    ended = prose.runs_observations(_study([80.0, 78.75, 81.25]), noise=160, peak_end=True)
    assert "ended at the peak learning rate" in ended


def test_larger_networks_are_priced_per_doubling_of_their_macs():
    import pandas as pd

    def variants(acc):
        return pd.DataFrame({"RegNetX": ["200mf", "400mf", "800mf"],
                             "params": [2_000_000, 4_000_000, 7_000_000],
                             "macs": [10_000_000, 20_000_000, 40_000_000],
                             "epoch_seconds": [1.0, 2.0, 3.0], "test_acc": acc,
                             "epochs": [3] * 3, "device": ["cpu"] * 3, "cpus": [2] * 3,
                             "load_avg": [(5.0, 9.0)] * 3})
    paid = prose.runs_observations(variants([70.0, 80.0, 90.0]), noise=10_000)
    behind = variants([70.0, 71.0, 72.0]).assign(train_loss=[0.30, 0.35, 0.41])
    assert "In 3 epochs RegNetX-800MF had not caught up: its final training loss, 0.410, is " \
        "above RegNetX-200MF's 0.300, so a schedule this short may hide what its size would " \
        "buy." in prose.runs_observations(behind, noise=400)
    level = behind.assign(train_loss=[0.300, 0.290, 0.305])  # within 5%: neither ahead
    assert "In 3 epochs RegNetX-800MF fitted its training images about as well as " \
        "RegNetX-200MF (final training loss 0.305 against 0.300)" in prose.runs_observations(
            level, noise=400)
    ahead = behind.assign(train_loss=[0.30, 0.25, 0.20])
    assert "Nor was RegNetX-800MF held back by the short schedule: it fitted its training " \
        "images better than RegNetX-200MF (final training loss 0.200 against 0.300)" in \
        prose.runs_observations(ahead, noise=400)
    assert "caught up" not in prose.runs_observations(behind.assign(epochs=[60] * 3), 400)
    reused = variants([70.0, 80.0, 90.0]).assign(run=["/runs/a", "/runs/b", "/runs/c"])
    seeded = prose.seed_noise((70.0, 74.0, 78.0), 10_000, "/runs/a")  # section 2's seeds
    assert "Against the mean of section 2's 3 seeds (74.00%) the change is +16.00 points" \
        in prose.runs_observations(reused, seeded)
    assert "(against the mean of section 2's seeds, +16.00 points" in prose.study_answer(
        reused, seeded)
    # a slope that leans only because section 2's run is its lowest seed is no lead: five
    # networks a doubling apart, +1.3 points a doubling, where the noise of each accuracy
    # (seeds' standard deviation 0.87, 10,000 test images) allows +-1.27
    line = pd.DataFrame({"RegNetX": ["200mf", "400mf", "800mf", "1.6gf", "3.2gf"],
                         "params": [2_000_000 * 2 ** k for k in range(5)],
                         "macs": [10_000_000 * 2 ** k for k in range(5)],
                         "epoch_seconds": [1.0] * 5, "test_acc": [80.0, 81.3, 82.6, 83.9, 85.2],
                         "epochs": [3] * 5, "device": ["cpu"] * 5, "cpus": [2] * 5,
                         "load_avg": [(5.0, 9.0)] * 5, "run": [f"/runs/{k}" for k in "abcde"]})
    low = prose.seed_noise((80.0, 81.5, 81.5), 10_000, "/runs/a")  # mean 81.00
    said = prose.runs_observations(line, low)
    assert "+1.3 \u00b1 1.3 points per doubling of the MACs (95% interval), which only just " \
        "excludes no change. The points scatter about the line by less than the noise each " \
        "accuracy carries, so that noise sets the interval (section 2's seeds' and the test " \
        "images', Student's t with 2 degrees of freedom)." in said  # on the line: no scatter
    assert "With the mean of section 2's seeds in place of its run, the slope is" in said
    assert "which does not exclude no change" in said and "lean towards" not in said
    assert "So the slope rests on section 2's first seed: these runs do not settle whether " \
        "the larger networks buy accuracy" in said
    assert "leans towards" not in prose.study_answer(line, low)
    assert "lean towards" in prose.runs_observations(line.drop(columns="run"), low)
    assert paid.startswith("RegNetX-800MF, with 4.00 times the MACs of RegNetX-200MF and "
                           "3.50 times the parameters, scored 20.00 points higher (70.00% to "
                           "90.00%), a difference beyond the noise")
    assert "times the parameters of" not in paid  # said once, in the first sentence
    # the slope is its own sentence: a bound on a difference says nothing of it
    # on a straight line the points scatter by nothing: the interval is the test images'
    # (one accuracy's standard error at the mean, 0.40, over the spread of log2 MACs)
    from regnet.study.analysis import t_quantile
    width = t_quantile(0.975, 1000) * (0.8 * 0.2 / 10_000) ** 0.5 * 100 / 2 ** 0.5  # 0.55
    assert (f"A straight line through all 3 networks changes the accuracy by +10.0 \u00b1 "
            f"{width:.1f} points per doubling of the MACs (95% interval). The points scatter "
            "about the line by less than the noise each accuracy carries, so that noise sets "
            "the interval (the test images').") in paid
    # residuals 2, -4, 2 around the fit: standard error sqrt(24 / 1 / 2) = 3.46, times
    # t(0.975, 1) = 12.71
    bent = prose.runs_observations(variants([70.0, 65.0, 72.0]), noise=10_000)
    assert "+1.0 \u00b1 44.0 points per doubling of the MACs (95% interval; Student's t with 1 " \
        "degree of freedom), so not even its sign is settled." in bent
    assert "each scoring above the one before it" in paid
    dip = prose.runs_observations(variants([70.0, 65.0, 90.0]), noise=10_000)
    assert "not at every step: RegNetX-400MF scored below the network before it (by 5.00 " \
        "points)." in dip  # beyond the noise of 10,000 test images; within that of 160
    assert "before it (by 5.00 points, within the noise)." in prose.runs_observations(
        variants([70.0, 65.0, 90.0]), noise=160)
    flat = prose.runs_observations(variants([80.0, 82.5, 81.25]), noise=160)
    assert "do not show the larger networks buying any accuracy" in flat
    # three points on one line scatter by nothing, but each carries the noise of its 160 test
    # images: no lead (five networks can lean, as `line` above does)
    lean = prose.runs_observations(variants([80.0, 81.25, 82.5]), noise=160)
    assert "lean towards" not in lean and "do not show the larger networks buying" in lean
    assert "Taken together, the 5 networks lean towards more MACs buying accuracy, which " \
        "the two ends alone cannot show: a lead for more seeds to settle." in \
        prose.runs_observations(line.drop(columns="run"), low)
    assert "did buy" not in flat


def _history(epochs, acc):
    """A schedule's epochs at one accuracy, the last at the final rate."""
    return [{"epoch": e, "train_acc": acc + 2, "test_acc": acc, "test_loss": 0.5,
             "lr": 0.1 if e < epochs else 0.001} for e in range(1, epochs + 1)]


def _schedules(short: float, long: float, **columns):
    """A 3-epoch and an 8-epoch run of one network scoring `short` and `long`."""
    import pandas as pd
    return pd.DataFrame({"epochs": [3, 8], "params": [100, 100], "macs": [10, 10],
                         "epoch_seconds": [1.0, 1.0], "test_acc": [short, long],
                         "train_loss": [0.5, 0.2], "device": ["cpu"] * 2, "cpus": [2] * 2,
                         "load_avg": [(5.0, 9.0)] * 2,
                         "history": [_history(3, short), _history(8, long)], **columns})


def test_a_longer_schedule_is_judged_against_the_noise_and_its_cost():
    history = _history
    df = _schedules(80.0, 82.5)
    text = prose.runs_observations(df, noise=160)
    assert "do not show the longer schedule helping" in text and "helped" not in text
    assert "so 8 epochs cost 2.67 times the training computation (MACs) of 3 epochs" in text
    assert "A change smaller than \u00b18.7 points would mostly go unseen in these runs." in text
    assert "the final training loss went from 0.500 to 0.200, the final test loss from 0.500 " \
        "to 0.500." in text
    peak = df.assign(history=[[{**r, "lr": 0.1} for r in h] for h in df["history"]])
    assert "The 3-epoch run ended at its peak learning rate, undecayed" in \
        prose.runs_observations(peak, noise=160)
    assert "(the 3-epoch run ended undecayed)" in prose.study_answer(peak, 160)
    sure = prose.runs_observations(df, noise=100_000)
    assert ("The longer schedule helped: from 3 to 8 epochs the test accuracy changed by "
            "+2.50 points, beyond the noise") in sure
    assert "Schedules this short, at most 8 epochs, show only whether the first extra epochs " \
        "help, not the overfitting of a long run." in sure
    assert "Schedules this short" not in prose.runs_observations(
        df.assign(epochs=[30, 60]), noise=100_000)
    edge = next(n for n in range(100, 100_000, 10)  # test images for a bound just under 2.5
                if prose.image_noise(n, 81.25) < 2.5)
    just = prose.runs_observations(df, noise=edge)
    assert "only just beyond the noise" in just and "The longer schedule scored higher: " \
        "from 3 to 8 epochs" in just  # what it did, not that it helps
    step = df.assign(history=[[{**r, "lr": [0.05, 0.1, 0.001][r["epoch"] - 1]} for r in
                               history(3, 80.0)], history(8, 82.5)])
    assert "The 3-epoch run's cosine is a single step, from the peak rate 0.1 to 0.001" in \
        prose.runs_observations(step, noise=160)
    gradual = df.assign(epochs=[4, 8], history=[
        [{**r, "lr": [0.05, 0.1, 0.05, 0.001][r["epoch"] - 1]} for r in history(4, 80.0)],
        history(8, 82.5)])
    assert "single step" not in prose.runs_observations(gradual, noise=160)
    # a widening train-test gap while test accuracy and loss keep improving: no overfitting,
    # even with a peak an epoch early that is within the noise
    grew = [{**r, "train_acc": 80.0 + 3 * r["epoch"], "test_acc": 75.0 + r["epoch"],
             "test_loss": 1.0 - 0.05 * r["epoch"]} for r in history(8, 0.0)]
    grew[6] = {**grew[6], "test_acc": 83.2}  # epoch 7 a hair above epoch 8's 83.0
    wide = df.assign(history=[history(3, 80.0), grew])
    text = prose.runs_observations(wide, noise=500)
    assert "Despite the training accuracy pulling further ahead of the test accuracy, the " \
        "test accuracy did not fall from its peak beyond the noise nor the test loss rise" \
        in text  # ahead by 2 points at 3 epochs, by 22 at 8
    behind = df.assign(history=[[{**r, "train_acc": r["test_acc"] - 3} for r in history(3, 80.0)],
                                grew])  # the short run's training accuracy below its test's
    assert "Despite the training accuracy pulling ahead of the test accuracy, the test " \
        "accuracy did not fall" in prose.runs_observations(behind, noise=500)
    assert "mark of overfitting" not in text
    assert "no sign of overfitting in the test numbers" in prose.study_answer(wide, 500)
    grew[5] = {**grew[5], "test_acc": 95.0}  # a peak the last epoch fell far below
    assert "with the test accuracy falling from its peak beyond the noise, is the mark of " \
        "overfitting" in prose.runs_observations(df.assign(history=[history(3, 80.0), grew]),
                                                 noise=500)


def test_series_answer_the_accuracy_cost_without_times_across_loads():
    import pandas as pd
    df = pd.DataFrame({"run": ["a: 8 groups", "a: 1 group", "b: width 8", "b: width 1"],
                       "params": [1000, 150, 1000, 150], "macs": [10, 2, 10, 2],
                       "epoch_seconds": [40.0, 2.0, 40.0, 2.0],
                       "test_acc": [75.0, 81.25, 76.25, 81.25], "device": ["cpu"] * 4,
                       "cpus": [2] * 4, "load_avg": [(5.7, 10.0)] * 2 + [(0.5, 1.0)] * 2})
    text = prose.series_observations(df, noise=160)
    assert "%" in text and "-95%" not in text and "time per epoch by" not in text
    assert text.startswith("Fewer parameters cost no accuracy in these runs")
    middle = pd.DataFrame({"run": ["a: 8 groups", "a: 4 groups", "a: 1 group"],
                           "params": [1000, 500, 150], "macs": [10, 5, 2],
                           "epoch_seconds": [1.0] * 3, "test_acc": [80.0, 75.0, 82.5],
                           "device": ["cpu"] * 3, "cpus": [2] * 3, "load_avg": [(5.7, 10.0)] * 3})
    dip = prose.series_observations(middle, noise=160)  # the ends alone would hide the dip
    assert dip.startswith("No accuracy cost of the fewer parameters shows beyond the noise. The "
                          "largest loss, 5.00 points (a: 4 groups, against the first network "
                          "of its series)")
    bound = prose.image_noise(160, 77.5, 2)  # the largest of 2 losses: the loss plus its bound
    assert prose.study_answer(middle, 160).endswith(
        f"from \u22125.00 to +2.50 points; a cost up to {5 + bound:.1f} points is not ruled "
        "out.")
    assert ("With each of the 2 differences held to its own bound, widened so that all hold "
            f"at once, the true cost could be as large as {5 + bound:.1f} points (for a: 4 "
            f"groups, 5.00 + {bound:.1f})") in dip
    assert "do not compare" not in text  # the section says why, once
    assert "the parameters fell by 85% in the a runs (1,000 to 150) and by 85% in the b runs" \
        in text  # two series side by side, in one sentence
    assert "+6.25 points (75.00% to 81.25%) and +5.00 points (76.25% to 81.25%), both within " \
        "the noise." in text  # each against its bound too
    mixed = prose.series_observations(df.assign(test_acc=[75.0, 81.25, 50.0, 81.25]), 160)
    assert "+6.25 points (75.00% to 81.25%, within the noise) and +31.25 points (50.00% to " \
        "81.25%, beyond the noise)" in mixed
    idle = prose.series_observations(df.assign(load_avg=[(0.5, 1.0)] * 4), 160)
    assert "; the time per epoch went from 40.0 s to 2.0 s and from 40.0 s to 2.0 s." in idle


def test_the_crop_conclusion_follows_the_curve_not_the_best_crop():
    import pandas as pd
    crops = pd.DataFrame({"test crop": [10, 12, 14, 16, 18],
                          "test_acc": [86.88, 85.0, 82.5, 84.38, 85.62]})
    text = prose.crop_observations(crops, 14, 16, n_test=160)
    assert "raised the accuracy" not in text
    assert "All 4 other crops scored above the training crop." in text
    assert "larger crops of the resized image (16 px)" in text  # one crop: no range
    assert "the training crop scoring below all the others" in text
    assert "One test image is worth 0.625 points of accuracy here (160 test images)." == \
        prose.crop_bounds(crops, 160)  # said before the results, and unpaired without hits
    flat = crops.assign(test_acc=[86.88, 80.0, 82.5, 84.38, 81.0])  # not all above 14 px
    assert "The numbers show no effect of testing at a larger crop than the one trained on " \
        "beyond the noise." in prose.crop_observations(flat, 14, 16, 160)
    assert "Every other crop scored above the training crop, but none of the groups beyond " \
        "the noise: the numbers lean towards testing at a larger crop without showing" in text
    rising = crops.assign(test_acc=[40.0, 50.0, 60.0, 80.0, 90.0])
    assert ("Testing at a larger crop than the one trained on helped this network (one seed): "
            "larger crops of the resized image and upscaled crops") in prose.crop_observations(
                rising, 14, 16, 160)
    dip = pd.DataFrame({"test crop": list(range(10, 24)),
                        "test_acc": [25.8, 28.2, 28.6, 29.6, 32.6, 34.6, 34.6, 22.2, 24.0, 23.4,
                                     22.8, 24.8, 25.6, 26.4]})  # upscaling hurts
    said = prose.crop_observations(dip, 14, 16, 500)
    assert "The largest step between neighbouring crops, 16 to 17 px, is \u221212.40 points, " \
        "beyond" in said and ": at that step the crop passes the resize and the image starts " \
        "to be upscaled." in said  # the later crops stay low: nothing moves back
    spec = runs.network(profile("quick"))  # stride-1 stem: 16 px ends 2 x 2, 17 px 3 x 3
    assert [prose.last_grid(spec, c) for c in (14, 16, 17, 56)] == [2, 2, 3, 7]
    assert (": at that step the crop passes the resize and the image starts to be upscaled "
            "and the last stage's grid grows from 2\u00a0×\u00a02 to 3\u00a0×\u00a03, two "
            "changes at once that this study cannot tell apart.") in prose.crop_observations(
                dip, 14, 16, 500, spec)
    back = dip.assign(test_acc=[25.8, 28.2, 28.6, 29.6, 32.6, 34.6, 34.6, 22.2, 24.0, 27.4,
                                31.0, 24.8, 25.6, 26.4])  # 17 to 20 px regains 8.8 of 12.4
    assert ("From 17 to 20 px, the grid staying 3\u00a0×\u00a03, the accuracy moves back from "
            "22.20% to 31.00%, so the step does not hold for the larger crops.") in \
        prose.crop_observations(back, 14, 16, 500, spec)
    assert "largest step" not in prose.crop_observations(crops, 14, 16, 160)  # within noise
    top = crops.assign(test_acc=[80.0, 81.25, 90.0, 85.0, 82.5])  # the training crop best
    assert prose.crop_observations(top, 14, 16, 160).startswith(
        "The training crop itself (14 px) scored best, 90.00%. All 4 other crops scored below")
    assert prose.crop_answer(top, 14, 16, 160).startswith(
        "The 14 px training crop itself scored best (90.00%); ")
    assert prose.crop_check(crops, 14, 82.5) == (
        "At the training crop it scores 82.50%, the final accuracy of section 2: the same "
        "weights on the same test images.")
    assert "the two evaluations of the same weights differ" in prose.crop_check(crops, 14, 83.1)
    answer = prose.crop_answer(dip, 14, 16, 500)
    assert answer.startswith("The best test crops were 15 and 16 px with 34.60% against "
                             "32.60% at the 14 px training crop")
    assert "upscaled crops scored below the training crop beyond the noise, the other larger " \
        "crops within it" in answer


def test_the_schedule_is_worded_as_its_rate_table_runs():
    from regnet.engine import schedule
    values = profile("quick")
    text = prose.schedule_phrase(values)
    rates = schedule.warmup_cosine(values.schedule)
    assert "linear warm-up from" not in text
    assert f"epoch 1 warms up at {rates[0]:g}" in text
    assert f"epoch 2 runs at the peak {rates[1]:g}" in text and f"epoch 3 at {rates[2]:g}" in text
    assert "without warm-up" not in text
    cold = prose.schedule_phrase(values.replace(TRAINING_LR_INIT_EPOCHS=0,
                                                TRAINING_LR_FINAL_EPOCHS=2))
    assert cold.startswith("2 epochs without warm-up: epoch 1 runs at the peak")
    course = prose.schedule_phrase(profile("course"))
    first = schedule.warmup_cosine(profile("course").schedule)
    assert f"from {first[0]:g} to {first[4]:g}" in course  # the last warm-up epoch's rate


def test_a_training_gap_is_not_called_overfitting():
    from types import SimpleNamespace
    h = [{"epoch": 1, "train_loss": 2.0, "train_acc": 60.0, "test_acc": 50.0},
         {"epoch": 2, "train_loss": 1.0, "train_acc": 90.0, "test_acc": 80.0}]
    run = SimpleNamespace(history=h, epochs=2, test_acc=80.0, test_top5=99.0,
                          best_test_acc=80.0)
    text = prose.train_observations(run)
    assert "generalizes" not in text and "augmented crops" in text
    assert "cannot tell how much of it is overfitting" in text
    assert "top-5 99.00%" in text and "which was also the best epoch" in text
    counted = prose.train_observations(SimpleNamespace(**{**vars(run), "test_images": 160}))
    assert ("on the 160 test images (\u00b16.3 points: two standard errors of an accuracy "
            "over so many images) after the last of 2 epochs") in counted
    assert f"\u00b1{prose.accuracy_noise(160, 80.0):.1f} points" in counted
    assert "(90.00%) was 10.00 points above the test accuracy (80.00%)" in text
    below = SimpleNamespace(**{**vars(run), "history": [
        {**h[0]}, {**h[1], "train_acc": 70.0}]})
    assert "below the test accuracy (80.00%): training accuracy is averaged" in \
        prose.train_observations(below)
    assert "top-5" not in prose.train_observations(run, classes=10)  # says little with 10


def test_the_mac_share_at_the_training_crop_is_computed_per_model():
    import pandas as pd
    results = pd.DataFrame({"macs": [179_666_980, 200_000_000],
                            "trained_macs": [14_119_690, 12_000_000]})
    assert "6.0% to 7.9% of those MACs" in prose.mac_fraction(results, 14)


def test_claims_without_a_difference_are_not_shown_rather_than_agreed():
    import pandas as pd
    claims = pd.DataFrame({"claim": ["b does not hurt", "RegNetX is better"],
                           "n": [3, 3], "consistent": [True, True],
                           "verdict": ["no clear difference", "lower error"],
                           "mean_gap": [-12.1, -16.0], "p": [0.114, 0.029]})
    summary = pd.DataFrame({"label": ["A", "B"], "mean": [50.0, 40.0], "n": [4, 4]})
    text = prose.design_space_observations(summary, claims)
    assert "agree with" not in text
    assert "Only \u201cRegNetX is better\u201d shows a difference" in text
    assert "All 2 claims could be tested, with 3 models per space, where a gap of 12.1 points " \
        "still has p = 0.114." in text and "is not confirmed by it" in text
    close = prose.design_space_observations(summary, claims.assign(p=[0.017, 0.001]))
    assert "still has p = 0.017, above the 0.00625 a claim needs." in close  # the family's
    tested = claims.assign(kind=["not worse", "better"], gap_low=[-30.0, -25.0],
                           gap_high=[5.8, -7.0])
    one = prose.design_space_observations(summary, tested)
    assert "One claim, \u201cb does not hurt\u201d, claims no loss: such a claim holds only " \
        "where the interval of its gap stays below the largest loss of accuracy one would " \
        "accept, a margin set beforehand. Its interval ends at +5.8 points of error, so it " \
        "holds only for a margin of 5.8 points or more." in one
    two = prose.design_space_observations(summary, pd.concat([tested, tested.iloc[:1].assign(
        claim="g does not hurt", gap_high=9.25)], ignore_index=True))
    assert "Of the claims tested, 2 claim no loss" in two and "Their intervals end at +5.8 " \
        "to +9.3 points of error, so the most these models confirm is \u201cb does not " \
        "hurt\u201d, and only for a margin of 5.8 points or more." in two
    worse = tested.assign(verdict=["higher error", "lower error"])  # a loss shown: no margin
    assert "claims no loss" not in prose.design_space_observations(summary, worse)


def _all_text(fig):
    return [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and
                                   hasattr(a, "get_text")) if t.get_text().strip()]


def test_figure_text_is_at_least_8_pt_at_print_size():
    import matplotlib
    matplotlib.use("Agg")
    import io

    import pandas as pd

    from regnet.arch import model
    from regnet.study import analysis
    spec = space.named("200mf")
    rows = complexity.operator_table(model.build(spec))
    history = [{"epoch": e, "train_loss": 1.0 / e, "train_acc": 10.0 * e, "test_loss": 1.2 / e,
                "test_acc": 9.0 * e} for e in (1, 2, 3)]
    runs = pd.DataFrame({"run": ["a", "b"], "params": [1, 2], "epoch_seconds": [1.0, 2.0],
                         "test_acc": [50.0, 60.0]})
    crops = pd.DataFrame({"test crop": [10, 11, 12], "test_acc": [1.0, 2.0, 3.0]})
    sweep = pd.DataFrame({"space": ["anynetx_a", "regnetx"] * 2, "error": [50.0, 40, 45, 42],
                          "depth": [10, 12, 14, 16], "width": [64, 128, 256, 512],
                          "group_width": [8, 16, 8, 16], "bottleneck": [1, 2, 1, 1],
                          "macs": [2e8] * 4, "params": [3e6] * 4, "acts": [2e6] * 4})
    made = [figures.draw_network(rows), figures.draw_block(rows, "s3", "b1"),
            figures.draw_block(rows, "s3", "b2"), figures.plot_curves({"a": history}),
            figures.plot_curves({"a": history, "b": history}), figures.plot_rates([0.1, 0.05]),
            figures.plot_curves({f"seed 001: {g} groups, b {8 // g}": history
                                 for g in (8, 4, 2, 1)} |
                                {f"paper: group width {g}, b {8 // g}": history
                                 for g in (8, 4, 2, 1)}),
            figures.plot_bars(runs, "run", ["params", "epoch_seconds", "test_acc"]),
            figures.plot_crops(crops, 11, 12), analysis.plot_edfs(sweep),
            analysis.plot_params(sweep)]
    for fig in made:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        width_in = int.from_bytes(buf.getvalue()[16:20], "big") / 100
        # a figure wider than the report's output area is shrunk to it, text and all
        scale = min(1.0, figures.PAGE_WIDTH / width_in)
        smallest = min(t.get_fontsize() for t in _all_text(fig))
        assert smallest * scale >= 8, (fig.axes[0].get_title(), smallest, width_in)


def test_a_figure_is_shown_as_vector_graphics_at_its_drawn_width(monkeypatch):
    import base64
    import re

    import matplotlib
    matplotlib.use("Agg")
    shown = []
    monkeypatch.setattr(figures, "display", lambda html: shown.append(html.data))
    fig, ax = figures._figure(4.0, 2.0)
    ax.plot([1, 2, 3], [3, 1, 2])
    figures.show(fig, "A line")
    img = re.search(r'src="data:image/svg\+xml;base64,([^"]+)" style="width:([\d.]+)in"',
                    shown[0])
    svg = base64.b64decode(img.group(1))
    assert b"<svg" in svg and b"<image" not in svg  # drawn, not a raster inside an SVG
    assert abs(float(img.group(2)) - figures.svg_width_inches(svg)) < 0.01
    assert 3.5 < float(img.group(2)) <= 4.0  # the drawn size, tight to its contents
    assert "Figure." in shown[0] and "A line" in shown[0]
    with pytest.raises(ValueError, match="no width in points"):
        figures.svg_width_inches(b"<svg width='10cm'>")


def test_the_rate_figure_holds_each_epochs_rate_for_the_whole_epoch():
    import matplotlib
    matplotlib.use("Agg")
    fig = figures.plot_rates([0.05, 0.1, 0.001])
    ax = fig.axes[0]
    steps = [p for p in ax.patches if p.__class__.__name__ == "StepPatch"]
    assert len(steps) == 1 and list(steps[0].get_data().values) == [0.05, 0.1, 0.001]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert [t for t in ax.get_xticks()] == [1.5, 2.5, 3.5]  # under the middle of each step
    # beside it, the course's schedule where it differs: one panel each, named
    course = [0.05 + 0.01 * e for e in range(60)]
    fig = figures.plot_rates([0.05, 0.1, 0.001], course)
    assert [ax.get_title() for ax in fig.axes] == ["this run: 3 epochs", "the course: 60 epochs"]
    steps = [p for p in fig.axes[1].patches if p.__class__.__name__ == "StepPatch"]
    assert list(steps[0].get_data().values) == course


def test_curves_of_one_epoch_tick_whole_epochs():
    import matplotlib
    matplotlib.use("Agg")
    row = {"epoch": 1, "train_loss": 2.0, "train_acc": 20.0, "test_loss": 2.1, "test_acc": 25.0}
    fig = figures.plot_curves({"a": [row], "b": [{**row, "test_acc": 30.0}]})
    fig.canvas.draw()
    for ax in fig.axes[2:4]:  # the bottom row, which labels the shared epoch axis
        assert [t.get_text() for t in ax.get_xticklabels() if t.get_text()] == ["1"]


def test_series_sentences_only_for_runs_labelled_by_series():
    import pandas as pd
    spec = space.named("200mf")
    plain = pd.DataFrame({"REGNETX": ["200mf", "400mf"], "spec": [spec, spec],
                          "params": [1, 2], "macs": [1, 2], "epoch_seconds": [1.0, 1.0],
                          "test_acc": [1.0, 2.0]})
    assert prose.series_observations(plain) == "" and prose.readings_sentence(plain) == ""
    seed = space.named("custom", resolve(overrides={"MODEL_GROUPS": 8}).model)
    both = plain.assign(REGNETX=["seed 001: 8 groups, b 1", "paper: group width 8, b 1"],
                        spec=[seed, spec], params=[3_291_052, 2_351_452])
    text = prose.readings_sentence(both)
    assert "seed 001 runs keep the group width of each stage at 3/7/19/46" in text
    assert "paper runs keep 3/7/19/46 groups" in text and "3,291,052" in text


def test_bar_panels_of_large_numbers_read_in_k_and_m_without_an_offset():
    import matplotlib
    import pandas as pd
    matplotlib.use("Agg")
    runs = pd.DataFrame({"run": ["a", "b"], "params": [1_099_554, 1_769_154],
                         "test_acc": [78.1, 73.8]})
    fig = figures.plot_bars(runs, "run", ["params", "test_acc"])
    fig.canvas.draw()
    params, acc = fig.axes
    assert params.xaxis.get_offset_text().get_text() == ""
    assert any(t.get_text().endswith("M") for t in params.get_xticklabels())
    assert not any(t.get_text().endswith(("k", "M")) for t in acc.get_xticklabels())


def test_line_plot_legends_stand_in_one_column_beside_the_plots():
    import matplotlib
    matplotlib.use("Agg")
    import pandas as pd

    from regnet.study import analysis
    history = [{"epoch": e, "train_loss": 1.0 / e, "train_acc": 10.0 * e, "test_loss": 1.2 / e,
                "test_acc": 9.0 * e} for e in (1, 2, 3)]
    crops = pd.DataFrame({"test crop": [10, 11, 12], "test_acc": [1.0, 2.0, 3.0]})
    sweep = pd.DataFrame({"space": ["anynetx_a", "regnetx"] * 2, "error": [50.0, 40, 45, 42],
                          "depth": [10, 12, 14, 16], "width": [64, 128, 256, 512],
                          "group_width": [8, 16, 8, 16], "bottleneck": [1, 2, 1, 1],
                          "macs": [2e8] * 4, "params": [3e6] * 4, "acts": [2e6] * 4})
    for fig in (figures.plot_curves({f"run {i}": history for i in range(5)}),
                figures.plot_crops(crops, 11, 12), analysis.plot_edfs(sweep),
                analysis.plot_params(sweep)):
        fig.canvas.draw()
        legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        assert len(legends) == 1 and legends[0]._ncols == 1
        box = legends[0].get_window_extent()
        assert all(box.x0 >= ax.get_window_extent().x1 for ax in fig.axes if ax.get_visible())
        assert box.x1 <= fig.bbox.x1 + 1  # inside the figure: never shrunk with it


def test_block_drawings_set_no_stacked_fractions():
    import matplotlib
    matplotlib.use("Agg")
    for stride in (1, 2):  # a stacked fraction sets its parts far below 8 pt
        texts = [t.get_text() for t in _all_text(figures.draw_x_block(stride))]
        assert not any(r"\frac" in t for t in texts) and any("/g$ groups" in t for t in texts)


def test_operator_tables_name_places_and_headers_in_words():
    from regnet.arch import model
    rows = complexity.operator_table(model.build(space.named("200mf")))
    ops = tables.operator_frame(rows)
    assert list(ops.columns[-3:]) == ["Parameters", "MACs", "Activations"]
    assert "stage 1, block 1" in set(ops["where"]) and "head" in set(ops["where"])
    assert not any("." in str(v) or "_" in str(v) for v in ops["where"])  # no module keys
    assert list(tables.stage_frame(rows)["stage"]) == ["stem", "stage 1", "stage 2",
                                                        "stage 3", "stage 4", "head"]
    assert ops["Parameters"].iloc[-1] == complexity.totals(rows)["params"]


def test_operator_table_lists_identical_blocks_once_and_still_counts_every_block():
    from regnet.arch import model
    spec = space.named("200mf")  # depths 1, 1, 4, 7
    rows = complexity.operator_table(model.build(spec))
    ops = tables.operator_frame(rows)
    body, total = ops.iloc[:-1], ops.iloc[-1]
    for key, col in (("params", "Parameters"), ("macs", "MACs"), ("acts", "Activations")):
        assert (body["×"] * body[col]).sum() == total[col] == complexity.totals(rows)[key]
    assert set(ops.loc[ops["where"] == "stage 4, blocks 2\u20137", "×"]) == {6}
    assert set(ops.loc[ops["where"] == "stage 3, blocks 2\u20134", "×"]) == {3}
    assert "stage 4, block 1" in set(ops["where"])  # the stride-2 first block differs
    assert len(ops) < len(rows) - 30

    # blocks that differ in any operator are not merged
    changed = [dataclasses.replace(r, params=r.params + 1) if (r.stage, r.block, r.role) ==
               ("s4", "b5", "1×1 out") else r for r in rows]
    where = set(tables.operator_frame(changed)["where"])
    assert {"stage 4, blocks 2\u20134", "stage 4, block 5", "stage 4, blocks 6\u20137"} <= where


def test_operator_shares_add_up_and_name_where_the_work_is():
    from regnet.arch import model
    rows = complexity.operator_table(model.build(space.named("200mf")))
    shares = tables.role_shares(rows)
    t = complexity.totals(rows)
    assert shares["Parameters"].sum() == t["params"] and shares["MACs"].sum() == t["macs"]
    assert abs(shares["% of parameters"].sum() - 100) < 0.5
    assert "batch norms" in set(shares["operator"])
    assert not any(o.endswith(" norm") for o in shares["operator"])
    text = prose.shares_sentence(shares)
    out = shares.set_index("operator")
    assert f"({out.loc['1×1 out', '% of parameters']:.1f}%)" in text
    ones = out.loc[["1×1 in", "1×1 out", "projection"], "% of MACs"].sum()
    assert f"{ones:.1f}% of the MACs" in text


def test_the_design_and_totals_name_the_course_network_at_the_course_size():
    from regnet.arch import model
    course = space.named("200mf")
    demo = dataclasses.replace(course, input_size=14, num_classes=10)
    frame = tables.totals_frame([(n, s, complexity.operator_table(model.build(s)))
                                 for n, s in (("this run", demo), ("course", course))])
    assert list(frame["Input"]) == ["3\u00a0×\u00a014\u00a0×\u00a014",
                                    "3\u00a0×\u00a056\u00a0×\u00a056"]
    assert list(frame["Classes"]) == [10, 100]
    assert frame["Parameters"].iloc[1] == complexity.closed_form(course)["params"]
    assert frame["MACs"].iloc[1] == complexity.closed_form(course)["macs"]
    design = dict(zip(*tables.parameter_table(course, complexity.operator_table(
        model.build(course)))[["Parameter", "Value"]].T.values))
    assert design["Parameters"] == f"{complexity.closed_form(course)['params']:,}"
    assert design["MACs"] == f"{complexity.closed_form(course)['macs']:,}"
    assert prose.stem_strides(course) == (
        "In the course's RegNetX-200MF, $w_{stem} = 24$, $s_0 = 1$ and $s_1 = 1$; the "
        "paper's RegNetX-200MF has $w_{stem} = 32$, $s_0 = 2$ and $s_1 = 2$ for its 224 px "
        "inputs.")
    assert prose.stem_strides(space.named("regnetx_400mf")) == (
        "In RegNetX-400MF, $w_{stem} = 32$, $s_0 = 2$ and $s_1 = 2$.")


def test_the_width_rule_table_heads_its_symbols_typeset():
    columns = list(tables.width_rule_table(space.named("200mf")).columns)
    assert "u\u2c7c = w\u2080 + w\u2090·j" in columns and "w\u2c7c (multiple of 8)" in columns
    assert not any("_" in c or "*" in c for c in columns)


def test_design_space_names_are_set_with_their_letter_subscript():
    from regnet.study import analysis
    assert tables.space_label("anynetx_c") == "AnyNetX<sub>C</sub>"
    assert tables.space_label("regnetx") == "RegNetX"
    assert "_" not in tables.space_label("anynetx_e")
    assert analysis.plot_label("anynetx_a") == r"AnyNetX$_\mathregular{A}$"
    assert prose.typeset_spaces("RegNetX is at least as good as AnyNetX_E") == \
        "RegNetX is at least as good as AnyNetX<sub>E</sub>"


def test_figure_only_subsections_get_a_sentence_from_their_numbers():
    import pandas as pd
    history = [{"epoch": 1, "test_acc": 40.0, "test_loss": 1.8},
               {"epoch": 3, "test_acc": 82.5, "test_loss": 0.61}]
    assert prose.curves_sentence(history) == (
        "From epoch 1 to epoch 3 the test accuracy went from 40.00% to 82.50% and the test "
        "loss from 1.800 to 0.610.")
    assert prose.curves_sentence(history, 100) == prose.curves_sentence(history)  # 1.8 < ln 100
    flat = [{**history[0], "test_loss": 2.1}, history[1]]  # ln 10 = 2.303: near an even guess
    assert prose.curves_sentence(flat, 10).endswith(
        "After epoch 1 the test loss was still 91% of ln 10 = 2.303, the loss of an even guess "
        "over the 10 classes, though 40.00% of the test images were already right: on average "
        "the network gave the right class little more probability than an even guess would "
        "(the loss alone cannot tell whether it was unsure on every image or badly wrong on a "
        "few), and the later epochs raised that probability.")
    results = pd.DataFrame({"space": ["anynetx_a", "regnetx"], "error": [50.0, 37.5],
                            "macs": [150e6, 249e6], "params": [2.1e6, 3.4e6],
                            "depth": [12, 15], "width": [368, 432]})
    text = prose.sweep_sentence(results)
    assert "from 150 to 249 million MACs" in text and "37.50% to 50.00%" in text
    assert ("a RegNetX model of depth 15 (blocks in all) whose widest stage has 432 channels"
            in text)  # `width` is the widest stage (designspace.describe), not the last
    first = prose.sweep_sentence(results.assign(error=[30.0, 37.5]))
    assert "from an AnyNetX<sub>A</sub> model" in first


def test_short_labels_never_wrap_and_sentences_do():
    import re

    import pandas as pd
    html = tables.to_html(pd.DataFrame({"where": ["stage 2, block 1"], "note": ["x " * 30],
                                        "n": [1]}))
    nowrap = set(re.findall(r"#T_\w+_row0_(col\d)[^{]*\{[^}]*white-space: nowrap", html))
    assert nowrap == {"col0"}  # the label, not the sentence nor the number


def test_the_sweep_table_gives_each_column_one_number_of_decimals():
    import re

    import pandas as pd
    results = pd.DataFrame({"space": ["regnetx", "anynetx_a"], "index": [0, 1],
                            "macs": [175e6, 175.8e6], "params": [0.8e6, 1.853e6],
                            "error": [30.0, 32.125], "seconds": [12.0, 3.25]})
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", tables.to_html(
        tables.sweep_models_table(results)))
    assert {"175.0", "0.80", "30.00", "12.0", "175.8", "1.85", "32.13", "3.3"} <= set(cells)
    signed = re.findall(r"<td[^>]*>([^<]*)</td>", tables.to_html(pd.DataFrame({"n": [-1152]})))
    assert signed == ["\u22121,152"]  # a minus sign, not a hyphen
    assert not {"175", "0.8", "30", "12"} & set(cells)  # no trailing zero dropped
    at = re.findall(r"<td[^>]*>([^<]*)</td>", tables.to_html(
        tables.sweep_models_table(results, 56)))  # MACs counted at the regime's input size
    assert "175.0" in at and "175" not in at


def test_a_folded_table_keeps_two_decimals_down_each_column():
    import pandas as pd
    crops = pd.DataFrame({"test crop": [13, 14, 15, 16, 17],
                          "test_acc": [86.875, 82.5, 80.0, 1.0, 2.0]})
    folded = tables.fold(crops, 2, "test crop")
    assert folded.iloc[:, 2].tolist() == ["16", "17", ""]  # crops stay whole, the pad blank
    shown = [v for v in folded.to_numpy().ravel() if "." in str(v)]
    assert {"86.88", "82.50", "80.00", "1.00"} <= set(shown) and "82.5" not in shown
    assert list(folded.columns.get_level_values(0)) == ["13\u201315"] * 2 + ["16\u201317"] * 2
    assert list(tables.fold(crops, 1, "test crop").columns) == ["test crop", "test_acc"]


def test_a_claims_row_shows_its_gap_signed_with_a_minus_and_its_p():
    import pandas as pd
    claims = pd.DataFrame({"claim": ["b does not hurt"], "space": ["AnyNetX_B"],
                           "baseline": ["AnyNetX_A"], "n": [4], "n_baseline": [4],
                           "mean": [50.0], "mean_baseline": [63.0], "mean_gap": [-13.0],
                           "gap_low": [-40.1], "gap_high": [15.9], "p": [8 / 70],
                           "consistent": [True], "verdict": ["no clear difference"]})
    row = tables.claims_frame(claims).iloc[0]
    assert (row["gap (points)"], row["p"]) == ("\u221213.0", "0.114")
    assert row["interval of the gap"] == "\u221240.1 to +15.9"  # Welch's, its size
    assert "agrees" not in tables.claims_frame(claims).columns  # the verdict says it


def test_the_claims_say_the_smallest_p_their_models_allow():
    import pandas as pd
    four = pd.DataFrame({"space": ["a"] * 4 + ["b"] * 5, "error": [1.0] * 9})
    assert prose.smallest_p_sentence(four) == (
        " With 4 models against 4, the smallest p a test can give is 2/70 = 0.0286, reached "
        "only when every model of one space beats every model of the other.")
    many = pd.DataFrame({"space": ["a"] * 25 + ["b"] * 25, "error": [1.0] * 50})
    assert prose.smallest_p_sentence(many) == ""  # far below any level: nothing to say


def test_the_parameter_panels_get_the_association_the_numbers_show():
    import pandas as pd
    results = pd.DataFrame({"space": ["a", "a", "b", "b"], "error": [10.0, 20.0, 30.0, 40.0],
                            "depth": [4, 3, 2, 1], "width": [1, 3, 2, 4]})
    text = prose.association_sentence(results, {"depth": "depth d", "width": "width w"})
    assert text.startswith("Across all 4 models, pooled over 2 spaces (so the spaces' own "
                           "differences are mixed in), no parameter")
    assert "no parameter follows the error beyond chance: the closest in rank, depth d " \
        "(Spearman ρ = \u22121.00" in text
    assert "the error falls as it grows" in text
    assert text.endswith("Within one space, even 2 models in a perfect rank order give only "
                         "p = 2/2! = 1, above the 0.0125 that testing 2 parameters in 2 spaces "
                         "needs, so no panel can show a trend within one space.")
    six = prose.association_sentence(pd.DataFrame({
        "space": ["a"] * 6 + ["b"] * 6, "error": [float(e) for e in range(12)],
        "depth": [5, 1, 9, 3, 12, 7, 2, 11, 4, 8, 6, 10]}), {"depth": "depth d"})
    assert six.endswith("Within one space, even 6 models in a perfect rank order give only "
                        "p = 2/6! = 0.0028, below the 0.025 that testing 1 parameter in 2 "
                        "spaces needs; the panels are not tested space by space here.")
    owned = prose.association_sentence(pd.DataFrame({
        "space": ["a"] * 6 + ["b"] * 6, "error": [float(e) for e in range(12)],
        "depth": [5, 1, 9, 3, 12, 7, 2, 11, 4, 8, 6, 10]}), {"depth": "depth d"}, own=3)
    assert "below the 0.01 that testing 1 parameter in 2 spaces and RegNetX's own 3 needs" \
        in owned  # RegNetX's own panels are in the family too: 0.05 / (1 * 2 + 3)
    # even a perfect order of 4 models comes by chance once in 12 (2 of 4! orders), and
    # picking the closer of two parameters halves the level it must beat
    assert "is within chance (permutation p = 0.083, where the closest of 2 parameters needs " \
        "p below 0.025)" in text
    from regnet.study.analysis import rank_p
    assert rank_p([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]) == pytest.approx(2 / 720)
    assert rank_p([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(8 / 24)  # |ρ| >= 0.8: 4 + 4
    many = pd.DataFrame({"space": ["a"] * 6 + ["b"] * 6, "error": [float(e) for e in range(12)],
                         "depth": list(range(12))})
    assert "beyond chance (permutation p below 0.001)" in prose.association_sentence(
        many, {"depth": "depth d"})
    twin = prose.association_sentence(many.assign(width=many["depth"] * 8),
                                      {"depth": "depth d", "width": "width w"})
    assert "follows depth d most closely in rank (Spearman" in twin
    assert "Width w follows it as closely (ρ = +1.00: the error rises with it)." in twin
    opposite = prose.association_sentence(many.assign(acts=-many["depth"]),
                                          {"depth": "depth d", "acts": "activations"})
    assert "Activations follow it as closely (ρ = \u22121.00: the error falls as it " \
        "grows)." in opposite
    mixed = many.assign(depth=[5, 1, 9, 3, 12, 7, 2, 11, 4, 8, 6, 10])
    assert "no parameter follows the error beyond chance" in prose.association_sentence(
        mixed, {"depth": "depth d"})


def test_study_figures_draw_accuracy_as_dots_with_their_noise_and_series_by_line_style():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    df = _study([80.0, 78.75, 96.25])
    fig = figures.plot_bars(df, "group width", ["params", "test_acc"], 160)
    cost, acc = fig.axes
    assert cost.patches and not acc.patches  # a cost is a bar from zero, accuracy a dot
    assert acc.get_xlim()[0] > 60  # the accuracy axis spans the runs, not 0 to 100
    whiskers = [round(a - float(s[0][0]), 6)  # the lower arm: the upper one stops at 100%
                for a, s in zip((80.0, 78.75, 96.25), acc.collections[0].get_segments())]
    # half the bound of one difference, where the runs' accuracies make it widest (78.75%)
    assert whiskers == [round(prose.image_noise(160, 78.75) / 2, 6)] * 3
    plt.close(fig)
    # whiskers that do not overlap mean a difference the text calls beyond the noise
    import numpy as np
    rng = np.random.default_rng(0)
    for noise in (prose.Noise(160), prose.Noise(1000, (70.0, 72.5, 71.0)), 50):
        for _ in range(200):
            accs = rng.uniform(5, 99, 4)
            half = figures.bar_whisker(noise, accs)
            for a in accs:
                for b in accs:
                    if abs(a - b) > 2 * half:
                        assert prose.beyond_noise(a - b, noise, (a + b) / 2)[0]
    seeded = prose.Noise(160, (70.0, 80.0, 75.0))  # the seeds' share added to the images'
    assert figures.bar_whisker(seeded, [60.0, 61.0]) == pytest.approx(
        (prose.seed_bound([70.0, 80.0, 75.0]) ** 2 + prose.image_noise(160, 60.0) ** 2) ** 0.5
        / 2)
    assert figures.bar_whisker(None, [60.0]) is None and figures.bar_whisker(160, []) is None
    assert prose.accuracy_noise(160, 80.0) == pytest.approx(prose.image_noise(160, 80.0) / 2 ** 0.5)
    high = figures.plot_bars(_study([96.0, 97.0, 98.0]), "group width", ["test_acc"], 160)
    ends = [float(s[1][0]) for s in high.axes[0].collections[0].get_segments()]
    assert ends[0] < 100 and ends[2] == 100  # a whisker past 100% is cut at 100%, its cap shown
    assert 100 < high.axes[0].get_xlim()[1] <= 101
    plt.close(high)
    import pandas as pd
    crops = pd.DataFrame({"test crop": [10, 11, 12], "test_acc": [80.0, 85.0, 99.0]})
    ax = figures.plot_crops(crops, 11, 12, n_test=160).axes[0]  # the crop study's too
    bars = [c for c in ax.collections if hasattr(c, "get_segments")]
    assert [round(float(s[1][1] - s[0][1]) / 2, 6) for s in bars[0].get_segments()] == [
        round(prose.accuracy_noise(160, a), 6) for a in (80.0, 85.0, 99.0)]
    assert ax.get_ylim()[1] <= 100
    assert not [c for c in figures.plot_crops(crops, 11, 12).axes[0].collections
                if hasattr(c, "get_segments")]  # no count of test images, no whiskers
    import numpy as np
    hits = [np.arange(160) < k for k in (128, 136, 158)]  # the crops' right answers, nested
    paired = crops.assign(hits=[runs.pack_hits(h) for h in hits])
    ax = figures.plot_crops(paired, 11, 12, n_test=160).axes[0]
    segments = [c for c in ax.collections if hasattr(c, "get_segments")][0].get_segments()
    assert [round(float(s[1][1] - s[0][1]) / 2, 6) for s in segments] == [
        round(prose.paired_noise(h, hits[1]), 6) for h in hits]  # against the training crop
    assert segments[1][1][1] == segments[1][0][1]  # the training crop: no whisker
    levels = [line.get_ydata()[0] for line in ax.get_lines() if line.get_ydata()[0] ==
              line.get_ydata()[-1] and line.get_xdata()[0] != line.get_xdata()[-1]]
    assert levels == [85.0]  # the training crop's accuracy, which each whisker is read against
    plt.close("all")
    assert "final test accuracy (whiskers: half of \u00b15.0 points, the widest bound of one " \
        "difference)" in \
        figures.panel_names(["params", "test_acc"], 2.5)
    from types import SimpleNamespace
    sized = _study([80.0, 78.75, 96.25]).assign(spec=[SimpleNamespace(input_size=14)] * 3)
    titles = [ax.get_title() for ax in figures.plot_bars(sized, "group width",
                                                         ["params", "macs"]).axes]
    assert titles == ["params", "MACs at 14 px"]  # the size its MACs are counted at
    plt.close("all")
    assert figures.panel_names(["test_acc"], 2.5, cut=True).endswith(
        "(whiskers: half of \u00b15.0 points, the widest bound of one difference, cut at "
        "100%)")
    assert "chosen beforehand whose whiskers do not overlap differ beyond the noise, while " \
        "the most distant of several runs need the widened bound" in prose.weighing_setup(
        profile("quick"))[-1]  # what a whisker means: said once, in the section's setup
    assert figures.panel_names(["params", "macs", "test_acc"]) == (
        "parameters, MACs per image and final test accuracy")
    styles = figures.curve_styles(["B: b 1", "B: b 2", "paper: b 1", "paper: b 2"])
    assert styles[0]["marker"] == styles[2]["marker"] != styles[1]["marker"]  # the setting
    assert styles[0]["linestyle"] != styles[2]["linestyle"]  # the series, and its colours:
    assert len({tuple(s["color"]) for s in styles}) == 4  # four runs, four colours
    blue, orange = styles[1]["color"], styles[3]["color"]
    assert blue[2] > blue[0] and orange[0] > orange[2]  # one family per series
    assert len({s["color"] for s in figures.curve_styles(["x", "y", "z"])}) == 3
    # runs in two series: a column each, so that no panel holds more than one series' lines
    h = [{"epoch": e, "train_loss": 1.0, "train_acc": 50.0, "test_loss": 1.0, "test_acc": 50.0}
         for e in (1, 2)]
    labels = ["B: b 1", "B: b 2", "B: b 4", "paper: b 1", "paper: b 2", "paper: b 4"]
    fig = figures.plot_curves({label: h for label in labels})
    assert len(fig.axes) == 8 and all(len(ax.get_lines()) == 3 for ax in fig.axes)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["B runs", "paper runs"]
    legends = [[t.get_text() for t in ax.get_legend().get_texts()]
               for ax in fig.axes if ax.get_legend()]
    assert legends == [["b 1", "b 2", "b 4"]] * 2  # the setting, under its series' column
    plt.close(fig)
    assert len(figures.plot_curves({"x": h, "y": h}).axes) == 4  # no series: one grid


def test_the_design_space_answer_quotes_the_claims_that_show_a_difference():
    import pandas as pd
    summary = pd.DataFrame({"label": ["AnyNetX_A", "RegNetX"], "mean": [50.0, 40.0],
                            "n": [3, 3]})
    claims = pd.DataFrame({"claim": ["RegNetX is better", "sharing g does not hurt"],
                           "consistent": [True, True], "n": [3, 3],
                           "verdict": ["lower error", "no clear difference"]})
    text = prose.design_space_answer(summary, claims)
    assert text.startswith("Across 6 trained models, RegNetX had the lowest mean error (40.0%, "
                           "n = 3)")
    assert ("of the 2 claims tested with 3 models per space, 1 shows a difference, in the "
            "paper's direction: \u201cRegNetX is better\u201d.") in text
    assert "by chance alone" not in text  # the family's level already allows for chance
    assert "(40.0%, n = 3; 2 of the 6 models stayed near the error of guessing)" in \
        prose.design_space_answer(summary, claims, [88.0, 89.5, 40.0, 40.0, 40.0, 40.0], 10)
    none = prose.design_space_answer(summary, claims.assign(verdict="no clear difference"))
    assert "none of the 2 claims tested shows a difference, which confirms none" in none


def test_the_training_answer_says_at_what_size_the_accuracy_was_reached():
    from types import SimpleNamespace
    values = profile("quick")
    summary = SimpleNamespace(spec=runs.network(values), epochs=3, test_acc=82.5,
                              test_images=160)
    assert prose.train_answer(summary, values) == (
        "After 3 epochs on 14 px crops of 10 classes, RegNetX-200MF reached 82.50% test "
        "accuracy on its 160 test images.")


def test_the_design_space_words_count_models_and_weigh_errors_against_guessing():
    import pandas as pd
    one = pd.DataFrame({"label": ["AnyNetX_A", "RegNetX"], "mean": [70.0, 67.8], "n": [1, 1]})
    claims = pd.DataFrame({"claim": ["RegNetX is better"], "consistent": [None], "n": [1],
                           "verdict": ["untested (needs 2+ models in each)"]})
    text = prose.design_space_observations(one, claims, [70.0, 67.8], 10)
    assert text.startswith("Across 2 trained models, one per space, the errors ran from 67.8% "
                           "(RegNetX) to 70.0% (AnyNetX<sub>A</sub>).") and "mean" not in text
    assert "lowest" not in text  # one model a space ranks nothing
    answer = prose.design_space_answer(one, claims, [70.0, 67.8], 10)
    assert answer.endswith("to 70.0% (AnyNetX<sub>A</sub>): one model per space cannot rank "
                           "the spaces, and none of the paper's claims could be tested with so "
                           "few.")
    assert "its one model" in prose.design_space_observations(one.iloc[:1], claims)  # one space
    from regnet.report.tables import space_summary_frame
    page = space_summary_frame(one.assign(log10_size=[18.3, 10.1]))
    assert list(page.columns) == ["design space", "error (%)", "log10 size"]  # not 4 equal ones
    assert list(page["error (%)"]) == ["70.00", "67.80"]
    assert "One model per space cannot rank the spaces" in text
    assert "The paper's one claim could not be tested with 1 model per space" in text
    assert "(\u201cRegNetX is better\u201d)." in text  # the claims, listed
    assert ("Tested as one family of 8, each claim needs p below 0.00625 and so at least 6 "
            "models in both of the spaces it compares") in text  # why, from the test's level
    assert "1 models" not in text
    assert ("Guessing among 10 classes gives 90% error; every model ended at least 20.0 "
            "points below it.") in text  # the weakest model, 70.0% error
    near = prose.chance_sentence([88.0, 40.0, 89.5], 10)
    assert "2 of the 3 models ended within 5 points of it, in effect untrained" in near
    assert prose.chance_sentence([50.0], None) == ""


def test_a_studys_finding_for_the_conclusions_is_short_and_keeps_the_verdict():
    close = prose.study_answer(_study([80.0, 78.75, 81.25]), 160)
    bound = prose.image_noise(160, 80.0, 3)  # the best against the weakest of 3: widened
    assert close == ("No effect of the group width on accuracy showed beyond the noise (a "
                     f"spread of 2.50 points; an effect smaller than {bound:.1f} points would "
                     "mostly go unseen).")
    assert f"{bound:.1f}" == "10.9"
    zigzag = prose.study_answer(_study([50.0, 90.0, 70.0]), 10_000)
    assert "beyond the noise, but not in one direction (best group " \
        "width 16, weakest group width 8)" in zigzag
    undecayed = prose.study_answer(_study([50.0, 90.0, 70.0]), 10_000, peak_end=True)
    assert undecayed == zigzag[:-1] + "; every run ended undecayed, at the peak learning rate."
    for acc, n in (([80.0, 78.75, 81.25], 160), ([50.0, 70.0, 90.0], 10_000)):
        full = prose.runs_observations(_study(acc), n)
        assert len(prose.study_answer(_study(acc), n)) < len(full.split(". ")[0]) + 40


def test_the_paper_network_s_macs_are_set_against_the_course_network_s_stage_by_stage():
    from regnet.arch import model
    course, paper = space.named("200mf"), space.named("regnetx_200mf")
    mine, theirs = (complexity.operator_table(model.build(s)) for s in (course, paper))
    text = prose.paper_macs_sentence(paper, theirs, course, mine)
    assert text.startswith("The paper's RegNetX-200MF counts 199,040,872 MACs at 224 px and "
                           "1000 classes")
    assert "the course's, 179,666,980 at 56 px" in text
    assert "Their stages 2, 3 and 4 work on the same grids and cost the same" in text
    parts = [int(n.replace(",", "")) for n in re.findall(r"\((\d[\d,]*)", text)]
    assert sum(parts) == 199_040_872 - 179_666_980  # the stem, stage 1 and the classifier
    assert "the stem (8,805,888, 32 channels at 112\u00a0×\u00a0112 against 24 at " \
        "56\u00a0×\u00a056)" in text


def test_hits_pack_into_a_short_string_and_back():
    import numpy as np
    hits = np.random.default_rng(0).random(161) < 0.4
    packed = runs.pack_hits(hits)
    assert packed.startswith("161:") and len(packed) < 40
    assert (runs.unpack_hits(packed) == hits).all()
    for bad in ("", "x:AAAA", "161:", "3:@@@@", "80:AAAA"):
        with pytest.raises(ValueError):
            runs.unpack_hits(bad)


def test_crops_of_one_network_are_compared_image_by_image():
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(1)
    base = rng.random(160) < 0.8
    larger = base.copy()
    larger[np.flatnonzero(~base)[:12]] = True  # 12 images the training crop missed
    assert prose.paired_noise(base, base) == 0.0  # the same answers: no noise at all
    d = larger.astype(float) - base
    assert prose.paired_noise(larger, base) == pytest.approx(200 * d.std(ddof=1) / 160 ** 0.5)
    crops = pd.DataFrame({"test crop": [14, 16], "test_acc": [100 * base.mean(),
                                                             100 * larger.mean()],
                          "hits": [runs.pack_hits(base), runs.pack_hits(larger)]})
    text = prose.crop_observations(crops, 14, 16, n_test=160)
    assert "that a paired comparison on the same 160 test images gives" in text
    assert "The bounds below are paired, since every crop evaluates the same weights" in \
        prose.crop_bounds(crops, 160)
    assert "smaller crops scored above it too" not in text
    small = base.copy()
    small[np.flatnonzero(~base)[:2]] = True  # a smaller crop a little above the training one
    three = pd.concat([crops, pd.DataFrame({"test crop": [12], "test_acc": [100 * small.mean()],
                                            "hits": [runs.pack_hits(small)]})])
    assert "though the smaller crops scored above it too (+1.25 points), so part of that lead " \
        "is the training crop's own low score" in prose.crop_observations(three, 14, 16, 160)
    high = base.copy()
    high[np.flatnonzero(~base)[:10]] = True  # the smaller crop nearly as high: 14 px is low
    low = pd.concat([crops, pd.DataFrame({"test crop": [12], "test_acc": [100 * high.mean()],
                                          "hits": [runs.pack_hits(high)]})])
    odd = prose.crop_observations(low, 14, 16, 160)
    assert "The result is inconclusive. Larger crops of the resized image beat the training " \
        "crop beyond the noise, but not the smaller crops (larger crops of the resized image " \
        "+1.25 points against the smaller crops, within the" in odd
    assert "cannot tell a gain from testing at a larger crop apart from a low score at the " \
        "training crop itself" in odd
    assert "helped this network" not in odd
    assert prose.crop_answer(low, 14, 16, 160).endswith(
        "inconclusive: larger crops of the resized image beat the training crop beyond the "
        "noise but not the smaller crops, so the numbers cannot tell a gain from a larger test "
        "crop apart from a low score at the training crop.")  # which crops; reasons above
    gain = 100 * (larger.mean() - base.mean())
    assert gain < prose.image_noise(160, 80.0)  # the unpaired bound would call it noise
    assert f"(beyond the noise, \u00b1{prose.paired_noise(larger, base):.1f})" in text


def test_numbers_typed_as_strings_align_right_with_their_units():
    import pandas as pd
    assert not tables._is_text(pd.Series(["206,568,320", "0.235 G"]))  # report B's typed MACs
    assert not tables._is_text(pd.Series(["1.2M", "12 k"]))
    assert tables._is_text(pd.Series(["report A", "report B"]))
    assert tables._is_text(pd.Series(["3 G groups"]))


def test_a_log_axis_labels_at_least_two_values_of_its_range():
    from regnet.study.analysis import log_subs
    assert log_subs(1.0, 1000.0) == (1,)  # 1, 10, 100, 1000
    assert log_subs(2.0, 50.0) == (1, 3)  # 3, 10, 30
    assert log_subs(150.0, 900.0) == (1, 2, 5)  # 1 and 3 would label 300 alone: 200, 500


def test_series_say_when_the_time_per_epoch_did_not_follow_the_macs():
    import pandas as pd
    df = pd.DataFrame({"network": ["a: g 8, b = 1", "a: g 1, b = 8"], "params": [100, 14],
                       "macs": [1_000_000, 140_000], "epoch_seconds": [0.40, 0.32],
                       "test_acc": [80.0, 81.25], "epochs": [3, 3], "device": ["cpu"] * 2,
                       "cpus": [2] * 2, "load_avg": [(0.5, 1.0)] * 2})
    text = prose.series_observations(df, 160)
    assert "MACs are a poor guide to time at this size: the network with the fewest MACs " \
        "(a: g 1, b = 8) has 86% fewer than the one with the most (a: g 8, b = 1), but took " \
        "20% less time per epoch" in text
    assert "time per epoch fell from 0.40 s to 0.32 s" in text
    follows = df.assign(epoch_seconds=[0.40, 0.08])  # 80% less time: it followed
    assert "poor guide" not in prose.series_observations(follows, 160)


def test_a_time_that_moves_with_the_cost_says_so_once():
    df = _study([80.0, 78.75, 81.25], [(0.1, 0.5)] * 3).assign(epoch_seconds=[1.0, 1.5, 2.0])
    text = prose.runs_observations(df, 160)
    assert ("Group width 24 has 1.61 times the parameters and 1.86 times the MACs per image "
            "of group width 8, the cost growing with each step of the group width.") in text
    assert "The time per epoch rose with the cost, from 1.00 s to 2.00 s." in text
    assert text.count("with each step") == 1 and "from each run to the next" not in text
    fewer = prose.runs_observations(df.iloc[::-1].reset_index(drop=True), 160)
    assert ("Group width 8 has 38% fewer parameters and 46% fewer MACs per image than group "
            "width 24, the cost shrinking with each step of the group width.") in fewer
    mixed = prose.runs_observations(df.assign(params=[1_099_554, 1_000_000, 999_000]), 160)
    assert ("Against group width 8, group width 24 has 9% fewer parameters and 1.86 times the "
            "MACs per image, the cost growing with each step of the group width.") in mixed


def test_a_difference_from_section_2s_run_is_said_again_against_its_seeds_mean():
    df = _schedules(82.5, 96.25, run=["/runs/a", "/runs/b"])
    seeds = (82.5, 85.0, 87.5, 89.38, 89.38)  # section 2's, its run the lowest
    from regnet.study.analysis import t_quantile
    noise = prose.seed_noise(seeds, 160, "/runs/a")
    bound = (prose.seed_bound(seeds) ** 2 + prose.image_noise(160, 89.375) ** 2) ** 0.5  # 13.6
    text = prose.runs_observations(df, noise)
    assert "The longer schedule scored higher, but not clearly. From 3 to 8 epochs the test " \
        "accuracy changed by +13.75 points against section 2's run, only just beyond the " \
        f"noise (\u00b1{bound:.1f} points), but by +9.50 points against the mean of its 5 " \
        "seeds (86.75%), within the noise" in text  # beyond against the first seed only
    # one run against the mean of 5: the seeds' share shrinks from sqrt(2) to sqrt(1 + 1/5)
    # standard deviations, the test images' share is that of the two accuracies
    seeds_share = t_quantile(0.975, 4) * 1.2 ** 0.5 * statistics.stdev(seeds)  # 9.1
    against = (seeds_share ** 2 + prose.image_noise(160, 91.5) ** 2) ** 0.5  # 11.0
    assert f"within the noise (\u00b1{against:.1f} points)" in text
    assert "Against the mean" not in text  # said once, in the answer
    assert "(against the mean of section 2's seeds, +9.50 points, within the noise)" in \
        prose.study_answer(df, noise)
    assert "mean of section 2's" not in prose.runs_observations(df, prose.seed_noise(seeds, 160))
    other = df.assign(run=["/runs/c", "/runs/b"])  # not section 2's run: nothing to add
    assert "mean of section 2's" not in prose.runs_observations(other, noise)
    assert prose.seed_noise([80.0], 160, "/runs/a").base_run is None  # one seed: no mean


@pytest.mark.parametrize("name, size", [("200mf", 17), ("200mf", 56), ("regnetx_200mf", 224)])
def test_the_last_stage_grid_is_the_built_networks(name, size):
    from regnet.arch import complexity, model, space
    from regnet.data.datasets import Shape
    spec = space.named(name).fitted(Shape(size, 10, 3))
    rows = complexity.operator_table(model.build(spec))
    last = [r for r in rows if r.stage == f"s{len(spec.stages)}"][-1]
    assert last.out_shape[1:] == (prose.last_grid(spec, size),) * 2


def test_the_training_section_counts_its_images_and_says_where_the_test_images_come_from():
    from types import SimpleNamespace
    spec = SimpleNamespace(num_classes=10)
    run = SimpleNamespace(spec=spec, train_images=5000, test_images=500)
    tiny = resolve(overrides={"DATASET": "tiny-imagenet", "DATA_DIR": "/nowhere"})
    assert prose.data_counts(run, tiny) == (
        "It trained on 5,000 images, 500 a class, and was tested on 500, 50 a class: "
        "Tiny ImageNet's validation images (its test images have no public labels).")
    odd = SimpleNamespace(spec=spec, train_images=320, test_images=155)
    assert prose.data_counts(odd, profile("quick")) == (
        "It trained on 320 images, 32 a class, and was tested on 155.")
    assert prose.data_counts(SimpleNamespace(spec=spec, train_images=None, test_images=5),
                             profile("quick")) == ""


def _hits(n: int, right: set) -> str:
    """Packed hits of `n` test images, right on those in `right`."""
    return runs.pack_hits([i in right for i in range(n)])


def test_runs_tested_on_the_same_images_are_compared_image_by_image():
    n = 400
    a = _hits(n, set(range(300)))  # 75%
    b = _hits(n, set(range(330)))  # 82.5%: right on every image a got right, and 30 more
    c = _hits(n, set(range(100, 430)))  # 82.5%, but on other images: 100 a got right it missed
    noise = prose.seed_noise([], n, hits={"/a": a, "/b": b, "/c": c, "/none": None})
    assert noise.paired() and "/none" not in noise.hits
    unpaired = prose.image_noise(n, 78.75)  # 5.8 points
    agree = noise.bound(78.75, runs=("/a", "/b"))
    d = (np.array([i < 330 for i in range(n)], float) - np.array([i < 300 for i in range(n)]))
    assert agree == pytest.approx(2 * 100 * d.std(ddof=1) / n ** 0.5)  # 2 standard errors: 2.7
    assert agree < unpaired / 2
    assert noise.bound(78.75, runs=("/a", "/c")) > agree  # disagreeing on 170 images: wider
    assert noise.bound(78.75) == pytest.approx(unpaired)  # no runs named: unpaired
    assert noise.bound(78.75, runs=("/a", "/none")) == pytest.approx(unpaired)  # one kept none
    # 7.5 points: within the unpaired bound would be beyond it, image by image
    assert prose.beyond_noise(7.5, noise, 78.75, runs=("/a", "/b"))[0] is True
    assert prose.beyond_noise(7.5, noise, 78.75, runs=("/a", "/c"))[0] is True
    assert prose.beyond_noise(5.0, 400, 78.75)[0] is False
    # seeds add their share to it as an independent error
    seeded = prose.seed_noise([74.0, 76.0, 78.0], n, "/a", {"/a": a, "/b": b})
    assert seeded.bound(78.75, runs=("/a", "/b")) == pytest.approx(
        (agree ** 2 + prose.seed_bound([74.0, 76.0, 78.0]) ** 2) ** 0.5)


def test_a_study_of_paired_runs_says_a_closer_pair_beyond_its_own_bound():
    n = 400
    hits = {"/w8": _hits(n, set(range(300))),  # 75%
            "/w16": _hits(n, set(range(100, 380))),  # 70%, on other images than /w8
            "/w24": _hits(n, set(range(275)))}  # 68.75%: /w8's images less 25
    df = _study([75.0, 70.0, 68.75]).assign(run=list(hits))
    unpaired = prose.seed_noise([], n)
    text = prose.runs_observations(df, unpaired)
    assert text.startswith("The test accuracy stayed between 68.75% and 75.00%")  # 6.25 < 7.6
    paired = prose.seed_noise([], n, hits=hits)
    text = prose.runs_observations(df, paired)
    # the best and the weakest are apart by exactly the 25 images one lost: beyond image by image
    assert text.startswith("The test accuracy fell from each run to the next, from 75.00% "
                           "to 68.75% (\u22126.25 points), beyond the noise")
    closer = _study([75.0, 70.0, 71.0]).assign(run=list(hits))  # the ends far apart on images
    hits2 = {**hits, "/w16": _hits(n, set(range(100, 380))),
             "/w24": _hits(n, set(range(0, 284)))}  # 71%: /w8's images less 16
    text = prose.runs_observations(closer, prose.seed_noise([], n, hits=hits2))
    assert text.startswith("The best and the weakest run, 75.00% and 70.00%, are 5.00 points "
                           "apart, within the noise")
    assert "Compared image by image, however, group width 8 (75.00%) and group width 24 " \
        "(71.00%) differ by 4.00 points, beyond their own bound" in text
    assert "compared image by image, group width 8 and group width 24 differ beyond the " \
        "noise" in prose.study_answer(closer, prose.seed_noise([], n, hits=hits2))


def test_paired_whiskers_are_half_the_widest_bound_of_any_two_runs():
    n = 400
    hits = {"/a": _hits(n, set(range(300))), "/b": _hits(n, set(range(330))),
            "/c": _hits(n, set(range(100, 430)))}
    noise = prose.seed_noise([], n, hits=hits)
    accs = [75.0, 82.5, 82.5]
    half = figures.bar_whisker(noise, accs, list(hits))
    pairs = [("/a", "/b"), ("/a", "/c"), ("/b", "/c")]
    bounds = [noise.bound((accs[i] + accs[j]) / 2, runs=(x, y))
              for (i, j), (x, y) in zip([(0, 1), (0, 2), (1, 2)], pairs)]
    assert half == pytest.approx(max(bounds) / 2)
    for (i, j), (x, y) in zip([(0, 1), (0, 2), (1, 2)], pairs):  # no overlap: beyond
        for gap in (2 * half + 0.01, 2 * half + 5):
            assert prose.beyond_noise(gap, noise, (accs[i] + accs[j]) / 2, runs=(x, y))[0]
    assert figures.bar_whisker(noise, accs) == pytest.approx(prose.image_noise(n, 75.0) / 2)


def test_a_run_is_compared_with_the_seeds_mean_image_by_image(tmp_path):
    from regnet.study.analysis import t_quantile
    n = 200
    seeds = {f"/s{k}": _hits(n, set(range(150 + 5 * k))) for k in range(3)}  # 75, 77.5, 80
    run = _hits(n, set(range(180)))  # 90%
    noise = prose.seed_noise([75.0, 77.5, 80.0], n, "/s0", {**seeds, "/r": run}, list(seeds))
    unpacked = [runs.unpack_hits(h) for h in seeds.values()]
    # v_seeds: the paired variance of two seeds, the mean over the 3 pairs
    between = np.mean([prose._paired_variance(a, b) for i, a in enumerate(unpacked)
                       for b in unpacked[i + 1:]])
    assert noise.seeds_disagree() == pytest.approx(between)
    mine = prose._paired_variance(runs.unpack_hits(run), np.mean(unpacked, axis=0))
    spread = (2.5 ** 2 - between / 2) * (1 + 1 / 3)  # the training's own, one run against 3
    # Satterthwaite: s^2 (1 + 1/n) from 3 seeds (2 d.o.f.), the images' terms from 200 images
    free = (spread + mine) ** 2 / ((2.5 ** 2 * 4 / 3) ** 2 / 2 + (between / 2 * 4 / 3) ** 2 / 199
                                   + mine ** 2 / 199)
    assert 2 < free < 10  # more than the seeds' alone: the images' share is measured closely
    assert noise.against_seeds(83.75, "/r") == pytest.approx(
        t_quantile(0.975, free) * (spread + mine) ** 0.5)
    images = prose.image_noise(n, 83.75)  # no hits of its own: both shares added, unpaired
    assert noise.against_seeds(83.75) == pytest.approx(
        (images ** 2 + (t_quantile(0.975, 2) * (1 + 1 / 3) ** 0.5 * 2.5) ** 2) ** 0.5)


def test_each_study_run_says_which_test_images_its_final_weights_got_right(
        tmp_path, monkeypatch, evaluated_crops):
    monkeypatch.setenv("REGNET_RUNS", str(tmp_path / "runs"))
    values = resolve(overrides={**TINY, "PROFILE": "quick"})
    exp = experiments.Experiment(name="two", title="Two runs", description="", vary="seed",
                                 runs={"a": {"SEED": 0}, "b": {"SEED": 1}})
    quiet = lambda line: None  # noqa: E731
    df = experiments.run_experiment(values, exp, log=quiet)
    assert evaluated_crops == [[14], [14]]  # each run once, at the crop it was tested at
    for acc, packed, run in zip(df["test_acc"], df["hits"], df["run"]):
        hits = runs.unpack_hits(packed)
        assert hits.size == 32 and runs.half_up(100 * hits.mean()) == acc
        assert (Path(run) / experiments.CROPS).is_file()  # kept beside the run
    again = experiments.run_experiment(values, exp, log=quiet)
    assert evaluated_crops == [[14], [14]] and list(again["hits"]) == list(df["hits"])
    (Path(df["run"][0]) / experiments.CROPS).write_text("{torn")  # rebuilt, never trusted
    assert list(experiments.run_experiment(values, exp, log=quiet)["hits"]) == list(df["hits"])
    assert evaluated_crops[-1] == [14]
    unsaved = experiments.run_experiment(values.replace(FILE_SAVE=False, DATA_NUM_CLASSES=3),
                                         exp, log=quiet)
    assert list(unsaved["hits"]) == [None, None]  # no weights kept: nothing to pair
    seeds = experiments.seed_hits(values.replace(SEEDS=2), log=quiet)  # section 2's: seeds 0, 1
    assert list(seeds.values()) == list(df["hits"])


def test_two_series_are_set_side_by_side_at_equal_bottleneck_ratio():
    import pandas as pd

    def net(**model):
        return space.named("custom", resolve(overrides={
            "MODEL_BLOCKS": [1, 1, 4, 7], "MODEL_CHANNELS": [24, 56, 152, 368], **model}).model)
    specs = [net(MODEL_GROUPS=8, MODEL_BOTTLENECK=1), net(MODEL_GROUPS=4, MODEL_BOTTLENECK=2),
             net(MODEL_GROUP_WIDTH=8, MODEL_BOTTLENECK=1),
             net(MODEL_GROUP_WIDTH=4, MODEL_BOTTLENECK=2)]
    df = pd.DataFrame({"network": ["report B: 8 groups, b = 1", "report B: 4 groups, b = 2",
                                   "group width: g = 8, b = 1", "group width: g = 4, b = 2"],
                       "spec": specs, "params": [3_000, 1_500, 2_000, 1_000],
                       "macs": [30, 15, 20, 10], "epoch_seconds": [1.0] * 4,
                       "test_acc": [80.0, 70.0, 75.0, 72.5], "epochs": [3] * 4,
                       "device": ["cpu"] * 4, "cpus": [2] * 4, "load_avg": [(5.0, 9.0)] * 4})
    text = prose.series_observations(df, noise=400)
    bound = prose.image_noise(400, 77.5, 2)  # the larger of 2 gaps, at b = 1
    assert ("Set side by side at equal b, the report B networks had 1.50 times the parameters "
            "of the group width ones and scored from \u22122.50 to +5.00 points against them; "
            f"the largest gap, +5.00 points at b = 1, is within the noise (\u00b1{bound:.1f} "
            "points for the largest of 2 differences): these runs cannot say which reading "
            "of the groups trains better, and at equal b the two also differ in size, so a gap "
            "is not the reading's alone.") in text
    tied = prose.series_observations(df.assign(test_acc=[80.0, 70.0, 75.0, 65.0]), 400)
    assert "the largest gap, +5.00 points at b = 1 (as large at b = 2), is within" in tied
    wide = prose.series_observations(df.assign(test_acc=[95.0, 70.0, 75.0, 72.5]), 10_000)
    assert "the clearest gap, +20.00 points at b = 1, is beyond the noise" in wide
    assert wide.endswith(", though at equal b the two also differ in size, so a gap is not the "
                         "reading's alone.")
    assert "side by side" not in prose.series_observations(df.iloc[[0, 1, 3]], 400)  # one run
    assert "same order" not in text  # two values of b: no order worth naming
    three = pd.DataFrame({
        "network": ["report B: 8 groups, b = 1", "report B: 4 groups, b = 2",
                    "report B: 2 groups, b = 4", "group width: g = 8, b = 1",
                    "group width: g = 4, b = 2", "group width: g = 2, b = 4"],
        "spec": specs[:2] + [net(MODEL_GROUPS=2, MODEL_BOTTLENECK=4)] + specs[2:]
        + [net(MODEL_GROUP_WIDTH=2, MODEL_BOTTLENECK=4)],
        "params": [3_000, 1_500, 800, 2_000, 1_000, 500], "macs": [30, 15, 8, 20, 10, 5],
        "epoch_seconds": [1.0] * 6, "test_acc": [80.0, 70.0, 85.0, 75.0, 72.5, 77.5],
        "epochs": [3] * 6, "device": ["cpu"] * 6, "cpus": [2] * 6, "load_avg": [(5.0, 9.0)] * 6})
    assert "Both series rank their 3 values of b in the same order by test accuracy (b = 2 " \
        "lowest, b = 4 highest): a pattern noticed after the fact" in \
        prose.series_observations(three, 400)
    swapped = three.assign(test_acc=[80.0, 70.0, 85.0, 75.0, 77.5, 72.5])
    assert "same order" not in prose.series_observations(swapped, 400)


def test_the_seeds_spread_gives_up_the_images_two_seeds_disagree_on_for_the_pairs_own():
    from regnet.study.analysis import t_quantile
    n = 400
    seeds = {"/s0": _hits(n, set(range(300))), "/s1": _hits(n, set(range(10, 312))),
             "/s2": _hits(n, set(range(20, 324)))}  # 75.0, 75.5, 76.0: disagree on 20-40 images
    accs = [75.0, 75.5, 76.0]
    other = _hits(n, set(range(60, 380)))  # 80%: disagrees with /s0 on 140 images
    noise = prose.seed_noise(accs, n, "/s0", {**seeds, "/o": other}, list(seeds))
    between = noise.seeds_disagree()
    pair = prose._paired_variance(runs.unpack_hits(seeds["/s0"]), runs.unpack_hits(other))
    spread = 2 * statistics.variance(accs) - between
    assert spread < 0 < between < pair  # the seeds differ by less than they disagree on images
    free = (spread + pair) ** 2 / ((2 * statistics.variance(accs)) ** 2 / 2
                                   + (between ** 2 + pair ** 2) / 399)  # Satterthwaite's
    assert noise.bound(77.5, runs=("/s0", "/o")) == pytest.approx(
        t_quantile(0.975, free) * (spread + pair) ** 0.5)
    assert noise.bound(77.5, 3, ("/s0", "/o")) == pytest.approx(
        t_quantile(1 - 0.025 / 3, free) * (spread + pair) ** 0.5)  # widened
    wide = [70.0, 75.0, 80.0]  # 2s^2 = 50: a training share, measured by 3 seeds
    loose = prose.seed_noise(wide, n, "/s0", {**seeds, "/o": other}, list(seeds))
    free = (50 - between + pair) ** 2 / (50 ** 2 / 2 + (between ** 2 + pair ** 2) / 399)
    assert 2 < free and prose.satterthwaite(50, between, pair, 3, n) == pytest.approx(free)
    assert loose.bound(77.5, runs=("/s0", "/o")) == pytest.approx(
        t_quantile(0.975, free) * (50 - between + pair) ** 0.5)
    # two seeds disagree on fewer images than the seeds do on average: the seeds' own bound
    close = prose._paired_variance(*(runs.unpack_hits(seeds[k]) for k in ("/s0", "/s1")))
    assert close <= between
    assert loose.bound(77.5, runs=("/s0", "/s1")) == pytest.approx(prose.seed_bound(wide))
    assert loose.bound(77.5, 3, ("/s0", "/s1")) == pytest.approx(prose.seed_bound(wide, 3))
    # without hits: both shares added, an overstatement
    bare = prose.seed_noise(accs, n, "/s0")
    assert bare.bound(77.5) == pytest.approx(
        (prose.seed_bound(accs) ** 2 + prose.image_noise(n, 77.5) ** 2) ** 0.5)
    said = " ".join(prose.weighing_setup(profile("quick"), accs, n, between=between))
    twice = 2 * statistics.variance(accs)  # 0.5: less than the images two seeds disagree on
    assert (f"a difference between two seeds has a variance of 2s\u00b2 = {twice:.1f} "
            f"points\u00b2.") in said
    assert (f"is v_seeds = {between:.1f} points\u00b2, {between / twice:.0%} of 2s\u00b2. The "
            "seeds differ by no more than their disagreement on the images, which leaves the "
            "training no share of its own that they can see.") in said
    paragraphs = prose.weighing_setup(profile("quick"), wide, n, between=between)
    assert paragraphs[2] == r"$$\pm\, t_{\nu}\,\sqrt{2s^2 - v_{\mathrm{seeds}} + v}$$"
    assert f"is v_seeds = {between:.1f} points\u00b2, {between / 50:.0%} of 2s\u00b2. The " \
        f"remaining {50 - between:.1f} points\u00b2 is the training's own share." in paragraphs[1]
    nu = prose.satterthwaite(50, between, 2 * between, 3, n)  # the example: twice v_seeds
    t = t_quantile(0.975, nu)
    assert (f"For example, a pair with v = {2 * between:.1f} points\u00b2, twice v_seeds, has "
            f"\u03bd = {nu:.1f} and a bound of {t:.2f} \u00d7 \u221a{50 + between:.1f} = "
            f"\u00b1{t * (50 + between) ** 0.5:.1f} points. Two runs that disagree on no more "
            "images than two seeds do are held to the seeds' own bound, "
            f"\u00b1{prose.seed_bound(wide):.1f} points") in paragraphs[3]
    assert "independent errors" not in said
    assert "which overstates it a little" in prose.weighing_setup(profile("quick"), accs, n)[0]


def test_the_crop_study_asks_section_2s_other_seeds_whether_one_seeds_crop_decides():
    import pandas as pd
    from regnet.study.analysis import t_quantile

    def seed(accs):
        return pd.DataFrame({"test crop": [12, 13, 14, 15, 16, 17, 18], "test_acc": accs})
    low = seed([86.0, 86.0, 82.0, 87.0, 87.0, 88.0, 88.0])  # the study's: low at 14 px
    others = [seed([86.0, 86.0, 87.0, 87.0, 86.0, 86.0, 87.0]),
              seed([85.0, 86.0, 86.0, 86.0, 87.0, 86.0, 85.0])]
    said = prose.crop_seeds_sentence([low, *others], 14, 16)
    assert said.startswith(" Section 2's 3 seeds, each evaluated the same way, score 85.00% on "
                           "average at the training crop (the first, this study's network, "
                           "82.00%).")
    upscaled = [88.0 - 82.0, 86.5 - 87.0, 85.5 - 86.0]  # each seed's 17-18 px against 14 px
    half = t_quantile(1 - 0.025 / 3, 2) * statistics.stdev(upscaled) / 3 ** 0.5  # 3 groups
    assert f"upscaled crops +{statistics.fmean(upscaled):.2f} \u00b1 {half:.2f} points" in said
    assert said.endswith("so across the seeds no group of crops is clear of the training "
                         "crop.")  # the lead was the first seed's low training crop
    steady = [seed([80.0, 81.0, 84.0, 86.0, 86.0, 88.0, 88.0]),
              seed([80.5, 81.0, 84.5, 86.5, 86.0, 88.5, 88.0]),
              seed([80.0, 81.5, 84.0, 86.0, 86.5, 88.0, 88.5])]
    assert "the smaller crops score below it, the larger crops of the resized image score " \
        "above it and the upscaled crops score above it." in \
        prose.crop_seeds_sentence(steady, 14, 16)
    assert prose.crop_seeds_sentence([low], 14, 16) == ""  # one seed: nothing to add
    assert prose.crop_seeds_sentence([low, *others], 14, 16, short=True) == (
        " Across section 2's 3 seeds, no group of crops is clear of the training crop.")
    assert prose.crop_seeds_sentence(steady, 14, 16, short=True) == (
        " Across section 2's 3 seeds, the smaller crops score below the training crop, the "
        "larger crops of the resized image score above it and the upscaled crops score above "
        "it.")


def test_a_series_that_starts_from_section_2s_run_is_also_set_against_its_seeds_mean():
    import pandas as pd
    df = pd.DataFrame({"network": ["b: 8 groups", "b: 1 group", "g: g = 8", "g: g = 1"],
                       "params": [3000, 500, 2000, 300], "macs": [30, 5, 20, 3],
                       "epoch_seconds": [1.0] * 4, "test_acc": [81.88, 88.13, 82.5, 87.5],
                       "run": ["/x", "/y", "/a", "/z"], "device": ["cpu"] * 4,
                       "cpus": [2] * 4, "load_avg": [(5.0, 9.0)] * 4})
    seeds = (82.5, 85.0, 87.5, 89.38, 89.38)
    noise = prose.seed_noise(seeds, 160, "/a")  # /a: section 2's run, the g series' first
    text = prose.series_observations(df, noise)
    bound = noise.against_seeds((87.5 + 86.75) / 2, "/z")
    assert text.endswith("The g runs start from section 2's run; against the mean of its 5 "
                         "seeds (86.75%), their other network (g = 1) changed by +0.75 points, "
                         f"within the noise (\u00b1{bound:.1f} points).")
    three = pd.concat([df, df.iloc[[3]].assign(network="g: g = 2", test_acc=80.0, run="/w")],
                      ignore_index=True)  # g = 8, g = 1, g = 2: two later networks
    said = prose.series_observations(three, noise)
    widened = noise.against_seeds((80.0 + 86.75) / 2, "/w", 2)  # the largest of 2
    assert said.endswith("their later networks changed by +0.75 (g = 1) and \u22126.75 points "
                         f"(g = 2), the largest within the noise (\u00b1{widened:.1f} points for "
                         "the largest of 2 differences).")
    assert "start from section 2's run" not in prose.series_observations(
        df, prose.seed_noise(seeds, 160, "/elsewhere"))


def test_the_schedules_study_sets_the_longer_runs_at_the_short_ones_last_epoch_beside_it():
    import pandas as pd

    def hist(accs, lrs):
        return [{"epoch": i + 1, "test_acc": a, "train_acc": a, "test_loss": 1.0, "lr": lr}
                for i, (a, lr) in enumerate(zip(accs, lrs))]
    df = pd.DataFrame({"epochs": [3, 5, 8], "params": [1] * 3, "macs": [1] * 3,
                       "epoch_seconds": [1.0] * 3, "test_acc": [35.8, 41.2, 44.2],
                       "train_loss": [1.9, 1.7, 1.5], "device": ["cpu"] * 3, "cpus": [2] * 3,
                       "load_avg": [(5.0, 9.0)] * 3,
                       "history": [hist([25, 31, 35.8], [0.05, 0.1, 0.001]),
                                   hist([25, 31, 40, 41, 41.2], [0.05, 0.1, 0.087, 0.05, 0.001]),
                                   hist([25, 31, 38, 40, 41, 42, 43, 44.2],
                                        [0.05, 0.1, 0.097, 0.09, 0.07, 0.04, 0.01, 0.001])]})
    text = prose.runs_observations(df, 500)
    assert ("At epoch 3, where the 3-epoch run ended at 35.80%, the 5-epoch and 8-epoch runs, "
            "still at rates of 0.087 and 0.097, had 40.00% and 38.00% (not weighed against the "
            "noise): so part of the longer schedules' lead may come from the short one's abrupt "
            "end rather than from their extra epochs.") in text
    assert "The runs share their seed and their first 2 epochs, with identical numbers until " \
        "their schedules part: one run branching there, not independent runs; the test " \
        "images' bound holds for them as for any two runs compared on the same images." in text
    seeded = prose.runs_observations(df, prose.seed_noise([35.0, 36.0, 37.0], 500))
    assert "so the noise, which holds the seeds' spread made for independent runs, is if " \
        "anything too wide for their difference." in seeded  # a bound with the seeds' share
    apart = df.assign(history=[hist([24, 31, 35.8], [0.05, 0.1, 0.001]), *df["history"][1:]])
    assert "share their seed" not in prose.runs_observations(apart, 500)  # epoch 1 differs
    lower = df.assign(history=[df["history"][0], hist([25, 31, 33, 41, 41.2], [0.05, 0.1, 0.087,
                                                                               0.05, 0.001]),
                               hist([25, 31, 34, 40, 41, 42, 43, 44.2],
                                    [0.05, 0.1, 0.097, 0.09, 0.07, 0.04, 0.01, 0.001])])
    assert "so by that epoch its abrupt end had not put it behind them." in \
        prose.runs_observations(lower, 500)


def test_a_study_gives_its_planned_first_against_last_comparison_its_own_bound():
    import pandas as pd
    df = pd.DataFrame({"group width": [1, 2, 4, 8], "params": [1, 2, 3, 4], "macs": [1, 2, 3, 4],
                       "epoch_seconds": [1.0] * 4, "test_acc": [70.0, 72.0, 66.0, 68.0],
                       "epochs": [2] * 4, "device": ["cpu"] * 4, "cpus": [2] * 4,
                       "load_avg": [(5.0, 9.0)] * 4})
    text = prose.runs_observations(df, 400)
    bound = prose.image_noise(400, 69.0)  # one difference, chosen beforehand: not widened
    assert (" The planned comparison, group width 1 against group width 8, is \u22122.00 points "
            f"(70.00% to 68.00%), within the noise (\u00b1{bound:.1f} points).") in text
    assert "do not show an effect of the group width" in text
    apart = prose.runs_observations(df, 100_000)  # on so many images, 2 points is beyond
    assert "beyond the noise" in apart and "The planned comparison" in apart
    ends = df.assign(test_acc=[74.0, 70.0, 76.0, 67.5])
    # 76.0 against 67.5 is within the bound widened for 6 pairs; 74.0 against 67.5, chosen
    # beforehand, is beyond its own
    assert 8.5 < prose.image_noise(400, 71.75, 6) and 6.5 > prose.image_noise(400, 70.75)
    text = prose.runs_observations(ends, 400)
    assert ". The planned comparison, group width 1 against group width 8, is \u22126.50 " \
        "points (74.00% to 67.50%), only just beyond the noise (\u00b16.4 points). The runs " \
        "between them do not follow the group width in one direction, though." in text
    assert prose.study_answer(ends, 400).startswith(
        "From group width 1 to group width 8, the planned comparison, the accuracy changed by "
        "\u22126.50 points, beyond the noise")


def test_a_study_checks_its_runs_spread_against_the_seeds_with_an_f_test():
    from regnet.study import analysis
    for free in (1, 4, 30):  # F on 1 and d degrees of freedom is Student's t squared
        t = analysis.t_quantile(0.975, free)
        assert analysis.f_tail(t * t, 1, free) == pytest.approx(0.05, abs=1e-9)
    assert analysis.f_tail(1.0, 4, 4) == pytest.approx(0.5)  # equal degrees: median 1
    assert analysis.f_tail(0.0, 3, 4) == 1.0
    seeds = [82.5, 85.0, 87.5, 89.38, 89.38]
    noise = prose.seed_noise(seeds, 160)
    wide = _study([75.0, 62.5, 55.0])  # a spread far beyond the seeds' 2.98
    said = prose.spread_sentence(wide, noise)
    ratio = statistics.variance([75.0, 62.5, 55.0]) / statistics.variance(seeds)
    p = analysis.f_tail(ratio, 2, 4)
    assert p < 0.05 and said == (
        "Taken together, the 3 runs spread more than section 2's 5 seeds do: a standard "
        f"deviation of {statistics.stdev([75.0, 62.5, 55.0]):.2f} points against the seeds' "
        f"2.98 (F = {ratio:.2f} on 2 and 4 degrees of freedom, p = {p:.3f}). Either some of "
        "the settings differ in accuracy, or these networks and schedules spread more than "
        "section 2's seeds, which every bound above assumes they do not; one run per setting "
        "cannot tell which.")
    assert prose.study_answer(wide, noise).endswith(
        " But its runs spread more than section 2's seeds, so its bounds, which assume they do "
        "not, may be too narrow.")  # the conclusions keep the caveat
    calm = _study([84.0, 86.0, 88.0])
    assert "may be too narrow" not in prose.study_answer(calm, noise)
    assert "spread no more than section 2's 5 seeds would alone: a standard deviation of " \
        "2.00 points" in prose.spread_sentence(calm, noise)
    assert prose.spread_sentence(calm, 160) == ""  # no seeds: nothing to check against
    assert prose.spread_sentence(calm.iloc[:2], noise) == ""  # two runs: one difference
    branch = [{"epoch": 1, "train_loss": 2.0, "train_acc": 30.0, "test_loss": 2.1,
               "test_acc": 28.0}]
    shared = wide.assign(history=[branch, branch, branch])  # one run branching
    assert prose.spread_sentence(shared, noise) == ""


def test_the_next_step_says_what_more_seeds_per_setting_would_resolve():
    quick = profile("quick")
    accs = [80.0, 82.0, 84.0]
    said = prose.next_step(accs, quick)
    bound = prose.seed_bound(accs)
    assert (f"two runs that differ only in their seed end within \u00b1{bound:.1f} points of "
            "each other. Training each setting with 4 seeds and comparing their means would cut "
            f"that to about \u00b1{bound / 2:.1f} points, so that differences between "
            f"{bound / 2:.1f} and {bound:.1f} points, which these runs leave open, could be told "
            "apart.") in said
    assert "speak about RegNet itself" in said  # synthetic: the course's data is the next step
    assert "speak about" not in prose.next_step(accs, quick.replace(DATASET="tiny-imagenet"))
    assert "with one seed" in prose.next_step([80.0], quick)


def test_the_crop_study_says_where_touvrons_apparent_size_puts_the_best_crop():
    import pandas as pd
    quick = resolve([ROOT / "params" / "quick.yaml"])
    crop, low = 14, quick.data.scale_min  # random resized crops of 0.35 to 1 of the area
    # the mean of 1/sqrt(s) for s uniform on [low, 1], by a fine Riemann sum
    grid = np.linspace(low, 1, 200_001)
    mean = float(np.mean(1 / np.sqrt(grid)))
    assert prose.apparent_size(quick) == pytest.approx(crop * mean, rel=1e-4)  # 17.6 px
    df = pd.DataFrame({"test crop": [14, 17, 18], "test_acc": [82.5, 92.5, 87.5]})
    said = prose.apparent_size_sentence(quick, df)
    assert f"the whole image shows them that large at {crop * mean:.1f} px. The best crop " \
        f"here, 17 px, is {abs(17 - crop * mean):.1f} px from it, as the argument " \
        "predicts." in said
    far = prose.apparent_size_sentence(quick, df.assign(test_acc=[92.5, 82.5, 87.5]))
    assert "The best crop here, 14 px, is 3.6 px from it, so these numbers do not bear the " \
        "prediction out." in far
    padded = quick.replace(DATA_AUGMENT="pad-crop")
    assert prose.apparent_size(padded) is None and prose.apparent_size_sentence(padded, df) == ""
