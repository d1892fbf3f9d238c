"""The tag outcome matrix, with real runs and real pytest sessions.

Each test runs a gate suite with ``pytester`` against a real TinyFlow run in
this session's temporary Metaflow datastore, then reads the run's tags back
from Metaflow: that is what downstream flows rely on.
"""

import pytest

from helpers import MODEL_INI, PASSING, user_tags
from modelgate.names import DEFAULT_TAG

FAILING = "\ndef test_too_strict(gate):\n    gate.beats('roc_auc', margin=0.99)\n"


def test_all_pass_tags_the_run(gate_suite, run):
    result = gate_suite.write().run(run)
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG in user_tags(run)
    assert gate_suite.tag_line(result) == f"modelgate: tag '{DEFAULT_TAG}' applied to {run}: all 2 quality tests passed"


def test_one_failure_does_not_tag_and_revokes_an_existing_tag(gate_suite, run):
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(run)
    result = gate_suite.write(PASSING + FAILING).run(run)
    result.assert_outcomes(passed=2, failed=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "revoked from" in gate_suite.tag_line(result)
    assert "1 quality test failed" in gate_suite.tag_line(result)
    # the failure message says what was measured, against what, with which margin
    result.stdout.fnmatch_lines(
        ["*roc_auc: candidate 0.* vs majority 0.5000*lower bound*not above the margin +0.9900*"]
    )


def test_failure_with_keep_on_fail_keeps_an_existing_tag(gate_suite, run):
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(run)
    result = gate_suite.write(FAILING).run(run, "--gate-keep-on-fail")
    result.assert_outcomes(failed=1)
    assert DEFAULT_TAG in user_tags(run)
    # the line says what the run carries now, and why
    assert gate_suite.tag_line(result) == (
        f"modelgate: tag '{DEFAULT_TAG}' kept on {run} (--gate-keep-on-fail): 1 quality test failed"
    )


def test_fixture_error_does_not_tag_and_keeps_an_existing_tag(gate_suite, run):
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(run)
    source = (
        PASSING
        + """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_uses_broken(gate, broken):
    pass
"""
    )
    result = gate_suite.write(source).run(run)
    result.assert_outcomes(passed=2, errors=1)
    assert DEFAULT_TAG in user_tags(run)
    assert "1 quality test errored" in gate_suite.tag_line(result)


def test_fixture_error_alone_does_not_tag(gate_suite, run):
    source = (
        PASSING
        + """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_uses_broken(broken):
    pass
"""
    )
    result = gate_suite.write(source).run(run)
    result.assert_outcomes(passed=2, errors=1)
    assert DEFAULT_TAG not in user_tags(run)


@pytest.mark.parametrize(
    "extra, outcome, reason",
    [
        (
            "import pytest\n@pytest.mark.skip(reason='later')\ndef test_skipped():\n    pass\n",
            {"skipped": 1},
            "1 quality test skipped",
        ),
        ("import pytest\ndef test_skips_itself():\n    pytest.skip('no')\n", {"skipped": 1}, "1 quality test skipped"),
        (
            "import pytest\n@pytest.mark.xfail\ndef test_xfail():\n    assert False\n",
            {"xfailed": 1},
            "1 quality test xfailed",
        ),
        ("import pytest\n@pytest.mark.xfail\ndef test_xpass():\n    pass\n", {"xpassed": 1}, "1 quality test xpassed"),
    ],
    ids=["skip-marker", "skip-call", "xfail", "xpass"],
)
def test_skip_xfail_and_xpass_do_not_tag(gate_suite, run, extra, outcome, reason):
    result = gate_suite.write(PASSING + "\n" + extra).run(run)
    result.assert_outcomes(passed=2, **outcome)
    assert DEFAULT_TAG not in user_tags(run)
    assert reason in gate_suite.tag_line(result)


def test_deselecting_a_quality_test_with_k_does_not_tag(gate_suite, run):
    result = gate_suite.write().run(run, "-k", "auc")
    result.assert_outcomes(passed=1, deselected=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "1 quality test deselected" in gate_suite.tag_line(result)


def test_no_tests_collected_does_not_tag(gate_suite, run):
    result = gate_suite.write("# no tests here\n").run(run)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert DEFAULT_TAG not in user_tags(run)
    assert "no quality test was collected" in gate_suite.tag_line(result)


def test_collection_error_does_not_tag(gate_suite, run):
    result = gate_suite.write(PASSING, test_broken="import no_such_module_anywhere\n").run(
        run, "--continue-on-collection-errors"
    )
    result.assert_outcomes(passed=2, errors=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "1 collection error" in gate_suite.tag_line(result)


def test_collection_error_that_stops_the_session_does_not_tag(gate_suite, run):
    result = gate_suite.write(PASSING, test_broken="import no_such_module_anywhere\n").run(run)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert DEFAULT_TAG not in user_tags(run)


def test_collect_only_does_not_tag(gate_suite, run):
    result = gate_suite.write().run(run, "--collect-only")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # no verdict is not a pass
    assert DEFAULT_TAG not in user_tags(run)
    assert "--collect-only runs no test" in gate_suite.tag_line(result)


def test_dry_run_does_not_tag_and_says_it_would(gate_suite, run):
    result = gate_suite.write().run(run, "--gate-dry-run")
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG not in user_tags(run)
    assert gate_suite.tag_line(result) == (
        f"modelgate: dry run: would apply tag '{DEFAULT_TAG}' to {run}: all 2 quality tests passed"
    )


def test_exitfirst_leaves_tests_unrun_and_does_not_tag(gate_suite, run):
    source = "def test_fails(gate):\n    gate.beats('roc_auc', margin=0.99)\n" + PASSING
    result = gate_suite.write(source).run(run, "-x")
    result.assert_outcomes(failed=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "2 quality tests did not run" in gate_suite.tag_line(result)


def test_other_user_tags_survive_tagging_and_revoking(gate_suite, run):
    from modelgate.metaflow_io.runs import get_run

    get_run(run).add_tags(["team:nlp", "reviewed"])
    system_before = get_run(run).system_tags
    gate_suite.write().run(run).assert_outcomes(passed=2)
    assert user_tags(run) == {"team:nlp", "reviewed", DEFAULT_TAG}
    gate_suite.write(FAILING).run(run)
    assert user_tags(run) == {"team:nlp", "reviewed"}
    assert get_run(run).system_tags == system_before


def test_custom_tag_is_the_only_tag_managed(gate_suite, run):
    result = gate_suite.write().run(run, "--gate-tag", "nlp_ready")
    result.assert_outcomes(passed=2)
    assert user_tags(run) == {"nlp_ready"}


@pytest.mark.slow  # xdist workers
def test_xdist_all_pass_tags_exactly_once(gate_suite, run):
    result = gate_suite.write(PASSING + "\ndef test_third(evaluation):\n    assert evaluation.n == 200\n").run(
        run, "-n", "2"
    )
    result.assert_outcomes(passed=3)
    assert DEFAULT_TAG in user_tags(run)
    # one decision, on the controller: one tag line, and it counts all three tests
    assert gate_suite.tag_line(result) == f"modelgate: tag '{DEFAULT_TAG}' applied to {run}: all 3 quality tests passed"


@pytest.mark.slow  # xdist workers
def test_xdist_deselection_on_workers_blocks_the_tag(gate_suite, run):
    result = gate_suite.write().run(run, "-n", "2", "-k", "auc")
    result.assert_outcomes(passed=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "deselected" in gate_suite.tag_line(result)


def test_a_tag_write_that_does_not_stick_fails_the_session(gate_suite, run):
    # A lost write (an unlocked local metadata store, a proxy that drops the
    # request): Metaflow returns, but the tag is not there on re-reading.
    gate_suite.write()
    gate_suite.conftest(
        """
        from metaflow.client.core import Run

        def pytest_configure():
            Run._gate_add_tag = Run.add_tag
            Run.add_tag = lambda self, tag: None

        def pytest_unconfigure():
            Run.add_tag = Run._gate_add_tag
        """
    )
    result = gate_suite.run(run)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # although every quality test passed
    result.assert_outcomes(passed=2)
    line = gate_suite.tag_line(result)
    assert line.startswith(f"modelgate: FAILED: could not apply tag '{DEFAULT_TAG}' on {run}")
    assert "not there on re-reading" in line and line.endswith(f"{run} does not carry it now)")
    assert DEFAULT_TAG not in user_tags(run)


def test_a_module_skipped_at_collection_does_not_tag(gate_suite, run):
    result = gate_suite.write(
        PASSING, test_optional="import pytest\npytest.importorskip('no_such_module_anywhere')\n"
    ).run(run)
    result.assert_outcomes(passed=2, skipped=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "1 test module skipped" in gate_suite.tag_line(result)


def test_a_skip_inside_a_fixture_does_not_tag(gate_suite, run):
    source = (
        PASSING
        + """
import pytest

@pytest.fixture
def not_today():
    pytest.skip("no GPU")

def test_needs_it(not_today):
    pass
"""
    )
    result = gate_suite.write(source).run(run)
    result.assert_outcomes(passed=2, skipped=1)
    assert DEFAULT_TAG not in user_tags(run)


@pytest.mark.parametrize(
    "args, reason",
    [
        (["-m", "not slow"], "1 quality test deselected"),
        (["--deselect", "test_gate.py::test_accuracy_beats_majority"], "1 quality test deselected"),
        (["test_gate.py::test_auc_beats_majority"], "selecting tests by node id"),
    ],
    ids=["marker", "deselect", "node-id"],
)
def test_narrowing_the_suite_does_not_tag(gate_suite, run, args, reason):
    source = "import pytest\n" + PASSING.replace("def test_accuracy", "@pytest.mark.slow\ndef test_accuracy")
    result = gate_suite.write(source, ini=MODEL_INI + "markers = slow\n").run(run, *args)
    result.assert_outcomes(passed=1, deselected=1) if "deselect" in reason else result.assert_outcomes(passed=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert reason in gate_suite.tag_line(result)


def test_last_failed_does_not_tag(gate_suite, run):
    result = gate_suite.write().run(run, "--lf", cache=True)
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG not in user_tags(run)
    assert "--lf may leave quality tests out" in gate_suite.tag_line(result)


def test_an_error_inside_a_test_is_not_a_verdict_and_keeps_the_tag(gate_suite, run):
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(run)
    source = PASSING + "\ndef test_outage(evaluation):\n    raise ConnectionError('metadata service unreachable')\n"
    result = gate_suite.write(source).run(run)
    result.assert_outcomes(passed=2, failed=1)  # pytest says failed; the gate says error
    assert DEFAULT_TAG in user_tags(run)
    assert "1 quality test errored" in gate_suite.tag_line(result)


def test_a_failing_plain_assert_is_a_verdict_and_revokes(gate_suite, run):
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(run)
    source = PASSING + "\ndef test_enough_rows(evaluation):\n    assert evaluation.n > 10_000\n"
    result = gate_suite.write(source).run(run)
    result.assert_outcomes(passed=2, failed=1)
    assert DEFAULT_TAG not in user_tags(run)


@pytest.mark.slow  # xdist workers
def test_only_the_controller_writes_the_tag_under_xdist(gate_suite, run, tmp_path):
    """A spy on modelgate's own apply_tag logs which process wrote the tag."""
    log = tmp_path / "writes.log"
    gate_suite.write(PASSING + "\ndef test_third(evaluation):\n    assert evaluation.n == 200\n")
    gate_suite.conftest(
        f"""
        from modelgate.metaflow_io import tagging
        from modelgate.names import DEFAULT_TAG

        _apply = tagging.apply_tag
        # This process's role, from its config: not from the environment, which names
        # the outer worker when the project's own suite runs under xdist.
        _role = []

        def spy(pathspec, tag=DEFAULT_TAG):
            with open({str(log)!r}, "a") as f:
                f.write(_role[-1] + "\\n")
            return _apply(pathspec, tag)

        def pytest_configure(config):
            worker = getattr(config, "workerinput", None)
            _role.append(worker["workerid"] if worker else "controller")
            tagging.apply_tag = spy

        def pytest_unconfigure(config):  # this process may run other sessions
            tagging.apply_tag = _apply
        """
    )
    result = gate_suite.run(run, "-n", "2")
    result.assert_outcomes(passed=3)
    assert log.read_text().splitlines() == ["controller"]
    assert DEFAULT_TAG in user_tags(run)


@pytest.mark.slow  # xdist workers
def test_a_crashed_worker_changes_no_tag(gate_suite, run):
    from modelgate.metaflow_io.tagging import apply_tag

    apply_tag(run)
    source = PASSING + "\ndef test_crash(evaluation):\n    import os\n    os._exit(3)\n"
    result = gate_suite.write(source).run(run, "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert DEFAULT_TAG in user_tags(run)
    assert "not applied" in gate_suite.tag_line(result) and "errored" in gate_suite.tag_line(result)


def test_empty_model_run_is_a_usage_error(gate_suite, run):
    result = gate_suite.write().run("")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--model-run is empty" in result.stderr.str()


def test_report_path_that_is_a_folder_is_a_usage_error_before_any_tag(gate_suite, run, tmp_path):
    result = gate_suite.write().run(run, f"--gate-report={tmp_path}")  # "=": not taken for a test path
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--gate-report" in result.stderr.str() and "cannot be written" in result.stderr.str()
    assert DEFAULT_TAG not in user_tags(run)


# -- no evidence, no tag: a passing session must have looked at the model ----------------
PLAIN = "def test_plain():\n    assert 1 + 1 == 2\n"
LOOKS = "\ndef test_enough_rows(evaluation):\n    assert evaluation.n > 0\n"
NOTHING_GATED = (
    "no quality test looked at the model (no configured check, and no test used the evaluation, "
    "model_scorer or gate fixtures): nothing was gated"
)


@pytest.mark.parametrize("xdist", [[], pytest.param(["-n", "2"], marks=pytest.mark.slow)], ids=["local", "xdist"])
def test_a_suite_that_never_looked_at_the_model_does_not_tag(gate_suite, run, xdist):
    import json

    report = gate_suite.path / "verdict.json"
    source = PLAIN + "\ndef test_more_plain():\n    assert 'a' < 'b'\n"
    result = gate_suite.write(source).run(run, f"--gate-report={report}", *xdist)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert DEFAULT_TAG not in user_tags(run)
    assert gate_suite.tag_line(result) == f"modelgate: tag '{DEFAULT_TAG}' not applied to {run}: {NOTHING_GATED}"
    verdict = json.loads(report.read_text())
    assert (
        verdict["passed"] is False and verdict["tag"]["action"] == "none" and verdict["tag"]["reason"] == NOTHING_GATED
    )


@pytest.mark.parametrize("xdist", [[], pytest.param(["-n", "2"], marks=pytest.mark.slow)], ids=["local", "xdist"])
def test_one_test_on_the_evaluation_is_enough_to_tag(gate_suite, run, xdist):
    result = gate_suite.write(PLAIN + LOOKS).run(run, *xdist)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    assert DEFAULT_TAG in user_tags(run)
    assert gate_suite.tag_line(result) == f"modelgate: tag '{DEFAULT_TAG}' applied to {run}: all 2 quality tests passed"


def test_a_fixture_of_the_suites_own_that_uses_the_evidence_counts(gate_suite, run):
    source = (
        PLAIN
        + """
import pytest

@pytest.fixture
def auc(model_scorer, evaluation):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(evaluation.labels, evaluation.candidate)

def test_auc(auc):
    assert auc > 0.6
"""
    )
    result = gate_suite.write(source).run(run)
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG in user_tags(run)


def test_a_configured_check_alone_looks_at_the_model(gate_suite, run):
    gate_suite.write(PLAIN)
    gate_suite.file(
        "pyproject.toml",
        '[tool.modelgate]\nmodel_artifact = "model"\n\n[[tool.modelgate.checks]]\nmetric = "roc_auc"\nmargin = 0.1\n',
    )
    result = gate_suite.run(run)
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG in user_tags(run)


@pytest.mark.parametrize(
    "args, reason",
    [(["-k", "plain"], "1 quality test deselected"), (["--collect-only"], "--collect-only runs no test")],
    ids=["k-drops-it", "collect-only"],
)
def test_no_evidence_composes_with_narrowing_and_collect_only(gate_suite, run, args, reason):
    """-k leaves only the plain test: both reasons; --collect-only collects the test on the
    evaluation but runs nothing: no tag either way."""
    result = gate_suite.write(PLAIN + LOOKS).run(run, *args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert DEFAULT_TAG not in user_tags(run)
    line = gate_suite.tag_line(result)
    assert reason in line
    assert (NOTHING_GATED in line) == ("-k" in args)


# -- a gate suite without --model-run is not a silent pass ---------------------------------
GATE_TESTS = """
def test_plain():
    assert 1 + 1 == 2

def test_checks(gate):
    gate.beats("roc_auc", margin=0.1)

def test_rows(evaluation):
    assert evaluation.n > 0

def test_scores(model_scorer):
    assert model_scorer(["great"])[0] > 0.5
"""


@pytest.mark.parametrize("xdist", [[], pytest.param(["-n", "2"], marks=pytest.mark.slow)], ids=["local", "xdist"])
def test_a_gate_suite_without_model_run_says_nothing_was_gated_and_exits_4(gate_suite, xdist):
    result = gate_suite.write(GATE_TESTS).run(None, *xdist)
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert gate_suite.tag_line(result) == "modelgate: nothing was gated: 3 quality tests need --model-run=Flow/run_id"


def test_a_gate_suite_without_model_run_keeps_the_code_of_a_failure(gate_suite):
    result = gate_suite.write(GATE_TESTS + "\ndef test_broken():\n    assert False\n").run(None)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert gate_suite.tag_line(result) == "modelgate: nothing was gated: 3 quality tests need --model-run=Flow/run_id"


def test_without_model_run_a_suite_that_never_uses_the_gate_is_untouched(gate_suite):
    source = (
        PLAIN
        + """
import pytest

@pytest.fixture
def evaluation():  # the suite's own fixture of that name, not the gate's
    return 3

def test_own_fixture(evaluation):
    assert evaluation == 3

@pytest.mark.skip(reason="later")
def test_skipped():
    pass
"""
    )
    result = gate_suite.write(source).run(None)
    result.assert_outcomes(passed=2, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    assert not [l for l in result.outlines if l.startswith("modelgate")]
