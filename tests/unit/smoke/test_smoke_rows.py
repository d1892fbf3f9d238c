"""Smoke cases for models over feature columns: rows of a file, for binary, multiclass and regression.

Real scikit-learn models on data that ships inside scikit-learn (nothing
downloaded). Files are written with pandas and read back, so a CSV's numbers
and class labels arrive as text, as a user's file would.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modelgate.checks import SmokeCheck, smoke_result
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import evaluate
from modelgate.smoke import SmokeCase, SmokeRow, check_cases, load_smoke_cases, smoke_inputs


class Counted:
    """``frame -> outputs``, counting model calls and rows."""

    def __init__(self, fn):
        self.fn, self.calls, self.rows = fn, 0, 0

    def __call__(self, frame):
        assert isinstance(frame, pd.DataFrame)
        self.calls += 1
        self.rows += len(frame)
        return np.asarray(self.fn(frame), dtype=float)


@pytest.fixture(scope="module")
def wine():
    """A multiclass model on the wine data, its classes named 'class_0'.. 'class_2' (strings)."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_wine(as_frame=True)
    X, y = data.data, data.target_names[data.target.to_numpy()]
    train = np.arange(len(X)) % 3 != 0
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X[train], y[train])
    valid = X[~train].reset_index(drop=True)
    classes = tuple(model.classes_)
    codes = np.array([classes.index(v) for v in y[~train]])
    scorer = Counted(model.predict_proba)
    return model, evaluate(scorer, valid, codes, task="multiclass", classes=classes), scorer


@pytest.fixture(scope="module")
def diabetes():
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = HistGradientBoostingRegressor(max_iter=60, random_state=0).fit(X[:300], y[:300])
    scorer = Counted(model.predict)
    return model, evaluate(scorer, X[300:].reset_index(drop=True), y[300:].to_numpy(), task="regression"), scorer


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X[:400], y[:400])
    scorer = Counted(lambda frame: model.predict_proba(frame)[:, 1])
    return model, evaluate(scorer, X[400:].reset_index(drop=True), y[400:].to_numpy()), scorer


def results(cases, evidence):
    """Every case scored in one model call, as the runner does: smoke_inputs, then smoke_result."""
    check_cases(cases, evidence)
    outputs = evidence.candidate_scorer(smoke_inputs(cases, evidence))
    return [smoke_result(case, outputs[i], evidence) for i, case in enumerate(cases)]


def usage_error(cases, evidence) -> str:
    with pytest.raises(GateUsageError) as info:
        check_cases(cases, evidence)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- multiclass ---------------------------------------------------------------------


def test_multiclass_rows_from_csv_pass_and_fail_with_the_class_and_its_probability(wine, tmp_path):
    model, evidence, scorer = wine
    rows = evidence.features.iloc[:3].copy()
    predicted = [str(c) for c in model.predict(rows)]
    rows["expected"] = predicted
    # wrong on purpose; str: a class of the model may be np.str_, whose repr differs (pandas 2.2 keeps it)
    rows.loc[2, "expected"] = str(next(c for c in evidence.classes if c != predicted[2]))
    rows.insert(0, "name", ["first", "second", "wrong-on-purpose"])
    rows["notes"] = "ignored: not a feature column"
    path = tmp_path / "wine.csv"
    rows.to_csv(path, index=False)

    cases = load_smoke_cases(path)
    assert all(isinstance(c, SmokeRow) for c in cases) and [c.name for c in cases] == [
        "first",
        "second",
        "wrong-on-purpose",
    ]
    batch = smoke_inputs(cases, evidence)
    assert list(batch.columns) == list(evidence.features.columns)  # the model's columns, in its order
    assert (batch.dtypes == evidence.features.dtypes).all()  # numbers, not the CSV's text
    np.testing.assert_allclose(batch.to_numpy(), evidence.features.iloc[:3].to_numpy())

    before = scorer.calls
    first, second, wrong = results(cases, evidence)
    assert scorer.calls == before + 1  # every case in one model call
    assert first.passed and second.passed and not wrong.passed
    proba = model.predict_proba(rows[evidence.features.columns].iloc[[2]])[0]
    want = evidence.classes.index(rows.loc[2, "expected"])
    assert wrong.message == (
        f"smoke wrong-on-purpose: expected class {rows.loc[2, 'expected']!r}, got class {predicted[2]!r} "
        f"(p={proba.max():.4f}); {rows.loc[2, 'expected']!r} has p={proba[want]:.4f}; case at {path}, line 4"
    )
    assert wrong.candidate_value == pytest.approx(proba[want])
    assert first.message.startswith(f"smoke first: predicted class {predicted[0]!r} with p=")


