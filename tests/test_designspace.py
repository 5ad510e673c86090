"""Design-space samplers, space sizes, error EDFs and the claims table."""
import math

import numpy as np
import pandas as pd
import pytest

from regnet.arch import designspace as ds
from regnet.study.analysis import (claims_table, edf, edf_area, plot_edfs, plot_params, summary,
                                   t_quantile, CLAIM_LEVEL)
from regnet.arch.complexity import closed_form
from regnet.params import ParamError

N = 8  # models per space: enough to see every constraint, fast enough for the suite


@pytest.fixture(scope="module")
def samples():
    return {space: ds.sample(space, N, seed=0) for space in ds.SPACES}


def test_every_sample_lies_in_the_compute_regime(samples):
    regime = ds.Regime()
    for space, group in samples.items():
        for s in group:
            macs = closed_form(s.spec)["macs"]
            assert regime.macs_min <= macs <= regime.macs_max, (space, s.index, macs)
            assert s.complexity["macs"] == macs
            assert (s.spec.input_size, s.spec.num_classes) == (56, 100)
            assert [st.stride for st in s.spec.stages] == [1, 2, 2, 2]
            assert (s.spec.stem_width, s.spec.stem_stride) == (24, 1)


def test_a_narrower_regime_is_respected():
    regime = ds.Regime(macs_min=300e6, macs_max=320e6)
    for s in ds.sample("anynetx_c", 3, regime=regime):
        assert 300e6 <= s.complexity["macs"] <= 320e6


def test_anynet_draws_stay_in_the_papers_ranges(samples):
    for space in ("anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e"):
        for s in samples[space]:
            c = s.config
            assert len(c["d"]) == len(c["w"]) == len(c["b"]) == len(c["g"]) == 4
            assert all(1 <= d <= 16 for d in c["d"])
            assert all(8 <= w <= 1024 and w % 8 == 0 for w in c["w"])
            assert set(c["b"]) <= {1, 2, 4}
            assert set(c["g"]) <= {1, 2, 4, 8, 16, 32}
            for st in s.spec.stages:  # built widths keep the paper's grid too
                assert st.width <= 1024 and st.width % 8 == 0
                assert st.inner_width % st.group_width == 0


def test_anynetx_a_draws_each_stage_on_its_own(samples):
    configs = [s.config for s in samples["anynetx_a"]]
    assert any(len(set(c["b"])) > 1 for c in configs)
    assert any(len(set(c["g"])) > 1 for c in configs)


def test_b_shares_the_bottleneck_and_c_the_group_width_too(samples):
    for s in samples["anynetx_b"]:
        assert len(set(s.config["b"])) == 1
        assert len({st.bottleneck for st in s.spec.stages}) == 1
    assert any(len(set(s.config["g"])) > 1 for s in samples["anynetx_b"])
    for space in ("anynetx_c", "anynetx_d", "anynetx_e"):
        for s in samples[space]:
            assert len(set(s.config["b"])) == 1 and len(set(s.config["g"])) == 1
            g = s.config["g"][0]
            # the shared g, shrunk only where a stage is narrower than g
            assert [st.group_width for st in s.spec.stages] == \
                [min(g, st.inner_width) for st in s.spec.stages]


def test_d_widths_and_e_widths_and_depths_never_decrease(samples):
    def up(xs):
        return all(a <= b for a, b in zip(xs, xs[1:]))
    for s in samples["anynetx_d"] + samples["anynetx_e"]:
        assert up(s.config["w"]) and up(s.spec.widths)
    for s in samples["anynetx_e"]:
        assert up(s.config["d"]) and up(s.spec.depths)
    assert not all(up(s.config["w"]) for s in samples["anynetx_c"])
    assert not all(up(s.config["d"]) for s in samples["anynetx_d"])


def test_regnetx_draws_stay_in_range_and_make_four_stages(samples):
    for s in samples["regnetx"]:
        c = s.config
        assert 12 <= c["d"] <= 28
        assert 8 <= c["w0"] <= 256 and c["w0"] % 8 == 0
        assert 8 <= c["wa"] <= 256 and math.isclose(c["wa"] * 10, round(c["wa"] * 10))
        assert 1.5 <= c["wm"] <= 3.0
        assert c["g"] in (1, 2, 4, 8, 16, 32) and c["b"] == 1
        assert len(s.spec.stages) == 4 and sum(s.spec.depths) == c["d"]
        assert s.spec.stages == ds.regnet_spec(c).stages


