"""Benchmark modelgate.stats: decision quality of the gate rule, and speed.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_stats.py           # ~2 minutes
    .venv/bin/python benchmarks/bench_stats.py --quick   # ~20 seconds
    .venv/bin/python benchmarks/bench_stats.py --tasks   # multiclass and regression metrics, ~6 minutes
    .venv/bin/python benchmarks/bench_stats.py --speed   # every metric's margin and floor bound, timed
    .venv/bin/python benchmarks/bench_stats.py --worlds  # false passes at the boundary, small n and heavy tails
    .venv/bin/python benchmarks/bench_stats.py --rates   # property failure budgets and slices
    .venv/bin/python benchmarks/bench_stats.py --groups  # correlated rows: plain against grouped bounds

1. Decision quality. Trials of a validation set shaped like the real one
   (2,264 rows, 77% positives). Scores are binormal: per class, candidate and
   baseline are jointly normal (unit variance, correlation --rho), negatives
   centred at 0 and positives at mu, so each true AUC is Phi(mu / sqrt 2)
   exactly. The baseline's true AUC is 0.80; the candidate's true gain is
   either exactly the margin (0.02: every promotion is a false promotion) or
   the margin + 0.03 (promotion is right: power). Reported: the share of
   trials promoted by the default rule (DeLong one-sided 95% lower bound >
   margin, goal <= 5% at the margin), by the point-estimate rule (estimate >
   margin, ~50% at the margin) and, on fewer trials, by the paired-bootstrap
   rule; with Monte Carlo standard errors.
2. Speed, medians of repeated runs measured side by side in the same run:
   DeLong on 1,000,000 paired scores against one np.argsort of 1,000,000
   floats (goal <= 10x); the weighted-rank bootstrap (2,000 resamples of
   100,000 rows) against the naive loop calling sklearn's roc_auc_score
   twice per resample, timed on a subset of resamples and scaled (goal >=
   20x); and the bootstrap's peak traced memory.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy import stats as sps

try:
    from modelgate import stats as S
except ImportError:  # not installed: run from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from modelgate import stats as S

N_ROWS = 2264
POS_SHARE = 0.77
BASE_AUC = 0.80
MARGIN = 0.02
EXTRA_GAIN = 0.03


def mu_for_auc(auc: float) -> float:
    """Positive-class mean giving this AUC against N(0, 1) negatives (binormal, unit variances)."""
    return math.sqrt(2.0) * sps.norm.ppf(auc)


def simulate(true_gain: float, trials: int, boot_trials: int, rho: float, seed: int, boot_b: int):
    """Promotion counts of each rule over `trials` simulated validation sets."""
    rng = np.random.default_rng(seed)
    m = round(N_ROWS * POS_SHARE)
    y = np.r_[np.ones(m, dtype=int), np.zeros(N_ROWS - m, dtype=int)]
    mu_b, mu_c = mu_for_auc(BASE_AUC), mu_for_auc(BASE_AUC + true_gain)
    shift = np.where(y == 1, 1.0, 0.0)
    chol = np.linalg.cholesky(np.array([[1.0, rho], [rho, 1.0]]))
    delong_pass = point_pass = boot_pass = 0
    estimates, ses = np.empty(trials), np.empty(trials)
    z = sps.norm.ppf(0.95)
    for t in range(trials):
        e = rng.standard_normal((N_ROWS, 2)) @ chol.T
        c = e[:, 0] + mu_c * shift
        b = e[:, 1] + mu_b * shift
        bound = S.delong_auc_difference(y, c, b, margin=MARGIN)
        delong_pass += bound.lower > MARGIN
        point_pass += bound.estimate > MARGIN
        estimates[t], ses[t] = bound.estimate, (bound.estimate - bound.lower) / z
        if t < boot_trials:
            boot = S.paired_bootstrap_difference("roc_auc", y, c, b, margin=MARGIN, n_resamples=boot_b, seed=t)
            boot_pass += boot.lower > MARGIN
    return {
        "true AUC c/b": f"{BASE_AUC + true_gain:.2f}/{BASE_AUC:.2f}",
        "delong": delong_pass / trials,
        "point": point_pass / trials,
        "boot": boot_pass / boot_trials if boot_trials else math.nan,
        "trials": trials,
        "boot_trials": boot_trials,
        "mean estimate": float(estimates.mean()),
        "sd estimate": float(estimates.std(ddof=1)),
        "median se": float(np.median(ses)),
    }


def mc_se(rate: float, trials: int) -> float:
    return math.sqrt(max(rate * (1 - rate), 1e-12) / trials)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_delong(repeats: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n = 1_000_000
    y = rng.random(n) < POS_SHARE
    b = rng.standard_normal(n) + y
    c = 0.7 * b + 0.7 * rng.standard_normal(n) + 0.3 * y
    S.delong_auc_difference(y, c, b)  # warm-up
    t_sort, t_delong = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine load
        t_sort.append(timed(lambda: np.argsort(c)))
        t_delong.append(timed(lambda: S.delong_auc_difference(y, c, b)))
    ratios = [d / s for d, s in zip(t_delong, t_sort)]
    return {
        "argsort": statistics.median(t_sort),
        "delong": statistics.median(t_delong),
        "ratio": statistics.median(ratios),
    }


def bench_bootstrap(repeats: int, naive_resamples: int, seed: int) -> dict:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    n, n_resamples = 100_000, 2000
    y = (rng.random(n) < POS_SHARE).astype(int)
    b = rng.standard_normal(n) + y
    c = 0.7 * b + 0.7 * rng.standard_normal(n) + 0.3 * y
    pos_rows, neg_rows = np.flatnonzero(y == 1), np.flatnonzero(y == 0)

    def naive(k: int) -> None:
        r = np.random.default_rng(seed)
        for _ in range(k):
            idx = np.concatenate(
                [
                    pos_rows[r.integers(0, pos_rows.size, pos_rows.size)],
                    neg_rows[r.integers(0, neg_rows.size, neg_rows.size)],
                ]
            )
            roc_auc_score(y[idx], c[idx])
            roc_auc_score(y[idx], b[idx])

    t_fast, t_naive = [], []
    for _ in range(repeats):
        t_fast.append(timed(lambda: S.bootstrap_auc_differences(y, c, b, n_resamples=n_resamples)))
        t_naive.append(timed(lambda: naive(naive_resamples)) * n_resamples / naive_resamples)
    tracemalloc.start()
    S.bootstrap_auc_differences(y, c, b, n_resamples=200)  # peak is per chunk, not per B
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "fast": statistics.median(t_fast),
        "naive": statistics.median(t_naive),
        "speedup": statistics.median([nv / f for nv, f in zip(t_naive, t_fast)]),
        "peak_mb": peak / 1e6,
        "naive_resamples": naive_resamples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials and repeats")
    parser.add_argument("--trials", type=int, help="DeLong trials per scenario (default 2000, quick 400)")
    parser.add_argument("--rho", type=float, default=0.7, help="within-class score correlation")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    trials = args.trials or (400 if args.quick else 2000)
    boot_trials = max(1, trials // 10) if args.quick else trials // 5
    boot_b = 1000

    started = time.perf_counter()
    print(f"modelgate.stats benchmark ({'quick' if args.quick else 'full'}); numpy {np.__version__}")
    print(
        f"\n1. Decision quality: n={N_ROWS} rows, {POS_SHARE:.0%} positives, margin {MARGIN}, "
        f"binormal scores, within-class rho {args.rho}"
    )
    header = (
        f"   {'scenario':<28}{'true AUC c/b':>13}{'DeLong rule':>16}{'point rule':>16}"
        f"{'bootstrap rule':>18}   sd(d)/median se"
    )
    print(header)
    rows = [
        ("gain = margin (false)", MARGIN, args.seed),
        (f"gain = margin+{EXTRA_GAIN} (power)", MARGIN + EXTRA_GAIN, args.seed + 1),
    ]
    results = {}
    for label, gain, seed in rows:
        r = simulate(gain, trials, boot_trials, args.rho, seed, boot_b)
        results[label] = r
        fmt = lambda rate, k: f"{rate:6.1%} ±{mc_se(rate, k):5.1%}"  # noqa: E731
        print(
            f"   {label:<28}{r['true AUC c/b']:>13}{fmt(r['delong'], trials):>16}"
            f"{fmt(r['point'], trials):>16}{fmt(r['boot'], boot_trials):>18}"
            f"   {r['sd estimate']:.4f}/{r['median se']:.4f}"
        )
    print(
        f"   (share of trials promoted; ± Monte Carlo s.e.; DeLong/point on {trials} trials, "
        f"bootstrap on {boot_trials} with B={boot_b})"
    )

    print("\n2. Speed (medians, same run)")
    d = bench_delong(3 if args.quick else 7, args.seed)
    print(
        f"   DeLong, 1,000,000 paired rows   {d['delong'] * 1e3:8.1f} ms   "
        f"np.argsort 1e6 {d['argsort'] * 1e3:6.1f} ms   ratio {d['ratio']:5.2f}x  (goal <= 10x)"
    )
    bt = bench_bootstrap(1 if args.quick else 3, 10 if args.quick else 40, args.seed)
    print(
        f"   bootstrap B=2000, n=100,000     {bt['fast']:8.2f} s    "
        f"naive sklearn loop {bt['naive']:7.1f} s (scaled from {bt['naive_resamples']} resamples)   "
        f"speed-up {bt['speedup']:5.1f}x  (goal >= 20x)"
    )
    print(f"   bootstrap peak traced memory    {bt['peak_mb']:8.0f} MB (goal < 500 MB)")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


# =============================================================================
# Floors: one metric's own one-sided bound against a fixed floor (at_least)
#
#   .venv/bin/python benchmarks/bench_stats.py --floors            # ~2.5 minutes
#   .venv/bin/python benchmarks/bench_stats.py --floors --quick    # ~20 seconds
#
# For (roc_auc, DeLong logit), (accuracy, Clopper-Pearson), (f1, stratified
# bootstrap, B = 2,000): the share of trials a FloorCheck(at_least=0.85)
# passes when the true metric is exactly 0.85 (false passes; goal <= 5%), and
# when it is 0.85 + FLOOR_EFFECT (power); beside the point-estimate rule. Each
# trial is a validation set of 2,264 rows, 1,743 positives (77%), whose true
# metric is known by construction:
#   roc_auc   binormal scores, negatives N(0, 1), positives N(mu, 1):
#             AUC = Phi(mu / sqrt 2) exactly;
#   accuracy  every row is predicted right with probability p, independently:
#             accuracy = p exactly;
#   f1        positives predicted positive with probability t (the TPR),
#             negatives with FPR = 0.3: the population F1 (the limit of
#             2 TP / (2 TP + FP + FN)) is 2 pi t / (pi t + pi + (1 - pi) FPR),
#             pi = 1743 / 2264, solved for t. The sample F1 is a ratio, so its
#             mean differs from that by O(1/n); the table shows the mean of
#             the estimates beside the truth.
# Then the median time of one floor check (bound and decision) on 2,264 rows.
# =============================================================================
FLOOR_AT = 0.85
FLOOR_EFFECT = 0.02  # power: the true metric is the floor + this
FLOOR_FPR = 0.3  # f1 data: the false-positive rate
FLOOR_METHODS = (
    ("roc_auc", "DeLong (logit, Hanley-McNeil floor)"),
    ("accuracy", "Clopper-Pearson"),
    ("f1", "stratified bootstrap"),
)


def floor_data(metric: str, truth: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One validation set (labels, scores) whose true `metric` is `truth` (see the section comment)."""
    m = round(N_ROWS * POS_SHARE)
    y = np.r_[np.ones(m, dtype=int), np.zeros(N_ROWS - m, dtype=int)]
    if metric == "roc_auc":
        return y, rng.standard_normal(N_ROWS) + mu_for_auc(truth) * y
    if metric == "accuracy":
        right = rng.random(N_ROWS) < truth
        return y, np.where(right == (y == 1), 0.9, 0.1)  # predicted label = y where right
    if metric == "f1":
        pi = m / N_ROWS
        tpr = truth * (pi + (1 - pi) * FLOOR_FPR) / (pi * (2 - truth))
        said_positive = rng.random(N_ROWS) < np.where(y == 1, tpr, FLOOR_FPR)
        return y, np.where(said_positive, 0.9, 0.1)
    raise ValueError(metric)


