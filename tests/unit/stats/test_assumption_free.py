"""The bounds that assume nothing about the tails: exact order-statistic bounds of an
error quantile, and empirical-Bernstein bounds of a mean of values in [0, 1]."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from modelgate.checks import MarginCheck
from modelgate.checks.floors import FloorCheck
from modelgate.stats.bernstein import bernstein_bound, bernstein_difference
from modelgate.stats.order_statistics import quantile_bound, quantile_difference

RNG = np.random.default_rng(7)


def _brute_rank(n, q, confidence):
    return next((k for k in range(1, n + 1) if st.binom.cdf(k - 1, n, q) >= confidence), None)


@pytest.mark.parametrize(("n", "q"), [(5, 0.5), (30, 0.9), (72, 0.5), (72, 0.9), (133, 0.9), (2264, 0.5)])
def test_the_upper_bound_is_the_order_statistic_that_reaches_the_confidence(n, q):
    x = RNG.standard_t(3, n)
    bound = quantile_bound(np.abs(x), q, side="upper", floor=1.0)
    k = _brute_rank(n, q, 0.95)
    assert bound.bound == np.sort(np.abs(x))[k - 1]
    assert bound.value == np.quantile(np.abs(x), q)
    assert bound.method == "order statistic (exact)" and not bound.inconclusive


@pytest.mark.parametrize("side", ["upper", "lower"])
def test_the_quantile_p_value_is_dual_to_the_bound(side):
    x = RNG.lognormal(0.0, 1.5, 60)
    for floor in np.quantile(x, np.linspace(0.05, 0.99, 40)):
        b = quantile_bound(x, 0.5, side=side, floor=float(floor))
        assert b.clears(float(floor)) == (b.p_value <= 0.05), (floor, b)


def test_the_quantile_bound_holds_exactly_at_the_boundary():
    """P(pass | the true quantile equals the floor) is P(Binomial(n, q) >= k) <= 5% for
    every continuous distribution; checked by simulation on a heavy-tailed one."""
    n, q, trials = 30, 0.9, 4000
    truth = st.t.ppf(0.5 + q / 2, 3)  # the 0.9 quantile of |t(3)|
    errors = np.abs(RNG.standard_t(3, (trials, n)))
    passed = np.mean([quantile_bound(e, q, floor=truth).clears(truth) for e in errors])
    k = _brute_rank(n, q, 0.95)
    exact = st.binom.sf(k - 1, n, q)
    assert exact <= 0.05
    assert abs(passed - exact) < 4 * math.sqrt(exact * (1 - exact) / trials)


def test_too_few_rows_for_an_exact_quantile_bound_is_inconclusive():
    short = quantile_bound(np.arange(28.0), 0.9, floor=100.0)
    assert short.inconclusive and not short.defined
    assert "needs at least 29 rows, not 28" in short.reason
    assert quantile_bound(np.arange(29.0), 0.9, floor=100.0).clears(100.0)
    nan = quantile_bound(np.r_[np.arange(40.0), np.nan], 0.5, floor=100.0)
    assert not nan.defined and not nan.inconclusive  # a defect, not thin data


def test_a_quantile_margin_combines_two_exact_bounds():
    n = 200
    c, b = np.abs(RNG.normal(0, 1, n)), np.abs(RNG.normal(0, 2, n))
    d = quantile_difference(c, b, 0.5, margin=0.2)
    k_up = _brute_rank(n, 0.5, 0.975)
    k_low = n + 1 - k_up  # symmetric at the median
    assert d.lower == pytest.approx(np.sort(b)[k_low - 1] - np.sort(c)[k_up - 1])
    assert d.estimate == pytest.approx(np.median(b) - np.median(c))
    for margin in np.linspace(-1, 1.5, 30):
        m = quantile_difference(c, b, 0.5, margin=float(margin))
        assert (m.lower > margin) == (m.p_value < 0.05), (margin, m)
    assert quantile_difference(c[:30], b[:30], 0.9).inconclusive  # 0.9 at 97.5% needs 36 rows


def _eb_upper(x, alpha):
    n, t = x.size, math.log(2 / alpha)
    return x.mean() + math.sqrt(2 * x.var(ddof=1) * t / n) + 7 * t / (3 * (n - 1))


def test_the_bernstein_bound_is_maurer_and_pontils():
    x = RNG.beta(0.5, 5, 100)
    up = bernstein_bound(x, side="upper", floor=0.2)
    assert up.bound == pytest.approx(_eb_upper(x, 0.05))
    low = bernstein_bound(x, side="lower", floor=0.01)
    assert low.bound == pytest.approx(max(0.0, 1 - _eb_upper(1 - x, 0.05)))  # within [0, 1]
    for floor in np.linspace(0.05, 0.4, 30):
        b = bernstein_bound(x, side="upper", floor=float(floor))
        assert b.clears(float(floor)) == (b.p_value < 0.05)


def test_the_bernstein_bounds_hold_at_the_boundary_at_small_n():
    n, trials = 30, 1000
    rows = RNG.random((trials, n)) < 0.97  # a near-perfect classifier's correctness
    floors = np.mean([bernstein_bound(r, floor=0.97).clears(0.97) for r in rows])
    # paired: the candidate is right on 2% more rows, margin 0.02 (the boundary)
    u = RNG.random((trials, n))
    c, b = (u < 0.92).astype(float), (u < 0.90).astype(float)
    margins = np.mean([bernstein_difference(ci, bi, margin=0.02).lower > 0.02 for ci, bi in zip(c, b, strict=True)])
    assert floors <= 0.05 and margins <= 0.05


def test_a_bernstein_margin_is_dual_and_relative_is_bonferroni():
    n = 500
    u = RNG.random(n)
    c, b = (u < 0.9).astype(float), (u < 0.8).astype(float)
    for margin in np.linspace(-0.05, 0.15, 25):
        d = bernstein_difference(c, b, margin=float(margin))
        assert (d.lower > margin) == (d.p_value < 0.05)
        r = bernstein_difference(c, b, margin=float(margin), relative=True)
        assert (r.lower > margin) == (r.p_value < 0.05)
    assert bernstein_difference(c[:1], b[:1]).inconclusive


def test_the_checks_reach_the_new_metrics_and_methods():
    import modelgate

    y = RNG.normal(100, 30, 150)
    good, poor = y + RNG.normal(0, 10, 150), y + RNG.normal(0, 40, 150)
    evaluation = modelgate.evaluate(lambda rows: good, list(range(150)), y, task="regression")
    median = FloorCheck("median_ae", at_most=12.0).evaluate(evaluation)
    assert median.passed and median.method == "order statistic (exact)", median.message
    assert not FloorCheck("p90_ae", at_most=10.0).evaluate(evaluation).passed
    wide = modelgate.evaluate(lambda rows: poor, list(range(150)), y, task="regression")
    assert not FloorCheck("median_ae", at_most=12.0).evaluate(wide).passed
    labels = (y > 100).astype(int)
    scores = np.clip((good - 100) / 60 + 0.5, 0, 1)
    classified = modelgate.evaluate(lambda rows: scores, list(range(150)), labels, task="binary")
    result = MarginCheck("accuracy", margin=0.05, method="bernstein").evaluate(classified)
    assert result.method == "empirical Bernstein" and result.passed, result.message
