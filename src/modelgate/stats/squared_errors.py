"""Floors of the squared-error metrics: RMSE from a scaled chi-square with
Satterthwaite's degrees of freedom (method "chi-square"), and R^2 on the log of
1 - R^2 with a skew-corrected t quantile (method "log-delta").

Both replace the delta method's normal bound, whose skew is wrong at small n: the
mean of squared errors is chi-square-shaped, and 1 - R^2 is a ratio of two such
means. On normal residuals both hold 5% from n = 30 (benchmarks/bench_stats.py
--worlds). Neither rests on fewer assumptions than the delta method: a tail the
sample does not show is not in the bound (see the statistics docs page); a tail
it does show makes the check inconclusive (:func:`.bounds.too_skewed`).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .bounds import (
    ZERO_BASELINE,
    DifferenceBound,
    MetricBound,
    Side,
    Values,
    check_options,
    no_spread,
    one_sample_options,
    p_outside,
    point_bound,
    quantity,
    tail_guard,
    undefined_difference,
    undefined_metric,
)
from .inputs import as_1d, same_length
from .losses import SAME_DIFFERENCE, SAME_LOSS, _skew_corrected_bound, _skew_corrected_from_moments

CHI_SQUARE = "scaled chi-square (Satterthwaite)"
LOG_DELTA = "delta on log(1 - R^2) (skew-corrected t)"
# Errors outside this range are rescaled first: their squares' third moments (e^6) stay
# finite and above the subnormals, so no variance overflows or underflows to 0.
_SAFE_SCALE = (1e-40, 1e40)


def _scale(*errors: np.ndarray) -> float:
    """1.0, or the largest absolute error when it is outside the safe range (0: none)."""
    k = max((float(np.max(np.abs(e))) for e in errors if e.size), default=0.0)
    return k if k > 0.0 and not _SAFE_SCALE[0] <= k <= _SAFE_SCALE[1] else 1.0


SQUARED_ERROR = "squared-error normal (skew-corrected)"
SQUARED_ERROR_RELATIVE = "squared-error normal (skew-corrected, ratio)"


def _errors(y_true: ArrayLike, scores: ArrayLike, method: str, side: Side, confidence: float | None):
    y = as_1d(y_true, "y_true", np.float64)
    s = as_1d(scores, "scores", np.float64)
    if y.size != s.size:
        raise ValueError(f"y_true and scores have different lengths: {y.size} and {s.size}")
    bad = int(np.count_nonzero(~np.isfinite(y)) + np.count_nonzero(~np.isfinite(s)))
    if bad:
        return (
            y,
            s,
            undefined_metric(method, side, confidence, y.size, f"a target or score is not finite on {bad} values"),
        )
    if y.size < 2:
        why = "no rows" if y.size == 0 else "a confidence bound needs at least 2 rows"
        return y, s, undefined_metric(method, side, confidence, y.size, why, inconclusive=True)
    return y, s, None


def rmse_bound(
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "upper",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided bound of the RMSE (method "scaled chi-square (Satterthwaite)").

    The mean squared error is taken as sigma^2 chi2_nu / nu, with nu =
    2 n MSE^2 / var(e^2) (Satterthwaite 1946), never above n: exactly n for normal
    residuals (Cochran's theorem), fewer for heavier tails, which widens the bound.
    Upper bound sqrt(nu MSE / chi2_nu(1 - confidence)); lower bound with the upper
    quantile. p is dual to the bound: ``clears(floor)`` exactly when p < 1 -
    confidence. Inconclusive: every error zero while the floor would clear; a skew of
    the squared errors beyond the chi-square's that needs more rows than there are
    (:func:`.bounds.too_skewed`). Undefined: a non-finite target or score.
    """
    z = one_sample_options(side, floor, confidence)
    y, s, undefined = _errors(y_true, scores, CHI_SQUARE if z is not None else "point estimate", side, confidence)
    if undefined is not None:
        return undefined
    if not np.all(np.isfinite(y - s)):
        return undefined_metric(CHI_SQUARE, side, confidence, y.size, "an error y - score overflows")
    k = _scale(y - s)
    if k != 1.0:
        scaled = rmse_bound(
            (y - s) / k, np.zeros(y.size), side=side, floor=None if floor is None else floor / k, confidence=confidence
        )
        return replace(scaled, value=scaled.value * k, bound=scaled.bound * k)
    e2 = (y - s) ** 2
    n = e2.size
    mse = float(e2.mean())
    value = math.sqrt(mse)
    if z is None:
        return point_bound(value, side, n)
    assert confidence is not None
    if mse == 0.0:
        if floor is None or (value < floor if side == "upper" else value > floor):
            return undefined_metric(CHI_SQUARE, side, confidence, n, SAME_LOSS, value, inconclusive=True)
        return MetricBound(value, value, side, 1.0, CHI_SQUARE, confidence, n)
    var_e2 = float(e2.var(ddof=1))
    nu = float(n) if var_e2 == 0.0 else min(2.0 * n * mse * mse / var_e2, float(n))
    alpha = 1.0 - confidence
    quantile = stats.chi2.ppf(alpha if side == "upper" else confidence, nu)
    bound = math.sqrt(nu * mse / quantile)
    if floor is None:
        return MetricBound(value, bound, side, math.nan, CHI_SQUARE, confidence, n)
    if floor <= 0.0:
        p = p_outside(bound, side, floor)
    else:
        x = nu * mse / (floor * floor)
        p = float(stats.chi2.cdf(x, nu) if side == "upper" else stats.chi2.sf(x, nu))
    if side == "upper" and var_e2 > 0.0 and floor > 0.0:
        centred = e2 - mse
        skew = float(np.mean(centred**3)) / float(np.mean(centred**2)) ** 1.5
        # the skew of the squared errors beyond the chi-square's own (sqrt(8 n / nu))
        g = tail_guard(
            -mse,
            -bound * bound,
            p,
            skew - math.sqrt(8.0 * n / nu),
            math.sqrt(var_e2 / n),
            confidence,
            -floor * floor,
            n,
            what="squared errors",
        )
        if g.cantelli:
            bound = math.sqrt(-g.lower)
            method = "scaled chi-square, Cantelli"
            return MetricBound(value, bound, side, g.p, method, confidence, n, g.reason, inconclusive=bool(g.reason))
    return MetricBound(value, bound, side, p, CHI_SQUARE, confidence, n)


