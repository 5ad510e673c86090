"""Comparing design spaces by their error distributions, as the paper does.

The error EDF of n models is F(e) = (1/n) * #{models with error < e}: the fraction of the
space's models better than e. A space whose curve lies to the left is the better space.
The area under F over an error range [lo, hi] is hi minus the mean error, so comparing
areas and comparing means are the same test; `claims_table` reports both.

Every function takes the results table (one row per trained model, columns `space` and
`error` at least, as `sweep.load_results` returns it).
"""
from __future__ import annotations

import itertools
import math
import re
from typing import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import (FixedLocator, FuncFormatter, LogLocator, MaxNLocator,
                               NullFormatter, ScalarFormatter)

from ..arch.designspace import SPACES, log10_size

ERROR = "error"


def edf(errors: Sequence[float], at: Iterable[float]) -> np.ndarray:
    """F(e) for each e in `at`: the fraction of `errors` strictly below e."""
    errors = np.sort(np.asarray(errors, dtype=float))
    if errors.size == 0:
        raise ValueError("an EDF needs at least one error")
    return np.searchsorted(errors, np.asarray(at, dtype=float), side="left") / errors.size


def edf_area(errors: Sequence[float], lo: float, hi: float) -> float:
    """Area under F over [lo, hi], divided by hi - lo: 1 when every error is at or below lo."""
    e = np.clip(np.asarray(errors, dtype=float), lo, hi)
    return float((hi - e.mean()) / (hi - lo))


def label(space: str) -> str:
    """The paper's spelling of a space's name (AnyNetX_A), or the name itself."""
    return SPACES[space].label if space in SPACES else space


def plot_label(space: str) -> str:
    """A space's name in a plot, the letter subscript as the paper sets it."""
    return re.sub(r"AnyNetX_([A-E])", r"AnyNetX$_\\mathregular{\1}$", label(space))


#: One colour per space in the paper's order, told apart in print and by colour-blind readers
#: (Okabe and Ito's palette); RegNetX, the paper's answer, in black.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#000000")
#: Other spaces (a sweep's own): colours of matplotlib's cycle not used above.
EXTRA = ("C4", "C7", "C8", "C9")
#: The line of each space's EDF, so that touching steps stay apart.
DASHES = ("-", "--", "-.", ":")


def colour(space: str) -> str:
    """One colour per space, the same in every plot."""
    names = list(SPACES)
    if space in names and names.index(space) < len(PALETTE):
        return PALETTE[names.index(space)]
    return EXTRA[sum(map(ord, space)) % len(EXTRA)]


def dashes(space: str) -> str:
    """The line style of a space's EDF: neighbours in the paper's order differ."""
    names = list(SPACES)
    return DASHES[names.index(space) % len(DASHES)] if space in names else "-"


def _ordered(df: pd.DataFrame) -> list[str]:
    """Spaces present in `df`, in the paper's order, unknown names last."""
    present = list(dict.fromkeys(df["space"]))
    return [s for s in SPACES if s in present] + [s for s in present if s not in SPACES]


def summary(df: pd.DataFrame, metric: str = ERROR) -> pd.DataFrame:
    """Per space: n, min, median, mean, max of the error, EDF area, and the space's size."""
    lo, hi = float(df[metric].min()), float(df[metric].max())
    rows = []
    for space in _ordered(df):
        e = df.loc[df["space"] == space, metric].to_numpy(float)
        rows.append({"space": space, "label": label(space), "n": e.size,
                     "min": e.min(), "median": float(np.median(e)), "mean": e.mean(),
                     "max": e.max(),
                     "edf_area": edf_area(e, lo, hi) if hi > lo else float("nan"),
                     "log10_size": log10_size(space) if space in SPACES else float("nan")})
    return pd.DataFrame(rows)


# --- the paper's claims, checked -----------------------------------------------------------

