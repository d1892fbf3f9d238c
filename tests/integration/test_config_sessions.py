"""Gate configs read by pytest sessions (pytester, the shared TinyFlow run): the unit tests of the config are tests/unit/config/test_config.py."""

import json

from helpers import MODEL_INI, error_line, reset_tags, usage_error, user_tags

CONFIG = """
[tool.modelgate]
model_artifact = "model"
tag = "{tag}"

[[tool.modelgate.checks]]
metric = "roc_auc"
margin = 0.1

[[tool.modelgate.checks]]
metric = "accuracy"
baseline = "majority"
margin = 0.02
confidence = 0.9

[[tool.modelgate.checks]]
metric = "f1"
margin = -0.5
confidence = "none"
"""

PYTHON_SUITE = """
import pytest
from modelgate import MarginCheck

CHECKS = [
    MarginCheck("roc_auc", margin=0.1),
    MarginCheck("accuracy", baseline="majority", margin=0.02, confidence=0.9),
    MarginCheck("f1", margin=-0.5, confidence=None),
]

@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_check(gate, check):
    gate.check(check)
"""


def _results(path):
    data = json.loads(path.read_text())
    return [(r["name"], r["passed"], r["estimate"], r["lower"], r["method"]) for r in data["results"]], data


def test_gate_in_pyproject_equals_the_same_gate_in_python(gate_suite, tiny_run):
    gate_suite.file("pyproject.toml", CONFIG.format(tag="config_gate"))
    (gate_suite.path / "gate").mkdir()
    config_run = gate_suite.run(tiny_run, "gate", "--gate-dry-run", "--gate-report", "config.json", "-v")
    config_run.assert_outcomes(passed=3)
    config_run.stdout.fnmatch_lines(["*modelgate::roc_auc-vs-majority-margin+0.1 PASSED*"])

    (gate_suite.path / "pyproject.toml").unlink()
    gate_suite.write(None, ini=MODEL_INI + "modelgate_tag = config_gate\n", test_python_gate=PYTHON_SUITE)
    python_run = gate_suite.run(tiny_run, "test_python_gate.py", "--gate-dry-run", "--gate-report", "python.json")
    python_run.assert_outcomes(passed=3)

    from_config, config_verdict = _results(gate_suite.path / "config.json")
    from_python, python_verdict = _results(gate_suite.path / "python.json")
    assert from_config == from_python
    assert len(from_config) == 3
    assert config_verdict["passed"] is python_verdict["passed"] is True
    assert config_verdict["tag"]["action"] == python_verdict["tag"]["action"] == "apply"


def test_checks_on_the_command_line(gate_suite, tiny_run):
    result = gate_suite.write(None).run(
        tiny_run,
        "--gate-dry-run",
        "-v",
        "--gate-report",
        "v.json",
        "--gate-check",
        "metric=roc_auc,margin=0.99",
        "--gate-check",
        "metric=accuracy,margin=-0.5,confidence=none",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*modelgate::roc_auc-vs-majority-margin+0.99 FAILED*"])
    # a configured check fails with its message, not a traceback
    result.stdout.fnmatch_lines(["*roc_auc: candidate 0.* vs majority 0.5000*not above the margin +0.9900*"])
    assert "Traceback" not in result.stdout.str()
    # each option is a check of its own, with its own margin and confidence, parsed from text
    results = json.loads((gate_suite.path / "v.json").read_text())["results"]
    assert [(r["name"], r["metric"], r["baseline"], r["margin"], r["confidence"], r["passed"]) for r in results] == [
        ("roc_auc-vs-majority-margin+0.99", "roc_auc", "majority", 0.99, 0.95, False),
        ("accuracy-vs-majority-margin-0.5", "accuracy", "majority", -0.5, None, True),
    ]
    assert results[0]["method"] == "DeLong" and results[0]["lower"] < 0.99
    assert results[1]["method"] == "point estimate" and results[1]["lower"] == results[1]["estimate"] > -0.5


def test_smoke_cases_from_config_are_items_of_their_own(gate_suite, tiny_run):
    reset_tags(tiny_run)
    gate_suite.file(
        "cases.csv",
        "name,text,expected\nclearly-good,great love perfect,1\nclearly-bad,awful poor broken,0\n"
        "wrong-on-purpose,great love perfect,0\n",
    )
    gate_suite.file("pyproject.toml", '[tool.modelgate]\nmodel_artifact = "model"\nsmoke_cases = "cases.csv"\n')
    result = gate_suite.run(tiny_run, "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*modelgate::smoke::clearly-good PASSED*",
            "*modelgate::smoke::clearly-bad PASSED*",
            "*modelgate::smoke::wrong-on-purpose FAILED*",
        ]
    )
    assert "deployment_candidate" not in user_tags(tiny_run)
    assert gate_suite.tag_line(result) == (
        f"modelgate: tag 'deployment_candidate' not applied to {tiny_run}: 1 quality test failed"
    )


