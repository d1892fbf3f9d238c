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

from helpers import reset_tags, usage_error, user_tags
from modelgate import Gate, GateUsageError
from modelgate.checks import MarginCheck
from modelgate.config import load_config
from modelgate.runs import get_run
from modelgate.scorers import ScorerOutputError, as_scorer
from modelgate.tasks import ModelShape, labels_for_task, model_shape, resolve_task


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
    with pytest.raises(GateUsageError, match=r"cannot tell the task .* set task = \"binary\", \"multiclass\" or \"regression\""):
        resolve_task("", ModelShape(None), pd.Series(labels), "y")


def test_a_task_that_contradicts_the_model_names_both(wine):
    with pytest.raises(GateUsageError) as info:
        resolve_task("binary", model_shape(wine[0]), wine[1]["target"], "target")
    assert str(info.value) == (
        "the gate's task is 'binary', but Pipeline.classes_ has 3 classes: it is multiclass; "
        'set task = "multiclass"'
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
    with pytest.raises(GateUsageError, match=r"regression target 'y' has 1 missing or infinite values \(first at row 1\)"):
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
    with pytest.raises(ScorerOutputError, match=r"class probabilities that sum to 1.2, not 1, at position 0 of 2 \(2 rows off\)"):
        scorer(["a", "b"])


def test_regressors_and_classifiers_keep_to_their_tasks(wine, diabetes):
    with pytest.raises(TypeError, match=r"Pipeline is a classifier \(it has predict_proba\), but the task is regression"):
        as_scorer(wine[0], task="regression")
    with pytest.raises(TypeError, match=r"Ridge has predict but no predict_proba: a binary gate needs class probabilities"):
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
        (dict(checks=[MarginCheck("roc_auc")]), "metric 'roc_auc' does not apply to task 'regression' (regression metrics: "),
        (dict(checks=[MarginCheck("mae", baseline="majority")]), "baseline 'majority' does not apply to task 'regression' (use mean or median"),
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
        ('task = "ranking"', "[tool.modelgate].task 'ranking': unknown task; use one of binary, multiclass, regression"),
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


def _table_suite(gate_suite, model: str, data: str):
    return gate_suite.write(SUITE, ini=TABLE_INI.format(model=model, data=data))


def test_a_multiclass_run_is_gated_against_a_champion_and_tagged(gate_suite, table_run):
    from helpers import FLOWS, run_flow

    champion = table_run
    run = run_flow(FLOWS / "table_flow.py")
    result = _table_suite(gate_suite, "wine_model", "wine_df").run(
        run, "--gate-check", "metric=accuracy,baseline=majority,margin=0.3",
        "--gate-check", "metric=log_loss,at_most=0.5",
        # the same run as champion: its model is loaded and scored for the task, on the frame
        "--baseline-run", champion, "--gate-check", "metric=log_loss,baseline=champion,margin=-0.01",
    )
    assert result.ret == 0, result.outlines
    assert "task: multiclass (inferred), 3 classes; 72 validation rows; the model receives 13 feature columns (a DataFrame)" in result.outlines
    assert "deployment_candidate" in user_tags(run)


def test_a_regression_run_fails_a_margin_it_cannot_make_and_is_not_tagged(gate_suite, table_run):
    run = reset_tags(table_run)
    result = _table_suite(gate_suite, "diabetes_model", "diabetes_df").run(
        run, "--task", "regression", "--gate-check", "metric=mae,baseline=mean,margin=40"
    )
    assert result.ret == 1, result.outlines
    assert "deployment_candidate" not in user_tags(run)
    result = _table_suite(gate_suite, "diabetes_model", "diabetes_df").run(
        run, "--gate-check", "metric=mae,baseline=mean,margin=5"
    )
    assert result.ret == 0, result.outlines
    assert "deployment_candidate" in user_tags(run)


@pytest.mark.parametrize(
    ("model", "data", "args", "message"),
    [
        ("wine_model", "wine_df", ("--task", "binary"), "the gate's task is 'binary', but Pipeline.classes_ has 3 classes"),
        ("wine_model", "wine_unknown_df", (), "label column 'target' holds 1 class the model does not know: 7 (3 rows"),
        ("diabetes_model", "diabetes_nan_target_df", (), "regression target 'target' has 1 missing or infinite values"),
        ("diabetes_model", "diabetes_nan_feature_df", (), "(feature columns with missing values: bmi; the model cannot take NaN?)"),
        ("diabetes_model", "diabetes_df", ("--feature-columns", "bmi,s7"), "validation data has no column 's7'"),
        ("diabetes_model", "diabetes_df", ("--gate-check", "metric=roc_auc,baseline=mean"), "metric 'roc_auc' does not apply to task 'regression'"),
        ("diabetes_model", "diabetes_df", ("--gate-check", "metric=mae,at_least=40"), "at_least"),
        ("cancer_model", "cancer_df", ("--task", "multiclass"), "Pipeline.classes_ has 2 classes: it is binary"),
        # a column of arrays under "*": rows are hashed by their bytes, and the model's own refusal is the line
        ("diabetes_model", "diabetes_embedding_df", (),
         "the candidate's model failed on the validation rows: ValueError: The feature names should match those "
         "that were passed during fit. Feature names unseen at fit time: - embedding"),
    ],
    ids=["multiclass-as-binary", "unknown-class", "nan-target", "nan-feature", "missing-column",
         "metric-task", "floor-side", "binary-as-multiclass", "embeddings"],
)
def test_bad_table_input_is_one_line_exit_4_and_no_tag(gate_suite, table_run, model, data, args, message):
    run = reset_tags(table_run)
    result = _table_suite(gate_suite, model, data).run(run, *args)
    usage_error(result, message)
    assert "deployment_candidate" not in user_tags(run)


def test_a_blank_smoke_cell_is_one_line_at_session_start(gate_suite, table_run):
    run = reset_tags(table_run)
    _table_suite(gate_suite, "diabetes_model", "diabetes_df")
    gate_suite.file("cases.csv", """
        name,age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,min
        full,0.04,0.05,0.06,0.03,-0.01,0.02,-0.04,0.03,0.05,0.01,0
        holey,0.04,0.05,,0.03,-0.01,0.02,-0.04,0.03,0.05,0.01,0
    """)
    result = gate_suite.run(run, "--smoke-cases", "cases.csv")
    usage_error(result, "cases.csv, line 3): the feature column 'bmi' is empty")
    assert "smoke case 'holey' (" in result.errlines[0] and len(result.outlines + result.errlines) < 5
    assert "deployment_candidate" not in user_tags(run)


def test_a_monotonic_property_without_class_on_a_multiclass_model_is_one_line_at_session_start(
    gate_suite, table_run
):
    run = reset_tags(table_run)
    _table_suite(gate_suite, "wine_model", "wine_df")
    gate_suite.file("pyproject.toml", """
        [[tool.modelgate.properties]]
        kind = "monotonic"
        column = "alcohol"
    """)
    result = gate_suite.run(run)
    usage_error(result, "property monotonic-alcohol-increasing: a multiclass model needs class = ...: the class "
                        "whose probability must move with 'alcohol' (classes: 0, 1, 2)")
    assert "deployment_candidate" not in user_tags(run)


def test_a_champion_that_cannot_score_the_candidates_columns_is_an_error_not_a_failure(gate_suite, table_run):
    from helpers import FLOWS, run_flow

    champion = table_run  # fitted on the 10 diabetes columns
    run = run_flow(FLOWS / "table_flow.py", extra_column="x3")  # adds x3 and fits on it
    get_run(run).add_tag("deployment_candidate")  # carries the tag from an earlier gate: an error must keep it
    result = _table_suite(gate_suite, "diabetes_model", "diabetes_df").run(
        run, "--baseline-run", champion,
        "--gate-check", "metric=mae,baseline=champion,margin=-5", "--gate-check", "metric=mae,baseline=mean,margin=-100",
    )
    assert result.ret == 1, result.outlines
    assert len(result.outlines) < 40 and "Traceback" not in result.stdout.str()  # no scikit-learn traceback
    line = f"modelgate: the champion run {champion} cannot score these rows (it was not fitted on the column 'x3'): "
    assert any(l.startswith(line) for l in result.outlines), result.outlines
    [row] = [l for l in result.outlines if "test: modelgate::mae-vs-champion" in l]
    assert row.split()[0] == "ERROR"
    assert f"verdict: ERROR, no verdict (1 of 3 checks errored) for {run}" in result.outlines
    assert not any(l.startswith("verdict: FAIL") for l in result.outlines)
    assert "deployment_candidate" in user_tags(run)  # an error changes no tag (a failure would revoke)


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
    frame = valid.assign(grade=np.where(valid["alcohol"] > 13.5, "high", np.where(valid["alcohol"] < 12.5, "low", "mid")))
    frame = frame.drop(columns="target")
    gate = Gate(checks=[MarginCheck("log_loss", margin=0.0, confidence=None)], feature_columns=["alcohol"], label_column="grade")
    verdict = gate.evaluate(ScikitLearnApi(), frame)
    evidence = verdict.evaluation
    assert (evidence.task, evidence.classes) == ("multiclass", ("low", "mid", "high"))
    assert evidence.labels.tolist() == [("low", "mid", "high").index(g) for g in frame["grade"]]


@pytest.mark.slow  # trains a (small) Keras model
def test_a_keras_softmax_model_on_feature_columns_is_multiclass(wine):
    import keras

    model_sk, valid = wine
    features = valid.drop(columns="target")
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Normalization(), keras.layers.Dense(3, activation="softmax")])
    net.layers[0].adapt(features.to_numpy("float32"))
    net.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    net.fit(features.to_numpy("float32"), valid["target"].to_numpy(), epochs=60, verbose=0)
    verdict = Gate(checks=[MarginCheck("accuracy", margin=0.3)], feature_columns="*", label_column="target").evaluate(net, valid)
    evidence = verdict.evaluation
    assert (evidence.task, evidence.classes) == ("multiclass", (0, 1, 2))
    np.testing.assert_allclose(evidence.candidate, net.predict(features.to_numpy("float32"), verbose=0), atol=1e-5)
    assert verdict.passed, str(verdict)


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
    older = LogisticRegression(max_iter=2000).fit(features[valid["target"] != 2], valid["target"][valid["target"] != 2])
    scores = as_scorer(older, task="multiclass", classes=(0, 1, 2), unknown_classes="zero")(features)
    np.testing.assert_allclose(scores[:, :2], older.predict_proba(features))
    assert (scores[:, 2] == 0).all()
    with pytest.raises(ValueError, match="does not know class 2"):
        as_scorer(older, task="multiclass", classes=(0, 1, 2))


