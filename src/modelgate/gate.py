"""The gate as a library: run checks inside a flow step, or as pytest assertions.

:class:`Gate` evaluates an in-memory model on in-memory data and returns a
:class:`~modelgate.checks.Verdict` (no pytest needed). :class:`GateRecorder`
is what the ``gate`` fixture hands to a quality test: each call runs one
check, records its result on the test report (terminal table, JUnit XML) and
fails the test with a readable message when the check does not pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .checks import CheckResult, MarginCheck, PropertyCheck, Verdict, smoke_result
from .evaluation import Evaluation


class GateCheckFailed(AssertionError):
    """A quality check did not pass; the message says what was measured."""


def assert_check(check: MarginCheck, evaluation: Evaluation) -> CheckResult:
    """Evaluate a margin check; raise :class:`GateCheckFailed` unless it passes."""
    result = check.evaluate(evaluation)
    if not result.passed:
        raise GateCheckFailed(result.message)
    return result


def assert_beats(
    evaluation: Evaluation,
    metric: str,
    *,
    baseline: str = "majority",
    margin: float = 0.0,
    relative: bool = False,
    confidence: float | None = 0.95,
) -> CheckResult:
    """``assert_beats(ev, "roc_auc", margin=0.1)``: the candidate beats the baseline by the margin."""
    check = MarginCheck(metric, baseline=baseline, margin=margin, relative=relative, confidence=confidence)
    return assert_check(check, evaluation)


def assert_smoke(scorer, case) -> CheckResult:
    """Score one smoke case; raise :class:`GateCheckFailed` unless it lands on the expected side."""
    result = smoke_result(case, float(scorer([case.text])[0]))
    if not result.passed:
        raise GateCheckFailed(result.message)
    return result


def result_properties(result: CheckResult) -> list[tuple[str, Any]]:
    """Test-report properties: the full result as JSON, plus flat values for JUnit XML."""
    props: list[tuple[str, Any]] = [("modelgate_result", json.dumps(result.to_dict()))]
    for key in ("candidate_value", "baseline_value", "estimate", "lower", "p_value", "margin", "method"):
        value = getattr(result, key)
        if value is not None:
            props.append((f"modelgate_{key}", value))
    return props


class GateRecorder:
    """The ``gate`` fixture: checks against the session's evaluation, recorded."""

    def __init__(self, session, user_properties: list) -> None:
        self._session = session
        self._properties = user_properties

    @property
    def evaluation(self) -> Evaluation:
        return self._session.evaluation

    def _record(self, result: CheckResult) -> CheckResult:
        __tracebackhide__ = True
        self._properties.extend(result_properties(result))
        if not result.passed:
            raise GateCheckFailed(result.message)
        return result

    def check(self, check: MarginCheck) -> CheckResult:
        __tracebackhide__ = True
        return self._record(check.evaluate(self._session.evaluation))

    def beats(self, metric: str, **kwargs) -> CheckResult:
        __tracebackhide__ = True
        return self.check(MarginCheck(metric, **kwargs))

    def smoke(self, case) -> CheckResult:
        __tracebackhide__ = True
        score = float(self._session.scorer([case.text])[0])
        return self._record(smoke_result(case, score))

    def property(self, prop: PropertyCheck) -> CheckResult:
        """A behavioural property on the validation texts."""
        __tracebackhide__ = True
        return self._record(prop.evaluate(self._session.scorer, self._session.rows[0]))

    def invariance(self, **kwargs) -> CheckResult:
        """``gate.invariance(n_examples=200, max_failure_rate=0.05)``: see :class:`PropertyCheck`."""
        __tracebackhide__ = True
        return self.property(PropertyCheck("invariance", **kwargs))

    def directional(self, **kwargs) -> CheckResult:
        """``gate.directional(direction="negative", sentences=[...])``: see :class:`PropertyCheck`."""
        __tracebackhide__ = True
        return self.property(PropertyCheck("directional", **kwargs))


