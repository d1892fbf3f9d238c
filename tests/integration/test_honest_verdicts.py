"""No tag by accident, an exit code that carries the verdict, a tag line that tells the truth.

Real pytest sessions (pytester) against a real TinyFlow run; the tags are read
back from Metaflow after each session.
"""

import json

import pytest

from helpers import PASSING, usage_error, user_tags
from modelgate.metaflow_io.tagging import apply_tag
from modelgate.names import DEFAULT_TAG

FAILING = "\ndef test_too_strict(gate):\n    gate.beats('roc_auc', margin=0.99)\n"
CONFIG = """
[tool.modelgate]
model_artifact = "model"

[[tool.modelgate.checks]]
metric = "roc_auc"
margin = 0.99
"""


# -- 1. every phase of every test must pass ----------------------------------------
@pytest.mark.parametrize("scope", ["function", "session"])
def test_pytest_exit_0_in_a_fixture_teardown_does_not_tag(gate_suite, run, scope):
    source = (
        PASSING
        + f"""
import pytest

@pytest.fixture(scope="{scope}")
def leaves_early():
    yield
    pytest.exit("bye", returncode=0)

def test_uses_it(leaves_early):
    pass
"""
    )
    result = gate_suite.write(source).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert "not applied" in gate_suite.tag_line(result)
    assert "interrupted" in gate_suite.tag_line(result)
    assert result.ret == pytest.ExitCode.INTERRUPTED  # whatever return code pytest.exit was given


