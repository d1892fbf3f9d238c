"""Bad tabular input in pytest sessions: one line, no tag, and a report that claims no verdict."""

from __future__ import annotations

import json

from helpers import reset_tags, usage_error, user_tags

TAG = "deployment_candidate"

ERRORING = """
def test_auc_beats_majority(gate):
    gate.beats("roc_auc", margin=0.0)

def test_crashes(evaluation):
    raise RuntimeError("the test itself broke")
"""


def test_a_nan_smoke_cell_stops_the_session_with_one_line_and_no_tag(gate_suite, table_run):
    """The same through pytest: exit 4, one line, no traceback, no tag."""
    import pandas as pd
    from metaflow import Run

    run = reset_tags(table_run)
    frame = Run(run).data.cancer_01_df
    rows = frame.drop(columns="target").iloc[:1].astype(object).assign(name="nan-cell", expected=0)
    rows.iloc[0, 0] = "nan"
    gate_suite.write(None, ini=None)
    gate_suite.file(
        "pyproject.toml",
        """
        [tool.modelgate]
        feature_columns = "*"
        label_column = "target"
        model_artifact = "cancer_01_model"
        data_artifact = "cancer_01_df"
        smoke_cases = "cases.csv"

        [[tool.modelgate.checks]]
        metric = "roc_auc"
        baseline = "majority"
        margin = 0.1
        """,
    )
    pd.DataFrame(rows).to_csv(gate_suite.path / "cases.csv", index=False)
    result = gate_suite.run(run, ".")
    usage_error(result, "smoke case 'nan-cell'")
    assert TAG not in user_tags(run)


def test_the_json_report_claims_no_verdict_when_the_terminal_says_error(gate_suite, tiny_run, tmp_path):
    """A quality test that errored (nothing failed): the terminal and Markdown say 'ERROR, no verdict';
    the JSON report must not say "fail" with "passed": false, a verdict on the model."""
    run = reset_tags(tiny_run)
    report, markdown = tmp_path / "gate.json", tmp_path / "gate.md"
    result = gate_suite.write(ERRORING).run(run, "--gate-report", str(report), "--gate-markdown", str(markdown))
    assert result.ret == 1
    assert any(line.startswith("verdict: ERROR, no verdict") for line in result.outlines), result.outlines
    assert "ERROR, no verdict" in markdown.read_text()
    data = json.loads(report.read_text())
    assert data["status"] == "error", data["status"]
    assert data["passed"] is None, data["passed"]
    assert data["tag"]["action"] == "none"
    assert TAG not in user_tags(run)
