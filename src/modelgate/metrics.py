"""The metrics a gate can compare, as plain functions with a direction and tasks.

Thin wrappers over scikit-learn. Each takes ``(y_true, scores)`` in the shapes
of its task (:mod:`modelgate.evidence.tasks`):

* binary: 0/1 labels and one positive-class probability a row; label metrics
  threshold them at 0.5 (strictly greater, as the tutorial's
  ``model.predict(X) > .5``);
* multiclass: class codes 0..k-1 and an (n, k) probability matrix; the
  predicted label is the arg max of a row (the first column on a tie).
  ``accuracy`` and ``log_loss`` serve both classification tasks and dispatch
  on the shape of the scores (2-D: multiclass);
* regression: numbers and one prediction a row.

A metric that is undefined on the given data (single-class labels where it
needs two, NaN scores, a constant target for R^2, scores of the wrong shape)
returns NaN instead of raising, so that a check can fail with a reason.

A metric that is the mean of a per-row loss (``log_loss``, ``brier``,
``mae``) also gives that loss (``Metric.row_loss``): its margin bound comes
from the paired per-row loss differences (method ``"paired-loss"``,
:func:`modelgate.stats.paired_loss_difference`) and its floor from the mean of
the losses (``"mean-loss"``, :func:`modelgate.stats.mean_loss_bound`), with no
metric call per resample. A smooth function of means (``rmse``, ``r2``) gives
its influence function (``Metric.influence``): its bounds are the
delta-method normal bounds (``"delta"``, :func:`modelgate.stats.delta_difference`
and :func:`modelgate.stats.delta_bound`). ``roc_auc_ovr`` has one too (DeLong's
structural components per class): the influence bound is its default
(milliseconds, where the class-stratified bootstrap, still selectable with
``method="bootstrap"``, takes minutes on a million rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .errors import GateUsageError
from .names import BINARY, MULTICLASS, REGRESSION, TASKS
from .registry import Registry

THRESHOLD = 0.5
LOG_LOSS_EPS = 1e-15  # log_loss clips probabilities to [eps, 1 - eps]

# Bound methods (the methods table, modelgate.stats.methods.METHODS, says which fits what).
DELONG = "delong"
MCNEMAR = "mcnemar"
PAIRED_LOSS = "paired-loss"  # the margin bound of a metric that is a mean of per-row losses
DELTA = "delta"  # the delta-method (influence function) normal bound of a smooth function of means
BOOTSTRAP = "bootstrap"
CLOPPER_PEARSON = "clopper-pearson"
MEAN_LOSS = "mean-loss"  # the floor bound of a mean of per-row losses
ORDER_STATISTIC = "order-statistic"  # exact, distribution-free bounds of a quantile of per-row errors
BERNSTEIN = "bernstein"  # empirical-Bernstein bounds of a mean of per-row values in [0, 1], at any n
DELONG_OVR = "delong-ovr"  # the floor of a macro one-vs-rest AUC (logit, Hanley-McNeil floor)
SQUARED_ERROR = "squared-error"  # RMSE: margins on the squared-error scale, the floor a scaled chi-square
LOG_DELTA = "log-delta"  # the floor of R^2: the delta method on log(1 - R^2)
CLASS_DELTA = "class-delta"  # macro F1: the delta method with t on the smallest class's rows

Influence = tuple[float, NDArray[np.float64]]  # (metric value, its influence function row by row)


def predicted_labels(scores, threshold: float = THRESHOLD) -> np.ndarray:
    """Predicted labels: for (n,) binary scores 0/1, 1 where the score is strictly
    above the threshold; for an (n, k) probability matrix the arg max of each row
    (a class code 0..k-1; the first column on a tie)."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return np.argmax(scores, axis=1)
    return (scores > threshold).astype(int)


def undefined_rows(scores) -> np.ndarray:
    """A bool per row: the row's score (any entry of it, for a matrix) is NaN or infinite."""
    scores = np.asarray(scores, dtype=float)
    bad = ~np.isfinite(scores)
    return bad.any(axis=1) if scores.ndim == 2 else bad


