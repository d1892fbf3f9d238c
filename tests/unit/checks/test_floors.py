"""Floors: ``at_least``/``at_most`` on one metric, judged on the
metric's own one-sided confidence bound, with no baseline.

Plain calls on in-memory evidence, except one end-to-end pytest session on the
shared TinyFlow run (the last test).
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special
from scipy import stats as sps
from sklearn.metrics import f1_score

from modelgate import metrics, stats
from modelgate.checks import MarginCheck
from modelgate.checks.floors import FloorCheck
from modelgate.config import GateConfig, merge, parse_check_option, parse_table
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import Evaluation
from modelgate.metrics import METRICS
from modelgate.report.render import verdict_markdown, verdict_table
from modelgate.runner import GateRunner
from modelgate.verdict import Verdict

Z95 = sps.norm.ppf(0.95)


def evidence(labels, scores) -> Evaluation:
    return Evaluation(labels=np.asarray(labels, dtype=int), candidate=np.asarray(scores, dtype=float))


def scored_rows(n=600, share=0.77, signal=1.5, seed=0):
    """0/1 labels and probabilities with some skill."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share).astype(int)
    return y, special.expit(rng.standard_normal(n) + signal * y - 0.5)


# -- parsing -------------------------------------------------------------------------
def test_a_checks_table_holds_margin_checks_and_floors_each_read_by_its_kind():
    config = parse_table(
        {
            "checks": [
                {"metric": "roc_auc", "margin": 0.1},
                {"metric": "roc_auc", "at_least": 0.85},
                {"metric": "log_loss", "at_most": 40.0, "confidence": "none"},
                {
                    "metric": "f1",
                    "at_least": 0.8,
                    "confidence": 0.9,
                    "method": "bootstrap",
                    "n_resamples": 500,
                    "seed": 3,
                    "name": "f1-floor",
                },
            ]
        }
    )
    assert [c.name for c in config.checks] == ["roc_auc-vs-majority-margin+0.1"]
    assert config.floors == (
        FloorCheck("roc_auc", at_least=0.85),
        FloorCheck("log_loss", at_most=40.0, confidence=None),
        FloorCheck("f1", at_least=0.8, confidence=0.9, method="bootstrap", n_resamples=500, seed=3, name="f1-floor"),
    )
    assert [c.name for c in config.all_checks()] == [
        "roc_auc-vs-majority-margin+0.1",
        "roc_auc-at-least-0.85",
        "log_loss-at-most-40",
        "f1-floor",
    ]
    assert config.baseline_names == ["majority"]  # floors have no baseline


def test_a_floor_defaults_to_a_95_percent_bound_with_the_metrics_own_method():
    floor = FloorCheck("roc_auc", at_least=0.85)
    assert (floor.confidence, floor.method, floor.bound_method, floor.side, floor.floor) == (
        0.95,
        "auto",
        "delong",
        "lower",
        0.85,
    )
    assert FloorCheck("accuracy", at_least=0.9).bound_method == "clopper-pearson"
    assert [FloorCheck(m, at_most=1.0).bound_method for m in ("log_loss", "brier", "mae")] == ["mean-loss"] * 3
    assert [FloorCheck(m, at_least=0.5).bound_method for m in ("f1", "macro_f1", "roc_auc_ovr")] == [
        "bootstrap",
        "class-delta",
        "delong-ovr",
    ]
    assert (FloorCheck("rmse", at_most=1.0).bound_method, FloorCheck("r2", at_least=0.5).bound_method) == (
        "squared-error",
        "log-delta",
    )
    assert FloorCheck("roc_auc", at_least=0.85, method="bootstrap").bound_method == "bootstrap"
    assert FloorCheck("brier", at_most=0.2).describe() == "brier: 95% upper bound < 0.2 (at_most)"


