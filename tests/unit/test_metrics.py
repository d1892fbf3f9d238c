"""modelgate.metrics as plain functions: each metric against scikit-learn, NaN where undefined,
directions, and the registry's messages. No model, no Metaflow."""

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from modelgate import metrics as M

Y = np.array([0, 1, 1, 0, 1, 1, 0, 1, 0, 1])
P = np.array([0.1, 0.9, 0.6, 0.4, 0.35, 0.8, 0.7, 0.55, 0.2, 0.5])  # 0.5 exactly: predicted 0
PREDICTED = np.array([0, 1, 1, 0, 0, 1, 1, 1, 0, 0])

REFERENCE = {
    "roc_auc": lambda y, p: skm.roc_auc_score(y, p),
    "accuracy": lambda y, p: skm.accuracy_score(y, PREDICTED),
    "f1": lambda y, p: skm.f1_score(y, PREDICTED),
    "log_loss": lambda y, p: skm.log_loss(y, p),
    "brier": lambda y, p: skm.brier_score_loss(y, p),
}


def test_labels_are_the_scores_strictly_above_one_half():
    assert M.predicted_labels(P).tolist() == PREDICTED.tolist()
    assert M.predicted_labels([0.5, 0.5000001, 0.0, 1.0]).tolist() == [0, 1, 0, 1]
    assert M.predicted_labels([0.3, 0.7], threshold=0.2).tolist() == [1, 1]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_each_metric_equals_scikit_learn(name):
    value = M.get_metric(name)(Y, P)
    assert isinstance(value, float)
    assert value == pytest.approx(REFERENCE[name](Y, P), abs=1e-12)


def test_the_hand_computed_values():
    # 4 of 6 positives above 0.5, 3 of 4 negatives below: accuracy 7/10; precision 4/5, recall 4/6
    assert M.accuracy(Y, P) == pytest.approx(0.7)
    assert M.f1(Y, P) == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))
    assert M.brier([1, 0], [0.75, 0.25]) == pytest.approx(0.0625)
    assert M.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_log_loss_clips_certain_mistakes_and_knows_both_classes():
    # a score of exactly 0 for a positive would be infinite: clipped to 1e-15
    assert M.log_loss([1, 0], [0.0, 0.0]) == pytest.approx(-math.log(1e-15) / 2)
    # one class in the labels is fine: the classes are 0 and 1 whatever the data holds
    assert M.log_loss([1, 1, 1], [0.9, 0.8, 0.7]) == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.7])))


def test_f1_is_zero_when_nothing_is_predicted_positive():
    assert M.f1([0, 1, 1], [0.1, 0.2, 0.3]) == 0.0


@pytest.mark.parametrize("name", sorted(REFERENCE))
@pytest.mark.parametrize(
    "y, p",
    [
        ([], []),
        ([0, 1, 1], [0.2, math.nan, 0.9]),
        ([0, 1, 1], [0.2, math.inf, 0.9]),
        ([0, 1, 1], [0.2, -math.inf, 0.9]),
    ],
    ids=["empty", "nan", "inf", "minus-inf"],
)
def test_undefined_input_gives_nan_not_an_exception(name, y, p):
    assert math.isnan(M.get_metric(name)(y, p))


def test_auc_of_a_single_class_is_nan():
    assert math.isnan(M.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(M.roc_auc([0, 0], [0.2, 0.5]))
    # the label metrics are defined on one class
    assert M.accuracy([1, 1, 1], [0.2, 0.6, 0.9]) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "name, higher_is_better, method",
    [
        ("roc_auc", True, "delong"),
        ("accuracy", True, "mcnemar"),
        ("f1", True, "bootstrap"),
        ("log_loss", False, "paired-loss"),
        ("brier", False, "paired-loss"),
    ],
)
def test_directions_and_default_bounds(name, higher_is_better, method):
    metric = M.get_metric(name)
    assert metric.name == name
    assert metric.higher_is_better is higher_is_better
    assert metric.method == method
    assert "binary" in metric.tasks
    assert (metric.row_loss is not None) is (method == "paired-loss")


@pytest.mark.parametrize("name", ["log_loss", "brier"])
def test_a_mean_of_row_losses_is_the_metric(name):
    metric = M.get_metric(name)
    rows = metric.row_loss(Y, P)
    assert rows.shape == Y.shape and np.all(rows >= 0)
    assert rows.mean() == pytest.approx(metric(Y, P), abs=1e-12)
    with_nan = metric.row_loss(Y, np.where(np.arange(len(P)) == 3, math.nan, P))
    assert np.isnan(with_nan).tolist() == [i == 3 for i in range(len(P))]  # only the NaN row


def test_the_better_model_scores_better_in_each_direction():
    good = np.where(Y == 1, 0.8, 0.2)
    for name in REFERENCE:
        metric = M.get_metric(name)
        better, worse = (metric(Y, good), metric(Y, P)) if metric.higher_is_better else (metric(Y, P), metric(Y, good))
        assert better > worse, name


def test_the_registry_holds_exactly_the_documented_metrics():
    assert sorted(M.METRICS) == [
        "accuracy",
        "brier",
        "f1",
        "log_loss",
        "macro_f1",
        "mae",
        "median_ae",
        "p90_ae",
        "r2",
        "rmse",
        "roc_auc",
        "roc_auc_ovr",
    ]


def test_an_unknown_metric_names_the_known_ones():
    with pytest.raises(ValueError) as info:
        M.get_metric("aucc")
    assert str(info.value) == (
        "unknown metric 'aucc'; known metrics: accuracy, brier, f1, log_loss, macro_f1, mae, median_ae, p90_ae, "
        "r2, rmse, roc_auc, roc_auc_ovr"
    )


def test_registering_a_metric():
    precision = M.Metric(
        "precision", lambda y, p: float(skm.precision_score(y, M.predicted_labels(p))), higher_is_better=True
    )
    try:
        assert M.register_metric(precision) is precision
        assert M.get_metric("precision") is precision
        assert precision(Y, P) == pytest.approx(0.8)
    finally:
        M.METRICS.pop("precision", None)
    assert "precision" not in M.METRICS
    with pytest.raises(ValueError) as info:
        M.register_metric(M.Metric("roc_auc", M.roc_auc, higher_is_better=True))
    assert str(info.value) == "a metric named 'roc_auc' is registered already"
    assert M.get_metric("roc_auc").function is M.roc_auc
