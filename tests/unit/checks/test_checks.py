"""The margin rule on hand-made evaluations: no model, no Metaflow."""

import math
import re

import numpy as np
import pytest

from modelgate import MarginCheck
from modelgate.evidence.evaluation import Evaluation, evaluate

rng = np.random.default_rng(0)
LABELS = (rng.random(400) < 0.7).astype(int)
GOOD = np.clip(LABELS * 0.4 + rng.random(400) * 0.6, 0, 1)  # informative scores


def ev(candidate, baselines=None, **extra):
    return Evaluation(
        labels=LABELS,
        candidate=np.asarray(candidate, float),
        baselines={"majority": np.ones(400), **(baselines or {})},
        **extra,
    )


def test_margin_is_strict_on_the_point_estimate():
    # majority AUC is 0.5: a margin equal to the estimated gain must fail, just below must pass
    result = MarginCheck("roc_auc", margin=0.0, confidence=None).evaluate(ev(GOOD))
    gain = result.estimate
    assert MarginCheck("roc_auc", margin=gain, confidence=None).evaluate(ev(GOOD)).passed is False
    assert MarginCheck("roc_auc", margin=gain - 1e-9, confidence=None).evaluate(ev(GOOD)).passed is True


def test_the_confidence_bound_is_below_the_estimate_and_decides():
    result = MarginCheck("roc_auc", margin=0.0).evaluate(ev(GOOD))
    assert result.lower < result.estimate and result.method == "DeLong"
    between = (result.lower + result.estimate) / 2
    assert MarginCheck("roc_auc", margin=between).evaluate(ev(GOOD)).passed is False  # point rule would pass
    assert MarginCheck("roc_auc", margin=between, confidence=None).evaluate(ev(GOOD)).passed is True


def test_lower_is_better_metrics_flip_the_sign():
    worse = np.clip(GOOD * 0.5 + 0.25, 0, 1)
    result = MarginCheck("log_loss", baseline="worse", margin=0.0, confidence=None).evaluate(ev(GOOD, {"worse": worse}))
    assert result.candidate_value < result.baseline_value  # lower log loss is better
    assert result.estimate == pytest.approx(result.baseline_value - result.candidate_value)
    assert result.passed is True


def test_non_inferiority_allows_a_small_loss():
    # the candidate is the baseline's scores with noise added: it really loses a little AUC
    slightly_worse = np.clip(GOOD + np.random.default_rng(1).normal(0, 0.1, 400), 0, 1)
    evaluation = ev(slightly_worse, {"other": GOOD})
    result = MarginCheck("roc_auc", baseline="other", margin=-0.05).evaluate(evaluation)
    assert result.candidate_value < result.baseline_value
    assert -0.05 < result.lower < result.estimate < 0  # a real loss, and surely less than 0.05
    assert result.passed is True
    # the same loss fails where no loss is allowed, or a smaller one than it may be
    assert MarginCheck("roc_auc", baseline="other", margin=0.0).evaluate(evaluation).passed is False
    assert MarginCheck("roc_auc", baseline="other", margin=-0.01).evaluate(evaluation).passed is False


def test_relative_margin_is_a_share_of_the_baseline():
    result = MarginCheck("accuracy", margin=0.05, relative=True, confidence=None).evaluate(ev(GOOD))
    c, b = result.candidate_value, result.baseline_value
    assert result.estimate == pytest.approx((c - b) / b)


def test_undefined_fails_with_the_reason():
    single_class = Evaluation(
        labels=np.ones(50, int), candidate=np.linspace(0, 1, 50), baselines={"majority": np.ones(50)}
    )
    result = MarginCheck("roc_auc", margin=-1.0).evaluate(single_class)
    # Too thin to decide: inconclusive, which fails by default (never "FAIL" wording).
    assert result.passed is False and result.inconclusive and result.outcome == "inconclusive"
    assert result.message.startswith("INCONCLUSIVE: y_true has a single class")
    assert "FAIL" not in result.message and result.reason == "y_true has a single class: AUC is undefined"


