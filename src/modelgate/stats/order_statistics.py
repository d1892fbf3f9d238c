"""Exact, distribution-free bounds of a quantile from order statistics.

For n independent draws of a continuous variable, the number below its
q-quantile is Binomial(n, q) whatever the distribution, so the k-th smallest
value X_(k) is an upper bound of the quantile with confidence
P(Binomial(n, q) <= k - 1) (Thompson 1936; David & Nagaraja 2003, 7.1). No
tail, skew or outlier assumption: the bound holds at any n at which some k
reaches the confidence, and is inconclusive below. With ties the coverage is
at least the nominal one.

A margin (the baseline's quantile minus the candidate's, for errors) is the
baseline's lower bound minus the candidate's upper bound, each one-sided at
1 - (1 - confidence) / 2: Bonferroni, valid whatever the two models' errors'
dependence, since no exact paired bound of a difference of quantiles exists.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

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

METHOD = "order statistic (exact)"
PAIRED_METHOD = "order statistics (exact, Bonferroni)"


@lru_cache(maxsize=64)
def _binomial_cdf(n: int, q: float) -> NDArray[np.float64]:
    """P(Binomial(n, q) <= j) for j = 0..n: one scipy call, then every rank is a search."""
    return np.asarray(stats.binom.cdf(np.arange(n + 1), n, q), dtype=np.float64)


def _rank(n: int, q: float, confidence: float, side: Side) -> int | None:
    """The 1-based rank k of the order statistic that bounds the q-quantile at
    ``confidence`` on ``side``, or None when no rank of n reaches it."""
    cdf = _binomial_cdf(n, q)
    if side == "upper":
        # smallest k with P(Binomial(n, q) <= k - 1) >= confidence
        k = int(np.searchsorted(cdf, confidence, side="left")) + 1
        return max(k, 1) if k <= n else None
    # largest k with P(Binomial(n, q) >= k) >= confidence, i.e. P(B <= k - 1) <= 1 - confidence
    k = int(np.searchsorted(cdf, 1.0 - confidence, side="right"))
    return k if k >= 1 else None


def _fewest_rows(q: float, confidence: float, side: Side) -> int:
    """The fewest rows at which an order statistic reaches ``confidence`` (the maximum
    for an upper bound: 1 - q^n >= confidence; the minimum for a lower one)."""
    share = q if side == "upper" else 1.0 - q
    return math.ceil(math.log(1.0 - confidence) / math.log(share))


def quantile_bound(
    values: ArrayLike,
    q: float,
    *,
    side: Side = "upper",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided exact bound of the q-quantile of ``values`` (method "order statistic
    (exact)"). ``value`` is ``numpy.quantile(values, q)``; the bound is the order
    statistic of :func:`_rank`. p, for H0 "the quantile is on the wrong side of the
    floor", is the binomial tail of the count of values beyond the floor, dual to
    the bound. Inconclusive when n is below the fewest rows that reach the
    confidence (59 for a 95% upper bound of the 0.95 quantile, 29 of the 0.9
    quantile, 5 of the median)."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q!r}")
    z = one_sample_options(side, floor, confidence)
    method = METHOD if z is not None else "point estimate"
    x = as_1d(values, "values", np.float64)
    n = x.size
    if n == 0:
        return undefined_metric(method, side, confidence, 0, "no rows", inconclusive=True)
    bad = int(np.count_nonzero(~np.isfinite(x)))
    if bad:
        return undefined_metric(method, side, confidence, n, f"values are not finite on {bad} of {n} rows")
    value = float(np.quantile(x, q))
    if confidence is None:
        return point_bound(value, side, n)
    k = _rank(n, q, confidence, side)
    if k is None:
        fewest = _fewest_rows(q, confidence, side)
        return undefined_metric(
            method,
            side,
            confidence,
            n,
            f"an exact {confidence:g} bound of the {q:g} quantile needs at least {fewest} rows, not {n}",
            value,
            inconclusive=True,
        )
    ordered = np.sort(x)
    bound = float(ordered[k - 1])
    p = math.nan
    if floor is not None:
        if side == "upper":  # H0: quantile >= floor; evidence: many values below the floor
            below = int(np.count_nonzero(x < floor))
            p = float(stats.binom.sf(below - 1, n, q))
        else:  # H0: quantile <= floor; evidence: many values above it
            above = int(np.count_nonzero(x > floor))
            p = float(stats.binom.cdf(n - above, n, q))
    return MetricBound(value, bound, side, p, method, confidence, n)


def quantile_difference(
    values_candidate: ArrayLike,
    values_baseline: ArrayLike,
    q: float,
    *,
    higher_is_better: bool = False,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare two models' q-quantiles of per-row values (errors: lower is better).

    d = q_b - q_c (q_c - q_b when higher is better); relative d / q_b. The lower
    bound is the Bonferroni combination of the two exact one-sample bounds, each
    at 1 - (1 - confidence) / 2 (method "order statistics (exact, Bonferroni)");
    p is its dual, the smallest 1 - confidence at which it clears the margin.
    """
    z = check_options(margin, confidence)
    method = PAIRED_METHOD if z is not None else "point estimate"
    n = same_length(values_candidate=values_candidate, values_baseline=values_baseline)
    xc = as_1d(values_candidate, "values_candidate", np.float64)
    xb = as_1d(values_baseline, "values_baseline", np.float64)
    if n == 0:
        return undefined_difference(method, confidence, 0, "no rows", inconclusive=True)
    bad = int(np.count_nonzero(~np.isfinite(xc)) + np.count_nonzero(~np.isfinite(xb)))
    if bad:
        return undefined_difference(method, confidence, n, f"values are not finite on {bad} values")
    c, b = float(np.quantile(xc, q)), float(np.quantile(xb, q))
    common: Values = {"candidate": c, "baseline": b}
    if relative and b <= 0:
        return undefined_difference(method, confidence, n, f"relative margin needs a positive baseline, got {b:g}")
    estimate = quantity(c, b, relative=relative, higher_is_better=higher_is_better)
    if confidence is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n, c, b)
    sc, sb = np.sort(xc), np.sort(xb)

    def lower_at(alpha: float) -> float:
        # The candidate's bound on its bad side and the baseline's on its good side.
        worse, better = ("lower", "upper") if higher_is_better else ("upper", "lower")
        kc = _rank(n, q, 1.0 - alpha / 2.0, worse)  # type: ignore[arg-type]
        kb = _rank(n, q, 1.0 - alpha / 2.0, better)  # type: ignore[arg-type]
        if kc is None or kb is None:
            return math.nan
        bc, bb = float(sc[kc - 1]), float(sb[kb - 1])
        return _combine(bc, bb, relative=relative, higher_is_better=higher_is_better)

    alpha = 1.0 - confidence
    lower = lower_at(alpha)
    if not math.isfinite(lower):
        fewest = max(_fewest_rows(q, 1.0 - alpha / 2.0, s) for s in ("upper", "lower"))  # type: ignore[arg-type]
        return undefined_difference(
            method,
            confidence,
            n,
            f"an exact {confidence:g} bound of a difference of {q:g} quantiles needs at least {fewest} rows, not {n}",
            estimate=estimate,
            **common,
            inconclusive=True,
        )
    p = dual_p(lower_at, margin)
    return DifferenceBound(estimate, lower, p, method, confidence, n, c, b)


def _combine(bc: float, bb: float, *, relative: bool, higher_is_better: bool) -> float:
    if relative:
        if bb <= 0:
            return math.nan
        return bc / bb - 1.0 if higher_is_better else 1.0 - bc / bb
    return bc - bb if higher_is_better else bb - bc