@pytest.mark.parametrize(
    "text, floor",
    [
        ("metric=roc_auc,at_least=0.85", FloorCheck("roc_auc", at_least=0.85)),
        ("metric=log_loss, at_most=40, confidence=none", FloorCheck("log_loss", at_most=40.0, confidence=None)),
        (
            "metric=accuracy,at_least=0.9,method=bootstrap,n_resamples=300",
            FloorCheck("accuracy", at_least=0.9, method="bootstrap", n_resamples=300),
        ),
    ],
)
def test_gate_check_declares_a_floor(text, floor):
    assert parse_check_option(text, 0) == floor
    config = merge(GateConfig(), {}, {"checks": ["metric=roc_auc,margin=0.05", text]})
    assert config.floors == (floor,)
    assert [c.name for c in config.checks] == ["roc_auc-vs-majority-margin+0.05"]


def test_gate_check_floors_follow_the_files_floors():
    config = parse_table({"checks": [{"metric": "brier", "at_most": 0.3}]})
    config = merge(config, {}, {"checks": ["metric=roc_auc,at_least=0.7"]})
    assert [f.name for f in config.floors] == ["brier-at-most-0.3", "roc_auc-at-least-0.7"]


def test_a_gate_built_in_code_files_each_check_under_its_own_kind():
    from modelgate import Gate
    from modelgate.config import by_kind

    margin, floor = MarginCheck("roc_auc", margin=0.1), FloorCheck("roc_auc", at_least=0.8)
    assert by_kind([floor, margin]) == {"floor": (floor,), "margin": (margin,)}
    config = Gate(checks=[floor, margin]).config  # the in-flow gate, as a user writes it
    assert (config.checks, config.floors) == ((margin,), (floor,))
    assert config.all_checks() == (margin, floor)  # registry order: margins, then floors


WHERE = "[tool.modelgate].checks[0]"


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {"metric": "log_loss", "at_least": 0.5},
            f"{WHERE}.at_least: log_loss is lower-is-better: its floor is at_most (an upper limit), not at_least",
        ),
        ({"metric": "brier", "at_least": 0.1}, f"{WHERE}.at_least: brier is lower-is-better"),
        (
            {"metric": "roc_auc", "at_most": 0.9},
            f"{WHERE}.at_most: roc_auc is higher-is-better: its floor is at_least, not at_most",
        ),
        ({"metric": "f1", "at_most": 0.9}, f"{WHERE}.at_most: f1 is higher-is-better"),
        (
            {"metric": "roc_auc", "at_least": 0.8, "at_most": 0.9},
            f"{WHERE}.at_most: give at_least or at_most, not both",
        ),
        (
            {"metric": "roc_auc", "at_least": 0.8, "baseline": "champion"},
            f"{WHERE}.baseline: a floor (at_least/at_most) takes no 'baseline': it bounds the metric itself, with no baseline",
        ),
        (
            {"metric": "roc_auc", "at_least": 0.8, "margin": 0.1},
            f"{WHERE}.margin: a floor (at_least/at_most) takes no 'margin'",
        ),
        (
            {"metric": "roc_auc", "at_most": 0.8, "relative": True},
            f"{WHERE}.relative: a floor (at_least/at_most) takes no 'relative'",
        ),
        ({"metric": "roc_auc", "at_least": "0.85"}, f"{WHERE}.at_least: expected a number, got '0.85'"),
        ({"metric": "roc_auc", "at_least": float("nan")}, f"{WHERE}.at_least: expected a finite number, got nan"),
        (
            {"metric": "roc_auc", "at_least": 0.8, "colour": "red"},
            f"{WHERE}: unknown key 'colour' (known: at_least, at_most,",
        ),
        ({"at_least": 0.8}, f"{WHERE}: missing key 'metric'"),
        ({"metric": "auc", "at_least": 0.8}, f"{WHERE}.metric: unknown metric 'auc'; known metrics:"),
        (
            {"metric": "accuracy", "at_least": 0.8, "method": "delong"},
            f"{WHERE}.method: method 'delong' applies to roc_auc only",
        ),
        (
            {"metric": "roc_auc", "at_least": 0.8, "method": "clopper-pearson"},
            f"{WHERE}.method: method 'clopper-pearson' applies to accuracy only",
        ),
        (
            {"metric": "accuracy", "at_least": 0.8, "method": "mcnemar"},
            f"{WHERE}.method: unknown method 'mcnemar'; use one of auto, delong, clopper-pearson, mean-loss, delta, squared-error, log-delta, "
            "delong-ovr, class-delta, order-statistic, bernstein, bootstrap",
        ),
        (
            {"metric": "brier", "at_most": 0.8, "method": "delta"},
            f"{WHERE}.method: method 'delta' applies to roc_auc_ovr and rmse and r2 only",
        ),
        ({"metric": "mae", "at_least": 0.8}, f"{WHERE}.at_least: mae is lower-is-better: its floor is at_most"),
        ({"metric": "r2", "at_most": 0.8}, f"{WHERE}.at_most: r2 is higher-is-better: its floor is at_least"),
        (
            {"metric": "roc_auc", "at_least": 0.8, "confidence": 0.3},
            f"{WHERE}.confidence: confidence must be in [0.5, 1) or None, not 0.3",
        ),
        (
            {"metric": "roc_auc", "at_least": 0.8, "confidence": "high"},
            f"{WHERE}.confidence: expected a number, got 'high'",
        ),
        (
            {"metric": "roc_auc", "at_least": 0.8, "n_resamples": 0},
            f"{WHERE}.n_resamples: expected a whole number >= 1, got 0",
        ),
    ],
)
def test_a_bad_floor_is_one_line_naming_the_key(entry, message):
    with pytest.raises(GateUsageError) as info:
        parse_table({"checks": [entry]})
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_the_error_names_the_floors_index_in_the_shared_table():
    with pytest.raises(
        GateUsageError, match=r"^\[tool\.modelgate\]\.checks\[2\]\.at_least: log_loss is lower-is-better"
    ):
        parse_table(
            {
                "checks": [
                    {"metric": "roc_auc"},
                    {"metric": "roc_auc", "at_least": 0.5},
                    {"metric": "log_loss", "at_least": 0.5},
                ]
            }
        )


