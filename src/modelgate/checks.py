"""Checks, their results and the verdict: the decision layer.

One definition of each check serves both front ends (the pytest plugin and the
in-flow :class:`~modelgate.gate.Gate`). The margin rule is DESIGN section 3:

- quantity ``d = c - b`` for a higher-is-better metric, ``d = b - c`` for a
  lower-is-better one; with ``relative=True`` the quantity is ``d / b``;
- a check passes when the one-sided lower confidence bound of the quantity is
  strictly above the margin (``confidence=None``: the point estimate is);
- anything undefined (NaN) fails, with the reason in the message.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .evaluation import CANDIDATE, MAJORITY, Evaluation
from .metrics import get_metric, predicted_labels

if TYPE_CHECKING:
    from . import stats

METHODS = ("auto", "delong", "bootstrap", "mcnemar")


@dataclass(frozen=True)
class CheckResult:
    """What one check measured and decided. ``message`` is for people."""

    name: str
    group: str  # "baseline", "smoke" or "property"
    passed: bool
    message: str
    metric: str | None = None
    baseline: str | None = None
    candidate_value: float | None = None
    baseline_value: float | None = None
    estimate: float | None = None
    lower: float | None = None
    p_value: float | None = None
    margin: float | None = None
    relative: bool = False
    confidence: float | None = None
    method: str | None = None
    n: int | None = None
    baseline_run: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckResult":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; None reads as "undefined"
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "undefined"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


@dataclass(frozen=True)
class MarginCheck:
    """Candidate vs a baseline on one metric, with a margin and a confidence bound.

    ``margin`` may be negative (non-inferiority: "loses at most |margin|").
    ``confidence=None`` decides on the point estimate only. ``method="auto"``
    uses DeLong for ROC AUC, the paired accuracy interval (exact McNemar when
    the margin is 0) for accuracy, and the paired bootstrap otherwise.
    """

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
        get_metric(self.metric)  # unknown metric: ValueError naming the known ones
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; use one of {', '.join(METHODS)}")
        if self.method == "delong" and self.metric != "roc_auc":
            raise ValueError("method 'delong' applies to roc_auc only")
        if self.method == "mcnemar" and self.metric != "accuracy":
            raise ValueError("method 'mcnemar' applies to accuracy only")
        if self.confidence is not None and not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be in [0.5, 1) or None, not {self.confidence!r}")
        if not math.isfinite(self.margin):
            raise ValueError(f"margin must be a finite number, not {self.margin!r}")
        if self.baseline == CANDIDATE:
            raise ValueError("a check compares the candidate with a baseline, not with itself")
        if self.baseline == MAJORITY and self.metric in ("log_loss", "brier"):
            # Until the majority baseline is a class prior: its hard 0/1 scores have the worst
            # log loss / Brier score there is, so any model, even a no-skill one, beats it.
            raise ValueError(
                f"{self.metric} vs majority is refused: the majority baseline scores a hard 0/1, "
                "so probability metrics against it cannot fail; compare with champion or a run, "
                "or use roc_auc/accuracy"
            )
        if not self.name:
            kind = "relative" if self.relative else "margin"
            object.__setattr__(
                self, "name", f"{self.metric}-vs-{self.baseline}-{kind}{self.margin:+g}"
            )

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
        y = evaluation.labels
        c = evaluation.scores(CANDIDATE)
        b = evaluation.scores(self.baseline)
        if self.relative:
            base_value = metric(y, b)
            if base_value == 0:
                raise ValueError(
                    f"{self.name}: a relative margin needs a non-zero baseline, "
                    f"but {self.baseline}'s {self.metric} is 0; use an absolute margin"
                )
        common = dict(margin=self.margin, confidence=self.confidence, relative=self.relative)
        method = self.method
        if method == "auto":
            method = {"roc_auc": "delong", "accuracy": "mcnemar"}.get(self.metric, "bootstrap")
        if method == "delong":
            return stats.delong_auc_difference(y, c, b, **common)
        if method == "mcnemar":
            return stats.accuracy_difference(y, predicted_labels(c), predicted_labels(b), **common)
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

    def evaluate(self, evaluation: Evaluation) -> CheckResult:
        baseline_run = evaluation.baseline_runs.get(self.baseline)
        if self.baseline in evaluation.absent:
            return self._absent(evaluation)
        bound = self.bound(evaluation)
        passed = bool(bound.defined and bound.lower > self.margin)
        return CheckResult(
            name=self.name,
            group="baseline",
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
            "passes by default (require it with --require-champion)"
            if passed
            else "fails: a baseline is required (--require-champion)"
        )
        return CheckResult(
            name=self.name,
            group="baseline",
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
class PropertyCheck:
    """A CheckList-style behavioural property with a failure budget.

    ``kind="invariance"``: the predicted label survives typos, case,
    punctuation, whitespace and filler sentences (``perturbations`` picks
    which; ``tolerance`` bounds the score change instead). ``kind="directional"``:
    appending a ``direction`` sentence ("negative": must not raise the score;
    "positive": must not lower it) from ``sentences``. The property may fail on
    at most ``max_failure_rate`` of ``n_examples`` examples drawn from the
    validation texts; the report names a counterexample Hypothesis shrank.
    """

    kind: str
    n_examples: int = 200
    max_failure_rate: float = 0.05
    direction: str = "negative"
    sentences: tuple[str, ...] | None = None  # None: behaviour's default sentences
    perturbations: tuple[str, ...] | None = None  # None: every perturbation kind
    tolerance: float | None = None
    seed: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        from .behaviour import PERTURBATION_KINDS

        if self.kind not in ("invariance", "directional"):
            raise ValueError(f"unknown property kind {self.kind!r}; use 'invariance' or 'directional'")
        if self.direction not in ("negative", "positive"):
            raise ValueError(f"direction must be 'negative' or 'positive', not {self.direction!r}")
        if not 0 <= self.max_failure_rate < 1:
            raise ValueError(f"max_failure_rate must be in [0, 1), not {self.max_failure_rate!r}")
        if self.n_examples < 1:
            raise ValueError(f"n_examples must be at least 1, not {self.n_examples!r}")
        if self.tolerance is not None and (
            isinstance(self.tolerance, bool) or not isinstance(self.tolerance, (int, float))
            or not math.isfinite(self.tolerance) or self.tolerance < 0
        ):
            raise ValueError(f"tolerance must be a finite number >= 0, not {self.tolerance!r}")
        # Given means given: an empty list is a mistake, not "use the defaults" (that is None).
        for key in ("sentences", "perturbations"):
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, str):
                raise ValueError(f"{key} must be a list of strings, not the string {value!r}")
            value = tuple(value)
            if not value:
                raise ValueError(f"{key} must not be empty (leave it out for the defaults)")
            if not all(isinstance(v, str) and v.strip() for v in value):
                raise ValueError(f"{key} must be non-empty strings, not {list(value)!r}")
            object.__setattr__(self, key, value)
        unknown = sorted(set(self.perturbations or ()) - set(PERTURBATION_KINDS))
        if unknown:
            raise ValueError(f"unknown perturbation {unknown[0]!r}; choose from {', '.join(PERTURBATION_KINDS)}")
        if not self.name:
            name = "invariance" if self.kind == "invariance" else f"directional-{self.direction}"
            object.__setattr__(self, "name", name)

    def __str__(self) -> str:
        return self.name

    def evaluate(self, scorer, texts) -> CheckResult:
        from . import behaviour

        common = dict(n_examples=self.n_examples, max_failure_rate=self.max_failure_rate, seed=self.seed)
        if self.kind == "invariance":
            report = behaviour.check_invariance_rate(
                scorer, texts, tolerance=self.tolerance, kinds=self.perturbations or None, **common
            )
        else:
            extra = {} if self.tolerance is None else {"tolerance": self.tolerance}
            report = behaviour.check_directional_rate(
                scorer, texts, direction=self.direction, sentences=self.sentences or None, **extra, **common
            )
        return property_result(report, self.name)


def property_result(report, name: str | None = None) -> CheckResult:
    """A behavioural property's :class:`~modelgate.behaviour.RateReport` as a CheckResult."""
    return CheckResult(
        name=name or report.property,
        group="property",
        passed=report.passed,
        message=report.message,
        candidate_value=report.failure_rate,
        margin=report.max_failure_rate,
        n=report.n_examples,
        method="failure rate",
    )


