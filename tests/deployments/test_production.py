"""The gate in production, on the metadata service with S3.

Point 2: the champion stays in the candidate's ``@project`` branch (by default;
``champion_scope``), and production runs (``--production`` with a production
token: a ``production:TOKEN`` namespace tag) are found by pathspec and by
``latest --gate-namespace production:TOKEN``. Point 3: ``champion_tag`` names what
is deployed, the champion and ``deployed_run()`` follow it, and
``python -m modelgate promote`` moves it.

Runs of ``tests/flows/project_flow.py`` (``@project(name="modelgate_tests")``)
are made once, oldest first: beta1 (``--branch beta``), alpha
(``--branch alpha``), prod (``--production`` with a token), beta2, beta3. Every
test uses tags of its own, and gate sessions here are dry runs, so the tests
share the runs without seeing each other's tags. Flows, gates and promote run
in subprocesses with the deployment's environment (tests/deployments/servers.py).
"""

import itertools

import pytest
from servers import PROJECT_FLOW, explain, header, promote, run_flow_with, system_tags, tag_lines, write_suite

from modelgate.names import DEFAULT_TAG

pytestmark = pytest.mark.slow

S3 = pytest.param("s3", id="s3", marks=[pytest.mark.service, pytest.mark.s3])
# The production setting, as the issue measured it: the metadata service (its tags,
# its run ids) with S3 (the artifacts). The rules read only the runs' system and user
# tags, which tests/deployments/test_deployments.py checks on local metadata too; the ProjectFlow
# runs are made once.
production = pytest.mark.parametrize("deployment", [S3], indirect=True)

PROJECT = "modelgate_tests"
TOKEN = "modelgate-tests-token"
CHAMPION_SUITE = """
def test_not_much_worse_than_champion(gate):
    gate.beats("roc_auc", baseline="champion", margin=-0.02)
"""
_tags = itertools.count()
_made: dict = {}


@pytest.fixture
def tag():
    return f"production_test_{next(_tags)}"


@pytest.fixture
def project_runs(deployment, tiny_runs):
    """{name: pathspec} of the deployment's ProjectFlow runs (made on first use, oldest first,
    after the deployment's shared TinyFlow runs: tests/deployments/test_deployments.py expects them to be TinyFlow/1..3)."""
    if deployment.name not in _made:
        tiny_runs.all()
        branch = lambda name: run_flow_with(deployment, PROJECT_FLOW, "--branch", name)  # noqa: E731
        made = {"beta1": branch("beta"), "alpha": branch("alpha")}
        made["prod"] = run_flow_with(deployment, PROJECT_FLOW, "--production", env={"METAFLOW_PRODUCTION_TOKEN": TOKEN})
        made["beta2"] = branch("beta")
        made["beta3"] = branch("beta")
        _made[deployment.name] = made
    return _made[deployment.name]


def gate(deployment, folder, run, *args):
    return deployment.gate(write_suite(folder, CHAMPION_SUITE), "--model-run", run, "--gate-dry-run", *args)


# -- point 2: the champion stays in its branch ---------------------------------------------
@production
def test_the_runs_carry_their_project_branch(deployment, project_runs):
    user = deployment.env["METAFLOW_USER"]
    assert {"project:modelgate_tests", "project_branch:test.alpha", f"user:{user}"} <= system_tags(
        deployment, project_runs["alpha"]
    )
    prod = system_tags(deployment, project_runs["prod"])
    assert {"project:modelgate_tests", "project_branch:prod", f"production:{TOKEN}"} <= prod
    assert not any(t.startswith("user:") for t in prod)


@production
def test_a_tagged_run_of_another_branch_is_not_the_champion(deployment, project_runs, tmp_path, tag):
    # alpha is newer than beta1: across branches it would be the champion of beta2.
    deployment.add_tags(project_runs["beta1"], tag)
    deployment.add_tags(project_runs["alpha"], tag)
    result = gate(deployment, tmp_path, project_runs["beta2"], "--gate-tag", tag)
    assert result.returncode == 0, explain(result)
    assert header(result, "champion") == (f"champion: {project_runs['beta1']} (branch test.beta of project {PROJECT})")


