"""Bounds from paired per-row losses (log_loss, brier): the per-row losses against
scikit-learn, stats.paired_loss_difference against hand computations and the generic
bootstrap, and the margin check's dispatch. Plain calls: no model, no Metaflow."""

import math
import tracemalloc

import numpy as np
import pytest
from scipy import optimize, special
from scipy import stats as sps
from sklearn import metrics as skm

from modelgate import MarginCheck
from modelgate import metrics as M
from modelgate import stats as S
from modelgate.evidence.evaluation import Evaluation

Z95 = 1.6448536269514722  # one-sided 95% normal quantile


def realistic(n=2264, seed=0, slope=0.7):
    """A validation set like the real one: 77% positives, a calibrated candidate
    (scores = the true probabilities) and an under-confident baseline (the true
    log-odds shrunk by `slope`), so the candidate's expected losses are lower."""
    rng = np.random.default_rng(seed)
    logit = 1.75 + 1.5 * rng.standard_normal(n)
    truth = special.expit(logit)
    y = (rng.random(n) < truth).astype(int)
    return y, truth, special.expit(1.75 + slope * (logit - 1.75))


# ------------------------------------------------------------ per-row losses


@pytest.mark.parametrize("name", ["log_loss", "brier"])
def test_the_mean_row_loss_is_the_metric_and_scikit_learn(name):
    y, c, b = realistic(n=1000)
    scores = np.r_[c[:-4], 0.0, 1.0, 1e-17, 1 - 1e-17]  # clipped log loss at both ends
    reference = {
        "log_loss": lambda yy, s: skm.log_loss(yy, np.clip(s, 1e-15, 1 - 1e-15)),
        "brier": skm.brier_score_loss,
    }[name]
    metric = M.get_metric(name)
    rows = metric.row_loss(y, scores)
    assert rows.shape == (1000,) and rows.dtype == np.float64
    assert float(np.mean(rows)) == pytest.approx(metric(y, scores), abs=1e-12)
    assert float(np.mean(rows)) == pytest.approx(reference(y, scores), abs=1e-12)


def test_the_row_losses_by_hand():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.8, 0.8, 0.0, 0.5])
    ll = M.log_loss_rows(y, p)
    assert ll[:2] == pytest.approx([-math.log(0.8), -math.log(0.2)], abs=1e-15)
    assert ll[2] == pytest.approx(-math.log(1e-15))  # clipped, not infinite
    assert ll[3] == pytest.approx(math.log(2.0))
    assert M.brier_rows(y, p) == pytest.approx([0.04, 0.64, 1.0, 0.25], abs=1e-15)
    nan = M.log_loss_rows(y, [0.5, math.nan, 0.5, 0.5])
    assert math.isnan(nan[1]) and np.isfinite(nan[[0, 2, 3]]).all()


def test_log_loss_and_brier_default_to_the_paired_loss_bound():
    for name in ("log_loss", "brier"):
        metric = M.get_metric(name)
        assert metric.method == "paired-loss" and metric.row_loss is not None
        assert metric.higher_is_better is False
    for name in ("roc_auc", "accuracy", "f1"):
        assert M.get_metric(name).row_loss is None


def test_a_metric_refuses_an_inconsistent_row_loss():
    with pytest.raises(ValueError, match="needs a row_loss"):
        M.Metric("mae", lambda y, s: 0.0, higher_is_better=False, method="paired-loss")
    with pytest.raises(ValueError, match="per-row loss is lower-is-better"):
        M.Metric("gain", lambda y, s: 0.0, higher_is_better=True, row_loss=M.brier_rows)


# ------------------------------------------------------------- normal bound


LC = np.array([0.5, 0.2, 0.6, 0.3, 0.4])
LB = LC + np.array([0.1, 0.3, -0.1, 0.2, 0.0])  # d = b - c: mean 0.1, var 0.025, skewness 0


