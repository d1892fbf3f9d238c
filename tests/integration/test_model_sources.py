"""Models wherever teams keep them: real runs whose model is a Keras file's bytes, a
metaflow-checkpoint ``@model`` reference, or a pickle this environment cannot load as it is.

The runs are made once for the module (side by side); each test manages its own tag.
A champion problem is found before any test when a configured check compares with the
champion: one ``ERROR: modelgate:`` line, exit 4, no tag.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import pickle
import platform
import shutil
from pathlib import Path

import pytest

from helpers import FLOWS, run_flow, run_flows_side_by_side, usage_error, user_tags
from modelgate.metaflow_io.tagging import apply_tag

CONFIG = """
[tool.modelgate]
model_artifact = "model"
data_artifact = "val_df"
label_column = "labels"
feature_columns = "*"

[[tool.modelgate.checks]]
metric = "roc_auc"
baseline = "majority"
margin = 0.1
"""
AGAINST_CHAMPION = """
[[tool.modelgate.checks]]
metric = "roc_auc"
baseline = "champion"
margin = -0.05
"""
_tags = itertools.count()
HAS_CHECKPOINT = importlib.util.find_spec("metaflow_extensions.obcheckpoint") is not None


@pytest.fixture
def tag():
    return f"model_sources_{next(_tags)}"


@pytest.fixture(scope="module")
def pickled_runs() -> dict[str, str]:
    """PicklesFlow runs, one per kind of model pickle (tests/flows/pickles_flow.py)."""
    kinds = ("plain", "unimportable", "old-sklearn", "old-sklearn-gone")
    flows = {kind: (FLOWS / "pickles_flow.py", "PicklesFlow", ["--kind", kind]) for kind in kinds}
    return run_flows_side_by_side(flows)


def _frames():
    """tests/flows/custom_model.py's ``frames()`` (which the tests cannot import): (train, valid)."""
    import pandas as pd
    from sklearn.datasets import make_classification

    features, labels = make_classification(n_samples=1000, n_features=5, n_informative=3, flip_y=0.1, random_state=0)
    frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(5)]).assign(labels=labels)
    return frame.iloc[:600].reset_index(drop=True), frame.iloc[600:].reset_index(drop=True)


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory) -> str:
    """An ArtifactsFlow run whose ``model`` is the bytes of a .keras file (a small dense
    network trained on the rows), ``broken_model`` a Keras file that does not load."""
    import io
    import zipfile

    import keras

    train, valid = _frames()
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, activation="sigmoid")])
    net.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    net.fit(train.drop(columns="labels").to_numpy("float32"), train["labels"].to_numpy(), epochs=20, verbose=0)
    folder = tmp_path_factory.mktemp("keras")
    net.save(folder / "model.keras")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("config.json", '{"class_name": "NoSuchLayerAnywhere", "config": {}}')
        archive.writestr("metadata.json", '{"keras_version": "3.0.0"}')
    objects = {"model": (folder / "model.keras").read_bytes(), "broken_model": broken.getvalue(), "val_df": valid}
    (folder / "objects.pkl").write_bytes(pickle.dumps(objects))
    return run_flow(FLOWS / "artifacts_flow.py", artifacts=str(folder / "objects.pkl"))


@pytest.fixture(scope="module")
def checkpoint_run() -> str:
    """A CheckpointFlow run: its model saved with metaflow-checkpoint's @model (the optional extra)."""
    if not HAS_CHECKPOINT:
        pytest.skip("metaflow-checkpoint is not installed (pip install 'modelgate[checkpoint]')")
    return run_flow(FLOWS / "checkpoint_flow.py")


def _suite(gate_suite, *extra: str):
    gate_suite.write("", ini=None)
    gate_suite.file("pyproject.toml", "\n".join((CONFIG, *extra)))
    return gate_suite


