"""Hostile input to the tabular surfaces: smoke files and reports.

Real scikit-learn models on data that ships inside scikit-learn (the pytest
sessions: tests/integration/test_tabular_input_sessions.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import evaluate
from modelgate.smoke import SmokeCaseFileError, check_cases, load_smoke_cases

TAG = "deployment_candidate"


@pytest.fixture(scope="module")
def cancer():
    """A binary pipeline on the breast cancer table and its evidence (no NaN, no inf in any column)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X[:400], y[:400])
    calls = []

    def scorer(frame):
        calls.append(len(frame))
        return model.predict_proba(frame)[:, 1]

    return evaluate(scorer, X[400:].reset_index(drop=True), y[400:].to_numpy()), calls


def refused(path, evidence) -> str:
    with pytest.raises(GateUsageError) as info:
        check_cases(load_smoke_cases(path), evidence)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_a_nan_or_inf_written_in_a_smoke_cell_is_refused_like_a_blank_one(cancer, tmp_path, cell):
    """A CSV's "nan" reaches the model as NaN exactly as a blank cell does: refused up front, not a model crash."""
    evidence, calls = cancer
    rows = evidence.features.iloc[:2].astype(object).assign(name=["ok", "holey"], expected=[0, 1])
    rows.loc[1, "mean radius"] = cell
    path = tmp_path / "cases.csv"
    rows.to_csv(path, index=False)
    before = len(calls)
    message = refused(path, evidence)
    assert "smoke case 'holey'" in message and "line 3" in message and "'mean radius'" in message, message
    assert len(calls) == before  # refused before the model sees it


def test_a_smoke_csv_with_a_feature_column_written_twice_is_refused(cancer, tmp_path):
    """Two values for one feature: the gate must not pick one silently (the last one, as it did)."""
    evidence, _ = cancer
    rows = evidence.features.iloc[:1].assign(name="twice", expected=0)
    header = ",".join(f'"{c}"' for c in rows.columns) + ',"mean radius"'
    values = ",".join(str(v) for v in rows.iloc[0]) + ",999999"
    path = tmp_path / "cases.csv"
    path.write_text(header + "\n" + values + "\n")
    with pytest.raises(SmokeCaseFileError) as info:
        load_smoke_cases(path)
    assert "'mean radius'" in str(info.value) and "twice" in str(info.value), info.value


def test_a_smoke_jsonl_with_a_key_written_twice_is_refused(cancer, tmp_path):
    evidence, _ = cancer
    row = {str(k): float(v) for k, v in evidence.features.iloc[0].items()}
    text = json.dumps({"name": "twice", "expected": 0, **row})
    path = tmp_path / "cases.jsonl"
    path.write_text(text[:-1] + ', "mean radius": 999999}\n')
    with pytest.raises(SmokeCaseFileError) as info:
        load_smoke_cases(path)
    assert "'mean radius'" in str(info.value) and "line 1" in str(info.value), info.value


ERRORING = """
def test_auc_beats_majority(gate):
    gate.beats("roc_auc", margin=0.0)

def test_crashes(evaluation):
    raise RuntimeError("the test itself broke")
"""


@pytest.fixture(scope="module")
def wine_by_position():
    """The wine table as a frame built from an array (columns 0..12), a model fitted on it once, and its
    multiclass evidence."""
    import pandas as pd
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_wine(return_X_y=True)
    frame = pd.DataFrame(X)
    # Scaled, lbfgs converges in a few dozen iterations (unscaled, it ran to thousands).
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(frame, y)
    return frame, y, evaluate(model.predict_proba, frame, y, task="multiclass", classes=tuple(model.classes_))


EVIL_COLUMN = "evil\x1b[31m\nverdict: PASS"


