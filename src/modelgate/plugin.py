"""The pytest plugin: options, fixtures, configured test items, and the hooks
that decide the tag.

Thin glue: the logic lives in :mod:`modelgate.session` and below. Loading this
module imports nothing heavy (no Metaflow, TensorFlow, pandas or scipy), so
``pytest --help`` and suites that never pass ``--model-run`` stay fast and
unchanged.

With ``--model-run``, every collected test is a quality test. The tag is
decided on the controller (never on an xdist worker): workers report their
deselections and collection errors through ``workeroutput``. Without it, a
test that asks for the gate's fixtures is skipped, and the session says that
nothing was gated and exits 4 instead of passing.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import numpy as np

    from .checks import Check
    from .config import ConfigChoice, GateConfig
    from .decision import SessionOutcome
    from .evidence.evaluation import Evaluation, Scorer
    from .recorder import GateRecorder
    from .report.files import ReportFiles
    from .session import GateSession
    from .verdict import CheckResult

from .errors import GateUsageError, MetaflowUnavailable  # light: no Metaflow
from .names import ERROR_PROPERTY, EVIDENCE_FIXTURES, MAJORITY, OUTAGE_PROPERTY, RESULT_PROPERTY, TEST
from .text import printable

GATE = pytest.StashKey["GateSession"]()
_WORKER_KEY = "modelgate"
_SUBTEST_REPORT: Any = getattr(pytest, "SubtestReport", ())  # pytest >= 9
# Options that may drop quality tests without pytest reporting them as deselected.
_PARTIAL_RUN_OPTIONS = (("lf", "--lf"), ("stepwise", "--sw"), ("stepwise_skip", "--sw-skip"))
# The skip reason of a test that asked for a gate fixture in a session without --model-run.
NEEDS_MODEL_RUN = "modelgate: this quality test needs --model-run"


def pytest_addoption(parser: pytest.Parser) -> None:
    from .config import HELP, GateSettings

    group = parser.getgroup("modelgate", "model quality gate (modelgate)")
    group.addoption(
        "--model-run",
        metavar="SPEC",
        help="gate this Metaflow run: Flow/run_id, or a run id, 'latest' or "
        "'latest-successful' with --model-flow. Without it, tests that use the gate's "
        "fixtures are skipped and the session exits 4 (nothing was gated).",
    )
    group.addoption("--model-flow", metavar="FLOW", help="flow of a bare run id or of 'latest'")
    group.addoption(
        "--namespace",
        dest="modelgate_namespace",
        metavar="NS",
        help="namespace 'latest' searches: 'global', 'user' (yours), or a tag such as "
        "user:alice. Default: yours, else global. Explicit run ids ignore it.",
    )
    group.addoption("--gate-dry-run", action="store_true", help="decide and report, but change no tag")
    group.addoption(
        "--gate-keep-on-fail",
        action="store_true",
        help="when a quality test fails, keep a tag left by an earlier gate",
    )
    group.addoption(
        "--baseline-run",
        metavar="SPEC",
        help="compare with this run instead of the champion (the newest other tagged run)",
    )
    group.addoption(
        "--require-champion",
        action="store_true",
        default=None,
        help="fail champion checks when there is no champion yet (default: they pass)",
    )
    group.addoption(
        "--gate-config",
        metavar="PATH",
        help="TOML file with a [tool.modelgate] table (default: the nearest pyproject.toml "
        "with one, from the test paths up to their project root)",
    )
    group.addoption(
        "--gate-check",
        action="append",
        default=[],
        metavar="KEY=VALUE,...",
        help="add a check, e.g. metric=roc_auc,baseline=champion,margin=-0.01, or a floor: "
        "metric=roc_auc,at_least=0.85 (repeatable)",
    )
    group.addoption("--smoke-cases", metavar="PATH", help="CSV, JSONL or parquet file of smoke cases")
    group.addoption("--gate-report", metavar="PATH", help="write the verdict as JSON")
    group.addoption(
        "--gate-markdown",
        metavar="PATH",
        help="write the verdict as Markdown (also appended to $GITHUB_STEP_SUMMARY when set)",
    )
    defaults = GateSettings()
    for name, text in HELP.items():
        flag = "--gate-tag" if name == "tag" else "--" + name.replace("_", "-")
        default = getattr(defaults, name)
        shown = f" (default: {default})" if default else ""
        metavar = {"task": "TASK", "feature_columns": "COLUMNS", "positive_class": "CLASS"}.get(name, "NAME")
        group.addoption(flag, dest=f"modelgate_{name}", metavar=metavar, help=text + shown)
        parser.addini(f"modelgate_{name}", f"modelgate: {text}", default="")


def _gate_config(config: pytest.Config) -> tuple[GateConfig, ConfigChoice]:
    """The session's config, and which file it came from and why."""
    from .config import choose_config, merge, setting_names

    here = config.invocation_params.dir
    starts = [Path(here, a.split("::")[0]) for a in config.args]
    base, choice = choose_config(config.getoption("gate_config"), starts, here)
    try:
        _check_ini_keys(config, {f"modelgate_{n}" for n in setting_names()})
        cli = {n: config.getoption(f"modelgate_{n}") for n in setting_names()}
        smoke = config.getoption("smoke_cases")
        cli.update(
            smoke_cases=str(Path(here, smoke)) if smoke else None,
            require_champion=config.getoption("require_champion"),
            checks=config.getoption("gate_check"),
        )
        ini = {n: config.getini(f"modelgate_{n}") for n in setting_names()}
        return merge(base, ini, cli), choice
    except GateUsageError as exc:
        raise GateUsageError(f"{exc}; gate config: {choice}") from None


