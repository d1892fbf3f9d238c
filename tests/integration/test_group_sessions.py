"""``group_column`` in a pytest session on TinyFlow's run: every bound becomes cluster-aware,
too few groups cannot decide (so no tag), and a column the data lack is a one-line usage
error (exit 4, no tag), from the config file and from the command line alike."""

from __future__ import annotations

import json

from helpers import reset_tags, usage_error, user_tags
from modelgate.names import DEFAULT_TAG

CONFIG = """
[tool.modelgate]
model_artifact = "model"
{extra}

[[tool.modelgate.checks]]
metric = "roc_auc"
margin = 0.1

[[tool.modelgate.checks]]
metric = "accuracy"
at_least = 0.5
"""


def _session(gate_suite, run, *args, extra=""):
    gate_suite.write(None)
    gate_suite.file("pyproject.toml", CONFIG.format(extra=extra))
    return gate_suite.run(run, "-rA", "--gate-report", "v.json", *args)


def _records(gate_suite):
    return {r["name"]: r for r in json.loads((gate_suite.path / "v.json").read_text())["results"]}


def test_grouped_rows_get_cluster_robust_bounds_and_a_passing_gate_is_tagged(gate_suite, run):
    # TinyFlow's reviews are five or six words from a small vocabulary: some repeat, and the
    # copies of one text are one group.
    result = _session(gate_suite, run, extra='group_column = "review"')
    assert result.ret == 0, result.outlines
    records = _records(gate_suite)
    auc = records["roc_auc-vs-majority-margin+0.1"]
    assert "cluster-robust" in auc["method"] and " groups" in auc["method"], auc
    assert auc["n"] == 200 and auc["passed"]
    assert "cluster-robust" in records["accuracy-at-least-0.5"]["method"]
    groups = auc["method"].split(", ")[-1]  # "NNN groups"
    result.stdout.fnmatch_lines([f"task: binary (inferred)*; 200 validation rows in {groups} of 'review'; *"])
    assert DEFAULT_TAG in user_tags(run)


TABLE_INI = """
[pytest]
modelgate_model_artifact = diabetes_model
modelgate_data_artifact = {data}
modelgate_label_column = target
modelgate_feature_columns = *
"""


def _table_session(gate_suite, run, data, *args):
    gate_suite.write(None, ini=TABLE_INI.format(data=data))
    return gate_suite.run(
        run, "-rA", "--gate-report", "v.json", "--gate-check", "metric=mae,baseline=mean,margin=5", *args
    )


def test_too_few_groups_cannot_decide_and_the_run_is_not_tagged(gate_suite, table_run):
    run = reset_tags(table_run)
    assert _table_session(gate_suite, run, "diabetes_df").ret == 0  # rows independent: it passes
    assert DEFAULT_TAG in user_tags(run)
    run = reset_tags(table_run)
    result = _table_session(gate_suite, run, "diabetes_df", "--gate-group-column", "sex")  # two groups
    assert result.ret == 1
    result.stdout.fnmatch_lines_random(["FAILED modelgate::mae-vs-mean-margin+5*"])
    record = _records(gate_suite)["mae-vs-mean-margin+5"]
    assert record["outcome"] == "inconclusive" and not record["passed"]
    assert "only 2 groups of rows: a bound for grouped rows needs at least 10 groups" in record["reason"]
    assert DEFAULT_TAG not in user_tags(run)


def test_a_row_without_its_group_is_a_usage_error(gate_suite, table_run):
    run = reset_tags(table_run)
    usage_error(
        _table_session(gate_suite, run, "diabetes_nan_feature_df", "--gate-group-column", "bmi"),
        "group_column 'bmi' is missing on 1 of 177 rows: every row needs its group",
    )
    assert DEFAULT_TAG not in user_tags(run)


def test_a_group_column_the_data_lack_is_a_usage_error(gate_suite, run):
    usage_error(
        _session(gate_suite, run, extra='group_column = "user_id"'),
        "validation data has no column 'user_id' (columns: review, labels); set group_column",
    )
    assert DEFAULT_TAG not in user_tags(run)
    # The labels are no groups: said at once, before any row is scored.
    usage_error(
        _session(gate_suite, run, "--gate-group-column", "labels", extra='label_column = "labels"'),
        "group_column is the label column 'labels'",
    )