def test_the_normal_bound_is_the_hand_computation():
    # d - mean(d) = (0, 0.2, -0.2, 0.1, -0.1) is symmetric: no skewness, no correction
    bound = S.paired_loss_difference(LC, LB)
    se = math.sqrt(0.025 / 5)  # sd(d) / sqrt(n), sd with n - 1
    assert bound.method == "paired-loss normal (skew-corrected)" and bound.n == 5 and bound.reason == ""
    assert bound.candidate == pytest.approx(0.4) and bound.baseline == pytest.approx(0.5)
    assert bound.estimate == pytest.approx(0.1, abs=1e-15)
    assert bound.lower == pytest.approx(0.1 - Z95 * se, abs=1e-12)
    assert bound.lower == pytest.approx(-0.0163087, abs=1e-7)
    assert bound.p_value == pytest.approx(sps.norm.sf(0.1 / se), abs=1e-12)  # H0: d <= 0
    assert bound.p_value == pytest.approx(0.0786496, abs=1e-7)
    # At margin -0.05 (90%) the normal bound, 0.1 - 1.28 se, clears; but 5 rows are too
    # few for any normal bound of a mean (Sugden-Smith-Jones: at least 29): Cantelli's,
    # 0.1 - 3 se, decides, and does not clear.
    assert 0.1 - sps.norm.ppf(0.9) * se > -0.05
    at = S.paired_loss_difference(LC, LB, margin=-0.05, confidence=0.9)
    assert at.method == "paired-loss Cantelli" and at.inconclusive
    assert at.lower == pytest.approx(0.1 - 3.0 * se, abs=1e-12)
    assert at.p_value == pytest.approx(1 / (1 + (0.15 / se) ** 2), abs=1e-12)


def test_the_bound_and_the_p_value_agree_at_the_margin():
    y, c, b = realistic()
    lc, lb = M.log_loss_rows(y, c), M.log_loss_rows(y, b)
    bound = S.paired_loss_difference(lc, lb)
    at_bound = S.paired_loss_difference(lc, lb, margin=bound.lower)
    assert at_bound.p_value == pytest.approx(0.05, abs=1e-9)


# d = b - c = (0.2, 0.1, 0.3, 0.2, -0.3, 0.15): one low row, a left skew. In units of
# 1/120: d = (24, 12, 36, 24, -36, 18), mean 13, d - mean = (11, -1, 23, 11, -49, 5), whose
# squares sum to 3198 and cubes to -102696.
LC_SKEW = np.array([0.4, 0.5, 0.3, 0.6, 0.2, 0.45])
LB_SKEW = LC_SKEW + np.array([0.2, 0.1, 0.3, 0.2, -0.3, 0.15])


def corrected_quantile(x, k):
    """The Cornish-Fisher quantile of the studentised mean, x - k (2x^2 + 1)."""
    return x - k * (2 * x * x + 1)


def test_the_skew_corrected_bound_is_the_hand_computation():
    bound = S.paired_loss_difference(LC_SKEW, LB_SKEW)
    mean = 13 / 120
    se = math.sqrt(3198 / 5 / 120**2 / 6)  # sd with n - 1 = 5, over sqrt(6)
    g = (-102696 / 6) / (3198 / 6) ** 1.5  # m3 / m2^1.5, moments over n
    assert g == pytest.approx(sps.skew(LB_SKEW - LC_SKEW), abs=1e-12)
    assert g == pytest.approx(-1.3909498, abs=1e-7)
    k = g / (6 * math.sqrt(6))
    assert bound.method == "paired-loss normal (skew-corrected)" and bound.n == 6
    assert bound.estimate == pytest.approx(mean, abs=1e-14)
    # k < 0 raises the quantile above z (1.645 -> 2.252): the bound moves down
    assert corrected_quantile(Z95, k) == pytest.approx(2.2516127, abs=1e-7)
    assert bound.lower == pytest.approx(mean - se * corrected_quantile(Z95, k), abs=1e-12)
    assert bound.lower == pytest.approx(-0.0853941, abs=1e-7)
    assert bound.lower < mean - Z95 * se  # below the plain bound, -0.0331889
    # p: the confidence at which the bound reaches the margin (0): the root x of
    # corrected_quantile(x, k) = mean / se on its increasing branch (x > 1 / (4k))
    x = optimize.brentq(lambda x: corrected_quantile(x, k) - mean / se, 1 / (4 * k), 10, xtol=1e-14)
    assert bound.p_value == pytest.approx(sps.norm.sf(x), abs=1e-12)
    assert bound.p_value == pytest.approx(0.1630608, abs=1e-7)
    assert bound.p_value > sps.norm.sf(mean / se)  # the plain p-value, 0.0966
    # At margin -0.2 the normal bound (90%) clears, but 6 rows skewed -1.39 toward failing
    # are too few for it (Sugden-Smith-Jones: n > 28 + 25 g^2 = 76.4): the bound is
    # Cantelli's, mean - se sqrt(0.9 / 0.1), and p = 1 / (1 + t^2), t = (mean + 0.2) / se.
    z90 = sps.norm.ppf(0.9)
    assert mean - se * corrected_quantile(z90, k) > -0.2
    at = S.paired_loss_difference(LC_SKEW, LB_SKEW, margin=-0.2, confidence=0.9)
    assert at.method == "paired-loss Cantelli"
    assert at.lower == pytest.approx(mean - 3.0 * se, abs=1e-12)
    assert at.p_value == pytest.approx(1 / (1 + ((mean + 0.2) / se) ** 2), abs=1e-12)
    assert at.lower > -0.2 and not at.inconclusive  # a large effect still passes
    near = S.paired_loss_difference(LC_SKEW, LB_SKEW, margin=-0.1, confidence=0.9)
    assert mean - se * corrected_quantile(z90, k) > -0.1 > near.lower  # normal clears, Cantelli does not
    assert near.inconclusive and "too skewed toward failing" in near.reason and "76" not in near.reason
    assert "needs at least 77 rows" in near.reason


