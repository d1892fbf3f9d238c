"""Multiclass and regression metrics and their bounds.

Each metric against scikit-learn; each bound against a simple reference (the
delta method against a large bootstrap, paired-loss against the mean of the
row-loss differences, McNemar and Clopper-Pearson against scipy, the
vectorised bootstrap against calling the metric on the same resamples);
margin checks and floors per task on evaluations built with
``modelgate.evidence.evaluation.evaluate`` and a plain callable; metrics and floors
that do not fit. Plain calls, no model, no Metaflow.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special
from scipy import stats as sps
from sklearn import metrics as skm

from modelgate import metrics as M
from modelgate import stats as S
from modelgate.checks import MarginCheck
from modelgate.checks.floors import FloorCheck
from modelgate.config import parse_table
from modelgate.errors import GateUsageError
from modelgate.evidence.evaluation import evaluate
from modelgate.stats import bootstrap as SB

Z95 = sps.norm.ppf(0.95)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def multiclass_rows(n=900, k=3, signal=1.2, seed=0):
    """Class codes (roughly balanced) and an (n, k) probability matrix with some skill."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return y, softmax(rng.standard_normal((n, k)) + signal * np.eye(k)[y])


def regression_rows(n=800, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(3.0, 1.0, n)
    return y, y + rng.normal(0.0, noise, n)


# -- the metrics -------------------------------------------------------------------------
def test_multiclass_metrics_equal_scikit_learn():
    y, p = multiclass_rows()
    assert M.accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p.argmax(axis=1)), abs=1e-12)
    assert M.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), abs=1e-12)
    assert M.macro_f1(y, p) == pytest.approx(skm.f1_score(y, p.argmax(axis=1), average="macro"), abs=1e-12)
    assert M.roc_auc_ovr(y, p) == pytest.approx(skm.roc_auc_score(y, p, multi_class="ovr", average="macro"), abs=1e-12)
    for name in ("accuracy", "log_loss", "macro_f1", "roc_auc_ovr"):
        assert isinstance(M.get_metric(name)(y, p), float)


def test_regression_metrics_equal_scikit_learn():
    y, s = regression_rows()
    assert M.mae(y, s) == pytest.approx(skm.mean_absolute_error(y, s), abs=1e-12)
    assert M.rmse(y, s) == pytest.approx(math.sqrt(skm.mean_squared_error(y, s)), abs=1e-12)
    assert M.r2(y, s) == pytest.approx(skm.r2_score(y, s), abs=1e-12)


def test_binary_metrics_are_unchanged_by_the_dispatch_on_shape():
    y = np.array([0, 1, 1, 0, 1, 1, 0, 1, 0, 1])
    p = np.array([0.1, 0.9, 0.6, 0.4, 0.35, 0.8, 0.7, 0.55, 0.2, 0.5])
    assert M.accuracy(y, p) == pytest.approx(0.7)
    assert M.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), abs=1e-12)
    # the same model as a two-column matrix: the arg max (0.5 exactly goes to column 0, as > 0.5 does)
    two = np.column_stack([1 - p, p])
    assert M.accuracy(y, two) == pytest.approx(0.7)
    assert M.log_loss(y, two) == pytest.approx(M.log_loss(y, p), abs=1e-12)


def test_predicted_labels_are_the_arg_max_of_a_matrix():
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.2, 0.2], [0.1, 0.1, 0.8], [0.4, 0.4, 0.2]])
    assert M.predicted_labels(p).tolist() == [1, 0, 2, 0]  # a tie goes to the first column
    assert M.predicted_labels([0.5, 0.51]).tolist() == [0, 1]
    assert M.undefined_rows(np.array([[0.5, np.nan], [0.5, 0.5]])).tolist() == [True, False]


def test_edge_cases_are_nan_not_exceptions():
    y, p = multiclass_rows(n=30)
    with_nan = p.copy()
    with_nan[4, 1] = np.nan
    for name in ("accuracy", "log_loss", "macro_f1", "roc_auc_ovr"):
        assert math.isnan(M.get_metric(name)(y, with_nan)), name
    assert math.isnan(M.macro_f1(y, p[:, 0]))  # 1-D scores are not multiclass
    assert math.isnan(M.roc_auc_ovr(np.zeros(30, dtype=int), p))  # one class present
    assert math.isnan(M.log_loss(np.full(30, 3), p))  # a label that is no column
    assert math.isnan(M.roc_auc(y, p)) and math.isnan(M.f1(y, p)) and math.isnan(M.brier(y, p))
    ys, s = regression_rows(n=20)
    assert math.isnan(M.r2(np.full(20, 2.0), s))  # constant target: SST = 0
    assert math.isnan(M.r2(ys[:1], s[:1]))
    assert math.isnan(M.mae(ys, np.r_[np.nan, s[1:]])) and math.isnan(M.rmse(ys, np.r_[np.inf, s[1:]]))
    assert math.isnan(M.mae(ys, np.column_stack([s, s])))


