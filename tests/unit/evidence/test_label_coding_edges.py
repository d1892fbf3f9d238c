"""Hostile review of which class is positive: label codings, dtypes and wrapped scorers.

Each test asserts what a user relies on: a model fitted on swapped labels never
passes, a good model is never scored as 1 - AUC, the verdict does not depend on
the labels' dtype, and the session header says which class is positive.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_positive_class import assert_same

from modelgate import FloorCheck, Gate, GateUsageError, MarginCheck
from modelgate.evidence.scorers import as_scorer


@pytest.fixture(scope="module")
def cancer():
    frame = load_breast_cancer(as_frame=True).frame
    return train_test_split(frame, test_size=0.4, random_state=0)


def fitted(train: pd.DataFrame, labels=None):
    labels = train["target"] if labels is None else labels
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(train.drop(columns="target"), labels)


def auc_gate(**settings) -> Gate:
    return Gate(
        checks=[MarginCheck("roc_auc", margin=0.3), MarginCheck("accuracy", margin=0.2)],
        feature_columns="*",
        label_column="target",
        **settings,
    )


# --- a Scorer (as_scorer(model)) handed to the gate with positive_class -------------------------


def test_a_scorer_of_a_swapped_model_does_not_pass_by_positive_class(cancer):
    """0 is the positive class (malignant): a model fitted on swapped labels ranks
    malignant tumours as class 1. Wrapped in a Scorer, it must not pass."""
    train, valid = cancer
    swapped = fitted(train, 1 - train["target"])
    assert not auc_gate(positive_class=0).evaluate(swapped, valid).passed  # the bare model fails
    try:
        verdict = auc_gate(positive_class=0).evaluate(as_scorer(swapped), valid)
    except GateUsageError:
        return  # refusing a Scorer made for the other class is fine
    assert not verdict.passed, verdict.summary()


def test_a_scorer_of_a_good_model_is_not_scored_backwards_by_positive_class(cancer):
    train, valid = cancer
    good = fitted(train)
    reference = auc_gate(positive_class=0).evaluate(good, valid)
    assert reference.passed
    try:
        verdict = auc_gate(positive_class=0).evaluate(as_scorer(good), valid)
    except GateUsageError as exc:
        assert "positive" in str(exc) and "\n" not in str(exc)
        return
    assert_same(verdict, reference)


# --- the labels' dtype ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["category", "Int64", "boolean", "object"])
def test_a_bool_model_gets_the_same_verdict_whatever_the_dtype_of_0_1_labels(cancer, dtype):
    """A model fitted on bool labels, gated on 0/1 labels read as category (a
    parquet or a CSV with dtype=category): 0/1 are its classes False/True, so
    the verdict is the one of plain int labels, not every row negative."""
    train, valid = cancer
    model = fitted(train, train["target"].astype(bool))
    reference = auc_gate().evaluate(model, valid)
    assert reference.passed
    verdict = auc_gate().evaluate(model, valid.assign(target=valid["target"].astype(dtype)))
    assert_same(verdict, reference)


def test_category_labels_of_a_1_2_coding_against_a_float_model(cancer):
    train, valid = cancer
    model = fitted(train, (train["target"] + 1).astype(float))  # classes_ 1.0, 2.0
    reference = auc_gate().evaluate(model, valid.assign(target=valid["target"] + 1))
    verdict = auc_gate().evaluate(model, valid.assign(target=(valid["target"] + 1).astype("category")))
    assert_same(verdict, reference)


# --- the header says which class is positive ----------------------------------------------------


# --- a smoke row's 0/1 with the other class positive -------------------------------------------


@pytest.mark.parametrize(("coding", "positive"), [("01", 0), ("bool", False), ("float", 0.0)])
def test_a_smoke_rows_1_is_the_class_1_whatever_the_coding_when_0_is_positive(cancer, coding, positive):
    """0 (malignant) is positive. A smoke row expecting 1 for the smallest tumour (benign)
    means the class 1 (True, 1.0) in every coding of the same labels: the same verdict."""
    from flows.table_flow import coded
    from modelgate.smoke import SmokeRow

    train, valid = cancer
    frame = load_breast_cancer(as_frame=True).frame.drop(columns="target")
    smallest = frame.loc[frame["worst radius"].idxmin()].to_dict()
    largest = frame.loc[frame["worst radius"].idxmax()].to_dict()
    rows = [
        SmokeRow("smallest-is-1", expected=1, values=smallest),
        SmokeRow("largest-is-0", expected=0, values=largest),
    ]
    model = fitted(coded(train, coding))
    verdict = Gate(smoke_cases=rows, feature_columns="*", label_column="target", positive_class=positive).evaluate(
        model, coded(valid, coding)
    )
    assert verdict.passed, verdict.summary()


# --- Gate(positive_class=...) from the data: a numpy scalar -----------------------------------


@pytest.mark.parametrize("value", ["int64", "uint8", "bool_"])
def test_positive_class_taken_from_the_labels_as_a_numpy_scalar(cancer, value):
    """``positive_class=y.max()`` is an np.int64 (np.True_ for bool labels): an
    integer (a boolean) the gate must take, with the verdict of the plain value."""
    import numpy as np

    train, valid = cancer
    labels = train["target"].astype(bool) if value == "bool_" else train["target"].astype(value)
    model = fitted(train, labels)
    data = valid.assign(target=valid["target"].astype(bool if value == "bool_" else value))
    reference = auc_gate(positive_class=True if value == "bool_" else 1).evaluate(model, data)
    verdict = auc_gate(positive_class=data["target"].max()).evaluate(model, data)
    assert isinstance(data["target"].max(), np.generic)
    assert_same(verdict, reference)


# --- a wrapper with predict_proba but no classes_ ----------------------------------------------


class ProbaWrapper:
    """A deployment wrapper: predict_proba passed through, classes_ not copied."""

    def __init__(self, inner):
        self.inner = inner

    def predict_proba(self, frame):
        return self.inner.predict_proba(frame)


@pytest.mark.parametrize(("coding", "positive"), [("01", 0), ("12", 1), ("negpos", "neg")])
def test_a_wrapper_without_classes_gets_the_verdict_of_the_model_it_wraps(cancer, coding, positive):
    """positive_class picks the lesser class; the wrapper's two columns are its model's
    (sorted classes). A model fitted on swapped labels must fail wrapped as it fails bare."""
    from flows.table_flow import coded

    train, valid = cancer
    data = coded(valid, coding)
    for swap in (False, True):
        model = fitted(coded(train, coding, swap))
        reference = auc_gate(task="binary", positive_class=positive).evaluate(model, data)
        assert reference.passed != swap
        try:
            verdict = auc_gate(task="binary", positive_class=positive).evaluate(ProbaWrapper(model), data)
        except GateUsageError:
            continue  # refusing to guess the column is fine
        assert_same(verdict, reference)


# --- validation labels holding one class only ---------------------------------------------------


def _one_class_outcome(model, data, **settings):
    try:
        verdict = Gate(
            checks=[MarginCheck("roc_auc", margin=0.3), FloorCheck("accuracy", at_least=0.8)],
            feature_columns="*",
            label_column="target",
            task="binary",
            **settings,
        ).evaluate(model, data)
    except GateUsageError as exc:
        return "error", str(exc)
    return "verdict", verdict.passed


@pytest.mark.parametrize(("coding", "positive"), [("12", 2), ("negpos", "pos")])
def test_one_class_labels_of_a_classless_model_are_refused_in_one_line_naming_the_class(cancer, coding, positive):
    """Benign tumours only (one class), a model that names no classes: outside 0/1 and
    False/True nothing names the other class, so the gate refuses in one line that
    says so, never 'is not binary 0/1' for a coding the README lists as binary."""
    from flows.table_flow import coded

    train, valid = cancer
    model = fitted(train)
    benign = coded(valid[valid["target"] == 1], coding)
    outcome = _one_class_outcome(lambda frame: model.predict_proba(frame)[:, 1], benign, positive_class=positive)
    assert outcome[0] == "error", outcome
    assert "holds one class only" in outcome[1] and repr(positive) in outcome[1], outcome
    assert "not binary 0/1" not in outcome[1], outcome
