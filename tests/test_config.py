"""Declarative gates: [tool.modelgate] in pyproject.toml, the same keys on the command line."""

import json

import pytest

from modelgate.config import load_config, parse_table
from modelgate.errors import GateUsageError

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
metric = "log_loss"
margin = -5.0
confidence = "none"
"""

PYTHON_SUITE = """
import pytest
from modelgate import MarginCheck

CHECKS = [
    MarginCheck("roc_auc", margin=0.1),
    MarginCheck("accuracy", baseline="majority", margin=0.02, confidence=0.9),
    MarginCheck("log_loss", margin=-5.0, confidence=None),
]

@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_check(gate, check):
    gate.check(check)
"""


def _results(path):
    data = json.loads(path.read_text())
    return [(r["name"], r["passed"], r["estimate"], r["lower"], r["method"]) for r in data["results"]], data


def test_gate_in_pyproject_equals_the_same_gate_in_python(pytester, tiny_run):
    pytester.makefile(".toml", pyproject=CONFIG.format(tag="config_gate"))
    pytester.mkdir("gate")
    config_run = pytester.runpytest("gate", "--model-run", tiny_run, "-p", "no:cacheprovider",
                                    "--gate-dry-run", "--gate-report", "config.json", "-v")
    config_run.assert_outcomes(passed=3)
    config_run.stdout.fnmatch_lines(["*modelgate::roc_auc-vs-majority-margin+0.1 PASSED*"])

    (pytester.path / "pyproject.toml").unlink()
    pytester.makeini("[pytest]\nmodelgate_model_artifact = model\nmodelgate_tag = config_gate\n")
    pytester.makepyfile(test_python_gate=PYTHON_SUITE)
    python_run = pytester.runpytest("test_python_gate.py", "--model-run", tiny_run, "-p", "no:cacheprovider",
                                    "--gate-dry-run", "--gate-report", "python.json")
    python_run.assert_outcomes(passed=3)

    from_config, config_verdict = _results(pytester.path / "config.json")
    from_python, python_verdict = _results(pytester.path / "python.json")
    assert from_config == from_python
    assert len(from_config) == 3
    assert config_verdict["passed"] is python_verdict["passed"] is True
    assert config_verdict["tag"]["action"] == python_verdict["tag"]["action"] == "apply"


def test_checks_on_the_command_line(pytester, tiny_run):
    pytester.makeini("[pytest]\nmodelgate_model_artifact = model\n")
    result = pytester.runpytest("--model-run", tiny_run, "-p", "no:cacheprovider", "--gate-dry-run",
                                "--gate-check", "metric=roc_auc,margin=0.99", "-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*modelgate::roc_auc-vs-majority-margin+0.99 FAILED*"])
    # a configured check fails with its message, not a traceback
    result.stdout.fnmatch_lines(["*roc_auc: candidate 0.* vs majority 0.5000*not above the margin +0.9900*"])
    assert "Traceback" not in result.stdout.str()


def test_smoke_cases_from_config_are_items_of_their_own(pytester, tiny_run):
    pytester.makefile(".csv", cases="name,text,expected\nclearly-good,great love perfect,1\nclearly-bad,awful poor broken,0\nwrong-on-purpose,great love perfect,0\n")
    pytester.makefile(".toml", pyproject='[tool.modelgate]\nmodel_artifact = "model"\nsmoke_cases = "cases.csv"\n')
    result = pytester.runpytest("--model-run", tiny_run, "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*modelgate::smoke::clearly-good PASSED*",
        "*modelgate::smoke::clearly-bad PASSED*",
        "*modelgate::smoke::wrong-on-purpose FAILED*",
    ])
    from modelgate.tagging import user_tags

    assert "deployment_candidate" not in user_tags(tiny_run)


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[tool.modelgate]\ncolour = "red"\n', "[tool.modelgate]: unknown key 'colour'"),
        ('[tool.modelgate]\ntag = 3\n', "[tool.modelgate].tag: expected a non-empty string, got 3"),
        ('[[tool.modelgate.checks]]\nmetric = "aucc"\n', "[tool.modelgate].checks[0]: unknown metric 'aucc'"),
        ('[[tool.modelgate.checks]]\nmargin = 0.1\n', "[tool.modelgate].checks[0]: missing key 'metric'"),
        ('[[tool.modelgate.checks]]\nmetric = "roc_auc"\nmargin = "high"\n', "[tool.modelgate].checks[0].margin: expected a number, got 'high'"),
        ('[[tool.modelgate.checks]]\nmetric = "roc_auc"\nrelative = "yes"\n', "[tool.modelgate].checks[0].relative: expected true or false"),
        ('[[tool.modelgate.checks]]\nmetric = "roc_auc"\nconfidence = 1.5\n', "[tool.modelgate].checks[0]: confidence must be in [0.5, 1)"),
        ('[[tool.modelgate.checks]]\nmetric = "roc_auc"\nthreshold = 1\n', "[tool.modelgate].checks[0]: unknown key 'threshold'"),
        ('[[tool.modelgate.checks]]\nmetric = "accuracy"\nmethod = "delong"\n', "method 'delong' applies to roc_auc only"),
        ('[[tool.modelgate.checks]]\nmetric = "roc_auc"\n[[tool.modelgate.checks]]\nmetric = "roc_auc"\n', "two configured checks are named 'roc_auc-vs-majority-margin+0'"),
        ('[tool.modelgate]\nmodel_artifact = "model"\nsmoke_cases = "missing.csv"\n', "missing.csv"),
        ('[[tool.modelgate.properties]]\nkind = "sideways"\n', "[tool.modelgate].properties[0]: unknown property kind 'sideways'"),
        ('[[tool.modelgate.properties]]\nkind = "invariance"\nperturbations = ["emoji"]\n', "unknown perturbation 'emoji'"),
        ('[[tool.modelgate.properties]]\nn_examples = 5\n', "[tool.modelgate].properties[0]: missing key 'kind'"),
        ('[[tool.modelgate.properties]]\nkind = "directional"\nsentences = "one"\n', ".sentences: expected an array of non-empty strings"),
    ],
    ids=["unknown-key", "bad-tag", "unknown-metric", "no-metric", "margin-not-number", "relative-not-bool",
         "confidence-range", "unknown-check-key", "method-metric", "duplicate-names", "missing-smoke-file",
         "property-kind", "property-perturbation", "property-no-kind", "property-sentences"],
)
def test_bad_config_is_a_usage_error_naming_the_key(pytester, tiny_run, toml, message):
    pytester.makefile(".toml", pyproject=toml)
    result = pytester.runpytest("--model-run", tiny_run, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.outlines
    errors = [l for l in result.errlines if l.startswith("ERROR: modelgate:")]
    assert errors and message in errors[0], result.errlines


def test_bad_toml_in_gate_config(pytester, tiny_run):
    pytester.makefile(".toml", gate='[tool.modelgate\n')
    result = pytester.runpytest("--model-run", tiny_run, "--gate-config", "gate.toml", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "gate.toml is not valid TOML" in result.stderr.str()


def test_bad_check_on_the_command_line(pytester, tiny_run):
    result = pytester.runpytest("--model-run", tiny_run, "--gate-check", "metric=roc_auc,margin", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--gate-check 'metric=roc_auc,margin': 'margin' is not key=value" in result.stderr.str()


def test_command_line_wins_over_the_ini_file_and_pyproject(pytester, tiny_run):
    pytester.makefile(".toml", pyproject='[tool.modelgate]\nmodel_artifact = "nope_from_toml"\n')
    pytester.makeini("[pytest]\nmodelgate_model_artifact = nope_from_ini\n")
    result = pytester.runpytest("--model-run", tiny_run, "-p", "no:cacheprovider")
    assert "no artifact 'nope_from_ini'" in result.stderr.str()  # ini over pyproject
    pytester.makepyfile(test_ok="def test_ok(evaluation):\n    assert evaluation.n == 200\n")
    result = pytester.runpytest("--model-run", tiny_run, "-p", "no:cacheprovider", "--model-artifact", "model", "--gate-dry-run")
    result.assert_outcomes(passed=1)


def test_config_file_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "pyproject.toml"
    path.write_text('[tool.modelgate]\nsmoke_cases = "cases.csv"\n')
    assert load_config(path).smoke_cases == tmp_path / "sub" / "cases.csv"


def test_relative_margin_on_a_zero_baseline_is_refused():
    from modelgate import MarginCheck, evaluate

    check = parse_table({"checks": [{"metric": "f1", "relative": True, "margin": 0.1}]}).checks[0]
    # the majority class here is 0: it predicts no positive, so its F1 is 0
    ev = evaluate(lambda texts: [0.9, 0.1, 0.2, 0.8, 0.3], ["a", "b", "c", "d", "e"], [1, 0, 0, 1, 0])
    with pytest.raises(ValueError, match="a relative margin needs a non-zero baseline"):
        check.evaluate(ev)
    assert check == MarginCheck("f1", relative=True, margin=0.1)


def test_parse_table_rejects_non_tables():
    with pytest.raises(GateUsageError, match="checks: expected an array of tables"):
        parse_table({"checks": {"metric": "roc_auc"}})


def test_properties_from_config_are_items_and_results(pytester, tiny_run):
    pytester.makefile(".toml", pyproject="""
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
""")
    result = pytester.runpytest("--model-run", tiny_run, "-p", "no:cacheprovider", "-v", "--gate-dry-run",
                                "--gate-report", "v.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*modelgate::property::invariance PASSED*",
        "*modelgate::property::directional-negative PASSED*",
    ])
    results = json.loads((pytester.path / "v.json").read_text())["results"]
    assert [(r["name"], r["group"], r["n"]) for r in results] == [
        ("invariance", "property", 50), ("directional-negative", "property", 50)
    ]