def test_same_seed_gives_the_same_samples_and_another_seed_others():
    first = ds.sample("anynetx_a", 4, seed=3)
    again = ds.sample("anynetx_a", 4, seed=3)
    other = ds.sample("anynetx_a", 4, seed=4)
    assert [s.config for s in first] == [s.config for s in again]
    assert [s.spec for s in first] == [s.spec for s in again]
    assert [s.config for s in first] != [s.config for s in other]


def test_sample_i_does_not_depend_on_how_many_are_drawn():
    many = ds.sample("regnetx", 5, seed=1)
    tail = ds.sample("regnetx", 2, seed=1, start=3)
    assert [s.config for s in many[3:]] == [s.config for s in tail]
    assert [s.index for s in tail] == [3, 4]


def test_spaces_draw_different_models_from_one_seed():
    c = ds.sample("anynetx_c", 3)
    d = ds.sample("anynetx_d", 3)
    assert [s.config for s in c] != [s.config for s in d]


def test_an_unreachable_regime_is_a_clear_error():
    with pytest.raises(ParamError, match=r"anynetx_a: no model in 20 draws.*SWEEP_MACS"):
        ds.sample_one("anynetx_a", 0, regime=ds.Regime(macs_min=1e12, macs_max=2e12),
                      max_tries=20)


def test_log_uniform_draws_cover_the_range_on_its_grid():
    rng = np.random.default_rng(0)
    ints = [ds._log_uniform(rng, 8, 256, 8) for _ in range(3000)]
    assert min(ints) == 8 and max(ints) == 256 and all(v % 8 == 0 for v in ints)
    # log-uniform: as many draws below 45 (~sqrt(8 * 256)) as above
    assert 0.4 < np.mean(np.array(ints) < 45) < 0.6
    floats = [ds._log_uniform(rng, 1.5, 3.0, 0.001) for _ in range(2000)]
    assert 1.5 <= min(floats) and max(floats) <= 3.0
    assert all(math.isclose(v * 1000, round(v * 1000)) for v in floats)


def test_space_names_accept_short_forms_and_reject_unknown_ones():
    assert ds.space_names("a, E,regnetx") == ["anynetx_a", "anynetx_e", "regnetx"]
    with pytest.raises(ParamError, match="unknown design space 'anynetx_f'"):
        ds.space_names("anynetx_f")


def test_space_sizes_follow_from_the_ranges():
    sizes = ds.sizes()
    assert sizes["anynetx_a"] == pytest.approx(4 * math.log10(16 * 128 * 3 * 6))  # ~10^18
    assert sizes["anynetx_b"] == pytest.approx(sizes["anynetx_a"] - 3 * math.log10(3))
    assert sizes["anynetx_d"] == pytest.approx(
        sizes["anynetx_c"] - 4 * math.log10(128) + math.log10(math.comb(131, 4)))
    order = list(ds.SPACES)
    assert all(sizes[a] > sizes[b] for a, b in zip(order, order[1:]))
    # counted, not typed: a smaller range makes a smaller space
    assert ds.log10_size("anynetx_a", ds.Ranges(depth=(1, 8))) == \
        pytest.approx(sizes["anynetx_a"] - 4 * math.log10(2))


def test_describe_gives_columns_every_space_shares(samples):
    for space in ("anynetx_a", "regnetx"):
        row = ds.describe(samples[space][0])
        for column in ("space", "index", "depth", "width", "group_width", "bottleneck",
                       "macs", "params", "acts", "ws", "ds"):
            assert column in row
    assert {"d1", "w4", "g2", "b3"} <= set(ds.describe(samples["anynetx_a"][0]))
    assert {"w0", "wa", "wm"} <= set(ds.describe(samples["regnetx"][0]))


# --- EDF and claims ----------------------------------------------------------------------

def test_edf_counts_the_errors_strictly_below_each_point():
    f = edf([10, 20, 20, 40], [5, 10, 15, 20, 20.5, 40, 41])
    assert f.tolist() == [0, 0, 0.25, 0.25, 0.75, 0.75, 1.0]


def test_edf_area_is_the_normalized_gap_to_the_mean():
    assert edf_area([10, 20, 30], 10, 30) == pytest.approx(0.5)
    grid = np.linspace(10, 30, 20001)
    assert np.mean(edf([10, 20, 30], grid)) == pytest.approx(0.5, abs=1e-3)
    assert edf_area([10, 10], 10, 30) == 1.0