def simulate_floor(metric: str, truth: float, trials: int, seed: int) -> dict:
    from modelgate.checks.floors import FloorCheck
    from modelgate.evidence.evaluation import Evaluation

    rng = np.random.default_rng(seed)
    check = FloorCheck(metric, at_least=FLOOR_AT)
    passed = point = 0
    estimates = np.empty(trials)
    for t in range(trials):
        y, s = floor_data(metric, truth, rng)
        bound = check.bound(Evaluation(labels=y, candidate=s))
        passed += bound.clears(FLOOR_AT)
        point += bound.value > FLOOR_AT
        estimates[t] = bound.value
    return {"bound": passed / trials, "point": point / trials, "mean": float(estimates.mean()), "method": bound.method}


def time_floor(metric: str, repeats: int, seed: int) -> float:
    from modelgate.checks.floors import FloorCheck
    from modelgate.evidence.evaluation import Evaluation

    y, s = floor_data(metric, FLOOR_AT, np.random.default_rng(seed))
    evidence, check = Evaluation(labels=y, candidate=s), FloorCheck(metric, at_least=FLOOR_AT)
    check.evaluate(evidence)  # warm-up (imports)
    return statistics.median(timed(lambda: check.evaluate(evidence)) for _ in range(repeats))


def floors_section(quick: bool, trials: int | None, seed: int) -> None:
    trials = trials or (200 if quick else 1000)
    print(
        f"\n3. Floors: at_least {FLOOR_AT}, n={N_ROWS} rows, {POS_SHARE:.0%} positives, {trials} trials "
        f"a scenario; power at true = floor + {FLOOR_EFFECT}"
    )
    print(
        f"   {'metric, method':<38}{'false passes':>16}{'point rule':>16}{'mean est.':>11}"
        f"{'power':>16}{'point rule':>16}{'median time':>13}"
    )
    fmt = lambda rate: f"{rate:6.1%} ±{mc_se(rate, trials):5.1%}"  # noqa: E731
    for i, (metric, method) in enumerate(FLOOR_METHODS):
        null = simulate_floor(metric, FLOOR_AT, trials, seed + 10 + 2 * i)
        alt = simulate_floor(metric, FLOOR_AT + FLOOR_EFFECT, trials, seed + 11 + 2 * i)
        assert null["method"] == method, null["method"]
        ms = time_floor(metric, 5 if quick else 15, seed) * 1e3
        print(
            f"   {metric + ', ' + method:<38}{fmt(null['bound']):>16}{fmt(null['point']):>16}"
            f"{null['mean']:>11.4f}{fmt(alt['bound']):>16}{fmt(alt['point']):>16}{ms:>10.1f} ms"
        )
    print("   (share of trials passed; ± Monte Carlo s.e.; goal for false passes <= 5%)")


