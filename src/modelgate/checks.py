"""Checks: one protocol for every kind, and the registry config parsing reads.

A check is an object with a ``name``, a ``kind`` and ``evaluate(evidence) ->
CheckResult``; the evidence is one :class:`~modelgate.evaluation.Evaluation`
(task, labels, inputs, the candidate's scorer and scores, baselines computed
lazily). Both front ends run the same checks through
:mod:`modelgate.runner`. Kinds today: margin (this module), property
(:mod:`modelgate.properties`) and smoke (one smoke case). Each kind is
registered once in :data:`CHECK_KINDS` with the config table it is declared
in, the keys that table allows, its parser, and the prefix of its test items.

The margin rule is DESIGN section 3:

- quantity ``d = c - b`` for a higher-is-better metric, ``d = b - c`` for a
  lower-is-better one; with ``relative=True`` the quantity is ``d / b``;
- a check passes when the one-sided lower confidence bound of the quantity is
  strictly above the margin (``confidence=None``: the point estimate is);
- anything undefined (NaN, a relative margin on a zero baseline) fails, with
  the reason in the message.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from . import tables
from .errors import GateUsageError
from .evaluation import Evaluation
from .metrics import METRICS, check_metric_fits, get_metric, predicted_labels
from .names import BASELINE, BINARY, CANDIDATE, MAJORITY, SMOKE
from .properties import PropertyCheck, parse_property, property_result
from .registry import Registry
from .verdict import CheckResult, Verdict

if TYPE_CHECKING:
    from . import stats
    from .smoke import SmokeCase, SmokeRow

__all__ = [
    "CHECK_KINDS", "Check", "CheckKind", "CheckResult", "MarginCheck", "PropertyCheck", "SmokeCheck",
    "Verdict", "parse_margin", "property_result", "register_check_kind", "smoke_result",
]

# "paired-loss": the paired per-row loss differences of a metric with a row_loss (log_loss, brier, mae),
# normal bound; "delta": the delta-method normal bound of a metric with an influence function (rmse, r2).
METHODS = ("auto", "delong", "bootstrap", "mcnemar", "paired-loss", "delta")


class Check(Protocol):
    """What every kind of check is: a name (its test item's), its kind (a key of
    :data:`CHECK_KINDS`), and an evaluation of the evidence."""

    check_kind: ClassVar[str]

    @property
    def name(self) -> str: ...

    def prepare(self, evidence: Evaluation) -> None:
        """Compute what :meth:`evaluate` reads (a baseline's scores), so that a
        failure to get it happens before the check (an error, not a verdict)."""

    def evaluate(self, evidence: Evaluation) -> CheckResult: ...


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
        if self.baseline == CANDIDATE:
            raise ValueError("a check compares the candidate with a baseline, not with itself")
        if not self.name:
            kind = "relative" if self.relative else "margin"
            object.__setattr__(
                self, "name", f"{self.metric}-vs-{self.baseline}-{kind}{self.margin:+g}"
            )
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

    def bound(self, evaluation: Evaluation) -> "stats.DifferenceBound":
        """The statistic the rule decides on."""
        from . import stats  # scipy: imported when a check first runs

        metric = get_metric(self.metric)
        task = evaluation.task
        check_metric_fits(self.metric, task)  # GateUsageError: an error, not a verdict
        y = evaluation.labels
        c = evaluation.scores(CANDIDATE)
        b = evaluation.scores(self.baseline)
        # A relative margin on a zero baseline is undefined: stats says so, and it fails.
        common: dict[str, Any] = dict(margin=self.margin, confidence=self.confidence, relative=self.relative)
        method = metric.method if self.method == "auto" else self.method
        if method == "delong":
            return stats.delong_auc_difference(y, c, b, **common)
        if method == "mcnemar":
            if not (np.all(np.isfinite(c)) and np.all(np.isfinite(b))):  # a NaN score has no label
                # (multiclass: the arg max of each row; binary: the score above 0.5)
                return stats.DifferenceBound(
                    estimate=math.nan, lower=math.nan, p_value=math.nan, method="exact McNemar",
                    confidence=self.confidence, n=len(y), candidate=math.nan, baseline=math.nan,
                    reason="a score is NaN or infinite, so its predicted label is undefined",
                )
            return stats.accuracy_difference(y, predicted_labels(c), predicted_labels(b), **common)
        if method == "paired-loss":
            # A mean of per-row losses: the bound comes from the paired per-row loss
            # differences, with no metric call per resample ("bootstrap" keeps the generic path).
            if metric.row_loss is None:  # Metric refuses method "paired-loss" without a row_loss
                raise ValueError(f"method 'paired-loss' needs a metric with a per-row loss, not {self.metric}")
            return stats.paired_loss_difference(
                metric.row_loss(y, c),
                metric.row_loss(y, b),
                method="normal",
                n_resamples=self.n_resamples,
                seed=self.seed,
                **common,
            )
        if method == "delta":
            if metric.influence is None:  # Metric refuses method "delta" without an influence function
                raise ValueError(f"method 'delta' needs a metric with an influence function, not {self.metric}")
            value_c, influence_c = metric.influence(y, c)
            value_b, influence_b = metric.influence(y, b)
            return stats.delta_difference(
                value_c, influence_c, value_b, influence_b, higher_is_better=metric.higher_is_better, **common
            )
        if task != BINARY:
            # Vectorised by name where stats has the metric's resampled form, else one call a resample.
            named = self.metric in stats.TASK_BOOTSTRAP_METRICS.get(task, ())
            return stats.task_bootstrap_difference(
                self.metric if named else metric.function,
                task,
                y,
                c,
                b,
                higher_is_better=metric.higher_is_better,
                n_resamples=self.n_resamples,
                seed=self.seed,
                **common,
            )
        return stats.paired_bootstrap_difference(
            "roc_auc" if self.metric == "roc_auc" else metric.function,
            y,
            c,
            b,
            higher_is_better=metric.higher_is_better,
            n_resamples=self.n_resamples,
            seed=self.seed,
            **common,
        )

    def prepare(self, evidence: Evaluation) -> None:
        check_metric_fits(self.metric, evidence.task)
        if self.baseline not in evidence.absent:
            evidence.scores(self.baseline)

    def evaluate(self, evaluation: Evaluation) -> CheckResult:
        baseline_run = evaluation.baseline_runs.get(self.baseline)
        if self.baseline in evaluation.absent:
            return self._absent(evaluation)
        bound = self.bound(evaluation)
        passed = bool(bound.defined and bound.lower > self.margin)
        return CheckResult(
            name=self.name,
            group=BASELINE,
            passed=passed,
            message=self._message(bound, passed, baseline_run),
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

    def _message(self, bound: "stats.DifferenceBound", passed: bool, baseline_run: str | None) -> str:
        quantity = "relative difference" if self.relative else "difference"
        who = f"{self.baseline} ({baseline_run})" if baseline_run else self.baseline
        head = (
            f"{self.metric}: candidate {_fmt(bound.candidate)} vs {who} "
            f"{_fmt(bound.baseline)} on {bound.n} rows"
        )
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




@dataclass(frozen=True)
class SmokeCheck:
    """One smoke case as a check: the candidate must give its input the expected answer
    (a text or a row; a class on the expected side, or a value in range: :mod:`modelgate.smoke`)."""

    check_kind: ClassVar[str] = "smoke"

    case: SmokeCase | SmokeRow

    @property
    def name(self) -> str:
        return self.case.name

    def __str__(self) -> str:
        return self.name

    def prepare(self, evidence: Evaluation) -> None:
        from .smoke import check_cases

        check_cases([self.case], evidence)  # a case that does not fit the model: an error, not a verdict

    def evaluate(self, evidence: Evaluation) -> CheckResult:
        from .smoke import smoke_inputs

        output = evidence.candidate_scorer(smoke_inputs([self.case], evidence))  # the scorer caches the runner's batch
        return smoke_result(self.case, np.asarray(output)[0], evidence)


def smoke_result(case: SmokeCase | SmokeRow, output: Any, evidence: Evaluation | None = None) -> CheckResult:
    """The result of one smoke case, given the model's output for it (a score, a row of
    class probabilities or a value); ``evidence`` gives the task and classes (None: binary)."""
    from .smoke import judge

    judged = judge(case, output, evidence)
    return CheckResult(
        name=case.name,
        group=SMOKE,
        passed=judged.passed,
        message=judged.message,
        candidate_value=judged.value,
        margin=judged.threshold,
        n=1,
    )


# -- the registry of check kinds -----------------------------------------------
MARGIN_KEYS = frozenset({"metric", "baseline", "margin", "relative", "confidence", "method", "n_resamples", "seed", "name"})


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


@dataclass(frozen=True)
class CheckKind:
    """One kind of check: where a config declares it and how its tables are read."""

    name: str
    table: str | None  # the [tool.modelgate] key holding an array of its tables (None: not declared in a table)
    keys: frozenset[str]  # the keys its tables allow
    parse: Callable[[Mapping[str, Any], str, bool], Check] | None  # (table, where, strict) -> check
    item_prefix: str  # its pytest items are "<prefix><check name>"
    label: str  # what a person calls one: "check", "property", "smoke case"
    # Kinds may share a table: an entry goes to the kind whose claims(entry) is true,
    # else to the table's kind without claims (its default; margin for "checks").
    claims: Callable[[Mapping[str, Any]], bool] | None = None


CHECK_KINDS: Registry[CheckKind] = Registry("check kind")
register_check_kind = CHECK_KINDS.register


def kind_for_entry(table: str, entry: Any) -> CheckKind:
    """The kind that reads one entry of the ``[tool.modelgate]`` array ``table``: the first
    kind of that table (in registry order) that claims it, else the table's default kind."""
    kinds = [k for k in CHECK_KINDS.values() if k.table == table and k.parse is not None]
    claimed = next((k for k in kinds if k.claims is not None and isinstance(entry, Mapping) and k.claims(entry)), None)
    default = next((k for k in kinds if k.claims is None), None)
    chosen = claimed or default or (kinds[0] if kinds else None)
    if chosen is None:
        raise GateUsageError(f"no check kind is declared in [tool.modelgate].{table}")
    return chosen


from .floors import FLOOR_KEYS, is_floor_table, parse_floor  # noqa: E402  (floors needs nothing from here)

# The order here is the order checks run in, in both front ends.
register_check_kind(CheckKind("margin", "checks", MARGIN_KEYS, parse_margin, "modelgate::", "check"))
register_check_kind(CheckKind("floor", "checks", FLOOR_KEYS, parse_floor, "modelgate::", "floor", claims=is_floor_table))
register_check_kind(
    CheckKind("property", "properties", PropertyCheck.keys(), parse_property, "modelgate::property::", "property")
)
register_check_kind(CheckKind("smoke", None, frozenset(), None, "modelgate::smoke::", "smoke case"))  # from a file
