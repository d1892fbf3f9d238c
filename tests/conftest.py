"""Isolate Metaflow for the whole test session, before anything imports it.

Metaflow reads its configuration at import, so the environment is set here, at
the top of the root conftest, which pytest imports before any test module.
Every session (and every xdist worker) gets its own temporary metadata and
datastore; CI runs as root, where Metaflow cannot guess a user name, so one is
set unless the caller chose one.
"""

import atexit
import os
import shutil
import tempfile

_root = tempfile.mkdtemp(prefix="modelgate-tests-")
os.environ["METAFLOW_HOME"] = os.path.join(_root, "home")
os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = _root
os.environ["METAFLOW_DEFAULT_METADATA"] = "local"
os.environ["METAFLOW_DEFAULT_DATASTORE"] = "local"
os.environ.setdefault("METAFLOW_USER", "modelgate-tests")
# A private artifact cache per session (the gate refuses a shared, writable one).
os.environ["METAFLOW_CLIENT_CACHE_PATH"] = os.path.join(_root, "client-cache")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("METAFLOW_DISABLE_TRACING", "1")

# ---------------------------------------------------------------------------
# Real Metaflow runs shared by the tests (made once per session, or per xdist
# worker). Everything below imports Metaflow lazily, after the isolation above.
from pathlib import Path  # noqa: E402  (after the environment above, which Metaflow reads)

import pytest  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples"
FLOWS = Path(__file__).resolve().parent / "flows"
SHARED_DATA = PROJECT.parent / "shared" / "data"
REAL_TRAIN = SHARED_DATA / "reviews_train.parquet"
REAL_VALID = SHARED_DATA / "reviews_valid.parquet"


def example_module(name: str):
    """Import a module of examples/ (``model``, ``demo_data``) as the flow does."""
    import importlib
    import sys

    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(scope="session")
def demo():
    """The demo data's (train, valid) frames."""
    return example_module("demo_data").demo_frames()


@pytest.fixture(scope="session")
def trained_nbow(demo):
    """The tutorial's NbowModel trained briefly (2 epochs) on the demo data, in process."""
    import keras

    keras.utils.set_random_seed(0)
    train, _ = demo
    nbow = example_module("model").NbowModel(750)
    nbow.fit(train.review, train.labels, epochs=2, verbose=0)
    return nbow


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """Where tests leave sample outputs for people to look at (.test-artifacts/, not committed)."""
    folder = PROJECT / ".test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


def run_flow(flow_file: Path, **params) -> str:
    """Run a flow to the end with Metaflow's Runner; its pathspec, or the failure.

    The flow runs in the datastore root: Metaflow writes cards under the
    .metaflow folder it finds from the working directory up, but reads them
    from the datastore root, so the two must agree.
    """
    from metaflow import Runner

    cwd = os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
    with Runner(str(flow_file), show_output=False, cwd=cwd).run(**params) as running:
        if running.status != "successful" and not params.get("fail_at"):
            raise RuntimeError(f"{flow_file.name} failed:\n{running.stdout}\n{running.stderr}")
        return running.run.pathspec


# The shared TinyFlow run starts in the background when pytest starts, so that
# its ~10 seconds overlap collection; it is stopped if no selected test uses it.
_background_tiny_run: dict = {}


_session_config: list = []  # the config of this process's own session (not a pytester one inside it)


def _remove_root() -> None:
    """Remove this process's datastore (each xdist worker has its own), once nothing writes to it."""
    _stop_background_tiny_run()
    shutil.rmtree(_root, ignore_errors=True)


atexit.register(_remove_root)  # registered first, so it runs last: after the deployment servers stop