def test_roc_auc_ovr_leaves_out_a_class_with_no_rows():
    y, p = multiclass_rows(n=300, k=4)
    keep = y != 2
    y, p = y[keep], p[keep]
    per_class = [skm.roc_auc_score(y == c, p[:, c]) for c in (0, 1, 3)]
    assert M.roc_auc_ovr(y, p) == pytest.approx(np.mean(per_class), abs=1e-12)
    # macro F1 averages over the classes present in the labels
    assert M.macro_f1(y, p) == pytest.approx(
        skm.f1_score(y, p.argmax(axis=1), labels=[0, 1, 3], average="macro"), abs=1e-12
    )


def test_row_losses_average_to_the_metric_per_task():
    y, p = multiclass_rows()
    rows = M.log_loss_rows(y, p)
    assert rows.shape == (len(y),) and rows.mean() == pytest.approx(M.log_loss(y, p), abs=1e-12)
    assert rows[7] == pytest.approx(-math.log(p[7, y[7]]))
    with_nan = p.copy()
    with_nan[3, (y[3] + 1) % 3] = np.nan  # a NaN in another column of the row
    assert np.isnan(M.log_loss_rows(y, with_nan)).tolist() == [i == 3 for i in range(len(y))]
    yr, s = regression_rows()
    assert M.absolute_error_rows(yr, s).mean() == pytest.approx(M.mae(yr, s), abs=1e-12)


def test_influence_functions_have_mean_zero_and_the_metric_value():
    y, s = regression_rows()
    for name, metric in (("rmse", M.rmse), ("r2", M.r2)):
        value, infl = M.get_metric(name).influence(y, s)
        assert value == pytest.approx(metric(y, s), abs=1e-12)
        assert abs(infl.mean()) < 1e-12
    # the influence of RMSE is the derivative: adding weight eps to row i moves RMSE by eps * IF_i
    value, infl = M.rmse_influence(y, s)
    w = np.ones(len(y))
    w[5] += 1e-6 * len(y)
    moved = math.sqrt(np.average((y - s) ** 2, weights=w))
    assert (moved - value) / 1e-6 == pytest.approx(infl[5], rel=1e-3)
    assert M.rmse_influence(y, y) == (0.0, pytest.approx(np.zeros(len(y))))


# -- the registry and the task ----------------------------------------------------------
@pytest.mark.parametrize(
    "name, tasks, higher, method, floor_method",
    [
        ("roc_auc", ("binary",), True, "delong", "delong"),
        ("f1", ("binary",), True, "bootstrap", "bootstrap"),
        ("brier", ("binary",), False, "paired-loss", "mean-loss"),
        ("accuracy", ("binary", "multiclass"), True, "mcnemar", "clopper-pearson"),
        ("log_loss", ("binary", "multiclass"), False, "paired-loss", "mean-loss"),
        ("macro_f1", ("multiclass",), True, "class-delta", "class-delta"),
        ("roc_auc_ovr", ("multiclass",), True, "delong-ovr", "delong-ovr"),
        ("mae", ("regression",), False, "paired-loss", "mean-loss"),
        ("rmse", ("regression",), False, "squared-error", "squared-error"),
        ("r2", ("regression",), True, "delta", "log-delta"),
    ],
)
def test_each_metric_has_its_direction_tasks_and_methods(name, tasks, higher, method, floor_method):
    metric = M.get_metric(name)
    assert (metric.tasks, metric.higher_is_better, metric.method, metric.floor_method) == (
        tasks,
        higher,
        method,
        floor_method,
    )


def test_metrics_for_each_task():
    assert M.metrics_for("binary") == ["accuracy", "brier", "f1", "log_loss", "roc_auc"]
    assert M.metrics_for("multiclass") == ["accuracy", "log_loss", "macro_f1", "roc_auc_ovr"]
    assert M.metrics_for("regression") == ["mae", "median_ae", "p90_ae", "r2", "rmse"]