def _frame(means: dict, n: int = 20, spread: float = 1.0) -> pd.DataFrame:
    """n errors per space, spread evenly around its mean: equal means, equal distributions."""
    offsets = np.linspace(-spread, spread, n) if n > 1 else np.zeros(1)
    return pd.DataFrame([{"space": s, "error": m + o} for s, m in means.items()
                         for o in offsets])


PAPERLIKE = {"anynetx_a": 50, "anynetx_b": 50, "anynetx_c": 50, "anynetx_d": 46,
             "anynetx_e": 43, "regnetx": 42}


def test_claims_table_agrees_when_the_numbers_follow_the_paper():
    table = claims_table(_frame(PAPERLIKE))
    assert table["consistent"].all(), table[["claim", "verdict"]]
    row = table.set_index("claim").loc["increasing widths help"]
    assert row["verdict"] == "lower error"
    assert row["mean_gap"] == pytest.approx(row["mean"] - row["mean_baseline"])
    assert row["gap_low"] < -4 < row["gap_high"] < 0
    e, f = (_frame(PAPERLIKE).query(f"space == '{s}'")["error"].to_numpy()
            for s in ("anynetx_d", "anynetx_c"))
    se = (e.var(ddof=1) / e.size + f.var(ddof=1) / f.size) ** 0.5  # equal spreads: Welch's
    half = t_quantile(1 - (1 - CLAIM_LEVEL) / 2, e.size + f.size - 2) * se  # df is n + m - 2
    assert (row["gap_low"], row["gap_high"]) == pytest.approx((-4 - half, -4 + half))
    assert row["log10_size"] < row["log10_size_baseline"]


def test_claims_table_flags_a_space_that_does_worse():
    table = claims_table(_frame({**PAPERLIKE, "anynetx_d": 55})).set_index("claim")
    assert table.loc["increasing widths help", "verdict"] == "higher error"
    assert not table.loc["increasing widths help", "consistent"]
    # a tie is no evidence that a space helps, but it does not hurt either
    tie = claims_table(_frame({**PAPERLIKE, "anynetx_b": 50}, spread=3)).set_index("claim")
    assert tie.loc["sharing b does not hurt", "verdict"] == "no clear difference"
    assert tie.loc["sharing b does not hurt", "consistent"]


def test_claims_with_too_few_models_are_left_untested():
    table = claims_table(_frame({"anynetx_a": 50, "anynetx_b": 49}, n=1)).set_index("claim")
    assert table.loc["sharing b does not hurt", "verdict"].startswith("untested")
    assert table.loc["increasing widths help", "consistent"] is None


def test_spaces_of_three_models_are_too_few_to_tell_apart_at_ninety_five_percent():
    from regnet.study.analysis import LEVEL, fewest_models, separable
    assert LEVEL == 0.95  # the level of every other bound in the reports: two standard errors
    # 2 / C(7, 3) = 0.057: three against four cannot reach p < 0.05; four against four can
    assert not separable(3, 3) and not separable(3, 4) and separable(4, 4)
    assert separable(3, 4, 0.9) and fewest_models() == 4 and fewest_models(0.8) == 3
    # 3 against 3 models that do not overlap: the bootstrap interval excludes zero, but an
    # exact permutation test cannot go below p = 2 / C(6, 3) = 0.1, so no verdict is drawn
    three = claims_table(_frame(PAPERLIKE, n=3)).set_index("claim")
    assert three["consistent"].isna().all()
    assert three.loc["increasing widths help", "verdict"] == \
        "untested (too few models to tell apart)"
    four = claims_table(_frame(PAPERLIKE, n=4), level=LEVEL).set_index("claim")
    assert four.loc["increasing widths help", "verdict"] == "lower error"  # one claim alone


def test_the_claims_are_one_family_whose_bound_is_split_over_its_claims():
    from regnet.study.analysis import CLAIM_LEVEL, CLAIMS, LEVEL, fewest_models, separable
    assert len(CLAIMS) == 8 and 1 - CLAIM_LEVEL == pytest.approx((1 - LEVEL) / 8)  # 0.00625
    # 2 / C(8, 4) = 0.0286 and 2 / C(10, 5) = 0.0079 are above it; 2 / C(12, 6) = 0.0022 not
    assert not separable(5, 5, CLAIM_LEVEL) and separable(6, 6, CLAIM_LEVEL)
    assert fewest_models(CLAIM_LEVEL) == 6
    four = claims_table(_frame(PAPERLIKE, n=4)).set_index("claim")  # the family's level
    assert four["consistent"].isna().all()
    assert four.loc["increasing widths help", "verdict"] == \
        "untested (too few models to tell apart)"
    six = claims_table(_frame(PAPERLIKE, n=6)).set_index("claim")
    assert six.loc["increasing widths help", "verdict"] == "lower error"
    assert six.loc["increasing widths help", "p"] < 1 - CLAIM_LEVEL


