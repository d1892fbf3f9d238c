"""Delta-method bounds of smooth functions of means (RMSE, R^2, macro one-vs-rest AUC),
from each model's metric value and its influence function row by row."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .auc import OVR_MARGIN_METHOD, ovr_auc_influence, thin_class
from .bounds import (
    ZERO_BASELINE,
    DifferenceBound,
    MetricBound,
    Side,
    Values,
    check_options,
    fieller_ratio,
    no_spread,
    normal_bound,
    one_sample_options,
    point_bound,
    quantity,
    undefined_difference,
    undefined_metric,
)
from .inputs import as_1d, safe_len, same_length
from .losses import mean_loss_bound

SAME_INFLUENCE = "the difference's influence is the same on every row: zero variance is no certainty"


def _influence(x: ArrayLike, name: str) -> NDArray[np.float64]:
    return as_1d(x, name, np.float64)


def delta_difference(
    candidate: float,
    influence_candidate: ArrayLike,
    baseline: float,
    influence_baseline: ArrayLike,
    *,
    higher_is_better: bool = True,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare two models on a smooth function of means with the delta method.

    ``candidate``/``baseline`` are the metric values on all rows and
    ``influence_*`` their influence functions row by row (paired). Absolute:
    d = c - b (b - c when lower is better), lower = d - z sd(IF_c - IF_b) /
    sqrt(n), p = 1 - Phi((d - margin) / se) (method "delta"). Relative: the
    Fieller bound of the ratio on the covariance of the influences (method
    "delta (Fieller ratio)"). Undefined: no rows, fewer than 2 rows for a
    bound, a non-finite value or influence, a relative margin on a baseline
    value <= 0.
    """
    z = check_options(margin, confidence)
    method = "point estimate" if z is None else ("delta (Fieller ratio)" if relative else "delta")
    n_rows = same_length(influence_candidate=influence_candidate, influence_baseline=influence_baseline)
    ic = _influence(influence_candidate, "influence_candidate")
    ib = _influence(influence_baseline, "influence_baseline")
    c, b = float(candidate), float(baseline)
    common: Values = {"candidate": c, "baseline": b}
    if n_rows == 0:
        return undefined_difference(method, confidence, 0, "no rows", inconclusive=True)
    if not (math.isfinite(c) and math.isfinite(b)):
        return undefined_difference(method, confidence, n_rows, "metric is not finite on the full data", **common)
    bad = int(np.count_nonzero(~np.isfinite(ic)) + np.count_nonzero(~np.isfinite(ib)))
    if bad:
        return undefined_difference(
            method, confidence, n_rows, f"influence function is not finite on {bad} values", **common
        )
    if relative and b <= 0:
        return undefined_difference(method, confidence, n_rows, ZERO_BASELINE.format(b), **common)
    estimate = quantity(c, b, relative=relative, higher_is_better=higher_is_better)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, c, b)
    if n_rows < 2:
        return undefined_difference(
            method,
            confidence,
            n_rows,
            "a confidence bound needs at least 2 rows",
            estimate=estimate,
            **common,
            inconclusive=True,
        )
    if relative:
        cov = np.cov(ic, ib) / n_rows
        vcc, vbb, vcb = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
        if higher_is_better:
            lower, p, reason = fieller_ratio(c, b, vcc, vbb, vcb, z, margin)
        else:  # (b - c) / b = (-c / b - 1) + 2: the ratio of -c and b, shifted by 2
            lower, p, reason = fieller_ratio(-c, b, vcc, vbb, -vcb, z, margin - 2.0)
            lower += 2.0
        if reason:  # Fieller: the baseline is not clearly above 0 at this n
            return undefined_difference(
                method, confidence, n_rows, reason, estimate=estimate, **common, inconclusive=True
            )
    else:
        d_if = ic - ib if higher_is_better else ib - ic
        if no_spread(d_if) and estimate > margin:  # (an estimate at or below the margin fails below)
            return undefined_difference(
                method, confidence, n_rows, SAME_INFLUENCE, estimate=estimate, **common, inconclusive=True
            )
        lower, p = normal_bound(estimate, float(np.var(d_if, ddof=1)) / n_rows, z, margin)
    return DifferenceBound(estimate, lower, p, method, confidence, n_rows, c, b)