@production
def test_no_champion_in_a_branch_without_a_tagged_run(deployment, project_runs, tmp_path, tag):
    deployment.add_tags(project_runs["alpha"], tag)  # the only tagged run: another branch's
    result = gate(deployment, tmp_path, project_runs["beta2"], "--gate-tag", tag)
    assert result.returncode == 0, explain(result)
    assert header(result, "champion") == f"champion: none yet (branch test.beta of project {PROJECT})"
    assert f"no other successful run of ProjectFlow (branch test.beta of project {PROJECT}) carries" in result.stdout


@production
def test_with_project_scope_another_branch_can_be_the_champion(deployment, project_runs, tmp_path, tag):
    deployment.add_tags(project_runs["beta1"], tag)
    deployment.add_tags(project_runs["alpha"], tag)
    suite = write_suite(tmp_path, CHAMPION_SUITE)
    (suite / "pyproject.toml").write_text('[tool.modelgate]\nchampion_scope = "project"\n')
    result = deployment.gate(suite, "--model-run", project_runs["beta2"], "--gate-dry-run", "--gate-tag", tag)
    assert result.returncode == 0, explain(result)
    assert header(result, "champion") == f"champion: {project_runs['alpha']} (any branch of project {PROJECT})"
    # and from the command line, over the file: back to the branch
    result = deployment.gate(
        suite,
        "--model-run",
        project_runs["beta2"],
        "--gate-dry-run",
        "--gate-tag",
        tag,
        "--gate-champion-scope",
        "branch",
    )
    assert header(result, "champion") == f"champion: {project_runs['beta1']} (branch test.beta of project {PROJECT})"


@production
def test_production_runs_are_found_by_pathspec_and_by_latest_in_their_namespace(deployment, project_runs, tmp_path):
    prod = project_runs["prod"]
    by_pathspec = gate(deployment, tmp_path / "a", prod)
    assert by_pathspec.returncode == 0, explain(by_pathspec)
    assert header(by_pathspec, "model run").startswith(f"model run: {prod} ")
    assert header(by_pathspec, "champion") == f"champion: none yet (branch prod of project {PROJECT})"
    project_runs["beta3"]  # newer than prod, in the user's namespace
    by_latest = gate(
        deployment, tmp_path / "b", "latest", "--model-flow", "ProjectFlow", "--gate-namespace", f"production:{TOKEN}"
    )
    assert by_latest.returncode == 0, explain(by_latest)
    assert header(by_latest, "model run").startswith(f"model run: {prod} ")
    assert tag_lines(by_latest) == [
        f"modelgate: dry run: would apply tag '{DEFAULT_TAG}' to {prod}: all 1 quality test passed"
    ]
    mine = gate(deployment, tmp_path / "c", "latest", "--model-flow", "ProjectFlow")  # the user's namespace
    assert header(mine, "model run").startswith(f"model run: {project_runs['beta3']} "), explain(mine)


@production
def test_a_production_candidate_never_gets_a_developers_champion(deployment, project_runs, tmp_path, tag):
    deployment.add_tags(project_runs["beta1"], tag)
    result = gate(deployment, tmp_path, project_runs["prod"], "--gate-tag", tag)
    assert result.returncode == 0, explain(result)
    assert header(result, "champion") == f"champion: none yet (branch prod of project {PROJECT})"
    flow_wide = gate(
        deployment, tmp_path / "flow", project_runs["prod"], "--gate-tag", tag, "--gate-champion-scope", "flow"
    )
    assert header(flow_wide, "champion") == f"champion: {project_runs['beta1']} (any run of ProjectFlow)"


