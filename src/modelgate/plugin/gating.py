"""What the plugin's hooks delegate to: one object per pytest session.

With ``--model-run``, a :class:`GatingSession`: it adds the configured checks
as items, maps pytest's reports to the decision's input
(:class:`~modelgate.decision.SessionOutcome`), and at the end has the
:class:`~modelgate.plugin.session.GateSession` decide and act. The tag is
decided on the controller, never on an xdist worker: workers report their
deselections and collection errors through ``workeroutput``. Without it, an
:class:`UngatedSession`: a test that asks for the gate's fixtures is skipped,
and the session says that nothing was gated and exits 4 instead of passing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import GateUsageError, MetaflowUnavailable  # light: no Metaflow
from ..names import ERROR_PROPERTY, OUTAGE_PROPERTY, RESULT_PROPERTY, TEST
from ..text import printable
from .fixtures import GATE, NEEDS_MODEL_RUN

if TYPE_CHECKING:
    from ..decision import SessionOutcome
    from ..report.files import ReportFiles
    from ..verdict import CheckResult
    from .session import GateSession

_WORKER_KEY = "modelgate"
_SUBTEST_REPORT: Any = getattr(pytest, "SubtestReport", ())  # pytest >= 9
# Names these sessions had as plugins: blocking one (-p no:NAME) would once drop the
# hooks that decide, so the session would pass having decided nothing. Refused.
BLOCKABLE_NAMES = {True: "modelgate-gate", False: "modelgate-ungated"}


def start(config: pytest.Config) -> GatingSession | UngatedSession | None:
    """The session object of this pytest session (None: an xdist worker without --model-run)."""
    config.addinivalue_line("markers", "modelgate: a quality test of the modelgate gate")
    spec = config.getoption("model_run")
    name = BLOCKABLE_NAMES[spec is not None]
    if config.pluginmanager.is_blocked(name):
        raise pytest.UsageError(
            f"modelgate: the plugin {name!r} is blocked (-p no:{name}): without it the "
            "session cannot decide the tag; use -p no:modelgate to leave the gate out"
        )
    if spec is None:
        return None if hasattr(config, "workerinput") else UngatedSession()  # the controller sees its workers' reports
    if not spec.strip():  # e.g. an unset CI variable: never silently gate nothing
        raise pytest.UsageError("modelgate: --model-run is empty: give Flow/run_id")
    from .options import gate_config, open_reports
    from .session import GateSession, open_gate

    flags = {"dry_run": config.getoption("gate_dry_run"), "keep_on_fail": config.getoption("gate_keep_on_fail")}
    workerinput = getattr(config, "workerinput", None)
    files = None
    try:
        config_used, choice = gate_config(config)  # its errors name the config file already
    except GateUsageError as exc:
        raise pytest.UsageError(f"modelgate: {exc}") from None
    try:
        if workerinput is not None:  # an xdist worker: the controller resolved the runs already
            gate = GateSession.for_worker(workerinput[_WORKER_KEY], config_used, **flags)
        else:
            gate = open_gate(
                spec,
                flow=config.getoption("model_flow"),
                namespace=config.getoption("gate_namespace"),
                config=config_used,
                baseline_run=config.getoption("gate_baseline_run"),
                **flags,
            )
            files = open_reports(config)
    except GateUsageError as exc:
        # Every error names the config file: a value may come from a file you did not expect.
        raise pytest.UsageError(f"modelgate: {printable(exc)}; gate config: {printable(choice)}") from None
    except MetaflowUnavailable as exc:  # an outage, not bad input: exit 1, as when the tag cannot be written
        pytest.exit(
            f"modelgate: FAILED: {printable(exc)}; no test ran and no tag was changed",
            returncode=pytest.ExitCode.TESTS_FAILED,
        )
    gate.config_line = str(choice)
    config.stash[GATE] = gate  # for the fixtures
    return GatingSession(gate, files, worker=workerinput is not None)


class GatingSession:
    """A session started with ``--model-run``, bound to its gate."""

    def __init__(self, gate: GateSession, files: ReportFiles | None, *, worker: bool) -> None:
        self.gate = gate
        self.files = files
        self.worker = worker
        self.log = ReportLog(gate.outcome)
        self.seen: set[str] = set()  # every item collected, before anything removed some
        self.deselected: set[str] = set()

    def header(self) -> list[str]:
        return [printable(line) for line in self.gate.header()]

    # -- what was collected, and what was taken away ----------------------------
    def item_collected(self, item: pytest.Item) -> None:
        self.seen.add(item.nodeid)

    def add_configured_items(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        from .items import configured_items

        made = configured_items(session, self.gate)
        items[:0] = made
        self.seen.update(item.nodeid for item in made)
        if made:  # count them in "collected N items", as collected items are
            session.ihook.pytest_collectreport(report=pytest.CollectReport("modelgate", "passed", None, list(made)))

    def items_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.deselected.update(item.nodeid for item in items)
        self.gate.outcome.deselected = len(self.deselected)

    def collect_report(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.gate.outcome.collection_errors += 1
        elif report.skipped:  # e.g. importorskip: a whole module of quality tests left out
            self.gate.outcome.skipped_modules += 1

    def collection_finished(self, session: pytest.Session) -> None:
        from .items import looks_at_model

        final = {item.nodeid for item in session.items}
        outcome = self.gate.outcome
        outcome.collected.update(final)
        # A conftest or plugin that filters ``items`` itself reports no deselection.
        outcome.removed = len(self.seen - final - self.deselected)
        outcome.evidence_tests = sum(1 for item in session.items if looks_at_model(item))

    # -- xdist: hand the resolved runs to workers, collect their counts --------
    def configure_node(self, node: Any) -> None:
        node.workerinput[_WORKER_KEY] = self.gate.shared()

    def node_collected(self, ids: Sequence[str]) -> None:
        self.gate.outcome.collected.update(ids)

    def node_down(self, node: Any) -> None:
        self.gate.outcome.merge_worker(getattr(node, "workeroutput", {}).get(_WORKER_KEY))

    # -- what happened to each quality test -------------------------------------
    def judge_report(self, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        """One rule for tests and subtests: a failed check or assertion is the
        model's verdict; any other exception is an error."""
        if call.excinfo is None or not report.failed:
            return
        if call.when == "call" and not _is_verdict(call.excinfo.value):
            report.user_properties.append((ERROR_PROPERTY, call.excinfo.typename))
        if isinstance(call.excinfo.value, GateUsageError):
            report.longrepr = f"modelgate: {printable(call.excinfo.value)}"  # bad input: one line, not a traceback
        elif isinstance(call.excinfo.value, MetaflowUnavailable):  # an outage: the session claims no verdict
            report.longrepr = f"Metaflow unavailable: {printable(call.excinfo.value)}"
            report.user_properties.append((OUTAGE_PROPERTY, str(call.excinfo.value)))

    def interrupted(self) -> None:
        # Ctrl-C, or pytest.exit() anywhere, even with returncode=0: no tag, exit 2.
        # (A crashed xdist worker also blocks the tag, but keeps pytest's exit code.)
        self.gate.outcome.interrupted = self.gate.interrupted = True

    def log_report(self, report: pytest.TestReport) -> None:
        self.log.record(report, keep_results=not self.worker)
        outages = [str(value) for name, value in report.user_properties if name == OUTAGE_PROPERTY]
        if outages and not self.gate.outage:  # from this process, or from an xdist worker's report
            self.gate.outage = outages[0]

    def finish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.worker:  # report, never decide
            session.config.workeroutput[_WORKER_KEY] = self.gate.outcome.worker_counts()  # type: ignore[attr-defined]
            return
        _observe(self.gate.outcome, session.config, int(exitstatus))
        self.gate.results = self.log.verdict_results()
        session.exitstatus = self.gate.finish(self.files)
        if self.files:
            self.files.close()
        skip_idle_hypothesis_summary(session.config)

    def summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.worker or not self.gate.tag_line:
            return
        self.gate.recheck()  # another session may have written the tag since
        session = getattr(terminalreporter, "_session", None)
        if session is not None:
            session.exitstatus = self.gate.exit_status()
        terminalreporter.section("modelgate")
        for line, colour in self.gate.summary_lines():
            terminalreporter.write_line(line, **{colour: True} if colour else {})


