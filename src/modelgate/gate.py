"""The gate as a library: run the checks inside a flow step, or in any Python code.

:class:`Gate` evaluates an in-memory model on in-memory data through the same
:class:`~modelgate.runner.GateRunner` the pytest plugin uses, and returns a
:class:`~modelgate.verdict.Verdict` (no pytest needed). ``assert_*`` raise
:class:`GateCheckFailed` (an ``AssertionError``) with a readable message.
"""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .checks import MarginCheck, PropertyCheck, smoke_result
from .config import ClassValue, GateConfig, GateSettings, by_kind, class_value, feature_list, validate_tag, validate_task
from .errors import GateCheckFailed
from .names import ALL_FEATURES, MAJORITY
from .runner import GateRunner

if TYPE_CHECKING:
    from .checks import Check
    from .evaluation import Evaluation, Scorer
    from .smoke import AnyCase
    from .verdict import CheckResult, Verdict

__all__ = ["Gate", "GateCheckFailed", "GateRecorder", "assert_beats", "assert_check", "assert_smoke"]

_DEFAULTS = GateSettings()


def assert_check(check: Check, evaluation: Evaluation) -> CheckResult:
    """Evaluate a check; raise :class:`GateCheckFailed` unless it passes."""
    result = check.evaluate(evaluation)
    if not result.passed:
        raise GateCheckFailed(result.message)
    return result


def assert_beats(
    evaluation: Evaluation,
    metric: str,
    *,
    baseline: str = MAJORITY,
    margin: float = 0.0,
    relative: bool = False,
    confidence: float | None = 0.95,
) -> CheckResult:
    """``assert_beats(ev, "roc_auc", margin=0.1)``: the candidate beats the baseline by the margin."""
    check = MarginCheck(metric, baseline=baseline, margin=margin, relative=relative, confidence=confidence)
    return assert_check(check, evaluation)


def assert_smoke(scorer: Scorer, case: AnyCase, evidence: Evaluation | None = None) -> CheckResult:
    """Score one smoke case; raise :class:`GateCheckFailed` unless the model's output
    meets it. A row case (feature columns, multiclass, regression) needs the
    ``evidence`` it is judged in (its task, classes and feature columns)."""
    if evidence is None:
        result = smoke_result(case, float(scorer([case.text])[0]))
    else:
        from .smoke import smoke_inputs

        result = smoke_result(case, scorer(smoke_inputs([case], evidence))[0], evidence)
    if not result.passed:
        raise GateCheckFailed(result.message)
    return result


def __getattr__(name: str) -> Any:
    # The pytest-side helpers moved to modelgate.recorder; the old names keep working.
    if name in ("GateRecorder", "result_properties"):
        from . import recorder

        return getattr(recorder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

    checks: Sequence[Check] = ()  # margin checks and floors
    smoke_cases: Sequence[AnyCase] = ()
    properties: Sequence[PropertyCheck] = ()
    text_column: str = _DEFAULTS.text_column
    label_column: str = _DEFAULTS.label_column
    tag: str = _DEFAULTS.tag
    model_artifact: str = _DEFAULTS.model_artifact
    require_champion: bool = False
    task: str = _DEFAULTS.task  # "": inferred from the model and the labels
    feature_columns: Sequence[str] = ()  # the model receives a DataFrame of these ("*": all but the label)
    positive_class: ClassValue | None = None  # binary: the class the score is the probability of (modelgate.classes)

    def __post_init__(self) -> None:
        # The same tag and task rules as every other front end, before any check runs.
        validate_tag(self.tag, "Gate(tag=...)")
        validate_task(self.task, "Gate(task=...)")
        if self.positive_class is not None:
            class_value("Gate(positive_class=...)", self.positive_class)
        if isinstance(self.feature_columns, str):
            self.feature_columns = feature_list("Gate(feature_columns=...)", self.feature_columns)
        elif tuple(self.feature_columns) == (ALL_FEATURES,):  # "*" as the config keeps it
            self.feature_columns = (ALL_FEATURES,)
        elif self.feature_columns:
            self.feature_columns = feature_list("Gate(feature_columns=...)", list(self.feature_columns))

    @property
    def config(self) -> GateConfig:
        """This gate as the config both front ends run."""
        settings = GateSettings(
            model_artifact=self.model_artifact, text_column=self.text_column,
            label_column=self.label_column, tag=self.tag, task=self.task,
            feature_columns=tuple(self.feature_columns), positive_class=self.positive_class,
        )
        return GateConfig(settings, by_kind([*self.checks, *self.properties]), require_champion=self.require_champion)

    @classmethod
    def from_config(cls, path: str | os.PathLike[str]) -> Gate:
        """The gate declared in the ``[tool.modelgate]`` table of the TOML file ``path``.

        Reads the same table as the pytest plugin: ``checks``, ``properties``,
        ``smoke_cases`` (loaded now), ``text_column``, ``feature_columns``,
        ``label_column``, ``task``, ``positive_class``, ``tag``,
        ``model_artifact`` and ``require_champion``; ``data_artifact`` is not used
        here, since :meth:`evaluate` gets the data itself. Command-line options and
        ``modelgate_*`` ini keys do not apply. A relative ``path`` is resolved from
        the current working directory (inside a flow, prefer
        ``Path(__file__).resolve().parent / "pyproject.toml"``); a relative
        ``smoke_cases`` path is relative to the TOML file's folder. A file without
        the table gives a gate with no checks, whose verdict fails.

        Raises :class:`~modelgate.errors.GateUsageError` (one line, naming the key)
        for a missing or invalid file, unknown keys, bad values and refused checks
        (such as a floor on the wrong side), and
        :class:`~modelgate.smoke.SmokeCaseFileError` (naming the file and line) for
        a bad smoke-case file.
        """
        from .config import load_config
        from .smoke import load_smoke_cases

        config = load_config(Path(path))
        s = config.settings
        return cls(
            checks=(*config.checks, *config.floors),
            properties=config.properties,
            smoke_cases=load_smoke_cases(config.smoke_cases) if config.smoke_cases else (),
            text_column=s.text_column,
            label_column=s.label_column,
            tag=s.tag,
            model_artifact=s.model_artifact,
            require_champion=config.require_champion,
            task=s.task,
            feature_columns=s.feature_columns,
            positive_class=s.positive_class,
        )

    def evaluate(self, model: Any, data: Any, *, run: str | None = None) -> Verdict:
        """Score ``model`` on ``data`` once and run every check, property and smoke case.

        ``run`` (``"Flow/run_id"``) is the candidate's pathspec: checks against
        ``"champion"`` compare with the newest other successful run of that flow
        carrying the gate's tag (looked up only if a check needs it).
        """
        runner = GateRunner.for_run(self.config, run, self.smoke_cases)
        evidence = runner.evidence(model, data)
        return runner.verdict(runner.evaluate(evidence), run=run, evidence=evidence)
