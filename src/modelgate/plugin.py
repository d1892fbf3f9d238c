"""The pytest plugin: options, fixtures, configured test items, and the hooks
that decide the tag.

Thin glue: the logic lives in :mod:`modelgate.session` and below. Loading this
module imports nothing heavy (no Metaflow, TensorFlow, pandas or scipy), so
``pytest --help`` and suites that never pass ``--model-run`` stay fast and
unchanged.

With ``--model-run``, every collected test is a quality test. The tag is
decided on the controller (never on an xdist worker): workers report their
deselections and collection errors through ``workeroutput``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .session import GateSession

GATE = pytest.StashKey["GateSession"]()
_WORKER_KEY = "modelgate"
RESULT_PROPERTY = "modelgate_result"  # JSON of a CheckResult, carried by the test report
ERROR_PROPERTY = "modelgate_error"  # marks a call phase that raised something other than a failed check
# Options that may drop quality tests without pytest reporting them as deselected.
_PARTIAL_RUN_OPTIONS = (("lf", "--lf"), ("stepwise", "--sw"), ("stepwise_skip", "--sw-skip"))


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
        "with one, above the test paths)",
    )
    group.addoption(
        "--gate-check",
        action="append",
        default=[],
        metavar="KEY=VALUE,...",
        help="add a check, e.g. metric=roc_auc,baseline=champion,margin=-0.01 (repeatable)",
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
        group.addoption(flag, dest=f"modelgate_{name}", metavar="NAME", help=f"{text} (default: {default})")
        parser.addini(f"modelgate_{name}", f"modelgate: {text}", default="")


def _gate_config(config: pytest.Config):
    from .config import GateConfig, find_config, load_config, merge, setting_names

    path = config.getoption("gate_config")
    if path:
        base = load_config(Path(config.invocation_params.dir, path))
    else:
        starts = [Path(config.invocation_params.dir, a.split("::")[0]) for a in config.args]
        found = find_config(starts, config.rootpath)
        base = load_config(found) if found else GateConfig()
    cli = {n: config.getoption(f"modelgate_{n}") for n in setting_names()}
    smoke = config.getoption("smoke_cases")
    cli.update(
        smoke_cases=str(Path(config.invocation_params.dir, smoke)) if smoke else None,
        require_champion=config.getoption("require_champion"),
        checks=config.getoption("gate_check"),
    )
    ini = {n: config.getini(f"modelgate_{n}") for n in setting_names()}
    return merge(base, ini, cli)


def _session(config: pytest.Config) -> "GateSession | None":
    return config.stash.get(GATE, None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "modelgate: a quality test of the modelgate gate")
    spec = config.getoption("model_run")
    if spec is None:
        return
    if not spec.strip():  # e.g. an unset CI variable: never silently gate nothing
        raise pytest.UsageError("modelgate: --model-run is empty: give Flow/run_id")
    from .errors import GateUsageError
    from .session import GateSession, open_gate

    flags = dict(dry_run=config.getoption("gate_dry_run"), keep_on_fail=config.getoption("gate_keep_on_fail"))
    workerinput = getattr(config, "workerinput", None)
    try:
        gate_config = _gate_config(config)
        if workerinput is not None:  # an xdist worker: the controller resolved the runs already
            shared = workerinput[_WORKER_KEY]
            gate = GateSession(
                shared["pathspec"], gate_config, champion=shared["champion"],
                no_champion_reason=shared["no_champion_reason"], baseline_runs=shared["baseline_runs"], **flags,
            )
        else:
            _check_report_paths(config)
            gate = open_gate(
                spec,
                flow=config.getoption("model_flow"),
                namespace=config.getoption("modelgate_namespace"),
                config=gate_config,
                baseline_run=config.getoption("baseline_run"),
                **flags,
            )
    except GateUsageError as exc:
        raise pytest.UsageError(f"modelgate: {exc}") from None
    config.stash[GATE] = gate
    config.pluginmanager.register(GatePlugin(gate, worker=workerinput is not None), "modelgate-gate")


def _check_report_paths(config: pytest.Config) -> None:
    """Refuse report paths that cannot be written, before any test runs."""
    from .errors import GateUsageError

    for option in ("gate_report", "gate_markdown"):
        value = config.getoption(option)
        if value:
            path = Path(config.invocation_params.dir, value)
            if path.is_dir() or (path.parent.exists() and not path.parent.is_dir()):
                flag = "--" + option.replace("_", "-")
                raise GateUsageError(f"{flag} {value}: not a file path that can be written")


class ConfiguredCheck(pytest.Item):
    """A check, smoke case or property declared in ``[tool.modelgate]``, as a test item."""

    def __init__(self, *, gate: "GateSession", check=None, case=None, prop=None, **kwargs) -> None:
        # The session's children would get ids starting with "::"; these read "modelgate::...".
        super().__init__(nodeid=kwargs["name"], **kwargs)
        self.gate, self.check, self.case, self.prop = gate, check, case, prop
        self.add_marker("modelgate")

    def setup(self) -> None:
        # Load and score in setup: a failure to get the evidence is an error
        # (no tag change), not a failed check (which revokes).
        evaluation = self.gate.evaluation
        if self.check is not None and self.check.baseline not in evaluation.absent:
            evaluation.scores(self.check.baseline)

    def runtest(self) -> None:
        from .gate import GateRecorder

        recorder = GateRecorder(self.gate, self.user_properties)
        if self.check is not None:
            recorder.check(self.check)
        elif self.prop is not None:
            recorder.property(self.prop)
        else:
            recorder.smoke(self.case)

    def repr_failure(self, excinfo, style=None):
        from .gate import GateCheckFailed

        if isinstance(excinfo.value, GateCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, ""  # no domain: pytest would turn the dots of "0.1" into "::"


class GatePlugin:
    """The hooks of a session started with ``--model-run``, bound to its gate."""

    def __init__(self, gate: "GateSession", *, worker: bool) -> None:
        self.gate = gate
        self.worker = worker
        self.report_errors: list[str] = []

    def pytest_report_header(self) -> list[str]:
        gate = self.gate
        mode = " (dry run)" if gate.dry_run else ""
        lines = [f"model run: {gate.pathspec} (modelgate manages tag {gate.settings.tag!r}{mode})"]
        lines.append(f"champion: {gate.champion or 'none yet'}")
        if gate.config.source:
            lines.append(f"gate config: {gate.config.source}")
        return lines

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, so they see these items too
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list) -> None:
        config = self.gate.config
        where = Path(config.source or session.path)  # shown as the items' file
        made = [
            ConfiguredCheck.from_parent(session, name=f"modelgate::{check.name}", path=where, gate=self.gate, check=check)
            for check in config.checks
        ]
        made += [
            ConfiguredCheck.from_parent(session, name=f"modelgate::property::{prop.name}", path=where, gate=self.gate, prop=prop)
            for prop in config.properties
        ]
        where = Path(config.smoke_cases or where)
        made += [
            ConfiguredCheck.from_parent(session, name=f"modelgate::smoke::{case.name}", path=where, gate=self.gate, case=case)
            for case in self.gate.smoke_cases
        ]
        items[:0] = made
        if made:  # count them in "collected N items", as collected items are
            report = pytest.CollectReport("modelgate", "passed", None, made)
            session.ihook.pytest_collectreport(report=report)

    # -- xdist: hand the resolved runs to workers, collect their counts --------
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        node.workerinput[_WORKER_KEY] = {
            "pathspec": self.gate.pathspec,
            "champion": self.gate.champion,
            "no_champion_reason": self.gate.no_champion_reason,
            "baseline_runs": self.gate.baseline_runs,
        }

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
        for key in ("deselected", "collection_errors", "skipped_modules"):
            setattr(outcome, key, max(getattr(outcome, key), counts[key]))

    # -- what happened to each quality test -------------------------------------
    def pytest_deselected(self, items) -> None:
        self.gate.outcome.deselected += len(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.gate.outcome.collection_errors += 1
        elif report.skipped:  # e.g. importorskip: a whole module of quality tests left out
            self.gate.outcome.skipped_modules += 1

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.when == "call" and report.failed and call.excinfo is not None:
            if not _is_verdict(call.excinfo.value):
                report.user_properties.append((ERROR_PROPERTY, call.excinfo.typename))
        return report

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.gate.outcome.collected.update(item.nodeid for item in session.items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        errored = any(name == ERROR_PROPERTY for name, _ in report.user_properties)
        self.gate.outcome.record(
            report.nodeid, report.when, "error" if errored else report.outcome, wasxfail=hasattr(report, "wasxfail")
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
                "skipped_modules": outcome.skipped_modules,
            }
            return
        outcome.exitstatus = int(exitstatus)
        outcome.interrupted = outcome.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
        outcome.collect_only = bool(config.getoption("collectonly"))
        outcome.selection_options = [
            flag for option, flag in _PARTIAL_RUN_OPTIONS if config.getoption(option, None)
        ]
        if any("::" in arg for arg in config.args):
            outcome.selection_options.append("selecting tests by node id")
        self.gate.finish()
        self._write_reports(config)
        if self.gate.tag_error or self.report_errors:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _write_reports(self, config: pytest.Config) -> None:
        from .report import verdict_json, verdict_markdown

        verdict = self.gate.verdict()
        base = config.invocation_params.dir
        markdown = verdict_markdown(verdict)
        writes = [
            (config.getoption("gate_report"), verdict_json(verdict), "w"),
            (config.getoption("gate_markdown"), markdown, "w"),
            (os.environ.get("GITHUB_STEP_SUMMARY"), markdown + "\n", "a"),
        ]
        for target, text, mode in writes:
            if not target:
                continue
            path = Path(base, target)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open(mode, encoding="utf-8") as f:
                    f.write(text)
            except OSError as exc:
                self.report_errors.append(f"could not write the report {path}: {exc.strerror or exc}")

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        gate = self.gate
        if self.worker or not gate.tag_line:
            return
        from .report import verdict_table

        terminalreporter.section("modelgate")
        if gate.results:
            terminalreporter.write_line(verdict_table(gate.verdict()))
        for error in self.report_errors:
            terminalreporter.write_line(f"modelgate: {error}", red=True)
        applied = gate.decision is not None and gate.decision.action == "apply" and not gate.dry_run
        markup = {"red": True} if gate.tag_error else {"green": True} if applied else {"yellow": True}
        terminalreporter.write_line(f"modelgate: {gate.tag_line}", **markup)


# -- the Python API for gate suites ----------------------------------------------
def smoke_cases(path: str | os.PathLike[str]):
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


@pytest.fixture(scope="session")
def champion_run(request: pytest.FixtureRequest) -> str | None:
    """Pathspec of the champion (the newest other tagged run, or --baseline-run), or None."""
    return _require(request).champion


@pytest.fixture
def gate(request: pytest.FixtureRequest, evaluation):
    """Run checks as assertions and record their results for the report and JUnit XML.

    It asks for ``evaluation`` so that loading the model and scoring happen in
    setup: a failure there is an error (no tag change), not a failed check.
    """
    from .gate import GateRecorder

    return GateRecorder(_require(request), request.node.user_properties)


def _is_verdict(exc: BaseException) -> bool:
    """A failed assertion (or pytest.fail) is the model's verdict; anything else
    raised in a test (a Metaflow outage, a bug, a bad setting) is an error."""
    if isinstance(exc, BaseExceptionGroup):  # e.g. Hypothesis reporting several failures
        return all(_is_verdict(e) for e in exc.exceptions)
    return isinstance(exc, (AssertionError, pytest.fail.Exception))