def skip_idle_hypothesis_summary(config: pytest.Config) -> None:
    """Leave Hypothesis's pytest plugin out of the terminal summary when nothing used Hypothesis.

    Its ``pytest_terminal_summary`` (Hypothesis 6.170) imports the whole of
    Hypothesis in every session, about 2 s, more than the gate's own checks.
    When no test imported it, here or on an xdist worker, there is nothing for
    that hook to report (no statistics, failing examples or observations), and
    after the session has finished no other hook of that plugin runs, so the
    plugin is unregistered.
    """
    if "hypothesis" in sys.modules or config.getoption("hypothesis_show_statistics", default=False):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reports = [report for reports in getattr(reporter, "stats", {}).values() for report in reports]
    if any(key.startswith("_hypothesis") for report in reports for key in getattr(report, "__dict__", {})):
        return  # an xdist worker used it: its failing examples are reported here
    plugin = config.pluginmanager.get_plugin("hypothesispytest")
    if plugin is not None:
        config.pluginmanager.unregister(plugin)


class UngatedSession:
    """A session started without ``--model-run``.

    A test that asks for the gate's fixtures is skipped there; were the session
    to pass, a CI step running a gate suite without its run would be green
    having gated nothing. Say so in one line, and exit 4 instead of 0.
    """

    def __init__(self) -> None:
        self.skipped: set[str] = set()  # nodeids of quality tests skipped for want of --model-run

    def log_report(self, report: pytest.TestReport) -> None:
        if report.skipped and NEEDS_MODEL_RUN in str(report.longrepr):
            self.skipped.add(report.nodeid)

    def finish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.skipped and session.exitstatus == pytest.ExitCode.OK:  # a failure or an interrupt keeps its code
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        n = len(self.skipped)
        if n:
            terminalreporter.section("modelgate")
            need = "quality test needs" if n == 1 else "quality tests need"
            terminalreporter.write_line(f"modelgate: nothing was gated: {n} {need} --model-run=Flow/run_id", red=True)


