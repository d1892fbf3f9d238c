"""Bounds for rows that come in groups (``group_column``): the cluster-robust variance on
group pseudo-values, the cluster bootstrap, and what a user relies on: copying rows
inside their group cannot make a model pass."""

import numpy as np
import pytest
from scipy import special

from modelgate.metrics import get_metric
from modelgate.stats.clusters import MIN_GROUPS, clustered_bound, clustered_difference, group_codes, pseudo_values
from modelgate.stats.methods import floor_bound, margin_bound

OPTIONS = {"confidence": 0.95, "n_resamples": 400, "seed": 0}


def binary_world(n=600, seed=0, gain=0.0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    noise = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n)
    return y, special.expit(noise[:, 0] + y * (1.3 + gain)), special.expit(noise[:, 1] + y * 1.3)


def copied(k, *arrays):
    """Every row k times, and its group: the row it is a copy of."""
    n = len(arrays[0])
    rows = np.repeat(np.arange(n), k)
    return rows, *(np.asarray(a)[rows] for a in arrays)


def test_pseudo_values_carry_the_estimate_and_the_cluster_robust_variance():
    rng = np.random.default_rng(3)
    x = rng.exponential(size=500)
    groups = rng.integers(0, 60, size=500)
    codes, g = group_codes(groups.astype(str))  # any hashable labels; codes 0..G-1
    assert g == len(np.unique(groups)) and codes.max() == g - 1
    z = pseudo_values(float(x.mean()), x - x.mean(), codes, g)
    assert z.mean() == pytest.approx(x.mean())
    # CR1 by hand: G / (G - 1) * sum over groups of (sum of centred values)^2 / n^2.
    totals = np.array([np.sum(x[codes == k] - x.mean()) for k in range(g)])
    cr1 = g / (g - 1) * np.sum(totals**2) / x.size**2
    assert np.var(z, ddof=1) / g == pytest.approx(cr1)


@pytest.mark.parametrize(
    "metric, task",
    [
        ("roc_auc", "binary"),
        ("accuracy", "binary"),
        ("brier", "binary"),
        ("log_loss", "binary"),
        pytest.param("f1", "binary", marks=pytest.mark.slow),  # the cluster bootstrap, 5 s: in the full suite
    ],
)
def test_copying_rows_inside_their_group_changes_nothing_but_the_plain_bound_narrows(metric, task):
    """The over-promotion a group column prevents: ten copies of each row are no more evidence
    than the row. The grouped bound on the copies is the bound with one group a row."""
    m = get_metric(metric)
    y, c, b = binary_world()
    single = np.arange(y.size)
    options = dict(OPTIONS, margin=0.0, relative=False)
    alone = margin_bound(m.method, m, task, y, c, b, groups=single, **options)
    groups, yk, ck, bk = copied(10, y, c, b)
    grouped = margin_bound(m.method, m, task, yk, ck, bk, groups=groups, **options)
    plain = margin_bound(m.method, m, task, yk, ck, bk, **options)
    assert grouped.estimate == pytest.approx(alone.estimate)
    assert grouped.lower == pytest.approx(alone.lower, abs=1e-9)
    assert grouped.p_value == pytest.approx(alone.p_value, abs=1e-9)
    assert grouped.n == 6000 and "600 groups" in grouped.method
    spread_plain, spread_grouped = plain.estimate - plain.lower, grouped.estimate - grouped.lower
    assert spread_plain < 0.5 * spread_grouped  # about 1 / sqrt(10) as wide


def test_with_one_row_a_group_the_cluster_robust_auc_matches_delong():
    y, c, b = binary_world(n=2000, seed=1, gain=0.2)
    m = get_metric("roc_auc")
    options = dict(OPTIONS, margin=0.0, relative=False)
    delong = margin_bound("delong", m, "binary", y, c, b, **options)
    grouped = margin_bound("delong", m, "binary", y, c, b, groups=np.arange(y.size), **options)
    assert grouped.estimate == pytest.approx(delong.estimate)
    assert grouped.estimate - grouped.lower == pytest.approx(delong.estimate - delong.lower, rel=0.03)