@pytest.mark.parametrize(
    "text, message",
    [
        ("metric=log_loss,at_least=0.5", "--gate-check #1.at_least: log_loss is lower-is-better"),
        ("metric=roc_auc,at_most=0.5", "--gate-check #1.at_most: roc_auc is higher-is-better"),
        ("metric=roc_auc,at_least=0.5,at_most=0.9", "--gate-check #1.at_most: give at_least or at_most, not both"),
        (
            "metric=roc_auc,at_least=0.5,baseline=champion",
            "--gate-check #1.baseline: a floor (at_least/at_most) takes no 'baseline'",
        ),
        ("metric=roc_auc,at_least=high", "--gate-check #1.at_least: expected a number, got 'high'"),
    ],
)
def test_a_bad_gate_check_floor_names_the_key(text, message):
    with pytest.raises(GateUsageError) as info:
        parse_check_option(text, 0)
    assert str(info.value).startswith(message), str(info.value)


def test_floors_and_margin_checks_share_one_namespace_of_names():
    with pytest.raises(GateUsageError, match="two configured checks are named 'auc'; give one a name"):
        parse_table(
            {"checks": [{"metric": "roc_auc", "name": "auc"}, {"metric": "roc_auc", "at_least": 0.8, "name": "auc"}]}
        )


def test_a_floor_built_in_python_refuses_the_same_mistakes():
    with pytest.raises(ValueError, match="log_loss is lower-is-better"):
        FloorCheck("log_loss", at_least=0.5)
    with pytest.raises(ValueError, match="a floor needs at_least"):
        FloorCheck("roc_auc")
    with pytest.raises(ValueError, match="at_least must be a finite number"):
        FloorCheck("roc_auc", at_least=math.inf)


