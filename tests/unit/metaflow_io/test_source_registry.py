"""Model sources without a run: which source an artifact's value picks, the errors, one
registration adding a source, and what an unpickling error says differs."""

from __future__ import annotations

import io
import pickle
import platform
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelgate import Gate
from modelgate.checks import MarginCheck
from modelgate.config.settings import HELP
from modelgate.errors import GateUsageError
from modelgate.metaflow_io import models, pickles
from modelgate.metaflow_io.models import MODEL_SOURCES, ModelSource, Origin

REFERENCE = {
    "pathspec": "TrainFlow/7/train/3",
    "attempt": 0,
    "key": "mf.models/models/artifacts/clf_abc",
    "created_on": "2026-01-01T00:00:00",
    "type": "model",
    "model_uuid": "clf_abc",
    "storage_format": "tar",
}


def _zip(**files: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name.replace("_json", ".json"), text)
    return buffer.getvalue()


def test_auto_tells_the_sources_apart_by_the_value():
    assert models.choose(_zip(config_json="{}")).name == "keras"
    assert models.choose(REFERENCE).name == "checkpoint"
    assert models.choose({"type": "model"}).name == "artifact"  # no key: not a reference
    assert models.choose(_zip(other_json="{}")).name == "artifact"  # a zip, not a Keras file
    assert models.choose(b"PK\x03\x04 not a zip").name == "artifact"
    assert models.choose({"vectorizer": 1, "model": 2}).name == "artifact"  # the tutorial's model_dict
    model = object()
    assert models.resolve(model) is model


def test_a_named_source_refuses_a_value_of_another_kind():
    with pytest.raises(GateUsageError, match=r"the model is not the bytes of a Keras file .* holds a builtins.object"):
        models.resolve(object(), "keras")
    with pytest.raises(GateUsageError, match="is not a metaflow-checkpoint model reference .* a dict with keys 'a'"):
        models.resolve({"a": 1}, "checkpoint")


def test_an_unknown_source_names_the_known_ones():
    with pytest.raises(GateUsageError, match="model_source 'onnx': unknown model source; use one of auto, artifact"):
        models.check_source("onnx")
    with pytest.raises(GateUsageError, match="model_source 'onnx'"):
        Gate(checks=[MarginCheck("roc_auc", margin=0.0)], model_source="onnx").evaluate(object(), pd.DataFrame())
    with pytest.raises(GateUsageError, match="expected a model source's name"):
        Gate(model_source="Not A Name")


@pytest.mark.slow  # imports TensorFlow
def test_a_keras_file_that_does_not_load_names_the_keras_versions():
    pytest.importorskip("keras")
    broken = _zip(config_json='{"class_name": "NoSuchLayer", "config": {}}', metadata_json='{"keras_version": "3.0.0"}')
    with pytest.raises(GateUsageError, match=r"cannot load the Keras file in the model: .*saved with Keras 3\.0\.0"):
        models.resolve(broken)


def test_one_registration_adds_a_source_that_auto_picks():
    source = ModelSource("upper", "a string to upper-case", lambda v: isinstance(v, str), lambda v, o: v.upper())
    MODEL_SOURCES.register(source)
    try:
        assert models.resolve("abc") == "ABC"
        assert "upper" in models.source_names()
        assert models.check_source("upper") == "upper"
    finally:
        del MODEL_SOURCES["upper"]


def test_every_source_is_in_the_settings_help():
    for name in models.source_names():
        assert f"'{name}'" in HELP["model_source"], name


def test_a_model_folder_holds_one_model_file(tmp_path: Path):
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"a": 1}))
    assert models.load_model_files(tmp_path, Origin("the model")) == {"a": 1}
    (tmp_path / "other.pickle").write_bytes(pickle.dumps(2))
    with pytest.raises(GateUsageError, match="expected one model file .* found model.pkl, other.pickle"):
        models.load_model_files(tmp_path, Origin("the model"))
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "weights").write_bytes(pickle.dumps(3))  # no suffix, but a pickle's first byte
    assert models.load_model_files(lone, Origin("the model")) == 3


def test_a_pickle_naming_a_missing_module_says_which_and_the_pythons(tmp_path: Path):
    blob = pickle.dumps(np.float64(1.0)).replace(b"numpy", b"nompy")  # same length: still a pickle
    (tmp_path / "model.pkl").write_bytes(blob)
    with pytest.raises(GateUsageError) as raised:
        models.load_model_files(tmp_path, Origin("the model"))
    message = str(raised.value)
    assert message.startswith("cannot unpickle the model (model.pkl): ModuleNotFoundError: No module named 'nompy")
    assert "is importable here" in message
    assert f"the run's Python version is not recorded; this environment runs Python {platform.python_version()}" in (
        message
    )


def test_python_lines_name_both_versions():
    here = platform.python_version()
    error = ModuleNotFoundError("No module named 'x'", name="x")
    assert f"made with Python 3.9.1, this environment runs Python {here}" in pickles.why_not_loaded(error, [], "3.9.1")
    assert f"and this environment runs Python {here} too" in pickles.why_not_loaded(error, [], here)


def test_a_submodule_missing_from_an_installed_package_names_its_release():
    import sklearn

    error = ModuleNotFoundError("No module named 'sklearn.gone'", name="sklearn.gone")
    assert f"scikit-learn {sklearn.__version__} installed here has no module 'sklearn.gone'" in (
        pickles.why_not_loaded(error, [], None)
    )


def test_scikit_learns_version_warning_becomes_one_gate_warning():
    from sklearn.exceptions import InconsistentVersionWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("LogisticRegression", "StandardScaler", "LogisticRegression"):
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=name, current_sklearn_version="1.9.1", original_sklearn_version="1.0.2"
                ),
                stacklevel=1,
            )
        warnings.warn("something else", UserWarning, stacklevel=1)
    with warnings.catch_warnings(record=True) as passed:
        warnings.simplefilter("always")
        pickles.pass_on(caught, "the model")
    assert [type(w.message) for w in passed] == [pickles.ModelVersionWarning, UserWarning]
    assert str(passed[0].message) == (
        "the model was pickled with scikit-learn 1.0.2, this environment has scikit-learn 1.9.1 "
        "(LogisticRegression, StandardScaler): it loaded, but may not predict as it did in its run"
    )