def test_check_metric_fits_refuses_in_one_line():
    M.check_metric_fits("accuracy", "multiclass")  # fits: no error
    M.check_metric_fits("r2", "regression")
    cases = [
        (
            "roc_auc",
            "regression",
            "metric 'roc_auc' does not apply to task 'regression' (regression metrics: mae, median_ae, p90_ae, r2, rmse)",
        ),
        (
            "mae",
            "binary",
            "metric 'mae' does not apply to task 'binary' (binary metrics: accuracy, brier, f1, log_loss, roc_auc)",
        ),
        (
            "f1",
            "multiclass",
            "metric 'f1' does not apply to task 'multiclass' (multiclass metrics: accuracy, log_loss, macro_f1, roc_auc_ovr)",
        ),
        ("auc", "binary", "unknown metric 'auc'; known metrics: accuracy, brier, f1,"),
        ("roc_auc", "ranking", "unknown task 'ranking'; use one of binary, multiclass, regression"),
    ]
    for name, task, message in cases:
        with pytest.raises(GateUsageError) as info:
            M.check_metric_fits(name, task)
        assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_a_metric_needs_what_its_methods_bound():
    with pytest.raises(ValueError, match="method 'delta' needs an influence function"):
        M.Metric("x", M.rmse, higher_is_better=False, method="delta", tasks=("regression",))
    with pytest.raises(ValueError, match="method 'mean-loss' needs a row_loss"):
        M.Metric("x", M.mae, higher_is_better=False, floor_method="mean-loss", tasks=("regression",))
    with pytest.raises(ValueError, match="tasks must be some of binary, multiclass, regression"):
        M.Metric("x", M.mae, higher_is_better=False, tasks=("ranking",))


# -- bounds against simple references -------------------------------------------------------
@pytest.mark.slow  # a reference: a large bootstrap, seconds of CPU
def test_delta_bounds_match_a_large_bootstrap():
    y, s = regression_rows(n=1500, noise=0.5, seed=3)
    rng = np.random.default_rng(4)
    b = y + rng.normal(0.0, 0.55, len(y))
    for name in ("rmse", "r2"):
        metric = M.get_metric(name)
        (vc, ic), (vb, ib) = metric.influence(y, s), metric.influence(y, b)
        hib = metric.higher_is_better
        for relative in (False, True):
            delta = S.delta_difference(vc, ic, vb, ib, higher_is_better=hib, relative=relative)
            boot = S.task_bootstrap_difference(
                name, "regression", y, s, b, higher_is_better=hib, relative=relative, n_resamples=20000, seed=1
            )
            assert delta.estimate == pytest.approx(boot.estimate, abs=1e-12)
            assert delta.method == ("delta (Fieller ratio)" if relative else "delta")
            # half-widths agree within 10% (Monte Carlo and second-order terms)
            assert delta.estimate - delta.lower == pytest.approx(boot.estimate - boot.lower, rel=0.1), (name, relative)
        side = "lower" if hib else "upper"
        one = S.delta_bound(vc, ic, side=side)
        assert one.method == "delta (skew-corrected)"
        reference = S.mean_loss_bound(vc + ic, side=side)  # the same bound on the pseudo-values
        assert one.bound == pytest.approx(reference.bound, abs=1e-12)
        boot_one = S.task_bootstrap_bound(name, "regression", y, s, side=side, n_resamples=20000, seed=2)
        assert abs(one.bound - one.value) == pytest.approx(abs(boot_one.bound - boot_one.value), rel=0.1), name