def _defined(y_true, scores) -> bool:
    scores = np.asarray(scores, dtype=float)
    return len(scores) > 0 and len(scores) == len(y_true) and bool(np.all(np.isfinite(scores)))


def _is_matrix(scores) -> bool:
    """Multiclass scores: an (n, k) matrix with k >= 2 columns."""
    scores = np.asarray(scores)
    return scores.ndim == 2 and scores.shape[1] >= 2


def _codes_fit(y_true, scores) -> bool:
    """Multiclass labels are codes 0..k-1 of the score matrix's k columns."""
    y = np.asarray(y_true)
    k = np.asarray(scores).shape[1]
    return y.ndim == 1 and bool(np.all((y >= 0) & (y < k) & (y == np.round(y))))


# ------------------------------------------------------------------ binary


def roc_auc(y_true, scores) -> float:
    """ROC AUC (binary); NaN when the labels hold a single class, a score is NaN,
    or the scores are a matrix (use ``roc_auc_ovr``)."""
    from sklearn.metrics import roc_auc_score

    if _is_matrix(scores) or not _defined(y_true, scores) or len(np.unique(y_true)) < 2:
        return math.nan
    return float(roc_auc_score(y_true, scores))


def accuracy(y_true, scores) -> float:
    """Share of rows predicted right: thresholded at 0.5 (binary), arg max (multiclass)."""
    from sklearn.metrics import accuracy_score

    if not _defined(y_true, scores):
        return math.nan
    return float(accuracy_score(np.asarray(y_true), predicted_labels(scores)))


def f1(y_true, scores) -> float:
    """F1 of the positive class (binary); 0.0 when nothing is predicted positive."""
    from sklearn.metrics import f1_score

    if _is_matrix(scores) or not _defined(y_true, scores):
        return math.nan
    return float(f1_score(y_true, predicted_labels(scores), zero_division=0.0))


