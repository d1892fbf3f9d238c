"""The floor of a macro one-vs-rest AUC: DeLong per class on the logit scale, with each
class's variance at least Hanley-McNeil's, so a (near-)perfect sample claims no certainty."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from modelgate.stats.auc import OVR_METHOD, ovr_auc_bound

RNG = np.random.default_rng(3)


def _sample(n, k=3, signal=1.5):
    y = RNG.integers(0, k, n)
    logits = RNG.normal(0, 1, (n, k)) + signal * np.eye(k)[y]
    s = np.exp(logits)
    return y, s / s.sum(axis=1, keepdims=True)


def test_the_value_is_sklearns_macro_ovr_auc_and_the_bound_is_below_it():
    y, s = _sample(300)
    b = ovr_auc_bound(y, s, floor=0.7)
    assert b.value == pytest.approx(roc_auc_score(y, s, multi_class="ovr", average="macro"))
    assert b.method == OVR_METHOD and b.bound < b.value
    upper = ovr_auc_bound(y, s, side="upper", floor=0.95)
    assert upper.bound > upper.value


@pytest.mark.parametrize("per_class", [2, 5, 10, 24])
def test_a_perfect_sample_is_not_certain(per_class):
    y = np.repeat([0, 1, 2], per_class)
    s = np.full((y.size, 3), 0.1)
    s[np.arange(y.size), y] = 0.8
    b = ovr_auc_bound(y, s, floor=0.99)
    assert b.value == 1.0 and b.bound < 1.0 and b.p_value > 0
    if per_class <= 5:
        assert not b.clears(0.99)


def test_the_p_value_is_dual_to_the_bound():
    y, s = _sample(120, k=4, signal=2.5)
    for floor in np.linspace(0.6, 0.99, 30):
        b = ovr_auc_bound(y, s, floor=float(floor))
        assert b.clears(float(floor)) == (b.p_value < 0.05), (floor, b)


def test_a_class_of_one_row_is_inconclusive():
    y = np.r_[np.zeros(20, int), np.ones(20, int), [2]]
    s = np.full((41, 3), 1 / 3)
    b = ovr_auc_bound(y, s + RNG.normal(0, 0.01, (41, 3)), floor=0.5)
    assert b.inconclusive and not b.defined
