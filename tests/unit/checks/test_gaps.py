"""Group gaps: the spread of a metric between the best and the worst slice of a column,
decided on a simultaneous (Bonferroni) bound over the slices."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from modelgate.checks import GapCheck, SliceSpec
from modelgate.config import parse_table
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import Evaluation
from modelgate.runner import GateRunner


def two_groups(n=2000, acc_a=0.9, acc_b=0.8, share_b=0.4, seed=0):
    """Hard 0/1 predictions right with probability acc_a on group "a" and acc_b on group "b"."""
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < share_b, "b", "a")
    y = (rng.random(n) < 0.5).astype(int)
    right = rng.random(n) < np.where(group == "a", acc_a, acc_b)
    scores = np.where(right, y, 1 - y).astype(float)
    frame = pd.DataFrame({"group": group})
    return Evaluation(labels=y, candidate=scores, frame=frame), group, y, right


def test_the_gap_bound_is_the_widest_simultaneous_interval_difference():
    evidence, group, _, right = two_groups()
    check = GapCheck("accuracy", max_gap=0.25, slices=SliceSpec(column="group"))
    result = check.evaluate(evidence)
    acc = {g: right[group == g].mean() for g in ("a", "b")}
    assert result.estimate == pytest.approx(acc["a"] - acc["b"])
    # By hand: each group's two-sided Clopper-Pearson interval at 1 - 0.05 / 2 per side and group.
    level = 1 - 0.05 / 4
    bounds = {}
    for g in ("a", "b"):
        k, n = int(right[group == g].sum()), int((group == g).sum())
        bounds[g] = (sps.beta.ppf(1 - level, k, n - k + 1), sps.beta.ppf(level, k + 1, n - k))
    assert result.lower == pytest.approx(max(b[1] for b in bounds.values()) - min(b[0] for b in bounds.values()))
    assert result.passed and result.group == "gap" and "Bonferroni over 2 slices, Clopper-Pearson" in result.message
    above = round(result.estimate + 0.01, 4)
    tight = GapCheck("accuracy", max_gap=above, slices=SliceSpec(column="group")).evaluate(evidence)
    assert not tight.passed and tight.estimate < above  # the estimate is under, the bound is not


def test_a_true_gap_at_max_gap_passes_at_most_five_percent_of_the_time():
    check = GapCheck("accuracy", max_gap=0.1, slices=SliceSpec(column="group"))
    passed = [check.evaluate(two_groups(n=600, seed=s)[0]).passed for s in range(200)]
    assert np.mean(passed) <= 0.05


def test_thin_slices_absent_values_and_bad_tables():
    evidence, *_ = two_groups(n=300, share_b=0.05)
    thin = GapCheck("accuracy", max_gap=0.5, slices=SliceSpec(column="group", min_rows=30)).evaluate(evidence)
    assert thin.inconclusive and not thin.passed and "fewer than min_rows = 30" in thin.reason
    absent = GapCheck("accuracy", max_gap=0.5, slices=SliceSpec(column="group", values=("a", "c"))).evaluate(evidence)
    assert not absent.passed and not absent.inconclusive and "the slice group=c has no row" in absent.message
    one = GapCheck("accuracy", max_gap=0.5, slices=SliceSpec(column="group", values=("a",))).evaluate(evidence)
    assert one.inconclusive and "at least 2 slices" in one.reason
    for table, message in [
        ({"metric": "accuracy", "column": "group"}, "gaps[0]: missing key 'max_gap'"),
        ({"metric": "accuracy", "column": "group", "max_gap": 0}, "gaps[0].max_gap: must be a number > 0"),
        (
            {"metric": "accuracy", "column": "group", "max_gap": 0.1, "bins": [2, 1]},
            "gaps[0].bins: the edges must be increasing",
        ),
        ({"metric": "accuracy", "max_gap": 0.1}, "give a column (its values, or bins) or text_length = true"),
        ({"metric": "accuracy", "column": "group", "max_gap": 0.1, "checks": ["x"]}, "gaps[0]: unknown key 'checks'"),
    ]:
        with pytest.raises(GateUsageError) as caught:
            parse_table({"gaps": [table]})
        assert message in str(caught.value), str(caught.value)


def test_a_gap_on_a_metric_the_task_lacks_or_a_missing_column_is_bad_input():
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"x": np.arange(60.0), "y": np.arange(60.0) * 2, "g": ["a", "b"] * 30})
    model = LinearRegression().fit(frame[["x"]], frame["y"])
    config = parse_table(
        {"label_column": "y", "feature_columns": ["x"], "gaps": [{"metric": "accuracy", "column": "g", "max_gap": 0.1}]}
    )
    with pytest.raises(GateUsageError, match="accuracy"):
        GateRunner.for_run(config, None).evidence(model, frame)
    missing = parse_table(
        {"label_column": "y", "feature_columns": ["x"], "gaps": [{"metric": "mae", "column": "h", "max_gap": 0.1}]}
    )
    runner = GateRunner.for_run(missing, None)
    with pytest.raises(GateUsageError, match="no column 'h'"):  # before any check runs
        runner.evidence(model, frame)


# -- found by the hostile review ----------------------------------------------------------
def test_a_nan_score_fails_a_gap_even_when_inconclusive_passes():
    evidence, *_ = two_groups(n=400)
    scores = evidence.candidate.copy()
    scores[3] = np.nan
    broken = Evaluation(labels=evidence.labels, candidate=scores, frame=evidence.frame, on_inconclusive="pass")
    for metric in ("accuracy", "roc_auc", "brier"):
        result = GapCheck(metric, max_gap=0.5, slices=SliceSpec(column="group")).evaluate(broken)
        assert not result.passed and not result.inconclusive, result.message


def test_an_observed_gap_beyond_max_gap_fails_however_thin_the_slices():
    n = 1000
    group = np.where(np.arange(n) < 980, "a", "b")
    y = np.arange(n) % 2
    scores = np.where(group == "a", y, 1 - y).astype(float)  # right on a, wrong on every row of b (20 rows)
    evidence = Evaluation(labels=y, candidate=scores, frame=pd.DataFrame({"group": group}), on_inconclusive="pass")
    result = GapCheck("accuracy", max_gap=0.1, slices=SliceSpec(column="group")).evaluate(evidence)
    assert not result.passed and not result.inconclusive
    assert "the observed gap 1.0000 itself is not below max_gap 0.1" in result.message
    # Regression: a slice predicted exactly (no spread) with a gap already beyond max_gap.
    target = np.linspace(0, 10, 200)
    predicted = np.where(np.arange(200) < 100, target, target + 0.5)
    exact = Evaluation(
        labels=target,
        candidate=predicted,
        task="regression",
        frame=pd.DataFrame({"g": np.where(np.arange(200) < 100, "a", "b")}),
        on_inconclusive="pass",
    )
    for metric in ("mae", "rmse"):
        gap = GapCheck(metric, max_gap=0.3, slices=SliceSpec(column="g")).evaluate(exact)
        assert not gap.passed and not gap.inconclusive, gap.message


def test_a_bootstrap_gap_over_many_slices_gets_enough_resamples():
    rng = np.random.default_rng(0)
    n = 2500
    group = rng.integers(0, 5, n).astype(str)
    y = (rng.random(n) < 0.5).astype(int)
    scores = np.where(rng.random(n) < 0.9, y, 1 - y).astype(float)
    evidence = Evaluation(labels=y, candidate=scores, frame=pd.DataFrame({"g": group}))
    result = GapCheck("f1", max_gap=0.5, confidence=0.999, slices=SliceSpec(column="g")).evaluate(evidence)
    assert result.passed and "too few" not in result.message, result.message


def test_a_gap_built_in_code_names_itself_in_its_errors():
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    evidence = Evaluation(labels=np.array([0, 1]), candidate=np.array([0.1, 0.9]), frame=frame)
    with pytest.raises(GateUsageError, match=r"^GapCheck\(slices=...\).column: the validation data has no column 'g'"):
        GapCheck("accuracy", max_gap=0.1, slices=SliceSpec(column="g")).evaluate(evidence)
