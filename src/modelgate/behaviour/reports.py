"""What a failure-rate check reports: the rate over the drawn examples and one counterexample."""

from __future__ import annotations

import builtins
from dataclasses import dataclass


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

    # builtins.property: in this class body mypy takes `property` for the str field above.
    @builtins.property
    def failure_rate(self) -> float:
        return self.n_failures / self.n_examples if self.n_examples else 0.0

    @builtins.property
    def passed(self) -> bool:
        return self.n_examples > 0 and self.failure_rate <= self.max_failure_rate

    def __bool__(self) -> bool:
        return self.passed

    @builtins.property
    def message(self) -> str:
        if self.n_examples == 0:
            return f"{self.property}: FAIL, no example could be drawn (every perturbation left its text unchanged)"
        head = (
            f"{self.property}: {'ok' if self.passed else 'FAIL'}, failed on {self.n_failures} "
            f"of {self.n_examples} examples ({self.failure_rate:.1%}; allowed "
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
