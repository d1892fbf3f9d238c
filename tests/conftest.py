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
# One thread per numeric library, for this process and the flows and sessions it
# starts: on a small machine, OpenMP, BLAS and TensorFlow thread pools sized to
# every core spend more time waiting for each other than computing (the tests'
# models and batches are small). The caller's own settings win.
for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
):
    os.environ.setdefault(_variable, "1")

# ---------------------------------------------------------------------------
# Real Metaflow runs shared by the tests (made once per session, or per xdist
# worker). Everything below imports Metaflow lazily, after the isolation above.
from pathlib import Path  # noqa: E402  (after the environment above, which Metaflow reads)

import pytest  # noqa: E402

from helpers import (  # noqa: E402
    EXAMPLES,
    FLOWS,
    PROJECT,
    REAL_TRAIN,
    REAL_VALID,
    SHARED_DATA,
    TABULAR_EXAMPLES,
    GateSuite,
    example_module,
    reset_tags,
    run_flow,
    run_flows_side_by_side,
    user_tags,
)


@pytest.fixture(scope="session")
def demo():
    """The demo data's (train, valid) frames; valid with the ``garment`` column NLPFlow derives."""
    train, valid = example_module("demo_data").demo_frames()
    return train, valid.assign(garment=example_module("garment").garment_of(valid["review"]))


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
        cwd=_root,
        stdout=log,
        stderr=subprocess.STDOUT,  # in the datastore root, as run_flow does
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
        pytest.skip(f"no real review data in {SHARED_DATA} (../shared/data, or set MODELGATE_SHARED)")
    import keras  # noqa: F401  (see _import_heavy_modules_once)

    return run_flow(EXAMPLES / "nlpflow.py", train_data=str(REAL_TRAIN), valid_data=str(REAL_VALID), tag_in_flow=False)


@pytest.fixture(scope="session")
def table_run() -> str:
    """A TableFlow run: a scikit-learn model and validation frame per task (see tests/flows/table_flow.py)."""
    return run_flow(FLOWS / "table_flow.py")


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

    for module in pkgutil.walk_packages(modelgate.__path__, "modelgate.", onerror=lambda name: None):
        try:
            importlib.import_module(module.name)
        except Exception:  # a broken module fails the tests that use it, not every test
            pass


# ---------------------------------------------------------------------------
# Which tests share an xdist worker (the README's `pytest -n 2`): tests/xdist_units.py.
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist_units import make_scheduler

    return make_scheduler(config, log)


# ---------------------------------------------------------------------------
# The tests' marker rule: `pytest -m "not slow"` answers in well under a minute.
# A test is slow when it trains TensorFlow (the example's Keras model, in
# process or in an NLPFlow run) or makes Metaflow runs of its own beyond the
# shared `tiny_run`: it uses one of these fixtures. Tests that start pytest in
# a subprocess or with xdist workers carry @pytest.mark.slow themselves.
SLOW_FIXTURES = frozenset(
    {
        "trained_nbow",
        "demo_run",
        "real_run",
        "tutorial_model_dict",  # TensorFlow
        # test_bad_input.py and test_champion.py: runs made for one module or one test
        "failed_runs",
        "running_run",
        "text_label_run",
        "empty_run",
        "newest_run",
        "newest_run_failed",
        "good_runs",
        "worse_run",
        "champion_without_model",
        "spare_runs",
        "table_run",  # tests/flows/table_flow.py: a model per task
        "tabular_runs",  # the tabular examples' flows, good and shuffled
        "twisted_run",
        "planted_run",  # test_search_sessions.py: TinyFlow with a planted weak slice
        "pickled_runs",  # test_model_sources.py: PicklesFlow, ArtifactsFlow with a Keras file, CheckpointFlow
        "keras_run",
        "checkpoint_run",
        "nlp_case",  # tests/integration/metamorphic (and good_runs): the examples' runs, the flips' run, the Keras model
    }
)


# tests/unit makes no Metaflow run and starts no pytest session: a unit test that
# asks for one of these belongs in tests/integration (or higher).
NOT_UNIT_FIXTURES = SLOW_FIXTURES | {"tiny_run", "run", "pytester", "gate_suite", "deployment"}
UNIT = Path(__file__).resolve().parent / "unit"


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items):
    misplaced = []
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if SLOW_FIXTURES & used:
            item.add_marker(pytest.mark.slow)
        if NOT_UNIT_FIXTURES & used and item.path.is_relative_to(UNIT):
            misplaced.append(f"{item.nodeid} ({', '.join(sorted(NOT_UNIT_FIXTURES & used))})")
    if misplaced:
        raise pytest.UsageError("unit tests that need a run or a session:\n" + "\n".join(misplaced))


@pytest.fixture
def gate_suite(pytester) -> GateSuite:
    """The shared helper: a gate suite to write and pytest sessions to gate a run with it."""
    return GateSuite(pytester)


@pytest.fixture
def run(tiny_run) -> str:
    """The shared TinyFlow run with its user tags reset: none at all."""
    return reset_tags(tiny_run)
