"""Worlds: today's margin and floor rules measured at the boundary, at small n and with heavy tails.

Run through ``bench_stats.py`` (or this file directly):

    .venv/bin/python benchmarks/bench_stats.py --worlds            # all worlds, ~13 minutes on 2 busy cores
    .venv/bin/python benchmarks/bench_stats.py --worlds --quick    # 300 trials a cell (bootstrap 40), ~3 minutes
    .venv/bin/python benchmarks/bench_stats.py --worlds --only trap --trials 2000

Every trial goes through the PUBLIC API only: an ``Evaluation`` of the task and a
``MarginCheck`` / ``FloorCheck`` with every default (confidence 0.95, method "auto",
n_resamples 2,000). The decision is the check's own rule on ``check.bound(...)``:
a margin passes when the bound is defined and ``lower > margin``, a floor when
``bound.clears(floor)`` (asserted equal to ``check.evaluate(...).passed`` on the
first trial of every cell). An inconclusive or undefined bound is "not passed";
the share of trials whose bound is ``inconclusive`` is its own column.

A cell is (world, metric, check, n). Two passes of fresh samples:

* boundary: the margin (or floor) is set to the TRUE difference (or the true
  candidate value) exactly, so every pass is a false pass (nominal <= 5%);
* power: the margin (floor) is moved by a stated distance d in the candidate's
  favour, d = 2.5 x the spread of the estimate over that cell's boundary trials
  (interquartile range / 1.349, the sd for normal estimates and stable under
  heavy tails; a correctly calibrated normal rule then passes about 80%).

True values are exact: closed forms, finite sums over a discrete population of
score "levels" (the multiclass and trap worlds), or 1-D quadrature (the binary
near-perfect log loss); each world's ``truth(metric)`` says which. Where the
metric is a ratio (macro F1, RMSE, R^2), the true value is the population value
(the sample metric's limit), as in ``--tasks``.

The world generators are importable: ``build_world(name)`` returns a world
whose ``sample(n, rng)`` gives one (y, candidate_scores, baseline_scores) and
``sample_many(trials, n, rng)`` a stack of them; ``truth(metric)`` the exact
true values. ``run_cell(...)`` measures one cell.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import integrate, optimize, special
from scipy import stats as sps

try:
    import modelgate  # noqa: F401
except ImportError:  # not installed: run from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SIZES = (30, 72, 200, 2264)
TINY_SIZES = (4, 10, 16, 30)
RHO = 0.5  # correlation of the candidate's and the baseline's errors / noise
POWER_SDS = 2.5  # power: the margin or floor moved by this many (robust) sd of the estimate
IQR_PER_SD = 2 * sps.norm.ppf(0.75)  # 1.349: the interquartile range of a normal, in sd
FLAG = 0.065  # cells above this false-pass rate are flagged
LOG_LOSS_EPS = 1e-15  # modelgate.metrics clips probabilities here; the truths do too
HIGHER_IS_BETTER = {
    "accuracy": True,
    "macro_f1": True,
    "roc_auc_ovr": True,
    "roc_auc": True,
    "r2": True,
    "log_loss": False,
    "mae": False,
    "rmse": False,
    "median_ae": False,
    "p90_ae": False,
    # "metric:method": the metric's check with that method (the assumption-free ones)
    "accuracy:bernstein": True,
}
UNIT_METRICS = ("roc_auc", "roc_auc_ovr", "accuracy", "macro_f1", "accuracy:bernstein")  # values in [0, 1]
# Metrics whose default method resamples (B = 2,000) get fewer trials (--boot-trials): none
# since macro_f1's default moved from the bootstrap to the delta method.
BOOTSTRAP_METRICS: tuple[str, ...] = ()


@dataclass(frozen=True)
class Truth:
    """The exact population values of one metric: candidate, baseline, and the difference
    the margin rule compares (c - b, or b - c for a lower-is-better metric)."""

    candidate: float
    baseline: float
    how: str

    def difference(self, metric: str) -> float:
        d = self.candidate - self.baseline
        return d if HIGHER_IS_BETTER[metric] else -d


# =============================================================================
# Regression: y ~ N(0, 2^2); errors e = sigma Z with Z unit variance, the candidate's
# and the baseline's Z correlated 0.5; prediction y - e. Candidate sigma 0.9, baseline 1.0
# (a run-like baseline: the previous model, a little worse). RMSE = sigma, MAE = sigma E|Z|,
# R^2 = 1 - sigma^2 / 4, all exact.
# =============================================================================
Y_SD = 2.0
SIGMA_C, SIGMA_B = 0.9, 1.0
LOGNORMAL_S = 1.0
OUTLIER_SHARE, OUTLIER_SCALE = 0.03, 10.0
T_DF = 3


class RegressionWorld:
    task = "regression"
    classes: tuple = ()
    metrics = ("mae", "rmse", "r2", "median_ae", "p90_ae")
    sizes = SIZES

    def __init__(self, residuals: str) -> None:
        self.residuals = residuals
        self.name = f"regression-{residuals}"
        if residuals == "normal":
            self.abs_mean = math.sqrt(2 / math.pi)
            self.describe = "normal residuals"
        elif residuals == "t3":
            self.abs_mean = 2 / math.pi  # E|T_3| / sqrt(3) = (2 sqrt 3 / pi) / sqrt 3
            self.describe = "t(3) residuals (infinite 4th moment), shared chi-square scale"
        elif residuals == "lognormal":
            s = LOGNORMAL_S
            # corr(exp(s N1), exp(s N2)) = (exp(s^2 r) - 1) / (exp(s^2) - 1) = RHO
            self.rho_n = math.log1p(RHO * math.expm1(s * s)) / (s * s)
            self.m = math.exp(s * s / 2)
            self.sd = math.sqrt(math.expm1(s * s) * math.exp(s * s))
            self.abs_mean = 2 * self.m * (2 * sps.norm.cdf(s / 2) - 1) / self.sd  # mean absolute deviation
            self.describe = f"lognormal(0, {s:g}) residuals, centred (skewness 6.2)"
        elif residuals == "outliers":
            p, k = OUTLIER_SHARE, OUTLIER_SCALE
            self.scale = math.sqrt(1 - p + p * k * k)
            self.abs_mean = math.sqrt(2 / math.pi) * (1 - p + p * k) / self.scale
            self.describe = f"normal residuals, {p:.0%} of rows (shared) with {k:g}x the error"
        else:
            raise ValueError(residuals)

    def _z(self, shape: tuple, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n1 = rng.standard_normal(shape)
        rho = self.rho_n if self.residuals == "lognormal" else RHO
        n2 = rho * n1 + math.sqrt(1 - rho * rho) * rng.standard_normal(shape)
        if self.residuals == "normal":
            return n1, n2
        if self.residuals == "t3":
            s = np.sqrt(T_DF / rng.chisquare(T_DF, shape)) / math.sqrt(T_DF / (T_DF - 2))
            return n1 * s, n2 * s
        if self.residuals == "lognormal":
            s = LOGNORMAL_S
            return (np.exp(s * n1) - self.m) / self.sd, (np.exp(s * n2) - self.m) / self.sd
        s = np.where(rng.random(shape) < OUTLIER_SHARE, OUTLIER_SCALE, 1.0) / self.scale
        return n1 * s, n2 * s

    def sample_many(self, trials: int, n: int, rng: np.random.Generator):
        y = rng.normal(0.0, Y_SD, (trials, n))
        z1, z2 = self._z((trials, n), rng)
        return y, y - SIGMA_C * z1, y - SIGMA_B * z2

    def sample(self, n: int, rng: np.random.Generator):
        y, c, b = self.sample_many(1, n, rng)
        return y[0], c[0], b[0]

    def truth(self, metric: str) -> Truth:
        if metric == "rmse":
            return Truth(SIGMA_C, SIGMA_B, "exact: sigma")
        if metric == "mae":
            return Truth(SIGMA_C * self.abs_mean, SIGMA_B * self.abs_mean, "exact: sigma E|Z|")
        if metric == "r2":
            return Truth(1 - SIGMA_C**2 / Y_SD**2, 1 - SIGMA_B**2 / Y_SD**2, "exact: 1 - sigma^2 / Var y")
        if metric in ("median_ae", "p90_ae"):
            q = self.abs_quantile(0.5 if metric == "median_ae" else 0.9)
            return Truth(SIGMA_C * q, SIGMA_B * q, "exact: sigma times the quantile of |Z| (root of its CDF)")
        raise ValueError(metric)

    def abs_cdf(self, x: float) -> float:
        """P(|Z| <= x) for this world's unit-variance error Z, in closed form."""
        if self.residuals == "normal":
            return 2 * sps.norm.cdf(x) - 1
        if self.residuals == "t3":  # Z = T_3 / sqrt(3)
            return 2 * sps.t.cdf(x * math.sqrt(T_DF / (T_DF - 2)), T_DF) - 1
        if self.residuals == "lognormal":  # Z = (exp(s N) - m) / sd
            s = LOGNORMAL_S
            high = sps.norm.cdf(math.log(self.m + x * self.sd) / s)
            low_value = self.m - x * self.sd
            low = sps.norm.cdf(math.log(low_value) / s) if low_value > 0 else 0.0
            return high - low
        p, k = OUTLIER_SHARE, OUTLIER_SCALE
        return (1 - p) * (2 * sps.norm.cdf(x * self.scale) - 1) + p * (2 * sps.norm.cdf(x * self.scale / k) - 1)

    def abs_quantile(self, q: float) -> float:
        from scipy.optimize import brentq

        return float(brentq(lambda x: self.abs_cdf(x) - q, 1e-12, 100.0, xtol=1e-14))


