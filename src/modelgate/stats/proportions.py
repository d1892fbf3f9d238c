"""Proportions: paired accuracies (exact McNemar, Newcombe's hybrid score interval, the
conditional exact bound, Fieller for a ratio) and one accuracy (Clopper-Pearson)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from .bounds import (
    Z_MAX,
    ZERO_BASELINE,
    DifferenceBound,
    MetricBound,
    Side,
    Values,
    check_options,
    fieller_ratio,
    one_sample_options,
    p_outside,
    point_bound,
    undefined_difference,
    undefined_metric,
)
from .inputs import Undefined, class_codes, safe_len, same_length


def _paired_table(y_true: ArrayLike, pred_candidate: ArrayLike, pred_baseline: ArrayLike) -> tuple[int, int, int, int]:
    """(both right, only candidate right, only baseline right, both wrong).

    Labels and predictions are class codes (0/1, or 0..k-1 for multiclass): a
    prediction is right when it equals the label."""
    same_length(y_true=y_true, pred_candidate=pred_candidate, pred_baseline=pred_baseline)
    y = class_codes(y_true, "y_true")
    right_c = class_codes(pred_candidate, "pred_candidate") == y
    right_b = class_codes(pred_baseline, "pred_baseline") == y
    both = int(np.count_nonzero(right_c & right_b))
    wins = int(np.count_nonzero(right_c & ~right_b))
    losses = int(np.count_nonzero(~right_c & right_b))
    return both, wins, losses, y.size - both - wins - losses


def _mcnemar_p(wins: int, losses: int) -> float:
    if wins + losses == 0:
        return 1.0
    return float(stats.binomtest(wins, wins + losses, 0.5, alternative="greater").pvalue)


def mcnemar_exact(y_true: ArrayLike, pred_candidate: ArrayLike, pred_baseline: ArrayLike) -> float:
    """One-sided exact McNemar p-value that the candidate is right more often.

    Binomial test of the discordant pairs (candidate-only-right among all
    discordant) against 1/2, alternative "greater"; 1.0 with no discordant
    pairs; nan when labels or predictions contain NaN.
    """
    try:
        _, wins, losses, _ = _paired_table(y_true, pred_candidate, pred_baseline)
    except Undefined:
        return math.nan
    return _mcnemar_p(wins, losses)


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    p = x / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / (1.0 + z2n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _newcombe(both: int, wins: int, losses: int, neither: int, z: float) -> tuple[float, float]:
    """Newcombe's (1998, method 10) hybrid score interval for p_c - p_b, paired.

    Wilson limits for each accuracy combined by square-and-add with the
    corrected correlation phi of the paired table (as in Altman et al.,
    "Statistics with Confidence", and Fagerland et al. 2017).
    """
    n = both + wins + losses + neither
    r1, r2 = both + wins, losses + neither  # candidate right / wrong
    c1, c2 = both + losses, wins + neither  # baseline right / wrong
    p1, p2 = r1 / n, c1 / n
    theta = p1 - p2
    l1, u1 = _wilson(r1, n, z)
    l2, u2 = _wilson(c1, n, z)
    phi = 0.0
    if min(r1, r2, c1, c2) > 0:
        det = both * neither - wins * losses  # Python ints: no overflow
        root = math.sqrt(float(r1) * r2 * c1 * c2)
        if det > n / 2:
            phi = (det - n / 2) / root
        elif det < 0:
            phi = det / root
    dl1, du2 = p1 - l1, u2 - p2
    du1, dl2 = u1 - p1, p2 - l2
    lower = theta - math.sqrt(max(0.0, dl1 * dl1 - 2.0 * phi * dl1 * du2 + du2 * du2))
    upper = theta + math.sqrt(max(0.0, dl2 * dl2 - 2.0 * phi * dl2 * du1 + du1 * du1))
    return max(-1.0, lower), min(1.0, upper)


def _newcombe_p(table: tuple[int, int, int, int], margin: float) -> float:
    """p-value of H0: p_c - p_b <= margin by inverting the Newcombe interval.

    p = 1 - (the confidence at which the lower bound equals the margin), so
    lower > margin at confidence gamma exactly when p < 1 - gamma.
    """
    n = sum(table)
    theta = (table[1] - table[2]) / n
    if theta == margin:
        return 0.5
    if theta > margin:

        def gap(z: float) -> float:
            return _newcombe(*table, z)[0] - margin

        if gap(Z_MAX) > 0:
            return 0.0
        return float(stats.norm.sf(optimize.brentq(gap, 0.0, Z_MAX, xtol=1e-10)))

    def gap_up(z: float) -> float:
        return _newcombe(*table, z)[1] - margin

    if gap_up(Z_MAX) < 0:
        return 1.0
    return float(stats.norm.cdf(optimize.brentq(gap_up, 0.0, Z_MAX, xtol=1e-10)))


def _conditional_exact_lower(wins: int, losses: int, n: int, confidence: float) -> float:
    """Lower bound of (wins - losses)/n from the Clopper-Pearson bound on the
    discordant split; exactly dual to the one-sided exact McNemar test."""
    k = wins + losses
    pi_low = 0.0 if wins == 0 else float(special.betaincinv(wins, losses + 1, 1.0 - confidence))
    return (2.0 * pi_low - 1.0) * k / n


def accuracy_difference(
    y_true: ArrayLike,
    pred_candidate: ArrayLike,
    pred_baseline: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare two accuracies on the same rows: predicted labels against ``y_true``,
    0/1 (binary) or class codes 0..k-1 (multiclass: the paired correctness table is the same).

    * margin == 0, absolute: method "exact McNemar". p is the one-sided exact
      McNemar p-value; lower is Newcombe's paired hybrid score bound. Where
      the two would disagree (a narrow band near the threshold, mostly with
      few discordant pairs, as the exact test is the more conservative),
      lower is replaced by the conditional exact bound (Clopper-Pearson on
      the discordant split), which is dual to the McNemar test, so
      ``lower > 0`` holds exactly when ``p < 1 - confidence``.
    * margin != 0, absolute: method "Newcombe hybrid score"; p inverts the
      same interval, so the two always agree.
    * relative: ``acc_c / acc_b - 1``, method "Fieller (paired Wald)", a
      Fieller bound with the paired multinomial covariance.
    """
    z = check_options(margin, confidence)
    if z is None:
        method = "point estimate"
    elif relative:
        method = "Fieller (paired Wald)"
    elif margin == 0:
        method = "exact McNemar"
    else:
        method = "Newcombe hybrid score"
    try:
        table = _paired_table(y_true, pred_candidate, pred_baseline)
    except Undefined as exc:
        return undefined_difference(method, confidence, safe_len(y_true), str(exc), inconclusive=exc.inconclusive)
    both, wins, losses, _neither = table
    n = sum(table)
    if n == 0:
        return undefined_difference(method, confidence, 0, "no rows", inconclusive=True)
    acc_c, acc_b = (both + wins) / n, (both + losses) / n
    common: Values = {"candidate": acc_c, "baseline": acc_b}
    if relative and acc_b <= 0:
        return undefined_difference(method, confidence, n, ZERO_BASELINE.format(acc_b), **common)
    estimate = acc_c / acc_b - 1.0 if relative else (wins - losses) / n
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n, acc_c, acc_b)
    assert confidence is not None  # check_options gives z only for a confidence

    if relative:
        p11 = both / n
        vcc, vbb = acc_c * (1 - acc_c) / n, acc_b * (1 - acc_b) / n
        vcb = (p11 - acc_c * acc_b) / n
        lower, p, reason = fieller_ratio(acc_c, acc_b, vcc, vbb, vcb, z, margin)
        if reason:
            return undefined_difference(method, confidence, n, reason, estimate=estimate, **common)
    elif margin == 0:
        p = _mcnemar_p(wins, losses)
        lower = _newcombe(*table, z)[0]
        if (lower > 0) != (p < 1.0 - confidence):
            lower = _conditional_exact_lower(wins, losses, n, confidence)
    else:
        lower = _newcombe(*table, z)[0]
        p = _newcombe_p(table, margin)
    return DifferenceBound(estimate, lower, p, method, confidence, n, acc_c, acc_b)


