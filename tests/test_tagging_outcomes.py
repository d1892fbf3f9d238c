"""The tag outcome matrix (DESIGN section 4), with real runs and real pytest sessions.

Each test runs a gate suite with ``pytester`` against a real TinyFlow run in
this session's temporary Metaflow datastore, then reads the run's tags back
from Metaflow: that is what downstream flows rely on.
"""

import pytest

from modelgate.tagging import DEFAULT_TAG, user_tags

PASSING = """
def test_auc_beats_majority(gate):
    gate.beats("roc_auc", margin=0.1)

def test_accuracy_beats_majority(gate):
    gate.beats("accuracy", margin=0.0)
"""


@pytest.fixture
def run(tiny_run):
    """The shared TinyFlow run with its user tags reset: none at all."""
    from modelgate.runs import get_run

    tags = list(user_tags(tiny_run))
    if tags:
        get_run(tiny_run).remove_tags(tags)
    assert user_tags(tiny_run) == frozenset()
    return tiny_run


@pytest.fixture
def suite(pytester):
    """Write a gate suite (and the ini that names TinyFlow's model artifact)."""
    pytester.makeini("[pytest]\nmodelgate_model_artifact = model\n")

    def write(source: str = PASSING, **files):
        pytester.makepyfile(test_gate=source, **files)
        return pytester

    return write


def gate(pytester, run, *args):
    return pytester.runpytest("--model-run", run, "-p", "no:cacheprovider", *args)


def tag_line(result) -> str:
    lines = [l for l in result.outlines if l.startswith("modelgate: ")]
    assert len(lines) == 1, result.outlines
    return lines[0]


def test_all_pass_tags_the_run(suite, run):
    result = gate(suite(), run)
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG in user_tags(run)
    assert tag_line(result) == f"modelgate: tag '{DEFAULT_TAG}' applied to {run}: all 2 quality tests passed"


