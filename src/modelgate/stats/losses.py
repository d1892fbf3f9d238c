"""Means of per-row losses: the paired per-row loss difference (skew-corrected normal
bound, Fieller for a ratio, or the bootstrap) and the one-sample mean-loss bound."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from .bootstrap import loss_resamples
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
    percentile_bound,
    point_bound,
    quantity,
    tail_guard,
    undefined_difference,
    undefined_metric,
)
from .inputs import as_1d, check_resamples, same_length

LossMethod = Literal["normal", "bootstrap"]
LOSS_METHODS: tuple[LossMethod, ...] = ("normal", "bootstrap")


def _skew_corrected_bound(
    estimate: float, d: NDArray[np.float64], z: float, margin: float, *, df: int | None = None
) -> tuple[float, float, float]:
    """Skew-corrected normal lower bound of mean(d), its dual p-value, and the skewness
    toward failing (max(-g, 0)) for the tail diagnostic.

    The Cornish-Fisher inversion of the studentised mean's one-term Edgeworth
    expansion (Hall 1992; Johnson 1978), corrected for a left skew only. For
    n >= 3 rows with sd(d) > 0: lower =
    estimate - se (z - k (2z^2 + 1)) with k = min(g, 0) / (6 sqrt n), g the
    sample skewness m3 / m2^1.5 of d; p = 1 - Phi(z*), z* the root >= 1/(4k)
    of z* - k (2z*^2 + 1) = (estimate - margin) / se, or 1/(4k) when there is
    none. With k = 0 both are the plain normal bound and p-value. With ``df``,
    z is Student's t quantile on df degrees of freedom at the same level, and p
    comes from that t distribution.
    """
    centred = d - d.mean()
    sd_n = math.sqrt(float(np.mean(centred * centred)))  # sd over n; > 0 by the caller
    g = float(np.mean((centred / sd_n) ** 3))
    return _skew_corrected_from_moments(estimate, sd_n, g, d.size, z, margin, df=df)


def _skew_corrected_from_moments(
    estimate: float, sd_n: float, g: float, n: int, z: float, margin: float, *, df: int | None = None
) -> tuple[float, float, float]:
    """:func:`_skew_corrected_bound` from the values' sd over n (> 0) and skewness g."""
    if df is not None:
        z = float(stats.t.ppf(stats.norm.cdf(z), df))
    se = sd_n / math.sqrt(n - 1)  # = sd(d) with n - 1, over sqrt(n)
    h = -min(g, 0.0) / (6.0 * math.sqrt(n))  # h = -k >= 0
    lower = estimate - se * (z + h * (2.0 * z * z + 1.0))
    # c(x) = x + h (2x^2 + 1) = t: the larger root of 2h x^2 + x + (h - t) = 0,
    # written 2 (t - h) / (1 + sqrt(disc)) so that h = 0 gives x = t exactly.
    t = (estimate - margin) / se
    disc = 1.0 + 8.0 * h * (t - h)
    if not math.isfinite(disc):  # t near overflow (se near underflow): known
        return lower, 0.0 if t > 0 else 1.0, max(-g, 0.0)
    x = -1.0 / (4.0 * h) if disc <= 0.0 else 2.0 * (t - h) / (1.0 + math.sqrt(disc))
    p = float(stats.norm.sf(x) if df is None else stats.t.sf(x, df))
    return lower, p, max(-g, 0.0)


SAME_DIFFERENCE = "every row's loss difference is the same: zero variance on these rows is no certainty"
SAME_LOSS = "every row's loss is the same: zero variance on these rows is no certainty"