def test_symmetric_differences_give_the_plain_bound():
    rng = np.random.default_rng(6)
    half = rng.standard_normal(400) * 0.1
    lc = rng.random(800)
    d = 0.01 + np.r_[half, -half]  # mirrored about its mean: sample skewness 0
    bound = S.paired_loss_difference(lc, lc + d, margin=0.003)
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert abs(sps.skew(d)) < 1e-12
    assert bound.method == "paired-loss normal (skew-corrected)"
    assert bound.lower == pytest.approx(bound.estimate - Z95 * se, abs=1e-12)
    assert bound.p_value == pytest.approx(sps.norm.sf((bound.estimate - 0.003) / se), abs=1e-12)


def test_a_left_skew_lowers_the_bound_and_a_right_skew_does_not_raise_it():
    y, c, b = realistic()
    for name in ("log_loss", "brier"):
        loss = M.get_metric(name).row_loss
        lc, lb = loss(y, c), loss(y, b)
        d = lb - lc
        se = d.std(ddof=1) / math.sqrt(d.size)
        assert sps.skew(d) < -0.2, name  # the calibrated candidate is now and then confidently wrong
        bound = S.paired_loss_difference(lc, lb)
        plain = bound.estimate - Z95 * se
        k = sps.skew(d) / (6 * math.sqrt(d.size))
        assert bound.lower < plain and bound.lower == pytest.approx(
            bound.estimate - se * corrected_quantile(Z95, k), abs=1e-12
        )
        # the same data the other way round: d is right-skewed, and the bound is the plain one
        swapped = S.paired_loss_difference(lb, lc)
        assert swapped.method == "paired-loss normal (skew-corrected)"
        assert swapped.lower == pytest.approx(swapped.estimate - Z95 * se, abs=1e-12)
        assert swapped.p_value == pytest.approx(sps.norm.sf(swapped.estimate / se), abs=1e-12)
    # one large positive d (the baseline confidently wrong on one row) does not promote:
    # uncorrected for a right skew, the bound stays the plain one, below 0
    d = np.r_[np.zeros(99), 30.0]
    lone = S.paired_loss_difference(np.ones(100), 1 + d)
    assert lone.lower == pytest.approx(0.3 - Z95 * d.std(ddof=1) / 10, abs=1e-12) and lone.lower < 0


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.95, 0.99, 0.999])
def test_the_pass_rule_and_the_p_value_agree(confidence):
    y, c, b = realistic(n=300, seed=7)
    sets = [
        (M.log_loss_rows(y, c), M.log_loss_rows(y, b)),
        (M.brier_rows(y, c), M.brier_rows(y, b)),
        (LC_SKEW, LB_SKEW),
        (np.zeros(50), np.r_[np.full(49, 0.1), -3.0]),  # strongly left-skewed: g = -6.9
        (np.zeros(3), np.array([0.2, 0.1, -0.5])),
    ]
    for lc, lb in sets:
        bound = S.paired_loss_difference(lc, lb, confidence=confidence)
        assert bound.method in ("paired-loss normal (skew-corrected)", "paired-loss Cantelli")
        # at the bound itself p is 1 - confidence; just inside and outside it, both flip together
        at = S.paired_loss_difference(lc, lb, confidence=confidence, margin=bound.lower)
        assert at.p_value == pytest.approx(1 - confidence, abs=1e-9)
        step = 1e-6 * (bound.estimate - bound.lower + 1e-3)
        for margin in (bound.lower - step, bound.lower + step, *np.linspace(-1, 1, 41)):
            r = S.paired_loss_difference(lc, lb, confidence=confidence, margin=margin)
            assert bool(r.lower > margin) is bool(r.p_value < 1 - confidence), (margin, r)


