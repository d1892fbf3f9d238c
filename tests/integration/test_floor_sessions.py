"""A floor in a pytest session: its item fails and the tag is blocked."""

# -- end to end: a pytest session on a real run ------------------------------------------------
FLOOR_CONFIG = """
[tool.modelgate]
model_artifact = "model"

[[tool.modelgate.checks]]
metric = "roc_auc"
at_least = 0.5

[[tool.modelgate.checks]]
metric = "accuracy"
at_least = 0.99
"""


def test_a_failing_floor_fails_its_item_and_blocks_the_tag(gate_suite, run):
    from helpers import usage_error, user_tags
    from modelgate.names import DEFAULT_TAG

    gate_suite.write("def test_plain(evaluation):\n    assert evaluation.n == 200\n")
    # A floor on the wrong side stops the session before any test: exit 4, one line naming the key.
    gate_suite.file("pyproject.toml", FLOOR_CONFIG.replace('"accuracy"', '"log_loss"'))
    usage_error(gate_suite.run(run), "[tool.modelgate].checks[1].at_least: log_loss is lower-is-better")
    assert DEFAULT_TAG not in user_tags(run)

    gate_suite.file("pyproject.toml", FLOOR_CONFIG)
    result = gate_suite.run(run, "--gate-check", "metric=brier,at_most=0.5", "-rA")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "PASSED modelgate::roc_auc-at-least-0.5",
            "PASSED modelgate::brier-at-most-0.5",
            "PASSED test_gate.py::test_plain",
            "FAILED modelgate::accuracy-at-least-0.99*",
            "accuracy: candidate 0.* on 200 rows, 95% lower bound 0.* (Clopper-Pearson, p=*) is not above at_least 0.99",
            "FAIL  accuracy floor*≥ 0.99*Clopper-Pearson",
        ]
    )
    assert DEFAULT_TAG not in user_tags(run)
    assert "not applied" in gate_suite.tag_line(result)