def paired_loss_difference(
    loss_candidate: ArrayLike,
    loss_baseline: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
    method: LossMethod = "normal",
    n_resamples: int = 2000,
    seed: int | None = 0,
    df: int | None = None,
) -> DifferenceBound:
    """Compare two models on a mean of per-row losses (lower is better).

    ``loss_candidate[i]`` and ``loss_baseline[i]`` are the two models' losses
    on row i (e.g. ``modelgate.metrics.get_metric("log_loss").row_loss(y,
    scores)``). The quantity is ``d = b - c`` (``(b - c) / b`` with
    ``relative=True``), ``c`` and ``b`` the mean losses, which are the
    ``candidate`` and ``baseline`` fields. ``method`` "normal" (method
    "paired-loss normal (skew-corrected)": the normal bound with its quantile
    corrected for a left skew of the per-row differences, :func:`_skew_corrected_bound`;
    "paired-loss normal", the plain bound, with 2 rows or a zero
    variance; relative: Fieller, "paired-loss normal (Fieller ratio)") or
    "bootstrap" ("paired-loss bootstrap": percentile bootstrap, p = (1 +
    #{q_r <= margin}) / (B + 1) as in :func:`paired_bootstrap_difference`).
    The p-value is dual to the bound: ``lower > margin`` exactly when
    ``p_value < 1 - confidence``. Undefined (a bound of nan and a
    reason): no rows, a non-finite loss, fewer than 2 rows for a bound, a
    relative margin on a baseline mean loss <= 0, a degenerate bootstrap.
    ``df``: Student's t on df degrees of freedom instead of the normal quantile
    (the normal method; :mod:`.clusters` passes G - 1 for G group pseudo-values).
    """
    z = check_options(margin, confidence)
    if method not in LOSS_METHODS:
        raise ValueError(f"method must be one of {', '.join(LOSS_METHODS)}, got {method!r}")
    check_resamples(n_resamples)
    if z is None:
        name = "point estimate"
    elif method == "normal":
        name = "paired-loss normal (Fieller ratio)" if relative else "paired-loss normal (skew-corrected)"
    else:
        name = "paired-loss bootstrap (ratio of means)" if relative else "paired-loss bootstrap"
    n_rows = same_length(loss_candidate=loss_candidate, loss_baseline=loss_baseline)
    lc = as_1d(loss_candidate, "loss_candidate", np.float64)
    lb = as_1d(loss_baseline, "loss_baseline", np.float64)
    if n_rows == 0:
        return undefined_difference(name, confidence, 0, "no rows", inconclusive=True)
    for label, loss in (("loss_candidate", lc), ("loss_baseline", lb)):
        bad = int(np.count_nonzero(~np.isfinite(loss)))
        if bad:
            return undefined_difference(name, confidence, n_rows, f"{label} is not finite on {bad} of {n_rows} rows")
    c, b = float(lc.mean()), float(lb.mean())
    common: Values = {"candidate": c, "baseline": b}
    if relative and b <= 0:
        return undefined_difference(name, confidence, n_rows, ZERO_BASELINE.format(b), **common)
    estimate = quantity(c, b, relative=relative, higher_is_better=False)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, name, None, n_rows, c, b)
    assert confidence is not None  # check_options gives z only for a confidence
    if n_rows < 2:
        return undefined_difference(
            name,
            confidence,
            n_rows,
            "a confidence bound needs at least 2 rows",
            estimate=estimate,
            **common,
            inconclusive=True,
        )

    d = lb - lc
    if method == "normal":
        if relative:
            cov = np.cov(lc, lb) / n_rows
            # fieller_ratio bounds x / y - 1 from below; with x = -c, y = b that
            # is (1 - c / b) - 2, the quantity shifted by 2 (so is the margin).
            low, p, reason = fieller_ratio(
                -c, b, float(cov[0, 0]), float(cov[1, 1]), -float(cov[0, 1]), z, margin - 2.0
            )
            if reason:  # the baseline's loss is not clearly above 0 at this n
                return undefined_difference(
                    name, confidence, n_rows, reason, estimate=estimate, **common, inconclusive=True
                )
            lower = low + 2.0
        elif no_spread(d) and estimate > margin:
            # The same nonzero difference on every row is no certainty (one row's is none).
            return undefined_difference(
                name, confidence, n_rows, SAME_DIFFERENCE, estimate=estimate, **common, inconclusive=True
            )
        elif n_rows < 3 or no_spread(d):
            # no skewness to estimate (with 2 rows it is 0 identically): the plain bound
            name = "paired-loss normal"
            lower, p = normal_bound(estimate, float(d.var(ddof=1)) / n_rows, z, margin)
        else:
            lower, p, skew = _skew_corrected_bound(estimate, d, z, margin, df=df)
            se = float(d.std(ddof=1)) / math.sqrt(n_rows)
            g = tail_guard(estimate, lower, p, skew, se, confidence, margin, n_rows, what="per-row loss differences")
            if g.cantelli:
                name = "paired-loss Cantelli"
                return DifferenceBound(
                    estimate, g.lower, g.p, name, confidence, n_rows, c, b, g.reason, inconclusive=bool(g.reason)
                )
        return DifferenceBound(estimate, lower, p, name, confidence, n_rows, c, b)

    B = int(n_resamples)
    q = loss_resamples(d, lb if relative else None, B, seed)
    return percentile_bound(q, estimate, margin, name, confidence, n_rows, c, b)


