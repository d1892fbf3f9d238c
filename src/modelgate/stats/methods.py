"""The methods table: each bound method's paired bound (a margin check, candidate
against a baseline) and one-sample bound (a floor), and which metrics it fits.

Margin checks and floors both look their method up here, so a method is added
in one place. A metric's own methods are ``Metric.method`` (margin) and
``Metric.floor_method`` (floor) in :data:`modelgate.metrics.METRICS`.

This module is light: the bound functions import scipy when a bound is computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    from .bounds import DifferenceBound, MetricBound

__all__ = ["FLOOR_METHODS", "MARGIN_METHODS", "METHODS", "BoundMethod", "floor_bound", "margin_bound"]

_LABEL_THRESHOLD = 0.5  # modelgate.metrics.THRESHOLD


class MetricLike(Protocol):
    """What a bound needs of a metric of the registry (:class:`modelgate.metrics.Metric`)."""

    @property
    def name(self) -> str: ...
    @property
    def higher_is_better(self) -> bool: ...
    @property
    def method(self) -> str: ...
    @property
    def floor_method(self) -> str: ...
    @property
    def function(self) -> Callable[[Any, Any], float]: ...
    @property
    def row_loss(self) -> Callable[[Any, Any], Any] | None: ...
    @property
    def influence(self) -> Callable[[Any, Any], tuple[float, Any]] | None: ...
    @property
    def bounded_rows(self) -> Callable[[Any, Any], Any] | None: ...
    @property
    def quantile(self) -> tuple[float, Callable[[Any, Any], Any]] | None: ...


# (metric, task, labels, candidate scores, baseline scores, options) -> the bound of the difference
PairedBound = Callable[..., "DifferenceBound"]
# (metric, task, labels, scores, options) -> the bound of the metric
OneSampleBound = Callable[..., "MetricBound"]


@dataclass(frozen=True)
class BoundMethod:
    """One row of the table.

    ``fits``: "own", the method fits only the metrics whose own method it is (it
    is exact for them, or needs what only they have); "influence", any metric
    with an influence function; "bounded", any metric that is a mean of per-row
    values in [0, 1]; "any", every metric.
    """

    name: str
    paired: PairedBound | None
    one_sample: OneSampleBound | None
    fits: Literal["own", "influence", "bounded", "any"]
    summary: str

    def fits_metric(self, metric: MetricLike, *, floor: bool) -> bool:
        if self.fits == "any":
            return True
        if self.fits == "influence":
            return metric.influence is not None
        if self.fits == "bounded":
            return metric.bounded_rows is not None
        return (metric.floor_method if floor else metric.method) == self.name


def _predicted_labels(scores: Any) -> Any:
    """0/1, 1 strictly above the threshold (binary), or the arg max of each row of an
    (n, k) matrix: :func:`modelgate.metrics.predicted_labels`."""
    s = np.asarray(scores, dtype=float)
    if s.ndim == 2 and s.shape[1] > 1:
        return np.argmax(s, axis=1)
    return (s > _LABEL_THRESHOLD).astype(int)


def _undefined_rows(scores: Any) -> Any:
    s = np.asarray(scores, dtype=float)
    bad = ~np.isfinite(s)
    return bad.any(axis=1) if s.ndim == 2 else bad


# ------------------------------------------------------------------ paired bounds


def _delong_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .auc import delong_auc_difference

    options.pop("n_resamples"), options.pop("seed")
    return delong_auc_difference(y, c, b, **options)


def _mcnemar_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .bounds import DifferenceBound
    from .proportions import accuracy_difference

    options.pop("n_resamples"), options.pop("seed")
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(b))):  # a NaN score has no label
        return DifferenceBound(
            estimate=math.nan,
            lower=math.nan,
            p_value=math.nan,
            method="exact McNemar",
            confidence=options["confidence"],
            n=len(y),
            candidate=math.nan,
            baseline=math.nan,
            reason="a score is NaN or infinite, so its predicted label is undefined",
        )
    return accuracy_difference(y, _predicted_labels(c), _predicted_labels(b), **options)


def _paired_loss(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .losses import paired_loss_difference

    assert metric.row_loss is not None  # fits "own": only metrics with a row_loss have it
    return paired_loss_difference(metric.row_loss(y, c), metric.row_loss(y, b), method="normal", **options)


def _delta_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .delta import delta_difference

    assert metric.influence is not None  # fits "influence"
    options.pop("n_resamples"), options.pop("seed")
    value_c, influence_c = metric.influence(y, c)
    value_b, influence_b = metric.influence(y, b)
    return delta_difference(
        value_c, influence_c, value_b, influence_b, higher_is_better=metric.higher_is_better, **options
    )


def _ovr_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .delta import ovr_auc_difference

    options.pop("n_resamples"), options.pop("seed")
    return ovr_auc_difference(y, c, b, **options)


def _squared_error_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .squared_errors import rmse_difference

    options.pop("n_resamples"), options.pop("seed")
    return rmse_difference(y, c, b, **options)


def _class_delta_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .f1 import macro_f1_difference

    options.pop("n_resamples"), options.pop("seed")
    return macro_f1_difference(y, c, b, **options)


def _class_delta_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .f1 import macro_f1_bound

    options.pop("n_resamples"), options.pop("seed")
    return macro_f1_bound(y, s, **options)


def _bootstrap_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .bootstrap import (
        BOOTSTRAP_METRICS,
        TASK_BOOTSTRAP_METRICS,
        paired_bootstrap_difference,
        task_bootstrap_difference,
    )

    if task == "binary":
        # A metric with a resampled form goes by name (no call per resample).
        named = metric.name if metric.name in BOOTSTRAP_METRICS else metric.function
        return paired_bootstrap_difference(named, y, c, b, higher_is_better=metric.higher_is_better, **options)
    named = metric.name if metric.name in TASK_BOOTSTRAP_METRICS.get(task, ()) else metric.function
    return task_bootstrap_difference(named, task, y, c, b, higher_is_better=metric.higher_is_better, **options)


def _order_statistic_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .order_statistics import quantile_difference

    assert metric.quantile is not None  # fits "own": only quantile metrics have it
    options.pop("n_resamples"), options.pop("seed")
    q, rows = metric.quantile
    return quantile_difference(rows(y, c), rows(y, b), q, higher_is_better=metric.higher_is_better, **options)


def _bernstein_paired(metric: MetricLike, task: str, y: Any, c: Any, b: Any, **options: Any) -> DifferenceBound:
    from .bernstein import bernstein_difference

    assert metric.bounded_rows is not None  # fits "bounded"
    options.pop("n_resamples"), options.pop("seed")
    rows = metric.bounded_rows
    return bernstein_difference(rows(y, c), rows(y, b), higher_is_better=metric.higher_is_better, **options)


# -------------------------------------------------------------- one-sample bounds


def _delong_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .auc import auc_bound

    options.pop("n_resamples"), options.pop("seed")
    return auc_bound(y, s, **options)


def _clopper_pearson(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .proportions import accuracy_bound

    options.pop("n_resamples"), options.pop("seed")
    # NaN > 0.5 is False (and a NaN row has some arg max): keep a NaN score NaN, so the
    # bound is undefined, not "predicted 0".
    scores = np.asarray(s, dtype=float)
    predictions = np.where(_undefined_rows(scores), np.nan, _predicted_labels(scores))
    return accuracy_bound(y, predictions, **options)


def _mean_loss(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .losses import mean_loss_bound

    assert metric.row_loss is not None  # fits "own": only metrics with a row_loss have it
    options.pop("n_resamples"), options.pop("seed")
    return mean_loss_bound(metric.row_loss(y, s), **options)


def _delta_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .delta import delta_bound

    assert metric.influence is not None  # fits "influence"
    options.pop("n_resamples"), options.pop("seed")
    value, influence = metric.influence(y, s)
    return delta_bound(value, influence, **options)


def _chi_square_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .squared_errors import rmse_bound

    options.pop("n_resamples"), options.pop("seed")
    return rmse_bound(y, s, **options)


def _log_delta_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .squared_errors import r2_bound

    options.pop("n_resamples"), options.pop("seed")
    return r2_bound(y, s, **options)


def _ovr_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .auc import ovr_auc_bound

    options.pop("n_resamples"), options.pop("seed")
    return ovr_auc_bound(y, s, **options)


def _order_statistic_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .order_statistics import quantile_bound

    assert metric.quantile is not None
    options.pop("n_resamples"), options.pop("seed")
    q, rows = metric.quantile
    return quantile_bound(rows(y, s), q, **options)


def _bernstein_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .bernstein import bernstein_bound

    assert metric.bounded_rows is not None
    options.pop("n_resamples"), options.pop("seed")
    return bernstein_bound(metric.bounded_rows(y, s), **options)


def _bootstrap_one_sample(metric: MetricLike, task: str, y: Any, s: Any, **options: Any) -> MetricBound:
    from .bootstrap import (
        BOOTSTRAP_METRICS,
        TASK_BOOTSTRAP_METRICS,
        bootstrap_metric_bound,
        task_bootstrap_bound,
    )

    if task == "binary":
        named = metric.name if metric.name in BOOTSTRAP_METRICS else metric.function
        return bootstrap_metric_bound(named, y, s, **options)
    named = metric.name if metric.name in TASK_BOOTSTRAP_METRICS.get(task, ()) else metric.function
    return task_bootstrap_bound(named, task, y, s, **options)


# ---------------------------------------------------------------------- the table

METHODS: dict[str, BoundMethod] = {
    m.name: m
    for m in (
        BoundMethod(
            "delong",
            _delong_paired,
            _delong_one_sample,
            "own",
            "ROC AUC: DeLong's variance; the floor on the logit scale",
        ),
        BoundMethod(
            "mcnemar",
            _mcnemar_paired,
            None,
            "own",
            "accuracy: exact McNemar at margin 0, Newcombe's paired score interval otherwise",
        ),
        BoundMethod("clopper-pearson", None, _clopper_pearson, "own", "accuracy: the exact binomial bound"),
        BoundMethod(
            "paired-loss",
            _paired_loss,
            None,
            "own",
            "a mean of per-row losses: the paired per-row differences, skew-corrected normal bound",
        ),
        BoundMethod(
            "mean-loss", None, _mean_loss, "own", "a mean of per-row losses: skew-corrected normal bound of the mean"
        ),
        BoundMethod(
            "delta",
            _delta_paired,
            _delta_one_sample,
            "influence",
            "a smooth function of means: the delta method on the influence function",
        ),
        BoundMethod(
            "squared-error",
            _squared_error_paired,
            _chi_square_one_sample,
            "own",
            "RMSE: margins decided on the squared-error scale (skew-corrected); the floor from the mean squared "
            "error as a scaled chi-square, Satterthwaite's degrees of freedom (at most n)",
        ),
        BoundMethod(
            "log-delta",
            None,
            _log_delta_one_sample,
            "own",
            "R^2: the delta method on log(1 - R^2), skew-corrected, with Student's t quantile",
        ),
        BoundMethod(
            "delong-ovr",
            _ovr_paired,
            _ovr_one_sample,
            "own",
            "one-vs-rest ROC AUC: DeLong per class (delta method), Student's t on the smallest class, inconclusive "
            "with fewer than 2 rows of a class; the floor on the logit scale, each class's variance raised toward "
            "Hanley-McNeil's",
        ),
        BoundMethod(
            "class-delta",
            _class_delta_paired,
            _class_delta_one_sample,
            "own",
            "macro F1: the delta method on its confusion-count influence, Student's t on the smallest class's "
            "rows; the floor on the logit scale",
        ),
        BoundMethod(
            "order-statistic",
            _order_statistic_paired,
            _order_statistic_one_sample,
            "own",
            "a quantile of per-row errors: exact order-statistic bounds, no tail assumption",
        ),
        BoundMethod(
            "bernstein",
            _bernstein_paired,
            _bernstein_one_sample,
            "bounded",
            "a mean of per-row values in [0, 1]: empirical-Bernstein bounds, valid at any n",
        ),
        BoundMethod(
            "bootstrap",
            _bootstrap_paired,
            _bootstrap_one_sample,
            "any",
            "any metric: percentile bootstrap, stratified by class for classification",
        ),
    )
}
# The names a margin check and a floor accept, besides "auto" (the metric's own).
MARGIN_METHODS = tuple(name for name, m in METHODS.items() if m.paired is not None)
FLOOR_METHODS = tuple(name for name, m in METHODS.items() if m.one_sample is not None)


def margin_bound(
    method: str,
    metric: MetricLike,
    task: str,
    y: Any,
    candidate: Any,
    baseline: Any,
    *,
    groups: Any = None,
    **options: Any,
) -> DifferenceBound:
    """The paired bound of ``method`` (a name of :data:`MARGIN_METHODS`). ``options``: margin,
    confidence, relative, n_resamples, seed. With ``groups`` (each row's group), the
    cluster-aware bound of :mod:`.clusters` instead, whatever the method."""
    paired = METHODS[method].paired
    if paired is None:
        raise ValueError(f"method {method!r} has no paired bound; use one of {', '.join(MARGIN_METHODS)}")
    if groups is not None:
        from .clusters import clustered_difference

        return clustered_difference(method, metric, task, y, candidate, baseline, groups, **options)
    return paired(metric, task, y, candidate, baseline, **options)


def floor_bound(
    method: str, metric: MetricLike, task: str, y: Any, scores: Any, *, groups: Any = None, **options: Any
) -> MetricBound:
    """The one-sample bound of ``method`` (a name of :data:`FLOOR_METHODS`). ``options``: side,
    floor, confidence, n_resamples, seed. With ``groups``, the bound of :mod:`.clusters`."""
    one_sample = METHODS[method].one_sample
    if one_sample is None:
        raise ValueError(f"method {method!r} has no one-sample bound; use one of {', '.join(FLOOR_METHODS)}")
    if groups is not None:
        from .clusters import clustered_bound

        return clustered_bound(method, metric, task, y, scores, groups, **options)
    return one_sample(metric, task, y, scores, **options)