def test_the_ovr_auc_influence_gives_delong_variance_per_class_and_matches_a_large_bootstrap():
    y, c = multiclass_rows(n=900, seed=17)
    _, b = multiclass_rows(n=900, signal=0.8, seed=18)
    value, infl = S.ovr_auc_influence(y, c)
    assert value == pytest.approx(M.roc_auc_ovr(y, c), abs=1e-12) and abs(infl.mean()) < 1e-12
    # one class's influence: var(IF) / n is DeLong's S10 / m + S01 / n (to the n - 1 of each class's variance)
    one = np.where(y == 1, 1, 0)
    auc, var = S.delong_auc_variance(one, c[:, 1])
    value1, infl1 = S.ovr_auc_influence(one, np.column_stack([1 - c[:, 1], c[:, 1]]))
    assert value1 == pytest.approx(auc, abs=1e-12)
    assert infl1.var() / len(y) == pytest.approx(var, rel=0.01)
    vb, ib = S.ovr_auc_influence(y, b)
    delta = S.delta_difference(value, infl, vb, ib)
    boot = S.task_bootstrap_difference("roc_auc_ovr", "multiclass", y, c, b, n_resamples=4000, seed=3)
    assert delta.estimate == pytest.approx(boot.estimate, abs=1e-12)
    assert delta.estimate - delta.lower == pytest.approx(boot.estimate - boot.lower, rel=0.1)
    assert math.isnan(S.ovr_auc_influence(np.zeros(900, dtype=int), c)[0])  # one class: undefined


def test_the_ovr_auc_influence_counts_ties_as_halves_like_delong():
    y, c = multiclass_rows(n=600, seed=21)
    tied = np.round(c, 1)  # few distinct scores: most rows tie with rows of the other side
    value, infl = S.ovr_auc_influence(y, tied)
    assert value == pytest.approx(M.roc_auc_ovr(y, tied), abs=1e-12) and abs(infl.mean()) < 1e-12
    for k in range(tied.shape[1]):
        one = np.where(y == k, 1, 0)
        auc, var = S.delong_auc_variance(one, tied[:, k])
        value1, infl1 = S.ovr_auc_influence(one, np.column_stack([1 - tied[:, k], tied[:, k]]))
        assert value1 == pytest.approx(auc, abs=1e-12)
        assert infl1.var() / len(y) == pytest.approx(var, rel=0.01)


def test_the_ovr_auc_influence_is_the_same_with_its_classes_on_threads(monkeypatch):
    from modelgate.stats import auc as A

    y, c = multiclass_rows(n=700, seed=22)
    alone = S.ovr_auc_influence(y, c)
    monkeypatch.setattr(A, "_THREADED_ROWS", 0)  # large inputs sort their classes on threads
    monkeypatch.setattr(A, "_usable_cpus", lambda: 3)
    threaded = S.ovr_auc_influence(y, c)
    assert threaded[0] == alone[0] and np.array_equal(threaded[1], alone[1])


def test_the_r2_difference_is_the_sse_difference_over_the_shared_sst():
    y, s = regression_rows(n=400, seed=5)
    b = np.full(len(y), y.mean())  # the mean baseline: R^2 = 0
    (vc, ic), (vb, ib) = M.r2_influence(y, s), M.r2_influence(y, b)
    assert vb == pytest.approx(0.0, abs=1e-12)
    d = S.delta_difference(vc, ic, vb, ib, higher_is_better=True)
    sst = ((y - y.mean()) ** 2).sum()
    assert d.estimate == pytest.approx((((y - b) ** 2).sum() - ((y - s) ** 2).sum()) / sst, abs=1e-12)
    expected_se = np.std(ic - ib, ddof=1) / math.sqrt(len(y))
    assert d.lower == pytest.approx(d.estimate - Z95 * expected_se, abs=1e-12)
    assert d.p_value == pytest.approx(sps.norm.sf(d.estimate / expected_se), rel=1e-9)
    assert "positive baseline" in S.delta_difference(vc, ic, vb, ib, relative=True).reason


def test_delta_p_value_is_dual_to_the_bound():
    y, s = regression_rows(n=300, seed=6)
    b = y + np.random.default_rng(7).normal(0.0, 0.6, len(y))
    (vc, ic), (vb, ib) = M.rmse_influence(y, s), M.rmse_influence(y, b)
    for relative in (False, True):
        for margin in (-0.05, 0.0, 0.05, 0.1, 0.2):
            d = S.delta_difference(vc, ic, vb, ib, higher_is_better=False, margin=margin, relative=relative)
            assert (d.lower > margin) == (d.p_value < 0.05), (relative, margin)