#: (claim, space, baseline, kind): "not worse" holds unless the space is clearly worse;
#: "better" holds only when it is clearly better.
CLAIMS = [
    ("sharing b does not hurt", "anynetx_b", "anynetx_a", "not worse"),
    ("sharing g as well does not hurt", "anynetx_c", "anynetx_b", "not worse"),
    ("sharing b and g does not hurt", "anynetx_c", "anynetx_a", "not worse"),
    ("increasing widths help", "anynetx_d", "anynetx_c", "better"),
    ("increasing depths as well help", "anynetx_e", "anynetx_d", "better"),
    ("increasing widths and depths help", "anynetx_e", "anynetx_c", "better"),
    ("RegNetX is at least as good as AnyNetX_E", "regnetx", "anynetx_e", "not worse"),
    ("RegNetX is at least as good as AnyNetX_A", "regnetx", "anynetx_a", "not worse"),
]


#: The level of the claims' tests and of their intervals, the 95% of every other bound the
#: reports give (two standard errors, 95% intervals).
LEVEL = 0.95
#: The level of each claim's test: the claims are one family, so each is tested at the 5%
#: split over all of them (Bonferroni), and all true ties stay undecided 95% of the time, as
#: the other reports widen a bound where a sentence picks among several differences.
CLAIM_LEVEL = 1 - (1 - LEVEL) / len(CLAIMS)


