"""The positive class in pytest sessions on TableFlow runs, in every label coding."""

from __future__ import annotations

import json

import pytest
from sklearn.datasets import load_breast_cancer

from flows.table_flow import CODINGS
from helpers import FLOWS, reset_tags, run_flow, usage_error, user_tags

TAG = "deployment_candidate"

WATCHED = "worst radius"  # a larger tumour: more likely malignant, the negative class (0) of the data set


def _toml(value) -> str:
    return json.dumps(value)  # a TOML string, integer, float or boolean


def write_gate(gate_suite, coding: str, model: str = "model") -> None:
    """A gate declared in pyproject.toml for ``cancer_<coding>_<model>`` and smoke rows in ``coding``."""
    negative, positive = CODINGS[coding]
    frame = load_breast_cancer(as_frame=True).frame.drop(columns="target")
    rows = frame.loc[[frame[WATCHED].idxmin(), frame[WATCHED].idxmax()]].assign(expected=[positive, negative])
    gate_suite.file("smoke.csv", rows.to_csv(index=False))
    gate_suite.write(None, ini=None)
    gate_suite.file(
        "pyproject.toml",
        f"""
        [tool.modelgate]
        model_artifact = "cancer_{coding}_{model}"
        data_artifact = "cancer_{coding}_df"
        feature_columns = "*"
        label_column = "target"
        smoke_cases = "smoke.csv"

        [[tool.modelgate.checks]]
        metric = "roc_auc"
        baseline = "majority"
        margin = 0.3

        [[tool.modelgate.checks]]
        metric = "accuracy"
        baseline = "majority"
        margin = 0.2

        [[tool.modelgate.properties]]
        kind = "monotonic"
        column = "{WATCHED}"
        class = {_toml(negative)}
        n_examples = 100
    """,
    )


HEADERS = {
    "12": "positive class 2 (of 1, 2)",
    "pm1": "positive class 1 (of -1, 1)",
    "negpos": "positive class 'pos' (of 'neg', 'pos')",
}


@pytest.fixture(scope="module")
def backwards_run() -> str:
    """A TableFlow run whose binary models were fitted on swapped labels (``cancer_12_model`` ranks backwards)."""
    return run_flow(FLOWS / "table_flow.py", swap_labels=True)


@pytest.mark.parametrize("coding", list(CODINGS))
def test_a_session_tags_the_good_model_and_not_the_swapped_one_in_every_coding(gate_suite, table_run, coding):
    run = reset_tags(table_run)
    write_gate(gate_suite, coding, "swapped_model")
    result = gate_suite.run(run)
    assert result.ret == 1, result.outlines
    assert TAG not in user_tags(run)
    write_gate(gate_suite, coding)
    result = gate_suite.run(run)
    assert result.ret == 0, result.outlines
    assert TAG in user_tags(run)
    task = next(line for line in result.outlines if line.startswith("task: "))
    positive = f", {HEADERS[coding]}" if coding in HEADERS else ""
    assert (
        task
        == f"task: binary (inferred){positive}; 228 validation rows; the model receives 30 feature columns (a DataFrame)"
    )


@pytest.mark.parametrize(
    ("coding", "option", "header"),
    [
        ("12", "1", "positive class 1 (of 1, 2)"),
        ("bool", "True", ""),
        ("negpos", "neg", "positive class 'neg' (of 'neg', 'pos')"),
    ],
)
def test_positive_class_on_the_command_line(gate_suite, table_run, coding, option, header):
    run = reset_tags(table_run)
    write_gate(gate_suite, coding)
    result = gate_suite.run(run, "--gate-positive-class", option)
    assert result.ret == 0, result.outlines  # the other class positive: the same ranking, read the other way
    assert TAG in user_tags(run)
    task = next(line for line in result.outlines if line.startswith("task: "))
    assert task.startswith(f"task: binary (inferred){', ' + header if header else ''};"), task


def test_a_positive_class_that_is_not_a_class_is_exit_4_and_no_tag_change(gate_suite, table_run):
    run = reset_tags(table_run)
    write_gate(gate_suite, "12")
    usage_error(
        gate_suite.run(run, "--gate-positive-class", "3"), "positive_class '3' is not one of the two classes (1, 2)"
    )
    assert TAG not in user_tags(run)


def test_a_champion_comparison_in_a_1_2_coding(gate_suite, table_run, backwards_run):
    gate_suite.write(None, ini=None)
    gate_suite.file(
        "pyproject.toml",
        """
        [tool.modelgate]
        model_artifact = "cancer_12_model"
        data_artifact = "cancer_12_df"
        feature_columns = "*"
        label_column = "target"
    """,
    )
    # a backwards candidate against a good champion: it loses, and is not tagged
    candidate = reset_tags(backwards_run)
    result = gate_suite.run(
        candidate, "--gate-baseline-run", table_run, "--gate-check", "metric=roc_auc,baseline=champion,margin=-0.02"
    )
    assert result.ret == 1, result.outlines
    assert TAG not in user_tags(candidate)
    # a good candidate against a backwards champion: it wins by far more than 0.9 AUC, and is tagged
    candidate = reset_tags(table_run)
    result = gate_suite.run(
        candidate, "--gate-baseline-run", backwards_run, "--gate-check", "metric=roc_auc,baseline=champion,margin=0.9"
    )
    assert result.ret == 0, result.outlines
    assert TAG in user_tags(candidate)
