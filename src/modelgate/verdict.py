"""What a gate decided: one :class:`CheckResult` a check, and the :class:`Verdict`.

Plain data with no logic beyond "did everything pass": checks produce results,
the runner collects them into a verdict, and :mod:`modelgate.report.render` renders
it (``str(verdict)`` is its terminal table). Nothing here imports a check or Metaflow.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .names import CHAMPION, TEST
from .report.render import verdict_table

INCONCLUSIVE = "inconclusive"  # a CheckResult's third outcome: the data could not decide

# How a plain quality test ended when it gave no verdict (a CheckResult's method).
UNFINISHED = ("error", "skipped", "xfailed", "xpassed", "unfinished")

if TYPE_CHECKING:
    from .decision import TagDecision


@dataclass(frozen=True)
class CheckResult:
    """What one check measured and decided. ``message`` is for people.

    ``inconclusive``: the data could not decide (too few rows or rows of a class, a
    degenerate resample...); ``reason`` says why (and, for an undefined statistic, what
    was undefined). ``passed`` is what the tag decision uses: an inconclusive check
    fails, unless ``on_inconclusive = "pass"`` let it pass (with a warning).
    :attr:`outcome` gives the three outcomes in one word.
    """

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
    inconclusive: bool = False
    reason: str | None = None
    slice: str | None = None  # the slice it was judged on ("length=short"), None: every row
    # The smallest true effect beyond the margin (or floor) that passes 80% of the time, at this n.
    mde: float | None = None
    # The weak-slice search: each confirmed slice (label, n, n_confirm, difference, bound, ...).
    findings: tuple[dict[str, Any], ...] = ()

    @property
    def outcome(self) -> str:
        """``"pass"``, ``"fail"`` or ``"inconclusive"`` (whether it passed or not, by
        ``on_inconclusive``); ``"error"`` for a plain quality test that ended without
        a verdict (:attr:`unfinished`)."""
        if self.inconclusive:
            return INCONCLUSIVE
        if self.unfinished:
            return "error"
        return "pass" if self.passed else "fail"

    @property
    def unfinished(self) -> bool:
        """A plain quality test that neither passed nor failed (``method`` says how it
        ended: error, skipped...): no verdict on the model, never reported as FAIL."""
        return self.group == TEST and self.method in UNFINISHED

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready, and the :attr:`outcome` (read back by :meth:`from_dict`
        from the fields)."""
        data = {k: _jsonable(v) for k, v in asdict(self).items()}
        data["outcome"] = self.outcome
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        known = {f for f in cls.__dataclass_fields__}
        fields = {k: v for k, v in data.items() if k in known}
        if "findings" in fields:  # a JSON array of objects: a tuple again
            fields["findings"] = tuple(_finding(f) for f in fields["findings"] or ())
        return cls(**fields)


def _finding(data: dict[str, Any]) -> dict[str, Any]:
    """A weak slice read back from JSON: the slices merged into it a tuple again, each one too."""
    if "merged" not in data:
        return data
    return {**data, "merged": tuple(_finding(m) for m in data["merged"] or ())}


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; None reads as "undefined"
    if isinstance(value, np.generic):
        return value.item()
    return value


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
    decision: TagDecision | None = None  # when a gate session decided the tag
    tag_line: str = ""
    evaluation: Any = field(default=None, repr=False, compare=False)  # for ROC curves; not serialised
    # Set when the session could not finish: the tags could not be read or written
    # (an outage, an interrupt) or a report could not be written. The record then
    # claims no verdict: status "error", passed null.
    error: str = ""
    champion_label: str = CHAMPION  # what the run compared as "champion" is: --gate-baseline-run names one

    @property
    def passed(self) -> bool:
        """Every check passed; in a gate session, also the tag decision said yes
        and the session finished (no :attr:`error`)."""
        checks_passed = bool(self.results) and all(r.passed for r in self.results)
        if self.error:
            return False
        if self.decision is not None:
            return checks_passed and self.decision.action == "apply"
        return checks_passed

    @property
    def claims_no_verdict(self) -> bool:
        """The session could not finish, or checks ended without a verdict and none failed:
        nothing was decided about the model (the terminal says ``ERROR, no verdict``)."""
        return bool(self.error) or (bool(self.errors) and not self.failures)

    @property
    def status(self) -> str:
        """``"pass"``, ``"fail"``, or ``"error"`` when no verdict was reached (the session could
        not finish, or a quality test errored and none failed)."""
        return "error" if self.claims_no_verdict else "pass" if self.passed else "fail"

    def passed_group(self, group: str) -> bool:
        results = [r for r in self.results if r.group == group]
        return bool(results) and all(r.passed for r in results)

    @property
    def failures(self) -> list[CheckResult]:
        """The checks the model failed (a failed check, assertion or ``pytest.fail``)."""
        return [r for r in self.results if not r.passed and not r.unfinished]

    @property
    def inconclusive(self) -> list[CheckResult]:
        """The checks whose data could not decide: failed (``on_inconclusive = "fail"``,
        also among :attr:`failures`) or passed with a warning (``"pass"``)."""
        return [r for r in self.results if r.inconclusive]

    @property
    def errors(self) -> list[CheckResult]:
        """The quality tests that ended without a verdict: errored, skipped, not run to the end."""
        return [r for r in self.results if not r.passed and r.unfinished]

    def summary(self) -> str:
        """The verdict as a fixed-width table: one row a check (each metric with its
        direction, ``roc_auc ↑`` or ``log_loss ↓``), a line explaining the arrows, the
        baselines' runs, then ``verdict: PASS`` or ``verdict: FAIL (...)``. The same
        table as ``str()``; what the terminal shows."""
        return verdict_table(self)

    def __str__(self) -> str:
        """``print(verdict)`` shows the table of :meth:`summary` (``repr()`` keeps the fields)."""
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "status": self.status,
            "passed": None if self.claims_no_verdict else self.passed,  # an error claims no verdict
            "error": self.error or None,
            "run": self.run,
            "champion": self.champion,
            "tag": None
            if decision is None
            else {
                "action": decision.action,
                "reason": decision.reason,
                "dry_run": decision.dry_run,
                "line": self.tag_line,
            },
            "inconclusive": [r.name for r in self.inconclusive],
            "results": [r.to_dict() for r in self.results],
        }