# -- every metric of the registry ------------------------------------------------------
def task_evidence(task):
    """Evidence with some skill for each task: binary (scored_rows), 3 classes, or regression."""
    if task == "binary":
        return evidence(*scored_rows())
    rng = np.random.default_rng(1)
    if task == "multiclass":
        y = rng.integers(0, 3, 600)
        logits = rng.standard_normal((600, 3)) + 1.5 * np.eye(3)[y]
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return Evaluation(labels=y, candidate=p, task="multiclass", classes=("a", "b", "c"))
    y = rng.normal(10.0, 2.0, 600)
    return Evaluation(labels=y, candidate=y + rng.normal(0.0, 1.0, 600), task="regression")


FLOOR_METHOD_NAMES = {
    "roc_auc": "DeLong (logit, Hanley-McNeil floor)",
    "accuracy": "Clopper-Pearson",
    "f1": "stratified bootstrap",
    "log_loss": "mean-loss normal (skew-corrected)",
    "brier": "mean-loss normal (skew-corrected)",
    "macro_f1": "delta on the logit scale (t on the smallest class)",
    "roc_auc_ovr": "DeLong per class (logit, Hanley-McNeil floor)",
    "mae": "mean-loss normal (skew-corrected)",
    "rmse": "scaled chi-square (Satterthwaite)",
    "r2": "delta on log(1 - R^2) (skew-corrected t)",
    "median_ae": "order statistic (exact)",
    "p90_ae": "order statistic (exact)",
}


@pytest.mark.parametrize("name, task", [(m.name, t) for m in METRICS.values() for t in m.tasks])
def test_every_registered_metric_takes_a_floor_on_its_side(name, task):
    metric = METRICS[name]
    ev = task_evidence(task)
    y, s = ev.labels, ev.candidate
    value = metric(y, s)
    key = "at_least" if metric.higher_is_better else "at_most"
    easy, hard = (value - 0.1, value + 0.1) if metric.higher_is_better else (value + 0.1, value - 0.1)
    config = parse_table({"checks": [{"metric": name, key: easy}, {"metric": name, key: hard}]})
    results = [floor.evaluate(ev) for floor in config.floors]
    assert [r.passed for r in results] == [True, False]
    expected = FLOOR_METHOD_NAMES[name]
    for r in results:
        assert (r.group, r.metric, r.method, r.n) == ("floor", name, expected, len(y))
        assert r.candidate_value == pytest.approx(value, abs=1e-12)
        assert (r.lower < value) == metric.higher_is_better  # the bound is on the cautious side
    assert "not above" in results[1].message or "not below" in results[1].message


def test_the_runner_runs_floors_after_margin_checks():
    labels = np.array([0, 1] * 100)
    frame = pd.DataFrame({"review": [f"review number {i}" for i in range(200)], "labels": labels})

    def model(texts):
        return np.where(labels == 1, 0.8, 0.3)[: len(texts)]

    config = parse_table({"checks": [{"metric": "accuracy", "at_least": 0.9}, {"metric": "roc_auc", "margin": 0.1}]})
    runner = GateRunner.for_run(config, None)
    results = runner.evaluate(runner.evidence(model, frame))
    assert [(r.name, r.group, r.passed) for r in results] == [
        ("roc_auc-vs-majority-margin+0.1", "baseline", True),
        ("accuracy-at-least-0.9", "floor", True),
    ]


# -- the decision at the boundary -----------------------------------------------------------
def test_with_confidence_none_the_point_estimate_decides_strictly():
    y = np.array([1] * 80 + [0] * 20)
    right = np.r_[np.ones(80), np.zeros(20)]  # accuracy exactly 0.8
    s = np.where(right == 1, y, 1 - y) * 0.9 + 0.05
    ev = evidence(y, s)
    assert FloorCheck("accuracy", at_least=0.7999, confidence=None).evaluate(ev).passed
    result = FloorCheck("accuracy", at_least=0.8, confidence=None).evaluate(ev)
    assert not result.passed and result.lower == result.candidate_value == 0.8
    assert "(point estimate, no confidence bound) is not above at_least 0.8" in result.message
    brier = metrics.brier(y, s)
    assert FloorCheck("brier", at_most=brier + 1e-9, confidence=None).evaluate(ev).passed
    assert not FloorCheck("brier", at_most=brier, confidence=None).evaluate(ev).passed
    assert not FloorCheck("brier", at_most=brier - 1e-9, confidence=None).evaluate(ev).passed


