"""Empirical-Bernstein bounds need per-row values in [0, 1]. Scores that are not
probabilities (logits, or a regression-style output) give Brier rows above 1: that is
a defect of the scores, which must FAIL the check with a one-line reason, not raise a
ValueError out of the check (a traceback in the pytest item, a crashed in-flow gate)."""

from __future__ import annotations

import numpy as np

import modelgate
from modelgate.checks import MarginCheck
from modelgate.checks.floors import FloorCheck
from modelgate.stats.bernstein import bernstein_bound, bernstein_difference

RNG = np.random.default_rng(0)
LABELS = RNG.integers(0, 2, 100)
LOGITS = RNG.normal(0.0, 2.0, 100)  # not probabilities: (y - s)^2 reaches 20


def test_values_outside_the_unit_interval_are_an_undefined_bound():
    rows = (LABELS - LOGITS) ** 2
    one = bernstein_bound(rows, side="upper", floor=0.3)
    assert not one.defined and not one.inconclusive
    assert "outside [0, 1]" in one.reason
    two = bernstein_difference(rows, np.full(100, 0.25))
    assert not two.defined and not two.inconclusive
    assert "outside [0, 1]" in two.reason


def test_a_bernstein_brier_check_on_logits_fails_with_a_reason():
    evaluation = modelgate.evaluate(lambda rows: LOGITS, list(range(100)), LABELS, task="binary")
    floor = FloorCheck("brier", at_most=0.3, method="bernstein").evaluate(evaluation)
    margin = MarginCheck("brier", baseline="majority", margin=-0.5, method="bernstein").evaluate(evaluation)
    for result in (floor, margin):
        assert not result.passed and result.outcome == "fail"
        assert "outside [0, 1]" in result.message