# -- 2. whatever removes a collected quality test blocks the tag ------------------------
def test_a_conftest_that_filters_items_itself_does_not_tag(gate_suite, run):
    gate_suite.write(PASSING + FAILING)
    gate_suite.file("pyproject.toml", CONFIG)
    gate_suite.conftest(
        """
        def pytest_collection_modifyitems(items):
            items[:] = [i for i in items if "strict" not in i.nodeid and not i.nodeid.startswith("modelgate::")]
        """
    )
    result = gate_suite.run(run)
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG not in user_tags(run)
    assert "2 quality tests removed from the session by a plugin or conftest" in gate_suite.tag_line(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


# -- 6. a report that cannot be written: exit 4 and no tag -------------------------------
@pytest.mark.parametrize(
    "args, env",
    [
        (["--gate-report", "/proc/self/verdict.json"], {}),
        (["--gate-markdown", "/proc/x.md"], {}),
        ([], {"GITHUB_STEP_SUMMARY": "/proc/self/summary.md"}),
    ],
    ids=["json", "markdown", "step-summary"],
)
def test_an_unwritable_report_is_exit_4_and_no_tag(gate_suite, run, monkeypatch, args, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = gate_suite.write().run(run, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [l for l in result.errlines if l.startswith("ERROR: modelgate: ")]
    assert len(errors) == 1 and "cannot be written" in errors[0], result.errlines
    assert DEFAULT_TAG not in user_tags(run)


def test_reports_are_written_with_the_tag_action(gate_suite, run, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = gate_suite.write().run(run, "--gate-report", str(tmp_path / "v.json"))
    assert result.ret == 0
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["passed"] is True and verdict["tag"]["action"] == "apply"
    assert verdict["tag"]["line"] == f"tag '{DEFAULT_TAG}' applied to {run}: all 2 quality tests passed"
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "applied to" in text  # appended, not replaced


def test_the_step_summary_keeps_what_quality_tests_appended(gate_suite, run, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    source = (
        PASSING
        + """
import os

def test_writes_to_the_summary():
    with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as f:
        f.write("quality test's own table\\n")
"""
    )
    result = gate_suite.write(source).run(run)
    assert result.ret == 0 and DEFAULT_TAG in user_tags(run)
    text = summary.read_text()
    assert text.startswith("earlier step\nquality test's own table\n"), text
    assert "applied to" in text  # the gate's Markdown follows what the session wrote


# -- 8. the exit code carries the verdict --------------------------------------------
@pytest.mark.parametrize(
    "source, args, code",
    [
        (PASSING, [], 0),
        (PASSING, ["--gate-dry-run"], 0),
        (PASSING + FAILING, [], 1),
        (PASSING + FAILING, ["--gate-dry-run"], 1),
        (PASSING, ["-k", "auc"], 1),  # narrowed: every selected test passed, still no pass
        (PASSING + "\nimport pytest\n@pytest.mark.skip\ndef test_later():\n    pass\n", [], 1),
    ],
    ids=["pass", "dry-pass", "fail", "dry-fail", "narrowed", "skipped"],
)
def test_exit_code_is_0_only_when_the_tag_is_applied(gate_suite, run, source, args, code):
    result = gate_suite.write(source).run(run, *args)
    assert result.ret == code, result.outlines
    applied = DEFAULT_TAG in user_tags(run)
    assert applied == (code == 0 and "--gate-dry-run" not in args)


# -- 9. the tag line tells the truth about the run -------------------------------------
def test_an_errored_session_says_the_run_still_carries_the_earlier_tag(gate_suite, run):
    apply_tag(run)
    source = PASSING + "\ndef test_outage(evaluation):\n    raise ConnectionError('metadata service unreachable')\n"
    result = gate_suite.write(source).run(run)
    assert DEFAULT_TAG in user_tags(run)
    assert gate_suite.tag_line(result) == (
        f"modelgate: tag '{DEFAULT_TAG}' not applied by this session; {run} still carries it "
        "from an earlier gate: 1 quality test errored"
    )


@pytest.mark.parametrize("carried", [True, False])
def test_a_dry_run_says_whether_the_tag_is_there(gate_suite, run, carried):
    if carried:
        apply_tag(run)
    result = gate_suite.write(PASSING + FAILING).run(run, "--gate-dry-run")
    assert (DEFAULT_TAG in user_tags(run)) == carried  # a dry run changes nothing
    expected = (
        f"would revoke tag '{DEFAULT_TAG}' from {run} (it carries it now)"
        if carried
        else f"would not change tag '{DEFAULT_TAG}': {run} does not carry it"
    )
    assert gate_suite.tag_line(result) == f"modelgate: dry run: {expected}: 1 quality test failed"


# -- 10. another writer changes the tag before the session ends ----------------------------
def test_a_tag_changed_by_another_writer_is_reported(gate_suite, run):
    gate_suite.write()
    # Another process revokes the tag right after this session wrote it.
    gate_suite.conftest(
        f"""
        import subprocess, sys
        import pytest

        @pytest.hookimpl(tryfirst=True)  # after the gate's sessionfinish, before its summary
        def pytest_terminal_summary():
            code = "from modelgate.metaflow_io.runs import get_run; get_run({run!r}).remove_tag({DEFAULT_TAG!r})"
            subprocess.run([sys.executable, "-c", code], check=True)
        """
    )
    result = gate_suite.run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    warning = [l for l in result.outlines if l.startswith("modelgate: WARNING: ")]
    assert warning and f"{run} now no longer carries '{DEFAULT_TAG}'" in warning[0]


# -- 12. one rule for errors, in tests and subtests -----------------------------------
@pytest.mark.parametrize(
    "raise_, tag_kept, words",
    [
        ("raise RuntimeError('bug')", True, "1 quality test errored"),
        ("assert False, 'too weak'", False, "1 quality test failed"),
    ],
    ids=["error", "failure"],
)
def test_a_subtest_follows_the_same_rule_as_a_test(gate_suite, run, raise_, tag_kept, words):
    apply_tag(run)
    source = (
        PASSING
        + f"""
def test_with_subtests(subtests, evaluation):
    with subtests.test("fine"):
        assert evaluation.n > 0
    with subtests.test("broken"):
        {raise_}
"""
    )
    result = gate_suite.write(source).run(run)
    assert (DEFAULT_TAG in user_tags(run)) == tag_kept
    assert words in gate_suite.tag_line(result)


# -- 13. a quality test that returns instead of asserting ----------------------------------
def test_a_test_that_returns_a_value_is_an_error_not_a_pass(gate_suite, run):
    source = PASSING + "\ndef test_returns(evaluation):\n    return evaluation.n > 10\n"
    result = gate_suite.write(source).run(run)
    assert DEFAULT_TAG not in user_tags(run)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "1 quality test errored" in gate_suite.tag_line(result)
    result.stdout.fnmatch_lines(["*test_returns returned True instead of asserting*"])


# -- 15. an interrupt during the tag write -------------------------------------------------
@pytest.mark.slow  # a pytest subprocess
def test_sigint_during_the_tag_write_is_one_line_and_exit_2(gate_suite, run):
    gate_suite.write()
    gate_suite.conftest(
        """
        import os, signal
        from metaflow.client.core import Run

        def interrupted_add_tag(self, tag):
            os.kill(os.getpid(), signal.SIGINT)

        Run.add_tag = interrupted_add_tag
        """
    )
    result = gate_suite.run_subprocess(run)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    output = "\n".join(result.outlines + result.errlines)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    line = gate_suite.tag_line(result)
    assert line.startswith(f"modelgate: FAILED: interrupted while writing tag '{DEFAULT_TAG}' on {run}")
    assert line.endswith(f"{run} does not carry it now")
    assert DEFAULT_TAG not in user_tags(run)


# -- 18. every test that decides the tag is in the report -------------------------------
def test_plain_tests_are_in_the_report_with_their_outcome(gate_suite, run, tmp_path):
    source = (
        PASSING
        + "\ndef test_plain(evaluation):\n    assert evaluation.n == 200\n"
        + FAILING.replace("gate.beats('roc_auc', margin=0.99)", "assert evaluation.n > 10_000, 'too few rows'").replace(
            "(gate)", "(evaluation)"
        )
    )
    gate_suite.write(source)
    gate_suite.file("pyproject.toml", CONFIG)
    result = gate_suite.run(run, "--gate-report", str(tmp_path / "v.json"))
    rows = {r["name"]: r for r in json.loads((tmp_path / "v.json").read_text())["results"]}
    assert rows["test_gate.py::test_plain"]["passed"] is True
    assert rows["test_gate.py::test_plain"]["group"] == "test"
    assert rows["test_gate.py::test_too_strict"]["passed"] is False
    assert "too few rows" in rows["test_gate.py::test_too_strict"]["message"]
    assert len(rows) == 5  # 2 checks, the configured check, and the 2 plain tests
    result.stdout.fnmatch_lines(["*test: test_gate.py::test_plain*"])
    # a configured item's failure is headed by its own name, not "test session"
    result.stdout.fnmatch_lines(["*_ modelgate check roc_auc-vs-majority-margin+0.99 _*"])
    assert not [l for l in result.outlines if "_ test session _" in l]


# -- found in review: more ways to a wrong tag or a wrong exit code ---------------------
def test_a_test_that_catches_a_failed_check_is_still_a_failure(gate_suite, run):
    apply_tag(run)
    source = (
        PASSING
        + """
def test_swallows_the_failure(gate):
    try:
        gate.beats("roc_auc", margin=0.99)
    except AssertionError:
        pass
"""
    )
    result = gate_suite.write(source).run(run)
    assert DEFAULT_TAG not in user_tags(run)  # revoked: the check failed
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "1 quality test failed" in gate_suite.tag_line(result)


def test_a_report_that_fails_at_the_end_is_exit_4_and_no_report_claims_the_tag(gate_suite, run, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    # /dev/full opens, and every write to it fails (ENOSPC): a disk that fills up mid-session.
    result = gate_suite.write().run(run, "--gate-report=/dev/full")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert DEFAULT_TAG not in user_tags(run)
    line = gate_suite.tag_line(result)  # and no "tags changed" warning beside it
    assert line.startswith("modelgate: FAILED: could not write the report /dev/full") and "no tag was changed" in line
    text = summary.read_text()
    assert "FAILED: could not write the report /dev/full" in text and "applied to" not in text
    assert text.splitlines()[0].startswith("## modelgate: ⚠️ ERROR, no verdict (could not write the report /dev/full")


def test_a_gate_config_without_the_table_is_a_usage_error(gate_suite, run):
    gate_suite.write()
    gate_suite.file("gate.toml", "[tool.black]\nline-length = 100\n")  # ([tool.modelgates]: a typo, another error)
    usage_error(gate_suite.run(run, "--gate-config", "gate.toml"), "has no [tool.modelgate] table")
    assert DEFAULT_TAG not in user_tags(run)


def test_deselecting_everything_is_not_a_pass_and_exits_1(gate_suite, run):
    result = gate_suite.write().run(run, "-k", "no_such_test")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "2 quality tests deselected" in gate_suite.tag_line(result)


OUTAGE_IN_A_TEST = """
def test_auc(gate):
    gate.beats("roc_auc", margin=0.1)

def test_needs_the_datastore(gate):
    from modelgate.errors import MetaflowUnavailable
    raise MetaflowUnavailable("cannot load artifact 'model' of candidate run X: the S3 datastore at http://s3 cannot be reached (could not connect)")
"""


def test_an_outage_met_by_a_test_claims_no_verdict_and_keeps_the_tag(gate_suite, run, tmp_path):
    """A quality test that meets a Metaflow outage (what runs.py raises when S3 or the service is down,
    tests/deployments/test_deployments.py meets it for real) is not a failure of the model: no revoke, no verdict."""
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(run, DEFAULT_TAG)  # an earlier gate's tag: an outage must not revoke it
    report = tmp_path / "verdict.json"
    result = gate_suite.write(OUTAGE_IN_A_TEST).run(run, f"--gate-report={report}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert gate_suite.tag_line(result) == (
        "modelgate: FAILED: cannot load artifact 'model' of candidate run X: the S3 datastore at http://s3 "
        "cannot be reached (could not connect); no tag was changed"
    )
    assert DEFAULT_TAG in user_tags(run)
    verdict = json.loads(report.read_text())
    assert verdict["status"] == "error" and verdict["passed"] is None and verdict["tag"]["action"] == "none"
    assert "Traceback" not in result.stdout.str()
