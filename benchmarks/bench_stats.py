"""Benchmark modelgate.stats: decision quality of the gate rule, and speed.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_stats.py           # ~2 minutes
    .venv/bin/python benchmarks/bench_stats.py --quick   # ~20 seconds

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
            boot = S.paired_bootstrap_difference(
                "roc_auc", y, c, b, margin=MARGIN, n_resamples=boot_b, seed=t
            )
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
                [pos_rows[r.integers(0, pos_rows.size, pos_rows.size)],
                 neg_rows[r.integers(0, neg_rows.size, neg_rows.size)]]
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


if __name__ == "__main__":
    raise SystemExit(main())
