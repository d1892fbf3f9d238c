"""Tests of modelgate.stats against plain references (brute force, sklearn, scipy)."""

from __future__ import annotations

import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from sklearn.metrics import roc_auc_score

from modelgate import stats as S
from modelgate.stats.bootstrap import resample_counts
from modelgate.stats.proportions import _newcombe

STATS_PY = Path(S.__file__)
Z95 = sps.norm.ppf(0.95)
FAST = settings(max_examples=60, deadline=None)


def correlated_scores(seed: int, n: int = 400, p_pos: float = 0.6, decimals: int | None = 1):
    """Labels and two correlated scores; rounding makes ties (within and across classes)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < p_pos).astype(int)
    b = rng.normal(size=n) + 0.8 * y
    c = 0.6 * b + 0.8 * rng.normal(size=n) + 0.6 * y
    if decimals is not None:
        b, c = np.round(b, decimals), np.round(c, decimals)
    return y, c, b


def se_from_bound(bound: S.DifferenceBound, z: float = Z95) -> float:
    return (bound.estimate - bound.lower) / z


# ------------------------------------------------------------ brute force


def psi_matrix(y, s):
    """Kernel psi(x_i, y_j) for every (positive, negative) pair: O(m*n)."""
    x, w = s[y == 1], s[y == 0]
    return (x[:, None] > w[None, :]) + 0.5 * (x[:, None] == w[None, :])


def brute_force_delong(y, c, b):
    """DeLong (1988) written out: structural components from the full pair matrix."""
    pc, pb = psi_matrix(y, c), psi_matrix(y, b)
    m, n = pc.shape
    v10 = np.vstack([pc.mean(axis=1), pb.mean(axis=1)])
    v01 = np.vstack([pc.mean(axis=0), pb.mean(axis=0)])
    aucs = np.array([pc.mean(), pb.mean()])
    s10 = (v10 - aucs[:, None]) @ (v10 - aucs[:, None]).T / (m - 1)
    s01 = (v01 - aucs[:, None]) @ (v01 - aucs[:, None]).T / (n - 1)
    return aucs, s10 / m + s01 / n


@pytest.mark.parametrize("seed,n,p_pos,decimals", [(0, 300, 0.6, 1), (1, 251, 0.2, 0), (2, 200, 0.77, 2)])
def test_delong_matches_brute_force(seed, n, p_pos, decimals):
    y, c, b = correlated_scores(seed, n, p_pos, decimals)
    aucs, cov = brute_force_delong(y, c, b)
    auc_c, var_c = S.delong_auc_variance(y, c)
    auc_b, var_b = S.delong_auc_variance(y, b)
    bound = S.delong_auc_difference(y, c, b)
    var_diff = se_from_bound(bound) ** 2
    assert abs(auc_c - aucs[0]) < 1e-10 and abs(auc_b - aucs[1]) < 1e-10
    assert abs(var_c - cov[0, 0]) < 1e-10 and abs(var_b - cov[1, 1]) < 1e-10
    assert abs(var_diff - (cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])) < 1e-10
    assert abs((var_c + var_b - var_diff) / 2 - cov[0, 1]) < 1e-10
    assert abs(bound.estimate - (aucs[0] - aucs[1])) < 1e-10
    assert bound.candidate == auc_c and bound.baseline == auc_b


@FAST
@given(
    st.lists(st.tuples(st.booleans(), st.integers(-5, 5)), min_size=2, max_size=200).filter(
        lambda rows: 0 < sum(r[0] for r in rows) < len(rows)
    )
)
def test_auc_midrank_matches_sklearn(rows):
    y = np.array([r[0] for r in rows], dtype=int)
    s = np.array([r[1] for r in rows], dtype=float) / 3.0
    ranks = sps.rankdata(s)
    m = y.sum()
    midrank_formula = (ranks[y == 1].sum() - m * (m + 1) / 2) / (m * (len(y) - m))
    assert abs(S.auc_midrank(y, s) - roc_auc_score(y, s)) < 1e-12
    assert abs(S.auc_midrank(y, s) - midrank_formula) < 1e-12


# --------------------------------------------------------- vs scipy bootstrap


def _auc_rows(y, s):
    ranks = sps.rankdata(s, axis=-1)
    m = y.sum(axis=-1)
    n = y.shape[-1] - m
    return ((ranks * y).sum(axis=-1) - m * (m + 1) / 2) / (m * n)


def test_standard_errors_match_scipy_bootstrap():
    y, c, b = correlated_scores(0, n=600, p_pos=0.6)
    reference = sps.bootstrap(
        (y.astype(float), c, b),
        lambda yy, cc, bb, axis=-1: _auc_rows(yy, cc) - _auc_rows(yy, bb),
        paired=True,
        vectorized=True,
        n_resamples=6000,
        method="percentile",
        random_state=0,
        batch=2000,
    ).standard_error
    se_delong = se_from_bound(S.delong_auc_difference(y, c, b))
    res_c, res_b = S.bootstrap_auc_differences(y, c, b, n_resamples=5000, seed=0)
    se_fast = np.std(res_c - res_b, ddof=1)
    assert abs(se_delong / reference - 1) < 0.05
    assert abs(se_fast / reference - 1) < 0.05


def test_fast_bootstrap_equals_sklearn_on_same_resamples():
    y, c, b = correlated_scores(3, n=300, p_pos=0.3)
    res_c, res_b = S.bootstrap_auc_differences(y, c, b, n_resamples=25, seed=7)
    grouped = np.concatenate([np.flatnonzero(y == 1), np.flatnonzero(y == 0)])  # positives first
    (w,) = resample_counts([int((y == 1).sum()), int((y == 0).sum())], 25, 7)
    for r in range(5):
        idx = np.repeat(grouped, w[r].astype(int))
        assert abs(res_c[r] - roc_auc_score(y[idx], c[idx])) < 1e-12
        assert abs(res_b[r] - roc_auc_score(y[idx], b[idx])) < 1e-12
    # The public generic path resamples identically: same bound to rounding.
    fast = S.paired_bootstrap_difference("roc_auc", y, c, b, n_resamples=25, seed=7)
    slow = S.paired_bootstrap_difference(roc_auc_score, y, c, b, n_resamples=25, seed=7)
    assert abs(fast.lower - slow.lower) < 1e-12
    assert fast.p_value == slow.p_value and fast.method == slow.method == "paired bootstrap"
    # Percentile bound and the +1-corrected Monte Carlo p-value.
    d = res_c - res_b
    assert fast.lower == np.quantile(d, 0.05)
    assert fast.p_value == (1 + np.count_nonzero(d <= 0)) / 26
    shifted = S.paired_bootstrap_difference("roc_auc", y, c, b, n_resamples=25, seed=7, margin=0.01)
    assert shifted.p_value == (1 + np.count_nonzero(d <= 0.01)) / 26


def test_fast_bootstrap_flipped_minority_class_and_seed():
    # Positives the minority: the weighted path cumulates over positives.
    y, c, b = correlated_scores(4, n=300, p_pos=0.2, decimals=None)
    fast = S.paired_bootstrap_difference("roc_auc", y, c, b, n_resamples=30, seed=1)
    slow = S.paired_bootstrap_difference(roc_auc_score, y, c, b, n_resamples=30, seed=1)
    other = S.paired_bootstrap_difference("roc_auc", y, c, b, n_resamples=30, seed=2)
    assert abs(fast.lower - slow.lower) < 1e-12
    assert other.lower != fast.lower


def test_bootstrap_memory_is_bounded():
    rng = np.random.default_rng(0)
    n = 100_000
    y = rng.random(n) < 0.77
    b = rng.normal(size=n) + y
    c = b + rng.normal(size=n)
    tracemalloc.start()
    try:
        S.bootstrap_auc_differences(y, c, b, n_resamples=60, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Chunks keep the peak independent of n_resamples.
    assert peak < 500e6


# ------------------------------------------------------------- properties


label_score_rows = st.lists(
    st.tuples(st.booleans(), st.integers(-20, 20), st.integers(-20, 20)), min_size=4, max_size=120
).filter(lambda rows: 2 <= sum(r[0] for r in rows) <= len(rows) - 2)


def _unpack(rows):
    y = np.array([r[0] for r in rows], dtype=int)
    return y, np.array([r[1] for r in rows], float), np.array([r[2] for r in rows], float)


@FAST
@given(label_score_rows)
def test_auc_invariant_to_increasing_transforms(rows):
    y, s, _ = _unpack(rows)
    auc, var = S.delong_auc_variance(y, s)
    for f in (np.exp, lambda v: v**3 + v, lambda v: 1.0 / (1.0 + np.exp(-v / 7.0))):
        t_auc, t_var = S.delong_auc_variance(y, f(s))
        assert t_auc == auc
        assert t_var == pytest.approx(var, rel=1e-12, abs=1e-15)


@FAST
@given(label_score_rows)
def test_swapping_candidate_and_baseline_negates_estimate(rows):
    y, c, b = _unpack(rows)
    ab = S.delong_auc_difference(y, c, b)
    ba = S.delong_auc_difference(y, b, c)
    assert ba.estimate == -ab.estimate
    # A separating score's bound is one-sided by design (max-variance); so is zero variance,
    # inconclusive only on the side whose estimate would clear (y=0,0,1,1; c=0,1,0,0; b=-1,0,0,0).
    if ab.method == "DeLong" and not (ab.inconclusive or ba.inconclusive):
        assert se_from_bound(ba) == pytest.approx(se_from_bound(ab), rel=1e-9, abs=1e-12)
    assert ab.method == ba.method


def test_zero_variance_is_inconclusive_only_on_the_side_that_would_clear():
    y, c, b = np.array([0, 0, 1, 1]), np.array([0.0, 1, 0, 0]), np.array([-1.0, 0, 0, 0])
    ab, ba = S.delong_auc_difference(y, c, b), S.delong_auc_difference(y, b, c)
    assert (ab.estimate, ba.estimate) == (-0.5, 0.5)
    assert ba.inconclusive and not ab.inconclusive and ab.lower == ab.estimate


@FAST
@given(label_score_rows, st.floats(-3, 3))
def test_constant_baseline_has_auc_one_half(rows, level):
    y, c, _ = _unpack(rows)
    base = np.full(y.size, level)
    assert S.delong_auc_variance(y, base) == (0.5, 0.0)
    bound = S.delong_auc_difference(y, c, base)
    assert bound.baseline == 0.5
    assert bound.estimate == S.auc_midrank(y, c) - 0.5


@FAST
@given(label_score_rows, st.floats(-0.2, 0.2), st.sampled_from([0.8, 0.9, 0.95, 0.99]), st.booleans())
def test_delong_bound_and_p_value_agree(rows, margin, confidence, relative):
    y, c, b = _unpack(rows)
    bound = S.delong_auc_difference(y, c, b, margin=margin, confidence=confidence, relative=relative)
    if bound.defined and abs(bound.lower - margin) > 1e-9:
        assert (bound.lower > margin) == (bound.p_value < 1 - confidence)


def test_relative_delong_fieller_close_to_bootstrap():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.random(n) < 0.77
    b = rng.normal(size=n) + y
    c = 0.7 * b + 0.7 * rng.normal(size=n) + 0.9 * y
    fieller = S.delong_auc_difference(y, c, b, relative=True)
    boot = S.paired_bootstrap_difference("roc_auc", y, c, b, relative=True, n_resamples=3000)
    assert fieller.method == "DeLong (Fieller ratio)"
    assert fieller.estimate == pytest.approx(fieller.candidate / fieller.baseline - 1)
    half_width = fieller.estimate - fieller.lower
    assert abs(fieller.lower - boot.lower) < 0.1 * half_width
    margin = fieller.lower  # a margin at the bound: both p-values near 0.05
    near = S.delong_auc_difference(y, c, b, relative=True, margin=margin)
    near_boot = S.paired_bootstrap_difference("roc_auc", y, c, b, relative=True, margin=margin, n_resamples=3000)
    assert near.p_value == pytest.approx(0.05, abs=1e-6)
    assert abs(near_boot.p_value - 0.05) < 0.02


# --------------------------------------------------------------- accuracy


def paired_table(both, wins, losses, neither):
    """Labels and predictions realising a paired 2x2 table (all labels 1)."""
    y = np.ones(both + wins + losses + neither, dtype=int)
    pc = np.repeat([1, 1, 0, 0], [both, wins, losses, neither])
    pb = np.repeat([1, 0, 1, 0], [both, wins, losses, neither])
    return y, pc, pb


def test_newcombe_matches_published_example():
    # Cavo et al. 2012 (Fagerland, Lydersen & Laake 2017, ch. 8): estimate
    # -0.0621, two-sided 95% Newcombe square-and-add CI -0.1186 to -0.0046.
    y, pc, pb = paired_table(59, 6, 16, 80)
    lower = S.accuracy_difference(y, pc, pb, margin=-0.5, confidence=0.975)
    assert lower.method == "Newcombe hybrid score"
    assert round(lower.estimate, 4) == -0.0621 and round(lower.lower, 4) == -0.1186
    upper = S.accuracy_difference(y, pb, pc, margin=-0.5, confidence=0.975)
    assert round(-upper.lower, 4) == -0.0046


def test_mcnemar_exact_matches_hand_computed_binomial():
    y, pc, pb = paired_table(30, 9, 3, 5)
    expected = sum(math.comb(12, k) for k in range(9, 13)) / 2**12  # 299/4096
    assert S.mcnemar_exact(y, pc, pb) == pytest.approx(expected, rel=1e-12)
    bound = S.accuracy_difference(y, pc, pb)
    assert bound.method == "exact McNemar"
    assert bound.p_value == pytest.approx(expected, rel=1e-12)
    assert bound.estimate == pytest.approx(6 / 47)
    assert not bound.lower > 0  # p = 0.073: not significant, and the bound agrees


def test_mcnemar_without_discordant_pairs():
    y, pc, pb = paired_table(40, 0, 0, 7)
    assert S.mcnemar_exact(y, pc, pb) == 1.0
    bound = S.accuracy_difference(y, pc, pb)
    assert bound.p_value == 1.0 and bound.estimate == 0.0 and bound.lower <= 0


tables = st.tuples(*[st.integers(0, 150)] * 4).filter(lambda t: sum(t) > 0)


@settings(max_examples=200, deadline=None)
@given(tables, st.sampled_from([0.9, 0.95, 0.99]))
def test_accuracy_margin_zero_bound_agrees_with_mcnemar(table, confidence):
    bound = S.accuracy_difference(*paired_table(*table), confidence=confidence)
    assert bound.method == "exact McNemar"
    assert (bound.lower > 0) == (bound.p_value < 1 - confidence)


def test_accuracy_disagreement_band_uses_conditional_exact_bound():
    # 9 wins, 3 losses: Newcombe's bound is > 0 but exact McNemar p = 0.073.
    table = (19, 9, 3, 19)
    z = sps.norm.ppf(0.95)
    assert _newcombe(*table, z)[0] > 0
    bound = S.accuracy_difference(*paired_table(*table))
    assert bound.p_value > 0.05 and bound.lower <= 0


@settings(max_examples=200, deadline=None)
@given(tables, st.floats(-0.3, 0.3).filter(lambda v: abs(v) > 1e-6), st.booleans())
def test_accuracy_bound_and_p_value_agree_with_margin(table, margin, relative):
    bound = S.accuracy_difference(*paired_table(*table), margin=margin, relative=relative)
    if bound.defined and abs(bound.lower - margin) > 1e-7:
        assert (bound.lower > margin) == (bound.p_value < 0.05)


def test_newcombe_one_sided_coverage():
    rng = np.random.default_rng(0)
    probs = np.array([0.6, 0.12, 0.08, 0.2])  # true difference 0.04
    misses = 0
    trials = 1500
    for counts in rng.multinomial(120, probs, size=trials):
        bound = S.accuracy_difference(*paired_table(*counts), margin=0.5)
        misses += bound.lower > 0.04
    assert 0.02 < misses / trials < 0.07


# -------------------------------------------------------------- edge cases


def assert_undefined(bound, reason_part):
    assert math.isnan(bound.lower) and math.isnan(bound.p_value)
    assert not bound.defined
    assert reason_part in bound.reason
    assert bound.method


def test_single_class_labels():
    y = np.ones(50, dtype=int)
    c, b = np.linspace(0, 1, 50), np.linspace(1, 0, 50)
    assert_undefined(S.delong_auc_difference(y, c, b), "single class: AUC is undefined")
    assert_undefined(S.paired_bootstrap_difference("roc_auc", y, c, b), "single class")
    assert_undefined(S.paired_bootstrap_difference(roc_auc_score, y, c, b), "single class")
    with pytest.raises(ValueError, match="single class"):
        S.auc_midrank(y, c)
    with pytest.raises(ValueError, match="single class"):
        S.bootstrap_auc_differences(y, c, b)


def test_nan_scores_and_labels():
    y, c, b = correlated_scores(0, n=100)
    c_nan = c.copy()
    c_nan[[3, 7]] = np.nan
    bound = S.delong_auc_difference(y, c_nan, b)
    assert_undefined(bound, "candidate contains NaN (2 of 100 rows)")
    assert bound.n == 100
    assert_undefined(S.paired_bootstrap_difference("roc_auc", y, b, c_nan), "baseline contains NaN")
    y_nan = y.astype(float)
    y_nan[0] = np.nan
    assert_undefined(S.delong_auc_difference(y_nan, c, b), "y_true contains NaN")
    preds = (c > 0).astype(float)
    preds[1] = np.nan
    assert_undefined(S.accuracy_difference(y, preds, b > 0), "pred_candidate contains NaN")
    assert math.isnan(S.mcnemar_exact(y, preds, b > 0))


def test_malformed_input_raises():
    y, c, b = correlated_scores(0, n=100)
    with pytest.raises(ValueError, match="paired"):
        S.delong_auc_difference(y, c[:-1], b)
    with pytest.raises(ValueError, match="0/1"):
        S.delong_auc_difference(y * 2, c, b)
    with pytest.raises(ValueError, match="confidence"):
        S.delong_auc_difference(y, c, b, confidence=1.0)
    with pytest.raises(ValueError, match="0/1"):
        S.accuracy_difference(y, c, b)  # scores, not thresholded predictions
    # A Keras-style (n, 1) column is accepted as-is.
    column = S.delong_auc_difference(y, c[:, None], b)
    assert column == S.delong_auc_difference(y, c, b)


def test_degenerate_bootstrap():
    y, c, b = correlated_scores(0, n=200)

    def flaky_auc(yy, ss):
        # nan whenever the resample happens to start with a high score
        return math.nan if ss[0] > 1.5 else S.auc_midrank(yy, ss)

    assert not math.isnan(flaky_auc(y, c)) and not math.isnan(flaky_auc(y, b))
    bound = S.paired_bootstrap_difference(flaky_auc, y, c, b, n_resamples=50)
    assert_undefined(bound, "bootstrap distribution is degenerate")
    assert math.isfinite(bound.estimate)


def test_relative_with_zero_baseline():
    y, c, _ = correlated_scores(0, n=100)
    inverted = -y.astype(float)  # ranks every negative above every positive: AUC 0
    assert_undefined(S.delong_auc_difference(y, c, inverted, relative=True), "positive baseline")
    assert_undefined(S.paired_bootstrap_difference("roc_auc", y, c, inverted, relative=True), "positive baseline")
    always_wrong = 1 - y
    assert_undefined(S.accuracy_difference(y, y, always_wrong, relative=True), "positive baseline")
    zero_metric = S.paired_bootstrap_difference(lambda yy, ss: float(np.mean(ss > 100)), y, c, c, relative=True)
    assert_undefined(zero_metric, "positive baseline")


def test_confidence_none_is_a_point_estimate():
    y, c, b = correlated_scores(0, n=200)
    pc, pb = (c > 0.5).astype(int), (b > 0.5).astype(int)
    bounds = [
        S.delong_auc_difference(y, c, b, confidence=None),
        S.delong_auc_difference(y, c, b, confidence=None, relative=True),
        S.paired_bootstrap_difference("roc_auc", y, c, b, confidence=None),
        S.accuracy_difference(y, pc, pb, confidence=None),
    ]
    for bound in bounds:
        assert bound.method == "point estimate" and bound.confidence is None
        assert bound.lower == bound.estimate and math.isnan(bound.p_value)
        assert bound.defined and bound.reason == ""
    assert bounds[0].estimate == S.auc_midrank(y, c) - S.auc_midrank(y, b)


def test_both_scores_constant():
    y, _, _ = correlated_scores(0, n=100)
    const = np.zeros(100)
    at_zero = S.delong_auc_difference(y, const, const + 1)
    assert (at_zero.estimate, at_zero.lower, at_zero.p_value) == (0.0, 0.0, 1.0)
    below = S.delong_auc_difference(y, const, const, margin=-0.01)
    assert (below.lower, below.p_value) == (0.0, 0.0)  # se == 0: deterministic
    relative = S.delong_auc_difference(y, const, const, relative=True)
    assert (relative.estimate, relative.lower, relative.p_value) == (0.0, 0.0, 1.0)
    boot = S.paired_bootstrap_difference("roc_auc", y, const, const, n_resamples=100)
    assert (boot.lower, boot.p_value) == (0.0, 1.0)


def test_too_few_rows_for_delong_variance():
    y = np.array([1, 0, 0, 0])
    bound = S.delong_auc_difference(y, [0.9, 0.1, 0.2, 0.3], [0.5, 0.4, 0.6, 0.1])
    assert_undefined(bound, "at least 2 positives and 2 negatives")
    assert bound.estimate == pytest.approx(1.0 - 2 / 3)


def test_lower_is_better_metric_flips_the_difference():
    y, c, b = correlated_scores(0, n=300)
    prob_c, prob_b = 1 / (1 + np.exp(-c)), 1 / (1 + np.exp(-b))

    def brier(yy, pp):
        return float(np.mean((pp - yy) ** 2))

    bound = S.paired_bootstrap_difference(brier, y, prob_c, prob_b, higher_is_better=False, n_resamples=300)
    assert bound.estimate == pytest.approx(brier(y, prob_b) - brier(y, prob_c))
    rel = S.paired_bootstrap_difference(
        brier, y, prob_c, prob_b, higher_is_better=False, relative=True, n_resamples=300
    )
    assert rel.estimate == pytest.approx(bound.estimate / brier(y, prob_b))
    assert bound.lower < bound.estimate and rel.lower < rel.estimate
