"""Smoke cases from files in a gate session, and the scorer on a real run's model."""

import numpy as np

from helpers import user_tags
from modelgate.names import DEFAULT_TAG

CASES = """name,text,expected
clearly-good,great love perfect,1
clearly-bad,awful poor broken,0
wrong-on-purpose,great love perfect,0
"""
SMOKE_SUITE = """
import modelgate

@modelgate.smoke_cases("cases.csv")
def test_smoke(gate, smoke_case):
    gate.smoke(smoke_case)
"""


def test_smoke_case_decorator_makes_one_item_per_case_and_a_failure_blocks_the_tag(gate_suite, run):
    gate_suite.file("cases.csv", CASES)
    result = gate_suite.write(SMOKE_SUITE).run(run, "-v")
    result.assert_outcomes(passed=2, failed=1)  # the failing case fails only its own item
    result.stdout.fnmatch_lines(
        [
            "*test_smoke?clearly-good? PASSED*",
            "*test_smoke?clearly-bad? PASSED*",
            "*test_smoke?wrong-on-purpose? FAILED*",
        ]
    )
    # the failure prints the text, the expected label, the score and the threshold
    out = result.stdout.str()
    assert "smoke wrong-on-purpose: expected negative (0), needs score < 0.5, got 0.9" in out
    assert "text: 'great love perfect'" in out
    assert DEFAULT_TAG not in user_tags(run)
    assert "1 quality test failed" in out
    assert gate_suite.tag_line(result) == f"modelgate: tag '{DEFAULT_TAG}' not applied to {run}: 1 quality test failed"


def test_passing_smoke_cases_tag_the_run(gate_suite, run):
    gate_suite.file("cases.csv", "\n".join(CASES.splitlines()[:3]) + "\n")
    result = gate_suite.write(SMOKE_SUITE).run(run)
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG in user_tags(run)


def test_scorer_on_a_real_runs_model_matches_the_tutorials_predict(tutorial_model_dict, demo_run):
    from helpers import example_module
    from modelgate import as_scorer
    from modelgate.metaflow_io.runs import load_artifact

    NbowModel = example_module("model").NbowModel
    texts = load_artifact(demo_run, "val_df")["review"].tolist()[:300]
    expected = NbowModel.from_dict(tutorial_model_dict).predict(texts)[:, 0]
    scorer = as_scorer(tutorial_model_dict)
    np.testing.assert_allclose(scorer(texts), expected, atol=1e-6)
    assert scorer.model_calls == 1


HOSTILE = "boom\x1b[2J\rX"


def test_control_characters_in_case_and_column_names_never_reach_the_terminal_raw(gate_suite, run):
    """An ESC or a carriage return in a smoke file would rewrite the terminal: every
    place the name shows (node ids, failure headers, messages, -rA lines, the table) escapes it."""
    cases = f'name,text,expected,"note{HOSTILE}"\nok,great love perfect,1,a\n"{HOSTILE}",great love perfect,0,b\n'
    (gate_suite.path / "cases.csv").write_bytes(cases.encode())  # byte for byte: the CR stays inside the quotes
    gate_suite.write(SMOKE_SUITE)
    for args in (["--gate-smoke-cases", "cases.csv", "-rA"], ["-v", "-rA"]):  # configured items, the decorator
        result = gate_suite.run(run, *args)
        assert result.ret == 1 and DEFAULT_TAG not in user_tags(run)
        out = result.stdout.str() + result.stderr.str()
        assert "\x1b" not in out and "\r" not in out
        assert "boom\\x1b[2J\\rX" in out  # shown, escaped
    # the column name in a one-line error (a text column is missing) is escaped too
    (gate_suite.path / "bad.csv").write_bytes(f'name,"te{HOSTILE}xt",expected\nok,great,1\n'.encode())
    result = gate_suite.run(run, "--gate-smoke-cases", "bad.csv")
    assert result.ret == 4
    out = result.stdout.str() + result.stderr.str()
    assert "\x1b" not in out and "\r" not in out and "te" + "boom\\x1b[2J\\rX" + "xt" in out