@pytest.mark.parametrize("name", ["roc_auc", "accuracy", "f1", "log_loss"])
def test_the_bound_decides_not_the_point_estimate(name):
    y, s = scored_rows(n=300)
    ev = evidence(y, s)
    key = "at_least" if METRICS[name].higher_is_better else "at_most"
    probe = FloorCheck(name, **{key: 0.5}).evaluate(ev)
    bound, value = probe.lower, probe.candidate_value
    step = 1e-9 if key == "at_least" else -1e-9
    assert FloorCheck(name, **{key: bound - step}).evaluate(ev).passed
    failing = FloorCheck(name, **{key: bound + step}).evaluate(ev)
    assert not failing.passed
    # the point estimate clears that floor by a wide margin, yet the floor fails
    assert (value - (bound + step)) * (1 if key == "at_least" else -1) > 0.01
    assert FloorCheck(name, **{key: bound + step}, confidence=None).evaluate(ev).passed


@pytest.mark.parametrize("name", ["roc_auc", "accuracy"])
def test_the_p_value_agrees_with_the_bound(name):
    y, s = scored_rows(n=400, seed=5)
    ev = evidence(y, s)
    bound = FloorCheck(name, at_least=0.5).evaluate(ev).lower
    for floor in (bound - 0.01, bound - 1e-6, bound + 1e-6, bound + 0.01):
        r = FloorCheck(name, at_least=floor).evaluate(ev)
        assert r.passed == (r.p_value < 0.05), (floor, r.p_value)


def test_undefined_never_passes():
    one_class = evidence(np.ones(50), np.linspace(0.1, 0.9, 50))
    for floor in (FloorCheck("roc_auc", at_least=0.0), FloorCheck("f1", at_least=0.0)):
        r = floor.evaluate(one_class)
        assert not r.passed and r.inconclusive and r.message.startswith("INCONCLUSIVE: y_true has a single class")
    # A mean of losses needs no second class: the Brier score of one class is defined.
    assert FloorCheck("brier", at_most=1.0).evaluate(one_class).passed
    nan_scores = evidence(np.array([0, 1] * 10), np.r_[np.nan, np.full(19, 0.5)])
    for floor in (FloorCheck("roc_auc", at_least=0.0), FloorCheck("accuracy", at_least=0.0)):
        r = floor.evaluate(nan_scores)
        assert not r.passed and "contains NaN" in r.message, r.message
    r = FloorCheck("log_loss", at_most=100.0).evaluate(nan_scores)
    assert not r.passed and "loss is not finite on 1 of 20 rows" in r.message, r.message
    few = evidence([1, 0, 0, 0], [0.9, 0.1, 0.95, 0.2])  # one positive: no DeLong variance
    r = FloorCheck("roc_auc", at_least=0.1).evaluate(few)
    assert not r.passed and r.inconclusive
    assert r.message.startswith("INCONCLUSIVE: DeLong variance needs at least 2 positives and 2 negatives")


