"""Confidence bounds for the quality gate. Pure numpy/scipy.

A margin check compares a candidate with a baseline on the same rows: every
comparison returns a :class:`DifferenceBound` (the estimate of the difference,
its one-sided lower bound, the p-value of H0: difference <= margin, the
method), and the candidate passes when ``lower > margin``. A floor bounds one
model's metric: a :class:`MetricBound`, passing when the bound clears the
floor. Which bound a metric gets is the methods table (:mod:`.methods`); the
method families are :mod:`.auc`, :mod:`.proportions`, :mod:`.losses`,
:mod:`.delta` and :mod:`.bootstrap` (the one resampling engine). The
derivations and simulation results are in the documentation's statistics page.
The names below load their module (and scipy) when first used, so a caller that
only reads the methods table stays light.

Input contract, for every public function:

* ``y_true`` holds 0/1 labels (bool, int or float); score and prediction
  arrays are 1-D (an ``(n, 1)`` column is accepted) and paired row by row.
  The exceptions take other tasks' data: ``task_bootstrap_*`` (multiclass
  codes 0..k-1 with (n, k) score matrices, or regression numbers),
  ``delta_*`` (a metric value and its influence function per row) and
  ``*_loss_*`` (per-row losses).
* Programming errors raise ``ValueError``: different lengths, other shapes,
  labels other than 0/1, predictions other than 0/1, a confidence outside
  ``[0.5, 1)``, a non-finite margin. The accuracy functions take class codes
  (0/1, or 0..k-1 for multiclass) as labels and predictions; a value that is
  not a whole number is an error there.
* Data the statistic is undefined for (NaN labels or scores, a single class
  for AUC, too few rows, a zero baseline for a relative margin, a degenerate
  bootstrap) never raises in the bound functions: they return a bound of nan,
  ``p_value = nan`` and a ``reason``. The plain functions (``auc_midrank``,
  ``delong_auc_variance``, ``bootstrap_auc_differences``) raise
  ``ValueError`` with the same reason, since they have no field for it;
  ``mcnemar_exact`` returns nan.
* ``inconclusive`` on a bound says the data are too thin to decide (no rows,
  too few rows or rows of a class, one class, a degenerate bootstrap, a
  Fieller bound the baseline cannot support), rather than defective (a NaN
  score or label): the check then reports "inconclusive", not pass or fail.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auc import (
        auc_bound,
        auc_midrank,
        delong_auc_difference,
        delong_auc_variance,
        ovr_auc_influence,
    )
    from .bootstrap import (
        BOOTSTRAP_METRICS,
        TASK_BOOTSTRAP_METRICS,
        Metric,
        OneSampleMetric,
        bootstrap_auc_differences,
        bootstrap_metric_bound,
        paired_bootstrap_difference,
        task_bootstrap_bound,
        task_bootstrap_difference,
    )
    from .bounds import DifferenceBound, MetricBound, Side
    from .delta import delta_bound, delta_difference
    from .losses import (
        LOSS_METHODS,
        LossMethod,
        mean_loss_bound,
        paired_loss_difference,
    )
    from .proportions import (
        accuracy_bound,
        accuracy_difference,
        clopper_pearson,
        mcnemar_exact,
    )

_HOME = {
    "auc": ("auc_bound", "auc_midrank", "delong_auc_difference", "delong_auc_variance", "ovr_auc_influence"),
    "bootstrap": (
        "BOOTSTRAP_METRICS",
        "TASK_BOOTSTRAP_METRICS",
        "Metric",
        "OneSampleMetric",
        "bootstrap_auc_differences",
        "bootstrap_metric_bound",
        "paired_bootstrap_difference",
        "task_bootstrap_bound",
        "task_bootstrap_difference",
    ),
    "bounds": ("DifferenceBound", "MetricBound", "Side"),
    "delta": ("delta_bound", "delta_difference"),
    "losses": ("LOSS_METHODS", "LossMethod", "mean_loss_bound", "paired_loss_difference"),
    "proportions": ("accuracy_bound", "accuracy_difference", "clopper_pearson", "mcnemar_exact"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

__all__ = [
    "BOOTSTRAP_METRICS",
    "LOSS_METHODS",
    "TASK_BOOTSTRAP_METRICS",
    "DifferenceBound",
    "LossMethod",
    "Metric",
    "MetricBound",
    "OneSampleMetric",
    "Side",
    "accuracy_bound",
    "accuracy_difference",
    "auc_bound",
    "auc_midrank",
    "bootstrap_auc_differences",
    "bootstrap_metric_bound",
    "clopper_pearson",
    "delong_auc_difference",
    "delong_auc_variance",
    "delta_bound",
    "delta_difference",
    "mcnemar_exact",
    "mean_loss_bound",
    "ovr_auc_influence",
    "paired_bootstrap_difference",
    "paired_loss_difference",
    "task_bootstrap_bound",
    "task_bootstrap_difference",
]
assert sorted(__all__) == sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value