@pytest.mark.parametrize("kind", ["invariance", "monotonic"])
def test_a_column_name_never_reaches_a_counterexample_line_raw(cancer, kind):
    """A control character or line break in a column name (it comes from the data artifact) is escaped in
    the counterexample line too: raw, it would forge a line of the terminal report and of JUnit XML."""
    from modelgate.behaviour import check_column_invariance_rate, check_monotonic_rate

    evidence, _ = cancer
    frame = evidence.features.rename(columns={"mean radius": EVIL_COLUMN})

    def scorer(rows):  # a model that reads the renamed column backwards: it fails both properties
        return 1.0 / (1.0 + np.exp(rows[EVIL_COLUMN].to_numpy(dtype=float) - 14.0))

    if kind == "invariance":
        report = check_column_invariance_rate(scorer, frame, EVIL_COLUMN, n_examples=50)
    else:
        report = check_monotonic_rate(scorer, frame, EVIL_COLUMN, direction="increasing", n_examples=50)
    assert not report.passed
    message = report.message
    assert "\x1b" not in message
    assert not any(line.startswith("verdict:") for line in message.splitlines()), message


@pytest.mark.parametrize(
    ("task", "feature", "reserved", "expectation"),
    [
        ("binary", "mean smoothness", "threshold", {"expected": 1}),
        ("regression", "bmi", "tolerance", {"expected": 150.0}),
        ("binary", "mean radius", "label", {"expected": 1}),
    ],
)
def test_a_feature_named_like_a_smoke_key_is_refused_not_read_as_that_key(
    tmp_path, task, feature, reserved, expectation
):
    """A model with a feature column named 'threshold' (or 'tolerance', 'label'...): a smoke file's column of
    that name is both the feature's value and the case's threshold. Read silently as the threshold, a
    feature value of 0.1 let a binary case pass at a score of 0.1; it must be one line instead."""
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if task == "binary":
        X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        X = X.rename(columns={feature: reserved})
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X[:400], y[:400])
        evidence = evaluate(lambda d: model.predict_proba(d)[:, 1], X[400:].reset_index(drop=True), y[400:].to_numpy())
    else:
        X, y = load_diabetes(return_X_y=True, as_frame=True)
        X = X.rename(columns={feature: reserved})
        model = Ridge().fit(X[:300], y[:300])
        evidence = evaluate(model.predict, X[300:].reset_index(drop=True), y[300:].to_numpy(), task="regression")
    path = tmp_path / "cases.csv"
    X.iloc[[0]].assign(name="clash", **expectation).to_csv(path, index=False)
    with pytest.raises((GateUsageError, SmokeCaseFileError)) as info:
        check_cases(load_smoke_cases(path), evidence)
    assert f"'{reserved}'" in str(info.value) and "\n" not in str(info.value), info.value


def test_smoke_rows_for_a_frame_with_integer_column_names(tmp_path, wine_by_position):
    """A frame built from an array has columns 0, 1, 2...; a CSV's header holds '0', '1', '2'. A good row is
    scored, a blank cell is one line (it was a KeyError: an INTERNALERROR, exit 3)."""
    frame, y, evidence = wine_by_position  # columns 0..12
    good, blank = tmp_path / "good.csv", tmp_path / "blank.csv"
    frame.iloc[[0]].assign(name="row-0", expected=int(y[0])).to_csv(good, index=False)
    holey = frame.iloc[[0]].assign(name="holey", expected=int(y[0]))
    holey[3] = np.nan
    holey.to_csv(blank, index=False)
    check_cases(load_smoke_cases(good), evidence)
    assert "the feature column '3' is empty" in refused(blank, evidence)


@pytest.mark.parametrize("kind", ["monotonic", "invariance"])
def test_a_property_names_an_integer_labelled_column_by_its_text(kind, wine_by_position):
    """`column = "12"` on a frame with columns 0..12: the only way a TOML config can name it. It was refused
    with 'no feature column '12'; the model's columns are '0', '1', ...', a list that seems to hold it."""
    from modelgate.checks.properties import PropertyCheck

    _, _, evidence = wine_by_position
    extra = {"direction": "increasing", "class_value": 0} if kind == "monotonic" else {"max_failure_rate": 0.99}
    prop = PropertyCheck(kind=kind, column="12", n_examples=60, **extra)
    prop.prepare(evidence)
    result = prop.evaluate(evidence)
    assert result.n == 60, result.message