def test_paired_loss_on_multiclass_log_loss_is_the_mean_difference():
    y, p = multiclass_rows(n=600, seed=8)
    labels = [str(i) for i in range(3)]
    ev = evaluate(lambda rows: p, pd.DataFrame({"x": np.arange(len(y))}), y, task="multiclass", classes=labels)
    result = MarginCheck("log_loss", margin=0.0).evaluate(ev)
    prior = np.bincount(y, minlength=3) / len(y)
    base = np.tile(prior, (len(y), 1))
    assert result.candidate_value == pytest.approx(skm.log_loss(y, p), abs=1e-12)
    assert result.baseline_value == pytest.approx(skm.log_loss(y, base), abs=1e-12)
    d = M.log_loss_rows(y, base) - M.log_loss_rows(y, p)
    assert result.estimate == pytest.approx(d.mean(), abs=1e-12)
    assert result.method == "paired-loss normal (skew-corrected)"
    direct = S.paired_loss_difference(M.log_loss_rows(y, p), M.log_loss_rows(y, base))
    assert result.lower == pytest.approx(direct.lower, abs=1e-15)


def test_mcnemar_on_multiclass_codes():
    y, p = multiclass_rows(n=400, seed=9)
    rng = np.random.default_rng(10)
    pc = p.argmax(axis=1)
    pb = np.where(rng.random(len(y)) < 0.5, pc, rng.integers(0, 3, len(y)))
    right_c, right_b = pc == y, pb == y
    wins, losses = int(np.sum(right_c & ~right_b)), int(np.sum(~right_c & right_b))
    bound = S.accuracy_difference(y, pc, pb)
    assert bound.method == "exact McNemar"
    assert bound.estimate == pytest.approx((wins - losses) / len(y))
    assert bound.p_value == pytest.approx(sps.binomtest(wins, wins + losses, 0.5, alternative="greater").pvalue)
    assert S.accuracy_difference(y, pc, pb, margin=0.02).method == "Newcombe hybrid score"
    with pytest.raises(ValueError, match="integer class codes"):
        S.accuracy_difference(y, p[:, 0], pb)


def test_clopper_pearson_floor_on_multiclass_accuracy():
    y, p = multiclass_rows(n=500, seed=11)
    x = int(np.sum(p.argmax(axis=1) == y))
    ev = evaluate(lambda rows: p, pd.DataFrame({"x": np.arange(len(y))}), y, task="multiclass", classes=(0, 1, 2))
    result = FloorCheck("accuracy", at_least=0.5).evaluate(ev)
    assert result.method == "Clopper-Pearson"
    assert result.candidate_value == pytest.approx(x / len(y))
    assert result.lower == pytest.approx(sps.beta.ppf(0.05, x, len(y) - x + 1), rel=1e-9)
    assert result.passed == (result.lower > 0.5)


@pytest.mark.parametrize(
    "task, name", [(t, n) for t, names in S.TASK_BOOTSTRAP_METRICS.items() for n in names if n != "macro_f1"]
)
def test_the_vectorised_bootstrap_equals_calling_the_metric_on_each_resample(task, name):
    if task == "multiclass":
        y, c = multiclass_rows(n=120, seed=12)
        _, b = multiclass_rows(n=120, signal=0.6, seed=13)
    else:
        y, c = regression_rows(n=120, seed=12)
        b = y + np.random.default_rng(13).normal(0.0, 0.7, len(y))
    metric = M.get_metric(name)
    kwargs = dict(higher_is_better=metric.higher_is_better, n_resamples=30, seed=4, margin=0.01)
    fast = S.task_bootstrap_difference(name, task, y, c, b, **kwargs)
    slow = S.task_bootstrap_difference(metric.function, task, y, c, b, **kwargs)
    assert (fast.candidate, fast.baseline) == (
        pytest.approx(metric(y, c), abs=1e-12),
        pytest.approx(metric(y, b), abs=1e-12),
    )
    assert fast.lower == pytest.approx(slow.lower, abs=1e-10) and fast.p_value == slow.p_value
    assert fast.method == ("class-stratified paired bootstrap" if task == "multiclass" else "paired bootstrap")
    one_fast = S.task_bootstrap_bound(name, task, y, c, n_resamples=30, seed=4, floor=0.5)
    one_slow = S.task_bootstrap_bound(metric.function, task, y, c, n_resamples=30, seed=4, floor=0.5)
    assert one_fast.bound == pytest.approx(one_slow.bound, abs=1e-10) and one_fast.p_value == one_slow.p_value


