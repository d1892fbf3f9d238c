"""Review of the fused one-vs-rest AUC influence (``_ovr_class_influence``): exact
values against a direct Mann-Whitney count, and memory that does not grow with
the number of classes times the number of rows."""

import tracemalloc
from fractions import Fraction

import numpy as np
import pytest

from modelgate import stats as S
from modelgate.stats import auc as A


def rows(n, k, seed, decimals=None):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    s = rng.dirichlet(np.ones(k), size=n)
    s[np.arange(n), y] += 0.3 * rng.random(n)
    s /= s.sum(axis=1, keepdims=True)
    return y, (s if decimals is None else np.round(s, decimals))


def reference(y, s):
    """Per class: twice the Mann-Whitney placements counted with searchsorted, the AUC
    correctly rounded from the exact count, and (v - AUC) / pi as DeLong's components."""
    n = y.size
    total, value, present = np.zeros(n), 0.0, 0
    for c in range(s.shape[1]):
        pos = y == c
        m = int(pos.sum())
        if not 0 < m < n:
            continue
        n_neg = n - m
        neg_sorted, pos_sorted = np.sort(s[~pos, c]), np.sort(s[pos, c])
        twice = np.empty(n, dtype=np.int64)
        p = s[pos, c]
        twice[pos] = np.searchsorted(neg_sorted, p, "left") + np.searchsorted(neg_sorted, p, "right")
        q = s[~pos, c]
        twice[~pos] = 2 * m - np.searchsorted(pos_sorted, q, "left") - np.searchsorted(pos_sorted, q, "right")
        auc = float(Fraction(int(twice[pos].sum()), 2 * m * n_neg))  # correctly rounded
        v = np.where(pos, twice / (2.0 * n_neg), twice / (2.0 * m))
        total += np.where(pos, (v - auc) * (n / m), (v - auc) * (n / n_neg))
        value += auc
        present += 1
    return value / present, total / present


CASES = {
    "k3": rows(2000, 3, 1),
    "k3 ties": rows(2000, 3, 1, decimals=1),
    "k10 ties": rows(3000, 10, 2, decimals=2),
    "k4 large ties": rows(50_000, 4, 5, decimals=3),
}


@pytest.mark.parametrize("case", CASES)
def test_the_ovr_auc_is_the_exact_count_correctly_rounded_per_class(case):
    # The unfused code divided the exact integer count once (so each class's AUC was the
    # Mann-Whitney fraction correctly rounded, as scikit-learn gives it); summing
    # count / n_neg row by row drifts by an ulp, and the influence with it.
    y, s = CASES[case]
    value, infl = S.ovr_auc_influence(y, s)
    ref_value, ref_infl = reference(y, s)
    assert value == ref_value
    assert np.array_equal(infl, ref_infl)


@pytest.mark.parametrize("threaded", [False, True])
def test_the_ovr_auc_influence_keeps_no_vector_per_class(monkeypatch, threaded):
    # The old code added each class's influence into the total as it went: memory in
    # O(n). Keeping every class's vector until the end is O(k n): 8 GB for 1000 classes
    # at 10^6 rows.
    if threaded:
        monkeypatch.setattr(A, "_THREADED_ROWS", 0)
        monkeypatch.setattr(A, "_usable_cpus", lambda: 3)
    n, k = 10_000, 300
    rng = np.random.default_rng(0)
    y, s = rng.integers(0, k, n), rng.random((n, k))
    tracemalloc.start()
    try:
        S.ovr_auc_influence(y, s)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * n * 8, f"peak {peak / 1e6:.1f} MB for {k} classes of {n} rows"