def floors_main(argv: list[str] | None = None) -> int:
    """``--floors``: the floors section only."""
    parser = argparse.ArgumentParser(description="modelgate.stats benchmark: floors section")
    parser.add_argument("--floors", action="store_true", help="run the floors section only")
    parser.add_argument("--quick", action="store_true", help="200 trials a scenario, fewer repeats")
    parser.add_argument("--floor-trials", type=int, help="trials a scenario (default 1000, quick 200)")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"modelgate.stats benchmark, floors ({'quick' if args.quick else 'full'}); numpy {np.__version__}")
    floors_section(args.quick, args.floor_trials, args.seed)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


# =============================================================================
# 4. Bounds from per-row losses (--losses): stats.paired_loss_difference
#
# For (log_loss, normal), (log_loss, bootstrap), (brier, normal), (brier,
# bootstrap): the share of trials promoted when the candidate's true expected
# loss is lower than the baseline's by exactly the margin (false promotions;
# goal <= 5%) and by the margin + an extra gain (power), beside the
# point-estimate rule and a within-class bound; each trial a validation set of
# 2,264 independent rows from LossWorld, where the true difference is a finite
# sum. Then the normal rule (skew-corrected, as the gate runs it, beside the
# plain bound it replaced) on 100,000 vectorised trials at the margin and as
# many for power. Then the median time of one check (both models' row losses and the
# bound) at 2,264 and 1,000,000 rows, beside the generic paired bootstrap (a
# metric call per resample) at 2,264 rows, and the loss bootstrap's peak
# traced memory at 1,000,000 rows.
# =============================================================================

# Scenarios (metric: margin, extra true gain for the power row). Margins of the
# size a team would ask for; the extra gains are ~2.5 standard errors at 2,264 rows.
LOSS_SCENARIOS = {"log_loss": (0.01, 0.01), "brier": (0.002, 0.003)}
LOSS_LEVELS = 256  # the true probability takes this many equally likely values
LOSS_SPREAD = 1.5  # sd of the true log-odds: the calibrated candidate's AUC is about 0.82


