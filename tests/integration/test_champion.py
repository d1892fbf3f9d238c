"""Champion vs challenger with real runs: which run is the champion, and what happens.

Each test manages its own tag (``--gate-tag``), so the runs it tags are the
only candidates for its champion, whatever other tests tag. The runs these
tests need beyond ``tiny_run`` make them slow (conftest's SLOW_FIXTURES).
"""

import itertools
import json
import os
import re
from pathlib import Path

import pytest

from helpers import FLOWS, run_flow, usage_error, user_tags
from modelgate.metaflow_io.runs import find_champion
from modelgate.metaflow_io.tagging import apply_tag

CHAMPION_SUITE = """
def test_not_much_worse_than_champion(gate):
    gate.beats("roc_auc", baseline="champion", margin=-0.02)
"""
_tags = itertools.count()


@pytest.fixture
def tag():
    return f"champion_test_{next(_tags)}"


@pytest.fixture(scope="module")
def good_runs(tiny_run):
    """Three successful TinyFlow runs with the same good model, oldest first (the shared
    tiny_run and two more: the tests' own tags keep them apart from other tests)."""
    return [tiny_run] + [run_flow(FLOWS / "tiny_flow.py") for _ in range(2)]


@pytest.fixture(scope="module")
def worse_run():
    """A TinyFlow run whose model learned from labels 45% flipped."""
    return run_flow(FLOWS / "tiny_flow.py", train_noise=0.45)


@pytest.fixture
def suite(gate_suite):
    """This module's suite (one check against the champion), written by the shared helper."""
    return gate_suite.write(CHAMPION_SUITE)


def test_no_champion_yet(good_runs, tag):
    assert find_champion(good_runs[0], tag) is None


def test_one_tagged_run_is_the_champion(good_runs, tag):
    apply_tag(good_runs[0], tag)
    assert find_champion(good_runs[2], tag) == good_runs[0]


