"""pytest-side helpers: the ``gate`` fixture's recorder and the result properties.

Each call of a :class:`GateRecorder` method runs one check on the session's
evidence, records its result on the test report (the session's verdict table,
JSON and Markdown reports, JUnit XML properties) and fails the test with a
readable message when the check does not pass.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import GateCheckFailed
from .names import RESULT_PROPERTY

if TYPE_CHECKING:
    from .checks import Check
    from .evidence.evaluation import Evaluation
    from .session import GateSession
    from .smoke import AnyCase
    from .verdict import CheckResult

_FLAT = ("candidate_value", "baseline_value", "estimate", "lower", "p_value", "margin", "method")


def result_properties(result: CheckResult) -> list[tuple[str, Any]]:
    """Test-report properties: the full result as JSON, plus flat values for JUnit XML."""
    props: list[tuple[str, Any]] = [(RESULT_PROPERTY, json.dumps(result.to_dict()))]
    for key in _FLAT:
        value = getattr(result, key)
        if value is not None:
            props.append((f"modelgate_{key}", value))
    return props


class GateRecorder:
    """The ``gate`` fixture: checks against the session's evidence, recorded."""

    def __init__(self, session: GateSession, user_properties: list[tuple[str, object]]) -> None:
        self._session = session
        self._properties = user_properties

    @property
    def evaluation(self) -> Evaluation:
        return self._session.evaluation

    def record(self, result: CheckResult) -> CheckResult:
        """Record a result; raise :class:`GateCheckFailed` unless it passed."""
        __tracebackhide__ = True
        self._properties.extend(result_properties(result))
        if not result.passed:
            raise GateCheckFailed(result.message)
        return result

    def check(self, check: Check) -> CheckResult:
        """Any check (margin, property, smoke case) on the session's evidence."""
        __tracebackhide__ = True
        return self.record(check.evaluate(self._session.evaluation))

    def beats(self, metric: str, **kwargs: Any) -> CheckResult:
        """``gate.beats("roc_auc", margin=0.1)``: see :class:`~modelgate.checks.MarginCheck`."""
        __tracebackhide__ = True
        from .checks import MarginCheck

        return self.check(MarginCheck(metric, **kwargs))

    def smoke(self, case: AnyCase) -> CheckResult:
        """One smoke case: the candidate must score its text on the expected side."""
        __tracebackhide__ = True
        from .checks import SmokeCheck

        return self.check(SmokeCheck(case))

    def property(self, prop: Check) -> CheckResult:
        """A behavioural property on the validation texts."""
        __tracebackhide__ = True
        return self.check(prop)

    def invariance(self, **kwargs: Any) -> CheckResult:
        """``gate.invariance(n_examples=200, max_failure_rate=0.05)``: see :class:`~modelgate.properties.PropertyCheck`."""
        __tracebackhide__ = True
        from .checks.properties import PropertyCheck

        return self.check(PropertyCheck("invariance", **kwargs))

    def directional(self, **kwargs: Any) -> CheckResult:
        """``gate.directional(direction="negative", sentences=[...])``: see :class:`~modelgate.properties.PropertyCheck`."""
        __tracebackhide__ = True
        from .checks.properties import PropertyCheck

        return self.check(PropertyCheck("directional", **kwargs))