def clopper_pearson(successes: int, n: int, confidence: float, side: Side = "lower") -> float:
    """Exact (Clopper-Pearson) one-sided bound of a binomial proportion.

    Lower: the theta with P(X >= x | theta) = 1 - confidence (0 when x = 0);
    upper: the theta with P(X <= x | theta) = 1 - confidence (1 when x = n).
    """
    if not 0 <= successes <= n or n < 1:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    alpha = 1.0 - confidence
    if side == "lower":
        return 0.0 if successes == 0 else float(special.betaincinv(successes, n - successes + 1, alpha))
    return 1.0 if successes == n else float(special.betaincinv(successes + 1, n - successes, 1.0 - alpha))


def accuracy_bound(
    y_true: ArrayLike,
    pred: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided exact Clopper-Pearson bound of an accuracy (predicted 0/1 labels or
    class codes 0..k-1, compared with ``y_true``).

    p is the exact binomial test of H0: accuracy <= floor (P(X >= x | floor))
    for "lower", accuracy >= floor (P(X <= x | floor)) for "upper": dual to the
    bound, so ``clears(floor)`` holds exactly when p < 1 - confidence.
    """
    z = one_sample_options(side, floor, confidence)
    method = "Clopper-Pearson" if z is not None else "point estimate"
    try:
        same_length(y_true=y_true, predictions=pred)
        right = class_codes(pred, "predictions") == class_codes(y_true, "y_true")
    except Undefined as exc:
        return undefined_metric(method, side, confidence, safe_len(y_true), str(exc), inconclusive=exc.inconclusive)
    n_rows = right.size
    if n_rows == 0:
        return undefined_metric(method, side, confidence, 0, "no rows", inconclusive=True)
    x = int(np.count_nonzero(right))
    value = x / n_rows
    if confidence is None:
        return point_bound(value, side, n_rows)
    bound = clopper_pearson(x, n_rows, confidence, side)
    if floor is None:
        p = math.nan
    elif not 0.0 < floor < 1.0:
        p = p_outside(bound, side, floor)
    elif side == "lower":
        p = float(stats.binom.sf(x - 1, n_rows, floor))
    else:
        p = float(stats.binom.cdf(x, n_rows, floor))
    return MetricBound(value, bound, side, p, method, confidence, n_rows)