def test_nan_scores_fail():
    scores = GOOD.copy()
    scores[3] = math.nan
    result = MarginCheck("roc_auc", margin=-1.0).evaluate(ev(scores))
    assert result.passed is False and "nothing undefined passes" in result.message


def test_absent_champion_passes_by_default_and_fails_when_required():
    reason = "no champion yet: no other successful run of F carries the tag 't'"
    absent = ev(GOOD, absent={"champion": reason})
    check = MarginCheck("roc_auc", baseline="champion", margin=-0.02)
    passed = check.evaluate(absent)
    assert passed.passed is True and reason in passed.message and "passes by default" in passed.message
    required = check.evaluate(ev(GOOD, absent={"champion": reason}, require_baselines=True))
    assert required.passed is False and "--gate-require-champion" in required.message


def test_messages_name_what_was_measured_against_what_with_which_margin():
    result = MarginCheck("roc_auc", margin=0.9).evaluate(ev(GOOD))
    assert result.message.startswith("roc_auc: candidate 0.")
    assert "vs majority 0.5000 on 400 rows" in result.message
    assert "95% lower bound" in result.message and "(DeLong, p=" in result.message
    assert result.message.endswith("is not above the margin +0.9000")


def test_evaluate_scores_the_candidate_once_and_baselines_lazily():
    calls = []

    def candidate(texts):
        calls.append("candidate")
        return np.full(len(texts), 0.5)

    def other(texts):
        calls.append("other")
        return np.zeros(len(texts))

    e = evaluate(candidate, ["a", "b"], [0, 1], {"other": other})
    assert calls == ["candidate"]
    e.scores("other")
    e.scores("other")
    assert calls == ["candidate", "other"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metric": "aucc"}, "unknown metric 'aucc'"),
        ({"metric": "accuracy", "method": "delong"}, "applies to roc_auc only"),
        ({"metric": "roc_auc", "confidence": 1.0}, "confidence must be in [0.5, 1)"),
        ({"metric": "roc_auc", "margin": math.inf}, "margin must be a finite number"),
        ({"metric": "roc_auc", "baseline": "candidate"}, "not with itself"),
    ],
)
def test_bad_checks_are_refused_when_built(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        MarginCheck(**kwargs)


@pytest.mark.parametrize("metric", ["log_loss", "brier"])
def test_a_no_skill_model_does_not_beat_the_majority_prior_on_probability_metrics(metric):
    # The majority baseline is the class prior as a probability: a model that gives
    # every row the same score has no skill, and must not beat it by a margin. (A hard
    # 0/1 baseline had the worst log loss there is, so such checks could not fail.)
    no_skill = lambda texts: np.full(len(texts), 0.5)  # noqa: E731
    evidence = evaluate(no_skill, [str(i) for i in range(400)], LABELS)
    result = MarginCheck(metric, margin=0.05, n_resamples=200).evaluate(evidence)
    assert result.passed is False and result.estimate < 0.05
    # ... while a model with skill does beat it (on the same rows, the same rule).
    skilled = evaluate(lambda texts: np.where(LABELS == 1, 0.9, 0.2), [str(i) for i in range(400)], LABELS)
    assert MarginCheck(metric, margin=0.05, n_resamples=200).evaluate(skilled).passed is True


def test_the_majority_prior_keeps_the_majority_class_accuracy_and_auc():
    from modelgate.evidence.evaluation import majority_class, majority_scores
    from modelgate.metrics import accuracy, roc_auc

    prior = majority_scores(LABELS)
    assert np.all(prior == LABELS.mean())
    hard = np.full(len(LABELS), float(majority_class(LABELS)))
    assert accuracy(LABELS, prior) == accuracy(LABELS, hard) == pytest.approx(LABELS.mean())
    assert roc_auc(LABELS, prior) == roc_auc(LABELS, hard) == 0.5


def test_an_accuracy_check_with_a_nan_score_fails_with_the_reason():
    scores = GOOD.copy()
    scores[3] = np.nan  # thresholding would quietly call it a 0
    result = MarginCheck("accuracy", margin=-0.5).evaluate(ev(scores))
    assert result.passed is False
    assert "a score is NaN or infinite, so its predicted label is undefined" in result.message
