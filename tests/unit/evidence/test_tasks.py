"""Tasks and feature columns: which task a gate runs, what the model receives,
and the bad input each task refuses with one line (exit 4, no tag)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelgate import Gate, GateUsageError
from modelgate.checks import MarginCheck
from modelgate.config import load_config
from modelgate.evidence.scorers import ScorerOutputError, as_scorer
from modelgate.evidence.tasks import ModelShape, labels_for_task, model_shape, resolve_task


@pytest.fixture(scope="module")
def wine():
    frame = load_wine(as_frame=True).frame
    train, valid = train_test_split(frame, test_size=0.4, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train.drop(columns="target"), train["target"])
    return model, valid.reset_index(drop=True)


@pytest.fixture(scope="module")
def diabetes():
    frame = load_diabetes(as_frame=True).frame
    train, valid = train_test_split(frame, test_size=0.4, random_state=0)
    model = Ridge(alpha=0.1).fit(train.drop(columns="target"), train["target"])
    return model, valid.reset_index(drop=True)


# --- which task ----------------------------------------------------------------------


def test_the_model_tells_the_task(wine, diabetes):
    assert model_shape(wine[0]) == ModelShape("multiclass", (0, 1, 2), "Pipeline.classes_ has 3 classes")
    assert model_shape(diabetes[0]).task == "regression"
    assert model_shape(lambda rows: rows).task is None


@pytest.mark.parametrize(
    ("labels", "task"),
    [([0, 1, 1, 0], "binary"), ([True, False], "binary"), ([0.5, 2.25, 3.0], "regression")],
)
def test_a_callable_gets_the_task_only_labels_leave_no_doubt_about(labels, task):
    assert resolve_task("", ModelShape(None), pd.Series(labels), "y") == task


@pytest.mark.parametrize("labels", [[0, 1, 2, 1], ["cat", "dog"], [1.0, 2.0, 3.0]])
def test_doubtful_labels_ask_for_the_task(labels):
    with pytest.raises(
        GateUsageError, match=r"cannot tell the task .* set task = \"binary\", \"multiclass\" or \"regression\""
    ):
        resolve_task("", ModelShape(None), pd.Series(labels), "y")


def test_a_task_that_contradicts_the_model_names_both(wine):
    with pytest.raises(GateUsageError) as info:
        resolve_task("binary", model_shape(wine[0]), wine[1]["target"], "target")
    assert str(info.value) == (
        "the gate's task is 'binary', but Pipeline.classes_ has 3 classes: it is multiclass; set task = \"multiclass\""
    )


def test_multiclass_labels_are_codes_into_the_models_classes():
    labels, classes = labels_for_task("multiclass", pd.Series(["b", "c", "a", "b"]), ("c", "b", "a"), "y")
    assert classes == ("c", "b", "a") and labels.tolist() == [1, 0, 2, 1]


def test_a_class_the_model_does_not_know_is_refused():
    with pytest.raises(GateUsageError) as info:
        labels_for_task("multiclass", pd.Series([0, 1, 7, 7, 2]), (0, 1, 2), "target")
    assert str(info.value) == (
        "label column 'target' holds 1 class the model does not know: 7 (2 rows; the model's classes: 0, 1, 2)"
    )


def test_a_regression_target_with_nan_is_refused():
    with pytest.raises(
        GateUsageError, match=r"regression target 'y' has 1 missing or infinite values \(first at row 1\)"
    ):
        labels_for_task("regression", pd.Series([1.0, np.nan, 2.0]), None, "y")


# --- what the model receives, and what it must give back --------------------------------


def test_a_frame_is_scored_once_per_distinct_row(wine):
    model, valid = wine
    features = valid.drop(columns="target")
    seen: list[int] = []

    def proba(frame):
        seen.append(len(frame))
        assert list(frame.columns) == list(features.columns)  # a DataFrame, columns in order
        return model.predict_proba(frame)

    scorer = as_scorer(proba, task="multiclass", chunk_size=20)
    doubled = pd.concat([features, features.iloc[:5]], ignore_index=True)
    scores = scorer(doubled)
    np.testing.assert_allclose(scores[: len(features)], model.predict_proba(features))
    np.testing.assert_allclose(scores[-5:], scores[:5])
    assert sum(seen) == len(features) and max(seen) <= 20
    scorer(features.iloc[::-1])  # cached: no model call
    assert sum(seen) == len(features)


def test_columns_follow_the_classes_asked_for(wine):
    model, valid = wine
    features = valid.drop(columns="target")
    scores = as_scorer(model, task="multiclass", classes=(2, 0, 1))(features)
    np.testing.assert_allclose(scores, model.predict_proba(features)[:, [2, 0, 1]])
    with pytest.raises(ValueError, match=r"Pipeline does not know class 9 \(its classes_: 0, 1, 2\)"):
        as_scorer(model, task="multiclass", classes=(0, 1, 9))


def test_probabilities_that_do_not_sum_to_one_are_refused():
    scorer = as_scorer(lambda rows: np.tile([0.5, 0.4, 0.3], (len(rows), 1)), task="multiclass")
    with pytest.raises(
        ScorerOutputError, match=r"class probabilities that sum to 1.2, not 1, at position 0 of 2 \(2 rows off\)"
    ):
        scorer(["a", "b"])


def test_regressors_and_classifiers_keep_to_their_tasks(wine, diabetes):
    with pytest.raises(
        TypeError, match=r"Pipeline is a classifier \(it has predict_proba\), but the task is regression"
    ):
        as_scorer(wine[0], task="regression")
    with pytest.raises(
        TypeError, match=r"Ridge has predict but no predict_proba: a binary gate needs class probabilities"
    ):
        as_scorer(diabetes[0])
    regression = as_scorer(lambda rows: np.ones((len(rows), 2)), task="regression")
    with pytest.raises(ScorerOutputError, match=r"returned 2 columns for 3 rows, but the task is regression"):
        regression(["a", "b", "c"])


# --- the gate, in memory ---------------------------------------------------------------


def test_a_multiclass_gate_scores_a_frame_and_passes(wine):
    model, valid = wine
    gate = Gate(checks=[MarginCheck("accuracy", margin=0.3)], feature_columns="*", label_column="target")
    verdict = gate.evaluate(model, valid)
    assert verdict.passed, str(verdict)
    evidence = verdict.evaluation
    assert evidence.task == "multiclass" and evidence.classes == (0, 1, 2)
    assert evidence.candidate.shape == (len(valid), 3)
    # the majority baseline is the class prior, for every row
    prior = np.bincount(valid["target"], minlength=3) / len(valid)
    np.testing.assert_allclose(evidence.scores("majority")[0], prior)


def test_a_regression_gate_compares_with_the_mean_and_fails_a_useless_model(diabetes):
    model, valid = diabetes
    checks = [MarginCheck("mae", baseline="mean", margin=5.0)]
    good = Gate(checks=checks, feature_columns="*", label_column="target").evaluate(model, valid)
    assert good.passed, str(good)
    constant = lambda rows: np.full(len(rows), 150.0)  # noqa: E731
    bad = Gate(checks=checks, feature_columns="*", label_column="target", task="regression").evaluate(constant, valid)
    assert not bad.passed
    assert bad.evaluation.scores("median")[0] == valid["target"].median()


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        (
            dict(checks=[MarginCheck("roc_auc")]),
            "metric 'roc_auc' does not apply to task 'regression' (regression metrics: ",
        ),
        (
            dict(checks=[MarginCheck("mae", baseline="majority")]),
            "baseline 'majority' does not apply to task 'regression' (use mean or median",
        ),
        (dict(feature_columns=["bmi", "age", "income"]), "validation data has no column 'income'"),
        (dict(label_column="y"), "validation data has no column 'y'"),
    ],
    ids=["metric", "baseline", "feature", "label"],
)
def test_what_does_not_fit_the_task_or_the_data_is_one_line(diabetes, gate, message):
    options = dict(feature_columns="*", label_column="target") | gate
    with pytest.raises(GateUsageError) as info:
        Gate(**options).evaluate(diabetes[0], diabetes[1])
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_nan_features_a_model_cannot_take_name_the_columns(diabetes):
    _, valid = diabetes
    model = LinearRegression().fit(valid.drop(columns="target"), valid["target"])
    holes = valid.copy()
    holes.loc[3, "bmi"] = np.nan
    with pytest.raises(GateUsageError) as info:
        Gate(feature_columns="*", label_column="target").evaluate(model, holes)
    message = str(info.value)
    assert message.startswith("the candidate's model failed on the validation rows: ValueError: Input X contains NaN")
    assert message.endswith("(feature columns with missing values: bmi; the model cannot take NaN?)")


def test_config_reads_task_and_feature_columns(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.modelgate]\ntask = "regression"\nfeature_columns = ["bmi", "age"]\n')
    settings = load_config(path).settings
    assert (settings.task, settings.feature_columns) == ("regression", ("bmi", "age"))
    path.write_text('[tool.modelgate]\nfeature_columns = "*"\n')
    assert load_config(path).settings.feature_columns == ("*",)
    for text, message in [
        (
            'task = "ranking"',
            "[tool.modelgate].task 'ranking': unknown task; use one of binary, multiclass, regression",
        ),
        ('feature_columns = ["a", "a"]', "[tool.modelgate].feature_columns: column 'a' is named twice"),
        ('feature_columns = ["a", "*"]', '"*" stands alone'),
    ]:
        path.write_text(f"[tool.modelgate]\n{text}\n")
        with pytest.raises(GateUsageError) as info:
            load_config(path)
        assert message in str(info.value)


# --- the pytest gate on real runs -------------------------------------------------------

TABLE_INI = """
[pytest]
modelgate_model_artifact = {model}
modelgate_data_artifact = {data}
modelgate_label_column = target
modelgate_feature_columns = *
"""

SUITE = """
def test_the_evidence_is_for_the_task(evaluation):
    assert evaluation.task in ("multiclass", "regression")
