"""The margin check: candidate vs a baseline on one metric, decided on a confidence bound.

The margin rule:

- quantity ``d = c - b`` for a higher-is-better metric, ``d = b - c`` for a
  lower-is-better one; with ``relative=True`` the quantity is ``d / b``;
- a check passes when the one-sided lower confidence bound of the quantity is
  strictly above the margin (``confidence=None``: the point estimate is);
- anything undefined (NaN, a relative margin on a zero baseline) fails, with
  the reason in the message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import tables
from ..errors import GateUsageError
from ..evidence.evaluation import Evaluation
from ..metrics import METRICS, check_metric_fits, get_metric
from ..names import BASELINE, CANDIDATE, MAJORITY
from ..stats.inputs import resampling_options_error
from ..stats.methods import MARGIN_METHODS, margin_bound
from ..verdict import CheckResult
from .outcome import decided_by_estimate, detectable, inconclusive_message, inconclusive_passes

if TYPE_CHECKING:
    from .. import stats

# "auto" is the metric's own method; the others are the methods table's paired bounds.
METHODS = ("auto", *MARGIN_METHODS)


# Scores equal on every row that take at least this many distinct values are one model
# (a retrained model with the same seed), not two models that agree on a sample: hard
# 0/1 classifiers agree on all 30 rows of a sample with 4% disagreement 29% of the time.
SAME_MODEL_DISTINCT = 10


def same_model(candidate: Any, baseline: Any) -> bool:
    """The candidate's scores are the baseline's, bit for bit, on rows that take at least
    min(n, 10) distinct values (rows of a score matrix for multiclass)."""
    c, b = np.asarray(candidate), np.asarray(baseline)
    if c.shape != b.shape or c.size == 0 or not np.array_equal(c, b):
        return False
    distinct = np.unique(c, axis=0).shape[0] if c.ndim == 2 else np.unique(c).size
    return bool(distinct >= min(len(c), SAME_MODEL_DISTINCT))


IDENTICAL = "the candidate's predictions equal the {baseline}'s on every row (the same model?)"


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "undefined"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


@dataclass(frozen=True)
class MarginCheck:
    """Candidate vs a baseline on one metric, with a margin and a confidence bound.

    ``margin`` may be negative (non-inferiority: "loses at most |margin|").
    ``confidence=None`` decides on the point estimate only. ``method="auto"``
    uses the metric's own method (``Metric.method``): DeLong for ROC AUC, the
    paired accuracy interval (exact McNemar when the margin is 0) for accuracy
    (binary and multiclass), the paired per-row losses for log loss, Brier and
    MAE, the delta method for RMSE and R^2, and the paired bootstrap otherwise
    (class-stratified for multiclass). The metric must apply to the
    evaluation's task (:func:`modelgate.metrics.check_metric_fits`).
    """

    check_kind: ClassVar[str] = "margin"

    metric: str
    baseline: str = MAJORITY
    margin: float = 0.0
    relative: bool = False
    confidence: float | None = 0.95
    method: str = "auto"
    n_resamples: int = 2000
    seed: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        metric = get_metric(self.metric)  # unknown metric: ValueError naming the known ones
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; use one of {', '.join(METHODS)}")
        # DeLong and McNemar are exact for one metric each; the bootstrap fits any, "delta" any
        # metric with an influence function (Metric.margin_methods).
        if self.method != "auto" and self.method not in metric.margin_methods:
            owners = " and ".join(m.name for m in METRICS.values() if self.method in m.margin_methods)
            raise ValueError(f"method {self.method!r} applies to {owners} only")
        if self.confidence is not None and not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be in [0.5, 1) or None, not {self.confidence!r}")
        if not math.isfinite(self.margin):
            raise ValueError(f"margin must be a finite number, not {self.margin!r}")
        resolved = metric.method if self.method == "auto" else self.method
        bad_key, why = resampling_options_error(self.n_resamples, self.seed, resolved, self.confidence)
        if bad_key:
            raise ValueError(why)
        if self.baseline == CANDIDATE:
            raise ValueError("a check compares the candidate with a baseline, not with itself")
        if not self.name:
            kind = "relative" if self.relative else "margin"
            object.__setattr__(self, "name", f"{self.metric}-vs-{self.baseline}-{kind}{self.margin:+g}")
        impossible = metric.impossible_margin(self.margin, self.relative)
        if impossible:
            kind = "relative margin" if self.relative else "margin"
            raise ValueError(f"check {self.name}: {kind} {self.margin:+g} {impossible}")

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        what = f"{self.metric} vs {self.baseline}"
        margin = f"{self.margin:+.1%} relative" if self.relative else f"{self.margin:+g}"
        conf = "point estimate" if self.confidence is None else f"{self.confidence:.0%} lower bound"
        return f"{what}: {conf} of the difference > {margin}"

    def bound(self, evaluation: Evaluation) -> stats.DifferenceBound:
        """The statistic the rule decides on."""
        metric = get_metric(self.metric)
        task = evaluation.task
        check_metric_fits(self.metric, task)  # GateUsageError: an error, not a verdict
        y = evaluation.labels
        c = evaluation.scores(CANDIDATE)
        b = evaluation.scores(self.baseline)
        # A relative margin on a zero baseline is undefined: stats says so, and it fails.
        method = metric.method if self.method == "auto" else self.method
        bound = margin_bound(
            method,
            metric,
            task,
            y,
            c,
            b,
            margin=self.margin,
            confidence=self.confidence,
            relative=self.relative,
            n_resamples=self.n_resamples,
            seed=self.seed,
            groups=evaluation.groups,
        )
        if bound.inconclusive and same_model(c, b):
            # Zero spread because the two models are one: the difference is exactly 0.
            p = 0.0 if bound.estimate > self.margin else 1.0
            return replace(bound, lower=bound.estimate, p_value=p, inconclusive=False, reason="")
        return bound

    def prepare(self, evidence: Evaluation) -> None:
        check_metric_fits(self.metric, evidence.task)
        if self.baseline not in evidence.absent:
            evidence.scores(self.baseline)

    def evaluate(self, evaluation: Evaluation) -> CheckResult:
        baseline_run = evaluation.baseline_runs.get(self.baseline)
        if self.baseline in evaluation.absent:
            return self._absent(evaluation)
        bound = self.bound(evaluation)
        bound = decided_by_estimate(bound, bound.estimate, bound.estimate > self.margin)
        if bound.inconclusive:  # the data cannot decide: on_inconclusive does
            passed = inconclusive_passes(evaluation.on_inconclusive)
        else:
            passed = bool(bound.defined and bound.lower > self.margin)
        message = self._message(bound, passed, baseline_run)
        if np.array_equal(evaluation.scores(CANDIDATE), evaluation.scores(self.baseline)):
            # Said in words: a zero difference with no explanation reads as a broken gate.
            same = IDENTICAL.format(baseline=self.baseline)
            if self.margin >= 0:  # absolute or relative: superiority
                passed = False  # nothing beats itself
                message += f"; {same}, so it cannot beat it"
            else:
                message += f"; {same}"
            bound = replace(bound, reason=bound.reason or same)
        return CheckResult(
            name=self.name,
            group=BASELINE,
            passed=passed,
            message=message,
            metric=self.metric,
            baseline=self.baseline,
            candidate_value=bound.candidate,
            baseline_value=bound.baseline,
            estimate=bound.estimate,
            lower=bound.lower,
            p_value=bound.p_value,
            margin=self.margin,
            relative=self.relative,
            confidence=self.confidence,
            method=bound.method,
            n=bound.n,
            baseline_run=baseline_run,
            inconclusive=bound.inconclusive,
            reason=bound.reason or None,
            mde=detectable(bound.estimate, bound.lower, self.confidence, bound.inconclusive),
        )

    def _absent(self, evaluation: Evaluation) -> CheckResult:
        """First-run policy: no such baseline yet (e.g. no champion deployed)."""
        reason = evaluation.absent[self.baseline]
        passed = not evaluation.require_baselines
        policy = (
            "passes by default (require it with --gate-require-champion)"
            if passed
            else "fails: a baseline is required (--gate-require-champion)"
        )
        return CheckResult(
            name=self.name,
            group=BASELINE,
            passed=passed,
            message=f"{self.metric} vs {self.baseline}: {reason}; the check {policy}",
            metric=self.metric,
            baseline=self.baseline,
            margin=self.margin,
            relative=self.relative,
            confidence=self.confidence,
            method="no baseline",
        )

    def _message(self, bound: stats.DifferenceBound, passed: bool, baseline_run: str | None) -> str:
        quantity = "relative difference" if self.relative else "difference"
        who = f"{self.baseline} ({baseline_run})" if baseline_run else self.baseline
        head = f"{self.metric}: candidate {_fmt(bound.candidate)} vs {who} {_fmt(bound.baseline)} on {bound.n} rows"
        if bound.inconclusive:
            return inconclusive_message(bound.reason, head, passed)
        if not bound.defined:
            why = bound.reason or "the statistic is undefined (NaN)"
            return f"{head}: FAIL, {why}; nothing undefined passes"
        if self.confidence is None:
            stat = f"{quantity} {_fmt(bound.estimate, True)} (point estimate, no confidence bound)"
        else:
            p = "" if not math.isfinite(bound.p_value) else f", p={bound.p_value:.3g}"
            stat = (
                f"{quantity} {_fmt(bound.estimate, True)}, {self.confidence:.0%} lower bound "
                f"{_fmt(bound.lower, True)} ({bound.method}{p})"
            )
        verdict = "above" if passed else "not above"
        return f"{head}: {stat} is {verdict} the margin {_fmt(self.margin, True)}"


MARGIN_KEYS = frozenset(
    {"metric", "baseline", "margin", "relative", "confidence", "method", "n_resamples", "seed", "name"}
)


# -- the registry of check kinds -----------------------------------------------
MARGIN_KEYS = frozenset(
    {"metric", "baseline", "margin", "relative", "confidence", "method", "n_resamples", "seed", "name"}
)


def parse_margin(raw: Mapping[str, Any], where: str, strict: bool = True) -> MarginCheck:
    """One ``[[tool.modelgate.checks]]`` table (or, ``strict=False``, ``--gate-check`` text)."""
    tables.check_table(raw, where, MARGIN_KEYS, "metric", "check")
    kwargs: dict[str, Any] = {"metric": tables.string(f"{where}.metric", raw["metric"])}
    if "baseline" in raw:
        kwargs["baseline"] = tables.string(f"{where}.baseline", raw["baseline"])
    if "margin" in raw:
        kwargs["margin"] = tables.number(f"{where}.margin", raw["margin"], strict)
    if "relative" in raw:
        kwargs["relative"] = tables.boolean(f"{where}.relative", raw["relative"], strict)
    kwargs.update(tables.bound_options(raw, where, strict))
    try:
        return MarginCheck(**kwargs)
    except ValueError as exc:
        raise GateUsageError(f"{where}: {exc}") from None