class LossWorld:
    """A population in which the expected loss difference is known exactly.

    The true probability of a positive takes K = 256 equally likely values
    pi_j = expit(a + s z_j), z_j = Phi^-1((j - 0.5) / K), s = 1.5, with a set
    so that mean(pi) = 0.77. A row draws j uniformly, then y ~ Bernoulli(pi_j),
    so rows (and the class counts) are independent draws, as validation rows
    are. The candidate scores pi_j: calibrated. The baseline scores b_j =
    expit(a + kappa s z_j), an under-confident model (kappa < 1); that makes
    d = baseline loss - candidate loss skewed to the left (skewness about -1
    for log loss), the harder side for a lower bound. Given j, the expected
    loss difference is KL(pi_j || b_j) for log loss and (pi_j - b_j)^2 for
    Brier (E(y - b)^2 - E(y - pi)^2 with E y = pi), so the population
    difference is their plain mean over the K values: a finite sum, and kappa
    is solved (brentq) to make it equal the target gain to rounding. No
    clipping is involved: every pi_j and b_j lies within (0.001, 0.999).
    """

    def __init__(self, metric: str, true_gain: float) -> None:
        from scipy import optimize, special

        z = sps.norm.ppf((np.arange(LOSS_LEVELS) + 0.5) / LOSS_LEVELS)
        a = optimize.brentq(lambda a: special.expit(a + LOSS_SPREAD * z).mean() - POS_SHARE, -10, 10, xtol=1e-15)
        self.pi = special.expit(a + LOSS_SPREAD * z)

        def baseline(kappa: float) -> np.ndarray:
            return special.expit(a + kappa * LOSS_SPREAD * z)

        def gain(kappa: float) -> float:
            b, pi = baseline(kappa), self.pi
            if metric == "log_loss":
                return float(np.mean(pi * np.log(pi / b) + (1 - pi) * np.log((1 - pi) / (1 - b))))
            return float(np.mean((pi - b) ** 2))

        self.kappa = optimize.brentq(lambda k: gain(k) - true_gain, 0.05, 1.0, xtol=1e-15)
        self.b = baseline(self.kappa)
        self.true_gain = gain(self.kappa)
        assert abs(self.true_gain - true_gain) < 1e-12
        assert 0.001 < min(self.pi.min(), self.b.min()) and max(self.pi.max(), self.b.max()) < 0.999

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(labels, candidate scores, baseline scores) of n independent rows."""
        j = rng.integers(0, LOSS_LEVELS, n)
        y = (rng.random(n) < self.pi[j]).astype(int)
        return y, self.pi[j], self.b[j]


def simulate_loss(metric: str, true_gain: float, margin: float, trials: int, boot_trials: int, seed: int) -> dict:
    """Promotion rates of each rule over simulated validation sets of N_ROWS rows.

    Rules: paired-loss normal (skew-corrected) and bootstrap (the gate's), the point estimate,
    and a normal bound on the within-class variance: what a class-stratified
    resampling (the generic paired bootstrap's) estimates, as a cheap proxy
    for that bootstrap, which is too slow to run a thousand times.
    """
    from modelgate.metrics import get_metric

    loss = get_metric(metric).row_loss
    assert loss is not None
    world = LossWorld(metric, true_gain)
    rng = np.random.default_rng(seed)
    z = sps.norm.ppf(0.95)
    normal = boot = point = within = 0
    estimates, ses = np.empty(trials), np.empty(trials)
    for t in range(trials):
        y, c, b = world.sample(N_ROWS, rng)
        lc, lb = loss(y, c), loss(y, b)
        bound = S.paired_loss_difference(lc, lb, margin=margin)
        normal += bound.lower > margin
        point += bound.estimate > margin
        d, pos = lb - lc, y == 1
        estimates[t], ses[t] = bound.estimate, d.std(ddof=1) / math.sqrt(d.size)
        var_within = sum(d[k].var() * k.sum() for k in (pos, ~pos)) / d.size**2
        within += bound.estimate - z * math.sqrt(var_within) > margin
        if t < boot_trials:
            boot += S.paired_loss_difference(lc, lb, margin=margin, method="bootstrap", seed=t).lower > margin
    return {
        "normal": normal / trials,
        "boot": boot / boot_trials if boot_trials else math.nan,
        "point": point / trials,
        "within": within / trials,
        "trials": trials,
        "boot_trials": boot_trials,
        "kappa": world.kappa,
        "true gain": world.true_gain,
        "sd estimate": float(estimates.std(ddof=1)),
        "median se": float(np.median(ses)),
    }


def normal_rule_many(metric: str, true_gain: float, margin: float, trials: int, seed: int) -> dict:
    """The paired-loss normal rule's promotions on many trials (at gain = margin: false ones).

    Vectorised over batches of 500 validation sets, so that an excess of a
    few tenths of a point over 5% is resolved. Two rules: the gate's
    skew-corrected bound, mean - se (z - k (2z^2 + 1)) with k = min(g, 0) /
    (6 sqrt n) and g the sample skewness of the per-row differences (the same
    formula as stats.paired_loss_difference, asserted equal on the first sets
    of each batch), and the plain bound mean - z se it replaced. Also the
    Edgeworth prediction for the plain bound at gain = margin, 5% - g (2 z^2
    + 1) phi(z) / (6 sqrt n), g the median skewness: a left skew (g < 0)
    makes the plain bound pass slightly too often.
    """
    from modelgate.metrics import get_metric

    loss = get_metric(metric).row_loss
    assert loss is not None
    world = LossWorld(metric, true_gain)
    levels = np.arange(LOSS_LEVELS)
    ones, zeros = np.ones(LOSS_LEVELS, int), np.zeros(LOSS_LEVELS, int)
    # d given (level, label): baseline loss - candidate loss, through the metric's own row loss
    d_pos = loss(ones, world.b[levels]) - loss(ones, world.pi[levels])
    d_neg = loss(zeros, world.b[levels]) - loss(zeros, world.pi[levels])
    rng = np.random.default_rng(seed)
    z = sps.norm.ppf(0.95)
    batch, passed, passed_plain, skews = 500, 0, 0, []
    for _ in range(max(1, trials // batch)):
        j = rng.integers(0, LOSS_LEVELS, (batch, N_ROWS))
        y = rng.random((batch, N_ROWS)) < world.pi[j]
        d = np.where(y, d_pos[j], d_neg[j])
        mean = d.mean(axis=1)
        centred = d - mean[:, None]
        m2 = np.mean(centred**2, axis=1)
        g = np.mean(centred**3, axis=1) / m2**1.5
        se = np.sqrt(m2 / (N_ROWS - 1))
        k = np.minimum(g, 0.0) / (6 * math.sqrt(N_ROWS))
        lower = mean - se * (z - k * (2 * z * z + 1))
        for t in range(2):
            yt = y[t].astype(int)
            bound = S.paired_loss_difference(loss(yt, world.pi[j[t]]), loss(yt, world.b[j[t]]), margin=margin)
            assert bound.method == "paired-loss normal (skew-corrected)", bound.method
            assert abs(bound.lower - lower[t]) < 1e-12, (bound.lower, lower[t])
        passed += int(np.count_nonzero(lower > margin))
        passed_plain += int(np.count_nonzero(mean - z * se > margin))
        skews.append(g)
    done = max(1, trials // batch) * batch
    g_median = float(np.median(np.concatenate(skews)))
    return {
        "rate": passed / done,
        "plain": passed_plain / done,
        "trials": done,
        "skew": g_median,
        "edgeworth": 0.05 - g_median * (2 * z * z + 1) * sps.norm.pdf(z) / (6 * math.sqrt(N_ROWS)),
    }


def bench_loss_speed(metric: str, repeats: int, boot_resamples_1e6: int, generic_resamples: int, seed: int) -> dict:
    """Median time of one check (both models' row losses + the bound), per method and size.

    The bootstrap at 1,000,000 rows and the generic bootstrap are timed on fewer
    resamples and scaled to 2,000 (the fixed part, timed as the normal check,
    is not scaled); peak traced memory of the loss bootstrap at 1,000,000 rows
    (relative margin: the most it holds; per chunk, so it does not grow with B).
    """
    from modelgate.metrics import get_metric

    m = get_metric(metric)
    loss = m.row_loss
    assert loss is not None
    world = LossWorld(metric, LOSS_SCENARIOS[metric][0])
    rng = np.random.default_rng(seed)

    def check(y, c, b, method: str, n_resamples: int = 2000):
        return S.paired_loss_difference(
            loss(y, c), loss(y, b), margin=LOSS_SCENARIOS[metric][0], method=method, n_resamples=n_resamples
        )

    out: dict = {}
    for n, k in ((N_ROWS, 3 * repeats), (1_000_000, repeats)):
        y, c, b = world.sample(n, rng)
        check(y, c, b, "normal")  # warm-up
        normal = statistics.median(timed(lambda: check(y, c, b, "normal")) for _ in range(k))
        out[("normal", n)] = normal
        if n == N_ROWS:
            out[("bootstrap", n)] = statistics.median(
                timed(lambda: check(y, c, b, "bootstrap")) for _ in range(repeats)
            )

            def generic(n_resamples: int) -> None:
                S.paired_bootstrap_difference(
                    m.function,
                    y,
                    c,
                    b,
                    margin=LOSS_SCENARIOS[metric][0],
                    higher_is_better=False,
                    n_resamples=n_resamples,
                )

            generic(5)  # warm-up (scikit-learn's imports)
            out["generic"] = timed(lambda: generic(generic_resamples)) * 2000 / generic_resamples
        else:
            part = timed(lambda: check(y, c, b, "bootstrap", boot_resamples_1e6))
            out[("bootstrap", n)] = normal + (part - normal) * 2000 / boot_resamples_1e6
            tracemalloc.start()
            S.paired_loss_difference(loss(y, c), loss(y, b), relative=True, method="bootstrap", n_resamples=10)
            out["peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
    out["boot_resamples_1e6"] = boot_resamples_1e6
    out["generic_resamples"] = generic_resamples
    return out


def losses_section(args: argparse.Namespace) -> None:
    trials = args.loss_trials or (400 if args.quick else 3000)
    null_boot, power_boot = (min(trials, 100), min(trials, 50)) if args.quick else (min(trials, 1000), min(trials, 400))
    print(
        f"\n4. Bounds from per-row losses (paired-loss): n={N_ROWS} rows drawn independently "
        f"({POS_SHARE:.0%} positives on average), calibrated candidate vs an under-confident baseline "
        f"whose true expected loss difference is set exactly (see LossWorld)"
    )
    fmt = lambda rate, k: f"{rate:6.1%} ±{mc_se(rate, k):4.1%}"  # noqa: E731
    print(
        f"   {'metric':<9}{'scenario':<26}{'normal':>15}{'bootstrap':>15}{'point rule':>15}"
        f"{'within-class':>15}   sd(d)/median se"
    )
    for i, (metric, (margin, extra)) in enumerate(LOSS_SCENARIOS.items()):
        for label, gain, boot_trials in (
            (f"gain = margin {margin:g}", margin, null_boot),
            (f"gain = margin+{extra:g} (power)", margin + extra, power_boot),
        ):
            r = simulate_loss(metric, gain, margin, trials, boot_trials, args.seed + 10 * i + (gain > margin))
            print(
                f"   {metric:<9}{label:<26}{fmt(r['normal'], trials):>15}{fmt(r['boot'], boot_trials):>15}"
                f"{fmt(r['point'], trials):>15}{fmt(r['within'], trials):>15}"
                f"   {r['sd estimate']:.5f}/{r['median se']:.5f}"
            )
    print(
        f"   (share of trials promoted; ± Monte Carlo s.e.; {trials} trials per row, the bootstrap "
        f"(B=2000) on the first {null_boot} at the margin and {power_boot} for power; within-class: a normal "
        "bound on the within-class variance, what the generic bootstrap's class-stratified resampling estimates)"
    )
    many = args.loss_many or (10_000 if args.quick else 100_000)
    print(
        f"   normal rule on {many:,} vectorised trials a row: the gate's skew-corrected bound "
        "(z - k (2z^2 + 1), k = min(g, 0) / (6 sqrt n)) and the plain bound (z) it replaced"
    )
    print(f"   {'metric':<9}{'scenario':<26}{'skew-corrected':>17}{'plain':>17}   per-row skewness (median)")
    for i, (metric, (margin, extra)) in enumerate(LOSS_SCENARIOS.items()):
        for label, gain, offset in (
            (f"gain = margin {margin:g}", margin, 100),
            (f"gain = margin+{extra:g} (power)", margin + extra, 200),
        ):
            r = normal_rule_many(metric, gain, margin, many, args.seed + offset + i)
            rates = [f"{r[key]:.2%} ±{mc_se(r[key], r['trials']):.2%}" for key in ("rate", "plain")]
            note = f" (plain, Edgeworth: {r['edgeworth']:.2%})" if gain == margin else ""
            print(f"   {metric:<9}{label:<26}{rates[0]:>17}{rates[1]:>17}   {r['skew']:+.2f}{note}")
    print("   time of one check (row losses + bound; medians)")
    print(
        f"   {'metric':<9}{'method':<11}{'2,264 rows':>12}{'1,000,000 rows':>16}"
        f"{'generic bootstrap, 2,264':>26}{'ratio':>8}"
    )
    for metric in LOSS_SCENARIOS:
        sp = bench_loss_speed(
            metric, 3 if args.quick else 7, 20 if args.quick else 100, 50 if args.quick else 200, args.seed
        )
        for method in ("normal", "bootstrap"):
            small, large = sp[(method, N_ROWS)], sp[(method, 1_000_000)]
            print(
                f"   {metric:<9}{method:<11}{small * 1e3:9.1f} ms{large * 1e3:13.0f} ms"
                f"{sp['generic']:23.1f} s{sp['generic'] / small:7.0f}x"
            )
        print(f"   {metric:<9}bootstrap peak traced memory at 1,000,000 rows: {sp['peak_mb']:.0f} MB")
    print(
        f"   (goal: < 50 ms at 2,264 rows, < 1 s at 1,000,000; the bootstrap at 1,000,000 rows "
        f"scaled from {20 if args.quick else 100} resamples, the generic one (a metric call per "
        f"resample) from {50 if args.quick else 200})"
    )


def losses_main(argv: list[str] | None = None) -> int:
    """``--losses``: the per-row loss section only."""
    parser = argparse.ArgumentParser(description="modelgate.stats benchmark: per-row loss bounds")
    parser.add_argument("--losses", action="store_true", help="run the per-row loss section only")
    parser.add_argument("--quick", action="store_true", help="400 trials a scenario (bootstrap 100/50), fewer repeats")
    parser.add_argument(
        "--loss-trials",
        type=int,
        help="trials a scenario (default 3000, quick 400; the bootstrap on at most 1000 at the margin, 400 for power)",
    )
    parser.add_argument(
        "--loss-many",
        type=int,
        help="vectorised trials of the normal rule, at the margin and for power (default 100000, quick 10000)",
    )
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"modelgate.stats benchmark, per-row losses ({'quick' if args.quick else 'full'}); numpy {np.__version__}")
    losses_section(args)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


# =============================================================================
# --tasks: multiclass and regression metrics
#
# For each new (metric, method), simulated validation sets of 2,264 independent
# rows (class counts included: rows are drawn, not classes stratified) from a
# population whose metric difference is known exactly; every trial runs the
# gate's own MarginCheck (margin rule, 95% one-sided) on an Evaluation of the
# task, against a baseline model scored on the same rows. False promotions:
# share promoted when the true gain equals the margin (goal <= 5%); power:
# share promoted at margin + a stated effect. Time: one MarginCheck.evaluate
# (metric, row losses or influences, bound), median of repeats, at 2,264 and
# 1,000,000 rows.
#
# Worlds (3 classes with shares 0.5 / 0.3 / 0.2, or a regression target):
# * accuracy: each model is right on a row with probability p (baseline 0.70,
#   candidate 0.70 + gain), through uniforms shared with probability 0.7 (so
#   the two are correlated as real models are); a wrong prediction is one of the
#   other classes at random. True difference = the gain.
# * log_loss: 256 equally likely latent logit vectors z_j (3 classes, N(0, 1.5^2)
#   entries, fixed); a row draws j and its class from softmax(z_j). The candidate
#   scores softmax(z_j) (calibrated), the baseline softmax(kappa z_j) (under-
#   confident), kappa solved so that mean_j KL(pi_j || b_j) = the gain.
# * macro_f1: as accuracy, with per-class accuracies (0.80, 0.65, 0.55) for the
#   baseline and those + delta for the candidate; the population macro F1 is
#   mean_c 2 P(y=c, yhat=c) / (P(y=c) + P(yhat=c)) and delta is solved for the gain.
# * roc_auc_ovr: column c of the scores is N(mu, 1) on class c rows and N(0, 1)
#   elsewhere (columns independent, candidate and baseline noise correlated 0.7),
#   so every one-vs-rest AUC is Phi(mu / sqrt 2) exactly; baseline 0.80.
# * mae, rmse, r2: y ~ N(0, 2^2); errors e = sigma T with T a unit-variance
#   t(5) pair (heavy tails), candidate and baseline correlated 0.7 through a
#   shared chi-square; prediction y - e. RMSE = sigma, MAE = sigma E|T|,
#   R^2 = 1 - sigma^2 / 4 (population values); baseline sigma = 1.
# =============================================================================

CLASS_SHARES = np.array([0.5, 0.3, 0.2])
TASK_RHO = 0.7
T_DF = 5
T_SCALE = math.sqrt((T_DF - 2) / T_DF)  # t(5) * this has unit variance
T_ABS = (
    T_SCALE
    * 2
    * math.sqrt(T_DF)
    * math.gamma((T_DF + 1) / 2)
    / (math.sqrt(math.pi) * (T_DF - 1) * math.gamma(T_DF / 2))
)
Y_SD = 2.0

# metric: (task, baseline method label, margin, power effect, baseline name for the check)
# (the power effects are about 2.5 standard deviations of the estimate at 2,264 rows)
TASK_SCENARIOS = {
    "accuracy": ("multiclass", "McNemar / Newcombe", 0.02, 0.02),
    "log_loss": ("multiclass", "paired-loss", 0.01, 0.007),
    "macro_f1": ("multiclass", "class-stratified bootstrap", 0.02, 0.02),
    "roc_auc_ovr": ("multiclass", "delta (DeLong per class)", 0.02, 0.012),
    "mae": ("regression", "paired-loss", 0.02, 0.035),
    "rmse": ("regression", "delta", 0.02, 0.06),
    "r2": ("regression", "delta", 0.01, 0.03),
}
BOOTSTRAP_ALSO = ("rmse", "r2", "roc_auc_ovr")  # also run with method = "bootstrap", on fewer trials


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _one_hot_scores(pred: np.ndarray, k: int) -> np.ndarray:
    """Probability rows whose arg max is pred (0.8 there, the rest shared)."""
    p = np.full((pred.size, k), 0.2 / (k - 1))
    p[np.arange(pred.size), pred] = 0.8
    return p


def _correct_draws(y: np.ndarray, q_c: np.ndarray, q_b: np.ndarray, rng: np.random.Generator):
    """Predictions right with per-class probabilities q_c / q_b, correlated through shared uniforms."""
    n, k = y.size, len(CLASS_SHARES)
    u_c = rng.random(n)
    u_b = np.where(rng.random(n) < TASK_RHO, u_c, rng.random(n))
    wrong = (y + rng.integers(1, k, n)) % k  # one of the other classes (the same for both models)
    pc = np.where(u_c < q_c[y], y, wrong)
    pb = np.where(u_b < q_b[y], y, wrong)
    return _one_hot_scores(pc, k), _one_hot_scores(pb, k)


def _population_macro_f1(q: np.ndarray) -> float:
    k = len(q)
    joint = CLASS_SHARES[:, None] * np.where(np.eye(k, dtype=bool), q[:, None], ((1 - q) / (k - 1))[:, None])
    said = joint.sum(axis=0)
    return float(np.mean(2 * np.diag(joint) / (CLASS_SHARES + said)))


class TaskWorld:
    """One scenario's population, with the true gain set exactly (see the section comment)."""

    def __init__(self, metric: str, gain: float) -> None:
        from scipy import optimize

        self.metric, self.gain = metric, gain
        if metric == "accuracy":
            self.q_b = np.full(3, 0.70)
            self.q_c = self.q_b + gain
        elif metric == "macro_f1":
            self.q_b = np.array([0.80, 0.65, 0.55])
            base = _population_macro_f1(self.q_b)
            delta = optimize.brentq(lambda d: _population_macro_f1(self.q_b + d) - base - gain, 0.0, 0.4, xtol=1e-15)
            self.q_c = self.q_b + delta
        elif metric == "log_loss":
            z = np.random.default_rng(7).normal(0.0, 1.5, (LOSS_LEVELS, 3))
            self.pi = _softmax(z)

            def kl(kappa: float) -> float:
                b = _softmax(kappa * z)
                return float(np.mean(np.sum(self.pi * np.log(self.pi / b), axis=1)))

            self.kappa = optimize.brentq(lambda k: kl(k) - gain, 0.05, 1.0, xtol=1e-15)
            self.b = _softmax(self.kappa * z)
        elif metric == "roc_auc_ovr":
            self.mu_b, self.mu_c = mu_for_auc(BASE_AUC), mu_for_auc(BASE_AUC + gain)
        else:
            sigma_b = 1.0
            if metric == "mae":
                sigma_c = sigma_b - gain / T_ABS
            elif metric == "rmse":
                sigma_c = sigma_b - gain
            else:  # r2: (sigma_b^2 - sigma_c^2) / Y_SD^2 = gain
                sigma_c = math.sqrt(sigma_b**2 - gain * Y_SD**2)
            self.sigma_b, self.sigma_c = sigma_b, sigma_c

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.metric in ("accuracy", "macro_f1"):
            y = rng.choice(3, n, p=CLASS_SHARES)
            c, b = _correct_draws(y, self.q_c, self.q_b, rng)
            return y, c, b
        if self.metric == "log_loss":
            j = rng.integers(0, LOSS_LEVELS, n)
            cum = np.cumsum(self.pi[j], axis=1)
            y = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), 2)
            return y, self.pi[j], self.b[j]
        if self.metric == "roc_auc_ovr":
            y = rng.choice(3, n, p=CLASS_SHARES)
            e_c = rng.standard_normal((n, 3))
            e_b = TASK_RHO * e_c + math.sqrt(1 - TASK_RHO**2) * rng.standard_normal((n, 3))
            onehot = np.eye(3)[y]
            return y, e_c + self.mu_c * onehot, e_b + self.mu_b * onehot
        y = rng.normal(0.0, Y_SD, n)
        z1 = rng.standard_normal(n)
        z2 = TASK_RHO * z1 + math.sqrt(1 - TASK_RHO**2) * rng.standard_normal(n)
        scale = T_SCALE / np.sqrt(rng.chisquare(T_DF, n) / T_DF)
        return y, y - self.sigma_c * z1 * scale, y - self.sigma_b * z2 * scale


def _task_check(metric: str, margin: float, method: str = "auto", n_resamples: int = 2000):
    from modelgate.checks import MarginCheck

    return MarginCheck(metric, baseline="base", margin=margin, method=method, n_resamples=n_resamples)


def _task_evaluation(task: str, y: np.ndarray, c: np.ndarray, b: np.ndarray):
    from modelgate.evidence.evaluation import Evaluation

    classes = ("a", "b", "c") if task == "multiclass" else ()
    return Evaluation(labels=y, candidate=c, baselines={"base": b}, task=task, classes=classes)


def simulate_task(
    metric: str, gain: float, trials: int, seed: int, method: str = "auto", n_resamples: int = 2000
) -> dict:
    """Share promoted over `trials` validation sets, and the spread of the estimate."""
    task, _, margin, _ = TASK_SCENARIOS[metric]
    world = TaskWorld(metric, gain)
    rng = np.random.default_rng(seed)
    check = _task_check(metric, margin, method, n_resamples)
    promoted = point = 0
    estimates = np.empty(trials)
    label = ""
    for t in range(trials):
        y, c, b = world.sample(N_ROWS, rng)
        result = check.evaluate(_task_evaluation(task, y, c, b))
        promoted += result.passed
        assert result.estimate is not None
        point += result.estimate > margin
        estimates[t] = result.estimate
        label = result.method or ""
    return {
        "rate": promoted / trials,
        "point": point / trials,
        "trials": trials,
        "method": label,
        "mean estimate": float(estimates.mean()),
        "sd estimate": float(estimates.std(ddof=1)),
    }


def time_task(metric: str, n: int, repeats: int, method: str = "auto", n_resamples: int = 2000, seed: int = 0) -> float:
    """Median seconds of one MarginCheck.evaluate on n rows (scaled to 2,000 resamples when fewer are run)."""
    task, _, margin, _ = TASK_SCENARIOS[metric]
    y, c, b = TaskWorld(metric, TASK_SCENARIOS[metric][2]).sample(n, np.random.default_rng(seed))
    evaluation = _task_evaluation(task, y, c, b)
    check = _task_check(metric, margin, method, n_resamples)
    check.evaluate(evaluation)  # warm-up
    times = [timed(lambda: check.evaluate(evaluation)) for _ in range(repeats)]
    return statistics.median(times) * (2000 / n_resamples)


def _bootstraps_at(metric: str, method: str) -> bool:
    """Does this (metric, method) resample rows (slow at 1,000,000 rows: timed on fewer resamples)?"""
    return method == "bootstrap"


def tasks_section(args: argparse.Namespace) -> None:
    quick = args.quick
    fast_trials = args.task_trials or (300 if quick else 2000)
    boot_trials = args.task_boot_trials or (60 if quick else 250)
    print(f"\n== multiclass and regression metrics: MarginCheck on {N_ROWS:,} independent rows ==")
    print(
        f"   {'metric':<12}{'method':<36}{'false promotions':>20}{'point rule':>12}"
        f"{'power (+effect)':>24}{'2,264 rows':>12}{'1,000,000 rows':>16}"
    )
    rows = [(m, "auto") for m in TASK_SCENARIOS] + [(m, "bootstrap") for m in BOOTSTRAP_ALSO]
    for i, (metric, method) in enumerate(rows):
        task, _, margin, effect = TASK_SCENARIOS[metric]
        slow = _bootstraps_at(metric, method)
        trials = boot_trials if slow else fast_trials
        n_resamples = 1000 if slow else 2000
        null = simulate_task(metric, margin, trials, args.seed + 10 * i, method, n_resamples)
        power = simulate_task(metric, margin + effect, trials, args.seed + 10 * i + 1, method, n_resamples)
        small = time_task(metric, N_ROWS, 5 if quick else 15, method)
        large = time_task(
            metric, 1_000_000, 1 if quick else 3, method, n_resamples=20 if _bootstraps_at(metric, method) else 2000
        )
        scaled = "*" if _bootstraps_at(metric, method) else " "
        fmt = lambda r: f"{r:6.1%} ±{mc_se(r, trials):4.1%}"  # noqa: E731
        print(
            f"   {metric:<12}{null['method']:<36}{fmt(null['rate']):>20}{null['point']:>12.1%}"
            f"{fmt(power['rate']) + f' (+{effect:g})':>24}{small * 1e3:9.1f} ms{large:14.2f} s{scaled}"
        )
        print(
            f"   {'':<12}(margin {margin:g}, {trials} trials{', B = 1,000' if slow else ''}; "
            f"estimate at the margin: mean {null['mean estimate']:+.4f}, sd {null['sd estimate']:.4f})"
        )
    print(
        "   (± Monte Carlo s.e.; time: median of one MarginCheck.evaluate with B = 2,000 where it resamples; "
        "* = timed on 10 resamples and scaled to 2,000)"
    )


def _population_candidate(world: TaskWorld) -> float:
    """The candidate's own metric in the population (what a floor at the truth compares with)."""
    metric = world.metric
    if metric == "accuracy":
        return float(np.dot(CLASS_SHARES, world.q_c))
    if metric == "macro_f1":
        return _population_macro_f1(world.q_c)
    if metric == "log_loss":
        return float(np.mean(-np.sum(world.pi * np.log(world.pi), axis=1)))
    if metric == "roc_auc_ovr":
        return float(sps.norm.cdf(world.mu_c / math.sqrt(2.0)))
    if metric == "mae":
        return world.sigma_c * T_ABS
    if metric == "rmse":
        return world.sigma_c
    return 1.0 - world.sigma_c**2 / Y_SD**2


def simulate_task_floor(metric: str, trials: int, seed: int, n_resamples: int = 2000, method: str = "auto") -> dict:
    """Share of FloorChecks passed when the floor is the candidate's true metric (goal <= 5%)."""
    from modelgate.checks.floors import FloorCheck
    from modelgate.evidence.evaluation import Evaluation
    from modelgate.metrics import get_metric

    task, _, margin, _ = TASK_SCENARIOS[metric]
    world = TaskWorld(metric, margin)
    truth = _population_candidate(world)
    key = "at_least" if get_metric(metric).higher_is_better else "at_most"
    floor = FloorCheck(metric, **{key: truth}, n_resamples=n_resamples, method=method)
    rng = np.random.default_rng(seed)
    passed, label, values = 0, "", np.empty(trials)
    classes = ("a", "b", "c") if task == "multiclass" else ()
    for t in range(trials):
        y, c, _ = world.sample(N_ROWS, rng)
        result = floor.evaluate(Evaluation(labels=y, candidate=c, task=task, classes=classes))
        passed += result.passed
        label = result.method or ""
        values[t] = result.candidate_value if result.candidate_value is not None else math.nan
    return {"rate": passed / trials, "method": label, "truth": truth, "mean value": float(np.mean(values))}


def task_floors_section(args: argparse.Namespace) -> None:
    fast_trials = args.task_trials or (300 if args.quick else 2000)
    boot_trials = args.task_boot_trials or (60 if args.quick else 250)
    print(f"\n== floors at the true value (FloorCheck, 95% one-sided, {N_ROWS:,} rows; goal <= 5%) ==")
    print(f"   {'metric':<12}{'method':<36}{'false passes':>16}   true value / mean estimate")
    rows = [(m, "auto") for m in TASK_SCENARIOS] + [("roc_auc_ovr", "bootstrap")]
    for i, (metric, method) in enumerate(rows):
        slow = (metric == "macro_f1" and method == "auto") or method == "bootstrap"
        trials = boot_trials if slow else fast_trials
        r = simulate_task_floor(metric, trials, args.seed + 500 + i, 1000 if slow else 2000, method)
        cell = f"{r['rate']:6.1%} ±{mc_se(r['rate'], trials):4.1%}"
        print(
            f"   {metric:<12}{r['method']:<36}{cell:>16}   {r['truth']:.4f} / {r['mean value']:.4f} ({trials} trials)"
        )


def tasks_main(argv: list[str] | None = None) -> int:
    """``--tasks``: multiclass and regression metrics only."""
    parser = argparse.ArgumentParser(description="modelgate.stats benchmark: multiclass and regression metrics")
    parser.add_argument("--tasks", action="store_true", help="run the multiclass and regression section only")
    parser.add_argument("--quick", action="store_true", help="300 trials a scenario (bootstrap 60), fewer repeats")
    parser.add_argument(
        "--task-trials", type=int, help="trials a scenario for the fast bounds (default 2000, quick 300)"
    )
    parser.add_argument("--no-floors", action="store_true", help="leave out the floors at the true value")
    parser.add_argument(
        "--task-boot-trials", type=int, help="trials a scenario for the bootstraps (default 250, quick 60)"
    )
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"modelgate.stats benchmark, tasks ({'quick' if args.quick else 'full'}); numpy {np.__version__}")
    tasks_section(args)
    if not args.no_floors:
        task_floors_section(args)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


