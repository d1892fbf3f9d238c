"""ROC AUC: the midrank AUC, DeLong's covariance (Sun & Xu's fast algorithm), the paired
DeLong comparison, the one-sample logit bound, the weighted AUC the bootstrap resamples,
and the one-vs-rest influence function."""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .bounds import (
    ZERO_BASELINE,
    DifferenceBound,
    MetricBound,
    Side,
    Values,
    check_options,
    dual_p,
    expit,
    fieller_ratio,
    logit,
    normal_bound,
    one_sample_options,
    p_by_side,
    p_outside,
    point_bound,
    quantity,
    undefined_difference,
    undefined_metric,
)
from .inputs import Undefined, auc_inputs, class_codes, safe_len

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
    pos, (s,) = auc_inputs(y_true, scores=scores)
    return _auc(pos, s)


def delong_auc_variance(y_true: ArrayLike, scores: ArrayLike) -> tuple[float, float]:
    """(AUC, DeLong variance of the AUC), via Sun & Xu's fast algorithm.

    The variance is nan with fewer than 2 positives or 2 negatives. Raises
    ValueError when the AUC itself is undefined or the input is malformed.
    """
    pos, arrays = auc_inputs(y_true, scores=scores)
    aucs, cov = _delong(pos, arrays)
    return float(aucs[0]), float(cov[0, 0])


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
    se == 0 with both scores constant gives lower = d and p in {0, 1}. When either
    AUC is 0 or 1 (DeLong's variance is 0 there, which is no certainty), method
    "max-variance (Bonferroni)": the candidate's lower bound minus the baseline's
    upper bound, each one-sided at 1 - (1 - confidence) / 2, the max-variance
    score bound at 0 or 1 (as :func:`auc_bound`).
    Relative: ``AUC_c / AUC_b - 1`` with a Fieller bound built on the same
    DeLong covariance (method "DeLong (Fieller ratio)").
    """
    z = check_options(margin, confidence)
    method = "DeLong (Fieller ratio)" if relative else "DeLong"
    if z is None:
        method = "point estimate"
    try:
        pos, (c, b) = auc_inputs(y_true, candidate=candidate, baseline=baseline)
    except Undefined as exc:
        return undefined_difference(method, confidence, safe_len(y_true), str(exc), inconclusive=exc.inconclusive)
    n_rows = pos.size
    aucs, cov = _delong(pos, [c, b])
    auc_c, auc_b = float(aucs[0]), float(aucs[1])
    common: Values = {"candidate": auc_c, "baseline": auc_b}
    if relative and auc_b <= 0:
        return undefined_difference(method, confidence, n_rows, ZERO_BASELINE.format(auc_b), **common)
    estimate = quantity(auc_c, auc_b, relative=relative)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, auc_c, auc_b)
    if not np.isfinite(cov).all():
        return undefined_difference(
            method,
            confidence,
            n_rows,
            "DeLong variance needs at least 2 positives and 2 negatives",
            estimate=estimate,
            **common,
            inconclusive=True,
        )
    vcc, vbb, vcb = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    if auc_c in (0.0, 1.0) or auc_b in (0.0, 1.0):
        # A perfectly separating score has DeLong variance 0: not certainty (4 separated
        # rows are no proof). Each AUC gets its own bound, the max-variance one at 0 or 1.
        assert confidence is not None  # z is set
        k = min(int(pos.sum()), n_rows - int(pos.sum()))
        lower, p = _separated_difference(auc_c, vcc, auc_b, vbb, k, confidence, margin, relative=relative)
        if not math.isfinite(lower):
            return undefined_difference(
                SEPARATED, confidence, n_rows, ZERO_BASELINE.format(0.0), estimate=estimate, **common
            )
        return DifferenceBound(estimate, lower, p, SEPARATED, confidence, n_rows, auc_c, auc_b)
    if relative:
        lower, p, reason = fieller_ratio(auc_c, auc_b, vcc, vbb, vcb, z, margin)
        if reason:  # Fieller: the baseline is not clearly above 0 at this n
            return undefined_difference(
                method, confidence, n_rows, reason, estimate=estimate, **common, inconclusive=True
            )
    else:
        var = vcc + vbb - 2.0 * vcb
        if var <= 0.0 and (vcc > 0.0 or vbb > 0.0) and estimate > margin:
            # The same ranks on every sampled row (two constant scores are the exception:
            # each AUC is 0.5 whatever the data): agreeing here is no proof of a tie.
            return undefined_difference(
                method,
                confidence,
                n_rows,
                "the two scores rank every row alike: zero variance is no certainty",
                estimate=estimate,
                **common,
                inconclusive=True,
            )
        lower, p = normal_bound(estimate, var, z, margin)
    return DifferenceBound(estimate, lower, p, method, confidence, n_rows, auc_c, auc_b)


SEPARATED = "max-variance (Bonferroni)"


def _one_auc_bound(auc: float, var: float, k: int, z: float, side: Side) -> float:
    """One AUC's bound at quantile z: the max-variance score bound at 0 or 1, the value
    itself for a constant score (AUC 0.5 whatever the data), else DeLong on the logit."""
    if auc in (0.0, 1.0):
        return _max_variance_auc_bound(auc, k, z, side, None)[0]
    if var <= 0.0:
        return auc
    return _auc_logit_bound(auc, var, z, side, None)[0]


def _separated_difference(
    auc_c: float, vcc: float, auc_b: float, vbb: float, k: int, confidence: float, margin: float, *, relative: bool
) -> tuple[float, float]:
    """(lower, p) of AUC_c - AUC_b (or AUC_c / AUC_b - 1) when a score separates the
    classes: the candidate's lower bound minus the baseline's upper bound, each at
    1 - (1 - confidence) / 2 (Bonferroni: no paired variance is trusted here).
    p is the dual: the smallest 1 - confidence at which the bound clears the margin."""
    from scipy import stats as st

    def lower_at(alpha: float) -> float:  # rises with alpha, as dual_p needs
        z = float(st.norm.isf(alpha / 2.0))
        low_c = _one_auc_bound(auc_c, vcc, k, z, "lower")
        high_b = _one_auc_bound(auc_b, vbb, k, z, "upper")
        if relative:
            return low_c / high_b - 1.0 if high_b > 0 else math.nan
        return low_c - high_b

    lower = lower_at(1.0 - confidence)
    if not math.isfinite(lower):
        return lower, math.nan
    return lower, dual_p(lower_at, margin)


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


def _auc_logit_bound(auc: float, var: float, z: float, side: Side, floor: float | None) -> tuple[float, float]:
    """(bound, p) of the DeLong normal bound on the logit scale, 0 < auc < 1."""
    se = math.sqrt(max(var, 0.0)) / (auc * (1.0 - auc))
    centre = logit(auc)
    bound = expit(centre - z * se) if side == "lower" else expit(centre + z * se)
    if floor is None:
        return bound, math.nan
    if not 0.0 < floor < 1.0:
        return bound, p_outside(bound, side, floor)
    if se == 0.0:  # known exactly on this data (a constant score): the bound is the value
        return bound, p_outside(auc, side, floor)
    return bound, p_by_side((centre - logit(floor)) / se, side)


def _max_variance_auc_bound(auc: float, k: int, z: float, side: Side, floor: float | None) -> tuple[float, float]:
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
        return bound, p_outside(bound, side, floor)
    return bound, p_by_side((auc - floor) / math.sqrt(floor * (1.0 - floor) / k), side)


def auc_bound(
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided bound of one ROC AUC: DeLong variance, normal bound on the logit scale.

    Method "DeLong (logit, Hanley-McNeil floor)" (DeLong et al. 1988): expit(logit(A)
    -/+ z se / (A (1 - A))), the variance DeLong's raised by 0.3 of its shortfall
    from Hanley & McNeil's (1982) at A, if any.
    At AUC = 0 or 1, "max-variance score bound": the Wilson-type bound with the
    largest variance an AUC can have, theta (1 - theta) / min(m, n) (Birnbaum &
    Klose 1957; Bamber 1975). Undefined (nan, with the reason): NaN labels or
    scores, a single class, fewer than 2 rows of a class when 0 < AUC < 1.
    """
    z = one_sample_options(side, floor, confidence)
    method = AUC_FLOOR_METHOD if z is not None else "point estimate"
    try:
        pos, (s,) = auc_inputs(y_true, scores=scores)
    except Undefined as exc:
        return undefined_metric(method, side, confidence, safe_len(y_true), str(exc), inconclusive=exc.inconclusive)
    n_rows = pos.size
    aucs, cov = _delong(pos, [s])
    auc = float(aucs[0])
    if z is None:
        return point_bound(auc, side, n_rows)
    if auc in (0.0, 1.0):
        m = int(pos.sum())
        bound, p = _max_variance_auc_bound(auc, min(m, n_rows - m), z, side, floor)
        return MetricBound(auc, bound, side, p, "max-variance score bound", confidence, n_rows)
    var = float(cov[0, 0])
    if not math.isfinite(var):
        return undefined_metric(
            method,
            side,
            confidence,
            n_rows,
            "DeLong variance needs at least 2 positives and 2 negatives",
            auc,
            inconclusive=True,
        )
    # The variance raised toward Hanley & McNeil's at this AUC (a share of the shortfall,
    # as the one-vs-rest floor does): near AUC 1 DeLong's variance rests on the few
    # negatives that score above positives, and alone passed 8-10% of the time at the
    # boundary (AUC 0.99 at 200 rows, 0.999 at 2,264); with it, 0-3%.
    m = int(pos.sum())
    var += _HM_WEIGHT * max(0.0, _hanley_mcneil(auc, m, n_rows - m) - var)
    bound, p = _auc_logit_bound(auc, var, z, side, floor)
    return MetricBound(auc, bound, side, p, method, confidence, n_rows)


def _ovr_class_influence(pos: NDArray[np.bool_], s: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """AUC of ``s`` for the rows ``pos`` against the rest, and each row's influence on it.

    The placements of :func:`_placements`, fused and kept in sorted order until
    the one scatter back to rows: at 10^6 rows the argsort is the only step that
    costs more than a pass over the data.
    """
    n = s.size
    order = np.argsort(s)
    lab = pos[order]
    cum_pos = np.cumsum(lab, dtype=np.int64)
    m = int(cum_pos[-1])
    n_neg = n - m
    ss = s[order]
    tied = ss[1:] == ss[:-1]
    if not tied.any():
        pos_before = cum_pos - lab
        # Positive: negatives below it; negative: positives above it.
        negs_below = np.arange(n, dtype=np.float64) - pos_before
        pos_above = m - pos_before
        placement = np.where(lab, negs_below / n_neg, pos_above / m)
        # Mann-Whitney U, exact: the positives' places in sorted order, less their own ranks.
        twice_u = 2 * (int(np.flatnonzero(lab).sum()) - m * (m - 1) // 2)
    else:
        new_block = np.empty(n, dtype=bool)
        new_block[0] = True
        np.logical_not(tied, out=new_block[1:])
        starts = np.flatnonzero(new_block)
        ends = np.append(starts[1:], n)
        cum0 = np.concatenate(([0], cum_pos))
        pos_before, pos_through = cum0[starts], cum0[ends]
        block = np.cumsum(new_block) - 1
        # Ties count one half: the mean of "strictly below" and "at or below".
        negs_below = ((starts - pos_before + ends - pos_through) / (2.0 * n_neg))[block]
        pos_above = ((2 * m - pos_before - pos_through) / (2.0 * m))[block]
        placement = np.where(lab, negs_below, pos_above)
        # Twice U, exact: per block, its positives times twice their (half-counted) negatives below.
        twice_u = int(((pos_through - pos_before) * (starts - pos_before + ends - pos_through)).sum())
    # One division of the exact count (as _placements' callers do): the AUC correctly rounded,
    # not a sum of n rounded placements.
    auc = twice_u / (2.0 * m * n_neg)
    placement -= auc
    placement *= np.where(lab, n / m, n / n_neg)
    influence = np.empty(n)
    influence[order] = placement
    return auc, influence


# From this many rows the classes are sorted on several threads (numpy's sort
# releases the GIL): at 10^6 rows the sorts are most of a bound's time.
_THREADED_ROWS = 200_000


# Each thread holds a few vectors of n (about 80 MB at 10^6 rows), and the affinity mask
# ignores a container's CPU quota: a few threads take the gain without the memory.
_MAX_THREADS = 4


def _usable_cpus() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus, _MAX_THREADS)


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
    value, influence, _aucs, _sizes, _vars = _ovr_parts(y_true, scores)
    return value, influence


def _ovr_parts(
    y_true: ArrayLike, scores: ArrayLike
) -> tuple[float, NDArray[np.float64], list[float], list[tuple[int, int]], list[float]]:
    """(macro AUC, its influence, each class's AUC, each class's (rows, other rows), each
    class's DeLong variance) of :func:`ovr_auc_influence`; (nan, nans, [], [], []) where it
    is undefined."""
    codes = class_codes(y_true, "y_true")
    s = np.asarray(scores, dtype=np.float64)
    n = codes.size
    if s.ndim != 2 or s.shape[0] != n or s.shape[1] < 2:
        raise ValueError(f"scores must be an (n, k) matrix paired with y_true, got shape {s.shape}")
    if codes.size and (codes.min() < 0 or codes.max() >= s.shape[1]):
        raise ValueError(f"y_true must hold class codes 0..{s.shape[1] - 1}")
    sizes = np.bincount(codes, minlength=s.shape[1])
    classes = [c for c in range(s.shape[1]) if 0 < sizes[c] < n]
    if len(classes) < 2 or not np.all(np.isfinite(s)):
        return math.nan, np.full(n, np.nan), [], [], []

    def one_class(c: int) -> tuple[float, NDArray[np.float64]]:
        return _ovr_class_influence(codes == c, np.ascontiguousarray(s[:, c]))

    total = np.zeros(n)
    aucs: list[float] = []
    variances: list[float] = []
    workers = min(len(classes), _usable_cpus()) if n >= _THREADED_ROWS else 1
    # Each class's influence is added as it comes, in class order (the same sum with or
    # without threads); threads take the classes a batch of `workers` at a time, so no
    # more than that many vectors of n are alive at once (not one per class).
    with ThreadPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        for start in range(0, len(classes), workers):
            batch = classes[start : start + workers]
            for auc, influence in pool.map(one_class, batch) if pool else map(one_class, batch):
                total += influence
                aucs.append(auc)
                variances.append(float(np.var(influence, ddof=1)) / n if n > 1 else math.nan)
    k = len(classes)
    return sum(aucs) / k, total / k, aucs, [(int(sizes[c]), n - int(sizes[c])) for c in classes], variances


def thin_class(y_true: ArrayLike, k: int) -> str:
    """Why a macro one-vs-rest AUC over ``k`` classes cannot be bounded on these rows, or
    "": a class with fewer than 2 rows (or fewer than 2 rows outside it) has no AUC
    variance, and an absent class leaves the macro average over other classes than the
    model's (the bound would be of a different quantity)."""
    codes = np.asarray(y_true).astype(np.int64, copy=False)
    sizes = np.bincount(codes, minlength=k)[:k] if codes.size else np.zeros(k, dtype=np.int64)
    n = codes.size
    for c in range(k):
        if sizes[c] < 2 or n - sizes[c] < 2:
            rows = int(sizes[c])
            return (
                f"class {c} has {rows} row{'s' if rows != 1 else ''} of {n}: a one-vs-rest AUC needs at least 2 rows "
                "of each class and 2 outside it, and the macro average is over every class of the model"
            )
    return ""


def _hanley_mcneil(theta: float, m: int, n: int) -> float:
    """Hanley & McNeil's (1982) variance of an AUC of theta on m positives and n negatives
    (exponential score model): the usual floor of an AUC's variance near 1."""
    q1, q2 = theta / (2.0 - theta), 2.0 * theta * theta / (1.0 + theta)
    return (theta * (1.0 - theta) + (m - 1) * (q1 - theta * theta) + (n - 1) * (q2 - theta * theta)) / (m * n)


def _ovr_score_bound(aucs: list[float], sizes: list[tuple[int, int]], z: float, side: Side) -> float:
    """The score bound of a macro AUC with each class's variance at Hanley-McNeil's,
    evaluated at the bound itself (as a Wilson bound evaluates p(1 - p) at p): the theta
    with (A - theta)^2 = z^2 mean_c(HM_c(theta_c)) / k, theta_c = AUC_c moved by A - theta.
    Defined at AUC 1, where every sample variance is 0."""
    k = len(aucs)
    value = sum(aucs) / k

    def excess(shift: float) -> float:  # > 0 while the shift is inside the score interval
        thetas = [min(max(a - shift, 1e-12), 1.0 - 1e-12) for a in aucs]
        var = sum(_hanley_mcneil(t, m, n) for t, (m, n) in zip(thetas, sizes, strict=True)) / (k * k)
        return z * math.sqrt(max(var, 0.0)) - abs(shift)

    sign = 1.0 if side == "lower" else -1.0
    room = value if side == "lower" else 1.0 - value
    lo, hi = 0.0, room
    if excess(sign * hi) > 0:
        return value - sign * room
    for _ in range(60):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if excess(sign * mid) > 0 else (lo, mid)
    return value - sign * hi


def ovr_auc_bound(
    y_true: ArrayLike,
    scores: ArrayLike,
    *,
    side: Side = "lower",
    floor: float | None = None,
    confidence: float | None = 0.95,
) -> MetricBound:
    """One-sided bound of the macro one-vs-rest AUC (method "DeLong per class (logit,
    Hanley-McNeil floor)"): the delta bound on the logit scale, its variance that of the
    influence of :func:`ovr_auc_influence` plus, for each class whose DeLong variance is
    below Hanley & McNeil's (1982) at its AUC, 0.3 of the shortfall (simulated: see
    ``benchmarks/worlds.py``). The logit keeps the bound
    inside (0, 1) and corrects the skew near 1; Hanley-McNeil keeps a near-perfect
    sample from claiming a variance near 0. Every class separated (AUC 1): the score
    bound with each class's Hanley-McNeil variance at the bound. p is dual."""
    z = one_sample_options(side, floor, confidence)
    method = OVR_METHOD if z is not None else "point estimate"
    n_rows = safe_len(y_true)
    value, influence, aucs, sizes, variances = _ovr_parts(y_true, scores)
    if not math.isfinite(value):
        return undefined_metric(
            method,
            side,
            confidence,
            n_rows,
            "one-vs-rest AUC needs 2 classes with rows on both sides and finite scores",
        )
    if z is None:
        return point_bound(value, side, n_rows)
    thin = thin_class(y_true, np.asarray(scores).shape[1])
    if thin:
        return undefined_metric(method, side, confidence, n_rows, thin, value, inconclusive=True)
    # Each class's variance raised toward Hanley-McNeil's at its AUC (a share of the
    # shortfall, _HM_WEIGHT): the covariances of the influence stay.
    k = len(aucs)
    shortfall = sum(max(0.0, _hanley_mcneil(a, m, n) - v) for a, (m, n), v in zip(aucs, sizes, variances, strict=True))
    var = float(np.var(influence, ddof=1)) / n_rows + _HM_WEIGHT * shortfall / (k * k)

    def bound_at(zz: float) -> float:
        if 0.0 < value < 1.0 and var > 0.0:
            return _auc_logit_bound(value, var, zz, side, None)[0]
        return _ovr_score_bound(aucs, sizes, zz, side)  # every class separated: no variance to floor

    # Student's t on the fewest rows of a side of a class, less 1 (as the margin).
    from scipy import stats as st

    df = min(min(m, rest) for m, rest in sizes) - 1
    bound = bound_at(float(st.t.ppf(confidence, df)))
    p = math.nan
    if floor is not None:
        sign = 1.0 if side == "lower" else -1.0
        # (scipy's t quantile turns to -inf below alpha 1e-300: 1e-200 is far enough)
        p = dual_p(lambda alpha: sign * bound_at(float(st.t.isf(max(alpha, 1e-200), df))), sign * floor)
    return MetricBound(value, bound, side, p, method, confidence, n_rows)


# The share of each class's Hanley-McNeil shortfall added to its variance. Hanley-McNeil's
# exponential model overstates the variance of smoother scores: in full, power at 2,264
# rows fell 20 points; at 0.3 every world of bench_stats.py --worlds holds 5% (3 and 10
# imbalanced classes, near-perfect; n = 30-2,264), where none did at 0 (the logit alone).
_HM_WEIGHT = 0.3
OVR_METHOD = "DeLong per class (logit, Hanley-McNeil floor)"
AUC_FLOOR_METHOD = "DeLong (logit, Hanley-McNeil floor)"
OVR_MARGIN_METHOD = "delta (t on the smallest class)"
