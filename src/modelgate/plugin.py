"""The pytest plugin: options, fixtures and the hooks that decide the tag.

Thin glue: the logic lives in :mod:`modelgate.session` and below. Loading this
module imports nothing heavy (no Metaflow, TensorFlow or pandas), so
``pytest --help`` and suites that never pass ``--model-run`` stay fast and
unchanged.

With ``--model-run``, every collected test is a quality test. The tag is
decided on the controller (never on an xdist worker): workers report their
deselections and collection errors through ``workeroutput``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .session import GateSession

GATE = pytest.StashKey["GateSession"]()
_WORKER_KEY = "modelgate"
# Options that may drop quality tests without pytest reporting them as deselected.
_PARTIAL_RUN_OPTIONS = (("lf", "--lf"), ("stepwise", "--sw"), ("stepwise_skip", "--sw-skip"))
RESULT_PROPERTY = "modelgate_result"  # JSON of a CheckResult, carried by the test report


def pytest_addoption(parser: pytest.Parser) -> None:
    from .config import HELP, GateSettings

    group = parser.getgroup("modelgate", "model quality gate (modelgate)")
    group.addoption(
        "--model-run",
        metavar="SPEC",
        help="gate this Metaflow run: Flow/run_id, or a run id, 'latest' or "
        "'latest-successful' with --model-flow. Without it the plugin does nothing.",
    )
    group.addoption("--model-flow", metavar="FLOW", help="flow of a bare run id or of 'latest'")
    group.addoption(
        "--namespace",
        dest="modelgate_namespace",
        metavar="NS",
        help="namespace 'latest' searches: 'global', 'user' (yours), or a tag such as "
        "user:alice. Default: yours, else global. Explicit run ids ignore it.",
    )
    group.addoption(
        "--gate-dry-run",
        action="store_true",
        help="decide and report, but change no tag",
    )
    group.addoption(
        "--gate-keep-on-fail",
        action="store_true",
        help="when a quality test fails, keep a tag left by an earlier gate",
    )
    defaults = GateSettings()
    for name, text in HELP.items():
        flag = "--gate-tag" if name == "tag" else "--" + name.replace("_", "-")
        default = getattr(defaults, name)
        group.addoption(flag, dest=f"modelgate_{name}", metavar="NAME", help=f"{text} (default: {default})")
        parser.addini(f"modelgate_{name}", f"modelgate: {text}", default="")


def _settings(config: pytest.Config):
    from .config import merge, setting_names

    cli = {n: config.getoption(f"modelgate_{n}") for n in setting_names()}
    ini = {n: config.getini(f"modelgate_{n}") for n in setting_names()}
    return merge(cli, ini)


def _session(config: pytest.Config) -> "GateSession | None":
    return config.stash.get(GATE, None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "modelgate: a quality test of the modelgate gate")
    spec = config.getoption("model_run")
    if not spec:
        return
    from . import session as gate_session

    flags = dict(dry_run=config.getoption("gate_dry_run"), keep_on_fail=config.getoption("gate_keep_on_fail"))
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: the controller resolved the run already
        gate = gate_session.attach(workerinput[_WORKER_KEY], _settings(config), **flags)
    else:
        gate = _open(config, spec, flags)
    config.stash[GATE] = gate
    config.pluginmanager.register(GatePlugin(gate, worker=workerinput is not None), "modelgate-gate")


def _open(config: pytest.Config, spec: str, flags: dict) -> "GateSession":
    from .errors import GateUsageError
    from .session import open_gate

    try:
        return open_gate(
            spec,
            flow=config.getoption("model_flow"),
            namespace=config.getoption("modelgate_namespace"),
            settings=_settings(config),
            **flags,
        )
    except GateUsageError as exc:
        raise pytest.UsageError(f"modelgate: {exc}") from None


class GatePlugin:
    """The hooks of a session started with ``--model-run``, bound to its gate."""

    def __init__(self, gate: "GateSession", *, worker: bool) -> None:
        self.gate = gate
        self.worker = worker

    def pytest_report_header(self) -> str:
        mode = " (dry run)" if self.gate.dry_run else ""
        return f"model run: {self.gate.pathspec} (modelgate manages tag {self.gate.settings.tag!r}{mode})"

    # -- xdist: hand the resolved run to workers, collect their counts ---------
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        node.workerinput[_WORKER_KEY] = self.gate.pathspec

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self.gate.outcome.collected.update(ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        counts = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        outcome = self.gate.outcome
        if counts is None:  # a worker that died before reporting: fail closed
            outcome.interrupted = True
            return
        # Every worker collects the whole suite, so take the largest count, not the sum.
        outcome.deselected = max(outcome.deselected, counts["deselected"])
        outcome.collection_errors = max(outcome.collection_errors, counts["collection_errors"])

    # -- what happened to each quality test -------------------------------------
    def pytest_deselected(self, items) -> None:
        self.gate.outcome.deselected += len(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.gate.outcome.collection_errors += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.gate.outcome.collected.update(item.nodeid for item in session.items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.gate.outcome.record(
            report.nodeid, report.when, report.outcome, wasxfail=hasattr(report, "wasxfail")
        )
        if report.when == "call" and not self.worker:
            from .checks import CheckResult

            for name, value in report.user_properties:
                if name == RESULT_PROPERTY:
                    self.gate.results.append(CheckResult.from_dict(json.loads(value)))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        outcome = self.gate.outcome
        if self.worker:  # report, never decide
            config.workeroutput[_WORKER_KEY] = {
                "deselected": outcome.deselected,
                "collection_errors": outcome.collection_errors,
            }
            return
        outcome.exitstatus = int(exitstatus)
        outcome.interrupted = outcome.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
        outcome.collect_only = bool(config.getoption("collectonly"))
        outcome.selection_options = [
            flag for option, flag in _PARTIAL_RUN_OPTIONS if config.getoption(option, None)
        ]
        self.gate.finish()
        if self.gate.tag_error:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        gate = self.gate
        if self.worker or not gate.tag_line:
            return
        from .checks import Verdict
        from .report import verdict_table

        terminalreporter.section("modelgate")
        if gate.results:
            terminalreporter.write_line(verdict_table(Verdict(results=gate.results, run=gate.pathspec)))
        applied = gate.decision is not None and gate.decision.action == "apply" and not gate.dry_run
        markup = {"red": True} if gate.tag_error else {"green": True} if applied else {"yellow": True}
        terminalreporter.write_line(f"modelgate: {gate.tag_line}", **markup)


# -- fixtures ------------------------------------------------------------------
def _require(request: pytest.FixtureRequest) -> "GateSession":
    gate = _session(request.config)
    if gate is None:
        pytest.skip("modelgate: this quality test needs --model-run")
    return gate


@pytest.fixture(scope="session")
def model_run(request: pytest.FixtureRequest):
    """The Metaflow Run being gated."""
    return _require(request).run


@pytest.fixture(scope="session")
def validation_data(request: pytest.FixtureRequest):
    """The run's validation frame (the data artifact)."""
    return _require(request).data


@pytest.fixture(scope="session")
def model_scorer(request: pytest.FixtureRequest):
    """The run's model as a scorer: texts -> 1-D array of positive-class probabilities."""
    return _require(request).scorer


@pytest.fixture(scope="session")
def majority_baseline(request: pytest.FixtureRequest):
    """Scores of the majority-class baseline on the validation rows."""
    return _require(request).evaluation.scores("majority")


@pytest.fixture(scope="session")
def evaluation(request: pytest.FixtureRequest):
    """Labels plus candidate and baseline scores, computed once per session."""
    return _require(request).evaluation


@pytest.fixture
def gate(request: pytest.FixtureRequest):
    """Run checks as assertions and record their results for the report and JUnit XML."""
    from .gate import GateRecorder

    session = _require(request)
    return GateRecorder(session, request.node.user_properties)