def _check_ini_keys(config: pytest.Config, known: set[str]) -> None:
    """A ``modelgate_*`` ini key that is not one of ours: pytest only warns, and the
    setting it meant would silently keep its default (another tag, another artifact)."""
    unknown_keys = getattr(config, "_get_unknown_ini_keys", None)  # pytest's own list of keys it does not know
    if unknown_keys is None:
        return
    from .config import misspelt

    ours = sorted(k for k in unknown_keys() if k.lower().startswith("modelgate") or misspelt(k.split("_")[0]))
    if ours:
        where = f" in {config.inipath}" if config.inipath else ""
        raise GateUsageError(f"unknown ini key {ours[0]!r}{where} (modelgate's: {', '.join(sorted(known))})")


def _session(config: pytest.Config) -> GateSession | None:
    return config.stash.get(GATE, None)


# Options that show something and exit 0 without running a test: with --model-run, a
# green step that gated nothing.
_NO_TEST_OPTIONS = (("showfixtures", "--fixtures"), ("show_fixtures_per_test", "--fixtures-per-test"),
                    ("markers", "--markers"))


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    if config.getoption("model_run") is None:
        return
    shown = [flag for dest, flag in _NO_TEST_OPTIONS if config.getoption(dest, None)]
    if shown:
        raise pytest.UsageError(f"modelgate: {shown[0]} runs no test, so it would gate nothing: leave out --model-run")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "modelgate: a quality test of the modelgate gate")
    spec = config.getoption("model_run")
    name = "modelgate-ungated" if spec is None else "modelgate-gate"
    if config.pluginmanager.is_blocked(name):  # -p no:NAME: the session would pass having decided nothing
        raise pytest.UsageError(f"modelgate: the plugin {name!r} is blocked (-p no:{name}): without it the "
                                "session cannot decide the tag; use -p no:modelgate to leave the gate out")
    if spec is None:
        if not hasattr(config, "workerinput"):  # the controller sees its workers' reports
            config.pluginmanager.register(UngatedSession(), name)
        return
    if not spec.strip():  # e.g. an unset CI variable: never silently gate nothing
        raise pytest.UsageError("modelgate: --model-run is empty: give Flow/run_id")
    from .session import GateSession, open_gate

    flags = dict(dry_run=config.getoption("gate_dry_run"), keep_on_fail=config.getoption("gate_keep_on_fail"))
    workerinput = getattr(config, "workerinput", None)
    files = None
    try:
        gate_config, choice = _gate_config(config)  # its errors name the config file already
    except GateUsageError as exc:
        raise pytest.UsageError(f"modelgate: {exc}") from None
    try:
        if workerinput is not None:  # an xdist worker: the controller resolved the runs already
            gate = GateSession.for_worker(workerinput[_WORKER_KEY], gate_config, **flags)
        else:
            gate = open_gate(
                spec,
                flow=config.getoption("model_flow"),
                namespace=config.getoption("modelgate_namespace"),
                config=gate_config,
                baseline_run=config.getoption("baseline_run"),
                **flags,
            )
            files = _open_reports(config)
    except GateUsageError as exc:
        # Every error names the config file: a value may come from a file you did not expect.
        raise pytest.UsageError(f"modelgate: {printable(exc)}; gate config: {printable(choice)}") from None
    except MetaflowUnavailable as exc:  # an outage, not bad input: exit 1, as when the tag cannot be written
        pytest.exit(f"modelgate: FAILED: {printable(exc)}; no test ran and no tag was changed",
                    returncode=pytest.ExitCode.TESTS_FAILED)
    gate.config_line = str(choice)
    config.stash[GATE] = gate
    config.pluginmanager.register(GatePlugin(gate, files, worker=workerinput is not None), name)


