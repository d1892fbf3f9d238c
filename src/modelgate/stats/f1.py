"""Macro F1 by the delta method: its influence function from the confusion counts,
Student's t on the smallest class's rows, and the floor on the logit scale
(method "class-delta").

The class-stratified percentile bootstrap passed 7-11% of the time at the
boundary at 30-200 rows (benchmarks/bench_stats.py --worlds) and costs B metric
evaluations; this costs one pass over the rows.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from .bounds import (
    DifferenceBound,
    MetricBound,
    Side,
    check_options,
    expit,
    logit,
    no_spread,
    one_sample_options,
    p_outside,
    point_bound,
    quantity,
    undefined_difference,
    undefined_metric,
)

METHOD = "delta (t on the smallest class)"
FLOOR_METHOD = "delta on the logit scale (t on the smallest class)"
THIN = "class {} has {} row{} of {}: a per-class F1 variance needs at least 2 rows of each class present"
SAME = "every row is predicted right (or the same way): no spread is no certainty"


def macro_f1_influence(y_true: ArrayLike, predictions: ArrayLike) -> tuple[float, NDArray[np.float64], int, int]:
    """(macro F1 over the classes present in ``y_true``, its influence row by row, the
    fewest rows of a present class, that class).

    Per class c, F1_c = 2 a / (p + q) with a, p, q the shares of rows with (y = c and
    prediction c), y = c and prediction c: the influence of row i is
    (2 [y_i = c, pred_i = c] - F1_c ([y_i = c] + [pred_i = c])) / (p + q), of mean 0;
    the macro F1's is the mean over the classes.
    """
    y = np.asarray(y_true).astype(np.int64, copy=False)
    pred = np.asarray(predictions).astype(np.int64, copy=False)
    n = y.size
    classes = np.unique(y)
    total = np.zeros(n)
    values = []
    fewest, thin_class = n, -1
    for c in classes:
        yc, pc = y == c, pred == c
        count = int(yc.sum())
        if count < fewest:
            fewest, thin_class = count, int(c)
        both = yc & pc
        scale = (count + int(pc.sum())) / n  # p + q > 0: the class has rows
        value = 2.0 * float(both.mean()) / scale
        values.append(value)
        total += (2.0 * both - value * (yc.astype(np.float64) + pc)) / scale
    return float(np.mean(values)), total / len(values), fewest, thin_class


def _prepare(y_true: ArrayLike, scores: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != y.size:
        raise ValueError(f"scores must be an (n, k) matrix paired with y_true, got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        return y.astype(np.int64), None
    return y.astype(np.int64), np.argmax(s, axis=1)


def _t(confidence: float, fewest: int) -> float:
    return float(stats.t.ppf(confidence, fewest - 1))


def macro_f1_difference(
    y_true: ArrayLike,
    candidate_scores: ArrayLike,
    baseline_scores: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare two models on macro F1 (method "delta (t on the smallest class)"):
    d = F1_c - F1_b, lower = d - t se with se = sd(IF_c - IF_b) / sqrt(n) and t
    Student's on (fewest rows of a class - 1) degrees of freedom, p its dual. Relative:
    Fieller on the influences (:func:`.delta.delta_difference`). Inconclusive: a class
    of 1 row; the same influence difference on every row while the estimate clears.
    Undefined: a NaN score."""
    from .delta import delta_difference, t_difference

    z = check_options(margin, confidence)
    name = ("delta (Fieller ratio)" if relative else METHOD) if z is not None else "point estimate"
    y, pc = _prepare(y_true, candidate_scores)
    _, pb = _prepare(y_true, baseline_scores)
    n = y.size
    if n == 0:
        return undefined_difference(name, confidence, 0, "no rows", inconclusive=True)
    if pc is None or pb is None:
        return undefined_difference(
            name, confidence, n, "a score is NaN or infinite, so its predicted class is undefined"
        )
    vc, ic, fewest, thin = macro_f1_influence(y, pc)
    vb, ib, _, _ = macro_f1_influence(y, pb)
    estimate = quantity(vc, vb, relative=relative)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, name, None, n, vc, vb)
    assert confidence is not None
    if fewest < 2:
        return undefined_difference(
            name,
            confidence,
            n,
            THIN.format(thin, fewest, "s" if fewest != 1 else "", n),
            estimate=estimate,
            candidate=vc,
            baseline=vb,
            inconclusive=True,
        )
    if relative:
        return delta_difference(vc, ic, vb, ib, margin=margin, confidence=confidence, relative=True)
    return t_difference(vc, ic, vb, ib, fewest - 1, margin, confidence, name, SAME)


def macro_f1_bound(
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided bound of macro F1 (method "delta on the logit scale (t on the smallest
    class)"): expit(logit(F) -/+ t se / (F (1 - F))), se = sd(IF) / sqrt(n), t as in
    :func:`macro_f1_difference`; p dual. The logit keeps the bound inside (0, 1) and
    corrects the skew near 1. Inconclusive: a class of 1 row; F1 of 0 or 1 (every row
    right: no spread) while the floor would clear. Undefined: a NaN score."""
    z = one_sample_options(side, floor, confidence)
    method = FLOOR_METHOD if z is not None else "point estimate"
    y, pred = _prepare(y_true, scores)
    n = y.size
    if n == 0:
        return undefined_metric(method, side, confidence, 0, "no rows", inconclusive=True)
    if pred is None:
        return undefined_metric(
            method, side, confidence, n, "a score is NaN or infinite, so its predicted class is undefined"
        )
    value, infl, fewest, thin = macro_f1_influence(y, pred)
    if z is None:
        return point_bound(value, side, n)
    assert confidence is not None
    if fewest < 2:
        why = THIN.format(thin, fewest, "s" if fewest != 1 else "", n)
        return undefined_metric(method, side, confidence, n, why, value, inconclusive=True)
    beyond = floor is None or (value > floor if side == "lower" else value < floor)
    if not 0.0 < value < 1.0 or no_spread(infl):
        if beyond:
            return undefined_metric(method, side, confidence, n, SAME, value, inconclusive=True)
        return MetricBound(value, value, side, 1.0, method, confidence, n)
    t = _t(confidence, fewest)
    se = float(infl.std(ddof=1)) / math.sqrt(n) / (value * (1.0 - value))
    centre = logit(value)
    bound = expit(centre - t * se) if side == "lower" else expit(centre + t * se)
    if floor is None:
        return MetricBound(value, bound, side, math.nan, method, confidence, n)
    if not 0.0 < floor < 1.0:
        return MetricBound(value, bound, side, p_outside(bound, side, floor), method, confidence, n)
    x = (centre - logit(floor)) / se
    p = float(stats.t.sf(x, fewest - 1) if side == "lower" else stats.t.cdf(x, fewest - 1))
    return MetricBound(value, bound, side, p, method, confidence, n)
