"""Which undefined bounds say "inconclusive" (the data are too thin to decide) and
which stay defects (a NaN score): a check passes an inconclusive bound only when
the user asked for it, and a defect never."""

from __future__ import annotations

import numpy as np
import pytest

from modelgate import stats

Y = np.array([0, 1, 0, 1, 0, 1, 1, 0])
C = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.6, 0.4])
B = np.array([0.4, 0.6, 0.3, 0.7, 0.5, 0.5, 0.45, 0.55])
NAN = np.where(np.arange(8) == 2, np.nan, C)
ONE_POSITIVE = np.array([0, 0, 0, 0, 0, 0, 0, 1])


@pytest.mark.parametrize(
    ("bound", "inconclusive"),
    [
        (lambda: stats.delong_auc_difference(ONE_POSITIVE, C, B), True),
        (lambda: stats.auc_bound(ONE_POSITIVE, C, floor=0.5), True),
        (lambda: stats.delong_auc_difference(np.zeros(8), C, B), True),
        (lambda: stats.auc_bound(Y[:0], C[:0], floor=0.5), True),
        (lambda: stats.paired_bootstrap_difference("f1", ONE_POSITIVE, C, B, n_resamples=200), True),
        (lambda: stats.mean_loss_bound([0.3], floor=0.5), True),
        (lambda: stats.mean_loss_bound([], floor=0.5), True),
        (lambda: stats.paired_loss_difference([0.1], [0.2]), True),
        (lambda: stats.delta_bound(0.5, [0.1]), True),
        (lambda: stats.accuracy_bound(Y[:0], Y[:0]), True),
        (
            lambda: stats.task_bootstrap_difference(
                "accuracy", "multiclass", [0, 0, 1, 1, 2], np.eye(3)[[0, 0, 1, 1, 2]], np.eye(3)[[0, 1, 1, 0, 2]]
            ),
            True,
        ),
        # Defects fail whatever the user allows for thin data.
        (lambda: stats.delong_auc_difference(Y, NAN, B), False),
        (lambda: stats.auc_bound(Y, NAN, floor=0.5), False),
        (lambda: stats.paired_bootstrap_difference("f1", Y, NAN, B, n_resamples=200), False),
        (lambda: stats.mean_loss_bound([0.1, np.nan, 0.2], floor=0.5), False),
        (lambda: stats.paired_loss_difference([0.1, np.inf], [0.2, 0.3]), False),
        (
            lambda: stats.task_bootstrap_difference("rmse", "regression", [1.0, 2.0, 3.0], [1, np.nan, 3], [1, 2, 2]),
            False,
        ),
    ],
)
def test_an_undefined_bound_is_inconclusive_only_when_the_data_are_too_thin(bound, inconclusive):
    result = bound()
    assert not result.defined, result
    assert result.reason
    assert result.inconclusive is inconclusive, result.reason


def test_a_defined_bound_is_never_inconclusive():
    assert not stats.delong_auc_difference(Y, C, B).inconclusive
    assert not stats.mean_loss_bound([0.1, 0.2, 0.3], floor=0.5).inconclusive


def test_a_percentile_lower_bound_is_never_above_the_estimate():
    from modelgate.stats.bounds import one_sample_percentile_bound, percentile_bound

    # Resamples all above the estimate (a biased or skewed resampling distribution).
    draws = np.linspace(0.31, 0.5, 200)
    assert percentile_bound(draws, 0.3, 0.0, "paired bootstrap", 0.95, 50, 0.8, 0.5).lower == 0.3
    assert one_sample_percentile_bound(draws, 0.3, "lower", 0.2, "bootstrap", 0.95, 50).bound == 0.3
    assert one_sample_percentile_bound(draws[::-1] - 0.3, 0.3, "upper", 0.4, "bootstrap", 0.95, 50).bound == 0.3


@pytest.mark.parametrize("n", [4, 10, 16, 30])
def test_a_perfectly_separating_candidate_is_not_certain(n):
    """DeLong's variance is 0 when the candidate separates the classes: the margin's bound
    once equalled the estimate (p = 0), so 4 separated rows passed a 0.45 margin."""
    y = np.array([0, 1] * (n // 2))
    candidate, constant = y * 0.8 + 0.1, np.full(n, 0.5)
    bound = stats.delong_auc_difference(y, candidate, constant, margin=0.45)
    assert bound.estimate == 0.5
    assert bound.lower < bound.estimate and bound.p_value > 0
    assert bound.method == "max-variance (Bonferroni)"
    # The bound is the candidate's one-sample bound at 97.5% (the constant's AUC is exact).
    alone = stats.auc_bound(y, candidate, confidence=0.975)
    assert bound.lower == pytest.approx(alone.bound - 0.5)
    # The p-value is dual to the bound: it clears a margin exactly when p < 0.05.
    for margin in np.linspace(-0.4, 0.45, 18):
        b = stats.delong_auc_difference(y, candidate, constant, margin=float(margin))
        assert (b.lower > margin) == (b.p_value < 0.05), (margin, b)
    if n == 4:
        assert not bound.lower > 0.45


def test_both_models_separating_is_no_proof_of_a_tie():
    y = np.array([0, 1] * 8)
    bound = stats.delong_auc_difference(y, y * 0.9, y * 0.5 + 0.2, margin=-0.05)
    assert bound.estimate == 0.0
    assert bound.lower < -0.05  # not "certainly within 0.05"


def test_no_spread_with_an_estimate_that_does_not_clear_is_a_plain_fail():
    """Inconclusive is for a bound that would claim something; an estimate at or below the
    margin claims nothing, so a no-skill model stays a FAIL even under on_inconclusive = "pass"."""
    from modelgate.stats.bounds import one_sample_percentile_bound, percentile_bound

    flat = np.zeros(200)
    tie = percentile_bound(flat, 0.0, 0.0, "paired bootstrap", 0.95, 50, 0.4, 0.4)
    assert tie.defined and not tie.inconclusive and not tie.lower > 0.0 and tie.p_value == 1.0
    assert percentile_bound(flat + 0.1, 0.1, 0.0, "paired bootstrap", 0.95, 50, 0.5, 0.4).inconclusive
    low = one_sample_percentile_bound(flat + 0.6, 0.6, "lower", 0.7, "bootstrap", 0.95, 50)
    assert low.defined and not low.inconclusive and not low.clears(0.7)
    assert one_sample_percentile_bound(flat + 0.8, 0.8, "lower", 0.7, "bootstrap", 0.95, 50).inconclusive
    high = stats.mean_loss_bound(np.full(10, 0.5), side="upper", floor=0.3)
    assert high.defined and not high.inconclusive and not high.clears(0.3)
    worse = stats.paired_loss_difference(np.full(10, 0.5), np.full(10, 0.25))  # candidate worse everywhere
    assert worse.defined and not worse.inconclusive and not worse.lower > 0.0
