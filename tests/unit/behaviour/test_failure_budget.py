"""A property's failure budget is decided on the exact upper bound of its failure rate.

"At most 5% of 200 examples" used to pass a model whose observed rate was at most
5%: a model failing on 5% of all inputs passed about half the time. Now a positive
budget passes only when the one-sided 95% Clopper-Pearson upper bound of the rate
is below it, which is the one-sided exact binomial test of "rate >= budget".
"""

import numpy as np
import pytest
from scipy import stats as sps

from modelgate.behaviour import check_invariance_rate
from modelgate.behaviour.reports import RateReport, within_budget
from modelgate.checks import PropertyCheck
from modelgate.checks.properties import examples_to_pass
from modelgate.config import parse_table
from modelgate.errors import GateUsageError


@pytest.mark.parametrize("n", [59, 200, 1000])
@pytest.mark.parametrize("budget", [0.01, 0.05, 0.2])
def test_a_budget_passes_exactly_when_the_binomial_test_rejects_a_rate_at_the_budget(n, budget):
    for failures in range(0, min(n, int(3 * budget * n) + 3) + 1):
        rejects = sps.binomtest(failures, n, budget, alternative="less").pvalue < 0.05
        assert within_budget(failures, n, budget, 0.95) == rejects, (failures, n, budget)


def test_a_rate_at_the_budget_passes_at_most_five_percent_of_the_time():
    # Exact, over every count a model truly failing 5% of the time can show in 200 examples.
    n, budget = 200, 0.05
    passing = [k for k in range(n + 1) if within_budget(k, n, budget, 0.95)]
    assert sps.binom.pmf(passing, n, budget).sum() <= 0.05
    # The observed rate alone (confidence=None) passes such a model more than half the time.
    raw = [k for k in range(n + 1) if within_budget(k, n, budget, None)]
    assert sps.binom.pmf(raw, n, budget).sum() > 0.5


def test_the_report_says_the_bound_and_fails_an_observed_rate_under_the_budget():
    report = RateReport("invariance", n_examples=200, n_failures=8, max_failure_rate=0.05, counterexample=None)
    assert report.failure_rate == 0.04 and not report.passed  # 4% observed, but the bound is 7.1%
    assert report.message == (
        "invariance: FAIL, failed on 8 of 200 examples (4.0%; 95% upper bound 7.1%; allowed below 5.0%)"
    )
    raw = RateReport("invariance", 200, 8, 0.05, None, confidence=None)
    assert raw.passed and raw.message == "invariance: ok, failed on 8 of 200 examples (4.0%; allowed 5.0%)"
    # A zero budget is a count: no failure passes, one fails (no bound can show a rate of 0).
    assert RateReport("p", 50, 0, 0.0, None).passed and not RateReport("p", 50, 1, 0.0, None).passed


def test_too_few_examples_to_ever_pass_is_refused_naming_the_key():
    assert examples_to_pass(0.05, 0.95) == 59 and examples_to_pass(0.0, 0.95) == 1
    assert examples_to_pass(0.05, None) == 1
    with pytest.raises(GateUsageError) as caught:
        parse_table({"properties": [{"kind": "invariance", "n_examples": 58}]})
    assert str(caught.value).startswith("[tool.modelgate].properties[0].n_examples: must be at least 59")
    parse_table({"properties": [{"kind": "invariance", "n_examples": 58, "confidence": "none"}]})
    parse_table({"properties": [{"kind": "invariance", "n_examples": 10, "max_failure_rate": 0.0}]})
    with pytest.raises(ValueError, match="confidence must be in"):
        PropertyCheck("invariance", confidence=0.3)


def test_a_text_property_checks_its_examples_against_the_bound():
    texts = [f"review number {i} is fine" for i in range(300)]
    # A change of case flips the label of the texts that hold a 7 (19% of them).

    def scorer(batch):
        return np.array([0.1 if "7" in t and t != t.lower() else 0.9 for t in batch])

    report = check_invariance_rate(scorer, texts, n_examples=200, max_failure_rate=0.3, kinds=["case"], seed=1)
    assert 0 < report.failure_rate < 0.3
    bound = 1.0 if report.n_failures == report.n_examples else None
    assert report.upper_bound == pytest.approx(
        bound or sps.beta.ppf(0.95, report.n_failures + 1, report.n_examples - report.n_failures)
    )
    assert report.passed == (report.upper_bound < 0.3)


@pytest.mark.parametrize("n", [10, 1_000, 10**7, 10**9])
def test_the_bound_with_no_failure_is_exact_at_every_n(n):
    from scipy import special

    from modelgate.behaviour.reports import failure_upper_bound

    exact = special.betaincinv(1, n, 0.95)
    assert failure_upper_bound(0, n, 0.95) == pytest.approx(exact, rel=1e-13)