def test_one_failure_does_not_tag_and_revokes_an_existing_tag(suite, run):
    from modelgate.tagging import apply_tag

    apply_tag(run)
    result = gate(suite(PASSING + "\ndef test_too_strict(gate):\n    gate.beats('roc_auc', margin=0.99)\n"), run)
    result.assert_outcomes(passed=2, failed=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "revoked from" in tag_line(result)
    assert "1 quality test failed" in tag_line(result)
    # the failure message says what was measured, against what, with which margin
    result.stdout.fnmatch_lines(["*roc_auc: candidate 0.* vs majority 0.5000*lower bound*not above the margin +0.9900*"])


def test_failure_with_keep_on_fail_keeps_an_existing_tag(suite, run):
    from modelgate.tagging import apply_tag

    apply_tag(run)
    result = gate(suite("def test_too_strict(gate):\n    gate.beats('roc_auc', margin=0.99)\n"), run, "--gate-keep-on-fail")
    result.assert_outcomes(failed=1)
    assert DEFAULT_TAG in user_tags(run)
    assert "not applied" in tag_line(result)


def test_fixture_error_does_not_tag_and_keeps_an_existing_tag(suite, run):
    from modelgate.tagging import apply_tag

    apply_tag(run)
    source = PASSING + """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_uses_broken(gate, broken):
    pass
"""
    result = gate(suite(source), run)
    result.assert_outcomes(passed=2, errors=1)
    assert DEFAULT_TAG in user_tags(run)
    assert "1 quality test errored" in tag_line(result)


def test_fixture_error_alone_does_not_tag(suite, run):
    source = PASSING + """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_uses_broken(broken):
    pass
"""
    result = gate(suite(source), run)
    result.assert_outcomes(passed=2, errors=1)
    assert DEFAULT_TAG not in user_tags(run)


@pytest.mark.parametrize(
    "extra, outcome, reason",
    [
        ("import pytest\n@pytest.mark.skip(reason='later')\ndef test_skipped():\n    pass\n", {"skipped": 1}, "1 quality test skipped"),
        ("import pytest\ndef test_skips_itself():\n    pytest.skip('no')\n", {"skipped": 1}, "1 quality test skipped"),
        ("import pytest\n@pytest.mark.xfail\ndef test_xfail():\n    assert False\n", {"xfailed": 1}, "1 quality test xfailed"),
        ("import pytest\n@pytest.mark.xfail\ndef test_xpass():\n    pass\n", {"xpassed": 1}, "1 quality test xpassed"),
    ],
    ids=["skip-marker", "skip-call", "xfail", "xpass"],
)
def test_skip_xfail_and_xpass_do_not_tag(suite, run, extra, outcome, reason):
    result = gate(suite(PASSING + "\n" + extra), run)
    result.assert_outcomes(passed=2, **outcome)
    assert DEFAULT_TAG not in user_tags(run)
    assert reason in tag_line(result)


def test_deselecting_a_quality_test_with_k_does_not_tag(suite, run):
    result = gate(suite(), run, "-k", "auc")
    result.assert_outcomes(passed=1, deselected=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "1 quality test deselected" in tag_line(result)


def test_no_tests_collected_does_not_tag(suite, run):
    result = gate(suite("# no tests here\n"), run)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert DEFAULT_TAG not in user_tags(run)
    assert "no quality test was collected" in tag_line(result)


def test_collection_error_does_not_tag(suite, run):
    result = gate(suite(PASSING, test_broken="import no_such_module_anywhere\n"), run, "--continue-on-collection-errors")
    result.assert_outcomes(passed=2, errors=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "1 collection error" in tag_line(result)


def test_collection_error_that_stops_the_session_does_not_tag(suite, run):
    result = gate(suite(PASSING, test_broken="import no_such_module_anywhere\n"), run)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert DEFAULT_TAG not in user_tags(run)


def test_collect_only_does_not_tag(suite, run):
    result = gate(suite(), run, "--collect-only")
    assert result.ret == 0
    assert DEFAULT_TAG not in user_tags(run)
    assert "--collect-only runs no test" in tag_line(result)


def test_dry_run_does_not_tag_and_says_it_would(suite, run):
    result = gate(suite(), run, "--gate-dry-run")
    result.assert_outcomes(passed=2)
    assert DEFAULT_TAG not in user_tags(run)
    assert tag_line(result) == (
        f"modelgate: dry run: would apply tag '{DEFAULT_TAG}' to {run}: all 2 quality tests passed"
    )


def test_exitfirst_leaves_tests_unrun_and_does_not_tag(suite, run):
    source = "def test_fails(gate):\n    gate.beats('roc_auc', margin=0.99)\n" + PASSING
    result = gate(suite(source), run, "-x")
    result.assert_outcomes(failed=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "2 quality tests did not run" in tag_line(result)


def test_other_user_tags_survive_tagging_and_revoking(suite, run):
    from modelgate.runs import get_run

    get_run(run).add_tags(["team:nlp", "reviewed"])
    system_before = get_run(run).system_tags
    gate(suite(), run).assert_outcomes(passed=2)
    assert user_tags(run) == {"team:nlp", "reviewed", DEFAULT_TAG}
    gate(suite("def test_too_strict(gate):\n    gate.beats('roc_auc', margin=0.99)\n"), run)
    assert user_tags(run) == {"team:nlp", "reviewed"}
    assert get_run(run).system_tags == system_before


def test_custom_tag_is_the_only_tag_managed(suite, run):
    result = gate(suite(), run, "--gate-tag", "nlp_ready")
    result.assert_outcomes(passed=2)
    assert user_tags(run) == {"nlp_ready"}


def test_xdist_all_pass_tags_exactly_once(suite, run):
    result = gate(suite(PASSING + "\ndef test_third(evaluation):\n    assert evaluation.n == 200\n"), run, "-n", "2")
    result.assert_outcomes(passed=3)
    assert DEFAULT_TAG in user_tags(run)
    # one decision, on the controller: one tag line, and it counts all three tests
    assert tag_line(result) == f"modelgate: tag '{DEFAULT_TAG}' applied to {run}: all 3 quality tests passed"


def test_xdist_deselection_on_workers_blocks_the_tag(suite, run):
    result = gate(suite(), run, "-n", "2", "-k", "auc")
    result.assert_outcomes(passed=1)
    assert DEFAULT_TAG not in user_tags(run)
    assert "deselected" in tag_line(result)


def test_without_model_run_the_plugin_stays_out_of_the_way(suite, run):
    pytester = suite("def test_plain():\n    assert 1 + 1 == 2\n\ndef test_needs_gate(gate):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    assert not [l for l in result.outlines if l.startswith("modelgate:")]
    assert user_tags(run) == frozenset()
