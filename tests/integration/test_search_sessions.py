"""The weak-slice search in a pytest session: a candidate much worse than its champion on the
rows holding one word fails the gate (exit 1, no tag), the plain model passes against it, and
a search the data cannot run is a one-line usage error (exit 4, no tag).

The planted run is TinyFlow with ``--plant velvet``: the word is in half its training
negatives, so its model reads it as negative, and four times in a fifth of its 1,000
validation reviews, most of them positive. The champion is the shared plain TinyFlow run
(``--gate-baseline-run``), which never saw the word.
"""

from __future__ import annotations

import json

import pytest

from helpers import FLOWS, reset_tags, run_flow, usage_error, user_tags
from modelgate.names import DEFAULT_TAG

CONFIG = """
[tool.modelgate]
model_artifact = "model"

[[tool.modelgate.search]]
max_regression = 0.02
{search}
"""
TOKENS = "tokens = 20\n"


@pytest.fixture(scope="module")
def planted_run():
    return reset_tags(run_flow(FLOWS / "tiny_flow.py", plant="velvet"))


def _session(gate_suite, run, champion, search=TOKENS):
    gate_suite.write(None)
    gate_suite.file("pyproject.toml", CONFIG.format(search=search))
    return gate_suite.run(run, "-rA", "--gate-report", "v.json", "--gate-baseline-run", champion)


def _record(gate_suite):
    (only,) = json.loads((gate_suite.path / "v.json").read_text())["results"]
    return only


@pytest.mark.slow
def test_a_planted_slice_regression_fails_the_gate_and_the_run_gets_no_tag(gate_suite, planted_run, tiny_run):
    result = _session(gate_suite, planted_run, tiny_run)
    assert result.ret == 1, result.outlines
    result.stdout.fnmatch_lines_random(
        [
            "FAILED modelgate::search::weak-slices-vs-champion-at-most-0.02*",
            "*weak slice token=velvet (n=2*, n_confirm=*: the candidate's brier is +0.* worse on the confirmation rows*",
            "FAIL  brier weak slices vs champion [[]token=velvet, n=2*, n_confirm=*[]]*",
        ]
    )
    record = _record(gate_suite)
    assert record["outcome"] == "fail" and record["group"] == "search"
    velvet = next(f for f in record["findings"] if f["label"] == "token=velvet")
    assert velvet["difference"] > velvet["bound"] > 0.02 and velvet["n_confirm"] >= 30
    assert "brier vs champion, weak-slice search: FAIL" in record["message"]
    assert DEFAULT_TAG not in user_tags(planted_run)


@pytest.mark.slow
def test_the_plain_model_passes_against_the_planted_one_and_is_tagged(gate_suite, planted_run, run):
    result = _session(gate_suite, run, planted_run, TOKENS + "text_length = true\n")
    assert result.ret == 0, result.outlines
    result.assert_outcomes(passed=1)
    record = _record(gate_suite)
    assert record["outcome"] == "pass"
    assert (
        "PASS, no slice is confirmed to regress by more than max_regression 0.02: 19 slices searched"
        in (record["message"])
    )
    assert DEFAULT_TAG in user_tags(run)


@pytest.mark.slow
def test_a_search_the_data_cannot_run_is_a_usage_error_and_changes_no_tag(gate_suite, planted_run, run):
    cases = [
        ('columns = ["region"]\n', "search[0].columns: the validation data has no column 'region'"),
        (
            'columns = ["review"]\n',
            "column 'review' has 200 distinct values, more than 50 to search without max_values",
        ),
        (
            'columns = ["labels"]\nagainst = "majority"\nmetric = "mae"\n',
            "metric 'mae' does not apply to task 'binary'",
        ),
        ("", "search[0]: nothing to search"),
        ('columns = ["labels"]\nbudget = 1\n', "search[0]: unknown key 'budget'"),
    ]
    for search, message in cases:
        result = _session(gate_suite, run, planted_run, TOKENS)
        assert result.ret == 0 and DEFAULT_TAG in user_tags(run)  # a passing gate first: the tag is there
        result = _session(gate_suite, run, planted_run, search)
        usage_error(result, message)
        assert DEFAULT_TAG in user_tags(run)  # bad input changes no tag