def smoke_result(case, score: float) -> CheckResult:
    """The result of one smoke case (a :class:`modelgate.smoke.SmokeCase`)."""
    passed = case.passes(score)
    message = (
        f"smoke {case.name}: score {score:.3f} is on the expected side of {case.threshold}"
        if passed
        else case.failure_message(score)
    )
    return CheckResult(
        name=case.name,
        group="smoke",
        passed=passed,
        message=message,
        candidate_value=float(score),
        margin=case.threshold,
        n=1,
    )


@dataclass
class Verdict:
    """All results of one gate evaluation. It passes only when every check passed.

    ``print(verdict)`` (``str()``) and :meth:`summary` give the table the terminal
    shows; ``modelgate.report`` renders JSON (:func:`~modelgate.report.verdict_json`)
    and escaped Markdown (:func:`~modelgate.report.verdict_markdown`).
    """

    results: list[CheckResult] = field(default_factory=list)
    run: str | None = None
    champion: str | None = None
    decision: Any = None  # a modelgate.decision.TagDecision, when a session decided
    tag_line: str = ""
    evaluation: Any = field(default=None, repr=False, compare=False)  # for ROC curves; not serialised
    champion_label: str = "champion"  # what the run compared as "champion" is: --baseline-run names one

    @property
    def passed(self) -> bool:
        """Every check passed; in a gate session, also the tag decision said yes."""
        checks_passed = bool(self.results) and all(r.passed for r in self.results)
        if self.decision is not None:
            return checks_passed and self.decision.action == "apply"
        return checks_passed

    def passed_group(self, group: str) -> bool:
        results = [r for r in self.results if r.group == group]
        return bool(results) and all(r.passed for r in results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    def summary(self) -> str:
        """The verdict as a fixed-width table: one row a check, the baselines' runs,
        then ``verdict: PASS`` or ``verdict: FAIL (...)``. The same table as ``str()``;
        what the terminal shows."""
        from .report import verdict_table

        return verdict_table(self)

    def __str__(self) -> str:
        """``print(verdict)`` shows the table of :meth:`summary` (``repr()`` keeps the fields)."""
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "passed": self.passed,
            "run": self.run,
            "champion": self.champion,
            "tag": None
            if decision is None
            else {"action": decision.action, "reason": decision.reason, "dry_run": decision.dry_run, "line": self.tag_line},
            "results": [r.to_dict() for r in self.results],
        }
