"""The quality-test items: one per configured check, property and smoke case.

Each item runs its check through the session's :class:`~modelgate.runner.GateRunner`,
the loop the in-flow :class:`~modelgate.in_flow.Gate` runs too, and records its
result on the test report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..names import EVIDENCE_FIXTURES
from ..text import printable
from . import fixtures

if TYPE_CHECKING:
    from ..checks import Check
    from .session import GateSession


class ConfiguredCheck(pytest.Item):
    """A check declared in ``[tool.modelgate]`` (or a smoke case of its file), as a test item."""

    def __init__(self, *, gate: GateSession, check: Check, **kwargs: Any) -> None:
        # The session's children would get ids starting with "::"; these read "modelgate::...".
        super().__init__(nodeid=kwargs["name"], **kwargs)
        self.gate, self.check = gate, check
        self.add_marker("modelgate")

    def setup(self) -> None:
        # Load and score in setup: a failure to get the evidence is an error
        # (no tag change), not a failed check (which revokes).
        self.check.prepare(self.gate.evaluation)

    def runtest(self) -> None:
        from .recorder import GateRecorder

        GateRecorder(self.gate, self.user_properties).check(self.check)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from ..errors import GateCheckFailed

        if isinstance(excinfo.value, GateCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, None, str]:
        # The domain heads the failure section. It must not be the node id's
        # tail, or pytest's -v line turns the dots of "0.1" into "::".
        from ..checks import CHECK_KINDS

        return self.path, None, f"modelgate {CHECK_KINDS[self.check.check_kind].label} {printable(self.check.name)}"


def configured_items(session: pytest.Session, gate: GateSession) -> list[ConfiguredCheck]:
    """One test item a configured check: ``modelgate::<name>``, ``modelgate::smoke::<name>``..."""
    from ..checks import CHECK_KINDS

    config = gate.config
    made = []
    for check in gate.checks():
        kind = CHECK_KINDS[check.check_kind]
        where = config.smoke_cases if kind.table is None and config.smoke_cases else config.source
        made.append(
            ConfiguredCheck.from_parent(
                session,
                name=kind.item_prefix + printable(check.name),
                path=Path(where or session.path),
                gate=gate,
                check=check,
            )
        )
    return made


def looks_at_model(item: pytest.Item) -> bool:
    """A configured check, or a test given the model, its scores or the evidence:
    one of its own arguments is the gate's evaluation, model_scorer or gate fixture,
    or a fixture that asks for one (in turn). ``usefixtures``, autouse fixtures, and
    a fixture or parameter of the same name that hides the gate's without asking for
    it give the test nothing of the model."""
    if isinstance(item, ConfiguredCheck):
        return True
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    defs = info.name2fixturedefs
    todo, seen = list(info.argnames), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for fixturedef in reversed(defs.get(name, ())):  # the last one is the one the test gets
            if name in EVIDENCE_FIXTURES and getattr(fixturedef.func, "__module__", None) == fixtures.__name__:
                return True
            todo += [arg for arg in fixturedef.argnames if arg != name]
            if name not in fixturedef.argnames:  # it does not use the one it hides
                break
    return False