def _open_reports(config: pytest.Config) -> ReportFiles:
    """Open the report files before any test runs: one that cannot be written is exit 4."""
    from .report.files import ReportFiles

    return ReportFiles.open(
        config.invocation_params.dir,
        json_path=config.getoption("gate_report"),
        markdown_path=config.getoption("gate_markdown"),
        summary_path=os.environ.get("GITHUB_STEP_SUMMARY"),
    )


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
        from .errors import GateCheckFailed

        if isinstance(excinfo.value, GateCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, None, str]:
        # The domain heads the failure section. It must not be the node id's
        # tail, or pytest's -v line turns the dots of "0.1" into "::".
        from .checks import CHECK_KINDS

        return self.path, None, f"modelgate {CHECK_KINDS[self.check.check_kind].label} {printable(self.check.name)}"


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
        self.outcome.record(report.nodeid, "subtest" if subtest else report.when, outcome, wasxfail=hasattr(report, "wasxfail"))
        if not keep_results:
            return
        recorded = self.results.setdefault(report.nodeid, [])
        if report.failed and report.nodeid not in self.messages:
            self.messages[report.nodeid] = _first_line(report)
        if report.when == "call" and not subtest:
            from .verdict import CheckResult

            recorded += [
                CheckResult.from_dict(json.loads(str(value)))
                for name, value in report.user_properties
                if name == RESULT_PROPERTY
            ]
            if any(not r.passed for r in recorded):
                # A failed check is a failure even when the test caught the AssertionError.
                self.outcome.record(report.nodeid, "call", "failed", wasxfail=False)

    def _subtest_failed(self, report: pytest.TestReport) -> bool:
        """pytest marks a test whose subtests failed as failed, though its own body
        passed: true when such a subtest report was recorded for this test."""
        return self.outcome.phases.get(report.nodeid, {}).get("subtest") in ("failed", "error")

    def verdict_results(self) -> list[CheckResult]:
        """Every quality test in the report: the checks it recorded, and a row
        of its own when it did not pass for another reason (or recorded none)."""
        from .verdict import CheckResult

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