def test_group_effects_widen_the_bound_and_hold_the_boundary():
    """Each model suits some users better: exchangeable models whose true AUC difference is 0.
    The plain DeLong bound promotes far more often than 5%; the grouped one does not."""
    m = get_metric("roc_auc")
    plain = grouped = 0
    trials = 200
    rng = np.random.default_rng(5)
    for _ in range(trials):
        groups = np.repeat(np.arange(80), 10)
        y = (rng.random(groups.size) < 0.5).astype(int)
        sep_c = 1.2 + 0.8 * rng.normal(size=80)[groups]
        sep_b = 1.2 + 0.8 * rng.normal(size=80)[groups]
        noise = rng.normal(size=(groups.size, 2))
        c, b = special.expit(noise[:, 0] + y * sep_c), special.expit(noise[:, 1] + y * sep_b)
        options = dict(confidence=0.95, margin=0.0, relative=False, n_resamples=400, seed=0)
        plain += margin_bound("delong", m, "binary", y, c, b, **options).lower > 0
        grouped += margin_bound("delong", m, "binary", y, c, b, groups=groups, **options).lower > 0
    assert plain / trials > 0.09  # about 15% in benchmarks/group_rates.py
    assert grouped / trials <= 0.07  # 5% and Monte Carlo noise (se 1.5%)


def test_a_floor_on_grouped_rows_bounds_the_group_means():
    """Whole groups right or wrong: 40 groups of 25 rows, 32 right. The accuracy floor's
    bound is the bound of 40 values, not of 1,000 rows."""
    groups = np.repeat(np.arange(40), 25)
    right = np.repeat(np.arange(40) < 32, 25)
    y = np.zeros(groups.size, dtype=int)
    scores = np.where(right, 0.1, 0.9)
    m = get_metric("accuracy")
    plain = floor_bound("clopper-pearson", m, "binary", y, scores, side="lower", floor=0.7, **OPTIONS)
    grouped = floor_bound("clopper-pearson", m, "binary", y, scores, side="lower", floor=0.7, groups=groups, **OPTIONS)
    assert plain.value == grouped.value == pytest.approx(0.8)
    assert plain.bound > 0.77  # 1,000 independent rows would say so
    assert grouped.bound < 0.7 < plain.bound  # 40 groups do not: the floor fails
    assert "cluster-robust" in grouped.method and "40 groups" in grouped.method


def test_too_few_groups_is_inconclusive_and_a_nan_score_is_a_defect():
    y, c, b = binary_world(n=300)
    m = get_metric("roc_auc")
    few = np.arange(y.size) % (MIN_GROUPS - 1)
    bound = clustered_difference("delong", m, "binary", y, c, b, few, margin=0.0)
    assert bound.inconclusive and not bound.defined
    assert bound.reason == f"only {MIN_GROUPS - 1} groups of rows: a bound for grouped rows needs at least 10 groups"
    assert bound.estimate == pytest.approx(m.function(y, c) - m.function(y, b))
    nan = c.copy()
    nan[3] = np.nan
    broken = clustered_difference("delong", m, "binary", y, nan, b, np.arange(y.size), margin=0.0)
    assert not broken.defined and not broken.inconclusive and "NaN" in broken.reason
    one_class = clustered_bound("delong", m, "binary", np.ones(300, int), c, np.arange(300), side="lower", floor=0.5)
    assert one_class.inconclusive and "0 negative" in one_class.reason


def test_a_metric_without_a_row_form_takes_the_cluster_bootstrap():
    """Binary F1 and the error quantiles have no influence form here: whole groups are
    resampled. Copies inside their group give the bootstrap of the rows themselves."""
    rng = np.random.default_rng(2)
    y = rng.normal(size=300)
    c, b = y + rng.normal(size=300), y + 1.3 * rng.normal(size=300)
    m = get_metric("median_ae")
    options = dict(OPTIONS, margin=0.0, relative=False)
    alone = margin_bound(m.method, m, "regression", y, c, b, groups=np.arange(300), **options)
    groups, yk, ck, bk = copied(4, y, c, b)
    grouped = margin_bound(m.method, m, "regression", yk, ck, bk, groups=groups, **options)
    assert grouped.method == "cluster bootstrap, 300 groups"
    assert grouped.lower == pytest.approx(alone.lower) and grouped.estimate == pytest.approx(alone.estimate)
    floor = floor_bound(m.floor_method, m, "regression", yk, ck, side="upper", floor=2.0, groups=groups, **OPTIONS)
    assert floor.method == "cluster bootstrap, 300 groups" and floor.bound >= floor.value


