"""The third outcome end to end: a check whose validation data cannot decide is
*inconclusive*. By default it fails its item, the session exits 1 and the run gets
no tag; ``on_inconclusive = "pass"`` (the TOML key, ``--gate-on-inconclusive``,
``Gate(on_inconclusive=...)``) lets it pass with a warning, and the tag is applied.
The reports (terminal, JSON, JUnit XML, Markdown) say "inconclusive" and why. A
defect (a NaN score) is never inconclusive: it fails under both settings.

The data: TinyFlow's ``negatives_df``, its validation rows of one class, on which
no ROC AUC can be computed; the accuracy floor beside it is decided on them.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from helpers import usage_error, user_tags
from modelgate.names import DEFAULT_TAG

CONFIG = """
[tool.modelgate]
model_artifact = "model"
data_artifact = "negatives_df"
{extra}

[[tool.modelgate.checks]]
metric = "roc_auc"
at_least = 0.6

[[tool.modelgate.checks]]
metric = "accuracy"
at_least = 0.5
"""
AUC = "roc_auc-at-least-0.6"
WHY = "y_true has a single class: AUC is undefined"
REPORTS = ("--gate-report", "out/v.json", "--gate-markdown", "out/v.md", "--junitxml", "out/junit.xml")


def _session(gate_suite, run, *args, extra=""):
    gate_suite.write(None)
    gate_suite.file("pyproject.toml", CONFIG.format(extra=extra))
    result = gate_suite.run(run, *REPORTS, *args)
    out = gate_suite.path / "out"
    return result, json.loads((out / "v.json").read_text()), (out / "v.md").read_text(), out / "junit.xml"


def _testcase(junit, name):
    return next(case for case in ET.parse(junit).getroot().iter("testcase") if case.get("name") == name)


def _auc_result(record):
    return next(r for r in record["results"] if r["name"] == AUC)


def test_an_inconclusive_check_fails_by_default_and_says_why(gate_suite, run):
    result, record, markdown, junit = _session(gate_suite, run)

    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert DEFAULT_TAG not in user_tags(run)
    assert f"tag '{DEFAULT_TAG}' not applied to {run}" in gate_suite.tag_line(result)
    # The item's failure and the terminal table: INCONCLUSIVE with the reason, never FAIL.
    result.stdout.fnmatch_lines_random(
        [
            f"FAILED modelgate::{AUC}*",
            f"INCONCLUSIVE: {WHY}; roc_auc: candidate undefined on * rows*the check fails (on_inconclusive = *",
            "INCONCLUSIVE  roc_auc floor*",
            "PASS          accuracy floor*",
            f"verdict: FAIL (1 of 2 checks inconclusive) for {run}",
        ]
    )
    # JSON: the outcome and the reason of each check; the verdict fails.
    assert record["status"] == "fail" and record["passed"] is False
    assert record["inconclusive"] == [AUC]
    auc = _auc_result(record)
    assert (auc["outcome"], auc["passed"], auc["inconclusive"], auc["reason"]) == ("inconclusive", False, True, WHY)
    assert auc["message"].startswith(f"INCONCLUSIVE: {WHY}")
    assert [r["outcome"] for r in record["results"]] == ["inconclusive", "pass"]
    # JUnit XML: the failing item's message starts with "INCONCLUSIVE", its properties say so.
    case = _testcase(junit, AUC)
    assert case.find("failure").get("message").startswith(f"INCONCLUSIVE: {WHY}")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["modelgate_outcome"] == "inconclusive" and properties["modelgate_reason"] == WHY
    # Markdown: the verdict, the row and the failure's reason.
    assert "## modelgate: ❌ FAIL (1 of 2 checks inconclusive)" in markdown
    assert "| ❌ INCONCLUSIVE | roc_auc floor |" in markdown
    assert f"- **roc_auc-at-least-0.6**: INCONCLUSIVE: {WHY}" in markdown


@pytest.mark.parametrize(
    ("args", "extra"),
    [((), 'on_inconclusive = "pass"'), (("--gate-on-inconclusive", "pass"), "")],
    ids=["toml-key", "command-line"],
)
def test_on_inconclusive_pass_lets_it_pass_with_a_warning_and_tags(gate_suite, run, args, extra):
    result, record, markdown, junit = _session(gate_suite, run, *args, extra=extra)

    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    assert DEFAULT_TAG in user_tags(run)
    warning = '1 check inconclusive, passed because on_inconclusive = "pass"'
    assert f"modelgate: WARNING: {warning} ({AUC})" in result.outlines
    assert f"tag '{DEFAULT_TAG}' applied to {run}" in gate_suite.tag_line(result, warnings=True)
    result.stdout.fnmatch_lines_random(
        ["INCONCLUSIVE  roc_auc floor*", f"verdict: PASS ({warning}) for {run}", f"{AUC}: INCONCLUSIVE: {WHY};*"]
    )
    assert record["status"] == "pass" and record["passed"] is True and record["inconclusive"] == [AUC]
    auc = _auc_result(record)
    assert (auc["outcome"], auc["passed"], auc["reason"]) == ("inconclusive", True, WHY)
    assert auc["message"].endswith('the check passed because on_inconclusive = "pass"')
    properties = {p.get("name"): p.get("value") for p in _testcase(junit, AUC).iter("property")}
    assert properties["modelgate_outcome"] == "inconclusive"
    assert f"## modelgate: ✅ PASS ({warning})" in markdown
    assert "| ⚠️ INCONCLUSIVE | roc_auc floor |" in markdown
    assert '### Inconclusive, passed because on_inconclusive = "pass"' in markdown


def test_the_command_line_overrides_the_toml_key(gate_suite, run):
    result, record, _, _ = _session(gate_suite, run, "--gate-on-inconclusive", "fail", extra='on_inconclusive = "pass"')
    assert result.ret == pytest.ExitCode.TESTS_FAILED and record["passed"] is False
    assert DEFAULT_TAG not in user_tags(run)


@pytest.mark.parametrize(
    ("args", "extra", "message"),
    [
        (
            (),
            'on_inconclusive = "warn"',
            """[tool.modelgate].on_inconclusive: expected "fail" or "pass", got 'warn'""",
        ),
        ((), "on_inconclusive = true", """[tool.modelgate].on_inconclusive: expected "fail" or "pass", got True"""),
        (
            ("--gate-on-inconclusive", "PASS"),
            "",
            """--gate-on-inconclusive: expected "fail" or "pass", got 'PASS'""",
        ),
    ],
)
def test_a_bad_on_inconclusive_is_a_usage_error_and_no_tag(gate_suite, run, args, extra, message):
    gate_suite.write(None)
    gate_suite.file("pyproject.toml", CONFIG.format(extra=extra))
    usage_error(gate_suite.run(run, *args), message)
    assert DEFAULT_TAG not in user_tags(run)


def test_in_flow_the_gate_keyword_gives_the_same_verdicts(run):
    from modelgate import FloorCheck, Gate
    from modelgate.metaflow_io.runs import load_artifact

    model, data = load_artifact(run, "model"), load_artifact(run, "negatives_df")
    checks = [FloorCheck("roc_auc", at_least=0.6), FloorCheck("accuracy", at_least=0.5)]
    by_default = Gate(checks, task="binary").evaluate(model, data)
    assert by_default.status == "fail" and [r.outcome for r in by_default.results] == ["inconclusive", "pass"]
    assert [r.name for r in by_default.inconclusive] == [AUC]
    let_pass = Gate(checks, task="binary", on_inconclusive="pass").evaluate(model, data)
    assert let_pass.passed and let_pass.status == "pass"
    assert 'passed because on_inconclusive = "pass"' in str(let_pass)


def test_a_nan_score_fails_even_when_inconclusive_checks_pass(run):
    """A defect is not thin data: on_inconclusive = "pass" never lets a NaN score through."""
    import modelgate
    from modelgate import FloorCheck, MarginCheck
    from modelgate.metaflow_io.runs import load_artifact

    data = load_artifact(run, "val_df")
    model = load_artifact(run, "model")

    def scorer(texts):
        scores = model.predict_proba(list(texts))[:, 1]
        scores[3] = np.nan  # one row the model could not score
        return scores

    evaluation = modelgate.evaluate(scorer, data["review"].tolist(), data["labels"], on_inconclusive="pass")
    for check in (FloorCheck("roc_auc", at_least=0.6), MarginCheck("roc_auc", margin=0.0)):
        result = check.evaluate(evaluation)
        assert (result.passed, result.inconclusive, result.outcome) == (False, False, "fail"), result.message
        assert "FAIL" in result.message and "nothing undefined passes" in result.message