def test_a_margin_beyond_every_corrected_bound_has_p_at_the_vertex():
    # with k < 0 the corrected quantile x - k (2x^2 + 1) has a minimum, (1 - 8k^2) / (8k) at
    # x = 1/(4k): a margin that far above the estimate fails at every confidence, p = sf(1/(4k))
    lc, lb = np.zeros(50), np.r_[np.full(49, 0.1), -3.0]
    d = lb - lc
    k = sps.skew(d) / (6 * math.sqrt(d.size))
    se = d.std(ddof=1) / math.sqrt(d.size)
    lowest = (1 - 8 * k * k) / (8 * k)
    beyond = S.paired_loss_difference(lc, lb, margin=d.mean() - se * (lowest - 0.1))
    assert beyond.p_value == pytest.approx(sps.norm.sf(1 / (4 * k)), abs=1e-12) and beyond.p_value > 0.93
    within = S.paired_loss_difference(lc, lb, margin=d.mean() - se * (lowest + 0.1))
    assert 0.5 < within.p_value < beyond.p_value


def test_two_rows_and_zero_variance_keep_the_plain_bound():
    # two rows: the sample skewness is 0 identically, not an estimate; named plainly
    two = S.paired_loss_difference([0.2, 0.4], [0.5, 0.4])
    se = math.sqrt(np.var([0.3, 0.0], ddof=1) / 2)
    assert two.method == "paired-loss normal"
    assert two.lower == pytest.approx(0.15 - Z95 * se, abs=1e-12)
    assert two.p_value == pytest.approx(sps.norm.sf(0.15 / se), abs=1e-12)
    three = S.paired_loss_difference([0.2, 0.4, 0.1], [0.5, 0.4, 0.3], margin=0.5)
    assert three.method == "paired-loss normal (skew-corrected)"
    # d = 0.25 on every row: zero variance on 10 rows is no certainty about the next ones
    same = S.paired_loss_difference(np.full(10, 0.25), np.full(10, 0.5))
    assert same.inconclusive and not same.defined and same.estimate == 0.25
    # The same losses on every row: two models agreeing on 10 rows may differ on the next.
    tie = S.paired_loss_difference(np.full(10, 0.25), np.full(10, 0.25), margin=-0.01)
    assert tie.inconclusive and tie.estimate == 0.0
    assert S.mean_loss_bound(np.full(10, 0.25), side="upper", floor=0.3).inconclusive


def test_point_estimate_only():
    bound = S.paired_loss_difference(LC, LB, confidence=None)
    assert bound.method == "point estimate" and bound.lower == bound.estimate == pytest.approx(0.1)
    assert math.isnan(bound.p_value)
    one_row = S.paired_loss_difference([0.2], [0.5], confidence=None)
    assert one_row.defined and one_row.estimate == pytest.approx(0.3)


# ----------------------------------------------------------------- direction


def test_a_lower_loss_is_better():
    y, c, b = realistic()
    for name in ("log_loss", "brier"):
        loss = M.get_metric(name).row_loss
        better = S.paired_loss_difference(loss(y, c), loss(y, b))
        worse = S.paired_loss_difference(loss(y, b), loss(y, c))
        assert better.candidate < better.baseline
        assert better.estimate == pytest.approx(better.baseline - better.candidate)
        assert better.lower > 0 and better.p_value < 0.05, name
        assert worse.estimate == pytest.approx(-better.estimate)
        assert worse.lower < worse.estimate < 0 and worse.p_value > 0.95, name