class GatePlugin:
    """The hooks of a session started with ``--model-run``, bound to its gate.

    They map pytest's items to checks and its reports to the decision's input
    (:class:`~modelgate.decision.SessionOutcome`); the session decides and acts.
    """

    def __init__(self, gate: GateSession, files: ReportFiles | None, *, worker: bool) -> None:
        self.gate = gate
        self.files = files
        self.worker = worker
        self.log = ReportLog(gate.outcome)
        self.seen: set[str] = set()  # every item collected, before anything removed some
        self.deselected: set[str] = set()

    def pytest_report_header(self) -> list[str]:
        return [printable(line) for line in self.gate.header()]

    # -- what was collected, and what was taken away ----------------------------
    def pytest_itemcollected(self, item: pytest.Item) -> None:
        self.seen.add(item.nodeid)

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, so they see these items too
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        made = configured_items(session, self.gate)
        items[:0] = made
        self.seen.update(item.nodeid for item in made)
        if made:  # count them in "collected N items", as collected items are
            session.ihook.pytest_collectreport(report=pytest.CollectReport("modelgate", "passed", None, list(made)))

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.deselected.update(item.nodeid for item in items)
        self.gate.outcome.deselected = len(self.deselected)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.gate.outcome.collection_errors += 1
        elif report.skipped:  # e.g. importorskip: a whole module of quality tests left out
            self.gate.outcome.skipped_modules += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        final = {item.nodeid for item in session.items}
        self.gate.outcome.collected.update(final)
        # A conftest or plugin that filters ``items`` itself reports no deselection.
        self.gate.outcome.removed = len(self.seen - final - self.deselected)
        self.gate.outcome.evidence_tests = sum(1 for item in session.items if _looks_at_model(item))

    # -- xdist: hand the resolved runs to workers, collect their counts --------
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_WORKER_KEY] = self.gate.shared()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        self.gate.outcome.collected.update(ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        self.gate.outcome.merge_worker(getattr(node, "workeroutput", {}).get(_WORKER_KEY))

    # -- what happened to each quality test -------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, object, object]:
        # pytest only warns when a test returns a value: ``return auc > 0.9``
        # asserts nothing, so in a gate it is an error, not a pass.
        original = pyfuncitem.obj
        returned: list[object] = []
        pyfuncitem.obj = lambda *args, **kwargs: returned.append(original(*args, **kwargs))
        try:
            result = yield
        finally:
            pyfuncitem.obj = original
        if returned and returned[0] is not None:
            raise QualityTestReturnedValue(
                f"{pyfuncitem.name} returned {returned[0]!r} instead of asserting: "
                "a quality test must assert (or call a gate check); counted as an error"
            )
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        # One rule for tests and subtests: a failed check or assertion is the
        # model's verdict; any other exception is an error.
        if call.excinfo is not None and report.failed:
            if call.when == "call" and not _is_verdict(call.excinfo.value):
                report.user_properties.append((ERROR_PROPERTY, call.excinfo.typename))
            if isinstance(call.excinfo.value, GateUsageError):
                report.longrepr = f"modelgate: {printable(call.excinfo.value)}"  # bad input: one line, not a traceback
            elif isinstance(call.excinfo.value, MetaflowUnavailable):  # an outage: the session claims no verdict
                report.longrepr = f"Metaflow unavailable: {printable(call.excinfo.value)}"
                report.user_properties.append((OUTAGE_PROPERTY, str(call.excinfo.value)))
        return report

    def pytest_keyboard_interrupt(self) -> None:
        # Ctrl-C, or pytest.exit() anywhere, even with returncode=0: no tag, exit 2.
        # (A crashed xdist worker also blocks the tag, but keeps pytest's exit code.)
        self.gate.outcome.interrupted = self.gate.interrupted = True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.log.record(report, keep_results=not self.worker)
        outages = [str(value) for name, value in report.user_properties if name == OUTAGE_PROPERTY]
        if outages and not self.gate.outage:  # from this process, or from an xdist worker's report
            self.gate.outage = outages[0]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.worker:  # report, never decide
            session.config.workeroutput[_WORKER_KEY] = self.gate.outcome.worker_counts()  # type: ignore[attr-defined]
            return
        _observe(self.gate.outcome, session.config, int(exitstatus))
        self.gate.results = self.log.verdict_results()
        session.exitstatus = self.gate.finish(self.files)
        if self.files:
            self.files.close()

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.worker or not self.gate.tag_line:
            return
        self.gate.recheck()  # another session may have written the tag since
        session = getattr(terminalreporter, "_session", None)
        if session is not None:
            session.exitstatus = self.gate.exit_status()
        terminalreporter.section("modelgate")
        for line, colour in self.gate.summary_lines():
            terminalreporter.write_line(line, **{colour: True} if colour else {})


class UngatedSession:
    """The hooks of a session started without ``--model-run``.

    A test that asks for the gate's fixtures is skipped there; were the session
    to pass, a CI step running a gate suite without its run would be green
    having gated nothing. Say so in one line, and exit 4 instead of 0.
    """

    def __init__(self) -> None:
        self.skipped: set[str] = set()  # nodeids of quality tests skipped for want of --model-run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and NEEDS_MODEL_RUN in str(report.longrepr):
            self.skipped.add(report.nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.skipped and session.exitstatus == pytest.ExitCode.OK:  # a failure or an interrupt keeps its code
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        n = len(self.skipped)
        if n:
            terminalreporter.section("modelgate")
            need = "quality test needs" if n == 1 else "quality tests need"
            terminalreporter.write_line(f"modelgate: nothing was gated: {n} {need} --model-run=Flow/run_id", red=True)


class QualityTestReturnedValue(Exception):
    """A quality test returned a value instead of asserting (an error, not a verdict)."""


def configured_items(session: pytest.Session, gate: GateSession) -> list[ConfiguredCheck]:
    """One test item a configured check: ``modelgate::<name>``, ``modelgate::smoke::<name>``..."""
    from .checks import CHECK_KINDS

    config = gate.config
    made = []
    for check in gate.checks():
        kind = CHECK_KINDS[check.check_kind]
        where = config.smoke_cases if kind.table is None and config.smoke_cases else config.source
        made.append(ConfiguredCheck.from_parent(
            session, name=kind.item_prefix + printable(check.name), path=Path(where or session.path), gate=gate, check=check,
        ))
    return made


def _looks_at_model(item: pytest.Item) -> bool:
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
            if name in EVIDENCE_FIXTURES and getattr(fixturedef.func, "__module__", None) == __name__:
                return True
            todo += [arg for arg in fixturedef.argnames if arg != name]
            if name not in fixturedef.argnames:  # it does not use the one it hides
                break
    return False


def _observe(outcome: SessionOutcome, config: pytest.Config, exitstatus: int) -> None:
    """What the session as a whole did: its exit status, interruption, options that narrow it."""
    outcome.exitstatus = exitstatus
    outcome.interrupted = outcome.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
    outcome.collect_only = bool(config.getoption("collectonly"))
    outcome.selection_options = [flag for option, flag in _PARTIAL_RUN_OPTIONS if config.getoption(option, None)]
    if any("::" in arg for arg in config.args):
        outcome.selection_options.append("selecting tests by node id")


def _first_line(report: pytest.TestReport) -> str:
    """Why a test did not pass, in one short line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or report.outcome)
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else report.outcome
    where = "" if report.when == "call" else f"{report.when}: "
    return (where + line)[:200]


# -- the Python API for gate suites ----------------------------------------------
def smoke_cases(path: str | os.PathLike[str]) -> pytest.MarkDecorator:
    """Decorator: one test item per smoke case in a CSV/JSONL/parquet file.

    A relative path is taken from the test module's folder. The test receives
    each case as the ``smoke_case`` argument, with the case's name as its id::

        @modelgate.smoke_cases("smoke_cases.csv")
        def test_smoke(gate, smoke_case):
            gate.smoke(smoke_case)
    """
    from .smoke import load_smoke_cases

    path = Path(path)
    if not path.is_absolute():
        caller = sys._getframe(1).f_globals.get("__file__")
        if caller:
            path = Path(caller).resolve().parent / path
    cases = load_smoke_cases(path)
    return pytest.mark.parametrize("smoke_case", cases, ids=[case.name for case in cases])


# -- fixtures ------------------------------------------------------------------
def _require(request: pytest.FixtureRequest) -> GateSession:
    gate = _session(request.config)
    if gate is None:
        pytest.skip(NEEDS_MODEL_RUN)
    return gate


@pytest.fixture(scope="session")
def model_run(request: pytest.FixtureRequest) -> Any:
    """The Metaflow Run being gated."""
    return _require(request).run


@pytest.fixture(scope="session")
def validation_data(request: pytest.FixtureRequest) -> Any:
    """The run's validation frame (the data artifact)."""
    return _require(request).data


@pytest.fixture(scope="session")
def model_scorer(request: pytest.FixtureRequest) -> Scorer:
    """The run's model as a scorer: texts -> 1-D array of positive-class probabilities."""
    return _require(request).scorer


@pytest.fixture(scope="session")
def majority_baseline(request: pytest.FixtureRequest) -> np.ndarray:
    """Scores of the majority-class baseline on the validation rows."""
    return _require(request).evaluation.scores(MAJORITY)


@pytest.fixture(scope="session")
def evaluation(request: pytest.FixtureRequest) -> Evaluation:
    """Labels plus candidate and baseline scores, computed once per session."""
    return _require(request).evaluation


@pytest.fixture(scope="session")
def champion_run(request: pytest.FixtureRequest) -> str | None:
    """Pathspec of the champion (the newest other tagged run, or --baseline-run), or None."""
    return _require(request).champion


@pytest.fixture
def gate(request: pytest.FixtureRequest, evaluation: Evaluation) -> GateRecorder:
    """Run checks as assertions and record their results for the report and JUnit XML.

    It asks for ``evaluation`` so that loading the model and scoring happen in
    setup: a failure there is an error (no tag change), not a failed check.
    """
    from .recorder import GateRecorder

    return GateRecorder(_require(request), request.node.user_properties)


def _is_verdict(exc: BaseException) -> bool:
    """A failed assertion (or pytest.fail) is the model's verdict; anything else
    raised in a test (a Metaflow outage, a bug, a bad setting) is an error."""
    if isinstance(exc, BaseExceptionGroup):  # e.g. Hypothesis reporting several failures
        return all(_is_verdict(e) for e in exc.exceptions)
    return isinstance(exc, (AssertionError, pytest.fail.Exception))
