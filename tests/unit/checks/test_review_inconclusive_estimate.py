"""An inconclusive check is one the data cannot decide. When the estimate itself is on
the wrong side of the floor or margin, the data have decided: no bound (never beyond
the estimate) could clear it on these rows, so the check FAILS, even under
``on_inconclusive = "pass"`` (as a no-skill model equal to the baseline on every
resample does). Too few rows must not let a far worse model through."""

from __future__ import annotations

import numpy as np
import pytest

import modelgate
from modelgate.checks import MarginCheck
from modelgate.checks.floors import FloorCheck


def _evaluation(scores, labels, task, baselines=None):
    rows = list(range(len(labels)))
    return modelgate.evaluate(lambda r: scores, rows, labels, baselines, task=task, on_inconclusive="pass")


@pytest.mark.parametrize(
    ("check", "scores", "labels", "task"),
    [
        # 4 rows: below the 5 an exact median bound needs; median error 101.5
        (FloorCheck("median_ae", at_most=1.0), 100.0 + np.arange(4.0), np.zeros(4), "regression"),
        # 20 rows: below the 29 of a p90 bound; p90 error 117
        (FloorCheck("p90_ae", at_most=1.0), 100.0 + np.arange(20.0), np.zeros(20), "regression"),
        # one row, wrong: accuracy 0 against a floor of 0.9
        (FloorCheck("accuracy", at_least=0.9, method="bernstein"), np.array([0.9]), np.array([0]), "binary"),
        # one row: Brier 0.81 against at_most 0.1
        (FloorCheck("brier", at_most=0.1), np.array([0.9]), np.array([0]), "binary"),
    ],
)
def test_a_floor_whose_estimate_fails_is_a_fail_even_when_thin(check, scores, labels, task):
    result = check.evaluate(_evaluation(scores, labels, task))
    assert not result.passed, result.message
    assert not result.inconclusive
    assert result.outcome == "fail"


def test_a_margin_whose_estimate_fails_is_a_fail_even_when_thin():
    labels = np.zeros(20)
    worse, old = 100.0 + np.arange(20.0), 0.01 * np.arange(20.0)
    evaluation = _evaluation(worse, labels, "regression", {"old": old})
    result = MarginCheck("p90_ae", baseline="old", margin=0.0).evaluate(evaluation)
    assert not result.passed, result.message
    assert result.outcome == "fail"


def test_a_thin_floor_whose_estimate_clears_stays_inconclusive():
    """The data cannot decide either way: on_inconclusive does (here "pass")."""
    result = FloorCheck("median_ae", at_most=1.0).evaluate(_evaluation(0.1 * np.arange(4.0), np.zeros(4), "regression"))
    assert result.passed and result.inconclusive and result.outcome == "inconclusive"
    assert "needs at least 5 rows, not 4" in result.message


def test_an_undefined_estimate_stays_inconclusive():
    """One class: no AUC at all, so nothing is decided by the estimate."""
    labels, scores = np.zeros(6, dtype=int), np.linspace(0.1, 0.6, 6)
    result = FloorCheck("roc_auc", at_least=0.6).evaluate(_evaluation(scores, labels, "binary"))
    assert result.inconclusive and result.passed
