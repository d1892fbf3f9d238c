"""The third outcome in the checks: a bound that says the data cannot decide makes its
check *inconclusive* (with the reason), which fails by default and passes only with
``on_inconclusive = "pass"``; a defect (a NaN score) fails under both."""

from dataclasses import replace

import numpy as np
import pytest

from modelgate import FloorCheck, MarginCheck, stats
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import Evaluation, evaluate
from modelgate.verdict import Verdict

Y = np.array([0, 1] * 15)
SCORES = np.linspace(0.05, 0.95, 30)
ONE_POSITIVE = np.r_[np.zeros(29, int), 1]


def evidence(labels, candidate, on_inconclusive="fail"):
    labels = np.asarray(labels)
    return Evaluation(
        labels=labels,
        candidate=np.asarray(candidate, float),
        baselines={"majority": np.full(len(labels), float(round(labels.mean())) if len(labels) else 0.0)},
        on_inconclusive=on_inconclusive,
    )


THIN = [
    # (check, labels, scores, the reason the stats layer gives)
    (MarginCheck("roc_auc", margin=0.0), ONE_POSITIVE, SCORES, "DeLong variance needs at least 2 positives"),
    (FloorCheck("roc_auc", at_least=0.6), np.zeros(30, int), SCORES, "y_true has a single class"),
    (FloorCheck("log_loss", at_most=0.9), [1], [0.7], "a confidence bound needs at least 2 rows"),
    (MarginCheck("f1", margin=0.0, n_resamples=200), ONE_POSITIVE, SCORES, ""),
]


@pytest.mark.parametrize(("check", "labels", "scores", "why"), THIN, ids=[thin[0].name for thin in THIN])
def test_thin_data_is_inconclusive_fails_by_default_and_passes_only_when_allowed(check, labels, scores, why):
    failed = check.evaluate(evidence(labels, scores))
    assert (failed.passed, failed.inconclusive, failed.outcome) == (False, True, "inconclusive"), failed.message
    assert failed.message.startswith(f"INCONCLUSIVE: {why}") and failed.reason and why in failed.reason
    assert "FAIL" not in failed.message and 'the check fails (on_inconclusive = "fail"' in failed.message
    passed = check.evaluate(evidence(labels, scores, on_inconclusive="pass"))
    assert (passed.passed, passed.inconclusive, passed.outcome) == (True, True, "inconclusive")
    assert passed.message.endswith('the check passed because on_inconclusive = "pass"')
    assert passed.reason == failed.reason
    assert Verdict([failed]).status == "fail" and Verdict([passed]).status == "pass"


@pytest.mark.parametrize("on_inconclusive", ["fail", "pass"])
def test_a_nan_score_is_a_defect_and_fails_under_both(on_inconclusive):
    nan = np.where(np.arange(30) == 4, np.nan, SCORES)
    for check in (MarginCheck("roc_auc", margin=-1.0), FloorCheck("roc_auc", at_least=0.0)):
        result = check.evaluate(evidence(Y, nan, on_inconclusive))
        assert (result.passed, result.inconclusive, result.outcome) == (False, False, "fail"), result.message
        assert "nothing undefined passes" in result.message and result.reason


def test_a_conclusive_check_is_untouched_by_on_inconclusive():
    for on_inconclusive in ("fail", "pass"):
        result = FloorCheck("roc_auc", at_least=0.99).evaluate(evidence(Y, SCORES, on_inconclusive))
        assert (result.passed, result.inconclusive, result.reason, result.outcome) == (False, False, None, "fail")


@pytest.mark.parametrize("on_inconclusive, passes", [("fail", False), ("pass", True)])
def test_any_bound_that_says_inconclusive_is_carried_even_a_finite_one(monkeypatch, on_inconclusive, passes):
    """Later rules (a tail diagnostic, zero variance) may say inconclusive beside a finite
    bound that would clear: the check follows inconclusive, not the number."""
    ev = evidence(Y, SCORES, on_inconclusive)
    margin, floor = MarginCheck("roc_auc", margin=-1.0), FloorCheck("roc_auc", at_least=0.0)
    why = "the tails are too heavy for 30 rows"
    monkeypatch.setattr(
        MarginCheck,
        "bound",
        lambda self, e: replace(
            stats.delong_auc_difference(Y, SCORES, e.baselines["majority"]), inconclusive=True, reason=why
        ),
    )
    monkeypatch.setattr(
        FloorCheck,
        "bound",
        lambda self, e: replace(stats.auc_bound(Y, SCORES, floor=0.0), inconclusive=True, reason=why),
    )
    for check in (margin, floor):
        result = check.evaluate(ev)
        assert (result.passed, result.inconclusive, result.reason) == (passes, True, why)
        assert result.message.startswith(f"INCONCLUSIVE: {why}; roc_auc: candidate 0.")


def test_on_inconclusive_reaches_the_checks_through_evaluate_and_is_validated():
    thin = evaluate(lambda rows: SCORES[: len(rows)], ["t"] * 30, ONE_POSITIVE, on_inconclusive="pass")
    assert thin.on_inconclusive == "pass"
    assert MarginCheck("roc_auc", margin=0.0).evaluate(thin).passed is True
    assert Evaluation(labels=Y, candidate=SCORES).on_inconclusive == "fail"
    with pytest.raises(GateUsageError, match='on_inconclusive: expected "fail" or "pass", got \'warn\''):
        Evaluation(labels=Y, candidate=SCORES, on_inconclusive="warn")


@pytest.mark.parametrize("metric", ["roc_auc", "log_loss", "brier", "f1", "accuracy"])
def test_the_same_model_twice_is_an_exact_tie_not_inconclusive(metric):
    """A model retrained with the same seed gives the champion's scores bit for bit: the
    difference is exactly 0, so a non-inferiority margin passes (and 0 is not above 0)."""
    import modelgate
    from modelgate.checks import MarginCheck

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    scores = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.2, 200), 0.01, 0.99)
    evaluation = modelgate.evaluate(lambda rows: scores, list(range(200)), y, {"old": scores.copy()}, task="binary")
    tie = MarginCheck(metric, baseline="old", margin=-0.02, n_resamples=200).evaluate(evaluation)
    assert tie.passed and not tie.inconclusive, tie.message
    assert tie.estimate == 0.0
    assert not MarginCheck(metric, baseline="old", margin=0.0, n_resamples=200).evaluate(evaluation).passed
