"""The gate as a library: run the checks inside a flow step, or in any Python code.

:class:`Gate` evaluates an in-memory model on in-memory data through the same
:class:`~modelgate.runner.GateRunner` the pytest plugin uses, and returns a
:class:`~modelgate.verdict.Verdict` (no pytest needed).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checks.properties import PropertyCheck
from .checks.slices import SliceSpec
from .config import (
    GateConfig,
    GateSettings,
    by_kind,
    setting_names,
    validate_on_inconclusive,
    validate_power_effect,
    validate_setting,
)
from .runner import GateRunner

if TYPE_CHECKING:
    from .checks import Check
    from .smoke import AnyCase
    from .verdict import Verdict

__all__ = ["Gate"]


def _check_items(name: str, items: Any, ok: Any, expected: str) -> tuple[Any, ...]:
    """``Gate(name=...)`` holds a sequence of these; a path or a bare object is a
    one-line GateUsageError, not an AttributeError when the gate runs."""
    from .errors import GateUsageError

    if isinstance(items, (str, bytes, os.PathLike, Mapping)) or not isinstance(items, Iterable):
        raise GateUsageError(f"Gate({name}=...): expected a list of {expected}, got {items!r}")
    held: tuple[Any, ...] = tuple(items)
    bad = next((item for item in held if not ok(item)), None)
    if bad is not None:
        raise GateUsageError(f"Gate({name}=...): expected a list of {expected}, got an item {bad!r}")
    return held


class Gate:
    """A gate for use inside a flow step (or any Python code).

    Build it in code, or from the same ``[tool.modelgate]`` table the pytest
    plugin reads (checks, smoke cases, properties, every setting), then
    evaluate an in-memory model on in-memory data::

        gate = Gate.from_config("pyproject.toml")
        verdict = gate.evaluate(self.model_dict, self.val_df, run=f"{current.flow_name}/{current.run_id}")
        if verdict.passed:
            tag_current_run(current)

    In code, settings are keywords named as in ``[tool.modelgate]``::

        Gate(checks=[MarginCheck("roc_auc", margin=0.1)], label_column="target", champion_tag="deployed")

    ``slices`` judges the margin checks and floors again on subsets of the rows
    (``SliceSpec(text_length=True)``, ``SliceSpec(column="segment")``), as
    ``[[tool.modelgate.slices]]`` does.

    The gate holds one :class:`~modelgate.config.GateConfig` (``gate.config``),
    the same object the pytest plugin runs; its settings read as attributes
    (``gate.tag``). With ``run`` given, checks against ``"champion"`` compare
    with the champion the config names (``champion_tag``, ``champion_scope``).
    """

    config: GateConfig
    smoke_cases: tuple[AnyCase, ...]

    def __init__(
        self,
        checks: Sequence[Check] = (),  # margin checks and floors
        smoke_cases: Sequence[AnyCase] = (),
        properties: Sequence[PropertyCheck] = (),
        *,
        slices: Sequence[SliceSpec] = (),
        require_champion: bool = False,
        on_inconclusive: str = "fail",
        power_effect: float | None = None,
        **settings: Any,
    ) -> None:
        names = setting_names()
        unknown = next((name for name in settings if name not in names), None)
        if unknown is not None:
            raise TypeError(f"Gate() got an unexpected keyword argument {unknown!r} (settings: {', '.join(names)})")
        checks = _check_items("checks", checks, lambda c: hasattr(c, "check_kind"), "MarginCheck or FloorCheck objects")
        properties = _check_items("properties", properties, lambda c: hasattr(c, "check_kind"), "PropertyCheck objects")
        slices = _check_items("slices", slices, lambda s: isinstance(s, SliceSpec), "SliceSpec objects")
        smoke_cases = _check_items(
            "smoke_cases",
            smoke_cases,
            lambda c: hasattr(c, "expected"),
            "smoke cases (modelgate.smoke.load_smoke_cases(path) reads a file)",
        )
        # The same rules as every other front end, before any check runs.
        chosen = {name: validate_setting(name, value, f"Gate({name}=...)") for name, value in settings.items()}
        self.config = GateConfig(
            GateSettings(**chosen),
            by_kind([*checks, *properties]),
            require_champion=require_champion,
            on_inconclusive=validate_on_inconclusive(on_inconclusive, "Gate(on_inconclusive=...)"),
            slices=slices,
            power_effect=None
            if power_effect is None
            else validate_power_effect(power_effect, "Gate(power_effect=...)"),
        )
        self.smoke_cases = tuple(smoke_cases)

    @classmethod
    def of(cls, config: GateConfig, smoke_cases: Sequence[AnyCase] = ()) -> Gate:
        """The gate that runs ``config`` as it is (every field), with these smoke cases."""
        gate = cls.__new__(cls)
        gate.config, gate.smoke_cases = config, tuple(smoke_cases)
        return gate

    def __getattr__(self, name: str) -> Any:
        # gate.tag, gate.label_column, ...: the config's settings, never a copy of them.
        if name in setting_names() and "config" in self.__dict__:
            return getattr(self.config.settings, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def checks(self) -> tuple[Check, ...]:
        """The margin checks and floors."""
        return (*self.config.checks, *self.config.floors)

    @property
    def properties(self) -> tuple[PropertyCheck, ...]:
        return self.config.properties

    @property
    def require_champion(self) -> bool:
        return self.config.require_champion

    @property
    def on_inconclusive(self) -> str:
        """What a check whose data cannot decide does: "fail" (the default) or "pass" (with a warning)."""
        return self.config.on_inconclusive

    def __repr__(self) -> str:
        return f"Gate({self.config!r}, smoke_cases={len(self.smoke_cases)})"

    @classmethod
    def from_config(cls, path: str | os.PathLike[str]) -> Gate:
        """The gate declared in the ``[tool.modelgate]`` table of the TOML file ``path``.

        Keeps the whole table, as the pytest plugin reads it: ``checks``,
        ``properties``, ``smoke_cases`` (loaded now), ``require_champion``, ``on_inconclusive`` and
        every setting (``champion_tag`` and ``champion_scope`` too);
        ``data_artifact`` is not used here, since :meth:`evaluate` gets the data
        itself. Command-line options and ``modelgate_*`` ini keys do not apply.
        A relative ``path`` is resolved from the current working directory
        (inside a flow, prefer ``Path(__file__).resolve().parent /
        "pyproject.toml"``); a relative ``smoke_cases`` path is relative to the
        TOML file's folder. A file without the table gives a gate with no
        checks, whose verdict fails.

        Raises :class:`~modelgate.errors.GateUsageError` (one line, naming the key)
        for a missing or invalid file, unknown keys, bad values and refused checks
        (such as a floor on the wrong side), and
        :class:`~modelgate.smoke.SmokeCaseFileError` (naming the file and line) for
        a bad smoke-case file.
        """
        from .config import load_config
        from .smoke import load_smoke_cases

        config = load_config(Path(path))
        return cls.of(config, load_smoke_cases(config.smoke_cases) if config.smoke_cases else ())

    def evaluate(self, model: Any, data: Any, *, run: str | None = None, record: bool = True) -> Verdict:
        """Score ``model`` on ``data`` once and run every check, property and smoke case.

        ``run`` (``"Flow/run_id"``) is the candidate's pathspec: checks against
        ``"champion"`` compare with the newest other successful run in its
        ``champion_scope`` carrying ``champion_tag`` (default: the gate's tag),
        looked up only if a check needs it. Inside a task of that run (a flow step),
        the verdict is recorded on the task's metadata (``modelgate.history(run)``
        reads it; ``record=False`` does not write it); a record that cannot be
        written raises. ``model`` may also be what a run keeps for it (``model_source``):
        the bytes of a Keras file, or a metaflow-checkpoint ``@model`` reference.
        """
        from .metaflow_io.models import resolve

        runner = GateRunner.for_run(self.config, run, self.smoke_cases)
        # The bytes of a Keras file or a metaflow-checkpoint reference stand for their model.
        evidence = runner.evidence(resolve(model, self.config.settings.model_source, "the model"), data)
        verdict = runner.verdict(runner.evaluate(evidence), run=run, evidence=evidence)
        task = _running_task(run) if record else None
        if task is not None:
            from .metaflow_io import records

            entry = records.build_record(
                verdict,
                self.config,
                front_end="Gate",
                data=records.data_fingerprint(data),
                champion=verdict.champion,
                tag_action="none",
                tag_reason="the in-flow Gate does not tag (tag_current_run does)",
            )
            records.write_record(task, entry)
        return verdict


def _running_task(run: str | None) -> str | None:
    """The pathspec of the Metaflow task this code runs in, when it is a task of ``run``."""
    if run is None or "metaflow" not in sys.modules:  # no flow imported Metaflow: not in a task
        return None
    from metaflow import current

    if not current.is_running_flow or f"{current.flow_name}/{current.run_id}" != run:
        return None
    return str(current.pathspec)