def test_a_parameter_of_a_few_whole_values_ticks_at_each_only_where_they_fit():
    from regnet.study.analysis import _few_spread
    assert _few_spread(pd.Series([1, 2, 4, 4])) and _few_spread(pd.Series([16]))
    assert not _few_spread(pd.Series([13, 14, 16, 21]))  # 13 and 14 would overprint
    assert not _few_spread(pd.Series([2.344, 2.315, 2.6]))  # not counts: three round ticks
    assert not _few_spread(pd.Series([1, 2, 3, 4, 5]))


def test_t_quantiles_match_the_printed_tables():
    # Student's t, two-sided 95% (0.975) and one-sided 95% (0.95), as tables print them
    for q, df, table in [(0.975, 1, 12.706), (0.975, 3, 3.182), (0.975, 10, 2.228),
                         (0.975, 1000, 1.962), (0.95, 2, 2.920)]:
        assert t_quantile(q, df) == pytest.approx(table, abs=5e-4)
    with pytest.raises(ValueError, match="must lie in"):
        t_quantile(0.4, 3)


def mean_difference_ci(a, b, level=0.95, resamples=2000, seed=0):
    """Percentile bootstrap interval of mean(a) - mean(b), each group resampled on its own:
    the interval the claims do not decide on."""
    rng = np.random.default_rng(seed)
    da = rng.choice(a, (resamples, a.size)).mean(axis=1)
    db = rng.choice(b, (resamples, b.size)).mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(da - db, [tail, 100 - tail])
    return float(low), float(high)


def test_the_claims_verdict_is_a_permutation_test_not_the_bootstrap_interval():
    from regnet.study.analysis import LEVEL, permutation_p
    apart = np.array([30.0, 31, 32, 33]), np.array([40.0, 41, 42, 43])
    assert permutation_p(*apart) == pytest.approx(2 / 70)  # the most extreme of C(8, 4) splits
    # one of four models high: the bootstrap's 90% interval leaves out zero, yet 8 of the 70
    # splits are as far apart, so no verdict
    mixed = np.array([33.6, 35.9, 38.3, 75.0]), np.array([55.5, 62.1, 70.9, 90.6])
    assert mean_difference_ci(*mixed)[1] < 0
    assert permutation_p(*mixed) == pytest.approx(8 / 70)
    table = claims_table(pd.DataFrame(  # one claim alone, at 95%
        [{"space": "regnetx", "error": e} for e in mixed[0]]
        + [{"space": "anynetx_a", "error": e} for e in mixed[1]]), level=LEVEL).set_index("claim")
    row = table.loc["RegNetX is at least as good as AnyNetX_A"]
    assert row["p"] == pytest.approx(8 / 70) and row["verdict"] == "no clear difference"
    big = np.random.default_rng(0)  # many models: random splits, the observed one counted
    p = permutation_p(big.normal(40, 5, 25), big.normal(45, 5, 25))
    assert 0 < p < 0.05 and p * 20_001 == pytest.approx(round(p * 20_001))


def test_summary_counts_each_space():
    df = pd.DataFrame({"space": ["regnetx"] * 3 + ["anynetx_a"] * 2,
                       "error": [10.0, 20.0, 30.0, 40.0, 50.0]})
    s = summary(df).set_index("space")
    assert list(s.index) == ["anynetx_a", "regnetx"]  # the paper's order
    assert s.loc["regnetx", ["n", "min", "median", "mean"]].tolist() == [3, 10, 20, 20]
    assert s.loc["anynetx_a", "label"] == "AnyNetX_A"


def test_the_summary_on_a_page_has_word_headers_and_even_decimals():
    from regnet.report.tables import space_summary_frame
    df = pd.DataFrame({"space": ["regnetx"] * 2 + ["anynetx_a"] * 2,
                       "error": [75.0, 80.625, 40.0, 50.0]})
    page = space_summary_frame(summary(df)).set_index("design space")
    assert list(page.columns) == ["models", "min", "median", "mean", "max", "log10 size"]
    assert page.loc["RegNetX", ["min", "max"]].tolist() == ["75.00", "80.63"]  # halves up
    assert page.loc["AnyNetX<sub>A</sub>", "log10 size"] == f"{ds.log10_size('anynetx_a'):.1f}"


