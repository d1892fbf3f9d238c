"""Which class is positive: one rule for a binary gate, whatever the label coding.

The same model fitted on any coding of the same labels (0/1, 1/2, -1/1,
"neg"/"pos", False/True, 0.0/1.0) gets the verdict and the bounds of the 0/1
coding, through every part of the gate (the scorer's column, the labels, the
majority baseline, smoke rows, a monotonic property's class, a champion), and a
model fitted on swapped labels fails and is not tagged: through the library
(``Gate``) and through pytest sessions on real TableFlow runs.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from flows.table_flow import CODINGS, coded
from modelgate import FloorCheck, Gate, GateUsageError, MarginCheck, PropertyCheck
from modelgate.config import merge, parse_table
from modelgate.evidence.classes import choose
from modelgate.smoke import SmokeRow, load_smoke_cases

TAG = "deployment_candidate"
WATCHED = "worst radius"  # a larger tumour: more likely malignant, the negative class (0) of the data set


def fitted(train: pd.DataFrame):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        train.drop(columns="target"), train["target"]
    )


@pytest.fixture(scope="module")
def cancer():
    """The breast cancer data split as TableFlow splits it, 0/1 labels (1: benign)."""
    frame = load_breast_cancer(as_frame=True).frame
    return train_test_split(frame, test_size=0.4, random_state=0)


@pytest.fixture(scope="module")
def verdicts(cancer):
    """coding -> (verdict of the model fitted on that coding, verdict of the one fitted on it swapped)."""
    train, valid = cancer
    return {
        coding: tuple(
            gate(coding).evaluate(fitted(coded(train, coding, swap)), coded(valid, coding)) for swap in (False, True)
        )
        for coding in CODINGS
    }


def gate(coding: str, **settings) -> Gate:
    """Margins against the majority, a floor, a monotonic property watching the negative
    class and two smoke rows whose expected labels are written in ``coding``."""
    negative, positive = CODINGS[coding]
    frame = load_breast_cancer(as_frame=True).frame.drop(columns="target")
    smallest, largest = frame.loc[frame[WATCHED].idxmin()], frame.loc[frame[WATCHED].idxmax()]
    return Gate(
        checks=[
            MarginCheck("roc_auc", margin=0.3),
            MarginCheck("accuracy", margin=0.2),
            MarginCheck("log_loss", margin=0.3),
            MarginCheck("brier", margin=0.1),
            FloorCheck("f1", at_least=0.8),
        ],
        properties=[PropertyCheck("monotonic", column=WATCHED, class_value=negative, n_examples=100)],
        smoke_cases=[
            SmokeRow("smallest-tumour", expected=positive, values=smallest.to_dict()),
            SmokeRow("largest-tumour", expected=negative, values=largest.to_dict()),
        ],
        feature_columns="*",
        label_column="target",
        **settings,
    )


def numbers(verdict) -> list[tuple]:
    """What each result decided and measured, in order (names hold class values, so not those)."""
    return [
        (r.passed, r.candidate_value, r.baseline_value, r.estimate, r.lower, r.p_value, r.n) for r in verdict.results
    ]


def assert_same(verdict, reference) -> None:
    assert verdict.passed == reference.passed
    for got, want in zip(numbers(verdict), numbers(reference), strict=True):
        assert got[0] == want[0] and got[-1] == want[-1], (got, want)
        for a, b in zip(got[1:-1], want[1:-1]):
            assert (
                (a is None and b is None)
                or math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
                or (math.isnan(a) and math.isnan(b))
            ), (got, want)


# --- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "setting", "from_labels", "expected"),
    [
        ((0, 1), None, False, (0, 1)),
        ((1, 0), None, False, (0, 1)),  # 1 is positive in whatever order a model lists 0/1
        ((True, False), None, False, (False, True)),
        ((-1, 1), None, True, (-1, 1)),
        ((0.0, 1.0), None, True, (0.0, 1.0)),
        ((1, 2), None, False, (1, 2)),  # a model's classes_[1]
        (("pos", "neg"), None, False, ("pos", "neg")),  # classes_[1], even when it does not read as positive
        ((1, 2), "1", True, (2, 1)),  # positive_class, by value
        ((False, True), "False", False, (True, False)),
        ((0, 1), 0, True, (1, 0)),
    ],
)
def test_the_rule(pair, setting, from_labels, expected):
    assert choose(pair, setting, labels_from="y" if from_labels else "") == expected


def test_the_rule_asks_for_positive_class_when_nothing_tells():
    with pytest.raises(
        GateUsageError,
        match=r"^label column 'y' holds 1, 2 and the model names no classes, so which one is positive cannot be told: "
        r"set positive_class",
    ):
        choose((1, 2), labels_from="y")


# --- the library: every coding, the verdict and the bounds of 0/1 -------------------------------


@pytest.mark.parametrize("coding", list(CODINGS))
def test_every_coding_gets_the_verdict_and_bounds_of_0_1(verdicts, coding):
    good, swapped = verdicts[coding]
    assert verdicts["01"][0].passed, verdicts["01"][0].summary()
    assert_same(good, verdicts["01"][0])
    assert good.evaluation.classes == CODINGS[coding]  # (negative, positive)
    auc = good.results[0]
    assert auc.metric == "roc_auc" and auc.candidate_value > 0.99


@pytest.mark.parametrize("coding", list(CODINGS))
def test_a_model_fitted_on_swapped_labels_fails_in_every_coding(verdicts, coding):
    good, swapped = verdicts[coding]
    assert not swapped.passed
    assert_same(swapped, verdicts["01"][1])
    auc = swapped.results[0]
    assert not auc.passed and auc.candidate_value < 0.01, auc.message  # ranked backwards: never read as 1 - AUC
    assert not any(r.passed for r in swapped.results), swapped.summary()  # margins, floor, property, smoke rows


def test_the_scorer_reads_the_positive_classes_column(cancer):
    train, valid = cancer
    model = fitted(coded(train, "12"))
    verdict = gate("12").evaluate(model, coded(valid, "12"))
    features = valid.drop(columns="target")
    np.testing.assert_array_equal(verdict.evaluation.candidate, model.predict_proba(features)[:, 1])  # P(2)
    assert verdict.evaluation.labels.tolist() == valid["target"].tolist()  # 2 (benign) is 1
    # the majority baseline is the share of the positive class
    assert verdict.evaluation.scores("majority")[0] == pytest.approx(valid["target"].mean())


# --- positive_class -----------------------------------------------------------------------------


def test_positive_class_picks_the_column_and_the_labels_together(cancer, verdicts):
    train, valid = cancer
    model = fitted(coded(train, "12"))
    verdict = gate("12", positive_class=1).evaluate(model, coded(valid, "12"))
    evidence = verdict.evaluation
    assert evidence.classes == (2, 1)
    np.testing.assert_array_equal(evidence.candidate, model.predict_proba(valid.drop(columns="target"))[:, 0])
    assert evidence.labels.tolist() == (1 - valid["target"]).tolist()
    assert verdict.passed, verdict.summary()
    auc = verdict.results[0]
    assert auc.candidate_value == pytest.approx(verdicts["01"][0].results[0].candidate_value, abs=1e-12)


def test_a_model_that_names_no_classes_needs_positive_class_for_other_labels(cancer, verdicts):
    train, valid = cancer
    model = fitted(coded(train, "negpos"))

    def probability_of_pos(frame):  # a callable: no classes_
        return model.predict_proba(frame)[:, 1]

    data = coded(valid, "negpos")
    with pytest.raises(GateUsageError) as caught:  # (a callable's task is inferred only for 0/1 labels)
        gate("negpos", task="binary").evaluate(probability_of_pos, data)
    assert str(caught.value) == (
        "label column 'target' holds 'neg', 'pos' and the model names no classes, so which one is positive "
        "cannot be told: set positive_class ([tool.modelgate], --gate-positive-class or Gate(positive_class=...)) "
        "to the class the model's score is the probability of"
    )
    verdict = gate("negpos", task="binary", positive_class="pos").evaluate(probability_of_pos, data)
    assert_same(verdict, verdicts["01"][0])


@pytest.mark.parametrize("coding", ["01", "bool", "float", "pm1"])
def test_a_model_that_names_no_classes_needs_nothing_for_0_1_or_minus_1_1(cancer, verdicts, coding):
    train, valid = cancer
    model = fitted(coded(train, coding))
    verdict = gate(coding, task="binary").evaluate(lambda frame: model.predict_proba(frame)[:, 1], coded(valid, coding))
    assert_same(verdict, verdicts["01"][0])


def test_labels_the_models_classes_do_not_hold_are_one_line_naming_both(cancer):
    train, valid = cancer
    with pytest.raises(GateUsageError) as caught:
        gate("12").evaluate(fitted(coded(train, "01")), coded(valid, "12"))
    assert str(caught.value) == (
        "label column 'target' holds 1 class the model does not know: 2 (145 rows; the model's classes: 0, 1)"
    )


@pytest.mark.parametrize(
    ("coding", "setting", "message"),
    [
        ("12", 3, "positive_class 3 is not one of the two classes (1, 2)"),
        ("12", "3", "positive_class '3' is not one of the two classes (1, 2)"),
        ("negpos", "positive", "positive_class 'positive' is not one of the two classes ('neg', 'pos')"),
    ],
)
def test_a_positive_class_that_is_not_a_class_is_one_line_naming_the_classes(cancer, coding, setting, message):
    train, valid = cancer
    with pytest.raises(GateUsageError) as caught:
        gate(coding, positive_class=setting).evaluate(fitted(coded(train, coding)), coded(valid, coding))
    assert str(caught.value) == message


@pytest.mark.parametrize(("coding", "text"), [("12", "2"), ("bool", "True"), ("negpos", "pos"), ("float", "1")])
def test_text_from_the_command_line_matches_the_class_by_value(cancer, verdicts, coding, text):
    train, valid = cancer
    verdict = gate(coding, positive_class=text).evaluate(fitted(coded(train, coding)), coded(valid, coding))
    assert verdict.evaluation.classes == CODINGS[coding]
    assert_same(verdict, verdicts["01"][0])


def test_positive_class_applies_to_binary_gates_only():
    frame = load_wine(as_frame=True).frame
    model = fitted(frame)
    with pytest.raises(
        GateUsageError, match=r"^positive_class applies to binary gates only, but the task is multiclass$"
    ):
        Gate(
            checks=[MarginCheck("accuracy", margin=0.1)], feature_columns="*", label_column="target", positive_class=1
        ).evaluate(model, frame)


def test_positive_class_in_the_config_the_ini_and_the_command_line():
    table = {"positive_class": 2}
    assert parse_table(table).settings.positive_class == 2
    assert parse_table({"positive_class": "pos"}).settings.positive_class == "pos"
    assert parse_table({"positive_class": True}).settings.positive_class is True
    with pytest.raises(
        GateUsageError,
        match=r"^\[tool.modelgate\].positive_class: expected a class value \(a string, integer or boolean\), got \[1\]$",
    ):
        parse_table({"positive_class": [1]})
    with pytest.raises(GateUsageError, match="expected a non-empty string"):
        parse_table({"positive_class": " "})
    base = parse_table(table)
    assert merge(base, {"positive_class": "pos"}, {}).settings.positive_class == "pos"  # the ini over the file
    assert merge(base, {"positive_class": "pos"}, {"positive_class": "1"}).settings.positive_class == "1"
    assert Gate(positive_class=2).config.settings.positive_class == 2
    with pytest.raises(GateUsageError, match=r"^Gate\(positive_class=...\): expected a class value"):
        Gate(positive_class={"a": 1})  # type: ignore[arg-type]


def test_smoke_labels_in_a_file_are_class_values(tmp_path):
    """A text file whose labels are all "1": in a 1/2 coding that is class 1, the negative one."""
    texts = ["great lovely dress", "awful broken zip", "lovely great fit", "returned awful poor"] * 10
    labels = [2, 1, 2, 1] * 10
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(texts, labels)
    cases = tmp_path / "cases.csv"
    cases.write_text("text,expected\nawful and broken,1\npoor and returned,negative\n")
    loaded = load_smoke_cases(cases)
    data = pd.DataFrame({"review": texts, "labels": labels})
    verdict = Gate(smoke_cases=loaded, checks=[MarginCheck("roc_auc", margin=0.3)]).evaluate(model, data)
    assert [r.passed for r in verdict.results] == [True, True, True], verdict.summary()
    # a label that is neither a class nor a word is refused, naming the classes
    cases.write_text("text,expected\nawful and broken,0\n")
    with pytest.raises(
        GateUsageError, match=r"bad label '0' for a binary model; use a class \(1, 2\) or positive/negative"
    ):
        Gate(smoke_cases=load_smoke_cases(cases)).evaluate(model, data)


# --- pytest sessions on real runs ----------------------------------------------------------------


def _toml(value) -> str:
    return json.dumps(value)  # a TOML string, integer, float or boolean


HEADERS = {
    "12": "positive class 2 (of 1, 2)",
    "pm1": "positive class 1 (of -1, 1)",
    "negpos": "positive class 'pos' (of 'neg', 'pos')",
}
