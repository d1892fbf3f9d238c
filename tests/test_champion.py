"""Champion vs challenger with real runs: which run is the champion, and what happens.

Each test manages its own tag (``--gate-tag``), so the runs it tags are the
only candidates for its champion, whatever other tests tag.
"""

import itertools

import pytest

from modelgate.runs import find_champion
from modelgate.tagging import apply_tag, user_tags

from conftest import FLOWS, run_flow

CHAMPION_SUITE = """
def test_not_much_worse_than_champion(gate):
    gate.beats("roc_auc", baseline="champion", margin=-0.02)
"""
_tags = itertools.count()


@pytest.fixture
def tag():
    return f"champion_test_{next(_tags)}"


@pytest.fixture(scope="module")
def good_runs():
    """Three successful TinyFlow runs with the same good model, oldest first."""
    return [run_flow(FLOWS / "tiny_flow.py") for _ in range(3)]


@pytest.fixture(scope="module")
def worse_run():
    """A TinyFlow run whose model learned from labels 45% flipped."""
    return run_flow(FLOWS / "tiny_flow.py", train_noise=0.45)


@pytest.fixture
def suite(pytester):
    pytester.makeini("[pytest]\nmodelgate_model_artifact = model\n")
    pytester.makepyfile(test_gate=CHAMPION_SUITE)
    return pytester


def gate(pytester, run, tag, *args):
    return pytester.runpytest("--model-run", run, "--gate-tag", tag, "-p", "no:cacheprovider", *args)


def test_no_champion_yet(good_runs, tag):
    assert find_champion(good_runs[0], tag) is None


def test_one_tagged_run_is_the_champion(good_runs, tag):
    apply_tag(good_runs[0], tag)
    assert find_champion(good_runs[2], tag) == good_runs[0]


def test_newest_by_finish_time_not_by_tagging_order(good_runs, tag):
    # Tagging rewrites a local run's timestamp: tag the newer run first, the
    # older one last, and the newer one must still be the champion.
    from metaflow import Flow
    from modelgate.runs import global_namespace

    apply_tag(good_runs[1], tag)
    apply_tag(good_runs[0], tag)
    with global_namespace():
        newest_first = [r.pathspec for r in Flow("TinyFlow").runs(tag)]
    # Metaflow 2.19's own newest-first order puts the run tagged last first
    # (seen here); the champion must not depend on it.
    assert set(newest_first) == {good_runs[0], good_runs[1]}
    assert find_champion(good_runs[2], tag) == good_runs[1]


def test_a_tagged_run_that_failed_is_never_the_champion(good_runs, tag):
    failed = run_flow(FLOWS / "tiny_flow.py", fail_at="end")
    apply_tag(good_runs[0], tag)
    apply_tag(failed, tag)  # e.g. tagged by hand, or by a step before it failed
    assert find_champion(good_runs[2], tag) == good_runs[0]


def test_the_candidate_itself_is_never_its_own_champion(good_runs, tag):
    apply_tag(good_runs[2], tag)
    assert find_champion(good_runs[2], tag) is None
    apply_tag(good_runs[0], tag)
    assert find_champion(good_runs[2], tag) == good_runs[0]


def test_first_run_passes_by_default_and_says_no_champion_yet(suite, good_runs, tag):
    result = gate(suite, good_runs[0], tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(good_runs[0])
    result.stdout.fnmatch_lines(["champion: none yet", "*no champion yet*passes by default*"])


def test_first_run_fails_with_require_champion(suite, good_runs, tag):
    result = gate(suite, good_runs[0], tag, "--require-champion")
    result.assert_outcomes(failed=1)
    assert tag not in user_tags(good_runs[0])
    result.stdout.fnmatch_lines(["*no champion yet*fails: a baseline is required*"])


def test_challenger_as_good_as_the_champion_is_tagged(suite, good_runs, tag):
    apply_tag(good_runs[0], tag)
    result = gate(suite, good_runs[1], tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(good_runs[1])
    result.stdout.fnmatch_lines([f"champion: {good_runs[0]}"])


def test_challenger_worse_than_the_champion_is_not_tagged_and_the_report_names_it(suite, good_runs, worse_run, tag):
    apply_tag(good_runs[0], tag)
    result = gate(suite, worse_run, tag)
    result.assert_outcomes(failed=1)
    assert tag not in user_tags(worse_run)
    assert tag in user_tags(good_runs[0])  # the champion keeps its tag
    out = result.stdout.str()
    assert f"vs champion ({good_runs[0]})" in out  # in the failure message
    assert f"champion: {good_runs[0]}" in out  # and under the verdict table


def test_explicit_baseline_run_replaces_the_champion(suite, good_runs, worse_run, tag):
    apply_tag(good_runs[0], tag)
    result = gate(suite, good_runs[1], tag, "--baseline-run", worse_run)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"champion: {worse_run}"])


def test_baseline_run_that_is_the_candidate_is_a_usage_error(suite, good_runs, tag):
    result = gate(suite, good_runs[1], tag, "--baseline-run", good_runs[1])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "is the candidate run itself" in result.stderr.str()


def test_champion_scores_are_paired_with_the_candidates_rows(suite, good_runs, tag):
    apply_tag(good_runs[0], tag)
    suite.makepyfile(
        test_twice="""
        def test_a(gate):
            gate.beats("roc_auc", baseline="champion", margin=-0.02)

        def test_b(gate, evaluation):
            gate.beats("accuracy", baseline="champion", margin=-0.05)
            assert evaluation.scores("champion").shape == evaluation.labels.shape
            assert evaluation.baseline_runs["champion"] == %r
        """ % good_runs[0]
    )
    result = gate(suite, good_runs[1], tag, "--gate-dry-run")
    result.assert_outcomes(passed=3)