def mean_loss_bound(
    losses: ArrayLike,
    *,
    side: Side = "upper",
    floor: float | None = None,
    confidence: float | None = 0.95,
    df: int | None = None,
) -> MetricBound:
    """One-sided bound of a mean of per-row losses (method "mean-loss normal
    (skew-corrected)"): the bound of :func:`paired_loss_difference`'s normal
    method applied to one vector (the upper bound of mean(x) is minus the lower
    bound of mean(-x)); "mean-loss normal", the plain bound, with 2 rows.
    Inconclusive when every row's loss is the same (zero variance is no
    certainty). p is dual to the bound: ``clears(floor)`` exactly
    when p < 1 - confidence. ``df``: Student's t on df degrees of freedom, as in
    :func:`paired_loss_difference`."""
    z = one_sample_options(side, floor, confidence)
    method = "mean-loss normal (skew-corrected)" if z is not None else "point estimate"
    x = as_1d(losses, "losses", np.float64)
    n_rows = x.size
    if n_rows == 0:
        return undefined_metric(method, side, confidence, 0, "no rows", inconclusive=True)
    bad = int(np.count_nonzero(~np.isfinite(x)))
    if bad:
        return undefined_metric(method, side, confidence, n_rows, f"loss is not finite on {bad} of {n_rows} rows")
    value = float(x.mean())
    if z is None:
        return point_bound(value, side, n_rows)
    if n_rows < 2:
        return undefined_metric(
            method, side, confidence, n_rows, "a confidence bound needs at least 2 rows", value, inconclusive=True
        )
    sign = 1.0 if side == "lower" else -1.0
    v = sign * x
    target = sign * floor if floor is not None else 0.0
    if no_spread(v) and (floor is None or sign * value > target):  # (else it fails below)
        return undefined_metric(method, side, confidence, n_rows, SAME_LOSS, value, inconclusive=True)
    if n_rows < 3 or no_spread(v):
        method = "mean-loss normal"
        low, p = normal_bound(sign * value, float(v.var(ddof=1)) / n_rows, z, target)
    else:
        low, p, skew = _skew_corrected_bound(sign * value, v, z, target, df=df)
        if floor is not None:
            assert confidence is not None  # one_sample_options gives z only for a confidence
            se = float(v.std(ddof=1)) / math.sqrt(n_rows)
            g = tail_guard(sign * value, low, p, skew, se, confidence, target, n_rows, what="per-row losses")
            if g.cantelli:
                return MetricBound(
                    value,
                    sign * g.lower,
                    side,
                    g.p,
                    "mean-loss Cantelli",
                    confidence,
                    n_rows,
                    g.reason,
                    inconclusive=bool(g.reason),
                )
    return MetricBound(value, sign * low, side, p if floor is not None else math.nan, method, confidence, n_rows)
