"""Slices in a pytest session on TinyFlow's run: one test item per (slice, check),
their three outcomes deciding the tag, and the slices the data cannot have as
one-line usage errors (exit 4, no tag).

TinyFlow's validation frame has a ``review`` text column (five or six words a
review: every text is "short") and 0/1 ``labels``; a slice by ``labels`` has one
class, too thin to decide an AUC.
"""

from __future__ import annotations

import json

import pytest

from helpers import usage_error, user_tags
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

{slices}
"""
LENGTH = "[[tool.modelgate.slices]]\ntext_length = true\n"


def _session(gate_suite, run, slices, *args, extra=""):
    gate_suite.write(None)
    gate_suite.file("pyproject.toml", CONFIG.format(extra=extra, slices=slices))
    return gate_suite.run(run, "-rA", "--gate-report", "v.json", *args)


def _record(gate_suite):
    return {r["name"]: r for r in json.loads((gate_suite.path / "v.json").read_text())["results"]}


def test_each_slice_and_check_is_an_item_and_a_passing_set_is_tagged(gate_suite, run):
    result = _session(gate_suite, run, LENGTH)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines_random(
        [
            "PASSED modelgate::slice::length=short::roc_auc-vs-majority-margin+0.1",
            "PASSED modelgate::slice::length=short::accuracy-at-least-0.5",
            "PASS  roc_auc vs majority [[]length=short, n=200[]]*DeLong",
        ]
    )
    record = _record(gate_suite)["length=short::roc_auc-vs-majority-margin+0.1"]
    assert (record["slice"], record["n"], record["outcome"]) == ("length=short", 200, "pass")
    assert DEFAULT_TAG in user_tags(run)


@pytest.mark.slow  # three gate sessions (6 s): the full suite runs it
def test_a_slice_too_thin_to_decide_blocks_the_tag_unless_on_inconclusive_passes(gate_suite, run):
    slices = '[[tool.modelgate.slices]]\ncolumn = "labels"\nchecks = ["roc_auc-vs-majority-margin+0.1"]\n'
    result = _session(gate_suite, run, slices)
    assert result.ret == 1
    result.stdout.fnmatch_lines_random(
        [
            "FAILED modelgate::slice::labels=0::roc_auc-vs-majority-margin+0.1*",
            "FAILED modelgate::slice::labels=1::roc_auc-vs-majority-margin+0.1*",
            "INCONCLUSIVE  roc_auc vs majority [[]labels=0, n=*",
        ]
    )
    record = _record(gate_suite)["labels=1::roc_auc-vs-majority-margin+0.1"]
    assert record["outcome"] == "inconclusive" and not record["passed"]
    assert "rows of class 0, fewer than min_per_class = 5" in record["reason"]
    assert DEFAULT_TAG not in user_tags(run)

    # Under xdist each worker makes the same slice items from its own copy of the data.
    result = _session(gate_suite, run, slices, "-n", "2", extra='on_inconclusive = "pass"')
    assert result.ret == 0, result.outlines
    result.assert_outcomes(passed=4)
    assert DEFAULT_TAG in user_tags(run)


def test_a_listed_value_absent_from_the_data_fails_even_when_inconclusive_passes(gate_suite, run):
    slices = '[[tool.modelgate.slices]]\ncolumn = "labels"\nvalues = [1, 2]\nmin_per_class = 0\nchecks = ["accuracy-at-least-0.5"]\n'
    gate_suite.write(None)
    result = _session(gate_suite, run, slices, extra='on_inconclusive = "pass"')
    assert result.ret == 1
    result.stdout.fnmatch_lines_random(
        [
            "PASSED modelgate::slice::labels=1::accuracy-at-least-0.5",
            "FAILED modelgate::slice::labels=2::accuracy-at-least-0.5*",
            "*slice labels=2: FAIL, the value 2 is absent from the validation data's column 'labels'*",
        ]
    )
    assert DEFAULT_TAG not in user_tags(run)
    assert "not applied" in gate_suite.tag_line(result)


def test_slices_the_data_cannot_have_are_usage_errors_and_change_no_tag(gate_suite, run):
    gate_suite.write(None)
    cases = [
        (
            '[[tool.modelgate.slices]]\ncolumn = "region"\n',
            "slices[0].column: the validation data has no column 'region'",
        ),
        (
            '[[tool.modelgate.slices]]\ncolumn = "review"\n',
            "column 'review' has 200 distinct values, more than max_values = 20",
        ),
        (
            '[[tool.modelgate.slices]]\ncolumn = "labels"\nbins = [1, 0]\n',
            "slices[0].bins: the edges must be increasing",
        ),
        (
            '[[tool.modelgate.slices]]\ncolumn = "labels"\nmin_rows = 0\n',
            "slices[0].min_rows: expected a whole number >= 1",
        ),
        (
            '[[tool.modelgate.gaps]]\nmetric = "accuracy"\ncolumn = "region"\nmax_gap = 0.2\n',
            "gaps[0].column: the validation data has no column 'region'",
        ),
        ('[[tool.modelgate.gaps]]\nmetric = "mae"\ncolumn = "labels"\nmax_gap = 0.2\n', "mae"),
    ]
    for slices, message in cases:
        _session(gate_suite, run, LENGTH)  # a passing gate first: the tag is there
        assert DEFAULT_TAG in user_tags(run)
        result = _session(gate_suite, run, slices)
        usage_error(result, message)
        assert DEFAULT_TAG in user_tags(run)  # bad input changes no tag


def test_the_header_states_each_checks_power_and_warns_when_underpowered(gate_suite, run):
    result = _session(gate_suite, run, LENGTH, extra="power_effect = 0.01")
    assert result.ret == 0
    header = result.outlines[: result.outlines.index(next(l for l in result.outlines if l.startswith("collected")))]
    power = [l for l in header if l.startswith("power: ") and not l.startswith("power: the gate: ")]
    (whole,) = [l for l in header if l.startswith("power: the gate: ")]
    assert whole.startswith("power: the gate: a candidate truly 0.01 beyond every margin and floor passes all 4 checks")
    assert [l.split(":")[1].strip() for l in power] == [
        "roc_auc-vs-majority-margin+0.1",
        "accuracy-at-least-0.5",
        "length=short",  # the slice's items: "length=short::roc_auc-..."
        "length=short",
    ]
    record = _record(gate_suite)
    mde = record["roc_auc-vs-majority-margin+0.1"]["mde"]
    assert f"power: roc_auc-vs-majority-margin+0.1: detects {mde:.4f} beyond its margin (80% power, n = 200)" in header
    warnings = [l for l in header if l.startswith("modelgate warning: underpowered: ")]
    assert (
        len(warnings) == 4
        and "a candidate truly 0.01 beyond the margin of roc_auc-vs-majority-margin+0.1" in warnings[0]
    )
    # The header's results are the items' own: computed once, the same numbers in the report.
    assert f"{mde:.4f}" in "\n".join(l for l in result.outlines if l.startswith("PASS  roc_auc vs majority "))
    # A bad effect is one line naming the key, before any test.
    usage_error(
        _session(gate_suite, run, LENGTH, extra="power_effect = -1"),
        "[tool.modelgate].power_effect: expected a number > 0",
    )
    usage_error(_session(gate_suite, run, LENGTH, "--gate-power-effect", "x"), "--gate-power-effect: expected a number")