def welch_interval(a: np.ndarray, b: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Interval of mean(a) − mean(b) at `level`: Welch's, Student's t with Satterthwaite's
    degrees of freedom on the two groups' own variances (each at least two values)."""
    va, vb = np.var(a, ddof=1) / a.size, np.var(b, ddof=1) / b.size
    gap = float(np.mean(a) - np.mean(b))
    if va + vb == 0:
        return gap, gap
    free = satterthwaite(va + vb, [(va, a.size - 1), (vb, b.size - 1)])
    half = t_quantile(1 - (1 - level) / 2, free) * math.sqrt(va + vb)
    return gap - half, gap + half


def satterthwaite(variance: float, terms: Sequence[tuple[float, float]]) -> float:
    """Satterthwaite's degrees of freedom of `variance`, a sum (or difference) of the
    estimated variances in `terms`, each (value, its degrees of freedom): variance² over
    the sum of value² / degrees; at least 1, where Student's t is defined."""
    weight = sum(value ** 2 / free for value, free in terms)
    return max(1.0, variance ** 2 / weight)


def separable(n: int, m: int, level: float = LEVEL) -> bool:
    """Whether `n` models of one space and `m` of another could be told apart at `level`
    at all: an exact permutation test of the two groups reaches its smallest two-sided
    p-value, 2 / C(n + m, n), when no model of one group beats any of the other; with
    fewer splits than 2 / (1 - level) not even that would count as a difference."""
    return math.comb(n + m, n) * (1 - level) > 2


def fewest_models(level: float = LEVEL) -> int:
    """The fewest models per space with which two spaces can be told apart at `level`."""
    n = 2
    while not separable(n, n, level):
        n += 1
    return n


#: Up to this many splits of two spaces' models, the permutation test tries every one.
EXACT_SPLITS = 20_000


def t_quantile(q: float, df: int) -> float:
    """The `q` quantile of Student's t with `df` degrees of freedom (q > 0.5): the density
    integrated by Simpson's rule from 0, the quantile found by bisection. 0.975 gives the
    half-width of a 95% interval in standard errors: 12.706 for one degree of freedom,
    3.182 for three, 1.96 for very many."""
    if not 0.5 < q < 1 or df < 1:
        raise ValueError(f"t quantile: q {q} must lie in (0.5, 1) and df {df} be at least 1")
    scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def cdf(t: float, steps: int = 2000) -> float:
        x = np.linspace(0.0, t, steps + 1)
        f = scale * (1 + x * x / df) ** (-(df + 1) / 2)
        return 0.5 + (t / steps / 3) * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())
    lo, hi = 0.0, 1.0
    while cdf(hi) < q:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def beta_regularized(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), by its continued fraction
    (evaluated by Lentz's method on whichever side of the mean converges fast)."""
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1.0 - beta_regularized(b, a, 1.0 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 500):
        for step in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                     -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + step * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + step / c
            c = c if abs(c) > tiny else tiny
            fraction *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return front * fraction / a


def f_tail(f: float, df1: float, df2: float) -> float:
    """P(F ≥ f) for Snedecor's F with (`df1`, `df2`) degrees of freedom: how often a ratio
    of two variance estimates of one variance reaches `f`."""
    if f <= 0:
        return 1.0
    return beta_regularized(df2 / 2, df1 / 2, df2 / (df2 + df1 * f))


def permutation_p(a: np.ndarray, b: np.ndarray, splits: int = EXACT_SPLITS,
                  seed: int = 0) -> float:
    """Two-sided p-value of mean(a) - mean(b): the share of the ways to split the pooled
    errors into groups of len(a) and len(b) whose gap in means is at least as far from zero
    as the one observed. Every split when there are at most `splits` of them (exact); else
    `splits` random ones, counting the observed split too."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    pooled, n = np.concatenate([a, b]), a.size
    observed = abs(a.mean() - b.mean()) - 1e-9  # ties count as at least as far
    total = math.comb(pooled.size, n)
    if total <= splits:
        picks = np.array(list(itertools.combinations(range(pooled.size), n)))
    else:
        rng = np.random.default_rng(seed)
        picks = np.argsort(rng.random((splits, pooled.size)), axis=1)[:, :n]
    first = pooled[picks].sum(axis=1)
    gaps = np.abs(first / n - (pooled.sum() - first) / b.size)
    hits = int((gaps >= observed).sum())
    return hits / total if total <= splits else (hits + 1) / (splits + 1)


def rank_p(x: np.ndarray, y: np.ndarray, limit: int = EXACT_SPLITS, seed: int = 0) -> float:
    """Two-sided permutation p of the rank correlation of `x` and `y` (their ranks): the
    share of orders of `y` whose correlation with `x` is at least as far from zero; every
    order up to `limit` of them (exact), else `limit` random ones, counting the observed."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    observed = abs(np.corrcoef(x, y)[0, 1]) - 1e-9  # ties count as at least as far
    exact = math.factorial(y.size) <= limit
    if exact:
        orders = np.array(list(itertools.permutations(y)))
    else:
        rng = np.random.default_rng(seed)
        orders = np.array([rng.permutation(y) for _ in range(limit)])
    xc = x - x.mean()
    yc = orders - orders.mean(axis=1, keepdims=True)
    r = (yc @ xc) / (np.linalg.norm(yc, axis=1) * np.linalg.norm(xc))
    hits = int((np.abs(r) >= observed).sum())
    return hits / len(orders) if exact else (hits + 1) / (limit + 1)


def verdict(gap: float, p: float, level: float = LEVEL) -> str:
    """'lower error', 'higher error' or 'no clear difference': a gap in mean error counts
    when its permutation p-value is below 1 - `level`."""
    if p >= 1 - level:
        return "no clear difference"
    return "lower error" if gap < 0 else "higher error"


def claims_table(df: pd.DataFrame, metric: str = ERROR, level: float = CLAIM_LEVEL,
                 min_models: int = 2) -> pd.DataFrame:
    """The paper's claims, each checked on the sweep: means, medians, EDF areas, the gap in
    mean error with Welch's interval for its size (`welch_interval`; a "not worse" claim holds
    for any loss margin above its upper end) and a permutation test for its verdict (a
    percentile bootstrap of a few errors is too narrow to decide on), and whether the
    numbers agree with the claim. Each claim is tested at `level`, `CLAIM_LEVEL` unless told:
    the family's 95% split over its claims.

    A claim whose spaces have fewer than `min_models` models each, or too few to be told
    apart at `level` at all (`separable`), is listed as untested: a bootstrap of three
    errors against three can exclude zero where no test of so few could.
    """
    lo, hi = float(df[metric].min()), float(df[metric].max())
    rows = []
    for claim, space, base, kind in CLAIMS:
        e = df.loc[df["space"] == space, metric].to_numpy(float)
        f = df.loc[df["space"] == base, metric].to_numpy(float)
        row = {"claim": claim, "kind": kind, "space": label(space), "baseline": label(base),
               "n": e.size, "n_baseline": f.size,
               "log10_size": log10_size(space), "log10_size_baseline": log10_size(base)}
        if min(e.size, f.size) < min_models:
            rows.append({**row, "verdict": f"untested (needs {min_models}+ models in each)",
                         "consistent": None})
            continue
        if not separable(e.size, f.size, level):
            rows.append({**row, "verdict": "untested (too few models to tell apart)",
                         "consistent": None})
            continue
        ci = welch_interval(e, f, level)
        p = permutation_p(e, f)
        seen = verdict(e.mean() - f.mean(), p, level)
        rows.append({
            **row, "mean": e.mean(), "mean_baseline": f.mean(),
            "median": float(np.median(e)), "median_baseline": float(np.median(f)),
            "edf_area": edf_area(e, lo, hi) if hi > lo else float("nan"),
            "edf_area_baseline": edf_area(f, lo, hi) if hi > lo else float("nan"),
            "mean_gap": e.mean() - f.mean(), "gap_low": ci[0], "gap_high": ci[1],
            "p": p, "verdict": seen,
            "consistent": seen != "higher error" if kind == "not worse"
            else seen == "lower error",
        })
    return pd.DataFrame(rows)


# --- plots -------------------------------------------------------------------------------

def plot_edfs(df: pd.DataFrame, spaces: Sequence[str] | None = None, metric: str = ERROR,
              ax=None, title: str | None = None):
    """Error EDF of each space on one axis, legend "name n=, min=, mean=" as in the paper."""
    if ax is None:  # print size: its 8 pt legend stays 8 pt on paper
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    for space in spaces or _ordered(df):
        e = np.sort(df.loc[df["space"] == space, metric].to_numpy(float))
        if e.size == 0:
            continue
        # F jumps just after each error; start at 0 and end at 1 so every curve spans the axis
        x = np.concatenate([[e[0]], e])
        y = np.concatenate([[0.0], np.arange(1, e.size + 1) / e.size])
        ax.step(x, y, where="post", color=colour(space), linestyle=dashes(space), lw=1.6,
                label=f"{plot_label(space)}  n={e.size}, min={e.min():.1f}, "
                      f"mean={e.mean():.1f}")
    ax.set_xlabel(f"{metric} (%)")
    ax.set_ylabel("cumulative prob.")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    # one column at the right of the axes, so that no entry hides a curve
    handles, labels = ax.get_legend_handles_labels()
    labels = [text.replace("  n=", "\nn=") for text in labels]  # name, then its numbers
    if title:
        ax.set_title(title)
    ax.figure.tight_layout(rect=(0, 0, legend_right(ax.figure, handles, labels), 1))
    return ax.figure


#: Columns every space has (built from the spec), worth plotting error against.
COMMON = ("depth", "width", "group_width", "bottleneck", "macs", "params", "acts")
#: RegNetX's own numbers.
REGNET = ("d", "w0", "wa", "wm", "g")
#: Counts shown in millions, and the columns that spread over decades (log axis).
MILLIONS = ("macs", "params", "acts")
LOG_AXIS = ("width", "params", "w0", "wa")
#: Each column as the paper names it on an axis.
#: The axes of the per-parameter panels; depth, width, g and b summarize a model's four
#: stages as `designspace.describe` does (the sum of depths, the largest of the others).
AXIS_NAMES = {"depth": "total depth d", "width": "widest stage's width w",
              "group_width": "largest group width g",
              "bottleneck": "largest bottleneck ratio b", "macs": "MACs (millions)",
              "params": "parameters (millions)", "acts": "activations (millions)",
              "d": "RegNetX depth d", "w0": "initial width $w_0$", "wa": "slope $w_a$",
              "wm": "multiplier $w_m$", "g": "RegNetX group width g"}


def log_subs(lo: float, hi: float) -> tuple[int, ...]:
    """Where a log axis from `lo` to `hi` puts its labels within each decade: at 1 alone, at
    1 and 3, or at 1, 2 and 5, the sparsest that labels at least two values in the range."""
    for subs in ((1,), (1, 3), (1, 2, 5)):
        ticks = [s * 10.0 ** k for k in range(math.floor(math.log10(lo)) - 1,
                                              math.ceil(math.log10(hi)) + 1) for s in subs]
        if sum(lo <= t <= hi for t in ticks) >= 2:
            return subs
    return (1, 2, 5)


def _log_named(name: str, log: bool) -> str:
    """An axis name that says its scale is logarithmic, briefly: "parameters (millions, log)",
    "widest stage's width w (log)"."""
    if not log:
        return name
    return name[:-1] + ", log)" if name.endswith(")") else name + " (log)"


def plot_params(df: pd.DataFrame, columns: Sequence[str] | None = None, metric: str = ERROR,
                spaces: Sequence[str] | None = None, ncols: int = 3):
    """Error against each parameter, one panel per parameter, one colour per space."""
    if columns is None:
        # RegNetX's own panels only where two of its models or more give them a spread
        extra = [c for c in REGNET if c in df and df[c].notna().sum() > 1]
        columns = [c for c in COMMON if c in df] + extra
    nrows = max(1, -(-len(columns) // ncols))
    # drawn at print size (6.3 in wide, within report.figures.PRINT_WIDTH): its 8 pt labels
    # stay 8 pt on paper
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols, 1.9 * nrows + 0.5),
                             squeeze=False, sharey=True)  # one error scale for every panel
    for i, (ax, column) in enumerate(zip(axes.flat, columns)):
        values = df[column] / 1e6 if column in MILLIONS else df[column]
        shown = values.dropna()
        for space in spaces or _ordered(df):
            part = (df["space"] == space) & values.notna()
            if part.any():
                ax.scatter(values[part], df.loc[part, metric], s=12, alpha=0.7,
                           color=colour(space), label=plot_label(space))
        if column in LOG_AXIS and len(shown) and shown.min() > 0 \
                and shown.max() / shown.min() >= 10:  # a log axis only across decades
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=log_subs(shown.min(),
                                                                         shown.max())))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels would overlap
        elif _few_spread(shown):  # a few counts far apart (b in 1, 2, 4): a tick at each
            ax.xaxis.set_major_locator(FixedLocator(sorted(shown.unique())))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        else:  # a narrow panel has room for three labels, whole numbers for counts
            whole = bool(len(shown)) and bool((shown == shown.round()).all())
            ax.xaxis.set_major_locator(MaxNLocator(nbins=3, integer=whole))
        ax.set_xlabel(_log_named(AXIS_NAMES.get(column, column), ax.get_xscale() == "log"),
                      fontsize=8)
        if i % ncols == 0:  # the rows share one label at their left
            ax.set_ylabel(f"{metric} (%)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(columns):]:
        ax.set_visible(False)
    fig.tight_layout(rect=(0, 0, legend_right(
        fig, *axes.flat[0].get_legend_handles_labels()), 1))
    return fig


def _few_spread(values: pd.Series) -> bool:
    """Whether `values` are at most four whole numbers, no two closer than a sixth of their
    range, so that a label at each fits a narrow panel."""
    distinct = np.sort(values.unique())
    if not 0 < len(distinct) <= 4 or not (distinct == np.round(distinct)).all():
        return False
    return len(distinct) == 1 or bool(np.diff(distinct).min() >= np.ptp(distinct) / 6)


def legend_right(fig, handles, labels, size: float = 8) -> float:
    """One legend column at the right of `fig`, inside its width (so it is never shrunk);
    returns the fraction of the width left for the axes, for `tight_layout(rect=...)`. The
    report's figures use it too."""
    longest = max(len(_shown_text(line)) for text in labels for line in str(text).split("\n"))
    width = longest * size * 0.55 / 72 + 0.45  # inches: the text, the marker and the margins
    fig.legend(handles, labels, loc="center right", ncol=1, fontsize=size, frameon=False)
    return max(0.45, 1 - (width + 0.1) / fig.get_figwidth())  # and a gap before it


def _shown_text(line: str) -> str:
    """A label as it prints: mathtext's commands and braces take no room ("AnyNetX$_A$")."""
    return re.sub(r"\$([^$]*)\$", lambda m: re.sub(r"\\mathregular|[\\{}_^]", "",
                                                     m.group(1)), line)
