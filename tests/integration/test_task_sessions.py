"""Tasks (multiclass, regression, tables) in pytest sessions and TableFlow runs."""

from __future__ import annotations

import pytest

from helpers import reset_tags, usage_error, user_tags
from modelgate.metaflow_io.runs import get_run

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
        run,
        "--gate-check",
        "metric=accuracy,baseline=majority,margin=0.3",
        "--gate-check",
        "metric=log_loss,at_most=0.5",
        # the same run as champion: its model is loaded and scored for the task, on the frame
        "--gate-baseline-run",
        champion,
        "--gate-check",
        "metric=log_loss,baseline=champion,margin=-0.01",
    )
    assert result.ret == 0, result.outlines
    assert (
        "task: multiclass (inferred), 3 classes; 72 validation rows; the model receives 13 feature columns (a DataFrame)"
        in result.outlines
    )
    assert "deployment_candidate" in user_tags(run)


def test_a_regression_run_fails_a_margin_it_cannot_make_and_is_not_tagged(gate_suite, table_run):
    run = reset_tags(table_run)
    result = _table_suite(gate_suite, "diabetes_model", "diabetes_df").run(
        run, "--gate-task", "regression", "--gate-check", "metric=mae,baseline=mean,margin=40"
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
        (
            "wine_model",
            "wine_df",
            ("--gate-task", "binary"),
            "the gate's task is 'binary', but Pipeline.classes_ has 3 classes",
        ),
        ("wine_model", "wine_unknown_df", (), "label column 'target' holds 1 class the model does not know: 7 (3 rows"),
        ("diabetes_model", "diabetes_nan_target_df", (), "regression target 'target' has 1 missing or infinite values"),
        (
            "diabetes_model",
            "diabetes_nan_feature_df",
            (),
            "(feature columns with missing values: bmi; the model cannot take NaN?)",
        ),
        ("diabetes_model", "diabetes_df", ("--gate-feature-columns", "bmi,s7"), "validation data has no column 's7'"),
        (
            "diabetes_model",
            "diabetes_df",
            ("--gate-check", "metric=roc_auc,baseline=mean"),
            "metric 'roc_auc' does not apply to task 'regression'",
        ),
        ("diabetes_model", "diabetes_df", ("--gate-check", "metric=mae,at_least=40"), "at_least"),
        ("cancer_model", "cancer_df", ("--gate-task", "multiclass"), "Pipeline.classes_ has 2 classes: it is binary"),
        # a column of arrays under "*": rows are hashed by their bytes, and the model's own refusal is the line
        (
            "diabetes_model",
            "diabetes_embedding_df",
            (),
            "the candidate's model failed on the validation rows: ValueError: The feature names should match those "
            "that were passed during fit. Feature names unseen at fit time: - embedding",
        ),
    ],
    ids=[
        "multiclass-as-binary",
        "unknown-class",
        "nan-target",
        "nan-feature",
        "missing-column",
        "metric-task",
        "floor-side",
        "binary-as-multiclass",
        "embeddings",
    ],
)
def test_bad_table_input_is_one_line_exit_4_and_no_tag(gate_suite, table_run, model, data, args, message):
    run = reset_tags(table_run)
    result = _table_suite(gate_suite, model, data).run(run, *args)
    usage_error(result, message)
    assert "deployment_candidate" not in user_tags(run)


def test_a_blank_smoke_cell_is_one_line_at_session_start(gate_suite, table_run):
    run = reset_tags(table_run)
    _table_suite(gate_suite, "diabetes_model", "diabetes_df")
    gate_suite.file(
        "cases.csv",
        """
        name,age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,min
        full,0.04,0.05,0.06,0.03,-0.01,0.02,-0.04,0.03,0.05,0.01,0
        holey,0.04,0.05,,0.03,-0.01,0.02,-0.04,0.03,0.05,0.01,0
    """,
    )
    result = gate_suite.run(run, "--gate-smoke-cases", "cases.csv")
    usage_error(result, "cases.csv, line 3): the feature column 'bmi' is empty")
    assert "smoke case 'holey' (" in result.errlines[0] and len(result.outlines + result.errlines) < 5
    assert "deployment_candidate" not in user_tags(run)


def test_a_monotonic_property_without_class_on_a_multiclass_model_is_one_line_at_session_start(gate_suite, table_run):
    run = reset_tags(table_run)
    _table_suite(gate_suite, "wine_model", "wine_df")
    gate_suite.file(
        "pyproject.toml",
        """
        [[tool.modelgate.properties]]
        kind = "monotonic"
        column = "alcohol"
    """,
    )
    result = gate_suite.run(run)
    usage_error(
        result,
        "property monotonic-alcohol-increasing: a multiclass model needs class = ...: the class "
        "whose probability must move with 'alcohol' (classes: 0, 1, 2)",
    )
    assert "deployment_candidate" not in user_tags(run)


def test_a_champion_that_cannot_score_the_candidates_columns_is_an_error_not_a_failure(gate_suite, table_run):
    from helpers import FLOWS, run_flow

    champion = table_run  # fitted on the 10 diabetes columns
    run = run_flow(FLOWS / "table_flow.py", extra_column="x3")  # adds x3 and fits on it
    get_run(run).add_tag("deployment_candidate")  # carries the tag from an earlier gate: an error must keep it
    result = _table_suite(gate_suite, "diabetes_model", "diabetes_df").run(
        run,
        "--gate-baseline-run",
        champion,
        "--gate-check",
        "metric=mae,baseline=champion,margin=-5",
        "--gate-check",
        "metric=mae,baseline=mean,margin=-100",
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
