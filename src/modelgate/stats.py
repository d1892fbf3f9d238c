"""Paired comparison statistics for the quality gate (DESIGN section 3).

Pure numpy/scipy. Every comparison returns a :class:`DifferenceBound`: the
point estimate of the compared quantity, its one-sided lower confidence
bound, a one-sided p-value for ``H0: quantity <= margin`` and the name of the
method that produced them. The caller passes a candidate when
``lower > margin``.

Quantities: absolute ``d = c - b`` or relative ``d / b`` (``b`` the baseline
metric value); for lower-is-better metrics ``d = b - c``.

Input contract, for every public function:

* ``y_true`` holds 0/1 labels (bool, int or float); score and prediction
  arrays are 1-D (an ``(n, 1)`` column is accepted) and paired row by row.
  The exceptions take other tasks' data: ``task_bootstrap_*`` (multiclass
  codes 0..k-1 with (n, k) score matrices, or regression numbers),
  ``delta_*`` (a metric value and its influence function per row) and
  ``mean_loss_bound`` (per-row losses).
* Programming errors raise ``ValueError``: different lengths, other shapes,
  labels other than 0/1, predictions other than 0/1, a confidence outside
  ``[0.5, 1)``, a non-finite margin. The accuracy functions take class codes
  (0/1, or 0..k-1 for multiclass) as labels and predictions; a value that is
  not a whole number is an error there.
* Data the statistic is undefined for (NaN labels or scores, a single class
  for AUC, too few rows, a zero baseline for a relative margin, a degenerate
  bootstrap) never raises in the ``DifferenceBound`` functions: they return
  ``lower = nan``, ``p_value = nan`` and a ``reason``. The plain functions
  (``auc_midrank``, ``delong_auc_variance``, ``bootstrap_auc_differences``)
  raise ``ValueError`` with the same reason, since they have no field for it;
  ``mcnemar_exact`` returns nan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats

__all__ = [
    "DifferenceBound",
    "auc_midrank",
    "delong_auc_variance",
    "delong_auc_difference",
    "bootstrap_auc_differences",
    "paired_bootstrap_difference",
    "accuracy_difference",
    "mcnemar_exact",
]

Metric = Callable[[NDArray, NDArray], float] | Literal["roc_auc"]

# Resamples are processed in chunks of about this many (resample, row) cells:
# a handful of int64 matrices of this size stay well under 500 MB.
_CHUNK_CELLS = 1 << 22

# Largest z used when inverting an interval into a p-value; norm.sf(40) is
# below 1e-300, so anything further out is reported as p = 0.
_Z_MAX = 40.0


@dataclass(frozen=True)
class DifferenceBound:
    """One-sided comparison of a candidate against a baseline metric.

    ``lower`` is the one-sided lower bound at ``confidence`` (== ``estimate``
    when ``confidence`` is None; nan when undefined, with ``reason`` saying
    why); ``p_value`` is for H0: quantity <= margin; ``n`` counts rows used;
    ``candidate``/``baseline`` are the two metric values on all rows.
    """

    estimate: float
    lower: float
    p_value: float
    method: str
    confidence: float | None
    n: int
    candidate: float
    baseline: float
    reason: str = ""

    @property
    def defined(self) -> bool:
        """True when the lower bound is a finite number."""
        return bool(np.isfinite(self.lower))


class _Undefined(ValueError):
    """The statistic is undefined for this data; the message is the reason."""


# ---------------------------------------------------------------- validation


def _as_1d(x: ArrayLike, name: str, dtype: type | None = None) -> NDArray:
    arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    # Keras-style (n, 1) prediction columns are common and unambiguous.
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def _labels(y_true: ArrayLike, name: str = "y_true") -> NDArray[np.bool_]:
    """0/1 labels as a bool mask of positives."""
    y = _as_1d(y_true, name)
    if y.dtype == np.bool_:
        return y
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold 0/1 values, got dtype {y.dtype}")
    if y.dtype.kind == "f":
        nan = int(np.isnan(y).sum())
        if nan:
            raise _Undefined(f"{name} contains NaN ({nan} of {y.size} rows)")
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:5]
        raise ValueError(f"{name} must hold 0/1 values, found {bad.tolist()}")
    return y == 1


def _scores(x: ArrayLike, name: str) -> NDArray[np.float64]:
    s = _as_1d(x, name, np.float64)
    nan = int(np.isnan(s).sum())
    if nan:
        raise _Undefined(f"{name} contains NaN ({nan} of {s.size} rows)")
    return s


def _same_length(**arrays: ArrayLike) -> int:
    lengths = {k: len(np.asarray(v)) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays are not paired row by row: lengths {lengths}")
    return next(iter(lengths.values()))


def _auc_inputs(
    y_true: ArrayLike, **scores: ArrayLike
) -> tuple[NDArray[np.bool_], list[NDArray[np.float64]]]:
    """Validated labels and scores for an AUC; raises _Undefined with a reason."""
    n = _same_length(y_true=y_true, **scores)
    if n == 0:
        raise _Undefined("no rows")
    pos = _labels(y_true)
    arrays = [_scores(v, k) for k, v in scores.items()]
    m = int(pos.sum())
    if m == 0 or m == n:
        raise _Undefined("y_true has a single class: AUC is undefined")
    return pos, arrays


def _check_options(margin: float, confidence: float | None) -> float | None:
    """Validate margin and confidence; return the normal quantile z (or None)."""
    if not math.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin!r}")
    if confidence is None:
        return None
    if not 0.5 <= confidence < 1.0:
        raise ValueError(f"confidence must be in [0.5, 1) or None, got {confidence!r}")
    return float(stats.norm.ppf(confidence))


def _undefined(
    method: str,
    confidence: float | None,
    n: int,
    reason: str,
    *,
    estimate: float = math.nan,
    candidate: float = math.nan,
    baseline: float = math.nan,
) -> DifferenceBound:
    return DifferenceBound(
        estimate=estimate,
        lower=math.nan,
        p_value=math.nan,
        method=method,
        confidence=confidence,
        n=n,
        candidate=candidate,
        baseline=baseline,
        reason=reason,
    )


def _safe_len(x: ArrayLike) -> int:
    try:
        return len(np.asarray(x))
    except TypeError:
        return 0


def _quantity(c: float, b: float, *, relative: bool, higher_is_better: bool = True) -> float:
    d = c - b if higher_is_better else b - c
    if relative:
        return d / b if b > 0 else math.nan
    return d


_ZERO_BASELINE = "relative margin needs a positive baseline metric value, got {:g}"


# ------------------------------------------------------------------ AUC core


def _class_layout(pos: NDArray[np.bool_]) -> tuple[NDArray[np.int64], int]:
    """Destination of each row in a class-grouped layout, and m.

    Positives go to [0, m) and negatives to [m, N), each in row order, so the
    per-class vectors of several scores line up as contiguous slices.
    """
    cum = np.cumsum(pos)
    m = int(cum[-1])
    k = np.arange(1, pos.size + 1)
    return np.where(pos, cum - 1, m + (k - cum) - 1), m


def _placements(
    pos: NDArray[np.bool_], s: NDArray[np.float64], layout: NDArray[np.int64], m: int
) -> NDArray[np.float64]:
    """Twice the Mann-Whitney placement count of every row, class-grouped.

    Positive row i: 2 * (#negatives below s_i + 0.5 * #negatives tied).
    Negative row j: 2 * (#positives above s_j + 0.5 * #positives tied).
    Divided by 2n (resp. 2m) these are Sun & Xu's structural components
    V10 = (T_z - T_x) / n and V01 = 1 - (T_z - T_y) / m. Counting them off a
    single sort replaces the three midrank vectors of the paper: one
    scipy.stats.rankdata call costs ~3.7 argsorts, so three per score missed
    the 10x-an-argsort budget on 1e6 rows. Doubling keeps the half-counts of
    ties integral, so the values (stored as float64) are exact.
    """
    n_rows = s.size
    # Unstable (fastest) sort is fine: tied values are averaged per block below.
    order = np.argsort(s)
    ss = s[order]
    lab = pos[order]
    new_block = np.empty(n_rows, dtype=bool)
    new_block[0] = True
    np.not_equal(ss[1:], ss[:-1], out=new_block[1:])
    # dtype spelled out: numpy's stubs type a bool cumsum as bool (at run time
    # it is the default int, int64), and bool - bool would then be an error.
    cum_pos = np.cumsum(lab, dtype=np.int64)
    if new_block.all():
        # No ties: every block is one row, so "before" and "through" differ
        # only by the row itself.
        pos_before = cum_pos - lab
        twice = np.where(lab, np.arange(n_rows) - pos_before, m - pos_before)
        twice *= 2
    else:
        starts = np.flatnonzero(new_block)
        ends = np.append(starts[1:], n_rows)
        cum0 = np.concatenate(([0], cum_pos))
        pos_before, pos_through = cum0[starts], cum0[ends]
        block = np.cumsum(new_block) - 1
        twice = np.where(
            lab,
            (starts - pos_before + ends - pos_through)[block],
            (2 * m - pos_before - pos_through)[block],
        )
    out = np.empty(n_rows, dtype=np.float64)
    out[layout[order]] = twice
    return out


def _delong(
    pos: NDArray[np.bool_], scores: list[NDArray[np.float64]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """AUCs and their DeLong covariance matrix (Sun & Xu 2014).

    The covariance is nan when a class has fewer than 2 rows.
    """
    layout, m = _class_layout(pos)
    n = pos.size - m
    twice = np.vstack([_placements(pos, s, layout, m) for s in scores])
    aucs = twice[:, :m].sum(axis=1) / (2.0 * m * n)
    if m < 2 or n < 2:
        return aucs, np.full((len(scores), len(scores)), np.nan)
    # Covariance of the structural components V10 = twice/(2n), V01 = twice/(2m);
    # the scale is applied to the small matrices, not the long vectors.
    s10 = np.atleast_2d(np.cov(twice[:, :m])) / (4.0 * n * n)
    s01 = np.atleast_2d(np.cov(twice[:, m:])) / (4.0 * m * m)
    return aucs, s10 / m + s01 / n


def _auc(pos: NDArray[np.bool_], s: NDArray[np.float64]) -> float:
    layout, m = _class_layout(pos)
    n = pos.size - m
    return float(_placements(pos, s, layout, m)[:m].sum() / (2.0 * m * n))


def auc_midrank(y_true: ArrayLike, scores: ArrayLike) -> float:
    """ROC AUC as the Mann-Whitney statistic with midranks for ties.

    Equals ``sklearn.metrics.roc_auc_score``. Raises ValueError when the AUC is
    undefined (single class, NaN) or the input is malformed.
    """
    pos, (s,) = _auc_inputs(y_true, scores=scores)
    return _auc(pos, s)


def delong_auc_variance(y_true: ArrayLike, scores: ArrayLike) -> tuple[float, float]:
    """(AUC, DeLong variance of the AUC), via Sun & Xu's fast algorithm.

    The variance is nan with fewer than 2 positives or 2 negatives. Raises
    ValueError when the AUC itself is undefined or the input is malformed.
    """
    pos, arrays = _auc_inputs(y_true, scores=scores)
    aucs, cov = _delong(pos, arrays)
    return float(aucs[0]), float(cov[0, 0])


# ----------------------------------------------------- one-sided bound logic


def _percentile_bound(
    draws: NDArray[np.float64], estimate: float, margin: float, method: str,
    confidence: float, n: int, candidate: float, baseline: float,
) -> DifferenceBound:
    """A one-sided percentile bound from bootstrap draws of the quantity, with
    the bootstrap p-value; undefined when any draw is not finite."""
    B = len(draws)
    bad = int(np.count_nonzero(~np.isfinite(draws)))
    if bad:
        return _undefined(
            method, confidence, n,
            f"bootstrap distribution is degenerate: {bad} of {B} resamples gave a "
            "non-finite difference",
            estimate=estimate, candidate=candidate, baseline=baseline,
        )
    lower = float(np.quantile(draws, 1.0 - confidence))
    p = (1.0 + np.count_nonzero(draws <= margin)) / (B + 1.0)
    return DifferenceBound(estimate, lower, float(p), method, confidence, n, candidate, baseline)


def _normal_bound(
    estimate: float, var: float, z: float, margin: float
) -> tuple[float, float]:
    """Lower bound ``estimate - z*se`` and p = P(N(0,1) > (estimate - margin)/se).

    With se == 0 the quantity is known exactly on this data: the bound is the
    estimate and the p-value is 0 or 1 by whether it clears the margin, so the
    pass rule and the p-value still agree.
    """
    se = math.sqrt(max(var, 0.0))
    if se == 0.0:
        return estimate, 0.0 if estimate > margin else 1.0
    return estimate - z * se, float(stats.norm.sf((estimate - margin) / se))


def _fieller_ratio(
    c: float, b: float, vcc: float, vbb: float, vcb: float, z: float, margin: float
) -> tuple[float, float, str]:
    """Fieller lower bound of c/b - 1 and the p-value of H0: c/b - 1 <= margin.

    The bound is the smaller root rho of (c - rho*b)^2 = z^2 Var(c - rho*b);
    the p-value is the one-sided normal test of c - (1 + margin)*b <= 0. The
    two are dual: lower > margin exactly when p < 1 - confidence. Fieller
    (rather than the delta method) because it keeps the baseline's own
    uncertainty in the denominator. Returns (lower, p, reason).
    """
    rho0 = 1.0 + margin
    t0 = c - rho0 * b
    v0 = vcc - 2.0 * rho0 * vcb + rho0 * rho0 * vbb
    if v0 <= 0.0:
        p = 0.0 if t0 > 0 else 1.0
    else:
        p = float(stats.norm.sf(t0 / math.sqrt(v0)))
    z2 = z * z
    a = b * b - z2 * vbb
    if a <= 0.0:
        return math.nan, p, (
            "Fieller bound is unbounded: the baseline metric is not significantly "
            "above 0 at this confidence"
        )
    h = c * b - z2 * vcb
    k = c * c - z2 * vcc
    # The quadratic is <= 0 at rho = c/b, so the discriminant is >= 0 up to rounding.
    disc = max(h * h - a * k, 0.0)
    return (h - math.sqrt(disc)) / a - 1.0, p, ""


# -------------------------------------------------------------------- DeLong


def delong_auc_difference(
    y_true: ArrayLike,
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
) -> DifferenceBound:
    """Compare two correlated AUCs on the same rows with DeLong's test.

    Absolute: ``d = AUC_c - AUC_b``, lower = d - z*se, p = 1 - Phi((d - margin)/se);
    se == 0 (e.g. both scores constant) gives lower = d and p in {0, 1}.
    Relative: ``AUC_c / AUC_b - 1`` with a Fieller bound built on the same
    DeLong covariance (method "DeLong (Fieller ratio)").
    """
    z = _check_options(margin, confidence)
    method = "DeLong (Fieller ratio)" if relative else "DeLong"
    if z is None:
        method = "point estimate"
    try:
        pos, (c, b) = _auc_inputs(y_true, candidate=candidate, baseline=baseline)
    except _Undefined as exc:
        return _undefined(method, confidence, _safe_len(y_true), str(exc))
    n_rows = pos.size
    aucs, cov = _delong(pos, [c, b])
    auc_c, auc_b = float(aucs[0]), float(aucs[1])
    common = dict(candidate=auc_c, baseline=auc_b)
    if relative and auc_b <= 0:
        return _undefined(method, confidence, n_rows, _ZERO_BASELINE.format(auc_b), **common)
    estimate = _quantity(auc_c, auc_b, relative=relative)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, auc_c, auc_b)
    if not np.isfinite(cov).all():
        return _undefined(
            method, confidence, n_rows,
            "DeLong variance needs at least 2 positives and 2 negatives",
            estimate=estimate, **common,
        )
    vcc, vbb, vcb = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    if relative:
        lower, p, reason = _fieller_ratio(auc_c, auc_b, vcc, vbb, vcb, z, margin)
        if reason:
            return _undefined(method, confidence, n_rows, reason, estimate=estimate, **common)
    else:
        lower, p = _normal_bound(estimate, vcc + vbb - 2.0 * vcb, z, margin)
    return DifferenceBound(estimate, lower, p, method, confidence, n_rows, auc_c, auc_b)


# ----------------------------------------------------------------- bootstrap


def _resample_positions(
    m: int, n: int, n_resamples: int, seed: int | None
) -> Iterator[tuple[NDArray[np.int32], NDArray[np.int32]]]:
    """Stratified bootstrap draws, in chunks of resamples.

    Yields (P, Q): P[r] are m positions into the positive rows (in row order),
    Q[r] n positions into the negative rows, for each resample r of the chunk.
    The stream depends only on (seed, m, n, n_resamples), so the fast AUC path
    and the generic metric path see identical resamples.
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // (m + n))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        yield (
            rng.integers(0, m, size=(size, m), dtype=np.int32),
            rng.integers(0, n, size=(size, n), dtype=np.int32),
        )


def _counts(draws: NDArray[np.int32], k: int) -> NDArray[np.int64]:
    """Multiplicity of each of k positions in every row (resample) of draws."""
    out = np.empty((draws.shape[0], k), dtype=np.int64)
    # One bincount per resample (a loop over resamples, not rows): twice as
    # fast as a single bincount over row-offset codes, which needs an extra
    # int64 pass and a chunk-sized output.
    for r, row in enumerate(draws):
        out[r] = np.bincount(row, minlength=k)
    return out


class _WeightedAuc:
    """AUC of one score under resampling weights, after a single sort.

    U = sum over (pos, neg) pairs of w_i v_j psi(x_i, y_j). Sorting the smaller
    class once, every resample needs one cumulative sum over it and one gather
    at precomputed insertion points for the larger class: O(n) per resample.
    """

    def __init__(self, s_pos: NDArray[np.float64], s_neg: NDArray[np.float64]) -> None:
        self.m, self.n = s_pos.size, s_neg.size
        # Cumulate over the smaller class: fewer cells to permute and scan.
        self.flip = self.m < self.n
        small, large = (s_pos, s_neg) if self.flip else (s_neg, s_pos)
        self.order = np.argsort(small, kind="stable")
        srt = small[self.order]
        self.lo = np.searchsorted(srt, large, side="left")
        self.hi = np.searchsorted(srt, large, side="right")
        self.ties = bool(np.any(self.lo != self.hi))

    def __call__(self, w_pos: NDArray[Any], w_neg: NDArray[Any]) -> NDArray[np.float64]:
        w_small, w_large = (w_pos, w_neg) if self.flip else (w_neg, w_pos)
        size = w_small.shape[0]
        # int64 counts (binary path) or float64 counts (the task bootstrap): exact either way
        cum = np.zeros((size, w_small.shape[1] + 1), dtype=w_small.dtype)
        np.cumsum(np.take(w_small, self.order, axis=1), axis=1, out=cum[:, 1:])
        # Weight of the small class strictly below each large-class row, plus
        # (ties only) the weight below-or-equal: twice "below + half tied".
        below = np.take(cum, self.lo, axis=1)
        if self.ties:
            below += np.take(cum, self.hi, axis=1)
            u2 = np.einsum("ij,ij->i", w_large, below)
        else:
            u2 = 2 * np.einsum("ij,ij->i", w_large, below)
        mn2 = 2.0 * self.m * self.n
        # Flipped, u2 counts (pos, neg) pairs ordered the wrong way; the pair
        # weights sum to m*n under stratified resampling, so U = m*n - that.
        return (mn2 - u2) / mn2 if self.flip else u2 / mn2


def _bootstrap_aucs(
    pos: NDArray[np.bool_],
    c: NDArray[np.float64],
    b: NDArray[np.float64],
    n_resamples: int,
    seed: int | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    m = int(pos.sum())
    n = pos.size - m
    auc_c = _WeightedAuc(c[pos], c[~pos])
    auc_b = _WeightedAuc(b[pos], b[~pos])
    out_c = np.empty(n_resamples)
    out_b = np.empty(n_resamples)
    done = 0
    for draws_pos, draws_neg in _resample_positions(m, n, n_resamples, seed):
        w_pos, w_neg = _counts(draws_pos, m), _counts(draws_neg, n)
        size = w_pos.shape[0]
        out_c[done : done + size] = auc_c(w_pos, w_neg)
        out_b[done : done + size] = auc_b(w_pos, w_neg)
        done += size
    return out_c, out_b


def _check_resamples(n_resamples: int) -> None:
    if int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")


def bootstrap_auc_differences(
    y_true: ArrayLike,
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Stratified paired bootstrap AUCs: (candidate AUCs, baseline AUCs), B each.

    Positives and negatives are resampled separately with the same indices for
    both scores. Raises ValueError when the AUC is undefined or input malformed.
    """
    _check_resamples(n_resamples)
    pos, (c, b) = _auc_inputs(y_true, candidate=candidate, baseline=baseline)
    return _bootstrap_aucs(pos, c, b, int(n_resamples), seed)


def _bootstrap_metric(
    metric: Callable[[NDArray, NDArray], float],
    pos: NDArray[np.bool_],
    c: NDArray[np.float64],
    b: NDArray[np.float64],
    n_resamples: int,
    seed: int | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Generic path: the metric is called on each resample (a loop over resamples)."""
    y01 = pos.astype(np.int64)
    pos_rows, neg_rows = np.flatnonzero(pos), np.flatnonzero(~pos)
    out_c = np.empty(n_resamples)
    out_b = np.empty(n_resamples)
    r = 0
    for draws_pos, draws_neg in _resample_positions(pos_rows.size, neg_rows.size, n_resamples, seed):
        rows = np.concatenate([pos_rows[draws_pos], neg_rows[draws_neg]], axis=1)
        for idx in rows:
            out_c[r] = metric(y01[idx], c[idx])
            out_b[r] = metric(y01[idx], b[idx])
            r += 1
    return out_c, out_b


def paired_bootstrap_difference(
    metric: Metric,
    y_true: ArrayLike,
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
    higher_is_better: bool = True,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> DifferenceBound:
    """Stratified paired percentile bootstrap of a metric difference.

    ``metric`` is ``metric(y_true, scores) -> float`` or ``"roc_auc"`` (fast
    weighted-rank path, same resamples). lower is the (1 - confidence)
    percentile of the resampled quantity; p = (1 + #{q_r <= margin}) / (B + 1),
    the +1 keeping a Monte Carlo p-value away from an impossible 0. Near the
    threshold the two can disagree by about one resample out of B. Both
    classes must be present (resampling is stratified by class).
    """
    z = _check_options(margin, confidence)
    _check_resamples(n_resamples)
    if isinstance(metric, str):
        if metric != "roc_auc":
            raise ValueError(f"unknown metric name {metric!r}; pass a callable or 'roc_auc'")
    elif not callable(metric):
        raise TypeError("metric must be a callable metric(y_true, scores) or 'roc_auc'")
    method = "paired bootstrap" if z is not None else "point estimate"
    try:
        pos, (c, b) = _auc_inputs(y_true, candidate=candidate, baseline=baseline)
    except _Undefined as exc:
        reason = str(exc)
        if metric != "roc_auc" and reason.startswith("y_true has a single class"):
            reason = "y_true has a single class: the stratified bootstrap needs both classes"
        return _undefined(method, confidence, _safe_len(y_true), reason)
    n_rows = pos.size
    if metric == "roc_auc":
        point_c, point_b = _auc(pos, c), _auc(pos, b)
    else:
        y01 = pos.astype(np.int64)
        point_c, point_b = float(metric(y01, c)), float(metric(y01, b))
    common = dict(candidate=point_c, baseline=point_b)
    if not (math.isfinite(point_c) and math.isfinite(point_b)):
        return _undefined(method, confidence, n_rows, "metric is not finite on the full data", **common)
    if relative and point_b <= 0:
        return _undefined(method, confidence, n_rows, _ZERO_BASELINE.format(point_b), **common)
    estimate = _quantity(point_c, point_b, relative=relative, higher_is_better=higher_is_better)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, point_c, point_b)
    assert confidence is not None  # _check_options gives z only for a confidence

    B = int(n_resamples)
    if metric == "roc_auc":
        res_c, res_b = _bootstrap_aucs(pos, c, b, B, seed)
    else:
        res_c, res_b = _bootstrap_metric(metric, pos, c, b, B, seed)
    d = res_c - res_b if higher_is_better else res_b - res_c
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(res_b > 0, d / res_b, np.nan)
    return _percentile_bound(d, estimate, margin, method, confidence, n_rows, point_c, point_b)


# ------------------------------------------------------------------ accuracy


def _codes(x: ArrayLike, name: str) -> NDArray[np.int64]:
    """Class labels as int codes: 0/1 (binary) or 0..k-1 (multiclass), bools
    accepted; a NaN is undefined (_Undefined), a non-integer value an error."""
    arr = _as_1d(x, name)
    if arr.dtype == np.bool_:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold 0/1 labels or integer class codes, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        nan = int(np.isnan(arr).sum())
        if nan:
            raise _Undefined(f"{name} contains NaN ({nan} of {arr.size} rows)")
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            bad = np.unique(arr[~whole])[:5]
            raise ValueError(f"{name} must hold 0/1 labels or integer class codes, found {bad.tolist()}")
    return arr.astype(np.int64)


def _paired_table(
    y_true: ArrayLike, pred_candidate: ArrayLike, pred_baseline: ArrayLike
) -> tuple[int, int, int, int]:
    """(both right, only candidate right, only baseline right, both wrong).

    Labels and predictions are class codes (0/1, or 0..k-1 for multiclass): a
    prediction is right when it equals the label."""
    _same_length(y_true=y_true, pred_candidate=pred_candidate, pred_baseline=pred_baseline)
    y = _codes(y_true, "y_true")
    right_c = _codes(pred_candidate, "pred_candidate") == y
    right_b = _codes(pred_baseline, "pred_baseline") == y
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
    except _Undefined:
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
        if gap(_Z_MAX) > 0:
            return 0.0
        return float(stats.norm.sf(optimize.brentq(gap, 0.0, _Z_MAX, xtol=1e-10)))

    def gap_up(z: float) -> float:
        return _newcombe(*table, z)[1] - margin
    if gap_up(_Z_MAX) < 0:
        return 1.0
    return float(stats.norm.cdf(optimize.brentq(gap_up, 0.0, _Z_MAX, xtol=1e-10)))


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
    z = _check_options(margin, confidence)
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
    except _Undefined as exc:
        return _undefined(method, confidence, _safe_len(y_true), str(exc))
    both, wins, losses, neither = table
    n = sum(table)
    if n == 0:
        return _undefined(method, confidence, 0, "no rows")
    acc_c, acc_b = (both + wins) / n, (both + losses) / n
    common = dict(candidate=acc_c, baseline=acc_b)
    if relative and acc_b <= 0:
        return _undefined(method, confidence, n, _ZERO_BASELINE.format(acc_b), **common)
    estimate = acc_c / acc_b - 1.0 if relative else (wins - losses) / n
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n, acc_c, acc_b)
    assert confidence is not None  # _check_options gives z only for a confidence

    if relative:
        p11 = both / n
        vcc, vbb = acc_c * (1 - acc_c) / n, acc_b * (1 - acc_b) / n
        vcb = (p11 - acc_c * acc_b) / n
        lower, p, reason = _fieller_ratio(acc_c, acc_b, vcc, vbb, vcb, z, margin)
        if reason:
            return _undefined(method, confidence, n, reason, estimate=estimate, **common)
    elif margin == 0:
        p = _mcnemar_p(wins, losses)
        lower = _newcombe(*table, z)[0]
        if (lower > 0) != (p < 1.0 - confidence):
            lower = _conditional_exact_lower(wins, losses, n, confidence)
    else:
        lower = _newcombe(*table, z)[0]
        p = _newcombe_p(table, margin)
    return DifferenceBound(estimate, lower, p, method, confidence, n, acc_c, acc_b)


# =============================================================================
# Paired per-row loss differences (issue 10, point 5)
#
# A metric that is the mean of a per-row loss (log loss, Brier; MAE and
# squared error later) compares two models through the paired per-row
# differences d_i = lb_i - lc_i (lower is better, so d = b - c): the
# difference of the two metrics is exactly mean(d). Its bound needs neither
# re-scoring nor a metric call per resample.
#
# * "normal": a normal bound with a skewness correction of its quantile (the
#   Cornish-Fisher inversion of the studentised mean's one-term Edgeworth
#   expansion, as in Hall 1992, "The Bootstrap and Edgeworth Expansion", and
#   to the same order Johnson 1978's modified t):
#       lower = mean(d) - se * (z - k (2 z^2 + 1)),  k = min(g, 0) / (6 sqrt n),
#   se = sd(d) / sqrt(n) (sd with n - 1), g = m3 / m2^1.5 the sample skewness
#   of d (moments over n). The sign: for T = sqrt(n) (mean - mu) / sd,
#   P(T <= x) = Phi(x) + g (2x^2 + 1) phi(x) / (6 sqrt n) + O(1/n), so T's
#   upper 1 - confidence quantile is z - g (2z^2 + 1) / (6 sqrt n); a left
#   skew (g < 0) puts it above z and moves the bound down, more conservative.
#   (Cov(mean, sd^2) = mu3 / n: in a left-skewed sample a low mean comes with
#   a large sd and a high mean with a small one, so T's right tail, the one
#   a lower bound uses, is the long one.) Only a left skew is corrected (g clipped at 0):
#   a right skew makes the plain bound conservative already, and raising the
#   bound on an estimated skewness is unsafe: one large positive d (a
#   baseline confidently wrong on one row) gives g near sqrt(n), and then the
#   correction alone would promote (simulated, d = 100 on 0.2% of rows and
#   mean(d) at the margin, 100 rows: 18% false promotions against 0% for the
#   plain bound). With k <= 0 the corrected quantile c(z) = z - k (2z^2 + 1)
#   increases for z > 1/(4k) (< -1.5, as |g| < sqrt(n)), so it is monotone
#   on every z >= 0 (confidence >= 0.5) and the p-value is its exact dual:
#   p = 1 - Phi(z*), z* the root >= 1/(4k) of c(z*) = (mean(d) - margin) /
#   se (z* = 1/(4k), p > 0.93, when there is none: the bound fails at every
#   confidence), so lower > margin exactly when p < 1 - confidence. With
#   g >= 0 it is the plain bound, p = 1 - Phi((mean(d) - margin) / se). With
#   2 rows g is 0 identically (undefined as an estimate): the plain bound,
#   named "paired-loss normal", as is a zero variance.
#   Relative (d / b = 1 - cbar / bbar), unchanged and not skew-corrected:
#   Fieller's bound of the ratio of the two means, on the sample covariance
#   of the (lc_i, lb_i) pairs over n, not the delta method: like the AUC and
#   accuracy ratios above it keeps the baseline's own uncertainty in the
#   denominator, and its p-value (the normal test of mean((1 - margin) * lb -
#   lc) <= 0) is exactly dual to it.
# * "bootstrap": percentile bootstrap over multinomial resamples of the rows.
#   Resample r's mean of d is (W d)_r / n for the B x n count matrix W; it is
#   computed as the sum of d over the row indices drawn for r, which is W d
#   without building W, a chunk of resamples at a time (memory does not grow
#   with B). Not stratified by class, unlike the generic bootstrap: a mean of
#   losses is defined on any rows, and rows are drawn independently, class
#   counts included. Relative: the ratio of the resampled means, sum d / sum lb.
#
# With zero variance (e.g. the same scores twice: d = 0 on every row) the
# quantity is known exactly on this data, as for DeLong above: the bound is
# the estimate and p is 0 or 1.
#
# Measured (benchmarks/bench_stats.py --losses, 2,264 rows, 100,000 trials at
# a true gain equal to the margin): the plain 95% normal bound promotes 5.24%
# (log loss) and 5.11% (Brier) of the time; the excess is the left skew of d
# (about -0.96 and -0.46), as the Edgeworth expansion predicts (5.22%,
# 5.11%). The skew-corrected bound, on the same 100,000 validation sets:
# 5.04% and 5.03% (± 0.07%), for 0.5 and 0.25 points of power at the
# benchmark's power scenarios (78.45% against 78.93%, 70.66% against 70.91%).
# =============================================================================

LossMethod = Literal["normal", "bootstrap"]
LOSS_METHODS: tuple[LossMethod, ...] = ("normal", "bootstrap")

# (resample, row) cells per chunk of the loss bootstrap: about 2 MB of drawn
# int64 indices and as much gathered, so a chunk stays in the CPU cache at
# small n and the peak stays a few tens of MB at any n.
_LOSS_CHUNK_CELLS = 1 << 18


def _loss_bootstrap(
    d: NDArray[np.float64],
    lb: NDArray[np.float64] | None,
    n_resamples: int,
    seed: int | None,
) -> NDArray[np.float64]:
    """Resampled mean(d) (``lb`` None) or sum(d) / sum(lb), one per resample.

    Sums of centred values (d - mean d) keep the resampled means accurate to
    rounding whatever the level of the losses.
    """
    n = d.size
    d_mean = float(d.mean())
    centred = d - d_mean
    if lb is not None:
        # One gather for both sums: the two centred vectors as the real and
        # imaginary parts of one complex vector.
        b_mean = float(lb.mean())
        centred = centred + 1j * (lb - b_mean)
    rng = np.random.default_rng(seed)
    chunk = max(1, _LOSS_CHUNK_CELLS // n)
    sums = np.empty(n_resamples, dtype=centred.dtype)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        rows = rng.integers(0, n, size=(size, n))
        sums[start : start + size] = np.take(centred, rows).sum(axis=1)
    resampled_d = d_mean + sums.real / n
    if lb is None:
        return resampled_d
    resampled_b = b_mean + sums.imag / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(resampled_b > 0, resampled_d / resampled_b, np.nan)


def _skew_corrected_bound(
    estimate: float, d: NDArray[np.float64], z: float, margin: float
) -> tuple[float, float]:
    """Skew-corrected normal lower bound of mean(d) and its dual p-value.

    For n >= 3 rows with sd(d) > 0 (see the section comment): lower =
    estimate - se (z - k (2z^2 + 1)) with k = min(g, 0) / (6 sqrt n), g the
    sample skewness m3 / m2^1.5 of d; p = 1 - Phi(z*), z* the root >= 1/(4k)
    of z* - k (2z*^2 + 1) = (estimate - margin) / se, or 1/(4k) when there is
    none. With k = 0 both are the plain normal bound and p-value.
    """
    n = d.size
    centred = d - d.mean()
    sd_n = math.sqrt(float(np.mean(centred * centred)))  # sd over n; > 0 by the caller
    g = float(np.mean((centred / sd_n) ** 3))
    se = sd_n / math.sqrt(n - 1)  # = sd(d) with n - 1, over sqrt(n)
    h = -min(g, 0.0) / (6.0 * math.sqrt(n))  # h = -k >= 0
    lower = estimate - se * (z + h * (2.0 * z * z + 1.0))
    # c(x) = x + h (2x^2 + 1) = t: the larger root of 2h x^2 + x + (h - t) = 0,
    # written 2 (t - h) / (1 + sqrt(disc)) so that h = 0 gives x = t exactly.
    t = (estimate - margin) / se
    disc = 1.0 + 8.0 * h * (t - h)
    if not math.isfinite(disc):  # t near overflow (se near underflow): known
        return lower, 0.0 if t > 0 else 1.0
    x = -1.0 / (4.0 * h) if disc <= 0.0 else 2.0 * (t - h) / (1.0 + math.sqrt(disc))
    return lower, float(stats.norm.sf(x))


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
) -> DifferenceBound:
    """Compare two models on a mean of per-row losses (lower is better).

    ``loss_candidate[i]`` and ``loss_baseline[i]`` are the two models' losses
    on row i (e.g. ``modelgate.metrics.get_metric("log_loss").row_loss(y,
    scores)``). The quantity is ``d = b - c`` (``(b - c) / b`` with
    ``relative=True``), ``c`` and ``b`` the mean losses, which are the
    ``candidate`` and ``baseline`` fields. ``method`` "normal" (method
    "paired-loss normal (skew-corrected)": the normal bound with its quantile
    corrected for a left skew of the per-row differences, see the section
    comment; "paired-loss normal", the plain bound, with 2 rows or a zero
    variance; relative: Fieller, "paired-loss normal (Fieller ratio)") or
    "bootstrap" ("paired-loss bootstrap": percentile bootstrap, p = (1 +
    #{q_r <= margin}) / (B + 1) as in :func:`paired_bootstrap_difference`).
    The p-value is dual to the bound: ``lower > margin`` exactly when
    ``p_value < 1 - confidence``. Undefined (a bound of nan and a
    reason): no rows, a non-finite loss, fewer than 2 rows for a bound, a
    relative margin on a baseline mean loss <= 0, a degenerate bootstrap.
    """
    z = _check_options(margin, confidence)
    if method not in LOSS_METHODS:
        raise ValueError(f"method must be one of {', '.join(LOSS_METHODS)}, got {method!r}")
    _check_resamples(n_resamples)
    if z is None:
        name = "point estimate"
    elif method == "normal":
        name = "paired-loss normal (Fieller ratio)" if relative else "paired-loss normal (skew-corrected)"
    else:
        name = "paired-loss bootstrap (ratio of means)" if relative else "paired-loss bootstrap"
    n_rows = _same_length(loss_candidate=loss_candidate, loss_baseline=loss_baseline)
    lc = _as_1d(loss_candidate, "loss_candidate", np.float64)
    lb = _as_1d(loss_baseline, "loss_baseline", np.float64)
    if n_rows == 0:
        return _undefined(name, confidence, 0, "no rows")
    for label, loss in (("loss_candidate", lc), ("loss_baseline", lb)):
        bad = int(np.count_nonzero(~np.isfinite(loss)))
        if bad:
            return _undefined(name, confidence, n_rows, f"{label} is not finite on {bad} of {n_rows} rows")
    c, b = float(lc.mean()), float(lb.mean())
    common = dict(candidate=c, baseline=b)
    if relative and b <= 0:
        return _undefined(name, confidence, n_rows, _ZERO_BASELINE.format(b), **common)
    estimate = _quantity(c, b, relative=relative, higher_is_better=False)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, name, None, n_rows, c, b)
    assert confidence is not None  # _check_options gives z only for a confidence
    if n_rows < 2:
        return _undefined(
            name, confidence, n_rows, "a confidence bound needs at least 2 rows",
            estimate=estimate, **common,
        )

    d = lb - lc
    if method == "normal":
        if relative:
            cov = np.cov(lc, lb) / n_rows
            # _fieller_ratio bounds x / y - 1 from below; with x = -c, y = b that
            # is (1 - c / b) - 2, the quantity shifted by 2 (so is the margin).
            low, p, reason = _fieller_ratio(
                -c, b, float(cov[0, 0]), float(cov[1, 1]), -float(cov[0, 1]), z, margin - 2.0
            )
            if reason:
                return _undefined(name, confidence, n_rows, reason, estimate=estimate, **common)
            lower = low + 2.0
        elif n_rows < 3 or float(d.var()) == 0.0:
            # no skewness to estimate (with 2 rows it is 0 identically): the plain bound
            name = "paired-loss normal"
            lower, p = _normal_bound(estimate, float(d.var(ddof=1)) / n_rows, z, margin)
        else:
            lower, p = _skew_corrected_bound(estimate, d, z, margin)
        return DifferenceBound(estimate, lower, p, name, confidence, n_rows, c, b)

    B = int(n_resamples)
    q = _loss_bootstrap(d, lb if relative else None, B, seed)
    return _percentile_bound(q, estimate, margin, name, confidence, n_rows, c, b)


__all__ += ["paired_loss_difference"]


# =============================================================================
# One-sample bounds (floors: ``at_least`` / ``at_most``, DESIGN section 7)
#
# A floor judges one model's metric against a fixed number, with no baseline:
# it passes when a one-sided confidence bound of the metric itself is beyond
# the floor (lower bound > at_least; upper bound < at_most). Same conventions
# as above: programming errors raise ValueError, undefined data returns a
# bound of nan with a reason, and the p-value is dual to the bound.
#
# * ROC AUC: DeLong's variance of the one AUC, normal bound on the logit
#   scale, expit(logit(A) -/+ z * se / (A (1 - A))). The logit keeps the
#   bound inside (0, 1) and fixes the Wald bound's skew near 1: simulated at
#   true AUC 0.99 (binormal), the Wald lower bound passed a floor at the true
#   value 9.4% of the time on 1,743 + 521 rows and 29% on 60 + 20, the logit
#   bound 6.6% and 5.0%. At A = 0 or 1 (DeLong's variance is 0 there, the
#   logit infinite) the bound is the score bound with the largest variance an
#   AUC of theta can have, theta (1 - theta) / min(m, n) (Birnbaum & Klose
#   1957; Bamber 1975): for A = 1 the lower bound is k / (k + z^2), k = min(m, n).
# * accuracy: exact Clopper-Pearson bound of the share of right predictions.
# * anything else: stratified percentile bootstrap of the metric. The metrics
#   of BOOTSTRAP_METRICS are computed for a whole chunk of resamples at once
#   (a gather of per-row values, or weighted ranks for AUC; no metric call per
#   resample); any other callable is called once per resample.
# =============================================================================

Side = Literal["lower", "upper"]
OneSampleMetric = Callable[[NDArray, NDArray], float] | str

# Metrics the one-sample bootstrap computes for a chunk of resamples at once; each equals
# the function of the same name in modelgate.metrics (0.5 threshold, clipped log loss).
BOOTSTRAP_METRICS = ("roc_auc", "accuracy", "f1", "log_loss", "brier")
_LOG_LOSS_EPS = 1e-15  # modelgate.metrics.log_loss clips probabilities to [eps, 1 - eps]
_LABEL_THRESHOLD = 0.5  # modelgate.metrics.THRESHOLD: label 1 where the score is strictly above


@dataclass(frozen=True)
class MetricBound:
    """A one-sided confidence bound of one metric of one model.

    ``value`` is the metric on all rows; ``bound`` its one-sided bound on
    ``side`` ("lower" for an ``at_least`` floor, "upper" for ``at_most``) at
    ``confidence`` (== ``value`` when confidence is None; nan when undefined,
    with ``reason`` saying why); ``p_value`` is for H0: the metric is on the
    wrong side of ``floor`` (<= floor for "lower", >= floor for "upper"), nan
    without a floor or a confidence; ``n`` counts rows used.
    """

    value: float
    bound: float
    side: Side
    p_value: float
    method: str
    confidence: float | None
    n: int
    reason: str = ""

    @property
    def defined(self) -> bool:
        """True when the bound is a finite number."""
        return bool(np.isfinite(self.bound))

    def clears(self, floor: float) -> bool:
        """The floor rule: lower bound > floor, or upper bound < floor; never when undefined."""
        if not self.defined:
            return False
        return self.bound > floor if self.side == "lower" else self.bound < floor


def _one_sample_options(side: str, floor: float | None, confidence: float | None) -> float | None:
    """Validate side, floor and confidence; the normal quantile z (None: point estimate)."""
    if side not in ("lower", "upper"):
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    if floor is not None and not math.isfinite(floor):
        raise ValueError(f"floor must be finite, got {floor!r}")
    return _check_options(0.0, confidence)


def _one_sample_undefined(
    method: str, side: Side, confidence: float | None, n: int, reason: str, value: float = math.nan
) -> MetricBound:
    return MetricBound(value, math.nan, side, math.nan, method, confidence, n, reason)


def _point_bound(value: float, side: Side, n: int) -> MetricBound:
    return MetricBound(value, value, side, math.nan, "point estimate", None, n)


def _p_by_side(t: float, side: Side) -> float:
    """p of a standardised distance t = (estimate - floor) / se, one-sided by side."""
    return float(stats.norm.sf(t) if side == "lower" else stats.norm.cdf(t))


def _p_outside(bound: float, side: Side, floor: float) -> float:
    """p when the floor is outside the statistic's open range: the bound settles it."""
    clears = bound > floor if side == "lower" else bound < floor
    return 0.0 if clears else 1.0


def _logit(x: float) -> float:
    return math.log(x) - math.log1p(-x)


def _expit(x: float) -> float:
    return float(special.expit(x))


def _auc_logit_bound(
    auc: float, var: float, z: float, side: Side, floor: float | None
) -> tuple[float, float]:
    """(bound, p) of the DeLong normal bound on the logit scale, 0 < auc < 1."""
    se = math.sqrt(max(var, 0.0)) / (auc * (1.0 - auc))
    centre = _logit(auc)
    bound = _expit(centre - z * se) if side == "lower" else _expit(centre + z * se)
    if floor is None:
        return bound, math.nan
    if not 0.0 < floor < 1.0:
        return bound, _p_outside(bound, side, floor)
    if se == 0.0:  # known exactly on this data (a constant score): the bound is the value
        return bound, _p_outside(auc, side, floor)
    return bound, _p_by_side((centre - _logit(floor)) / se, side)


def _max_variance_auc_bound(
    auc: float, k: int, z: float, side: Side, floor: float | None
) -> tuple[float, float]:
    """(bound, p) of the score bound with Var(AUC) = theta (1 - theta) / k, k = min(m, n).

    The roots of (auc - theta)^2 = z^2 theta (1 - theta) / k (a Wilson interval
    with k trials): defined at auc = 0 or 1, where DeLong's variance is 0.
    """
    z2k = z * z / k
    centre = (auc + z2k / 2.0) / (1.0 + z2k)
    half = z * math.sqrt(auc * (1.0 - auc) / k + z2k / (4.0 * k)) / (1.0 + z2k)
    bound = max(0.0, centre - half) if side == "lower" else min(1.0, centre + half)
    if floor is None:
        return bound, math.nan
    if not 0.0 < floor < 1.0:
        return bound, _p_outside(bound, side, floor)
    return bound, _p_by_side((auc - floor) / math.sqrt(floor * (1.0 - floor) / k), side)


def auc_bound(
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided bound of one ROC AUC: DeLong variance, normal bound on the logit scale.

    Method "DeLong (logit)"; at AUC = 0 or 1, "max-variance score bound" (see
    the section comment). Undefined (nan, with the reason): NaN labels or
    scores, a single class, fewer than 2 rows of a class when 0 < AUC < 1.
    """
    z = _one_sample_options(side, floor, confidence)
    method = "DeLong (logit)" if z is not None else "point estimate"
    try:
        pos, (s,) = _auc_inputs(y_true, scores=scores)
    except _Undefined as exc:
        return _one_sample_undefined(method, side, confidence, _safe_len(y_true), str(exc))
    n_rows = pos.size
    aucs, cov = _delong(pos, [s])
    auc = float(aucs[0])
    if z is None:
        return _point_bound(auc, side, n_rows)
    if auc in (0.0, 1.0):
        m = int(pos.sum())
        bound, p = _max_variance_auc_bound(auc, min(m, n_rows - m), z, side, floor)
        return MetricBound(auc, bound, side, p, "max-variance score bound", confidence, n_rows)
    var = float(cov[0, 0])
    if not math.isfinite(var):
        return _one_sample_undefined(
            method, side, confidence, n_rows, "DeLong variance needs at least 2 positives and 2 negatives", auc
        )
    bound, p = _auc_logit_bound(auc, var, z, side, floor)
    return MetricBound(auc, bound, side, p, method, confidence, n_rows)


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
    z = _one_sample_options(side, floor, confidence)
    method = "Clopper-Pearson" if z is not None else "point estimate"
    try:
        _same_length(y_true=y_true, predictions=pred)
        right = _codes(pred, "predictions") == _codes(y_true, "y_true")
    except _Undefined as exc:
        return _one_sample_undefined(method, side, confidence, _safe_len(y_true), str(exc))
    n_rows = right.size
    if n_rows == 0:
        return _one_sample_undefined(method, side, confidence, 0, "no rows")
    x = int(np.count_nonzero(right))
    value = x / n_rows
    if confidence is None:
        return _point_bound(value, side, n_rows)
    bound = clopper_pearson(x, n_rows, confidence, side)
    if floor is None:
        p = math.nan
    elif not 0.0 < floor < 1.0:
        p = _p_outside(bound, side, floor)
    elif side == "lower":
        p = float(stats.binom.sf(x - 1, n_rows, floor))
    else:
        p = float(stats.binom.cdf(x, n_rows, floor))
    return MetricBound(value, bound, side, p, method, confidence, n_rows)


_Resampled = Callable[[NDArray[np.int32], NDArray[np.int32]], NDArray[np.float64]]


def _resampled_metric(name: str, pos: NDArray[np.bool_], s: NDArray[np.float64]) -> _Resampled:
    """The metric of each resample from its draws (P, Q) of positions into the
    positive and negative rows (:func:`_resample_positions`): one value a row of P.

    Means of per-row values (accuracy, log loss, Brier) and F1 gather a vector
    at the draws; ROC AUC counts the draws and uses the weighted-rank AUC.
    """
    m = int(pos.sum())
    n = pos.size - m
    if name == "roc_auc":
        auc = _WeightedAuc(s[pos], s[~pos])
        return lambda dp, dn: auc(_counts(dp, m), _counts(dn, n))
    if name == "f1":
        said_pos = s > _LABEL_THRESHOLD
        tp_rows, fp_rows = said_pos[pos].astype(np.float64), said_pos[~pos].astype(np.float64)

        def f1(dp: NDArray[np.int32], dn: NDArray[np.int32]) -> NDArray[np.float64]:
            tp = np.take(tp_rows, dp).sum(axis=1)
            fp = np.take(fp_rows, dn).sum(axis=1)
            # 2 TP / (2 TP + FP + FN) with FN = m - TP; m > 0 under stratified resampling.
            return np.asarray(2.0 * tp / (tp + fp + m), dtype=np.float64)

        return f1
    if name == "accuracy":
        per_row = ((s > _LABEL_THRESHOLD) == pos).astype(np.float64)
    elif name == "log_loss":
        p = np.clip(s, _LOG_LOSS_EPS, 1.0 - _LOG_LOSS_EPS)
        per_row = np.where(pos, -np.log(p), -np.log1p(-p))
    elif name == "brier":
        per_row = (s - pos) ** 2
    else:
        raise ValueError(f"no resampled form of metric {name!r}; use one of {', '.join(BOOTSTRAP_METRICS)}")
    per_pos, per_neg = per_row[pos], per_row[~pos]

    def mean(dp: NDArray[np.int32], dn: NDArray[np.int32]) -> NDArray[np.float64]:
        total = np.take(per_pos, dp).sum(axis=1) + np.take(per_neg, dn).sum(axis=1)
        return np.asarray(total / (m + n), dtype=np.float64)

    return mean


def _one_sample_resamples(
    metric: OneSampleMetric, pos: NDArray[np.bool_], s: NDArray[np.float64], n_resamples: int, seed: int | None
) -> NDArray[np.float64]:
    """The metric on each of n_resamples stratified resamples (the same draws as the paired bootstrap)."""
    m = int(pos.sum())
    n = pos.size - m
    out = np.empty(n_resamples)
    done = 0
    if isinstance(metric, str):
        resampled = _resampled_metric(metric, pos, s)
        for draws_pos, draws_neg in _resample_positions(m, n, n_resamples, seed):
            size = draws_pos.shape[0]
            out[done : done + size] = resampled(draws_pos, draws_neg)
            done += size
        return out
    y01 = pos.astype(np.int64)
    pos_rows, neg_rows = np.flatnonzero(pos), np.flatnonzero(~pos)
    for draws_pos, draws_neg in _resample_positions(m, n, n_resamples, seed):
        for idx in np.concatenate([pos_rows[draws_pos], neg_rows[draws_neg]], axis=1):
            out[done] = metric(y01[idx], s[idx])
            done += 1
    return out


def bootstrap_metric_bound(
    metric: OneSampleMetric,
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> MetricBound:
    """Stratified percentile bootstrap bound of one metric (method "stratified bootstrap").

    ``metric`` is a name of :data:`BOOTSTRAP_METRICS` (vectorised over
    resamples, no call per resample) or a callable ``metric(y_true, scores) ->
    float`` (called once per resample). Positives and negatives are resampled
    separately (both classes must be present), with the same draws as
    :func:`paired_bootstrap_difference`. The bound is the (1 - confidence)
    percentile ("lower") or the confidence percentile ("upper") of the
    resampled metric; p = (1 + #{resamples on the wrong side of the floor,
    ties included}) / (B + 1).
    """
    z = _one_sample_options(side, floor, confidence)
    _check_resamples(n_resamples)
    if isinstance(metric, str):
        if metric not in BOOTSTRAP_METRICS:
            raise ValueError(f"unknown metric name {metric!r}; pass a callable or one of {', '.join(BOOTSTRAP_METRICS)}")
    elif not callable(metric):
        raise TypeError("metric must be a callable metric(y_true, scores) or a metric name")
    method = "stratified bootstrap" if z is not None else "point estimate"
    try:
        pos, (s,) = _auc_inputs(y_true, scores=scores)
    except _Undefined as exc:
        reason = str(exc)
        if metric != "roc_auc" and reason.startswith("y_true has a single class"):
            reason = "y_true has a single class: the stratified bootstrap needs both classes"
        return _one_sample_undefined(method, side, confidence, _safe_len(y_true), reason)
    n_rows = pos.size
    if isinstance(metric, str):
        m = int(pos.sum())  # every row once: the identity "resample"
        identity = _resampled_metric(metric, pos, s)
        value = float(identity(np.arange(m, dtype=np.int32)[None], np.arange(n_rows - m, dtype=np.int32)[None])[0])
    else:
        value = float(metric(pos.astype(np.int64), s))
    if not math.isfinite(value):
        return _one_sample_undefined(method, side, confidence, n_rows, "metric is not finite on the full data", value)
    if confidence is None:
        return _point_bound(value, side, n_rows)
    B = int(n_resamples)
    res = _one_sample_resamples(metric, pos, s, B, seed)
    return _one_sample_percentile_bound(res, value, side, floor, method, confidence, n_rows)


def _one_sample_percentile_bound(
    res: NDArray[np.float64], value: float, side: Side, floor: float | None, method: str, confidence: float, n_rows: int
) -> MetricBound:
    """The percentile bound of one metric's bootstrap resamples ``res`` on ``side``,
    and the p-value of the floor; undefined when a resample gave a non-finite metric."""
    B = res.size
    bad = int(np.count_nonzero(~np.isfinite(res)))
    if bad:
        return _one_sample_undefined(
            method, side, confidence, n_rows,
            f"bootstrap distribution is degenerate: {bad} of {B} resamples gave a non-finite metric", value,
        )
    if side == "lower":
        bound = float(np.quantile(res, 1.0 - confidence))
        wrong = np.count_nonzero(res <= floor) if floor is not None else -1
    else:
        bound = float(np.quantile(res, confidence))
        wrong = np.count_nonzero(res >= floor) if floor is not None else -1
    p = math.nan if floor is None else (1.0 + wrong) / (B + 1.0)
    return MetricBound(value, bound, side, float(p), method, confidence, n_rows)


__all__ += [
    "BOOTSTRAP_METRICS", "MetricBound", "accuracy_bound", "auc_bound", "bootstrap_metric_bound", "clopper_pearson",
]


# =============================================================================
# Multiclass and regression (issue 10): delta-method bounds, the mean-loss
# floor bound and the class-stratified bootstrap.
#
# * delta (rmse, r2): a smooth function of means, T = f(means), is to first
#   order its value plus the mean of its influence function IF_i over the
#   rows, so Var(T) ~ var(IF) / n (sample variance, n - 1). The caller gives
#   (value, IF) per model (``modelgate.metrics.Metric.influence``): RMSE =
#   sqrt(MSE), IF_i = (e_i^2 - MSE) / (2 RMSE); R^2 = 1 - MSE / V, IF_i =
#   -(e_i^2 - MSE) / V + MSE (t_i^2 - V) / V^2 with t_i = y_i - mean(y). A
#   paired difference d = c - b (b - c for lower-is-better) has IF_c - IF_b,
#   so for R^2 the shared SST is in both, and the bound is the normal one,
#   d - z sd(IF_c - IF_b) / sqrt(n). Relative margins: Fieller on the 2 x 2
#   covariance of (IF_c, IF_b) / n, as for the AUC and accuracy ratios.
#   One sample (floors): value -/+ z sd(IF) / sqrt(n).
# * mean-loss (floors of log_loss, brier, mae): the one-sample form of
#   paired-loss, the skew-corrected normal bound of the mean of the per-row
#   losses (the upper bound of mean(x) is minus the lower bound of mean(-x),
#   so a right-skewed loss, the usual case, gets the conservative correction).
#   Rows are independent draws, class counts included: no stratification.
# * class-stratified bootstrap (macro_f1, roc_auc_ovr; any multiclass or
#   regression metric with method "bootstrap"): rows are resampled within
#   each class (regression: all rows, one stratum), the same draws for the
#   candidate and the baseline. A chunk of resamples is a count matrix W
#   (resamples x rows, rows grouped by class), built with one bincount per
#   class; a mean of per-row values is W @ values, macro F1 comes from W @
#   [one-hot TP, one-hot predicted] (the true counts are fixed by the
#   strata), ROC AUC one-vs-rest from the weighted-rank AUC of each class (a
#   loop over the k classes, not over resamples), R^2 from W @ [e^2, t, t^2].
#   A callable metric is called once per resample.
# =============================================================================

_TaskForm = Callable[[NDArray[np.float64]], NDArray[np.float64]]
TASK_BOOTSTRAP_METRICS: dict[str, tuple[str, ...]] = {
    "multiclass": ("accuracy", "log_loss", "macro_f1", "roc_auc_ovr"),
    "regression": ("mae", "rmse", "r2"),
}


def _influence(x: ArrayLike, name: str) -> NDArray[np.float64]:
    return _as_1d(x, name, np.float64)


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
    z = _check_options(margin, confidence)
    method = "point estimate" if z is None else ("delta (Fieller ratio)" if relative else "delta")
    n_rows = _same_length(influence_candidate=influence_candidate, influence_baseline=influence_baseline)
    ic = _influence(influence_candidate, "influence_candidate")
    ib = _influence(influence_baseline, "influence_baseline")
    c, b = float(candidate), float(baseline)
    common = dict(candidate=c, baseline=b)
    if n_rows == 0:
        return _undefined(method, confidence, 0, "no rows")
    if not (math.isfinite(c) and math.isfinite(b)):
        return _undefined(method, confidence, n_rows, "metric is not finite on the full data", **common)
    bad = int(np.count_nonzero(~np.isfinite(ic)) + np.count_nonzero(~np.isfinite(ib)))
    if bad:
        return _undefined(method, confidence, n_rows, f"influence function is not finite on {bad} values", **common)
    if relative and b <= 0:
        return _undefined(method, confidence, n_rows, _ZERO_BASELINE.format(b), **common)
    estimate = _quantity(c, b, relative=relative, higher_is_better=higher_is_better)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, c, b)
    if n_rows < 2:
        return _undefined(
            method, confidence, n_rows, "a confidence bound needs at least 2 rows", estimate=estimate, **common
        )
    if relative:
        cov = np.cov(ic, ib) / n_rows
        vcc, vbb, vcb = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
        if higher_is_better:
            lower, p, reason = _fieller_ratio(c, b, vcc, vbb, vcb, z, margin)
        else:  # (b - c) / b = (-c / b - 1) + 2: the ratio of -c and b, shifted by 2
            lower, p, reason = _fieller_ratio(-c, b, vcc, vbb, -vcb, z, margin - 2.0)
            lower += 2.0
        if reason:
            return _undefined(method, confidence, n_rows, reason, estimate=estimate, **common)
    else:
        d_if = ic - ib if higher_is_better else ib - ic
        lower, p = _normal_bound(estimate, float(np.var(d_if, ddof=1)) / n_rows, z, margin)
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
    z = _one_sample_options(side, floor, confidence)
    method = "delta" if z is not None else "point estimate"
    infl = _influence(influence, "influence")
    n_rows = infl.size
    value = float(value)
    if n_rows == 0:
        return _one_sample_undefined(method, side, confidence, 0, "no rows")
    if not math.isfinite(value):
        return _one_sample_undefined(method, side, confidence, n_rows, "metric is not finite on the full data", value)
    bad = int(np.count_nonzero(~np.isfinite(infl)))
    if bad:
        return _one_sample_undefined(
            method, side, confidence, n_rows, f"influence function is not finite on {bad} of {n_rows} rows", value
        )
    if z is None:
        return _point_bound(value, side, n_rows)
    if n_rows < 2:
        return _one_sample_undefined(method, side, confidence, n_rows, "a confidence bound needs at least 2 rows", value)
    # The pseudo-values value + IF_i have mean value and sd sd(IF): the skew-corrected
    # normal bound of their mean (as for a mean loss) corrects the skew of the metric's
    # sampling distribution on the side the bound is on (see mean_loss_bound).
    pseudo = value + (infl - float(infl.mean()))
    b = mean_loss_bound(pseudo, side=side, floor=floor, confidence=confidence)
    method = "delta (skew-corrected)" if b.method.endswith("(skew-corrected)") else "delta"
    return MetricBound(value, b.bound, side, b.p_value, method, confidence, n_rows)


def mean_loss_bound(
    losses: ArrayLike,
    *,
    side: Side = "upper",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided bound of a mean of per-row losses (method "mean-loss normal
    (skew-corrected)"): the bound of :func:`paired_loss_difference`'s normal
    method applied to one vector (the upper bound of mean(x) is minus the lower
    bound of mean(-x)); "mean-loss normal", the plain bound, with fewer than 3
    rows or a zero variance. p is dual to the bound: ``clears(floor)`` exactly
    when p < 1 - confidence."""
    z = _one_sample_options(side, floor, confidence)
    method = "mean-loss normal (skew-corrected)" if z is not None else "point estimate"
    x = _as_1d(losses, "losses", np.float64)
    n_rows = x.size
    if n_rows == 0:
        return _one_sample_undefined(method, side, confidence, 0, "no rows")
    bad = int(np.count_nonzero(~np.isfinite(x)))
    if bad:
        return _one_sample_undefined(method, side, confidence, n_rows, f"loss is not finite on {bad} of {n_rows} rows")
    value = float(x.mean())
    if z is None:
        return _point_bound(value, side, n_rows)
    if n_rows < 2:
        return _one_sample_undefined(method, side, confidence, n_rows, "a confidence bound needs at least 2 rows", value)
    sign = 1.0 if side == "lower" else -1.0
    v = sign * x
    target = sign * floor if floor is not None else 0.0
    if n_rows < 3 or float(v.var()) == 0.0:
        method = "mean-loss normal"
        low, p = _normal_bound(sign * value, float(v.var(ddof=1)) / n_rows, z, target)
    else:
        low, p = _skew_corrected_bound(sign * value, v, z, target)
    return MetricBound(value, sign * low, side, p if floor is not None else math.nan, method, confidence, n_rows)


# ------------------------------------------------- class-stratified bootstrap


def _too_few_to_resample(sizes: NDArray[np.int64]) -> str | None:
    """Why a (class-stratified) bootstrap cannot bound a metric: a stratum of one
    row never varies, so its bound would claim certainty it does not have."""
    present = sizes[sizes > 0]
    if present.sum() < 2:
        return "a confidence bound needs at least 2 rows"
    if present.min() < 2:
        return "a class-stratified bootstrap needs at least 2 rows of each class present"
    return None


def _task_inputs(
    task: str, y_true: ArrayLike, scores: list[tuple[str, ArrayLike]]
) -> tuple[NDArray[np.int64], NDArray[np.float64] | NDArray[np.int64], list[NDArray[np.float64]], NDArray[np.int64]]:
    """(order, grouped labels, grouped scores, class sizes): rows grouped by class
    (multiclass; regression: one stratum in row order). Raises ValueError on
    malformed input, _Undefined on NaN."""
    if task not in TASK_BOOTSTRAP_METRICS:
        raise ValueError(f"task must be one of {', '.join(TASK_BOOTSTRAP_METRICS)}, got {task!r}")
    n = _same_length(y_true=y_true, **dict(scores))
    if n == 0:
        raise _Undefined("no rows")
    arrays: list[NDArray[np.float64]] = []
    if task == "regression":
        y = _as_1d(y_true, "y_true", np.float64)
        if not np.all(np.isfinite(y)):
            raise _Undefined(f"y_true is not finite on {int(np.count_nonzero(~np.isfinite(y)))} of {n} rows")
        for name, s in scores:
            arr = _as_1d(s, name, np.float64)
            if not np.all(np.isfinite(arr)):
                raise _Undefined(f"{name} is not finite on {int(np.count_nonzero(~np.isfinite(arr)))} of {n} rows")
            arrays.append(arr)
        return np.arange(n), y, arrays, np.array([n], dtype=np.int64)
    codes = _codes(y_true, "y_true")
    k = 0
    for name, s in scores:
        arr = np.asarray(s, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] < 2 or (k and arr.shape[1] != k):
            raise ValueError(f"{name} must be an (n, k) probability matrix with the same k >= 2, got shape {arr.shape}")
        k = arr.shape[1]
        bad_rows = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
        if bad_rows:
            raise _Undefined(f"{name} contains NaN or infinite values ({bad_rows} of {n} rows)")
        arrays.append(arr)
    if codes.min() < 0 or codes.max() >= k:
        raise ValueError(f"y_true must hold class codes 0..{k - 1} (the score columns), found {int(codes.max())}")
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=k).astype(np.int64)
    return order, codes[order], [a[order] for a in arrays], sizes


