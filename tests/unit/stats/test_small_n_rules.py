"""The rules that hold at small n: RMSE on the squared-error scale (a scaled chi-square
floor, margins on G(m) = MSE_b - (RMSE_c + m)^2), R^2 on log(1 - R^2), the tail
diagnostic (Cantelli's bound when the skew is too heavy for n), the one-vs-rest AUC's
thin classes, and the binary AUC floor's Hanley-McNeil share."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from modelgate.checks import FloorCheck, MarginCheck
from modelgate.evidence.evaluation import evaluate
from modelgate.stats import losses
from modelgate.stats.auc import ovr_auc_bound
from modelgate.stats.bounds import rows_for_skew, tail_guard
from modelgate.stats.delta import ovr_auc_difference
from modelgate.stats.squared_errors import r2_bound, rmse_bound, rmse_difference

Z95 = sps.norm.ppf(0.95)


def regression(n: int, seed: int, sigma: float = 0.9):
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0, 2.0, n)
    return y, y - sigma * rng.standard_normal(n), y - rng.standard_normal(n)


# ---------------------------------------------------------------- RMSE floor


@pytest.mark.parametrize("seed", range(3))
def test_the_rmse_floor_is_a_scaled_chi_square_with_satterthwaite_df(seed):
    y, s, _ = regression(50, seed)
    e2 = (y - s) ** 2
    mse = e2.mean()
    nu = min(2 * 50 * mse**2 / e2.var(ddof=1), 50)
    b = rmse_bound(y, s, floor=1.2)
    assert b.method == "scaled chi-square (Satterthwaite)" and b.value == pytest.approx(math.sqrt(mse))
    assert b.bound == pytest.approx(math.sqrt(nu * mse / sps.chi2.ppf(0.05, nu)), rel=1e-12)
    assert b.p_value == pytest.approx(sps.chi2.cdf(nu * mse / 1.2**2, nu), rel=1e-9)


def test_normal_errors_take_n_degrees_of_freedom_and_heavier_tails_fewer():
    # platykurtic errors (kurtosis below 3) would give nu > n: capped at n, the exact
    # chi-square of normal errors
    y = np.zeros(40)
    s = np.tile([1.0, -1.0, 0.9, -0.9], 10)
    assert rmse_bound(y, s).bound == pytest.approx(math.sqrt(40 * np.mean(s**2) / sps.chi2.ppf(0.05, 40)))
    heavy = np.r_[np.full(38, 0.5), 6.0, -6.0]
    plain_width = math.sqrt(40 * np.mean(heavy**2) / sps.chi2.ppf(0.05, 40))
    assert rmse_bound(y, heavy).bound > plain_width


def test_the_rmse_floor_p_value_is_dual_to_the_bound():
    y, s, _ = regression(80, 4)
    for floor in np.linspace(0.6, 1.4, 33):
        b = rmse_bound(y, s, floor=float(floor))
        assert b.clears(float(floor)) is bool(b.p_value < 0.05), floor


def test_no_error_on_any_row_is_no_certainty():
    y = np.arange(10.0)
    assert rmse_bound(y, y, floor=0.1).inconclusive
    assert not rmse_bound(y, y + 0.0, floor=0.0).clears(0.0)  # 0 is never below 0
    assert r2_bound(y, y, floor=0.9).inconclusive


@pytest.mark.slow  # 2,000 bounds: a second of CPU
def test_the_rmse_floor_holds_5_percent_at_30_normal_rows():
    rng = np.random.default_rng(11)
    passed = 0
    for _ in range(2000):
        e = rng.standard_normal(30)
        passed += rmse_bound(np.zeros(30), e, floor=1.0).clears(1.0)  # the true RMSE is 1
    assert passed / 2000 <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 2000)
    # the delta method's bound on the same samples passed 6-10% (benchmarks/bench_stats.py --worlds)


# ------------------------------------------------------------------ R^2 floor


def test_the_r2_floor_is_the_skew_corrected_t_bound_of_log_1_minus_r2():
    y, s, _ = regression(60, 7)
    n = y.size
    e2, t2 = (y - s) ** 2, (y - y.mean()) ** 2
    mse, v = e2.mean(), t2.mean()
    influence = (e2 - mse) / mse - (t2 - v) / v
    pseudo = -(math.log(mse / v) + influence - influence.mean())  # the lower bound of -L
    g = sps.skew(pseudo)
    h = -min(g, 0.0) / (6 * math.sqrt(n))
    t = sps.t.ppf(0.95, n - 1)
    se = pseudo.std(ddof=0) / math.sqrt(n - 1)
    upper_l = math.log(mse / v) + se * (t + h * (2 * t * t + 1))
    b = r2_bound(y, s, floor=0.5)
    assert b.method == "delta on log(1 - R^2) (skew-corrected t)"
    assert b.value == pytest.approx(1 - mse / v, rel=1e-12)
    assert b.bound == pytest.approx(1 - math.exp(upper_l), rel=1e-10)
    for floor in np.linspace(0.5, 0.9, 41):
        r = r2_bound(y, s, floor=float(floor))
        assert r.clears(float(floor)) is bool(r.p_value < 0.05), floor
    assert not r2_bound(y, s, floor=1.0).clears(1.0)  # R^2 <= 1: a floor of 1 never clears


def test_the_r2_bound_stays_below_1_where_the_delta_method_crossed_it():
    y = np.linspace(-3, 3, 12)
    s = y + np.r_[0.01, -0.01].repeat(6)
    b = r2_bound(y, s)
    assert b.value < 1.0 and b.bound < b.value < 1.0


# --------------------------------------------------------------- RMSE margins


def test_an_rmse_margin_at_zero_is_the_paired_squared_error_difference():
    y, c, b = regression(200, 3)
    r = rmse_difference(y, c, b)
    reference = losses.paired_loss_difference((y - c) ** 2, (y - b) ** 2)  # MSE_b - MSE_c
    assert r.method == "squared-error normal (skew-corrected)"
    assert r.estimate == pytest.approx(math.sqrt(np.mean((y - b) ** 2)) - math.sqrt(np.mean((y - c) ** 2)))
    assert r.p_value == pytest.approx(reference.p_value, rel=1e-12)
    assert (r.lower > 0) is (reference.lower > 0)


@pytest.mark.parametrize("seed", range(3))
def test_the_rmse_margin_bound_and_p_value_agree_at_every_margin(seed):
    y, c, b = regression(150, seed)
    r = rmse_difference(y, c, b)
    for margin in (*np.linspace(-0.3, 0.3, 25), r.lower, math.nextafter(r.lower, -1.0)):
        at = rmse_difference(y, c, b, margin=float(margin))
        assert at.lower == pytest.approx(r.lower, abs=1e-9)
        assert bool(at.lower > margin) is bool(at.p_value < 1 - 0.95), margin


def test_rmse_margins_and_floors_go_through_the_squared_error_method():
    y, c, _ = regression(300, 5)
    ev = evaluate(lambda rows: c, pd.DataFrame({"x": np.arange(300)}), y, task="regression")
    assert MarginCheck("rmse", baseline="mean").evaluate(ev).method == "squared-error normal (skew-corrected)"
    assert FloorCheck("rmse", at_most=2.0).evaluate(ev).method == "scaled chi-square (Satterthwaite)"
    assert FloorCheck("r2", at_least=0.5).evaluate(ev).method == "delta on log(1 - R^2) (skew-corrected t)"


# ------------------------------------------------------------- tail diagnostic


def test_sugden_smith_jones_rows():
    assert rows_for_skew(0.0) == 29 and rows_for_skew(1.0) == 54 and rows_for_skew(3.0) == 254


def test_a_skew_too_heavy_for_n_falls_back_to_cantelli():
    # lower bound of a mean; the values skewed toward failing (a long left tail)
    estimate, se = 1.0, 0.1
    normal = tail_guard(estimate, 0.8, 0.01, 0.0, se, 0.95, 0.5, 40, what="x")
    assert not normal.cantelli and normal.lower == 0.8  # no skew toward failing: the normal bound
    few = tail_guard(estimate, 0.8, 0.01, -1.0, se, 0.95, 0.7, 28, what="x")  # below 29 rows: never
    assert few.cantelli and few.reason.startswith("28 rows are too few for a normal bound of a mean of x")
    skewed = tail_guard(estimate, 0.8, 0.01, 2.0, se, 0.95, 0.5, 100, what="x")  # needs 129 rows
    k = math.sqrt(0.95 / 0.05)
    assert skewed.cantelli and skewed.lower == pytest.approx(1.0 - k * 0.1) and not skewed.reason
    assert skewed.p == pytest.approx(1 / (1 + 25.0))  # t = (1.0 - 0.5) / 0.1
    near = tail_guard(estimate, 0.8, 0.01, 2.0, se, 0.95, 0.7, 100, what="x")
    assert near.cantelli and near.reason.startswith("the x are too skewed toward failing")
    assert "needs at least 129 rows" in near.reason and near.p > 0.05
    enough = tail_guard(estimate, 0.8, 0.01, 2.0, se, 0.95, 0.7, 129, what="x")
    assert not enough.cantelli


def test_a_mean_loss_floor_on_a_heavy_tail_at_small_n_is_inconclusive_not_a_pass():
    losses_ = np.r_[np.full(29, 0.01), 3.0]  # one bad row in 30: skewness 5.2, needs 706 rows
    b = losses.mean_loss_bound(losses_, side="upper", floor=0.5)
    normal = losses.mean_loss_bound(losses_, side="upper")
    assert normal.bound < 0.5  # the normal bound alone would pass it
    assert b.inconclusive and b.method == "mean-loss Cantelli" and not b.clears(0.5)
    check = FloorCheck("log_loss", at_most=0.5)
    assert check.bound_method == "mean-loss"
    easy = losses.mean_loss_bound(losses_, side="upper", floor=2.0)  # a large effect still passes
    assert easy.clears(2.0) and not easy.inconclusive


# ------------------------------------------------------------ one-vs-rest AUC


def three_classes(counts, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), counts)
    s = np.eye(3)[y] * 1.5 + rng.standard_normal((y.size, 3))
    return y, np.exp(s) / np.exp(s).sum(axis=1, keepdims=True), rng


@pytest.mark.parametrize("counts, rows", [((40, 40, 1), "1 row of 81"), ((40, 40, 0), "0 rows of 80")])
def test_a_class_with_fewer_than_2_rows_leaves_one_vs_rest_auc_inconclusive(counts, rows):
    y, c, _ = three_classes(counts)
    b = np.roll(c, 1, axis=0)
    margin = ovr_auc_difference(y, c, b, margin=-0.5)
    floor = ovr_auc_bound(y, c, floor=0.1)
    for bound in (margin, floor):
        assert bound.inconclusive and f"class 2 has {rows}" in bound.reason
    y2, c2, _ = three_classes((40, 40, 2))
    assert not ovr_auc_difference(y2, c2, np.roll(c2, 1, axis=0), margin=-0.5).inconclusive


# ------------------------------------------------------------------ AUC floor


def test_a_near_perfect_auc_floor_is_widened_toward_hanley_mcneil():
    from modelgate.stats import auc_bound, delong_auc_variance

    rng = np.random.default_rng(3)
    y = np.r_[np.ones(150), np.zeros(50)].astype(int)
    s = rng.standard_normal(200) + 4.5 * y
    auc, var = delong_auc_variance(y, s)
    plain = 1 / (1 + math.exp(-(math.log(auc / (1 - auc)) - Z95 * math.sqrt(var) / (auc * (1 - auc)))))
    bound = auc_bound(y, s)
    assert bound.method == "DeLong (logit, Hanley-McNeil floor)"
    assert bound.bound < plain  # DeLong's variance is below Hanley-McNeil's here


def test_a_spread_that_rounds_to_zero_variance_is_no_certainty_and_no_crash():
    # the values differ (ptp 1e-170) but their variance underflows to 0
    lc = np.zeros(40)
    lb = np.r_[np.full(39, 1e-170), 2e-170]
    assert np.ptp(lb - lc) > 0 and np.var(lb - lc) == 0.0
    bound = losses.paired_loss_difference(lc, lb, margin=-0.1)
    assert bound.inconclusive and not bound.defined
    assert losses.mean_loss_bound(lb, side="upper", floor=0.6).inconclusive


# ------------------------------------------------------------------- macro F1


def test_the_macro_f1_influence_is_the_derivative_of_the_confusion_counts():
    from sklearn.metrics import f1_score

    from modelgate.stats.f1 import macro_f1_influence

    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 400)
    pred = np.where(rng.random(400) < 0.7, y, rng.integers(0, 3, 400))
    value, influence, fewest, _ = macro_f1_influence(y, pred)
    assert value == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-12)
    assert fewest == np.bincount(y).min() and abs(influence.mean()) < 1e-12
    # the influence is the derivative of the metric when one row's weight grows (numerically)
    eps = 1e-6
    for i in (0, 7, 99):
        w = np.ones(400)
        w[i] += eps * 400
        bumped = f1_score(y, pred, average="macro", sample_weight=w)
        assert (bumped - value) / eps == pytest.approx(influence[i], rel=1e-3, abs=1e-6)


def test_macro_f1_bounds_use_t_on_the_smallest_class_and_are_dual():
    from modelgate.stats.f1 import macro_f1_bound, macro_f1_difference, macro_f1_influence

    rng = np.random.default_rng(6)
    y = np.repeat([0, 1, 2], [60, 30, 10])
    s = np.eye(3)[y] * 1.2 + rng.standard_normal((100, 3))
    b = np.eye(3)[y] * 0.6 + rng.standard_normal((100, 3))
    value, infl, fewest, _ = macro_f1_influence(y, s.argmax(1))
    t = sps.t.ppf(0.95, fewest - 1)
    se = infl.std(ddof=1) / math.sqrt(100) / (value * (1 - value))
    bound = macro_f1_bound(y, s, floor=0.3)
    assert fewest == 10 and bound.bound == pytest.approx(1 / (1 + math.exp(-(math.log(value / (1 - value)) - t * se))))
    for floor in np.linspace(0.2, 0.9, 29):
        r = macro_f1_bound(y, s, floor=float(floor))
        assert r.clears(float(floor)) is bool(r.p_value < 1 - 0.95)
    for margin in np.linspace(-0.3, 0.4, 29):
        d = macro_f1_difference(y, s, b, margin=float(margin))
        assert bool(d.lower > margin) is bool(d.p_value < 1 - 0.95)


def test_macro_f1_on_a_thin_class_or_every_row_right_is_inconclusive():
    from modelgate.stats.f1 import macro_f1_bound, macro_f1_difference

    y = np.r_[np.zeros(20, int), np.ones(20, int), 2]
    perfect = np.eye(3)[y]
    assert "class 2 has 1 row of 41" in macro_f1_bound(y, perfect, floor=0.5).reason
    assert macro_f1_difference(y, perfect, np.roll(perfect, 1, axis=0)).inconclusive
    y2 = np.repeat([0, 1, 2], 10)
    right = macro_f1_bound(y2, np.eye(3)[y2], floor=0.9)  # 30 of 30 right: no spread
    assert right.inconclusive and not right.clears(0.9)
    nan = np.eye(3)[y2]
    nan[0, 0] = np.nan
    assert not macro_f1_bound(y2, nan, floor=0.1).inconclusive  # a defect, not thin data


@pytest.mark.slow  # 1,000 simulated gates (6 s): the full suite runs it
def test_a_margin_below_minus_the_sample_rmse_is_no_certainty():
    # The candidate's true RMSE is 2, the baseline's 0.1: the true difference is -1.9. A
    # sample whose RMSE_c is below 1.9 once passed margin -1.9 with certainty ("RMSE_b -
    # RMSE_c >= -RMSE_c > m"), though the true RMSE_c is not the sample's.
    rng = np.random.default_rng(0)
    passed = 0
    for _ in range(1000):
        c, b = rng.normal(0, 2, 30), rng.normal(0, 0.1, 30)
        r = rmse_difference(np.zeros(30), c, b, margin=-1.9)
        passed += r.lower > -1.9 and not r.inconclusive
        assert bool(r.lower > -1.9) is bool(r.p_value < 1 - 0.95)
    assert passed / 1000 <= 0.065
    y = np.zeros(30)
    c = np.r_[np.full(29, 1.0), 1.5]  # sample RMSE_c about 1.02 < 1.9
    sure = rmse_difference(y, c, np.full(30, 0.1), margin=-1.9)
    assert sure.p_value > 0.0 and math.isfinite(sure.lower)


# ------------------------------------------------- found by the hostile review


@pytest.mark.parametrize("scale", [1e-150, 1e60, 1e100])
def test_the_squared_error_rules_do_not_depend_on_the_units(scale):
    z3, c, b = np.zeros(3), np.array([1.0, 2, 3]), np.array([3.0, 2, 4])
    unit = rmse_difference(z3, c, b)
    scaled = rmse_difference(z3, c * scale, b * scale)  # overflowed, or passed with p = 0
    assert scaled.p_value == pytest.approx(unit.p_value, rel=1e-9) and not scaled.lower > 0
    e = np.r_[np.zeros(9), 1.0]
    assert not rmse_bound(np.zeros(10), e, floor=0.6).clears(0.6)
    assert not rmse_bound(np.zeros(10), e * scale, floor=0.6 * scale).clears(0.6 * scale)
    y = np.array([0.0, 1, 5, 2, 7])
    s = np.array([0.5, 1, 4, 3, 6])
    assert r2_bound(y * scale, s * scale, floor=0.3).p_value == pytest.approx(r2_bound(y, s, floor=0.3).p_value)


def test_an_r2_floor_with_no_spread_is_inconclusive_not_certain():
    # a constant prediction on 3 rows: log(1 - R^2)'s influence has no spread (was p = 0)
    b = r2_bound([0.0, 1, 5], np.full(3, 2.0), floor=-0.01)
    assert b.inconclusive and not b.clears(-0.01)


def test_a_one_vs_rest_class_of_two_rows_takes_t_on_one_degree_of_freedom():
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1, 2], [2, 40, 40])
    passed = 0
    for _ in range(300):  # the same model twice, drawn afresh: margin 0 is the boundary
        s1, s2 = (np.eye(3)[y] + rng.standard_normal((82, 3)) for _ in range(2))
        r = ovr_auc_difference(y, s1, s2)
        passed += r.lower > 0
        assert r.method == "delta (t on the smallest class)"
    assert passed / 300 <= 0.065  # the normal quantile passed 10-13%


@pytest.mark.slow  # 1,000 simulated gates (6 s): the full suite runs it
def test_relative_rmse_margins_are_decided_on_squared_errors_too():
    rng = np.random.default_rng(2)
    passed = 0
    for _ in range(1000):  # two equal models: relative margin 0 is the boundary
        c, b = rng.standard_normal(10), rng.standard_normal(10)
        r = rmse_difference(np.zeros(10), c, b, relative=True)
        assert r.method == "squared-error normal (skew-corrected, ratio)"
        assert bool(r.lower > 0) is bool(r.p_value < 1 - 0.95)
        passed += r.lower > 0 and not r.inconclusive
    assert passed / 1000 <= 0.065  # the delta method's Fieller bound passed 9% at 10 rows
