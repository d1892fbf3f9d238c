"""Correlated rows: how often the plain bounds and the grouped ones (``group_column``)
promote a model that should fail, when rows come in groups.

Run through bench_stats.py:

    .venv/bin/python benchmarks/bench_stats.py --groups            # ~3 minutes
    .venv/bin/python benchmarks/bench_stats.py --groups --quick    # ~30 seconds

Each validation set has G groups of ROWS_A_GROUP rows (users, each with several
reviews). Three checks, each at its boundary, so every pass is a false pass (goal
<= 5%):

1. ``roc_auc`` against the champion, margin 0. Each model's discrimination varies from
   group to group (it suits some users better than others) by a random effect of its
   own, so the two models are exchangeable: the true difference is 0.
2. An ``accuracy`` floor at 0.80. Each group's accuracy is drawn from a Beta
   distribution of mean 0.80 and intra-class correlation ICC.
3. ``mae`` against the champion, margin 0: each model's errors have a group-level
   scale of its own (exchangeable again).

The plain rule treats the G x ROWS_A_GROUP rows as independent; the grouped rule is
the gate's with ``group_column``. Power: the grouped rule's pass rate when the
candidate is truly better (AUC + 0.05, accuracy 0.88, MAE 15% lower).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special

try:
    import modelgate  # noqa: F401
except ImportError:  # not installed: run from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from modelgate.metrics import get_metric
from modelgate.stats.methods import floor_bound, margin_bound

GROUP_COUNTS = (10, 20, 50, 200)
ROWS_A_GROUP = 10
ICC = 0.2  # accuracy: the share of the variance of a row's correctness between groups
SPREAD = 0.8  # AUC and MAE: the sd of a model's group-level effect


def mc_se(rate: float, trials: int) -> float:
    return math.sqrt(max(rate * (1 - rate), 1e-12) / trials)


def _auc_world(g: int, gain: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    groups = np.repeat(np.arange(g), ROWS_A_GROUP)
    n = groups.size
    y = (rng.random(n) < 0.5).astype(int)
    # Each model separates the classes by 1.2 + its own group effect (+ gain for the candidate).
    sep_c = 1.2 + gain + SPREAD * rng.normal(size=g)[groups]
    sep_b = 1.2 + SPREAD * rng.normal(size=g)[groups]
    noise = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n)
    return y, special.expit(noise[:, 0] + y * sep_c), special.expit(noise[:, 1] + y * sep_b), groups


def _accuracy_world(g: int, accuracy: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    groups = np.repeat(np.arange(g), ROWS_A_GROUP)
    total = (1 - ICC) / ICC  # Beta(a, b) with a + b = (1 - ICC) / ICC has this intra-class correlation
    p = rng.beta(accuracy * total, (1 - accuracy) * total, size=g)[groups]
    y = (rng.random(groups.size) < 0.5).astype(int)
    right = rng.random(groups.size) < p
    return y, np.where(right == (y == 1), 0.9, 0.1), groups


def _mae_world(g: int, gain: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    groups = np.repeat(np.arange(g), ROWS_A_GROUP)
    n = groups.size
    y = rng.normal(size=n) * 10
    scale_c = np.exp(SPREAD * rng.normal(size=g))[groups] * (1 - gain)
    scale_b = np.exp(SPREAD * rng.normal(size=g))[groups]
    return y, y + scale_c * rng.normal(size=n), y + scale_b * rng.normal(size=n), groups


def _passes(kind: str, world: tuple[np.ndarray, ...], grouped: bool) -> bool:
    options = {"confidence": 0.95, "n_resamples": 2000, "seed": 0}
    if kind == "accuracy":
        y, s, groups = world
        metric = get_metric("accuracy")
        b = floor_bound(
            metric.floor_method,
            metric,
            "binary",
            y,
            s,
            side="lower",
            floor=0.8,
            groups=groups if grouped else None,
            **options,
        )
        return bool(b.defined and not b.inconclusive and b.bound > 0.8)
    y, c, base, groups = world
    metric = get_metric("roc_auc" if kind == "roc_auc" else "mae")
    task = "binary" if kind == "roc_auc" else "regression"
    d = margin_bound(
        metric.method,
        metric,
        task,
        y,
        c,
        base,
        margin=0.0,
        relative=False,
        groups=groups if grouped else None,
        **options,
    )
    return bool(d.defined and not d.inconclusive and d.lower > 0.0)


def _world(kind: str, g: int, better: bool, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    if kind == "roc_auc":
        return _auc_world(g, 0.6 if better else 0.0, rng)
    if kind == "accuracy":
        return _accuracy_world(g, 0.88 if better else 0.80, rng)
    return _mae_world(g, 0.15 if better else 0.0, rng)


def rates(kind: str, g: int, trials: int, seed: int) -> tuple[float, float, float]:
    """(plain at the boundary, grouped at the boundary, grouped power)."""
    rng = np.random.default_rng(seed)
    plain = grouped = power = 0
    for _ in range(trials):
        world = _world(kind, g, False, rng)
        plain += _passes(kind, world, False)
        grouped += _passes(kind, world, True)
        power += _passes(kind, _world(kind, g, True, rng), True)
    return plain / trials, grouped / trials, power / trials


# -- the harder designs a review found: relative margins, unequal groups, the cluster bootstrap --
def _pass_world(kind: str, sizes: np.ndarray, rng: np.random.Generator) -> bool:
    """One boundary trial (exchangeable candidate and baseline, margin 0) of the grouped rule."""
    groups = np.repeat(np.arange(sizes.size), sizes)
    g, n = sizes.size, groups.size
    options = {"confidence": 0.95, "n_resamples": 1000, "seed": int(rng.integers(2**31)), "groups": groups}
    if kind == "p90_ae":  # no influence form: the cluster bootstrap
        y = rng.normal(size=n)
        c = y + rng.normal(0, 0.8, g)[groups] + rng.normal(size=n)
        b = y + rng.normal(0, 0.8, g)[groups] + rng.normal(size=n)
        metric, task, relative = get_metric("p90_ae"), "regression", False
    else:
        y = rng.integers(0, 2, n)

        def scores(u: np.ndarray) -> np.ndarray:
            return np.asarray(special.expit(1.5 * (2 * y - 1) + u[groups] + rng.normal(size=n)))

        c, b = scores(rng.normal(size=g)), scores(rng.normal(size=g))
        metric, task, relative = get_metric(kind.split()[0]), "binary", kind.endswith("relative")
    d = margin_bound(metric.method, metric, task, y, c, b, margin=0.0, relative=relative, **options)
    return bool(d.defined and not d.inconclusive and d.lower > 0.0)


HARDER = (
    ("brier relative", "12 groups of 8", np.full(12, 8)),
    ("brier relative", "20 groups of 8", np.full(20, 8)),
    ("log_loss", "10 of 40 + 90 of 1", np.r_[np.full(10, 40), np.full(90, 1)]),
    ("roc_auc", "10 of 40 + 90 of 1", np.r_[np.full(10, 40), np.full(90, 1)]),
    ("p90_ae", "10 groups of 10", np.full(10, 10)),
    ("p90_ae", "20 groups of 10", np.full(20, 10)),
)


def harder_section(quick: bool, seed: int) -> None:
    trials = 200 if quick else 1000
    print(f"\n== correlated rows, harder designs: the grouped rule at the boundary, {trials} trials a cell ==")
    print("   exchangeable candidate and baseline, margin 0 (goal <= 5%). relative: Fieller with t;")
    print("   unequal sizes: t on the groups' effective number; p90_ae: the cluster bootstrap, expanded percentile")
    print(f"   {'check':<18}{'groups':<22}{'grouped':>9}   (Monte Carlo se at 5%)")
    for k, (kind, label, sizes) in enumerate(HARDER):
        rng = np.random.default_rng(seed + 100 + k)
        rate = sum(_pass_world(kind, sizes, rng) for _ in range(trials)) / trials
        print(f"   {kind:<18}{label:<22}{rate:>9.1%}   ({mc_se(0.05, trials):.1%})", flush=True)


def groups_section(quick: bool, seed: int) -> None:
    trials = 200 if quick else 1000
    print(f"\n== correlated rows: {ROWS_A_GROUP} rows a group, {trials} trials a cell ==")
    print(f"   roc_auc vs champion (margin 0) and mae vs champion (margin 0): each model's group effect sd {SPREAD};")
    print(
        f"   accuracy floor 0.80: group accuracies Beta, ICC {ICC}. Boundary: every pass is a false pass (goal <= 5%)."
    )
    print("   Power (grouped): AUC separation + 0.6, accuracy 0.88, MAE scale 15% lower.")
    print(f"   {'check':<22}{'groups':>7}{'rows':>7}{'plain':>9}{'grouped':>9}{'power':>9}   (Monte Carlo se at 5%)")
    labels = {"roc_auc": "roc_auc vs champion", "accuracy": "accuracy at_least 0.8", "mae": "mae vs champion"}
    for kind in ("roc_auc", "accuracy", "mae"):
        for g in GROUP_COUNTS:
            plain, grouped, power = rates(kind, g, trials, seed + g)
            print(
                f"   {labels[kind]:<22}{g:>7}{g * ROWS_A_GROUP:>7}{plain:>9.1%}{grouped:>9.1%}{power:>9.1%}"
                f"   ({mc_se(0.05, trials):.1%})",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args([a for a in (argv or sys.argv[1:]) if a != "--groups"])
    started = time.perf_counter()
    print(f"modelgate benchmark, correlated rows ({'quick' if args.quick else 'full'})")
    groups_section(args.quick, args.seed)
    harder_section(args.quick, args.seed)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
