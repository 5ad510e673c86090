"""The seed reports reproduced: the networks they describe, their totals, and extra E."""
import re

import pytest

from regnet.arch import complexity, space
from regnet.params import ParamError, resolve
from regnet.report import seeds
from regnet.study import experiments


def _seed(name):
    return next(s for s in seeds.SEEDS if s.name == name)


def test_seed_001_built_8_groups_per_3x3_conv_and_typed_that_network_1152_params_short():
    seed = _seed("report B")
    spec, rows = seeds.seed_network(seed)
    assert [s.groups for s in spec.stages] == [8, 8, 8, 8]
    assert [s.group_width for s in spec.stages] == [3, 7, 19, 46]
    assert complexity.totals(rows)["params"] == 3_291_052
    assert complexity.totals(rows)["macs"] == 230_851_204  # incl. the fc bias
    # its rule (three norms in each downsampling block, which has four) gives its total
    assert seeds.count_totals(seed, rows)["params"] == 3_289_900 == seed.params
    diff = seeds.explain(seed, rows)
    left_out = diff.iloc[:-1]
    assert list(left_out["where"]) == ["stage 2, block 1", "stage 3, block 1",
                                       "stage 4, block 1"]
    assert list(left_out["params difference"]) == [-112, -304, -736]
    assert diff.iloc[-1]["params difference"] == -1_152


def test_seed_000_counted_convs_only_each_stage_as_its_first_block():
    seed = _seed("report A")
    spec, rows = seeds.seed_network(seed)
    assert [s.group_width for s in spec.stages] == [8, 8, 8, 8]
    assert [s.groups for s in spec.stages] == [3, 7, 19, 46]
    assert complexity.totals(rows)["params"] == 2_351_452
    assert seeds.count_totals(seed, rows) == {"params": 1_707_272, "macs": 206_568_320}
    diff = seeds.explain(seed, rows).iloc[:-1]
    # counted differently only where a stage has more than one block: s3 and s4's first conv
    counted = diff[diff["report's params"] != 0]
    assert list(zip(counted["where"], counted["operator"])) == [("stage 3", "1×1 in"),
                                                                 ("stage 4", "1×1 in")]
    assert "block" not in diff.columns  # it counted stage by stage
    left_out = set(diff.loc[diff["report's params"] == 0, "operator"])
    assert {"projection", "projection norm", "classifier", "stem norm"} <= left_out


def test_seed_paragraphs_state_only_generated_numbers_and_the_seeds_totals():
    for seed in seeds.SEEDS:
        spec, rows = seeds.seed_network(seed)
        text = seeds.paragraph(seed, spec, rows)
        assert f"{complexity.totals(rows)['params']:,}" in text
        assert "the report's typed total exactly" in text
        assert not re.search(r"\bs\d\b|\bb\d\b|\.b\d", text), text  # places in words
    assert "mixes up" not in " ".join(seeds.paragraph(s, *seeds.seed_network(s))
                                      for s in seeds.SEEDS)


def test_model_groups_sets_the_groups_of_every_3x3_conv_of_the_custom_network():
    values = resolve(overrides={"REGNETX": "custom", "MODEL_GROUPS": 4,
                                "MODEL_BOTTLENECK": 2})
    spec = space.named("custom", values.model)
    assert [s.groups for s in spec.stages] == [4, 4, 4, 4]
    assert [s.inner_width for s in spec.stages] == [12, 28, 76, 184]
    with pytest.raises(ParamError, match="MODEL_GROUPS=5 does not divide stage 1's inner "
                                         "width 24"):
        space.named("custom", resolve(overrides={"MODEL_GROUPS": 5}).model)
    # 0 (the default) keeps MODEL_GROUP_WIDTH
    assert space.named("custom", resolve().model).stages[0].group_width == 8


def _bottleneck_params(profile):
    values = resolve(overrides={"PROFILE": profile})
    exp = experiments.load("bottleneck", profile)
    out = {}
    for label in exp.runs:
        v = experiments.run_values(values, exp, label)
        out[label] = complexity.closed_form(space.named(v["REGNETX"], v.model))["params"]
    return out


def test_extra_e_runs_seed_001_as_it_ran_and_the_papers_reading_beside_it():
    params = _bottleneck_params("course")
    seed = [p for label, p in params.items() if label.startswith("report B")]
    paper = [p for label, p in params.items() if label.startswith("group width")]
    assert seed == [3_291_052, 1_701_060, 906_064, 508_566]
    assert paper == [2_351_452, 1_172_508, 627_100, 365_412]
    assert _bottleneck_params("quick") == params  # the same networks in every profile


def test_what_a_seed_left_out_is_stated_as_a_sum_not_as_one_operators_count():
    seed = _seed("report A")
    spec, rows = seeds.seed_network(seed)
    diff = seeds.explain(seed, rows).iloc[:-1]
    missing = diff[diff["report's params"] == 0]
    text = seeds.paragraph(seed, spec, rows)
    assert f"Left out, {-missing['params difference'].sum():,} parameters and " in text
    assert f"{-missing['MACs difference'].sum():,} MACs in all: " in text
    assert "(123,476 params)" not in text


SEED_TEXTS = {"report A": "000_4eb09c074a1cdb05.txt", "report B": "001_6c6c0fcc6b5fbcb9.txt"}


def test_what_a_study_cites_of_the_earlier_reports_is_what_they_typed():
    """A study's question quotes the earlier reports' findings: every accuracy and count it
    quotes is in the text of the report it names, as that report typed it."""
    from pathlib import Path
    folder = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
    if not folder.is_dir():
        pytest.skip("the seed reports are not beside this checkout")
    texts = {name: (folder / file).read_text() for name, file in SEED_TEXTS.items()}
    cited = 0
    for name in experiments.names():
        description = experiments.load(name, "course").description
        named = set(re.findall(r"[Rr]eport ([AB])\b", description))
        for number in re.findall(r"\d+\.\d+%|\d{1,3}(?:,\d{3})+", description):
            assert len(named) == 1, (name, number)  # whose number it is
            assert number.rstrip("%") in texts[f"report {min(named)}"], (name, number)
            cited += 1
    assert cited >= 10
