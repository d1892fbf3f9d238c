"""Rendering a Verdict (terminal table, JSON, Markdown) from hand-built CheckResults.

Plain calls of modelgate.report.render: no session, no Metaflow. test_report.py checks
the same renderers end to end, and against hostile text.
"""

import json
import math
import re

import numpy as np
import pytest

from modelgate import CheckResult, Verdict
from modelgate.decision import TagDecision
from modelgate.report.render import verdict_json, verdict_markdown, verdict_table

AUC = CheckResult(
    name="roc_auc-vs-majority-margin+0.1",
    group="baseline",
    passed=True,
    message="roc_auc: fine",
    metric="roc_auc",
    baseline="majority",
    candidate_value=0.91,
    baseline_value=0.5,
    estimate=0.41,
    lower=0.38,
    p_value=1e-9,
    margin=0.1,
    confidence=0.95,
    method="DeLong",
    n=200,
)
ACCURACY = CheckResult(
    name="accuracy-vs-champion-margin-5%",
    group="baseline",
    passed=False,
    message="accuracy: lost too much",
    metric="accuracy",
    baseline="champion",
    candidate_value=0.8,
    baseline_value=0.86,
    estimate=-0.0698,
    lower=-0.1,
    margin=-0.05,
    relative=True,
    method="paired bootstrap",
    n=200,
    baseline_run="NLPFlow/7",
)
INVARIANCE = CheckResult(
    name="invariance",
    group="property",
    passed=True,
    message="invariance: ok",
    candidate_value=0.02,
    margin=0.05,
    n=200,
    method="failure rate",
)
SMOKE = CheckResult(
    name="love-dress", group="smoke", passed=True, message="smoke ok", candidate_value=0.93, margin=0.5, n=1
)
PLAIN = CheckResult(name="test_gate.py::test_plain", group="test", passed=True, message="", method="passed")
OUTAGE = CheckResult(
    name="test_gate.py::test_outage",
    group="test",
    passed=False,
    message="ConnectionError: metadata service unreachable",
    method="error",
)
RESULTS = [AUC, ACCURACY, INVARIANCE, SMOKE, PLAIN, OUTAGE]
# A floor whose data could not decide: failed by default, passed with on_inconclusive = "pass".
WHY = "DeLong variance needs at least 2 positives and 2 negatives"
THIN = CheckResult(
    name="roc_auc-at-least-0.8",
    group="floor",
    passed=False,
    message=f"INCONCLUSIVE: {WHY}; roc_auc: candidate 0.9000 on 30 rows: the check fails",
    metric="roc_auc",
    candidate_value=0.9,
    lower=math.nan,
    margin=0.8,
    confidence=0.95,
    method="DeLong (logit)",
    n=30,
    inconclusive=True,
    reason=WHY,
)
THIN_PASSED = CheckResult(**{**THIN.__dict__, "passed": True, "message": f"INCONCLUSIVE: {WHY}; passed"})
LET_PASS = '1 check inconclusive, passed because on_inconclusive = "pass"'


def verdict(results=RESULTS, **kwargs) -> Verdict:
    kwargs.setdefault("run", "NLPFlow/12")
    kwargs.setdefault("champion", "NLPFlow/7")
    return Verdict(results=list(results), **kwargs)


def cells(line: str) -> list[str]:
    """A table line's cells: columns are two or more spaces apart."""
    return re.split(r"\s{2,}", line.strip())


# --- the terminal table ------------------------------------------------------------


def test_the_table_has_a_row_per_result_in_order():
    lines = verdict_table(verdict()).splitlines()
    assert cells(lines[0]) == ["check", "better", "model", "baseline", "diff", "bound", "margin", "mde", "method"]
    assert [cells(l) for l in lines[1:7]] == [
        ["PASS", "roc_auc vs majority", "higher", "0.9100", "0.5000", "+0.4100", "+0.3800", "+0.1000", "-", "DeLong"],
        [
            "FAIL",
            "accuracy vs champion",
            "higher",
            "0.8000",
            "0.8600",
            "-0.0698",
            "-0.1000",
            "-5.0% rel",
            "-",
            "paired bootstrap",
        ],
        ["PASS", "property: invariance", "-", "2.0% failed", "-", "-", "-", "max 5%", "-", "failure rate (n=200)"],
        ["PASS", "smoke: love-dress", "-", "0.9300", "-", "-", "-", "thr 0.5", "-", "-"],
        ["PASS", "test: test_gate.py::test_plain", "-", "-", "-", "-", "-", "-", "-", "passed"],
        ["ERROR", "test: test_gate.py::test_outage", "-", "-", "-", "-", "-", "-", "-", "error"],
    ]
    # the errored test is not counted as a failure
    assert lines[7:] == ["champion: NLPFlow/7", "verdict: FAIL (1 of 6 checks failed, 1 errored) for NLPFlow/12"]