# --------------------------------------------------------------- the bootstrap


@pytest.mark.slow  # a reference: a large bootstrap, seconds of CPU
def test_the_bootstrap_agrees_with_the_generic_bootstrap_on_log_loss():
    # Both take the 5th percentile of a bootstrap distribution of b - c. Its Monte Carlo
    # sd with B resamples is about sqrt(0.05 * 0.95 / B) / phi(1.645) * spread = 2.12
    # spread / sqrt(B). The generic bootstrap resamples within each class, which drops
    # the between-class part of the variance: here d = b - c averages -0.04 on positives
    # and +0.17 on negatives, so its spread is the within-class sd, 17% narrower. The
    # loss bootstrap draws rows (and so class counts) at random, as the validation rows are.
    y, c, b = realistic()
    lc, lb = M.log_loss_rows(y, c), M.log_loss_rows(y, b)
    fast = S.paired_loss_difference(lc, lb, method="bootstrap", n_resamples=2000, seed=1)
    slow = S.paired_bootstrap_difference(M.log_loss, y, c, b, higher_is_better=False, n_resamples=400, seed=2)
    normal = S.paired_loss_difference(lc, lb)
    assert fast.method == "paired-loss bootstrap" and slow.method == "paired bootstrap"
    assert fast.estimate == pytest.approx(slow.estimate, abs=1e-12)
    assert (fast.candidate, fast.baseline) == pytest.approx((slow.candidate, slow.baseline), abs=1e-12)

    d = lb - lc
    pos = y == 1
    sd = d.std()
    sd_within = math.sqrt(pos.mean() * d[pos].var() + (~pos).mean() * d[~pos].var())
    assert 0.80 < sd_within / sd < 0.86
    se = sd / math.sqrt(d.size)
    # the loss bootstrap against the normal bound, and against the generic bootstrap
    # with its spread rescaled to the full variance
    assert abs(fast.lower - normal.lower) < 4 * 2.12 * se / math.sqrt(2000)
    rescaled = fast.estimate - (fast.estimate - slow.lower) * sd / sd_within
    assert abs(fast.lower - rescaled) < 4 * 2.12 * se * math.sqrt(1 / 2000 + 1 / 400)
    assert 0 < fast.lower < slow.lower < fast.estimate  # a real gain; the stratified bound is higher


def test_the_bootstrap_p_value_counts_resamples_at_or_below_the_margin():
    y, c, b = realistic(n=500)
    lc, lb = M.brier_rows(y, c), M.brier_rows(y, b)
    bound = S.paired_loss_difference(lc, lb, method="bootstrap", n_resamples=999, seed=3)
    again = S.paired_loss_difference(lc, lb, method="bootstrap", n_resamples=999, seed=3)
    assert bound == again  # seeded
    assert bound.p_value * 1000 == pytest.approx(round(bound.p_value * 1000))  # (1 + k) / (B + 1)
    # the (1 - confidence) quantile: about 5% of the resamples lie at or below it
    at = S.paired_loss_difference(lc, lb, method="bootstrap", margin=bound.lower, n_resamples=999, seed=3)
    assert 0.04 < at.p_value < 0.06


