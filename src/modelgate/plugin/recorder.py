"""The ``gate`` fixture of hand-written quality tests: the one assertion API.

:meth:`GateRecorder.check` runs one check through the session's
:class:`~modelgate.runner.GateRunner` (the path the configured test items and
the in-flow gate take), records its result on the test report (the verdict
table, the JSON and Markdown reports, JUnit XML properties) and fails the test
with :class:`~modelgate.errors.GateCheckFailed` (an ``AssertionError``) unless
the check passed. ``beats``, ``smoke``, ``invariance`` and ``directional``
build the check and call it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import GateCheckFailed
from ..names import RESULT_PROPERTY

if TYPE_CHECKING:
    from ..checks import Check
    from ..evidence.evaluation import Evaluation
    from ..smoke import AnyCase
    from ..verdict import CheckResult
    from .session import GateSession

_FLAT = ("outcome", "candidate_value", "baseline_value", "estimate", "lower", "p_value", "margin", "method", "reason")


def result_properties(result: CheckResult) -> list[tuple[str, Any]]:
    """Test-report properties: the full result as JSON, plus flat values for JUnit XML
    (``modelgate_outcome``: pass, fail or inconclusive; ``modelgate_reason`` when the
    statistic was undefined or inconclusive)."""
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

    def check(self, check: Check) -> CheckResult:
        """Any check (margin, floor, property, smoke case) on the session's evidence:
        its result is recorded; :class:`GateCheckFailed` unless it passed."""
        __tracebackhide__ = True
        if (
            isinstance(check, type)
            or not hasattr(check, "check_kind")
            or not callable(getattr(check, "evaluate", None))
        ):
            from ..errors import GateUsageError

            raise GateUsageError(  # an error of the test (no verdict), said in one line
                "gate.check() takes a check (MarginCheck, FloorCheck, PropertyCheck, SmokeCheck; "
                f"gate.beats(...) for a metric), not {check!r}"
            )
        session = self._session
        result = session.runner.run_check(check, session.evaluation)
        self._properties.extend(result_properties(result))
        if not result.passed:
            raise GateCheckFailed(result.message)
        return result

    def beats(self, metric: str, **kwargs: Any) -> CheckResult:
        """``gate.beats("roc_auc", margin=0.1)``: see :class:`~modelgate.checks.MarginCheck`."""
        __tracebackhide__ = True
        from ..checks import MarginCheck

        return self.check(MarginCheck(metric, **kwargs))

    def smoke(self, case: AnyCase) -> CheckResult:
        """One smoke case: the candidate must give its input the expected answer."""
        __tracebackhide__ = True
        from ..checks import SmokeCheck

        return self.check(SmokeCheck(case))

    def invariance(self, **kwargs: Any) -> CheckResult:
        """``gate.invariance(n_examples=200, max_failure_rate=0.05)``: see :class:`~modelgate.checks.properties.PropertyCheck`."""
        __tracebackhide__ = True
        from ..checks.properties import PropertyCheck

        return self.check(PropertyCheck("invariance", **kwargs))

    def directional(self, **kwargs: Any) -> CheckResult:
        """``gate.directional(direction="negative", sentences=[...])``: see :class:`~modelgate.checks.properties.PropertyCheck`."""
        __tracebackhide__ = True
        from ..checks.properties import PropertyCheck

        return self.check(PropertyCheck("directional", **kwargs))