"""


class ScikitLearnApi:
    """A model with scikit-learn's API and nothing of scikit-learn (as XGBoost's and LightGBM's)."""

    classes_ = np.array(["low", "mid", "high"])

    def predict_proba(self, frame):
        alcohol = frame["alcohol"].to_numpy()
        high = np.clip((alcohol - 12.0) / 2.0, 0.05, 0.9)
        low = (1 - high) / 2
        return np.column_stack([low, 1 - high - low, high])


@pytest.mark.filterwarnings("ignore:validation data has 11 duplicate rows")  # one feature column: repeats are real
def test_anything_with_the_scikit_learn_api_is_gated_with_its_classes(wine):
    _, valid = wine
    frame = valid.assign(
        grade=np.where(valid["alcohol"] > 13.5, "high", np.where(valid["alcohol"] < 12.5, "low", "mid"))
    )
    frame = frame.drop(columns="target")
    gate = Gate(
        checks=[MarginCheck("log_loss", margin=0.0, confidence=None)], feature_columns=["alcohol"], label_column="grade"
    )
    verdict = gate.evaluate(ScikitLearnApi(), frame)
    evidence = verdict.evaluation
    assert (evidence.task, evidence.classes) == ("multiclass", ("low", "mid", "high"))
    assert evidence.labels.tolist() == [("low", "mid", "high").index(g) for g in frame["grade"]]


