"""The metrics a gate can compare, as plain functions with a direction.

Thin wrappers over scikit-learn. Each takes ``(y_true, scores)`` where scores are
positive-class probabilities; label metrics threshold them at 0.5 (strictly
greater, as the tutorial's ``model.predict(X) > .5``). A metric that is
undefined on the given data (single-class labels, NaN scores) returns NaN
instead of raising, so that a check can fail with a reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .registry import Registry

THRESHOLD = 0.5


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
    return float(_log_loss(y_true, np.clip(scores, 1e-15, 1 - 1e-15), labels=[0, 1]))


def brier(y_true, scores) -> float:
    from sklearn.metrics import brier_score_loss

    if not _defined(y_true, scores):
        return math.nan
    return float(brier_score_loss(y_true, scores))


@dataclass(frozen=True)
class Metric:
    """A metric the gate can compare: its function, its direction, how its
    difference is bounded by default, and the tasks it applies to."""

    name: str
    function: Callable[..., float]
    higher_is_better: bool
    method: str = "bootstrap"  # the default bound: "delong", "mcnemar" or "bootstrap" (any metric)
    tasks: tuple[str, ...] = ("binary",)

    def __call__(self, y_true, scores) -> float:
        return self.function(y_true, scores)


METRICS: Registry[Metric] = Registry("metric")
register_metric = METRICS.register  # the name a config or a check uses


for _metric in (
    Metric("roc_auc", roc_auc, higher_is_better=True, method="delong"),
    Metric("accuracy", accuracy, higher_is_better=True, method="mcnemar"),
    Metric("f1", f1, higher_is_better=True),
    Metric("log_loss", log_loss, higher_is_better=False),
    Metric("brier", brier, higher_is_better=False),
):
    register_metric(_metric)


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        known = ", ".join(sorted(METRICS))
        raise ValueError(f"unknown metric {name!r}; known metrics: {known}") from None