def test_multiclass_and_regression_metrics_with_influences_take_their_row_form():
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 3, size=600)
    scores = rng.dirichlet(np.ones(3), size=600)
    scores[np.arange(600), codes] += 0.4
    scores /= scores.sum(axis=1, keepdims=True)
    groups = np.repeat(np.arange(60), 10)
    for name in ("macro_f1", "roc_auc_ovr", "accuracy", "log_loss"):
        m = get_metric(name)
        bound = floor_bound(m.floor_method, m, "multiclass", codes, scores, side="lower", floor=0.3, groups=groups)
        assert bound.defined and bound.method.startswith("cluster-robust") and "60 groups" in bound.method, name
    y = rng.normal(size=600)
    for name in ("mae", "rmse", "r2"):
        m = get_metric(name)
        c, b = y + rng.normal(size=600), y + 1.2 * rng.normal(size=600)
        d = margin_bound(m.method, m, "regression", y, c, b, groups=groups, margin=0.0, relative=False, **OPTIONS)
        assert d.defined and d.method.startswith("cluster-robust") and d.estimate > 0, name


# --- found by a hostile review -------------------------------------------------------------


def test_with_groups_a_class_of_one_row_is_inconclusive_as_without():
    """The plain rules' "2 rows of each class" holds for grouped rows too: one-vs-rest AUC
    and the cluster-bootstrapped F1 used to decide on a single row of a class."""
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(20), 10)
    codes = np.r_[np.zeros(100, int), np.ones(99, int), [2]]
    scores = rng.dirichlet(np.ones(3), size=200)
    m = get_metric("roc_auc_ovr")
    ovr = margin_bound(
        m.method, m, "multiclass", codes, scores, scores[::-1], groups=groups, margin=0.0, relative=False
    )
    assert ovr.inconclusive and "class 2 has 1 row of 200" in ovr.reason
    y = np.r_[np.zeros(199, int), [1]]
    f1 = get_metric("f1")
    c = np.where(y == 1, 0.9, rng.random(200) * 0.4)
    one = margin_bound(f1.method, f1, "binary", y, c, c * 0.9, groups=groups, margin=-0.1, relative=False, **OPTIONS)
    assert (
        one.inconclusive
        and one.reason == "the rows hold 1 positive and 199 negative: f1 needs at least 2 rows of each class"
    )
    floor = floor_bound(f1.floor_method, f1, "binary", y, c, groups=groups, side="lower", floor=0.1, **OPTIONS)
    assert floor.inconclusive


def test_a_relative_margin_on_groups_takes_students_t():
    """Fieller's bound on the group pseudo-values with t on G - 1 (a normal quantile passed
    6-7% at the boundary with 10-20 groups)."""
    from scipy import stats as sps

    from modelgate.stats.bounds import fieller_ratio

    y, c, b = binary_world(n=240, seed=7)
    groups = np.repeat(np.arange(12), 20)
    m = get_metric("brier")
    bound = margin_bound(m.method, m, "binary", y, c, b, groups=groups, margin=0.0, relative=True, **OPTIONS)
    codes, g = group_codes(groups)
    lc, lb = (y - c) ** 2, (y - b) ** 2
    zc = pseudo_values(lc.mean(), lc - lc.mean(), codes, g)
    zb = pseudo_values(lb.mean(), lb - lb.mean(), codes, g)
    cov = np.cov(zc, zb) / g
    t = sps.t.ppf(0.95, g - 1)
    lower, p, _ = fieller_ratio(-lc.mean(), lb.mean(), cov[0, 0], cov[1, 1], -cov[0, 1], t, -2.0, df=g - 1)
    assert bound.lower == pytest.approx(lower + 2.0) and bound.p_value == pytest.approx(p)
    assert "Fieller" in bound.method and "12 groups" in bound.method