@dataclass
class Gate:
    """A gate for use inside a flow step (or any Python code).

    Build it in code, or from the same ``[tool.modelgate]`` table the pytest
    plugin reads (checks, smoke cases, properties), then evaluate an in-memory
    model on in-memory data::

        gate = Gate.from_config("pyproject.toml")
        verdict = gate.evaluate(self.model_dict, self.val_df, run=f"{current.flow_name}/{current.run_id}")
        if verdict.passed:
            tag_current_run(current)

    With ``run`` given, checks against ``"champion"`` compare with the newest
    other successful run of that flow carrying the gate's tag.
    """

    checks: Sequence[MarginCheck] = ()
    smoke_cases: Sequence[Any] = ()
    properties: Sequence[PropertyCheck] = ()
    text_column: str = "review"
    label_column: str = "labels"
    tag: str = "deployment_candidate"
    model_artifact: str = "model_dict"
    require_champion: bool = False

    def __post_init__(self) -> None:
        from .config import validate_tag

        # The same tag rule as every other front end, before any check runs.
        validate_tag(self.tag, "Gate(tag=...)")

    @classmethod
    def from_config(cls, path) -> "Gate":
        """The gate declared in the ``[tool.modelgate]`` table of the TOML file ``path``.

        Reads the same table as the pytest plugin: ``checks``, ``properties``,
        ``smoke_cases`` (loaded now), ``text_column``, ``label_column``, ``tag``,
        ``model_artifact`` and ``require_champion``; ``data_artifact`` is not used
        here, since :meth:`evaluate` gets the data itself. Command-line options and
        ``modelgate_*`` ini keys do not apply. A relative ``path`` is resolved from
        the current working directory (inside a flow, prefer
        ``Path(__file__).resolve().parent / "pyproject.toml"``); a relative
        ``smoke_cases`` path is relative to the TOML file's folder. A file without
        the table gives a gate with no checks, whose verdict fails.

        Raises :class:`~modelgate.errors.GateUsageError` (one line, naming the key)
        for a missing or invalid file, unknown keys, bad values and refused checks
        (such as ``log_loss`` vs ``majority``), and
        :class:`~modelgate.smoke.SmokeCaseFileError` (naming the file and line) for
        a bad smoke-case file.
        """
        from .config import load_config
        from .smoke import load_smoke_cases

        config = load_config(path)
        s = config.settings
        return cls(
            checks=config.checks,
            properties=config.properties,
            smoke_cases=load_smoke_cases(config.smoke_cases) if config.smoke_cases else (),
            text_column=s.text_column,
            label_column=s.label_column,
            tag=s.tag,
            model_artifact=s.model_artifact,
            require_champion=config.require_champion,
        )

    def evaluate(self, model, data, *, run: str | None = None) -> Verdict:
        """Score ``model`` on ``data`` once and run every check and smoke case."""
        from .evaluation import evaluate, validation_rows
        from .scorers import as_scorer

        scorer = as_scorer(model)
        texts, labels = validation_rows(data, self.text_column, self.label_column)
        baselines, absent, runs_by_name, champion = self._baselines(run)
        evaluation = evaluate(
            scorer, texts, labels, baselines,
            absent=absent, require_baselines=self.require_champion, baseline_runs=runs_by_name,
        )
        # The order of the pytest plugin's items: checks, properties, smoke cases.
        results = [check.evaluate(evaluation) for check in self.checks]
        results += [prop.evaluate(scorer, texts) for prop in self.properties]
        if self.smoke_cases:
            scores = scorer([case.text for case in self.smoke_cases])
            results += [smoke_result(c, float(s)) for c, s in zip(self.smoke_cases, scores)]
        return Verdict(results=results, run=run, champion=champion, evaluation=evaluation)

    def _baselines(self, run: str | None):
        """Lazy scorers for the run baselines the checks name (champion, Flow/run_id)."""
        from . import runs
        from .session import run_baseline_scorers

        wanted = {c.baseline for c in self.checks} - {runs.MAJORITY}
        found: dict[str, str] = {}
        absent: dict[str, str] = {}
        champion = None
        if runs.CHAMPION in wanted:  # looked up only when a check compares with it
            champion, reason = runs.resolve_champion(run, self.tag)
            if champion:
                found[runs.CHAMPION] = champion
            else:
                absent[runs.CHAMPION] = reason
        for name in sorted(wanted - {runs.CHAMPION}):
            found[name] = runs.resolve_named_baseline(name, run)
        # Models are loaded when a check scores them; errors name the champion or baseline run.
        return run_baseline_scorers(found, self.model_artifact), absent, found, champion