def test_macro_f1_draws_confusion_rows_with_the_distribution_of_resampled_rows():
    # Macro F1 draws each class's confusion row from a multinomial (no rows resampled):
    # the same distribution as the row resampling of the other metrics.
    y, c = multiclass_rows(n=300, seed=15)
    _, b = multiclass_rows(n=300, signal=0.7, seed=16)
    _, _, sizes = SB._task_inputs("multiclass", y, [("c", c), ("b", b)])
    cells, cell_forms = SB._task_plan("macro_f1", "multiclass", y, [c, b], sizes)
    order = np.argsort(y, kind="stable")
    yg, cg, bg = y[order], c[order], b[order]  # rows grouped by class, as the row forms take them
    assert all(len(stratum) == 9 for stratum in cells)  # 3 x 3 prediction pairs per class, not rows
    vc, vb = SB._points(cells, cell_forms)
    rc, rb = SB._run(cell_forms, cells, 20000, seed=0)
    assert (vc, vb) == (pytest.approx(M.macro_f1(y, c), abs=1e-12), pytest.approx(M.macro_f1(y, b), abs=1e-12))
    form_c = SB._multiclass_form("macro_f1", yg, cg, sizes)
    form_b = SB._multiclass_form("macro_f1", yg, bg, sizes)
    wc, wb = [], []
    for w in SB.resample_counts([int(v) for v in sizes], 20000, seed=1):
        wc.append(form_c(w))
        wb.append(form_b(w))
    wc, wb = np.concatenate(wc), np.concatenate(wb)
    for multinomial, rows in ((rc, wc), (rb, wb), (rc - rb, wc - wb)):
        assert multinomial.mean() == pytest.approx(rows.mean(), abs=6 * rows.std() / math.sqrt(10000))
        assert multinomial.std() == pytest.approx(rows.std(), rel=0.05)
        assert np.quantile(multinomial, 0.05) == pytest.approx(np.quantile(rows, 0.05), abs=0.15 * rows.std())
    bound = S.task_bootstrap_difference("macro_f1", "multiclass", y, c, b, n_resamples=20000, seed=0)
    assert bound.lower == pytest.approx(np.quantile(rc - rb, 0.05), abs=1e-12)


def test_the_class_stratified_bootstrap_keeps_every_class_count():
    for w in SB.resample_counts([5, 0, 7, 3], 50, seed=0):
        assert w.shape[1] == 15
        assert (w[:, :5].sum(axis=1) == 5).all() and (w[:, 5:12].sum(axis=1) == 7).all()
        assert (w[:, 12:].sum(axis=1) == 3).all()


def test_the_mean_loss_bound_is_the_skew_corrected_normal_bound():
    rng = np.random.default_rng(14)
    losses = rng.exponential(0.5, 400)  # right-skewed, as losses are: the upper bound is widened
    plain = losses.mean() + Z95 * losses.std(ddof=1) / math.sqrt(400)
    b = S.mean_loss_bound(losses, side="upper", floor=0.6)
    assert b.method == "mean-loss normal (skew-corrected)" and b.value == pytest.approx(losses.mean())
    assert b.bound > plain
    assert b.clears(0.6) == (b.p_value < 0.05)
    left = 1.0 - losses  # left-skewed: the upper bound is the plain one
    assert S.mean_loss_bound(left, side="upper").bound == pytest.approx(
        left.mean() + Z95 * left.std(ddof=1) / math.sqrt(400), abs=1e-12
    )
    # the same loss on every row (0.3 ten times: a mean of 0.29999999999999993 and a
    # variance of 1e-33 by rounding) is no certainty, not a bound of zero width
    same = S.mean_loss_bound(np.full(10, 0.3), floor=0.4)
    assert same.inconclusive and not same.clears(0.4)
    assert "not finite" in S.mean_loss_bound(np.r_[np.nan, losses]).reason


# -- margin checks and floors per task, through evaluate() ----------------------------------
def frame(n):
    return pd.DataFrame({"x": np.arange(n)})


def binary_evaluations(n=1500, seed=20):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.7).astype(int)
    good = special.expit(2.5 * (y - 0.5) * 2 + rng.standard_normal(n))
    prior = np.full(n, y.mean())
    return evaluate(lambda rows: good, frame(n), y), evaluate(lambda rows: prior, frame(n), y)


