"""The example's quality tests: run them against any NLPFlow-shaped run.

    pytest examples/gate --model-run=NLPFlow/<run id>

Every test here is a quality test: the run is tagged ``deployment_candidate``
only when all of them pass.
"""

import pytest

from gate_config import BASELINE_CHECKS, smoke_cases


@pytest.mark.parametrize("check", BASELINE_CHECKS, ids=str)
def test_beats_majority_baseline(gate, check):
    gate.check(check)


@pytest.mark.parametrize("case", smoke_cases(), ids=lambda case: case.name)
def test_smoke(gate, case):
    gate.smoke(case)
