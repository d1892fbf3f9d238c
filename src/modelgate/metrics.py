"""The metrics a gate can compare, as plain functions with a direction.

Thin wrappers over scikit-learn. Each takes ``(y_true, scores)`` where scores are
positive-class probabilities; label metrics threshold them at 0.5 (strictly
greater, as the tutorial's ``model.predict(X) > .5``). A metric that is
undefined on the given data (single-class labels, NaN scores) returns NaN
instead of raising, so that a check can fail with a reason.

A metric that is the mean of a per-row loss (``log_loss``, ``brier``) also
gives that loss (``Metric.row_loss``): its bound comes from the paired per-row
loss differences (method ``"paired-loss"``, :func:`modelgate.stats.paired_loss_difference`),
with no metric call per resample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import NDArray

from .registry import Registry

THRESHOLD = 0.5
LOG_LOSS_EPS = 1e-15  # log_loss clips probabilities to [eps, 1 - eps]
PAIRED_LOSS = "paired-loss"  # the bound method of a metric that is a mean of per-row losses


def predicted_labels(scores, threshold: float = THRESHOLD) -> np.ndarray:
    """0/1 labels: 1 where the score is strictly above the threshold."""
    return (np.asarray(scores, dtype=float) > threshold).astype(int)


def _defined(y_true, scores) -> bool:
    scores = np.asarray(scores, dtype=float)
    return len(scores) > 0 and bool(np.all(np.isfinite(scores)))


def roc_auc(y_true, scores) -> float:
    """ROC AUC; NaN when the labels hold a single class or a score is NaN."""
    from sklearn.metrics import roc_auc_score

    if not _defined(y_true, scores) or len(np.unique(y_true)) < 2:
        return math.nan
    return float(roc_auc_score(y_true, scores))


def accuracy(y_true, scores) -> float:
    from sklearn.metrics import accuracy_score

    if not _defined(y_true, scores):
        return math.nan
    return float(accuracy_score(y_true, predicted_labels(scores)))


def f1(y_true, scores) -> float:
    """F1 of the positive class; 0.0 when nothing is predicted positive."""
    from sklearn.metrics import f1_score

    if not _defined(y_true, scores):
        return math.nan
    return float(f1_score(y_true, predicted_labels(scores), zero_division=0.0))


def log_loss(y_true, scores) -> float:
    from sklearn.metrics import log_loss as _log_loss

    if not _defined(y_true, scores):
        return math.nan
    return float(_log_loss(y_true, np.clip(scores, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS), labels=[0, 1]))


def brier(y_true, scores) -> float:
    from sklearn.metrics import brier_score_loss

    if not _defined(y_true, scores):
        return math.nan
    return float(brier_score_loss(y_true, scores))


# Per-row losses: ``metric(y, s) == mean(row_loss(y, s))`` (to rounding), NaN on the
# rows whose score is NaN. ``y_true`` holds 0/1 labels.


def log_loss_rows(y_true, scores) -> NDArray[np.float64]:
    """Per-row log loss, clipped as :func:`log_loss`: -log(p) for a positive, -log(1 - p) for a negative."""
    y = np.asarray(y_true)
    p = np.clip(np.asarray(scores, dtype=float), LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    return np.asarray(-np.where(y == 1, np.log(p), np.log1p(-p)), dtype=float)


def brier_rows(y_true, scores) -> NDArray[np.float64]:
    """Per-row Brier score: (y - p)^2."""
    residual = np.asarray(y_true, dtype=float) - np.asarray(scores, dtype=float)
    return np.asarray(residual * residual, dtype=float)


@dataclass(frozen=True)
class Metric:
    """A metric the gate can compare: its function, its direction, how its
    difference is bounded by default, and the tasks it applies to.

    ``row_loss``, for a lower-is-better metric that is the mean of a per-row
    loss, gives that loss per row (``function(y, s) == mean(row_loss(y, s))``);
    it is what method ``"paired-loss"`` bounds.
    """

    name: str
    function: Callable[..., float]
    higher_is_better: bool
    method: str = "bootstrap"  # the default bound: "delong", "mcnemar", "paired-loss" or "bootstrap" (any metric)
    tasks: tuple[str, ...] = ("binary",)
    row_loss: Callable[..., NDArray[np.float64]] | None = None

    def __post_init__(self) -> None:
        if self.row_loss is not None and self.higher_is_better:
            raise ValueError(f"metric {self.name!r}: a per-row loss is lower-is-better")
        if self.method == PAIRED_LOSS and self.row_loss is None:
            raise ValueError(f"metric {self.name!r}: method {PAIRED_LOSS!r} needs a row_loss")

    def __call__(self, y_true, scores) -> float:
        return self.function(y_true, scores)


METRICS: Registry[Metric] = Registry("metric")
register_metric = METRICS.register  # the name a config or a check uses


for _metric in (
    Metric("roc_auc", roc_auc, higher_is_better=True, method="delong"),
    Metric("accuracy", accuracy, higher_is_better=True, method="mcnemar"),
    Metric("f1", f1, higher_is_better=True),
    Metric("log_loss", log_loss, higher_is_better=False, method=PAIRED_LOSS, row_loss=log_loss_rows),
    Metric("brier", brier, higher_is_better=False, method=PAIRED_LOSS, row_loss=brier_rows),
):
    register_metric(_metric)


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        known = ", ".join(sorted(METRICS))
        raise ValueError(f"unknown metric {name!r}; known metrics: {known}") from None
