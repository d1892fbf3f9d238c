"""Review of the test suite's xdist scheduler (tests/xdist_units.py): a crashed
worker must cost one failed test, as with xdist's own `load`: the crashed test is
reported once and not run again, and every other test still runs."""

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

CONFTEST = """
import pytest
from xdist_units import make_scheduler


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    return make_scheduler(config, log)
"""
CRASHING = """
import os
from pathlib import Path


def test_before():
    pass


def test_crash():
    flag = Path(os.environ["CRASH_FLAG"])
    if os.environ["CRASH"] == "always" or not flag.exists():
        flag.touch()
        os._exit(1)


def test_after():
    pass
"""
OTHER = "def test_{0}_1():\n    pass\n\n\ndef test_{0}_2():\n    pass\n"


@pytest.mark.slow  # pytest with xdist workers, in a subprocess
@pytest.mark.parametrize("crash", ["once", "always"])
def test_a_crashed_worker_costs_one_failed_test_and_every_other_test_runs(pytester, monkeypatch, crash):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("CRASH", crash)
    monkeypatch.setenv("CRASH_FLAG", str(pytester.path / "crashed"))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        **{
            "tests/examples/test_crashing.py": CRASHING,  # the "example-runs" group: one unit
            "tests/examples/test_more_examples.py": OTHER.format("example"),
            "tests/unit/test_a.py": OTHER.format("a"),
            "tests/unit/test_b.py": OTHER.format("b"),
        }
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "-rA")
    assert result.ret == 1, result.outlines
    result.assert_outcomes(passed=8, failed=1)
    crash_lines = [line for line in result.outlines if line.startswith(("PASSED", "FAILED")) and "::test_crash" in line]
    assert len(crash_lines) == 1 and crash_lines[0].startswith("FAILED"), result.outlines