class ReportLog:
    """What pytest's reports said about each quality test: its phases (into the
    session's outcome), the check results it recorded, why it did not pass."""

    def __init__(self, outcome: SessionOutcome) -> None:
        self.outcome = outcome
        self.results: dict[str, list[CheckResult]] = {}  # nodeid -> results its test recorded
        self.messages: dict[str, str] = {}  # nodeid -> why it did not pass

    def record(self, report: pytest.TestReport, *, keep_results: bool) -> None:
        errored = any(name == ERROR_PROPERTY for name, _ in report.user_properties)
        subtest = isinstance(report, _SUBTEST_REPORT)
        outcome = "error" if errored else report.outcome
        if report.when == "call" and not subtest and report.failed and not errored and self._subtest_failed(report):
            outcome = "passed"  # its subtests' reports carry the verdict already
        self.outcome.record(
            report.nodeid, "subtest" if subtest else report.when, outcome, wasxfail=hasattr(report, "wasxfail")
        )
        if not keep_results:
            return
        recorded = self.results.setdefault(report.nodeid, [])
        if report.failed and report.nodeid not in self.messages:
            self.messages[report.nodeid] = _first_line(report)
        if not subtest:
            from ..verdict import CheckResult

            # Each phase's report carries every result the test recorded so far (setup,
            # call, and a fixture's teardown too): the latest report holds them all.
            found = [
                CheckResult.from_dict(json.loads(str(value)))
                for name, value in report.user_properties
                if name == RESULT_PROPERTY
            ]
            if len(found) >= len(recorded):
                recorded[:] = found
            if any(not r.passed for r in recorded):
                # A failed check is a failure even when the test (or a fixture, in its
                # teardown) caught the AssertionError.
                self.outcome.record(report.nodeid, "call", "failed", wasxfail=False)

    def _subtest_failed(self, report: pytest.TestReport) -> bool:
        """pytest marks a test whose subtests failed as failed, though its own body
        passed: true when such a subtest report was recorded for this test."""
        return self.outcome.phases.get(report.nodeid, {}).get("subtest") in ("failed", "error")

    def verdict_results(self) -> list[CheckResult]:
        """Every quality test in the report: the checks it recorded, and a row
        of its own when it did not pass for another reason (or recorded none)."""
        from ..verdict import CheckResult

        nodes = list(self.results) + sorted(self.outcome.collected - set(self.results))
        results: list[CheckResult] = []
        for nodeid in nodes:
            recorded = self.results.get(nodeid, [])
            state = self.outcome.test_outcome(nodeid)
            results += recorded
            if recorded and (state == "passed" or any(not r.passed for r in recorded)):
                continue
            why = self.messages.get(nodeid) or ("did not run to the end" if state == "unfinished" else state)
            results.append(CheckResult(name=nodeid, group=TEST, passed=state == "passed", message=why, method=state))
        return results


class QualityTestReturnedValue(Exception):
    """A quality test returned a value instead of asserting (an error, not a verdict)."""


@contextmanager
def must_assert(item: pytest.Function) -> Iterator[None]:
    """pytest only warns when a test returns a value: ``return auc > 0.9``
    asserts nothing, so in a gate it is an error, not a pass."""
    original = item.obj
    returned: list[object] = []
    item.obj = lambda *args, **kwargs: returned.append(original(*args, **kwargs))
    try:
        yield
    finally:
        item.obj = original
    if returned and returned[0] is not None:
        raise QualityTestReturnedValue(
            f"{item.name} returned {returned[0]!r} instead of asserting: "
            "a quality test must assert (or call a gate check); counted as an error"
        )


def _observe(outcome: SessionOutcome, config: pytest.Config, exitstatus: int) -> None:
    """What the session as a whole did: its exit status, interruption, options that narrow it."""
    from .options import partial_run_options

    outcome.exitstatus = exitstatus
    outcome.interrupted = outcome.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
    outcome.collect_only = bool(config.getoption("collectonly"))
    outcome.selection_options = partial_run_options(config)


def _first_line(report: pytest.TestReport) -> str:
    """Why a test did not pass, in one short line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or report.outcome)
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else report.outcome
    where = "" if report.when == "call" else f"{report.when}: "
    return (where + line)[:200]


def _is_verdict(exc: BaseException) -> bool:
    """A failed assertion (or pytest.fail) is the model's verdict; anything else
    raised in a test (a Metaflow outage, a bug, a bad setting) is an error."""
    if isinstance(exc, BaseExceptionGroup):  # e.g. Hypothesis reporting several failures
        return all(_is_verdict(e) for e in exc.exceptions)
    return isinstance(exc, (AssertionError, pytest.fail.Exception))