def test_multiclass_threshold_requires_a_confident_prediction(wine):
    model, evidence, _ = wine
    row = evidence.features.iloc[0].to_dict()
    proba = model.predict_proba(evidence.features.iloc[[0]])[0]
    label = str(evidence.classes[int(np.argmax(proba))])
    confident = SmokeRow("confident", expected=label, values=row, threshold=min(proba.max() - 0.01, 0.5))
    too_sure = SmokeRow("too-sure", expected=label, values=row, threshold=0.999999)
    ok, fail = results([confident, too_sure], evidence)
    assert ok.passed and not fail.passed
    assert fail.message.startswith(f"smoke too-sure: expected class {label!r} with p > 0.999999, got p=")
    assert fail.message.endswith("(it is the predicted class)")


def test_integer_classes_match_the_text_a_csv_holds(tmp_path):
    from sklearn.datasets import load_wine
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = load_wine(return_X_y=True, as_frame=True)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    evidence = evaluate(model.predict_proba, X, y.to_numpy(), task="multiclass", classes=model.classes_)
    rows = X.iloc[[0, 70, 170]].copy()
    rows["expected"] = ["0", "1.0", 2]  # text, a float's text, an int: each matches its class by value
    path = tmp_path / "wine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows.to_dict("records")))
    found = results(load_smoke_cases(path), evidence)
    assert [r.passed for r in found] == [True, True, True], [r.message for r in found]
    assert [r.name for r in found] == ["line-1", "line-2", "line-3"]  # named after their place in the file


def test_a_class_the_model_does_not_know_is_a_usage_error(wine):
    _, evidence, _ = wine
    case = SmokeRow("odd", expected="class_9", values=evidence.features.iloc[0].to_dict(), source="cases.csv, line 2")
    assert usage_error([case], evidence) == (
        "smoke case 'odd' (cases.csv, line 2): expected 'class_9' is not a class of the model "
        "(classes: 'class_0', 'class_1', 'class_2')"
    )
    with pytest.raises(GateUsageError, match="not a class of the model"):
        SmokeCheck(case).prepare(evidence)  # before the verdict, in the check's setup


def test_regression_keys_on_a_classification_case_are_a_usage_error(wine):
    _, evidence, _ = wine
    case = SmokeRow("x", expected="class_0", tolerance=0.1, values=evidence.features.iloc[0].to_dict())
    assert usage_error([case], evidence) == (
        "smoke case 'x': tolerance is for regression cases, but the model is multiclass: give 'expected' as a class label"
    )


# --- regression ---------------------------------------------------------------------


def test_regression_rows_with_tolerance_or_bounds(diabetes, tmp_path):
    model, evidence, scorer = diabetes
    rows = evidence.features.iloc[:4].copy()
    value = model.predict(rows)
    rows["expected"] = [round(value[0]), round(value[1]) + 100, None, None]
    rows["tolerance"] = [5, 20, None, None]
    rows["min"] = [None, None, value[2] - 1, None]
    rows["max"] = [None, None, None, value[3] - 10]
    path = tmp_path / "diabetes.csv"
    rows.to_csv(path, index=False)

    cases = load_smoke_cases(path)
    before = scorer.calls
    near, far, above_min, below_max = results(cases, evidence)
    assert scorer.calls == before + 1
    assert near.passed and above_min.passed and not far.passed and not below_max.passed
    e = round(value[1]) + 100
    assert far.message == (
        f"smoke line-3: expected a value within {e} ± 20 ([{e - 20}, {e + 20}]), got {value[1]:.6g} "
        f"({e - 20 - value[1]:.4g} below); case at {path}, line 3"
    )
    assert below_max.message == (
        f"smoke line-5: expected a value <= {value[3] - 10:.6g}, got {value[3]:.6g} (10 above); case at {path}, line 5"
    )
    assert far.candidate_value == pytest.approx(value[1])
    assert near.message.startswith(f"smoke line-2: value {value[0]:.6g} is within {round(value[0])} ± 5")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"expected": 150}, "expected 150 needs a 'tolerance' (a regression value is never exact), or use 'min'/'max'"),
        ({"expected": "a lot", "tolerance": 5}, "expected 'a lot' is not a number (the model is a regression model)"),
        (
            {"expected": 150, "tolerance": 5, "minimum": 100},
            "give 'expected' with 'tolerance', or 'min'/'max', not both",
        ),
        (
            {"expected": 150, "tolerance": 5, "threshold": 0.7},
            "threshold is for classification cases, but the model is a regression model",
        ),
    ],
    ids=["no-tolerance", "not-a-number", "both", "threshold"],
)
def test_regression_cases_that_do_not_fit(diabetes, fields, message):
    _, evidence, _ = diabetes
    case = SmokeRow("x", values=evidence.features.iloc[0].to_dict(), **fields)
    assert usage_error([case], evidence) == f"smoke case 'x': {message}"