def test_the_in_flow_gate_reads_all_feature_columns_from_its_config(tmp_path, wine):
    """A regression test: Gate.from_config refused feature_columns = "*" (already parsed to ("*",))."""
    model, valid = wine
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.modelgate]\nfeature_columns = "*"\nlabel_column = "target"\n'
        '[[tool.modelgate.checks]]\nmetric = "accuracy"\nmargin = 0.3\n'
    )
    gate = Gate.from_config(path)
    assert tuple(gate.feature_columns) == ("*",)
    verdict = gate.evaluate(model, valid)
    assert verdict.passed and verdict.evaluation.features.shape[1] == 13


def test_a_champion_that_never_saw_a_class_scores_it_zero(wine):
    model, valid = wine
    features = valid.drop(columns="target")
    # Scaled: unscaled, lbfgs ran to its iteration limit.
    older = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    older.fit(features[valid["target"] != 2], valid["target"][valid["target"] != 2])
    scores = as_scorer(older, task="multiclass", classes=(0, 1, 2), unknown_classes="zero")(features)
    np.testing.assert_allclose(scores[:, :2], older.predict_proba(features))
    assert (scores[:, 2] == 0).all()
    with pytest.raises(ValueError, match="does not know class 2"):
        as_scorer(older, task="multiclass", classes=(0, 1, 2))


def test_feature_columns_in_another_order_reach_the_model_in_its_own(wine):
    model, valid = wine
    columns = list(reversed(valid.drop(columns="target").columns))
    verdict = Gate(
        checks=[MarginCheck("accuracy", margin=0.3)], feature_columns=columns, label_column="target"
    ).evaluate(model, valid)
    assert verdict.passed
    np.testing.assert_allclose(verdict.evaluation.candidate, model.predict_proba(valid.drop(columns="target")))


def test_a_binary_model_with_named_classes_keeps_them(wine):
    _, valid = wine
    frame = valid.assign(label=np.where(valid["target"] == 0, "barolo", "other")).drop(columns="target")
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame.drop(columns="label"), frame["label"])
    verdict = Gate(checks=[MarginCheck("roc_auc", margin=0.2)], feature_columns="*", label_column="label").evaluate(
        model, frame
    )
    evidence = verdict.evaluation
    assert (evidence.task, evidence.classes) == ("binary", ("barolo", "other"))
    assert evidence.labels.tolist() == (frame["label"] == "other").astype(int).tolist()  # classes_[1] is positive
    assert verdict.passed