def test_a_few_big_groups_are_worth_few_groups():
    """Five groups of 60 rows and 45 of 2 are worth 8.4 equal groups: too few to bound (the
    cluster-robust variance rests on the five); 10 of 40 and 90 of one are worth 14.9, and
    Student's t takes 13 degrees of freedom, not 99."""
    from modelgate.stats.clusters import effective_groups

    big = np.repeat(np.arange(50), np.r_[np.full(5, 60), np.full(45, 2)])
    assert effective_groups(*group_codes(big)) == pytest.approx(390**2 / (5 * 3600 + 45 * 4))
    y, c, b = binary_world(n=big.size, seed=2)
    m = get_metric("log_loss")
    few = margin_bound(m.method, m, "binary", y, c, b, groups=big, margin=0.0, relative=False, **OPTIONS)
    assert few.inconclusive and "50 groups of rows whose sizes make them worth 8.4 equal groups" in few.reason
    mixed = np.repeat(np.arange(100), np.r_[np.full(10, 40), np.full(90, 1)])
    y, c, b = binary_world(n=mixed.size, seed=3, gain=0.3)
    bound = margin_bound(m.method, m, "binary", y, c, b, groups=mixed, margin=0.0, relative=False, **OPTIONS)
    codes, g = group_codes(mixed)
    assert effective_groups(codes, g) == pytest.approx(490**2 / (10 * 1600 + 90))
    from modelgate.stats.losses import paired_loss_difference

    rows = [m.row_loss(y, s) for s in (c, b)]
    z = [pseudo_values(r.mean(), r - r.mean(), codes, g) for r in rows]
    by_hand = paired_loss_difference(z[0], z[1], margin=0.0, confidence=0.95, df=13)
    assert bound.lower == pytest.approx(by_hand.lower)


def test_group_codes_follow_the_groups_not_the_row_order():
    """The cluster bootstrap draws groups by code: codes by first appearance made the same
    gate's bound (and verdict) depend on the order of the rows."""
    import pandas as pd

    from modelgate.evidence.evaluation import row_groups

    frame = pd.DataFrame({"user": ["u3", "u1", "u2", "u1", "u3"], "y": [0, 1, 0, 1, 1]})
    codes = row_groups(frame, "user", "y")
    assert codes.tolist() == [2, 0, 1, 0, 2]
    shuffled = frame.iloc[[4, 2, 0, 3, 1]]
    assert row_groups(shuffled, "user", "y").tolist() == codes[[4, 2, 0, 3, 1]].tolist()
    mixed = pd.DataFrame({"user": [2, "a", 1.5, "a"], "y": [0, 1, 0, 1]})  # values that do not sort together
    assert row_groups(mixed, "user", "y").tolist() == row_groups(mixed.iloc[::-1], "user", "y").tolist()[::-1]


def test_a_nan_score_fails_however_few_the_groups():
    """A defect is never inconclusive: with 5 groups (too few to bound) a NaN score used to be
    "inconclusive", which on_inconclusive = "pass" passes."""
    y, c, b = binary_world(n=200)
    c = c.copy()
    c[7] = np.nan
    few = np.arange(200) % 5
    for name in ("log_loss", "accuracy", "roc_auc", "f1"):
        m = get_metric(name)
        d = margin_bound(m.method, m, "binary", y, c, b, groups=few, margin=0.0, relative=False, **OPTIONS)
        assert not d.defined and not d.inconclusive and "NaN" in d.reason, name
        f = floor_bound(m.floor_method, m, "binary", y, c, groups=few, side="lower", floor=0.5, **OPTIONS)
        assert not f.defined and not f.inconclusive, name


def test_the_cluster_bootstrap_expands_by_the_groups_effective_number():
    """10 groups of 90 rows and 100 singletons are 110 groups worth 12: the percentile is taken
    at the level of 12 groups, not 110 (a second review: almost no expansion before)."""
    from modelgate.stats.clusters import _expanded, _too_few

    codes, g = group_codes(np.repeat(np.arange(110), np.r_[np.full(10, 90), np.ones(100, int)]))
    worth = _too_few(codes, g)[1] + 1  # what the bootstrap paths pass on
    assert worth == 12
    assert _expanded(0.95, worth) > _expanded(0.95, g) + 0.015