def test_a_text_smoke_case_on_a_regression_model(diabetes):
    _, evidence, _ = diabetes
    assert usage_error([SmokeCase("Great", 1, "great")], evidence).startswith(
        "smoke case 'great': a text case, but the model takes feature columns ("
    )


# --- binary -------------------------------------------------------------------------


def test_binary_rows_with_labels_and_threshold(cancer, tmp_path):
    model, evidence, scorer = cancer
    rows = evidence.features.iloc[:3].copy()
    proba = model.predict_proba(rows)[:, 1]
    rows["label"] = ["positive" if p > 0.5 else 0 for p in proba]
    rows.loc[2, "label"] = int(proba[2] < 0.5)  # wrong on purpose
    rows["threshold"] = [None, None, 0.5]
    path = tmp_path / "cancer.parquet"
    rows.astype({"label": str}).to_parquet(path)  # parquet holds one type a column: "positive", "0"

    cases = load_smoke_cases(path)
    assert [c.name for c in cases] == ["row-1", "row-2", "row-3"]
    ok1, ok2, wrong = results(cases, evidence)
    assert ok1.passed and ok2.passed and not wrong.passed
    want, op = ("positive (1)", ">") if proba[2] < 0.5 else ("negative (0)", "<")
    assert wrong.message == (
        f"smoke row-3: expected {want}, needs score {op} 0.5, got {proba[2]:.4f}; case at {path}, row 3"
    )


def test_a_bad_label_for_a_binary_model(cancer):
    _, evidence, _ = cancer
    case = SmokeRow("x", expected="maybe", values=evidence.features.iloc[0].to_dict())
    assert usage_error([case], evidence) == (
        "smoke case 'x': bad label 'maybe' for a binary model; use 0/1 or positive/negative"
    )


# --- the inputs ---------------------------------------------------------------------


def test_a_missing_feature_column_is_a_usage_error_naming_it(diabetes, tmp_path):
    _, evidence, _ = diabetes
    rows = evidence.features.iloc[:2].drop(columns=["bmi"]).assign(min=0)
    path = tmp_path / "cases.csv"
    rows.to_csv(path, index=False)
    assert usage_error(load_smoke_cases(path), evidence) == (
        f"smoke case 'line-2' ({path}, line 2): no value for the feature column 'bmi'; the model's columns are "
        "['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', ...] (10 columns)"
    )


def test_a_value_the_column_cannot_hold_is_a_usage_error(diabetes, tmp_path):
    _, evidence, _ = diabetes
    rows = evidence.features.iloc[:2].astype(object).assign(min=0)
    rows.loc[1, "bmi"] = "heavy"
    path = tmp_path / "cases.csv"
    rows.to_csv(path, index=False)
    assert usage_error(load_smoke_cases(path), evidence) == (
        f"smoke case 'line-3' ({path}, line 3), column 'bmi': 'heavy' is not a number (the column is float64)"
    )


def test_a_blank_feature_cell_is_a_usage_error_naming_case_line_and_column(diabetes, tmp_path):
    _, evidence, scorer = diabetes
    rows = evidence.features.iloc[:2].assign(name=["full", "holey"], min=0)
    rows.loc[1, "bmi"] = np.nan  # written as an empty cell
    path = tmp_path / "cases.csv"
    rows.to_csv(path, index=False)
    calls = scorer.calls
    assert usage_error(load_smoke_cases(path), evidence) == (
        f"smoke case 'holey' ({path}, line 3): the feature column 'bmi' is empty; the validation data has no "
        "missing values in it, so the model need not accept one: give a value"
    )
    assert scorer.calls == calls  # refused before the model sees it


