"""Behavioural properties of models over feature columns: column invariance and monotonicity.

Real scikit-learn models on data that ships inside scikit-learn (nothing
downloaded), each scored through a counting ``frame -> outputs`` callable, so
the tests also hold the properties to a few model calls each.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from modelgate import behaviour as B
from modelgate.checks.properties import PropertyCheck
from modelgate.config import parse_table
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import Evaluation, evaluate


class Counted:
    """``frame -> outputs``, counting model calls."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, frame):
        assert isinstance(frame, pd.DataFrame)
        self.calls += 1
        return np.asarray(self.fn(frame), dtype=float)


def run(prop: PropertyCheck, evidence: Evaluation):
    """Prepare and evaluate as the runner does; (result, model calls it took)."""
    scorer = evidence.candidate_scorer
    before = scorer.calls
    prop.prepare(evidence)
    result = prop.evaluate(evidence)
    return result, scorer.calls - before


# --- monotonicity: a regressor -------------------------------------------------------


@pytest.fixture(scope="module")
def diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X[:300], y[:300], X[300:].reset_index(drop=True), y[300:].to_numpy()


def boosted(diabetes, sign: int, target_sign: int = 1):
    """A gradient-boosted regressor constrained to move with bmi in the direction ``sign``."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y, valid, labels = diabetes
    cst = [sign if c == "bmi" else 0 for c in X.columns]
    target = y if target_sign > 0 else y.max() - y
    model = HistGradientBoostingRegressor(monotonic_cst=cst, max_iter=60, random_state=0).fit(X, target)
    return model, evaluate(Counted(model.predict), valid, labels, task="regression")


def test_a_regressor_constrained_to_rise_with_bmi_passes_monotonicity(diabetes):
    _, evidence = boosted(diabetes, +1)
    result, calls = run(PropertyCheck("monotonic", column="bmi", n_examples=300), evidence)
    assert result.passed and result.name == "monotonic-bmi-increasing"
    assert result.message == (
        "monotonic 'bmi' increasing (predicted value): ok, failed on 0 of 300 examples "
        "(0.0%; 95% upper bound 1.0%; allowed below 5.0%)"
    )
    assert calls == 1  # 300 originals and 300 raised rows in one call


def test_a_regressor_that_falls_with_bmi_fails_with_a_shrunk_counterexample(diabetes):
    model, evidence = boosted(diabetes, -1, target_sign=-1)
    result, calls = run(PropertyCheck("monotonic", column="bmi", n_examples=200, max_failure_rate=0.05), evidence)
    assert not result.passed and result.group == "property"
    assert result.candidate_value > 0.5 and result.margin == 0.05 and result.n == 200
    lines = result.message.splitlines()
    assert re.fullmatch(
        r"monotonic 'bmi' increasing \(predicted value\): FAIL, failed on \d+ of 200 examples "
        r"\(\d+\.\d%; 95% upper bound \d+\.\d%; allowed below 5\.0%\)",
        lines[0],
    ), lines[0]
    assert calls == 2  # the examples, then every smaller raise of a few failing rows at once
    # The counterexample is real: its row, raised as it says, scores lower.
    report = B.check_monotonic_rate(
        model.predict, evidence.features, "bmi", task="regression", n_examples=200, max_failure_rate=0.05
    )
    c = report.counterexample
    assert c.shrunk and lines[1] == f"  shrunk counterexample: {c.change}"
    position = int(re.match(r"validation row (\d+):", c.original).group(1))
    old, new = (
        float(v) for v in re.fullmatch(r"raised bmi (\S+) -> (\S+), which lowered the score", c.change).groups()
    )
    row = evidence.features.iloc[[position]]
    raised = row.assign(bmi=row["bmi"].iloc[0] + (new - old))
    assert model.predict(raised)[0] < model.predict(row)[0]
    assert c.perturbed_score < c.original_score
    # Shrunk: no failing draw raised bmi by less.
    pool = np.unique(evidence.features["bmi"])
    smaller = pool[(pool > old) & (pool < new - 1e-9)]
    assert all(model.predict(row.assign(bmi=v))[0] >= model.predict(row)[0] for v in smaller)


def test_step_raises_by_a_fixed_amount_and_decreasing_reverses_the_rule(diabetes):
    _, evidence = boosted(diabetes, -1, target_sign=-1)
    result, calls = run(PropertyCheck("monotonic", column="bmi", step=0.01, n_examples=100), evidence)
    assert not result.passed and calls == 1  # a fixed step is not shrunk: one call
    assert "first failing example (not shrunk): raised bmi" in result.message
    result, _ = run(PropertyCheck("monotonic", column="bmi", direction="decreasing", n_examples=100), evidence)
    assert result.passed and result.name == "monotonic-bmi-decreasing"


def test_monotonic_rate_is_deterministic(diabetes):
    model, evidence = boosted(diabetes, -1, target_sign=-1)
    first = B.check_monotonic_rate(model.predict, evidence.features, "bmi", task="regression", n_examples=50, seed=3)
    again = B.check_monotonic_rate(model.predict, evidence.features, "bmi", task="regression", n_examples=50, seed=3)
    assert first == again


# --- monotonicity: classifiers ------------------------------------------------------


def test_a_binary_classifier_watches_the_positive_class_or_the_one_named(diabetes):
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    # Class 1 is benign: a larger worst radius must not make it more likely.
    cst = [-1 if c == "worst radius" else 0 for c in X.columns]
    model = HistGradientBoostingClassifier(monotonic_cst=cst, max_iter=40, random_state=0).fit(X[:400], y[:400])
    evidence = evaluate(Counted(lambda f: model.predict_proba(f)[:, 1]), X[400:].reset_index(drop=True), y[400:])
    benign, _ = run(PropertyCheck("monotonic", column="worst radius", direction="decreasing"), evidence)
    malignant, _ = run(PropertyCheck("monotonic", column="worst radius", class_value=0), evidence)
    wrong_way, _ = run(PropertyCheck("monotonic", column="worst radius"), evidence)
    assert benign.passed and malignant.passed and not wrong_way.passed
    assert malignant.name == "monotonic-worst radius-increasing-0"
    assert malignant.message.startswith("monotonic 'worst radius' increasing (probability of class 0): ok")
    assert wrong_way.message.startswith("monotonic 'worst radius' increasing (positive-class probability): FAIL")


@pytest.fixture(scope="module")
def wine():
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_wine(as_frame=True)
    names = data.target_names[data.target.to_numpy()]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(data.data, names)
    classes = tuple(str(c) for c in model.classes_)
    codes = np.array([classes.index(v) for v in names])
    return model, evaluate(Counted(model.predict_proba), data.data, codes, task="multiclass", classes=classes)


def test_multiclass_monotonicity_watches_the_named_class(wine):
    # More proline: more likely class_0 (the largest weight), less likely class_1 (the smallest).
    _, evidence = wine
    up, calls = run(PropertyCheck("monotonic", column="proline", class_value="class_0"), evidence)
    assert up.passed and calls == 1
    down, _ = run(PropertyCheck("monotonic", column="proline", class_value="class_1", direction="decreasing"), evidence)
    assert down.passed
    wrong, calls = run(PropertyCheck("monotonic", column="proline", class_value="class_1", n_examples=100), evidence)
    assert not wrong.passed and wrong.candidate_value == 1.0 and calls == 2
    assert wrong.message.startswith(
        "monotonic 'proline' increasing (probability of class 'class_1'): FAIL, failed on 100 of 100 examples"
    )


def test_multiclass_monotonicity_needs_a_known_class(wine):
    _, evidence = wine
    with pytest.raises(
        GateUsageError,
        match=r"^property monotonic-proline-increasing: a multiclass model needs "
        r"class = \.\.\.: the class whose probability must move with 'proline' "
        r"\(classes: 'class_0', 'class_1', 'class_2'\)$",
    ):
        PropertyCheck("monotonic", column="proline").prepare(evidence)
    with pytest.raises(GateUsageError, match=r"class 'class_7' is not a class of the model"):
        PropertyCheck("monotonic", column="proline", class_value="class_7").prepare(evidence)


# --- invariance -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cancer_with_id():
    """Breast-cancer rows with an ``id`` that leaks the label in training, and a free-text note."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    rng = np.random.default_rng(0)
    X = X.copy()
    X.insert(0, "id", np.where(y == 1, rng.integers(0, 300, len(X)), rng.integers(300, 600, len(X))))
    X["note"] = rng.choice(["checked twice", "second opinion", "routine", "referred"], len(X))
    return X, y