# -- point 3: champion_tag, deployed_run, promote ----------------------------------------------
DEPLOYED_RUN = """
import sys
from modelgate import deployed_run
flow, tag = sys.argv[1:3]
print(deployed_run(flow, tag, project="modelgate_tests", branch="test.beta"))
print(deployed_run(flow, tag, project="modelgate_tests", branch="test.alpha"))
print(deployed_run(flow, tag))
"""


@production
def test_the_champion_follows_champion_tag(deployment, project_runs, tmp_path, tag):
    deployed, candidate_tag = f"{tag}_deployed", f"{tag}_candidate"
    deployment.add_tags(project_runs["beta1"], deployed)
    deployment.add_tags(project_runs["beta2"], candidate_tag)  # newer, passed the gate, not deployed
    by_verdict = gate(deployment, tmp_path / "a", project_runs["beta3"], "--gate-tag", candidate_tag)
    assert header(by_verdict, "champion").startswith(f"champion: {project_runs['beta2']} "), explain(by_verdict)
    by_deployed = gate(
        deployment, tmp_path / "b", project_runs["beta3"], "--gate-tag", candidate_tag, "--gate-champion-tag", deployed
    )
    assert by_deployed.returncode == 0, explain(by_deployed)
    assert header(by_deployed, "champion").startswith(f"champion: {project_runs['beta1']} "), explain(by_deployed)
    done = deployment.python(DEPLOYED_RUN, "ProjectFlow", deployed)
    assert done.stdout.split() == [project_runs["beta1"], "None", project_runs["beta1"]], done.stderr


@production
def test_promote_moves_the_tag_within_the_branch(deployment, project_runs, tag):
    beta1, beta2, alpha = project_runs["beta1"], project_runs["beta2"], project_runs["alpha"]
    assert deployment.add_tags(beta1, tag, "team:nlp") >= {tag, "team:nlp"}
    deployment.add_tags(alpha, tag)  # another branch's deployed run: not this promotion's business
    before = deployment.add_tags(beta2, DEFAULT_TAG, "owner:me")
    done = promote(deployment, beta2, "--tag", tag)
    assert done.returncode == 0, explain(done)
    assert done.stdout.strip() == (
        f"promoted {beta2}: tag '{tag}' now on it alone in branch test.beta of project {PROJECT}; removed from {beta1}"
    ), explain(done)
    assert deployment.tags(beta2) == before | {tag}
    assert tag not in deployment.tags(beta1) and "team:nlp" in deployment.tags(beta1)
    assert tag in deployment.tags(alpha)
    again = promote(deployment, beta2, "--tag", tag)  # idempotent: no write
    assert again.returncode == 0 and "nothing to do" in again.stdout, explain(again)


@production
def test_promote_refuses_a_run_the_gate_did_not_pass_unless_forced(deployment, project_runs, tag):
    beta1, beta3 = project_runs["beta1"], project_runs["beta3"]
    deployment.add_tags(beta1, tag)
    assert DEFAULT_TAG not in deployment.tags(beta3)
    refused = promote(deployment, beta3, "--tag", tag)
    assert refused.returncode == 4, explain(refused)
    assert refused.stdout == "" and len(refused.stderr.strip().splitlines()) == 1, explain(refused)
    assert f"refusing to promote {beta3}: it does not carry '{DEFAULT_TAG}'" in refused.stderr
    assert "--force" in refused.stderr
    assert tag in deployment.tags(beta1) and tag not in deployment.tags(beta3)
    forced = promote(deployment, beta3, "--tag", tag, "--force")
    assert forced.returncode == 0, explain(forced)
    assert "forced" in forced.stdout
    assert tag in deployment.tags(beta3) and tag not in deployment.tags(beta1)


@production
def test_promote_takes_its_tag_and_scope_from_the_config(deployment, project_runs, tag, tmp_path):
    beta1, alpha = project_runs["beta1"], project_runs["alpha"]
    deployment.add_tags(alpha, tag)
    (tmp_path / "pyproject.toml").write_text(f'[tool.modelgate]\nchampion_tag = "{tag}"\nchampion_scope = "project"\n')
    done = promote(deployment, beta1, "--force", cwd=tmp_path)
    assert done.returncode == 0, explain(done)
    assert f"any branch of project {PROJECT}; removed from {alpha}" in done.stdout
    assert tag not in deployment.tags(alpha) and tag in deployment.tags(beta1)


