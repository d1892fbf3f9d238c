"""Empirical-Bernstein bounds of a mean of values in [0, 1], valid at any n.

Maurer & Pontil (2009, Theorem 4): for n independent draws in [0, 1] with
sample variance V (ddof 1), with probability at least 1 - delta

    E X <= mean + sqrt(2 V ln(2 / delta) / n) + 7 ln(2 / delta) / (3 (n - 1)).

No normal approximation, no tail assumption beyond the range: the bound holds
at every n >= 2 and for every distribution on [0, 1], at the price of width
(about 2.5 times a normal bound's at n = 2,264). It fits per-row values that are
bounded: the Brier score of one probability, a row's correctness (accuracy).
A margin bounds the mean of the paired differences d in [-1, 1] through
(1 - d) / 2 in [0, 1]; a relative margin combines the two models' one-sample
bounds, each at 1 - (1 - confidence) / 2 (Bonferroni).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .bounds import (
    DifferenceBound,
    MetricBound,
    Side,
    Values,
    check_options,
    dual_p,
    one_sample_options,
    point_bound,
    quantity,
    undefined_difference,
    undefined_metric,
)
from .inputs import as_1d, same_length

METHOD = "empirical Bernstein"


def _rows(values: ArrayLike, name: str) -> tuple[NDArray[np.float64], str]:
    x = as_1d(values, name, np.float64)
    bad = int(np.count_nonzero(~np.isfinite(x)))
    if bad:
        return x, f"{name} is not finite on {bad} of {x.size} rows"
    outside = int(np.count_nonzero((x < 0.0) | (x > 1.0)))
    if outside:  # not probabilities (logits?): a defect of the scores, which fails
        return x, f"{name} is outside [0, 1] on {outside} of {x.size} rows: an empirical-Bernstein bound needs [0, 1]"
    return x, ""


def _upper(x: NDArray[np.float64], alpha: float) -> float:
    """The one-sided empirical-Bernstein upper bound of E X at level alpha, clipped to 1."""
    n = x.size
    t = math.log(2.0 / alpha)
    return min(1.0, float(x.mean()) + math.sqrt(2.0 * float(x.var(ddof=1)) * t / n) + 7.0 * t / (3.0 * (n - 1)))


def _p_upper_below(x: NDArray[np.float64], target: float) -> float:
    """The smallest alpha at which the upper bound of E X is below ``target`` (dual p)."""
    n, mean = x.size, float(x.mean())
    if target <= mean:
        return 1.0
    a, b = 7.0 / (3.0 * (n - 1)), math.sqrt(2.0 * float(x.var(ddof=1)) / n)
    s = (-b + math.sqrt(b * b + 4.0 * a * (target - mean))) / (2.0 * a)  # sqrt(ln(2 / alpha)) at the edge
    return min(1.0, 2.0 * math.exp(-s * s))


def bernstein_bound(
    values: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided empirical-Bernstein bound of the mean of ``values`` in [0, 1]
    (method "empirical Bernstein"); the lower bound is 1 minus the upper bound of
    1 - values. p is dual to the bound. Inconclusive with fewer than 2 rows."""
    z = one_sample_options(side, floor, confidence)
    method = METHOD if z is not None else "point estimate"
    x, bad = _rows(values, "values")
    n = x.size
    if n == 0:
        return undefined_metric(method, side, confidence, 0, "no rows", inconclusive=True)
    if bad:
        return undefined_metric(method, side, confidence, n, bad)
    value = float(x.mean())
    if confidence is None:
        return point_bound(value, side, n)
    if n < 2:
        return undefined_metric(
            method, side, confidence, n, "a confidence bound needs at least 2 rows", value, inconclusive=True
        )
    alpha = 1.0 - confidence
    if side == "upper":
        bound = _upper(x, alpha)
        p = _p_upper_below(x, floor) if floor is not None else math.nan
    else:
        bound = 1.0 - _upper(1.0 - x, alpha)
        p = _p_upper_below(1.0 - x, 1.0 - floor) if floor is not None else math.nan
    return MetricBound(value, bound, side, p, method, confidence, n)


def bernstein_difference(
    values_candidate: ArrayLike,
    values_baseline: ArrayLike,
    *,
    higher_is_better: bool = True,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare the means of two models' paired per-row values in [0, 1].

    d_i = c_i - b_i (b_i - c_i when lower is better), in [-1, 1]; the lower bound
    of mean(d) is 1 - 2 U, U the empirical-Bernstein upper bound of the mean of
    (1 - d) / 2. Relative: c / b - 1 (1 - c / b when lower is better) from the two
    one-sample bounds at 1 - (1 - confidence) / 2 (Bonferroni). p is dual."""
    z = check_options(margin, confidence)
    method = METHOD if z is not None else "point estimate"
    n = same_length(values_candidate=values_candidate, values_baseline=values_baseline)
    xc, bad_c = _rows(values_candidate, "values_candidate")
    xb, bad_b = _rows(values_baseline, "values_baseline")
    if n == 0:
        return undefined_difference(method, confidence, 0, "no rows", inconclusive=True)
    if bad_c or bad_b:
        return undefined_difference(method, confidence, n, bad_c or bad_b)
    c, b = float(xc.mean()), float(xb.mean())
    common: Values = {"candidate": c, "baseline": b}
    if relative and b <= 0:
        return undefined_difference(method, confidence, n, f"relative margin needs a positive baseline, got {b:g}")
    estimate = quantity(c, b, relative=relative, higher_is_better=higher_is_better)
    if confidence is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n, c, b)
    if n < 2:
        return undefined_difference(
            method,
            confidence,
            n,
            "a confidence bound needs at least 2 rows",
            estimate=estimate,
            **common,
            inconclusive=True,
        )
    alpha = 1.0 - confidence
    if not relative:
        d = xc - xb if higher_is_better else xb - xc
        u = (1.0 - d) / 2.0
        lower = 1.0 - 2.0 * _upper(u, alpha)
        p = _p_upper_below(u, (1.0 - margin) / 2.0)
        return DifferenceBound(estimate, lower, p, method, confidence, n, c, b)

    def lower_at(a: float) -> float:
        if higher_is_better:  # c / b - 1 from c's lower and b's upper bound
            low_c, high_b = 1.0 - _upper(1.0 - xc, a / 2.0), _upper(xb, a / 2.0)
            return low_c / high_b - 1.0 if high_b > 0 else math.nan
        high_c, low_b = _upper(xc, a / 2.0), 1.0 - _upper(1.0 - xb, a / 2.0)
        return 1.0 - high_c / low_b if low_b > 0 else math.nan

    lower = lower_at(alpha)
    if not math.isfinite(lower):
        return undefined_difference(
            method,
            confidence,
            n,
            "the baseline's bound reaches 0 on these rows: no relative bound",
            estimate=estimate,
            **common,
            inconclusive=True,
        )
    return DifferenceBound(estimate, lower, dual_p(lower_at, margin), method, confidence, n, c, b)