# =============================================================================
# --speed: every registered metric's margin bound (candidate vs a baseline, paired)
# and floor bound (the candidate alone), with the method each picks by default, through
# MarginCheck.bound / FloorCheck.bound, at 2,264 and 1,000,000 rows. A measurement
# runs in a child process and is stopped past 60 s ("> 60 s").
#
#   .venv/bin/python benchmarks/bench_stats.py --speed           # ~3 minutes
#   .venv/bin/python benchmarks/bench_stats.py --speed --quick   # 2,264 rows only
# =============================================================================

SPEED_ROWS = (2_264, 1_000_000)
SPEED_LIMIT_S = 60.0
SPEED_CLASSES = 4

# Before the one statistics engine (the stats.py module of three bootstraps), measured with
# this section on the 2-core development machine: seconds, None for "> 60 s".
SPEED_BEFORE: dict[tuple[str, str, str, int], float | None] = {
    ("binary", "roc_auc", "margin", 2264): 0.0018,
    ("binary", "roc_auc", "margin", 1000000): 0.4161,
    ("binary", "roc_auc", "floor", 2264): 0.001,
    ("binary", "roc_auc", "floor", 1000000): 0.5875,
    ("binary", "accuracy", "margin", 2264): 0.0006,
    ("binary", "accuracy", "margin", 1000000): 0.0516,
    ("binary", "accuracy", "floor", 2264): 0.0006,
    ("binary", "accuracy", "floor", 1000000): 0.0248,
    ("multiclass", "accuracy", "margin", 2264): 0.0007,
    ("multiclass", "accuracy", "margin", 1000000): 0.1416,
    ("multiclass", "accuracy", "floor", 2264): 0.0007,
    ("multiclass", "accuracy", "floor", 1000000): 0.13390000000000002,
    ("binary", "f1", "margin", 2264): None,
    ("binary", "f1", "margin", 1000000): None,
    ("binary", "f1", "floor", 2264): 0.21259999999999998,
    ("binary", "f1", "floor", 1000000): None,
    ("binary", "log_loss", "margin", 2264): 0.0011,
    ("binary", "log_loss", "margin", 1000000): 0.9831,
    ("binary", "log_loss", "floor", 2264): 0.0009,
    ("binary", "log_loss", "floor", 1000000): 0.4963,
    ("multiclass", "log_loss", "margin", 2264): 0.0183,
    ("multiclass", "log_loss", "margin", 1000000): 0.8042999999999999,
    ("multiclass", "log_loss", "floor", 2264): 0.001,
    ("multiclass", "log_loss", "floor", 1000000): 0.5291,
    ("binary", "brier", "margin", 2264): 0.0008,
    ("binary", "brier", "margin", 1000000): 0.5164,
    ("binary", "brier", "floor", 2264): 0.0011,
    ("binary", "brier", "floor", 1000000): 0.44310000000000005,
    ("multiclass", "macro_f1", "margin", 2264): 0.1423,
    ("multiclass", "macro_f1", "margin", 1000000): 2.52,
    ("multiclass", "macro_f1", "floor", 2264): 0.041299999999999996,
    ("multiclass", "macro_f1", "floor", 1000000): 1.15,
    ("multiclass", "roc_auc_ovr", "margin", 2264): 0.038700000000000005,
    ("multiclass", "roc_auc_ovr", "margin", 1000000): 11.13,
    ("multiclass", "roc_auc_ovr", "floor", 2264): 0.0128,
    ("multiclass", "roc_auc_ovr", "floor", 1000000): 4.15,
    ("regression", "mae", "margin", 2264): 0.0007,
    ("regression", "mae", "margin", 1000000): 0.6086,
    ("regression", "mae", "floor", 2264): 0.0011,
    ("regression", "mae", "floor", 1000000): 0.44739999999999996,
    ("regression", "rmse", "margin", 2264): 0.0007,
    ("regression", "rmse", "margin", 1000000): 0.2532,
    ("regression", "rmse", "floor", 2264): 0.0015,
    ("regression", "rmse", "floor", 1000000): 0.6495,
    ("regression", "r2", "margin", 2264): 0.0015,
    ("regression", "r2", "margin", 1000000): 0.6515,
    ("regression", "r2", "floor", 2264): 0.026199999999999998,
    ("regression", "r2", "floor", 1000000): 0.8226,
}