def pytest_configure(config):
    if not _session_config:
        _session_config.append(config)
    xdist_controller = config.getoption("numprocesses", None) and not hasattr(config, "workerinput")
    runs_no_test = config.getoption("collectonly") or config.getoption("help")
    if xdist_controller or runs_no_test or _background_tiny_run:
        return  # an xdist controller runs no test: its workers make their own runs
    import subprocess
    import sys

    folder = Path(tempfile.mkdtemp(prefix="tiny-run-", dir=_root))
    log = (folder / "log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(FLOWS / "tiny_flow.py"), "run", "--run-id-file", str(folder / "run_id")],
        cwd=_root, stdout=log, stderr=subprocess.STDOUT,  # in the datastore root, as run_flow does
    )
    _background_tiny_run.update(process=process, folder=folder, log=log)


def _stop_background_tiny_run() -> None:
    process = _background_tiny_run.pop("process", None)
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()
    if "log" in _background_tiny_run:
        _background_tiny_run.pop("log").close()


@pytest.hookimpl(trylast=True)  # after -m and -k deselected
def pytest_collection_finish(session):
    if not any("tiny_run" in getattr(item, "fixturenames", ()) for item in session.items):
        _stop_background_tiny_run()


def pytest_unconfigure(config):
    if _session_config and config is _session_config[0]:
        _remove_root()  # also at exit, should the process end some other way (an xdist worker)
    else:
        _stop_background_tiny_run()


@pytest.fixture(scope="session")
def tiny_run() -> str:
    """A successful TinyFlow run (scikit-learn model; its artifact is ``model``)."""
    process = _background_tiny_run.get("process")
    if process is None:
        return run_flow(FLOWS / "tiny_flow.py")
    folder = _background_tiny_run["folder"]
    if process.wait() != 0:
        raise RuntimeError(f"tiny_flow.py failed:\n{(folder / 'log').read_text(errors='replace')}")
    return f"TinyFlow/{(folder / 'run_id').read_text().strip()}"


@pytest.fixture(scope="session")
def demo_run() -> str:
    """The example NLPFlow trained on the built-in demo data (real Keras model)."""
    import keras  # noqa: F401  (see _import_heavy_modules_once)

    return run_flow(EXAMPLES / "nlpflow.py", tag_in_flow=False)


@pytest.fixture(scope="session")
def real_run() -> str:
    """The example NLPFlow trained on the real reviews in ../shared/data."""
    if not REAL_TRAIN.exists():
        pytest.skip("the real review data (../shared/data) is not beside the project")
    import keras  # noqa: F401  (see _import_heavy_modules_once)

    return run_flow(
        EXAMPLES / "nlpflow.py", train_data=str(REAL_TRAIN), valid_data=str(REAL_VALID), tag_in_flow=False
    )


@pytest.fixture(scope="session")
def table_run() -> str:
    """A TableFlow run: a scikit-learn model and validation frame per task (see tests/flows/table_flow.py)."""
    return run_flow(FLOWS / "table_flow.py")