def delta_bound(
    value: float,
    influence: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided delta-method normal bound of one metric: value -/+ z sd(IF) / sqrt(n),
    with the quantile corrected for skewness as :func:`mean_loss_bound` does, on the
    pseudo-values value + IF_i (method "delta (skew-corrected)"; "delta", the plain
    bound, with fewer than 3 rows or a zero variance). Without the correction the
    RMSE and R^2 floors passed about 9% of the time at the true value with
    heavy-tailed errors (benchmarks/bench_stats.py --tasks). p is dual to the bound.
    Not clipped to the metric's range (R^2 <= 1, RMSE >= 0)."""
    z = one_sample_options(side, floor, confidence)
    method = "delta" if z is not None else "point estimate"
    infl = _influence(influence, "influence")
    n_rows = infl.size
    value = float(value)
    if n_rows == 0:
        return undefined_metric(method, side, confidence, 0, "no rows", inconclusive=True)
    if not math.isfinite(value):
        return undefined_metric(method, side, confidence, n_rows, "metric is not finite on the full data", value)
    bad = int(np.count_nonzero(~np.isfinite(infl)))
    if bad:
        return undefined_metric(
            method, side, confidence, n_rows, f"influence function is not finite on {bad} of {n_rows} rows", value
        )
    if z is None:
        return point_bound(value, side, n_rows)
    if n_rows < 2:
        return undefined_metric(
            method, side, confidence, n_rows, "a confidence bound needs at least 2 rows", value, inconclusive=True
        )
    # The pseudo-values value + IF_i have mean value and sd sd(IF): the skew-corrected
    # normal bound of their mean (as for a mean loss) corrects the skew of the metric's
    # sampling distribution on the side the bound is on (see mean_loss_bound).
    pseudo = value + (infl - float(infl.mean()))
    b = mean_loss_bound(pseudo, side=side, floor=floor, confidence=confidence)
    method = {
        "mean-loss normal (skew-corrected)": "delta (skew-corrected)",
        "mean-loss Cantelli": "delta Cantelli",
    }.get(b.method, "delta")
    reason = b.reason.replace("per-row losses", "influence values", 1)
    return MetricBound(value, b.bound, side, b.p_value, method, confidence, n_rows, reason, b.inconclusive)


def ovr_auc_difference(
    y_true: ArrayLike,
    candidate_scores: ArrayLike,
    baseline_scores: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare two models on the macro one-vs-rest AUC: the delta method on the influences
    of :func:`ovr_auc_influence` (:func:`delta_difference`), inconclusive when a
    class of the (n, k) score matrices has fewer than 2 rows or fewer than 2 outside it
    (:func:`thin_class`). Without that rule, 10 imbalanced classes at 30-200 rows passed
    8-9% of the time at the boundary (benchmarks/bench_stats.py --worlds)."""
    z = check_options(margin, confidence)
    value_c, influence_c = ovr_auc_influence(y_true, candidate_scores)
    value_b, influence_b = ovr_auc_influence(y_true, baseline_scores)
    if z is not None and math.isfinite(value_c) and math.isfinite(value_b):
        thin = thin_class(y_true, np.asarray(candidate_scores).shape[1])
        if thin:
            estimate = quantity(value_c, value_b, relative=relative)
            method = "delta (Fieller ratio)" if relative else "delta"
            return undefined_difference(
                method,
                confidence,
                safe_len(y_true),
                thin,
                estimate=estimate,
                candidate=value_c,
                baseline=value_b,
                inconclusive=True,
            )
    if z is None or relative or not (math.isfinite(value_c) and math.isfinite(value_b)):
        return delta_difference(
            value_c, influence_c, value_b, influence_b, margin=margin, confidence=confidence, relative=relative
        )
    # Each class's AUC variance rests on that class's rows: Student's t on the fewest rows
    # of a side, less 1 (with a normal quantile a class of 2-3 rows passed 8-13%).
    assert confidence is not None
    n = safe_len(y_true)
    codes = np.asarray(y_true).astype(np.int64, copy=False)
    sizes = np.bincount(codes, minlength=np.asarray(candidate_scores).shape[1])
    df = int(min(min(int(m), n - int(m)) for m in sizes)) - 1
    return t_difference(
        value_c, influence_c, value_b, influence_b, df, margin, confidence, OVR_MARGIN_METHOD, SAME_INFLUENCE
    )


def t_difference(
    candidate: float,
    influence_candidate: NDArray[np.float64],
    baseline: float,
    influence_baseline: NDArray[np.float64],
    df: int,
    margin: float,
    confidence: float,
    method: str,
    same_reason: str,
) -> DifferenceBound:
    """The delta-method bound of ``candidate - baseline`` with Student's t on ``df`` degrees
    of freedom (the fewest rows of a class, less 1, for the per-class metrics):
    lower = d - t sd(IF_c - IF_b) / sqrt(n), p = P(T_df > (d - margin) / se). Influences
    without spread are no certainty: inconclusive (``same_reason``) when d clears."""
    n = influence_candidate.size
    estimate = candidate - baseline
    d = influence_candidate - influence_baseline
    if no_spread(d):
        if estimate > margin:
            return undefined_difference(
                method,
                confidence,
                n,
                same_reason,
                estimate=estimate,
                candidate=candidate,
                baseline=baseline,
                inconclusive=True,
            )
        return DifferenceBound(estimate, estimate, 1.0, method, confidence, n, candidate, baseline)
    from scipy import stats as st

    se = float(np.std(d, ddof=1)) / math.sqrt(n)
    lower = estimate - float(st.t.ppf(confidence, df)) * se
    p = float(st.t.sf((estimate - margin) / se, df))
    return DifferenceBound(estimate, lower, p, method, confidence, n, candidate, baseline)