# =============================================================================
# Multiclass: a row draws its class y from the shares, then one of LEVELS equally likely
# score levels of that class (fixed, seed 11): candidate scores softmax(mu_c e_y + g),
# baseline softmax(mu_b e_y + 0.5 g + sqrt(0.75) h), g and h standard normal vectors per
# level. The population is that finite mixture, so every metric is a finite sum:
# accuracy, log loss and the joint (y, argmax) table (macro F1) directly, each
# one-vs-rest AUC as a weighted Mann-Whitney sum over the levels (ties counted half).
# =============================================================================
LEVELS = 2000
SHARES_3 = (0.5, 0.3, 0.2)
SHARES_10 = (0.25, 0.18, 0.14, 0.11, 0.09, 0.07, 0.06, 0.05, 0.03, 0.02)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def weighted_auc(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> float:
    """P(score of a positive > score of a negative) + P(tie) / 2, rows weighted."""
    values, inverse = np.unique(scores, return_inverse=True)
    wp = np.bincount(inverse, weights=np.where(positive, weights, 0.0), minlength=values.size)
    wn = np.bincount(inverse, weights=np.where(positive, 0.0, weights), minlength=values.size)
    below = np.cumsum(wn) - wn  # negative weight strictly below each value
    return float(np.sum(wp * (below + wn / 2)) / (wp.sum() * wn.sum()))


class MulticlassWorld:
    task = "multiclass"
    metrics = ("accuracy", "macro_f1", "roc_auc_ovr", "log_loss", "accuracy:bernstein")
    sizes = SIZES

    def __init__(self, name: str, shares: tuple, mu_c: float, mu_b: float, describe: str) -> None:
        self.name, self.describe = name, describe
        self.shares = np.asarray(shares, float)
        k = self.k = self.shares.size
        self.classes = tuple(f"c{i}" for i in range(k))
        rng = np.random.default_rng(11)
        g = rng.standard_normal((k, LEVELS, k))
        h = rng.standard_normal((k, LEVELS, k))
        onehot = np.eye(k)[:, None, :]  # class, level, column
        self.c = _softmax(mu_c * onehot + g).reshape(k * LEVELS, k)
        self.b = _softmax(mu_b * onehot + RHO * g + math.sqrt(1 - RHO * RHO) * h).reshape(k * LEVELS, k)
        self.level_class = np.repeat(np.arange(k), LEVELS)
        self.level_weight = self.shares[self.level_class] / LEVELS
        self.cum_shares = np.cumsum(self.shares)
        self._truths: dict[str, Truth] = {}

    def sample_many(self, trials: int, n: int, rng: np.random.Generator):
        y = np.minimum(np.searchsorted(self.cum_shares, rng.random((trials, n)), side="right"), self.k - 1)
        j = y * LEVELS + rng.integers(0, LEVELS, (trials, n))
        return y, self.c[j], self.b[j]

    def sample(self, n: int, rng: np.random.Generator):
        y, c, b = self.sample_many(1, n, rng)
        return y[0], c[0], b[0]

    def _population(self, metric: str, p: np.ndarray) -> float:
        w, cls, k = self.level_weight, self.level_class, self.k
        if metric == "accuracy":
            return float(np.sum(w * (p.argmax(axis=1) == cls)))
        if metric == "log_loss":
            return float(np.sum(w * -np.log(np.clip(p[np.arange(cls.size), cls], LOG_LOSS_EPS, 1 - LOG_LOSS_EPS))))
        if metric == "macro_f1":
            joint = np.zeros((k, k))
            np.add.at(joint, (cls, p.argmax(axis=1)), w)
            return float(np.mean(2 * np.diag(joint) / (self.shares + joint.sum(axis=0))))
        if metric == "roc_auc_ovr":
            return float(np.mean([weighted_auc(p[:, i], cls == i, w) for i in range(k)]))
        raise ValueError(metric)

    def truth(self, metric: str) -> Truth:
        if metric not in self._truths:
            self._truths[metric] = Truth(
                self._population(metric, self.c),
                self._population(metric, self.b),
                f"exact: finite sum over {self.k * LEVELS:,} levels",
            )
        return self._truths[metric]


# =============================================================================
# Binary trap: 98% of rows are ordinary (one of 256 equally likely levels, true
# P(y=1) = pi_j = expit(a + 1.5 z_j), 77% positives on average; the candidate scores pi_j,
# calibrated; the baseline the under-confident expit(a + kappa 1.5 z_j)): the candidate is
# better there. 2% are traps (P(y=1) = 0.95) where the candidate scores 0.01 and the baseline
# 0.7: the candidate is catastrophically worse. kappa is solved so that the true log-loss
# difference (baseline - candidate) is exactly TRAP_GAIN. Exact: finite sums.
# =============================================================================
TRAP_SHARE, TRAP_POS, TRAP_C, TRAP_B = 0.02, 0.95, 0.01, 0.7
TRAP_GAIN = 0.02
TRAP_LEVELS = 256
POS_SHARE = 0.77


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


class TrapWorld:
    name = "trap"
    task = "binary"
    classes: tuple = ()
    metrics = ("log_loss",)
    kinds = ("margin",)
    sizes = SIZES
    describe = (
        f"binary, candidate better on {1 - TRAP_SHARE:.0%} of rows, catastrophically worse "
        f"(scores {TRAP_C} where P(y=1) = {TRAP_POS}) on {TRAP_SHARE:.0%}"
    )

    def __init__(self) -> None:
        z = sps.norm.ppf((np.arange(TRAP_LEVELS) + 0.5) / TRAP_LEVELS)
        a = optimize.brentq(lambda a: special.expit(a + 1.5 * z).mean() - POS_SHARE, -10, 10, xtol=1e-15)
        self.pi = special.expit(a + 1.5 * z)
        trap_d = TRAP_POS * (math.log(TRAP_C) - math.log(TRAP_B)) + (1 - TRAP_POS) * (
            math.log1p(-TRAP_C) - math.log1p(-TRAP_B)
        )  # E[baseline loss - candidate loss] on a trap row
        need = (TRAP_GAIN - TRAP_SHARE * trap_d) / (1 - TRAP_SHARE)

        def gain(kappa: float) -> float:
            return float(np.mean(_kl(self.pi, special.expit(a + kappa * 1.5 * z))))

        self.kappa = optimize.brentq(lambda k: gain(k) - need, 0.01, 1.0, xtol=1e-15)
        self.b = special.expit(a + self.kappa * 1.5 * z)
        self.trap_d = trap_d
        ent = -(self.pi * np.log(self.pi) + (1 - self.pi) * np.log1p(-self.pi))
        lc_trap = -(TRAP_POS * math.log(TRAP_C) + (1 - TRAP_POS) * math.log1p(-TRAP_C))
        lb_trap = -(TRAP_POS * math.log(TRAP_B) + (1 - TRAP_POS) * math.log1p(-TRAP_B))
        self.loss_c = (1 - TRAP_SHARE) * float(ent.mean()) + TRAP_SHARE * lc_trap
        self.loss_b = (1 - TRAP_SHARE) * float(np.mean(ent + _kl(self.pi, self.b))) + TRAP_SHARE * lb_trap
        assert abs((self.loss_b - self.loss_c) - TRAP_GAIN) < 1e-12

    def sample_many(self, trials: int, n: int, rng: np.random.Generator):
        trap = rng.random((trials, n)) < TRAP_SHARE
        j = rng.integers(0, TRAP_LEVELS, (trials, n))
        p = np.where(trap, TRAP_POS, self.pi[j])
        y = (rng.random((trials, n)) < p).astype(int)
        return y, np.where(trap, TRAP_C, self.pi[j]), np.where(trap, TRAP_B, self.b[j])

    def sample(self, n: int, rng: np.random.Generator):
        y, c, b = self.sample_many(1, n, rng)
        return y[0], c[0], b[0]

    def truth(self, metric: str) -> Truth:
        assert metric == "log_loss"
        return Truth(self.loss_c, self.loss_b, "exact: finite sum over 256 levels + the trap")


# =============================================================================
# Binary near-perfect: 77% positives (drawn per row), x ~ N(mu y, 1) with mu = sqrt(2)
# Phi^-1(0.999), so AUC = 0.999 exactly; the score is the true posterior
# expit(logit(0.77) + mu x - mu^2 / 2) (calibrated). Accuracy at 0.5: a normal tail sum;
# log loss: one-dimensional quadrature (scipy.integrate.quad, to 1e-12). Floors only.
# =============================================================================
NEAR_AUC = 0.999


class NearPerfectBinaryWorld:
    name = "binary-near-perfect"
    task = "binary"
    classes: tuple = ()
    metrics = ("roc_auc", "accuracy", "log_loss", "accuracy:bernstein")
    kinds = ("floor",)
    sizes = SIZES
    describe = f"binary, calibrated binormal scores, AUC {NEAR_AUC} ({POS_SHARE:.0%} positives)"

    def __init__(self) -> None:
        self.mu = math.sqrt(2) * sps.norm.ppf(NEAR_AUC)
        self.offset = math.log(POS_SHARE / (1 - POS_SHARE)) - self.mu**2 / 2

    def _score(self, x):
        return special.expit(self.offset + self.mu * x)

    def sample_many(self, trials: int, n: int, rng: np.random.Generator):
        y = (rng.random((trials, n)) < POS_SHARE).astype(int)
        c = self._score(rng.standard_normal((trials, n)) + self.mu * y)
        return y, c, np.full_like(c, POS_SHARE)  # no baseline is compared: the prior

    def sample(self, n: int, rng: np.random.Generator):
        y, c, b = self.sample_many(1, n, rng)
        return y[0], c[0], b[0]

    def truth(self, metric: str) -> Truth:
        mu, pi = self.mu, POS_SHARE
        if metric == "roc_auc":
            return Truth(float(sps.norm.cdf(mu / math.sqrt(2))), 0.5, "exact: Phi(mu / sqrt 2)")
        if metric == "accuracy":
            t = -self.offset / mu  # score > 0.5 <=> x > t
            acc = pi * sps.norm.sf(t - mu) + (1 - pi) * sps.norm.cdf(t)
            return Truth(float(acc), pi, "exact: normal tails")
        if metric == "log_loss":

            def part(label: int) -> float:
                def f(x: float) -> float:
                    logit = self.offset + mu * x
                    p = min(max(special.expit(logit), LOG_LOSS_EPS), 1 - LOG_LOSS_EPS)
                    return (-math.log(p) if label else -math.log1p(-p)) * sps.norm.pdf(x - mu * label)

                return integrate.quad(f, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)[0]

            prior = -(pi * math.log(pi) + (1 - pi) * math.log1p(-pi))
            return Truth(pi * part(1) + (1 - pi) * part(0), prior, "quadrature (1e-12)")
        raise ValueError(metric)


# =============================================================================
# Tiny: n rows, exactly half positives; binormal scores, candidate AUC 0.98, baseline 0.90,
# within-class correlation 0.5: most samples of 4-16 rows are perfectly separated by the
# candidate. roc_auc floor at 0.98 and margin at 0.08: exact (Phi(mu / sqrt 2)). The
# estimate has no spread when every sample separates, so power here is at a fixed
# distance, 0.1 (floor 0.88, margin -0.02).
# =============================================================================
TINY_AUC_C, TINY_AUC_B = 0.98, 0.90


class TinyWorld:
    name = "tiny"
    task = "binary"
    classes: tuple = ()
    metrics = ("roc_auc",)
    sizes = TINY_SIZES
    power_distance = 0.1
    describe = (
        f"binary, n/2 positives, binormal scores (AUC {TINY_AUC_C} vs {TINY_AUC_B}, rho {RHO}): "
        "mostly perfectly separated samples"
    )

    def __init__(self) -> None:
        self.mu_c = math.sqrt(2) * sps.norm.ppf(TINY_AUC_C)
        self.mu_b = math.sqrt(2) * sps.norm.ppf(TINY_AUC_B)

    def sample_many(self, trials: int, n: int, rng: np.random.Generator):
        y = np.tile(np.r_[np.ones(n // 2, int), np.zeros(n - n // 2, int)], (trials, 1))
        e1 = rng.standard_normal((trials, n))
        e2 = RHO * e1 + math.sqrt(1 - RHO * RHO) * rng.standard_normal((trials, n))
        return y, e1 + self.mu_c * y, e2 + self.mu_b * y

    def sample(self, n: int, rng: np.random.Generator):
        y, c, b = self.sample_many(1, n, rng)
        return y[0], c[0], b[0]

    @staticmethod
    def separated(y: np.ndarray, c: np.ndarray) -> bool:
        """Does the candidate's score perfectly separate this sample's classes?"""
        return bool(c[y == 1].min() > c[y == 0].max())

    def truth(self, metric: str) -> Truth:
        assert metric == "roc_auc"
        return Truth(
            float(sps.norm.cdf(self.mu_c / math.sqrt(2))),
            float(sps.norm.cdf(self.mu_b / math.sqrt(2))),
            "exact: Phi(mu / sqrt 2)",
        )


WORLD_NAMES = (
    "regression-normal",
    "regression-t3",
    "regression-lognormal",
    "regression-outliers",
    "multiclass-3",
    "multiclass-10",
    "multiclass-near-perfect",
    "trap",
    "binary-near-perfect",
    "tiny",
)


@functools.cache
def build_world(name: str):
    """The world called ``name`` (one of WORLD_NAMES); built once per process."""
    if name.startswith("regression-"):
        return RegressionWorld(name.split("-", 1)[1])
    if name == "multiclass-3":
        return MulticlassWorld(name, SHARES_3, 1.6, 1.3, "3 classes (0.5 / 0.3 / 0.2)")
    if name == "multiclass-10":
        return MulticlassWorld(name, SHARES_10, 2.2, 1.9, "10 imbalanced classes (0.25 ... 0.02)")
    if name == "multiclass-near-perfect":
        return MulticlassWorld(name, SHARES_3, 3.2, 2.8, "3 classes (0.5 / 0.3 / 0.2), a near-perfect candidate")
    if name == "trap":
        return TrapWorld()
    if name == "binary-near-perfect":
        return NearPerfectBinaryWorld()
    if name == "tiny":
        return TinyWorld()
    raise ValueError(f"unknown world {name!r}; use one of {', '.join(WORLD_NAMES)}")


def world_kinds(world) -> tuple[str, ...]:
    return getattr(world, "kinds", ("margin", "floor"))


# =============================================================================
# Measuring a cell
# =============================================================================
@dataclass(frozen=True)
class Cell:
    world: str
    metric: str
    kind: str  # "margin" or "floor"
    n: int
    trials: int
    seed: int


def make_check(metric: str, kind: str, threshold: float):
    """A MarginCheck (margin = threshold) or FloorCheck (floor = threshold), every other default."""
    from modelgate import FloorCheck, MarginCheck

    name, _, method = metric.partition(":")
    options = {"method": method} if method else {}
    if kind == "margin":
        return MarginCheck(name, baseline="base", margin=threshold, **options)
    key = "at_least" if HIGHER_IS_BETTER[metric] else "at_most"
    return FloorCheck(name, **{key: threshold}, **options)


def _evaluation(world, y, c, b):
    from modelgate import Evaluation

    return Evaluation(labels=y, candidate=c, baselines={"base": b}, task=world.task, classes=world.classes)


def _decide(check, kind: str, evaluation) -> tuple[bool, bool, float, str]:
    """(passed, inconclusive, estimate, method) by the check's own rule on its bound."""
    bound = check.bound(evaluation)
    if kind == "margin":
        passed = bool(bound.defined and bound.lower > check.margin)
        estimate = bound.estimate
    else:
        passed = bool(bound.clears(check.floor))
        estimate = bound.value
    return passed, bool(getattr(bound, "inconclusive", False)), float(estimate), bound.method


def run_pass(world, metric: str, kind: str, n: int, threshold: float, trials: int, rng, batch: int = 50) -> dict:
    """Trials of one check at one threshold: pass, inconclusive and undefined counts, the estimates."""
    check = make_check(metric, kind, threshold)
    passed = inconclusive = 0
    estimates = np.empty(trials)
    methods: dict[str, int] = {}
    separated = getattr(world, "separated", None)
    n_separated = done = 0
    while done < trials:
        size = min(batch, trials - done)
        ys, cs, bs = world.sample_many(size, n, rng)
        for t in range(size):
            evaluation = _evaluation(world, ys[t], cs[t], bs[t])
            ok, inc, est, method = _decide(check, kind, evaluation)
            if done + t == 0:  # the decision is the check's own
                assert check.evaluate(evaluation).passed == ok, (metric, kind, n)
            passed += ok
            inconclusive += inc
            estimates[done + t] = est
            methods[method] = methods.get(method, 0) + 1
            if separated is not None:
                n_separated += separated(ys[t], cs[t])
        done += size
    return {
        "rate": passed / trials,
        "inconclusive": inconclusive / trials,
        "estimates": estimates,
        "method": max(methods, key=methods.get),
        "separated": n_separated / trials if separated is not None else math.nan,
    }


def run_cell(cell: Cell) -> dict:
    """False-pass rate at the boundary and power at 2.5 sd of the estimate beyond it
    (the tiny world: at its fixed ``power_distance``)."""
    started = time.perf_counter()
    world = build_world(cell.world)
    truth = world.truth(cell.metric.partition(":")[0])
    rng = np.random.default_rng(cell.seed)
    at = truth.difference(cell.metric) if cell.kind == "margin" else truth.candidate
    null = run_pass(world, cell.metric, cell.kind, cell.n, at, cell.trials, rng)
    finite = null["estimates"][np.isfinite(null["estimates"])]
    # a robust sd (the normal-consistent IQR): a plain sd swings with one heavy-tailed trial;
    # the plain sd where the IQR is 0 (estimates piled on one value, e.g. accuracy 1 at small n)
    sd = math.nan
    if finite.size > 1:
        sd = float(np.subtract(*np.percentile(finite, [75, 25])) / IQR_PER_SD) or float(np.std(finite, ddof=1))
    distance = getattr(world, "power_distance", POWER_SDS * sd)
    power = {"rate": math.nan, "inconclusive": math.nan}
    if math.isfinite(distance) and distance > 0:
        toward = -1.0 if (cell.kind == "margin" or HIGHER_IS_BETTER[cell.metric]) else 1.0
        moved = at + toward * distance
        if cell.metric in UNIT_METRICS:  # keep the check possible: a floor in (0, 1), a margin above -1
            moved = max(moved, 1e-6 if cell.kind == "floor" else -1 + 1e-6)
        power = run_pass(world, cell.metric, cell.kind, cell.n, moved, cell.trials, rng)
    return {
        "cell": cell,
        "truth": at,
        "rate": null["rate"],
        "se": mc_se(null["rate"], cell.trials),
        "inconclusive": null["inconclusive"],
        "power": power["rate"],
        "power_inconclusive": power["inconclusive"],
        "distance": distance,
        "method": null["method"],
        "mean_estimate": float(np.mean(finite)) if finite.size else math.nan,
        "separated": null["separated"],
        "seconds": time.perf_counter() - started,
    }


def mc_se(rate: float, trials: int) -> float:
    return math.sqrt(max(rate * (1 - rate), 1e-12) / trials)


def cells_for(names, trials: int, boot_trials: int, seed: int) -> list[Cell]:
    cells = []
    for w, name in enumerate(names):
        world = build_world(name)
        for m, metric in enumerate(world.metrics):
            for k, kind in enumerate(world_kinds(world)):
                for s, n in enumerate(world.sizes):
                    cell_seed = seed + 100_000 * w + 1000 * m + 100 * k + s
                    cell_trials = boot_trials if metric in BOOTSTRAP_METRICS else trials
                    cells.append(Cell(name, metric, kind, n, cell_trials, cell_seed))
    return cells


def _short(method: str) -> str:
    return method if len(method) <= 36 else method[:35] + "…"


def print_world(name: str, results: list[dict]) -> None:
    world = build_world(name)
    print(f"\n== {name}: {world.describe} ==")
    for metric in world.metrics:
        t = world.truth(metric.partition(":")[0])
        vs = f", baseline {t.baseline:.6f}, difference {t.difference(metric):+.6f}"
        print(f"   true {metric}: candidate {t.candidate:.6f}{vs if 'margin' in world_kinds(world) else ''} ({t.how})")
    print(
        f"   {'metric':<12}{'check':<7}{'n':>6}  {'method':<37}{'false pass ± se (trials)':>28}"
        f"{'inconcl.':>10}{'power':>8}{'inconcl.':>10}{'distance':>10}"
    )
    for r in results:
        c = r["cell"]
        flag = " !" if r["rate"] > FLAG else "  "
        cell_text = f"{r['rate']:6.1%} ±{r['se']:4.1%} ({c.trials})"
        power = "n/a" if not math.isfinite(r["power"]) else f"{r['power']:.1%}"
        pinc = "" if not math.isfinite(r["power_inconclusive"]) else f"{r['power_inconclusive']:.1%}"
        print(
            f"   {c.metric:<12}{c.kind:<7}{c.n:>6}  {_short(r['method']):<37}{cell_text:>28}{flag}"
            f"{r['inconclusive']:>8.1%}{power:>8}{pinc:>10}{r['distance']:>10.4f}"
            + (f"   separated {r['separated']:.0%}" if math.isfinite(r["separated"]) else "")
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="modelgate.stats benchmark: worlds (false passes at the boundary)")
    parser.add_argument("--worlds", action="store_true", help="run the worlds section (all worlds)")
    parser.add_argument("--quick", action="store_true", help="300 trials a cell (bootstrap metrics 40)")
    parser.add_argument("--trials", type=int, help="trials a cell (default 1000, quick 300)")
    parser.add_argument(
        "--boot-trials",
        type=int,
        help="trials a cell whose default method resamples (none today; default 200, quick 40)",
    )
    parser.add_argument("--only", action="append", choices=WORLD_NAMES, help="this world only (repeatable)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (at most 2)")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    trials = args.trials or (300 if args.quick else 1000)
    boot_trials = args.boot_trials or (40 if args.quick else 200)
    names = tuple(args.only) if args.only else WORLD_NAMES
    processes = max(1, min(2, args.processes))
    started = time.perf_counter()
    print(
        f"modelgate.stats benchmark, worlds ({'quick' if args.quick else 'full'}); numpy {np.__version__}; "
        f"{trials} trials a cell"
        + (f" ({boot_trials} for {', '.join(BOOTSTRAP_METRICS)}: bootstrap B = 2,000)" if BOOTSTRAP_METRICS else "")
        + "; "
        f"{processes} processes"
    )
    print(
        "   false pass: share passed with the margin / floor at the exact true value (nominal <= 5%; "
        f"! = above {FLAG:.1%}); inconcl.: share of trials whose bound is inconclusive (counted as not passed); "
        f"power: share passed with the margin / floor moved {POWER_SDS:g} robust sd (IQR / 1.349) of the estimate "
        "(distance; tiny: 0.1) in the candidate's favour, fresh samples"
    )
    cells = cells_for(names, trials, boot_trials, args.seed)
    order = sorted(range(len(cells)), key=lambda i: -(cells[i].n * (50 if cells[i].metric in BOOTSTRAP_METRICS else 1)))
    results: dict[int, dict] = {}
    if processes == 1:
        for i in order:
            results[i] = run_cell(cells[i])
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes) as pool:
            for i, r in zip(order, pool.imap(run_cell, [cells[i] for i in order])):
                results[i] = r
    flagged = []
    for name in names:
        rows = [results[i] for i in range(len(cells)) if cells[i].world == name]
        print_world(name, rows)
        flagged += [r for r in rows if r["rate"] > FLAG]
    print(f"\n{len(flagged)} of {len(cells)} cells above {FLAG:.1%}")
    print(
        f"total {time.perf_counter() - started:.0f} s (cpu per cell summed: {sum(r['seconds'] for r in results.values()):.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