def multiclass_evaluations(n=1500, seed=21):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    good = softmax(rng.standard_normal((n, 3)) + 2.0 * np.eye(3)[y])
    # No skill: probabilities that ignore the row, mostly the prior (so the arg max is the
    # majority class, as the baseline's). A uniformly random guess would beat the majority
    # baseline on macro F1 (about 1/3 against 0.22 here): the prior predicts one class only.
    prior = np.bincount(y, minlength=3) / n
    noise = 0.9 * prior + 0.1 * rng.dirichlet(np.ones(3), n)
    classes = ("setosa", "versicolor", "virginica")
    return (
        evaluate(lambda rows: good, frame(n), y, task="multiclass", classes=classes),
        evaluate(lambda rows: noise, frame(n), y, task="multiclass", classes=classes),
    )


def regression_evaluations(n=1500, seed=22):
    rng = np.random.default_rng(seed)
    y = rng.gamma(3.0, 2.0, n)
    good = y + rng.normal(0.0, 1.0, n)
    shuffled = rng.permutation(y)  # no skill: the targets of other rows
    return (
        evaluate(lambda rows: good, frame(n), y, task="regression"),
        evaluate(lambda rows: shuffled, frame(n), y, task="regression"),
    )


CASES = [
    (binary_evaluations, "majority", ["roc_auc", "accuracy", "f1", "log_loss", "brier"]),
    (multiclass_evaluations, "majority", ["accuracy", "macro_f1", "log_loss", "roc_auc_ovr"]),
    (regression_evaluations, "mean", ["mae", "rmse", "r2"]),
    (regression_evaluations, "median", ["mae", "rmse", "r2"]),
]


