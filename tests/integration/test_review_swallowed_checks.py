"""Hostile review: a failed check whose GateCheckFailed (an AssertionError) is caught
must still block the tag, wherever it was caught (the test, a fixture's setup or teardown),
also under xdist."""

import pytest

from helpers import PASSING, user_tags
from modelgate.metaflow_io.tagging import apply_tag
from modelgate.names import DEFAULT_TAG

SWALLOWED_IN_TEARDOWN = (
    PASSING
    + """
import pytest

@pytest.fixture
def checked_after(gate):
    yield
    try:
        gate.beats("roc_auc", margin=0.99)  # fails; the fixture hides it
    except AssertionError:
        pass

def test_uses_it(checked_after):
    pass
"""
)

SWALLOWED_IN_CALL = (
    PASSING
    + """
def test_swallows(gate):
    try:
        gate.beats("roc_auc", margin=0.99)
    except AssertionError:
        pass
"""
)


def test_a_check_failed_and_caught_in_a_fixture_teardown_blocks_and_revokes_the_tag(gate_suite, run):
    apply_tag(run)
    result = gate_suite.write(SWALLOWED_IN_TEARDOWN).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    line = gate_suite.tag_line(result)
    assert "revoked from" in line and "1 quality test failed" in line, line
    # the failed result is in the verdict table
    result.stdout.fnmatch_lines(["FAIL*roc_auc vs majority*+0.9900*", "verdict: FAIL*"])


def test_a_check_failed_and_caught_in_the_test_blocks_the_tag(gate_suite, run):
    result = gate_suite.write(SWALLOWED_IN_CALL).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    assert "1 quality test failed" in gate_suite.tag_line(result)


@pytest.mark.slow  # xdist workers
@pytest.mark.parametrize("source", [SWALLOWED_IN_CALL, SWALLOWED_IN_TEARDOWN], ids=["call", "teardown"])
def test_a_caught_failed_check_blocks_the_tag_under_xdist(gate_suite, run, source):
    result = gate_suite.write(source).run(run, "-n", "2")
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == 1
    assert "1 quality test failed" in gate_suite.tag_line(result)
