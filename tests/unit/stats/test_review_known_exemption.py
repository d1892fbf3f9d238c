"""The "known" exemption of no spread: scores (or per-row losses, or influences) equal
to the baseline's on every row of the sample are taken as an exact difference of 0.
That holds for the same model, not for a different one that happens to agree on the
sample. Two hard classifiers that disagree on 4% of the population (the candidate
wrong on each, so 4 points worse) agree on all 30 rows in 0.96^30 = 29% of samples;
a non-inferiority margin of -0.03 (which the candidate truly misses) then passes with
a lower bound of exactly 0. At the nominal 5%, a candidate beyond the margin must pass
at most about 5% of the time; here it passes about 30%. Newcombe's accuracy bound
(0 discordant rows still has width) shows the rate a valid rule gives."""

from __future__ import annotations

import numpy as np
import pytest

import modelgate
from modelgate.checks import MarginCheck

N, TRIALS, MARGIN = 30, 200, -0.03


def _false_pass_rate(metric: str, method: str | None) -> float:
    rng = np.random.default_rng(5)
    passes = 0
    for _ in range(TRIALS):
        y = rng.integers(0, 2, N)
        baseline_right = rng.uniform(size=N) < 0.8
        # the candidate is also wrong on 5% of the baseline's right rows: 4 points worse
        candidate_right = baseline_right & ~(rng.uniform(size=N) < 0.05)
        old = np.where(baseline_right, y, 1 - y).astype(float)
        new = np.where(candidate_right, y, 1 - y).astype(float)
        evaluation = modelgate.evaluate(lambda rows, s=new: s, list(range(N)), y, {"old": old}, task="binary")
        options = {"method": method} if method else {}
        passes += MarginCheck(metric, baseline="old", margin=MARGIN, **options).evaluate(evaluation).passed
    return passes / TRIALS


def test_newcombe_holds_where_zero_discordant_rows_are_no_certainty():
    assert _false_pass_rate("accuracy", None) <= 0.10


@pytest.mark.parametrize(
    ("metric", "method"),
    [
        ("brier", None),  # paired-loss normal: every loss difference 0, variance 0
        ("f1", None),  # paired bootstrap: known = the scores are equal
        ("roc_auc", None),  # DeLong: the same ranks, variance 0
        pytest.param("accuracy", "bootstrap", marks=pytest.mark.slow),
    ],
)
def test_a_worse_candidate_that_agrees_on_the_sample_is_no_exact_tie(metric, method):
    assert _false_pass_rate(metric, method) <= 0.10