# -- each bound against an independent computation -----------------------------------------
@pytest.mark.parametrize("x, n", [(0, 20), (1, 20), (13, 20), (20, 20), (1790, 2264), (2264, 2264)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_clopper_pearson_is_the_beta_quantile_and_the_binomial_tail(x, n, confidence):
    alpha = 1 - confidence
    lower = stats.clopper_pearson(x, n, confidence, "lower")
    upper = stats.clopper_pearson(x, n, confidence, "upper")
    assert lower == (0.0 if x == 0 else pytest.approx(sps.beta.ppf(alpha, x, n - x + 1), abs=1e-12))
    assert upper == (1.0 if x == n else pytest.approx(sps.beta.ppf(1 - alpha, x + 1, n - x), abs=1e-12))
    if x > 0:  # the defining property: P(X >= x | lower) = alpha
        assert sps.binom.sf(x - 1, n, lower) == pytest.approx(alpha, rel=1e-6)
    if x < n:
        assert sps.binom.cdf(x, n, upper) == pytest.approx(alpha, rel=1e-6)
    y = np.ones(n, dtype=int)
    pred = np.r_[np.ones(x, dtype=int), np.zeros(n - x, dtype=int)]
    b = stats.accuracy_bound(y, pred, confidence=confidence, side="lower")
    assert (b.value, b.bound, b.method, b.n) == (x / n, lower, "Clopper-Pearson", n)


def brute_force_delong(y, s):
    """AUC and its DeLong variance from the placement values, pair by pair."""
    xs, ys = s[y == 1], s[y == 0]
    psi = (xs[:, None] > ys[None, :]) + 0.5 * (xs[:, None] == ys[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), v10.var(ddof=1) / xs.size + v01.var(ddof=1) / ys.size


@pytest.mark.parametrize("seed", range(4))
def test_the_auc_bound_is_delong_on_the_logit_scale(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(40) < 0.6).astype(int)
    s = np.round(rng.standard_normal(40) + 1.2 * y, 1)  # rounded: ties across classes
    auc, var = brute_force_delong(y, s)
    assert stats.delong_auc_variance(y, s) == pytest.approx((auc, var), rel=1e-12)
    # raised by 0.3 of its shortfall from Hanley & McNeil's (1982) variance, if any
    m, n = int(y.sum()), int((1 - y).sum())
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    hanley_mcneil = (auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (m * n)
    var += 0.3 * max(0.0, hanley_mcneil - var)
    se_logit = math.sqrt(var) / (auc * (1 - auc))
    logit = math.log(auc / (1 - auc))
    lower = stats.auc_bound(y, s, floor=0.6)
    assert (lower.value, lower.method) == (pytest.approx(auc), "DeLong (logit, Hanley-McNeil floor)")
    assert lower.bound == pytest.approx(special.expit(logit - Z95 * se_logit), rel=1e-12)
    assert lower.p_value == pytest.approx(sps.norm.sf((logit - math.log(0.6 / 0.4)) / se_logit), rel=1e-9)
    upper = stats.auc_bound(y, s, side="upper", confidence=0.9)
    assert upper.bound == pytest.approx(special.expit(logit + sps.norm.ppf(0.9) * se_logit), rel=1e-12)


def test_a_perfect_auc_gets_the_max_variance_bound():
    y = np.array([1] * 30 + [0] * 10)
    s = np.r_[np.linspace(0.6, 1, 30), np.linspace(0, 0.4, 10)]
    b = stats.auc_bound(y, s)
    k = 10  # the smaller class
    assert (b.value, b.method) == (1.0, "max-variance score bound")
    assert b.bound == pytest.approx(k / (k + Z95**2))  # root of (1 - t)^2 = z^2 t (1 - t) / k
    assert not FloorCheck("roc_auc", at_least=0.9).evaluate(evidence(y, s)).passed  # 40 rows do not show AUC > 0.9
    assert FloorCheck("roc_auc", at_least=0.7).evaluate(evidence(y, s)).passed


@pytest.mark.parametrize("name", [name for name in stats.BOOTSTRAP_METRICS if name != "f1"])
@pytest.mark.parametrize("side", ["lower", "upper"])
def test_the_vectorised_bootstrap_equals_calling_the_metric_on_each_resample(name, side):
    y, s = scored_rows(n=250, seed=2)
    fast = stats.bootstrap_metric_bound(name, y, s, side=side, floor=0.5, n_resamples=60, seed=7)
    slow = stats.bootstrap_metric_bound(METRICS[name].function, y, s, side=side, floor=0.5, n_resamples=60, seed=7)
    assert fast.value == pytest.approx(METRICS[name](y, s), abs=1e-12)
    assert (fast.bound, fast.p_value) == (pytest.approx(slow.bound, abs=1e-12), slow.p_value)
    assert fast.method == "stratified bootstrap"


def test_the_bootstrap_bound_is_a_percentile_of_stratified_resamples():
    y, s = scored_rows(n=200, seed=4)
    said = s > 0.5
    # The draws the F1 bootstrap makes: each class's (predicted 0, predicted 1) counts,
    # multinomial with the class's shares, positives then negatives.
    rng = np.random.default_rng(11)
    pos_cells = np.bincount(said[y == 1], minlength=2)
    neg_cells = np.bincount(said[y == 0], minlength=2)
    drawn_pos = rng.multinomial(pos_cells.sum(), pos_cells / pos_cells.sum(), size=400)
    drawn_neg = rng.multinomial(neg_cells.sum(), neg_cells / neg_cells.sum(), size=400)
    truth, predicted = np.array([1, 1, 0, 0]), np.array([0, 1, 0, 1])
    f1s = [f1_score(truth, predicted, sample_weight=np.concatenate([p, q])) for p, q in zip(drawn_pos, drawn_neg)]
    b = stats.bootstrap_metric_bound("f1", y, s, n_resamples=400, seed=11, confidence=0.9)
    assert b.bound == pytest.approx(np.quantile(f1s, 0.1), abs=1e-12)


# -- the report ----------------------------------------------------------------------------
def test_a_floor_row_shows_metric_value_bound_floor_and_method():
    y, s = scored_rows()
    results = [
        FloorCheck("roc_auc", at_least=0.85).evaluate(evidence(y, s)),
        FloorCheck("log_loss", at_most=0.45).evaluate(evidence(y, s)),
    ]
    auc, loss = results
    table = verdict_table(Verdict(results=results)).splitlines()
    # (the report's "better" column, the metric's direction, is the report's own; not asserted here)
    assert table[0].split()[-7:] == ["model", "baseline", "diff", "bound", "margin", "mde", "method"]
    assert table[1].split()[:3] == ["PASS" if auc.passed else "FAIL", "roc_auc", "floor"]
    assert table[1].split()[-11:] == [
        f"{auc.candidate_value:.4f}",
        "-",
        "-",
        f"{auc.lower:.4f}",
        "≥",
        "0.85",
        f"{auc.mde:.4f}",
        "DeLong",
        "(logit,",
        "Hanley-McNeil",
        "floor)",
    ]
    assert table[2].split()[:3] == ["PASS" if loss.passed else "FAIL", "log_loss", "floor"]
    assert table[2].split()[-12:] == [
        f"{loss.candidate_value:.4f}",
        "-",
        "-",
        f"{loss.lower:.4f}",
        "≤",
        "0.45",
        f"{loss.mde:.4f}",
        "mean-loss",
        "normal",
        "(skew-corrected,",
        "upper",
        "bound)",
    ]
    markdown = verdict_markdown(Verdict(results=results))
    assert (
        f"| {auc.candidate_value:.4f} | - | - | {auc.lower:.4f} | ≥ 0.85 | {auc.mde:.4f} | DeLong (logit, Hanley-McNeil floor) |"
        in markdown
    )
    point = FloorCheck("log_loss", at_most=40, confidence=None).evaluate(evidence(y, s))
    assert verdict_table(Verdict(results=[point])).splitlines()[1].split()[-5:] == ["≤", "40", "-", "point", "estimate"]


def test_a_floor_result_round_trips_through_json():
    y, s = scored_rows()
    result = FloorCheck("accuracy", at_least=0.7).evaluate(evidence(y, s))
    again = type(result).from_dict(result.to_dict())
    assert again == result and again.group == "floor" and again.margin == 0.7