@pytest.mark.parametrize(
    "state, passed, word",
    [
        ("passed", True, "PASS"),
        ("failed", False, "FAIL"),
        ("error", False, "ERROR"),
        ("skipped", False, "SKIP"),
        ("xfailed", False, "XFAIL"),
        ("xpassed", False, "XPASS"),
        ("unfinished", False, "NOT RUN"),
    ],
)
def test_a_plain_tests_row_says_how_it_ended(state, passed, word):
    row = CheckResult(name="test_gate.py::test_x", group="test", passed=passed, message="", method=state)
    line = verdict_table(verdict([row])).splitlines()[1]
    assert cells(line)[:2] == [word, "test: test_gate.py::test_x"]


def test_undefined_numbers_show_as_a_dash():
    undefined = CheckResult(
        name="f1-vs-majority-margin+0",
        group="baseline",
        passed=False,
        message="f1: undefined",
        metric="f1",
        baseline="majority",
        candidate_value=math.nan,
        baseline_value=0.0,
        estimate=None,
        lower=math.inf,
        margin=0.0,
        method="paired bootstrap",
        n=200,
    )
    line = verdict_table(verdict([undefined])).splitlines()[1]
    assert cells(line) == [
        "FAIL",
        "f1 vs majority",
        "higher",
        "-",
        "0.0000",
        "-",
        "-",
        "+0.0000",
        "-",
        "paired bootstrap",
    ]


def test_footnotes_name_the_baselines_runs():
    named = CheckResult(
        name="roc_auc-vs-NLPFlow/3",
        group="baseline",
        passed=True,
        message="ok",
        metric="roc_auc",
        baseline="NLPFlow/3",
        candidate_value=0.9,
        baseline_value=0.88,
        estimate=0.02,
        lower=0.01,
        margin=0.0,
        method="DeLong",
        n=200,
        baseline_run="NLPFlow/3",
    )
    absent = CheckResult(
        name="roc_auc-vs-champion-margin-0.02",
        group="baseline",
        passed=True,
        message="no champion yet: no other successful run of NLPFlow carries the tag; passes by default",
        metric="roc_auc",
        baseline="champion",
        margin=-0.02,
        method="no baseline",
    )
    lines = verdict_table(
        verdict([ACCURACY, named, absent], champion_label="baseline run (--gate-baseline-run)")
    ).splitlines()
    assert lines[4:] == [
        "baseline run (--gate-baseline-run): NLPFlow/7",  # what was compared as "champion", named as given
        absent.message,  # why a check had nothing to compare with
        "verdict: FAIL (1 of 3 checks failed) for NLPFlow/12",
    ]  # and no "NLPFlow/3: NLPFlow/3"


@pytest.mark.parametrize(
    "results, kwargs, last",
    [
        ([AUC, SMOKE], {}, "verdict: PASS for NLPFlow/12"),
        ([AUC, SMOKE], {"run": None}, "verdict: PASS"),
        ([AUC, ACCURACY], {}, "verdict: FAIL (1 of 2 checks failed) for NLPFlow/12"),
        (
            [AUC],
            {"decision": TagDecision("none", "1 quality test deselected")},
            "verdict: FAIL (1 quality test deselected) for NLPFlow/12",
        ),
        ([AUC], {"decision": TagDecision("apply", "all 1 quality tests passed")}, "verdict: PASS for NLPFlow/12"),
        ([], {}, "verdict: FAIL (no checks ran) for NLPFlow/12"),
        (
            [AUC, OUTAGE],
            {"decision": TagDecision("none", "1 quality test errored")},
            "verdict: ERROR, no verdict (1 of 2 checks errored) for NLPFlow/12",
        ),
        (
            [AUC, OUTAGE, CheckResult(name="t::s", group="test", passed=False, message="", method="skipped")],
            {},
            "verdict: ERROR, no verdict (2 of 3 checks without one: 1 errored, 1 skipped) for NLPFlow/12",
        ),
        ([AUC, THIN], {}, "verdict: FAIL (1 of 2 checks inconclusive) for NLPFlow/12"),
        ([ACCURACY, THIN, AUC], {}, "verdict: FAIL (1 of 3 checks failed, 1 inconclusive) for NLPFlow/12"),
        ([THIN, OUTAGE], {}, "verdict: FAIL (1 of 2 checks inconclusive, 1 errored) for NLPFlow/12"),
        ([AUC, THIN_PASSED], {}, f"verdict: PASS ({LET_PASS}) for NLPFlow/12"),
        ([ACCURACY, THIN_PASSED], {}, f"verdict: FAIL (1 of 2 checks failed; {LET_PASS}) for NLPFlow/12"),
    ],
    ids=[
        "pass",
        "pass-without-run",
        "fail",
        "session-said-no",
        "session-said-yes",
        "nothing-ran",
        "errored",
        "errored-and-skipped",
        "inconclusive",
        "failed-and-inconclusive",
        "inconclusive-and-errored",
        "inconclusive-passed",
        "failed-and-inconclusive-passed",
    ],
)
def test_the_verdict_line(results, kwargs, last):
    v = verdict(results, **kwargs)
    assert verdict_table(v).splitlines()[-1] == last
    assert v.passed is last.startswith("verdict: PASS")