def cancer_model(cancer_with_id, use_id: bool):
    """A Pipeline whose ColumnTransformer drops the id and the note (or keeps the id)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline

    X, y = cancer_with_id
    numeric = [c for c in X.columns if c not in ("id", "note")]
    kept = numeric + (["id"] if use_id else [])
    model = make_pipeline(
        ColumnTransformer([("kept", "passthrough", kept)]), HistGradientBoostingClassifier(max_iter=50, random_state=0)
    ).fit(X[:400], y[:400])
    scorer = Counted(lambda f: model.predict_proba(f)[:, 1])
    return model, evaluate(scorer, X[400:].reset_index(drop=True), y[400:].to_numpy())


def test_a_pipeline_that_drops_the_id_is_invariant_to_it(cancer_with_id):
    _, evidence = cancer_model(cancer_with_id, use_id=False)
    for prop in (
        PropertyCheck("invariance", column="id", n_examples=300),
        PropertyCheck("invariance", column="id", tolerance=0.0),
        PropertyCheck("invariance", column="note", values=["urgent", "routine"]),
    ):
        result, calls = run(prop, evidence)
        assert result.passed, result.message
        assert calls == 1
    result, _ = run(PropertyCheck("invariance", column="id", tolerance=0.0), evidence)
    assert result.name == "invariance-id"
    assert result.message == (
        "invariance of 'id' (score within 0): ok, failed on 0 of 200 examples (0.0%; 95% upper bound 1.5%; allowed below 5.0%)"
    )


def test_a_model_that_uses_the_id_fails_with_the_smallest_change_that_flips_it(cancer_with_id):
    model, evidence = cancer_model(cancer_with_id, use_id=True)
    result, calls = run(PropertyCheck("invariance", column="id", n_examples=200), evidence)
    assert not result.passed and calls == 2
    lines = result.message.splitlines()
    assert re.fullmatch(r"invariance of 'id' \(label at 0\.5\): FAIL, failed on \d+ of 200 examples .*", lines[0])
    report = B.check_column_invariance_rate(
        model.predict_proba, evidence.features, "id", n_examples=200, max_failure_rate=0.05
    )
    c = report.counterexample
    assert c.shrunk and c.kind == "column" and lines[1] == f"  shrunk counterexample: {c.change}"
    old, new = (int(v) for v in re.fullmatch(r"id: (\d+) -> (\d+)", c.change).groups())
    # It really flips the label, and across the leak's boundary (ids below 300 were benign).
    assert (c.original_score > 0.5) != (c.perturbed_score > 0.5)
    assert (old < 300) != (new < 300)
    position = int(re.match(r"validation row (\d+): id=", c.original).group(1))
    row = evidence.features.iloc[[position]]
    assert model.predict(row)[0] != model.predict(row.assign(id=new))[0]


def test_multiclass_invariance_is_on_the_predicted_class_or_every_probability(wine):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model, evidence = wine
    label, _ = run(PropertyCheck("invariance", column="magnesium", n_examples=150, max_failure_rate=0.2), evidence)
    strict, calls = run(PropertyCheck("invariance", column="magnesium", tolerance=0.001, n_examples=150), evidence)
    assert label.passed and not strict.passed and calls == 2
    assert strict.message.startswith("invariance of 'magnesium' (class probabilities within 0.001): FAIL")
    assert "shrunk counterexample: magnesium: " in strict.message and "; probability of class 'class_" in strict.message
    # A model that never sees the column holds it exactly.
    X = evidence.features
    others = [c for c in X.columns if c != "magnesium"]
    blind = make_pipeline(ColumnTransformer([("x", StandardScaler(), others)]), LogisticRegression(max_iter=3000))
    blind.fit(X, np.array(evidence.classes)[evidence.labels])
    blind_evidence = evaluate(
        Counted(blind.predict_proba), X, evidence.labels, task="multiclass", classes=evidence.classes
    )
    assert run(PropertyCheck("invariance", column="magnesium", tolerance=0.0), blind_evidence)[0].passed


def test_regression_invariance_defaults_to_unchanged(diabetes):
    model, evidence = boosted(diabetes, +1)
    assert run(PropertyCheck("invariance", column="sex", max_failure_rate=0.0), evidence)[0].passed is False
    assert run(PropertyCheck("invariance", column="sex", tolerance=1000.0), evidence)[0].passed


# --- what does not fit ------------------------------------------------------------------


TEXT_EVIDENCE = Evaluation(
    labels=np.array([1, 0]),
    candidate=np.array([0.9, 0.1]),
    texts=("Great", "Awful"),
    scorer=lambda texts: np.array([0.9] * len(texts)),
)


@pytest.mark.parametrize(
    "prop, message",
    [
        (
            PropertyCheck("invariance"),
            "property invariance: a invariance property perturbs texts, but the model takes "
            "feature columns ('age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', ... "
            "(10 columns)); for a column property give column = ...",
        ),
        (PropertyCheck("directional"), "property directional-negative: a directional property perturbs texts"),
        (
            PropertyCheck("monotonic", column="weight"),
            "property monotonic-weight-increasing: no feature column 'weight'; the model's columns are 'age', 'sex'",
        ),
        (
            PropertyCheck("invariance", column="bmi", values=["heavy"]),
            "property invariance-bmi: values[0] for column 'bmi': 'heavy' is not a number (the column is float64)",
        ),
        (
            PropertyCheck("monotonic", column="bmi", class_value="high"),
            "property monotonic-bmi-increasing-high: class is for classifiers; the model is a regression model",
        ),
    ],
    ids=["text-invariance", "directional", "unknown-column", "bad-values", "class-on-regression"],
)
def test_a_property_that_does_not_fit_a_feature_model_is_a_usage_error(diabetes, prop, message):
    _, evidence = boosted(diabetes, +1)
    with pytest.raises(GateUsageError) as info:
        prop.prepare(evidence)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(GateUsageError):
        prop.evaluate(evidence)  # evaluate checks too: a misfit is never a verdict


def test_columns_that_cannot_be_changed_are_a_usage_error():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "site": ["a", "a", "a"], "const": [5.0, 5.0, 5.0]})
    evidence = evaluate(lambda f: f["x"].to_numpy() / 10, frame, [0, 1, 1])
    with pytest.raises(GateUsageError, match=r"column 'site' is (str|object), not numeric: it cannot be raised"):
        PropertyCheck("monotonic", column="site").prepare(evidence)
    with pytest.raises(
        GateUsageError, match=r"column 'const' has fewer than 2 distinct values .*; give step = \.\.\.$"
    ):
        PropertyCheck("monotonic", column="const").prepare(evidence)
    PropertyCheck("monotonic", column="const", step=1.0).prepare(evidence)  # a step needs no other value
    with pytest.raises(GateUsageError, match=r"column 'site' has 1 distinct value\(s\) .*; give values = \[\.\.\.\]$"):
        PropertyCheck("invariance", column="site").prepare(evidence)
    with pytest.raises(GateUsageError, match=r"every validation row already has 'site' = 'a', the only value given"):
        PropertyCheck("invariance", column="site", values=["a"]).prepare(evidence)
    assert run_plain(PropertyCheck("invariance", column="site", values=["b"]), evidence).passed


def run_plain(prop, evidence):
    prop.prepare(evidence)
    return prop.evaluate(evidence)


def test_a_column_property_on_a_text_model_is_a_usage_error():
    with pytest.raises(
        GateUsageError,
        match=r"^property invariance-review: column 'review' names a feature column, "
        r"but the model takes texts$",
    ):
        PropertyCheck("invariance", column="review").prepare(TEXT_EVIDENCE)
    PropertyCheck("invariance").prepare(TEXT_EVIDENCE)  # text invariance fits a text model


# --- config ------------------------------------------------------------------------------


def test_config_declares_column_properties():
    config = parse_table(
        {
            "properties": [
                {"kind": "monotonic", "column": "bmi"},
                {
                    "kind": "monotonic",
                    "column": "proline",
                    "class": "class_0",
                    "direction": "decreasing",
                    "step": 10,
                    "tolerance": 0.01,
                    "n_examples": 60,
                },
                {"kind": "invariance", "column": "batch_id", "values": [1, 2, 3], "tolerance": 0.0},
                {"kind": "invariance", "perturbations": ["case"]},
            ]
        }
    )
    assert [p.name for p in config.properties] == [
        "monotonic-bmi-increasing",
        "monotonic-proline-decreasing-class_0",
        "invariance-batch_id",
        "invariance",
    ]
    second = config.properties[1]
    assert (second.class_value, second.direction, second.step, second.tolerance) == (
        "class_0",
        "decreasing",
        10.0,
        0.01,
    )
    assert config.properties[2].values == (1, 2, 3)


@pytest.mark.parametrize(
    "table, message",
    [
        ({"kind": "monotonic"}, "properties[0]: column must name the feature column a monotonic property changes"),
        (
            {"kind": "monotonic", "column": "bmi", "direction": "up"},
            "properties[0].direction: must be 'increasing' or 'decreasing', not 'up'",
        ),
        ({"kind": "monotonic", "column": "bmi", "step": 0}, "properties[0].step: must be a finite number > 0, not 0"),
        (
            {"kind": "monotonic", "column": "bmi", "values": [1]},
            "properties[0].values: a monotonic property takes no 'values'",
        ),
        (
            {"kind": "invariance", "column": "bmi", "class": "a"},
            "properties[0].class: a invariance property takes no 'class'",
        ),
        (
            {"kind": "invariance", "column": "id", "perturbations": ["case"]},
            "properties[0].perturbations: do not apply with a column: a column invariance changes the column's values",
        ),
        (
            {"kind": "invariance", "values": [1, 2]},
            "properties[0].values: need a column: they are what a column invariance sets it to",
        ),
        ({"kind": "invariance", "column": "id", "values": []}, "properties[0].values: expected a non-empty list"),
        ({"kind": "monotonic", "column": "bmi", "class": [1]}, "properties[0].class: expected a class value"),
    ],
    ids=[
        "no-column",
        "direction",
        "step",
        "values-on-monotonic",
        "class-on-invariance",
        "perturbations-with-column",
        "values-without-column",
        "empty-values",
        "class-list",
    ],
)
def test_bad_column_property_config_names_the_key(table, message):
    with pytest.raises(GateUsageError) as info:
        parse_table({"properties": [table]})
    assert message in str(info.value), str(info.value)
