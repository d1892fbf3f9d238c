"""The third outcome under xdist: each worker decides its checks and the controller
decides the tag. With ``-n 2`` an inconclusive check must fail by default (exit 1, no
tag) and pass with the warning under ``--gate-on-inconclusive pass``, exactly as in a
single process; the JSON report agrees with the exit code either way."""

from __future__ import annotations

import json

import pytest

from helpers import user_tags
from modelgate.names import DEFAULT_TAG

CONFIG = """
[tool.modelgate]
model_artifact = "model"
data_artifact = "negatives_df"

[[tool.modelgate.checks]]
metric = "roc_auc"
at_least = 0.6

[[tool.modelgate.checks]]
metric = "accuracy"
at_least = 0.5
"""
AUC = "roc_auc-at-least-0.6"


@pytest.mark.slow
@pytest.mark.parametrize("on_inconclusive", ["fail", "pass"])
def test_xdist_workers_carry_the_inconclusive_outcome_to_the_tag(gate_suite, run, on_inconclusive):
    gate_suite.write(None)
    gate_suite.file("pyproject.toml", CONFIG)
    result = gate_suite.run(run, "-n", "2", "--gate-on-inconclusive", on_inconclusive, "--gate-report", "out/v.json")
    record = json.loads((gate_suite.path / "out" / "v.json").read_text())
    auc = next(r for r in record["results"] if r["name"] == AUC)
    assert auc["outcome"] == "inconclusive" and record["inconclusive"] == [AUC]
    if on_inconclusive == "fail":
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert record["passed"] is False and auc["passed"] is False
        assert DEFAULT_TAG not in user_tags(run)
    else:
        assert result.ret == pytest.ExitCode.OK
        assert record["passed"] is True and auc["passed"] is True
        assert DEFAULT_TAG in user_tags(run)
        assert any('passed because on_inconclusive = "pass"' in line for line in result.outlines)