def _stratified_counts(sizes: NDArray[np.int64], n_resamples: int, seed: int | None) -> Iterator[NDArray[np.float64]]:
    """Chunks of the count matrix W (resamples x rows, rows grouped by class):
    W[r, i] is how often row i is drawn in resample r, each class's rows drawn
    with replacement as many times as the class has rows."""
    rng = np.random.default_rng(seed)
    total = int(sizes.sum())
    chunk = max(1, _CHUNK_CELLS // total)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        w = np.empty((size, total), dtype=np.float64)  # counts, exact in float64; BLAS takes them as they are
        offset = 0
        for n_c in (int(v) for v in sizes):
            if n_c == 0:
                continue
            # int32 draws (size * n_c <= _CHUNK_CELLS, or one resample of < 2^31 rows): faster to draw
            codes = rng.integers(0, n_c, size=(size, n_c), dtype=np.int32 if size * n_c < 2**31 else np.int64)
            codes += (np.arange(size, dtype=codes.dtype) * n_c)[:, None]
            w[:, offset : offset + n_c] = np.bincount(codes.ravel(), minlength=size * n_c).reshape(size, n_c)
            offset += n_c
        yield w


def _weighted_mean(rows: NDArray[np.float64]) -> _TaskForm:
    n = rows.size
    centre = float(rows.mean())
    centred = rows - centre  # sums of centred values: accurate whatever the level

    def form(w: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(centre + (w @ centred) / n, dtype=np.float64)

    return form


def _multiclass_form(name: str, y: NDArray[np.int64], s: NDArray[np.float64], sizes: NDArray[np.int64]) -> _TaskForm:
    n, k = s.shape
    pred = np.argmax(s, axis=1)
    if name == "accuracy":
        return _weighted_mean((pred == y).astype(np.float64))
    if name == "log_loss":
        p = np.clip(s[np.arange(n), y], _LOG_LOSS_EPS, 1.0 - _LOG_LOSS_EPS)
        return _weighted_mean(-np.log(p))
    present = sizes > 0
    if name == "macro_f1":
        onehot_pred = np.zeros((n, k))
        onehot_pred[np.arange(n), pred] = 1.0
        tp_rows = onehot_pred * (pred == y)[:, None]
        features = np.concatenate([tp_rows, onehot_pred], axis=1)
        true = sizes.astype(np.float64)

        def macro_f1(w: NDArray[np.float64]) -> NDArray[np.float64]:
            sums = w @ features
            tp, said = sums[:, :k], sums[:, k:]
            f1 = 2.0 * tp[:, present] / (said[:, present] + true[present])
            return np.asarray(f1.mean(axis=1), dtype=np.float64)

        return macro_f1
    if name == "roc_auc_ovr":
        ends = np.cumsum(sizes)
        starts = ends - sizes
        classes = [c for c in range(k) if 0 < sizes[c] < n]
        if len(classes) < 2:
            return lambda w: np.full(w.shape[0], np.nan)
        aucs = []
        for c in classes:
            a, b = int(starts[c]), int(ends[c])
            rest = np.concatenate([s[:a, c], s[b:, c]])
            aucs.append((a, b, _WeightedAuc(s[a:b, c], rest)))

        def ovr(w: NDArray[np.float64]) -> NDArray[np.float64]:
            total = np.zeros(w.shape[0])
            for a, b, auc in aucs:  # a loop over classes, each vectorised over the resamples
                total += auc(w[:, a:b], np.concatenate([w[:, :a], w[:, b:]], axis=1))
            return np.asarray(total / len(aucs), dtype=np.float64)

        return ovr
    raise ValueError(f"no resampled form of multiclass metric {name!r}")


def _regression_form(name: str, y: NDArray[np.float64], s: NDArray[np.float64]) -> _TaskForm:
    e = y - s
    if name == "mae":
        return _weighted_mean(np.abs(e))
    if name == "rmse":
        mse = _weighted_mean(e * e)
        return lambda w: np.sqrt(np.maximum(mse(w), 0.0))
    if name == "r2":
        n = y.size
        t = y - y.mean()
        features = np.column_stack([e * e, t, t * t])

        def r2(w: NDArray[np.float64]) -> NDArray[np.float64]:
            sums = w @ features
            sst = sums[:, 2] - sums[:, 1] ** 2 / n
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.asarray(np.where(sst > 0, 1.0 - sums[:, 0] / sst, np.nan), dtype=np.float64)

        return r2
    raise ValueError(f"no resampled form of regression metric {name!r}")


# Macro F1 is a function of the confusion matrix alone, and under class-stratified
# resampling the predicted classes of the n_c draws from class c are multinomial
# (n_c, the shares of each predicted class among that class's rows): the bootstrap
# draws the confusion rows directly, B x k^2 (paired: B x k^3) numbers whatever n,
# with the same distribution as resampling rows. Used up to this many classes.
_CONFUSION_MAX_CLASSES = 16


def _macro_f1_from_confusion(conf: NDArray[np.float64], present: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Macro F1 over the present classes of a stack of confusion matrices (r, true, predicted)."""
    tp = np.diagonal(conf, axis1=1, axis2=2)
    true, said = conf.sum(axis=2), conf.sum(axis=1)
    f1 = 2.0 * tp[:, present] / (true[:, present] + said[:, present])
    return np.asarray(f1.mean(axis=1), dtype=np.float64)


def _confusion_draws(
    y: NDArray[np.int64], preds: list[NDArray[np.int64]], k: int, n_resamples: int, seed: int | None
) -> list[NDArray[np.float64]]:
    """Resampled confusion matrices (B, k, k), one stack per prediction vector, drawn
    jointly (the same resampled rows for every vector), stratified by true class."""
    rng = np.random.default_rng(seed)
    m = len(preds)
    joint = np.zeros(y.size, dtype=np.int64)
    for p in preds:  # one category per combination of predictions: k^m of them
        joint = joint * k + p
    out = [np.zeros((n_resamples, k, k)) for _ in preds]
    for c in range(k):
        rows = y == c
        n_c = int(np.count_nonzero(rows))
        if n_c == 0:
            continue
        shares = np.bincount(joint[rows], minlength=k**m) / n_c
        draws = rng.multinomial(n_c, shares, size=n_resamples).reshape((n_resamples,) + (k,) * m).astype(np.float64)
        for i in range(m):
            other = tuple(1 + j for j in range(m) if j != i)
            out[i][:, c, :] = draws.sum(axis=other) if other else draws
    return out


def _macro_f1_resamples(
    y: NDArray[np.int64], scores: list[NDArray[np.float64]], n_resamples: int, seed: int | None
) -> tuple[list[float], list[NDArray[np.float64]]]:
    """(full-data macro F1 of each score matrix, their resampled values), via the confusion draws."""
    k = scores[0].shape[1]
    preds = [np.argmax(s, axis=1) for s in scores]
    present = np.bincount(y, minlength=k) > 0
    full = []
    for p in preds:
        conf = np.zeros((1, k, k))
        np.add.at(conf[0], (y, p), 1.0)
        full.append(float(_macro_f1_from_confusion(conf, present)[0]))
    stacks = _confusion_draws(y, preds, k, n_resamples, seed)
    return full, [_macro_f1_from_confusion(conf, present) for conf in stacks]


def _uses_confusion(metric: object, task: str, k: int) -> bool:
    return metric == "macro_f1" and task == "multiclass" and k <= _CONFUSION_MAX_CLASSES


def _callable_form(metric: Callable[[NDArray, NDArray], float], y: NDArray, s: NDArray[np.float64]) -> _TaskForm:
    """A metric with no resampled form: called once per resample, on the drawn rows."""
    rows = np.arange(y.size)

    def form(w: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.empty(w.shape[0])
        for r, counts in enumerate(w):
            idx = np.repeat(rows, counts.astype(np.int64))
            out[r] = metric(y[idx], s[idx])
        return out

    return form


def _task_form(
    metric: str | Callable[[NDArray, NDArray], float], task: str, y: NDArray, s: NDArray[np.float64],
    sizes: NDArray[np.int64],
) -> _TaskForm:
    if not isinstance(metric, str):
        return _callable_form(metric, y, s)
    if metric not in TASK_BOOTSTRAP_METRICS[task]:
        raise ValueError(
            f"no resampled form of {task} metric {metric!r}; pass a callable or one of "
            f"{', '.join(TASK_BOOTSTRAP_METRICS[task])}"
        )
    if task == "regression":
        return _regression_form(metric, y.astype(np.float64), s)
    return _multiclass_form(metric, y.astype(np.int64), s, sizes)


def _check_task_metric(metric: object) -> None:
    if not (isinstance(metric, str) or callable(metric)):
        raise TypeError("metric must be a callable metric(y_true, scores) or a metric name")


def _bootstrap_names(task: str) -> tuple[str, str]:
    """(paired, one-sample) method names of the task's bootstrap."""
    if task == "multiclass":
        return "class-stratified paired bootstrap", "class-stratified bootstrap"
    return "paired bootstrap", "bootstrap"


def task_bootstrap_difference(
    metric: str | Callable[[NDArray, NDArray], float],
    task: str,
    y_true: ArrayLike,
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    margin: float = 0.0,
    confidence: float | None = 0.95,
    relative: bool = False,
    higher_is_better: bool = True,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> DifferenceBound:
    """Paired percentile bootstrap of a multiclass or regression metric difference.

    ``task`` "multiclass" (labels: codes 0..k-1, scores: (n, k) matrices; rows
    resampled within each class, method "class-stratified paired bootstrap") or
    "regression" (rows resampled, method "paired bootstrap"); the same draws
    for both models. ``metric`` is a name of :data:`TASK_BOOTSTRAP_METRICS`
    (vectorised: no metric call per resample) or a callable ``metric(y, scores)``
    (called once per resample). Bound and p-value as
    :func:`paired_bootstrap_difference`.
    """
    z = _check_options(margin, confidence)
    _check_resamples(n_resamples)
    _check_task_metric(metric)
    method = _bootstrap_names(task)[0] if z is not None else "point estimate"
    try:
        order, y, (c, b), sizes = _task_inputs(task, y_true, [("candidate", candidate), ("baseline", baseline)])
    except _Undefined as exc:
        return _undefined(method, confidence, _safe_len(y_true), str(exc))
    n_rows = y.size
    too_few = _too_few_to_resample(sizes) if z is not None else None
    if too_few:
        return _undefined(method, confidence, n_rows, too_few)
    B = int(n_resamples)
    confusion = _uses_confusion(metric, task, sizes.size)
    if confusion:
        (point_c, point_b), (res_c, res_b) = _macro_f1_resamples(
            y.astype(np.int64), [c, b], B if z is not None else 1, seed
        )
    else:
        form_c = _task_form(metric, task, y, c, sizes)
        form_b = _task_form(metric, task, y, b, sizes)
        ones = np.ones((1, n_rows))
        point_c, point_b = float(form_c(ones)[0]), float(form_b(ones)[0])
    common = dict(candidate=point_c, baseline=point_b)
    if not (math.isfinite(point_c) and math.isfinite(point_b)):
        return _undefined(method, confidence, n_rows, "metric is not finite on the full data", **common)
    if relative and point_b <= 0:
        return _undefined(method, confidence, n_rows, _ZERO_BASELINE.format(point_b), **common)
    estimate = _quantity(point_c, point_b, relative=relative, higher_is_better=higher_is_better)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, point_c, point_b)
    assert confidence is not None
    if not confusion:
        res_c, res_b = np.empty(B), np.empty(B)
        done = 0
        for w in _stratified_counts(sizes, B, seed):
            size = w.shape[0]
            res_c[done : done + size] = form_c(w)
            res_b[done : done + size] = form_b(w)
            done += size
    d = res_c - res_b if higher_is_better else res_b - res_c
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(res_b > 0, d / res_b, np.nan)
    return _percentile_bound(d, estimate, margin, method, confidence, n_rows, point_c, point_b)


def task_bootstrap_bound(
    metric: str | Callable[[NDArray, NDArray], float],
    task: str,
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> MetricBound:
    """One-sample percentile bootstrap bound of a multiclass or regression metric
    (method "class-stratified bootstrap" or "bootstrap"): the same draws as
    :func:`task_bootstrap_difference`, bound and p as :func:`bootstrap_metric_bound`."""
    z = _one_sample_options(side, floor, confidence)
    _check_resamples(n_resamples)
    _check_task_metric(metric)
    method = _bootstrap_names(task)[1] if z is not None else "point estimate"
    try:
        order, y, (s,), sizes = _task_inputs(task, y_true, [("scores", scores)])
    except _Undefined as exc:
        return _one_sample_undefined(method, side, confidence, _safe_len(y_true), str(exc))
    n_rows = y.size
    too_few = _too_few_to_resample(sizes) if z is not None else None
    if too_few:
        return _one_sample_undefined(method, side, confidence, n_rows, too_few)
    B = int(n_resamples)
    confusion = _uses_confusion(metric, task, sizes.size)
    if confusion:
        (value,), (res,) = _macro_f1_resamples(y.astype(np.int64), [s], B if z is not None else 1, seed)
    else:
        form = _task_form(metric, task, y, s, sizes)
        value = float(form(np.ones((1, n_rows)))[0])
    if not math.isfinite(value):
        return _one_sample_undefined(method, side, confidence, n_rows, "metric is not finite on the full data", value)
    if confidence is None:
        return _point_bound(value, side, n_rows)
    if not confusion:
        res = np.empty(B)
        done = 0
        for w in _stratified_counts(sizes, B, seed):
            res[done : done + w.shape[0]] = form(w)
            done += w.shape[0]
    return _one_sample_percentile_bound(res, value, side, floor, method, confidence, n_rows)


__all__ += [
    "TASK_BOOTSTRAP_METRICS", "delta_bound", "delta_difference", "mean_loss_bound", "task_bootstrap_bound",
    "task_bootstrap_difference",
]


def ovr_auc_influence(y_true: ArrayLike, scores: ArrayLike) -> tuple[float, NDArray[np.float64]]:
    """Macro one-vs-rest ROC AUC and its influence function row by row (for :func:`delta_difference`
    and :func:`delta_bound`).

    For each class c present with rows on both sides (0 < n_c < n), AUC_c and its
    DeLong structural components from one sort (the placements of the binary
    DeLong code): V10_i for the rows of class c, V01_j for the rest. The
    influence of row i on AUC_c is (V10_i - AUC_c) / pi_c for a row of class c
    and (V01_i - AUC_c) / (1 - pi_c) otherwise (pi_c = n_c / n), so var(IF) / n
    is DeLong's S10 / n_c + S01 / (n - n_c); the macro AUC's influence is the
    mean over those classes. Labels are codes 0..k-1 and scores an (n, k)
    matrix. Returns (nan, nans) with fewer than 2 such classes or a NaN score;
    raises ValueError on malformed input.
    """
    codes = _codes(y_true, "y_true")
    s = np.asarray(scores, dtype=np.float64)
    n = codes.size
    if s.ndim != 2 or s.shape[0] != n or s.shape[1] < 2:
        raise ValueError(f"scores must be an (n, k) matrix paired with y_true, got shape {s.shape}")
    if codes.size and (codes.min() < 0 or codes.max() >= s.shape[1]):
        raise ValueError(f"y_true must hold class codes 0..{s.shape[1] - 1}")
    sizes = np.bincount(codes, minlength=s.shape[1])
    classes = [c for c in range(s.shape[1]) if 0 < sizes[c] < n]
    if len(classes) < 2 or not np.all(np.isfinite(s)):
        return math.nan, np.full(n, np.nan)
    total = np.zeros(n)
    value = 0.0
    for c in classes:
        pos = codes == c
        layout, m = _class_layout(pos)
        n_neg = n - m
        twice = _placements(pos, s[:, c], layout, m)[layout]  # back in row order
        auc = float(twice[pos].sum() / (2.0 * m * n_neg))
        v = np.where(pos, twice / (2.0 * n_neg), twice / (2.0 * m))
        total += np.where(pos, (v - auc) * (n / m), (v - auc) * (n / n_neg))
        value += auc
    k = len(classes)
    return value / k, total / k


__all__ += ["ovr_auc_influence"]
