"""modelgate's pytest plugin: the hooks, each handing over to the session's object.

The options are in :mod:`.options`, the quality-test items in :mod:`.items`,
the fixtures in :mod:`.fixtures`, what the hooks delegate to in :mod:`.gating`
and the gate session itself in :mod:`.session`. Loading the plugin imports
nothing heavy (no Metaflow, TensorFlow, pandas or scipy), so ``pytest --help``
and suites that never pass ``--model-run`` stay fast and unchanged.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import pytest

from .fixtures import (
    champion_run,
    evaluation,
    gate,
    majority_baseline,
    model_run,
    model_scorer,
    smoke_cases,
    validation_data,
)
from .gating import GatingSession, UngatedSession, must_assert, start

__all__ = [
    "champion_run",
    "evaluation",
    "gate",
    "majority_baseline",
    "model_run",
    "model_scorer",
    "smoke_cases",
    "validation_data",
]

# The session object of each pytest session running in this process, innermost last
# (pytester runs sessions inside sessions). Some hooks get no config to find it by.
_ACTIVE: list[tuple[pytest.Config, GatingSession | UngatedSession | None]] = []


def _current() -> GatingSession | UngatedSession | None:
    return _ACTIVE[-1][1] if _ACTIVE else None


def _gating() -> GatingSession | None:
    session = _current()
    return session if isinstance(session, GatingSession) else None


def pytest_addoption(parser: pytest.Parser) -> None:
    from .options import add_options

    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    from .options import refuse_options_that_run_no_test

    refuse_options_that_run_no_test(config)


def pytest_configure(config: pytest.Config) -> None:
    _ACTIVE.append((config, start(config)))


def pytest_unconfigure(config: pytest.Config) -> None:
    _ACTIVE[:] = [(c, s) for c, s in _ACTIVE if c is not config]


def pytest_report_header() -> list[str]:
    gating = _gating()
    return gating.header() if gating else []


def pytest_itemcollected(item: pytest.Item) -> None:
    if gating := _gating():
        gating.item_collected(item)


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, so they see these items too
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    if gating := _gating():
        gating.add_configured_items(session, items)


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    if gating := _gating():
        gating.items_deselected(items)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if gating := _gating():
        gating.collect_report(report)


def pytest_collection_finish(session: pytest.Session) -> None:
    if gating := _gating():
        gating.collection_finished(session)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    if gating := _gating():
        gating.configure_node(node)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: Sequence[str]) -> None:
    if gating := _gating():
        gating.node_collected(ids)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    if gating := _gating():
        gating.node_down(node)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    if _gating() is None:
        return (yield)
    with must_assert(pyfuncitem):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if gating := _gating():
        gating.judge_report(call, report)
    return report


def pytest_keyboard_interrupt() -> None:
    if gating := _gating():
        gating.interrupted()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if session := _current():
        session.log_report(report)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if current := _current():
        current.finish(session, exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if session := _current():
        session.summary(terminalreporter)