def test_feature_columns_in_another_order_reach_the_model_in_its_own(wine):
    model, valid = wine
    columns = list(reversed(valid.drop(columns="target").columns))
    verdict = Gate(checks=[MarginCheck("accuracy", margin=0.3)], feature_columns=columns, label_column="target").evaluate(model, valid)
    assert verdict.passed
    np.testing.assert_allclose(verdict.evaluation.candidate, model.predict_proba(valid.drop(columns="target")))


def test_a_binary_model_with_named_classes_keeps_them(wine):
    _, valid = wine
    frame = valid.assign(label=np.where(valid["target"] == 0, "barolo", "other")).drop(columns="target")
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame.drop(columns="label"), frame["label"])
    verdict = Gate(checks=[MarginCheck("roc_auc", margin=0.2)], feature_columns="*", label_column="label").evaluate(model, frame)
    evidence = verdict.evaluation
    assert (evidence.task, evidence.classes) == ("binary", ("barolo", "other"))
    assert evidence.labels.tolist() == (frame["label"] == "other").astype(int).tolist()  # classes_[1] is positive
    assert verdict.passed


@pytest.mark.slow  # trains a (small) Keras model
def test_a_keras_regressor_is_not_taken_for_a_binary_classifier(diabetes):
    import keras

    _, valid = diabetes
    features = valid.drop(columns="target").to_numpy("float32")
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Dense(1)])
    net.compile(optimizer=keras.optimizers.Adam(0.5), loss="mae")
    net.fit(features, valid["target"].to_numpy(), epochs=100, verbose=0)
    checks = [MarginCheck("mae", baseline="mean", margin=0.0, confidence=None)]
    # one linear output and whole-number targets (counts? classes?): the gate asks, not guesses
    with pytest.raises(GateUsageError, match=r"cannot tell the task .* set task = "):
        Gate(checks=checks, feature_columns="*", label_column="target").evaluate(net, valid)
    verdict = Gate(checks=checks, feature_columns="*", label_column="target", task="regression").evaluate(net, valid)
    assert verdict.evaluation.task == "regression"
    np.testing.assert_allclose(verdict.evaluation.candidate, net.predict(features, verbose=0).ravel(), rtol=1e-5)
