"""What a failure-rate check reports: the rate over the drawn examples and one counterexample."""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass

# The one-sided confidence of a failure budget's bound: a model that truly fails at the
# budget passes at most 5% of the time.
BUDGET_CONFIDENCE = 0.95


def failure_upper_bound(n_failures: int, n_examples: int, confidence: float | None) -> float:
    """The one-sided upper confidence bound of the failure rate (exact, Clopper-Pearson);
    the observed rate itself with ``confidence=None``."""
    if n_examples < 1:
        return 1.0
    if confidence is None:
        return n_failures / n_examples
    if n_failures == 0:  # the exact bound in closed form (and no scipy import to build a config)
        return -math.expm1(math.log1p(-confidence) / n_examples)  # 1 - (1 - c)^(1/n), to full precision
    from ..stats.proportions import clopper_pearson

    return clopper_pearson(n_failures, n_examples, confidence, side="upper")


def within_budget(n_failures: int, n_examples: int, max_failure_rate: float, confidence: float | None) -> bool:
    """Whether a property's failures are within its budget.

    A positive budget is decided on the exact upper bound of the rate: it passes when
    the bound is below ``max_failure_rate``. A zero budget (or ``confidence=None``)
    is decided on the count itself: no failure (or a rate at most the budget), since
    no bound from a finite sample can show a rate of exactly 0.
    """
    if n_examples < 1:
        return False
    if max_failure_rate == 0 or confidence is None:
        return n_failures / n_examples <= max_failure_rate
    return failure_upper_bound(n_failures, n_examples, confidence) < max_failure_rate


def shown_text(text: str, limit: int = 100) -> str:
    # repr keeps whitespace perturbations (newline, tab, double space) visible.
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


@dataclass(frozen=True)
class Counterexample:
    """One failing example: the texts, their scores and what was changed."""

    original: str
    perturbed: str
    original_score: float
    perturbed_score: float
    kind: str  # perturbation kind ("case", "typo", ...) or "negative/positive sentence"
    change: str  # readable description of the change
    shrunk: bool  # True when Hypothesis minimised it


@dataclass(frozen=True)
class RateReport:
    """How often a property failed over drawn examples, CheckList style; truthy when within bound."""

    property: str
    n_examples: int
    n_failures: int
    max_failure_rate: float
    counterexample: Counterexample | None
    confidence: float | None = BUDGET_CONFIDENCE  # None: decided on the observed rate

    # builtins.property: in this class body mypy takes `property` for the str field above.
    @builtins.property
    def failure_rate(self) -> float:
        return self.n_failures / self.n_examples if self.n_examples else 0.0

    @builtins.property
    def upper_bound(self) -> float:
        """The one-sided upper confidence bound of the failure rate (the rate itself without one)."""
        return failure_upper_bound(self.n_failures, self.n_examples, self.confidence)

    @builtins.property
    def bounded(self) -> bool:
        """Whether the budget is decided on the bound (a positive budget with a confidence)."""
        return self.confidence is not None and self.max_failure_rate > 0

    @builtins.property
    def passed(self) -> bool:
        return within_budget(self.n_failures, self.n_examples, self.max_failure_rate, self.confidence)

    def __bool__(self) -> bool:
        return self.passed

    @builtins.property
    def message(self) -> str:
        if self.n_examples == 0:
            return f"{self.property}: FAIL, no example could be drawn (every perturbation left its text unchanged)"
        shown = f"{self.upper_bound:.1%}"
        if shown == f"{self.max_failure_rate:.1%}":  # 4.95% must not read as the budget it is below
            shown = f"{self.upper_bound:.3%}"
        bound = f"; {self.confidence:.0%} upper bound {shown}" if self.bounded else ""
        allowed = "allowed below" if self.bounded else "allowed"
        head = (
            f"{self.property}: {'ok' if self.passed else 'FAIL'}, failed on {self.n_failures} "
            f"of {self.n_examples} examples ({self.failure_rate:.1%}{bound}; {allowed} "
            f"{self.max_failure_rate:.1%})"
        )
        c = self.counterexample
        if c is None:
            return head
        which = "shrunk counterexample" if c.shrunk else "first failing example (not shrunk)"
        return (
            f"{head}\n  {which}: {c.change}\n"
            f"    original  score {c.original_score:.4f}: {shown_text(c.original, 200)}\n"
            f"    perturbed score {c.perturbed_score:.4f}: {shown_text(c.perturbed, 200)}"
        )