def test_a_blank_cell_is_accepted_where_the_validation_data_has_missing_values(tmp_path):
    """The model scored the validation rows with NaN in that column, so it takes one in a smoke row too."""
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X.loc[X.index[::7], "bmi"] = np.nan
    model = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X[:300], y[:300])
    evidence = evaluate(model.predict, X[300:].reset_index(drop=True), y[300:].to_numpy(), task="regression")
    rows = X.iloc[[1]].assign(bmi=np.nan, min=0)
    path = tmp_path / "cases.csv"
    rows.to_csv(path, index=False)
    [result] = results(load_smoke_cases(path), evidence)
    assert result.passed, result.message
    assert result.candidate_value == pytest.approx(model.predict(X.iloc[[1]].assign(bmi=np.nan))[0])


def test_an_id_column_names_the_case_and_is_also_a_feature(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X.insert(0, "id", np.arange(len(X)))
    model = make_pipeline(ColumnTransformer([("keep", "passthrough", ["bmi", "bp"])]), Ridge()).fit(X, y)
    evidence = evaluate(model.predict, X, y.to_numpy(), task="regression")
    rows = X.iloc[[5, 6]].assign(min=0)
    path = tmp_path / "cases.csv"
    rows.to_csv(path, index=False)
    cases = load_smoke_cases(path)
    assert [c.name for c in cases] == ["5", "6"]
    assert smoke_inputs(cases, evidence)["id"].tolist() == [5, 6]
    assert [r.passed for r in results(cases, evidence)] == [True, True]


def test_column_names_keep_their_case_and_match_case_insensitively(tmp_path):
    frame = pd.DataFrame({"BMI": [20.0, 30.0], "Age": [40, 50]})
    evidence = evaluate(lambda f: f["BMI"].to_numpy() * 2, frame, [40.0, 60.0], task="regression")
    path = tmp_path / "cases.csv"
    path.write_text("Name,bmi,Age,Expected,Tolerance\nlean,20,40,40,1\n")
    [case] = load_smoke_cases(path)
    assert case.name == "lean" and case.row["bmi"] == "20"
    batch = smoke_inputs([case], evidence)
    assert batch.to_dict("list") == {"BMI": [20.0], "Age": [40]} and batch["Age"].dtype == frame["Age"].dtype
    assert results([case], evidence)[0].passed


def test_text_files_still_give_text_cases(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("text,expected\nLove it,1\n")
    assert load_smoke_cases(path) == [SmokeCase("Love it", 1, "love-it")]


def test_a_multiclass_text_model_takes_text_rows_with_class_labels(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("text,expected\nThe match ended 2-1,sports\nRates rose again,business\n")
    cases = load_smoke_cases(path)
    assert [type(c) for c in cases] == [SmokeRow, SmokeRow] and cases[0].text == "The match ended 2-1"
    classes = ("business", "sports")

    def model(texts):
        return np.array([[0.1, 0.9] if "match" in t else [0.3, 0.7] for t in texts])

    evidence = evaluate(model, ["a", "b"], [0, 1], task="multiclass", classes=classes)
    assert smoke_inputs(cases, evidence) == ["The match ended 2-1", "Rates rose again"]
    sports, business = results(cases, evidence)
    assert sports.passed and not business.passed
    assert business.message == (
        "smoke rates-rose-again: expected class 'business', got class 'sports' (p=0.7000); 'business' has "
        "p=0.3000; text: 'Rates rose again'"
    )


@pytest.mark.parametrize(
    "content, message",
    [
        ("bmi,expected,tolerance\n1.0,,5\n", "line 2, column 'tolerance': tolerance needs an 'expected' value"),
        ("bmi,min,max\n1.0,5,3\n", "line 2: min 5 is above max 3"),
        ("bmi,expected\n1.0,\n", "line 2: no 'expected' value (nor 'min'/'max'): nothing to check"),
        ("bmi,expected,tolerance\n1.0,3,-1\n", "line 2, column 'tolerance': tolerance '-1' is negative"),
        ("bmi,min\n1.0,low\n", "line 2, column 'min': min 'low' is not a number"),
        (
            "bmi,note\n1.0,x\n",
            "missing column 'expected' (also accepted: 'label', 'labels'), or 'min'/'max' for a "
            "regression model; columns are ['bmi', 'note']",
        ),
    ],
    ids=[
        "tolerance-alone",
        "min-above-max",
        "nothing-expected",
        "negative-tolerance",
        "min-not-a-number",
        "no-expectation",
    ],
)
def test_row_files_a_file_alone_shows_wrong(tmp_path, content, message):
    from modelgate.smoke import SmokeCaseFileError

    path = tmp_path / "cases.csv"
    path.write_text(content)
    with pytest.raises(SmokeCaseFileError) as info:
        load_smoke_cases(path)
    assert str(info.value) == (f"{path}, " if message.startswith("line") else f"{path}: ") + message