# --- JSON ----------------------------------------------------------------------------


def test_json_is_the_verdict_as_data():
    v = verdict(decision=TagDecision("revoke", "2 quality tests failed", dry_run=True), tag_line="would revoke")
    text = verdict_json(v)
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True)
    assert (data["passed"], data["run"], data["champion"]) == (False, "NLPFlow/12", "NLPFlow/7")
    assert data["tag"] == {
        "action": "revoke",
        "reason": "2 quality tests failed",
        "dry_run": True,
        "line": "would revoke",
    }
    assert [r["name"] for r in data["results"]] == [r.name for r in RESULTS]
    assert data["results"][1] == {
        "name": "accuracy-vs-champion-margin-5%",
        "group": "baseline",
        "passed": False,
        "message": "accuracy: lost too much",
        "metric": "accuracy",
        "baseline": "champion",
        "candidate_value": 0.8,
        "baseline_value": 0.86,
        "estimate": -0.0698,
        "lower": -0.1,
        "p_value": None,
        "margin": -0.05,
        "relative": True,
        "confidence": None,
        "method": "paired bootstrap",
        "n": 200,
        "baseline_run": "NLPFlow/7",
        "higher_is_better": True,
        "inconclusive": False,
        "reason": None,
        "slice": None,
        "mde": None,
        "findings": [],  # a weak-slice search's confirmed slices
        "outcome": "fail",
    }
    assert data["inconclusive"] == []
    error_row = data["results"][5]
    assert (error_row["group"], error_row["method"], error_row["passed"]) == ("test", "error", False)
    assert [r["outcome"] for r in data["results"]] == ["pass", "fail", "pass", "pass", "pass", "error"]
    assert [CheckResult.from_dict(r) for r in data["results"]] == RESULTS


def test_json_without_a_session_has_no_tag_and_no_nan():
    odd = CheckResult(
        name="brier-vs-champion",
        group="baseline",
        passed=False,
        message="undefined",
        metric="brier",
        baseline="champion",
        candidate_value=np.float64(0.2),
        baseline_value=math.nan,
        estimate=-math.inf,
        lower=None,
        margin=np.float32(0.0),
        n=np.int64(200),
        method="paired bootstrap",
    )
    text = verdict_json(verdict([odd]))
    assert "NaN" not in text and "Infinity" not in text  # JSON has neither
    data = json.loads(text)
    assert data["tag"] is None and data["passed"] is False
    row = data["results"][0]
    assert (row["candidate_value"], row["baseline_value"], row["estimate"], row["lower"]) == (0.2, None, None, None)
    assert row["n"] == 200 and type(row["n"]) is int and row["margin"] == 0.0


# --- Markdown --------------------------------------------------------------------------


