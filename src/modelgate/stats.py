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
* Programming errors raise ``ValueError``: different lengths, other shapes,
  labels other than 0/1, predictions other than 0/1, a confidence outside
  ``[0.5, 1)``, a non-finite margin.
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
from typing import Literal

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

    def __call__(self, w_pos: NDArray[np.int64], w_neg: NDArray[np.int64]) -> NDArray[np.float64]:
        w_small, w_large = (w_pos, w_neg) if self.flip else (w_neg, w_pos)
        size = w_small.shape[0]
        cum = np.zeros((size, w_small.shape[1] + 1), dtype=np.int64)
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
    bad = int(np.count_nonzero(~np.isfinite(d)))
    if bad:
        return _undefined(
            method, confidence, n_rows,
            f"bootstrap distribution is degenerate: {bad} of {B} resamples gave a "
            "non-finite difference",
            estimate=estimate, **common,
        )
    lower = float(np.quantile(d, 1.0 - confidence))
    p = (1.0 + np.count_nonzero(d <= margin)) / (B + 1.0)
    return DifferenceBound(estimate, lower, float(p), method, confidence, n_rows, point_c, point_b)


# ------------------------------------------------------------------ accuracy


def _paired_table(
    y_true: ArrayLike, pred_candidate: ArrayLike, pred_baseline: ArrayLike
) -> tuple[int, int, int, int]:
    """(both right, only candidate right, only baseline right, both wrong)."""
    _same_length(y_true=y_true, pred_candidate=pred_candidate, pred_baseline=pred_baseline)
    y = _labels(y_true)
    right_c = _labels(pred_candidate, "pred_candidate") == y
    right_b = _labels(pred_baseline, "pred_baseline") == y
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
    """Compare two accuracies on the same rows (0/1 predictions).

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
