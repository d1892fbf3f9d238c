"""Hostile review: the ``gate`` fixture given something that is not a check."""

import pytest

from helpers import PASSING, user_tags
from modelgate.names import DEFAULT_TAG


@pytest.mark.parametrize("given", ['"roc_auc"', "MarginCheck", "None"])
def test_gate_check_of_a_non_check_is_a_one_line_error_and_blocks_the_tag(gate_suite, run, given):
    source = (
        PASSING
        + f"""
from modelgate import MarginCheck

def test_not_a_check(gate):
    gate.check({given})
"""
    )
    result = gate_suite.write(source).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    result.stdout.fnmatch_lines([f"modelgate: tag '{DEFAULT_TAG}' not applied to {run}: 1 quality test errored"])
    result.stdout.fnmatch_lines(["*modelgate: gate.check() takes a check (MarginCheck*"])
    assert "AttributeError" not in result.stdout.str()