def test_markdown_summary():
    v = verdict(tag_line="tag 'deployment_candidate' not applied to NLPFlow/12: 1 quality test errored")
    lines = verdict_markdown(v).splitlines()
    assert lines[:7] == [
        "## modelgate: ❌ FAIL (1 of 6 checks failed, 1 errored)",
        "",
        "- run: `NLPFlow/12`",
        "- champion: `NLPFlow/7`",
        "- tag: tag 'deployment_candidate' not applied to NLPFlow/12: 1 quality test errored",
        "",
        "| | check | better | model | baseline | diff | bound | margin | mde | method |",
    ]
    rows = [l for l in lines if l.startswith("| ") and not l.startswith("| |")]
    assert len(rows) == len(RESULTS) and all(r.count(" | ") == 9 for r in rows)
    assert (
        rows[0] == "| ✅ | roc_auc vs majority | higher | 0.9100 | 0.5000 | +0.4100 | +0.3800 | +0.1000 | - | DeLong |"
    )
    # an errored test is no verdict on the model: it says so, as the terminal table does
    assert rows[5] == "| ⚠️ ERROR | test: test_gate.py::test_outage | - | - | - | - | - | - | - | error |"
    assert lines[lines.index("### Failures") :] == [
        "### Failures",
        "",
        "- **accuracy-vs-champion-margin-5%**: accuracy: lost too much",
        "",
        "### Errors (no verdict)",
        "",
        "- **test_gate.py::test_outage**: ConnectionError: metadata service unreachable",
    ]
    errored = verdict_markdown(verdict([AUC, OUTAGE])).splitlines()[0]
    assert errored == "## modelgate: ⚠️ ERROR, no verdict (1 of 2 checks errored)"  # not ❌ FAIL


def test_markdown_of_a_pass_without_a_champion():
    markdown = verdict_markdown(verdict([AUC, PLAIN], champion=None))
    assert markdown.startswith("## modelgate: ✅ PASS\n")
    assert "- champion: none yet\n" in markdown
    assert "- tag:" not in markdown  # no session, no tag line
    assert "### Failures" not in markdown
    table_end = "| ✅ | test: test_gate.py::test_plain | - | - | - | - | - | - | - | passed |\n"
    assert f"{table_end}\n### Forest plot: each bound against its margin or floor\n\n```text\n" in markdown
    assert markdown.endswith("PASS\n```\n")  # the margin check's picture ends the report


# --- each metric's direction, in every format -------------------------------------------

# The true directions, written out here; the renderers read them from the metric registry.
DIRECTIONS = {
    "roc_auc": True,
    "accuracy": True,
    "f1": True,
    "log_loss": False,
    "brier": False,
    "macro_f1": True,
    "roc_auc_ovr": True,
    "mae": False,
    "rmse": False,
    "r2": True,
}


@pytest.fixture
def registered_metrics():
    """Every metric of DIRECTIONS in the registry; one not registered (yet) is added for
    this test only, with its true direction, and removed afterwards."""
    from modelgate.metrics import METRICS, Metric

    added = []
    for name, higher in DIRECTIONS.items():
        if name not in METRICS:
            METRICS.register(
                Metric(name, lambda y, s: math.nan, higher_is_better=higher, tasks=("multiclass", "regression"))
            )
            added.append(name)
    yield
    for name in added:
        del METRICS[name]


def margin_result(metric: str) -> CheckResult:
    return CheckResult(
        name=f"{metric}-vs-majority",
        group="baseline",
        passed=True,
        message="ok",
        metric=metric,
        baseline="majority",
        candidate_value=0.7,
        baseline_value=0.6,
        estimate=0.1,
        lower=0.05,
        margin=0.0,
        method="paired bootstrap",
        n=100,
    )


def floor_result(metric: str) -> CheckResult:
    return CheckResult(
        name=f"{metric}-floor",
        group="floor",
        passed=True,
        message="ok",
        metric=metric,
        candidate_value=0.7,
        lower=0.65,
        margin=0.5,
        confidence=0.95,
        method="stratified bootstrap",
        n=100,
    )


@pytest.mark.parametrize("metric", list(DIRECTIONS))
def test_every_format_shows_the_metrics_direction(registered_metrics, metric):
    word = "higher" if DIRECTIONS[metric] else "lower"
    results = [margin_result(metric), floor_result(metric), SMOKE]
    v = verdict(results)
    table = verdict_table(v).splitlines()
    assert cells(table[0])[:2] == ["check", "better"]
    assert cells(table[1])[1:3] == [f"{metric} vs majority", word]
    assert cells(table[2])[1:3] == [f"{metric} floor", word]
    assert cells(table[2])[7] == f"{'≥' if DIRECTIONS[metric] else '≤'} 0.5"  # the floor's side agrees
    assert cells(table[3])[1:3] == ["smoke: love-dress", "-"]  # no metric, no direction

    markdown = verdict_markdown(v)
    assert f"| ✅ | {md(metric)} vs majority | {word} | 0.7000 |" in markdown
    assert f"| ✅ | {md(metric)} floor | {word} | 0.7000 |" in markdown

    data = json.loads(verdict_json(v))["results"]
    assert [r.get("higher_is_better", "absent") for r in data] == [DIRECTIONS[metric], DIRECTIONS[metric], "absent"]
    assert [CheckResult.from_dict(r) for r in data] == results  # the extra field reads back