def log_loss(y_true, scores) -> float:
    """Mean cross-entropy, probabilities clipped to [1e-15, 1 - 1e-15]: binary (n,)
    positive-class probabilities, or multiclass (n, k) matrices (rows are not
    renormalised); NaN when a label is not a column of the matrix."""
    from sklearn.metrics import log_loss as _log_loss

    if not _defined(y_true, scores):
        return math.nan
    clipped = np.clip(np.asarray(scores, dtype=float), LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    if _is_matrix(scores):
        if not _codes_fit(y_true, scores):
            return math.nan
        labels = list(range(clipped.shape[1]))
        return float(_log_loss(np.asarray(y_true, dtype=int), clipped, labels=labels))
    return float(_log_loss(y_true, clipped, labels=[0, 1]))


def brier(y_true, scores) -> float:
    from sklearn.metrics import brier_score_loss

    if _is_matrix(scores) or not _defined(y_true, scores):
        return math.nan
    return float(brier_score_loss(y_true, scores))


# -------------------------------------------------------------- multiclass


def macro_f1(y_true, scores) -> float:
    """Unweighted mean F1 over the classes present in ``y_true`` (multiclass, arg max).

    Per class c, F1 = 2 TP / (2 TP + FP + FN); predictions of a class absent from
    the labels count as false positives of no averaged class but as misses of
    the row's class. Averaging over the classes in the labels (scikit-learn's
    ``labels=np.unique(y_true)``) keeps the average defined, and the same under
    class-stratified resampling. NaN for 1-D scores.
    """
    from sklearn.metrics import f1_score

    if not _is_matrix(scores) or not _defined(y_true, scores) or not _codes_fit(y_true, scores):
        return math.nan
    y = np.asarray(y_true, dtype=int)
    return float(f1_score(y, predicted_labels(scores), labels=np.unique(y), average="macro", zero_division=0.0))


def roc_auc_ovr(y_true, scores) -> float:
    """Macro one-vs-rest ROC AUC (multiclass): the unweighted mean over the classes
    present in ``y_true`` of the AUC of column c separating class c from the rest.

    With every class present it equals scikit-learn's
    ``roc_auc_score(y, scores, multi_class="ovr", average="macro")``; a class with no
    rows is left out (scikit-learn refuses); NaN with fewer than 2 classes present.
    """
    from sklearn.metrics import roc_auc_score

    if not _is_matrix(scores) or not _defined(y_true, scores) or not _codes_fit(y_true, scores):
        return math.nan
    y = np.asarray(y_true, dtype=int)
    present = np.unique(y)
    if present.size < 2:
        return math.nan
    s = np.asarray(scores, dtype=float)
    return float(np.mean([roc_auc_score(y == c, s[:, c]) for c in present]))


# -------------------------------------------------------------- regression


def _regression_defined(y_true, scores) -> bool:
    y = np.asarray(y_true, dtype=float)
    return np.asarray(scores).ndim == 1 and _defined(y, scores) and bool(np.all(np.isfinite(y)))


def mae(y_true, scores) -> float:
    """Mean absolute error (regression)."""
    from sklearn.metrics import mean_absolute_error

    if not _regression_defined(y_true, scores):
        return math.nan
    return float(mean_absolute_error(y_true, scores))


def rmse(y_true, scores) -> float:
    """Root mean squared error (regression)."""
    from sklearn.metrics import root_mean_squared_error

    if not _regression_defined(y_true, scores):
        return math.nan
    return float(root_mean_squared_error(y_true, scores))


def r2(y_true, scores) -> float:
    """Coefficient of determination 1 - SSE / SST (regression); NaN with a constant
    target or fewer than 2 rows (scikit-learn would return 1.0, 0.0 or -inf)."""
    from sklearn.metrics import r2_score

    if not _regression_defined(y_true, scores) or len(scores) < 2:
        return math.nan
    y = np.asarray(y_true, dtype=float)
    if float(np.var(y)) == 0.0:
        return math.nan
    return float(r2_score(y, scores))


# Per-row losses: ``metric(y, s) == mean(row_loss(y, s))`` (to rounding), NaN on the
# rows whose score is NaN.


def log_loss_rows(y_true, scores) -> NDArray[np.float64]:
    """Per-row log loss, clipped as :func:`log_loss`: binary -log(p) for a positive and
    -log(1 - p) for a negative; multiclass -log(p[y]) (NaN where any entry of the row is NaN)."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(y_true)
    if _is_matrix(s):
        codes = np.asarray(y, dtype=int)
        p = np.clip(s[np.arange(len(codes)), codes], LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
        return np.asarray(np.where(undefined_rows(s), np.nan, -np.log(p)), dtype=float)
    p = np.clip(s, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    # clipping would turn an infinite score into a finite loss: NaN, as log_loss is
    return np.asarray(np.where(undefined_rows(s), np.nan, -np.where(y == 1, np.log(p), np.log1p(-p))), dtype=float)


def brier_rows(y_true, scores) -> NDArray[np.float64]:
    """Per-row Brier score: (y - p)^2."""
    residual = np.asarray(y_true, dtype=float) - np.asarray(scores, dtype=float)
    return np.asarray(residual * residual, dtype=float)


def median_ae(y_true, scores) -> float:
    """Median absolute error (regression)."""
    if not _regression_defined(y_true, scores):
        return math.nan
    return float(np.quantile(absolute_error_rows(y_true, scores), 0.5))


def p90_ae(y_true, scores) -> float:
    """90th percentile of the absolute error (regression): nine rows in ten err less."""
    if not _regression_defined(y_true, scores):
        return math.nan
    return float(np.quantile(absolute_error_rows(y_true, scores), 0.9))


def correct_rows(y_true, scores) -> NDArray[np.float64]:
    """Per-row correctness, 1.0 or 0.0 (the rows of ``accuracy``); NaN where a score is
    NaN or infinite, so its label is undefined."""
    s = np.asarray(scores, dtype=float)
    bad = ~np.isfinite(s)
    undefined = bad.any(axis=1) if s.ndim == 2 else bad
    right = (predicted_labels(np.where(bad, 0.0, s)) == np.asarray(y_true)).astype(float)
    return np.where(undefined, np.nan, right)


def absolute_error_rows(y_true, scores) -> NDArray[np.float64]:
    """Per-row absolute error |y - yhat| (the rows of ``mae``)."""
    return np.asarray(np.abs(np.asarray(y_true, dtype=float) - np.asarray(scores, dtype=float)), dtype=float)


def roc_auc_ovr_influence(y_true, scores) -> Influence:
    """Macro one-vs-rest AUC and its influence function (DeLong's structural components
    per class, :func:`modelgate.stats.ovr_auc_influence`); NaN where :func:`roc_auc_ovr` is."""
    from . import stats  # scipy: imported when the bound is computed

    n = len(np.asarray(scores))
    if not _is_matrix(scores) or not _defined(y_true, scores) or not _codes_fit(y_true, scores):
        return math.nan, np.full(n, np.nan)
    value, infl = stats.ovr_auc_influence(np.asarray(y_true, dtype=int), scores)
    return value, infl


# Influence functions: (value, IF) with value the metric and IF_i its influence
# function at row i (mean 0), so that value + mean(IF) over resampled rows is the
# first-order (delta-method) expansion of the metric and var(IF) / n its variance.


def rmse_influence(y_true, scores) -> Influence:
    """RMSE = sqrt(MSE) and its influence (e_i^2 - MSE) / (2 RMSE); a zero error on
    every row gives a zero influence (the data show no spread). NaN when undefined."""
    if not _regression_defined(y_true, scores):
        n = len(np.asarray(scores))
        return math.nan, np.full(n, np.nan)
    se = brier_rows(y_true, scores)
    mse = float(se.mean())
    value = math.sqrt(mse)
    if value == 0.0:
        return 0.0, np.zeros(se.size)
    return value, (se - mse) / (2.0 * value)


def r2_influence(y_true, scores) -> Influence:
    """R^2 = 1 - MSE / V (V the target's variance over n) and its influence
    -(e_i^2 - MSE) / V + MSE (t_i^2 - V) / V^2, t_i = y_i - mean(y) (estimating the
    mean adds nothing at first order). NaN when undefined (constant target)."""
    n = len(np.asarray(scores))
    if not _regression_defined(y_true, scores) or n < 2:
        return math.nan, np.full(n, np.nan)
    y = np.asarray(y_true, dtype=float)
    t2 = (y - y.mean()) ** 2
    v = float(t2.mean())
    if v == 0.0:
        return math.nan, np.full(n, np.nan)
    se = brier_rows(y, scores)
    mse = float(se.mean())
    return 1.0 - mse / v, -(se - mse) / v + mse * (t2 - v) / (v * v)


@dataclass(frozen=True)
class Metric:
    """A metric the gate can compare: its function, its direction, how its
    difference (``method``) and its floor (``floor_method``) are bounded by
    default, and the tasks it applies to.

    ``row_loss``, for a lower-is-better metric that is the mean of a per-row
    loss, gives that loss per row (``function(y, s) == mean(row_loss(y, s))``);
    it is what methods ``"paired-loss"`` and ``"mean-loss"`` bound.
    ``influence``, for a smooth function of means, gives ``(value, IF)``
    (:data:`Influence`); it is what method ``"delta"`` bounds.
    """

    name: str
    function: Callable[..., float]
    higher_is_better: bool
    method: str = BOOTSTRAP  # margin: "delong", "mcnemar", "paired-loss", "delta" or "bootstrap" (any metric)
    tasks: tuple[str, ...] = (BINARY,)
    row_loss: Callable[..., NDArray[np.float64]] | None = None
    floor_method: str = BOOTSTRAP  # floor: "delong", "clopper-pearson", "mean-loss", "delta" or "bootstrap"
    influence: Callable[..., Influence] | None = None
    value_range: tuple[float, float] = (-math.inf, math.inf)  # every value the metric can take
    # The metric is the mean of these per-row values in [0, 1] (what "bernstein" bounds).
    bounded_rows: Callable[..., NDArray[np.float64]] | None = None
    # The metric is the q-quantile of these per-row values (what "order-statistic" bounds).
    quantile: tuple[float, Callable[..., NDArray[np.float64]]] | None = None

    def impossible_margin(self, margin: float, relative: bool) -> str:
        """Why a margin check of this metric can never pass, or always passes, given
        the metric's range (e.g. "can never be met: accuracy is in [0, 1], so the
        difference is at most 1"); "" when the margin can decide.

        The compared quantity is d = c - b (b - c when lower is better), within
        +-(high - low), and a check passes when its bound is strictly above the
        margin. Relative, on a metric >= 0: c / b - 1 >= -1 (higher is better),
        1 - c / b <= 1 (lower is better)."""
        low, high = self.value_range
        where = f"{self.name} is in [{low:g}, {high:g}]" if math.isfinite(high) else f"{self.name} is in [{low:g}, ∞)"
        never, always = "can never be met", "is always met, whatever the model"
        if relative:
            if low != 0:
                return ""
            if self.higher_is_better and margin < -1:
                return f"{always}: {where}, so the relative difference is never below -1"
            if not self.higher_is_better and margin >= 1:
                return f"{never}: {where}, so the relative improvement is at most 1"
            return ""
        width = high - low
        if not math.isfinite(width):
            return ""
        if margin >= width:
            return f"{never}: {where}, so the difference is at most {width:g}"
        if margin < -width:
            return f"{always}: {where}, so the difference is never below -{width:g}"
        return ""

    def __post_init__(self) -> None:
        if self.row_loss is not None and self.higher_is_better:
            raise ValueError(f"metric {self.name!r}: a per-row loss is lower-is-better")
        for method in (self.method, self.floor_method):
            if method in (PAIRED_LOSS, MEAN_LOSS) and self.row_loss is None:
                raise ValueError(f"metric {self.name!r}: method {method!r} needs a row_loss")
            if method == DELTA and self.influence is None:
                raise ValueError(f"metric {self.name!r}: method {DELTA!r} needs an influence function")
            if method == ORDER_STATISTIC and self.quantile is None:
                raise ValueError(f"metric {self.name!r}: method {ORDER_STATISTIC!r} needs a quantile")
            if method == BERNSTEIN and self.bounded_rows is None:
                raise ValueError(f"metric {self.name!r}: method {BERNSTEIN!r} needs bounded_rows")
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown or not self.tasks:
            raise ValueError(f"metric {self.name!r}: tasks must be some of {', '.join(TASKS)}, not {self.tasks!r}")

    def __call__(self, y_true, scores) -> float:
        return self.function(y_true, scores)

    @property
    def margin_methods(self) -> tuple[str, ...]:
        """The bound methods a margin check of this metric may ask for (besides "auto"):
        its own, the bootstrap, and "delta" when it has an influence function."""
        from .stats.methods import METHODS

        return tuple(name for name, m in METHODS.items() if m.paired is not None and m.fits_metric(self, floor=False))

    @property
    def floor_methods(self) -> tuple[str, ...]:
        """The bound methods a floor of this metric may ask for (besides "auto")."""
        from .stats.methods import METHODS

        return tuple(
            name for name, m in METHODS.items() if m.one_sample is not None and m.fits_metric(self, floor=True)
        )


METRICS: Registry[Metric] = Registry("metric")
register_metric = METRICS.register  # the name a config or a check uses

_CLASSIFICATION = (BINARY, MULTICLASS)
_UNIT = (0.0, 1.0)  # shares, AUCs, F1 scores, the Brier score of one probability
_LOSS = (0.0, math.inf)

for _metric in (
    Metric("roc_auc", roc_auc, higher_is_better=True, method=DELONG, floor_method=DELONG, value_range=_UNIT),
    Metric(
        "accuracy",
        accuracy,
        higher_is_better=True,
        method=MCNEMAR,
        tasks=_CLASSIFICATION,
        floor_method=CLOPPER_PEARSON,
        value_range=_UNIT,
        bounded_rows=correct_rows,
    ),
    Metric("f1", f1, higher_is_better=True, value_range=_UNIT),
    Metric(
        "log_loss",
        log_loss,
        higher_is_better=False,
        method=PAIRED_LOSS,
        tasks=_CLASSIFICATION,
        row_loss=log_loss_rows,
        floor_method=MEAN_LOSS,
        value_range=_LOSS,
    ),
    Metric(
        "brier",
        brier,
        higher_is_better=False,
        method=PAIRED_LOSS,
        row_loss=brier_rows,
        floor_method=MEAN_LOSS,
        value_range=_UNIT,
        bounded_rows=brier_rows,
    ),
    # the delta method on the confusion counts: the class-stratified bootstrap passed 7-11% at
    # the boundary at 30-200 rows (bench_stats --worlds), and costs B metric evaluations
    Metric(
        "macro_f1",
        macro_f1,
        higher_is_better=True,
        method=CLASS_DELTA,
        tasks=(MULTICLASS,),
        floor_method=CLASS_DELTA,
        value_range=_UNIT,
    ),
    # the influence-function (DeLong per class) bound by default: 1.4 s at 1e6 rows where the
    # class-stratified bootstrap takes minutes, with the same false-promotion rate (bench_stats --tasks)
    Metric(
        "roc_auc_ovr",
        roc_auc_ovr,
        higher_is_better=True,
        method=DELONG_OVR,
        tasks=(MULTICLASS,),
        floor_method=DELONG_OVR,
        influence=roc_auc_ovr_influence,
        value_range=_UNIT,
    ),
    Metric(
        "mae",
        mae,
        higher_is_better=False,
        method=PAIRED_LOSS,
        tasks=(REGRESSION,),
        row_loss=absolute_error_rows,
        floor_method=MEAN_LOSS,
        value_range=_LOSS,
    ),
    Metric(
        "rmse",
        rmse,
        higher_is_better=False,
        method=SQUARED_ERROR,
        tasks=(REGRESSION,),
        floor_method=SQUARED_ERROR,
        influence=rmse_influence,
        value_range=_LOSS,
    ),
    Metric(
        "r2",
        r2,
        higher_is_better=True,
        method=DELTA,
        tasks=(REGRESSION,),
        floor_method=LOG_DELTA,
        influence=r2_influence,
        value_range=(-math.inf, 1.0),
    ),
    # Quantiles of the error: exact bounds from order statistics, whatever the tails.
    Metric(
        "median_ae",
        median_ae,
        higher_is_better=False,
        method=ORDER_STATISTIC,
        tasks=(REGRESSION,),
        floor_method=ORDER_STATISTIC,
        quantile=(0.5, absolute_error_rows),
        value_range=_LOSS,
    ),
    Metric(
        "p90_ae",
        p90_ae,
        higher_is_better=False,
        method=ORDER_STATISTIC,
        tasks=(REGRESSION,),
        floor_method=ORDER_STATISTIC,
        quantile=(0.9, absolute_error_rows),
        value_range=_LOSS,
    ),
):
    register_metric(_metric)


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        known = ", ".join(sorted(METRICS))
        raise ValueError(f"unknown metric {name!r}; known metrics: {known}") from None


def metrics_for(task: str) -> list[str]:
    """The names of the registered metrics that apply to a task, sorted."""
    return sorted(m.name for m in METRICS.values() if task in m.tasks)


def check_metric_fits(name: str, task: str) -> None:
    """Refuse a metric that does not apply to the task, in one line (GateUsageError):
    ``metric 'roc_auc' does not apply to task 'regression' (regression metrics: mae, r2, rmse)``.
    An unknown task or metric is refused too."""
    if task not in TASKS:
        raise GateUsageError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    try:
        metric = get_metric(name)
    except ValueError as exc:
        raise GateUsageError(str(exc)) from None
    if task not in metric.tasks:
        raise GateUsageError(
            f"metric {name!r} does not apply to task {task!r} ({task} metrics: {', '.join(metrics_for(task))})"
        )
