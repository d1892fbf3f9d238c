"""Floors: one metric of the candidate against a fixed number, with no baseline.

``at_least = 0.85`` (a higher-is-better metric) or ``at_most = 0.45`` (a
lower-is-better one), declared in the same ``[[tool.modelgate.checks]]``
table as margin checks (a table with ``at_least`` or ``at_most`` is a floor)
or as ``--gate-check metric=roc_auc,at_least=0.85``. The rule: the check passes when the one-sided confidence bound of the metric itself
clears the floor, lower bound > ``at_least`` or upper bound < ``at_most``;
with ``confidence="none"``, when the point estimate does. Anything undefined
fails, with the reason. The bound (:mod:`modelgate.stats`, "one-sample
bounds") is the metric's ``floor_method`` in the registry
(:data:`modelgate.metrics.METRICS`): DeLong's on the logit scale for ROC AUC,
exact Clopper-Pearson for accuracy (binary and multiclass), the
skew-corrected normal bound of the mean loss for log loss, Brier and MAE
("mean-loss"), the delta method for RMSE and R^2, and the percentile
bootstrap otherwise (stratified by class for classification).

This module is light: scipy is imported when a floor first runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .. import tables
from ..errors import GateUsageError
from ..metrics import check_metric_fits, get_metric
from ..names import CANDIDATE, FLOOR
from ..stats.inputs import resampling_options_error
from ..stats.methods import FLOOR_METHODS, floor_bound
from ..verdict import CheckResult
from .outcome import decided_by_estimate, detectable, inconclusive_message, inconclusive_passes

if TYPE_CHECKING:
    from .. import stats
    from ..evidence.evaluation import Evaluation

__all__ = ["FLOOR_KEYS", "FloorCheck", "FloorError", "is_floor_table", "parse_floor"]

FLOOR_KEYS = frozenset({"metric", "at_least", "at_most", "confidence", "method", "n_resamples", "seed", "name"})
# Keys of a margin check that a floor refuses: it has no baseline to compare with.
MARGIN_ONLY_KEYS = ("baseline", "margin", "relative")
# "auto" is the metric's own (Metric.floor_method); the others are the methods table's one-sample bounds.
METHODS = ("auto", *FLOOR_METHODS)


def is_floor_table(raw: Mapping[str, Any]) -> bool:
    """An entry of ``[[tool.modelgate.checks]]`` (or ``--gate-check``) is a floor when it
    has ``at_least`` or ``at_most``; every other entry is a margin check."""
    return isinstance(raw, Mapping) and ("at_least" in raw or "at_most" in raw)


class FloorError(ValueError):
    """A floor that cannot be: ``key`` is the setting at fault (a config error names it)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _fmt(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "undefined"


@dataclass(frozen=True)
class FloorCheck:
    """The candidate's metric against a fixed floor, on its own one-sided confidence bound.

    Give exactly one of ``at_least`` (higher-is-better metrics: passes when the
    lower bound is > at_least) and ``at_most`` (lower-is-better metrics: passes
    when the upper bound is < at_most). ``confidence=None`` decides on the point
    estimate. ``method="auto"``: the metric's ``floor_method`` (DeLong on the logit
    scale for roc_auc, Clopper-Pearson for accuracy, "mean-loss" for log_loss,
    brier and mae, "delta" for rmse and r2), the bootstrap (``n_resamples``,
    ``seed``; stratified by class) otherwise. The metric must apply to the
    evaluation's task.
    """

    check_kind: ClassVar[str] = "floor"

    metric: str
    at_least: float | None = None
    at_most: float | None = None
    confidence: float | None = 0.95
    method: str = "auto"
    n_resamples: int = 2000
    seed: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        try:
            metric = get_metric(self.metric)
        except ValueError as exc:
            raise FloorError("metric", str(exc)) from None
        if self.at_least is not None and self.at_most is not None:
            raise FloorError("at_most", "give at_least or at_most, not both")
        if self.at_least is None and self.at_most is None:
            raise FloorError(
                "at_least", "a floor needs at_least (higher-is-better metric) or at_most (lower-is-better)"
            )
        key = "at_least" if self.at_least is not None else "at_most"
        value = self.at_least if self.at_least is not None else self.at_most
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise FloorError(key, f"{key} must be a finite number, not {value!r}")
        if key == "at_least" and not metric.higher_is_better:
            raise FloorError(
                key, f"{self.metric} is lower-is-better: its floor is at_most (an upper limit), not at_least"
            )
        if key == "at_most" and metric.higher_is_better:
            raise FloorError(key, f"{self.metric} is higher-is-better: its floor is at_least, not at_most")
        if self.method not in METHODS:
            raise FloorError("method", f"unknown method {self.method!r}; use one of {', '.join(METHODS)}")
        if self.method != "auto" and self.method not in metric.floor_methods:
            from ..metrics import METRICS

            owners = " and ".join(m.name for m in METRICS.values() if self.method in m.floor_methods) or "no metric"
            raise FloorError("method", f"method {self.method!r} applies to {owners} only")
        if self.confidence is not None and not 0.5 <= self.confidence < 1:
            raise FloorError("confidence", f"confidence must be in [0.5, 1) or None, not {self.confidence!r}")
        bad_key, why = resampling_options_error(self.n_resamples, self.seed, self.bound_method, self.confidence)
        if bad_key:
            raise FloorError(bad_key, why)
        if not self.name:
            words = "at-least" if key == "at_least" else "at-most"
            object.__setattr__(self, "name", f"{self.metric}-{words}-{value:g}")

    @property
    def floor(self) -> float:
        """The number the metric must clear (``at_least`` or ``at_most``)."""
        value = self.at_least if self.at_least is not None else self.at_most
        assert value is not None  # __post_init__: exactly one is given
        return float(value)

    @property
    def side(self) -> stats.Side:
        """Which bound decides: "lower" for ``at_least``, "upper" for ``at_most``."""
        return "lower" if self.at_least is not None else "upper"

    @property
    def bound_method(self) -> str:
        """The method ``auto`` stands for: the metric's ``floor_method`` in the registry."""
        return get_metric(self.metric).floor_method if self.method == "auto" else self.method

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        key, op = ("at_least", ">") if self.side == "lower" else ("at_most", "<")
        what = "point estimate" if self.confidence is None else f"{self.confidence:.0%} {self.side} bound"
        return f"{self.metric}: {what} {op} {self.floor:g} ({key})"

    def bound(self, evidence: Evaluation) -> stats.MetricBound:
        """The statistic the rule decides on: the candidate's metric and its one-sided bound."""
        task = evidence.task
        check_metric_fits(self.metric, task)  # GateUsageError: an error, not a verdict
        return floor_bound(
            self.bound_method,
            get_metric(self.metric),
            task,
            evidence.labels,
            evidence.scores(CANDIDATE),
            side=self.side,
            floor=self.floor,
            confidence=self.confidence,
            n_resamples=self.n_resamples,
            seed=self.seed,
            groups=evidence.groups,
        )

    def prepare(self, evidence: Evaluation) -> None:
        check_metric_fits(self.metric, evidence.task)
        evidence.scores(CANDIDATE)

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        bound = self.bound(evidence)
        estimate_clears = bound.value > self.floor if self.side == "lower" else bound.value < self.floor
        bound = decided_by_estimate(bound, bound.value, estimate_clears)
        # The data cannot decide: on_inconclusive does (a defect is not inconclusive: it fails).
        passed = inconclusive_passes(evidence.on_inconclusive) if bound.inconclusive else bound.clears(self.floor)
        return CheckResult(
            name=self.name,
            group=FLOOR,
            passed=passed,
            message=self._message(bound, passed),
            metric=self.metric,
            candidate_value=bound.value,
            lower=bound.bound,  # the decisive bound: the upper one for at_most
            p_value=bound.p_value,
            margin=self.floor,
            confidence=self.confidence,
            method=bound.method,
            n=bound.n,
            inconclusive=bound.inconclusive,
            reason=bound.reason or None,
            mde=detectable(bound.value, bound.bound, self.confidence, bound.inconclusive),
        )

    def _message(self, bound: stats.MetricBound, passed: bool) -> str:
        head = f"{self.metric}: candidate {_fmt(bound.value)} on {bound.n} rows"
        if bound.inconclusive:
            return inconclusive_message(bound.reason, head, passed)
        if not bound.defined:
            why = bound.reason or "the statistic is undefined (NaN)"
            return f"{head}: FAIL, {why}; nothing undefined passes"
        key, word = ("at_least", "above") if self.side == "lower" else ("at_most", "below")
        if self.confidence is None:
            stat = "(point estimate, no confidence bound)"
        else:
            p = "" if not math.isfinite(bound.p_value) else f", p={bound.p_value:.3g}"
            stat = f"{self.confidence:.0%} {self.side} bound {_fmt(bound.bound)} ({bound.method}{p})"
        verdict = word if passed else f"not {word}"
        return f"{head}, {stat} is {verdict} {key} {self.floor:g}"


def parse_floor(raw: Mapping[str, Any], where: str, strict: bool = True) -> FloorCheck:
    """One floor table of ``[[tool.modelgate.checks]]`` (or, ``strict=False``, ``--gate-check``
    text) as a FloorCheck; GateUsageError naming the key."""
    if isinstance(raw, Mapping):
        extra = next((k for k in MARGIN_ONLY_KEYS if k in raw), None)
        if extra is not None:
            raise GateUsageError(
                f"{where}.{extra}: a floor (at_least/at_most) takes no {extra!r}: it bounds the metric itself, "
                "with no baseline; compare with a baseline in a check of its own"
            )
    tables.check_table(raw, where, FLOOR_KEYS, "metric", "floor")
    kwargs: dict[str, Any] = {"metric": tables.string(f"{where}.metric", raw["metric"])}
    for key in ("at_least", "at_most"):
        if key in raw:
            kwargs[key] = tables.number(f"{where}.{key}", raw[key], strict)
    kwargs.update(tables.bound_options(raw, where, strict))
    try:
        return FloorCheck(**kwargs)
    except FloorError as exc:
        raise GateUsageError(f"{where}.{exc.key}: {exc}") from None