def speed_evidence(task: str, n: int, seed: int):
    """An Evaluation with a candidate and a baseline, shaped like the task's real data."""
    from modelgate.evidence.evaluation import Evaluation

    rng = np.random.default_rng(seed)
    if task == "binary":
        y = (rng.random(n) < POS_SHARE).astype(np.int64)
        shift = mu_for_auc(BASE_AUC)
        c = 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + 1.1 * shift * y - 0.5)))
        b = 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + shift * y - 0.5)))
        classes: tuple = ()
    elif task == "multiclass":
        y = rng.integers(0, SPEED_CLASSES, size=n)

        def probs(strength: float) -> np.ndarray:
            logits = rng.normal(size=(n, SPEED_CLASSES))
            logits[np.arange(n), y] += strength
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        c, b = probs(1.6), probs(1.4)
        classes = tuple("abcd"[:SPEED_CLASSES])
    else:
        y = rng.normal(size=n) * 2.0
        c = y + rng.normal(size=n) * 0.9
        b = y + rng.normal(size=n)
        classes = ()
    return Evaluation(labels=y, candidate=c, baselines={"other": b}, task=task, classes=classes)


def speed_check(metric: str, kind: str):
    from modelgate.checks import MarginCheck
    from modelgate.checks.floors import FloorCheck
    from modelgate.metrics import get_metric

    if kind == "margin":
        return MarginCheck(metric, baseline="other", margin=0.0)
    key = "at_least" if get_metric(metric).higher_is_better else "at_most"
    return FloorCheck(metric, **{key: 0.5})