def test_a_bad_config_stops_the_session_with_one_error_line_and_exit_4(gate_suite, tiny_run):
    # The cases above, end to end: the session stops before any test, with the message.
    reset_tags(tiny_run)
    gate_suite.file("pyproject.toml", '[[tool.modelgate.checks]]\nmetric = "roc_auc"\nmargin = "high"\n')
    result = gate_suite.run(tiny_run)
    usage_error(result, "[tool.modelgate].checks[0].margin: expected a number, got 'high'")
    assert error_line(result) == (
        "ERROR: modelgate: [tool.modelgate].checks[0].margin: expected a number, got 'high'; "
        f"gate config: pyproject.toml (nearest [tool.modelgate] above the test path {gate_suite.path})"
    )
    assert user_tags(tiny_run) == frozenset()


def test_an_impossible_margin_stops_the_session_with_exit_4_and_no_tag(gate_suite, tiny_run):
    reset_tags(tiny_run)
    gate_suite.file("pyproject.toml", '[[tool.modelgate.checks]]\nmetric = "accuracy"\nmargin = 20\n')
    result = gate_suite.run(tiny_run)
    usage_error(result, "[tool.modelgate].checks[0]: check accuracy-vs-majority-margin+20: margin +20 can never be met")
    assert "accuracy is in [0, 1]" in error_line(result)
    assert user_tags(tiny_run) == frozenset()
    (gate_suite.path / "pyproject.toml").unlink()
    result = gate_suite.run(tiny_run, "--gate-check", "metric=roc_auc,margin=-3")
    usage_error(result, "margin -3 is always met")


def test_bad_toml_in_gate_config(gate_suite, tiny_run):
    gate_suite.file("gate.toml", "[tool.modelgate\n")
    result = gate_suite.run(tiny_run, "--gate-config", "gate.toml")
    usage_error(result, "gate.toml is not valid TOML")


def test_command_line_wins_over_the_ini_file_and_pyproject(gate_suite, tiny_run):
    gate_suite.file("pyproject.toml", '[tool.modelgate]\nmodel_artifact = "nope_from_toml"\n')
    gate_suite.write(None, ini="[pytest]\nmodelgate_model_artifact = nope_from_ini\n")
    result = gate_suite.run(tiny_run)
    usage_error(result, "no artifact 'nope_from_ini'")  # ini over pyproject
    gate_suite.write(None, ini=None, test_ok="def test_ok(evaluation):\n    assert evaluation.n == 200\n")
    result = gate_suite.run(tiny_run, "--gate-model-artifact", "model", "--gate-dry-run")
    result.assert_outcomes(passed=1)


def test_properties_from_config_are_items_and_results(gate_suite, tiny_run):
    gate_suite.file(
        "pyproject.toml",
        """
[tool.modelgate]
model_artifact = "model"

[[tool.modelgate.properties]]
kind = "invariance"
perturbations = ["whitespace", "case"]
n_examples = 50
max_failure_rate = 0.2

[[tool.modelgate.properties]]
kind = "directional"
direction = "negative"
sentences = ["awful poor broken returned"]
n_examples = 50
max_failure_rate = 0.0
""",
    )
    result = gate_suite.run(tiny_run, "-v", "--gate-dry-run", "--gate-report", "v.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*modelgate::property::invariance PASSED*",
            "*modelgate::property::directional-negative PASSED*",
        ]
    )
    results = json.loads((gate_suite.path / "v.json").read_text())["results"]
    assert [(r["name"], r["group"], r["n"]) for r in results] == [
        ("invariance", "property", 50),
        ("directional-negative", "property", 50),
    ]