def r2_bound(
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided bound of R^2 = 1 - MSE / V (method "delta on log(1 - R^2)
    (skew-corrected t)"), V the target's variance over n.

    L = log(MSE / V) has the influence (e_i^2 - MSE) / MSE - (t_i^2 - V) / V
    (t_i = y_i - mean(y)); its bound is the skew-corrected bound of a mean (as
    :func:`.losses.mean_loss_bound`) with Student's t quantile on n - 1 degrees of
    freedom, mapped back by R^2 = 1 - exp(L), so the bound stays below 1. p is
    dual to the bound. Undefined: a constant target, a non-finite value.
    Inconclusive: no error on any row while the floor would clear; a skew toward
    failing that needs more rows than there are (:func:`.bounds.too_skewed`).
    """
    z = one_sample_options(side, floor, confidence)
    method = LOG_DELTA if z is not None else "point estimate"
    y, s, undefined = _errors(y_true, scores, method, side, confidence)
    if undefined is not None:
        return undefined
    n = y.size
    if not (np.all(np.isfinite(y - s)) and np.all(np.isfinite(y - y.mean()))):
        return undefined_metric(method, side, confidence, n, "an error y - score overflows")
    k = _scale(y - s, y - y.mean())
    if k != 1.0:  # R^2 is scale-free
        return r2_bound(y / k, s / k, side=side, floor=floor, confidence=confidence)
    t2 = (y - y.mean()) ** 2
    v = float(t2.mean())
    if v == 0.0:
        return undefined_metric(method, side, confidence, n, "R^2 is undefined on a constant target")
    e2 = (y - s) ** 2
    mse = float(e2.mean())
    value = 1.0 - mse / v
    if z is None:
        return point_bound(value, side, n)
    assert confidence is not None
    beyond = floor is None or (value > floor if side == "lower" else value < floor)
    if mse == 0.0:
        if beyond:
            return undefined_metric(method, side, confidence, n, SAME_LOSS, value, inconclusive=True)
        return MetricBound(value, value, side, 1.0, method, confidence, n)
    log_ratio = math.log(mse / v)
    influence = (e2 - mse) / mse - (t2 - v) / v
    # A lower bound of R^2 is an upper bound of L: the lower bound of the mean of -L.
    sign = -1.0 if side == "lower" else 1.0
    pseudo = sign * (log_ratio + influence - float(influence.mean()))
    if floor is None or floor < 1.0:
        target = sign * math.log1p(-floor) if floor is not None else 0.0
    else:  # R^2 <= 1: a floor at or above 1 never clears from below, always from above
        target = math.inf if side == "lower" else -math.inf
    if no_spread(pseudo):  # no spread is no certainty
        if sign * log_ratio > target:
            return undefined_metric(method, side, confidence, n, SAME_LOSS, value, inconclusive=True)
        return MetricBound(value, value, side, 1.0, method, confidence, n)
    else:
        lower, p, skew = _skew_corrected_bound(sign * log_ratio, pseudo, z, target, df=n - 1)
    bound = -math.expm1(sign * lower)
    if floor is None:
        return MetricBound(value, bound, side, math.nan, method, confidence, n)
    se = float(pseudo.std(ddof=1)) / math.sqrt(n)
    g = tail_guard(sign * log_ratio, lower, p, skew, se, confidence, target, n, what="influence values of log(1 - R^2)")
    if g.cantelli:
        bound = -math.expm1(sign * g.lower)
        method = "delta on log(1 - R^2), Cantelli"
        return MetricBound(value, bound, side, g.p, method, confidence, n, g.reason, inconclusive=bool(g.reason))
    return MetricBound(value, bound, side, p, method, confidence, n)


def rmse_difference(
    y_true: ArrayLike,
    candidate_scores: ArrayLike,
    baseline_scores: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare two models on RMSE (lower is better), decided on the squared-error scale
    (method "squared-error normal (skew-corrected)").

    RMSE_b - RMSE_c > m exactly when G(m) = MSE_b - (RMSE_c + m)^2 > 0 (m >= 0) or
    H(m) = (RMSE_b - m)^2 - MSE_c > 0 (m < 0). G's influence is (e_b^2 - MSE_b) -
    (1 + m / RMSE_c) (e_c^2 - MSE_c), H's (1 - m / RMSE_b) (e_b^2 - MSE_b) - (e_c^2 -
    MSE_c): at m = 0 both are the paired squared-error difference, a plain mean, with no
    square root to linearise. The check passes when the skew-corrected lower bound of
    G(margin) or H(margin) (with
    the tail diagnostic of :func:`.bounds.tail_guard`) is above 0; ``lower`` is the
    largest m at which it would be (bisection), so ``lower > margin`` exactly when
    p < 1 - confidence. The delta method on the RMSE difference itself passed 7% of the
    time at the boundary with skewed or outlying errors at 72-200 rows
    (benchmarks/bench_stats.py --worlds). Relative margins:
    1 - RMSE_c / RMSE_b > m exactly when (1 - m)^2 MSE_b - MSE_c > 0 (m < 1), the same test
    with weights ((1 - m)^2, 1) (method "squared-error normal (skew-corrected, ratio)").
    """
    z = check_options(margin, confidence)
    y = as_1d(y_true, "y_true", np.float64)
    c_s = as_1d(candidate_scores, "candidate_scores", np.float64)
    b_s = as_1d(baseline_scores, "baseline_scores", np.float64)
    n = same_length(y_true=y, candidate_scores=c_s, baseline_scores=b_s)
    name = (SQUARED_ERROR_RELATIVE if relative else SQUARED_ERROR) if z is not None else "point estimate"
    if n == 0:
        return undefined_difference(name, confidence, 0, "no rows", inconclusive=True)
    bad = int(
        np.count_nonzero(~np.isfinite(y)) + np.count_nonzero(~np.isfinite(c_s)) + np.count_nonzero(~np.isfinite(b_s))
    )
    if bad:
        return undefined_difference(name, confidence, n, f"a target or score is not finite on {bad} values")
    if not (np.all(np.isfinite(y - c_s)) and np.all(np.isfinite(y - b_s))):
        return undefined_difference(name, confidence, n, "an error y - score overflows")
    k = _scale(y - c_s, y - b_s)
    if k != 1.0:
        zeros = np.zeros(n)
        scaled = rmse_difference(
            zeros,
            (c_s - y) / k,
            (b_s - y) / k,
            margin=margin if relative else margin / k,
            confidence=confidence,
            relative=relative,
        )
        unit = 1.0 if relative else k
        return replace(
            scaled,
            estimate=scaled.estimate * unit,
            lower=scaled.lower * unit,
            candidate=scaled.candidate * k,
            baseline=scaled.baseline * k,
        )
    ec, eb = (y - c_s) ** 2, (y - b_s) ** 2
    mse_c, mse_b = float(ec.mean()), float(eb.mean())
    rc, rb = math.sqrt(mse_c), math.sqrt(mse_b)
    common: Values = {"candidate": rc, "baseline": rb}
    if relative and rb == 0.0:
        return undefined_difference(name, confidence, n, ZERO_BASELINE.format(rb), **common)
    estimate = quantity(rc, rb, relative=relative, higher_is_better=False)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, name, None, n, rc, rb)
    assert confidence is not None
    if n < 3:
        return undefined_difference(
            name,
            confidence,
            n,
            "a squared-error bound needs at least 3 rows",
            estimate=estimate,
            **common,
            inconclusive=True,
        )
    if rc == 0.0 or rb == 0.0:  # a model with no error on any row: no spread, no certainty
        if estimate > margin:
            why = (
                f"the {'candidate' if rc == 0.0 else 'baseline'} has no error on any row: zero variance is no certainty"
            )
            return undefined_difference(name, confidence, n, why, estimate=estimate, **common, inconclusive=True)
        return DifferenceBound(estimate, estimate, 1.0, name, confidence, n, rc, rb)
    if no_spread(eb - ec) and estimate > margin:
        return undefined_difference(
            name, confidence, n, SAME_DIFFERENCE, estimate=estimate, **common, inconclusive=True
        )

    # d(m) = A - w B with A = e_b^2 - MSE_b, B = e_c^2 - MSE_c (both mean 0): its second
    # and third moments are polynomials in w, so each margin tried costs O(1), not O(n).
    a, bc = eb - mse_b, ec - mse_c
    a2, b2 = a * a, bc * bc
    m_aa, m_ab, m_bb = float(a2.mean()), float((a * bc).mean()), float(b2.mean())
    m_aaa, m_aab, m_abb, m_bbb = (
        float((a2 * a).mean()),
        float((a2 * bc).mean()),
        float((a * b2).mean()),
        float((b2 * bc).mean()),
    )
    del a, bc, a2, b2

    def test(m: float) -> tuple[float, float, str]:
        """(lower bound of the test statistic at margin m, its p-value, the tail diagnostic's
        reason): G(m) = MSE_b - (RMSE_c + m)^2 for m >= 0, H(m) = (RMSE_b - m)^2 - MSE_c
        for m < 0 (so that the square root's argument is never negative), each > 0
        exactly when RMSE_b - RMSE_c > m. Their influences are u A - v B."""
        if relative:  # 1 - RMSE_c / RMSE_b > m exactly when (1 - m)^2 MSE_b - MSE_c > 0 (m < 1)
            if m >= 1.0:
                return -math.inf, 1.0, ""
            stat, u, v = (1.0 - m) ** 2 * mse_b - mse_c, (1.0 - m) ** 2, 1.0
        elif m >= 0.0:
            stat, u, v = mse_b - (rc + m) ** 2, 1.0, 1.0 + m / rc
        else:
            stat, u, v = (rb - m) ** 2 - mse_c, 1.0 - m / rb, 1.0
        m2 = u * u * m_aa - 2.0 * u * v * m_ab + v * v * m_bb
        if not m2 > 0.0:
            return stat, (0.0 if stat > 0 else 1.0), ""
        m3 = u**3 * m_aaa - 3.0 * u * u * v * m_aab + 3.0 * u * v * v * m_abb - v**3 * m_bbb
        sd_n = math.sqrt(m2)
        low, p, skew = _skew_corrected_from_moments(stat, sd_n, m3 / m2**1.5, n, z, 0.0)
        se = sd_n / math.sqrt(n - 1)
        guard = tail_guard(stat, low, p, skew, se, confidence, 0.0, n, what="squared-error differences")
        return guard.lower, guard.p, guard.reason

    low_g, p, reason = test(margin)
    # The bound: the largest m whose test passes (the statistic's lower bound falls as m
    # rises), bracketed from below by doubling (the difference has no lower limit that
    # the sample knows: the true RMSE_c may exceed the sample's).
    hi, step = estimate, max(1.0, abs(estimate), rc, rb)
    lo = estimate - step
    for _ in range(60):
        if test(lo)[0] > 0.0:
            break
        hi, lo, step = lo, lo - 2.0 * step, 2.0 * step
    if not test(lo)[0] > 0.0:
        lower = -math.inf
    else:
        for _ in range(60):
            mid = (lo + hi) / 2.0
            lo, hi = (mid, hi) if test(mid)[0] > 0.0 else (lo, mid)
        lower = lo
    # The test at the margin decides; the bisection's and the p-value's rounding follow it,
    # so that lower > margin exactly when p < 1 - confidence.
    alpha = 1.0 - confidence
    if low_g > 0.0:
        lower, p = max(lower, math.nextafter(margin, math.inf)), min(p, math.nextafter(alpha, 0.0))
    else:
        lower, p = min(lower, margin), max(p, alpha)
    if reason:
        return DifferenceBound(estimate, lower, p, name, confidence, n, rc, rb, reason, inconclusive=True)
    return DifferenceBound(estimate, lower, p, name, confidence, n, rc, rb)