def md(name: str) -> str:
    from modelgate.report.render import md_text

    return md_text(name)


def test_a_metric_this_process_does_not_know_renders_without_a_direction():
    unknown = [margin_result("pinball_loss"), floor_result("pinball_loss"), PLAIN]
    v = verdict(unknown)
    table = verdict_table(v).splitlines()
    assert [cells(line)[1:3] for line in table[1:4]] == [
        ["pinball_loss vs majority", "-"],
        ["pinball_loss floor", "-"],
        ["test: test_gate.py::test_plain", "-"],
    ]
    assert cells(table[2])[7] == "floor 0.5"
    assert "| ✅ | pinball_loss vs majority | - | 0.7000 |" in verdict_markdown(v)
    data = json.loads(verdict_json(v))["results"]
    assert [r.get("higher_is_better", "absent") for r in data] == [None, None, "absent"]


def test_the_direction_follows_the_registry_not_the_name(registered_metrics):
    """A metric registered as lower-is-better shows "lower", whatever it is called."""
    from modelgate.metrics import METRICS, Metric

    METRICS.register(Metric("error_rate", lambda y, s: math.nan, higher_is_better=False))
    try:
        v = verdict([margin_result("error_rate")])
        assert cells(verdict_table(v).splitlines()[1])[2] == "lower"
        assert json.loads(verdict_json(v))["results"][0]["higher_is_better"] is False
    finally:
        del METRICS["error_rate"]


# --- the third outcome: inconclusive --------------------------------------------------


def test_an_inconclusive_result_is_its_own_outcome_and_round_trips():
    assert (THIN.outcome, THIN_PASSED.outcome, ACCURACY.outcome, AUC.outcome) == (
        "inconclusive",
        "inconclusive",
        "fail",
        "pass",
    )
    data = THIN.to_dict()
    assert (data["outcome"], data["inconclusive"], data["reason"], data["lower"]) == ("inconclusive", True, WHY, None)
    back = CheckResult.from_dict(json.loads(json.dumps(data)))
    assert back.inconclusive and back.reason == WHY and back.outcome == "inconclusive" and not back.passed
    # A result written before the third outcome existed reads as conclusive.
    old = {k: v for k, v in ACCURACY.to_dict().items() if k not in ("inconclusive", "reason", "outcome")}
    assert CheckResult.from_dict(old) == ACCURACY


def test_a_verdict_lists_its_inconclusive_checks_and_fails_on_one_that_failed():
    failing = verdict([AUC, THIN])
    assert failing.inconclusive == [THIN] and failing.failures == [THIN]
    assert (failing.passed, failing.status, failing.claims_no_verdict) == (False, "fail", False)
    passing = verdict([AUC, THIN_PASSED])
    assert passing.inconclusive == [THIN_PASSED] and passing.failures == []
    assert (passing.passed, passing.status) == (True, "pass")
    data = json.loads(verdict_json(failing))
    assert data["inconclusive"] == [THIN.name] and data["status"] == "fail"
    assert [r["outcome"] for r in data["results"]] == ["pass", "inconclusive"]


def test_the_table_says_inconclusive_never_fail_and_why():
    lines = verdict_table(verdict([AUC, THIN])).splitlines()
    assert lines[2].startswith("INCONCLUSIVE  roc_auc floor")
    assert not any(line.startswith("FAIL") for line in lines)
    assert f"{THIN.name}: {THIN.message}" in lines  # the reason, under the table


def test_markdown_marks_inconclusive_rows_and_warns_when_they_passed():
    failing = verdict_markdown(verdict([AUC, THIN]))
    assert "## modelgate: ❌ FAIL (1 of 2 checks inconclusive)" in failing
    assert "| ❌ INCONCLUSIVE | roc_auc floor |" in failing
    assert f"- **{THIN.name}**: INCONCLUSIVE: {WHY}" in failing.split("### Failures")[1]
    passing = verdict_markdown(verdict([AUC, THIN_PASSED]))
    assert f"## modelgate: ✅ PASS ({LET_PASS})" in passing
    assert "| ⚠️ INCONCLUSIVE | roc_auc floor |" in passing
    assert '### Inconclusive, passed because on_inconclusive = "pass"' in passing
    assert "### Failures" not in passing