def test_the_sizes_table_says_what_each_space_allows_from_its_definition():
    from regnet.report.tables import space_sizes_frame
    page = space_sizes_frame().set_index("design space")
    allows = page["what it allows"]
    assert list(page.index)[0] == "AnyNetX<sub>A</sub>" and list(page.index)[-1] == "RegNetX"
    assert "d<sub>i</sub> ≤ 16" in allows.iloc[0] and "{1, 2, 4}" in allows.iloc[0]
    assert allows.loc["AnyNetX<sub>C</sub>"] == "as AnyNetX<sub>B</sub>; one g for every stage"
    assert allows.loc["AnyNetX<sub>E</sub>"].startswith("as AnyNetX<sub>D</sub>; depths never")
    assert "b = 1" in allows.loc["RegNetX"] and "12 to 28" in allows.loc["RegNetX"]
    wide = ds.Ranges(depth=(1, 8), bottlenecks=(1, 2))  # read from the ranges, not typed
    assert "d<sub>i</sub> ≤ 8" in space_sizes_frame(wide)["what it allows"].iloc[0]
    assert page["log10 size"].tolist() == [f"{v:.1f}" for v in ds.sizes().values()]


def test_edf_plot_legend_shows_n_min_and_mean():
    import matplotlib
    matplotlib.use("Agg")
    df = pd.DataFrame({"space": ["anynetx_c"] * 3, "error": [10.0, 20.0, 30.0]})
    fig = plot_edfs(df)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]  # beside the plot
    assert labels == ["AnyNetX$_\\mathregular{C}$\nn=3, min=10.0, mean=20.0"]
    line = fig.axes[0].get_lines()[0]
    assert line.get_ydata()[0] == 0 and line.get_ydata()[-1] == 1


def test_parameter_plot_has_a_panel_per_parameter(samples):
    import matplotlib
    matplotlib.use("Agg")
    rows = [{**ds.describe(s), "error": 50.0 + i} for group in samples.values()
            for i, s in enumerate(group[:2])]
    fig = plot_params(pd.DataFrame(rows))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    for ax in visible:  # a log axis says so in its label
        assert ax.get_xlabel().endswith((" (log)", ", log)")) == (ax.get_xscale() == "log")
    assert any(ax.get_xscale() == "log" for ax in visible)
    shown = [ax.get_xlabel().replace(" (log)", "").replace(", log)", ")") for ax in visible]
    assert shown == ["total depth d", "widest stage's width w", "largest group width g",
                     "largest bottleneck ratio b",
                     "MACs (millions)", "parameters (millions)", "activations (millions)",
                     "RegNetX depth d", "initial width $w_0$", "slope $w_a$",
                     "multiplier $w_m$", "RegNetX group width g"]  # the RegNetX-only panels
    assert len({ax.get_ylim() for ax in visible}) == 1  # one error scale, panels compare
    fig.canvas.draw()
    for ax in visible:  # counts tick at whole numbers; a few values tick at each value
        values = sorted({float(v) for c in ax.collections for v in c.get_offsets()[:, 0]})
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        if ax.get_xlabel() == "largest bottleneck ratio b":
            assert sorted(ticks) == values, ax.get_xlabel()
        if ax.get_xlabel() in ("total depth d", "RegNetX depth d"):
            assert all(t == round(t) for t in ticks), ticks
    single = plot_params(pd.DataFrame([{**ds.describe(group[0]), "error": 50.0}
                                       for group in samples.values()]))
    assert not any(ax.get_xlabel().startswith("RegNetX") for ax in single.axes
                   if ax.get_visible())  # one RegNetX model: no panels of one point
    legend = fig.legends[0].get_window_extent(fig.canvas.get_renderer())
    panels = max(ax.get_position().x1 for ax in fig.axes if ax.get_visible())
    gap = legend.x0 / fig.dpi / fig.get_figwidth() - panels  # legend's room measured as set
    assert 0 < gap < 0.1, gap  # beside the panels, not far off (mathtext takes no room)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
        assert len(labels) >= 2, ax.get_xlabel()  # every panel reads its axis
        boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
        for left, right in zip(boxes, boxes[1:]):  # no label runs into the next
            assert left.x1 <= right.x0, (ax.get_xlabel(), [t.get_text() for t in labels])
