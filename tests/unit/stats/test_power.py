"""The power a check states, read off its bound: the minimum detectable effect and the
power at a given effect (validated by simulation in benchmarks/bench_stats.py --rates)."""

import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as sps

from modelgate.checks import FloorCheck, MarginCheck
from modelgate.evidence.evaluation import Evaluation
from modelgate.report.power import power_at_effect, power_lines
from modelgate.stats.power import minimum_detectable_effect, power_at, standard_error


def test_the_mde_is_the_effect_that_passes_80_percent_of_the_time():
    estimate, bound = 0.05, 0.02
    se = standard_error(estimate, bound, 0.95)
    assert se == pytest.approx(0.03 / sps.norm.ppf(0.95))
    mde = minimum_detectable_effect(estimate, bound, 0.95)
    assert mde == pytest.approx((sps.norm.ppf(0.95) + sps.norm.ppf(0.8)) * se)
    assert power_at(mde, estimate, bound, 0.95) == pytest.approx(0.8)
    assert power_at(0.0, estimate, bound, 0.95) == pytest.approx(0.05)  # at the margin: the test's level
    assert math.isnan(power_at(0.01, math.nan, bound, 0.95))
    assert power_at(0.01, 0.3, 0.3, 0.95) == 1.0  # no spread: any true effect passes


def _evidence(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.6).astype(int)
    c = special.expit(rng.standard_normal(n) + 1.4 * y)
    b = special.expit(rng.standard_normal(n) + 1.0 * y)
    return Evaluation(labels=y, candidate=c, baselines={"champion": b})


def test_margin_and_floor_results_carry_their_mde_and_the_lines_say_it():
    evidence = _evidence()
    margin = MarginCheck("roc_auc", baseline="champion", margin=0.0).evaluate(evidence)
    floor = FloorCheck("accuracy", at_least=0.6).evaluate(evidence)
    point = MarginCheck("roc_auc", baseline="champion", margin=0.0, confidence=None).evaluate(evidence)
    assert margin.mde == pytest.approx(minimum_detectable_effect(margin.estimate, margin.lower, 0.95))
    assert floor.mde == pytest.approx(minimum_detectable_effect(floor.candidate_value, floor.lower, 0.95))
    assert point.mde is None  # a point estimate has no power to state
    lines = power_lines([margin, floor, point])
    assert lines == [
        f"power: {margin.name}: detects {margin.mde:.4f} beyond its margin (80% power, n = 400)",
        f"power: {floor.name}: detects {floor.mde:.4f} beyond its floor (80% power, n = 400)",
    ]
    # An effect the gate should detect: a warning for each check that would pass it less than 80% of the time.
    small = margin.mde / 3
    chance = power_at_effect(margin, small)
    assert chance < 0.8
    warned = power_lines([margin], effect=small)
    assert warned[-2] == (
        f"power: the gate: a candidate truly {small:g} beyond every margin and floor passes all 1 checks about "
        f"{chance:.0%} of the time, and fails one about {1 - chance:.0%} of the time (the checks taken as independent)"
    )
    assert warned[-1] == (
        f"modelgate warning: underpowered: a candidate truly {small:g} beyond the margin of {margin.name} "
        f"passes only {chance:.0%} of the time at n = 400"
    )
    assert not any("underpowered" in l for l in power_lines([margin, floor], effect=10 * margin.mde))


def test_the_gate_passes_a_good_candidate_only_if_every_check_does():
    from modelgate.report.power import gate_power

    evidence = _evidence()
    results = [
        MarginCheck("roc_auc", baseline="champion", margin=0.0).evaluate(evidence),
        FloorCheck("accuracy", at_least=0.6).evaluate(evidence),
    ]
    count, chance = gate_power(results, 0.05)
    each = [power_at_effect(r, 0.05) for r in results]
    assert count == 2 and chance == pytest.approx(each[0] * each[1]) and chance < min(each)
    assert gate_power([MarginCheck("roc_auc", baseline="champion", confidence=None).evaluate(evidence)], 0.05) is None


def test_a_fifty_percent_bound_states_no_power_and_no_nan():
    evidence = _evidence()
    result = FloorCheck("accuracy", at_least=0.5, confidence=0.5).evaluate(evidence)
    assert result.mde is None
    assert not any("nan" in line for line in power_lines([result], effect=0.01))