def test_newest_by_finish_time_not_by_tagging_order(good_runs, tag):
    # Tagging rewrites a local run's timestamp: tag the newer run first, the
    # older one last, and the newer one must still be the champion.
    from metaflow import Flow

    from modelgate.metaflow_io.runs import global_namespace

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
    result = suite.run(good_runs[0], "--gate-tag", tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(good_runs[0])
    result.stdout.fnmatch_lines(["champion: none yet", "*no champion yet*passes by default*"])


def test_first_run_fails_with_require_champion(suite, good_runs, tag):
    result = suite.run(good_runs[0], "--gate-tag", tag, "--gate-require-champion")
    result.assert_outcomes(failed=1)
    assert tag not in user_tags(good_runs[0])
    result.stdout.fnmatch_lines(["*no champion yet*fails: a baseline is required*"])


def test_challenger_as_good_as_the_champion_is_tagged(suite, good_runs, tag):
    apply_tag(good_runs[0], tag)
    result = suite.run(good_runs[1], "--gate-tag", tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(good_runs[1])
    result.stdout.fnmatch_lines([f"champion: {good_runs[0]}"])


def test_challenger_worse_than_the_champion_is_not_tagged_and_the_report_names_it(suite, good_runs, worse_run, tag):
    apply_tag(good_runs[0], tag)
    result = suite.run(worse_run, "--gate-tag", tag)
    result.assert_outcomes(failed=1)
    assert tag not in user_tags(worse_run)
    assert tag in user_tags(good_runs[0])  # the champion keeps its tag
    out = result.stdout.str()
    assert f"vs champion ({good_runs[0]})" in out  # in the failure message
    assert f"champion: {good_runs[0]}" in out  # and under the verdict table


def test_explicit_baseline_run_replaces_the_champion(suite, good_runs, worse_run, tag):
    apply_tag(good_runs[0], tag)
    result = suite.run(good_runs[1], "--gate-tag", tag, "--gate-baseline-run", worse_run)
    result.assert_outcomes(passed=1)
    label = "baseline run (--gate-baseline-run, compared as 'champion')"
    result.stdout.fnmatch_lines([f"{label}: {worse_run}"])  # in the header
    assert result.stdout.lines.count(f"{label}: {worse_run}") == 2  # and under the verdict table
    assert f"champion: {worse_run}" not in result.stdout.str()


def test_baseline_run_that_is_the_candidate_is_a_usage_error(suite, good_runs, tag):
    result = suite.run(good_runs[1], "--gate-tag", tag, "--gate-baseline-run", good_runs[1])
    usage_error(result, f"baseline run {good_runs[1]} is the candidate run itself")


def test_champion_scores_are_paired_with_the_candidates_rows(suite, good_runs, tag):
    apply_tag(good_runs[0], tag)
    suite.write(
        None,
        test_twice=f"""
        def test_a(gate):
            gate.beats("roc_auc", baseline="champion", margin=-0.02)

        def test_b(gate, evaluation):
            gate.beats("accuracy", baseline="champion", margin=-0.05)
            assert evaluation.scores("champion").shape == evaluation.labels.shape
            assert evaluation.baseline_runs["champion"] == {good_runs[0]!r}
        """,
    )
    result = suite.run(good_runs[1], "--gate-tag", tag, "--gate-dry-run")
    result.assert_outcomes(passed=3)


# -- the champion only matters to checks that use it ------------------------------
def _run_dir(pathspec: str) -> Path:
    flow, run_id = pathspec.split("/")
    return Path(os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"], ".metaflow", flow, run_id)


@pytest.fixture(scope="module")
def champion_without_model():
    """A successful TinyFlow run whose end step has no 'model' artifact (as an
    old champion trained before the artifact was renamed): its artifact record
    is removed from this run's metadata."""
    run = run_flow(FLOWS / "tiny_flow.py")
    records = list(_run_dir(run).glob("end/*/_meta/*_artifact_model.json"))
    assert records
    for record in records:
        record.unlink()
    return run


MAJORITY_SUITE = """
def test_beats_majority(gate):
    gate.beats("roc_auc", margin=0.1)
"""


def test_a_champion_without_the_model_does_not_block_a_gate_that_never_uses_it(
    suite, good_runs, champion_without_model, tag
):
    apply_tag(champion_without_model, tag)
    suite.write(MAJORITY_SUITE)
    result = suite.run(good_runs[1], "--gate-tag", tag)
    result.assert_outcomes(passed=1)
    assert tag in user_tags(good_runs[1])


def test_a_champion_problem_found_inside_a_test_is_an_error_of_that_test(suite, good_runs, champion_without_model, tag):
    apply_tag(champion_without_model, tag)
    apply_tag(good_runs[1], tag)  # the candidate carries the tag from an earlier gate
    result = suite.run(good_runs[1], "--gate-tag", tag)  # its test compares with the champion
    result.assert_outcomes(failed=1)
    assert f"champion run {champion_without_model} has no artifact 'model' in its end step" in result.stdout.str()
    assert tag in user_tags(good_runs[1])  # an error changes no tag: not revoked
    assert tag in user_tags(champion_without_model)


def test_a_configured_champion_check_refuses_a_champion_without_the_model_up_front(
    suite, good_runs, champion_without_model, tag
):
    apply_tag(champion_without_model, tag)
    result = suite.run(good_runs[1], "--gate-tag", tag, "--gate-check", "metric=roc_auc,baseline=champion,margin=-0.02")
    usage_error(result, f"champion run {champion_without_model} has no artifact 'model' in its end step (it has: ")
    assert tag not in user_tags(good_runs[1])


def test_a_wrong_model_artifact_is_reported_against_the_candidate(suite, good_runs, tag):
    apply_tag(good_runs[0], tag)  # there is a champion
    result = suite.run(good_runs[1], "--gate-tag", tag, "--gate-model-artifact", "no_such_model")
    usage_error(result, f"candidate run {good_runs[1]} has no artifact 'no_such_model' in its end step")
    assert tag not in user_tags(good_runs[1])


# -- an unreadable run of the flow is skipped, with a warning that names it -------
@pytest.fixture(scope="module")
def spare_runs():
    """Two extra TinyFlow runs; the newer one gets its metadata broken by a test."""
    return [run_flow(FLOWS / "tiny_flow.py") for _ in range(2)]


@pytest.fixture(params=["empty", "truncated"])
def unreadable_run(request, spare_runs):
    """spare_runs[1] with an empty or truncated _meta/_self.json, restored afterwards."""
    path = _run_dir(spare_runs[1]) / "_meta" / "_self.json"
    original = path.read_bytes()
    path.write_bytes(b"" if request.param == "empty" else original[: len(original) // 2])
    try:
        yield spare_runs[1]
    finally:
        path.write_bytes(original)


def test_an_unreadable_run_is_skipped_when_looking_for_the_champion(good_runs, unreadable_run, tag):
    from modelgate.metaflow_io.runs import UnreadableRunWarning

    apply_tag(good_runs[0], tag)
    with pytest.warns(UnreadableRunWarning, match=re.escape(unreadable_run)):
        assert find_champion(good_runs[2], tag) == good_runs[0]


def test_an_unreadable_run_does_not_stop_a_gate_and_is_named(suite, good_runs, unreadable_run, tag):
    apply_tag(good_runs[0], tag)
    result = suite.run(good_runs[1], "--gate-tag", tag)
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert f"champion: {good_runs[0]}" in out
    assert unreadable_run in out  # the skipped run is named
    assert tag in user_tags(good_runs[1])


@pytest.mark.parametrize("which", ["latest", "latest-successful"])
def test_an_unreadable_run_is_skipped_by_latest(suite, spare_runs, unreadable_run, which):
    result = suite.run(which, "--model-flow", "TinyFlow", "--gate-dry-run")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert f"model run: {unreadable_run}" not in out
    assert unreadable_run in out  # named as skipped


def test_an_unreadable_run_skipped_by_latest_is_named_without_a_champion_lookup(
    suite, good_runs, spare_runs, unreadable_run
):
    # --gate-baseline-run replaces the champion lookup: only 'latest' lists the runs.
    result = suite.run(
        "latest-successful", "--model-flow", "TinyFlow", "--gate-dry-run", "--gate-baseline-run", good_runs[0]
    )
    result.assert_outcomes(passed=1)
    assert f"skipped run {unreadable_run}" in result.stdout.str()


@pytest.mark.parametrize("failure", ["GateUsageError", "MetaflowUnavailable"])
def test_a_failed_champion_lookup_is_an_error_only_where_the_champion_is_used(monkeypatch, failure):
    # No Metaflow: the runner's model and data are in memory, the lookup fails
    # (bad input, or an outage: each raised as itself, never a crash of the header).
    import numpy as np
    import pandas as pd

    from modelgate import errors
    from modelgate.checks import MarginCheck
    from modelgate.config import GateConfig
    from modelgate.metaflow_io import runs
    from modelgate.runner import GateRunner

    Failure = getattr(errors, failure)

    def outage(*args, **kwargs):
        raise Failure("cannot read the project tags of TinyFlow/1: service unavailable")

    monkeypatch.setattr(runs, "champion_scope", outage)  # the lookup's first read of Metaflow
    runner = GateRunner.for_run(GateConfig(), "TinyFlow/1")
    labels = np.array([0, 1] * 50)
    frame = pd.DataFrame({"review": [f"text {i}" for i in range(100)], "labels": labels})
    evaluation = runner.evidence(lambda texts: np.where(labels == 1, 0.8, 0.2), frame)
    assert MarginCheck("roc_auc", margin=0.1).evaluate(evaluation).passed  # vs majority: no lookup
    assert not runner.baselines.resolved
    with pytest.raises(Failure, match="cannot look up the champion of TinyFlow/1: .*service unavailable"):
        MarginCheck("roc_auc", baseline="champion").evaluate(evaluation)
    assert runner.baselines.champion_line().startswith("unknown: cannot look up the champion")


# -- which runs a scope admits (the rule itself; tests/deployments/test_production.py runs it on real deployments)
class Tagged:
    """What ChampionScope reads of a run: its system tags."""

    def __init__(self, *system_tags: str) -> None:
        self.system_tags = frozenset(system_tags)


BETA = Tagged("project:nlp", "project_branch:test.beta", "user:alice")
ALPHA = Tagged("project:nlp", "project_branch:test.alpha", "user:alice")
PROD = Tagged("project:nlp", "project_branch:prod", "production:tok")
PLAIN_ALICE = Tagged("user:alice", "runtime:dev")
PLAIN_PROD = Tagged("production:tok", "runtime:dev")
RUNS = {"beta": BETA, "alpha": ALPHA, "prod": PROD, "plain_alice": PLAIN_ALICE, "plain_prod": PLAIN_PROD}


@pytest.mark.parametrize(
    ("scope", "admitted", "said"),
    [
        (dict(kind="branch", project="nlp", branch="test.beta"), {"beta"}, "branch test.beta of project nlp"),
        (dict(kind="project", project="nlp"), {"beta", "alpha", "prod"}, "any branch of project nlp"),
        (
            dict(kind="branch", project=None, branch=None, namespace="user:alice"),
            {"plain_alice"},
            "runs of Flow without @project in namespace user:alice",
        ),
        (
            dict(kind="branch", project=None, branch=None, namespace="production:tok"),
            {"plain_prod"},
            "runs of Flow without @project in namespace production:tok",
        ),
        (
            dict(kind="project", project=None, branch=None),
            {"plain_alice", "plain_prod"},
            "runs of Flow without @project",
        ),
        (dict(kind="flow"), set(RUNS), "any run of Flow"),
    ],
    ids=["branch", "project", "plain-user", "plain-production", "plain-any-namespace", "flow"],
)
def test_a_champion_scope_admits_its_branch_only(scope, admitted, said):
    from modelgate.metaflow_io.runs import ChampionScope

    where = ChampionScope("Flow", **scope)
    assert {name for name, run in RUNS.items() if where.matches(run)} == admitted
    assert where.describe() == said


def test_the_in_flow_gate_compares_with_the_run_carrying_champion_tag(good_runs, tag, tmp_path):
    # In a flow, as in a pytest session: the champion is the deployed run, not the newest that passed the gate.
    from modelgate import Gate
    from modelgate.metaflow_io.runs import load_artifact

    deployed_tag = f"{tag}_deployed"
    deployed, passed_only, candidate = good_runs
    apply_tag(deployed, deployed_tag)
    apply_tag(passed_only, tag)  # newer, passed the gate, never deployed
    config = tmp_path / "pyproject.toml"
    config.write_text(
        f'[tool.modelgate]\nmodel_artifact = "model"\ntag = "{tag}"\nchampion_tag = "{deployed_tag}"\n\n'
        '[[tool.modelgate.checks]]\nmetric = "roc_auc"\nbaseline = "champion"\nmargin = -0.02\n'
    )
    gate = Gate.from_config(config)
    verdict = gate.evaluate(load_artifact(candidate, "model"), load_artifact(candidate, "val_df"), run=candidate)
    assert verdict.champion == deployed
    [result] = verdict.results
    assert result.passed, result.message


# -- the reports name the champion whatever the verbosity, and whatever the checks compare with
MAJORITY_SUITE = """
def test_beats_majority(gate):
    gate.beats("roc_auc", margin=0.1)
"""


def test_the_json_report_names_the_champion_with_q_as_with_v(gate_suite, good_runs, tag):
    apply_tag(good_runs[0], tag)
    suite = gate_suite.write(MAJORITY_SUITE)  # no check uses the champion: only the header would look it up
    reports = {}
    for verbosity in ("-q", "-v"):
        result = suite.run(
            good_runs[1], "--gate-tag", tag, "--gate-dry-run", verbosity, "--gate-report", f"report{verbosity}.json"
        )
        result.assert_outcomes(passed=1)
        reports[verbosity] = json.loads((suite.path / f"report{verbosity}.json").read_text())
    assert reports["-q"]["champion"] == good_runs[0]
    assert reports["-q"] == reports["-v"]


def test_the_in_flow_verdict_names_the_champion(good_runs, tag):
    from modelgate import Gate, MarginCheck
    from modelgate.metaflow_io.runs import load_artifact
    from modelgate.report.render import verdict_markdown

    apply_tag(good_runs[0], tag)
    model, data = (load_artifact(good_runs[1], name, role="candidate") for name in ("model", "val_df"))
    verdict = Gate(checks=[MarginCheck("roc_auc", margin=0.1)], tag=tag).evaluate(model, data, run=good_runs[1])
    assert verdict.passed and verdict.champion == good_runs[0]
    assert f"- champion: `{good_runs[0]}`" in verdict_markdown(verdict)


@pytest.mark.slow  # two runs of its own
def test_a_champion_byte_identical_to_the_candidate_is_said_in_words(tiny_run, tag, gate_suite, tmp_path):
    """Two runs holding the same model artifact, byte for byte (a pipeline re-registered by
    another run): the header says so, and "beats the champion" fails saying why."""
    import pickle

    from modelgate.metaflow_io.runs import artifact_sha, load_artifact

    objects = tmp_path / "objects.pkl"
    objects.write_bytes(
        pickle.dumps({"model": load_artifact(tiny_run, "model"), "val_df": load_artifact(tiny_run, "val_df")})
    )
    champion, candidate = (run_flow(FLOWS / "artifacts_flow.py", artifacts=str(objects)) for _ in range(2))
    assert artifact_sha(champion, "model") == artifact_sha(candidate, "model") is not None
    apply_tag(champion, tag)
    gate_suite.write('def test_beats(gate):\n    gate.beats("roc_auc", baseline="champion", margin=0.0)\n')
    gate_suite.file(
        "pyproject.toml",
        '[tool.modelgate]\nmodel_artifact = "model"\n\n'
        '[[tool.modelgate.checks]]\nmetric = "roc_auc"\nbaseline = "champion"\nmargin = 0.0\n',
    )
    result = gate_suite.run(candidate, "--gate-tag", tag, "-rA")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            f"modelgate warning: the champion {champion}'s model artifact 'model' is byte-identical to the "
            "candidate's (the same model): a check that it beats the champion cannot pass",
            "*the candidate's predictions equal the champion's on every row (the same model?), so it cannot beat it*",
        ]
    )
    assert tag not in user_tags(candidate)
