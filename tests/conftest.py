"""Isolate Metaflow for the whole test session, before anything imports it.

Metaflow reads its configuration at import, so the environment is set here, at
the top of the root conftest, which pytest imports before any test module.
Every session (and every xdist worker) gets its own temporary metadata and
datastore; CI runs as root, where Metaflow cannot guess a user name, so one is
set unless the caller chose one.
"""

import os
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
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def tiny_run() -> str:
    """A successful TinyFlow run (scikit-learn model; its artifact is ``model``)."""
    return run_flow(FLOWS / "tiny_flow.py")


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
def tutorial_model_dict(demo_run):
    """The model_dict artifact ({'vectorizer', 'model'}) of a real NLPFlow run."""
    from modelgate.runs import load_artifact

    return load_artifact(demo_run, "model_dict")


@pytest.fixture(scope="session", autouse=True)
def _import_heavy_modules_once():
    # pytester's in-process sessions drop the modules first imported inside
    # them; importing the heavy ones here keeps them from being imported twice.
    import metaflow  # noqa: F401
    import pandas  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.pipeline  # noqa: F401
    import modelgate.gate  # noqa: F401  (and so checks, evaluation, ...)
    import modelgate.session  # noqa: F401
    import modelgate.report  # noqa: F401
    import modelgate.scorers  # noqa: F401
    import modelgate.smoke  # noqa: F401
    import modelgate.stats  # noqa: F401
