"""The bootstrap: one engine for every metric, task and bound.

A resample is drawn as counts. The rows are split into strata (binary: the
positives, then the negatives; multiclass: each class; regression and per-row
losses: all rows, one stratum) and each stratum is redrawn with replacement as
often as it has rows, so a resample is a count matrix ``W`` (resamples x
categories). A category is a row, or, for a metric that depends only on each
row's cell of the confusion table (accuracy, F1, macro F1), a cell: the cell
counts of a stratum are then drawn as Multinomial(n_c, cell shares), the same
distribution as redrawing the rows they count, in B x cells numbers whatever
the number of rows. Resamples come in chunks of about ``CHUNK_CELLS`` counts,
so memory does not grow with B.

Every metric of the registry has a resampled form, a function of ``W``: means
of per-row values and sums of per-row terms are ``W @ values``; confusion
metrics are sums of cell counts; ROC AUC is the weighted-rank AUC
(:class:`modelgate.stats.auc._WeightedAuc`). A metric given as a callable has
no such form and is called on the rows of each resample.

Bounds are percentile bounds of the resampled quantity, with p = (1 +
#{resamples on the wrong side}) / (B + 1). The candidate and the baseline are
always resampled together (the same counts): a paired bootstrap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .auc import _WeightedAuc
from .bounds import (
    ZERO_BASELINE,
    DifferenceBound,
    MetricBound,
    Side,
    Values,
    check_options,
    one_sample_options,
    one_sample_percentile_bound,
    percentile_bound,
    point_bound,
    quantity,
    undefined_difference,
    undefined_metric,
)
from .inputs import (
    Undefined,
    as_1d,
    auc_inputs,
    check_resamples,
    class_codes,
    safe_len,
    same_length,
)

__all__ = [
    "BOOTSTRAP_METRICS",
    "TASK_BOOTSTRAP_METRICS",
    "bootstrap_auc_differences",
    "bootstrap_metric_bound",
    "loss_resamples",
    "paired_bootstrap_difference",
    "resample_counts",
    "task_bootstrap_bound",
    "task_bootstrap_difference",
]

Metric = Callable[[NDArray, NDArray], float] | Literal["roc_auc"]
OneSampleMetric = Callable[[NDArray, NDArray], float] | str
# A resampled form: the metric of each resample from its count matrix W (resamples x categories).
Form = Callable[[NDArray[np.float64]], NDArray[np.float64]]
# A stratum: its number of rows (each row a category), or the counts of its cells.
Stratum = int | NDArray[np.int64]

# Counts per chunk of resamples: a few float64 matrices of this size stay well under 500 MB.
CHUNK_CELLS = 1 << 22

# The metrics with a resampled form, by task; each equals the function of the same name in
# modelgate.metrics (0.5 threshold, arg max, clipped log loss).
BOOTSTRAP_METRICS = ("roc_auc", "accuracy", "f1", "log_loss", "brier")
TASK_BOOTSTRAP_METRICS: dict[str, tuple[str, ...]] = {
    "multiclass": ("accuracy", "log_loss", "macro_f1", "roc_auc_ovr"),
    "regression": ("mae", "rmse", "r2"),
}
# F1 and macro F1 depend only on the confusion cells (accuracy, a mean of per-row values,
# resamples rows like the other means).
_CONFUSION_METRICS = frozenset({"f1", "macro_f1"})
# Cells per stratum are k^(models): past this many classes the confusion cells outnumber
# the rows of a usual validation set, and the row draws are used instead.
_CONFUSION_MAX_CLASSES = 16
_LOG_LOSS_EPS = 1e-15  # modelgate.metrics.log_loss clips probabilities to [eps, 1 - eps]
_LABEL_THRESHOLD = 0.5  # modelgate.metrics.THRESHOLD: label 1 where the score is strictly above


# ------------------------------------------------------------------- the draws


def _categories(stratum: Stratum) -> int:
    return int(stratum) if isinstance(stratum, (int, np.integer)) else int(np.asarray(stratum).size)


def resample_counts(strata: Sequence[Stratum], n_resamples: int, seed: int | None) -> Iterator[NDArray[np.float64]]:
    """Chunks of the count matrix W (resamples x categories, the strata's categories side by side).

    A stratum given as a number of rows n_c: W[r, i] is how often row i is drawn
    when n_c rows are drawn uniformly with replacement. Given as cell counts:
    the cells are drawn as Multinomial(n_c, counts / n_c). Empty strata have no
    columns. The stream depends only on (seed, strata, n_resamples).
    """
    rng = np.random.default_rng(seed)
    total = sum(_categories(s) for s in strata)
    chunk = max(1, CHUNK_CELLS // max(total, 1))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        w = np.empty((size, total), dtype=np.float64)  # counts, exact in float64; BLAS takes them as they are
        offset = 0
        for stratum in strata:
            width = _categories(stratum)
            if width == 0:
                continue
            if isinstance(stratum, (int, np.integer)):
                # int32 draws (size * n_c <= CHUNK_CELLS, or one resample of < 2^31 rows): faster to draw
                dtype = np.int32 if size * width < 2**31 else np.int64
                draws = rng.integers(0, width, size=(size, width), dtype=dtype)
                for r, row in enumerate(draws):  # one bincount a resample: no chunk-sized int64 copy
                    w[r, offset : offset + width] = np.bincount(row, minlength=width)
            else:
                counts = np.asarray(stratum, dtype=np.int64)
                n_c = int(counts.sum())
                w[:, offset : offset + width] = rng.multinomial(n_c, counts / n_c, size=size) if n_c else 0.0
            offset += width
        yield w


def _observed(strata: Sequence[Stratum]) -> NDArray[np.float64]:
    """The data itself as one row of W: every row once, or every cell its own count."""
    parts = [
        np.ones(int(s)) if isinstance(s, (int, np.integer)) else np.asarray(s, dtype=np.float64)
        for s in strata
        if _categories(s)
    ]
    return np.concatenate(parts)[None, :]


def _run(
    forms: Sequence[Form], strata: Sequence[Stratum], n_resamples: int, seed: int | None
) -> list[NDArray[np.float64]]:
    """Every form on the same n_resamples resamples."""
    out = [np.empty(n_resamples) for _ in forms]
    done = 0
    for w in resample_counts(strata, n_resamples, seed):
        size = w.shape[0]
        for values, form in zip(out, forms):
            values[done : done + size] = form(w)
        done += size
    return out


# ------------------------------------------------------------------- the forms


def _weighted_mean(rows: NDArray[np.float64]) -> Form:
    n = rows.size
    centre = float(rows.mean())
    centred = rows - centre  # sums of centred values: accurate whatever the level

    def form(w: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(centre + (w @ centred) / n, dtype=np.float64)

    return form


def _binary_form(name: str, pos: NDArray[np.bool_], s: NDArray[np.float64]) -> Form:
    """A binary metric over rows grouped positives first (W's first m columns)."""
    m = int(pos.sum())
    if name == "roc_auc":
        auc = _WeightedAuc(s[:m], s[m:])
        return lambda w: auc(w[:, :m], w[:, m:])
    if name == "accuracy":
        return _weighted_mean(((s > _LABEL_THRESHOLD) == pos).astype(np.float64))
    if name == "log_loss":
        p = np.clip(s, _LOG_LOSS_EPS, 1.0 - _LOG_LOSS_EPS)
        return _weighted_mean(np.where(pos, -np.log(p), -np.log1p(-p)))
    if name == "brier":
        return _weighted_mean((s - pos) ** 2)
    raise ValueError(f"no resampled form of metric {name!r}; use one of {', '.join(BOOTSTRAP_METRICS)}")


def _multiclass_form(name: str, y: NDArray[np.int64], s: NDArray[np.float64], sizes: NDArray[np.int64]) -> Form:
    """A multiclass metric over rows grouped by class (codes 0..k-1, in order)."""
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


def _regression_form(name: str, y: NDArray[np.float64], s: NDArray[np.float64]) -> Form:
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


def _callable_form(metric: Callable[[NDArray, NDArray], float], y: NDArray, s: NDArray[np.float64]) -> Form:
    """A metric with no resampled form: called once per resample, on the drawn rows."""
    rows = np.arange(y.size)

    def form(w: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.empty(w.shape[0])
        for r, counts in enumerate(w):
            idx = np.repeat(rows, counts.astype(np.int64))
            out[r] = metric(y[idx], s[idx])
        return out

    return form


# ------------------------------------------------------- confusion-cell metrics


def _macro_f1_from_confusion(conf: NDArray[np.float64], present: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Macro F1 over the present classes of a stack of confusion matrices (r, true, predicted)."""
    tp = np.diagonal(conf, axis1=1, axis2=2)
    true, said = conf.sum(axis=2), conf.sum(axis=1)
    f1 = 2.0 * tp[:, present] / (true[:, present] + said[:, present])
    return np.asarray(f1.mean(axis=1), dtype=np.float64)


def _confusion_metric(name: str, conf: NDArray[np.float64], present: NDArray[np.bool_]) -> NDArray[np.float64]:
    """The metric of each confusion matrix of a stack (r, true class, predicted class)."""
    if name == "f1":  # binary, class 1 positive: 2 TP / (2 TP + FP + FN)
        tp, fp, positives = conf[:, 1, 1], conf[:, 0, 1], conf[:, 1, :].sum(axis=1)
        return np.asarray(2.0 * tp / (tp + fp + positives), dtype=np.float64)
    return _macro_f1_from_confusion(conf, present)


def _confusion_forms(
    name: str, classes: Sequence[int], y: NDArray[np.int64], preds: Sequence[NDArray[np.int64]], k: int
) -> tuple[list[Stratum], list[Form]]:
    """Strata of confusion cells and one form per prediction vector (drawn jointly).

    A row's cell is the combination of every model's prediction (k^models cells
    per true class), so the models stay paired; ``classes`` orders the strata.
    """
    models = len(preds)
    joint = np.zeros(y.size, dtype=np.int64)
    for p in preds:
        joint = joint * k + p
    present = np.bincount(y, minlength=k) > 0
    kept = [c for c in classes if present[c]]
    strata: list[Stratum] = [np.bincount(joint[y == c], minlength=k**models) for c in kept]

    def form_of(i: int) -> Form:
        other = tuple(2 + j for j in range(models) if j != i)

        def form(w: NDArray[np.float64]) -> NDArray[np.float64]:
            cells = w.reshape((w.shape[0], len(kept)) + (k,) * models)
            said = cells.sum(axis=other) if other else cells  # (r, stratum, predicted class of model i)
            conf = np.zeros((w.shape[0], k, k))
            conf[:, kept, :] = said
            return _confusion_metric(name, conf, present)

        return form

    return strata, [form_of(i) for i in range(models)]


# ------------------------------------------------------------------ the plans


def _binary_plan(
    metric: OneSampleMetric, pos: NDArray[np.bool_], scores: Sequence[NDArray[np.float64]]
) -> tuple[list[Stratum], list[Form]]:
    """Strata and forms for binary data: named metrics vectorised, a callable called per resample."""
    if isinstance(metric, str) and metric in _CONFUSION_METRICS:
        preds = [(s > _LABEL_THRESHOLD).astype(np.int64) for s in scores]
        return _confusion_forms(metric, (1, 0), pos.astype(np.int64), preds, 2)
    order = np.concatenate([np.flatnonzero(pos), np.flatnonzero(~pos)])  # positives first
    grouped = pos[order]
    m = int(pos.sum())
    strata: list[Stratum] = [m, pos.size - m]
    if isinstance(metric, str):
        return strata, [_binary_form(metric, grouped, s[order]) for s in scores]
    y01 = grouped.astype(np.int64)
    return strata, [_callable_form(metric, y01, s[order]) for s in scores]


def _task_plan(
    metric: str | Callable[[NDArray, NDArray], float],
    task: str,
    y: NDArray,
    scores: Sequence[NDArray[np.float64]],
    sizes: NDArray[np.int64],
) -> tuple[list[Stratum], list[Form]]:
    """Strata and forms for multiclass (rows grouped by class, codes 0..k-1 in order)
    or regression (one stratum of every row, in row order)."""
    if isinstance(metric, str) and metric not in TASK_BOOTSTRAP_METRICS[task]:
        raise ValueError(
            f"no resampled form of {task} metric {metric!r}; pass a callable or one of "
            f"{', '.join(TASK_BOOTSTRAP_METRICS[task])}"
        )
    k = sizes.size
    if task == "multiclass" and metric in _CONFUSION_METRICS and k <= _CONFUSION_MAX_CLASSES:
        preds = [np.argmax(s, axis=1) for s in scores]
        return _confusion_forms(str(metric), range(k), y.astype(np.int64), preds, k)
    strata: list[Stratum] = [int(v) for v in sizes]
    if task == "multiclass":
        order = np.argsort(y, kind="stable")
        y, scores = y[order], [s[order] for s in scores]
    if not isinstance(metric, str):
        return strata, [_callable_form(metric, y, s) for s in scores]
    if task == "regression":
        return strata, [_regression_form(metric, y.astype(np.float64), s) for s in scores]
    return strata, [_multiclass_form(metric, y.astype(np.int64), s, sizes) for s in scores]


def _points(strata: Sequence[Stratum], forms: Sequence[Form]) -> list[float]:
    observed = _observed(strata)
    return [float(form(observed)[0]) for form in forms]


def _difference_draws(
    res_c: NDArray[np.float64], res_b: NDArray[np.float64], relative: bool, higher_is_better: bool
) -> NDArray[np.float64]:
    d = res_c - res_b if higher_is_better else res_b - res_c
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(res_b > 0, d / res_b, np.nan)
    return d


# --------------------------------------------------------------------- binary


def bootstrap_auc_differences(
    y_true: ArrayLike,
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Stratified paired bootstrap AUCs: (candidate AUCs, baseline AUCs), B each.

    Positives and negatives are resampled separately with the same counts for
    both scores. Raises ValueError when the AUC is undefined or input malformed.
    """
    check_resamples(n_resamples)
    pos, (c, b) = auc_inputs(y_true, candidate=candidate, baseline=baseline)
    strata, forms = _binary_plan("roc_auc", pos, [c, b])
    res_c, res_b = _run(forms, strata, int(n_resamples), seed)
    return res_c, res_b


def _check_binary_metric(metric: object, names: Sequence[str]) -> None:
    if isinstance(metric, str):
        if metric not in names:
            raise ValueError(f"unknown metric name {metric!r}; pass a callable or one of {', '.join(names)}")
    elif not callable(metric):
        raise TypeError("metric must be a callable metric(y_true, scores) or a metric name")


def _class_sizes(pos: NDArray[np.bool_]) -> NDArray[np.int64]:
    """The binary strata's sizes: positives, negatives."""
    m = int(pos.sum())
    return np.array([m, pos.size - m], dtype=np.int64)


def _single_class_reason(metric: object, reason: str) -> str:
    if metric != "roc_auc" and reason.startswith("y_true has a single class"):
        return "y_true has a single class: the stratified bootstrap needs both classes"
    return reason


def paired_bootstrap_difference(
    metric: Metric | str,
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
    """Stratified paired percentile bootstrap of a binary metric difference (Efron & Tibshirani 1993).

    ``metric`` is a name of :data:`BOOTSTRAP_METRICS` (vectorised: no metric
    call per resample) or a callable ``metric(y_true, scores) -> float``
    (called once per resample). Positives and negatives are resampled
    separately, the same counts for both models. lower is the (1 - confidence)
    percentile of the resampled quantity; p = (1 + #{q_r <= margin}) / (B + 1),
    the +1 keeping a Monte Carlo p-value away from an impossible 0. Near the
    threshold the two can disagree by about one resample out of B. Both
    classes must be present.
    """
    z = check_options(margin, confidence)
    check_resamples(n_resamples)
    _check_binary_metric(metric, BOOTSTRAP_METRICS)
    method = "paired bootstrap" if z is not None else "point estimate"
    try:
        pos, (c, b) = auc_inputs(y_true, candidate=candidate, baseline=baseline)
    except Undefined as exc:
        return undefined_difference(
            method, confidence, safe_len(y_true), _single_class_reason(metric, str(exc)), inconclusive=exc.inconclusive
        )
    n_rows = pos.size
    too_few = _too_few_to_resample(_class_sizes(pos)) if z is not None else None
    if too_few:
        return undefined_difference(method, confidence, n_rows, too_few, inconclusive=True)
    strata, forms = _binary_plan(metric, pos, [c, b])
    point_c, point_b = _points(strata, forms)
    common: Values = {"candidate": point_c, "baseline": point_b}
    if not (math.isfinite(point_c) and math.isfinite(point_b)):
        return undefined_difference(method, confidence, n_rows, "metric is not finite on the full data", **common)
    if relative and point_b <= 0:
        return undefined_difference(method, confidence, n_rows, ZERO_BASELINE.format(point_b), **common)
    estimate = quantity(point_c, point_b, relative=relative, higher_is_better=higher_is_better)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, point_c, point_b)
    assert confidence is not None  # check_options gives z only for a confidence
    res_c, res_b = _run(forms, strata, int(n_resamples), seed)
    d = _difference_draws(res_c, res_b, relative, higher_is_better)
    return percentile_bound(d, estimate, margin, method, confidence, n_rows, point_c, point_b)


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
    """Stratified percentile bootstrap bound of one binary metric (method "stratified bootstrap").

    ``metric`` is a name of :data:`BOOTSTRAP_METRICS` (vectorised) or a
    callable ``metric(y_true, scores) -> float`` (called once per resample).
    Positives and negatives are resampled separately (both classes must be
    present), as in :func:`paired_bootstrap_difference`. The bound is the (1 -
    confidence) percentile ("lower") or the confidence percentile ("upper") of
    the resampled metric; p = (1 + #{resamples on the wrong side of the floor,
    ties included}) / (B + 1).
    """
    z = one_sample_options(side, floor, confidence)
    check_resamples(n_resamples)
    _check_binary_metric(metric, BOOTSTRAP_METRICS)
    method = "stratified bootstrap" if z is not None else "point estimate"
    try:
        pos, (s,) = auc_inputs(y_true, scores=scores)
    except Undefined as exc:
        return undefined_metric(
            method,
            side,
            confidence,
            safe_len(y_true),
            _single_class_reason(metric, str(exc)),
            inconclusive=exc.inconclusive,
        )
    n_rows = pos.size
    too_few = _too_few_to_resample(_class_sizes(pos)) if z is not None else None
    if too_few:
        return undefined_metric(method, side, confidence, n_rows, too_few, inconclusive=True)
    strata, (form,) = _binary_plan(metric, pos, [s])
    (value,) = _points(strata, [form])
    if not math.isfinite(value):
        return undefined_metric(method, side, confidence, n_rows, "metric is not finite on the full data", value)
    if confidence is None:
        return point_bound(value, side, n_rows)
    (res,) = _run([form], strata, int(n_resamples), seed)
    return one_sample_percentile_bound(res, value, side, floor, method, confidence, n_rows)


# ------------------------------------------------------ multiclass, regression


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
) -> tuple[NDArray[np.float64] | NDArray[np.int64], list[NDArray[np.float64]], NDArray[np.int64]]:
    """(labels, scores, class sizes), validated; regression has one stratum of every row.
    Raises ValueError on malformed input, Undefined on NaN."""
    if task not in TASK_BOOTSTRAP_METRICS:
        raise ValueError(f"task must be one of {', '.join(TASK_BOOTSTRAP_METRICS)}, got {task!r}")
    n = same_length(y_true=y_true, **dict(scores))
    if n == 0:
        raise Undefined("no rows", inconclusive=True)
    arrays: list[NDArray[np.float64]] = []
    if task == "regression":
        y = as_1d(y_true, "y_true", np.float64)
        if not np.all(np.isfinite(y)):
            raise Undefined(f"y_true is not finite on {int(np.count_nonzero(~np.isfinite(y)))} of {n} rows")
        for name, s in scores:
            arr = as_1d(s, name, np.float64)
            if not np.all(np.isfinite(arr)):
                raise Undefined(f"{name} is not finite on {int(np.count_nonzero(~np.isfinite(arr)))} of {n} rows")
            arrays.append(arr)
        return y, arrays, np.array([n], dtype=np.int64)
    codes = class_codes(y_true, "y_true")
    k = 0
    for name, s in scores:
        arr = np.asarray(s, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] < 2 or (k and arr.shape[1] != k):
            raise ValueError(f"{name} must be an (n, k) probability matrix with the same k >= 2, got shape {arr.shape}")
        k = arr.shape[1]
        # A finite sum means every value is finite (NaN and infinities propagate); only
        # otherwise are the rows counted.
        bad_rows = 0 if np.isfinite(arr.sum()) else int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
        if bad_rows:
            raise Undefined(f"{name} contains NaN or infinite values ({bad_rows} of {n} rows)")
        arrays.append(arr)
    if codes.min() < 0 or codes.max() >= k:
        raise ValueError(f"y_true must hold class codes 0..{k - 1} (the score columns), found {int(codes.max())}")
    sizes = np.bincount(codes, minlength=k).astype(np.int64)
    return codes, arrays, sizes


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
    "regression" (rows resampled, method "paired bootstrap"); the same counts
    for both models. ``metric`` is a name of :data:`TASK_BOOTSTRAP_METRICS`
    (vectorised: no metric call per resample) or a callable ``metric(y, scores)``
    (called once per resample). Bound and p-value as
    :func:`paired_bootstrap_difference`.
    """
    z = check_options(margin, confidence)
    check_resamples(n_resamples)
    _check_task_metric(metric)
    method = _bootstrap_names(task)[0] if z is not None else "point estimate"
    try:
        y, (c, b), sizes = _task_inputs(task, y_true, [("candidate", candidate), ("baseline", baseline)])
    except Undefined as exc:
        return undefined_difference(method, confidence, safe_len(y_true), str(exc), inconclusive=exc.inconclusive)
    n_rows = y.size
    too_few = _too_few_to_resample(sizes) if z is not None else None
    if too_few:
        return undefined_difference(method, confidence, n_rows, too_few, inconclusive=True)
    strata, forms = _task_plan(metric, task, y, [c, b], sizes)
    point_c, point_b = _points(strata, forms)
    common: Values = {"candidate": point_c, "baseline": point_b}
    if not (math.isfinite(point_c) and math.isfinite(point_b)):
        return undefined_difference(method, confidence, n_rows, "metric is not finite on the full data", **common)
    if relative and point_b <= 0:
        return undefined_difference(method, confidence, n_rows, ZERO_BASELINE.format(point_b), **common)
    estimate = quantity(point_c, point_b, relative=relative, higher_is_better=higher_is_better)
    if z is None:
        return DifferenceBound(estimate, estimate, math.nan, method, None, n_rows, point_c, point_b)
    assert confidence is not None
    res_c, res_b = _run(forms, strata, int(n_resamples), seed)
    d = _difference_draws(res_c, res_b, relative, higher_is_better)
    return percentile_bound(d, estimate, margin, method, confidence, n_rows, point_c, point_b)


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
    z = one_sample_options(side, floor, confidence)
    check_resamples(n_resamples)
    _check_task_metric(metric)
    method = _bootstrap_names(task)[1] if z is not None else "point estimate"
    try:
        y, (s,), sizes = _task_inputs(task, y_true, [("scores", scores)])
    except Undefined as exc:
        return undefined_metric(method, side, confidence, safe_len(y_true), str(exc), inconclusive=exc.inconclusive)
    n_rows = y.size
    too_few = _too_few_to_resample(sizes) if z is not None else None
    if too_few:
        return undefined_metric(method, side, confidence, n_rows, too_few, inconclusive=True)
    strata, (form,) = _task_plan(metric, task, y, [s], sizes)
    (value,) = _points(strata, [form])
    if not math.isfinite(value):
        return undefined_metric(method, side, confidence, n_rows, "metric is not finite on the full data", value)
    if confidence is None:
        return point_bound(value, side, n_rows)
    (res,) = _run([form], strata, int(n_resamples), seed)
    return one_sample_percentile_bound(res, value, side, floor, method, confidence, n_rows)


# ------------------------------------------------------------ per-row losses


def loss_resamples(
    d: NDArray[np.float64], lb: NDArray[np.float64] | None, n_resamples: int, seed: int | None
) -> NDArray[np.float64]:
    """Resampled mean(d) (``lb`` None) or sum(d) / sum(lb), one per resample: rows
    redrawn with replacement, not stratified (a mean of losses is defined on any
    rows, and the class counts vary as they do between validation sets)."""
    values = d[:, None] if lb is None else np.column_stack([d, lb])
    centre = values.mean(axis=0)
    centred = values - centre  # sums of centred values: accurate whatever the level
    n = d.size
    sums = np.empty((n_resamples, values.shape[1]))
    done = 0
    for w in resample_counts([n], n_resamples, seed):
        sums[done : done + w.shape[0]] = w @ centred
        done += w.shape[0]
    means = centre + sums / n
    if lb is None:
        return np.asarray(means[:, 0], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(means[:, 1] > 0, means[:, 0] / means[:, 1], np.nan), dtype=np.float64)
