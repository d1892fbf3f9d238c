"""The gate report: JSON, Markdown (and $GITHUB_STEP_SUMMARY), JUnit XML properties."""

import json
import xml.etree.ElementTree as ET

import pytest

SUITE = """
def test_auc(gate):
    gate.beats("roc_auc", margin=0.1)

def test_auc_too_strict(gate):
    gate.beats("roc_auc", margin=0.99)

def test_plain(evaluation):
    assert evaluation.n == 200
"""


@pytest.fixture
def session(pytester, tiny_run, monkeypatch, tmp_path):
    summary = tmp_path / "step_summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    pytester.makeini("[pytest]\nmodelgate_model_artifact = model\n")
    pytester.makepyfile(test_gate=SUITE)
    result = pytester.runpytest(
        "--model-run", tiny_run, "-p", "no:cacheprovider", "--gate-dry-run",
        "--gate-report", "out/verdict.json", "--gate-markdown", "out/verdict.md", "--junitxml", "out/junit.xml",
    )
    result.assert_outcomes(passed=2, failed=1)
    return pytester.path / "out", summary, tiny_run


def test_json_report_matches_the_session(session, samples_dir):
    out, _, run = session
    for name in ("verdict.json", "verdict.md", "junit.xml"):
        (samples_dir / f"failing-{name}").write_bytes((out / name).read_bytes())
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["run"] == run
    assert verdict["passed"] is False
    assert [(r["name"], r["passed"]) for r in verdict["results"]] == [
        ("roc_auc-vs-majority-margin+0.1", True),
        ("roc_auc-vs-majority-margin+0.99", False),
    ]
    strict = verdict["results"][1]
    assert strict["method"] == "DeLong" and strict["margin"] == 0.99
    assert strict["lower"] < 0.99 < strict["lower"] + 1
    assert "not above the margin +0.9900" in strict["message"]
    assert verdict["tag"]["action"] == "revoke" and verdict["tag"]["dry_run"] is True
    assert "1 quality test failed" in verdict["tag"]["reason"]


def test_markdown_report_is_written_and_appended_to_the_step_summary(session):
    out, summary, run = session
    markdown = (out / "verdict.md").read_text()
    assert markdown.startswith("## modelgate: ❌ FAIL (1 of 2 checks failed)")
    assert f"- run: `{run}`" in markdown
    assert "| ❌ | roc_auc vs majority |" in markdown
    assert "### Failures" in markdown and "not above the margin +0.9900" in markdown
    step_summary = summary.read_text()
    assert step_summary.startswith("# earlier step\n") and markdown in step_summary


def test_metric_values_are_junit_properties(session):
    out, _, _ = session
    tree = ET.parse(out / "junit.xml")
    props = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in tree.iter("testcase")
    }
    auc = props["test_auc"]
    assert float(auc["modelgate_candidate_value"]) > 0.8
    assert float(auc["modelgate_baseline_value"]) == 0.5
    assert float(auc["modelgate_lower"]) > 0.1
    assert auc["modelgate_method"] == "DeLong"
    assert props["test_plain"] == {}