def _speed_child(metric: str, kind: str, task: str, n: int, repeats: int, out) -> None:
    evidence = speed_evidence(task, n, 7)
    check = speed_check(metric, kind)
    start = time.perf_counter()
    bound = check.bound(evidence)  # the first call: imports included, so it only gates the repeats
    out.send(time.perf_counter() - start)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        check.bound(evidence)
        times.append(time.perf_counter() - start)
        if sum(times) > SPEED_LIMIT_S / 2:
            break
    out.send((statistics.median(times), bound.method))


def time_bound(metric: str, kind: str, task: str, n: int, repeats: int) -> tuple[float | None, str]:
    """(median seconds of check.bound, the method) in a child process; (None, "") past the limit."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_speed_child, args=(metric, kind, task, n, repeats, send))
    child.start()
    result: tuple[float | None, str] = (None, "")
    if receive.poll(SPEED_LIMIT_S) and receive.recv() < SPEED_LIMIT_S and receive.poll(SPEED_LIMIT_S * repeats):
        result = receive.recv()
    if child.is_alive():
        child.terminate()
    child.join()
    return result


def _fmt_seconds(t: float | None) -> str:
    if t is None:
        return "> 60 s"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def speed_section(args: argparse.Namespace) -> None:
    from modelgate.metrics import METRICS

    rows = SPEED_ROWS[:1] if args.quick else SPEED_ROWS
    repeats = 3 if args.quick else 5
    print(f"\n== bound speed: MarginCheck / FloorCheck .bound, default method, median of up to {repeats} ==")
    print("   goal: < 50 ms at 2,264 rows, < 1 s at 1,000,000 rows")
    print(f"   {'task':<11}{'metric':<12}{'bound':<7}{'rows':>10}{'before':>11}{'now':>11}   method")
    for metric in METRICS.values():
        for task in metric.tasks:
            for kind in ("margin", "floor"):
                for n in rows:
                    now, method = time_bound(metric.name, kind, task, n, repeats)
                    before = SPEED_BEFORE.get((task, metric.name, kind, n), "?")
                    before_text = "?" if before == "?" else _fmt_seconds(before)  # type: ignore[arg-type]
                    print(
                        f"   {task:<11}{metric.name:<12}{kind:<7}{n:>10,}{before_text:>11}{_fmt_seconds(now):>11}   {method}",
                        flush=True,
                    )


def speed_main(argv: list[str] | None = None) -> int:
    """``--speed``: every metric's margin and floor bound, timed."""
    parser = argparse.ArgumentParser(description="modelgate.stats benchmark: bound speed")
    parser.add_argument("--speed", action="store_true", help="run the speed section only")
    parser.add_argument("--quick", action="store_true", help="2,264 rows only, 3 repeats")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"modelgate.stats benchmark, speed ({'quick' if args.quick else 'full'}); numpy {np.__version__}")
    speed_section(args)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


def worlds_main(argv: list[str] | None = None) -> int:
    """``--worlds``: false passes at the boundary and power in the worlds of benchmarks/worlds.py."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import worlds

    return worlds.main(argv)


def rates_main(argv: list[str] | None = None) -> int:
    """``--rates``: property failure budgets and slices (benchmarks/gate_rates.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import gate_rates

    return gate_rates.main(argv)


def groups_main(argv: list[str] | None = None) -> int:
    """``--groups``: correlated rows, plain against grouped bounds (benchmarks/group_rates.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import group_rates

    return group_rates.main(argv)


if __name__ == "__main__":
    if "--groups" in sys.argv[1:]:
        raise SystemExit(groups_main())
    if "--rates" in sys.argv[1:]:
        raise SystemExit(rates_main())
    if "--worlds" in sys.argv[1:]:
        raise SystemExit(worlds_main())
    if "--speed" in sys.argv[1:]:
        raise SystemExit(speed_main())
    if "--tasks" in sys.argv[1:]:
        raise SystemExit(tasks_main())
    if "--losses" in sys.argv[1:]:
        raise SystemExit(losses_main())
    if "--floors" in sys.argv[1:]:
        raise SystemExit(floors_main())
    raise SystemExit(main())