# The tabular examples (examples/<name>/<flow file>, flow class): each runs twice, as
# written and with --shuffle-labels True (a model with no skill), once per session.
TABULAR_EXAMPLES = {
    "wine": ("wine/wineflow.py", "WineFlow"),
    "diabetes": ("diabetes/diabetesflow.py", "DiabetesFlow"),
    "breast_cancer": ("breast_cancer/breastcancerflow.py", "BreastCancerFlow"),
}
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_flows_side_by_side(flows: dict[str, tuple[Path, str, list[str]]]) -> dict[str, str]:
    """Run each ``name: (flow file, flow name, extra args)`` to the end, all at once, each in its own
    ``python <flow> run`` process in the datastore root (as run_flow does); name -> pathspec."""
    import subprocess
    import sys
    import time

    root = os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"]
    folder = Path(tempfile.mkdtemp(prefix="side-by-side-", dir=root))
    # One thread each: runs side by side on a small machine, with OpenMP or BLAS
    # threads in each, spend more time waiting for each other than computing.
    env = {**os.environ, **ONE_THREAD}
    started = {}
    try:
        for name, (flow_file, _, args) in flows.items():
            # Local metadata names a run by the microsecond it starts at: two runs of one
            # flow launched at the same instant once got the same id. Start them apart.
            time.sleep(1.0 if started else 0.0)
            stem = name.replace("/", "-")  # a file name
            log = (folder / f"{stem}.log").open("wb")
            command = [sys.executable, str(flow_file), "run", "--run-id-file", str(folder / f"{stem}.id"), *args]
            started[name] = (subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT), log)
        runs = {}
        for name, (process, _) in started.items():
            stem = name.replace("/", "-")
            if process.wait(timeout=900) != 0:
                raise RuntimeError(f"{name} failed:\n{(folder / f'{stem}.log').read_text(errors='replace')}")
            runs[name] = f"{flows[name][1]}/{(folder / f'{stem}.id').read_text().strip()}"
    finally:
        for process, log in started.values():
            if process.poll() is None:  # the others, when one failed or timed out
                process.kill()
                process.wait()
            log.close()
    assert len(set(runs.values())) == len(runs), f"Metaflow gave two runs one id: {runs}"
    return runs


@pytest.fixture(scope="session")
def tabular_runs() -> dict[str, dict]:
    """Every tabular example run as written ("good") and with shuffled labels ("shuffled"),
    the six at once; per example its pathspecs, and the user tags each run had when it
    finished (the in-flow gate tags a passing run) under "tags_after_flow"."""
    flows = {
        f"{name}/{kind}": (EXAMPLES / flow_file, flow_name, args)
        for name, (flow_file, flow_name) in TABULAR_EXAMPLES.items()
        for kind, args in {"good": [], "shuffled": ["--shuffle-labels", "True"]}.items()
    }
    made = run_flows_side_by_side(flows)
    runs: dict[str, dict] = {}
    for key, pathspec in made.items():
        name, kind = key.split("/")
        runs.setdefault(name, {"tags_after_flow": {}})[kind] = pathspec
        runs[name]["tags_after_flow"][kind] = user_tags(pathspec)
    return runs


@pytest.fixture(scope="session")
def tutorial_model_dict(demo_run):
    """The model_dict artifact ({'vectorizer', 'model'}) of a real NLPFlow run."""
    from modelgate.metaflow_io.runs import load_artifact

    return load_artifact(demo_run, "model_dict")