@pytest.mark.parametrize("make, baseline, names", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_a_good_model_passes_and_a_no_skill_model_fails_against_the_label_baselines(make, baseline, names):
    good, none = make()
    for name in names:
        check = MarginCheck(name, baseline=baseline, margin=0.0, n_resamples=500)
        passed = check.evaluate(good)
        assert passed.passed, passed.message
        assert passed.lower > 0 and passed.n == good.n
        failed = check.evaluate(none)
        assert not failed.passed, failed.message
        assert "is not above the margin +0.0000" in failed.message or "FAIL" in failed.message


def test_each_task_reports_its_method():
    binary, _ = binary_evaluations()
    multi, _ = multiclass_evaluations()
    reg, _ = regression_evaluations()
    methods = [
        (binary, "majority", "f1", "paired bootstrap"),
        (multi, "majority", "accuracy", "exact McNemar"),
        (multi, "majority", "macro_f1", "delta (t on the smallest class)"),
        (multi, "majority", "roc_auc_ovr", "delta (t on the smallest class)"),
        (reg, "mean", "mae", "paired-loss normal (skew-corrected)"),
        (reg, "mean", "rmse", "squared-error normal (skew-corrected)"),
        (reg, "median", "r2", "delta"),
        (reg, "mean", "median_ae", "order statistics (exact, Bonferroni)"),
        (reg, "mean", "p90_ae", "order statistics (exact, Bonferroni)"),
    ]
    for ev, baseline, name, method in methods:
        assert MarginCheck(name, baseline=baseline, n_resamples=200).evaluate(ev).method == method, name
    # the bootstrap stays selectable for every metric
    assert (
        MarginCheck("rmse", baseline="mean", method="bootstrap", n_resamples=200).evaluate(reg).method
        == "paired bootstrap"
    )
    assert (
        MarginCheck("log_loss", method="bootstrap", n_resamples=200).evaluate(multi).method
        == "class-stratified paired bootstrap"
    )
    with pytest.raises(ValueError, match="method 'delta' applies to roc_auc_ovr and rmse and r2 only"):
        MarginCheck("mae", baseline="mean", method="delta")
    # ROC AUC one-vs-rest: its delta (DeLong per class) bound by default, the class-stratified bootstrap on request
    assert (
        MarginCheck("roc_auc_ovr", method="bootstrap", n_resamples=200).evaluate(multi).method
        == "class-stratified paired bootstrap"
    )
    assert (
        FloorCheck("roc_auc_ovr", at_least=0.5, method="bootstrap").evaluate(multi).method
        == "class-stratified bootstrap"
    )
    assert M.get_metric("roc_auc_ovr").margin_methods == ("delta", "delong-ovr", "bootstrap")
    assert M.get_metric("accuracy").margin_methods == ("mcnemar", "bernstein", "bootstrap")


def test_a_relative_margin_on_a_zero_r2_baseline_fails_with_the_reason():
    reg, _ = regression_evaluations()
    result = MarginCheck("r2", baseline="mean", margin=0.1, relative=True).evaluate(reg)
    assert not result.passed and "relative margin needs a positive baseline metric value" in result.message


def test_a_metric_that_does_not_fit_the_task_is_an_error_not_a_verdict():
    reg, _ = regression_evaluations()
    multi, _ = multiclass_evaluations()
    for check, ev, message in (
        (MarginCheck("roc_auc", baseline="mean"), reg, "metric 'roc_auc' does not apply to task 'regression'"),
        (FloorCheck("f1", at_least=0.5), multi, "metric 'f1' does not apply to task 'multiclass'"),
        (MarginCheck("mae"), multi, "metric 'mae' does not apply to task 'multiclass'"),
    ):
        with pytest.raises(GateUsageError, match=message):
            check.prepare(ev)
        with pytest.raises(GateUsageError, match=message):
            check.evaluate(ev)


@pytest.mark.parametrize(
    "make, name, method",
    [
        (multiclass_evaluations, "accuracy", "Clopper-Pearson"),
        (multiclass_evaluations, "log_loss", "mean-loss normal (skew-corrected)"),
        (multiclass_evaluations, "macro_f1", "delta on the logit scale (t on the smallest class)"),
        (multiclass_evaluations, "roc_auc_ovr", "DeLong per class (logit, Hanley-McNeil floor)"),
        (regression_evaluations, "mae", "mean-loss normal (skew-corrected)"),
        (regression_evaluations, "rmse", "scaled chi-square (Satterthwaite)"),
        (regression_evaluations, "r2", "delta on log(1 - R^2) (skew-corrected t)"),
    ],
)
def test_floors_per_task_pass_above_and_fail_below(make, name, method):
    good, _ = make()
    metric = M.get_metric(name)
    value = metric(good.labels, good.candidate)
    key = "at_least" if metric.higher_is_better else "at_most"
    step = 0.05 * max(abs(value), 0.1)
    easy = value - step if metric.higher_is_better else value + step
    at_value = FloorCheck(name, **{key: value}).evaluate(good)  # the bound is on the cautious side of the value
    passed = FloorCheck(name, **{key: easy}, n_resamples=500).evaluate(good)
    assert passed.passed, passed.message
    assert not at_value.passed and passed.method == method
    assert passed.candidate_value == pytest.approx(value, abs=1e-12)
    point = FloorCheck(name, **{key: value}, confidence=None).evaluate(good)
    assert not point.passed and point.method == "point estimate"  # strictly: equal is not beyond


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {"metric": "mae", "at_least": 1.0},
            "mae is lower-is-better: its floor is at_most (an upper limit), not at_least",
        ),
        ({"metric": "rmse", "at_least": 1.0}, "rmse is lower-is-better"),
        ({"metric": "r2", "at_most": 0.9}, "r2 is higher-is-better: its floor is at_least, not at_most"),
        ({"metric": "macro_f1", "at_most": 0.9}, "macro_f1 is higher-is-better"),
        ({"metric": "roc_auc_ovr", "at_most": 0.9}, "roc_auc_ovr is higher-is-better"),
        (
            {"metric": "r2", "at_least": 0.5, "method": "clopper-pearson"},
            "method 'clopper-pearson' applies to accuracy only",
        ),
    ],
)
def test_a_floor_on_the_wrong_side_is_refused_for_the_new_metrics(entry, message):
    with pytest.raises(GateUsageError) as info:
        parse_table({"checks": [entry]})
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_bootstrap_on_too_few_rows_claims_no_certainty():
    """A regression test: a macro_f1 floor on 1 row passed with a 'lower bound' of 1.0."""
    from modelgate.checks.floors import FloorCheck
    from modelgate.evidence.evaluation import Evaluation

    one = Evaluation(
        labels=np.array([0]), candidate=np.array([[0.9, 0.05, 0.05]]), task="multiclass", classes=(0, 1, 2)
    )
    result = FloorCheck("macro_f1", at_least=0.5).evaluate(one)
    assert not result.passed and "needs at least 2 rows" in result.message
    lonely = Evaluation(
        labels=np.array([0, 0, 1, 1, 2]),
        candidate=np.eye(3)[[0, 0, 1, 1, 2]] * 0.9 + 0.1 / 3,
        task="multiclass",
        classes=(0, 1, 2),
    )
    result = FloorCheck("macro_f1", at_least=0.5).evaluate(lonely)
    assert not result.passed and "at least 2 rows of each class present" in result.message