# -- a Keras file, as bytes ---------------------------------------------------------------
def test_a_keras_file_artifact_is_gated_and_tagged(gate_suite, keras_run, tag):
    result = _suite(gate_suite).run(keras_run, "--gate-tag", tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(keras_run)
    result.stdout.fnmatch_lines(["*task: binary (inferred)*5 feature columns*", f"modelgate: tag '{tag}' applied*"])


def test_a_keras_file_that_does_not_load_is_one_line_and_no_tag(gate_suite, keras_run, tag):
    result = _suite(gate_suite).run(keras_run, "--gate-tag", tag, "--gate-model-artifact", "broken_model")
    usage_error(result, f"cannot load the Keras file in artifact 'broken_model' of candidate run {keras_run}")
    usage_error(result, "saved with Keras 3.0.0, this environment has Keras ")
    assert tag not in user_tags(keras_run)


def test_a_named_source_that_does_not_fit_the_artifact_is_one_line(gate_suite, pickled_runs, tag):
    run = pickled_runs["plain"]
    result = _suite(gate_suite).run(run, "--gate-tag", tag, "--gate-model-source", "keras")
    usage_error(result, f"artifact 'model' of candidate run {run} is not the bytes of a Keras file (.keras)")
    assert tag not in user_tags(run)


# -- metaflow-checkpoint's @model ------------------------------------------------------------
def test_a_checkpoint_model_is_loaded_through_its_reference_gated_and_tagged(gate_suite, checkpoint_run, tag):
    result = _suite(gate_suite).run(checkpoint_run, "--gate-tag", tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(checkpoint_run)
    # named explicitly, the same
    result = _suite(gate_suite).run(checkpoint_run, "--gate-tag", tag, "--gate-model-source", "checkpoint")
    result.assert_outcomes(passed=1)


def test_a_checkpoint_reference_that_cannot_be_resolved_is_one_line_and_no_tag(gate_suite, checkpoint_run, tag):
    from metaflow import Run

    from modelgate.metaflow_io.runs import global_namespace

    with global_namespace():
        reference = Run(checkpoint_run).data.spare_model
    stored = Path(reference["url"])
    assert stored.exists(), reference
    # the model's files are gone from the datastore (a retention policy, say)
    shutil.rmtree(stored) if stored.is_dir() else stored.unlink()
    result = _suite(gate_suite).run(checkpoint_run, "--gate-tag", tag, "--gate-model-artifact", "spare_model")
    usage_error(
        result,
        f"cannot resolve the metaflow-checkpoint reference in artifact 'spare_model' of candidate run {checkpoint_run} "
        f"(key {reference['key']})",
    )
    assert tag not in user_tags(checkpoint_run)


# -- champions this environment cannot load as they are -----------------------------------------
def test_a_champion_whose_pickle_names_a_missing_module_is_one_line_naming_it_and_the_pythons(
    gate_suite, pickled_runs, tag
):
    champion, candidate = pickled_runs["unimportable"], pickled_runs["plain"]
    apply_tag(champion, tag)
    result = _suite(gate_suite, AGAINST_CHAMPION).run(candidate, "--gate-tag", tag)
    here = platform.python_version()
    usage_error(result, f"cannot load artifact 'model' of champion run {champion}: ModuleNotFoundError")
    usage_error(result, "no module 'custom_model' is importable here")
    usage_error(result, f"the run was made with Python {here}, and this environment runs Python {here} too")
    assert tag not in user_tags(candidate)


def test_a_champion_made_with_another_python_names_both(gate_suite, pickled_runs, tag):
    champion, candidate = pickled_runs["unimportable"], pickled_runs["plain"]
    here = platform.python_version()
    # The run's Python as its system tag records it, rewritten in its local metadata.
    flow, run_id = champion.split("/")
    record = Path(os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"], ".metaflow", flow, run_id, "_meta", "_self.json")
    apply_tag(champion, tag)

    def python_tag(version: str) -> None:
        meta = json.loads(record.read_text())
        meta["system_tags"] = [t for t in meta["system_tags"] if not t.startswith("python_version:")]
        record.write_text(json.dumps({**meta, "system_tags": [*meta["system_tags"], f"python_version:{version}"]}))

    python_tag("3.10.4")
    try:
        result = _suite(gate_suite, AGAINST_CHAMPION).run(candidate, "--gate-tag", tag)
    finally:
        python_tag(here)
    usage_error(result, f"the run was made with Python 3.10.4, this environment runs Python {here}")
    assert tag not in user_tags(candidate)


def test_a_champion_pickled_by_another_scikit_learn_that_cannot_load_names_both_versions(gate_suite, pickled_runs, tag):
    import sklearn

    champion, candidate = pickled_runs["old-sklearn-gone"], pickled_runs["plain"]
    apply_tag(champion, tag)
    result = _suite(gate_suite, AGAINST_CHAMPION).run(candidate, "--gate-tag", tag)
    usage_error(
        result, f"scikit-learn {sklearn.__version__} installed here has no module 'sklearn.preprocessing._dat0'"
    )
    usage_error(result, f"pickled with scikit-learn 1.0.2, this environment has scikit-learn {sklearn.__version__}")
    usage_error(result, f"Python {platform.python_version()}")
    assert tag not in user_tags(candidate)


def test_a_champion_pickled_by_another_scikit_learn_that_loads_is_a_warning_line(gate_suite, pickled_runs, tag):
    import sklearn

    champion, candidate = pickled_runs["old-sklearn"], pickled_runs["plain"]
    apply_tag(champion, tag)
    result = _suite(gate_suite, AGAINST_CHAMPION).run(candidate, "--gate-tag", tag)
    result.assert_outcomes(passed=2)
    warning = (
        f"modelgate warning: artifact 'model' of champion run {champion} was pickled with scikit-learn 1.0.2, "
        f"this environment has scikit-learn {sklearn.__version__} (LogisticRegression): it loaded, "
        "but may not predict as it did in its run"
    )
    assert warning in result.outlines
    assert tag in user_tags(candidate)


def test_a_champion_no_configured_check_uses_is_never_loaded(gate_suite, pickled_runs, tag):
    champion, candidate = pickled_runs["unimportable"], pickled_runs["plain"]
    apply_tag(champion, tag)
    result = _suite(gate_suite).run(candidate, "--gate-tag", tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(candidate)


def test_an_unknown_model_source_is_one_line(gate_suite, pickled_runs, tag):
    result = _suite(gate_suite).run(pickled_runs["plain"], "--gate-tag", tag, "--gate-model-source", "onnx")
    usage_error(result, "model_source 'onnx': unknown model source; use one of auto, artifact, keras, checkpoint")


def test_the_tests_cannot_import_the_flows_model_module():
    # The missing-module test relies on it: tests/flows is on a flow task's path, not on ours.
    assert importlib.util.find_spec("custom_model") is None