@production
def test_promote_bad_input_is_one_line_and_exit_4(deployment, project_runs, tag):
    for args in (
        [project_runs["beta1"]],  # no tag named
        [project_runs["beta1"], "--tag", DEFAULT_TAG],  # the verdict tag
        ["ProjectFlow/999999", "--tag", tag],  # no such run
        [project_runs["beta1"], "--tag", "project:x"],  # a reserved tag
        [project_runs["beta1"], "--tag", tag, "--champion-scope", "world"],
    ):
        done = promote(deployment, *args)
        assert done.returncode == 4, (args, explain(done))
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, (args, explain(done))


# Another promotion lands between this one's writes and its re-read: the racer is tagged by a
# real Metaflow write, at a fixed moment (after the old holder's removal), so the race is certain.
RACING_PROMOTE = """
import sys
from modelgate.metaflow_io import promote, tagging

racer = sys.argv[1]
removes = tagging.revoke_tag

def remove_then_race(pathspec, tag):
    carried = removes(pathspec, tag)
    tagging.apply_tag(racer, tag)
    return carried

tagging.revoke_tag = remove_then_race
sys.exit(promote.main(sys.argv[2:]))
"""


@production
def test_promote_names_another_holder_that_appeared_meanwhile_and_exits_1(deployment, project_runs, tag):
    beta1, beta2, beta3 = project_runs["beta1"], project_runs["beta2"], project_runs["beta3"]
    deployment.add_tags(beta1, tag)
    deployment.add_tags(beta2, DEFAULT_TAG)
    done = deployment.python(RACING_PROMOTE, beta3, beta2, "--tag", tag)
    assert done.returncode == 1, explain(done)
    assert done.stdout == "" and done.stderr.strip().splitlines() == [
        f"modelgate promote: {beta2} carries '{tag}', but so does {beta3} in branch test.beta of project {PROJECT} "
        "(another promotion at the same time?)"
    ], explain(done)
    assert tag in deployment.tags(beta2) and tag in deployment.tags(beta3) and tag not in deployment.tags(beta1)


@production
def test_without_project_the_namespace_is_the_branch(deployment, tiny_runs, tmp_path, tag):
    """A flow without @project: a developer's tagged run (user:NAME) is not the champion
    of a production run (production:TOKEN), nor the reverse; project scope widens it."""
    from servers import TINY_FLOW

    tiny_runs.all()  # the shared runs first (TinyFlow/1..3 on the service)
    dev = run_flow_with(deployment, TINY_FLOW)
    prod = run_flow_with(deployment, TINY_FLOW, env={"METAFLOW_PRODUCTION_TOKEN": TOKEN})
    dev_namespace = next(t for t in system_tags(deployment, dev) if t.startswith("user:"))
    assert f"production:{TOKEN}" in system_tags(deployment, prod)
    deployment.add_tags(dev, tag)
    deployment.add_tags(prod, f"{tag}_prod")

    result = gate(deployment, tmp_path / "a", prod, "--gate-tag", tag)
    assert result.returncode == 0, explain(result)
    scope = f"runs of TinyFlow without @project in namespace production:{TOKEN}"
    assert header(result, "champion") == f"champion: none yet ({scope})", explain(result)
    widened = gate(deployment, tmp_path / "b", prod, "--gate-tag", tag, "--gate-champion-scope", "project")
    assert header(widened, "champion").startswith(f"champion: {dev}"), explain(widened)
    reverse = gate(deployment, tmp_path / "c", dev, "--gate-tag", f"{tag}_prod")
    assert header(reverse, "champion") == "champion: none yet", explain(reverse)  # a developer's header as before
    assert f"(runs of TinyFlow without @project in namespace {dev_namespace}) carries the tag" in reverse.stdout