@pytest.fixture(scope="session", autouse=True)
def _import_heavy_modules_once():
    # pytester's in-process sessions drop the modules first imported inside
    # them, so a module a session imports is imported again by the next one.
    # Importing them here, once, keeps a session at a fraction of a second:
    # hypothesis alone (whose pytest plugin imports it at the end of every
    # session, assertion-rewriting the whole package) costs seconds a session.
    import importlib
    import pkgutil

    import hypothesis  # noqa: F401
    import hypothesis.strategies  # noqa: F401
    import metaflow  # noqa: F401
    import pandas  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401  (unpickling TinyFlow's model)
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.pipeline  # noqa: F401
    import sklearn.preprocessing  # noqa: F401  (unpickling TableFlow's models)

    import modelgate

    for module in pkgutil.iter_modules(modelgate.__path__):
        try:
            importlib.import_module(f"modelgate.{module.name}")
        except Exception:  # a broken module fails the tests that use it, not every test
            pass


# ---------------------------------------------------------------------------
# The tests' marker rule: `pytest -m "not slow"` answers in well under a minute.
# A test is slow when it trains TensorFlow (the example's Keras model, in
# process or in an NLPFlow run) or makes Metaflow runs of its own beyond the
# shared `tiny_run`: it uses one of these fixtures. Tests that start pytest in
# a subprocess or with xdist workers carry @pytest.mark.slow themselves.
SLOW_FIXTURES = frozenset({
    "trained_nbow", "demo_run", "real_run", "tutorial_model_dict",  # TensorFlow
    # test_bad_input.py and test_champion.py: runs made for one module or one test
    "failed_runs", "running_run", "text_label_run", "empty_run", "newest_run", "newest_run_failed",
    "good_runs", "worse_run", "champion_without_model", "spare_runs",
    "table_run",  # tests/flows/table_flow.py: a model per task
    "tabular_runs",  # the tabular examples' flows, good and shuffled
    "twisted_run", "nlp_case",  # tests/metamorphic: the flips' run, the Keras model (and good_runs, above)
})


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# ---------------------------------------------------------------------------
# One way to gate a run in a test: write a gate suite with pytester, run pytest
# on it with --model-run, read the run's tags back from Metaflow.

MODEL_INI = "[pytest]\nmodelgate_model_artifact = model\n"  # TinyFlow's model artifact is `model`

PASSING = """
def test_auc_beats_majority(gate):
    gate.beats("roc_auc", margin=0.1)

def test_accuracy_beats_majority(gate):
    gate.beats("accuracy", margin=0.0)
"""


def user_tags(pathspec: str) -> frozenset[str]:
    """The run's user tags, as Metaflow reads them now."""
    from modelgate.metaflow_io.runs import get_run

    return frozenset(get_run(pathspec).user_tags)


def reset_tags(pathspec: str) -> str:
    """Remove every user tag from the run (system tags stay); the pathspec."""
    from modelgate.metaflow_io.runs import get_run

    tags = list(user_tags(pathspec))
    if tags:
        get_run(pathspec).remove_tags(tags)
    assert user_tags(pathspec) == frozenset()
    return pathspec


def untag_flow(flow_name: str, tag: str = "deployment_candidate") -> None:
    """Remove ``tag`` from every run of the flow: no champion for the next gate."""
    from metaflow import Flow
    from metaflow.exception import MetaflowNotFound

    from modelgate.metaflow_io.runs import global_namespace

    with global_namespace():
        try:
            for run in Flow(flow_name).runs(tag):
                run.remove_tag(tag)
        except MetaflowNotFound:
            pass


def error_line(result) -> str:
    """The session's ``ERROR: modelgate: ...`` line."""
    return next(l for l in result.errlines if l.startswith("ERROR: modelgate: "))


def usage_error(result, message: str) -> None:
    """Exit code 4, exactly one ``ERROR: modelgate:`` line holding the message, and no traceback."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.outlines + result.errlines
    errors = [l for l in result.errlines if l.startswith("ERROR: modelgate: ")]
    assert len(errors) == 1, result.errlines
    assert message in errors[0], errors[0]
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)


class GateSuite:
    """A gate suite in pytester's folder, and pytest sessions that gate a run with it.

    ``write()`` puts the suite in ``test_gate.py`` (and any other files) beside
    an ini naming TinyFlow's model artifact; ``run(run, *args)`` runs pytest in
    process with ``--model-run run`` (``None``: no --model-run) and
    ``-p no:cacheprovider``; ``run_subprocess`` the same in a new process.
    """

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path

    def write(self, source: str | None = PASSING, *, ini: str | None = MODEL_INI, **files: str) -> "GateSuite":
        """``test_gate.py`` from ``source`` (None: leave it), the ini (None: none), and ``name=source``
        Python files (a name may hold a folder: ``**{"gate/test_ok": ...}``)."""
        if ini is not None:
            self.pytester.makeini(ini)
        if source is not None:
            self.pytester.makepyfile(test_gate=source)
        if files:
            self.pytester.makepyfile(**files)
        return self

    def file(self, name: str, text: str) -> Path:
        """Any other file (``pyproject.toml``, ``cases.csv``, ``gateA/pyproject.toml``), relative
        to the suite; dedented and stripped as pytester writes files."""
        stem, ext = name.rsplit(".", 1)
        return self.pytester.makefile(f".{ext}", **{stem: text})

    def conftest(self, source: str) -> "GateSuite":
        self.pytester.makeconftest(source)
        return self

    @staticmethod
    def _args(run: str | None, args: tuple[str, ...], cache: bool) -> list[str]:
        model_run = ["--model-run", run] if run is not None else []
        return [*model_run, *([] if cache else ["-p", "no:cacheprovider"]), *args]

    def run(self, run: str | None, *args: str, cache: bool = False) -> pytest.RunResult:
        """pytest in this process (``cache=True`` keeps the cache provider, for ``--lf``)."""
        return self.pytester.runpytest(*self._args(run, args, cache))

    def run_subprocess(self, run: str | None, *args: str) -> pytest.RunResult:
        """pytest in a new process: for what a process reads once (environment, signals)."""
        return self.pytester.runpytest_subprocess(*self._args(run, args, False))

    @staticmethod
    def tag_line(result: pytest.RunResult, *, warnings: bool = False) -> str:
        """The one ``modelgate: `` line about the tag. With ``warnings=True``, ``modelgate: WARNING:``
        lines may stand beside it; by default there must be none."""
        lines = [l for l in result.outlines if l.startswith("modelgate: ")]
        if warnings:
            lines = [l for l in lines if not l.startswith("modelgate: WARNING:")]
        assert len(lines) == 1, result.outlines
        return lines[0]


@pytest.fixture
def gate_suite(pytester) -> GateSuite:
    """The shared helper: a gate suite to write and pytest sessions to gate a run with it."""
    return GateSuite(pytester)


@pytest.fixture
def run(tiny_run) -> str:
    """The shared TinyFlow run with its user tags reset: none at all."""
    return reset_tags(tiny_run)


# ---------------------------------------------------------------------------
# Issue 11, point 1 (appended): the Metaflow deployments of tests/deployments.py:
# local; Netflix's metadata service over HTTP; the service plus an S3 datastore
# on moto's server. A test takes `deployment` parametrized indirectly with
# "local", "service" or "s3" (tests/test_deployments.py: marks `service`, `s3`).
# The servers the selected tests need start once per session, on free loopback
# ports, and three TinyFlow runs per deployment start in the background at
# once; `tiny_runs[i]` waits for the i-th. Everything stops at the end of the
# session, on an error or Ctrl-C too (finally, atexit, and a watchdog process).


@pytest.fixture(scope="session")
def deployment_servers(request):
    """(Servers, {kind: Runs}) for every deployment a selected test uses."""
    import json

    from deployments import KINDS, TINY_FLOW, Runs, Servers

    wanted = {item.callspec.params.get("deployment") for item in request.session.items if hasattr(item, "callspec")}
    kinds = tuple(kind for kind in KINDS if kind in wanted)
    servers = Servers(Path(tempfile.mkdtemp(prefix="deployments-", dir=_root)), kinds)
    runs: dict = {}
    try:
        servers.start(lambda ready: runs.setdefault(ready.name, Runs(ready, TINY_FLOW, 3)))
        yield servers, runs
    finally:
        for pending in runs.values():
            pending.cancel()
        servers.stop()
        if servers.timings:
            line = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in servers.timings.items())
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"\ndeployments: {line}")
            (PROJECT / ".test-artifacts").mkdir(exist_ok=True)
            (PROJECT / ".test-artifacts" / "deployment-timings.json").write_text(
                json.dumps({k: round(v, 2) for k, v in servers.timings.items()}, indent=1) + "\n"
            )


@pytest.fixture
def deployment(request, deployment_servers):
    """The Deployment named by the test's indirect parameter ("local", "service", "s3")."""
    servers, _ = deployment_servers
    return servers.deployments[request.param]


@pytest.fixture
def tiny_runs(deployment, deployment_servers):
    """The deployment's three background TinyFlow runs, oldest first (index: waits for that run)."""
    return deployment_servers[1][deployment.name]