def test_the_bootstrap_memory_does_not_grow_with_the_resamples():
    rng = np.random.default_rng(0)
    n = 1_000_000
    lc, lb = rng.random(n), rng.random(n)
    tracemalloc.start()
    try:
        S.paired_loss_difference(lc, lb, method="bootstrap", relative=True, n_resamples=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 120e6  # a few chunks' worth (each 1 resample x 1e6 rows), not B x n


# ------------------------------------------------------------------- relative


def test_the_relative_normal_bound_is_fieller_by_hand():
    y, c, b = realistic(n=800, seed=4)
    lc, lb = M.log_loss_rows(y, c), M.log_loss_rows(y, b)
    bound = S.paired_loss_difference(lc, lb, relative=True)
    cm, bm = lc.mean(), lb.mean()
    assert bound.method == "paired-loss normal (Fieller ratio)"
    assert bound.estimate == pytest.approx((bm - cm) / bm, abs=1e-14)
    # Fieller: the ratio rho = c/b is in the interval where (c - rho b)^2 <= z^2 Var(c - rho b);
    # the lower bound of 1 - c/b is 1 - (the interval's upper end).
    cov = np.cov(lc, lb) / lc.size
    vcc, vbb, vcb = cov[0, 0], cov[1, 1], cov[0, 1]
    quadratic = [bm**2 - Z95**2 * vbb, -2 * (cm * bm - Z95**2 * vcb), cm**2 - Z95**2 * vcc]
    rho_high = max(np.roots(quadratic).real)
    assert bound.lower == pytest.approx(1 - rho_high, abs=1e-12)
    # dual to the normal test of mean((1 - m) lb - lc) <= 0
    m = 0.05
    t = (1 - m) * lb - lc
    p = S.paired_loss_difference(lc, lb, relative=True, margin=m).p_value
    assert p == pytest.approx(sps.norm.sf(t.mean() / (t.std(ddof=1) / math.sqrt(t.size))), abs=1e-12)
    assert S.paired_loss_difference(lc, lb, relative=True, margin=bound.lower).p_value == pytest.approx(0.05, abs=1e-9)


def test_the_relative_bootstrap_is_the_ratio_of_resampled_means():
    y, c, b = realistic(n=800, seed=4)
    lc, lb = M.log_loss_rows(y, c), M.log_loss_rows(y, b)
    normal = S.paired_loss_difference(lc, lb, relative=True)
    boot = S.paired_loss_difference(lc, lb, relative=True, method="bootstrap", seed=5)
    assert boot.method == "paired-loss bootstrap (ratio of means)"
    assert boot.estimate == normal.estimate
    se = (normal.estimate - normal.lower) / Z95
    assert abs(boot.lower - normal.lower) < 4 * 2.12 * se / math.sqrt(2000)
    # the relative bound is the plain absolute one over the baseline's mean loss, roughly
    # (Fieller is not skew-corrected; the absolute bound is, so compare with its plain form)
    absolute = S.paired_loss_difference(lc, lb)
    plain = absolute.estimate - Z95 * (lb - lc).std(ddof=1) / math.sqrt(lc.size)
    assert normal.lower == pytest.approx(plain / absolute.baseline, rel=0.05)
    assert absolute.lower < plain


# ----------------------------------------------------------- undefined: fails


@pytest.mark.parametrize("method", ["normal", "bootstrap"])
@pytest.mark.parametrize(
    "lc, lb, relative, reason",
    [
        ([], [], False, "no rows"),
        ([0.2], [0.5], False, "at least 2 rows"),
        ([0.2, math.nan, 0.1], [0.5, 0.4, 0.3], False, "loss_candidate is not finite on 1 of 3 rows"),
        ([0.2, 0.3, 0.1], [0.5, math.inf, 0.3], False, "loss_baseline is not finite on 1 of 3 rows"),
        ([0.2, 0.3, 0.1], [0.0, 0.0, 0.0], True, "positive baseline"),
    ],
)
def test_undefined_cases_give_no_bound_and_a_reason(lc, lb, relative, reason, method):
    bound = S.paired_loss_difference(lc, lb, relative=relative, method=method, margin=-1.0)
    assert not bound.defined and math.isnan(bound.lower) and math.isnan(bound.p_value)
    assert reason in bound.reason


def test_a_degenerate_relative_bootstrap_is_undefined():
    # the baseline's loss is 0 on all but one row: some resamples miss it, and b = 0 there
    lb = np.r_[np.zeros(19), 1.0]
    bound = S.paired_loss_difference(np.zeros(20), lb, relative=True, method="bootstrap", n_resamples=500)
    assert not bound.defined and "degenerate" in bound.reason
    assert bound.estimate == 1.0  # the point estimate is still reported


def test_the_same_losses_on_every_row_are_no_proof_of_a_tie():
    # d = 0 on every sampled row: at margin 0 the estimate does not clear (a plain FAIL);
    # against a negative margin it would, and agreement on the sample is no certainty
    loss = np.linspace(0.1, 0.9, 50)
    for method in ("normal", "bootstrap"):
        bound = S.paired_loss_difference(loss, loss, method=method)
        assert bound.defined and bound.lower == bound.estimate == 0.0
        assert bound.p_value == 1.0 if method == "normal" else bound.p_value == pytest.approx(1.0)
        tie = S.paired_loss_difference(loss, loss, method=method, margin=-0.01)
        assert tie.inconclusive and not tie.defined


def test_malformed_input_is_a_programming_error():
    with pytest.raises(ValueError, match="not paired row by row"):
        S.paired_loss_difference([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="must be 1-D"):
        S.paired_loss_difference(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="method must be one of normal, bootstrap"):
        S.paired_loss_difference([0.1, 0.2], [0.1, 0.2], method="delong")
    with pytest.raises(ValueError, match="n_resamples"):
        S.paired_loss_difference([0.1, 0.2], [0.1, 0.2], n_resamples=0)
    with pytest.raises(ValueError, match="margin must be finite"):
        S.paired_loss_difference([0.1, 0.2], [0.1, 0.2], margin=math.nan)


# ------------------------------------------------------------- the margin check


def evidence(y, candidate, baseline):
    return Evaluation(
        labels=y,
        candidate=np.asarray(candidate, float),
        baselines={"majority": np.full(len(y), y.mean()), "champion": np.asarray(baseline, float)},
    )


@pytest.mark.parametrize("metric", ["log_loss", "brier"])
def test_the_margin_check_uses_the_paired_loss_bound_by_default(metric):
    y, c, b = realistic()
    loss = M.get_metric(metric).row_loss
    expected = S.paired_loss_difference(loss(y, c), loss(y, b), margin=0.001)
    result = MarginCheck(metric, baseline="champion", margin=0.001).evaluate(evidence(y, c, b))
    assert result.method == "paired-loss normal (skew-corrected)"
    assert "(paired-loss normal (skew-corrected), p=" in result.message
    assert (result.estimate, result.lower, result.p_value) == (expected.estimate, expected.lower, expected.p_value)
    assert result.candidate_value == pytest.approx(M.get_metric(metric)(y, c), abs=1e-12)
    assert result.passed is (expected.lower > 0.001) is True
    # the other way round the candidate is the worse model, and fails
    assert MarginCheck(metric, baseline="champion", margin=-0.001).evaluate(evidence(y, b, c)).passed is False
    # method "paired-loss" names the default; "bootstrap" keeps the generic path, for comparison
    same = MarginCheck(metric, baseline="champion", margin=0.001, method="paired-loss").evaluate(evidence(y, c, b))
    assert same.lower == result.lower
    generic = MarginCheck(metric, baseline="champion", margin=0.001, method="bootstrap", n_resamples=200)
    old = generic.evaluate(evidence(y, c, b))
    assert old.method == "paired bootstrap" and old.estimate == pytest.approx(result.estimate, abs=1e-12)
    assert old.lower == pytest.approx(result.lower, abs=0.5 * (result.estimate - result.lower))


def test_the_margin_check_fails_undefined_losses_with_the_reason():
    y, c, b = realistic(n=300)
    c = c.copy()
    c[7] = math.nan
    result = MarginCheck("log_loss", baseline="champion", margin=-1.0).evaluate(evidence(y, c, b))
    assert result.passed is False
    assert "loss_candidate is not finite on 1 of 300 rows" in result.message
    assert "nothing undefined passes" in result.message


def test_the_margin_check_relative_margin():
    y, c, b = realistic()
    result = MarginCheck("log_loss", baseline="champion", margin=0.05, relative=True).evaluate(evidence(y, c, b))
    assert result.method == "paired-loss normal (Fieller ratio)"
    assert result.estimate == pytest.approx((result.baseline_value - result.candidate_value) / result.baseline_value)
    assert result.passed is (result.lower > 0.05)
    assert (result.p_value < 0.05) is result.passed


def test_paired_loss_is_refused_for_a_metric_without_a_row_loss():
    with pytest.raises(ValueError, match="method 'paired-loss' applies to"):
        MarginCheck("roc_auc", method="paired-loss")
